//! Job plans and the embedded orchestrator (issue #5, not built yet).
//!
//! Will own: `dagster.yml` jobs, the serialisable plan (start op, node ops, end op fed by every
//! terminal node), op naming, the run store and the orchestrator that follows Dagster's
//! execution model.
//!
//! Must never: keep pipeline-level state in one process's memory; it lives in the run store.
