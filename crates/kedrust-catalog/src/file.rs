//! Where a file dataset reads and writes: its filepath, or the versioned layout; on the local
//! disk or, for a URL, on object storage (`remote.rs`).

use crate::atomic::{self, WriteError};
use crate::error::DatasetError;
use crate::registry::DatasetSpec;
use crate::remote::Remote;
use crate::version::{Versioning, list_versions, versioned_path};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// A file to read, local or a temporary copy of an object (removed when dropped).
#[derive(Debug)]
pub struct Readable {
    path: PathBuf,
    shown: PathBuf,
    _copy: Option<tempfile::NamedTempFile>,
}

impl Readable {
    /// The local file to open.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file or URL to name in messages.
    pub fn shown(&self) -> &Path {
        &self.shown
    }
}

/// A file dataset's location, versioned or not.
#[derive(Debug, Clone)]
pub struct FileTarget {
    filepath: PathBuf,
    versioning: Option<Versioning>,
    /// Set when `filepath` is a URL of object storage.
    remote: Option<Remote>,
}

impl FileTarget {
    /// A target at the local `filepath`, versioned when `versioning` is given.
    pub fn new(filepath: impl Into<PathBuf>, versioning: Option<Versioning>) -> Self {
        Self {
            filepath: filepath.into(),
            versioning,
            remote: None,
        }
    }

    /// The target of `spec`'s `filepath`: a local file, or an object on storage when it is a
    /// URL (with the entry's `credentials` and `fs_args`).
    pub fn of(spec: &DatasetSpec<'_>) -> Result<Self, String> {
        let filepath = spec.path("filepath")?;
        let text = filepath.to_string_lossy().into_owned();
        if let Some(why) = crate::remote::unknown_scheme(&text) {
            return Err(format!("'filepath': {why}"));
        }
        let remote = if crate::remote::is_url(&text) {
            Some(Remote::new(&text, spec.args)?)
        } else {
            None
        };
        Ok(Self {
            filepath,
            versioning: spec.versioning.clone(),
            remote,
        })
    }

    /// The object to read, on storage: the filepath, the pinned version or the newest one.
    fn remote_load(&self, remote: &Remote) -> Result<Remote, DatasetError> {
        let Some(v) = &self.versioning else {
            return Ok(remote.clone());
        };
        // A version is a folder holding the file (Kedro's layout), as on a local disk: a
        // folder another tool left, or an emptied one, is not a version.
        let base = self
            .filepath
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        let mut existing: Vec<String> = remote
            .files()?
            .into_iter()
            .filter_map(|rel| {
                let (version, file) = rel.split_once('/')?;
                (file == base).then(|| version.to_owned())
            })
            .collect();
        existing.sort_unstable_by(|a, b| b.cmp(a));
        let chosen = match &v.load {
            Some(pinned) if existing.contains(pinned) => pinned.clone(),
            Some(pinned) => {
                return Err(DatasetError::PinnedVersionMissing {
                    version: pinned.clone(),
                    path: self.filepath.clone(),
                    existing,
                });
            }
            None => existing
                .first()
                .cloned()
                .ok_or_else(|| DatasetError::VersionNotFound {
                    path: self.filepath.clone(),
                })?,
        };
        Ok(self.remote_version(remote, &chosen))
    }

    /// The object of `version` (`<url>/<version>/<file name>`, Kedro's layout).
    fn remote_version(&self, remote: &Remote, version: &str) -> Remote {
        let base = self.filepath.file_name().unwrap_or_default();
        remote.join(version).join(&base.to_string_lossy())
    }

    /// This dataset type reads local files only.
    fn local_only(&self, remote: &Remote) -> DatasetError {
        DatasetError::Other(format!(
            "{} is on object storage, and this dataset type reads and writes local files only \
             (a type reads URLs through FileTarget::read, readable and write)",
            remote.url()
        ))
    }

    /// The configured filepath (a folder of versions when versioned).
    pub fn filepath(&self) -> &Path {
        &self.filepath
    }

    /// A text that changes when the data changes (see [`crate::Dataset::data_version`]): the
    /// local file's or folder's size and modification times, or on object storage the
    /// objects' ETags.
    pub fn data_version(&self) -> Option<String> {
        match &self.remote {
            Some(remote) => remote.data_version(),
            None => crate::data_version::local(&self.filepath),
        }
    }

    /// Whether the file is an object on storage (a URL), not on the local disk.
    pub fn is_remote(&self) -> bool {
        self.remote.is_some()
    }

    /// Whether saves create versions.
    pub fn is_versioned(&self) -> bool {
        self.versioning.is_some()
    }

    /// The file to read: the filepath, the pinned version or the newest one.
    pub fn load_path(&self) -> Result<PathBuf, DatasetError> {
        if let Some(remote) = &self.remote {
            return Err(self.local_only(remote));
        }
        let Some(v) = &self.versioning else {
            return Ok(self.filepath.clone());
        };
        let existing = list_versions(&self.filepath)?;
        match &v.load {
            Some(pinned) if existing.contains(pinned) => Ok(versioned_path(&self.filepath, pinned)),
            Some(pinned) => Err(DatasetError::PinnedVersionMissing {
                version: pinned.clone(),
                path: self.filepath.clone(),
                existing,
            }),
            None => existing
                .first()
                .map(|newest| versioned_path(&self.filepath, newest))
                .ok_or_else(|| DatasetError::VersionNotFound {
                    path: self.filepath.clone(),
                }),
        }
    }

    /// The file to read, which must exist: a missing one is the file system's "not found"
    /// for the path, whatever library would have opened it.
    pub fn existing_load_path(&self) -> Result<PathBuf, DatasetError> {
        let path = self.load_path()?;
        if path.exists() {
            Ok(path)
        } else {
            let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
            Err(DatasetError::io("read", &path, missing))
        }
    }

    /// A local file to read, which must exist: the file itself, or for an object on storage
    /// a temporary copy of it (for readers that take a path: Polars' formats, Excel).
    pub fn readable(&self) -> Result<Readable, DatasetError> {
        let Some(remote) = &self.remote else {
            let path = self.existing_load_path()?;
            return Ok(Readable {
                shown: path.clone(),
                path,
                _copy: None,
            });
        };
        let object = self.remote_load(remote)?;
        let bytes = object.read()?;
        let shown = PathBuf::from(object.url());
        // The file's own extension: some readers go by it (Excel's formats).
        let suffix = self
            .filepath
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let mut copy = tempfile::Builder::new()
            .suffix(&suffix)
            .tempfile()
            .map_err(|e| DatasetError::io("copy", &shown, e))?;
        std::io::Write::write_all(&mut copy, &bytes)
            .map_err(|e| DatasetError::io("copy", &shown, e))?;
        Ok(Readable {
            path: copy.path().to_owned(),
            shown,
            _copy: Some(copy),
        })
    }

    /// The file to write, checked: a version is written once, and a plain file where the
    /// versions folder should be is reported rather than overwritten.
    pub fn save_path(&self) -> Result<PathBuf, DatasetError> {
        if let Some(remote) = &self.remote {
            return Err(self.local_only(remote));
        }
        let Some(v) = &self.versioning else {
            return Ok(self.filepath.clone());
        };
        if self.filepath.is_file() {
            return Err(DatasetError::Other(format!(
                "cannot save a versioned dataset to {0}: a plain file with that name exists \
                 (saved before versioning was enabled); move it to {0}/<version>/{1} or remove it",
                self.filepath.display(),
                self.filepath
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
            )));
        }
        let path = versioned_path(&self.filepath, &v.save);
        if path.exists() {
            return Err(DatasetError::Other(format!(
                "save path {} must not exist when versioning is enabled",
                path.display()
            )));
        }
        Ok(path)
    }

    /// Removes this run's version (`<filepath>/<save version>/`), if a save wrote it.
    pub fn discard_save(&self) -> Result<(), DatasetError> {
        let Some(v) = &self.versioning else {
            return Ok(());
        };
        if let Some(remote) = &self.remote {
            return self.remote_version(remote, &v.save).delete();
        }
        let version = self.filepath.join(&v.save);
        match std::fs::remove_dir_all(&version) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(DatasetError::io("remove", &version, e))
            }
            _ => Ok(()),
        }
    }

    /// Whether there is a file to load.
    pub fn exists(&self) -> Result<bool, DatasetError> {
        if let Some(remote) = &self.remote {
            return match self.remote_load(remote) {
                Ok(object) => object.exists(),
                Err(
                    DatasetError::VersionNotFound { .. }
                    | DatasetError::PinnedVersionMissing { .. },
                ) => Ok(false),
                Err(e) => Err(e),
            };
        }
        match self.load_path() {
            Ok(path) => Ok(path.exists()),
            Err(
                DatasetError::VersionNotFound { .. } | DatasetError::PinnedVersionMissing { .. },
            ) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads the whole file.
    pub fn read(&self) -> Result<(PathBuf, Vec<u8>), DatasetError> {
        if let Some(remote) = &self.remote {
            let object = self.remote_load(remote)?;
            return Ok((PathBuf::from(object.url()), object.read()?));
        }
        let path = self.load_path()?;
        let bytes = std::fs::read(&path).map_err(|e| DatasetError::io("read", &path, e))?;
        Ok((path, bytes))
    }

    /// Writes the file atomically through `write`; on object storage, whole in one request
    /// (a version is written once).
    pub fn write(
        &self,
        write: impl FnOnce(&mut BufWriter<File>) -> Result<(), WriteError>,
    ) -> Result<(), DatasetError> {
        let Some(remote) = &self.remote else {
            return atomic::write_file(&self.save_path()?, write);
        };
        let Some(v) = &self.versioning else {
            return remote.write(encoded(write, &self.filepath)?);
        };
        // A version is written once: the store itself refuses a second writer.
        let object = self.remote_version(remote, &v.save);
        if object.write_new(encoded(write, &self.filepath)?)? {
            return Ok(());
        }
        Err(DatasetError::Other(format!(
            "save path {} must not exist when versioning is enabled",
            object.url()
        )))
    }
}

/// What `write` writes, in memory (an object is sent whole).
fn encoded(
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), WriteError>,
    filepath: &Path,
) -> Result<Vec<u8>, DatasetError> {
    use std::io::{Read, Seek};
    let file = tempfile::tempfile().map_err(|e| DatasetError::io("buffer", filepath, e))?;
    let mut out = BufWriter::new(file);
    write(&mut out).map_err(|e| DatasetError::format(filepath, e))?;
    let mut file = out
        .into_inner()
        .map_err(|e| DatasetError::io("write", filepath, e.into_error()))?;
    let mut bytes = Vec::new();
    file.rewind()
        .and_then(|()| file.read_to_end(&mut bytes))
        .map_err(|e| DatasetError::io("write", filepath, e))?;
    Ok(bytes)
}
