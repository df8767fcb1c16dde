//! Filters with Kedro's semantics: each selects a subset of the original nodes; `filter`
//! applies every given filter to the original pipeline and intersects the results.

use crate::naming::base_name;
use crate::node::Node;
use crate::pipeline::Pipeline;
use crate::problem::quoted;
use crate::suggest::close_matches;
use std::collections::{BTreeSet, HashSet};
use std::fmt;

/// The seven filters of `kedro run`; empty lists are not applied.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Filter {
    /// Nodes with any of these tags.
    pub tags: Vec<String>,
    /// These nodes and everything downstream.
    pub from_nodes: Vec<String>,
    /// These nodes and everything upstream.
    pub to_nodes: Vec<String>,
    /// Exactly these nodes.
    pub node_names: Vec<String>,
    /// Consumers of these datasets and everything downstream.
    pub from_inputs: Vec<String>,
    /// Producers of these datasets and everything upstream.
    pub to_outputs: Vec<String>,
    /// Nodes in these namespaces (whole segments).
    pub node_namespaces: Vec<String>,
}

/// One reason a filter could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterProblem {
    /// Node names the pipeline does not have.
    UnknownNodes {
        /// The names.
        names: Vec<String>,
        /// Existing names that may have been meant.
        hints: Vec<String>,
    },
    /// Dataset names the pipeline does not use.
    UnknownDatasets {
        /// The names.
        names: Vec<String>,
        /// Existing datasets that may have been meant.
        hints: Vec<String>,
    },
    /// Namespaces no node is in.
    UnknownNamespaces {
        /// The namespaces.
        names: Vec<String>,
        /// Existing namespaces that may have been meant.
        hints: Vec<String>,
    },
    /// Every node was filtered out.
    Empty {
        /// Tags asked for that no node has (Kedro runs the nodes of the other tags, so an
        /// unknown tag is only a problem when nothing is left).
        unknown_tags: Vec<String>,
        /// Existing tags that may have been meant.
        hints: Vec<String>,
    },
}

impl fmt::Display for FilterProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hint = |hints: &[String]| {
            if hints.is_empty() {
                String::new()
            } else {
                format!("; did you mean {}?", quoted(hints))
            }
        };
        match self {
            Self::UnknownNodes { names, hints } => {
                write!(f, "pipeline does not contain nodes named {}{}", quoted(names), hint(hints))
            }
            Self::UnknownDatasets { names, hints } => write!(
                f,
                "pipeline does not contain datasets named {}{}",
                quoted(names),
                hint(hints)
            ),
            Self::UnknownNamespaces { names, hints } => write!(
                f,
                "pipeline does not contain nodes with the following namespaces: {}{}",
                quoted(names),
                hint(hints)
            ),
            Self::Empty {
                unknown_tags,
                hints,
            } if !unknown_tags.is_empty() => {
                write!(f, "no node is tagged {}", quoted(unknown_tags))?;
                if !hints.is_empty() {
                    write!(f, " (did you mean {}?)", quoted(hints))?;
                }
                f.write_str(": the filters leave no node to run")
            }
            Self::Empty { .. } => f.write_str(
                "pipeline contains no nodes after applying all provided filters; ensure that at least one pipeline with nodes has been defined",
            ),
        }
    }
}

/// Every problem found while filtering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FilterError {
    /// The problems.
    pub problems: Vec<FilterProblem>,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl From<FilterProblem> for FilterError {
    fn from(p: FilterProblem) -> Self {
        Self { problems: vec![p] }
    }
}

type Selection = Vec<bool>;

impl Pipeline {
    /// Exactly the named nodes.
    pub fn only_nodes<S: AsRef<str>>(&self, names: &[S]) -> Result<Pipeline, FilterError> {
        let sel = self.select_nodes(names)?;
        Ok(self.keep(&sel))
    }

    /// Nodes that have any of the tags (none when no tag is given).
    pub fn only_nodes_with_tags<S: AsRef<str>>(&self, tags: &[S]) -> Pipeline {
        self.keep(&self.select_tags(tags))
    }

    /// Nodes whose namespace is one of these or lies inside one of them.
    pub fn only_nodes_with_namespaces<S: AsRef<str>>(
        &self,
        namespaces: &[S],
    ) -> Result<Pipeline, FilterError> {
        Ok(self.keep(&self.select_namespaces(namespaces)?))
    }

    /// Nodes reading any of these datasets directly.
    pub fn only_nodes_with_inputs<S: AsRef<str>>(
        &self,
        datasets: &[S],
    ) -> Result<Pipeline, FilterError> {
        Ok(self.keep(&self.select_consumers(datasets)?))
    }

    /// Nodes writing any of these datasets directly.
    pub fn only_nodes_with_outputs<S: AsRef<str>>(
        &self,
        datasets: &[S],
    ) -> Result<Pipeline, FilterError> {
        Ok(self.keep(&self.select_producers(datasets)?))
    }

    /// Consumers of these datasets and every node downstream of them.
    pub fn from_inputs<S: AsRef<str>>(&self, datasets: &[S]) -> Result<Pipeline, FilterError> {
        let sel = self.select_consumers(datasets)?;
        Ok(self.keep(&self.downstream(sel)))
    }

    /// Producers of these datasets and every node upstream of them.
    pub fn to_outputs<S: AsRef<str>>(&self, datasets: &[S]) -> Result<Pipeline, FilterError> {
        let sel = self.select_producers(datasets)?;
        Ok(self.keep(&self.upstream(sel)))
    }

    /// These nodes and every node downstream of them.
    pub fn from_nodes<S: AsRef<str>>(&self, names: &[S]) -> Result<Pipeline, FilterError> {
        let sel = self.select_nodes(names)?;
        Ok(self.keep(&self.downstream(sel)))
    }

    /// These nodes and every node upstream of them.
    pub fn to_nodes<S: AsRef<str>>(&self, names: &[S]) -> Result<Pipeline, FilterError> {
        let sel = self.select_nodes(names)?;
        Ok(self.keep(&self.upstream(sel)))
    }

    /// Applies every non-empty filter to this pipeline and intersects the results; reports
    /// every unknown name at once, and an empty result as an error.
    pub fn filter(&self, f: &Filter) -> Result<Pipeline, FilterError> {
        let mut problems = Vec::new();
        let mut selections: Vec<Selection> = Vec::new();
        let mut take = |r: Result<Selection, FilterError>| match r {
            Ok(s) => selections.push(s),
            Err(e) => problems.extend(e.problems),
        };
        if !f.tags.is_empty() {
            take(Ok(self.select_tags(&f.tags)));
        }
        if !f.from_nodes.is_empty() {
            take(self.select_nodes(&f.from_nodes).map(|s| self.downstream(s)));
        }
        if !f.to_nodes.is_empty() {
            take(self.select_nodes(&f.to_nodes).map(|s| self.upstream(s)));
        }
        if !f.node_names.is_empty() {
            take(self.select_nodes(&f.node_names));
        }
        if !f.from_inputs.is_empty() {
            take(
                self.select_consumers(&f.from_inputs)
                    .map(|s| self.downstream(s)),
            );
        }
        if !f.to_outputs.is_empty() {
            take(
                self.select_producers(&f.to_outputs)
                    .map(|s| self.upstream(s)),
            );
        }
        if !f.node_namespaces.is_empty() {
            take(self.select_namespaces(&f.node_namespaces));
        }
        if !problems.is_empty() {
            return Err(FilterError { problems });
        }
        let mut all = vec![true; self.len()];
        for s in &selections {
            for (a, b) in all.iter_mut().zip(s) {
                *a &= *b;
            }
        }
        if !all.contains(&true) {
            let known: BTreeSet<&str> = self
                .nodes()
                .flat_map(|n| n.tag_set().iter().map(String::as_str))
                .collect();
            let unknown_tags: Vec<String> = f
                .tags
                .iter()
                .filter(|t| !known.contains(t.as_str()))
                .cloned()
                .collect();
            let mut hints = Vec::new();
            for t in &unknown_tags {
                for h in close_matches(t, known.iter().copied(), 3, 0.6) {
                    if !hints.iter().any(|x: &String| x == h) {
                        hints.push(h.to_owned());
                    }
                }
            }
            return Err(FilterProblem::Empty {
                unknown_tags,
                hints,
            }
            .into());
        }
        Ok(self.keep(&all))
    }

    fn keep(&self, sel: &[bool]) -> Pipeline {
        self.subset(|i, _| sel[i])
    }

    fn select_nodes<S: AsRef<str>>(&self, names: &[S]) -> Result<Selection, FilterError> {
        let mut sel = vec![false; self.len()];
        let mut unknown = Vec::new();
        for name in names {
            match self.by_name.get(name.as_ref()) {
                Some(&i) => sel[i as usize] = true,
                None => unknown.push(name.as_ref().to_owned()),
            }
        }
        if unknown.is_empty() {
            return Ok(sel);
        }
        let hints = self.node_hints(&unknown);
        Err(FilterProblem::UnknownNodes {
            names: unknown,
            hints,
        }
        .into())
    }

    /// Namespaced names ending in `.{unknown}` (Kedro's hint), then close matches.
    fn node_hints(&self, unknown: &[String]) -> Vec<String> {
        let mut hints: Vec<String> = Vec::new();
        for u in unknown {
            let suffix = format!(".{u}");
            let mut namespaced: Vec<&str> = self
                .nodes()
                .map(|n| n.node_name())
                .filter(|n| n.ends_with(&suffix))
                .collect();
            if namespaced.is_empty() {
                namespaced = close_matches(u, self.nodes().map(|n| n.node_name()), 3, 0.6);
            }
            for h in namespaced {
                if !hints.iter().any(|x| x == h) {
                    hints.push(h.to_owned());
                }
            }
        }
        hints
    }

    fn select_tags<S: AsRef<str>>(&self, tags: &[S]) -> Selection {
        self.nodes()
            .map(|n| tags.iter().any(|t| n.tag_set().contains(t.as_ref())))
            .collect()
    }

    fn select_namespaces<S: AsRef<str>>(&self, namespaces: &[S]) -> Result<Selection, FilterError> {
        let in_ns = |node_ns: Option<&str>, ns: &str| {
            node_ns.is_some_and(|n| {
                n == ns || n.strip_prefix(ns).is_some_and(|rest| rest.starts_with('.'))
            })
        };
        let mut sel = vec![false; self.len()];
        let mut unknown = Vec::new();
        for ns in namespaces {
            let mut any = false;
            for (i, n) in self.nodes().enumerate() {
                if in_ns(n.namespace_name(), ns.as_ref()) {
                    sel[i] = true;
                    any = true;
                }
            }
            if !any {
                unknown.push(ns.as_ref().to_owned());
            }
        }
        if unknown.is_empty() {
            return Ok(sel);
        }
        // Every namespace and its enclosing ones: `a.b` is in `a` too.
        let known: BTreeSet<String> = self
            .nodes()
            .filter_map(|n| n.namespace_name())
            .flat_map(|ns| {
                ns.match_indices('.')
                    .map(|(i, _)| ns[..i].to_owned())
                    .chain(std::iter::once(ns.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut hints = Vec::new();
        for u in &unknown {
            for h in close_matches(u, known.iter().map(String::as_str), 3, 0.6) {
                if !hints.iter().any(|x: &String| x == h) {
                    hints.push(h.to_owned());
                }
            }
        }
        Err(FilterProblem::UnknownNamespaces {
            names: unknown,
            hints,
        }
        .into())
    }

    /// Checks dataset names: valid when used exactly or as a base name.
    fn check_datasets<S: AsRef<str>>(&self, datasets: &[S]) -> Result<(), FilterError> {
        let known: HashSet<String> = self
            .datasets()
            .into_iter()
            .flat_map(|d| [base_name(&d).to_owned(), d])
            .collect();
        let unknown: BTreeSet<String> = datasets
            .iter()
            .map(|d| d.as_ref().to_owned())
            .filter(|d| !known.contains(d))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let mut hints: Vec<String> = Vec::new();
        for u in &unknown {
            for m in close_matches(u, known.iter().map(String::as_str), 3, 0.6) {
                if !hints.iter().any(|h| h == m) {
                    hints.push(m.to_owned());
                }
            }
        }
        Err(FilterProblem::UnknownDatasets {
            names: unknown.into_iter().collect(),
            hints,
        }
        .into())
    }

    /// Nodes reading any of the datasets. A bare name matches every transcoded variant;
    /// `name@fmt` only itself.
    fn select_consumers<S: AsRef<str>>(&self, datasets: &[S]) -> Result<Selection, FilterError> {
        self.select_using(datasets, Node::inputs)
    }

    /// Nodes writing any of the datasets, matched as in [`Self::select_consumers`].
    fn select_producers<S: AsRef<str>>(&self, datasets: &[S]) -> Result<Selection, FilterError> {
        self.select_using(datasets, Node::outputs)
    }

    fn select_using<S: AsRef<str>>(
        &self,
        datasets: &[S],
        names: fn(&Node) -> &[String],
    ) -> Result<Selection, FilterError> {
        self.check_datasets(datasets)?;
        Ok(self
            .nodes()
            .map(|n| {
                datasets.iter().any(|d| {
                    names(n)
                        .iter()
                        .any(|used| dataset_matches(d.as_ref(), used))
                })
            })
            .collect())
    }

    fn downstream(&self, sel: Selection) -> Selection {
        closure(sel, &self.children)
    }

    fn upstream(&self, sel: Selection) -> Selection {
        closure(sel, &self.parents)
    }
}

fn dataset_matches(asked: &str, used: &str) -> bool {
    if asked.contains('@') {
        asked == used
    } else {
        base_name(used) == asked
    }
}

/// Everything reachable from the selection along the edges.
fn closure(mut sel: Selection, edges: &[Vec<u32>]) -> Selection {
    let mut stack: Vec<usize> = (0..sel.len()).filter(|&i| sel[i]).collect();
    while let Some(i) = stack.pop() {
        for &j in &edges[i] {
            if !sel[j as usize] {
                sel[j as usize] = true;
                stack.push(j as usize);
            }
        }
    }
    sel
}
