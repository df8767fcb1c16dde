//! A pipeline run in memory on given values, as a project's unit test would run it.

use kedrust_pipeline::{Param, Pipeline, fan_in, node};

#[test]
fn a_pipeline_runs_in_memory_on_given_values_for_a_unit_test() {
    let p = Pipeline::new([
        fan_in(|xs: Vec<i64>| xs.iter().sum::<i64>(), ["a", "b"], "sum"),
        node(
            |s: i64, k: Param<i64>| s * *k,
            ["sum", "params:scale"],
            "scaled",
        ),
    ])
    .unwrap();
    let out = kedrust_runner::InMemory::new(&p)
        .input("a", 2i64)
        .input("b", 5i64)
        .parameters(serde_json::json!({"scale": 10}))
        .run()
        .unwrap();
    assert_eq!(
        out.names().collect::<Vec<_>>(),
        ["scaled"],
        "free outputs only"
    );
    assert_eq!(out.get::<i64>("scaled"), Some(&70));
    // A missing input is the run's error, naming it.
    let err = kedrust_runner::InMemory::new(&p)
        .input("a", 2i64)
        .run()
        .unwrap_err();
    assert!(err.to_string().contains("'b'"), "{err}");
}
