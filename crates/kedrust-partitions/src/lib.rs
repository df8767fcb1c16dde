//! Partitions definitions, as Dagster defines them: the keys a partitioned dataset or job is
//! sliced by. Static keys, time windows (hourly, daily, weekly, monthly; a start, an optional
//! end, a time zone, a key format, offsets) and dynamic keys (added at run time).
//!
//! Read from a `partitions:` mapping (a catalog entry's or `dagster.yml`'s):
//!
//! ```yaml
//! partitions: {type: daily, start: "2024-01-01", timezone: Europe/Paris}
//! partitions: {type: static, keys: [north, south]}
//! partitions: {type: dynamic, name: customers}
//! ```
//!
//! Every problem of a definition is reported at once, with the nearest valid key or type.
//! A [`PartitionMapping`] says which keys of a partitioned input one output key reads.

//!
//! Owns: reading definitions and forming their keys. Must never: read files, know the
//! catalog, runs or Dagster (the catalog, the plans and the Dagster code location use it).

mod mapping;
mod time_window;

pub use mapping::PartitionMapping;
pub use time_window::{Cadence, TimeWindows, WindowSettings};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value as Json;

/// The IANA time zone `name`, or an error with the nearest name.
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        let names = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
        let hint = kedrust_pipeline::suggest::hint(name, names);
        format!("unknown time zone '{name}'{hint}")
    })
}

/// How a dataset or job is sliced.
#[derive(Debug, Clone, PartialEq)]
pub enum PartitionsDef {
    /// A fixed list of keys.
    Static(Vec<String>),
    /// One key per time window, the window's start formatted.
    TimeWindow(TimeWindows),
    /// Keys added at run time under `name` (by a command or a node).
    Dynamic {
        /// The definition's name, which keys are added under.
        name: String,
    },
}

/// The `type:` values.
const TYPES: [&str; 6] = ["static", "hourly", "daily", "weekly", "monthly", "dynamic"];

impl PartitionsDef {
    /// Reads a `partitions:` mapping; every problem, each a sentence naming its key.
    pub fn from_config(config: &Json) -> Result<Self, Vec<String>> {
        let Some(map) = config.as_object() else {
            return Err(vec![format!(
                "'partitions' must be a mapping with a 'type' ({}), not {config}",
                TYPES.join(", ")
            )]);
        };
        let kind = match map.get("type").and_then(Json::as_str) {
            Some(kind) => kind,
            None => {
                return Err(vec![format!(
                    "'partitions.type' is missing ({})",
                    TYPES.join(", ")
                )]);
            }
        };
        let allowed: &[&str] = match kind {
            "static" => &["type", "keys"],
            "dynamic" => &["type", "name"],
            "hourly" | "daily" | "weekly" | "monthly" => &time_window::KEYS,
            other => {
                let hint = kedrust_pipeline::suggest::hint(other, TYPES);
                return Err(vec![format!(
                    "'partitions.type': unknown partitions type '{other}'{hint} (types: {})",
                    TYPES.join(", ")
                )]);
            }
        };
        let mut problems: Vec<String> = map
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .map(|k| {
                let hint = kedrust_pipeline::suggest::hint(k, allowed.iter().copied());
                format!(
                    "'partitions.{k}': unknown key for {kind} partitions{hint} (valid: {})",
                    allowed.join(", ")
                )
            })
            .collect();
        let def = match kind {
            "static" => static_keys(map.get("keys")).map(PartitionsDef::Static),
            "dynamic" => match map.get("name").and_then(Json::as_str) {
                Some(name) if !name.is_empty() => Ok(PartitionsDef::Dynamic {
                    name: name.to_owned(),
                }),
                _ => Err(vec![
                    "'partitions.name': dynamic partitions need a name to add keys under".into(),
                ]),
            },
            cadence => TimeWindows::from_config(cadence, map).map(PartitionsDef::TimeWindow),
        };
        match def {
            Ok(def) if problems.is_empty() => Ok(def),
            Ok(_) => Err(problems),
            Err(more) => {
                problems.extend(more);
                Err(problems)
            }
        }
    }
}

impl PartitionsDef {
    /// `key` if it is one of this definition's keys, else why not (with the nearest key).
    pub fn check_key(&self, key: &str) -> Result<(), String> {
        match self {
            Self::Static(keys) if keys.iter().any(|k| k == key) => Ok(()),
            Self::Static(keys) => Err(format!(
                "'{key}' is not one of its partition keys ({}){}",
                keys.join(", "),
                kedrust_pipeline::suggest::hint(key, keys.iter().map(String::as_str))
            )),
            Self::TimeWindow(windows) => match windows.window(key) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "'{key}' is not one of its partition keys: a window start on or after the \
                     first, before the end, written as its format writes it (the first is {})",
                    windows.first_key()
                )),
            },
            Self::Dynamic { .. } => match invalid_dynamic_key(key) {
                None => Ok(()),
                Some(why) => Err(format!("partition key {key:?} {why}")),
            },
        }
    }

    /// Every key as of `now`, in order; `None` for dynamic keys, which live in the run store.
    pub fn keys(&self, now: DateTime<Utc>) -> Option<Vec<String>> {
        match self {
            Self::Static(keys) => Some(keys.clone()),
            Self::TimeWindow(windows) => Some(windows.keys(now)),
            Self::Dynamic { .. } => None,
        }
    }

    /// The keys a schedule's tick at `tick` runs, as Dagster's schedules of partitioned jobs
    /// run them: of time windows, the last window complete at the tick (a daily job at 01:00
    /// runs the day before; none before the first window ends); of static keys, every key;
    /// dynamic keys are not known here (`None`).
    pub fn keys_for_tick(&self, tick: DateTime<Utc>) -> Option<Vec<String>> {
        match self {
            Self::TimeWindow(windows) => Some(windows.keys(tick).pop().into_iter().collect()),
            Self::Static(keys) => Some(keys.clone()),
            Self::Dynamic { .. } => None,
        }
    }

    /// The keys from `from` to `to`, both included, in the definition's order, as of `now`.
    pub fn key_range(
        &self,
        from: &str,
        to: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, String> {
        let Some(keys) = self.keys(now) else {
            return Err(
                "dynamic partitions have no order to take a range in: list the keys".into(),
            );
        };
        let (first, last) = (self.position(&keys, from)?, self.position(&keys, to)?);
        if first > last {
            return Err(format!(
                "'{from}' comes after '{to}': give the earlier key first"
            ));
        }
        Ok(keys[first..=last].to_vec())
    }

    /// `listed`, each checked to be one of the definition's keys as of `now` and none given
    /// twice.
    pub fn listed_keys(
        &self,
        listed: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, String> {
        let keys = self.keys(now);
        for (i, key) in listed.iter().enumerate() {
            if listed[..i].contains(key) {
                return Err(format!("key '{key}' is listed twice"));
            }
            match &keys {
                Some(keys) => self.position(keys, key).map(drop)?,
                // Dynamic keys: any valid one; the run store knows which were added.
                None => self.check_key(key)?,
            }
        }
        Ok(listed.to_vec())
    }

    /// Where `key` is among `keys` (the definition's as of some time), or why it is not there.
    fn position(&self, keys: &[String], key: &str) -> Result<usize, String> {
        keys.iter()
            .position(|k| k == key)
            .ok_or_else(|| match self.check_key(key) {
                Err(why) => why,
                // A valid key that is not a key yet: a window not complete as of now, as Dagster
                // counts keys.
                Ok(()) => format!(
                    "'{key}' is not a partition key yet (its window has not ended; the last is {})",
                    keys.last().map_or("none", String::as_str)
                ),
            })
    }
}

/// Static keys: unique, and written as Dagster accepts them.
fn static_keys(keys: Option<&Json>) -> Result<Vec<String>, Vec<String>> {
    let Some(Json::Array(items)) = keys else {
        return Err(vec![
            "'partitions.keys': static partitions need a list of keys".into(),
        ]);
    };
    let mut problems = Vec::new();
    let mut out: Vec<String> = Vec::new();
    // Thousands of keys are checked each time an entry is resolved: a set, not a scan.
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for item in items {
        let key = match item {
            Json::String(s) => s.clone(),
            Json::Number(n) => n.to_string(),
            other => {
                problems.push(format!(
                    "'partitions.keys': a key must be text, not {other}"
                ));
                continue;
            }
        };
        if let Some(why) = invalid_key(&key) {
            problems.push(format!("'partitions.keys': key {key:?} {why}"));
        } else if !seen.insert(key.clone()) {
            problems.push(format!("'partitions.keys': key '{key}' is listed twice"));
        } else {
            out.push(key);
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push("'partitions.keys': the list is empty".into());
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Why Dagster refuses `key` as a partition key, if it does.
pub fn invalid_key(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("is empty")
    } else if key.contains("...") {
        Some("contains '...', which Dagster reads as a key range")
    } else if key.chars().any(|c| c.is_control()) {
        Some("contains a control character")
    } else {
        None
    }
}

/// Why `key` cannot be a dynamic key, if it cannot: what Dagster refuses, and what would
/// lead a path out of its folder. Dynamic keys come from data and commands, and fill
/// `{partition}` in paths; static and time-window keys are written in the configuration.
pub fn invalid_dynamic_key(key: &str) -> Option<&'static str> {
    invalid_key(key).or(if key.contains(['/', '\\']) {
        Some("contains a path separator, which would put its files in another folder")
    } else if key.starts_with('.') {
        Some("starts with '.', which names a hidden file or a parent folder")
    } else {
        None
    })
}
