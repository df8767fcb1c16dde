//! The wiring type check.

use crate::link;
use kedrust_pipeline::{Pipeline, Problem, fan_in, node};

#[test]
fn a_consumer_expecting_another_type_is_reported_before_any_run() {
    let produce = node(|| 3u32, (), "count").name("produce");
    let consume = node(|s: String| s.len(), "count", "len").name("consume");
    let err = Pipeline::new([produce, consume]).unwrap_err();
    assert_eq!(
        err.problems,
        [Problem::TypeMismatch {
            dataset: "count".into(),
            producer: "produce".into(),
            produced: "u32".into(),
            consumer: "consume".into(),
            expected: "String".into(),
        }]
    );
}

#[test]
fn transcoded_variants_may_differ_in_type() {
    let produce = node(|| 3u32, (), "count@int").name("produce");
    let consume = node(|s: String| s.len(), "count@text", "len").name("consume");
    assert!(Pipeline::new([produce, consume]).is_ok());
}

#[test]
fn matching_types_pass_and_free_inputs_are_not_checked() {
    assert!(Pipeline::new([link("a", "x", "y"), link("b", "y", "z")]).is_ok());
}

#[test]
fn every_input_of_a_fan_in_node_is_checked_against_its_element_type() {
    let scores = |name: &'static str| node(|| 0.5f64, (), name).name(format!("score_{name}"));
    let count = node(|| 3u32, (), "count").name("count");
    let total = fan_in(
        |xs: Vec<f64>| xs.iter().sum::<f64>(),
        ["a", "b", "count"],
        "total",
    )
    .name("total");
    let err = Pipeline::new([scores("a"), scores("b"), count, total.clone()]).unwrap_err();
    assert_eq!(
        err.problems,
        [Problem::TypeMismatch {
            dataset: "count".into(),
            producer: "count".into(),
            produced: "u32".into(),
            consumer: "total".into(),
            expected: "f64".into(),
        }]
    );
    let fine = node(|| 1.5f64, (), "count").name("count");
    assert!(Pipeline::new([scores("a"), scores("b"), fine, total]).is_ok());
}
