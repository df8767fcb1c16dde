//! Reading the catalog group: explicit entries and factory patterns, checked as a whole so
//! that every problem of every entry is reported together, each at its file and line.

use crate::error::ConfigProblem;
use crate::pattern::{self, Pattern};
use crate::registry::Registry;
use kedrust_config::{Config, Loc};
use serde_json::{Map, Value as Json};
use std::collections::BTreeSet;

/// Keys the catalog itself reads, valid in every entry.
pub(crate) const CATALOG_KEYS: [&str; 6] = [
    "type",
    "versioned",
    "metadata",
    "credentials",
    "partitions",
    crate::partition::MAPPING_KEY,
];

/// One catalog key: an explicit dataset or a pattern.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The key as written.
    pub key: String,
    /// The configuration, `type` included.
    pub config: Map<String, Json>,
    /// Where the key is written.
    pub at: Option<Loc>,
    /// Set for patterns.
    pub pattern: Option<Pattern>,
}

/// The catalog group, split and checked.
#[derive(Debug, Default)]
pub(crate) struct Entries {
    /// Explicit entries and patterns in file order.
    pub all: Vec<Entry>,
}

/// Reads and checks every entry of the catalog group.
pub(crate) fn read(
    catalog: &Config,
    credentials: &Json,
    registry: &Registry,
    problems: &mut Vec<ConfigProblem>,
) -> Entries {
    let Json::Object(map) = &catalog.value else {
        return Entries::default();
    };
    let mut all = Vec::with_capacity(map.len());
    for (key, value) in map {
        let at = catalog.location(&[key.as_str()]).cloned();
        let problem = |message: String, at: Option<Loc>| ConfigProblem {
            at,
            dataset: key.clone(),
            message,
        };
        let Json::Object(config) = value else {
            problems.push(problem(
                "an entry must be a mapping with a 'type'; a value kept only for \
                 interpolation must have a key starting with '_'"
                    .into(),
                at,
            ));
            continue;
        };
        let pattern = match Pattern::parse(key) {
            Ok(p) => p,
            Err(e) => {
                problems.push(problem(e, at));
                continue;
            }
        };
        let before = problems.len();
        check_entry(key, config, catalog, credentials, registry, problems);
        if let Some(p) = &pattern {
            let mut used = BTreeSet::new();
            pattern::placeholders(&Json::Object(config.clone()), &mut used);
            let fields = p.field_names();
            let missing: Vec<&str> = used
                .iter()
                .map(String::as_str)
                .filter(|u| !fields.contains(u))
                // The run's partition key fills it, not the pattern.
                .filter(|u| *u != "partition" || !config.contains_key("partitions"))
                .collect();
            if !missing.is_empty() {
                problems.push(problem(
                    format!(
                        "the placeholders {{{}}} used in the configuration are not in the pattern",
                        missing.join("}, {")
                    ),
                    at.clone(),
                ));
            }
        }
        if problems.len() == before {
            all.push(Entry {
                key: key.clone(),
                config: config.clone(),
                at,
                pattern,
            });
        }
    }
    let catch_alls: Vec<&Entry> = all
        .iter()
        .filter(|e| e.pattern.as_ref().is_some_and(Pattern::is_catch_all))
        .collect();
    if catch_alls.len() > 1 {
        let names: Vec<&str> = catch_alls.iter().map(|e| e.key.as_str()).collect();
        problems.push(ConfigProblem {
            at: catch_alls[1].at.clone(),
            dataset: catch_alls[1].key.clone(),
            message: format!(
                "only one catch-all pattern is allowed, found {}; remove the extras",
                names.join(", ")
            ),
        });
    }
    Entries { all }
}

fn check_entry(
    key: &str,
    config: &Map<String, Json>,
    catalog: &Config,
    credentials: &Json,
    registry: &Registry,
    problems: &mut Vec<ConfigProblem>,
) {
    let at = |k: &str| {
        catalog
            .location(&[key, k])
            .or_else(|| catalog.location(&[key]))
            .cloned()
    };
    let mut push = |k: &str, message: String| {
        problems.push(ConfigProblem {
            at: at(k),
            dataset: key.to_owned(),
            message,
        });
    };
    let type_name = match config.get("type") {
        Some(Json::String(t)) => t.as_str(),
        Some(other) => {
            push("type", format!("'type' must be a type name, not {other}"));
            return;
        }
        None => {
            push(
                "type",
                "'type' is missing; a value kept only for interpolation must have a key \
                 starting with '_'"
                    .into(),
            );
            return;
        }
    };
    if type_name.contains('{') {
        return; // A type chosen by a placeholder is checked when a name matches.
    }
    let Some(kind) = registry.get(type_name) else {
        let hint = registry.unknown_type_hint(type_name);
        push("type", format!("unknown dataset type '{type_name}'{hint}"));
        return;
    };
    let valid: Vec<&str> = CATALOG_KEYS.iter().chain(kind.args()).copied().collect();
    for k in config.keys() {
        if !valid.contains(&k.as_str()) {
            let hint = kedrust_pipeline::suggest::hint(k, valid.iter().copied());
            push(
                k,
                format!(
                    "unknown key '{k}' for {type_name} (valid: {}){hint}",
                    valid.join(", ")
                ),
            );
        }
    }
    if let Some(definition) = config.get("partitions") {
        match kedrust_partitions::PartitionsDef::from_config(definition) {
            Err(found) => found.into_iter().for_each(|m| push("partitions", m)),
            Ok(_) if !mentions_partition(config) => push(
                "partitions",
                "a partitioned dataset needs '{partition}' in its path, where each key's slice \
                 goes (data/01_raw/sales/{partition}.csv)"
                    .into(),
            ),
            Ok(_) => {}
        }
    }
    if let Some(mappings) = config.get(crate::partition::MAPPING_KEY) {
        let key = crate::partition::MAPPING_KEY;
        if !config.contains_key("partitions") {
            push(
                key,
                "only a partitioned dataset (with `partitions:`) has partition mappings".into(),
            );
        }
        for problem in crate::partition::mapping_problems(mappings) {
            push(key, problem);
        }
    }
    if let Some(v) = config.get("versioned")
        && !v.is_boolean()
    {
        push(
            "versioned",
            format!("'versioned' must be true or false, not {v}"),
        );
    }
    if let Some(Json::String(reference)) = config.get("credentials")
        && !reference.contains('{')
        && credentials.get(reference).is_none()
    {
        let names = credentials
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect::<Vec<_>>())
            .unwrap_or_default();
        let hint = kedrust_pipeline::suggest::hint(reference, names.iter().copied());
        push(
            "credentials",
            format!("credentials '{reference}' not found in the credentials config{hint}"),
        );
    }
}

/// Whether a string argument of the entry has the `{partition}` placeholder.
fn mentions_partition(config: &Map<String, Json>) -> bool {
    config
        .iter()
        .filter(|(k, _)| k.as_str() != "partitions")
        .any(|(_, v)| {
            v.as_str()
                .is_some_and(|s| s.contains(crate::PARTITION_PLACEHOLDER))
        })
}
