//! The pipeline model: typed nodes, pipelines and their algebra.
//!
//! This crate owns what a Kedro user means by "node" and "pipeline": plain Rust functions with
//! named inputs and outputs ([`node`], [`try_node`]), validation with every problem reported
//! at once ([`PipelineError`]), the set operators, namespacing and remapping ([`pipeline`]),
//! the seven filters ([`Filter`]), topological layers, grouping and the wiring type check.
//!
//! It must never do IO, read configuration or know about datasets beyond their names and
//! Rust types: values cross it type-erased ([`Value`]), so DataFrame support lives in the
//! catalog's Polars crate and this crate builds without Polars.

mod algebra;
mod args;
mod describe;
mod filter;
mod graph;
mod group;
mod handler;
pub mod naming;
mod node;
mod outputs;
mod pipeline;
mod problem;
mod remap;
pub mod suggest;
mod typecheck;
mod types;
mod value;

pub use args::{
    ArgError, ArgKind, ArgType, NodeArg, Param, ParamCheck, PartitionValues, Partitions,
};
pub use filter::{Filter, FilterError, FilterProblem};
pub use group::{GroupBy, GroupKind, NodeGroup};
pub use handler::{CallError, Handler};
pub use kedrust_macros::NodeOutputs;
pub use node::{BoxError, IntoNames, Node, NodeRunError, fan_in, node, try_node};
pub use outputs::{
    MissingKey, Named, NamedOutputs, Names, OneNameEach, OutputBinding, OutputError, OutputSpec,
    Results, Splitter, TupleResult, named,
};
pub use pipeline::{Part, Pipeline};
pub use problem::{PipelineError, Problem};
pub use remap::{IntoMapping, Mapping, PipelineBuilder, pipeline};
pub use types::{TypeTag, short_type_name};
pub use value::Value;

#[doc(hidden)]
pub mod __private {
    //! Paths the derive macro expands to.
    pub use crate::outputs::NamedOutputs;
    pub use crate::types::TypeTag;
    pub use crate::value::Value;
}
