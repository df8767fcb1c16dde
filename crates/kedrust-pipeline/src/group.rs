//! Grouping nodes for deployment (Kedro's `group_nodes_by`): one group per node, or one per
//! top-level namespace, with the dependencies between groups.

use crate::pipeline::Pipeline;

/// How to group nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    /// One group per node.
    Node,
    /// One group per top-level namespace; nodes without one stay alone.
    Namespace,
}

/// Whether a group stands for a namespace or for a single node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// Named after a top-level namespace.
    Namespace,
    /// Named after a node.
    Nodes,
}

/// A group of nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeGroup {
    /// The group's name.
    pub name: String,
    /// What the name stands for.
    pub kind: GroupKind,
    /// Member node names, in execution order.
    pub nodes: Vec<String>,
    /// Names of the groups this one depends on, in first-seen order.
    pub dependencies: Vec<String>,
}

impl Pipeline {
    /// The groups in the order their first node runs.
    pub fn group_nodes_by(&self, by: GroupBy) -> Vec<NodeGroup> {
        let key = |i: usize| -> (String, GroupKind) {
            let n = &self.nodes[i];
            match (by, n.namespace_name()) {
                (GroupBy::Namespace, Some(ns)) => (
                    ns.split('.').next().unwrap_or(ns).to_owned(),
                    GroupKind::Namespace,
                ),
                _ => (n.node_name().to_owned(), GroupKind::Nodes),
            }
        };
        let mut groups: Vec<NodeGroup> = Vec::new();
        for i in 0..self.nodes.len() {
            let (name, kind) = key(i);
            let at = match groups.iter().position(|g| g.name == name) {
                Some(at) => at,
                None => {
                    groups.push(NodeGroup {
                        name: name.clone(),
                        kind,
                        nodes: Vec::new(),
                        dependencies: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[at].nodes.push(self.nodes[i].node_name().to_owned());
            let mut parents: Vec<usize> = self.parents[i].iter().map(|&p| p as usize).collect();
            parents.sort_by(|&a, &b| self.nodes[a].node_name().cmp(self.nodes[b].node_name()));
            for p in parents {
                let (dep, _) = key(p);
                let g = &mut groups[at];
                if dep != g.name && !g.dependencies.contains(&dep) {
                    g.dependencies.push(dep);
                }
            }
        }
        groups
    }
}
