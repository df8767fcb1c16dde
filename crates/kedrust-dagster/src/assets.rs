//! What a kedrust dataset is to Dagster: its asset key, its asset spec in the code location,
//! and the materialisation a save of it reports through Pipes. The rest of kedrust records
//! neutral facts (a dataset, its type, where it was saved, what the value looked like); only
//! this module turns them into Dagster's vocabulary.

use serde_json::{Map, Value as Json, json};

/// The asset key of a dataset, as kedro-dagster forms it: the environment, then the dotted
/// name's parts (`ns.model_input` in `local` is `local/ns/model_input`); a transcoded name
/// is its base name, and every character outside `[A-Za-z0-9_]` becomes `__` (Dagster names
/// the op outputs of a multi-asset after the key, and refuses other characters there).
pub fn asset_key(env: &str, dataset: &str) -> Vec<String> {
    let base = dataset.split('@').next().unwrap_or(dataset);
    std::iter::once(env)
        .chain(base.split('.'))
        .map(dagster_name)
        .collect()
}

/// `name` with every character outside `[A-Za-z0-9_]` replaced by `__`.
pub fn dagster_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else {
            out.push_str("__");
        }
    }
    out
}

/// What kedrust knows of a dataset that becomes an asset.
#[derive(Debug, Clone, Default)]
pub struct AssetFacts<'a> {
    /// The dataset.
    pub dataset: &'a str,
    /// Its catalog type (`polars.ParquetDataset`).
    pub type_name: Option<&'a str>,
    /// The catalog entry's `metadata`.
    pub metadata: Option<&'a Json>,
    /// The persisted datasets it is computed from.
    pub deps: &'a [String],
    /// The node that produces it and that node's namespace; none for a source asset.
    pub node: Option<(&'a str, Option<&'a str>)>,
    /// The registered pipeline the producing node belongs to (the first by name).
    pub pipeline: Option<&'a str>,
    /// The asset op that materialises it; none for a source asset.
    pub op: Option<&'a str>,
    /// The code version of what the producing node's result depends on besides its
    /// persisted inputs' data (its code, parameters and memory producers).
    pub code_version: Option<String>,
    /// For a raw input no node writes, which the code location observes for its data
    /// version: the catalog name its readers use (`x@polars` for a transcoded `x`).
    pub read_as: Option<&'a str>,
}

/// The spec `definitions.py` makes an asset from. Group: the entry's `metadata.group_name`
/// (or `group`), else the producing node's namespace (`a.b` is `a__b`), else its registered
/// pipeline, else `default`, and `external` for sources; description and `owners`/`tags` from the metadata; kinds from the
/// dataset type (`polars.ParquetDataset`: `polars`, `parquet`).
pub fn asset_spec(env: &str, facts: &AssetFacts<'_>) -> Json {
    let empty = Json::Object(Map::new());
    let metadata = facts.metadata.unwrap_or(&empty);
    let group = metadata
        .get("group_name")
        .or_else(|| metadata.get("group"))
        .and_then(Json::as_str)
        .map(dagster_name)
        .unwrap_or_else(|| match facts.node {
            None => "external".to_owned(),
            Some((_, Some(namespace))) => dagster_name(namespace),
            Some((_, None)) => facts.pipeline.map_or("default".to_owned(), dagster_name),
        });
    let type_name = facts.type_name.unwrap_or("MemoryDataset");
    let description = metadata
        .get("description")
        .and_then(Json::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| match facts.node {
            Some((node, _)) => {
                format!("{type_name} `{}`, produced by node `{node}`", facts.dataset)
            }
            None => format!(
                "{type_name} `{}`: no node of the `__default__` pipeline produces it (a source, \
                 or materialised by jobs only)",
                facts.dataset
            ),
        });
    // What the UI shows: the rest of the entry's metadata, and where the asset comes from.
    let mut shown: Map<String, Json> = metadata
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| {
            ![
                "group_name",
                "group",
                "description",
                "owners",
                "tags",
                "kinds",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    shown.insert("kedrust/dataset".into(), json!(facts.dataset));
    shown.insert("kedrust/type".into(), json!(type_name));
    if let Some((node, _)) = facts.node {
        shown.insert("kedrust/node".into(), json!(node));
    }
    json!({
        "key": asset_key(env, facts.dataset),
        "dataset": facts.dataset,
        "deps": facts.deps.iter().map(|d| asset_key(env, d)).collect::<Vec<_>>(),
        "deps_datasets": facts.deps,
        "group": group,
        "description": description,
        "kinds": kinds(type_name, metadata.get("kinds")),
        "owners": metadata.get("owners").cloned().unwrap_or(json!([])),
        "tags": metadata.get("tags").cloned().unwrap_or(json!({})),
        "code_version": facts.code_version,
        "observable": facts.read_as.is_some(),
        "read_as": facts.read_as,
        "op": facts.op,
        "metadata": shown,
    })
}

/// Kinds from a dataset type: its family and its format (`polars.ParquetDataset`: `polars`,
/// `parquet`), always with `kedrust`, then those the entry's `metadata.kinds` adds.
fn kinds(type_name: &str, declared: Option<&Json>) -> Vec<String> {
    let mut kinds = vec!["kedrust".to_owned()];
    let declared: Vec<String> = declared
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    let (family, class) = type_name.rsplit_once('.').unwrap_or(("", type_name));
    let format = class.trim_end_matches("Dataset").to_lowercase();
    let derived = [
        family.rsplit('.').next().unwrap_or("").to_lowercase(),
        format,
    ];
    for kind in derived
        .into_iter()
        .filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        if !kind.is_empty() && !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    for kind in declared {
        if !kind.is_empty() && !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    // Dagster takes at most ten.
    kinds.truncate(10);
    kinds
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
/// `version`, and the value's `row_count` and `columns` for tables) in run `run_id` of
/// environment `env`.
pub fn materialization(env: &str, saved: &Json, run_id: &str) -> Materialization {
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
    // The partition a save wrote (a fan-out's copy writes its key's), for the code location
    // to record the materialisation for it.
    if let Some(key) = saved["partition"].as_str() {
        metadata.insert(
            "kedrust/partition".into(),
            json!({"raw_value": key, "type": "text"}),
        );
    }
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
        key: asset_key(env, dataset).join("/"),
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
        let m = materialization("local", &saved, "r1");
        assert_eq!(m.key, "local/reporting/summary");
        assert_eq!(m.version.as_deref(), Some("2026-11-29T21.00.00.000Z"));
        assert_eq!(m.metadata["dagster/row_count"]["raw_value"], 3);
        assert_eq!(
            m.metadata["dagster/column_schema"]["raw_value"]["columns"][0]["name"],
            "a"
        );
        assert_eq!(m.metadata["path"]["type"], "path");
    }

    #[test]
    fn kinds_come_from_the_type_and_the_entrys_metadata() {
        let metadata = json!({"kinds": ["delta", "polars"], "layer": "primary"});
        let spec = asset_spec(
            "local",
            &AssetFacts {
                dataset: "trips",
                type_name: Some("polars.ParquetDataset"),
                metadata: Some(&metadata),
                ..Default::default()
            },
        );
        assert_eq!(
            spec["kinds"],
            json!(["kedrust", "polars", "parquet", "delta"])
        );
        assert_eq!(spec["metadata"]["layer"], "primary");
        assert!(spec["metadata"].get("kinds").is_none());
    }

    #[test]
    fn keys_are_kedro_dagsters_with_dagsters_characters() {
        assert_eq!(
            asset_key("prod", "ds.model_input"),
            ["prod", "ds", "model_input"]
        );
        assert_eq!(asset_key("local", "cars@polars"), ["local", "cars"]);
        assert_eq!(
            asset_key("local", "raw-data.v2 x"),
            ["local", "raw__data", "v2__x"]
        );
        assert_eq!(
            kinds("polars.ParquetDataset", None),
            ["kedrust", "polars", "parquet"]
        );
        assert_eq!(
            kinds("kedro_datasets.pandas.CSVDataset", None),
            ["kedrust", "pandas", "csv"]
        );
        assert_eq!(kinds("MemoryDataset", None), ["kedrust", "memory"]);
    }
}
