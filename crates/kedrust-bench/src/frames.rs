//! The DataFrame benchmark: saving and loading a table of N rows through the catalog's
//! `polars.CSVDataset` and `polars.ParquetDataset` (atomic saves included).

use crate::report::{median, ms};
use kedrust_catalog::{CatalogBuilder, Registry};
use kedrust_config::ConfigLoader;
use kedrust_pipeline::Value;
use polars::prelude::*;
use std::fmt::Write;

/// Measures every size and returns the markdown table.
pub fn run(sizes: &[usize], repeat: usize) -> String {
    let mut out = String::from(
        "| rows | format | file size (MB) | save (ms) | load (ms) |\n|---:|---|---:|---:|---:|\n",
    );
    for &n in sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let base = dir.path().join("conf/base");
        std::fs::create_dir_all(&base).expect("conf folder");
        std::fs::write(
            base.join("catalog.yml"),
            "table_csv:\n  type: polars.CSVDataset\n  filepath: data/table.csv\n\n\
             table_parquet:\n  type: polars.ParquetDataset\n  filepath: data/table.parquet\n",
        )
        .expect("catalog file");
        let mut registry = Registry::with_builtins();
        kedrust_polars::register(&mut registry);
        let catalog = CatalogBuilder::new(registry)
            .config(
                ConfigLoader::new(dir.path().join("conf"), "local")
                    .load("catalog")
                    .expect("valid catalog"),
            )
            .root(dir.path())
            .build()
            .expect("valid catalog");
        let frame = table(n);
        for (name, file) in [
            ("table_csv", "table.csv"),
            ("table_parquet", "table.parquet"),
        ] {
            let (save, ()) = median(repeat, || {
                // Each save replaces the previous file, as a re-run would.
                catalog.save(name, Value::new(frame.clone())).expect("save");
            });
            let (load, loaded) = median(repeat, || catalog.load(name).expect("load"));
            let rows = loaded
                .downcast_ref::<DataFrame>()
                .map_or(0, DataFrame::height);
            assert_eq!(rows, n, "{name} round-trips every row");
            let size = std::fs::metadata(dir.path().join("data").join(file)).map_or(0, |m| m.len())
                as f64
                / 1e6;
            let format = if name.ends_with("csv") {
                "CSV"
            } else {
                "Parquet (zstd)"
            };
            let _ = writeln!(
                out,
                "| {n} | {format} | {size:.1} | {} | {} |",
                ms(save),
                ms(load)
            );
        }
    }
    out
}

/// A table like the spaceflights shuttles: ids, two float columns, a category, a flag, text.
fn table(n: usize) -> DataFrame {
    let ids: Vec<i64> = (0..n as i64).collect();
    let price: Vec<f64> = (0..n).map(|i| 1000.0 + (i % 997) as f64 * 3.5).collect();
    let rating: Vec<f64> = (0..n).map(|i| (i % 101) as f64 / 100.0).collect();
    let kind: Vec<&str> = (0..n)
        .map(|i| ["Type V5", "Type F5", "Type V2", "Type F2"][i % 4])
        .collect();
    let approved: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
    let location: Vec<String> = (0..n).map(|i| format!("Port {}", i % 503)).collect();
    DataFrame::new(
        n,
        vec![
            Column::new("id".into(), ids),
            Column::new("price".into(), price),
            Column::new("rating".into(), rating),
            Column::new("engine_type".into(), kind),
            Column::new("approved".into(), approved),
            Column::new("location".into(), location),
        ],
    )
    .expect("columns of equal length")
}
