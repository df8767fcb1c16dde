//! `--only-missing-outputs`: keep the nodes whose persisted outputs do not exist yet, and
//! the producers of in-memory inputs those nodes need (Kedro §6.7).

use kedrust_catalog::Catalog;
use kedrust_pipeline::{Filter, Pipeline};
use std::collections::BTreeSet;

/// The nodes to run, or the whole pipeline's complement: `(to run, skipped)`.
pub fn select(pipeline: &Pipeline, catalog: &Catalog) -> (Vec<String>, Vec<String>) {
    let missing = |name: &str| {
        !catalog.contains(name)
            || catalog.is_ephemeral(name)
            || !catalog.exists(name).unwrap_or(false)
    };
    let mut selected: BTreeSet<String> = BTreeSet::new();
    let nodes: Vec<_> = pipeline.nodes().collect();
    let mut consumers: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for n in &nodes {
        for i in n.inputs() {
            consumers.entry(i.as_str()).or_default().push(n.node_name());
        }
    }
    for node in nodes.iter().rev() {
        let no_outputs = node.outputs().is_empty();
        let persisted_missing = node.outputs().iter().any(|o| {
            catalog.contains(o) && !catalog.is_ephemeral(o) && !catalog.exists(o).unwrap_or(false)
        });
        let needed_by_selected = node.outputs().iter().any(|o| {
            missing(o)
                && consumers
                    .get(o.as_str())
                    .is_some_and(|cs| cs.iter().any(|c| selected.contains(*c)))
        });
        if no_outputs || persisted_missing || needed_by_selected {
            selected.insert(node.node_name().to_owned());
        }
    }
    let (run, skip): (Vec<&str>, Vec<&str>) = pipeline
        .node_names()
        .into_iter()
        .partition(|n| selected.contains(*n));
    (
        run.into_iter().map(str::to_owned).collect(),
        skip.into_iter().map(str::to_owned).collect(),
    )
}

/// The pipeline restricted to `names` (an empty selection gives an empty pipeline).
pub fn restrict(pipeline: &Pipeline, names: &[String]) -> Pipeline {
    if names.is_empty() {
        return Pipeline::new(Vec::<kedrust_pipeline::Node>::new())
            .unwrap_or_else(|_| pipeline.clone());
    }
    pipeline
        .filter(&Filter {
            node_names: names.to_vec(),
            ..Filter::default()
        })
        .unwrap_or_else(|_| pipeline.clone())
}
