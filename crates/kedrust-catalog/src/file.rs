//! Where a file dataset reads and writes: its filepath, or the versioned layout.

use crate::atomic::{self, WriteError};
use crate::error::DatasetError;
use crate::version::{Versioning, list_versions, versioned_path};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// A file dataset's location, versioned or not.
#[derive(Debug, Clone)]
pub struct FileTarget {
    filepath: PathBuf,
    versioning: Option<Versioning>,
}

impl FileTarget {
    /// A target at `filepath`, versioned when `versioning` is given.
    pub fn new(filepath: impl Into<PathBuf>, versioning: Option<Versioning>) -> Self {
        Self {
            filepath: filepath.into(),
            versioning,
        }
    }

    /// The configured filepath (a folder of versions when versioned).
    pub fn filepath(&self) -> &Path {
        &self.filepath
    }

    /// Whether saves create versions.
    pub fn is_versioned(&self) -> bool {
        self.versioning.is_some()
    }

    /// The file to read: the filepath, the pinned version or the newest one.
    pub fn load_path(&self) -> Result<PathBuf, DatasetError> {
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

    /// The file to write, checked: a version is written once, and a plain file where the
    /// versions folder should be is reported rather than overwritten.
    pub fn save_path(&self) -> Result<PathBuf, DatasetError> {
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
        let path = self.load_path()?;
        let bytes = std::fs::read(&path).map_err(|e| DatasetError::io("read", &path, e))?;
        Ok((path, bytes))
    }

    /// Writes the file atomically through `write`.
    pub fn write(
        &self,
        write: impl FnOnce(&mut BufWriter<File>) -> Result<(), WriteError>,
    ) -> Result<(), DatasetError> {
        atomic::write_file(&self.save_path()?, write)
    }
}
