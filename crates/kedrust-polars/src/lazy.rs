//! `polars.LazyPolarsDataset`: a file as a Polars `LazyFrame`, as in Kedro.
//!
//! Loading reads nothing (but an Excel sheet, read whole): it gives a query that scans the
//! file when it runs. The nodes between
//! a load and a save extend that query, and memory datasets between them hold plans, not
//! rows, so a chain of lazy nodes from one persisted dataset to the next runs as one query
//! that Polars optimises whole: only the columns and rows the end needs are read. Saving runs
//! the query on Polars' streaming engine into the file (atomically, with the format's
//! `save_args`); Parquet takes the batches as they come, so the result is never whole in
//! memory.
//!
//! A scan runs when the query does, so it reads the file as it is then; a run that saves over
//! the file it scanned before the scan runs would read the new file. Kedro's dataset has the
//! same rule; versioned entries never share a file.

use crate::frame::{FormatOf, FrameFormat};
use kedrust_catalog::{
    Dataset, DatasetError, DatasetSpec, DatasetType, FileTarget, Holds, expect_ref,
};
use kedrust_pipeline::{TypeTag, Value};
use polars::prelude::{Engine, LazyFrame, col};
use serde::Deserialize;
use std::sync::{Arc, Mutex, PoisonError};

/// `file_format`: the formats Polars scans, as Kedro's dataset has them, and one sheet of
/// an Excel workbook, which Polars cannot scan: it is read whole at load.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FileFormat {
    Csv,
    Parquet,
    Ipc,
    Excel,
}

impl FileFormat {
    fn format(self) -> FormatOf {
        match self {
            FileFormat::Csv => crate::csv::format,
            FileFormat::Parquet => crate::parquet::format,
            FileFormat::Ipc => crate::ipc::format,
            FileFormat::Excel => crate::excel::format,
        }
    }
}

/// A file read as a query.
#[derive(Debug)]
pub struct LazyDataset {
    target: FileTarget,
    format: Box<dyn FrameFormat>,
    /// The rows the last save wrote, which its query did not know before it ran.
    saved_rows: Mutex<Option<usize>>,
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
        self.target.write(|out| {
            // Polars' streaming engine runs the query in batches. A format it writes takes
            // them as they come, so the result is never whole in memory; for the others
            // only the result is.
            let file = out.get_ref().try_clone()?;
            let rows = match self.format.sink(query.clone(), file) {
                Some(sunk) => sunk?,
                None => {
                    let mut frame = query
                        .collect_with_engine(Engine::Streaming)?
                        .unwrap_single();
                    self.format.write(&mut frame, out)?;
                    frame.height()
                }
            };
            *self
                .saved_rows
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(rows);
            Ok(())
        })
    }

    fn describe_saved(&self, value: &Value) -> Option<serde_json::Value> {
        let rows = (*self
            .saved_rows
            .lock()
            .unwrap_or_else(PoisonError::into_inner))?;
        let mut described = crate::describe_query(value.as_any());
        described["row_count"] = rows.into();
        Some(described)
    }

    crate::frame::file_target_methods!();
}

fn create(spec: &DatasetSpec<'_>) -> Result<Arc<dyn Dataset>, String> {
    let file_format: FileFormat = spec
        .arg("file_format")?
        .ok_or("'file_format' is required: csv, parquet, ipc or excel")?;
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
        saved_rows: Mutex::new(None),
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
