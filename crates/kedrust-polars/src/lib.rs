//! Polars DataFrame datasets for the catalog: `polars.CSVDataset`, `polars.ParquetDataset`,
//! `polars.NDJSONDataset`, `polars.JSONDataset`, `polars.IPCDataset` and
//! `polars.ExcelDataset`, each storing a
//! `polars::prelude::DataFrame`, with `load_args`/`save_args` mapped to Polars' options; and
//! `polars.LazyPolarsDataset`, the same files as a `LazyFrame` query.
//!
//! Owns: reading and writing DataFrames, and nothing else. Must never: be a dependency of
//! the pipeline, config, catalog, runner or plan crates (Polars is the one heavy build); a
//! project opts in by calling [`register`].

mod csv;
mod excel;
mod frame;
mod ipc;
mod json;
mod lazy;
mod parquet;

pub use excel::{Sheets, excel_bytes};
pub use frame::FrameDataset;
pub use lazy::LazyDataset;
pub use polars::prelude::{DataFrame, LazyFrame};

use kedrust_catalog::{Codec, Registry};
use kedrust_pipeline::{TypeTag, Value};
use polars::prelude::{IntoLazy, IpcReader, IpcWriter, SerReader, SerWriter};

/// Adds the DataFrame dataset types to `registry`, and Arrow IPC as the way a DataFrame
/// travels between the processes of a run (a `LazyFrame` travels as its result).
pub fn register(registry: &mut Registry) -> &mut Registry {
    registry
        .codec_for(Codec::binary(TypeTag::of::<DataFrame>(), to_ipc, from_ipc))
        .codec_for(Codec::binary(
            TypeTag::of::<LazyFrame>(),
            query_to_ipc,
            query_from_ipc,
        ))
        .describer_for(TypeTag::of::<DataFrame>(), describe)
        .describer_for(TypeTag::of::<LazyFrame>(), describe_query)
        .register(lazy::dataset_type())
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

/// A query's result as Arrow IPC: another process cannot run this process's plan (it may
/// hold frames in memory), so it gets the rows.
fn query_to_ipc(value: &dyn std::any::Any) -> Result<Vec<u8>, String> {
    let query = value
        .downcast_ref::<LazyFrame>()
        .ok_or("expected a LazyFrame")?;
    let frame = query.clone().collect().map_err(|e| e.to_string())?;
    to_ipc(&frame)
}

fn query_from_ipc(bytes: &[u8]) -> Result<Value, String> {
    IpcReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map(|frame| Value::new(frame.lazy()))
        .map_err(|e| e.to_string())
}

/// A query's schema (its rows are not known until it runs; a lazy dataset adds the rows it
/// saved).
pub(crate) fn describe_query(value: &dyn std::any::Any) -> serde_json::Value {
    let Some(schema) = value
        .downcast_ref::<LazyFrame>()
        .and_then(|q| q.clone().collect_schema().ok())
    else {
        return serde_json::Value::Null;
    };
    let columns: Vec<serde_json::Value> = schema
        .iter()
        .map(|(name, dtype)| serde_json::json!({"name": name.as_str(), "type": dtype.to_string()}))
        .collect();
    serde_json::json!({"columns": columns})
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
