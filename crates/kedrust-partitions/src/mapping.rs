//! Partition mappings, as Dagster defines them: which keys of a partitioned input a run of
//! one key of a partitioned output reads. Identity (the default), static (Dagster's
//! `downstream_partition_keys_by_upstream_partition_key`), all, time window with offsets
//! (yesterday's partition feeds today's), and last.
//!
//! Written as a bare type (`identity`) or a mapping with `type:`; Dagster's class names
//! (`TimeWindowPartitionMapping`) are accepted as they are.

use crate::PartitionsDef;
use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// How the keys of an input follow the key of an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionMapping {
    /// The same key.
    Identity,
    /// Each input key feeds the output keys listed for it.
    Static(BTreeMap<String, Vec<String>>),
    /// Every key of the input.
    All,
    /// The input windows overlapping the output's window shifted by whole windows: its start
    /// by `start_offset`, its end by `end_offset` (both -1: the window before).
    TimeWindow {
        /// Windows the start moves by.
        start_offset: i64,
        /// Windows the end moves by.
        end_offset: i64,
    },
    /// The input's last key.
    Last,
}

/// The `type:` values, and the Dagster class each stands for.
const TYPES: [(&str, &str); 5] = [
    ("identity", "IdentityPartitionMapping"),
    ("static", "StaticPartitionMapping"),
    ("all", "AllPartitionMapping"),
    ("time_window", "TimeWindowPartitionMapping"),
    ("last", "LastPartitionMapping"),
];

const STATIC_KEYS: &str = "downstream_partition_keys_by_upstream_partition_key";

impl PartitionMapping {
    /// Reads a mapping: a type name, or a mapping with `type` and the type's arguments.
    pub fn from_config(config: &Json) -> Result<Self, Vec<String>> {
        let empty = serde_json::Map::new();
        let (kind, args) = match config {
            Json::String(kind) => (kind.as_str(), &empty),
            Json::Object(map) => match map.get("type").and_then(Json::as_str) {
                Some(kind) => (kind, map),
                None => return Err(vec![format!("'type' is missing ({})", type_list())]),
            },
            other => {
                return Err(vec![format!(
                    "a partition mapping is a type ({}) or a mapping with 'type', not {other}",
                    type_list()
                )]);
            }
        };
        let Some((kind, _)) = TYPES.iter().find(|(t, class)| {
            kind == *t || kind == *class || kind.strip_prefix("dagster.") == Some(class)
        }) else {
            let names = TYPES.iter().flat_map(|(t, c)| [*t, *c]);
            let hint = kedrust_pipeline::suggest::hint(kind, names);
            return Err(vec![format!(
                "unknown partition mapping type '{kind}'{hint} (types: {})",
                type_list()
            )]);
        };
        let allowed: &[&str] = match *kind {
            "static" => &["type", STATIC_KEYS],
            "time_window" => &["type", "start_offset", "end_offset"],
            _ => &["type"],
        };
        let mut problems: Vec<String> = args
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .map(|k| {
                let hint = kedrust_pipeline::suggest::hint(k, allowed.iter().copied());
                format!(
                    "'{k}': unknown key for a {kind} mapping{hint} (valid: {})",
                    allowed.join(", ")
                )
            })
            .collect();
        let mapping = match *kind {
            "identity" => Self::Identity,
            "all" => Self::All,
            "last" => Self::Last,
            "time_window" => {
                let mut offset = |key: &str| match args.get(key) {
                    None => 0,
                    Some(v) => v.as_i64().unwrap_or_else(|| {
                        problems.push(format!(
                            "'{key}' must be a whole number of windows, not {v}"
                        ));
                        0
                    }),
                };
                let (start_offset, end_offset) = (offset("start_offset"), offset("end_offset"));
                if start_offset > end_offset {
                    problems.push(format!(
                        "'start_offset' ({start_offset}) is after 'end_offset' ({end_offset}): \
                         the input's windows would be empty"
                    ));
                }
                Self::TimeWindow {
                    start_offset,
                    end_offset,
                }
            }
            _ => match static_keys(args.get(STATIC_KEYS)) {
                Ok(map) => Self::Static(map),
                Err(found) => {
                    problems.extend(found);
                    Self::Identity
                }
            },
        };
        if problems.is_empty() {
            Ok(mapping)
        } else {
            Err(problems)
        }
    }

    /// Whether this mapping can join `input` to `output` at all, as Dagster checks it when
    /// the code location loads: identity between definitions of one kind, static between two
    /// static definitions whose keys it names, time windows between time windows of one time
    /// zone. Checked without a key, before anything runs.
    pub fn check(&self, input: &PartitionsDef, output: &PartitionsDef) -> Result<(), String> {
        use PartitionsDef::{Dynamic, Static, TimeWindow};
        let kind = |d: &PartitionsDef| match d {
            Static(_) => "static",
            TimeWindow(_) => "time-window",
            Dynamic { .. } => "dynamic",
        };
        match (self, input, output) {
            (Self::Identity, TimeWindow(a), TimeWindow(b)) if a.cadence() != b.cadence() => Err(
                "an identity mapping joins time windows of one length; use a time_window \
                 mapping"
                    .into(),
            ),
            (Self::Identity, a, b) if std::mem::discriminant(a) != std::mem::discriminant(b) => {
                Err(format!(
                    "an identity mapping joins definitions of one kind, not {} to {}",
                    kind(a),
                    kind(b)
                ))
            }
            (Self::Static(map), Static(from), Static(to)) => {
                let unknown_input = map.keys().find(|k| !from.contains(k));
                let unknown_output = map.values().flatten().find(|k| !to.contains(k));
                match (unknown_input, unknown_output) {
                    (Some(k), _) => Err(format!(
                        "its static mapping names '{k}', which is not a key of the input ({})",
                        from.join(", ")
                    )),
                    (_, Some(k)) => Err(format!(
                        "its static mapping maps to '{k}', which is not a key of the output ({})",
                        to.join(", ")
                    )),
                    _ => Ok(()),
                }
            }
            (Self::Static(_), a, b) => Err(format!(
                "a static mapping joins two static definitions, not {} to {}",
                kind(a),
                kind(b)
            )),
            (Self::TimeWindow { .. }, TimeWindow(a), TimeWindow(b))
                if a.timezone() != b.timezone() =>
            {
                Err(format!(
                    "a time_window mapping joins windows of one time zone, not {} to {}",
                    a.timezone().name(),
                    b.timezone().name()
                ))
            }
            (Self::TimeWindow { .. }, TimeWindow(_), TimeWindow(_)) => Ok(()),
            (Self::TimeWindow { .. }, a, b) => Err(format!(
                "a time_window mapping joins two time-window definitions, not {} to {}",
                kind(a),
                kind(b)
            )),
            _ => Ok(()),
        }
    }

    /// Whether a node reads several partitions of `input` through this mapping (as a map of
    /// them, whatever the key: a trailing week is a map on its first day too), rather than
    /// exactly one: a node's input type must not depend on the key.
    pub fn reads_several(&self, input: &PartitionsDef, output: &PartitionsDef) -> bool {
        match self {
            Self::Identity | Self::Last => false,
            Self::All => true,
            Self::Static(map) => {
                let mut feeds: BTreeMap<&str, usize> = BTreeMap::new();
                for outputs in map.values() {
                    for o in outputs {
                        *feeds.entry(o).or_default() += 1;
                    }
                }
                feeds.values().any(|n| *n > 1)
            }
            Self::TimeWindow {
                start_offset,
                end_offset,
            } => start_offset != end_offset || input != output,
        }
    }

    /// The keys of `input` that the run of `output`'s key `key` reads, in `input`'s order;
    /// or why there are none.
    pub fn input_keys(
        &self,
        (input, output): (&PartitionsDef, &PartitionsDef),
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, String> {
        let all = || {
            input
                .keys(now)
                .ok_or_else(|| "its dynamic keys are not known when the run is planned".to_owned())
        };
        let keys = match self {
            Self::Identity => {
                input.check_key(key)?;
                vec![key.to_owned()]
            }
            Self::Static(map) => {
                let keys: Vec<String> = map
                    .iter()
                    .filter(|(_, outputs)| outputs.iter().any(|o| o == key))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in &keys {
                    input.check_key(k)?;
                }
                keys
            }
            Self::All => all()?,
            Self::Last => all()?.pop().into_iter().collect(),
            Self::TimeWindow {
                start_offset,
                end_offset,
            } => {
                let (PartitionsDef::TimeWindow(from), PartitionsDef::TimeWindow(to)) =
                    (input, output)
                else {
                    return Err("a time_window mapping joins two time-window definitions".into());
                };
                let (start, end) = to
                    .window(key)
                    .ok_or_else(|| format!("'{key}' is not a key of the output"))?;
                let (start, end) = (
                    to.shifted(start, *start_offset).with_timezone(&Utc),
                    to.shifted(end, *end_offset).with_timezone(&Utc),
                );
                from.keys(now)
                    .into_iter()
                    .filter(|k| {
                        from.window(k).is_some_and(|(s, e)| {
                            s.with_timezone(&Utc) < end && e.with_timezone(&Utc) > start
                        })
                    })
                    .collect()
            }
        };
        if keys.is_empty() {
            return Err(format!("no key of it is mapped to '{key}'"));
        }
        Ok(keys)
    }
}

fn type_list() -> String {
    TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
}

/// Dagster's `downstream_partition_keys_by_upstream_partition_key`: an input key to one output
/// key or a list of them.
fn static_keys(value: Option<&Json>) -> Result<BTreeMap<String, Vec<String>>, Vec<String>> {
    let Some(Json::Object(map)) = value else {
        return Err(vec![format!(
            "a static mapping needs '{STATIC_KEYS}': each input key with its output key or keys"
        )]);
    };
    let mut problems = Vec::new();
    let mut out = BTreeMap::new();
    for (from, to) in map {
        let keys = match to {
            Json::String(k) => vec![k.clone()],
            Json::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            other => {
                problems.push(format!(
                    "'{STATIC_KEYS}.{from}': an output key or a list of them, not {other}"
                ));
                continue;
            }
        };
        out.insert(from.clone(), keys);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}
