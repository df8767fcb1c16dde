//! `partitions.PartitionedDataset`: a folder of files of one underlying type.
//!
//! Loading lists the folder and gives a [`PartitionMap`] of partition id to a lazy loader;
//! nothing is read until a node asks for a partition. Saving takes a map of id to value or to
//! a lazy producer, called at save time, one partition at a time.
//!
//! With `overwrite: true` the new partitions are written to a hidden sibling folder
//! `.<name>.new.<pid>`, marked complete, and swapped in with two renames (the old folder goes
//! to `.<name>.old.<pid>` in between). A crash at any point leaves the old partitions or the
//! complete new ones: the next load, save or existence check of the dataset finishes or
//! undoes a swap whose writer is gone, and removes what is left of it.

use crate::atomic::is_hidden;
use crate::dataset::{Dataset, expect_ref};
use crate::error::DatasetError;
use crate::leftovers::{dead_leftovers, folder_of, sync_folder};
use crate::registry::{DatasetSpec, DatasetType, Holds, Registry};
use kedrust_pipeline::{TypeTag, Value};
use serde_json::{Map, Value as Json};
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Produces a partition's value when called.
pub type LazyValue = Arc<dyn Fn() -> Result<Value, DatasetError> + Send + Sync>;

/// One partition: a value, or a function that loads or produces it.
#[derive(Clone)]
pub enum Partition {
    /// The value itself.
    Value(Value),
    /// Called when the value is needed.
    Lazy(LazyValue),
}

impl Partition {
    /// The value, loading or producing it when lazy.
    pub fn value(&self) -> Result<Value, DatasetError> {
        match self {
            Self::Value(v) => Ok(v.clone()),
            Self::Lazy(f) => f(),
        }
    }
}

/// Partition id to partition: what a partitioned dataset loads and saves.
#[derive(Clone, Default)]
pub struct PartitionMap {
    parts: BTreeMap<String, Partition>,
}

impl PartitionMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a partition holding `value`.
    pub fn insert<T: Any + Send + Sync>(&mut self, id: impl Into<String>, value: T) -> &mut Self {
        self.parts
            .insert(id.into(), Partition::Value(Value::new(value)));
        self
    }

    /// Adds a partition as it is.
    pub(crate) fn insert_partition(&mut self, id: &str, part: Partition) {
        self.parts.insert(id.to_owned(), part);
    }

    /// Adds a partition produced by `f` at save time (one partition in memory at a time).
    pub fn insert_lazy<T: Any + Send + Sync>(
        &mut self,
        id: impl Into<String>,
        f: impl Fn() -> Result<T, DatasetError> + Send + Sync + 'static,
    ) -> &mut Self {
        self.parts.insert(
            id.into(),
            Partition::Lazy(Arc::new(move || f().map(Value::new))),
        );
        self
    }

    /// The ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.parts.keys().map(String::as_str)
    }

    /// The partitions, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Partition)> {
        self.parts.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many partitions.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Loads partition `id` as `T`.
    pub fn load<T: Any + Send + Sync + Clone>(&self, id: &str) -> Result<T, DatasetError> {
        let part = self
            .parts
            .get(id)
            .ok_or_else(|| DatasetError::Other(format!("no partition '{id}'")))?;
        part.value()?
            .take::<T>()
            .map_err(|v| DatasetError::WrongType {
                expected: TypeTag::of::<T>().short_name(),
                found: v.type_tag().short_name(),
            })
    }
}

impl fmt::Debug for PartitionMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.parts.keys()).finish()
    }
}

/// A folder of partitions.
#[derive(Debug)]
pub struct PartitionedDataset {
    path: PathBuf,
    /// Set when `path` is a URL of object storage.
    remote: Option<crate::remote::Remote>,
    inner: Underlying,
    suffix: String,
    overwrite: bool,
}

/// How to build the dataset of one partition.
#[derive(Clone)]
struct Underlying {
    name: String,
    kind: DatasetType,
    args: Map<String, Json>,
    filepath_arg: String,
    value_type: Option<TypeTag>,
    registry: Arc<Registry>,
    root: Option<std::path::PathBuf>,
}

/// The arguments with secrets hidden: they hold resolved credentials.
impl fmt::Debug for Underlying {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Underlying")
            .field("kind", &self.kind)
            .field(
                "args",
                &kedrust_secrets::Redacted(&Json::Object(self.args.clone())),
            )
            .field("filepath_arg", &self.filepath_arg)
            .finish_non_exhaustive()
    }
}

impl Underlying {
    fn at(&self, file: &Path) -> Result<Arc<dyn Dataset>, DatasetError> {
        let mut args = self.args.clone();
        args.insert(
            self.filepath_arg.clone(),
            Json::String(file.to_string_lossy().into_owned()),
        );
        let spec = DatasetSpec {
            name: &self.name,
            args: &args,
            versioning: None,
            value_type: self.value_type,
            registry: &self.registry,
            root: self.root.as_deref(),
        };
        self.kind.create(&spec).map_err(DatasetError::Other)
    }
}

impl PartitionedDataset {
    fn partition_files(&self) -> Result<Vec<(String, PathBuf)>, DatasetError> {
        if let Some(remote) = &self.remote {
            let mut found: Vec<(String, PathBuf)> = remote
                .files()?
                .into_iter()
                .filter(|rel| !rel.split('/').any(is_hidden))
                .filter_map(|rel| {
                    let id = rel.strip_suffix(self.suffix.as_str())?.to_owned();
                    Some((id, PathBuf::from(remote.join(&rel).url())))
                })
                .collect();
            found.sort();
            return Ok(found);
        }
        let mut found = Vec::new();
        let mut stack = vec![self.path.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(DatasetError::io("list", &dir, e)),
            };
            for entry in entries.filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if is_hidden(&name) {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else if let Some(id) = self.id_of(&path) {
                    found.push((id, path));
                }
            }
        }
        found.sort();
        Ok(found)
    }

    fn id_of(&self, file: &Path) -> Option<String> {
        let rel = file.strip_prefix(&self.path).ok()?;
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        rel.strip_suffix(self.suffix.as_str()).map(str::to_owned)
    }

    fn write_all(&self, folder: &Path, parts: &PartitionMap) -> Result<(), DatasetError> {
        for (id, part) in parts.iter() {
            check_id(id)?;
            // On object storage an id becomes part of a URL: characters a URL gives a meaning
            // to would name another object.
            if self.remote.is_some()
                && let Some(c) = id.chars().find(|c| "#?%\\".contains(*c) || c.is_control())
            {
                return Err(DatasetError::Other(format!(
                    "partition id '{id}' has '{c}', which a URL of object storage cannot hold \
                     as it is"
                )));
            }
            let file = folder.join(format!("{id}{}", self.suffix));
            self.inner.at(&file)?.save(part.value()?)?;
        }
        Ok(())
    }
}

/// A partition id must stay inside the dataset's folder and be listed when loading: hidden
/// names (a component starting with `.`) are where saves keep their work in progress.
fn check_id(id: &str) -> Result<(), DatasetError> {
    let escapes = id.is_empty()
        || Path::new(id)
            .components()
            .any(|c| !matches!(c, Component::Normal(_)));
    if escapes {
        return Err(DatasetError::Other(format!(
            "partition id '{id}' must be a relative path inside the dataset's folder"
        )));
    }
    if id.split('/').any(|part| part.starts_with('.')) {
        return Err(DatasetError::Other(format!(
            "partition id '{id}' has a part starting with '.': such names are hidden, so the \
             partition could not be loaded back"
        )));
    }
    Ok(())
}

/// Marks a new folder as complete: every partition is written and flushed.
const COMPLETE: &str = ".complete";

/// The hidden folders of an overwrite of the dataset at `path`.
struct Swap {
    path: PathBuf,
    name: String,
}

impl Swap {
    fn of(path: &Path) -> Self {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        Self {
            path: path.to_owned(),
            name,
        }
    }

    fn new_folder(&self, pid: u32) -> PathBuf {
        self.path
            .with_file_name(format!(".{}.new.{pid}", self.name))
    }

    fn old_folder(&self, pid: u32) -> PathBuf {
        self.path
            .with_file_name(format!(".{}.old.{pid}", self.name))
    }

    /// Finishes or undoes the swaps of writers that are gone, then removes their folders.
    ///
    /// Without the dataset's folder, a complete new folder takes its place, or else the old
    /// one goes back; with it, the swap either never started or already finished.
    fn recover(&self) -> Result<(), DatasetError> {
        let dir = folder_of(&self.path);
        let new = dead_leftovers(dir, &format!(".{}.new.", self.name), "");
        let old = dead_leftovers(dir, &format!(".{}.old.", self.name), "");
        if !self.path.exists() {
            let complete = new.iter().find(|f| f.join(COMPLETE).exists());
            if let Some(back) = complete.or(old.first()) {
                std::fs::rename(back, &self.path)
                    .map_err(|e| DatasetError::io("recover", &self.path, e))?;
            }
        }
        for folder in new.iter().chain(&old).filter(|f| f.exists()) {
            let _ = std::fs::remove_dir_all(folder);
        }
        let _ = std::fs::remove_file(self.path.join(COMPLETE));
        Ok(())
    }
}

impl Dataset for PartitionedDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        if self.remote.is_none() {
            Swap::of(&self.path).recover()?;
        }
        let files = self.partition_files()?;
        if files.is_empty() {
            return Err(DatasetError::Other(format!(
                "no partitions found in {}{}",
                self.path.display(),
                if self.suffix.is_empty() {
                    String::new()
                } else {
                    format!(" ending with '{}'", self.suffix)
                }
            )));
        }
        let mut map = PartitionMap::new();
        for (id, file) in files {
            let inner = self.inner.clone();
            map.parts.insert(
                id,
                Partition::Lazy(Arc::new(move || inner.at(&file)?.load())),
            );
        }
        Ok(Value::new(map))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let parts = expect_ref::<PartitionMap>(&value)?;
        if let Some(remote) = &self.remote {
            // No renames on object storage: each partition is one PUT (never half-visible),
            // then an overwrite removes the partitions the new map does not have.
            let stale = if self.overwrite {
                self.partition_files()?
            } else {
                Vec::new()
            };
            self.write_all(&self.path, parts)?;
            for (id, _) in stale {
                if !parts.ids().any(|i| i == id) {
                    remote.join(&format!("{id}{}", self.suffix)).delete()?;
                }
            }
            return Ok(());
        }
        let swap = Swap::of(&self.path);
        swap.recover()?;
        if !self.overwrite {
            return self.write_all(&self.path, parts);
        }
        let pid = std::process::id();
        let (fresh, old) = (swap.new_folder(pid), swap.old_folder(pid));
        let _ = std::fs::remove_dir_all(&fresh);
        std::fs::create_dir_all(&fresh).map_err(|e| DatasetError::io("create", &fresh, e))?;
        let written = self.write_all(&fresh, parts).and_then(|()| {
            crate::atomic::write_bytes(&fresh.join(COMPLETE), b"")?;
            sync_folder(&fresh)
        });
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&fresh);
            return Err(e);
        }
        let had_old = self.path.exists();
        if had_old {
            std::fs::rename(&self.path, &old)
                .map_err(|e| DatasetError::io("move", &self.path, e))?;
        }
        std::fs::rename(&fresh, &self.path)
            .map_err(|e| DatasetError::io("replace", &self.path, e))?;
        sync_folder(folder_of(&self.path))?;
        let _ = std::fs::remove_file(self.path.join(COMPLETE));
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        if self.remote.is_none() {
            Swap::of(&self.path).recover()?;
        }
        Ok(!self.partition_files()?.is_empty())
    }

    fn path(&self) -> Option<&Path> {
        Some(&self.path)
    }

    fn data_version(&self) -> Option<String> {
        match &self.remote {
            Some(remote) => remote.data_version(),
            None => crate::data_version::local(&self.path),
        }
    }
}

pub(super) fn dataset_type() -> DatasetType {
    DatasetType::new(
        "partitions.PartitionedDataset",
        Holds::Fixed(TypeTag::of::<PartitionMap>()),
        &[
            "path",
            "dataset",
            "filename_suffix",
            "overwrite",
            "filepath_arg",
            "fs_args",
        ],
        |spec| {
            if spec.versioning.is_some() {
                return Err("a partitioned dataset cannot be versioned".into());
            }
            let (kind, args) = match spec.args.get("dataset") {
                Some(Json::String(t)) => (t.clone(), Map::new()),
                Some(Json::Object(m)) => {
                    let mut m = m.clone();
                    let Some(Json::String(t)) = m.remove("type") else {
                        return Err("'dataset' needs a 'type'".into());
                    };
                    if m.contains_key("versioned") {
                        return Err("the dataset of a partition cannot be versioned".into());
                    }
                    (t, m)
                }
                _ => {
                    return Err(
                        "'dataset' is required: a type name or a mapping with 'type'".into(),
                    );
                }
            };
            let found = spec.registry.get(&kind).ok_or_else(|| {
                let hint = kedrust_pipeline::suggest::hint(&kind, spec.registry.names());
                format!("unknown partition dataset type '{kind}'{hint}")
            })?;
            let value_type = match found.holds() {
                Holds::Fixed(t) => Some(t),
                _ => None,
            };
            let path = spec.path("path")?;
            if let Some(why) = crate::remote::unknown_scheme(&path.to_string_lossy()) {
                return Err(format!("'path': {why}"));
            }
            let mut args = args;
            let remote = if crate::remote::is_url(&path.to_string_lossy()) {
                // Each partition's dataset reaches the same store with the same keys.
                for key in ["credentials", "fs_args"] {
                    if let Some(value) = spec.args.get(key) {
                        args.entry(key).or_insert_with(|| value.clone());
                    }
                }
                Some(crate::remote::Remote::new(
                    &path.to_string_lossy(),
                    spec.args,
                )?)
            } else {
                None
            };
            Ok(Arc::new(PartitionedDataset {
                path,
                remote,
                inner: Underlying {
                    name: spec.name.to_owned(),
                    kind: found.clone(),
                    args,
                    filepath_arg: spec
                        .arg("filepath_arg")?
                        .unwrap_or_else(|| "filepath".into()),
                    value_type,
                    registry: Arc::clone(spec.registry),
                    root: spec.root.map(Path::to_path_buf),
                },
                suffix: spec.arg("filename_suffix")?.unwrap_or_default(),
                overwrite: spec.arg("overwrite")?.unwrap_or(false),
            }))
        },
    )
}
