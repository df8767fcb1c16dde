//! A run's partition key against the partitioned datasets of its pipeline: a pipeline that
//! reads or writes one runs one partition at a time, and that key must be one of each such
//! dataset's keys; a key for a pipeline without any is a mistake too.

use crate::options::{RunOptions, SessionError};
use crate::project::Project;
use kedrust_catalog::{Catalog, ConfigProblem, MappedRead};
use kedrust_partitions::{PartitionMapping, PartitionsDef};
use kedrust_pipeline::Pipeline;
use std::path::Path;

/// Nodes that take a partitioned dataset whole (`Partitions<T>`) outside a fan-out: a run of
/// one key has no other keys to give them.
pub(crate) fn whole_partitions_outside_fan_out(
    pipeline: &Pipeline,
    catalog: &Catalog,
) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    for node in pipeline.nodes() {
        for (input, arg) in node.inputs().iter().zip(node.input_types()) {
            if arg.kind == kedrust_pipeline::ArgKind::Partitions {
                let message = format!(
                    "node '{}' takes every partition of it ({}): run the pipeline with \
                     --fan-out (a job's `fan_out: true`)",
                    node.node_name(),
                    arg.declared.short_name()
                );
                problems.push(dataset_problem(catalog, input, message));
            }
        }
    }
    problems
}

/// Every problem of the run's partition key, each naming its dataset; `dynamic(name, key)`
/// says why a key is not one of dynamic partitions `name`'s.
pub(crate) fn problems(
    pipeline: &Pipeline,
    catalog: &Catalog,
    dynamic: &dyn Fn(&str, &str) -> Option<String>,
) -> Vec<ConfigProblem> {
    // A fan-out's slices and the inputs a mapping reads have keys of their own.
    let partitioned: Vec<String> = pipeline
        .datasets()
        .into_iter()
        .filter(|d| catalog.partitions(d).is_some())
        .filter(|d| catalog.partition_alias(d).is_none() && catalog.mapped_read(d).is_none())
        .collect();
    let problem = |dataset: &str, message: String| dataset_problem(catalog, dataset, message);
    match catalog.partition_key() {
        None => partitioned
            .iter()
            .map(|d| {
                problem(
                    d,
                    "it is partitioned: run one partition of it with --partition <key>, or every \
                     key in one run with --fan-out"
                        .into(),
                )
            })
            .collect(),
        Some(key) if partitioned.is_empty() => vec![ConfigProblem {
            at: None,
            dataset: "*".into(),
            message: format!(
                "--partition {key}: no dataset of the pipeline is partitioned (a catalog \
                 entry's `partitions:` makes one)"
            ),
        }],
        Some(key) => partitioned
            .iter()
            .filter_map(|d| {
                let why = catalog.partition_problem(d).or_else(|| {
                    match catalog.partitions(d).as_deref() {
                        Some(PartitionsDef::Dynamic { name }) => dynamic(name, key),
                        _ => None,
                    }
                });
                why.map(|m| problem(d, m))
            })
            .collect(),
    }
}

/// The partitions of a run's pipeline: the definition its partitioned datasets share (a key
/// of it is a run of the pipeline), found without a key. `None` when nothing is partitioned.
pub fn pipeline_partitions(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
) -> Result<Option<PartitionsDef>, SessionError> {
    let env = kedrust_config::run_env(options.env.as_deref());
    let conf = crate::prepare::conf_dir(project_path, options);
    let (options, _) = crate::prepare::resolve_job(project, &conf, &env, options)?;
    let pipeline = crate::prepare::select(project, (&conf, &env), &options)?;
    let catalog = keyless_catalog(project, (project_path, &conf, &env), &options)?;
    shared_partitions(&pipeline, &catalog)
}

/// The definition the partitioned datasets of `pipeline` share (`None` when none is
/// partitioned), or the two datasets that differ. An input read only through partition
/// mappings may be partitioned otherwise: the mapping turns the run's key into its keys.
pub fn shared_partitions(
    pipeline: &Pipeline,
    catalog: &Catalog,
) -> Result<Option<PartitionsDef>, SessionError> {
    let produced = pipeline.all_outputs();
    let mut found: Option<(String, PartitionsDef)> = None;
    for dataset in pipeline.datasets() {
        let Some(def) = catalog.partitions(&dataset) else {
            continue;
        };
        if !produced.contains(&dataset) && catalog.has_partition_mappings(&dataset) {
            continue;
        }
        match &found {
            None => found = Some((dataset, (*def).clone())),
            Some((first, theirs)) if *theirs != *def => {
                return Err(SessionError::Selection(format!(
                    "datasets '{first}' and '{dataset}' are partitioned differently: one key \
                     cannot select a slice of both (give them the same `partitions:`)"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(found.map(|(_, def)| def))
}

/// The catalog of `options` without a partition key: partitioned paths keep `{partition}`.
pub(crate) fn keyless_catalog(
    project: &Project,
    (project_path, conf, env): (&Path, &Path, &str),
    options: &RunOptions,
) -> Result<Catalog, SessionError> {
    let keyless = RunOptions {
        partition: None,
        ..options.clone()
    };
    let version = kedrust_catalog::new_version();
    crate::prepare::build_catalog(project, project_path, conf, env, &keyless, &version)
        .map(|built| built.catalog)
}

/// For every partitioned input its readers' mappings (`partition_mapping`) make read other
/// keys than the run's, how it is read, told to the catalog before it is bound; every
/// problem, each naming its dataset. A reader without a mapping for a partitioned output it
/// writes, or without a partitioned output, reads the run's key. Without a run key (a job
/// planned for Dagster) the mappings themselves must agree, and whether the input is one
/// partition or several fixes its node's input type.
pub(crate) fn map_inputs(pipeline: &Pipeline, catalog: &Catalog) -> Vec<ConfigProblem> {
    let key = catalog.partition_key();
    let now = chrono::Utc::now();
    let produced = pipeline.all_outputs();
    let mut problems = Vec::new();
    let mut problem = |dataset: &str, message: String| {
        problems.push(dataset_problem(catalog, dataset, message));
    };
    let as_run = || MappedRead {
        keys: key.map(|k| vec![k.to_owned()]).unwrap_or_default(),
        several: false,
    };
    for input in pipeline.datasets() {
        // A fan-out's slices: the fan-out has read them through their mappings.
        if catalog.partition_alias(&input).is_some() {
            continue;
        }
        let Some(input_def) = catalog.partitions(&input) else {
            continue;
        };
        // How each reader reads it: by the mapping for each partitioned output it writes.
        let mut reads: Vec<(&str, PartitionMapping, MappedRead)> = Vec::new();
        for node in pipeline.nodes().filter(|n| n.inputs().contains(&input)) {
            let outputs: Vec<(&String, std::sync::Arc<PartitionsDef>)> = node
                .outputs()
                .iter()
                .filter_map(|o| catalog.partitions(o).map(|d| (o, d)))
                .collect();
            if outputs.is_empty() {
                reads.push((node.node_name(), PartitionMapping::Identity, as_run()));
            }
            for (output, output_def) in outputs {
                let Some(mapping) = catalog.partition_mapping(&input, output) else {
                    reads.push((node.node_name(), PartitionMapping::Identity, as_run()));
                    continue;
                };
                if let Err(why) = mapping.check(&input_def, &output_def) {
                    problem(
                        &input,
                        format!(
                            "its partition mapping for '{output}' (read by node '{}'): {why}",
                            node.node_name()
                        ),
                    );
                    continue;
                }
                let several = mapping.reads_several(&input_def, &output_def);
                let keys = match key.map(|k| mapping.input_keys((&input_def, &output_def), k, now))
                {
                    None => Vec::new(),
                    Some(Ok(keys)) => keys,
                    Some(Err(why)) => {
                        problem(
                            &input,
                            format!(
                                "node '{}' reads it for '{output}' {} through its partition \
                                 mapping: {why}",
                                node.node_name(),
                                key.unwrap_or_default()
                            ),
                        );
                        continue;
                    }
                };
                reads.push((node.node_name(), mapping, MappedRead { keys, several }));
            }
        }
        let Some((reader, mapping, read)) = reads.first().cloned() else {
            continue;
        };
        if let Some((other, their_mapping, theirs)) =
            reads.iter().find(|(_, m, r)| *m != mapping || *r != read)
        {
            problem(
                &input,
                format!(
                    "node '{reader}' reads {} of it and node '{other}' reads {} in the same run: \
                     give one of them an entry of its own (the same path) with its own \
                     partition mapping",
                    key_list(&read, &mapping),
                    key_list(theirs, their_mapping)
                ),
            );
            continue;
        }
        if mapping == PartitionMapping::Identity {
            continue;
        }
        if produced.contains(&input) {
            // Planned without a key, what the run writes is checked when it runs.
            if let Some(key) = key.filter(|k| read.several || read.keys != [*k]) {
                problem(
                    &input,
                    format!(
                        "the run writes its partition {key}, and node '{reader}' reads {} of it \
                         through its partition mapping: read those through an entry of its own \
                         (the same path, its own name)",
                        key_list(&read, &mapping)
                    ),
                );
            }
            continue;
        }
        catalog.map_partitions(&input, read);
    }
    problems
}

/// Keys as a sentence shows them: one, or the first to the last with how many; without a
/// key, the mapping.
fn key_list(read: &MappedRead, mapping: &PartitionMapping) -> String {
    let keys = &read.keys;
    match keys.as_slice() {
        [one] => format!("partition {one}"),
        [first, .., last] => format!("{} partitions ({first} to {last})", keys.len()),
        [] if *mapping == PartitionMapping::Identity => "the run's partition".into(),
        [] => format!("the partitions its {mapping:?} mapping gives"),
    }
}

/// Every partitioned dataset of every pipeline of `options`' environment, by name, with its
/// definition.
pub(crate) fn partitioned_datasets(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
) -> Result<std::collections::BTreeMap<String, PartitionsDef>, SessionError> {
    let env = kedrust_config::run_env(options.env.as_deref());
    let conf = crate::prepare::conf_dir(project_path, options);
    let catalog = keyless_catalog(project, (project_path, &conf, &env), options)?;
    let pipelines = project.load_pipelines(&conf, &env)?;
    Ok(pipelines
        .values()
        .flat_map(|p| p.datasets())
        .filter_map(|d| catalog.partitions(&d).map(|def| (d, (*def).clone())))
        .collect())
}

/// Outputs a `partition_mapping` of `pipeline`'s inputs is written for that no dataset of any
/// pipeline (`names`) is, nor matches: a misspelt output would read the run's key unnoticed,
/// the very key the mapping was written to avoid.
pub(crate) fn unknown_mapping_outputs(
    pipeline: &Pipeline,
    catalog: &Catalog,
    names: &std::collections::BTreeSet<String>,
) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    for input in pipeline.datasets() {
        for output in catalog.partition_mapping_outputs(&input) {
            let known = match kedrust_catalog::Pattern::parse(&output) {
                Ok(Some(pattern)) => names.iter().any(|n| pattern.matches(n).is_some()),
                _ => names.contains(&output),
            };
            if !known {
                let hint =
                    kedrust_pipeline::suggest::hint(&output, names.iter().map(String::as_str));
                let message = format!(
                    "'partition_mapping.{output}': no dataset of any pipeline is called so or \
                     matches it{hint}"
                );
                problems.push(dataset_problem(catalog, &input, message));
            }
        }
    }
    problems
}

/// A problem of `dataset`, at the catalog entry it resolves to.
pub(crate) fn dataset_problem(catalog: &Catalog, dataset: &str, message: String) -> ConfigProblem {
    ConfigProblem {
        at: catalog.resolve(dataset).and_then(|r| r.at),
        dataset: dataset.to_owned(),
        message,
    }
}
