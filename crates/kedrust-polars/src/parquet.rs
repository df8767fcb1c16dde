//! `polars.ParquetDataset`.

use crate::frame::{FrameFormat, frame_type};
use kedrust_catalog::{DatasetSpec, DatasetType};
use polars::polars_utils::compression::{BrotliLevel, GzipLevel, ZstdLevel};
use polars::prelude::*;
use serde::Deserialize;
use std::fs::File;
use std::io::{BufWriter, Seek};
use std::path::Path;

/// `load_args`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LoadArgs {
    columns: Option<Vec<String>>,
    n_rows: Option<usize>,
    low_memory: Option<bool>,
}

/// `save_args`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SaveArgs {
    /// `uncompressed`, `snappy`, `gzip`, `brotli`, `zstd` (default) or `lz4`.
    compression: Option<String>,
    compression_level: Option<i32>,
    statistics: Option<bool>,
    row_group_size: Option<usize>,
    data_page_size: Option<usize>,
}

#[derive(Debug)]
struct Parquet {
    load: LoadArgs,
    save: SaveArgs,
    compression: ParquetCompression,
}

impl FrameFormat for Parquet {
    fn read(&self, path: &Path) -> PolarsResult<DataFrame> {
        let mut r = ParquetReader::new(File::open(path)?)
            .with_columns(self.load.columns.clone())
            .set_low_memory(self.load.low_memory.unwrap_or(false));
        if let Some(n) = self.load.n_rows {
            r = r.with_slice(Some((0, n)));
        }
        r.finish()
    }

    fn scan(&self, path: &Path) -> PolarsResult<LazyFrame> {
        let args = ScanArgsParquet {
            n_rows: self.load.n_rows,
            low_memory: self.load.low_memory.unwrap_or(false),
            ..Default::default()
        };
        let lazy = LazyFrame::scan_parquet(PlRefPath::try_from_path(path)?, args)?;
        Ok(crate::lazy::only_columns(
            lazy,
            self.load.columns.as_deref(),
        ))
    }

    fn write(&self, frame: &mut DataFrame, out: &mut BufWriter<File>) -> PolarsResult<()> {
        ParquetWriter::new(out)
            .with_compression(self.compression)
            .with_statistics(self.statistics())
            .with_row_group_size(self.save.row_group_size)
            .with_data_page_size(self.save.data_page_size)
            .finish(frame)
            .map(|_| ())
    }

    fn sink(&self, query: LazyFrame, file: File) -> Option<PolarsResult<usize>> {
        let options = ParquetWriteOptions {
            compression: self.compression,
            statistics: self.statistics(),
            row_group_size: self.save.row_group_size,
            data_page_size: self.save.data_page_size,
            key_value_metadata: None,
            arrow_schema: None,
            compat_level: None,
        };
        let format = FileWriteFormat::Parquet(std::sync::Arc::new(options));
        let written = || {
            let mut file = file.try_clone()?;
            crate::frame::sink_into(query, file.try_clone()?, format)?;
            // The footer has the count: nothing else is read back.
            file.seek(std::io::SeekFrom::Start(0))?;
            ParquetReader::new(file).num_rows()
        };
        Some(written())
    }
}

impl Parquet {
    fn statistics(&self) -> StatisticsOptions {
        if self.save.statistics.unwrap_or(true) {
            StatisticsOptions::default()
        } else {
            StatisticsOptions::empty()
        }
    }
}

/// The compression Polars calls by these names; levels are checked here, not at save time.
fn compression(name: Option<&str>, level: Option<i32>) -> Result<ParquetCompression, String> {
    let bad = |e: PolarsError| format!("compression_level: {e}");
    Ok(match name.unwrap_or("zstd") {
        "uncompressed" => ParquetCompression::Uncompressed,
        "snappy" => ParquetCompression::Snappy,
        "lz4" => ParquetCompression::Lz4Raw,
        "zstd" => ParquetCompression::Zstd(level.map(ZstdLevel::try_new).transpose().map_err(bad)?),
        "gzip" => ParquetCompression::Gzip(
            level
                .map(|l| GzipLevel::try_new(u8::try_from(l).unwrap_or(u8::MAX)))
                .transpose()
                .map_err(bad)?,
        ),
        "brotli" => ParquetCompression::Brotli(
            level
                .map(|l| BrotliLevel::try_new(u32::try_from(l).unwrap_or(u32::MAX)))
                .transpose()
                .map_err(bad)?,
        ),
        other => {
            return Err(format!(
                "unknown compression '{other}'; use uncompressed, snappy, gzip, brotli, zstd or lz4"
            ));
        }
    })
}

/// The format of an entry's `load_args` and `save_args`.
pub(crate) fn format(spec: &DatasetSpec<'_>) -> Result<Box<dyn FrameFormat>, String> {
    let save: SaveArgs = spec.options("save_args")?;
    Ok(Box::new(Parquet {
        load: spec.options("load_args")?,
        compression: compression(save.compression.as_deref(), save.compression_level)?,
        save,
    }))
}

pub(crate) fn dataset_type() -> DatasetType {
    frame_type("polars.ParquetDataset", format)
}
