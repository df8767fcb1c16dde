//! How a job's nodes become ops (`group_by` and `groups` in `dagster.yml`, `run --group-by`):
//! one op per node (the default), one per top-level namespace, one per set of nodes joined by
//! memory datasets, or named groups chosen by node selectors. A group op runs its nodes in one
//! process, in order, passing memory datasets in memory.
//!
//! Checked before anything runs: a selector that selects nothing, a node two groups select,
//! and groups that would depend on each other both ways.

use kedrust_catalog::Catalog;
use kedrust_pipeline::Pipeline;
use kedrust_pipeline::naming::base_name;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How nodes become ops.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Grouping {
    /// One op per node.
    #[default]
    Node,
    /// One op per top-level namespace; nodes outside namespaces are ops of their own.
    Namespace,
    /// One op per set of nodes joined by memory datasets (kedro-airflow's "group in memory").
    Memory,
    /// Named groups; nodes no group selects are ops of their own.
    Groups {
        /// The groups, in `dagster.yml` order.
        groups: Vec<NodeGroup>,
    },
}

impl Grouping {
    /// The names `--group-by` and `group_by` take.
    pub const NAMES: [&'static str; 3] = ["node", "namespace", "memory"];

    /// The grouping named `name` (one of [`Grouping::NAMES`]).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "node" => Some(Self::Node),
            "namespace" => Some(Self::Namespace),
            "memory" => Some(Self::Memory),
            _ => None,
        }
    }
}

/// A named group: the nodes with any of its tags, in any of its namespaces, or named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGroup {
    /// The group's name (its op's name).
    pub name: String,
    /// Nodes with any of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Nodes in any of these namespaces (or below them).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Nodes with these names.
    #[serde(default)]
    pub nodes: Vec<String>,
}

/// Nodes that run as one op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its name: the node's own for a node alone.
    pub name: String,
    /// Its nodes, in execution order.
    pub nodes: Vec<String>,
    /// Whether it is a node alone because no grouping took it (an op of one node).
    pub alone: bool,
}

/// The groups of `pipeline`, in execution order of their first nodes, covering every node.
/// `whole` says that `pipeline` is the job's whole pipeline: selectors are checked against it
/// (a run of some of its nodes, a resumed run, may leave a group empty).
pub fn groups(
    grouping: &Grouping,
    pipeline: &Pipeline,
    catalog: &Catalog,
    whole: bool,
) -> Result<Vec<Group>, Vec<String>> {
    let order = pipeline.node_names();
    let mut group_of: BTreeMap<&str, String> = BTreeMap::new();
    let mut problems = Vec::new();
    match grouping {
        Grouping::Node => {}
        Grouping::Namespace => {
            for node in pipeline.nodes() {
                if let Some(top) = node.namespace_prefixes().first() {
                    group_of.insert(node.node_name(), (*top).to_owned());
                }
            }
        }
        Grouping::Memory => {
            for component in memory_components(pipeline, catalog) {
                if component.len() > 1 {
                    let name = format!("memory_{}", component[0]);
                    for node in component.iter().filter_map(|n| pipeline.node(n)) {
                        group_of.insert(node.node_name(), name.clone());
                    }
                }
            }
        }
        Grouping::Groups { groups } => {
            for group in groups {
                let selected: Vec<&str> = pipeline
                    .nodes()
                    .filter(|n| {
                        group.nodes.iter().any(|name| name == n.node_name())
                            || group.tags.iter().any(|t| n.tag_set().contains(t))
                            || n.namespace_prefixes()
                                .iter()
                                .any(|ns| group.namespaces.iter().any(|g| g == ns))
                    })
                    .map(|n| n.node_name())
                    .collect();
                if whole {
                    for name in &group.nodes {
                        if pipeline.node(name).is_none() {
                            let hint = kedrust_pipeline::suggest::hint(name, pipeline.node_names());
                            problems.push(format!(
                                "group '{}' names node '{name}', which is not in the \
                                 pipeline{hint}",
                                group.name
                            ));
                        }
                    }
                }
                if selected.is_empty() && whole {
                    problems.push(format!(
                        "group '{}' selects no node of the pipeline (tags {:?}, namespaces {:?}, \
                         nodes {:?})",
                        group.name, group.tags, group.namespaces, group.nodes
                    ));
                }
                for node in selected {
                    if let Some(other) = group_of.insert(node, group.name.clone()) {
                        problems.push(format!(
                            "node '{node}' is in groups '{other}' and '{}': a node runs in one op",
                            group.name
                        ));
                    }
                }
            }
        }
    }
    let mut out: Vec<Group> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for node in &order {
        match group_of.get(node) {
            Some(name) => match index.get(name) {
                Some(i) => out[*i].nodes.push((*node).to_owned()),
                None => {
                    index.insert(name.clone(), out.len());
                    out.push(Group {
                        name: name.clone(),
                        nodes: vec![(*node).to_owned()],
                        alone: false,
                    });
                }
            },
            None => out.push(Group {
                name: (*node).to_owned(),
                nodes: vec![(*node).to_owned()],
                alone: true,
            }),
        }
    }
    if let Some(cycle) = cycle_between(pipeline, &out) {
        problems.push(format!(
            "the groups would depend on each other in a cycle: {}; name groups that do not \
             (`groups`), or put fewer nodes in one",
            cycle.join(" -> ")
        ));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Nodes joined by memory datasets (a value that lives in one process), each set in
/// execution order, the sets in execution order of their first nodes.
pub(crate) fn memory_components(pipeline: &Pipeline, catalog: &Catalog) -> Vec<Vec<String>> {
    let producer: BTreeMap<&str, &str> = pipeline
        .nodes()
        .flat_map(|n| {
            n.outputs()
                .iter()
                .map(move |o| (base_name(o), n.node_name()))
        })
        .collect();
    let names: Vec<&str> = pipeline.node_names();
    let mut leader: BTreeMap<&str, &str> = names.iter().map(|n| (*n, *n)).collect();
    fn root<'a>(leader: &BTreeMap<&'a str, &'a str>, mut n: &'a str) -> &'a str {
        while leader[n] != n {
            n = leader[n];
        }
        n
    }
    for node in pipeline.nodes() {
        for input in node.inputs().iter().filter(|i| catalog.holds_in_memory(i)) {
            if let Some(p) = producer.get(base_name(input)) {
                let (a, b) = (root(&leader, p), root(&leader, node.node_name()));
                if a != b {
                    leader.insert(a, b);
                }
            }
        }
    }
    let mut sets: Vec<Vec<String>> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for name in &names {
        let r = root(&leader, name);
        let i = *index.entry(r).or_insert_with(|| {
            sets.push(Vec::new());
            sets.len() - 1
        });
        sets[i].push((*name).to_owned());
    }
    sets
}

/// A cycle among `groups` (their names, the first repeated at the end), if their nodes'
/// dependencies make one.
fn cycle_between(pipeline: &Pipeline, groups: &[Group]) -> Option<Vec<String>> {
    let group_of: BTreeMap<&str, usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(i, g)| g.nodes.iter().map(move |n| (n.as_str(), i)))
        .collect();
    let deps = pipeline.node_dependencies();
    let mut after: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); groups.len()];
    for (node, parents) in &deps {
        let Some(&child) = group_of.get(*node) else {
            continue;
        };
        for parent in parents {
            if let Some(&p) = group_of.get(*parent)
                && p != child
            {
                after[child].insert(p);
            }
        }
    }
    // Depth-first search; a group met again on the current path closes a cycle.
    fn visit(
        g: usize,
        after: &[BTreeSet<usize>],
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[g] = 1;
        path.push(g);
        for &p in &after[g] {
            if state[p] == 1 {
                let start = path.iter().position(|x| *x == p).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(p);
                return Some(cycle);
            }
            if state[p] == 0
                && let Some(c) = visit(p, after, state, path)
            {
                return Some(c);
            }
        }
        path.pop();
        state[g] = 2;
        None
    }
    let mut state = vec![0u8; groups.len()];
    for g in 0..groups.len() {
        if state[g] == 0
            && let Some(mut cycle) = visit(g, &after, &mut state, &mut Vec::new())
        {
            // Found walking from consumers to producers: said in the data's direction.
            cycle.reverse();
            return Some(cycle.into_iter().map(|i| groups[i].name.clone()).collect());
        }
    }
    None
}
