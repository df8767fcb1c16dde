//! `polars.NDJSONDataset` (one JSON object per line) and `polars.JSONDataset` (one array of
//! row objects).

use crate::frame::{FrameFormat, frame_type};
use kedrust_catalog::DatasetType;
use polars::prelude::*;
use serde::Deserialize;
use std::fs::File;
use std::io::BufWriter;
use std::num::NonZeroUsize;
use std::path::Path;

/// `load_args`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LoadArgs {
    infer_schema_length: Option<usize>,
    ignore_errors: Option<bool>,
    columns: Option<Vec<String>>,
}

#[derive(Debug)]
struct Json {
    /// One object per line (NDJSON) rather than one array.
    lines: bool,
    load: LoadArgs,
}

impl Json {
    fn format(&self) -> JsonFormat {
        if self.lines {
            JsonFormat::JsonLines
        } else {
            JsonFormat::Json
        }
    }
}

impl FrameFormat for Json {
    fn read(&self, path: &Path) -> PolarsResult<DataFrame> {
        JsonReader::new(File::open(path)?)
            .with_json_format(self.format())
            .infer_schema_len(self.load.infer_schema_length.and_then(NonZeroUsize::new))
            .with_ignore_errors(self.load.ignore_errors.unwrap_or(false))
            .with_projection(
                self.load
                    .columns
                    .as_ref()
                    .map(|c| c.iter().map(|s| s.as_str().into()).collect()),
            )
            .finish()
    }

    fn write(&self, frame: &mut DataFrame, out: &mut BufWriter<File>) -> PolarsResult<()> {
        JsonWriter::new(out)
            .with_json_format(self.format())
            .finish(frame)
    }
}

fn json_like(name: &str, lines: bool) -> DatasetType {
    frame_type(name, move |spec| {
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct NoSaveArgs {}
        let _: NoSaveArgs = spec.options("save_args")?;
        Ok(Box::new(Json {
            lines,
            load: spec.options("load_args")?,
        }))
    })
}

pub(crate) fn ndjson_type() -> DatasetType {
    json_like("polars.NDJSONDataset", true)
}

pub(crate) fn json_type() -> DatasetType {
    json_like("polars.JSONDataset", false)
}
