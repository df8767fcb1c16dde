//! Jobs and their plans.
//!
//! Owns: `dagster.yml` (jobs with a pipeline and Kedro's seven filters, executors, schedules,
//! loggers and retry policies, strictly validated), and the serialisable [`JobPlan`]: a start
//! op every node op depends on, one op per node, an end op fed by every terminal node, op
//! names that are valid Dagster names mapped to nodes through a stored map, and the memory
//! datasets that cross op boundaries; the [`AssetGraph`] of a pipeline (persisted datasets,
//! their lineage through memory datasets, the nodes each must run with); and when schedules
//! fire (`ticks`).
//!
//! Must never: run anything or keep run state; the orchestrator executes plans and keeps
//! pipeline-level state in the run store.

mod assets;
mod dagster_yml;
mod grouping;
mod plan;
mod schema;
mod ticks;

pub use assets::{Asset, AssetGraph, AssetOp};
pub use dagster_yml::{
    Backoff, DagsterConfig, Executor, ExecutorKind, Job, RetryPolicy, Schedule, executor_options,
    parse,
};
pub use grouping::{Group, Grouping, NodeGroup, groups};
pub use plan::{Crossing, JobPlan, Op, OpKind, op_name};
pub use schema::{Problem, Problems};
pub use ticks::{next_tick, ticks, time_zone};
