//! What a project that depends on `kedrust` alone (as this one does) can write: the derive
//! expands to paths through the facade.

use kedrust::prelude::*;

#[derive(NodeOutputs)]
struct Halves {
    low: Vec<i64>,
    high: Vec<i64>,
}

fn halve(numbers: Vec<i64>) -> Halves {
    let (low, high) = numbers.iter().partition(|n| **n <= 2);
    Halves { low, high }
}

#[test]
fn a_project_that_depends_on_kedrust_alone_derives_node_outputs() {
    let n = node(
        halve,
        "numbers",
        named([("high", "high_numbers"), ("low", "low_numbers")]),
    );
    assert!(n.problems().is_empty(), "{:?}", n.problems());
    let out = n.run(vec![Value::new(vec![1i64, 2, 3, 4])]).unwrap();
    let parts: Vec<Vec<i64>> = out
        .into_iter()
        .map(|v| v.take::<Vec<i64>>().unwrap())
        .collect();
    assert_eq!(parts, [vec![3, 4], vec![1, 2]], "in the declared order");
}
