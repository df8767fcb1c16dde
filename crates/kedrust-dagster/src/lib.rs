//! Dagster: the external side of Dagster Pipes (built), and the code location export
//! (`definitions.py`, `dagster init|dev|validate`; issue #6, not built yet).
//!
//! Owns: reading the Pipes bootstrap (`DAGSTER_PIPES_CONTEXT`, `DAGSTER_PIPES_MESSAGES`),
//! writing Pipes messages with one `write` per message line, and running standalone when
//! the variables are absent.
//!
//! Must never: change node semantics or duplicate node and catalog logic in Python.

mod pipes;

pub use pipes::{
    Channel, Pipes, PipesError, decode_param, encode_param, message_line, write_message,
};
