//! kedrust: Kedro's programming model in Rust.
//!
//! This is the crate a project depends on. It re-exports the public API of the library crates
//! so that a project's `main.rs` needs one `use kedrust::prelude::*;`.
//!
//! It must never hold logic of its own: everything here is a re-export.
//!
//! The repository README follows; its examples are compiled and run as doc tests.
#![doc = include_str!("../../../README.md")]

pub use kedrust_catalog as catalog;
pub use kedrust_cli as cli;
pub use kedrust_config as config;
pub use kedrust_pipeline as pipeline;
pub use kedrust_runner as runner;

/// What a project's `main.rs` and node modules usually need.
pub mod prelude {
    pub use kedrust_catalog::{Dataset, DatasetError, PartitionMap, Registry};
    pub use kedrust_pipeline::{
        BoxError, Filter, Node, NodeOutputs, Param, Pipeline, PipelineError, Value, named, node,
        pipeline, try_node,
    };
    pub use kedrust_runner::{
        CatalogInfo, ContextInfo, Hook, HookResult, NamedValues, NodeInfo, PipelineInfo, Pipelines,
        Project, RunError, RunResult,
    };
}
