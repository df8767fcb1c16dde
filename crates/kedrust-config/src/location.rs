//! Where a value came from: file, line and column, for every message about configuration.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A position in a config file (lines and columns count from 1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    /// The file.
    pub file: Arc<PathBuf>,
    /// The line.
    pub line: u64,
    /// The column.
    pub column: u64,
}

impl Loc {
    /// A position in `file`.
    pub fn new(file: &Arc<PathBuf>, line: u64, column: u64) -> Self {
        Self {
            file: Arc::clone(file),
            line,
            column,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}
