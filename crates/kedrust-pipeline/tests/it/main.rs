//! Integration tests of the pipeline model, one binary; one module per area.

mod algebra;
mod filters;
mod messages;
mod namespaces;
mod nodes;
mod properties;
mod topology;
mod typecheck;

use kedrust_pipeline::{Node, Pipeline, Value, node};

/// `a -> b` as a node named `name` that copies a string.
pub fn link(name: &str, input: &str, output: &str) -> Node {
    fn copy(s: String) -> String {
        s
    }
    node(copy, input, output).name(name)
}

/// A pipeline that must be valid.
pub fn valid<P: Into<kedrust_pipeline::Part>>(parts: impl IntoIterator<Item = P>) -> Pipeline {
    Pipeline::new(parts).unwrap_or_else(|e| panic!("{e}"))
}

/// Names of the nodes of a pipeline, in execution order.
pub fn names(p: &Pipeline) -> Vec<String> {
    p.node_names().into_iter().map(str::to_owned).collect()
}

/// Runs a node on values and downcasts the single output.
pub fn run_one<T: Clone + Send + Sync + 'static>(n: &Node, inputs: Vec<Value>) -> T {
    let out = n.run(inputs).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.len(), 1);
    out.into_iter().next().unwrap().take::<T>().unwrap()
}

/// The variant names of problems, in order: `["Cycle", "TypeMismatch"]`.
pub fn kinds<T: std::fmt::Debug>(problems: &[T]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            format!("{p:?}")
                .split([' ', '('])
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// The promises the type system keeps, with kedrust's own compile errors
/// (`tests/compile_fail/*.rs` and the messages next to them).
#[test]
fn mistakes_in_node_declarations_do_not_compile_and_say_why() {
    trybuild::TestCases::new().compile_fail("tests/compile_fail/*.rs");
}
