//! The example, unchanged, on Kedro's own starter data (`../shared/data/spaceflights-starter`:
//! `shuttles.xlsx`, `companies.csv`, `reviews.csv`), against what pandas computes from the
//! same files the way the starter's pipeline does (`kedro_reference.py`, with the pinned
//! Python of `.venv-test`).

use crate::{parquet, project, spaceflights};
use std::path::Path;

const STARTER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/spaceflights-starter"
);

#[test]
fn the_example_on_kedros_starter_data_gets_kedros_table_and_an_r2_in_its_band() {
    let starter = Path::new(STARTER);
    if !starter.join("shuttles.xlsx").exists() {
        eprintln!("skipped: Kedro's starter data is not at {STARTER}");
        return;
    }
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/python");
    assert!(
        python.is_file(),
        "the pinned Python is not installed: run ./scripts/test"
    );
    let dir = project();
    let root = dir.path();
    let raw = root.join("data/01_raw");
    std::fs::create_dir_all(&raw).unwrap();
    for file in ["shuttles.xlsx", "companies.csv", "reviews.csv"] {
        std::fs::copy(starter.join(file), raw.join(file)).unwrap();
    }
    let (code, stderr) = spaceflights(root, &["run"]);
    assert_eq!(code, 0, "{stderr}");

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/kedro_reference.py");
    let out = kedrust_testkit::clean_command(&python)
        .arg(&script)
        .arg(&raw)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kedro: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let table = parquet(&root.join("data/03_primary/model_input_table.parquet"));
    assert_eq!(
        table.height() as u64,
        kedro["rows"].as_u64().unwrap(),
        "Kedro's rows"
    );
    assert_eq!(
        kedro["constant"],
        serde_json::json!(["moon_clearance_complete"]),
        "the quirk the generator reproduces"
    );
    let metrics: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("data/08_reporting/metrics.json")).unwrap(),
    )
    .unwrap();
    let r2 = metrics["r2_score"].as_f64().unwrap();
    let (low, high) = (
        kedro["low"].as_f64().unwrap(),
        kedro["high"].as_f64().unwrap(),
    );
    assert!(
        (low..=high).contains(&r2),
        "R² {r2} outside [{low:.3}, {high:.3}], the band of the starter's regression over 200 splits"
    );
}
