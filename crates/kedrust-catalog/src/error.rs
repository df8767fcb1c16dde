//! Errors of datasets (what went wrong with the data) and of the catalog (which dataset, of
//! which type, at which path).

use kedrust_config::Loc;
use std::fmt;
use std::path::PathBuf;

/// What a dataset reports when it cannot load, save or check its data.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// The file system refused.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done: `read`, `write`, `list`.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The bytes are there but do not decode, or the value does not encode.
    #[error("{}: {message}", path.display())]
    Format {
        /// The path.
        path: PathBuf,
        /// What the decoder or encoder said.
        message: String,
    },
    /// A value of another Rust type than the dataset stores.
    #[error("this dataset stores {expected}, but was given {found}")]
    WrongType {
        /// The type the dataset stores.
        expected: String,
        /// The type it was given.
        found: String,
    },
    /// A memory dataset read before anything was saved to it.
    #[error("no data has been saved to this dataset yet")]
    NotSaved,
    /// A nothing dataset asked for data.
    #[error("a nothing dataset orders nodes and carries no data")]
    NoData,
    /// Versioning: no version to load.
    #[error("did not find any versions of {}; save one first or pin one with --load-versions", path.display())]
    VersionNotFound {
        /// The versioned path, `<filepath>/<version>/<basename>` without the version.
        path: PathBuf,
    },
    /// Versioning: a pinned version that is not on disk.
    #[error("version '{version}' of {} does not exist{}", path.display(), available(existing))]
    PinnedVersionMissing {
        /// The version asked for.
        version: String,
        /// The dataset's filepath.
        path: PathBuf,
        /// Versions that do exist, newest first.
        existing: Vec<String>,
    },
    /// Anything else, said in words.
    #[error("{0}")]
    Other(String),
}

fn available(existing: &[String]) -> String {
    match existing {
        [] => "; no version exists yet".to_owned(),
        [newest, ..] => format!(
            "; {} version(s) exist, the newest is '{newest}'",
            existing.len()
        ),
    }
}

impl DatasetError {
    /// A decoding or encoding failure at `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl fmt::Display) -> Self {
        Self::Format {
            path: path.into(),
            message: message.to_string(),
        }
    }

    /// An IO failure while doing `op` at `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// What the catalog was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `load`.
    Load,
    /// `save`.
    Save,
    /// `exists`.
    Exists,
    /// Building the dataset from its configuration.
    Create,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Load => "load",
            Self::Save => "save",
            Self::Exists => "check",
            Self::Create => "create",
        })
    }
}

/// A failed catalog operation, naming the dataset and its type; the cause names the path.
#[derive(thiserror::Error)]
pub enum CatalogError {
    /// A name that is neither declared, matched by a pattern, nor saved during the run.
    #[error("dataset '{name}' not found in the catalog{}", hint(suggestion))]
    NotFound {
        /// The name.
        name: String,
        /// The nearest known name.
        suggestion: Option<String>,
    },
    /// The dataset failed.
    #[error("cannot {op} dataset '{name}' ({type_name}): {source}")]
    Dataset {
        /// What was asked.
        op: Operation,
        /// The dataset.
        name: String,
        /// Its type as configured.
        type_name: String,
        /// What the dataset said.
        #[source]
        source: DatasetError,
    },
    /// The dataset's configuration is invalid (found when it is first used: a pattern match).
    #[error(transparent)]
    Config(#[from] ConfigProblems),
}

fn hint(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default()
}

/// One problem with a catalog entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where the entry or key is written, when it comes from a file.
    pub at: Option<Loc>,
    /// The dataset or pattern.
    pub dataset: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = &self.at {
            write!(f, "{at}: ")?;
        }
        write!(f, "dataset '{}': {}", self.dataset, self.message)
    }
}

/// Every problem of a catalog configuration, reported together.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigProblems {
    /// The problems, in file order.
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.problems.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

kedrust_secrets::debug_as_message!(DatasetError, CatalogError, ConfigProblems);
