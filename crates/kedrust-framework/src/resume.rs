//! After a failure: which nodes to resume from, computed as Kedro computes it (§6.6), so the
//! suggested `--from-nodes` re-creates every in-memory input the remaining nodes need.

use kedrust_catalog::Catalog;
use kedrust_pipeline::Pipeline;
use kedrust_pipeline::naming::{ALL_PARAMETERS, PARAMS_PREFIX, is_parameter};
use std::collections::{BTreeSet, VecDeque};

/// The message to print, or `None` when every node ran.
pub fn suggestion(pipeline: &Pipeline, catalog: &Catalog, done: &[String]) -> Option<String> {
    if done.is_empty() {
        return Some("no nodes ran; repeat the previous command to attempt a new run".into());
    }
    let done: BTreeSet<&str> = done.iter().map(String::as_str).collect();
    let remaining: Vec<&str> = pipeline
        .node_names()
        .into_iter()
        .filter(|n| !done.contains(n))
        .collect();
    if remaining.is_empty() {
        return None;
    }
    let start = start_nodes(pipeline, catalog, &remaining)?;
    Some(format!(
        "there are {} nodes that have not run; resume from the nearest nodes with persisted \
         inputs by adding this to the previous command:\n  --from-nodes \"{}\"",
        remaining.len(),
        start.join(",")
    ))
}

fn start_nodes(pipeline: &Pipeline, catalog: &Catalog, remaining: &[&str]) -> Option<Vec<String>> {
    let rest = pipeline.only_nodes(remaining).ok()?;
    let free_inputs = rest.inputs();
    let mut queue: VecDeque<&str> = rest
        .nodes()
        .filter(|n| n.inputs().iter().any(|i| free_inputs.contains(i)))
        .map(|n| n.node_name())
        .collect();
    let mut visited: BTreeSet<&str> = BTreeSet::new();
    let producers: std::collections::HashMap<&str, &str> = pipeline
        .nodes()
        .flat_map(|n| n.outputs().iter().map(move |o| (o.as_str(), n.node_name())))
        .collect();
    while let Some(name) = queue.pop_front() {
        if !visited.insert(name) {
            continue;
        }
        let Some(node) = pipeline.node(name) else {
            continue;
        };
        for input in node.inputs() {
            // Kedro: `params:x` is persistent, but `parameters` counts as ephemeral.
            let persistent = input.starts_with(PARAMS_PREFIX)
                || (input != ALL_PARAMETERS && !catalog.is_ephemeral(input));
            if !persistent && let Some(producer) = producers.get(input.as_str()) {
                queue.push_back(producer);
            }
        }
    }
    let mut to_run: BTreeSet<&str> = remaining.iter().copied().collect();
    to_run.extend(visited);
    let names: Vec<&str> = to_run.into_iter().collect();
    let downstream = pipeline.from_nodes(&names).ok()?;
    let selected = pipeline.only_nodes(&downstream.node_names()).ok()?;
    let first = selected
        .grouped_nodes()
        .first()?
        .iter()
        .map(|n| n.node_name().to_owned())
        .collect();
    Some(first)
}

/// The nodes a resumed run must run: the ones that did not succeed, plus the producers of
/// every in-memory input they need (memory does not outlive a run), transitively; in the
/// pipeline's order.
pub fn nodes_to_rerun(pipeline: &Pipeline, catalog: &Catalog, remaining: &[&str]) -> Vec<String> {
    let producers: std::collections::HashMap<&str, &str> = pipeline
        .nodes()
        .flat_map(|n| n.outputs().iter().map(move |o| (o.as_str(), n.node_name())))
        .collect();
    let mut chosen: BTreeSet<&str> = BTreeSet::new();
    let mut queue: VecDeque<&str> = remaining.iter().copied().collect();
    while let Some(name) = queue.pop_front() {
        if !chosen.insert(name) {
            continue;
        }
        let Some(node) = pipeline.node(name) else {
            continue;
        };
        for input in node.inputs() {
            let in_memory = !is_parameter(input) && catalog.is_ephemeral(input);
            if in_memory && let Some(producer) = producers.get(input.as_str()) {
                queue.push_back(producer);
            }
        }
    }
    pipeline
        .node_names()
        .into_iter()
        .filter(|n| chosen.contains(n))
        .map(str::to_owned)
        .collect()
}
