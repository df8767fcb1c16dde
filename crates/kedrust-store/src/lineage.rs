//! Lineage: what each persisted dataset (or partition of one) was last saved from, so that
//! `run --only-changed` can tell whether a node would produce it differently now. One row per
//! dataset and partition key, replaced by every save.

use crate::db::sql_params;
use crate::store::{RunStore, StoreError, now_ns};
use serde_json::Value as Json;

/// What a dataset was last saved from.
#[derive(Debug, Clone, PartialEq)]
pub struct Lineage {
    /// The node that saved it.
    pub node: String,
    /// What the node's result depended on (code version, parameters, inputs' data versions).
    pub fingerprint: Json,
    /// The dataset's data version right after the save, if it has one.
    pub data_version: Option<String>,
    /// The run that saved it.
    pub run_id: String,
}

impl RunStore {
    /// Records that `dataset` (its partition `key`, or the whole dataset) was saved as
    /// `lineage` says.
    pub fn record_lineage(
        &self,
        dataset: &str,
        key: Option<&str>,
        lineage: &Lineage,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO lineage (dataset, partition_key, node, fingerprint, data_version, run_id, \
             saved_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (dataset, partition_key) DO UPDATE SET node = excluded.node,
             fingerprint = excluded.fingerprint, data_version = excluded.data_version,
             run_id = excluded.run_id, saved_ns = excluded.saved_ns",
            sql_params![
                dataset,
                key.unwrap_or_default(),
                lineage.node.as_str(),
                lineage.fingerprint.to_string(),
                lineage.data_version.clone(),
                lineage.run_id.as_str(),
                now_ns()
            ],
        )
        .map(drop)
    }

    /// What `dataset` (its partition `key`, or the whole dataset) was last saved from.
    pub fn lineage(&self, dataset: &str, key: Option<&str>) -> Result<Option<Lineage>, StoreError> {
        let rows = self.query(
            "SELECT node, fingerprint, data_version, run_id FROM lineage
             WHERE dataset = ?1 AND partition_key = ?2",
            sql_params![dataset, key.unwrap_or_default()],
        )?;
        Ok(rows.first().map(|row| Lineage {
            node: row[0].text(),
            fingerprint: serde_json::from_str(&row[1].text()).unwrap_or(Json::Null),
            data_version: row[2].opt_text(),
            run_id: row[3].text(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_save_replaces_the_lineage_of_its_dataset_and_partition_on_both_stores() {
        crate::store::tests::each_store(|open| {
            let (store, other) = (open(), open());
            assert_eq!(store.lineage("report", None).unwrap(), None);
            let saved = |run: &str, version: Option<&str>| Lineage {
                node: "total".into(),
                fingerprint: json!({"code_version": "1", "params": {}, "inputs": {}}),
                data_version: version.map(str::to_owned),
                run_id: run.into(),
            };
            store
                .record_lineage("report", None, &saved("r1", Some("a")))
                .unwrap();
            store
                .record_lineage("report", None, &saved("r2", None))
                .unwrap();
            store
                .record_lineage("report", Some("2024-01-01"), &saved("r3", Some("b")))
                .unwrap();
            assert_eq!(
                other.lineage("report", None).unwrap(),
                Some(saved("r2", None))
            );
            assert_eq!(
                other.lineage("report", Some("2024-01-01")).unwrap(),
                Some(saved("r3", Some("b")))
            );
        });
    }
}
