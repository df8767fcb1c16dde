//! What a kedrust dataset is to Dagster: its asset key, its asset spec in the code location,
//! and the materialisation a save of it reports through Pipes. The rest of kedrust records
//! neutral facts (a dataset, its type, where it was saved, what the value looked like); only
//! this module turns them into Dagster's vocabulary.

use serde_json::{Map, Value as Json, json};

/// The asset key of a dataset: its dotted name's parts (`ns.model_input` → `ns/model_input`).
pub fn asset_key(dataset: &str) -> Vec<&str> {
    dataset.split('.').collect()
}

/// The spec `definitions.py` makes an asset from: key, group and description from the
/// catalog entry's `metadata`, and the dataset type.
pub fn asset_spec(dataset: &str, metadata: &Json, type_name: Option<&str>) -> Json {
    json!({
        "key": asset_key(dataset),
        "group": metadata.get("group_name").or_else(|| metadata.get("group")),
        "description": metadata.get("description"),
        "type": type_name,
    })
}

/// A save to report as an asset materialisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Materialization {
    /// The asset key, its parts joined by `/` as Pipes takes it.
    pub key: String,
    /// Dagster metadata entries (`{"raw_value": .., "type": ..}` each).
    pub metadata: Json,
    /// The data version (the run's save version).
    pub version: Option<String>,
}

/// The materialisation of a save the run store recorded (`dataset`, `type`, `path`,
/// `version`, and the value's `row_count` and `columns` for tables) in run `run_id`.
pub fn materialization(saved: &Json, run_id: &str) -> Materialization {
    let dataset = saved["dataset"].as_str().unwrap_or_default();
    let mut metadata = Map::new();
    metadata.insert(
        "dataset_type".into(),
        json!({"raw_value": saved["type"], "type": "text"}),
    );
    if let Some(path) = saved["path"].as_str() {
        metadata.insert("path".into(), json!({"raw_value": path, "type": "path"}));
    }
    metadata.insert(
        "kedrust_run_id".into(),
        json!({"raw_value": run_id, "type": "text"}),
    );
    // Tables: Dagster's own row count and column schema entries.
    if let Some(rows) = saved["value"]["row_count"].as_u64() {
        metadata.insert(
            "dagster/row_count".into(),
            json!({"raw_value": rows, "type": "int"}),
        );
    }
    if let Some(columns) = saved["value"]["columns"].as_array() {
        let columns: Vec<Json> = columns
            .iter()
            .map(|c| {
                json!({
                    "name": c["name"], "type": c["type"], "description": null,
                    "constraints": {"nullable": true, "unique": false, "other": []}, "tags": {}
                })
            })
            .collect();
        let schema = json!({"columns": columns, "constraints": {"other": []}});
        metadata.insert(
            "dagster/column_schema".into(),
            json!({"raw_value": schema, "type": "table_schema"}),
        );
    }
    Materialization {
        key: asset_key(dataset).join("/"),
        metadata: Json::Object(metadata),
        version: saved["version"].as_str().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_table_becomes_a_materialisation_with_dagsters_table_entries() {
        let saved = json!({
            "dataset": "reporting.summary", "type": "polars.ParquetDataset",
            "path": "data/summary.parquet", "version": "2026-11-29T21.00.00.000Z",
            "value": {"row_count": 3, "columns": [{"name": "a", "type": "Int64"}]},
        });
        let m = materialization(&saved, "r1");
        assert_eq!(m.key, "reporting/summary");
        assert_eq!(m.version.as_deref(), Some("2026-11-29T21.00.00.000Z"));
        assert_eq!(m.metadata["dagster/row_count"]["raw_value"], 3);
        assert_eq!(
            m.metadata["dagster/column_schema"]["raw_value"]["columns"][0]["name"],
            "a"
        );
        assert_eq!(m.metadata["path"]["type"], "path");
    }
}
