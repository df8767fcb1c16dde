//! The asset graph of a pipeline: persisted datasets are assets, and an asset depends on the
//! persisted datasets behind the memory and nothing datasets its node reads.

use kedrust_catalog::{CatalogBuilder, Registry};
use kedrust_pipeline::{Pipeline, node};
use kedrust_plan::AssetGraph;
use serde_json::json;

#[test]
fn lineage_looks_through_memory_and_nothing_datasets() {
    // raw (a source) -> load -> loaded (persisted) -> announce -> ready (nothing)
    //   -> publish (reads ready and loaded) -> staged (memory) -> finish -> report (persisted)
    let pipeline = Pipeline::new([
        node(|r: u64| r, "raw", "loaded").name("load"),
        node(|_: u64| (), "loaded", "ready").name("announce"),
        node(|(): (), l: u64| l + 1, ["ready", "loaded"], "staged").name("publish"),
        node(|s: u64| s.to_string(), "staged", "report").name("finish"),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog = CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(json!({
            "raw": {"type": "serde.JSONDataset", "filepath": "raw.json", "data_type": "u64"},
            "loaded": {"type": "serde.JSONDataset", "filepath": "loaded.json"},
            "ready": {"type": "NothingDataset"},
            "report": {"type": "text.TextDataset", "filepath": "report.txt"},
        })))
        .root(dir.path())
        .build()
        .unwrap();
    let graph = AssetGraph::build(&pipeline, &catalog);
    assert_eq!(graph.sources, ["raw"]);
    let deps: Vec<(&str, &[String], &str)> = graph
        .assets
        .iter()
        .map(|a| (a.dataset.as_str(), a.deps.as_slice(), a.node.as_str()))
        .collect();
    assert_eq!(
        deps,
        [
            ("loaded", &["raw".to_owned()][..], "load"),
            ("report", &["loaded".to_owned()][..], "finish"),
        ]
    );
    assert!(
        graph.asset("ready").is_none(),
        "a nothing dataset is no asset"
    );
    assert!(graph.asset("staged").is_none(), "nor is a memory dataset");
    // publish and finish share memory: one op materialises report.
    let op_of = |d: &str| graph.asset(d).map(|a| a.op.clone());
    assert_ne!(op_of("loaded"), op_of("report"));
}
