//! The data pipeline's inputs and configuration, the same for both projects (the nodes are in
//! `data_pipeline.rs` and `python/nodes.py`).

use std::fmt::Write as _;
use std::path::Path;

/// The catalog and parameters both projects use (the Kedro one with pandas' dataset types).
pub fn catalog_yml(frame_type: &str) -> String {
    format!(
        "transactions:\n  type: {frame_type}.CSVDataset\n  filepath: data/transactions.csv\n\n\
         categories:\n  type: {frame_type}.CSVDataset\n  filepath: data/categories.csv\n\n\
         summary:\n  type: {frame_type}.ParquetDataset\n  filepath: data/summary.parquet\n"
    )
}

/// kedrust's entries of the lazy variant: the same files as queries.
#[cfg(feature = "frames")]
pub const LAZY_CATALOG_YML: &str = "
transactions_lazy:
  type: polars.LazyPolarsDataset
  filepath: data/transactions.csv
  file_format: csv

categories_lazy:
  type: polars.LazyPolarsDataset
  filepath: data/categories.csv
  file_format: csv

summary_lazy:
  type: polars.LazyPolarsDataset
  filepath: data/summary_lazy.parquet
  file_format: parquet
";

/// `threshold` of `parameters.yml`.
pub const PARAMETERS_YML: &str = "threshold: 0.5\n";

/// Writes `rows` transactions over 1,000 categories, and the categories, into `data/`.
pub fn write_inputs(root: &Path, rows: usize) -> std::io::Result<()> {
    let data = root.join("data");
    std::fs::create_dir_all(&data)?;
    let mut text = String::with_capacity(rows * 32);
    text.push_str("id,category,value,amount\n");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for id in 0..rows {
        // xorshift: deterministic, and the same file on every machine.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let value = (state >> 11) as f64 / (1u64 << 53) as f64;
        let _ = writeln!(
            text,
            "{id},c{},{value:.6},{}",
            state % 1000,
            (state >> 20) % 1000
        );
    }
    std::fs::write(data.join("transactions.csv"), text)?;
    let mut categories = String::from("category,region\n");
    for c in 0..1000 {
        let _ = writeln!(categories, "c{c},r{}", c % 10);
    }
    std::fs::write(data.join("categories.csv"), categories)
}
