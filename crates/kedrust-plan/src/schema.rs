//! A small checker for config mappings: allowed keys with suggestions, typed fields, and a
//! problem list where every entry has its file, line and key path.

use kedrust_config::{Config, Loc};
use serde_json::{Map, Value as Json};
use std::fmt;

/// One problem in `dagster.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, when known.
    pub at: Option<Loc>,
    /// The dotted key path.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = &self.at {
            write!(f, "{at}: ")?;
        }
        write!(f, "dagster.yml: '{}': {}", self.key, self.message)
    }
}

/// Every problem of `dagster.yml`, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Problems {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// Walks a config group, collecting problems.
pub(crate) struct Checker<'a> {
    config: &'a Config,
    pub problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    pub fn new(config: &'a Config) -> Self {
        Self {
            config,
            problems: Vec::new(),
        }
    }

    /// Records a problem at `path` (located at the nearest located key).
    pub fn problem(&mut self, path: &[&str], message: impl Into<String>) {
        let at = (0..=path.len())
            .rev()
            .find_map(|n| self.config.location(&path[..n]))
            .cloned();
        self.problems.push(Problem {
            at,
            key: path.join("."),
            message: message.into(),
        });
    }

    /// The mapping at `path`, or a problem; `None` and null are an empty mapping.
    pub fn mapping<'v>(
        &mut self,
        value: Option<&'v Json>,
        path: &[&str],
    ) -> Option<&'v Map<String, Json>> {
        static EMPTY: std::sync::OnceLock<Map<String, Json>> = std::sync::OnceLock::new();
        match value {
            None | Some(Json::Null) => Some(EMPTY.get_or_init(Map::new)),
            Some(Json::Object(m)) => Some(m),
            Some(other) => {
                self.problem(path, format!("must be a mapping, not {}", kind(other)));
                None
            }
        }
    }

    /// Reports every key of `map` not in `allowed`, with the nearest allowed one.
    pub fn keys(&mut self, map: &Map<String, Json>, allowed: &[&str], path: &[&str]) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                let hint = kedrust_pipeline::suggest::hint(key, allowed.iter().copied());
                let mut p = path.to_vec();
                p.push(key);
                self.problem(
                    &p,
                    format!("unknown key '{key}' (valid: {}){hint}", allowed.join(", ")),
                );
            }
        }
    }

    /// An optional string field.
    pub fn string(&mut self, map: &Map<String, Json>, key: &str, path: &[&str]) -> Option<String> {
        match map.get(key) {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => {
                self.problem(
                    &with(path, key),
                    format!("must be a string, not {}", kind(other)),
                );
                None
            }
        }
    }

    /// An optional list of strings.
    pub fn strings(&mut self, map: &Map<String, Json>, key: &str, path: &[&str]) -> Vec<String> {
        match map.get(key) {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            Some(other) => {
                self.problem(
                    &with(path, key),
                    format!("must be a list of strings, not {}", kind(other)),
                );
                Vec::new()
            }
        }
    }

    /// An optional non-negative number.
    pub fn number(&mut self, map: &Map<String, Json>, key: &str, path: &[&str]) -> Option<f64> {
        match map.get(key) {
            None | Some(Json::Null) => None,
            Some(Json::Number(n)) if n.as_f64().is_some_and(|v| v >= 0.0) => n.as_f64(),
            Some(other) => {
                self.problem(
                    &with(path, key),
                    format!("must be a non-negative number, not {}", kind(other)),
                );
                None
            }
        }
    }
}

/// `path` followed by `key`.
pub(crate) fn with<'p>(path: &[&'p str], key: &'p str) -> Vec<&'p str> {
    let mut p = path.to_vec();
    p.push(key);
    p
}

fn kind(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string '{s}'"),
        Json::Array(_) => "a list".into(),
        Json::Object(_) => "a mapping".into(),
    }
}
