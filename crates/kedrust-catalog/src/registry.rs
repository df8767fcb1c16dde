//! Dataset types by name: the built-ins, the project's own, and the serde codecs that let the
//! serde datasets store a project's types.

use crate::dataset::Dataset;
use crate::version::Versioning;
use kedrust_pipeline::TypeTag;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};
use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Builds a dataset from its configuration; the error is said in words and located by the
/// catalog.
pub type Constructor =
    Arc<dyn Fn(&DatasetSpec<'_>) -> Result<Arc<dyn Dataset>, String> + Send + Sync>;

/// The Rust type a dataset type loads and saves, for the check before the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// Any type (memory datasets).
    Any,
    /// Always this type (text: `String`, CSV: `DataFrame`).
    Fixed(TypeTag),
    /// A type with a registered serde codec, chosen by the pipeline or `data_type:`.
    Serde,
    /// No data at all (nothing datasets); any type may be declared.
    Nothing,
}

/// What a type holds for one entry, when its keys decide it.
pub type HoldsFor = Arc<dyn Fn(&Map<String, Json>) -> Holds + Send + Sync>;

/// A named dataset type.
#[derive(Clone)]
pub struct DatasetType {
    name: String,
    holds: Holds,
    holds_for: Option<HoldsFor>,
    args: Vec<&'static str>,
    constructor: Constructor,
    versions: bool,
}

impl DatasetType {
    /// A type called `name` (e.g. `polars.CSVDataset`) that accepts the keys `args`.
    pub fn new(
        name: impl Into<String>,
        holds: Holds,
        args: &[&'static str],
        constructor: impl Fn(&DatasetSpec<'_>) -> Result<Arc<dyn Dataset>, String>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            holds,
            holds_for: None,
            args: args.to_vec(),
            constructor: Arc::new(constructor),
            versions: false,
        }
    }

    /// Datasets of this type keep versions (`versioned: true` in the catalog, Kedro's
    /// layout): its constructor reads [`DatasetSpec::versioning`]. Without it, an entry that
    /// asks for versions is refused instead of silently not versioned.
    pub fn versioned(mut self) -> Self {
        self.versions = true;
        self
    }

    /// Lets an entry's keys decide what its dataset holds (Excel: one sheet is a DataFrame,
    /// several are a map of them); [`DatasetType::holds`] stays the usual case.
    pub fn holding(
        mut self,
        by_entry: impl Fn(&Map<String, Json>) -> Holds + Send + Sync + 'static,
    ) -> Self {
        self.holds_for = Some(Arc::new(by_entry));
        self
    }

    /// What a dataset of this type holds for the entry `config`.
    pub fn holds_for(&self, config: &Map<String, Json>) -> Holds {
        self.holds_for.as_ref().map_or(self.holds, |f| f(config))
    }

    /// Whether datasets of this type keep versions.
    pub fn can_version(&self) -> bool {
        self.versions
    }

    /// The name used in `type:`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it loads and saves.
    pub fn holds(&self) -> Holds {
        self.holds
    }

    /// The configuration keys it accepts besides the catalog's own.
    pub fn args(&self) -> &[&'static str] {
        &self.args
    }

    /// Builds one dataset.
    pub fn create(&self, spec: &DatasetSpec<'_>) -> Result<Arc<dyn Dataset>, String> {
        (self.constructor)(spec)
    }
}

impl std::fmt::Debug for DatasetType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetType")
            .field("name", &self.name)
            .field("holds", &self.holds)
            .finish_non_exhaustive()
    }
}

/// What a constructor receives: the entry's arguments with credentials resolved and paths
/// made absolute, the versions, and the Rust type the pipeline reads or writes.
pub struct DatasetSpec<'a> {
    /// The dataset's name.
    pub name: &'a str,
    /// The arguments (everything except `type`, `versioned`, `metadata`, `data_type`).
    pub args: &'a Map<String, Json>,
    /// Versions to load and save, when the entry is versioned.
    pub versioning: Option<Versioning>,
    /// The Rust type the data has, when known.
    pub value_type: Option<TypeTag>,
    /// The registry, for datasets that wrap another (partitioned) or need codecs (serde).
    pub registry: &'a Arc<Registry>,
    /// The project folder, when the catalog has one. `filepath`, `path` and `filename` (at
    /// any depth) are made absolute against it before the type sees them; other keys are not:
    /// read them with [`DatasetSpec::path_in_project`].
    pub root: Option<&'a Path>,
}

/// The arguments with secrets hidden: they hold resolved credentials.
impl std::fmt::Debug for DatasetSpec<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatasetSpec")
            .field("name", &self.name)
            .field(
                "args",
                &kedrust_secrets::Redacted(&Json::Object(self.args.clone())),
            )
            .field("versioning", &self.versioning)
            .field("value_type", &self.value_type)
            .finish_non_exhaustive()
    }
}

impl DatasetSpec<'_> {
    /// A required path argument.
    pub fn path(&self, key: &str) -> Result<PathBuf, String> {
        match self.args.get(key) {
            Some(Json::String(s)) if !s.is_empty() => Ok(PathBuf::from(s)),
            Some(other) => Err(format!("'{key}' must be a path, not {other}")),
            None => Err(format!("'{key}' is required")),
        }
    }

    /// A path argument of the type's own (`database: data/shop.db`): a relative path is
    /// taken from the project folder, as `filepath` is, not from the working directory of the
    /// command.
    pub fn path_in_project(&self, key: &str) -> Result<PathBuf, String> {
        let path = self.path(key)?;
        Ok(match self.root {
            Some(root) if path.is_relative() => root.join(path),
            _ => path,
        })
    }

    /// An optional argument deserialised into `T`; an unknown key inside it (a typo in
    /// `load_args`) is reported with the nearest valid key.
    pub fn arg<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, String> {
        self.args
            .get(key)
            .map(|v| {
                serde_json::from_value(v.clone()).map_err(|e| {
                    format!(
                        "'{key}': {}",
                        kedrust_pipeline::suggest::unknown_field(&e.to_string())
                    )
                })
            })
            .transpose()
    }

    /// An optional mapping argument such as `load_args`, deserialised into `T` (its
    /// default when absent); unknown keys are reported with the nearest valid one.
    pub fn options<T: DeserializeOwned + Default>(&self, key: &str) -> Result<T, String> {
        Ok(self.arg(key)?.unwrap_or_default())
    }
}

/// Encodes and decodes one Rust type for the serde datasets.
#[derive(Clone)]
pub struct Codec {
    tag: TypeTag,
    pub(crate) to_json: fn(&dyn Any) -> Result<Vec<u8>, String>,
    pub(crate) from_json: fn(&[u8]) -> Result<kedrust_pipeline::Value, String>,
    pub(crate) to_binary: fn(&dyn Any) -> Result<Vec<u8>, String>,
    pub(crate) from_binary: fn(&[u8]) -> Result<kedrust_pipeline::Value, String>,
    /// Registered by kedrust itself (plain Rust types), not listed as the project's.
    builtin: bool,
}

impl Codec {
    /// A codec with a binary form only (a DataFrame as Arrow IPC), for carrying values
    /// between processes; serde datasets cannot use it.
    pub fn binary(
        tag: TypeTag,
        to_binary: fn(&dyn Any) -> Result<Vec<u8>, String>,
        from_binary: fn(&[u8]) -> Result<kedrust_pipeline::Value, String>,
    ) -> Self {
        Self {
            tag,
            to_json: |_| Err("this type has no JSON form".into()),
            from_json: |_| Err("this type has no JSON form".into()),
            to_binary,
            from_binary,
            builtin: true,
        }
    }

    /// Encodes a value of the codec's type to bytes.
    pub fn encode(&self, value: &kedrust_pipeline::Value) -> Result<Vec<u8>, String> {
        (self.to_binary)(value.as_any())
    }

    /// Decodes bytes written by [`Codec::encode`].
    pub fn decode(&self, bytes: &[u8]) -> Result<kedrust_pipeline::Value, String> {
        (self.from_binary)(bytes)
    }

    fn of<T: Serialize + DeserializeOwned + Send + Sync + 'static>() -> Self {
        fn down<T: 'static>(v: &dyn Any) -> Result<&T, String> {
            v.downcast_ref::<T>()
                .ok_or_else(|| format!("expected {}", TypeTag::of::<T>().short_name()))
        }
        Self {
            tag: TypeTag::of::<T>(),
            to_json: |v| serde_json::to_vec_pretty(down::<T>(v)?).map_err(|e| e.to_string()),
            from_json: |b| {
                serde_json::from_slice::<T>(b)
                    .map(kedrust_pipeline::Value::new)
                    .map_err(|e| e.to_string())
            },
            to_binary: |v| {
                let mut out = Vec::new();
                ciborium::into_writer(down::<T>(v)?, &mut out).map_err(|e| e.to_string())?;
                Ok(out)
            },
            from_binary: |b| {
                ciborium::from_reader::<T, _>(b)
                    .map(kedrust_pipeline::Value::new)
                    .map_err(|e| e.to_string())
            },
            builtin: false,
        }
    }

    /// The type it handles.
    pub fn tag(&self) -> TypeTag {
        self.tag
    }
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Codec<{}>", self.tag)
    }
}

/// Prefixes Kedro users write in front of type names; they name the same types here.
const KEDRO_PREFIXES: [&str; 3] = [
    "kedro.io.",
    "kedro_datasets.",
    "kedro_datasets_experimental.",
];

fn without_kedro_prefix(name: &str) -> &str {
    KEDRO_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// Every dataset type a catalog can build.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    types: BTreeMap<String, DatasetType>,
    codecs: HashMap<TypeId, Codec>,
    describers: HashMap<TypeId, Describer>,
}

/// Describes a saved value for the run's records (a table's row count and schema).
pub type Describer = fn(&dyn Any) -> Json;

impl Registry {
    /// The built-in types (memory, nothing, text, bytes, JSON, YAML, serde, partitioned).
    pub fn with_builtins() -> Self {
        let mut r = Self::default();
        crate::builtin::register(&mut r);
        // Plain values a node may hand to a node in another process.
        macro_rules! plain {
            ($($t:ty),*) => {$(
                let mut c = Codec::of::<$t>();
                c.builtin = true;
                r.codecs.insert(TypeId::of::<$t>(), c);
            )*};
        }
        plain!(
            (),
            bool,
            i32,
            i64,
            u32,
            u64,
            usize,
            f32,
            f64,
            String,
            Vec<u8>,
            Vec<i64>,
            Vec<u64>,
            Vec<f64>,
            Vec<String>,
            Json
        );
        r
    }

    /// Adds a describer of values of type `tag` (materialisations carry what it returns).
    pub fn describer_for(&mut self, tag: TypeTag, describe: Describer) -> &mut Self {
        self.describers.insert(tag.id(), describe);
        self
    }

    /// What the registered describer says of `value`, if one is registered for its type.
    pub fn describe(&self, value: &kedrust_pipeline::Value) -> Option<Json> {
        self.describers
            .get(&value.type_tag().id())
            .map(|d| d(value.as_any()))
    }

    /// Adds a codec (see [`Codec::binary`]).
    pub fn codec_for(&mut self, codec: Codec) -> &mut Self {
        self.codecs.insert(codec.tag.id(), codec);
        self
    }

    /// Adds or replaces a dataset type.
    pub fn register(&mut self, t: DatasetType) -> &mut Self {
        self.types.insert(t.name.clone(), t);
        self
    }

    /// Adds or replaces the dataset type `T` (see [`crate::TypedDataset`]).
    pub fn dataset<T: crate::TypedDataset>(&mut self) -> &mut Self {
        self.register(crate::dataset_type::<T>())
    }

    /// Lets `serde.JSONDataset` and `serde.BinaryDataset` store `T`.
    pub fn serde_type<T: Serialize + DeserializeOwned + Send + Sync + 'static>(
        &mut self,
    ) -> &mut Self {
        self.codecs.insert(TypeId::of::<T>(), Codec::of::<T>());
        self
    }

    /// The type called `name` (Kedro prefixes such as `kedro_datasets.` are ignored, and
    /// kedro-dagster's nothing dataset is ours).
    pub fn get(&self, name: &str) -> Option<&DatasetType> {
        let bare = without_kedro_prefix(name);
        self.types
            .get(bare)
            .or_else(|| self.types.get(crate::kedro_types::alias(bare)?))
    }

    /// What to tell a user who wrote the unknown type `name`: our counterpart of a Kedro
    /// type, or that there is none, else the nearest type name.
    pub fn unknown_type_hint(&self, name: &str) -> String {
        crate::kedro_types::advice(without_kedro_prefix(name))
            .unwrap_or_else(|| kedrust_pipeline::suggest::hint(name, self.names()))
    }

    /// Every type name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }

    /// The codec of a type, when registered.
    pub fn codec(&self, tag: TypeTag) -> Option<&Codec> {
        self.codecs.get(&tag.id())
    }

    /// The codec whose type's short or full name is `name` (for `data_type:`).
    pub fn codec_named(&self, name: &str) -> Option<&Codec> {
        self.codecs
            .values()
            .find(|c| c.tag.short_name() == name || c.tag.path() == name)
    }

    /// Short names of the registered serde types, sorted.
    pub fn codec_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .codecs
            .values()
            .filter(|c| !c.builtin)
            .map(|c| c.tag.short_name())
            .collect();
        names.sort();
        names
    }
}
