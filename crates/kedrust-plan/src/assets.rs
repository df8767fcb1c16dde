//! The asset graph of a pipeline: every persisted dataset with the persisted datasets it is
//! computed from (through memory and nothing datasets, transitively), the raw inputs no node
//! produces, and the asset ops: the nodes joined by memory datasets, which must run in one
//! step because the data between them lives in one run's memory.
//!
//! Transcoded names (`cars@pandas`, `cars@polars`) are one asset, named by their base name.

use kedrust_catalog::Catalog;
use kedrust_pipeline::Pipeline;
use kedrust_pipeline::naming::{base_name, is_parameter};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A dataset some node produces, as an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// The dataset (its base name).
    pub dataset: String,
    /// The persisted datasets it is computed from, sorted.
    pub deps: Vec<String>,
    /// The node that produces it.
    pub node: String,
    /// The asset op that materialises it.
    pub op: String,
}

/// Nodes that run in one step when any of their assets is materialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetOp {
    /// A valid Dagster name: the first node's op name, `_asset` added.
    pub name: String,
    /// Its nodes, in execution order.
    pub nodes: Vec<String>,
}

/// The asset graph of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetGraph {
    /// Produced persisted datasets, sorted by name.
    pub assets: Vec<Asset>,
    /// Persisted datasets that no node produces (source assets), sorted.
    pub sources: Vec<String>,
    /// The asset ops, in execution order of their first nodes.
    pub ops: Vec<AssetOp>,
}

impl AssetGraph {
    /// The graph of `pipeline` with the datasets `catalog` persists.
    pub fn build(pipeline: &Pipeline, catalog: &Catalog) -> Self {
        let persisted = |d: &str| !is_parameter(d) && !catalog.is_ephemeral(d);
        let producer = producers(pipeline);
        // Persisted datasets upstream of each node, through datasets that are not persisted.
        let mut upstream: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for node in pipeline.nodes() {
            let mut found = BTreeSet::new();
            for input in node.inputs() {
                if persisted(input) {
                    found.insert(base_name(input).to_owned());
                } else if let Some(p) = producer.get(base_name(input)) {
                    // Execution order: the producer's set is known already.
                    found.extend(upstream.get(p).into_iter().flatten().cloned());
                }
            }
            upstream.insert(node.node_name(), found);
        }
        let mut op_of_node = BTreeMap::new();
        let mut ops = Vec::new();
        let mut assets = BTreeMap::new();
        // Nodes joined by a memory dataset share a step.
        for nodes in crate::grouping::memory_components(pipeline, catalog) {
            let outputs: Vec<(&str, &str)> = nodes
                .iter()
                .filter_map(|n| pipeline.node(n))
                .flat_map(|n| {
                    n.outputs()
                        .iter()
                        .filter(|o| persisted(o))
                        .map(move |o| (base_name(o), n.node_name()))
                })
                .collect();
            if outputs.is_empty() {
                continue; // nothing to materialise: such nodes run in jobs only
            }
            let name = format!("{}_asset", crate::op_name(&nodes[0]));
            for (dataset, node) in outputs {
                let deps = upstream
                    .get(node)
                    .map(|d| d.iter().filter(|d| *d != dataset).cloned().collect())
                    .unwrap_or_default();
                assets.insert(
                    dataset.to_owned(),
                    Asset {
                        dataset: dataset.to_owned(),
                        deps,
                        node: node.to_owned(),
                        op: name.clone(),
                    },
                );
            }
            for n in &nodes {
                op_of_node.insert(n.clone(), name.clone());
            }
            ops.push(AssetOp { name, nodes });
        }
        let sources = pipeline
            .inputs()
            .into_iter()
            .filter(|d| persisted(d) && !producer.contains_key(base_name(d)))
            .map(|d| base_name(&d).to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Self {
            assets: assets.into_values().collect(),
            sources,
            ops,
        }
    }

    /// The asset of `dataset`, if a node produces it.
    pub fn asset(&self, dataset: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.dataset == dataset)
    }

    /// The nodes a run that materialises `selected` runs, in `pipeline`'s execution order: the
    /// producers of the selected assets and, transitively, of the memory datasets those read
    /// (persisted inputs are read as they are). An unknown name is an error naming the
    /// nearest asset.
    pub fn nodes_for(
        &self,
        pipeline: &Pipeline,
        catalog: &Catalog,
        selected: &[String],
    ) -> Result<Vec<String>, String> {
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        for dataset in selected {
            match self.asset(dataset) {
                Some(a) => {
                    wanted.insert(a.node.clone());
                }
                None => {
                    let names = self.assets.iter().map(|a| a.dataset.as_str());
                    let hint = kedrust_pipeline::suggest::hint(dataset, names);
                    return Err(format!("'{dataset}' is not an asset of this project{hint}"));
                }
            }
        }
        let producer = producers(pipeline);
        // Walk up in reverse execution order: a node's memory inputs come from earlier nodes.
        let order: Vec<&str> = pipeline.node_names();
        for name in order.iter().rev() {
            if !wanted.contains(*name) {
                continue;
            }
            let Some(node) = pipeline.node(name) else {
                continue;
            };
            for input in node.inputs().iter().filter(|i| catalog.holds_in_memory(i)) {
                if let Some(p) = producer.get(base_name(input)) {
                    wanted.insert((*p).to_owned());
                }
            }
        }
        Ok(order
            .into_iter()
            .filter(|n| wanted.contains(*n))
            .map(str::to_owned)
            .collect())
    }
}

/// The node that produces each dataset of `pipeline`, by base name.
fn producers(pipeline: &Pipeline) -> BTreeMap<&str, &str> {
    pipeline
        .nodes()
        .flat_map(|n| {
            n.outputs()
                .iter()
                .map(move |o| (base_name(o), n.node_name()))
        })
        .collect()
}
