//! kedrust: Kedro's programming model in Rust.
//!
//! This is the crate a project depends on. It re-exports the public API of the library crates
//! so that a project's `main.rs` needs one `use kedrust::prelude::*;`.
//!
//! It must never hold logic of its own: everything here is a re-export.
//!
//! ```no_run
//! use kedrust::prelude::*;
//!
//! fn greet(name: String) -> String {
//!     format!("Hello, {name}!")
//! }
//!
//! fn pipelines() -> Result<Pipelines, PipelineError> {
//!     let mut p = Pipelines::new();
//!     p.insert("greet".into(), Pipeline::new([node(greet, "name", "greeting")])?);
//!     Ok(p)
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     kedrust::cli::main(Project::new("hello").pipelines(pipelines))
//! }
//! ```
//!
//! The repository's README and user guide (`docs/guide/`) say how to start a project, port a
//! Kedro one, write dataset types and hooks, and run on Dagster.

pub use kedrust_catalog as catalog;
pub use kedrust_cli as cli;
pub use kedrust_config as config;
pub use kedrust_pipeline as pipeline;

/// The DataFrame dataset types (`polars.CSVDataset`, `polars.ParquetDataset`, ...): register
/// them with `.datasets(|r| { kedrust::frames::register(r); })`. With the `polars` feature.
#[cfg(feature = "polars")]
pub use kedrust_polars as frames;
/// Polars, as the DataFrame dataset types use it. With the `polars` feature.
#[cfg(feature = "polars")]
pub use polars;

/// Hooks and the runner's executors, for projects that write hooks or run nodes themselves.
pub mod runner {
    pub use kedrust_runner::{
        CatalogInfo, ContextInfo, Failure, Hook, HookError, HookResult, Hooks, NamedValues,
        NodeInfo, Observer, PipelineInfo, RunError, RunEvent, RunParams, RunResult, RunState,
        Runner, run_nodes,
    };
}

/// Projects and runs, for embedding a run in another program (the command line does the
/// same): prepare a request, then run it with the hook lifecycle.
pub mod framework {
    pub use kedrust_framework::{
        DEFAULT_PIPELINE, Pipelines, Prepared, Project, ProjectCommand, RunOptions, RunSummary,
        SessionError, prepare, run,
    };
}

/// What a project's `main.rs` and node modules usually need.
pub mod prelude {
    pub use kedrust_catalog::{
        Dataset, DatasetContext, DatasetError, DatasetSpec, DatasetType, Holds, PartitionMap,
        Registry, TypedDataset, write_bytes, write_file,
    };
    pub use kedrust_config::ConfigLoader;
    pub use kedrust_framework::{Pipelines, Project};
    pub use kedrust_pipeline::{
        BoxError, Filter, Node, NodeOutputs, Param, Partitions, Pipeline, PipelineError, TypeTag,
        Value, fan_in, named, node, pipeline, try_node,
    };
    pub use kedrust_runner::{
        CatalogInfo, ContextInfo, DatasetInfo, Hook, HookResult, InMemory, NamedValues, NodeInfo,
        PipelineInfo, RunError, RunResult,
    };
}
