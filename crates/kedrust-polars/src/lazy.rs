//! `polars.LazyPolarsDataset`: a file as a Polars `LazyFrame`, as in Kedro.
//!
//! Loading reads nothing: it gives a query that scans the file when it runs. The nodes between
//! a load and a save extend that query, and memory datasets between them hold plans, not
//! rows, so a chain of lazy nodes from one persisted dataset to the next runs as one query
//! that Polars optimises whole: only the columns and rows the end needs are read. Saving runs
//! the query and writes its result atomically with the format's `save_args`.
//!
//! A scan runs when the query does, so it reads the file as it is then; a run that saves over
//! the file it scanned before the scan runs would read the new file. Kedro's dataset has the
//! same rule; versioned entries never share a file.

use crate::frame::{FormatOf, FrameFormat};
use kedrust_catalog::{
    Dataset, DatasetError, DatasetSpec, DatasetType, FileTarget, Holds, WriteError, expect_ref,
};
use kedrust_pipeline::{TypeTag, Value};
use polars::prelude::{LazyFrame, col};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

/// `file_format`: the formats Polars scans.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FileFormat {
    Csv,
    Parquet,
    Ipc,
}

impl FileFormat {
    fn format(self) -> FormatOf {
        match self {
            FileFormat::Csv => crate::csv::format,
            FileFormat::Parquet => crate::parquet::format,
            FileFormat::Ipc => crate::ipc::format,
        }
    }
}

/// A file read as a query.
#[derive(Debug)]
pub struct LazyDataset {
    target: FileTarget,
    format: Box<dyn FrameFormat>,
}

impl Dataset for LazyDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        // A query outlives this call, so it needs the file itself, not a temporary copy of
        // an object.
        let path = self.target.existing_load_path()?;
        self.format
            .scan(&path)
            .map(Value::new)
            .map_err(|e| DatasetError::format(path, e))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let query = expect_ref::<LazyFrame>(&value)?.clone();
        let mut frame = query
            .collect()
            .map_err(|e| DatasetError::format(self.target.filepath().to_owned(), e))?;
        self.target.write(|out| {
            self.format
                .write(&mut frame, out)
                .map_err(|e| Box::new(e) as WriteError)
        })
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        self.target.exists()
    }

    fn discard_save(&self) -> Result<(), DatasetError> {
        self.target.discard_save()
    }

    fn path(&self) -> Option<&Path> {
        Some(self.target.filepath())
    }

    fn data_version(&self) -> Option<String> {
        self.target.data_version()
    }
}

fn create(spec: &DatasetSpec<'_>) -> Result<Arc<dyn Dataset>, String> {
    let file_format: FileFormat = spec
        .arg("file_format")?
        .ok_or("'file_format' is required: csv, parquet or ipc")?;
    let target = FileTarget::of(spec)?;
    if target.is_remote() {
        return Err(
            "'filepath': a lazy dataset scans a local file; for object storage use \
             polars.ParquetDataset (or CSVDataset, IPCDataset), which load eagerly"
                .into(),
        );
    }
    Ok(Arc::new(LazyDataset {
        target,
        format: file_format.format()(spec)?,
    }))
}

pub(crate) fn dataset_type() -> DatasetType {
    DatasetType::new(
        "polars.LazyPolarsDataset",
        Holds::Fixed(TypeTag::of::<LazyFrame>()),
        &[
            "filepath",
            "file_format",
            "load_args",
            "save_args",
            "fs_args",
        ],
        create,
    )
    .versioned()
}

/// `lazy` keeping only `columns`, when the entry's `load_args` names some.
pub(crate) fn only_columns<S: AsRef<str>>(lazy: LazyFrame, columns: Option<&[S]>) -> LazyFrame {
    match columns {
        Some(columns) => lazy.select(columns.iter().map(|c| col(c.as_ref())).collect::<Vec<_>>()),
        None => lazy,
    }
}
