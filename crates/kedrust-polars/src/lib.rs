//! Polars DataFrame datasets for the catalog: `polars.CSVDataset`, `polars.ParquetDataset`,
//! `polars.NDJSONDataset`, `polars.JSONDataset`, `polars.IPCDataset` and
//! `polars.ExcelDataset`, each storing a
//! `polars::prelude::DataFrame`, with `load_args`/`save_args` mapped to Polars' options.
//!
//! Owns: reading and writing DataFrames, and nothing else. Must never: be a dependency of
//! the pipeline, config, catalog, runner or plan crates (Polars is the one heavy build); a
//! project opts in by calling [`register`].

mod csv;
mod excel;
mod frame;
mod ipc;
mod json;
mod parquet;

pub use excel::{Sheets, excel_bytes};
pub use frame::FrameDataset;
pub use polars::prelude::DataFrame;

use kedrust_catalog::{Codec, Registry};
use kedrust_pipeline::{TypeTag, Value};
use polars::prelude::{IpcReader, IpcWriter, SerReader, SerWriter};

/// Adds the DataFrame dataset types to `registry`, and Arrow IPC as the way a DataFrame
/// travels between the processes of a run.
pub fn register(registry: &mut Registry) -> &mut Registry {
    registry
        .codec_for(Codec::binary(TypeTag::of::<DataFrame>(), to_ipc, from_ipc))
        .describer_for(TypeTag::of::<DataFrame>(), describe)
        .register(csv::dataset_type())
        .register(parquet::dataset_type())
        .register(json::ndjson_type())
        .register(json::json_type())
        .register(ipc::dataset_type())
        .register(excel::dataset_type())
}

fn to_ipc(value: &dyn std::any::Any) -> Result<Vec<u8>, String> {
    let frame = value
        .downcast_ref::<DataFrame>()
        .ok_or("expected a DataFrame")?;
    let mut out = Vec::new();
    IpcWriter::new(&mut out)
        .finish(&mut frame.clone())
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn from_ipc(bytes: &[u8]) -> Result<Value, String> {
    IpcReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map(Value::new)
        .map_err(|e| e.to_string())
}

/// A table's row count and schema, for materialisation records.
fn describe(value: &dyn std::any::Any) -> serde_json::Value {
    let Some(frame) = value.downcast_ref::<DataFrame>() else {
        return serde_json::Value::Null;
    };
    let columns: Vec<serde_json::Value> = frame
        .columns()
        .iter()
        .map(|c| serde_json::json!({"name": c.name().as_str(), "type": c.dtype().to_string()}))
        .collect();
    serde_json::json!({"row_count": frame.height(), "columns": columns})
}
