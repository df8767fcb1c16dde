//! Incremental runs (`run --only-changed`): each save of a persisted dataset records what the
//! node's result depended on (its fingerprint: the node's code version, the parameters it
//! read, and each input's data version, or for an input passed in memory its producer's
//! fingerprint). A node is skipped when every persisted output it saves exists, is as it was
//! saved, and was saved from the fingerprint the node would have now; everything downstream of
//! a change runs, and so does the producer of any memory input a running node needs.

use kedrust_catalog::Catalog;
use kedrust_pipeline::naming::{hash_hex, is_parameter};
use kedrust_pipeline::{Node, Pipeline};
use kedrust_store::{Lineage, RunStore};
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

/// Computes fingerprints of the nodes of one run, producers before consumers.
pub(crate) struct Fingerprints<'a> {
    catalog: &'a Catalog,
    params: BTreeMap<String, Json>,
    producer: BTreeMap<String, String>,
    /// The fingerprint of each node computed so far, as its hash.
    done: std::sync::Mutex<BTreeMap<String, String>>,
}

impl<'a> Fingerprints<'a> {
    pub(crate) fn new(pipeline: &Pipeline, catalog: &'a Catalog, params: &Json) -> Self {
        Self {
            catalog,
            params: kedrust_catalog::parameter_datasets(params),
            producer: pipeline
                .nodes()
                .flat_map(|n| {
                    n.outputs()
                        .iter()
                        .map(move |o| (o.clone(), n.node_name().to_owned()))
                })
                .collect(),
            done: Default::default(),
        }
    }

    fn memory(&self, name: &str) -> bool {
        !is_parameter(name) && self.catalog.is_ephemeral(name)
    }

    /// `node`'s fingerprint with its inputs as they are now (a memory input: its producer's
    /// fingerprint, computed before).
    pub(crate) fn of(&self, node: &Node) -> Json {
        let mut params = Map::new();
        let mut inputs = Map::new();
        for input in node.inputs() {
            if is_parameter(input) {
                params.insert(
                    input.clone(),
                    self.params.get(input).cloned().unwrap_or(Json::Null),
                );
            } else if self.memory(input) {
                let from = self.producer.get(input).and_then(|p| {
                    let done = self.done.lock().unwrap_or_else(|e| e.into_inner());
                    done.get(p).cloned()
                });
                inputs.insert(input.clone(), json!({ "from": from }));
            } else {
                inputs.insert(input.clone(), json!(self.catalog.data_version(input)));
            }
        }
        let fingerprint = json!({
            "code_version": node.code_version_or_default(),
            "params": params,
            "inputs": inputs,
        });
        self.done.lock().unwrap_or_else(|e| e.into_inner()).insert(
            node.node_name().to_owned(),
            hash_hex(&fingerprint.to_string()),
        );
        fingerprint
    }

    /// Records the saves of `node`, which just succeeded in run `run_id` (for partition
    /// `key`), with its fingerprint.
    pub(crate) fn record(&self, store: &RunStore, node: &Node, run_id: &str, key: Option<&str>) {
        let fingerprint = self.of(node);
        for output in node.outputs().iter().filter(|o| self.persisted(o)) {
            let lineage = Lineage {
                node: node.node_name().to_owned(),
                fingerprint: fingerprint.clone(),
                data_version: self.catalog.data_version(output),
                run_id: run_id.to_owned(),
            };
            if let Err(e) = store.record_lineage(output, key, &lineage) {
                tracing::warn!("cannot record what '{output}' was saved from: {e}");
            }
        }
    }

    fn persisted(&self, name: &str) -> bool {
        !is_parameter(name)
            && !self.catalog.is_ephemeral(name)
            && !self.catalog.carries_nothing(name)
    }
}

/// What `--only-changed` runs: the nodes to run (in order), each with why, and the nodes
/// skipped.
pub(crate) struct Selection {
    pub(crate) run: Vec<(String, String)>,
    pub(crate) skipped: Vec<String>,
}

/// Chooses the nodes of `pipeline` to run (see the module's documentation).
pub(crate) fn select(
    pipeline: &Pipeline,
    catalog: &Catalog,
    params: &Json,
    (store, key): (&RunStore, Option<&str>),
) -> Selection {
    let fingerprints = Fingerprints::new(pipeline, catalog, params);
    let mut why: BTreeMap<String, String> = BTreeMap::new();
    let producer = &fingerprints.producer;
    for node in pipeline.nodes() {
        let now = fingerprints.of(node);
        let recomputed = node.inputs().iter().find_map(|input| {
            let p = producer.get(input)?;
            why.contains_key(p)
                .then(|| format!("input {input} is recomputed (node {p} runs)"))
        });
        let reason =
            recomputed.or_else(|| changed_output(node, catalog, &fingerprints, &now, (store, key)));
        if let Some(reason) = reason {
            why.insert(node.node_name().to_owned(), reason);
        }
    }
    // A running node reads its memory inputs from their producers, which must run too.
    for node in pipeline.nodes().collect::<Vec<_>>().into_iter().rev() {
        if !why.contains_key(node.node_name()) {
            continue;
        }
        for input in node.inputs().iter().filter(|i| fingerprints.memory(i)) {
            if let Some(p) = producer.get(input)
                && !why.contains_key(p)
            {
                why.insert(
                    p.clone(),
                    format!(
                        "node {} needs its output {input}, kept in memory",
                        node.node_name()
                    ),
                );
            }
        }
    }
    let (run, skipped): (Vec<&str>, Vec<&str>) = pipeline
        .node_names()
        .into_iter()
        .partition(|n| why.contains_key(*n));
    Selection {
        run: run
            .into_iter()
            .map(|n| (n.to_owned(), why[n].clone()))
            .collect(),
        skipped: skipped.into_iter().map(str::to_owned).collect(),
    }
}

/// Why `node`'s persisted outputs would be different now (fingerprint `now`), if they would.
fn changed_output(
    node: &Node,
    catalog: &Catalog,
    fingerprints: &Fingerprints<'_>,
    now: &Json,
    (store, key): (&RunStore, Option<&str>),
) -> Option<String> {
    let outputs: Vec<&String> = node
        .outputs()
        .iter()
        .filter(|o| fingerprints.persisted(o))
        .collect();
    for output in outputs {
        if !catalog.exists(output).unwrap_or(false) {
            return Some(format!("output {output} missing"));
        }
        let recorded = match store.lineage(output, key) {
            Ok(Some(recorded)) => recorded,
            Ok(None) => {
                return Some(format!(
                    "output {output} has no record of what it was saved from"
                ));
            }
            Err(e) => return Some(format!("output {output}'s record cannot be read: {e}")),
        };
        if let Some(reason) = difference(&recorded.fingerprint, now) {
            return Some(reason);
        }
        let version = catalog.data_version(output);
        if version.is_none() || version != recorded.data_version {
            return Some(format!("output {output} changed since it was saved"));
        }
    }
    None
}

/// The first difference between a recorded fingerprint and the one a node has now, said for a
/// person: the code, a parameter (its dotted key), an input.
fn difference(recorded: &Json, now: &Json) -> Option<String> {
    if recorded["code_version"] != now["code_version"] {
        return Some("code version changed".into());
    }
    let keys = |v: &Json, part: &str| -> BTreeSet<String> {
        v[part]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    for name in keys(recorded, "params").union(&keys(now, "params")) {
        let (before, after) = (&recorded["params"][name], &now["params"][name]);
        if before != after {
            let base = name.strip_prefix("params:").unwrap_or(name);
            return Some(match first_changed_key(before, after) {
                Some(inner) if base == "parameters" => format!("parameter {inner} changed"),
                Some(inner) => format!("parameter {base}.{inner} changed"),
                None => format!("parameter {base} changed"),
            });
        }
    }
    for name in keys(recorded, "inputs").union(&keys(now, "inputs")) {
        let (before, after) = (&recorded["inputs"][name], &now["inputs"][name]);
        if before != after || after.is_null() {
            return Some(format!("input {name} changed"));
        }
    }
    None
}

/// The dotted key of the first leaf that differs between two mappings, if both are ones.
fn first_changed_key(before: &Json, after: &Json) -> Option<String> {
    let (Json::Object(b), Json::Object(a)) = (before, after) else {
        return None;
    };
    let names: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    for name in names {
        let (x, y) = (
            b.get(name).unwrap_or(&Json::Null),
            a.get(name).unwrap_or(&Json::Null),
        );
        if x != y {
            return Some(match first_changed_key(x, y) {
                Some(inner) => format!("{name}.{inner}"),
                None => name.clone(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_is_said_by_what_changed() {
        let at = |code: &str, test_size: f64, companies: &str| {
            json!({
                "code_version": code,
                "params": {"params:model_options": {"test_size": test_size, "seed": 3}},
                "inputs": {"companies": companies},
            })
        };
        let before = at("1", 0.2, "v1");
        assert_eq!(difference(&before, &at("1", 0.2, "v1")), None);
        assert_eq!(
            difference(&before, &at("2", 0.2, "v1")).as_deref(),
            Some("code version changed")
        );
        assert_eq!(
            difference(&before, &at("1", 0.3, "v1")).as_deref(),
            Some("parameter model_options.test_size changed")
        );
        assert_eq!(
            difference(&before, &at("1", 0.2, "v2")).as_deref(),
            Some("input companies changed")
        );
        // An input whose version cannot be told is taken as changed.
        let unknown = json!({"code_version": "1", "params": {}, "inputs": {"raw": null}});
        assert_eq!(
            difference(&unknown, &unknown).as_deref(),
            Some("input raw changed")
        );
    }
}
