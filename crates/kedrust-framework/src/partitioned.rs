//! A run's partition key against the partitioned datasets of its pipeline: a pipeline that
//! reads or writes one runs one partition at a time, and that key must be one of each such
//! dataset's keys; a key for a pipeline without any is a mistake too.

use kedrust_catalog::{Catalog, ConfigProblem};
use kedrust_pipeline::Pipeline;

/// Every problem of the run's partition key, each naming its dataset.
pub(crate) fn problems(pipeline: &Pipeline, catalog: &Catalog) -> Vec<ConfigProblem> {
    let partitioned: Vec<String> = pipeline
        .datasets()
        .into_iter()
        .filter(|d| catalog.partitions(d).is_some())
        .collect();
    let problem = |dataset: &str, message: String| ConfigProblem {
        at: catalog.resolve(dataset).and_then(|r| r.at),
        dataset: dataset.to_owned(),
        message,
    };
    match catalog.partition_key() {
        None => partitioned
            .iter()
            .map(|d| {
                problem(
                    d,
                    "it is partitioned: run one partition of it with --partition <key>".into(),
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
        Some(_) => partitioned
            .iter()
            .filter_map(|d| catalog.partition_problem(d).map(|m| problem(d, m)))
            .collect(),
    }
}
