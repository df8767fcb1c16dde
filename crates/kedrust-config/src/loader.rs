//! The config loader: one group, read from the base and the run environment, merged.

use crate::discover::{self, Group};
use crate::error::{ConfigError, ConfigErrors};
use crate::interpolate::{self, Resolver, Scope};
use crate::location::Loc;
use crate::merge::{MergeStrategy, deep_merge, merge};
use crate::yaml::{self, KeyPath};
use kedrust_pipeline::suggest::best_match;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The variable that chooses the run environment when `--env` is not given.
pub const ENV_VAR: &str = "KEDRUST_ENV";
/// The run environment when neither `--env` nor [`ENV_VAR`] chooses one.
pub const DEFAULT_RUN_ENV: &str = "local";
/// The environment every run reads first.
pub const BASE_ENV: &str = "base";

/// The run environment: `--env`, else `KEDRUST_ENV`, else `local`.
pub fn run_env(cli: Option<&str>) -> String {
    cli.map(str::to_owned)
        .or_else(|| std::env::var(ENV_VAR).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| DEFAULT_RUN_ENV.to_owned())
}

/// A loaded group: the merged value and where each key path was last defined.
#[derive(Clone, Default)]
pub struct Config {
    /// The merged mapping.
    pub value: Value,
    /// Where each key path is written (the run environment's place when it overrides).
    pub locations: BTreeMap<KeyPath, Loc>,
}

/// The value with secrets hidden (the credentials group is a `Config` too).
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("value", &kedrust_secrets::Redacted(&self.value))
            .field("locations", &self.locations)
            .finish()
    }
}

impl Config {
    /// A configuration written in code rather than read from files (tests, programs that
    /// embed kedrust): its keys have no file locations.
    pub fn inline(value: Value) -> Self {
        Self {
            value,
            locations: BTreeMap::new(),
        }
    }

    /// Where `path` is defined.
    pub fn location(&self, path: &[&str]) -> Option<&Loc> {
        let key: KeyPath = path.iter().map(|s| (*s).to_owned()).collect();
        self.locations.get(&key)
    }
}

/// Reads config groups from `conf/<base>` and `conf/<run env>`.
#[derive(Clone)]
pub struct ConfigLoader {
    conf_source: PathBuf,
    base_env: String,
    run_env: String,
    groups: Vec<Group>,
    strategies: HashMap<String, MergeStrategy>,
    runtime_params: Value,
    resolvers: BTreeMap<String, Resolver>,
    env_vars_everywhere: bool,
    secret_parameters: Vec<String>,
    credentials_source: Option<PathBuf>,
}

impl std::fmt::Debug for ConfigLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigLoader")
            .field("conf_source", &self.conf_source)
            .field("base_env", &self.base_env)
            .field("run_env", &self.run_env)
            .field("groups", &self.groups)
            .field("resolvers", &self.resolvers.keys().collect::<Vec<_>>())
            .field("env_vars_everywhere", &self.env_vars_everywhere)
            .field("secret_parameters", &self.secret_parameters)
            .field("credentials_source", &self.credentials_source)
            .finish_non_exhaustive()
    }
}

/// The group that holds the values `${globals:...}` reads.
const GLOBALS: &str = "globals";
/// The only group where `${oc.env:...}` works unless the project allows it everywhere.
const CREDENTIALS: &str = "credentials";
/// The group runtime parameters apply to.
const PARAMETERS: &str = "parameters";

impl ConfigLoader {
    /// A loader of `conf_source` with the default groups, `base` and the run environment.
    pub fn new(conf_source: impl Into<PathBuf>, run_env: impl Into<String>) -> Self {
        Self {
            conf_source: conf_source.into(),
            base_env: BASE_ENV.to_owned(),
            run_env: run_env.into(),
            groups: discover::default_groups(),
            strategies: HashMap::new(),
            runtime_params: Value::Object(Map::new()),
            resolvers: BTreeMap::new(),
            env_vars_everywhere: false,
            secret_parameters: Vec::new(),
            credentials_source: None,
        }
    }

    /// Registers `${name:args}`. A project resolver named `oc.env` replaces the built-in one.
    pub fn resolver(
        mut self,
        name: impl Into<String>,
        f: impl Fn(&[Value]) -> Result<Value, String> + Send + Sync + 'static,
    ) -> Self {
        self.resolvers.insert(name.into(), Arc::new(f));
        self
    }

    /// Lets `${oc.env:VAR}` read environment variables in every group, not only credentials.
    pub fn env_vars_everywhere(mut self, allow: bool) -> Self {
        self.env_vars_everywhere = allow;
        self
    }

    /// Marks parameters as secret (dotted keys: `api.token`; a mapping's every value): their
    /// values, from the files or from runtime parameters, are hidden wherever kedrust shows
    /// or keeps text, as credentials are.
    pub fn secret_parameters<S: Into<String>>(mut self, keys: impl IntoIterator<Item = S>) -> Self {
        self.secret_parameters
            .extend(keys.into_iter().map(Into::into));
        self
    }

    /// Reads the credentials group from another configuration folder: a copy of the
    /// configuration that leaves credentials out reads them where they live.
    pub fn credentials_source(mut self, conf_source: impl Into<PathBuf>) -> Self {
        self.credentials_source = Some(conf_source.into());
        self
    }

    /// Adds or replaces a group.
    pub fn group(mut self, group: Group) -> Self {
        self.groups.retain(|g| g.name != group.name);
        self.groups.push(group);
        self
    }

    /// Chooses how the run environment overrides the base for one group.
    pub fn merge_strategy(mut self, group: &str, strategy: MergeStrategy) -> Self {
        self.strategies.insert(group.to_owned(), strategy);
        self
    }

    /// Runtime parameters, applied leaf by leaf over the `parameters` group.
    pub fn runtime_params(mut self, params: Value) -> Self {
        self.runtime_params = params;
        self
    }

    /// The run environment's name.
    pub fn run_env(&self) -> &str {
        &self.run_env
    }

    /// An error when the base environment, or a run environment other than the default
    /// `local`, has no folder: commands that load no group (`info`, `pipeline list`) report a
    /// mistyped `--env` as `run` does.
    pub fn check_environments(&self) -> Result<(), ConfigErrors> {
        for env in [&self.base_env, &self.run_env] {
            let dir = self.conf_source.join(env);
            let required = env == &self.base_env || env != DEFAULT_RUN_ENV;
            if required && !dir.is_dir() {
                let errors = vec![self.missing_env(env, &dir)];
                return Err(ConfigErrors { errors });
            }
        }
        Ok(())
    }

    /// Loads one group, reporting every problem of every file together.
    pub fn load(&self, group_name: &str) -> Result<Config, ConfigErrors> {
        let group = self
            .groups
            .iter()
            .find(|g| g.name == group_name)
            .cloned()
            .unwrap_or_else(|| Group::named(group_name));
        let mut errors = Vec::new();
        let globals = if group_name == GLOBALS {
            None
        } else {
            match self.load(GLOBALS) {
                Ok(g) => Some(g.value),
                Err(e) => return Err(e),
            }
        };
        let scope = Scope {
            group: group_name,
            globals: globals.as_ref(),
            runtime_params: (group_name != GLOBALS).then_some(&self.runtime_params),
            env_vars: self.env_vars_everywhere || group_name == CREDENTIALS,
            resolvers: &self.resolvers,
        };
        let base = self.load_env(&self.base_env, &group, true, &scope, &mut errors);
        let run = if self.run_env == self.base_env {
            None
        } else {
            let required = self.run_env != DEFAULT_RUN_ENV;
            self.load_env(&self.run_env, &group, required, &scope, &mut errors)
        };
        if !errors.is_empty() {
            return Err(ConfigErrors { errors });
        }
        let mut config = base.unwrap_or_default();
        if let Some(run) = run {
            let strategy = self.strategies.get(group_name).copied().unwrap_or_default();
            merge(&mut config.value, run.value, strategy);
            config.locations.extend(run.locations);
        }
        if group_name == PARAMETERS {
            deep_merge(&mut config.value, self.runtime_params.clone());
        } else if let Value::Object(map) = &mut config.value {
            // Keys starting with `_` hold YAML anchors for reuse, not entries.
            map.retain(|k, _| !k.starts_with('_'));
        }
        // Overriding and dropping keys leave locations of keys that are gone; a location is
        // only kept for a key the merged value still has.
        let value = &config.value;
        config.locations.retain(|path, _| has_path(value, path));
        if group_name == CREDENTIALS {
            kedrust_secrets::register_all(&config.value);
        }
        if group_name == PARAMETERS {
            for key in &self.secret_parameters {
                let found = key.split('.').try_fold(&config.value, |v, k| v.get(k));
                found.into_iter().for_each(kedrust_secrets::register_all);
            }
        }
        Ok(config)
    }

    /// One environment's files of the group, merged and resolved; an error for a key in two
    /// files.
    fn load_env(
        &self,
        env: &str,
        group: &Group,
        required: bool,
        scope: &Scope<'_>,
        errors: &mut Vec<ConfigError>,
    ) -> Option<Config> {
        let source = match &self.credentials_source {
            Some(source) if group.name == CREDENTIALS => source,
            _ => &self.conf_source,
        };
        let dir = source.join(env);
        if !dir.is_dir() {
            if required {
                errors.push(self.missing_env(env, &dir));
            }
            return None;
        }
        let files = match discover::files(&dir, group) {
            Ok(files) => files,
            Err(e) => {
                errors.push(e);
                return None;
            }
        };
        let mut merged = Config {
            value: Value::Object(Map::new()),
            locations: BTreeMap::new(),
        };
        for file in files {
            let Some(doc) = read(&file, errors) else {
                continue;
            };
            // Registered as written too, so that a message about a key that does not
            // resolve cannot show its neighbours.
            if group.name == CREDENTIALS {
                kedrust_secrets::register_all(&doc.value);
            }
            // A file of comments only is empty, as an empty file is.
            let value = match doc.value {
                Value::Null => Value::Object(Map::new()),
                v => v,
            };
            let Value::Object(map) = value else {
                errors.push(ConfigError::NotAMapping {
                    at: Loc::new(&Arc::new(file), 1, 1),
                });
                continue;
            };
            for (key, value) in map {
                let path = vec![key.clone()];
                // Parameter files of one environment merge deeply: only a leaf in two files
                // clashes (Kedro 1.x), so `model.alpha` and `model.beta` may live apart.
                if group.name == PARAMETERS {
                    let mut clashes = Vec::new();
                    merge_leaves(
                        &mut merged.value,
                        key,
                        value,
                        &mut path.clone(),
                        &mut clashes,
                    );
                    for leaf in clashes {
                        if let (Some(first), Some(second)) =
                            (merged.locations.get(&leaf), doc.locations.get(&leaf))
                        {
                            errors.push(ConfigError::DuplicateKey {
                                key: leaf.join("."),
                                first: first.clone(),
                                second: second.clone(),
                            });
                        }
                    }
                    continue;
                }
                if let (Some(first), Some(second)) =
                    (merged.locations.get(&path), doc.locations.get(&path))
                {
                    errors.push(ConfigError::DuplicateKey {
                        key,
                        first: first.clone(),
                        second: second.clone(),
                    });
                    continue;
                }
                merged.value[&key] = value;
            }
            if merged.locations.is_empty() {
                merged.locations = doc.locations; // the usual case: one file per group
            } else {
                for (path, loc) in doc.locations {
                    merged.locations.entry(path).or_insert(loc);
                }
            }
        }
        errors.extend(interpolate::resolve(
            &mut merged.value,
            &merged.locations,
            scope,
        ));
        Some(merged)
    }

    fn missing_env(&self, env: &str, dir: &Path) -> ConfigError {
        let existing: Vec<String> = std::fs::read_dir(&self.conf_source)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        ConfigError::MissingEnvironment {
            env: env.to_owned(),
            path: dir.to_owned(),
            suggestion: best_match(env, existing.iter().map(String::as_str)).map(str::to_owned),
        }
    }
}

/// Puts `value` at `key` of the mapping `into`, merging mappings key by key; the key path of
/// every leaf both sides define goes to `clashes` (keys starting with `_` hold anchors and
/// never clash).
fn merge_leaves(
    into: &mut Value,
    key: String,
    value: Value,
    path: &mut KeyPath,
    clashes: &mut Vec<KeyPath>,
) {
    let Value::Object(map) = into else { return };
    match (map.get_mut(&key), value) {
        (None, value) => {
            map.insert(key, value);
        }
        (Some(existing @ Value::Object(_)), Value::Object(inner)) => {
            for (k, v) in inner {
                path.push(k.clone());
                merge_leaves(existing, k, v, path, clashes);
                path.pop();
            }
        }
        (Some(existing), value) => {
            if !key.starts_with('_') {
                clashes.push(path.clone());
            }
            *existing = value;
        }
    }
}

fn has_path(value: &Value, path: &[String]) -> bool {
    path.iter().try_fold(value, |v, key| v.get(key)).is_some()
}

fn read(file: &Path, errors: &mut Vec<ConfigError>) -> Option<yaml::Document> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            errors.push(ConfigError::Io {
                path: file.to_owned(),
                message: e.to_string(),
            });
            return None;
        }
    };
    yaml::parse(&Arc::new(file.to_owned()), &text)
        .map_err(|e| errors.push(e))
        .ok()
}
