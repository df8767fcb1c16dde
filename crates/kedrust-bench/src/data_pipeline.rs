//! The data pipeline of the comparison with Kedro and pandas: a CSV of transactions, kept above
//! a threshold, summed and averaged per category, joined with the categories' regions, written
//! to Parquet. `python/nodes.py` holds the same three nodes in pandas; `compare/data.rs` writes
//! the inputs and the catalog. The lazy variant is the same three nodes on `LazyFrame`s from
//! `polars.LazyPolarsDataset`: one query from the CSV to the Parquet file.

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

fn keep_above_lazy(transactions: LazyFrame, threshold: Param<f64>) -> LazyFrame {
    transactions.filter(col("value").gt(lit(*threshold)))
}

fn by_category_lazy(kept: LazyFrame) -> LazyFrame {
    kept.group_by([col("category")]).agg([
        col("amount").sum().alias("total_amount"),
        col("value").mean().alias("mean_value"),
        len().alias("rows"),
    ])
}

fn with_region_lazy(summary: LazyFrame, categories: LazyFrame) -> LazyFrame {
    summary
        .inner_join(categories, col("category"), col("category"))
        .sort(["category"], SortMultipleOptions::default())
}

/// The three nodes on queries: nothing is read until the summary is saved.
pub fn lazy_pipeline() -> Result<Pipeline, PipelineError> {
    use kedrust_pipeline::node;
    Pipeline::new([
        node(
            keep_above_lazy,
            ["transactions_lazy", "params:threshold"],
            "kept_lazy",
        )
        .name("keep_above_lazy"),
        node(by_category_lazy, "kept_lazy", "by_category_lazy").name("by_category_lazy"),
        node(
            with_region_lazy,
            ["by_category_lazy", "categories_lazy"],
            "summary_lazy",
        )
        .name("with_region_lazy"),
    ])
}

/// The limit: the lazy variant's query as a plain Polars program, no framework, from the
/// project's `data/` CSV files to `data/summary_plain.parquet` (`kedrust-bench plain-polars`).
pub fn plain_polars(root: &std::path::Path, threshold: f64) -> PolarsResult<()> {
    let data = root.join("data");
    let scan =
        |name: &str| LazyCsvReader::new(PlRefPath::try_from_path(&data.join(name))?).finish();
    let summary = with_region_lazy(
        by_category_lazy(keep_above_lazy(scan("transactions.csv")?, Param(threshold))),
        scan("categories.csv")?,
    );
    let mut frame = summary
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let file = std::fs::File::create(data.join("summary_plain.parquet"))?;
    ParquetWriter::new(file).finish(&mut frame).map(|_| ())
}

/// The object storage case's pipelines (`compare/object_storage.rs`): the transactions
/// written to and read from Parquet on the S3 server, and a partitioned folder listed.
pub fn object_storage_pipelines() -> Result<Vec<(String, Pipeline)>, PipelineError> {
    use kedrust_catalog::PartitionMap;
    use kedrust_pipeline::node;
    let parts = |count: usize| {
        let mut map = PartitionMap::new();
        for i in 0..count {
            map.insert(format!("p{i:05}"), serde_json::json!({"i": i}));
        }
        map
    };
    Ok(vec![
        (
            "s3_write".into(),
            Pipeline::new([
                node(|t: DataFrame| t, "transactions", "s3_transactions").name("to_s3")
            ])?,
        ),
        (
            "s3_read".into(),
            Pipeline::new([node(
                |t: DataFrame| t.height() as i64,
                "s3_transactions",
                "s3_rows",
            )
            .name("count_rows")])?,
        ),
        (
            "s3_list".into(),
            Pipeline::new([node(
                |p: PartitionMap| p.len() as i64,
                "s3_parts",
                "s3_part_count",
            )
            .name("count_parts")])?,
        ),
        (
            "s3_make_parts".into(),
            Pipeline::new([node(
                move || {
                    // The case says how many (fewer in a smoke run).
                    let count = std::env::var(super::compare::PARTS_ENV)
                        .ok()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(super::compare::OBJECT_STORAGE_PARTS);
                    let made = parts(count);
                    (made.clone(), made)
                },
                (),
                ["s3_parts", "s3_parts_kedro"],
            )
            .name("make_parts")])?,
        ),
    ])
}
