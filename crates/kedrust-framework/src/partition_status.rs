//! `partitions status`: each partition key of a job or a dataset with the run that last ran
//! it, read from the run store. As Dagster shows partitions: the latest attempt decides, so a
//! key whose last run failed is failed even if an earlier run wrote it.

use crate::options::{RunOptions, SessionError};
use crate::project::Project;
use crate::settings::open_store;
use kedrust_partitions::PartitionsDef;
use kedrust_store::{EventKind, PARTITION_TAG, RunRecord, RunStatus, RunStore};
use std::path::Path;

/// What a job or dataset partition status is about.
#[derive(Debug, Clone)]
pub enum StatusTarget {
    /// The runs of a job (of dagster.yml), or of a pipeline run without one.
    Job(RunOptions),
    /// The runs that write a dataset.
    Dataset {
        /// The dataset.
        name: String,
        /// The environment and configuration folder it is read from.
        options: RunOptions,
    },
}

/// Where one partition key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Its latest run wrote it (or succeeded).
    Materialized,
    /// Its latest run failed, was cancelled or died before writing it.
    Failed,
    /// Its latest run has not ended.
    Running,
    /// No run has run it.
    Missing,
}

impl KeyState {
    /// The word printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Materialized => "materialized",
            Self::Failed => "failed",
            Self::Running => "running",
            Self::Missing => "missing",
        }
    }
}

/// One key's status.
#[derive(Debug, Clone)]
pub struct KeyStatus {
    /// The key.
    pub key: String,
    /// Where it is.
    pub state: KeyState,
    /// The run that decided it.
    pub run_id: Option<String>,
}

/// Every key of a partitions definition, each with its status.
#[derive(Debug, Clone)]
pub struct PartitionStatus {
    /// The definition.
    pub partitions: PartitionsDef,
    /// The keys, in the definition's order (for dynamic partitions, the order they were
    /// added in).
    pub keys: Vec<KeyStatus>,
}

/// The status of every partition key of `target`.
pub fn partition_status(
    project: &Project,
    project_path: &Path,
    target: &StatusTarget,
) -> Result<PartitionStatus, SessionError> {
    let (partitions, job) = match target {
        StatusTarget::Job(options) => {
            let def = crate::partitioned::pipeline_partitions(project, project_path, options)?
                .ok_or_else(|| {
                    SessionError::Selection("no dataset of the job is partitioned".into())
                })?;
            let job = options
                .job
                .clone()
                .unwrap_or_else(|| crate::AD_HOC_JOB.into());
            (def, Some(job))
        }
        StatusTarget::Dataset { name, options } => (
            dataset_partitions(project, project_path, name, options)?,
            None,
        ),
    };
    let store = open_store(project, project_path)?;
    let partitions = crate::dynamic_keys::with_known_keys(partitions, &store)?;
    let orphans = store
        .orphans()
        .map_err(|e| SessionError::Io(e.to_string()))?;
    let runs = store
        .runs_tagged(PARTITION_TAG, None)
        .map_err(|e| SessionError::Io(e.to_string()))?;
    let runs: Vec<&RunRecord> = runs
        .iter()
        .filter(|r| match (&job, target) {
            (Some(job), _) => r.job == *job,
            (None, StatusTarget::Dataset { name, .. }) => plan_saves(r, name),
            (None, StatusTarget::Job(_)) => false,
        })
        .collect();
    // Dynamic keys are the store's by now.
    let keys = partitions.keys(chrono::Utc::now()).unwrap_or_default();
    let dataset = match target {
        StatusTarget::Dataset { name, .. } => Some(name.as_str()),
        StatusTarget::Job(_) => None,
    };
    let keys = keys
        .into_iter()
        .map(|key| {
            let latest = runs.iter().find(|r| r.partition() == Some(key.as_str()));
            let state = match latest {
                None => KeyState::Missing,
                Some(run) => state_of(&store, run, dataset, &orphans),
            };
            KeyStatus {
                key,
                state,
                run_id: latest.map(|r| r.run_id.clone()),
            }
        })
        .collect();
    Ok(PartitionStatus { partitions, keys })
}

/// The partitions of dataset `name`, or why it has none (with the nearest partitioned name).
fn dataset_partitions(
    project: &Project,
    project_path: &Path,
    name: &str,
    options: &RunOptions,
) -> Result<PartitionsDef, SessionError> {
    let partitioned = crate::partitioned::partitioned_datasets(project, project_path, options)?;
    if let Some(def) = partitioned.get(name) {
        return Ok(def.clone());
    }
    let names = partitioned.keys().map(String::as_str);
    let hint = kedrust_pipeline::suggest::hint(name, names.clone());
    Err(SessionError::Selection(format!(
        "'{name}' is neither a job of dagster.yml nor a partitioned dataset{hint} (partitioned \
         datasets: {})",
        if partitioned.is_empty() {
            "none".to_owned()
        } else {
            names.collect::<Vec<_>>().join(", ")
        }
    )))
}

/// Whether run `run`'s plan writes `dataset`.
fn plan_saves(run: &RunRecord, dataset: &str) -> bool {
    run.plan["ops"].as_array().is_some_and(|ops| {
        ops.iter().any(|op| {
            op["saves"]
                .as_array()
                .is_some_and(|saves| saves.iter().any(|s| s == dataset))
        })
    })
}

/// The state a run gives its key: of a dataset, whether the run wrote it.
fn state_of(
    store: &RunStore,
    run: &RunRecord,
    dataset: Option<&str>,
    orphans: &[RunRecord],
) -> KeyState {
    match run.status {
        // A run whose process is gone never ends by itself: it failed.
        RunStatus::Started if orphans.iter().any(|o| o.run_id == run.run_id) => KeyState::Failed,
        RunStatus::Started => KeyState::Running,
        RunStatus::Success => KeyState::Materialized,
        RunStatus::Failure | RunStatus::Canceled => {
            let wrote = dataset.is_some_and(|d| {
                store.events(&run.run_id).is_ok_and(|events| {
                    events.iter().any(|e| {
                        e.kind == EventKind::AssetMaterialization && e.metadata["dataset"] == d
                    })
                })
            });
            if wrote {
                KeyState::Materialized
            } else {
                KeyState::Failed
            }
        }
    }
}
