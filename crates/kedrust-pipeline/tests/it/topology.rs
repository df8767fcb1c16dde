//! Layers, views and validation of whole pipelines.

use crate::{kinds, link, names, valid};
use kedrust_pipeline::{GroupBy, GroupKind, Pipeline, Problem, node};

fn layer_names(p: &Pipeline) -> Vec<Vec<String>> {
    p.grouped_nodes()
        .iter()
        .map(|l| l.iter().map(|n| n.node_name().to_owned()).collect())
        .collect()
}

#[test]
fn layers_are_kahns_and_sorted_by_name() {
    let p = valid([
        link("n3", "b", "e"),
        link("n2c", "a", "d"),
        link("n2a", "a", "b"),
        link("n1", "x", "a"),
        link("n2b", "a", "c"),
    ]);
    assert_eq!(
        layer_names(&p),
        [vec!["n1"], vec!["n2a", "n2b", "n2c"], vec!["n3"]]
    );
    assert_eq!(names(&p), ["n1", "n2a", "n2b", "n2c", "n3"]);
}

#[test]
fn order_does_not_depend_on_insertion_order() {
    let a = valid([
        link("a", "x", "y"),
        link("b", "y", "z"),
        link("c", "x", "w"),
    ]);
    let b = valid([
        link("c", "x", "w"),
        link("b", "y", "z"),
        link("a", "x", "y"),
    ]);
    assert_eq!(names(&a), names(&b));
}

#[test]
fn views_follow_kedro() {
    let p = valid([
        node(
            |a: String, _p: serde_json::Value| a,
            ["raw", "params:x"],
            "mid",
        )
        .name("one"),
        link("two", "mid", "final"),
    ]);
    let set = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
    assert_eq!(p.inputs(), set(&["params:x", "raw"]));
    assert_eq!(p.outputs(), set(&["final"]));
    assert_eq!(p.all_inputs(), set(&["mid", "params:x", "raw"]));
    assert_eq!(p.all_outputs(), set(&["final", "mid"]));
    assert_eq!(p.datasets().len(), 4);
    let deps = p.node_dependencies();
    assert!(deps["one"].is_empty());
    assert_eq!(deps["two"].iter().copied().collect::<Vec<_>>(), ["one"]);
    assert_eq!(
        p.terminal_nodes()
            .iter()
            .map(|n| n.node_name())
            .collect::<Vec<_>>(),
        ["two"]
    );
}

#[test]
fn terminal_nodes_include_early_layers() {
    let p = valid([
        link("sink", "x", "done"),
        link("a", "x", "y"),
        link("b", "y", "z"),
    ]);
    let mut t: Vec<&str> = p.terminal_nodes().iter().map(|n| n.node_name()).collect();
    t.sort();
    assert_eq!(t, ["b", "sink"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = Pipeline::new([
        link("a", "x", "y"),
        link("b", "q", "y"),
        link("c", "cars@pandas", "p"),
        link("d", "cars", "r"),
        link("bad name", "s", "t"),
    ])
    .unwrap_err();
    assert_eq!(
        kinds(&err.problems),
        [
            "InvalidNodeName",
            "TranscodingWithoutSeparator",
            "OutputNotUnique"
        ]
    );
}

#[test]
fn cycles_print_the_cycle() {
    let err = Pipeline::new([
        link("a", "z", "x"),
        link("b", "x", "y"),
        link("c", "y", "z"),
        link("d", "x", "w"),
    ])
    .unwrap_err();
    assert_eq!(
        err.problems,
        [Problem::Cycle {
            cycle: vec!["a".into(), "b".into(), "c".into(), "a".into()]
        }]
    );
}

#[test]
fn the_same_node_twice_is_kept_once_and_different_nodes_of_one_name_are_an_error() {
    let p = valid([link("a", "x", "y"), link("a", "x", "y")]);
    assert_eq!(p.len(), 1);
    let err = Pipeline::new([link("a", "x", "y"), link("a", "x", "z")]).unwrap_err();
    assert_eq!(
        err.problems,
        [Problem::DuplicateNodeNames {
            names: vec!["a".into()]
        }]
    );
}

#[test]
fn transcoded_datasets_link_nodes_by_base_name() {
    let p = valid([
        link("load", "raw", "cars@spark"),
        link("use", "cars@pandas", "out"),
    ]);
    assert_eq!(names(&p), ["load", "use"]);
    let err =
        Pipeline::new([link("a", "x", "cars@spark"), link("b", "y", "cars@pandas")]).unwrap_err();
    assert!(matches!(
        err.problems[..],
        [Problem::OutputNotUnique { .. }]
    ));
}

#[test]
fn grouping_by_namespace_follows_kedro() {
    let p = valid([
        link("prep", "raw", "clean").namespace("dp"),
        link("feat", "clean", "features").namespace("dp.sub"),
        link("train", "features", "model").namespace("ds"),
        link("report", "model", "report"),
    ]);
    let groups = p.group_nodes_by(GroupBy::Namespace);
    let summary: Vec<(String, GroupKind, Vec<String>, Vec<String>)> = groups
        .into_iter()
        .map(|g| (g.name, g.kind, g.nodes, g.dependencies))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "dp".into(),
                GroupKind::Namespace,
                vec!["dp.prep".into(), "dp.sub.feat".into()],
                vec![]
            ),
            (
                "ds".into(),
                GroupKind::Namespace,
                vec!["ds.train".into()],
                vec!["dp".into()]
            ),
            (
                "report".into(),
                GroupKind::Nodes,
                vec!["report".into()],
                vec!["ds".into()]
            ),
        ]
    );
    assert_eq!(p.group_nodes_by(GroupBy::Node).len(), 4);
}

#[test]
fn describe_prints_kedros_block() {
    let p = valid([link("one", "raw", "mid"), link("two", "mid", "final")]);
    insta::assert_snapshot!(p.describe(false));
}
