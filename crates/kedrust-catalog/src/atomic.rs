//! Atomic file replacement: write beside the target, flush to disk, rename over it.
//!
//! A save that fails or is killed half-way leaves the previous file untouched; at worst a
//! hidden `.<name>.<pid>.<n>.tmp` stays beside it, which listings skip.

use crate::error::DatasetError;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The error type a writer closure may return.
pub type WriteError = Box<dyn std::error::Error + Send + Sync>;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` through `write`, atomically: readers see the old file or the new one.
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), WriteError>,
) -> Result<(), DatasetError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| DatasetError::io("create folder", dir, e))?;
    }
    let temp = temp_path(path);
    let result = (|| {
        let file = File::create(&temp).map_err(|e| DatasetError::io("create", &temp, e))?;
        let mut out = BufWriter::new(file);
        write(&mut out).map_err(|e| DatasetError::format(path, e))?;
        out.flush()
            .map_err(|e| DatasetError::io("write", &temp, e))?;
        let file = out
            .into_inner()
            .map_err(|e| DatasetError::io("write", &temp, e.into_error()))?;
        file.sync_all()
            .map_err(|e| DatasetError::io("write", &temp, e))?;
        std::fs::rename(&temp, path).map_err(|e| DatasetError::io("replace", path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), DatasetError> {
    write_file(path, |out| Ok(out.write_all(bytes)?))
}

/// A hidden file in the target's folder, unique per process and save.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Whether a file name is one of our temporary files (or any hidden file).
pub fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}
