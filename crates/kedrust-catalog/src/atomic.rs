//! Atomic file replacement: write a new file beside the target, flush it to disk, rename it
//! over the target, flush the folder.
//!
//! - The temporary file is created exclusively under an unpredictable name
//!   (`.<name>.<pid>.<random>.tmp`, by `tempfile`), so a symlink planted beside the target
//!   cannot redirect the write.
//! - A target that is a symlink is written through: the file it points to is replaced and
//!   the link stays.
//! - A replaced file keeps its permissions; a new one gets the usual `0666` less the umask.
//! - A save that fails or is killed leaves the previous file untouched. A killed save leaves
//!   its hidden temporary file, which listings skip and the next save of the same file
//!   removes once its writer is gone.

use crate::error::DatasetError;
use crate::leftovers::{dead_leftovers, folder_of, sync_folder};
use std::fs::{File, Permissions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The error type a writer closure may return.
pub type WriteError = Box<dyn std::error::Error + Send + Sync>;

/// How many symlinks a target may go through, as the kernel allows (`ELOOP`).
const MAX_LINKS: usize = 40;

/// Writes `path` through `write`, atomically: readers see the old file or the new one.
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), WriteError>,
) -> Result<(), DatasetError> {
    let target = through_links(path)?;
    let dir = folder_of(&target).to_owned();
    std::fs::create_dir_all(&dir).map_err(|e| DatasetError::io("create folder", &dir, e))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // What killed saves of this file left.
    for temporary in dead_leftovers(&dir, &format!(".{name}."), ".tmp") {
        let _ = std::fs::remove_file(temporary);
    }
    let permissions = match std::fs::metadata(&target) {
        Ok(meta) => meta.permissions(),
        Err(_) => Permissions::from_mode(0o666),
    };
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.{}.", std::process::id()))
        .suffix(".tmp")
        .permissions(permissions.clone())
        .tempfile_in(&dir)
        .map_err(|e| DatasetError::io("create a temporary file in", &dir, e))?;
    // Dropping `temp_path` on any error below removes the temporary file.
    let (file, temp_path) = temp.into_parts();
    let mut out = BufWriter::new(file);
    write(&mut out).map_err(|e| DatasetError::format(path, e))?;
    let file = out
        .into_inner()
        .map_err(|e| DatasetError::io("write", &target, e.into_error()))?;
    // The umask narrowed the mode at creation; a replaced file keeps exactly its own.
    if std::fs::metadata(&target).is_ok() {
        file.set_permissions(permissions)
            .map_err(|e| DatasetError::io("set the permissions of", &target, e))?;
    }
    file.sync_all()
        .map_err(|e| DatasetError::io("write", &target, e))?;
    drop(file);
    temp_path
        .persist(&target)
        .map_err(|e| DatasetError::io("replace", &target, e.error))?;
    sync_folder(&dir)
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), DatasetError> {
    write_file(path, |out| Ok(out.write_all(bytes)?))
}

/// The file a write to `path` replaces: `path`, or the file its symlinks lead to.
fn through_links(path: &Path) -> Result<PathBuf, DatasetError> {
    let mut at = path.to_owned();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = std::fs::read_link(&at)
                    .map_err(|e| DatasetError::io("read the link", &at, e))?;
                at = match at.parent() {
                    Some(dir) => dir.join(next),
                    None => next,
                };
            }
            _ => return Ok(at),
        }
    }
    Err(DatasetError::io(
        "follow the links of",
        path,
        std::io::Error::other(format!("more than {MAX_LINKS} symlinks")),
    ))
}

/// Whether a file name is one of our temporary files (or any hidden file).
pub fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}
