//! Union, difference and intersection.

use crate::{link, names, valid};
use kedrust_pipeline::{Pipeline, Problem};

#[test]
fn union_merges_equal_nodes() {
    let a = valid([link("a", "x", "y"), link("b", "y", "z")]);
    let b = valid([link("b", "y", "z"), link("c", "z", "w")]);
    let u = (&a + &b).unwrap();
    assert_eq!(names(&u), ["a", "b", "c"]);
    assert_eq!(names(&(&a | &b).unwrap()), names(&u));
    assert_eq!(names(&Pipeline::sum([&a, &b, &u]).unwrap()), names(&u));
}

#[test]
fn union_reports_conflicts() {
    let a = valid([link("a", "x", "y")]);
    let b = valid([link("a", "x", "z"), link("other", "q", "y")]);
    let err = a.union(&b).unwrap_err();
    assert_eq!(err.problems.len(), 2);
    assert!(matches!(
        err.problems[0],
        Problem::DuplicateNodeNames { .. }
    ));
    assert!(matches!(err.problems[1], Problem::OutputNotUnique { .. }));
}

#[test]
fn difference_and_intersection_compare_identity() {
    let a = valid([
        link("a", "x", "y"),
        link("b", "y", "z"),
        link("c", "z", "w"),
    ]);
    let b = valid([link("b", "y", "z").tags(["other"])]);
    assert_eq!(names(&(&a - &b)), ["a", "c"]);
    assert_eq!(names(&(&a & &b)), ["b"]);
    assert!((&a - &a).is_empty());
}

#[test]
fn pipelines_nest() {
    let inner = valid([link("a", "x", "y")]);
    let outer = Pipeline::new([
        inner.clone().into(),
        kedrust_pipeline::Part::Node(link("b", "y", "z")),
    ])
    .unwrap();
    assert_eq!(names(&outer), ["a", "b"]);
    let tagged = outer.tag(["t"]);
    assert!(tagged.nodes().all(|n| n.tag_set().contains("t")));
    assert!(
        outer.nodes().all(|n| n.tag_set().is_empty()),
        "tagging copies"
    );
}
