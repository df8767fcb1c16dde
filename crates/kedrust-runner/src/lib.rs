//! The runner: how the nodes of a run execute, and the hooks they fire.
//!
//! Owns: the [`Hook`] trait with every Kedro hook and Kedro's call order, the tracing hook
//! (`KEDRUST_TRACE_HOOKS`), running one node between its node and dataset hooks
//! ([`run_node`]), releasing memory after the last consumer, the sequential, threaded and
//! process executors ([`execute`], retries included), and the process runner's workers
//! ([`Launcher`] and [`WorkerChannel`], the run folder that carries memory datasets between
//! processes).
//!
//! Must never: know configuration, projects, sessions or the run store's lifecycle; that is
//! `kedrust-framework`, which prepares a run and calls this crate. It executes what it is given
//! and reports what happened through return values, [`RunEvent`]s and `tracing` logs.

mod cancel;
mod error;
mod executor;
mod frames;
mod hooks;
mod in_memory;
mod params;
mod point;
mod pool;
mod process;
mod state_path;
mod task;
mod trace;
mod worker;

pub use cancel::{cancel, is_cancelled};
pub use error::{HookError, RunError};
pub use executor::{Failure, Observer, RunEvent, Runner, execute, panic_message, run_nodes};
pub use hooks::{
    CatalogInfo, ContextInfo, DatasetInfo, Hook, HookResult, Hooks, NamedValues, NodeInfo,
    PipelineInfo, RunResult, RunState,
};
pub use in_memory::{InMemory, Outputs};
pub use params::{RunParams, framework_version};
pub use point::HookPoint;
pub use process::{Launcher, MemoryFiles, install, run_dir, tie_to_parent, without_codec};
pub use state_path::StatePath;
pub use task::{Execution, discard_outputs, run_node};
pub use trace::{TracePoint, Tracer};
pub use worker::{WORKER_COMMAND, WorkerChannel};
