//! `polars.IPCDataset`: the Arrow IPC (Feather v2) file format.

use crate::frame::{FrameFormat, frame_type};
use kedrust_catalog::{DatasetSpec, DatasetType};
use polars::prelude::*;
use serde::Deserialize;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// `load_args`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LoadArgs {
    columns: Option<Vec<String>>,
    n_rows: Option<usize>,
}

/// `save_args`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SaveArgs {
    /// `uncompressed` (default), `lz4` or `zstd`.
    compression: Option<String>,
}

#[derive(Debug)]
struct Ipc {
    load: LoadArgs,
    compression: Option<IpcCompression>,
}

impl FrameFormat for Ipc {
    fn read(&self, path: &Path) -> PolarsResult<DataFrame> {
        IpcReader::new(File::open(path)?)
            .with_columns(self.load.columns.clone())
            .with_n_rows(self.load.n_rows)
            .finish()
    }

    fn scan(&self, path: &Path) -> PolarsResult<LazyFrame> {
        let lazy = LazyFrame::scan_ipc(
            PlRefPath::try_from_path(path)?,
            Default::default(),
            Default::default(),
        )?;
        let lazy = match self.load.n_rows {
            Some(n) => lazy.limit(n as IdxSize),
            None => lazy,
        };
        Ok(crate::lazy::only_columns(
            lazy,
            self.load.columns.as_deref(),
        ))
    }

    fn write(&self, frame: &mut DataFrame, out: &mut BufWriter<File>) -> PolarsResult<()> {
        IpcWriter::new(out)
            .with_compression(self.compression)
            .finish(frame)
    }
}

/// The format of an entry's `load_args` and `save_args`.
pub(crate) fn format(spec: &DatasetSpec<'_>) -> Result<Box<dyn FrameFormat>, String> {
    let save: SaveArgs = spec.options("save_args")?;
    let compression = match save.compression.as_deref() {
        None | Some("uncompressed") => None,
        Some("lz4") => Some(IpcCompression::LZ4),
        Some("zstd") => Some(IpcCompression::ZSTD(Default::default())),
        Some(other) => {
            return Err(format!(
                "unknown compression '{other}'; use uncompressed, lz4 or zstd"
            ));
        }
    };
    Ok(Box::new(Ipc {
        load: spec.options("load_args")?,
        compression,
    }))
}

pub(crate) fn dataset_type() -> DatasetType {
    frame_type("polars.IPCDataset", format)
}
