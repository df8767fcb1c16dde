//! A pipeline run in this process on given values, for unit tests: Kedro users test a
//! pipeline with a runner and a catalog of memory datasets; this is that, in one call.
//!
//! ```
//! use kedrust_pipeline::{Pipeline, Param, node};
//! use kedrust_runner::InMemory;
//! let p = Pipeline::new([
//!     node(|raw: String| raw.trim().to_owned(), "raw", "clean"),
//!     node(|c: String, n: Param<usize>| c.len() * *n, ["clean", "params:times"], "score"),
//! ])
//! .unwrap();
//! let out = InMemory::new(&p)
//!     .input("raw", " abc ".to_string())
//!     .parameters(serde_json::json!({"times": 2}))
//!     .run()
//!     .unwrap();
//! assert_eq!(out.get::<usize>("score"), Some(&6));
//! ```

use crate::RunError;
use crate::executor::{Runner, run_nodes};
use crate::hooks::Hooks;
use kedrust_catalog::{CatalogBuilder, Registry};
use kedrust_pipeline::{Pipeline, Value};
use std::any::Any;
use std::collections::BTreeMap;

/// A run of a pipeline on values given here, every dataset in memory, no hooks.
pub struct InMemory<'a> {
    pipeline: &'a Pipeline,
    inputs: Vec<(String, Value)>,
    parameters: serde_json::Value,
}

/// What an [`InMemory`] run produced: the values of the pipeline's free outputs.
#[derive(Debug, Default)]
pub struct Outputs(BTreeMap<String, Value>);

impl<'a> InMemory<'a> {
    /// A run of `pipeline`.
    pub fn new(pipeline: &'a Pipeline) -> Self {
        Self {
            pipeline,
            inputs: Vec::new(),
            parameters: serde_json::json!({}),
        }
    }

    /// The value of the free input `name`.
    pub fn input<T: Any + Send + Sync>(mut self, name: &str, value: T) -> Self {
        self.inputs.push((name.to_owned(), Value::new(value)));
        self
    }

    /// The parameters (`params:a.b` reads `{"a": {"b": ..}}`).
    pub fn parameters(mut self, parameters: serde_json::Value) -> Self {
        self.parameters = parameters;
        self
    }

    /// Runs every node, sequentially; the first failure is the error.
    pub fn run(self) -> Result<Outputs, RunError> {
        let engine = |e: &dyn std::fmt::Display| RunError::Engine {
            message: e.to_string(),
        };
        let catalog = CatalogBuilder::new(Registry::with_builtins())
            .parameters(self.parameters)
            .build()
            .map_err(|e| engine(&e))?;
        for (name, value) in self.inputs {
            catalog.save(&name, value).map_err(|e| engine(&e))?;
        }
        run_nodes(
            Runner::Sequential,
            self.pipeline,
            &catalog,
            &Hooks::new([]),
            &|_| {},
        )
        .map_err(|failure| failure.error)?;
        let mut out = BTreeMap::new();
        for name in self.pipeline.outputs() {
            let value = catalog.load(&name).map_err(|e| engine(&e))?;
            out.insert(name, value);
        }
        Ok(Outputs(out))
    }
}

impl Outputs {
    /// The output `name`, if the pipeline produced it with type `T`.
    pub fn get<T: Any>(&self, name: &str) -> Option<&T> {
        self.0.get(name).and_then(|v| v.downcast_ref::<T>())
    }

    /// The names of the outputs.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}
