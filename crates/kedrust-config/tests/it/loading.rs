//! Loading groups from layered environments.

use crate::{conf_with, load_error};
use kedrust_config::{ConfigLoader, MergeStrategy, parse_runtime_params};
use serde_json::json;

const LAYERED: &str = "tests/fixtures/layered/conf";
const BROKEN: &str = "tests/fixtures/broken/conf";
const BROKEN_GLOBALS: &str = "tests/fixtures/broken_globals/conf";

#[test]
fn anchors_merge_keys_and_subfolders_make_one_catalog() {
    let c = ConfigLoader::new(LAYERED, "local").load("catalog").unwrap();
    assert_eq!(
        c.value,
        json!({
            "companies": {"type": "polars.CSVDataset", "load_args": {"separator": ","}, "filepath": "data/01_raw/companies.csv"},
            "shuttles": {"type": "polars.CSVDataset", "load_args": {"separator": ";"}, "filepath": "data/01_raw/shuttles.csv"},
            "reviews": {"type": "polars.CSVDataset", "filepath": "data/01_raw/reviews.csv"},
        })
    );
    let at = c.location(&["reviews", "filepath"]).unwrap();
    assert_eq!(
        at.to_string(),
        "tests/fixtures/layered/conf/base/catalog/reviews.yml:3:3"
    );
}

#[test]
fn the_run_environment_overrides_whole_keys_by_default() {
    let loader = ConfigLoader::new(LAYERED, "prod");
    let c = loader.load("catalog").unwrap();
    assert_eq!(
        c.value["shuttles"],
        json!({"type": "polars.ParquetDataset", "filepath": "s3://bucket/shuttles.parquet"})
    );
    assert_eq!(c.location(&["shuttles", "type"]).unwrap().line, 2);
    assert!(
        c.location(&["shuttles", "load_args"]).is_none(),
        "replaced by prod"
    );
    let p = loader.load("parameters").unwrap();
    assert_eq!(p.value["model"], json!({"alpha": 0.5}));
}

#[test]
fn soft_merge_keeps_siblings() {
    let p = ConfigLoader::new(LAYERED, "prod")
        .merge_strategy("parameters", MergeStrategy::Soft)
        .load("parameters")
        .unwrap();
    assert_eq!(p.value["model"], json!({"kind": "linear", "alpha": 0.5}));
}

#[test]
fn underscore_keys_are_dropped_except_in_parameters() {
    let loader = ConfigLoader::new(LAYERED, "local");
    let catalog = loader.load("catalog").unwrap();
    assert!(catalog.value.get("_csv").is_none());
    assert!(catalog.location(&["_csv"]).is_none());
    assert_eq!(
        loader.load("parameters").unwrap().value["_private_but_kept"],
        json!(1)
    );
}

#[test]
fn runtime_parameters_override_only_named_leaves() {
    let params =
        parse_runtime_params("model.kind=ridge,split.test_size=0.3,extra.list=[1,2]").unwrap();
    let p = ConfigLoader::new(LAYERED, "local")
        .runtime_params(params)
        .load("parameters")
        .unwrap();
    assert_eq!(p.value["model"], json!({"kind": "ridge", "alpha": 1.0}));
    assert_eq!(
        p.value["split"],
        json!({"test_size": 0.3, "random_state": 3})
    );
    assert_eq!(p.value["extra"], json!({"list": [1, 2]}));
}

#[test]
fn groups_only_read_their_own_files() {
    let c = ConfigLoader::new(LAYERED, "local")
        .load("credentials")
        .unwrap();
    assert_eq!(c.value, json!({"db": {"user": "me"}}));
    assert_eq!(
        ConfigLoader::new(LAYERED, "local")
            .load("dagster")
            .unwrap()
            .value,
        json!({})
    );
}

#[test]
fn a_key_in_two_files_names_both() {
    let err = ConfigLoader::new(BROKEN, "local")
        .load("catalog")
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"tests/fixtures/broken/conf/base/catalog_more.yml:4:1: key 'companies' is already defined in tests/fixtures/broken/conf/base/catalog.yml:1:1; a key may be defined once per environment");
}

#[test]
fn yaml_errors_name_the_file_line_and_column() {
    let err = ConfigLoader::new(BROKEN, "local")
        .load("parameters")
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"tests/fixtures/broken/conf/base/parameters.yml:3:10: alias references unknown anchor");
}

#[test]
fn broken_globals_are_reported_by_every_group_that_could_read_them() {
    for group in ["globals", "catalog", "parameters"] {
        let err = ConfigLoader::new(BROKEN_GLOBALS, "local")
            .load(group)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "tests/fixtures/broken_globals/conf/base/globals.yml:1:1: the top level of a config file must be a mapping of keys to values",
            "{group}"
        );
    }
}

#[test]
fn a_missing_environment_suggests_the_nearest() {
    let err = ConfigLoader::new(LAYERED, "prd")
        .load("catalog")
        .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"environment 'prd' not found: tests/fixtures/layered/conf/prd is not a folder; did you mean 'prod'?");
}

#[test]
fn a_missing_default_local_environment_is_empty() {
    let c = ConfigLoader::new(BROKEN, "local").merge_strategy("catalog", MergeStrategy::Soft);
    assert!(
        c.load("credentials")
            .unwrap()
            .value
            .as_object()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn parameter_files_of_one_environment_merge_deeply_and_clash_only_on_a_leaf() {
    // Namespaced parameters split by pipeline, as Kedro projects write them.
    let dir = conf_with(&[
        (
            "parameters/data_science.yml",
            "price_predictor:\n  model:\n    alpha: 0.1\n",
        ),
        (
            "parameters/data_processing.yml",
            "price_predictor:\n  split:\n    test_size: 0.2\n  model:\n    max_iter: 100\n",
        ),
    ]);
    let params = ConfigLoader::new(dir.path(), "local")
        .load("parameters")
        .unwrap()
        .value;
    assert_eq!(
        params,
        json!({"price_predictor": {
            "model": {"alpha": 0.1, "max_iter": 100},
            "split": {"test_size": 0.2},
        }})
    );

    // The same leaf in two files is the one clash, named at both places.
    std::fs::write(
        dir.path().join("base/parameters/tuning.yml"),
        "price_predictor:\n  model:\n    alpha: 0.5\n",
    )
    .unwrap();
    let err = load_error(&dir, "parameters");
    insta::assert_snapshot!(err, @"<conf>/base/parameters/tuning.yml:3:5: key 'price_predictor.model.alpha' is already defined in <conf>/base/parameters/data_science.yml:3:5; a key may be defined once per environment");
}

#[test]
fn a_key_written_twice_in_one_file_names_both_lines() {
    let dir = conf_with(&[(
        "catalog.yml",
        "companies:\n  type: text.TextDataset\n  filepath: a.txt\n  filepath: b.txt\n",
    )]);
    let err = load_error(&dir, "catalog");
    insta::assert_snapshot!(err, @"<conf>/base/catalog.yml:4:3: key 'companies.filepath' is already defined in <conf>/base/catalog.yml:3:3; a key may be defined once per environment");
}
