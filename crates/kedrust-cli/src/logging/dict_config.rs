//! Reads Python's `logging.config.dictConfig` shape into a [`LogSetup`], every problem with
//! its file and line; and the loggers of a `dagster.yml` job, as Dagster builds them.
//!
//! Factories (`()`) are refused, as Kedro refuses them: a configuration file names classes of
//! the standard library's logging, which kedrust writes itself.

use super::format::Format;
use super::sink::Sink;
use super::{Handler, Level, LogSetup, Logger, configured_name};
use kedrust_config::{KeyPath, Loc, nearest_location};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::Path;

const TOP_KEYS: [&str; 8] = [
    "version",
    "disable_existing_loggers",
    "incremental",
    "formatters",
    "filters",
    "handlers",
    "loggers",
    "root",
];

/// The handler classes kedrust writes: Python's, and Rich's console handler (Kedro's
/// default), which is a console handler here.
const CLASSES: [&str; 6] = [
    "logging.StreamHandler",
    "logging.FileHandler",
    "logging.handlers.RotatingFileHandler",
    "logging.NullHandler",
    "rich.logging.RichHandler",
    "kedro.logging.RichHandler",
];

/// Python's default format of a Dagster logger.
const DAGSTER_FORMAT: &str = "%(asctime)s - %(name)s - %(levelname)s - %(message)s";

/// Problems of one configuration, each `file:line: key.path: what`.
struct Reader<'a> {
    /// What the key paths are in: `logging`, or a logger of `dagster.yml`.
    scope: String,
    locations: &'a BTreeMap<KeyPath, Loc>,
    root: &'a Path,
    problems: Vec<String>,
}

impl Reader<'_> {
    fn problem(&mut self, path: &[&str], message: impl std::fmt::Display) {
        let key: KeyPath = path.iter().map(|s| (*s).to_owned()).collect();
        let at = nearest_location(self.locations, &key)
            .map(|l| format!("{}:{}: ", l.file.display(), l.line))
            .unwrap_or_default();
        self.problems
            .push(format!("{at}{}: {}: {message}", self.scope, path.join(".")));
    }

    fn mapping<'v>(
        &mut self,
        value: Option<&'v Json>,
        path: &[&str],
    ) -> Option<&'v Map<String, Json>> {
        match value {
            None | Some(Json::Null) => None,
            Some(Json::Object(map)) => Some(map),
            Some(other) => {
                self.problem(path, format!("must be a mapping, not {other}"));
                None
            }
        }
    }

    fn keys(&mut self, map: &Map<String, Json>, allowed: &[&str], path: &[&str]) {
        for key in map.keys() {
            if key == "()" {
                self.problem(
                    &with(path, key),
                    "factories (`()`) are not supported, as in Kedro; name a class instead",
                );
            } else if !allowed.contains(&key.as_str()) {
                let hint = kedrust_pipeline::suggest::hint(key, allowed.iter().copied());
                self.problem(
                    &with(path, key),
                    format!("unknown key{hint} (keys: {})", allowed.join(", ")),
                );
            }
        }
    }

    fn level(&mut self, value: Option<&Json>, path: &[&str]) -> Option<Level> {
        let value = value.filter(|v| !v.is_null())?;
        Level::parse(value).map_err(|e| self.problem(path, e)).ok()
    }

    fn names(&mut self, value: Option<&Json>, path: &[&str]) -> Vec<String> {
        match value {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|i| match i.as_str() {
                    Some(s) => Some(s.to_owned()),
                    None => {
                        self.problem(path, format!("{i} is not a name"));
                        None
                    }
                })
                .collect(),
            Some(other) => {
                self.problem(path, format!("must be a list of names, not {other}"));
                Vec::new()
            }
        }
    }

    fn formatter(&mut self, spec: &Map<String, Json>, path: &[&str]) -> Option<Format> {
        self.keys(
            spec,
            &["format", "datefmt", "style", "class", "validate"],
            path,
        );
        if let Some(class) = spec.get("class").and_then(Json::as_str)
            && class != "logging.Formatter"
        {
            self.problem(
                &with(path, "class"),
                format!("'{class}' is not a formatter kedrust writes; only logging.Formatter with `format`"),
            );
        }
        if let Some(style) = spec.get("style").and_then(Json::as_str)
            && style != "%"
        {
            self.problem(
                &with(path, "style"),
                format!("style '{style}': only '%' formats are read"),
            );
        }
        let format = spec
            .get("format")
            .and_then(Json::as_str)
            .unwrap_or("%(message)s");
        let datefmt = spec.get("datefmt").and_then(Json::as_str);
        Format::parse(format, datefmt)
            .map_err(|e| self.problem(&with(path, "format"), e))
            .ok()
    }

    /// A handler: its class, level, formatter, filters and the class's own arguments.
    fn handler(
        &mut self,
        spec: &Map<String, Json>,
        path: &[&str],
        formatters: &BTreeMap<String, Option<Format>>,
        filters: &BTreeMap<String, String>,
    ) -> Option<Handler> {
        let class = spec
            .get("class")
            .and_then(Json::as_str)
            .unwrap_or("logging.StreamHandler");
        let common = ["class", "level", "formatter", "filters"];
        let own: &[&str] = match class {
            "logging.StreamHandler" => &["stream"],
            "logging.FileHandler" => &["filename", "mode", "encoding", "delay", "errors"],
            "logging.handlers.RotatingFileHandler" => &[
                "filename",
                "mode",
                "maxBytes",
                "backupCount",
                "encoding",
                "delay",
                "errors",
            ],
            "logging.NullHandler" => &[],
            // Rich's arguments shape its own console; kedrust's console has one shape.
            "rich.logging.RichHandler" | "kedro.logging.RichHandler" => &[],
            other => {
                let hint = kedrust_pipeline::suggest::hint(other, CLASSES);
                self.problem(
                    &with(path, "class"),
                    format!(
                        "unknown handler class '{other}'{hint} (kedrust writes: {})",
                        CLASSES.join(", ")
                    ),
                );
                return None;
            }
        };
        if !class.ends_with("RichHandler") {
            let allowed: Vec<&str> = common.iter().chain(own).copied().collect();
            self.keys(spec, &allowed, path);
        }
        let level = self
            .level(spec.get("level"), &with(path, "level"))
            .unwrap_or(Level::NOTSET);
        let format = match spec.get("formatter").and_then(Json::as_str) {
            Some(name) => match formatters.get(name) {
                Some(Some(f)) => f.clone(),
                // Declared but broken: reported where it is written.
                Some(None) => return None,
                None => {
                    let hint = kedrust_pipeline::suggest::hint(
                        name,
                        formatters.keys().map(String::as_str),
                    );
                    self.problem(
                        &with(path, "formatter"),
                        format!("no formatter '{name}'{hint}"),
                    );
                    return None;
                }
            },
            None if class.ends_with("RichHandler") => {
                Format::parse("%(asctime)s %(levelname)-8s %(message)s", Some("%H:%M:%S")).ok()?
            }
            None => Format::message_only(),
        };
        let mut only = Vec::new();
        for name in self.names(spec.get("filters"), &with(path, "filters")) {
            match filters.get(&name) {
                Some(tree) => only.push(tree.clone()),
                None => {
                    let hint =
                        kedrust_pipeline::suggest::hint(&name, filters.keys().map(String::as_str));
                    self.problem(&with(path, "filters"), format!("no filter '{name}'{hint}"));
                }
            }
        }
        let sink = self.sink(class, spec, path)?;
        Some(Handler {
            level,
            format,
            only,
            sink,
        })
    }

    fn sink(&mut self, class: &str, spec: &Map<String, Json>, path: &[&str]) -> Option<Sink> {
        if let Some(encoding) = spec.get("encoding").and_then(Json::as_str)
            && !matches!(
                encoding.to_lowercase().replace(['-', '_'], "").as_str(),
                "utf8"
            )
        {
            self.problem(
                &with(path, "encoding"),
                format!("'{encoding}': kedrust writes UTF-8 only"),
            );
        }
        let filename = || spec.get("filename").and_then(Json::as_str);
        let number = |r: &mut Self, key: &str, default: u64| match spec.get(key) {
            None | Some(Json::Null) => Some(default),
            Some(v) => v.as_u64().or_else(|| {
                r.problem(&with(path, key), format!("must be a whole number, not {v}"));
                None
            }),
        };
        match class {
            "logging.StreamHandler" => match spec.get("stream").and_then(Json::as_str) {
                None | Some("ext://sys.stderr") => Some(Sink::Stderr),
                Some("ext://sys.stdout") => Some(Sink::Stdout),
                Some(other) => {
                    self.problem(
                        &with(path, "stream"),
                        format!("'{other}': a stream is ext://sys.stdout or ext://sys.stderr"),
                    );
                    None
                }
            },
            "logging.FileHandler" | "logging.handlers.RotatingFileHandler" => {
                let Some(name) = filename() else {
                    self.problem(path, "needs a `filename`");
                    return None;
                };
                let file = self.root.join(name);
                let truncate = match spec.get("mode").and_then(Json::as_str) {
                    None | Some("a") => false,
                    Some("w") => true,
                    Some(other) => {
                        self.problem(
                            &with(path, "mode"),
                            format!("mode '{other}': 'a' (append) or 'w'"),
                        );
                        return None;
                    }
                };
                if class == "logging.FileHandler" {
                    return Some(Sink::file(file, truncate));
                }
                let max_bytes = number(self, "maxBytes", 0)?;
                let backups = number(self, "backupCount", 0)?;
                Some(Sink::rotating(file, max_bytes as usize, backups as usize))
            }
            "logging.NullHandler" => Some(Sink::Null),
            _ => Some(Sink::Stderr),
        }
    }
}

fn with<'a>(path: &[&'a str], key: &'a str) -> Vec<&'a str> {
    let mut out = path.to_vec();
    out.push(key);
    out
}

/// The setup a `logging.yml` describes (`value`, with `locations` of its keys); relative
/// file names are read from `root`, the project folder.
pub(crate) fn from_dict_config(
    value: &Json,
    locations: &BTreeMap<KeyPath, Loc>,
    root: &Path,
) -> Result<LogSetup, Vec<String>> {
    let mut r = Reader {
        scope: "logging".into(),
        locations,
        root,
        problems: Vec::new(),
    };
    let mut setup = LogSetup::default();
    let Some(top) = r.mapping(Some(value), &[]) else {
        return Err(r.problems);
    };
    r.keys(top, &TOP_KEYS, &[]);
    match top.get("version") {
        None | Some(Json::Null) => {}
        Some(v) if v.as_u64() == Some(1) => {}
        Some(v) => r.problem(&["version"], format!("{v}: only version 1 exists")),
    }
    if top.get("incremental").and_then(Json::as_bool) == Some(true) {
        r.problem(
            &["incremental"],
            "incremental configuration is not supported; give the whole setup",
        );
    }
    let mut formatters = BTreeMap::new();
    for (name, spec) in r
        .mapping(top.get("formatters"), &["formatters"])
        .into_iter()
        .flatten()
    {
        let path = ["formatters", name.as_str()];
        let format = r
            .mapping(Some(spec), &path)
            .and_then(|spec| r.formatter(spec, &path));
        formatters.insert(name.clone(), format);
    }
    let mut filters = BTreeMap::new();
    for (name, spec) in r
        .mapping(top.get("filters"), &["filters"])
        .into_iter()
        .flatten()
    {
        let path = ["filters", name.as_str()];
        if let Some(spec) = r.mapping(Some(spec), &path) {
            r.keys(spec, &["name"], &path);
            let tree = spec.get("name").and_then(Json::as_str).unwrap_or("");
            filters.insert(name.clone(), configured_name(tree));
        }
    }
    for (name, spec) in r
        .mapping(top.get("handlers"), &["handlers"])
        .into_iter()
        .flatten()
    {
        let path = ["handlers", name.as_str()];
        if let Some(spec) = r.mapping(Some(spec), &path)
            && let Some(handler) = r.handler(spec, &path, &formatters, &filters)
        {
            setup.handlers.insert(name.clone(), handler);
        }
    }
    let handler_names: Vec<String> = setup.handlers.keys().cloned().collect();
    let logger = |r: &mut Reader<'_>, spec: &Map<String, Json>, path: &[&str], is_root: bool| {
        let mut keys = vec!["level", "handlers", "filters"];
        if !is_root {
            keys.push("propagate");
        }
        r.keys(spec, &keys, path);
        let handlers = r.names(spec.get("handlers"), &with(path, "handlers"));
        for h in &handlers {
            if !handler_names.contains(h) {
                let hint =
                    kedrust_pipeline::suggest::hint(h, handler_names.iter().map(String::as_str));
                r.problem(&with(path, "handlers"), format!("no handler '{h}'{hint}"));
            }
        }
        Logger {
            level: r.level(spec.get("level"), &with(path, "level")),
            handlers,
            propagate: spec
                .get("propagate")
                .and_then(Json::as_bool)
                .unwrap_or(true),
        }
    };
    for (name, spec) in r
        .mapping(top.get("loggers"), &["loggers"])
        .into_iter()
        .flatten()
    {
        let path = ["loggers", name.as_str()];
        if let Some(spec) = r.mapping(Some(spec), &path) {
            let l = logger(&mut r, spec, &path, false);
            setup.loggers.insert(configured_name(name), l);
        }
    }
    if let Some(spec) = r.mapping(top.get("root"), &["root"]) {
        let l = logger(&mut r, spec, &["root"], true);
        setup.loggers.insert(String::new(), l);
    }
    if r.problems.is_empty() {
        Ok(setup)
    } else {
        Err(r.problems)
    }
}

/// The handlers of the loggers a job of `dagster.yml` names (already checked by
/// `kedrust-plan`), as Dagster builds them: the logger's level, its formatters, one stdout
/// handler when it names none. A handler of a class kedrust does not write runs on Dagster
/// only; it is left out here with a warning (returned).
pub(crate) fn from_dagster_loggers(
    loggers: &BTreeMap<String, Json>,
    root: &Path,
) -> (LogSetup, Vec<String>) {
    let mut setup = LogSetup::default();
    let mut warnings = Vec::new();
    let none = BTreeMap::new();
    for (name, options) in loggers {
        let mut r = Reader {
            scope: format!("loggers.{name}"),
            locations: &none,
            root,
            problems: Vec::new(),
        };
        let options = options.as_object().cloned().unwrap_or_default();
        let level = r
            .level(options.get("log_level"), &["log_level"])
            .unwrap_or(Level::INFO);
        let mut formatters = BTreeMap::new();
        for (f, spec) in options
            .get("formatters")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
        {
            let format = spec
                .as_object()
                .and_then(|spec| r.formatter(spec, &["formatters", f]));
            formatters.insert(f.clone(), format);
        }
        let default =
            serde_json::json!([{"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}]);
        let handlers = options
            .get("handlers")
            .and_then(Json::as_array)
            .unwrap_or_else(|| default.as_array().expect("a list"));
        for (i, spec) in handlers.iter().enumerate() {
            let Some(spec) = spec.as_object() else {
                continue;
            };
            let mut spec = spec.clone();
            // Dagster formats with its default when a handler names no formatter.
            if !spec.contains_key("formatter") {
                formatters
                    .entry("__dagster_default".into())
                    .or_insert_with(|| Format::parse(DAGSTER_FORMAT, None).ok());
                spec.insert("formatter".into(), "__dagster_default".into());
            }
            let index = i.to_string();
            let before = r.problems.len();
            if let Some(mut handler) =
                r.handler(&spec, &["handlers", &index], &formatters, &BTreeMap::new())
            {
                handler.level = handler.level.max(level);
                setup.everything.push(handler);
            }
            for problem in r.problems.drain(before..) {
                warnings.push(format!(
                    "dagster.yml: {problem}; this handler is left out of `run --job` (Dagster applies it)"
                ));
            }
        }
        warnings.extend(r.problems);
    }
    (setup, warnings)
}
