//! Polars DataFrame datasets for the catalog: `polars.CSVDataset`, `polars.ParquetDataset`,
//! `polars.NDJSONDataset`, `polars.JSONDataset` and `polars.IPCDataset`, each storing a
//! `polars::prelude::DataFrame`, with `load_args`/`save_args` mapped to Polars' options.
//!
//! Owns: reading and writing DataFrames, and nothing else. Must never: be a dependency of
//! the pipeline, config, catalog, runner or plan crates (Polars is the one heavy build); a
//! project opts in by calling [`register`].

mod csv;
mod frame;
mod ipc;
mod json;
mod parquet;

pub use frame::FrameDataset;
pub use polars::prelude::DataFrame;

use kedrust_catalog::Registry;

/// Adds the DataFrame dataset types to `registry`.
pub fn register(registry: &mut Registry) -> &mut Registry {
    registry
        .register(csv::dataset_type())
        .register(parquet::dataset_type())
        .register(json::ndjson_type())
        .register(json::json_type())
        .register(ipc::dataset_type())
}
