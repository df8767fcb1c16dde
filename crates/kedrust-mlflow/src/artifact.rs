//! `mlflow.ArtifactDataset`: any file dataset whose saved file is also logged to the MLflow
//! run of the node that saves it (kedro-mlflow's `MlflowArtifactDataset`), and read back from a
//! run's artifacts when `run_id` names one.

use crate::hook::{current_run, run_to_read, skipped};
use kedrust_catalog::{Dataset, DatasetError, DatasetSpec, DatasetType, Holds, Registry};
use kedrust_pipeline::{TypeTag, Value};
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file dataset logged as an MLflow artifact.
#[derive(Debug)]
pub struct ArtifactDataset {
    /// The dataset it wraps, at its own file.
    inner: Arc<dyn Dataset>,
    /// How to build the wrapped dataset again at another file.
    wrapped: Wrapped,
    /// The folder in the run's artifacts (`None`: the top).
    artifact_path: Option<String>,
    /// The run whose copy is loaded, and which a save logs to, instead of the node's run.
    run_id: Option<String>,
}

/// The wrapped dataset's type and arguments.
#[derive(Debug, Clone)]
pub(crate) struct Wrapped {
    name: String,
    kind: DatasetType,
    args: Map<String, Json>,
    value_type: Option<TypeTag>,
    registry: Arc<Registry>,
    root: Option<PathBuf>,
}

impl Wrapped {
    /// The `dataset` argument of `spec`: a type name and its arguments.
    pub(crate) fn of(spec: &DatasetSpec<'_>, dataset: &Json) -> Result<Self, String> {
        let Json::Object(map) = dataset else {
            return Err("'dataset' must be a mapping with 'type' and 'filepath'".into());
        };
        let mut args = map.clone();
        let Some(Json::String(kind)) = args.remove("type") else {
            return Err("'dataset' needs a 'type'".into());
        };
        if args.contains_key("versioned") {
            return Err(
                "the dataset of an artifact cannot be versioned: MLflow keeps each run's copy"
                    .into(),
            );
        }
        let found = spec.registry.get(&kind).ok_or_else(|| {
            let hint = kedrust_pipeline::suggest::hint(&kind, spec.registry.names());
            format!("unknown dataset type '{kind}' in 'dataset'{hint}")
        })?;
        let value_type = match (found.holds_for(&args), spec.value_type) {
            (Holds::Fixed(stored), Some(used)) if stored != used => {
                return Err(format!(
                    "{kind} stores {}, but the pipeline uses it as {}",
                    stored.short_name(),
                    used.short_name()
                ));
            }
            (Holds::Fixed(stored), _) => Some(stored),
            (_, used) => used,
        };
        Ok(Self {
            name: spec.name.to_owned(),
            kind: found.clone(),
            args,
            value_type,
            registry: Arc::clone(spec.registry),
            root: spec.root.map(Path::to_path_buf),
        })
    }

    /// The wrapped dataset, at `file` when given, else where its arguments say.
    pub(crate) fn build(&self, file: Option<&Path>) -> Result<Arc<dyn Dataset>, String> {
        let mut args = self.args.clone();
        // The catalog made `filepath` absolute already, at any depth of the entry.
        if let Some(file) = file {
            args.insert("filepath".into(), Json::String(file.display().to_string()));
        }
        self.kind.create(&DatasetSpec {
            name: &self.name,
            args: &args,
            versioning: None,
            value_type: self.value_type,
            registry: &self.registry,
            root: self.root.as_deref(),
        })
    }
}

/// `artifact_path/<file>`: where `file` goes in a run's artifacts.
fn in_run(artifact_path: Option<&str>, file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match artifact_path.map(|p| p.trim_matches('/')) {
        Some(dir) if !dir.is_empty() => format!("{dir}/{name}"),
        _ => name,
    }
}

impl ArtifactDataset {
    /// The wrapped dataset's file on this machine.
    fn local_file(&self) -> Result<PathBuf, DatasetError> {
        let path = self.inner.path().ok_or_else(|| {
            DatasetError::Other("the wrapped dataset has no file on this machine to log".into())
        })?;
        if path.is_dir() {
            return Err(DatasetError::Other(format!(
                "{} is a folder; an artifact dataset logs one file",
                path.display()
            )));
        }
        Ok(path.to_path_buf())
    }
}

impl Dataset for ArtifactDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        let Some(run_id) = &self.run_id else {
            return self.inner.load();
        };
        let run = run_to_read().map_err(DatasetError::Other)?;
        let file = self.local_file()?;
        let copy = tempfile::tempdir().map_err(|e| DatasetError::Io {
            op: "create a folder for",
            path: std::env::temp_dir(),
            source: e,
        })?;
        let to = copy.path().join(file.file_name().unwrap_or_default());
        run.sender
            .store()
            .download_artifact(run_id, &in_run(self.artifact_path.as_deref(), &file), &to)
            .map_err(|e| DatasetError::Other(e.to_string()))?;
        self.wrapped
            .build(Some(&to))
            .map_err(DatasetError::Other)?
            .load()
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        // Known before anything is written: a save that cannot be logged writes nothing.
        let run = current_run().map_err(DatasetError::Other)?;
        self.inner.save(value)?;
        let file = self.local_file()?;
        let Some(run) = run else {
            skipped(&format!("artifact {}", file.display()));
            return Ok(());
        };
        let logged = (|| {
            let run_id = match &self.run_id {
                Some(id) => id.clone(),
                None => run.sender.id(&run.run)?,
            };
            run.sender.store().log_artifact(
                &run_id,
                &file,
                &in_run(self.artifact_path.as_deref(), &file),
            )
        })();
        match logged {
            Err(e) => run
                .dataset_call_failed(&format!("artifact {}", file.display()), e)
                .map_err(DatasetError::Other),
            Ok(()) => Ok(()),
        }
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        self.inner.exists()
    }

    fn path(&self) -> Option<&Path> {
        self.inner.path()
    }

    fn data_version(&self) -> Option<String> {
        self.inner.data_version()
    }
}

pub(crate) fn dataset_type() -> DatasetType {
    DatasetType::new(
        "mlflow.ArtifactDataset",
        Holds::Serde,
        &["dataset", "artifact_path", "run_id"],
        |spec| {
            let dataset = spec.args.get("dataset").ok_or(
                "'dataset' is required: the file dataset to log, with 'type' and 'filepath'",
            )?;
            let wrapped = Wrapped::of(spec, dataset)?;
            Ok(Arc::new(ArtifactDataset {
                inner: wrapped.build(None)?,
                wrapped,
                artifact_path: spec.arg("artifact_path")?,
                run_id: spec.arg("run_id")?,
            }))
        },
    )
}
