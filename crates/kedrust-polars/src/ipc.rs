//! `polars.IPCDataset`: the Arrow IPC (Feather v2) file format.

use crate::frame::{FrameFormat, frame_type};
use kedrust_catalog::DatasetType;
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

    fn write(&self, frame: &mut DataFrame, out: &mut BufWriter<File>) -> PolarsResult<()> {
        IpcWriter::new(out)
            .with_compression(self.compression)
            .finish(frame)
    }
}

pub(crate) fn dataset_type() -> DatasetType {
    frame_type("polars.IPCDataset", |spec| {
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
    })
}
