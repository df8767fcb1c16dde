//! The run store: every run, its ordered event log with Dagster's event kinds, and the
//! pipeline-level state hooks keep between the start and end ops, in one SQLite file (WAL)
//! that every process of a run opens, or in a PostgreSQL database that every host of a
//! distributed run reaches. **The two behave alike**: one set of queries serves both.
//!
//! Owns: the schema, runs (id, job, status, times, heartbeat, the options and plan as JSON,
//! the run it resumes), backfills, the keys of dynamic partitions, the lineage of each saved dataset, events, per-run key/value state, the "on_pipeline_error fired" claim
//! that makes the hook fire exactly once, who keeps each run alive, and finding orphans
//! (started runs of an embedded orchestrator that is gone).
//!
//! Must never: decide what a run does or call hooks; it records and answers.

mod backfills;
mod db;
mod events;
mod keeper;
mod lineage;
mod location;
mod postgres;
mod runs;
mod store;

pub use backfills::{BACKFILL_TAG, BackfillRecord, PARTITION_TAG};
pub use events::{Event, EventKind};
pub use keeper::{Keeper, MISSED_HEARTBEATS, check_run_id, process_start, this_host};
pub use lineage::Lineage;
pub use location::StoreLocation;
pub use runs::{NewRun, RunRecord, RunStatus};
pub use store::{FailureClaim, RunStore, StoreError, now_ns};
