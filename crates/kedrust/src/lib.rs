//! kedrust: Kedro's programming model in Rust.
//!
//! This is the crate a project depends on. It re-exports the public API of the library crates
//! so that a project's `main.rs` needs one `use kedrust::prelude::*;`.
//!
//! It must never hold logic of its own: everything here is a re-export.
//!
//! The repository README follows; its examples are compiled and run as doc tests.
#![doc = include_str!("../../../README.md")]

pub use kedrust_pipeline as pipeline;

/// What a project's `main.rs` and node modules usually need.
pub mod prelude {
    pub use kedrust_pipeline::{
        Filter, Node, NodeOutputs, Param, Pipeline, PipelineError, Value, named, node, pipeline,
        try_node,
    };
}
