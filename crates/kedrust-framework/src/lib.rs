//! The framework layer: a project, a run prepared and checked before any hook fires, and the
//! hook lifecycle of a run in every mode.
//!
//! Owns: [`Project`] (pipelines, hooks, dataset types, resolvers, commands), preparing a run
//! (config, selection, catalog, plan), the run context (`run_context.rs`, the one
//! implementation of every pipeline-level lifecycle step), the embedded session, backfills
//! (a run per partition key), the ops of an orchestrated run and its failure handler,
//! orphans, `--resume`, the settings read from the environment and the per-run snapshot of
//! the configuration.
//!
//! Must never: execute nodes itself (the runner does) or know Dagster's vocabulary
//! (`kedrust-dagster` does); parse command lines or print.

mod backfill;
mod binary;
mod changed;
mod child;
mod dynamic_keys;
mod fan_out;
mod fan_out_reads;
mod missing;
mod ops;
mod options;
mod orphans;
mod parameters;
mod partition_status;
mod partitioned;
mod prepare;
mod project;
mod resume;
mod resuming;
mod run_context;
mod run_id;
mod session;
mod settings;
mod snapshot;

pub use backfill::{BackfillSummary, KeyOutcome, KeySelection, backfill, resume_backfill};
pub use changed::{Selection, code_versions, what_would_run};
pub use dynamic_keys::{
    KnownKeys, add_dynamic_keys, all_dynamic_keys, delete_dynamic_key, dynamic_keys,
};
pub use options::{RunOptions, RunSummary, SessionError};
pub use partition_status::{KeyState, KeyStatus, PartitionStatus, StatusTarget, partition_status};
pub use partitioned::{pipeline_partitions, shared_partitions};
pub use prepare::AD_HOC_JOB;
pub use prepare::{
    BuiltCatalog, Prepared, build_catalog, conf_dir, embedded_executor, find_job, load_dagster,
    plan_assets, plan_job, prepare, select, unmatched_patterns,
};
pub use project::{DEFAULT_PIPELINE, Pipelines, Project, ProjectCommand};
pub use resuming::resume_options;
pub use session::run;
pub use settings::{STATE_DIR_ENV, SharedState, open_store, shared_state};

/// What the command line's hidden commands call: one step of the process runner, one op of
/// an orchestrated run, its failure handler. Not for projects.
#[doc(hidden)]
pub mod orchestrated {
    pub use crate::backfill::{BACKFILL_RUN_COMMAND, backfill_run_options};
    pub use crate::binary::pin_binary;
    pub use crate::child::run_worker;
    pub use crate::ops::{
        SAVE_VERSION_STATE, fail_run, finish_run, open_runs, run_asset_op, run_op,
    };
}
