//! Hooks and runners: the lifecycle of a run on one machine.
//!
//! Owns: the [`Hook`] trait with every Kedro hook and Kedro's call order, the tracing hook
//! (`KEDRUST_TRACE_HOOKS`), running one node between its hooks, the sequential and threaded
//! executors, releasing memory after the last consumer, Kedro's resume suggestion,
//! `--only-missing-outputs`, the multi-process runner (children of the project's binary), and
//! the session that puts them together for a [`Project`].
//!
//! Must never: parse command lines or print; it executes what it is given and reports what
//! happened through return values, [`RunEvent`]s and `tracing` logs.

mod child;
mod error;
mod executor;
mod hooks;
mod missing;
mod ops;
mod options;
mod orphans;
mod params;
mod prepare;
mod process;
mod project;
mod resume;
mod resuming;
mod run_context;
mod session;
mod settings;
mod snapshot;
mod task;
mod trace;

pub use child::run_child;
pub use error::{HookError, RunError};
pub use executor::{Failure, Observer, RunEvent, cancel, is_cancelled, run_nodes};
pub use hooks::{
    CatalogInfo, ContextInfo, Hook, HookResult, Hooks, NamedValues, NodeInfo, PipelineInfo,
    RunResult, RunState,
};
pub use ops::{SAVE_VERSION_STATE, fail_run, open_runs, run_op};
pub use options::{RunOptions, RunSummary, Runner, SessionError};
pub use params::{RunParams, framework_version};
pub use prepare::AD_HOC_JOB;
pub use prepare::{
    BuiltCatalog, Prepared, build_catalog, find_job, load_dagster, plan_job, prepare, select,
};
pub use process::CHILD_COMMAND;
pub use project::{DEFAULT_PIPELINE, Pipelines, Project, ProjectCommand};
pub use resuming::resume_options;
pub use session::run;
pub use settings::{HEARTBEAT_ENV, heartbeat_interval, open_store};
pub use trace::{TRACE_ENV, TracePoint, Tracer};
