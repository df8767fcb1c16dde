//! Snapshots of every message a user reads from this crate.

use crate::link;
use kedrust_pipeline::{Filter, Pipeline, node, pipeline};

fn errors(result: Result<Pipeline, kedrust_pipeline::PipelineError>) -> String {
    result
        .expect_err("expected an invalid pipeline")
        .to_string()
}

#[test]
fn node_problems() {
    fn add(a: i64, b: i64) -> i64 {
        a + b
    }
    let text = errors(Pipeline::new([
        node(add, ["a", "b", "c"], "sum").name("adder"),
        node(add, ["x", "y"], "xy")
            .name("no/slash")
            .tags(["bad tag"]),
        node(|| (1u8, 2u8), (), ["same", "same"]).name("pair"),
        node(|x: u8| x, "loop", "loop@x").name("selfish"),
        node(|x: f64| x, "params:rate", "rate").name("rate"),
        node(|| (), (), ()).name("idle"),
        node(add, ["q@b@c", "ok"], "fine")
            .name("names")
            .namespace("bad..ns"),
    ]));
    insta::assert_snapshot!(text);
}

#[test]
fn pipeline_problems() {
    let text = errors(Pipeline::new([
        link("a", "x", "y"),
        link("a", "x", "z"),
        link("b", "q", "y"),
        link("c", "cars@pandas", "p"),
        link("d", "cars", "r"),
    ]));
    insta::assert_snapshot!(text);
}

#[test]
fn a_cycle() {
    insta::assert_snapshot!(errors(Pipeline::new([
        link("load", "report", "raw"),
        link("clean", "raw", "table"),
        link("report", "table", "report"),
    ])));
}

#[test]
fn a_type_mismatch() {
    insta::assert_snapshot!(errors(Pipeline::new([
        node(|| vec![1.0f64], (), "prices").name("load_prices"),
        node(|p: Vec<f32>| p.len(), "prices", "n").name("count_prices"),
    ])));
}

#[test]
fn mapping_problems() {
    insta::assert_snapshot!(errors(
        pipeline([link("a", "companies", "mid"), link("b", "mid", "out")])
            .namespace("ns")
            .inputs(vec!["companys", "mid", "params:x"])
            .outputs("companies")
            .build()
    ));
}

#[test]
fn filter_problems() {
    let p = Pipeline::new([
        link("prep", "raw", "clean").namespace("dp"),
        link("train", "clean", "model"),
    ])
    .unwrap();
    let f = Filter {
        node_names: vec!["prep".into(), "trian".into()],
        to_outputs: vec!["modle".into()],
        node_namespaces: vec!["ds".into()],
        ..Filter::default()
    };
    insta::assert_snapshot!(p.filter(&f).unwrap_err().to_string());
    let f = Filter {
        node_names: vec!["train".into()],
        to_outputs: vec!["clean".into()],
        ..Filter::default()
    };
    insta::assert_snapshot!("empty_filter", p.filter(&f).unwrap_err().to_string());
}
