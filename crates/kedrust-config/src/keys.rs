//! Key paths of a configuration value: every dotted name in it, and where a key is written.

use crate::location::Loc;
use crate::yaml::KeyPath;
use serde_json::Value;
use std::collections::BTreeMap;

/// Every key path of `value`'s mappings, dotted (`model.alpha`), with the value there; a
/// mapping comes after the keys inside it.
pub fn dotted_paths(value: &Value) -> Vec<(String, &Value)> {
    fn walk<'v>(value: &'v Value, prefix: &str, out: &mut Vec<(String, &'v Value)>) {
        if let Value::Object(map) = value {
            for (key, item) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                walk(item, &path, out);
                out.push((path, item));
            }
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

/// The location of `path`, or of its nearest located ancestor (list items have none).
pub fn nearest_location(locations: &BTreeMap<KeyPath, Loc>, path: &[String]) -> Option<Loc> {
    (0..=path.len())
        .rev()
        .find_map(|n| locations.get(&path[..n]))
        .cloned()
}
