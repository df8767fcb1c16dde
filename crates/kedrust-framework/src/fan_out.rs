//! Fan-out: one run in which every node that writes partitioned datasets runs once per key,
//! as a node (an op) of its own, as kedro-dagster runs partitioned pipelines, without its
//! defects: chains of partitioned datasets work, and a node that reads a partitioned dataset
//! without writing one (a fan-in) gets every key of it.
//!
//! The pipeline is expanded before it is planned, so the runners, the hooks and Dagster see
//! ordinary nodes: `node__<key>` reads and writes `dataset__<key>`, names the catalog knows as
//! the key's slice of `dataset`. Every process of the run expands it alike.

use crate::fan_out_reads::{MappedInput, Several, written_under_another_name};
use crate::options::SessionError;
use kedrust_catalog::{Catalog, MappedRead};
use kedrust_pipeline::{Node, PartitionValues, Pipeline, Value, naming};
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

/// `node` reading, in place of its input at `position`, the slices `parts` (keys `keys`) as
/// one `Partitions<T>`: it runs after the copies that write them.
fn gather(node: &Node, position: usize, parts: Vec<String>, keys: Vec<String>) -> Node {
    let held = node.input_types()[position].held;
    node.gathering(position, parts, held, move |values| {
        Value::new(PartitionValues(keys.iter().cloned().zip(values).collect()))
    })
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
    // A copy's names for its slices must not be entries of the catalog already: the alias
    // would hide the entry.
    let declared: BTreeSet<String> = catalog
        .list()
        .into_iter()
        .filter(|r| matches!(r.source, kedrust_catalog::Source::Entry))
        .map(|r| r.name)
        .collect();
    for dataset in pipeline.datasets().iter().filter(|d| partitioned(d)) {
        for key in keys {
            let alias = for_key(dataset, key);
            if declared.contains(&alias) {
                problem(
                    dataset,
                    format!(
                        "the fan-out names its partition {key} '{alias}', which is an entry \
                         of the catalog: rename that entry"
                    ),
                );
            }
        }
    }
    let written = pipeline.all_outputs();
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
            let mut mapped: BTreeMap<usize, MappedInput> = BTreeMap::new();
            for (position, input) in node.inputs().iter().enumerate() {
                match MappedInput::of(catalog, node, input) {
                    Ok(Some(read)) => {
                        mapped.insert(position, read);
                    }
                    Ok(None) => {}
                    Err(why) => problem(input, why),
                }
                if !written.contains(input)
                    && let Some(other) = written_under_another_name(catalog, input, written.iter())
                {
                    problem(
                        input,
                        format!(
                            "node '{}' reads the files of '{other}', which this run writes: its \
                             copies would not wait for the ones writing them; read '{other}' \
                             itself (with a partition_mapping for what it reads of it)",
                            node.node_name()
                        ),
                    );
                }
            }
            for key in keys {
                let of_key = |d: &String| {
                    if partitioned(d) || catalog.carries_nothing(d) {
                        slice(catalog, d, key)
                    } else {
                        d.clone()
                    }
                };
                let name = for_key(node.node_name(), key);
                // Inputs read through a mapping: one slice, several slices gathered from the
                // copies that write them, or the catalog's map of several slices.
                let mut gathered: Vec<(usize, Vec<String>)> = Vec::new();
                let mut inputs: Vec<String> = Vec::new();
                for (position, input) in node.inputs().iter().enumerate() {
                    let Some(read) = mapped.get(&position) else {
                        inputs.push(of_key(input));
                        continue;
                    };
                    let input_keys = match read.keys(key) {
                        Ok(keys) => keys,
                        Err(why) => {
                            problem(
                                input,
                                format!(
                                    "node '{}' reads it for key {key} through its partition \
                                     mapping: {why}",
                                    node.node_name()
                                ),
                            );
                            continue;
                        }
                    };
                    let arg = node.input_types()[position];
                    if !read.several {
                        inputs.push(slice(catalog, input, &input_keys[0]));
                        continue;
                    }
                    match Several::of(&arg, written.contains(input)) {
                        Some(Several::Gathered) => {
                            inputs.push(input.clone());
                            gathered.push((position, input_keys));
                        }
                        Some(Several::LazyMap) => {
                            let alias = for_key(&format!("{input}__mapped"), key);
                            catalog.alias_partition(&alias, input, key);
                            catalog.map_partitions(
                                &alias,
                                MappedRead {
                                    keys: input_keys,
                                    several: true,
                                },
                            );
                            inputs.push(alias);
                        }
                        None => problem(
                            input,
                            format!(
                                "node '{}' reads {} partitions of it for key {key} through its \
                                 partition mapping: it takes them as Partitions<{}>{}",
                                node.node_name(),
                                input_keys.len(),
                                arg.held.short_name(),
                                if written.contains(input) {
                                    ""
                                } else {
                                    " or as PartitionMap"
                                }
                            ),
                        ),
                    }
                }
                let outputs: Vec<String> = node.outputs().iter().map(of_key).collect();
                for (o, alias) in node.outputs().iter().zip(&outputs) {
                    sliced.entry(o).or_default().push(alias.clone());
                }
                let mut copy = node.for_partition(key, name, inputs, outputs);
                // Replaced from the last, so that the earlier positions stay where they are.
                for (position, input_keys) in gathered.into_iter().rev() {
                    let input = &node.inputs()[position];
                    let parts = input_keys
                        .iter()
                        .map(|k| slice(catalog, input, k))
                        .collect();
                    copy = gather(&copy, position, parts, input_keys);
                }
                nodes.push(copy);
            }
            continue;
        }
        nodes.push(node.clone());
    }
    // Fan-ins: a node that takes a partitioned dataset whole (`Partitions<T>`) reads every
    // key's slice: the copies' outputs, so that it runs after them, or the catalog's slices
    // of a dataset no node writes. One that takes a `PartitionMap` of a dataset no node
    // writes gets the catalog's lazy map.
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
            match Several::of(&arg, produced.is_some()) {
                Some(Several::Gathered) => {
                    let parts: Vec<String> = match produced {
                        Some(parts) => parts.clone(),
                        None => keys.iter().map(|key| slice(catalog, &input, key)).collect(),
                    };
                    *node = gather(node, position, parts, keys.to_vec());
                }
                Some(Several::LazyMap) => catalog.map_partitions(
                    &input,
                    MappedRead {
                        keys: keys.to_vec(),
                        several: true,
                    },
                ),
                None => problem(
                    &input,
                    format!(
                        "node '{}' reads it whole in a fan-out: it takes every key as \
                         Partitions<{}>, not as {}",
                        node.node_name(),
                        arg.held.short_name(),
                        arg.declared.short_name()
                    ),
                ),
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
