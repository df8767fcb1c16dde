//! Partitioned folders on a real S3 server (the test kit's): saved one object a partition,
//! loaded from one listing, an overwrite that removes what the new map does not have, and
//! each partition's dataset reaching the store with the folder's credentials.

use kedrust_catalog::{CatalogBuilder, PartitionMap, Registry};
use kedrust_testkit::S3Server;
use serde_json::json;

/// The test user's credentials for the server at `endpoint`, with Kedro's keys.
fn credentials(endpoint: &str) -> serde_json::Value {
    json!({
        "key": S3Server::KEY,
        "secret": S3Server::SECRET,
        "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
    })
}

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
            "credentials": credentials(s3.endpoint()),
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

/// Writers that race for one version of a versioned dataset on S3 (processes of two runs
/// given the same save version): the store's conditional write lets exactly one in, and the
/// others are told; the version holds the winner's value whole.
#[test]
fn a_version_on_s3_is_written_once_even_by_writers_that_race() {
    let s3 = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let catalog = || {
        CatalogBuilder::new(Registry::with_builtins())
            .config(kedrust_config::Config::inline(json!({"report": {
                "type": "json.JSONDataset",
                "filepath": "s3://kedrust/report.json",
                "versioned": true,
                "credentials": credentials(s3.endpoint()),
            }})))
            .root(dir.path())
            .save_version("2026-12-07T08.00.00.000Z")
            .build()
            .unwrap()
    };
    let writers: Vec<_> = (0..6).map(|_| catalog()).collect();
    let outcomes: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = writers
            .iter()
            .enumerate()
            .map(|(i, c)| {
                s.spawn(move || {
                    c.save("report", kedrust_pipeline::Value::new(json!({"writer": i})))
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<usize> = (0..outcomes.len())
        .filter(|i| outcomes[*i].is_ok())
        .collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(
            refused.contains(
                "save path s3://kedrust/report.json/2026-12-07T08.00.00.000Z/report.json must \
                 not exist when versioning is enabled"
            ),
            "{refused}"
        );
    }
    let stored: serde_json::Value = serde_json::from_str(
        &s3.object("report.json/2026-12-07T08.00.00.000Z/report.json")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(stored, json!({"writer": won[0]}));
    // A store told not to write conditionally still never overwrites a version.
    let unconditional = CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(json!({"report": {
            "type": "json.JSONDataset",
            "filepath": "s3://kedrust/report.json",
            "versioned": true,
            "credentials": credentials(s3.endpoint()),
            "fs_args": {"aws_conditional_put": "disabled"},
        }})))
        .root(dir.path())
        .save_version("2026-12-07T08.00.00.000Z")
        .build()
        .unwrap();
    let refused = unconditional
        .save(
            "report",
            kedrust_pipeline::Value::new(json!({"writer": "late"})),
        )
        .unwrap_err()
        .to_string();
    assert!(refused.contains("must not exist"), "{refused}");
}

/// Kedro's known pain: fsspec's listing of a big partitioned folder. Here a folder of 1,200
/// partitions (two pages of S3's listing) is listed in one paginated listing, and `exists` is
/// one request.
#[test]
fn a_big_partitioned_folder_on_s3_is_listed_in_one_paginated_listing() {
    let s3 = S3Server::start();
    let (endpoint, requests) = s3.counting_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let catalog = CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(json!({"days": {
            "type": "partitions.PartitionedDataset",
            "path": "s3://kedrust/days",
            "dataset": {"type": "json.JSONDataset"},
            "filename_suffix": ".json",
            "credentials": credentials(&endpoint),
        }})))
        .root(dir.path())
        .build()
        .unwrap();
    // Saved in four slices at once (the server takes a while per request).
    std::thread::scope(|s| {
        for slice in 0..4 {
            let catalog = &catalog;
            s.spawn(move || {
                let mut parts = PartitionMap::new();
                for day in (slice * 300)..(slice * 300 + 300) {
                    parts.insert(format!("{day:04}"), json!({"day": day}));
                }
                catalog
                    .save("days", kedrust_pipeline::Value::new(parts))
                    .unwrap();
            });
        }
    });
    let count = || requests.load(std::sync::atomic::Ordering::SeqCst);
    let before = count();
    let loaded = catalog
        .load("days")
        .unwrap()
        .take::<PartitionMap>()
        .unwrap();
    assert_eq!(loaded.ids().count(), 1_200);
    assert_eq!(count() - before, 2, "two pages of one listing");
    let before = count();
    assert!(catalog.exists("days").unwrap());
    assert!(count() - before <= 2, "{} requests", count() - before);
}

/// On object storage a dataset's data version is made of the objects' ETags: unchanged by
/// reading, changed by a save of other data, and for a partitioned folder by a new partition;
/// a dataset with nothing saved has none (its readers always run).
#[test]
fn data_versions_on_s3_follow_the_objects_etags() {
    let s3 = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let catalog = CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(json!({
            "report": {
                "type": "json.JSONDataset",
                "filepath": "s3://kedrust/report.json",
                "credentials": credentials(s3.endpoint()),
            },
            "days": {
                "type": "partitions.PartitionedDataset",
                "path": "s3://kedrust/days",
                "dataset": {"type": "json.JSONDataset"},
                "filename_suffix": ".json",
                "credentials": credentials(s3.endpoint()),
            },
        })))
        .root(dir.path())
        .build()
        .unwrap();
    let save = |name: &str, value: kedrust_pipeline::Value| catalog.save(name, value).unwrap();
    assert_eq!(catalog.data_version("report"), None);
    save("report", kedrust_pipeline::Value::new(json!({"total": 3})));
    let first = catalog.data_version("report").expect("a version");
    catalog.load("report").unwrap();
    assert_eq!(catalog.data_version("report").as_ref(), Some(&first));
    save("report", kedrust_pipeline::Value::new(json!({"total": 4})));
    assert_ne!(catalog.data_version("report").as_ref(), Some(&first));

    assert_eq!(catalog.data_version("days"), None);
    let mut parts = PartitionMap::new();
    parts.insert("2024-01-01", json!({"total": 1}));
    save("days", kedrust_pipeline::Value::new(parts));
    let one_day = catalog.data_version("days").expect("a version");
    let mut more = PartitionMap::new();
    more.insert("2024-01-02", json!({"total": 2}));
    save("days", kedrust_pipeline::Value::new(more));
    assert_ne!(catalog.data_version("days").as_ref(), Some(&one_day));
}
