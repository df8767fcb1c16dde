//! The pipeline: a valid, topologically sorted set of nodes.

use crate::graph::{self, Sorted};
use crate::naming::{base_name, is_transcoded};
use crate::node::Node;
use crate::problem::{PipelineError, Problem};
use crate::typecheck::type_problems;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// A set of nodes that has passed validation, in a deterministic topological order.
///
/// **Invariant:** every `Pipeline` value is valid (unique names, unique outputs, no cycle,
/// consistent transcoding, matching types); constructors return every problem otherwise.
#[derive(Clone, Default)]
pub struct Pipeline {
    pub(crate) nodes: Vec<Arc<Node>>,
    pub(crate) layer_starts: Vec<usize>,
    pub(crate) parents: Vec<Vec<u32>>,
    pub(crate) children: Vec<Vec<u32>>,
    pub(crate) by_name: HashMap<String, u32>,
}

/// What a pipeline is built from: nodes and other pipelines (which are flattened).
pub enum Part {
    /// A node.
    Node(Node),
    /// The nodes of a pipeline.
    Pipeline(Pipeline),
}

impl From<Node> for Part {
    fn from(n: Node) -> Self {
        Part::Node(n)
    }
}

impl From<Pipeline> for Part {
    fn from(p: Pipeline) -> Self {
        Part::Pipeline(p)
    }
}

impl From<&Pipeline> for Part {
    fn from(p: &Pipeline) -> Self {
        Part::Pipeline(p.clone())
    }
}

impl Pipeline {
    /// Builds a pipeline from nodes and pipelines, reporting every problem at once.
    pub fn new<P: Into<Part>>(parts: impl IntoIterator<Item = P>) -> Result<Self, PipelineError> {
        let mut nodes = Vec::new();
        for part in parts {
            match part.into() {
                Part::Node(n) => nodes.push(Arc::new(n)),
                Part::Pipeline(p) => nodes.extend(p.nodes),
            }
        }
        Self::validated(nodes)
    }

    /// The union of several pipelines, as Kedro's `sum(pipelines)`.
    pub fn sum<'a>(
        pipelines: impl IntoIterator<Item = &'a Pipeline>,
    ) -> Result<Self, PipelineError> {
        Self::validated(
            pipelines
                .into_iter()
                .flat_map(|p| p.nodes.iter().cloned())
                .collect(),
        )
    }

    /// Validates and sorts nodes, merging nodes equal by identity.
    pub(crate) fn validated(nodes: Vec<Arc<Node>>) -> Result<Self, PipelineError> {
        let nodes = dedup(nodes);
        let mut problems: Vec<Problem> = nodes.iter().flat_map(|n| n.problems()).collect();
        problems.extend(duplicate_names(&nodes));
        problems.extend(transcoding_problems(&nodes));
        problems.extend(output_problems(&nodes));
        let sorted = match graph::sort(nodes) {
            Ok(sorted) => sorted,
            Err(cycle) => {
                problems.push(Problem::Cycle { cycle });
                return Err(problems.into());
            }
        };
        if problems.is_empty() {
            problems.extend(type_problems(&sorted.order));
        }
        if problems.is_empty() {
            Ok(Self::from_sorted(sorted))
        } else {
            Err(problems.into())
        }
    }

    /// A pipeline of a subset of a valid pipeline's nodes, which is valid by construction.
    pub(crate) fn subset(&self, keep: impl Fn(usize, &Node) -> bool) -> Self {
        let nodes = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| keep(*i, n))
            .map(|(_, n)| Arc::clone(n))
            .collect();
        match graph::sort(nodes) {
            Ok(sorted) => Self::from_sorted(sorted),
            Err(_) => unreachable!("a subset of an acyclic graph is acyclic"),
        }
    }

    fn from_sorted(sorted: Sorted) -> Self {
        let by_name = sorted
            .order
            .iter()
            .enumerate()
            .map(|(i, n)| (n.node_name().to_owned(), i as u32))
            .collect();
        Self {
            nodes: sorted.order,
            layer_starts: sorted.layer_starts,
            parents: sorted.parents,
            children: sorted.children,
            by_name,
        }
    }

    /// The nodes in execution order: layer by layer, by name inside a layer.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &Node> {
        self.nodes.iter().map(|n| &**n)
    }

    /// The nodes as shared handles, in execution order.
    pub fn shared_nodes(&self) -> &[Arc<Node>] {
        &self.nodes
    }

    /// The topological layers: each holds the nodes whose parents are all in earlier layers.
    pub fn grouped_nodes(&self) -> Vec<&[Arc<Node>]> {
        let ends = self
            .layer_starts
            .iter()
            .skip(1)
            .copied()
            .chain([self.nodes.len()]);
        self.layer_starts
            .iter()
            .zip(ends)
            .map(|(&s, e)| &self.nodes[s..e])
            .collect()
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node of that name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.by_name.get(name).map(|&i| &*self.nodes[i as usize])
    }

    /// The node names, in execution order.
    pub fn node_names(&self) -> Vec<&str> {
        self.nodes.iter().map(|n| n.node_name()).collect()
    }

    /// The parents of every node, by name.
    pub fn node_dependencies(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        self.nodes
            .iter()
            .zip(&self.parents)
            .map(|(n, ps)| {
                let names = ps
                    .iter()
                    .map(|&p| self.nodes[p as usize].node_name())
                    .collect();
                (n.node_name(), names)
            })
            .collect()
    }

    /// The nodes that no other node of this pipeline depends on.
    pub fn terminal_nodes(&self) -> Vec<&Node> {
        self.nodes
            .iter()
            .zip(&self.children)
            .filter(|(_, cs)| cs.is_empty())
            .map(|(n, _)| &**n)
            .collect()
    }

    /// Every input name, transcoding kept.
    pub fn all_inputs(&self) -> BTreeSet<String> {
        self.nodes
            .iter()
            .flat_map(|n| n.inputs().iter().cloned())
            .collect()
    }

    /// Every output name, transcoding kept.
    pub fn all_outputs(&self) -> BTreeSet<String> {
        self.nodes
            .iter()
            .flat_map(|n| n.outputs().iter().cloned())
            .collect()
    }

    /// Every dataset name.
    pub fn datasets(&self) -> BTreeSet<String> {
        let mut all = self.all_inputs();
        all.extend(self.all_outputs());
        all
    }

    /// Free inputs: read here but produced by no node (parameters included).
    pub fn inputs(&self) -> BTreeSet<String> {
        let produced: HashSet<&str> = self.all_outputs_base();
        self.all_inputs()
            .into_iter()
            .filter(|i| !produced.contains(base_name(i)))
            .collect()
    }

    /// Free outputs: produced here but read by no node.
    pub fn outputs(&self) -> BTreeSet<String> {
        let consumed: HashSet<&str> = self
            .nodes
            .iter()
            .flat_map(|n| n.inputs().iter().map(|i| base_name(i)))
            .collect();
        self.all_outputs()
            .into_iter()
            .filter(|o| !consumed.contains(base_name(o)))
            .collect()
    }

    fn all_outputs_base(&self) -> HashSet<&str> {
        self.nodes
            .iter()
            .flat_map(|n| n.outputs().iter().map(|o| base_name(o)))
            .collect()
    }

    /// A copy with tags added to every node.
    pub fn tag<S: Into<String> + Clone>(&self, tags: impl IntoIterator<Item = S>) -> Self {
        let tags: Vec<String> = tags.into_iter().map(Into::into).collect();
        let mut copy = self.clone();
        copy.nodes = self
            .nodes
            .iter()
            .map(|n| Arc::new((**n).clone().tags(tags.iter().cloned())))
            .collect();
        copy
    }
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.nodes.iter()).finish()
    }
}

fn dedup(nodes: Vec<Arc<Node>>) -> Vec<Arc<Node>> {
    let mut seen: HashSet<Arc<Node>> = HashSet::with_capacity(nodes.len());
    nodes
        .into_iter()
        .filter(|n| seen.insert(Arc::clone(n)))
        .collect()
}

fn duplicate_names(nodes: &[Arc<Node>]) -> Option<Problem> {
    let mut count: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    for n in nodes {
        *count.entry(n.node_name()).or_default() += 1;
    }
    let mut names: Vec<String> = count
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .map(|(n, _)| n.to_owned())
        .collect();
    names.sort();
    (!names.is_empty()).then_some(Problem::DuplicateNodeNames { names })
}

fn transcoding_problems(nodes: &[Arc<Node>]) -> Option<Problem> {
    let mut plain = HashSet::new();
    let mut transcoded = HashSet::new();
    for name in nodes
        .iter()
        .flat_map(|n| n.inputs().iter().chain(n.outputs()))
    {
        if is_transcoded(name) {
            transcoded.insert(base_name(name));
        } else {
            plain.insert(name.as_str());
        }
    }
    let mut both: Vec<String> = transcoded
        .intersection(&plain)
        .map(|s| (*s).to_owned())
        .collect();
    both.sort();
    (!both.is_empty()).then_some(Problem::TranscodingWithoutSeparator { datasets: both })
}

fn output_problems(nodes: &[Arc<Node>]) -> Vec<Problem> {
    let mut writers: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for n in nodes {
        for o in n.outputs() {
            writers
                .entry(base_name(o))
                .or_default()
                .insert(n.node_name());
        }
    }
    let mut out: Vec<Problem> = writers
        .into_iter()
        .filter(|(_, ws)| ws.len() > 1)
        .map(|(d, ws)| Problem::OutputNotUnique {
            dataset: d.to_owned(),
            nodes: ws.into_iter().map(str::to_owned).collect(),
        })
        .collect();
    out.sort_by_key(ToString::to_string);
    out
}
