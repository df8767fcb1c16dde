//! `mlflow.ModelDataset`: a Rust model (any type with a serde codec) logged as an MLflow
//! model, `<artifact_path>/model.json` and an `MLmodel` file, in the run of the node that saves
//! it, and registered as a new version of `registered_model_name` when that is set. It loads
//! back by `run_id`, or by `registered_model_name` and `version` (the latest by default).

use crate::artifact::Wrapped;
use crate::hook::{NodeRun, current_run, run_to_read, skipped};
use kedrust_catalog::{Dataset, DatasetError, DatasetType, Holds};
use kedrust_pipeline::Value;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;

/// The file of the model's value in its artifact folder.
const DATA: &str = "model.json";

/// A model in MLflow.
#[derive(Debug)]
pub struct ModelDataset {
    /// A `serde.JSONDataset` of the model's type, built at a temporary file.
    json: Wrapped,
    /// The model's folder in the run's artifacts.
    artifact_path: String,
    registered_model_name: Option<String>,
    /// Loads this run's model (and a save logs to it instead of the node's run).
    run_id: Option<String>,
    /// Loads this version of the registered model.
    version: Option<String>,
    /// The Rust type, for the `MLmodel` file.
    type_name: String,
}

fn other(e: impl ToString) -> DatasetError {
    DatasetError::Other(e.to_string())
}

/// Now as MLflow writes `utc_time_created`: `2026-12-07 15:40:00.123000`.
fn utc_now() -> String {
    // Kedro's version text is the same instant: `2026-12-07T15.40.00.123Z`.
    let version = kedrust_catalog::new_version();
    let (date, time) = version.split_once('T').unwrap_or((&version, ""));
    let mut parts = time.trim_end_matches('Z').split('.');
    let (h, m, s, ms) = (
        parts.next().unwrap_or("00"),
        parts.next().unwrap_or("00"),
        parts.next().unwrap_or("00"),
        parts.next().unwrap_or("000"),
    );
    format!("{date} {h}:{m}:{s}.{ms}000")
}

fn temporary() -> Result<tempfile::TempDir, DatasetError> {
    tempfile::tempdir().map_err(|e| DatasetError::Io {
        op: "create a folder for",
        path: std::env::temp_dir(),
        source: e,
    })
}

impl ModelDataset {
    /// Logs the model to `run` (and registers it, when the dataset names a model).
    fn log(&self, run: &NodeRun, value: Value) -> Result<(), DatasetError> {
        let run_id = match &self.run_id {
            Some(id) => id.clone(),
            None => run.sender.id(&run.run).map_err(other)?,
        };
        let run_id = run_id.as_str();
        let store = run.sender.store();
        let dir = temporary()?;
        let data = dir.path().join(DATA);
        self.json.build(Some(&data)).map_err(other)?.save(value)?;
        let mlmodel = dir.path().join("MLmodel");
        let description = json!({
            "artifact_path": self.artifact_path,
            "flavors": {"kedrust": {"data": DATA, "format": "json", "type": self.type_name}},
            "model_uuid": uuid::Uuid::new_v4().simple().to_string(),
            "run_id": run_id,
            "utc_time_created": utc_now(),
        });
        // JSON is YAML: MLflow reads the MLmodel file as YAML.
        kedrust_catalog::write_bytes(&mlmodel, description.to_string().as_bytes())?;
        for file in [&data, &mlmodel] {
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            store
                .log_artifact(run_id, file, &format!("{}/{name}", self.artifact_path))
                .map_err(other)?;
        }
        if let Some(name) = &self.registered_model_name {
            let version = store
                .register_model(name, run_id, &self.artifact_path)
                .map_err(other)?;
            tracing::info!("MLflow: registered version {version} of model '{name}'");
        }
        Ok(())
    }
}

impl Dataset for ModelDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        let run = run_to_read().map_err(DatasetError::Other)?;
        let (run_id, folder) = match (&self.run_id, &self.registered_model_name) {
            (Some(run_id), _) => (run_id.clone(), self.artifact_path.clone()),
            (None, Some(name)) => {
                run.sender.wait();
                let found = run
                    .sender
                    .store()
                    .model_version(name, self.version.as_deref())
                    .map_err(other)?;
                (found.run_id, found.artifact_path)
            }
            (None, None) => {
                return Err(other(
                    "a model dataset loads by run_id, or by registered_model_name (and version)",
                ));
            }
        };
        let dir = temporary()?;
        let file = dir.path().join(DATA);
        run.sender
            .store()
            .download_artifact(&run_id, &format!("{folder}/{DATA}"), &file)
            .map_err(other)?;
        self.json.build(Some(&file)).map_err(other)?.load()
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let Some(run) = current_run().map_err(DatasetError::Other)? else {
            skipped("a model");
            return Ok(());
        };
        match self.log(&run, value) {
            Err(DatasetError::Other(e)) => run
                .dataset_call_failed("the model", e)
                .map_err(DatasetError::Other),
            other => other,
        }
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        // Where it loads from is in MLflow, which only a node's run reaches.
        Ok(self.run_id.is_some() || self.registered_model_name.is_some())
    }

    fn path(&self) -> Option<&Path> {
        None
    }
}

pub(crate) fn dataset_type() -> DatasetType {
    DatasetType::new(
        "mlflow.ModelDataset",
        Holds::Serde,
        &[
            "artifact_path",
            "registered_model_name",
            "run_id",
            "version",
            "data_type",
        ],
        |spec| {
            let mut inner = json!({"type": "serde.JSONDataset", "filepath": DATA});
            if let Some(data_type) = spec.args.get("data_type") {
                inner["data_type"] = data_type.clone();
            }
            let json = Wrapped::of(spec, &inner)?;
            let version = match spec.args.get("version") {
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(other) => return Err(format!("'version' must be a number, not {other}")),
                None => None,
            };
            if version.is_some() && spec.args.get("registered_model_name").is_none() {
                return Err(
                    "'version' is a version of registered_model_name, which is not set".into(),
                );
            }
            let type_name = spec
                .arg::<String>("data_type")?
                .or_else(|| spec.value_type.map(|t| t.short_name()))
                .unwrap_or_default();
            Ok(Arc::new(ModelDataset {
                json,
                artifact_path: spec
                    .arg::<String>("artifact_path")?
                    .unwrap_or_else(|| "model".into())
                    .trim_matches('/')
                    .to_owned(),
                registered_model_name: spec.arg("registered_model_name")?,
                run_id: spec.arg("run_id")?,
                version,
                type_name,
            }))
        },
    )
}
