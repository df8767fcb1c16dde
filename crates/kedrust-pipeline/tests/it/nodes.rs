//! Nodes: typed arguments, outputs of every shape, fallible functions, names and identity.

use crate::{kinds, run_one};
use kedrust_pipeline::{
    NodeOutputs, NodeRunError, Param, Problem, TypeTag, Value, named, node, try_node,
};
use serde::Deserialize;
use std::collections::BTreeMap;

fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[test]
fn arguments_bind_by_position() {
    fn sub(a: i64, b: i64) -> i64 {
        a - b
    }
    let n = node(sub, ["x", "y"], "z");
    assert_eq!(
        run_one::<i64>(&n, vec![Value::new(10i64), Value::new(3i64)]),
        7
    );
}

#[test]
fn closures_and_zero_argument_functions_are_nodes() {
    let offset = 5;
    let n = node(move |a: i64| a + offset, "a", "b");
    assert_eq!(n.function_name(), "closure");
    assert_eq!(run_one::<i64>(&n, vec![Value::new(1i64)]), 6);
    let seed = node(|| 42u8, (), "answer");
    assert_eq!(run_one::<u8>(&seed, vec![]), 42);
}

#[test]
fn sixteen_arguments_are_accepted() {
    #[allow(clippy::too_many_arguments)]
    fn sum16(
        a: u8,
        b: u8,
        c: u8,
        d: u8,
        e: u8,
        f: u8,
        g: u8,
        h: u8,
        i: u8,
        j: u8,
        k: u8,
        l: u8,
        m: u8,
        n: u8,
        o: u8,
        p: u8,
    ) -> Vec<u8> {
        vec![a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]
    }
    let inputs: Vec<String> = (0..16).map(|i| format!("in{i}")).collect();
    let n = node(sum16, inputs, "total");
    assert!(n.problems().is_empty());
    let values = (1..=16u8).map(Value::new).collect();
    // Each input in its own argument, in declared order.
    assert_eq!(
        run_one::<Vec<u8>>(&n, values),
        (1..=16).collect::<Vec<u8>>()
    );
}

#[test]
fn user_types_travel_type_erased() {
    #[derive(Clone, Debug, PartialEq)]
    struct Model {
        slope: f64,
    }
    let fit = node(
        |xs: Vec<f64>| Model {
            slope: xs.iter().sum(),
        },
        "xs",
        "model",
    );
    let model = run_one::<Model>(&fit, vec![Value::new(vec![1.0, 2.0])]);
    assert_eq!(model, Model { slope: 3.0 });
    assert_eq!(fit.output_types(), [TypeTag::of::<Model>()]);
    assert_eq!(fit.input_types()[0].held, TypeTag::of::<Vec<f64>>());
}

#[test]
fn parameters_arrive_through_param() {
    #[derive(Deserialize)]
    struct Split {
        test_size: f64,
        random_state: u64,
    }
    let n = node(
        |rows: Vec<u32>, p: Param<Split>| (rows.len() as f64 * p.test_size) as u64 + p.random_state,
        ["rows", "params:split"],
        "n_test",
    );
    let params = Value::new(serde_json::json!({"test_size": 0.5, "random_state": 1}));
    assert_eq!(
        run_one::<u64>(&n, vec![Value::new(vec![1u32, 2, 3, 4]), params]),
        3
    );
    assert!(n.problems().is_empty());
}

#[test]
fn a_tuple_result_fills_a_list_of_outputs() {
    let split = node(|v: Vec<i32>| (v[0], v[1..].to_vec()), "v", ["head", "tail"]);
    let out = split.run(vec![Value::new(vec![1, 2, 3])]).unwrap();
    assert_eq!(out[0].downcast_ref::<i32>(), Some(&1));
    assert_eq!(out[1].downcast_ref::<Vec<i32>>(), Some(&vec![2, 3]));
}

#[derive(NodeOutputs)]
struct Fit {
    model: Vec<f64>,
    score: f64,
}

#[test]
fn a_derived_struct_fills_named_outputs() {
    let n = node(
        |x: Vec<f64>| Fit {
            score: x[0],
            model: x,
        },
        "x",
        named([("score", "r2"), ("model", "regressor")]),
    );
    assert_eq!(n.outputs(), ["r2", "regressor"]);
    assert_eq!(
        n.output_types(),
        [TypeTag::of::<f64>(), TypeTag::of::<Vec<f64>>()]
    );
    let out = n.run(vec![Value::new(vec![0.5, 1.0])]).unwrap();
    assert_eq!(out[0].downcast_ref::<f64>(), Some(&0.5));
    assert_eq!(out[1].downcast_ref::<Vec<f64>>(), Some(&vec![0.5, 1.0]));
}

#[test]
fn struct_keys_are_checked_before_anything_runs() {
    let n = node(
        |x: Vec<f64>| Fit {
            score: 0.0,
            model: x,
        },
        "x",
        named([("scor", "r2")]),
    );
    assert_eq!(
        n.problems(),
        [Problem::OutputKeys {
            node: n.node_name().to_owned(),
            unknown: vec!["scor".into()],
            missing: vec!["model".into(), "score".into()],
            available: vec!["model".into(), "score".into()],
        }]
    );
}

#[test]
fn a_map_result_fills_named_outputs_and_is_checked_at_run_time() {
    let n = node(
        |k: Vec<String>| {
            k.into_iter()
                .map(|k| {
                    let first = k.as_bytes()[0];
                    (k, first)
                })
                .collect::<BTreeMap<_, _>>()
        },
        "keys",
        named([("b", "out_b"), ("a", "out_a")]),
    );
    let ok = n
        .run(vec![Value::new(vec!["b".to_string(), "a".to_string()])])
        .unwrap();
    // In the declared order (b, a), each key's own value.
    let got: Vec<u8> = ok
        .iter()
        .map(|v| *v.downcast_ref::<u8>().unwrap())
        .collect();
    assert_eq!(got, [b'b', b'a']);
    let err = n.run(vec![Value::new(vec!["a".to_string()])]).unwrap_err();
    assert!(matches!(err, NodeRunError::Output { .. }), "{err}");
}

#[test]
fn unit_results_have_no_outputs() {
    let n = node(|_: String| (), "log_line", ());
    assert!(n.outputs().is_empty());
    assert!(n.run(vec![Value::new(String::new())]).unwrap().is_empty());
}

#[test]
fn fallible_functions_fail_the_node_with_their_error() {
    fn parse(s: String) -> Result<i64, std::num::ParseIntError> {
        s.parse()
    }
    let n = try_node(parse, "raw", "number").name("parse");
    assert_eq!(run_one::<i64>(&n, vec![Value::new("12".to_string())]), 12);
    let err = n.run(vec![Value::new("x".to_string())]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "node 'parse' failed: invalid digit found in string"
    );
    assert!(matches!(err, NodeRunError::Function { .. }));
    let any_error = try_node(|| Err::<u8, _>("plain text error"), (), "x");
    assert!(any_error.run(vec![]).is_err());
}

#[test]
fn a_result_given_to_node_is_refused_with_the_fix() {
    fn parse(s: String) -> Result<i64, std::num::ParseIntError> {
        s.parse()
    }
    let err =
        kedrust_pipeline::Pipeline::new([node(parse, "raw", "number").name("parse")]).unwrap_err();
    assert_eq!(
        err.problems,
        [Problem::NodeReturnsResult {
            node: "parse".into(),
            result: "Result<i64, ParseIntError>".into(),
        }]
    );
    assert_eq!(
        err.problems[0].to_string(),
        "node 'parse': the function returns Result<i64, ParseIntError>; use try_node(...) so \
         that an Err fails the node instead of being saved as the output"
    );
    // try_node takes the same function.
    assert!(kedrust_pipeline::Pipeline::new([try_node(parse, "raw", "number")]).is_ok());
}

#[test]
fn a_wrong_input_type_names_the_input() {
    let n = node(add, ["a", "b"], "c").name("adder");
    let err = n.run(vec![Value::new(1i64), Value::new("2")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "node 'adder' could not read input 'b': expected i64 but the dataset holds &str"
    );
}

#[test]
fn default_names_derive_from_function_and_datasets() {
    let a = node(add, ["a", "b"], "c");
    let b = node(add, ["a", "b"], "c");
    let c = node(add, ["a", "b"], "d");
    assert!(a.node_name().starts_with("add__"));
    assert_eq!(a.node_name(), b.node_name());
    assert_ne!(a.node_name(), c.node_name());
    assert_eq!(
        node(add, ["a", "b"], "c").namespace("ns").node_name(),
        format!("ns.{}", a.node_name())
    );
}

#[test]
fn display_follows_kedro() {
    assert_eq!(node(add, ["a", "b"], "c").to_string(), "add([a;b]) -> [c]");
    assert_eq!(
        node(add, ["a", "b"], "c").name("plus").to_string(),
        "plus: add([a;b]) -> [c]"
    );
    assert_eq!(
        node(|| 1u8, (), "one").to_string(),
        "closure(None) -> [one]"
    );
}

#[test]
fn identity_ignores_tags() {
    let a = node(add, ["a", "b"], "c").name("n").tags(["x"]);
    let b = node(add, ["a", "b"], "c").name("n").tags(["y"]);
    assert_eq!(a, b);
    assert_ne!(a, node(add, ["a", "b"], "d").name("n"));
}

#[test]
fn namespace_prefixes_are_listed_shortest_first() {
    let n = node(add, ["a", "b"], "c").namespace("a.b.c");
    assert_eq!(n.namespace_prefixes(), ["a", "a.b", "a.b.c"]);
    assert!(node(add, ["a", "b"], "c").namespace_prefixes().is_empty());
}

#[test]
fn construction_problems_are_all_reported() {
    let n = node(add, ["a", "b", "c"], "c")
        .name("bad name")
        .tags(["ok", "not ok"]);
    assert_eq!(
        kinds(&n.problems()),
        [
            "InvalidNodeName",
            "InvalidTag",
            "ArityMismatch",
            "InputIsOutput"
        ]
    );
}

#[test]
fn duplicate_outputs_and_empty_nodes_are_problems() {
    let dup = node(|| (1u8, 2u8), (), ["x", "x"]).name("dup");
    assert_eq!(
        dup.problems(),
        [Problem::DuplicateOutputs {
            node: "dup".into(),
            outputs: vec!["x".into()]
        }]
    );
    let empty = node(|| (), (), ()).name("nothing");
    assert_eq!(
        empty.problems(),
        [Problem::NoInputsOrOutputs {
            node: "nothing".into()
        }]
    );
}

#[test]
fn a_parameter_needs_param_or_raw_json() {
    let plain = node(|x: f64| x, "params:rate", "r").name("plain");
    assert!(matches!(
        plain.problems()[..],
        [Problem::ParameterArgument { .. }]
    ));
    let raw = node(|x: serde_json::Value| x, "params:rate", "r");
    assert!(raw.problems().is_empty());
    let all = node(
        |p: Param<BTreeMap<String, serde_json::Value>>| p.len(),
        "parameters",
        "n",
    );
    assert!(all.problems().is_empty());
}

#[test]
fn bad_dataset_names_are_problems() {
    let n = node(add, ["a@b@c", ""], "ok").name("n");
    let reasons: Vec<String> = n.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        reasons,
        [
            "node 'n': 'a@b@c' is not a valid dataset name: it has more than one transcoding separator '@'",
            "node 'n': '' is not a valid dataset name: it is empty",
        ]
    );
}
