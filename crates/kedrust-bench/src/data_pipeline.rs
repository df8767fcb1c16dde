//! The data pipeline of the comparison with Kedro and pandas: a CSV of transactions, kept above
//! a threshold, summed and averaged per category, joined with the categories' regions, written
//! to Parquet. `python/nodes.py` holds the same three nodes in pandas; `compare/data.rs` writes
//! the inputs and the catalog.

use kedrust_pipeline::{Param, Pipeline, PipelineError, try_node};
use polars::prelude::*;

fn keep_above(transactions: DataFrame, threshold: Param<f64>) -> Result<DataFrame, String> {
    transactions
        .lazy()
        .filter(col("value").gt(lit(*threshold)))
        .collect()
        .map_err(|e| e.to_string())
}

fn by_category(kept: DataFrame) -> Result<DataFrame, String> {
    kept.lazy()
        .group_by([col("category")])
        .agg([
            col("amount").sum().alias("total_amount"),
            col("value").mean().alias("mean_value"),
            len().alias("rows"),
        ])
        .collect()
        .map_err(|e| e.to_string())
}

fn with_region(summary: DataFrame, categories: DataFrame) -> Result<DataFrame, String> {
    summary
        .lazy()
        .inner_join(categories.lazy(), col("category"), col("category"))
        .sort(["category"], SortMultipleOptions::default())
        .collect()
        .map_err(|e| e.to_string())
}

/// The three nodes.
pub fn pipeline() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        try_node(keep_above, ["transactions", "params:threshold"], "kept").name("keep_above"),
        try_node(by_category, "kept", "by_category").name("by_category"),
        try_node(with_region, ["by_category", "categories"], "summary").name("with_region"),
    ])
}
