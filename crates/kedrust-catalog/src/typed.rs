//! Dataset types written against their value and their configuration: a project implements
//! [`TypedDataset`] and registers it in one line; the registry derives the type's name, the
//! Rust type it holds and the keys it accepts from the implementation.

use crate::dataset::{Dataset, expect_ref};
use crate::error::DatasetError;
use crate::registry::{DatasetSpec, DatasetType, Holds};
use kedrust_pipeline::{TypeTag, Value};
use serde::de::DeserializeOwned;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A dataset type of the project's own, written against the value its nodes read and write
/// and a serde struct of its catalog keys. Register it with
/// `Project::new("shop").dataset::<OrdersTable>()` (or [`crate::Registry::dataset`]).
///
/// The catalog's own keys (`type`, `versioned`, `metadata`, `data_type`) never reach
/// `Config`; `credentials` does, resolved from `credentials.yml`. Every field of `Config` is
/// a key the catalog check accepts, so a typo is reported before the run with the nearest key;
/// mark the struct `#[serde(deny_unknown_fields)]` so that serde agrees. The keys `filepath`,
/// `path` and `filename` arrive absolute, taken from the project folder; any other path key is
/// taken from there with [`DatasetContext::in_project`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dataset type",
    label = "a dataset type must implement `TypedDataset`",
    note = "implement `kedrust::prelude::TypedDataset` for `{Self}`: its `TYPE_NAME`, `Value` and `Config`, and `from_config`, `load`, `save` and `exists`"
)]
pub trait TypedDataset: fmt::Debug + Send + Sync + Sized + 'static {
    /// The name the catalog's `type:` uses, such as `shop.OrdersTable`.
    const TYPE_NAME: &'static str;
    /// What nodes read from it and write to it.
    type Value: Send + Sync + 'static;
    /// The entry's keys, deserialised.
    type Config: DeserializeOwned;

    /// Builds the dataset of one catalog entry.
    fn from_config(config: Self::Config, context: &DatasetContext<'_>) -> Result<Self, String>;
    /// Reads the data.
    fn load(&self) -> Result<Self::Value, DatasetError>;
    /// Writes the data. Write to a temporary file and rename it (see [`crate::write_file`]) so
    /// that a failed save never leaves a half-written dataset.
    fn save(&self, value: &Self::Value) -> Result<(), DatasetError>;
    /// Whether there is data to load.
    fn exists(&self) -> Result<bool, DatasetError>;
    /// Where the data lives, for messages and listings.
    fn path(&self) -> Option<&Path> {
        None
    }
    /// A short text that changes when the data changes, for `run --only-changed` and
    /// Dagster's data versions (a table's last-modified stamp, a content hash); `None` when
    /// it cannot tell, and then readers always run. By default, the size and modification
    /// time of the files at [`TypedDataset::path`].
    fn data_version(&self) -> Option<String> {
        self.path().and_then(crate::data_version::local)
    }
}

/// What a [`TypedDataset`] is built with besides its keys.
#[derive(Debug, Clone, Copy)]
pub struct DatasetContext<'a> {
    /// The dataset's name in the catalog.
    pub name: &'a str,
    /// The project folder, when the catalog has one.
    pub root: Option<&'a Path>,
}

impl DatasetContext<'_> {
    /// `path` taken from the project folder when it is relative, as `filepath` is, never
    /// from the working directory of the command.
    pub fn in_project(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        match self.root {
            Some(root) if path.is_relative() => root.join(path),
            _ => path.to_owned(),
        }
    }
}

/// The [`DatasetType`] of `T`.
pub fn dataset_type<T: TypedDataset>() -> DatasetType {
    DatasetType::new(
        T::TYPE_NAME,
        Holds::Fixed(TypeTag::of::<T::Value>()),
        config_keys::<T::Config>(),
        |spec: &DatasetSpec<'_>| {
            let config: T::Config =
                serde_json::from_value(serde_json::Value::Object(spec.args.clone()))
                    .map_err(|e| kedrust_pipeline::suggest::unknown_field(&e.to_string()))?;
            let context = DatasetContext {
                name: spec.name,
                root: spec.root,
            };
            let dataset = T::from_config(config, &context)?;
            Ok(Arc::new(Typed(dataset)) as Arc<dyn Dataset>)
        },
    )
}

/// The field names of a config struct: serde lists them when asked to deserialise one.
fn config_keys<C: DeserializeOwned>() -> &'static [&'static str] {
    serde_aux::serde_introspection::serde_introspect::<C>()
}

/// A [`TypedDataset`] as the catalog's untyped [`Dataset`].
struct Typed<T>(T);

impl<T: TypedDataset> fmt::Debug for Typed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: TypedDataset> Dataset for Typed<T> {
    fn load(&self) -> Result<Value, DatasetError> {
        self.0.load().map(Value::new)
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        self.0.save(expect_ref::<T::Value>(&value)?)
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        self.0.exists()
    }

    fn path(&self) -> Option<&Path> {
        self.0.path()
    }

    fn data_version(&self) -> Option<String> {
        self.0.data_version()
    }
}
