//! The wiring type check.

use crate::link;
use kedrust_pipeline::{Pipeline, Problem, node};

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
