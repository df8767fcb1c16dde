//! Fan-out: one run in which every node that writes partitioned datasets runs once per key,
//! as a node (an op) of its own, as kedro-dagster runs partitioned pipelines, without its
//! defects: chains of partitioned datasets work, and a node that reads a partitioned dataset
//! without writing one (a fan-in) gets every key of it.
//!
//! The pipeline is expanded before it is planned, so the runners, the hooks and Dagster see
//! ordinary nodes: `node__<key>` reads and writes `dataset__<key>`, names the catalog knows as
//! the key's slice of `dataset`. Every process of the run expands it alike.

use crate::options::SessionError;
use kedrust_catalog::{Catalog, MappedRead, PartitionMap};
use kedrust_pipeline::{ArgKind, Node, PartitionValues, Pipeline, TypeTag, Value, naming};
use std::collections::{BTreeMap, BTreeSet};

/// `name` for key `key`: the key's characters a node name cannot hold become `_`.
fn for_key(name: &str, key: &str) -> String {
    let key: String = key
        .chars()
        .map(|c| if naming::is_name_char(c) { c } else { '_' })
        .collect();
    format!("{name}__{key}")
}

/// The name of `dataset`'s slice `key`, made known to the catalog.
fn slice(catalog: &Catalog, dataset: &str, key: &str) -> String {
    let alias = for_key(dataset, key);
    catalog.alias_partition(&alias, dataset, key);
    alias
}

/// `pipeline` with every node that writes partitioned datasets copied once per key, and the
/// catalog told which slice each copy's datasets are; every problem, each naming its node or
/// dataset.
fn expand(
    pipeline: &Pipeline,
    catalog: &Catalog,
    keys: &[String],
) -> Result<Pipeline, SessionError> {
    let mut problems = Vec::new();
    let mut problem = |dataset: &str, message: String| {
        problems.push(crate::partitioned::dataset_problem(
            catalog, dataset, message,
        ));
    };
    let names: BTreeSet<String> = keys.iter().map(|k| for_key("", k)).collect();
    if names.len() != keys.len() {
        problem(
            "*",
            "two partition keys differ only in characters a node name cannot hold, so their \
             copies would share a name"
                .into(),
        );
    }
    let partitioned = |d: &str| catalog.partitions(d).is_some();
    let fanned: BTreeSet<&str> = pipeline
        .nodes()
        .filter(|n| n.outputs().iter().any(|o| partitioned(o)))
        .map(Node::node_name)
        .collect();
    // Datasets the copies write, by the partitioned dataset they are a slice of.
    let mut sliced: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    for node in pipeline.nodes() {
        if fanned.contains(node.node_name()) {
            let mixed: Vec<&String> = node
                .outputs()
                .iter()
                .filter(|o| !partitioned(o) && !catalog.carries_nothing(o))
                .collect();
            if !mixed.is_empty() {
                let list = mixed.iter().map(|o| format!("'{o}'")).collect::<Vec<_>>();
                problem(
                    mixed[0],
                    format!(
                        "node '{}' writes partitioned datasets and {}, which is not: a fan-out \
                         runs the node once per key, so every output it writes must be \
                         partitioned (or a nothing dataset)",
                        node.node_name(),
                        list.join(", ")
                    ),
                );
                continue;
            }
            let mapped: Vec<&String> = node
                .inputs()
                .iter()
                .filter(|i| {
                    node.outputs()
                        .iter()
                        .any(|o| catalog.partition_mapping(i, o).is_some())
                })
                .collect();
            if let Some(input) = mapped.first() {
                problem(
                    input,
                    format!(
                        "node '{}' reads it through a partition mapping, which a fan-out does \
                         not apply yet: run its keys one run each (backfill) instead",
                        node.node_name()
                    ),
                );
                continue;
            }
            for key in keys {
                let of_key = |d: &String| {
                    if partitioned(d) || catalog.carries_nothing(d) {
                        slice(catalog, d, key)
                    } else {
                        d.clone()
                    }
                };
                let inputs = node.inputs().iter().map(of_key).collect();
                let outputs: Vec<String> = node.outputs().iter().map(of_key).collect();
                for (o, alias) in node.outputs().iter().zip(&outputs) {
                    sliced.entry(o).or_default().push(alias.clone());
                }
                let name = for_key(node.node_name(), key);
                nodes.push(node.for_partition(key, name, inputs, outputs));
            }
            continue;
        }
        nodes.push(node.clone());
    }
    // Fan-ins: a node that takes a partitioned dataset whole (`Partitions<T>`) reads every
    // key's slice: the copies' outputs, so that it runs after them, or the catalog's slices
    // of a dataset no node writes. One that takes a `PartitionMap` of a dataset no node
    // writes gets the catalog's lazy map.
    let map_type = TypeTag::of::<PartitionMap>();
    for node in nodes.iter_mut().filter(|n| n.partition().is_none()) {
        let inputs: Vec<(usize, String)> = node
            .inputs()
            .iter()
            .cloned()
            .enumerate()
            .filter(|(_, i)| partitioned(i))
            .collect();
        // Replaced from the last, so that the earlier positions stay where they are.
        for (position, input) in inputs.into_iter().rev() {
            let arg = node.input_types()[position];
            let produced = sliced.get(input.as_str());
            if arg.kind == ArgKind::Partitions {
                let parts: Vec<String> = match produced {
                    Some(parts) => parts.clone(),
                    None => keys.iter().map(|key| slice(catalog, &input, key)).collect(),
                };
                let keys = keys.to_vec();
                *node = node.gathering(position, parts, arg.held, move |values| {
                    Value::new(PartitionValues(keys.iter().cloned().zip(values).collect()))
                });
            } else if arg.held == map_type && produced.is_none() {
                catalog.map_partitions(
                    &input,
                    MappedRead {
                        keys: keys.to_vec(),
                        several: true,
                    },
                );
            } else {
                problem(
                    &input,
                    format!(
                        "node '{}' reads it whole in a fan-out: it takes every key as \
                         Partitions<{}>, not as {}",
                        node.node_name(),
                        arg.held.short_name(),
                        arg.declared.short_name()
                    ),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(kedrust_catalog::ConfigProblems { problems }.into());
    }
    Pipeline::new(nodes).map_err(|e| SessionError::Selection(e.to_string()))
}

/// The pipeline a fan-out run of `options` runs: `pipeline` expanded over the keys its
/// partitioned datasets share (dynamic ones as the run store has them).
pub(crate) fn expand_for(
    project: &crate::project::Project,
    project_path: &std::path::Path,
    (pipeline, catalog): (&Pipeline, &Catalog),
    options: &crate::options::RunOptions,
) -> Result<Pipeline, SessionError> {
    if let Some(key) = &options.partition {
        return Err(SessionError::Selection(format!(
            "--partition {key} and a fan-out: a fan-out runs every key in one run; give one or \
             the other"
        )));
    }
    let def = crate::partitioned::shared_partitions(pipeline, catalog)?.ok_or_else(|| {
        SessionError::Selection(
            "nothing to fan out: no dataset of the pipeline is partitioned".into(),
        )
    })?;
    let store = crate::settings::open_store(project, project_path)?;
    let def = crate::dynamic_keys::with_known_keys(def, &store)?;
    let keys = def.keys(chrono::Utc::now()).unwrap_or_default();
    if keys.is_empty() {
        return Err(SessionError::Selection(
            "nothing to fan out: the partitions have no key yet".into(),
        ));
    }
    expand(pipeline, catalog, &keys)
}
