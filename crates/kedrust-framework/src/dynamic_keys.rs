//! The keys of dynamic partitions: added by `partitions add`, or by a node that writes a
//! `partitions.DynamicPartitionKeys` dataset (its list of keys), and kept in the run store,
//! so every process and every later run of the project sees them.

use crate::options::{RunOptions, SessionError};
use crate::project::Project;
use kedrust_catalog::{Dataset, DatasetError, DatasetType, Holds, expect_ref};
use kedrust_partitions::PartitionsDef;
use kedrust_pipeline::{TypeTag, Value};
use kedrust_store::RunStore;
use std::path::Path;
use std::sync::Arc;

/// The dataset type a node writes new keys to.
pub(crate) const TYPE: &str = "partitions.DynamicPartitionKeys";

/// The dataset type, over the run store at `store`.
pub(crate) fn dataset_type(store: kedrust_store::StoreLocation) -> DatasetType {
    DatasetType::new(
        TYPE,
        Holds::Fixed(TypeTag::of::<Vec<String>>()),
        &["name"],
        move |spec| {
            let name: String = spec.arg("name")?.ok_or_else(|| {
                "'name' is required: the name of the dynamic partitions it adds keys to".to_owned()
            })?;
            Ok(Arc::new(DynamicKeys {
                store: store.clone(),
                name,
            }))
        },
    )
}

/// The keys of one dynamic partitions definition.
#[derive(Debug)]
struct DynamicKeys {
    store: kedrust_store::StoreLocation,
    name: String,
}

impl DynamicKeys {
    fn open(&self) -> Result<RunStore, DatasetError> {
        RunStore::open_at(&self.store).map_err(|e| DatasetError::Other(e.to_string()))
    }
}

impl Dataset for DynamicKeys {
    fn load(&self) -> Result<Value, DatasetError> {
        let keys = self
            .open()?
            .dynamic_partitions(&self.name)
            .map_err(|e| DatasetError::Other(e.to_string()))?;
        Ok(Value::new(keys))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let keys = expect_ref::<Vec<String>>(&value)?;
        for key in keys {
            if let Some(why) = kedrust_partitions::invalid_dynamic_key(key) {
                return Err(DatasetError::Other(format!("partition key {key:?} {why}")));
            }
        }
        self.open()?
            .add_dynamic_partitions(&self.name, keys)
            .map(drop)
            .map_err(|e| DatasetError::Other(e.to_string()))
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        let keys = self
            .open()?
            .dynamic_partitions(&self.name)
            .map_err(|e| DatasetError::Other(e.to_string()))?;
        Ok(!keys.is_empty())
    }
}

/// `def` with dynamic keys replaced by the keys the store has, in the order they were added:
/// what backfills and `partitions status` range over.
pub(crate) fn with_known_keys(
    def: PartitionsDef,
    store: &RunStore,
) -> Result<PartitionsDef, SessionError> {
    match def {
        PartitionsDef::Dynamic { name } => store
            .dynamic_partitions(&name)
            .map(PartitionsDef::Static)
            .map_err(|e| SessionError::Io(e.to_string())),
        other => Ok(other),
    }
}

/// Why `key` is not a key of dynamic partitions `name`, if it is not (or the store cannot
/// say).
pub(crate) fn unknown_key(store: &RunStore, name: &str, key: &str) -> Option<String> {
    let keys = match store.dynamic_partitions(name) {
        Ok(keys) => keys,
        Err(e) => {
            return Some(format!(
                "the keys of dynamic partitions '{name}' are unknown: {e}"
            ));
        }
    };
    if keys.iter().any(|k| k == key) {
        return None;
    }
    let hint = kedrust_pipeline::suggest::hint(key, keys.iter().map(String::as_str));
    Some(format!(
        "'{key}' is not a key of dynamic partitions '{name}' ({}){hint}; add it with \
         `partitions add {name} {key}`",
        if keys.is_empty() {
            "it has none yet".to_owned()
        } else {
            format!("keys: {}", keys.join(", "))
        }
    ))
}

/// The names of the dynamic partitions the catalog of `options`' environment declares (on
/// the datasets of its pipelines).
fn declared_names(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
) -> Result<Vec<String>, SessionError> {
    let partitioned = crate::partitioned::partitioned_datasets(project, project_path, options)?;
    let mut names: Vec<String> = partitioned
        .into_values()
        .filter_map(|def| match def {
            PartitionsDef::Dynamic { name } => Some(name),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The keys of one dynamic partitions definition, and the ones deleted since they were added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KnownKeys {
    /// The keys, in the order they were added.
    pub keys: Vec<String>,
    /// Keys deleted and not added again.
    pub deleted: Vec<String>,
}

/// Every dynamic partitions definition the catalog declares, with its keys and the ones
/// deleted (what the code location's sensor gives Dagster's instance, and takes from it).
pub fn all_dynamic_keys(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
) -> Result<std::collections::BTreeMap<String, KnownKeys>, SessionError> {
    let names = declared_names(project, project_path, options)?;
    if names.is_empty() {
        return Ok(Default::default());
    }
    let store = crate::settings::open_store(project, project_path)?;
    names
        .into_iter()
        .map(|name| {
            let keys = store.dynamic_partitions(&name).map_err(io)?;
            let deleted = store.deleted_dynamic_partitions(&name).map_err(io)?;
            Ok((name, KnownKeys { keys, deleted }))
        })
        .collect()
}

/// The run store, once `name` is known to be dynamic partitions the catalog declares.
fn store_for(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    name: &str,
) -> Result<Arc<RunStore>, SessionError> {
    let names = declared_names(project, project_path, options)?;
    if !names.iter().any(|n| n == name) {
        let hint = kedrust_pipeline::suggest::hint(name, names.iter().map(String::as_str));
        return Err(SessionError::Selection(format!(
            "no dataset has dynamic partitions named '{name}'{hint} (declared: {})",
            if names.is_empty() {
                "none; a catalog entry's `partitions: {type: dynamic, name: ...}` declares them"
                    .to_owned()
            } else {
                names.join(", ")
            }
        )));
    }
    crate::settings::open_store(project, project_path)
}

fn io(e: kedrust_store::StoreError) -> SessionError {
    SessionError::Io(e.to_string())
}

/// `partitions add`: adds `keys` to dynamic partitions `name`; how many were new, and how
/// many keys it has now.
pub fn add_dynamic_keys(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    name: &str,
    keys: &[String],
) -> Result<(usize, usize), SessionError> {
    let store = store_for(project, project_path, options, name)?;
    for key in keys {
        if let Some(why) = kedrust_partitions::invalid_dynamic_key(key) {
            return Err(SessionError::Selection(format!(
                "partition key {key:?} {why}"
            )));
        }
    }
    let added = store.add_dynamic_partitions(name, keys).map_err(io)?;
    let total = store.dynamic_partitions(name).map_err(io)?.len();
    Ok((added, total))
}

/// `partitions list`: the keys of dynamic partitions `name`, in the order they were added.
pub fn dynamic_keys(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    name: &str,
) -> Result<Vec<String>, SessionError> {
    store_for(project, project_path, options, name)?
        .dynamic_partitions(name)
        .map_err(io)
}

/// `partitions delete`: removes `key` from dynamic partitions `name` (its data stays).
pub fn delete_dynamic_key(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    name: &str,
    key: &str,
) -> Result<(), SessionError> {
    let store = store_for(project, project_path, options, name)?;
    if store.delete_dynamic_partition(name, key).map_err(io)? {
        return Ok(());
    }
    Err(SessionError::Selection(
        unknown_key(&store, name, key)
            .unwrap_or_else(|| format!("'{key}' is not a key of '{name}'")),
    ))
}
