//! Configuration errors: each names the file, line and column, and the key when there is one.

use crate::location::Loc;
use std::fmt;
use std::path::PathBuf;

/// One problem with configuration.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file or folder that could not be read.
    #[error("cannot read {}: {message}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What the system said.
        message: String,
    },
    /// A file that is not valid YAML.
    #[error("{at}: {message}")]
    Yaml {
        /// Where.
        at: Loc,
        /// What the parser said.
        message: String,
    },
    /// A config file whose top level is not a mapping.
    #[error("{at}: the top level of a config file must be a mapping of keys to values")]
    NotAMapping {
        /// The file.
        at: Loc,
    },
    /// One key defined in two files of one environment.
    #[error(
        "{second}: key '{key}' is already defined in {first}; a key may be defined once per environment"
    )]
    DuplicateKey {
        /// The key.
        key: String,
        /// The first definition.
        first: Loc,
        /// The second definition.
        second: Loc,
    },
    /// A run environment that has no folder.
    #[error("environment '{env}' not found: {} is not a folder{}", path.display(), hint(suggestion))]
    MissingEnvironment {
        /// The environment.
        env: String,
        /// The folder looked for.
        path: PathBuf,
        /// The nearest existing environment.
        suggestion: Option<String>,
    },
    /// A `${...}` that cannot be resolved.
    #[error("{}key '{key}': {message}", located(at))]
    Interpolation {
        /// Where the string is written.
        at: Option<Loc>,
        /// The dotted key path of the string.
        key: String,
        /// Why it cannot be resolved.
        message: String,
    },
    /// A runtime parameter that cannot be read.
    #[error("--params: cannot read '{item}': {reason}")]
    RuntimeParameter {
        /// The `key=value` item.
        item: String,
        /// Why.
        reason: String,
    },
}

fn located(at: &Option<Loc>) -> String {
    at.as_ref().map(|l| format!("{l}: ")).unwrap_or_default()
}

fn hint(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default()
}

/// Every problem found while loading, reported together.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors {
    /// The problems, by file and line.
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        Self { errors: vec![e] }
    }
}

kedrust_secrets::debug_as_message!(ConfigError, ConfigErrors);
