//! The dependency graph of a set of nodes: edges by base dataset name, Kahn's layers with a
//! stable order inside each layer, and a readable cycle when there is one.

use crate::naming::base_name;
use crate::node::Node;
use std::collections::HashMap;
use std::sync::Arc;

/// Nodes in topological order with their layers and edges, indices into `order`.
pub(crate) struct Sorted {
    pub order: Vec<Arc<Node>>,
    pub layer_starts: Vec<usize>,
    pub parents: Vec<Vec<u32>>,
    pub children: Vec<Vec<u32>>,
}

/// Parents of each node (indices into `nodes`), by the base names of inputs and outputs.
/// When several nodes write one dataset, the first is taken: that is reported elsewhere.
pub(crate) fn parent_lists(nodes: &[Arc<Node>]) -> Vec<Vec<u32>> {
    let mut producer: HashMap<&str, u32> = HashMap::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        for o in n.outputs() {
            producer.entry(base_name(o)).or_insert(i as u32);
        }
    }
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut ps: Vec<u32> = n
                .inputs()
                .iter()
                .filter_map(|input| producer.get(base_name(input)).copied())
                .filter(|&p| p != i as u32)
                .collect();
            ps.sort_unstable();
            ps.dedup();
            ps
        })
        .collect()
}

/// Sorts into layers, or returns one cycle (node names, the first repeated at the end).
pub(crate) fn sort(nodes: Vec<Arc<Node>>) -> Result<Sorted, Vec<String>> {
    let parents = parent_lists(&nodes);
    let n = nodes.len();
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut pending: Vec<usize> = vec![0; n];
    for (i, ps) in parents.iter().enumerate() {
        pending[i] = ps.len();
        for &p in ps {
            children[p as usize].push(i as u32);
        }
    }
    let mut layer: Vec<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
    let mut order_idx: Vec<usize> = Vec::with_capacity(n);
    let mut layer_starts = Vec::new();
    while !layer.is_empty() {
        layer.sort_unstable_by(|&a, &b| nodes[a].cmp(&nodes[b]));
        layer_starts.push(order_idx.len());
        let mut next = Vec::new();
        for &i in &layer {
            for &c in &children[i] {
                pending[c as usize] -= 1;
                if pending[c as usize] == 0 {
                    next.push(c as usize);
                }
            }
        }
        order_idx.extend_from_slice(&layer);
        layer = next;
    }
    if order_idx.len() < n {
        return Err(find_cycle(&nodes, &parents, &pending));
    }
    let mut position = vec![0u32; n];
    for (pos, &i) in order_idx.iter().enumerate() {
        position[i] = pos as u32;
    }
    let remap = |list: &Vec<u32>| {
        let mut v: Vec<u32> = list.iter().map(|&j| position[j as usize]).collect();
        v.sort_unstable();
        v
    };
    let new_parents = order_idx.iter().map(|&i| remap(&parents[i])).collect();
    let new_children = order_idx.iter().map(|&i| remap(&children[i])).collect();
    let order = order_idx.iter().map(|&i| Arc::clone(&nodes[i])).collect();
    Ok(Sorted {
        order,
        layer_starts,
        parents: new_parents,
        children: new_children,
    })
}

/// Walks from the first unsorted node (by name) to an unsorted parent until a node repeats.
/// Every unsorted node has one, so the walk ends on a cycle.
fn find_cycle(nodes: &[Arc<Node>], parents: &[Vec<u32>], pending: &[usize]) -> Vec<String> {
    let stuck = |i: usize| pending[i] > 0;
    let start = (0..nodes.len())
        .filter(|&i| stuck(i))
        .min_by(|&a, &b| nodes[a].cmp(&nodes[b]))
        .expect("called only when some node is unsorted");
    let mut path = vec![start];
    let mut seen_at: HashMap<usize, usize> = HashMap::from([(start, 0)]);
    let mut current = start;
    loop {
        let next = parents[current]
            .iter()
            .map(|&p| p as usize)
            .filter(|&p| stuck(p))
            .min_by(|&a, &b| nodes[a].cmp(&nodes[b]))
            .expect("an unsorted node has an unsorted parent");
        if let Some(&at) = seen_at.get(&next) {
            let mut cycle: Vec<String> = path[at..]
                .iter()
                .rev()
                .map(|&i| nodes[i].node_name().to_owned())
                .collect();
            // Start the printed cycle at its smallest name, so the message is stable.
            let first = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap_or(0);
            cycle.rotate_left(first);
            cycle.push(cycle[0].clone());
            return cycle;
        }
        seen_at.insert(next, path.len());
        path.push(next);
        current = next;
    }
}
