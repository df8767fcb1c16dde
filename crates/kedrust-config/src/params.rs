//! Runtime parameters: `--params "a.b=1,model.kind=linear"`.
//!
//! Values are typed as YAML (`1` is a number, `[1, 2]` a list), dotted keys nest, and only
//! the named leaves are overridden: unlike Kedro, which replaces the whole top-level key,
//! `model.kind=linear` keeps `model.alpha`. A comma inside a value (`a=[1,2]`) is kept with
//! the value, since the text after it names no key.

use crate::error::ConfigError;
use crate::yaml;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// Parses `--params` into a nested mapping.
pub fn parse_runtime_params(text: &str) -> Result<Value, Vec<ConfigError>> {
    let mut items: Vec<String> = Vec::new();
    for piece in text.split(',') {
        match items.last_mut() {
            Some(last) if !piece.contains('=') => {
                last.push(',');
                last.push_str(piece);
            }
            _ => items.push(piece.to_owned()),
        }
    }
    let mut root = Value::Object(Map::new());
    let mut errors = Vec::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        match parse_item(item) {
            Ok((path, value)) => set_path(&mut root, &path, value),
            Err(reason) => errors.push(ConfigError::RuntimeParameter {
                item: item.to_owned(),
                reason,
            }),
        }
    }
    if errors.is_empty() {
        Ok(root)
    } else {
        Err(errors)
    }
}

fn parse_item(item: &str) -> Result<(Vec<String>, Value), String> {
    let (key, value) = item.split_once('=').ok_or("expected key=value")?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err("the key is empty or has an empty part".into());
    }
    Ok((
        key.split('.').map(str::to_owned).collect(),
        yaml_value(value.trim())?,
    ))
}

/// A value as YAML types it; an empty value is an empty string.
pub(crate) fn yaml_value(text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return Ok(Value::String(String::new()));
    }
    let file = Arc::new(PathBuf::from("--params"));
    yaml::parse(&file, &format!("v: {text}"))
        .map(|d| d.value.get("v").cloned().unwrap_or(Value::Null))
        .map_err(|e| e.to_string())
}

/// Sets `value` at `path`, creating mappings on the way (replacing non-mappings).
pub fn set_path(root: &mut Value, path: &[String], value: Value) {
    let mut node = root;
    for key in &path[..path.len() - 1] {
        if !node.get(key).is_some_and(Value::is_object) {
            node[key] = Value::Object(Map::new());
        }
        node = &mut node[key];
    }
    node[&path[path.len() - 1]] = value;
}
