//! Dagster export and Pipes (issue #6, not built yet).
//!
//! Will own: `definitions.py` generation, the external side of Dagster Pipes, and the commands
//! that drive Dagster (`init`, `dev`, `validate`).
//!
//! Must never: change node semantics or duplicate node and catalog logic in Python.
