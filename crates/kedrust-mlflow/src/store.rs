//! Where a tracked run is written: an MLflow server through its REST API, or a local SQLite
//! store that MLflow opens as its own. The hook and the datasets see only [`Store`].

use crate::client::MlflowError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A metric value at a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Its name.
    pub key: String,
    /// Its value.
    pub value: f64,
    /// When, in milliseconds since the epoch.
    pub timestamp: i64,
    /// The step (0 when there is one value).
    pub step: i64,
}

/// What one call writes to a run: MLflow's `runs/log-batch`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Parameters (logging one again with another value is an error).
    pub params: Vec<(String, String)>,
    /// Metrics.
    pub metrics: Vec<Metric>,
    /// Tags (a tag logged again takes the new value).
    pub tags: Vec<(String, String)>,
}

impl Batch {
    /// A batch of metrics at `step`, timed now.
    pub fn metrics_at(step: i64, metrics: impl IntoIterator<Item = (String, f64)>) -> Self {
        let timestamp = crate::client::now_ms();
        Self {
            metrics: metrics
                .into_iter()
                .map(|(key, value)| Metric {
                    key,
                    value,
                    timestamp,
                    step,
                })
                .collect(),
            ..Self::default()
        }
    }

    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty() && self.metrics.is_empty() && self.tags.is_empty()
    }
}

/// Every call the tracking hook and the MLflow datasets make. Implemented by the REST
/// [`Client`](crate::Client) and by the local SQLite store.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The experiment called `name`: `(id, deleted)`, or `None`.
    fn experiment_by_name(&self, name: &str) -> Result<Option<(String, bool)>, MlflowError>;
    /// Creates an experiment and returns its id.
    fn create_experiment(&self, name: &str) -> Result<String, MlflowError>;
    /// Restores a deleted experiment.
    fn restore_experiment(&self, id: &str) -> Result<(), MlflowError>;
    /// Opens a run (RUNNING) that started at `start_time` (milliseconds since the epoch) and
    /// returns its id.
    fn create_run(
        &self,
        experiment_id: &str,
        name: &str,
        tags: &[(String, String)],
        start_time: i64,
    ) -> Result<String, MlflowError>;
    /// Writes parameters, metrics and tags to a run.
    fn log_batch(&self, run_id: &str, batch: &Batch) -> Result<(), MlflowError>;
    /// Ends a run with `status` (`FINISHED`, `FAILED`, `KILLED`) at `end_time`.
    fn end_run(&self, run_id: &str, status: &str, end_time: i64) -> Result<(), MlflowError>;
    /// The runs of `experiment_id` nested in `parent` that are still RUNNING.
    fn open_children(&self, experiment_id: &str, parent: &str) -> Result<Vec<String>, MlflowError>;
    /// The latest run of `experiment_id` nested in `parent` that has metric `key`.
    fn child_with_metric(
        &self,
        experiment_id: &str,
        parent: &str,
        key: &str,
    ) -> Result<Option<String>, MlflowError>;
    /// Every value of metric `key` of a run, by step then time.
    fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>, MlflowError>;
    /// Copies the file `local` into a run's artifacts as `artifact_path` (a relative path).
    fn log_artifact(
        &self,
        run_id: &str,
        local: &Path,
        artifact_path: &str,
    ) -> Result<(), MlflowError>;
    /// Copies a run's artifact `artifact_path` (a file) to the file `to`.
    fn download_artifact(
        &self,
        run_id: &str,
        artifact_path: &str,
        to: &Path,
    ) -> Result<(), MlflowError>;
    /// Registers a run's artifact folder `artifact_path` as a new version of model `name`
    /// in MLflow's model registry (the model is created if it is new); the version.
    fn register_model(
        &self,
        name: &str,
        run_id: &str,
        artifact_path: &str,
    ) -> Result<String, MlflowError>;
    /// The run and artifact folder of version `version` of registered model `name` (the
    /// latest version when `None`).
    fn model_version(&self, name: &str, version: Option<&str>)
    -> Result<ModelVersion, MlflowError>;
}

/// A version of a registered model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelVersion {
    /// The version, `1` first.
    pub version: String,
    /// The run that logged it.
    pub run_id: String,
    /// Its folder in that run's artifacts.
    pub artifact_path: String,
}

/// Where runs are tracked, resolved from `mlflow.yml` once per run and kept in the run's
/// state for every process of it (so it holds no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// An MLflow server.
    Server {
        /// Its http(s) address.
        uri: String,
        /// `server.credentials`: the credentials entry each process signs in with.
        credentials: Option<String>,
    },
    /// A local store: MLflow's SQLite schema, artifacts in a folder.
    Local {
        /// The SQLite file (`mlflow ui --backend-store-uri sqlite:///<db>` opens it).
        db: PathBuf,
        /// Where each experiment's artifacts go (`<artifacts>/<experiment id>`).
        artifacts: PathBuf,
    },
}

impl Location {
    /// How to look at the runs: the server's address, or the command that serves the store.
    pub fn describe(&self) -> String {
        match self {
            Location::Server { uri, .. } => uri.clone(),
            Location::Local { db, .. } => {
                format!("mlflow ui --backend-store-uri sqlite:///{}", db.display())
            }
        }
    }
}
