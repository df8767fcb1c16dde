//! What a run is asked to do (`RunOptions`), why it may not happen or fail (`SessionError`),
//! and what a successful run reports.

use kedrust_catalog::{ConfigProblem, ConfigProblems};
use kedrust_config::{ConfigError, ConfigErrors};
use kedrust_pipeline::Filter;
use kedrust_runner::{RunError, RunResult, Runner};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to run and how: the options of `kedrust run`. Serialisable, so that every process
/// of a multi-process run rebuilds the same run.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct RunOptions {
    /// `--env` (else `KEDRUST_ENV`, else `local`).
    pub env: Option<String>,
    /// `--conf-source` (else `<project>/conf`).
    pub conf_source: Option<PathBuf>,
    /// `--pipeline`: pipelines to combine (default `__default__`).
    pub pipeline_names: Vec<String>,
    /// The seven filters.
    pub filter: Filter,
    /// `--params`, parsed.
    pub runtime_params: Json,
    /// `--runner`.
    pub runner: Runner,
    /// `--load-versions`.
    pub load_versions: BTreeMap<String, String>,
    /// `--only-missing-outputs`.
    pub only_missing_outputs: bool,
    /// The run id, when a process of an existing run rebuilds it (default: a new one).
    pub run_id: Option<String>,
    /// `--job`: a job of `dagster.yml` (its pipeline, filters and executor).
    #[serde(default)]
    pub job: Option<String>,
    /// The run this one resumes (`--resume`).
    #[serde(default)]
    pub parent_run_id: Option<String>,
    /// Run tags (a schedule's run carries `dagster/schedule_name`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The save version, when it differs from the run id (a Dagster run's id is a UUID, its
    /// save version a Kedro timestamp fixed by the start op).
    #[serde(default)]
    pub save_version: Option<String>,
    /// `--partition`: the key of the slice every partitioned dataset of the run reads and
    /// writes.
    #[serde(default)]
    pub partition: Option<String>,
    /// `--fan-out`: every node that writes partitioned datasets runs once per key, in this one
    /// run (a job's `fan_out: true`).
    #[serde(default)]
    pub fan_out: bool,
    /// `--group-by`: how nodes become the process runner's steps (a job's `group_by`
    /// otherwise).
    #[serde(default)]
    pub group_by: Option<kedrust_plan::Grouping>,
    /// `--only-changed`: skip the nodes whose saved outputs are what they would produce now.
    #[serde(default)]
    pub only_changed: bool,
}

/// As its JSON form, secrets hidden (runtime parameters may hold them).
impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = serde_json::to_value(self).unwrap_or_default();
        write!(f, "RunOptions ")?;
        std::fmt::Debug::fmt(&kedrust_secrets::Redacted(&json), f)
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            env: None,
            conf_source: None,
            pipeline_names: Vec::new(),
            filter: Filter::default(),
            runtime_params: Json::Object(Map::new()),
            runner: Runner::Sequential,
            load_versions: BTreeMap::new(),
            only_missing_outputs: false,
            run_id: None,
            job: None,
            parent_run_id: None,
            tags: BTreeMap::new(),
            save_version: None,
            partition: None,
            fan_out: false,
            group_by: None,
            only_changed: false,
        }
    }
}

/// Why a run did not happen or failed.
#[derive(thiserror::Error)]
pub enum SessionError {
    /// Configuration files or catalog entries are invalid, or the catalog does not fit the
    /// pipeline; every problem found, config files first.
    #[error("{}", invalid_lines(config, catalog))]
    Invalid {
        /// Problems of the config files.
        config: Vec<ConfigError>,
        /// Problems of catalog entries.
        catalog: Vec<ConfigProblem>,
    },
    /// The pipelines or the selection are invalid.
    #[error("{0}")]
    Selection(String),
    /// The run started and failed; hooks saw it.
    #[error("{error}")]
    Run {
        /// The first error.
        error: RunError,
        /// Kedro's resume suggestion, when some nodes ran.
        resume: Option<String>,
        /// The run id.
        run_id: String,
    },
    /// A hook's own configuration is invalid.
    #[error("{hook}: {message}")]
    HookConfig {
        /// The hook.
        hook: String,
        /// What is wrong, with the file.
        message: String,
    },
    /// An environment variable has a value that means nothing.
    #[error("{variable}='{value}' is not allowed: {expected}")]
    Setting {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// The project folder or the trace file could not be used.
    #[error("{0}")]
    Io(String),
}

impl SessionError {
    /// Whether the run started (exit code 1) rather than being refused (exit code 2).
    pub fn is_run_failure(&self) -> bool {
        matches!(self, Self::Run { .. })
    }
}

fn invalid_lines(config: &[ConfigError], catalog: &[ConfigProblem]) -> String {
    config
        .iter()
        .map(ToString::to_string)
        .chain(catalog.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<ConfigErrors> for SessionError {
    fn from(e: ConfigErrors) -> Self {
        Self::Invalid {
            config: e.errors,
            catalog: Vec::new(),
        }
    }
}

impl From<ConfigProblems> for SessionError {
    fn from(p: ConfigProblems) -> Self {
        Self::Invalid {
            config: Vec::new(),
            catalog: p.problems,
        }
    }
}

/// What a successful run reports.
#[derive(Debug)]
pub struct RunSummary {
    /// The run id.
    pub run_id: String,
    /// The nodes that ran, in completion order.
    pub nodes_run: Vec<String>,
    /// Nodes skipped by `--only-missing-outputs`.
    pub skipped: Vec<String>,
    /// Free outputs held in memory.
    pub result: RunResult,
}

kedrust_secrets::debug_as_message!(SessionError);
