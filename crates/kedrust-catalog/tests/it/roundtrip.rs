//! Every built-in dataset type saves and loads back what it was given.

use crate::{Model, model, project, scratch};
use kedrust_catalog::{DatasetError, PartitionMap};
use kedrust_pipeline::Value;
use serde_json::json;

#[test]
fn text_and_bytes() {
    let dir = scratch();
    let c = project(dir.path());
    let greeting = c.load("greeting").unwrap();
    assert_eq!(
        greeting.downcast_ref::<String>().unwrap(),
        "hello from the raw layer\n"
    );
    c.save("blob", Value::new(vec![0u8, 1, 2, 255])).unwrap();
    let back = c.load("blob").unwrap().take::<Vec<u8>>().unwrap();
    assert_eq!(back, vec![0, 1, 2, 255]);
}

#[test]
fn json_and_yaml_documents() {
    let dir = scratch();
    let c = project(dir.path());
    // A document of its own for each, so that one read through the other's file shows.
    let doc = |format: &str| json!({"name": format, "layers": [1, 2, 3], "nested": {"ok": true}});
    for (name, format) in [("settings_json", "json"), ("settings_yaml", "yaml")] {
        c.save(name, Value::new(doc(format))).unwrap();
    }
    for (name, format) in [("settings_json", "json"), ("settings_yaml", "yaml")] {
        let back = c.load(name).unwrap().take::<serde_json::Value>().unwrap();
        assert_eq!(back, doc(format), "{name}");
    }
    let yaml =
        std::fs::read_to_string(dir.path().join("data/02_intermediate/settings.yml")).unwrap();
    assert!(yaml.contains("name: yaml"), "{yaml}");
    let json_text =
        std::fs::read_to_string(dir.path().join("data/02_intermediate/settings.json")).unwrap();
    let written: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(written, doc("json"));
}

#[test]
fn serde_types_in_json_and_cbor() {
    let dir = scratch();
    let c = project(dir.path());
    c.save("model_json", Value::new(model())).unwrap();
    assert_eq!(
        c.load("model_json").unwrap().take::<Model>().unwrap(),
        model()
    );
    let text = std::fs::read_to_string(dir.path().join("data/06_models/model.json")).unwrap();
    assert!(text.contains("\"intercept\": 42.0"), "{text}");
}

#[test]
fn a_wrong_type_is_refused_naming_the_dataset_and_both_types() {
    let dir = scratch();
    let c = project(dir.path());
    let err = c.save("greeting", Value::new(3_u32)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot save dataset 'greeting' (text.TextDataset): this dataset stores String, but was given u32"
    );
}

#[test]
fn memory_shares_and_nothing_carries_nothing() {
    let c = project(tempfile::tempdir().unwrap().path());
    let v = Value::new(vec![1, 2, 3]);
    c.save("shared", v.clone()).unwrap();
    let back = c.load("shared").unwrap();
    assert_eq!(
        back.share_count(),
        3,
        "one Arc shared by the caller, the dataset and the load"
    );
    c.save("done", Value::new(())).unwrap();
    assert!(c.load("done").unwrap().is::<()>());
    assert!(c.is_ephemeral("done") && c.is_ephemeral("shared") && !c.is_ephemeral("greeting"));
    c.release("shared");
    assert!(matches!(
        c.load("shared"),
        Err(kedrust_catalog::CatalogError::Dataset {
            source: DatasetError::NotSaved,
            ..
        })
    ));
}

#[test]
fn undeclared_datasets_live_in_memory() {
    let c = project(tempfile::tempdir().unwrap().path());
    c.save("scratchpad", Value::new("x".to_owned())).unwrap();
    assert_eq!(c.type_name("scratchpad").unwrap(), "MemoryDataset");
    assert!(c.is_ephemeral("scratchpad"));
    let err = c.load("greting").unwrap_err().to_string();
    assert_eq!(
        err,
        "dataset 'greting' not found in the catalog; did you mean 'greeting'?"
    );
}

#[test]
fn parameters_are_datasets() {
    let c = project(tempfile::tempdir().unwrap().path());
    let p = |name: &str| c.load(name).unwrap().take::<serde_json::Value>().unwrap();
    assert_eq!(p("params:model_options.test_size"), json!(0.2));
    assert_eq!(p("params:model_options.nested.depth"), json!(3));
    assert_eq!(
        p("params:model_options")["features"][1],
        "passenger_capacity"
    );
    assert_eq!(
        p("parameters")["model_options"]["nested"],
        json!({"depth": 3})
    );
}

#[test]
fn partitions_load_lazily_and_save_from_values_and_producers() {
    let dir = scratch();
    let c = project(dir.path());
    let parts = c
        .load("daily_reviews")
        .unwrap()
        .take::<PartitionMap>()
        .unwrap();
    assert_eq!(
        parts.ids().collect::<Vec<_>>(),
        ["2026-11-01", "2026-11-02"],
        "only files with the suffix, the suffix stripped"
    );
    assert_eq!(parts.load::<String>("2026-11-02").unwrap(), "bumpy landing");

    let mut out = PartitionMap::new();
    out.insert("north/a", json!({"n": 1}));
    out.insert_lazy("south/b", || Ok(json!({"n": 2})));
    c.save("report_parts", Value::new(out)).unwrap();
    let back = c
        .load("report_parts")
        .unwrap()
        .take::<PartitionMap>()
        .unwrap();
    assert_eq!(back.ids().collect::<Vec<_>>(), ["north/a", "south/b"]);
    assert_eq!(
        back.load::<serde_json::Value>("south/b").unwrap(),
        json!({"n": 2})
    );

    // `overwrite: true` replaces the folder: the old partitions are gone.
    let mut second = PartitionMap::new();
    second.insert("only", json!(3));
    c.save("report_parts", Value::new(second)).unwrap();
    let back = c
        .load("report_parts")
        .unwrap()
        .take::<PartitionMap>()
        .unwrap();
    assert_eq!(back.ids().collect::<Vec<_>>(), ["only"]);

    // A producer that fails leaves the previous folder whole.
    let mut failing = PartitionMap::new();
    failing.insert("fresh", json!(1));
    failing.insert_lazy("z_broken", || -> Result<serde_json::Value, _> {
        Err(DatasetError::Other("upstream API is down".into()))
    });
    let err = c.save("report_parts", Value::new(failing)).unwrap_err();
    assert!(err.to_string().ends_with("upstream API is down"), "{err}");
    let back = c
        .load("report_parts")
        .unwrap()
        .take::<PartitionMap>()
        .unwrap();
    assert_eq!(back.ids().collect::<Vec<_>>(), ["only"]);
}

#[test]
fn partition_ids_cannot_escape_the_folder() {
    let dir = scratch();
    let c = project(dir.path());
    let mut evil = PartitionMap::new();
    evil.insert("../outside", json!(1));
    let err = c.save("report_parts", Value::new(evil)).unwrap_err();
    assert!(
        err.to_string().contains("must be a relative path inside"),
        "{err}"
    );
    assert!(!dir.path().join("data/08_reporting/outside.json").exists());
}
