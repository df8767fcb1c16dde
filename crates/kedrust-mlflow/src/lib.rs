//! MLflow tracking through hooks.
//!
//! Owns: `mlflow.yml` (kedro-mlflow's keys), where runs go (a [`Store`]: a server through a
//! blocking REST client with timeouts and retries, or a local SQLite store in MLflow's own
//! schema, the default), the [`MlflowHook`] (a parent run per pipeline run tagged `kedrust.run_id`, a
//! nested run per node with its parameters, duration and status, closed FINISHED or FAILED in
//! every mode and every process), and `mlflow.MetricsDataset`.
//!
//! Must never: pull an async runtime, or keep run state in one process's memory: what the
//! start op learns goes to the run's state in the run store.

mod artifact;
mod auth;
mod client;
mod config;
mod hook;
mod local;
mod metric_history;
mod metrics;
mod model;
mod sender;
mod store;

pub use auth::Auth;
pub use client::{Client, MlflowError, now_ms};
pub use config::{LongParams, MlflowConfig, OnError, params_to_log};
pub use hook::{MlflowHook, STATE_KEY, tracked_run};
pub use local::{LocalStore, schema_mlflow_version};
pub use metrics::MetricsDataset;
pub use store::{Batch, Location, Metric, Store};

use kedrust_framework::Project;
use std::path::Path;

/// Adds the tracking hook and `mlflow.MetricsDataset` when some environment of the
/// configuration folder `conf` has an `mlflow.yml` (the hook does nothing in an environment
/// without one).
pub fn enable_if_configured(project: Project, conf: &Path) -> Project {
    if tracked_environments(conf).is_empty() {
        return project;
    }
    let name = project.name().to_owned();
    project
        .datasets(|r| {
            r.register(metrics::dataset_type())
                .register(artifact::dataset_type())
                .register(metric_history::dataset_type())
                .register(model::dataset_type());
        })
        .hook_ignoring_node_inputs(MlflowHook::new(name))
}

/// The environments of the configuration folder `conf` that have an `mlflow.yml`, sorted
/// (`base` among them means every environment is tracked).
pub fn tracked_environments(conf: &Path) -> Vec<String> {
    let Ok(envs) = std::fs::read_dir(conf) else {
        return Vec::new();
    };
    let mut tracked: Vec<String> = envs
        .filter_map(Result::ok)
        .filter(|env| {
            std::fs::read_dir(env.path())
                .map(|files| {
                    files
                        .filter_map(Result::ok)
                        .any(|f| f.file_name().to_string_lossy().starts_with("mlflow"))
                })
                .unwrap_or(false)
        })
        .map(|env| env.file_name().to_string_lossy().into_owned())
        .collect();
    tracked.sort();
    tracked
}
