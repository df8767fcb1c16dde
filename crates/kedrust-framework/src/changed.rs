//! Incremental runs (`run --only-changed`): each save of a persisted dataset records what the
//! node's result depended on (its fingerprint: the node's code version, the parameters it
//! read, and each input's data version, or for an input passed in memory its producer's
//! fingerprint). A node is skipped when every persisted output it saves exists, is as it was
//! saved, and was saved from the fingerprint the node would have now; everything downstream of
//! a change runs, and so does the producer of any memory input a running node needs.

use kedrust_catalog::Catalog;
use kedrust_pipeline::naming::{base_name, hash_hex, is_parameter};
use kedrust_pipeline::{Node, Pipeline};
use kedrust_store::{Lineage, RunStore};
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

/// Computes fingerprints of the nodes of one run, producers before consumers.
pub(crate) struct Fingerprints<'a> {
    catalog: &'a Catalog,
    params: BTreeMap<String, Json>,
    /// The node that produces each dataset, by base name (`x@pandas` and `x@spark` are one).
    producer: BTreeMap<String, Node>,
    /// The data versions of the inputs of the nodes a run executes that none of them
    /// produces, when it started ([`Fingerprints::reading`]): an input changed while the run
    /// read it is recorded as changed.
    at_start: BTreeMap<String, Option<String>>,
    /// The fingerprint of each node computed so far, as its hash.
    done: std::sync::Mutex<BTreeMap<String, String>>,
}

/// The lineage key of a node that saves no persisted dataset: its own record.
fn node_key(node: &Node) -> String {
    format!("node:{}", node.node_name())
}

impl<'a> Fingerprints<'a> {
    pub(crate) fn new(pipeline: &Pipeline, catalog: &'a Catalog, params: &Json) -> Self {
        let producer: BTreeMap<String, Node> = pipeline
            .nodes()
            .flat_map(|n| {
                n.outputs()
                    .iter()
                    .map(move |o| (base_name(o).to_owned(), n.clone()))
            })
            .collect();
        Self {
            catalog,
            params: kedrust_catalog::parameter_datasets(params),
            producer,
            at_start: BTreeMap::new(),
            done: Default::default(),
        }
    }

    /// For recording the saves of the nodes of `executed` (a run's, or an op's): notes the
    /// data versions of what they read from outside, before they read it.
    pub(crate) fn reading(mut self, executed: &Pipeline) -> Self {
        self.at_start = executed
            .inputs()
            .into_iter()
            .filter(|d| self.persisted(d))
            .map(|d| {
                let version = self.catalog.data_version(&d);
                (d, version)
            })
            .collect();
        self
    }

    /// An input whose value lives in one process (a memory dataset, not a nothing one).
    fn memory(&self, name: &str) -> bool {
        self.catalog.holds_in_memory(name)
    }

    /// A dataset whose value outlives the run (a nothing dataset is ephemeral too).
    fn persisted(&self, name: &str) -> bool {
        !is_parameter(name) && !self.catalog.is_ephemeral(name)
    }

    fn producer_of(&self, name: &str) -> Option<&Node> {
        self.producer.get(base_name(name))
    }

    /// The hash of `node`'s fingerprint, computed now if it was not yet (a consumer may finish
    /// on another thread before its producer's completion is recorded).
    fn hash_of(&self, node: &Node) -> String {
        let known = |fingerprints: &Self| {
            fingerprints
                .done
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(node.node_name())
                .cloned()
        };
        known(self).unwrap_or_else(|| {
            self.of(node);
            known(self).unwrap_or_default()
        })
    }

    /// `node`'s fingerprint with its inputs as they are now (a memory input: its producer's
    /// fingerprint). Parameter values are kept as hashes of their leaves: the run store never
    /// holds a secret, and a change is still found by its dotted key.
    pub(crate) fn of(&self, node: &Node) -> Json {
        let mut params = Map::new();
        let mut inputs = Map::new();
        for input in node.inputs() {
            if is_parameter(input) {
                let value = self.params.get(input).unwrap_or(&Json::Null);
                params.insert(input.clone(), hashed_leaves(value));
            } else if self.memory(input) {
                let from = self.producer_of(input).map(|p| self.hash_of(p));
                inputs.insert(input.clone(), json!({ "from": from }));
            } else if !self.catalog.carries_nothing(input) {
                let read = match self.at_start.get(input) {
                    // On object storage, asking again is a request per node: the version the
                    // run started with stands.
                    Some(at_start) if self.remote(input) => at_start.clone(),
                    // Changed since the run started reading it: recorded as unknown.
                    Some(at_start) => {
                        let now = self.catalog.data_version(input);
                        if *at_start == now { now } else { None }
                    }
                    None => self.catalog.data_version(input),
                };
                inputs.insert(input.clone(), json!(read));
            }
        }
        let fingerprint = json!({
            "code_version": node.code_version_or_default(),
            "params": params,
            "inputs": inputs,
        });
        // Read from data whose version cannot be told, a node's result is new every time:
        // its memory consumers must see a change too.
        let mut text = fingerprint.to_string();
        if inputs_unknown(&fingerprint) {
            text.push_str(&format!("{:?}", std::time::SystemTime::now()));
        }
        self.done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(node.node_name().to_owned(), hash_hex(&text));
        fingerprint
    }

    /// Whether `name`'s data is on object storage.
    fn remote(&self, name: &str) -> bool {
        self.catalog
            .path(name)
            .is_some_and(|p| kedrust_catalog::is_url(&p.to_string_lossy()))
    }

    /// Records the saves of `node`, which just succeeded in run `run_id` (for partition
    /// `key`), with its fingerprint; a node that saves nothing persisted, its own record.
    pub(crate) fn record(&self, store: &RunStore, node: &Node, run_id: &str, key: Option<&str>) {
        let fingerprint = self.of(node);
        let outputs: Vec<&String> = node
            .outputs()
            .iter()
            .filter(|o| self.persisted(o))
            .collect();
        let lineage = |data_version| Lineage {
            node: node.node_name().to_owned(),
            fingerprint: fingerprint.clone(),
            data_version,
            run_id: run_id.to_owned(),
        };
        let records: Vec<(String, Lineage)> = if outputs.is_empty() {
            // Its own record: for a node whose outputs live in memory, it says what changed
            // when its readers run again because of it.
            vec![(node_key(node), lineage(None))]
        } else {
            outputs
                .into_iter()
                .map(|o| (o.clone(), lineage(self.catalog.data_version(o))))
                .collect()
        };
        for (dataset, lineage) in records {
            if let Err(e) = store.record_lineage(&dataset, key, &lineage) {
                tracing::warn!("cannot record what '{dataset}' was saved from: {e}");
            }
        }
    }
}

/// The version of what each node's result depends on besides the data of its persisted
/// inputs, by node name: its code version, the parameters it reads, and the same of the nodes
/// its memory inputs come from. It is Dagster's code version of the assets the node saves, so
/// that a changed parameter or memory producer marks them stale there ("has a new code
/// version") as `--only-changed` runs the node here. A node that reads neither keeps its own
/// code version as written.
pub fn code_versions(
    pipeline: &Pipeline,
    catalog: &Catalog,
    params: &Json,
) -> BTreeMap<String, String> {
    let fingerprints = Fingerprints::new(pipeline, catalog, params);
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    // Execution order: a memory producer's version is known before its readers'.
    for node in pipeline.nodes() {
        let mut reads = Map::new();
        for input in node.inputs() {
            if is_parameter(input) {
                // Secrets are left out: the code version is shown in Dagster's UI.
                let value = fingerprints.params.get(input).unwrap_or(&Json::Null);
                let shown = kedrust_secrets::redact_json(value);
                reads.insert(input.clone(), hashed_leaves(&shown));
            } else if (fingerprints.memory(input) || catalog.carries_nothing(input))
                && let Some(producer) = fingerprints.producer_of(input)
            {
                reads.insert(input.clone(), json!(versions.get(producer.node_name())));
            }
        }
        let own = node.code_version_or_default();
        let version = if reads.is_empty() {
            own
        } else {
            format!("{own}+{}", hash_hex(&Json::Object(reads).to_string()))
        };
        versions.insert(node.node_name().to_owned(), version);
    }
    versions
}

/// Whether a fingerprint read an input whose data version cannot be told.
fn inputs_unknown(fingerprint: &Json) -> bool {
    fingerprint["inputs"]
        .as_object()
        .is_some_and(|inputs| inputs.values().any(Json::is_null))
}

/// `value` with each leaf replaced by the hash of its JSON (mappings kept, so a change is
/// found by its key).
fn hashed_leaves(value: &Json) -> Json {
    match value {
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), hashed_leaves(v)))
                .collect(),
        ),
        leaf => Json::String(hash_hex(&leaf.to_string())),
    }
}

/// What `--only-changed` runs: the nodes to run (in order), each with why, and the nodes
/// skipped.
pub struct Selection {
    /// The nodes to run, in order, each with why.
    pub run: Vec<(String, String)>,
    /// The nodes skipped, in order.
    pub skipped: Vec<String>,
}

/// Chooses the nodes of `pipeline` to run (see the module's documentation).
pub(crate) fn select(
    pipeline: &Pipeline,
    catalog: &Catalog,
    params: &Json,
    (store, key): (&RunStore, Option<&str>),
) -> Selection {
    let fingerprints = Fingerprints::new(pipeline, catalog, params);
    let consumed: BTreeSet<&str> = pipeline
        .nodes()
        .flat_map(|n| n.inputs().iter().map(|i| base_name(i)))
        .collect();
    let mut why: BTreeMap<String, String> = BTreeMap::new();
    // What each node would save differently now, whatever runs upstream.
    let mut own: BTreeMap<String, Why> = BTreeMap::new();
    // Why a node whose outputs all live in memory would give them differently now: it runs
    // only when a reader needs it, and then says this.
    let mut explain: BTreeMap<String, String> = BTreeMap::new();
    for node in pipeline.nodes() {
        let now = fingerprints.of(node);
        let free = node
            .outputs()
            .iter()
            .find(|o| fingerprints.memory(o) && !consumed.contains(base_name(o)));
        let reason = match free {
            Some(output) => Some(Why::Changed(format!(
                "its output {output} is the run's result, kept in memory"
            ))),
            None => changed_output(node, catalog, &fingerprints, &now, (store, key)),
        };
        // (A nothing output marks a side effect: such a node is decided as one that saves.)
        let in_memory = free.is_none()
            && node.outputs().iter().any(|o| fingerprints.memory(o))
            && !node
                .outputs()
                .iter()
                .any(|o| fingerprints.persisted(o) || catalog.carries_nothing(o));
        match reason {
            Some(Why::Changed(text)) if in_memory => {
                explain.insert(node.node_name().to_owned(), text);
            }
            Some(Why::Memory(input)) if in_memory => {
                let text = match fingerprints.producer_of(&input) {
                    Some(p) if explain.contains_key(p.node_name()) => {
                        format!("input {input} is recomputed (node {} runs)", p.node_name())
                    }
                    _ => format!("input {input} changed"),
                };
                explain.insert(node.node_name().to_owned(), text);
            }
            Some(reason) => {
                own.insert(node.node_name().to_owned(), reason);
            }
            None => {}
        }
    }
    // Until nothing is added: a node runs when it changed or an input of it is recomputed,
    // and a running node's memory inputs need their producers to run.
    loop {
        let before = why.len();
        for node in pipeline.nodes() {
            if why.contains_key(node.node_name()) {
                continue;
            }
            let recomputed = node.inputs().iter().find_map(|input| {
                let p = fingerprints.producer_of(input)?;
                why.contains_key(p.node_name())
                    .then(|| format!("input {input} is recomputed (node {} runs)", p.node_name()))
            });
            // A changed memory input is its producer's change, said there; the node is then
            // recomputed from it.
            let reason = match own.get(node.node_name()) {
                Some(Why::Changed(reason)) => Some(reason.clone()),
                Some(Why::Memory(input)) => {
                    let producer = fingerprints.producer_of(input).map(|p| p.node_name());
                    match producer.and_then(|p| explain.get(p).map(|text| (p, text))) {
                        Some((p, text)) => {
                            why.insert(p.to_owned(), text.clone());
                            Some(format!("input {input} is recomputed (node {p} runs)"))
                        }
                        None => recomputed.or(Some(format!("input {input} changed"))),
                    }
                }
                None => recomputed,
            };
            if let Some(reason) = reason {
                why.insert(node.node_name().to_owned(), reason);
            }
        }
        for node in pipeline.nodes().collect::<Vec<_>>().into_iter().rev() {
            if !why.contains_key(node.node_name()) {
                continue;
            }
            for input in node.inputs().iter().filter(|i| fingerprints.memory(i)) {
                if let Some(p) = fingerprints.producer_of(input)
                    && !why.contains_key(p.node_name())
                {
                    // Its own change when it has one, else the reader that needs it.
                    let reason = explain.get(p.node_name()).cloned().unwrap_or_else(|| {
                        format!(
                            "node {} needs its output {input}, kept in memory",
                            node.node_name()
                        )
                    });
                    why.insert(p.node_name().to_owned(), reason);
                }
            }
        }
        if why.len() == before {
            break;
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

/// What a `run --only-changed` of `prepared` would run now, each node with why, and what it
/// would skip.
pub fn what_would_run(
    project: &crate::Project,
    prepared: &crate::Prepared,
) -> Result<Selection, crate::SessionError> {
    let store = crate::settings::open_store(project, &prepared.project_path)?;
    Ok(select(
        &prepared.pipeline,
        &prepared.catalog,
        &prepared.params,
        (&store, prepared.options.partition.as_deref()),
    ))
}

/// Why `node`'s persisted outputs would be different now (fingerprint `now`), if they would;
/// for a node that saves nothing persisted, whether it ran from what it would use now.
fn changed_output(
    node: &Node,
    catalog: &Catalog,
    fingerprints: &Fingerprints<'_>,
    now: &Json,
    (store, key): (&RunStore, Option<&str>),
) -> Option<Why> {
    let outputs: Vec<&String> = node
        .outputs()
        .iter()
        .filter(|o| fingerprints.persisted(o))
        .collect();
    if outputs.is_empty() {
        let recorded = store.lineage(&node_key(node), key);
        // Memory outputs read by other nodes: those decide whether it runs; its record, if
        // any, says why.
        if node.outputs().iter().any(|o| fingerprints.memory(o)) {
            return recorded
                .ok()
                .flatten()
                .and_then(|r| difference(&r.fingerprint, now));
        }
        return match recorded {
            Ok(Some(recorded)) => difference(&recorded.fingerprint, now),
            Ok(None) => Some(Why::Changed(
                "it saves nothing and has no record of an earlier run".into(),
            )),
            Err(e) => Some(Why::Changed(format!("its record cannot be read: {e}"))),
        };
    }
    for output in outputs {
        if !catalog.exists(output).unwrap_or(false) {
            return Some(Why::Changed(format!("output {output} missing")));
        }
        let recorded = match store.lineage(output, key) {
            Ok(Some(recorded)) => recorded,
            Ok(None) => {
                return Some(Why::Changed(format!(
                    "output {output} has no record of what it was saved from"
                )));
            }
            Err(e) => {
                return Some(Why::Changed(format!(
                    "output {output}'s record cannot be read: {e}"
                )));
            }
        };
        if recorded.node != node.node_name() {
            return Some(Why::Changed(format!(
                "output {output} was saved by node {}",
                recorded.node
            )));
        }
        if let Some(reason) = difference(&recorded.fingerprint, now) {
            return Some(reason);
        }
        let version = catalog.data_version(output);
        if version.is_none() || version != recorded.data_version {
            return Some(Why::Changed(format!(
                "output {output} changed since it was saved"
            )));
        }
    }
    None
}

/// Why a node would produce something else now.
#[derive(Debug, PartialEq)]
enum Why {
    /// What changed, said for a person.
    Changed(String),
    /// Only this input kept in memory changed: its producer's record says why, when it has
    /// one.
    Memory(String),
}

/// The first difference between a recorded fingerprint and the one a node has now: the code, a
/// parameter (its dotted key), an input read from storage, and last an input kept in memory.
fn difference(recorded: &Json, now: &Json) -> Option<Why> {
    if recorded["code_version"] != now["code_version"] {
        return Some(Why::Changed("code version changed".into()));
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
            return Some(Why::Changed(match first_changed_key(before, after) {
                Some(inner) if base == "parameters" => format!("parameter {inner} changed"),
                Some(inner) => format!("parameter {base}.{inner} changed"),
                None => format!("parameter {base} changed"),
            }));
        }
    }
    let mut in_memory = None;
    for name in keys(recorded, "inputs").union(&keys(now, "inputs")) {
        let (before, after) = (&recorded["inputs"][name], &now["inputs"][name]);
        if after.is_null() {
            return Some(Why::Changed(format!("input {name} has no data version")));
        }
        if before != after {
            if after.get("from").is_some() {
                in_memory.get_or_insert_with(|| name.clone());
            } else {
                return Some(Why::Changed(format!("input {name} changed")));
            }
        }
    }
    in_memory.map(Why::Memory)
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
    fn parameters_are_kept_as_hashes_of_their_leaves() {
        let kept = hashed_leaves(&json!({"db": {"password": "s3cr3t-123", "port": 5432}}));
        assert!(!kept.to_string().contains("s3cr3t-123"), "{kept}");
        let other = hashed_leaves(&json!({"db": {"password": "other", "port": 5432}}));
        assert_eq!(
            first_changed_key(&kept, &other).as_deref(),
            Some("db.password")
        );
    }

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
        let changed = |text: &str| Some(Why::Changed(text.into()));
        assert_eq!(difference(&before, &at("1", 0.2, "v1")), None);
        assert_eq!(
            difference(&before, &at("2", 0.2, "v1")),
            changed("code version changed")
        );
        assert_eq!(
            difference(&before, &at("1", 0.3, "v1")),
            changed("parameter model_options.test_size changed")
        );
        assert_eq!(
            difference(&before, &at("1", 0.2, "v2")),
            changed("input companies changed")
        );
        // An input whose version cannot be told is taken as changed.
        let unknown = json!({"code_version": "1", "params": {}, "inputs": {"raw": null}});
        assert_eq!(
            difference(&unknown, &unknown),
            changed("input raw has no data version")
        );
        // An input kept in memory comes last: its producer says why.
        let reading = |from: &str, raw: &str| json!({"code_version": "1", "params": {}, "inputs": {"a": {"from": from}, "raw": raw}});
        assert_eq!(
            difference(&reading("x", "v1"), &reading("y", "v2")),
            changed("input raw changed")
        );
        assert_eq!(
            difference(&reading("x", "v1"), &reading("y", "v1")),
            Some(Why::Memory("a".into()))
        );
    }
}
