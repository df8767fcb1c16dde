//! Set operators on pipelines. Nodes are the same when their name, inputs and outputs are.

use crate::node::Node;
use crate::pipeline::Pipeline;
use crate::problem::PipelineError;
use std::collections::HashSet;
use std::ops::{Add, BitAnd, BitOr, Sub};

impl Pipeline {
    /// Every node of both; fails when the union is not a valid pipeline (e.g. two nodes of
    /// one name, or one output written twice).
    pub fn union(&self, other: &Pipeline) -> Result<Pipeline, PipelineError> {
        Pipeline::sum([self, other])
    }

    /// The nodes of `self` that are not in `other`.
    pub fn difference(&self, other: &Pipeline) -> Pipeline {
        let theirs: HashSet<&Node> = other.nodes().collect();
        self.subset(|_, n| !theirs.contains(n))
    }

    /// The nodes in both.
    pub fn intersection(&self, other: &Pipeline) -> Pipeline {
        let theirs: HashSet<&Node> = other.nodes().collect();
        self.subset(|_, n| theirs.contains(n))
    }
}

impl Add for &Pipeline {
    type Output = Result<Pipeline, PipelineError>;
    fn add(self, rhs: &Pipeline) -> Self::Output {
        self.union(rhs)
    }
}

impl BitOr for &Pipeline {
    type Output = Result<Pipeline, PipelineError>;
    fn bitor(self, rhs: &Pipeline) -> Self::Output {
        self.union(rhs)
    }
}

impl Sub for &Pipeline {
    type Output = Pipeline;
    fn sub(self, rhs: &Pipeline) -> Pipeline {
        self.difference(rhs)
    }
}

impl BitAnd for &Pipeline {
    type Output = Pipeline;
    fn bitand(self, rhs: &Pipeline) -> Pipeline {
        self.intersection(rhs)
    }
}
