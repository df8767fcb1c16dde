//! What a killed save leaves behind, and whether its writer is gone.
//!
//! Every temporary name a save makes carries the writer's process id, so a later save can
//! tell the leftovers of a dead writer (removed or recovered) from those of a save still
//! running in another process (left alone).

use crate::error::DatasetError;
use std::path::{Path, PathBuf};

/// Whether the process that wrote a leftover is still running on this machine.
///
/// A process id that was reused since only makes a leftover live a little longer.
pub(crate) fn writer_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // Signal 0 checks that the process exists; EPERM means it exists under another user.
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(e) => e == nix::errno::Errno::EPERM,
    }
}

/// The writer of a leftover named `<prefix><pid>[.<random>]<suffix>`, if `name` is one.
///
/// The random part has no dot, so the leftovers of `a.csv` are never those of `a.csv.5`.
pub(crate) fn writer_of(name: &str, prefix: &str, suffix: &str) -> Option<u32> {
    let middle = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
    let (pid, random) = middle.split_once('.').unwrap_or((middle, ""));
    let plain = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    if pid.is_empty() || !pid.chars().all(|c| c.is_ascii_digit()) || !plain(random) {
        return None;
    }
    pid.parse().ok()
}

/// The leftovers in `dir` named `<prefix><pid>[.<random>]<suffix>` whose writer is gone.
pub(crate) fn dead_leftovers(dir: &Path, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            writer_of(&name, prefix, suffix).is_some_and(|pid| !writer_alive(pid))
        })
        .map(|entry| entry.path())
        .collect()
}

/// The folder that holds `path` (`.` for a bare file name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Flushes a folder's entries to disk: a rename in it is durable only then.
pub(crate) fn sync_folder(dir: &Path) -> Result<(), DatasetError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| DatasetError::io("flush the folder", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_names_give_their_writer() {
        assert_eq!(
            writer_of(".a.csv.123.xYz9.tmp", ".a.csv.", ".tmp"),
            Some(123)
        );
        assert_eq!(writer_of(".parts.new.77", ".parts.new.", ""), Some(77));
        assert_eq!(writer_of(".b.csv.123.x.tmp", ".a.csv.", ".tmp"), None);
        assert_eq!(writer_of(".a.csv.5.999.x.tmp", ".a.csv.", ".tmp"), None);
        assert_eq!(writer_of("a.csv", ".a.csv.", ".tmp"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(writer_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!writer_alive(pid));
    }
}
