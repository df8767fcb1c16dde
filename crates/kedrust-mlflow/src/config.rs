//! `conf/<env>/mlflow.yml`, with kedro-mlflow's keys and defaults, checked strictly.

use crate::store::Location;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlflowConfig {
    /// Where the server is.
    pub server: Server,
    /// What is tracked.
    pub tracking: Tracking,
    /// `mlflow ui` settings (kept for kedro-mlflow compatibility).
    pub ui: Json,
}

/// `server:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// An MLflow server (http(s)), or a local store (`sqlite:///<file>`, a path); else
    /// `MLFLOW_TRACKING_URI`; else the project's `mlflow.db` (see [`MlflowConfig::location`]).
    pub mlflow_tracking_uri: Option<String>,
    /// Accepted, unused.
    pub mlflow_registry_uri: Option<String>,
    /// The name of a credentials entry (`MLFLOW_TRACKING_TOKEN`, or `MLFLOW_TRACKING_USERNAME`
    /// and `MLFLOW_TRACKING_PASSWORD`).
    pub credentials: Option<String>,
    /// Accepted, unused.
    pub request_header_provider: Option<Json>,
}

/// `tracking:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tracking {
    /// Pipelines not tracked.
    pub disable_tracking: DisableTracking,
    /// The experiment.
    pub experiment: Experiment,
    /// The pipeline run.
    pub run: RunOptions,
    /// How parameters are logged.
    pub params: Params,
    /// Ours: what a tracking call that fails mid-run does to the run.
    pub on_error: OnError,
}

/// `tracking.on_error`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// The node (or the run) fails with the tracking error.
    #[default]
    Fail,
    /// A warning; the run goes on, and its MLflow run is tagged `kedrust.tracking =
    /// incomplete` when it closes.
    Warn,
}

/// `tracking.disable_tracking:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisableTracking {
    /// Runs whose pipelines are all listed are not tracked.
    pub pipelines: Vec<String>,
    /// Accepted (kedrust never autologs).
    pub disable_autologging: bool,
}

/// `tracking.experiment:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Experiment {
    /// The experiment (default: the project's name); created if missing.
    pub name: Option<String>,
    /// Accepted, unused.
    pub create_experiment_kwargs: Option<Json>,
    /// Restore the experiment if it was deleted.
    pub restore_if_deleted: bool,
}

impl Default for Experiment {
    fn default() -> Self {
        Self {
            name: None,
            create_experiment_kwargs: None,
            restore_if_deleted: true,
        }
    }
}

/// `tracking.run:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunOptions {
    /// Accepted: kedrust always opens its own run.
    pub id: Option<String>,
    /// The run's name (default: the pipelines, joined with `+`).
    pub name: Option<String>,
    /// kedro-mlflow's meaning: the pipeline run may nest under an active run.
    pub nested: bool,
    /// Ours: one nested run per node.
    pub node_runs: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            id: None,
            name: None,
            nested: true,
            node_runs: true,
        }
    }
}

/// `tracking.params:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// How mappings become parameters.
    pub dict_params: DictParams,
    /// What happens to a value over MLflow's 6,000 characters.
    pub long_params_strategy: LongParams,
}

/// `tracking.params.dict_params:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DictParams {
    /// Flatten mappings into one parameter per key.
    pub flatten: bool,
    /// Flatten nested mappings too.
    pub recursive: bool,
    /// The separator of flattened keys.
    pub sep: String,
}

impl Default for DictParams {
    fn default() -> Self {
        Self {
            flatten: false,
            recursive: true,
            sep: ".".into(),
        }
    }
}

/// `long_params_strategy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LongParams {
    /// Fail the hook.
    #[default]
    Fail,
    /// Log it as a tag (8,000 characters) instead.
    Tag,
    /// Keep the first 6,000 characters.
    Truncate,
}

/// A value of `mlflow.yml` that cannot be read: where it is (`tracking.on_error`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key path (for an unknown key, that key's).
    pub key: Vec<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.key.is_empty() {
            true => write!(f, "mlflow.yml: {}", self.message),
            false => write!(f, "mlflow.yml: {}: {}", self.key.join("."), self.message),
        }
    }
}

impl std::error::Error for Problem {}

fn key_of(segment: &serde_path_to_error::Segment) -> Option<String> {
    match segment {
        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
        serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
        _ => None,
    }
}

/// MLflow's longest parameter value; the server truncates silently, so we check.
pub const MAX_PARAM_VALUE: usize = 6000;

impl MlflowConfig {
    /// Reads the `mlflow` group; `None` when the environment has no mlflow.yml.
    pub fn from_group(value: &Json) -> Result<Option<Self>, Problem> {
        if value.as_object().is_none_or(|m| m.is_empty()) {
            return Ok(None);
        }
        serde_path_to_error::deserialize(value)
            .map(Some)
            .map_err(|e| Problem {
                key: e.path().iter().filter_map(key_of).collect(),
                message: e.into_inner().to_string(),
            })
    }

    /// Whether a run of `pipelines` (none: `__default__`) is tracked: not when every one of
    /// them is in `tracking.disable_tracking.pipelines`.
    pub fn tracks(&self, pipelines: &[String]) -> bool {
        let disabled = &self.tracking.disable_tracking.pipelines;
        if pipelines.is_empty() {
            return !disabled.iter().any(|p| p == "__default__");
        }
        !pipelines.iter().all(|p| disabled.contains(p))
    }

    /// Where runs are tracked: `server.mlflow_tracking_uri`, else `MLFLOW_TRACKING_URI`, else
    /// the project's local store. An http(s) address is a server; `sqlite:///<file>`, a
    /// `.db` file or a folder (`mlruns`: its `mlflow.db`) is a local store, its artifacts in
    /// the `mlruns` folder beside the database as MLflow puts them. Relative paths are of
    /// `project`.
    pub fn location(&self, project: &Path) -> Result<Location, String> {
        let uri = self
            .server
            .mlflow_tracking_uri
            .clone()
            .or_else(|| std::env::var("MLFLOW_TRACKING_URI").ok())
            .filter(|u| !u.trim().is_empty());
        // Absolute: the store records artifact folders, which every process and `mlflow ui`
        // must find whatever their working directory.
        let project = std::path::absolute(project).unwrap_or_else(|_| project.to_owned());
        let project = project.as_path();
        let Some(uri) = uri else {
            return Ok(local_at(project.join("mlflow.db")));
        };
        if kedrust_secrets::mask_uri_passwords(&uri) != uri {
            return Err(format!(
                "tracking URI '{}' has a password in it; put the user and password \
                 in a credentials entry (MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD) and \
                 name it in server.credentials, or set those variables",
                kedrust_secrets::mask_uri_passwords(&uri)
            ));
        }
        if uri.starts_with("http://") || uri.starts_with("https://") {
            return Ok(Location::Server {
                uri,
                credentials: self.server.credentials.clone(),
            });
        }
        let path = if let Some(file) = uri.strip_prefix("sqlite:///") {
            PathBuf::from(file)
        } else if let Some(path) = uri.strip_prefix("file://") {
            PathBuf::from(path)
        } else if let Some(path) = uri.strip_prefix("file:") {
            PathBuf::from(path)
        } else if uri.contains("://") || uri.starts_with("databricks") {
            return Err(format!(
                "tracking URI '{uri}' is neither an MLflow server (http:// or https://) \
                 nor a local store (sqlite:///<file>, a path, or null for mlflow.db in the project); \
                 for another database, run `mlflow server --backend-store-uri {uri}` and give its address"
            ));
        } else {
            PathBuf::from(uri.as_str())
        };
        let path = project.join(path);
        let is_db = path
            .extension()
            .is_some_and(|e| e == "db" || e == "sqlite" || e == "sqlite3");
        Ok(if is_db {
            local_at(path)
        } else {
            // A folder, as kedro-mlflow's `mlruns`: MLflow no longer writes folder stores
            // without an opt-in, so the store is a database inside it.
            Location::Local {
                db: path.join("mlflow.db"),
                artifacts: path,
            }
        })
    }
}

/// The local store in database `db`, its artifacts in `mlruns` beside it.
fn local_at(db: PathBuf) -> Location {
    let artifacts = db.with_file_name("mlruns");
    Location::Local { db, artifacts }
}

/// Parameters as MLflow keys and values: `params:a` is logged as `a`, `parameters` as
/// `parameters`; mappings are flattened as `dict_params` says.
pub fn params_to_log(name: &str, value: &Json, dict: &DictParams) -> Vec<(String, String)> {
    let key = name.strip_prefix("params:").unwrap_or(name).to_owned();
    let mut out = Vec::new();
    flatten(&key, value, dict, true, &mut out);
    out
}

fn flatten(key: &str, value: &Json, dict: &DictParams, top: bool, out: &mut Vec<(String, String)>) {
    match value {
        Json::Object(map) if dict.flatten && (top || dict.recursive) => {
            for (k, v) in map {
                flatten(&format!("{key}{}{k}", dict.sep), v, dict, false, out);
            }
        }
        Json::String(s) => out.push((sanitize(key), s.clone())),
        other => out.push((sanitize(key), other.to_string())),
    }
}

/// MLflow's key charset: alphanumerics and `_ - . space : /`; anything else becomes `_`.
fn sanitize(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | ':' | '/') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_are_named_and_flattened_as_kedro_mlflow_does() {
        let v = json!({"depth": 3, "inner": {"a": 1}});
        assert_eq!(
            params_to_log("params:model", &v, &DictParams::default()),
            [(
                "model".to_owned(),
                r#"{"depth":3,"inner":{"a":1}}"#.to_owned()
            )]
        );
        let flat = DictParams {
            flatten: true,
            recursive: true,
            sep: ".".into(),
        };
        assert_eq!(
            params_to_log("params:model", &v, &flat),
            [
                ("model.depth".to_owned(), "3".to_owned()),
                ("model.inner.a".to_owned(), "1".to_owned())
            ]
        );
    }

    #[test]
    fn a_refused_value_names_its_key() {
        let err = MlflowConfig::from_group(&json!({"tracking": {"experiement": {}}})).unwrap_err();
        assert!(
            err.message.contains("unknown field `experiement`"),
            "{err:?}"
        );
        assert_eq!(err.key, ["tracking", "experiement"]);
        let err =
            MlflowConfig::from_group(&json!({"tracking": {"on_error": "maybe"}})).unwrap_err();
        assert!(err.message.contains("unknown variant `maybe`"), "{err:?}");
        assert_eq!(err.key, ["tracking", "on_error"]);
    }
}
