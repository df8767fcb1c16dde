//! Reading one YAML file into a value with the location of every key.
//!
//! Anchors, aliases and merge keys (`<<: *base`) are applied by the parser; a merged key is
//! located at its `<<` line, which is where a user looks for it.

use crate::error::ConfigError;
use crate::location::Loc;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A key path inside a config group: `["companies", "load_args", "sep"]`.
pub type KeyPath = Vec<String>;

/// One parsed file: its top-level value and where each key path is defined.
#[derive(Clone)]
pub struct Document {
    /// The content.
    pub value: Value,
    /// Where every key (at every depth) is written.
    pub locations: BTreeMap<KeyPath, Loc>,
}

/// The value with secrets hidden (a credentials file is a `Document` too).
impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("value", &kedrust_secrets::Redacted(&self.value))
            .field("locations", &self.locations)
            .finish()
    }
}

enum Tree {
    Scalar(Value),
    Seq(Vec<Spanned<Tree>>),
    Map(Vec<(Spanned<String>, Spanned<Tree>)>),
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Tree, E> {
        // Non-finite floats (.inf, .nan) have no JSON form; they are kept as text.
        Ok(Tree::Scalar(Number::from_f64(v).map_or_else(
            || Value::String(v.to_string()),
            Value::Number,
        )))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Tree, E> {
        Ok(Tree::Scalar(Value::String(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Tree::Map(entries))
    }
}

/// Parses `text`, read from `file`. An empty file is an empty mapping.
pub fn parse(file: &Arc<PathBuf>, text: &str) -> Result<Document, ConfigError> {
    if text.trim().is_empty() {
        return Ok(Document {
            value: Value::Object(Map::new()),
            locations: BTreeMap::new(),
        });
    }
    let tree: Spanned<Tree> =
        serde_saphyr::from_str_with_options(text, options()).map_err(|e| yaml_error(file, &e))?;
    let mut locations = BTreeMap::new();
    let mut duplicates = Vec::new();
    let value = to_value(
        tree.value,
        &mut Vec::new(),
        file,
        &mut locations,
        &mut duplicates,
    );
    match duplicates.into_iter().next() {
        Some(duplicate) => Err(duplicate),
        None => Ok(Document { value, locations }),
    }
}

/// The parser's limits against alias bombs stay on, except the ratio of aliases to anchors:
/// a catalog where thousands of entries reuse one `&csv` anchor is ordinary, not an attack.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.enforce_alias_anchor_ratio = false;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    // Repeated keys reach `to_value`, which names both places.
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    options
}

/// The value of `tree`; a key written twice in one mapping goes to `duplicates`, at both
/// places.
fn to_value(
    tree: Tree,
    path: &mut KeyPath,
    file: &Arc<PathBuf>,
    locations: &mut BTreeMap<KeyPath, Loc>,
    duplicates: &mut Vec<ConfigError>,
) -> Value {
    match tree {
        Tree::Scalar(v) => v,
        Tree::Seq(items) => Value::Array(
            items
                .into_iter()
                .map(|i| to_value(i.value, path, file, locations, duplicates))
                .collect(),
        ),
        Tree::Map(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (key, value) in entries {
                path.push(key.value.clone());
                let at = key.referenced;
                let here = Loc::new(file, at.line(), at.column());
                if map.contains_key(&key.value)
                    && let Some(first) = locations.get(path.as_slice())
                {
                    duplicates.push(ConfigError::DuplicateKey {
                        key: path.join("."),
                        first: first.clone(),
                        second: here.clone(),
                    });
                }
                locations.insert(path.clone(), here);
                let v = to_value(value.value, path, file, locations, duplicates);
                path.pop();
                map.insert(key.value, v);
            }
            Value::Object(map)
        }
    }
}

/// The parser's message without its own snippet or position, located in our terms.
fn yaml_error(file: &Arc<PathBuf>, e: &serde_saphyr::Error) -> ConfigError {
    let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    ConfigError::Yaml {
        at: Loc::new(file, line, column),
        message: bare_message(&e.without_snippet().to_string()),
    }
}

/// Drops the parser's own `error: line 2 column 6: ` prefix and ` at line 2, column 6` suffix.
fn bare_message(text: &str) -> String {
    let mut body = text.trim().trim_start_matches("error: ");
    if let Some(rest) = body.strip_prefix("line ")
        && let Some((_, message)) = rest.split_once(": ")
    {
        body = message;
    }
    if let Some(at) = body.rfind(" at line ") {
        body = &body[..at];
    }
    body.trim().to_owned()
}
