//! Versioned datasets: Kedro's layout, the newest version by default, pinned versions.

use crate::{Model, catalog_in, model};
use kedrust_catalog::{Catalog, CatalogBuilder, parse_load_versions};
use kedrust_pipeline::{Pipeline, Value, node};

/// A catalog bound to a pipeline that reads `model`, which tells the serde dataset its type.
fn bound(builder: CatalogBuilder) -> Catalog {
    fn score(m: Model) -> f64 {
        m.intercept
    }
    let c = builder.build().unwrap();
    c.bind(&Pipeline::new([node(score, "model", "score")]).unwrap())
        .unwrap();
    c
}

#[test]
fn saves_go_under_the_run_version_and_loads_take_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let first = bound(catalog_in("local", dir.path()).save_version("2026-11-25T10.00.00.000Z"));
    let err = first.load("model").unwrap_err().to_string();
    assert!(
        err.starts_with(
            "cannot load dataset 'model' (serde.BinaryDataset): did not find any versions of"
        ) && err
            .ends_with("data/06_models/model.cbor; save one first or pin one with --load-versions"),
        "{err}"
    );
    let mut m = model();
    first.save("model", Value::new(m.clone())).unwrap();
    let layout = dir
        .path()
        .join("data/06_models/model.cbor/2026-11-25T10.00.00.000Z/model.cbor");
    assert!(layout.is_file(), "Kedro's layout");

    let second = catalog_in("local", dir.path())
        .save_version("2026-11-25T11.00.00.000Z")
        .build()
        .unwrap();
    m.intercept = 7.0;
    second.save("model", Value::new(m.clone())).unwrap();
    let newest = bound(catalog_in("local", dir.path()));
    assert_eq!(
        newest
            .load("model")
            .unwrap()
            .take::<Model>()
            .unwrap()
            .intercept,
        7.0
    );

    let pinned = bound(
        catalog_in("local", dir.path())
            .load_versions(parse_load_versions("model:2026-11-25T10.00.00.000Z").unwrap()),
    );
    assert_eq!(
        pinned
            .load("model")
            .unwrap()
            .take::<Model>()
            .unwrap()
            .intercept,
        42.0
    );

    // A version is written once.
    let again = catalog_in("local", dir.path())
        .save_version("2026-11-25T11.00.00.000Z")
        .build()
        .unwrap();
    let err = again.save("model", Value::new(m)).unwrap_err().to_string();
    assert!(
        err.contains("must not exist when versioning is enabled"),
        "{err}"
    );
}

#[test]
fn a_missing_pinned_version_lists_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    catalog_in("local", dir.path())
        .save_version("2026-11-25T10.00.00.000Z")
        .build()
        .unwrap()
        .save("model", Value::new(model()))
        .unwrap();
    let pinned = bound(
        catalog_in("local", dir.path())
            .load_versions(parse_load_versions("model:2020-01-01T00.00.00.000Z").unwrap()),
    );
    let err = pinned.load("model").unwrap_err().to_string();
    assert!(
        err.ends_with(
            "model.cbor does not exist; 1 version(s) exist, the newest is '2026-11-25T10.00.00.000Z'"
        ) && err.contains("version '2020-01-01T00.00.00.000Z' of"),
        "{err}"
    );
    assert!(!pinned.exists("model").unwrap());
}

#[test]
fn a_plain_file_where_versions_belong_is_reported_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("data/06_models/model.cbor");
    std::fs::create_dir_all(plain.parent().unwrap()).unwrap();
    std::fs::write(&plain, b"old unversioned model").unwrap();
    let c = catalog_in("local", dir.path()).build().unwrap();
    let err = c
        .save("model", Value::new(model()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("a plain file with that name exists"), "{err}");
    assert_eq!(std::fs::read(&plain).unwrap(), b"old unversioned model");
}
