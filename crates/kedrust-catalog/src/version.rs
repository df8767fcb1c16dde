//! Kedro's versioning: `<filepath>/<version>/<basename>`, versions are UTC timestamps
//! `YYYY-MM-DDThh.mm.ss.sssZ`, whose text order is their time order.

use crate::error::DatasetError;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The versions one dataset reads and writes in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioning {
    /// A pinned version to load; `None` loads the newest.
    pub load: Option<String>,
    /// The version saves go to: the run's, shared by every dataset of the run.
    pub save: String,
}

/// A fresh version for now, e.g. `2026-11-25T19.16.28.347Z`.
pub fn new_version() -> String {
    timestamp(SystemTime::now())
}

/// Formats a time as a version.
pub fn timestamp(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}.{:02}.{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A version must be one path component: not empty, no separators, not `.` or `..`.
pub fn check_version(version: &str) -> Result<(), String> {
    if version.is_empty() || version.contains(['/', '\\']) || version == "." || version == ".." {
        return Err(format!(
            "version string '{version}' is not allowed: a version must be a single non-empty path \
             component with no '/' or '\\', and not '.' or '..'"
        ));
    }
    Ok(())
}

/// `<filepath>/<version>/<basename>`.
pub fn versioned_path(filepath: &Path, version: &str) -> PathBuf {
    let base = filepath.file_name().unwrap_or_default();
    filepath.join(version).join(base)
}

/// The versions of `filepath` on disk, newest first.
pub fn list_versions(filepath: &Path) -> Result<Vec<String>, DatasetError> {
    let entries = match std::fs::read_dir(filepath) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Ok(Vec::new()),
        Err(e) => return Err(DatasetError::io("list versions of", filepath, e)),
    };
    let mut versions: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|v| !v.starts_with('.') && versioned_path(filepath, v).exists())
        .collect();
    versions.sort_unstable_by(|a, b| b.cmp(a));
    Ok(versions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_have_kedros_format() {
        let at = UNIX_EPOCH + Duration::from_millis(1_795_634_188_347);
        assert_eq!(timestamp(at), "2026-11-25T19.16.28.347Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00.00.00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00.00.00.000Z");
    }

    #[test]
    fn versions_are_single_path_components() {
        assert!(check_version("2026-11-25T19.16.28.347Z").is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
