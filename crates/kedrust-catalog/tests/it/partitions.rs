//! Partitioned entries: a `partitions:` definition checked with the entry, and the run's
//! partition key filling `{partition}` in the path.

use kedrust_catalog::{Catalog, CatalogBuilder, Registry};
use kedrust_pipeline::Value;
use serde_json::json;
use std::path::Path;

fn catalog(
    root: &Path,
    partition: Option<&str>,
    entries: serde_json::Value,
) -> Result<Catalog, String> {
    CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(entries))
        .root(root)
        .partition(partition.map(str::to_owned))
        .build()
        .map_err(|e| e.to_string())
}

fn sales() -> serde_json::Value {
    json!({"sales": {
        "type": "text.TextDataset",
        "filepath": "data/sales/{partition}.txt",
        "partitions": {"type": "static", "keys": ["north", "south"]},
    }})
}

#[test]
fn the_partition_key_picks_the_slice_a_dataset_reads_and_writes() {
    let root = tempfile::tempdir().unwrap();
    let south = catalog(root.path(), Some("south"), sales()).unwrap();
    south
        .save("sales", Value::new("12 shuttles".to_owned()))
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(root.path().join("data/sales/south.txt")).unwrap(),
        "12 shuttles"
    );
    assert!(!root.path().join("data/sales/north.txt").exists());
    assert_eq!(south.partition_key(), Some("south"));
    assert!(south.partitions("sales").is_some());
    // Without a key (listing the catalog) the entry is still checked.
    catalog(root.path(), None, sales()).unwrap();
}

#[test]
fn a_factory_pattern_leaves_the_partition_placeholder_for_the_key() {
    let root = tempfile::tempdir().unwrap();
    let regional = json!({"{region}_sales": {
        "type": "text.TextDataset",
        "filepath": "data/{region}/{partition}.txt",
        "partitions": {"type": "static", "keys": ["2024", "2025"]},
    }});
    let c = catalog(root.path(), Some("2025"), regional).unwrap();
    c.save("north_sales", Value::new("9".to_owned())).unwrap();
    assert!(root.path().join("data/north/2025.txt").is_file());
    assert!(c.partitions("north_sales").is_some());
}

#[test]
fn a_key_the_definition_does_not_have_is_refused_with_the_nearest_key() {
    let root = tempfile::tempdir().unwrap();
    let sout = catalog(root.path(), Some("sout"), sales()).unwrap();
    let err = sout.partition_problem("sales").unwrap();
    assert!(sout.load("sales").unwrap_err().to_string().contains(&err));
    assert!(
        err.contains(
            "'sout' is not one of its partition keys (north, south); did you mean 'south'?"
        ),
        "{err}"
    );
    let daily = json!({"events": {
        "type": "text.TextDataset",
        "filepath": "data/events/{partition}.txt",
        "partitions": {"type": "daily", "start": "2024-01-01"},
    }});
    let problem = |key: &str| {
        catalog(root.path(), Some(key), daily.clone())
            .unwrap()
            .partition_problem("events")
    };
    assert_eq!(problem("2024-02-29"), None);
    let err = problem("29/02/2024").unwrap();
    assert!(err.contains("the first is 2024-01-01"), "{err}");
    let err = problem("2023-12-31").unwrap();
    assert!(
        err.contains("'2023-12-31' is not one of its partition keys"),
        "{err}"
    );
}

#[test]
fn a_broken_definition_is_reported_with_the_entry() {
    let root = tempfile::tempdir().unwrap();
    let err = catalog(
        root.path(),
        None,
        json!({"events": {
            "type": "text.TextDataset",
            "filepath": "data/events/{partition}.txt",
            "partitions": {"type": "dayly", "start": "2024-01-01"},
        }}),
    )
    .unwrap_err();
    assert!(err.contains("dataset 'events'"), "{err}");
    assert!(
        err.contains("unknown partitions type 'dayly'; did you mean 'daily'?"),
        "{err}"
    );
    let err = catalog(
        root.path(),
        None,
        json!({"events": {
            "type": "text.TextDataset",
            "filepath": "data/events.txt",
            "partitions": {"type": "static", "keys": ["a"]},
        }}),
    )
    .unwrap_err();
    assert!(err.contains("needs '{partition}' in its path"), "{err}");
}

#[test]
fn a_mapping_is_found_by_the_output_name_as_written_or_a_pattern_it_matches() {
    let root = tempfile::tempdir().unwrap();
    let entries = json!({"sales": {
        "type": "text.TextDataset",
        "filepath": "data/sales/{partition}.txt",
        "partitions": {"type": "static", "keys": ["north", "south"]},
        "partition_mapping": {
            "reporting.summary": "all",
            "{region}.forecast": {"type": "static",
                "downstream_partition_keys_by_upstream_partition_key": {"north": "n"}},
        },
    }});
    let c = catalog(root.path(), Some("south"), entries).unwrap();
    use kedrust_partitions::PartitionMapping;
    // A dotted, namespaced name is matched as the catalog writes it.
    assert_eq!(
        c.partition_mapping("sales", "reporting.summary"),
        Some(PartitionMapping::All)
    );
    assert!(matches!(
        c.partition_mapping("sales", "eu.forecast"),
        Some(PartitionMapping::Static(_))
    ));
    assert_eq!(c.partition_mapping("sales", "reporting__summary"), None);
    assert_eq!(c.partition_mapping("sales", "other"), None);

    // Several keys read at once: a map of partitions, each loaded when asked for.
    for key in ["north", "south"] {
        std::fs::create_dir_all(root.path().join("data/sales")).unwrap();
        std::fs::write(root.path().join(format!("data/sales/{key}.txt")), key).unwrap();
    }
    c.map_partitions(
        "sales",
        kedrust_catalog::MappedRead {
            keys: vec!["north".into(), "south".into()],
            several: true,
        },
    );
    let loaded = c.load("sales").unwrap();
    let map = loaded
        .downcast_ref::<kedrust_catalog::PartitionMap>()
        .unwrap();
    assert_eq!(map.ids().collect::<Vec<_>>(), ["north", "south"]);
    assert_eq!(map.load::<String>("north").unwrap(), "north");
    let refused = c
        .save("sales", Value::new(String::new()))
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("read through a partition mapping"),
        "{refused}"
    );
}

#[test]
fn a_mapping_on_an_unpartitioned_entry_or_written_wrong_is_refused_with_the_entry() {
    let root = tempfile::tempdir().unwrap();
    let entries = json!({"plain": {
        "type": "text.TextDataset",
        "filepath": "data/plain.txt",
        "partition_mapping": {"out": {"type": "lst"}},
    }});
    let error = catalog(root.path(), None, entries).unwrap_err();
    assert!(
        error.contains("only a partitioned dataset (with `partitions:`) has partition mappings"),
        "{error}"
    );
    assert!(
        error.contains("unknown partition mapping type 'lst'; did you mean 'last'?"),
        "{error}"
    );
}
