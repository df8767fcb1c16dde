//! Binding the catalog to a pipeline: types checked, datasets created, before any node runs.

use crate::{Model, project, scratch};
use kedrust_pipeline::{Param, Pipeline, node};

fn describe(text: String) -> String {
    text
}

fn train(_size: Param<f64>) -> Model {
    crate::model()
}

fn count(parts: kedrust_catalog::PartitionMap) -> usize {
    parts.len()
}

#[test]
fn a_node_reading_a_text_dataset_as_a_number_is_reported_before_the_run() {
    fn parse(n: u64) -> u64 {
        n
    }
    let c = project(tempfile::tempdir().unwrap().path());
    let p = Pipeline::new([
        node(parse, "greeting", "parsed").name("parse"),
        node(describe, "missing_input", "described").name("describe"),
    ])
    .unwrap();
    let err = c.bind(&p).unwrap_err().to_string();
    insta::assert_snapshot!(err.replace(env!("CARGO_MANIFEST_DIR"), "<crate>"));
}

#[test]
fn serde_datasets_take_their_type_from_the_pipeline() {
    let dir = scratch();
    let c = project(dir.path());
    let p = Pipeline::new([
        node(train, "params:model_options.test_size", "model").name("train"),
        node(count, "daily_reviews", "review_count").name("count"),
    ])
    .unwrap();
    c.bind(&p).unwrap();
    c.save("model", kedrust_pipeline::Value::new(crate::model()))
        .unwrap();
    assert_eq!(
        c.load("model").unwrap().take::<Model>().unwrap(),
        crate::model()
    );
}

#[test]
fn a_serde_type_without_codec_is_reported() {
    #[derive(Clone)]
    struct Unregistered;
    fn make() -> Unregistered {
        Unregistered
    }
    let c = project(tempfile::tempdir().unwrap().path());
    let p = Pipeline::new([node(make, (), "model").name("make")]).unwrap();
    let err = c.bind(&p).unwrap_err().to_string();
    assert!(
        err.ends_with("dataset 'model': serde.BinaryDataset: Unregistered has no serde codec; register it with Registry::serde_type::<T>()"),
        "{err}"
    );
}
