//! Reading the catalog group: entries, patterns, credentials and every problem at once.

use crate::{catalog_in, project, registry, scratch};
use kedrust_catalog::{CatalogBuilder, Source, parse_load_versions};
use kedrust_config::ConfigLoader;
use kedrust_pipeline::Value;
use serde_json::json;

#[test]
fn every_problem_of_a_broken_catalog_is_reported_with_its_line() {
    let loader = ConfigLoader::new("tests/fixtures/broken/conf", "local");
    let err = CatalogBuilder::new(registry())
        .config(loader.load("catalog").unwrap())
        .credentials(loader.load("credentials").unwrap().value)
        .build()
        .unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn patterns_resolve_in_kedros_order_and_fill_placeholders() {
    let c = project(tempfile::tempdir().unwrap().path());
    // `_report` has more literal characters than `.` + `_txt`, so it is tried first.
    assert_eq!(c.patterns(), ["{name}_report", "{layer}.{name}_txt"]);
    let r = c.resolve("03_primary.shuttles_txt").unwrap();
    assert_eq!(r.source, Source::Pattern("{layer}.{name}_txt".into()));
    assert_eq!(
        r.config.unwrap(),
        json!({"type": "text.TextDataset", "filepath": "data/03_primary/shuttles.txt"})
    );
    assert_eq!(r.at.unwrap().line, 57);
    assert!(c.resolve("nothing_matches_this").is_none());
    assert!(!c.contains("nothing_matches_this"));
}

#[test]
fn a_pattern_dataset_reads_and_writes_its_filled_path() {
    let dir = scratch();
    let c = project(dir.path());
    c.save("weekly_report", Value::new(json!({"rows": 3})))
        .unwrap();
    let written = dir.path().join("data/08_reporting/weekly.json");
    assert!(written.is_file());
    assert_eq!(c.type_name("weekly_report").unwrap(), "json.JSONDataset");
}

#[test]
fn the_catch_all_of_the_run_environment_comes_last() {
    let dir = scratch();
    let c = catalog_in("prod", dir.path()).build().unwrap();
    assert_eq!(c.patterns().last(), Some(&"{default}"));
    assert_eq!(
        c.resolve("anything").unwrap().source,
        Source::Pattern("{default}".into())
    );
    assert_eq!(
        c.resolve("weekly_report").unwrap().type_name,
        "json.JSONDataset"
    );
}

#[test]
fn listing_names_every_dataset_with_type_and_source() {
    let c = project(tempfile::tempdir().unwrap().path());
    let listed: Vec<(String, String)> = c
        .list()
        .into_iter()
        .map(|r| (r.name, r.type_name))
        .collect();
    insta::assert_debug_snapshot!(listed);
}

#[test]
fn load_versions_must_name_catalog_datasets() {
    assert_eq!(
        parse_load_versions("model:2026-01-01T00.00.00.000Z, other:v2").unwrap(),
        [
            ("model".to_owned(), "2026-01-01T00.00.00.000Z".to_owned()),
            ("other".to_owned(), "v2".to_owned())
        ]
        .into()
    );
    assert!(parse_load_versions("model").is_err());
    assert!(parse_load_versions("model:../x").is_err());
    let err = catalog_in("local", tempfile::tempdir().unwrap().path())
        .load_versions(parse_load_versions("modle:v1").unwrap())
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dataset 'modle': --load-versions names a dataset the catalog does not declare; did you mean 'model'?"
    );
}

#[test]
fn a_custom_types_own_path_key_is_taken_from_the_project_folder() {
    use kedrust_catalog::Registry;
    use kedrust_catalog::{Dataset, DatasetError, DatasetType, Holds};
    use kedrust_pipeline::TypeTag;
    use std::sync::Arc;

    /// Stands for a database file: loading says where it would open it.
    #[derive(Debug)]
    struct Database(std::path::PathBuf);
    impl Dataset for Database {
        fn load(&self) -> Result<Value, DatasetError> {
            Ok(Value::new(self.0.display().to_string()))
        }
        fn save(&self, _: Value) -> Result<(), DatasetError> {
            Ok(())
        }
        fn exists(&self) -> Result<bool, DatasetError> {
            Ok(true)
        }
    }
    let mut registry = Registry::with_builtins();
    registry.register(DatasetType::new(
        "shop.Database",
        Holds::Fixed(TypeTag::of::<String>()),
        &["database"],
        |spec| Ok(Arc::new(Database(spec.path_in_project("database")?))),
    ));
    let root = tempfile::tempdir().unwrap();
    let entries = json!({
        "orders": {"type": "shop.Database", "database": "data/shop.db"},
        "elsewhere": {"type": "shop.Database", "database": "/srv/shop.db"},
    });
    let catalog = CatalogBuilder::new(registry)
        .config(kedrust_config::Config::inline(entries))
        .root(root.path())
        .build()
        .unwrap();
    let opened = |name: &str| catalog.load(name).unwrap().take::<String>().unwrap();
    assert_eq!(
        opened("orders"),
        root.path().join("data/shop.db").display().to_string(),
        "not the working directory's data/shop.db"
    );
    assert_eq!(opened("elsewhere"), "/srv/shop.db");
}

#[test]
fn memory_datasets_are_ephemeral_under_any_of_their_names() {
    let catalog = CatalogBuilder::new(registry())
        .config(kedrust_config::Config::inline(json!({
            "plain": {"type": "MemoryDataset"},
            "kedros": {"type": "kedro.io.MemoryDataset", "copy_mode": "assign"},
            "on_disk": {"type": "text.TextDataset", "filepath": "data/a.txt"},
        })))
        .build()
        .unwrap();
    assert!(catalog.is_ephemeral("plain"));
    assert!(catalog.is_ephemeral("kedros"));
    assert!(catalog.is_ephemeral("not_in_the_catalog"));
    assert!(!catalog.is_ephemeral("on_disk"));
}
