//! Namespacing and remapping, rule by rule (Kedro spec §2.3).

use crate::{link, names, valid};
use kedrust_pipeline::{Node, Pipeline, Problem, node, pipeline};

fn with_param() -> Node {
    node(|a: String, _p: serde_json::Value| a, ["A", "params:x"], "B").name("n1")
}

fn io(p: &Pipeline, name: &str) -> (Vec<String>, Vec<String>) {
    let n = p
        .node(name)
        .unwrap_or_else(|| panic!("no node {name} in {:?}", p.node_names()));
    (n.inputs().to_vec(), n.outputs().to_vec())
}

fn v(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

#[test]
fn listed_inputs_stay_and_everything_else_is_prefixed() {
    let p = pipeline([with_param(), link("n2", "B", "C")])
        .namespace("ns")
        .inputs("A")
        .build()
        .unwrap();
    assert_eq!(names(&p), ["ns.n1", "ns.n2"]);
    assert_eq!(io(&p, "ns.n1"), (v(&["A", "params:ns.x"]), v(&["ns.B"])));
    assert_eq!(io(&p, "ns.n2"), (v(&["ns.B"]), v(&["ns.C"])));
}

#[test]
fn free_inputs_are_prefixed_unless_listed() {
    let p = pipeline([link("n", "model_input_table", "out")])
        .namespace("ns")
        .build()
        .unwrap();
    assert_eq!(io(&p, "ns.n").0, ["ns.model_input_table"]);
}

#[test]
fn listed_parameters_stay_and_renamed_ones_change() {
    let p = pipeline([with_param()])
        .namespace("ns")
        .parameters("x")
        .build()
        .unwrap();
    assert_eq!(io(&p, "ns.n1").0, ["ns.A", "params:x"]);
    let p = pipeline([with_param()])
        .namespace("ns")
        .parameters([("params:x", "y")])
        .build()
        .unwrap();
    assert_eq!(io(&p, "ns.n1").0, ["ns.A", "params:y"]);
}

#[test]
fn all_parameters_are_never_prefixed() {
    let n = node(
        |a: String, _p: serde_json::Value| a,
        ["A", "parameters"],
        "B",
    )
    .name("n");
    let p = pipeline([n]).namespace("ns").build().unwrap();
    assert_eq!(io(&p, "ns.n").0, ["ns.A", "parameters"]);
}

#[test]
fn outputs_may_expose_intermediates() {
    let p = pipeline([link("a", "x", "mid"), link("b", "mid", "out")])
        .namespace("ns")
        .outputs([("mid", "exposed")])
        .build()
        .unwrap();
    assert_eq!(io(&p, "ns.a").1, ["exposed"]);
    assert_eq!(io(&p, "ns.b").0, ["exposed"]);
    assert_eq!(io(&p, "ns.b").1, ["ns.out"]);
}

#[test]
fn transcoding_suffixes_are_kept() {
    let p = pipeline([link("a", "x", "C@pandas")])
        .outputs([("C", "C_new")])
        .build()
        .unwrap();
    assert_eq!(io(&p, "a").1, ["C_new@pandas"]);
    let p = pipeline([link("a", "x", "C@pandas")])
        .namespace("ns")
        .build()
        .unwrap();
    assert_eq!(io(&p, "ns.a").1, ["ns.C@pandas"]);
}

#[test]
fn without_prefixing_only_nodes_are_namespaced() {
    let p = pipeline([with_param()])
        .namespace("ns")
        .prefix_datasets_with_namespace(false)
        .build()
        .unwrap();
    assert_eq!(names(&p), ["ns.n1"]);
    assert_eq!(io(&p, "ns.n1"), (v(&["A", "params:x"]), v(&["B"])));
}

#[test]
fn namespaces_nest() {
    let inner = pipeline([link("n", "a", "b")])
        .namespace("inner")
        .build()
        .unwrap();
    let outer = pipeline([inner]).namespace("outer").build().unwrap();
    assert_eq!(names(&outer), ["outer.inner.n"]);
    assert_eq!(
        outer.node("outer.inner.n").unwrap().namespace_name(),
        Some("outer.inner")
    );
    assert_eq!(io(&outer, "outer.inner.n").0, ["outer.inner.a"]);
}

#[test]
fn default_names_are_recomputed_from_the_renamed_datasets() {
    fn f(s: String) -> String {
        s
    }
    let plain = node(f, "a", "b");
    let p = pipeline([plain.clone()]).namespace("ns").build().unwrap();
    let renamed = node(f, "ns.a", "ns.b");
    assert_eq!(p.node_names(), [format!("ns.{}", renamed.node_name())]);
    assert_ne!(renamed.node_name(), plain.node_name());
}

#[test]
fn tags_alone_do_not_remap() {
    let p = pipeline([link("a", "x", "y")]).tags(["t"]).build().unwrap();
    assert_eq!(io(&p, "a").0, ["x"]);
    assert!(p.node("a").unwrap().tag_set().contains("t"));
}

#[test]
fn every_mapping_problem_is_reported_with_suggestions() {
    let base = [link("a", "companies", "mid"), link("b", "mid", "out")];
    let err = pipeline(base.clone())
        .namespace("ns")
        .inputs(vec!["companys", "mid", "params:x"])
        .outputs("companies")
        .build()
        .unwrap_err();
    assert_eq!(
        err.problems,
        [
            Problem::UnknownMappedNames {
                names: v(&["companys", "params:x"]),
                hints: v(&["companies"]),
            },
            Problem::ParameterInInputs {
                names: v(&["params:x"])
            },
            Problem::MappedInputIsProduced { names: v(&["mid"]) },
            Problem::MappedOutputIsFreeInput {
                names: v(&["companies"])
            },
        ]
    );
    assert!(valid(base).len() == 2);
}
