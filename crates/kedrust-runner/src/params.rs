//! `run_params`: what the run was asked to do, with Kedro 1.x's keys, passed to every
//! pipeline hook and serialisable as Kedro's dict.

use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Kedro's `run_params`, key for key.
#[derive(Clone, Default, Serialize, PartialEq)]
pub struct RunParams {
    /// The run id (Kedro's session id format, `YYYY-MM-DDThh.mm.ss.sssZ`).
    pub run_id: String,
    /// The project folder.
    pub project_path: String,
    /// The run environment.
    pub env: String,
    /// The framework's version (`kedrust-<version>`); Kedro's key is kept.
    pub kedro_version: String,
    /// `--tags`.
    pub tags: Vec<String>,
    /// `--from-nodes`.
    pub from_nodes: Vec<String>,
    /// `--to-nodes`.
    pub to_nodes: Vec<String>,
    /// `--nodes`.
    pub node_names: Vec<String>,
    /// `--from-inputs`.
    pub from_inputs: Vec<String>,
    /// `--to-outputs`.
    pub to_outputs: Vec<String>,
    /// `--load-versions`.
    pub load_versions: BTreeMap<String, String>,
    /// `--params`.
    pub runtime_params: Json,
    /// `--pipeline` / `--pipelines`.
    pub pipeline_names: Vec<String>,
    /// `--namespaces`.
    pub namespaces: Vec<String>,
    /// The runner's name (`SequentialRunner`, `ThreadRunner`, `ParallelRunner`).
    pub runner: String,
    /// `--partition`: the partition this run reads and writes (not a Kedro key; left out of
    /// the dict when the run has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// `--only-missing-outputs`.
    pub only_missing_outputs: bool,
}

/// As its JSON form, secrets hidden (runtime parameters may hold them).
impl std::fmt::Debug for RunParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = serde_json::to_value(self).unwrap_or_default();
        write!(f, "RunParams ")?;
        std::fmt::Debug::fmt(&kedrust_secrets::Redacted(&json), f)
    }
}

/// The version string every run reports.
pub fn framework_version() -> String {
    format!("kedrust-{}", env!("CARGO_PKG_VERSION"))
}
