//! A file or folder of the state folder, which is on this machine or, when steps of one run
//! share no disk, on object storage (`KEDRUST_STATE_DIR=s3://bucket/prefix`). The run
//! folders live there: the memory datasets that pass between processes, the children's
//! errors, the configuration snapshot. Every process of a run names the same one.

use kedrust_catalog::{DatasetError, Remote, write_bytes};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// A path in the state folder: local, or an object (or prefix) on object storage.
#[derive(Debug, Clone)]
pub enum StatePath {
    /// On this machine (or a volume every step mounts).
    Local(PathBuf),
    /// On object storage; its credentials come from the cloud's environment variables.
    Remote(Remote),
}

impl StatePath {
    /// The path a command line gave (`--run-dir`): a URL of object storage or a local path.
    pub fn parse(text: &OsStr) -> Result<Self, String> {
        match text.to_str() {
            Some(url) if kedrust_catalog::is_url(url) => {
                Remote::new(url, &serde_json::Map::new()).map(Self::Remote)
            }
            _ => Ok(Self::Local(PathBuf::from(text))),
        }
    }

    /// How a command line names it (the inverse of [`StatePath::parse`]).
    pub fn as_arg(&self) -> OsString {
        match self {
            Self::Local(path) => path.clone().into_os_string(),
            Self::Remote(remote) => remote.url().into(),
        }
    }

    /// The path `child` below this one (`child` may have several `/`-separated parts).
    pub fn join(&self, child: &str) -> Self {
        match self {
            Self::Local(path) => Self::Local(path.join(child)),
            Self::Remote(remote) => Self::Remote(remote.join(child)),
        }
    }

    /// The local path, when it is one.
    pub fn local(&self) -> Option<&Path> {
        match self {
            Self::Local(path) => Some(path),
            Self::Remote(_) => None,
        }
    }

    /// The file's bytes, or `None` when it is not there.
    pub fn read(&self) -> Result<Option<Vec<u8>>, DatasetError> {
        match self {
            Self::Local(path) => match std::fs::read(path) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(DatasetError::io("read", path, e)),
            },
            Self::Remote(remote) => remote.read_if_exists(),
        }
    }

    /// Writes the file whole: a reader sees the old content or the new, never a part.
    pub fn write(&self, bytes: &[u8]) -> Result<(), DatasetError> {
        match self {
            Self::Local(path) => write_bytes(path, bytes),
            Self::Remote(remote) => remote.write(bytes.to_vec()),
        }
    }

    /// Writes a file that lives only as long as its run (memory data between processes):
    /// whole for readers, but neither flushed to disk nor swept of what killed writes left,
    /// as [`StatePath::write`] does, since the run folder goes when the run ends and a run
    /// that outlives a crash of the machine runs its producers again.
    pub fn write_for_run(&self, bytes: &[u8]) -> Result<(), DatasetError> {
        let Self::Local(path) = self else {
            return self.write(bytes);
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let partial = dir.join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            kedrust_store::now_ns()
        ));
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&partial, bytes))
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&partial);
                DatasetError::io("write", path, e)
            })
    }

    /// Writes the file whole if there is none yet; `Ok(false)` when one was there (of
    /// writers racing, exactly one gets `Ok(true)`).
    pub fn write_new(&self, bytes: &[u8]) -> Result<bool, DatasetError> {
        match self {
            Self::Local(path) => {
                // Written beside it, then linked in place: a link fails if the name is taken.
                let partial = path.with_extension(format!(
                    "partial-{}-{}",
                    std::process::id(),
                    kedrust_store::now_ns()
                ));
                write_bytes(&partial, bytes)?;
                let linked = std::fs::hard_link(&partial, path);
                let _ = std::fs::remove_file(&partial);
                match linked {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                    Err(e) => Err(DatasetError::io("write", path, e)),
                }
            }
            Self::Remote(remote) => remote.write_new(bytes.to_vec()),
        }
    }

    /// Whether the file is there.
    pub fn exists(&self) -> Result<bool, DatasetError> {
        match self {
            Self::Local(path) => Ok(path.exists()),
            Self::Remote(remote) => remote.exists(),
        }
    }

    /// The files below this folder (at any depth), by their path relative to it; none when
    /// the folder is not there.
    pub fn files(&self) -> Result<Vec<String>, DatasetError> {
        match self {
            Self::Local(path) => {
                let mut out = Vec::new();
                local_files(path, "", &mut out).map_err(|e| DatasetError::io("list", path, e))?;
                Ok(out)
            }
            Self::Remote(remote) => remote.files(),
        }
    }

    /// Removes this file, if it is there; a failure is logged.
    pub fn delete(&self) {
        self.remove_with(|p| std::fs::remove_file(p), kedrust_catalog::Remote::delete);
    }

    /// Removes this folder and everything in it; a failure is logged, as what is left is
    /// only space.
    pub fn remove(&self) {
        self.remove_with(
            |p| std::fs::remove_dir_all(p),
            kedrust_catalog::Remote::delete_all,
        );
    }

    fn remove_with(
        &self,
        local: fn(&Path) -> std::io::Result<()>,
        remote: fn(&Remote) -> Result<(), DatasetError>,
    ) {
        let removed = match self {
            Self::Local(path) => match local(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(DatasetError::io("remove", path, e))
                }
                _ => Ok(()),
            },
            Self::Remote(object) => remote(object),
        };
        if let Err(e) = removed {
            tracing::warn!("cannot remove {self}: {e}");
        }
    }
}

impl std::fmt::Display for StatePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(path) => path.display().fmt(f),
            Self::Remote(remote) => f.write_str(remote.url()),
        }
    }
}

fn local_files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            local_files(&entry.path(), &format!("{name}/"), out)?;
        } else {
            out.push(name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_folder_lists_writes_reads_and_removes_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let run = StatePath::Local(dir.path().join("runs/r1"));
        assert_eq!(run.files().unwrap(), Vec::<String>::new());
        assert_eq!(run.join("memory/a").read().unwrap(), None);
        run.join("memory/a").write(b"1").unwrap();
        run.join("errors/n").write(b"boom").unwrap();
        let mut files = run.files().unwrap();
        files.sort();
        assert_eq!(files, ["errors/n", "memory/a"]);
        assert_eq!(
            run.join("memory/a").read().unwrap().as_deref(),
            Some(&b"1"[..])
        );
        assert!(run.join("errors/n").exists().unwrap());
        run.remove();
        assert!(!dir.path().join("runs/r1").exists());
    }

    /// Through the object-store code (`file://` as `s3://`): names with characters a store
    /// encodes (the run folder's own `%XX` escapes) are listed as written, so a listed file
    /// reads back and removing the folder leaves nothing.
    #[test]
    fn a_folder_on_object_storage_lists_the_names_it_was_given() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}/state/runs/r1", dir.path().display());
        let run = StatePath::parse(OsStr::new(&url)).unwrap();
        run.join("memory/x__2024-01-01-00%3A00")
            .write(b"1")
            .unwrap();
        run.join("errors/n").write(b"boom").unwrap();
        let mut files = run.files().unwrap();
        files.sort();
        assert_eq!(files, ["errors/n", "memory/x__2024-01-01-00%3A00"]);
        for file in &files {
            assert!(run.join(file).read().unwrap().is_some(), "{file}");
        }
        run.remove();
        assert_eq!(run.files().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn a_command_line_names_a_url_or_a_path() {
        let local = StatePath::parse(OsStr::new("state/runs/r1")).unwrap();
        assert_eq!(local.local(), Some(Path::new("state/runs/r1")));
        let remote = StatePath::parse(OsStr::new("s3://bucket/state/runs/r1")).unwrap();
        assert_eq!(remote.local(), None);
        assert_eq!(remote.as_arg(), OsString::from("s3://bucket/state/runs/r1"));
        assert_eq!(
            remote.join("memory/x").to_string(),
            "s3://bucket/state/runs/r1/memory/x"
        );
    }
}
