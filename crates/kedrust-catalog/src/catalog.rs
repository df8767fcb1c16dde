//! The catalog: every dataset of a run by name, created from its entry or pattern on first
//! use and shared by every thread of the run.

use crate::builtin::MemoryDataset;
use crate::dataset::Dataset;
use crate::entries::{self, Entry};
use crate::error::{CatalogError, ConfigProblem, ConfigProblems, DatasetError, Operation};
use crate::pattern::{self, Pattern};
use crate::registry::{DatasetSpec, Registry};
use crate::version::{Versioning, check_version, new_version};
use kedrust_config::{Config, Loc};
use kedrust_partitions::{PartitionMapping, PartitionsDef};
use kedrust_pipeline::suggest::best_match;
use kedrust_pipeline::{TypeTag, Value};
use kedrust_secrets::{Hidden, Redacted};
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Where a dataset's definition comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Its own catalog entry.
    Entry,
    /// A factory pattern.
    Pattern(String),
    /// A parameter (`parameters`, `params:a.b`).
    Parameter,
    /// Not declared: a memory dataset created when first saved.
    Default,
    /// Added from code.
    Added,
}

/// A factory pattern no dataset name matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedPattern {
    /// The pattern as written.
    pub pattern: String,
    /// Where it is written.
    pub at: Option<Loc>,
    /// The dataset name nearest to it.
    pub nearest: Option<String>,
}

impl std::fmt::Display for UnmatchedPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(at) = &self.at {
            write!(f, "{at}: ")?;
        }
        write!(
            f,
            "catalog pattern '{}' matches no dataset of any pipeline",
            self.pattern
        )?;
        match &self.nearest {
            Some(name) => write!(f, "; the nearest dataset is '{name}'"),
            None => Ok(()),
        }
    }
}

/// How a name resolves: its source and its configuration with placeholders filled.
#[derive(Clone)]
pub struct Resolution {
    /// The dataset's name.
    pub name: String,
    /// Where its definition comes from.
    pub source: Source,
    /// Its type name.
    pub type_name: String,
    /// Its configuration (`type` included), for entries and patterns.
    pub config: Option<Json>,
    /// Where the entry or pattern is written.
    pub at: Option<Loc>,
}

impl std::fmt::Debug for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolution")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("type_name", &self.type_name)
            .field("config", &self.config.as_ref().map(Redacted))
            .field("at", &self.at)
            .finish()
    }
}

#[derive(Clone, Debug)]
struct Live {
    dataset: Arc<dyn Dataset>,
    type_name: Arc<str>,
    source: Source,
}

/// How a run reads an input through a partition mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedRead {
    /// Its keys (none when the catalog has no partition key).
    pub keys: Vec<String>,
    /// Whether the node takes a map of partitions rather than one.
    pub several: bool,
}

/// The datasets of a run.
pub struct Catalog {
    registry: Arc<Registry>,
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    patterns: Vec<Entry>,
    catch_all: Option<Entry>,
    credentials: Json,
    root: Option<PathBuf>,
    save_version: String,
    load_versions: BTreeMap<String, String>,
    partition: Option<String>,
    /// Inputs a partition mapping makes read other keys than the run's.
    mapped_keys: RwLock<HashMap<String, MappedRead>>,
    /// The datasets of one partition in a fan-out: name to (partitioned dataset, key).
    partition_aliases: RwLock<HashMap<String, (String, String)>>,
    /// Partitions definitions by the dataset they were read for (a fan-out asks for the
    /// definition of each of its slices: thousands of keys parsed once, not once a slice).
    partition_defs: RwLock<HashMap<String, Option<Arc<PartitionsDef>>>>,
    value_types: RwLock<HashMap<String, TypeTag>>,
    live: RwLock<HashMap<String, Live>>,
    /// Held while a dataset is made, so that threads asking for one at once make it once.
    making: Mutex<()>,
}

/// Datasets by name; credentials and dataset arguments never shown.
impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Catalog")
            .field("entries", &names)
            .field("patterns", &self.patterns())
            .field("credentials", &Hidden(&self.credentials))
            .field("root", &self.root)
            .field("save_version", &self.save_version)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Catalog`] from the config groups of a run.
pub struct CatalogBuilder {
    registry: Registry,
    catalog: Config,
    credentials: Json,
    parameters: Option<Json>,
    root: Option<PathBuf>,
    save_version: Option<String>,
    load_versions: BTreeMap<String, String>,
    partition: Option<String>,
}

impl std::fmt::Debug for CatalogBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogBuilder")
            .field("registry", &self.registry)
            .field("catalog", &self.catalog)
            .field("credentials", &Hidden(&self.credentials))
            .field("parameters", &self.parameters.as_ref().map(Redacted))
            .field("root", &self.root)
            .field("save_version", &self.save_version)
            .field("load_versions", &self.load_versions)
            .field("partition", &self.partition)
            .finish()
    }
}

impl CatalogBuilder {
    /// A builder over the dataset types of `registry`.
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            catalog: Config::default(),
            credentials: Json::Object(Map::new()),
            parameters: None,
            root: None,
            save_version: None,
            load_versions: BTreeMap::new(),
            partition: None,
        }
    }

    /// The catalog group.
    pub fn config(mut self, catalog: Config) -> Self {
        self.catalog = catalog;
        self
    }

    /// The credentials group, which `credentials: name` entries refer to.
    pub fn credentials(mut self, credentials: Json) -> Self {
        self.credentials = credentials;
        self
    }

    /// The parameters group, exposed as `parameters` and `params:a.b.c`.
    pub fn parameters(mut self, parameters: Json) -> Self {
        self.parameters = Some(parameters);
        self
    }

    /// The project folder relative paths are read from (default: the working directory).
    pub fn root(mut self, root: impl Into<PathBuf>) -> Self {
        self.root = Some(root.into());
        self
    }

    /// The version every versioned dataset saves to in this run (default: now).
    pub fn save_version(mut self, version: impl Into<String>) -> Self {
        self.save_version = Some(version.into());
        self
    }

    /// Pinned versions to load, by dataset (`--load-versions`).
    pub fn load_versions(mut self, versions: BTreeMap<String, String>) -> Self {
        self.load_versions = versions;
        self
    }

    /// The run's partition key: it fills `{partition}` in the paths of partitioned entries,
    /// and must be one of each such entry's keys.
    pub fn partition(mut self, key: Option<String>) -> Self {
        self.partition = key;
        self
    }

    /// Checks every entry and builds the catalog, or reports every problem at once.
    pub fn build(self) -> Result<Catalog, ConfigProblems> {
        let mut problems = Vec::new();
        let all = entries::read(
            &self.catalog,
            &self.credentials,
            &self.registry,
            &mut problems,
        );
        let mut entries = Vec::new();
        let mut patterns = Vec::new();
        let mut catch_all = None;
        for entry in all.all {
            match &entry.pattern {
                None => entries.push(entry),
                Some(p) if p.is_catch_all() => catch_all = Some(entry),
                Some(_) => patterns.push(entry),
            }
        }
        patterns.sort_by(|a, b| pattern_of(a).priority().cmp(&pattern_of(b).priority()));
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.key.clone(), i))
            .collect();
        let save_version = self.save_version.unwrap_or_else(new_version);
        if let Err(e) = check_version(&save_version) {
            problems.push(ConfigProblem {
                at: None,
                dataset: "*".into(),
                message: e,
            });
        }
        let catalog = Catalog {
            registry: Arc::new(self.registry),
            entries,
            by_name,
            patterns,
            catch_all,
            credentials: self.credentials,
            root: self.root,
            save_version,
            load_versions: self.load_versions,
            partition: self.partition,
            mapped_keys: RwLock::default(),
            partition_aliases: RwLock::default(),
            partition_defs: RwLock::default(),
            value_types: RwLock::default(),
            live: RwLock::default(),
            making: Mutex::default(),
        };
        for (name, version) in &catalog.load_versions {
            if let Err(e) = check_version(version) {
                problems.push(ConfigProblem {
                    at: None,
                    dataset: name.clone(),
                    message: format!("--load-versions: {e}"),
                });
            } else if !catalog.by_name.contains_key(name)
                && !catalog
                    .patterns
                    .iter()
                    .any(|p| pattern_of(p).matches(name).is_some())
            {
                problems.push(ConfigProblem {
                    at: None,
                    dataset: name.clone(),
                    message: format!(
                        "--load-versions names a dataset the catalog does not declare{}",
                        catalog.hint(name)
                    ),
                });
            }
        }
        // Every entry is made once now and dropped, so that a bad argument of an entry no
        // pipeline uses (a missing filepath, a misspelt save_args key) is found by `catalog
        // list` and by every run, not only by the run that uses it. The run makes its own,
        // knowing the Rust type its nodes give each dataset.
        if problems.is_empty() {
            let mut found_here = Vec::new();
            for entry in &catalog.entries {
                let Some(resolution) = catalog.resolve_config(&entry.key) else {
                    continue;
                };
                // Without the partition key: a key is checked against the datasets a run
                // uses, not against every partitioned entry.
                match catalog.create_for(&resolution, None) {
                    Ok(_) => {}
                    Err(CatalogError::Config(found)) => found_here.extend(found.problems),
                    Err(other) => found_here.push(ConfigProblem {
                        at: resolution.at.clone(),
                        dataset: entry.key.clone(),
                        message: other.to_string(),
                    }),
                }
            }
            // In the order they are written.
            found_here.sort_by(|a, b| a.at.cmp(&b.at));
            problems.extend(found_here);
        }
        if !problems.is_empty() {
            return Err(ConfigProblems { problems });
        }
        if let Some(params) = self.parameters {
            catalog.add_parameters(params);
        }
        Ok(catalog)
    }
}

fn pattern_of(entry: &Entry) -> &Pattern {
    entry
        .pattern
        .as_ref()
        .expect("pattern entries have a pattern")
}

impl Catalog {
    /// The entry `name` of the credentials config: for project code (hooks, dataset types)
    /// that signs in to a service itself. Never show it.
    pub fn credentials(&self, name: &str) -> Option<&Json> {
        self.credentials.get(name)
    }

    /// The names of the credentials config's entries.
    pub fn credential_names(&self) -> impl Iterator<Item = &str> {
        self.credentials
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// A catalog with the built-in types and no entries: every dataset lives in memory.
    pub fn in_memory() -> Self {
        CatalogBuilder::new(Registry::with_builtins())
            .build()
            .expect("an empty catalog has no problems")
    }

    /// The version versioned datasets save to in this run.
    pub fn save_version(&self) -> &str {
        &self.save_version
    }

    /// The dataset types this catalog knows.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Adds (or replaces) a dataset under `name`.
    pub fn add(&self, name: impl Into<String>, type_name: &str, dataset: Arc<dyn Dataset>) {
        self.write_live().insert(
            name.into(),
            Live {
                dataset,
                type_name: type_name.into(),
                source: Source::Added,
            },
        );
    }

    fn add_parameters(&self, params: Json) {
        let mut live = self.write_live();
        for (name, value) in parameter_datasets(&params) {
            live.insert(
                name,
                Live {
                    dataset: Arc::new(MemoryDataset::with_value(Value::new(value))),
                    type_name: "MemoryDataset".into(),
                    source: Source::Parameter,
                },
            );
        }
    }

    /// Whether `name` is declared, matched by a pattern, or already holds data.
    pub fn contains(&self, name: &str) -> bool {
        self.read_live().contains_key(name) || self.resolve_config(name).is_some()
    }

    /// How `name` resolves, without creating the dataset.
    pub fn resolve(&self, name: &str) -> Option<Resolution> {
        if let Some(live) = self.read_live().get(name)
            && !matches!(live.source, Source::Entry | Source::Pattern(_))
        {
            return Some(Resolution {
                name: name.to_owned(),
                source: live.source.clone(),
                type_name: live.type_name.to_string(),
                config: None,
                at: None,
            });
        }
        self.resolve_config(name)
    }

    fn resolve_config(&self, name: &str) -> Option<Resolution> {
        if let Some((base, _)) = self.partition_alias(name) {
            return self.resolve_config(&base).map(|r| Resolution {
                name: name.to_owned(),
                ..r
            });
        }
        let resolution = |entry: &Entry, source: Source, config: Json| {
            let type_name = config
                .get("type")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned();
            Resolution {
                name: name.to_owned(),
                source,
                type_name,
                config: Some(config),
                at: entry.at.clone(),
            }
        };
        if let Some(i) = self.by_name.get(name) {
            let entry = &self.entries[*i];
            return Some(resolution(
                entry,
                Source::Entry,
                Json::Object(entry.config.clone()),
            ));
        }
        let candidate = pattern::Candidate::new(name);
        self.patterns
            .iter()
            .chain(&self.catch_all)
            .find_map(|entry| {
                let captures = pattern_of(entry).matches_prepared(&candidate)?;
                let config = pattern::fill(&Json::Object(entry.config.clone()), &captures).ok()?;
                Some(resolution(
                    entry,
                    Source::Pattern(entry.key.clone()),
                    config,
                ))
            })
    }

    /// Every dataset: declared entries, then parameters and datasets created during the run,
    /// each with its type and source, sorted by name within each group.
    pub fn list(&self) -> Vec<Resolution> {
        let mut out: Vec<Resolution> = self
            .entries
            .iter()
            .filter_map(|e| self.resolve_config(&e.key))
            .collect();
        let mut extra: Vec<Resolution> = self
            .read_live()
            .keys()
            .filter(|k| !self.by_name.contains_key(*k))
            .filter_map(|k| self.resolve(k))
            .collect();
        extra.sort_by(|a, b| a.name.cmp(&b.name));
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(extra);
        out
    }

    /// Factory patterns in the order names are matched against them, the catch-all last.
    pub fn patterns(&self) -> Vec<&str> {
        self.patterns
            .iter()
            .chain(&self.catch_all)
            .map(|e| e.key.as_str())
            .collect()
    }

    /// The factory patterns (the catch-all aside) that match none of `names`, each with
    /// where it is written and the name nearest to it: usually a typo, which would otherwise
    /// leave the datasets it meant as memory datasets.
    pub fn unmatched_patterns(&self, names: &[&str]) -> Vec<UnmatchedPattern> {
        let candidates: Vec<pattern::Candidate> =
            names.iter().map(|n| pattern::Candidate::new(n)).collect();
        self.patterns
            .iter()
            .filter(|entry| {
                let p = pattern_of(entry);
                !candidates.iter().any(|c| p.matches_prepared(c).is_some())
            })
            .map(|entry| UnmatchedPattern {
                pattern: entry.key.clone(),
                at: entry.at.clone(),
                nearest: best_match(&entry.key, names.iter().copied()).map(str::to_owned),
            })
            .collect()
    }

    /// Loads `name`.
    pub fn load(&self, name: &str) -> Result<Value, CatalogError> {
        let live = self.dataset(name, false)?;
        live.dataset
            .load()
            .map_err(|e| self.failure(Operation::Load, name, &live, e))
    }

    /// Saves `value` to `name`; an undeclared name becomes a memory dataset.
    pub fn save(&self, name: &str, value: Value) -> Result<(), CatalogError> {
        let live = self.dataset(name, true)?;
        live.dataset
            .save(value)
            .map_err(|e| self.failure(Operation::Save, name, &live, e))
    }

    /// What saving `value` to `name` wrote, for materialisation records: the dataset's own
    /// account, else the value's (see [`Dataset::describe_saved`]).
    pub fn describe_saved(&self, name: &str, value: &Value) -> Option<Json> {
        self.dataset(name, false)
            .ok()
            .and_then(|live| live.dataset.describe_saved(value))
            .or_else(|| self.registry.describe(value))
    }

    /// Whether `name` has data to load (false when the name resolves to nothing).
    pub fn exists(&self, name: &str) -> Result<bool, CatalogError> {
        match self.dataset(name, false) {
            Ok(live) => live
                .dataset
                .exists()
                .map_err(|e| self.failure(Operation::Exists, name, &live, e)),
            Err(CatalogError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Drops what `name` holds in memory.
    pub fn release(&self, name: &str) {
        if let Some(live) = self.read_live().get(name) {
            live.dataset.release();
        }
    }

    /// The version of the data `name` holds now (see [`Dataset::data_version`]), with the
    /// version a run pins for it (`--load-versions`); `None` when it cannot tell or `name`
    /// resolves to no dataset.
    pub fn data_version(&self, name: &str) -> Option<String> {
        let live = self.dataset(name, false).ok()?;
        let version = live.dataset.data_version()?;
        Some(match self.load_versions.get(name) {
            Some(pinned) => format!("{pinned}:{version}"),
            None => version,
        })
    }

    /// Where `name` keeps its data (its file or folder), for datasets that live in one.
    pub fn path(&self, name: &str) -> Option<std::path::PathBuf> {
        let live = self.read_live().get(name).cloned()?;
        live.dataset.path().map(ToOwned::to_owned)
    }

    /// Removes what a save of `name` to this run's version wrote (see
    /// [`Dataset::discard_save`]); nothing for a name that resolves to no dataset.
    pub fn discard_save(&self, name: &str) -> Result<(), CatalogError> {
        match self.dataset(name, false) {
            Ok(live) => live
                .dataset
                .discard_save()
                .map_err(|e| self.failure(Operation::Save, name, &live, e)),
            Err(_) => Ok(()),
        }
    }

    /// Whether `name` lives only in this process (memory or nothing, declared or not).
    pub fn is_ephemeral(&self, name: &str) -> bool {
        if let Some(live) = self.read_live().get(name) {
            return live.dataset.is_ephemeral();
        }
        // A type that holds any value is the memory dataset's kind, under whatever name the
        // catalog spells it (`kedro.io.MemoryDataset`, a project's own alias).
        self.carries_nothing(name)
            || self.resolve_config(name).is_none_or(|r| {
                self.registry
                    .get(&r.type_name)
                    .is_some_and(|t| t.holds() == crate::registry::Holds::Any)
            })
    }

    /// The partitions definition of `name`, when it is partitioned.
    pub fn partitions(&self, name: &str) -> Option<Arc<PartitionsDef>> {
        let name = match self.partition_alias(name) {
            Some((base, _)) => base,
            None => name.to_owned(),
        };
        if let Some(known) = self
            .partition_defs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&name)
        {
            return known.clone();
        }
        let def = self
            .resolve_config(&name)
            .and_then(|r| r.config)
            .and_then(|config| PartitionsDef::from_config(config.get("partitions")?).ok())
            .map(Arc::new);
        self.partition_defs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, def.clone());
        def
    }

    /// Why the run's partition key is not one of `name`'s keys, if it is not (an input a
    /// mapping reads is checked by the mapping).
    pub fn partition_problem(&self, name: &str) -> Option<String> {
        if self.mapped_read(name).is_some() {
            return None;
        }
        if let Some((_, key)) = self.partition_alias(name) {
            return self.partitions(name)?.check_key(&key).err();
        }
        let key = self.partition.as_deref()?;
        self.partitions(name)?.check_key(key).err()
    }

    /// The mapping partitioned dataset `input` declares (`partition_mapping`) for output
    /// `output`, by its name or a pattern it matches; `None` when it declares none for it.
    pub fn partition_mapping(&self, input: &str, output: &str) -> Option<PartitionMapping> {
        let config = self.resolve_config(input)?.config?;
        crate::partition::mapping_for(config.get(crate::partition::MAPPING_KEY)?, output)
    }

    /// Whether partitioned dataset `name` declares partition mappings (`partition_mapping`).
    pub fn has_partition_mappings(&self, name: &str) -> bool {
        !self.partition_mapping_outputs(name).is_empty()
    }

    /// The output names and patterns `name`'s `partition_mapping` is written for.
    pub fn partition_mapping_outputs(&self, name: &str) -> Vec<String> {
        self.resolve_config(name)
            .and_then(|r| r.config)
            .and_then(|c| c.get(crate::partition::MAPPING_KEY)?.as_object().cloned())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Makes the run read input `name` as a partition mapping says: its keys (none when the
    /// catalog has no key, as when a job is planned), and whether the node takes several
    /// partitions as a [`crate::PartitionMap`] or one as itself. Set before the catalog is
    /// bound to its pipeline.
    pub fn map_partitions(&self, name: &str, read: MappedRead) {
        self.mapped_keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), read);
    }

    /// Makes `alias` the slice `key` of partitioned dataset `base` (a fan-out's copy of a node
    /// reads and writes its own partition under such names). Set before the catalog is bound.
    pub fn alias_partition(&self, alias: &str, base: &str, key: &str) {
        self.partition_aliases
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(alias.to_owned(), (base.to_owned(), key.to_owned()));
    }

    /// The partitioned dataset and key `name` stands for, when it is a fan-out's alias.
    pub fn partition_alias(&self, name: &str) -> Option<(String, String)> {
        self.partition_aliases
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// How a partition mapping makes the run read `name`, if one does.
    pub fn mapped_read(&self, name: &str) -> Option<MappedRead> {
        self.mapped_keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// The run's partition key, if it has one.
    pub fn partition_key(&self) -> Option<&str> {
        self.partition.as_deref()
    }

    /// Whether `name` is a value kept in one process's memory: a memory dataset, not a
    /// parameter and not a nothing dataset (which keeps no value).
    pub fn holds_in_memory(&self, name: &str) -> bool {
        !kedrust_pipeline::naming::is_parameter(name)
            && self.is_ephemeral(name)
            && !self.carries_nothing(name)
    }

    /// A nothing dataset (under any of its names): it orders two nodes and holds no data, so
    /// nothing carries it between processes.
    pub fn carries_nothing(&self, name: &str) -> bool {
        self.resolve_config(name)
            .and_then(|r| self.registry.get(&r.type_name))
            .is_some_and(|t| t.holds() == crate::registry::Holds::Nothing)
    }

    /// The dataset's type name, when it resolves.
    pub fn type_name(&self, name: &str) -> Option<String> {
        self.resolve(name).map(|r| r.type_name)
    }

    /// Records the Rust type a pipeline reads or writes under `name` (serde datasets use it).
    pub(crate) fn set_value_type(&self, name: &str, tag: TypeTag) {
        self.value_types
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), tag);
    }

    /// The dataset behind `name`, created on first use.
    fn dataset(&self, name: &str, create_default: bool) -> Result<Live, CatalogError> {
        if let Some(live) = self.read_live().get(name) {
            return Ok(live.clone());
        }
        // A dataset is made once: the threads that found none wait here, and all but the
        // first find it made.
        let _making = self.making.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(live) = self.read_live().get(name) {
            return Ok(live.clone());
        }
        let live = match self.resolve_config(name) {
            Some(resolution) => self.create(&resolution)?,
            None if create_default => Live {
                dataset: Arc::new(MemoryDataset::new()),
                type_name: "MemoryDataset".into(),
                source: Source::Default,
            },
            None => {
                return Err(CatalogError::NotFound {
                    name: name.to_owned(),
                    suggestion: self.suggestion(name),
                });
            }
        };
        Ok(self
            .write_live()
            .entry(name.to_owned())
            .or_insert(live)
            .clone())
    }

    /// Creates a dataset from its resolved configuration.
    pub(crate) fn create_from(&self, resolution: &Resolution) -> Result<(), CatalogError> {
        let _making = self.making.lock().unwrap_or_else(|e| e.into_inner());
        if self.read_live().contains_key(&resolution.name) {
            return Ok(());
        }
        let live = self.create(resolution)?;
        self.write_live()
            .entry(resolution.name.clone())
            .or_insert(live);
        Ok(())
    }

    fn create(&self, resolution: &Resolution) -> Result<Live, CatalogError> {
        match self.mapped_read(&resolution.name) {
            Some(read) if read.several => {
                let mut parts = Vec::with_capacity(read.keys.len());
                for key in read.keys {
                    let live = self.create_for(resolution, Some(&key))?;
                    parts.push((key, live.dataset));
                }
                Ok(Live {
                    dataset: Arc::new(crate::partition::MappedPartitions { parts }),
                    type_name: resolution.type_name.as_str().into(),
                    source: resolution.source.clone(),
                })
            }
            Some(read) if !read.keys.is_empty() => {
                self.create_for(resolution, read.keys.first().map(String::as_str))
            }
            _ => match self.partition_alias(&resolution.name) {
                Some((_, key)) => self.create_for(resolution, Some(&key)),
                None => self.create_for(resolution, self.partition.as_deref()),
            },
        }
    }

    /// Makes the dataset of `resolution`, a partitioned one for `partition`.
    fn create_for(
        &self,
        resolution: &Resolution,
        partition: Option<&str>,
    ) -> Result<Live, CatalogError> {
        let problem = |message: String| {
            CatalogError::Config(ConfigProblems {
                problems: vec![ConfigProblem {
                    at: resolution.at.clone(),
                    dataset: resolution.name.clone(),
                    message,
                }],
            })
        };
        let Some(Json::Object(config)) = &resolution.config else {
            return Err(problem("has no configuration".into()));
        };
        let mut args = config.clone();
        args.remove("type");
        args.remove("metadata");
        args.remove(crate::partition::MAPPING_KEY);
        if let Some(definition) = args.remove("partitions")
            && let Some(key) = partition
        {
            let definition = match self.partitions(&resolution.name) {
                Some(known) => known,
                None => Arc::new(
                    PartitionsDef::from_config(&definition)
                        .map_err(|found| problem(found.join("; ")))?,
                ),
            };
            definition.check_key(key).map_err(problem)?;
            crate::partition::fill(&mut args, key);
        }
        let versioned = args
            .remove("versioned")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        self.resolve_credentials(&mut args).map_err(problem)?;
        if let Some(root) = &self.root {
            absolutise(&mut args, root);
        }
        let kind = self.registry.get(&resolution.type_name).ok_or_else(|| {
            let hint = self.registry.unknown_type_hint(&resolution.type_name);
            problem(format!(
                "unknown dataset type '{}'{hint}",
                resolution.type_name
            ))
        })?;
        if versioned && !kind.can_version() {
            return Err(problem(format!(
                "{} cannot be versioned (it keeps no versions); remove `versioned: true`",
                resolution.type_name
            )));
        }
        let versioning = versioned.then(|| Versioning {
            load: self.load_versions.get(&resolution.name).cloned(),
            save: self.save_version.clone(),
        });
        let value_type = self
            .value_types
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&resolution.name)
            .copied();
        let spec = DatasetSpec {
            name: &resolution.name,
            args: &args,
            versioning,
            value_type,
            registry: &self.registry,
            root: self.root.as_deref(),
        };
        let dataset = kind
            .create(&spec)
            .map_err(|e| problem(format!("{}: {e}", resolution.type_name)))?;
        Ok(Live {
            dataset,
            type_name: resolution.type_name.as_str().into(),
            source: resolution.source.clone(),
        })
    }

    /// Replaces every `credentials: <name>` (at any depth outside lists) by its values.
    fn resolve_credentials(&self, map: &mut Map<String, Json>) -> Result<(), String> {
        for (key, value) in map.iter_mut() {
            match value {
                Json::String(reference) if key == "credentials" => {
                    let found = self.credentials.get(reference.as_str()).ok_or_else(|| {
                        format!("credentials '{reference}' not found in the credentials config")
                    })?;
                    *value = found.clone();
                }
                Json::Object(inner) => self.resolve_credentials(inner)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn failure(
        &self,
        op: Operation,
        name: &str,
        live: &Live,
        source: DatasetError,
    ) -> CatalogError {
        CatalogError::Dataset {
            op,
            name: name.to_owned(),
            type_name: live.type_name.to_string(),
            source,
        }
    }

    fn suggestion(&self, name: &str) -> Option<String> {
        let live = self.read_live();
        let names = self
            .entries
            .iter()
            .map(|e| e.key.as_str())
            .chain(live.keys().map(String::as_str));
        best_match(name, names).map(str::to_owned)
    }

    fn hint(&self, name: &str) -> String {
        self.suggestion(name)
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default()
    }

    fn read_live(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Live>> {
        self.live.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_live(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Live>> {
        self.live.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The parameter datasets of `params`, as Kedro names them: `parameters`, and `params:k` for
/// every key, recursively through mappings (`params:a.b.c`); lists are not indexed.
pub fn parameter_datasets(params: &Json) -> BTreeMap<String, Json> {
    fn nested(prefix: &str, value: &Json, out: &mut BTreeMap<String, Json>) {
        if let Json::Object(map) = value {
            for (k, v) in map {
                let name = format!("{prefix}.{k}");
                nested(&name, v, out);
                out.insert(name, v.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Json::Object(map) = params {
        for (k, v) in map {
            let name = format!("params:{k}");
            nested(&name, v, &mut out);
            out.insert(name, v.clone());
        }
    }
    out.insert("parameters".into(), params.clone());
    out
}

/// Keys whose string values are paths, made absolute against the project folder before a
/// dataset type sees them; a type's other path keys use `DatasetSpec::path_in_project`.
const PATH_KEYS: [&str; 3] = ["filepath", "path", "filename"];

fn absolutise(map: &mut Map<String, Json>, root: &Path) {
    for (key, value) in map.iter_mut() {
        match value {
            Json::String(s) if PATH_KEYS.contains(&key.as_str()) && is_relative_local(s) => {
                *s = root.join(&*s).to_string_lossy().into_owned();
            }
            Json::Object(inner) => absolutise(inner, root),
            _ => {}
        }
    }
}

fn is_relative_local(path: &str) -> bool {
    !path.contains("://") && Path::new(path).is_relative()
}

/// Parses `--load-versions ds:version,ds2:version`.
pub fn parse_load_versions(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, version) = item
            .rsplit_once(':')
            .ok_or_else(|| format!("--load-versions: '{item}' must be <dataset>:<version>"))?;
        check_version(version.trim()).map_err(|e| format!("--load-versions: {e}"))?;
        out.insert(name.trim().to_owned(), version.trim().to_owned());
    }
    Ok(out)
}
