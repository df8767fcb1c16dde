//! Filters (Kedro spec §2.5).

use crate::{link, names, valid};
use kedrust_pipeline::{Filter, FilterProblem, Pipeline, node};

/// `n1: A→B, n2: B→C, n3: [C, params:x]→D, sink: D→∅` plus a tagged side branch.
fn chain() -> Pipeline {
    valid([
        link("n1", "A", "B").tags(["first"]),
        link("n2", "B", "C"),
        node(|c: String, _x: serde_json::Value| c, ["C", "params:x"], "D").name("n3"),
        node(|_d: String| (), "D", ()).name("sink"),
        link("side", "A", "S")
            .tags(["side", "first"])
            .namespace("extra.deep"),
    ])
}

#[test]
fn only_nodes_and_tags() {
    let p = chain();
    assert_eq!(names(&p.only_nodes(&["n3", "n1"]).unwrap()), ["n1", "n3"]);
    assert_eq!(
        names(&p.only_nodes_with_tags(&["first"])),
        ["extra.deep.side", "n1"]
    );
    assert!(p.only_nodes_with_tags::<&str>(&[]).is_empty());
}

#[test]
fn from_and_to_nodes_follow_edges() {
    let p = chain();
    assert_eq!(names(&p.from_nodes(&["n2"]).unwrap()), ["n2", "n3", "sink"]);
    assert_eq!(names(&p.to_nodes(&["n3"]).unwrap()), ["n1", "n2", "n3"]);
    assert_eq!(names(&p.from_nodes(&["sink"]).unwrap()), ["sink"]);
}

#[test]
fn dataset_filters() {
    let p = chain();
    assert_eq!(names(&p.from_inputs(&["B"]).unwrap()), ["n2", "n3", "sink"]);
    assert_eq!(names(&p.to_outputs(&["C"]).unwrap()), ["n1", "n2"]);
    assert_eq!(
        names(&p.only_nodes_with_inputs(&["A"]).unwrap()),
        ["extra.deep.side", "n1"]
    );
    assert_eq!(names(&p.only_nodes_with_outputs(&["D"]).unwrap()), ["n3"]);
    assert!(p.to_outputs(&["params:x"]).unwrap().is_empty());
}

#[test]
fn transcoded_names_in_dataset_filters() {
    let p = valid([
        link("load", "raw", "cars@spark"),
        link("pandas_use", "cars@pandas", "p"),
        link("spark_use", "cars@spark", "s"),
    ]);
    assert_eq!(
        names(&p.from_inputs(&["cars"]).unwrap()),
        ["pandas_use", "spark_use"]
    );
    assert_eq!(
        names(&p.from_inputs(&["cars@pandas"]).unwrap()),
        ["pandas_use"]
    );
    assert_eq!(names(&p.to_outputs(&["cars"]).unwrap()), ["load"]);
    assert!(p.to_outputs(&["cars@pandas"]).unwrap().is_empty());
}

#[test]
fn namespaces_match_whole_segments() {
    let p = chain();
    assert_eq!(
        names(&p.only_nodes_with_namespaces(&["extra"]).unwrap()),
        ["extra.deep.side"]
    );
    assert_eq!(
        names(&p.only_nodes_with_namespaces(&["extra.deep"]).unwrap()),
        ["extra.deep.side"]
    );
    let err = p.only_nodes_with_namespaces(&["ext"]).unwrap_err();
    assert_eq!(
        err.problems,
        [FilterProblem::UnknownNamespaces {
            names: vec!["ext".into()],
            hints: vec!["extra".into()]
        }]
    );
}

#[test]
fn filter_intersects_filters_applied_to_the_original() {
    let p = chain();
    let f = Filter {
        from_nodes: vec!["n2".into()],
        to_nodes: vec!["n3".into()],
        ..Filter::default()
    };
    assert_eq!(names(&p.filter(&f).unwrap()), ["n2", "n3"]);
    let f = Filter {
        node_names: vec!["n1".into(), "n3".into()],
        from_inputs: vec!["B".into()],
        ..Filter::default()
    };
    // From B: n2, n3 and sink; of the two named nodes, only n3.
    assert_eq!(names(&p.filter(&f).unwrap()), ["n3"]);
    assert_eq!(p.filter(&Filter::default()).unwrap().len(), p.len());
}

#[test]
fn filter_reports_every_unknown_name_and_an_empty_result() {
    let p = chain();
    let f = Filter {
        node_names: vec!["side".into(), "n9".into()],
        from_inputs: vec!["Q".into()],
        node_namespaces: vec!["nope".into()],
        ..Filter::default()
    };
    let err = p.filter(&f).unwrap_err();
    assert_eq!(
        err.problems,
        [
            FilterProblem::UnknownNodes {
                names: vec!["side".into(), "n9".into()],
                hints: vec!["extra.deep.side".into()]
            },
            FilterProblem::UnknownDatasets {
                names: vec!["Q".into()],
                hints: vec![]
            },
            FilterProblem::UnknownNamespaces {
                names: vec!["nope".into()],
                hints: vec![]
            },
        ]
    );
    let f = Filter {
        tags: vec!["side".into()],
        node_names: vec!["n1".into()],
        ..Filter::default()
    };
    assert_eq!(
        p.filter(&f).unwrap_err().problems,
        [FilterProblem::Empty {
            unknown_tags: vec![],
            hints: vec![]
        }]
    );
    // A tag no node has is named, with the nearest one, when nothing is left to run.
    let f = Filter {
        tags: vec!["frist".into()],
        ..Filter::default()
    };
    let err = p.filter(&f).unwrap_err();
    assert_eq!(
        err.problems,
        [FilterProblem::Empty {
            unknown_tags: vec!["frist".into()],
            hints: vec!["first".into()]
        }]
    );
    insta::assert_snapshot!(err.to_string(), @"no node is tagged 'frist' (did you mean 'first'?): the filters leave no node to run");
}
