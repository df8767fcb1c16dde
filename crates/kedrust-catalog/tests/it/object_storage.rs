//! Partitioned folders on a real S3 server (the test kit's): saved one object a partition,
//! loaded from one listing, an overwrite that removes what the new map does not have, and
//! each partition's dataset reaching the store with the folder's credentials.

use kedrust_catalog::{CatalogBuilder, PartitionMap, Registry};
use kedrust_testkit::S3Server;
use serde_json::json;

#[test]
fn a_partitioned_folder_on_s3_saves_loads_and_overwrites() {
    let s3 = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let entry = |overwrite: bool| {
        json!({
            "type": "partitions.PartitionedDataset",
            "path": "s3://kedrust/regions",
            "dataset": {"type": "json.JSONDataset"},
            "filename_suffix": ".json",
            "overwrite": overwrite,
            "credentials": {
                "key": S3Server::KEY,
                "secret": S3Server::SECRET,
                "client_kwargs": {"endpoint_url": s3.endpoint(), "region_name": "us-east-1"},
            },
        })
    };
    let catalog = CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(json!({
            "regions": entry(false),
            "regions_replaced": entry(true),
        })))
        .root(dir.path())
        .build()
        .unwrap();
    assert!(!catalog.exists("regions").unwrap());
    let mut parts = PartitionMap::new();
    parts
        .insert("north", json!({"total": 3}))
        .insert("south", json!({"total": 10}))
        .insert("east/coast", json!({"total": 15}));
    catalog
        .save("regions", kedrust_pipeline::Value::new(parts))
        .unwrap();
    assert_eq!(
        s3.keys("regions/"),
        [
            "regions/east/coast.json",
            "regions/north.json",
            "regions/south.json"
        ]
    );
    let loaded = catalog
        .load("regions")
        .unwrap()
        .take::<PartitionMap>()
        .unwrap();
    assert_eq!(
        loaded.ids().collect::<Vec<_>>(),
        ["east/coast", "north", "south"]
    );
    assert_eq!(
        loaded.load::<serde_json::Value>("south").unwrap(),
        json!({"total": 10})
    );
    // An overwrite leaves exactly the new map's partitions.
    let mut fewer = PartitionMap::new();
    fewer.insert("north", json!({"total": 4}));
    catalog
        .save("regions_replaced", kedrust_pipeline::Value::new(fewer))
        .unwrap();
    assert_eq!(s3.keys("regions/"), ["regions/north.json"]);
    // An id a URL would cut short is refused before anything is written.
    let mut odd = PartitionMap::new();
    odd.insert("a#1", json!({"total": 1}));
    let error = catalog
        .save("regions", kedrust_pipeline::Value::new(odd))
        .unwrap_err()
        .to_string();
    assert!(error.contains("partition id 'a#1' has '#'"), "{error}");
    assert_eq!(s3.keys("regions/"), ["regions/north.json"]);
    assert_eq!(
        s3.object("regions/north.json")
            .map(|t| t.replace(char::is_whitespace, "")),
        Some("{\"total\":4}".to_owned())
    );
}
