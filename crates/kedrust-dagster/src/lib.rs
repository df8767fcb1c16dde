//! Dagster: the external side of Dagster Pipes, and the generated code location
//! (`definitions.py`), whose ops run the project binary through Pipes (issue #6, in part).
//!
//! Owns: what a dataset is to Dagster (asset keys, specs, materialisation metadata, partitions
//! definitions and mappings as Dagster's classes), the
//! executor libraries of the code location, reading the Pipes bootstrap (`DAGSTER_PIPES_CONTEXT`, `DAGSTER_PIPES_MESSAGES`),
//! writing Pipes messages with one `write` per message line, and running standalone when
//! the variables are absent.
//!
//! Must never: change node semantics or duplicate node and catalog logic in Python.

mod assets;
mod celery_worker;
mod definitions;
mod partitions;
mod pipes;

pub use assets::{
    AssetFacts, Materialization, asset_key, asset_spec, dagster_name, materialization,
};
pub use celery_worker::CELERY_WORKER_PY;
pub use definitions::definitions_py;
pub use partitions::{mapping_spec, partitions_spec};
pub use pipes::{
    Channel, Pipes, PipesError, decode_param, encode_param, message_line, write_message,
};
