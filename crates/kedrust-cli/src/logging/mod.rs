//! Logging as Kedro projects configure it, for embedded runs: `logging.yml` in Python's
//! `dictConfig` shape (levels per logger, console and file handlers, formatters), and the
//! loggers a job of `dagster.yml` names, applied to `run --job` as Dagster applies them.
//!
//! Where the file is read: `conf/logging.yml` (Kedro 0.19's place), then `conf/base/logging*`,
//! then the run environment's, merged key by key (an environment changes one handler's level
//! without repeating the rest). `-v`, `KEDRUST_LOG` and `RUST_LOG` still decide *what* is
//! logged when given; the file decides *where* it goes and, without them, what.
//!
//! Logger names are event targets with `.` for `::`; kedrust's crates are `kedrust.<crate>`
//! (`kedrust.runner.executor`), and a logger named `kedro` means `kedrust`, so a Kedro
//! project's file keeps working.

mod dict_config;
mod format;
mod load;
mod route;
mod sink;

pub(crate) use load::load;
pub(crate) use route::Routing;

use format::{Format, Record};
use sink::Sink;
use std::collections::BTreeMap;

/// Python's numeric levels; tracing's TRACE is 5, below DEBUG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Level(u8);

impl Level {
    pub(crate) const NOTSET: Level = Level(0);
    pub(crate) const TRACE: Level = Level(5);
    pub(crate) const DEBUG: Level = Level(10);
    pub(crate) const INFO: Level = Level(20);
    pub(crate) const WARNING: Level = Level(30);
    pub(crate) const ERROR: Level = Level(40);
    pub(crate) const CRITICAL: Level = Level(50);

    const NAMES: [(&'static str, Level); 9] = [
        ("NOTSET", Level::NOTSET),
        ("TRACE", Level::TRACE),
        ("DEBUG", Level::DEBUG),
        ("INFO", Level::INFO),
        ("WARNING", Level::WARNING),
        ("WARN", Level::WARNING),
        ("ERROR", Level::ERROR),
        ("CRITICAL", Level::CRITICAL),
        ("FATAL", Level::CRITICAL),
    ];

    /// A level as YAML writes it: a name in any case, or a number.
    pub(crate) fn parse(value: &serde_json::Value) -> Result<Level, String> {
        if let Some(n) = value.as_u64() {
            return u8::try_from(n)
                .map(Level)
                .map_err(|_| format!("level {n} is above 255"));
        }
        let text = value.as_str().unwrap_or_default().trim().to_uppercase();
        Self::NAMES
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, level)| *level)
            .ok_or_else(|| {
                format!(
                    "invalid level {value}; one of DEBUG, INFO, WARNING, ERROR, CRITICAL (any case) or a number"
                )
            })
    }

    pub(crate) fn of(level: &tracing::Level) -> Level {
        match *level {
            tracing::Level::TRACE => Level::TRACE,
            tracing::Level::DEBUG => Level::DEBUG,
            tracing::Level::INFO => Level::INFO,
            tracing::Level::WARN => Level::WARNING,
            tracing::Level::ERROR => Level::ERROR,
        }
    }

    /// `%(levelname)s`: Python's name for the level.
    pub(crate) fn name(self) -> &'static str {
        match self.0 {
            0 => "NOTSET",
            1..=5 => "TRACE",
            6..=10 => "DEBUG",
            11..=20 => "INFO",
            21..=30 => "WARNING",
            31..=40 => "ERROR",
            _ => "CRITICAL",
        }
    }

    pub(crate) fn number(self) -> u8 {
        self.0
    }
}

/// A logger of the file: its level, its handlers, whether records go on to its parent.
#[derive(Debug, Clone)]
pub(crate) struct Logger {
    level: Option<Level>,
    handlers: Vec<String>,
    propagate: bool,
}

/// Where records of a handler go, from which level, in which shape.
pub(crate) struct Handler {
    level: Level,
    format: Format,
    /// Logger names whose records pass (Python's `logging.Filter(name)`); empty: all.
    only: Vec<String>,
    sink: Sink,
}

/// The whole logging setup of a process.
#[derive(Default)]
pub(crate) struct LogSetup {
    /// Loggers of `logging.yml` by name; the root logger is `""`.
    loggers: BTreeMap<String, Logger>,
    handlers: BTreeMap<String, Handler>,
    /// Handlers that take every record (the loggers of a job of `dagster.yml`).
    everything: Vec<Handler>,
}

impl LogSetup {
    /// Whether `logging.yml` configured loggers (else the console keeps kedrust's own lines).
    pub(crate) fn has_loggers(&self) -> bool {
        !self.loggers.is_empty()
    }

    /// Adds `other`'s handlers that take every record.
    pub(crate) fn with(mut self, other: LogSetup) -> Self {
        self.everything.extend(other.everything);
        self
    }

    fn root_level(&self) -> Level {
        self.loggers
            .get("")
            .and_then(|l| l.level)
            .unwrap_or(Level::WARNING)
    }

    /// The level that decides for records of `name`: its own logger's, else the nearest
    /// ancestor's that has one, else the root's.
    fn effective_level(&self, name: &str) -> Level {
        ancestry(name)
            .find_map(|n| self.loggers.get(n).and_then(|l| l.level))
            .unwrap_or_else(|| self.root_level())
    }

    /// Whether the loggers' levels let an event of `meta` through (the filter of a process
    /// whose `logging.yml` decides what is logged).
    pub(crate) fn admits(&self, meta: &tracing::Metadata<'_>) -> bool {
        Level::of(meta.level()) >= self.effective_level(&logger_name(meta.target()))
    }

    /// Hands `record` to the handlers of its logger and of each ancestor up to the root,
    /// stopping after a logger that does not propagate, and to the handlers that take every
    /// record.
    pub(crate) fn emit(&self, record: &Record<'_>, json: bool) {
        for name in ancestry(record.name) {
            let Some(logger) = self.loggers.get(name) else {
                continue;
            };
            for handler in &logger.handlers {
                if let Some(h) = self.handlers.get(handler) {
                    h.emit(record, json);
                }
            }
            if !logger.propagate {
                break;
            }
        }
        for h in &self.everything {
            h.emit(record, false);
        }
    }
}

impl Handler {
    fn emit(&self, record: &Record<'_>, json: bool) {
        if record.level < self.level {
            return;
        }
        if !self.only.is_empty() && !self.only.iter().any(|o| in_tree(record.name, o)) {
            return;
        }
        let line = if json && self.sink.is_console() {
            serde_json::json!({
                "timestamp": record.time.to_rfc3339(),
                "level": record.level.name(),
                "name": record.name,
                "message": record.message,
            })
            .to_string()
        } else {
            self.format.render(record)
        };
        self.sink.write_line(&kedrust_secrets::redact(&line));
    }
}

/// `a.b.c`, `a.b`, `a`, then the root `""`.
fn ancestry(name: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(name);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.rsplit_once('.') {
            Some((parent, _)) => Some(parent),
            None if current.is_empty() => None,
            None => Some(""),
        };
        Some(current)
    })
}

/// Whether logger `name` is `tree` or below it.
fn in_tree(name: &str, tree: &str) -> bool {
    tree.is_empty()
        || name == tree
        || name
            .strip_prefix(tree)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The logger name of an event target: `kedrust_runner::executor` is
/// `kedrust.runner.executor`; a project's `spaceflights::nodes` is `spaceflights.nodes`.
pub(crate) fn logger_name(target: &str) -> String {
    let dotted = target.replace("::", ".");
    match dotted.strip_prefix("kedrust_") {
        Some(rest) => format!("kedrust.{rest}"),
        None => dotted,
    }
}

/// A logger name of the file, with Kedro's `kedro` read as `kedrust` and a crate name as
/// its events are named (`kedrust_runner` is `kedrust.runner`).
fn configured_name(name: &str) -> String {
    match name.strip_prefix("kedro") {
        Some(rest) if rest.is_empty() || rest.starts_with('.') => format!("kedrust{rest}"),
        _ => logger_name(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_their_ancestors() {
        assert_eq!(
            logger_name("kedrust_runner::executor"),
            "kedrust.runner.executor"
        );
        assert_eq!(logger_name("kedrust::prelude"), "kedrust.prelude");
        assert_eq!(logger_name("spaceflights::nodes"), "spaceflights.nodes");
        assert_eq!(configured_name("kedro"), "kedrust");
        assert_eq!(configured_name("kedro.runner"), "kedrust.runner");
        assert_eq!(configured_name("kedro_datasets"), "kedro_datasets");
        assert_eq!(configured_name("kedrust_runner"), "kedrust.runner");
        assert_eq!(
            ancestry("a.b.c").collect::<Vec<_>>(),
            ["a.b.c", "a.b", "a", ""]
        );
        assert!(in_tree("kedrust.runner", "kedrust"));
        assert!(!in_tree("kedrustacean", "kedrust"));
    }
}
