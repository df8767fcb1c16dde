//! Resolving `${...}` in one environment's merged group, as Kedro's OmegaConf loader does.
//!
//! - `${a.b}` is another key of the same group in the same environment (a base entry cannot
//!   see a key that only the run environment defines, exactly as in Kedro).
//! - `${globals:key, default}` reads the `globals` group; `${runtime_params:key, default}`
//!   reads `--params`; `${oc.env:VAR, default}` reads the process environment, and only in
//!   `credentials` unless the project allows it everywhere.
//! - `${name:args}` calls a resolver the project registered.
//!
//! A string that is exactly one interpolation takes the referenced value with its type
//! (`${globals:workers}` stays a number); otherwise the parts are joined as text. Every
//! string that cannot be resolved is reported, each at its own file, line and key.

use crate::error::ConfigError;
use crate::keys::{dotted_paths, nearest_location};
use crate::location::Loc;
use crate::params::yaml_value;
use crate::template::{self, Expr, Piece};
use crate::yaml::KeyPath;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A resolver a project registers: `${name:arg1, arg2}` calls it with the typed arguments.
pub type Resolver = Arc<dyn Fn(&[Value]) -> Result<Value, String> + Send + Sync>;

/// The resolvers every loader has.
pub(crate) const BUILTIN_RESOLVERS: [&str; 3] = ["globals", "runtime_params", "oc.env"];

/// What one group's interpolations may read.
pub(crate) struct Scope<'a> {
    /// The group being resolved, for messages.
    pub group: &'a str,
    /// The `globals` group; `None` while resolving globals themselves.
    pub globals: Option<&'a Value>,
    /// Runtime parameters; `None` in globals, where Kedro does not allow them either.
    pub runtime_params: Option<&'a Value>,
    /// Whether `oc.env` may read environment variables here.
    pub env_vars: bool,
    /// Resolvers the project registered.
    pub resolvers: &'a BTreeMap<String, Resolver>,
}

/// Resolves every interpolation of `value` in place; returns a problem per failing string.
pub(crate) fn resolve(
    value: &mut Value,
    locations: &BTreeMap<KeyPath, Loc>,
    scope: &Scope<'_>,
) -> Vec<ConfigError> {
    if !contains_interpolation(value) {
        return Vec::new();
    }
    let root = value.clone();
    let mut resolution = Resolution {
        root: &root,
        scope,
        stack: Vec::new(),
        steps: 0,
    };
    let mut errors = Vec::new();
    walk(value, &mut Vec::new(), &mut |path, leaf| {
        // `contains` rather than `has_interpolation`: an escaped `\${` must lose its backslash.
        let Value::String(text) = leaf else { return };
        if !text.contains("${") {
            return;
        }
        resolution.stack = vec![path.join(".")];
        resolution.steps = 0;
        match resolution.string(text, path) {
            Ok(resolved) => *leaf = resolved,
            Err(message) => errors.push(ConfigError::Interpolation {
                at: nearest_location(locations, path),
                key: path.join("."),
                message,
            }),
        }
    });
    errors
}

fn contains_interpolation(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("${"),
        Value::Array(items) => items.iter().any(contains_interpolation),
        Value::Object(map) => map.values().any(contains_interpolation),
        _ => false,
    }
}

/// Calls `f` on every leaf with its key path (list items are numbered).
fn walk(value: &mut Value, path: &mut KeyPath, f: &mut impl FnMut(&KeyPath, &mut Value)) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                walk(item, path, f);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                path.push(key.clone());
                walk(item, path, f);
                path.pop();
            }
        }
        leaf => f(path, leaf),
    }
}

const CYCLE: &str = "interpolation cycle: ";

/// Interpolations one value may take, counting those of the keys it refers to: ordinary
/// config takes a handful; a `${a}${a}` chain doubles with every level and would take
/// minutes and gigabytes.
const MAX_STEPS: usize = 10_000;

/// The longest text an interpolation may build.
const MAX_TEXT: usize = 1 << 20;

const TOO_MUCH: &str = "interpolation stopped: ";

struct Resolution<'a> {
    /// The group as written, before any resolution.
    root: &'a Value,
    scope: &'a Scope<'a>,
    /// Key paths being resolved, outermost first, to report cycles.
    stack: Vec<String>,
    /// Interpolations taken for the current value, against [`MAX_STEPS`].
    steps: usize,
}

impl Resolution<'_> {
    fn string(&mut self, text: &str, path: &[String]) -> Result<Value, String> {
        let pieces = template::pieces(text)?;
        if let [Piece::Interpolation(body)] = pieces.as_slice() {
            return self.interpolation(body, path);
        }
        let mut out = String::new();
        for piece in pieces {
            match piece {
                Piece::Literal(s) => out.push_str(&s),
                Piece::Interpolation(body) => match self.interpolation(&body, path)? {
                    Value::String(s) => out.push_str(&s),
                    Value::Array(_) | Value::Object(_) => {
                        return Err(format!(
                            "'${{{body}}}' is a list or mapping and cannot be part of a string"
                        ));
                    }
                    scalar => out.push_str(&scalar.to_string()),
                },
            }
            if out.len() > MAX_TEXT {
                return Err(format!(
                    "{TOO_MUCH}the text it builds is longer than {} MiB; do keys refer to \
                     each other in a chain that doubles at every level?",
                    MAX_TEXT >> 20
                ));
            }
        }
        Ok(Value::String(out))
    }

    fn interpolation(&mut self, body: &str, path: &[String]) -> Result<Value, String> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(format!(
                "{TOO_MUCH}more than {MAX_STEPS} interpolations for one value; do keys refer \
                 to each other in a chain that doubles at every level?"
            ));
        }
        match template::expr(body)? {
            Expr::Reference(key) => self.reference(key),
            Expr::Call { name, args } => {
                let args = args
                    .iter()
                    .map(|a| self.argument(a, path))
                    .collect::<Result<Vec<_>, _>>()?;
                self.call(name, &args)
            }
        }
    }

    /// An argument: an interpolation, or a scalar typed as YAML types it.
    fn argument(&mut self, text: &str, path: &[String]) -> Result<Value, String> {
        if template::has_interpolation(text) {
            self.string(text, path)
        } else {
            yaml_value(text)
        }
    }

    fn reference(&mut self, key: &str) -> Result<Value, String> {
        if self.stack.iter().any(|k| k == key) {
            let mut cycle = self.stack.clone();
            cycle.push(key.to_owned());
            return Err(format!("{CYCLE}{}", cycle.join(" -> ")));
        }
        let Some(target) = lookup(self.root, key) else {
            return Err(format!(
                "'${{{key}}}' refers to a key the {} config of this environment does not have{}",
                self.scope.group,
                hint(key, self.root)
            ));
        };
        let mut target = target.clone();
        self.stack.push(key.to_owned());
        let path: KeyPath = key.split('.').map(str::to_owned).collect();
        let mut failure = None;
        walk(&mut target, &mut path.clone(), &mut |at, leaf| {
            if failure.is_some() {
                return;
            }
            if let Value::String(text) = leaf
                && template::has_interpolation(text)
            {
                match self.string(&text.clone(), at) {
                    Ok(v) => *leaf = v,
                    Err(e) => failure = Some(e),
                }
            }
        });
        self.stack.pop();
        match failure {
            None => Ok(target),
            Some(e) if e.starts_with(CYCLE) || e.starts_with(TOO_MUCH) => Err(e),
            Some(e) => Err(format!("{e} (while resolving '${{{key}}}')")),
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let scope = self.scope;
        match name {
            "globals" => {
                let globals = scope.globals.ok_or(
                    "'globals:' cannot be used inside globals; refer to another globals key as ${key}",
                )?;
                let (key, default) = key_and_default(name, args)?;
                if key.starts_with('_') {
                    return Err("keys starting with '_' are not supported for globals".into());
                }
                lookup(globals, &key).cloned().or(default).ok_or_else(|| {
                    format!(
                        "globals key '{key}' not found and no default given{}",
                        hint(&key, globals)
                    )
                })
            }
            "runtime_params" => {
                let params = scope
                    .runtime_params
                    .ok_or("'runtime_params:' is not supported in globals")?;
                let (key, default) = key_and_default(name, args)?;
                lookup(params, &key).cloned().or(default).ok_or_else(|| {
                    format!(
                        "runtime parameter '{key}' not found and no default given{}",
                        hint(&key, params)
                    )
                })
            }
            "oc.env" if scope.resolvers.contains_key(name) => {
                let value = self.custom(name, args)?;
                kedrust_secrets::register_all(&value);
                Ok(value)
            }
            "oc.env" => {
                if !scope.env_vars {
                    return Err(format!(
                        "'oc.env:' reads environment variables only in credentials, not in {}; \
                         a project can allow it everywhere (ConfigLoader::env_vars_everywhere)",
                        scope.group
                    ));
                }
                let (var, default) = key_and_default(name, args)?;
                std::env::var(&var)
                    .ok()
                    .inspect(|value| kedrust_secrets::register(value))
                    .map(Value::String)
                    .or(default)
                    .ok_or_else(|| {
                        format!("environment variable '{var}' is not set and no default is given")
                    })
            }
            _ => self.custom(name, args),
        }
    }

    fn custom(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let Some(resolver) = self.scope.resolvers.get(name) else {
            let known: Vec<&str> = BUILTIN_RESOLVERS
                .into_iter()
                .chain(self.scope.resolvers.keys().map(String::as_str))
                .collect();
            let suggestion = kedrust_pipeline::suggest::hint(name, known.iter().copied());
            return Err(format!(
                "unknown resolver '{name}' (known: {}){suggestion}",
                known.join(", ")
            ));
        };
        resolver(args).map_err(|e| format!("resolver '{name}' failed: {e}"))
    }
}

/// `key` or `key, default`, the arguments of the built-in resolvers.
fn key_and_default(name: &str, args: &[Value]) -> Result<(String, Option<Value>), String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match args {
        [key] => Ok((text(key), None)),
        [key, default] => Ok((text(key), Some(default.clone()))),
        _ => Err(format!(
            "'{name}:' takes a key and an optional default, not {} arguments",
            args.len()
        )),
    }
}

/// The value at a dotted path; numbers index lists.
fn lookup<'v>(root: &'v Value, key: &str) -> Option<&'v Value> {
    key.split('.').try_fold(root, |v, part| match v {
        Value::Object(map) => map.get(part),
        Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

fn hint(key: &str, root: &Value) -> String {
    let paths = dotted_paths(root);
    kedrust_pipeline::suggest::hint(key, paths.iter().map(|(p, _)| p.as_str()))
}
