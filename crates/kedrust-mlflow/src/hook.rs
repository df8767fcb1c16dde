//! The tracking hook: one MLflow run per pipeline run, a nested run per node, closed
//! correctly in every execution mode. Processes share nothing in memory: the start op keeps
//! where the runs are and the parent run's id in the run's state (the run store), and the
//! parent also carries the tag `kedrust.run_id`, so a node's process or a failure handler in
//! another process finds it.

use crate::auth::Auth;
use crate::client::{Client, now_ms};
use crate::config::{
    DictParams, LongParams, MAX_PARAM_VALUE, MlflowConfig, OnError, params_to_log,
};
use crate::local::LocalStore;
use crate::sender::{RunRef, Sender};
use crate::store::{Batch, Location, Store};
use kedrust_catalog::Catalog;
use kedrust_config::ConfigLoader;
use kedrust_pipeline::{BoxError, Value};
use kedrust_runner::{
    ContextInfo, DatasetInfo, Hook, HookResult, NamedValues, NodeInfo, PipelineInfo, RunError,
    RunParams, RunResult, RunState,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The state key holding what every process needs to track the run.
pub const STATE_KEY: &str = "kedrust.mlflow";

/// The state key set when some tracking call failed and `on_error: warn` let the run go on.
const INCOMPLETE_KEY: &str = "kedrust.mlflow.incomplete";

/// What the start op stores for the rest of the run: no secret (the run store keeps
/// nothing secret); each process signs in from its own catalog and environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tracked {
    location: Location,
    experiment_id: String,
    parent_run_id: String,
    node_runs: bool,
    dict_params: DictParams,
    long_params: LongParams,
    #[serde(default)]
    on_error: OnError,
}

/// What an earlier kedrust stored (a server only), for runs it started that end or fail
/// after an upgrade.
#[derive(Deserialize)]
struct TrackedBefore {
    uri: String,
    credentials: Option<String>,
    experiment_id: String,
    parent_run_id: String,
    node_runs: bool,
    dict_params: DictParams,
    long_params: LongParams,
}

impl Tracked {
    /// The stored state, in this form or the earlier one.
    fn read(state: Json) -> Option<Self> {
        if let Ok(t) = serde_json::from_value::<Self>(state.clone()) {
            return Some(t);
        }
        let before: TrackedBefore = serde_json::from_value(state).ok()?;
        Some(Self {
            location: Location::Server {
                uri: before.uri,
                credentials: before.credentials,
            },
            experiment_id: before.experiment_id,
            parent_run_id: before.parent_run_id,
            node_runs: before.node_runs,
            dict_params: before.dict_params,
            long_params: before.long_params,
            on_error: OnError::Fail,
        })
    }
}

/// The MLflow run of a kedrust run, from the run state the start op stored (`STATE_KEY`):
/// its id and its page in MLflow's UI (for a server; a local store has no address until
/// `mlflow ui` serves it). None when the run is not tracked.
pub fn tracked_run(state: &Json) -> Option<(String, Option<String>)> {
    let t = Tracked::read(state.clone())?;
    let url = match &t.location {
        Location::Server { uri, .. } => Some(format!(
            "{}/#/experiments/{}/runs/{}",
            uri.trim_end_matches('/'),
            t.experiment_id,
            t.parent_run_id
        )),
        Location::Local { .. } => None,
    };
    Some((t.parent_run_id, url))
}

/// The MLflow run of a node, where its MLflow datasets write.
#[derive(Debug, Clone)]
pub(crate) struct NodeRun {
    pub sender: Arc<Sender>,
    /// The node's nested run (the pipeline's run with `node_runs: false`).
    pub run: RunRef,
    /// The pipeline's run.
    pub parent_run_id: String,
    pub experiment_id: String,
    /// What a failed call does.
    pub on_error: OnError,
}

impl NodeRun {
    /// A call of an MLflow dataset that failed: the dataset's error, or with `on_error: warn`
    /// a warning, and the pipeline's run is tagged incomplete when it closes.
    pub(crate) fn dataset_call_failed(
        &self,
        what: &str,
        error: impl std::fmt::Display,
    ) -> Result<(), String> {
        if self.on_error != OnError::Warn {
            return Err(error.to_string());
        }
        tracing::warn!("MLflow: {what} is not logged (tracking.on_error is warn): {error}");
        self.sender.note_dropped();
        Ok(())
    }
}

/// What the node on this thread tracks to.
#[derive(Debug, Clone)]
pub(crate) enum Current {
    /// Its MLflow run.
    Run(NodeRun),
    /// Nothing: tracking failed and `tracking.on_error: warn` let the run go on.
    Untracked,
}

thread_local! {
    /// What the node running on this thread tracks to (MLflow datasets log to it).
    pub(crate) static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// The MLflow run of the node running on this thread; `None` when the run is not tracked and
/// `tracking.on_error: warn` lets it go on (a dataset then skips MLflow and says so).
pub(crate) fn current_run() -> Result<Option<NodeRun>, String> {
    match CURRENT.with(|c| c.borrow().clone()) {
        Some(Current::Run(run)) => Ok(Some(run)),
        Some(Current::Untracked) => Ok(None),
        None => Err("no MLflow run is open for this node: the run's environment has no mlflow.yml, or tracking is disabled".into()),
    }
}

/// The run an MLflow dataset reads through: a load needs one, even with `on_error: warn`.
pub(crate) fn run_to_read() -> Result<NodeRun, String> {
    current_run()?.ok_or_else(|| {
        "this run is not tracked (tracking failed and tracking.on_error is warn): there is no MLflow run to read from".into()
    })
}

/// Says that `what` is not in MLflow because the run is not tracked.
pub(crate) fn skipped(what: &str) {
    tracing::warn!("MLflow: {what} is not logged: tracking failed and tracking.on_error is warn");
}

/// The state key set when the run could not be tracked and `on_error: warn` let it go on.
const UNTRACKED_KEY: &str = "kedrust.mlflow.untracked";

/// Tracks runs in MLflow when the run's environment has an `mlflow.yml`.
#[derive(Debug)]
pub struct MlflowHook {
    project: String,
    /// The run environment's `mlflow` group and the project folder, read in
    /// `after_context_created` from the run's own configuration (the start hooks fire in one
    /// process, in that order).
    group: Mutex<Option<(Json, PathBuf)>>,
    /// Node runs open in this process: node name to (MLflow run, start).
    open: Mutex<HashMap<String, (RunRef, Instant)>>,
    /// The store this process tracks to, opened once, behind its background sender.
    store: Mutex<Option<(Location, Arc<Sender>)>>,
    /// What the start op stored, once this process has read it: kedrust run id and state.
    tracked: Mutex<Option<(String, Tracked)>>,
}

impl MlflowHook {
    /// The hook of project `project` (the default experiment name).
    pub fn new(project: impl Into<String>) -> Self {
        Self {
            project: project.into(),
            group: Mutex::default(),
            open: Mutex::default(),
            store: Mutex::default(),
            tracked: Mutex::default(),
        }
    }

    /// What the start op stored for run `run_id`, read from the run store once per process.
    fn tracked(&self, run_id: &str, state: &RunState) -> Option<Tracked> {
        let mut cached = self.tracked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((id, t)) = &*cached
            && id == run_id
        {
            return Some(t.clone());
        }
        // Not cached while absent: the start op may store it later (only for other ops,
        // which run after it).
        let t = Tracked::read(state.get(STATE_KEY)?)?;
        *cached = Some((run_id.to_owned(), t.clone()));
        Some(t)
    }

    /// The store at `location`, signed in (for a server) as this process's catalog or
    /// environment says; opened once per process.
    fn store(&self, location: &Location, catalog: &Catalog) -> Result<Arc<Sender>, BoxError> {
        let mut cached = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, sender)) = &*cached
            && at == location
        {
            return Ok(Arc::clone(sender));
        }
        let store = open(location, |credentials| Auth::resolve(credentials, catalog))?;
        let sender = Arc::new(Sender::new(store));
        *cached = Some((location.clone(), Arc::clone(&sender)));
        Ok(sender)
    }

    /// Sends what this process queued; a failure, as `on_error` says.
    fn flush_queue(&self, t: &Tracked, state: &RunState) -> HookResult {
        let sender = self
            .store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(_, sender)| Arc::clone(sender));
        let Some(sender) = sender else {
            return Ok(());
        };
        let flushed = Self::tolerant(t, state, "a node", || Ok(sender.flush()?));
        if sender.take_dropped() {
            state.set(INCOMPLETE_KEY, json!(true))?;
        }
        flushed
    }

    /// Runs a tracking call of a node; with `on_error: warn` a failure is a warning, and the
    /// run's MLflow run will be tagged incomplete.
    fn tolerant(
        t: &Tracked,
        state: &RunState,
        what: &str,
        call: impl FnOnce() -> HookResult,
    ) -> HookResult {
        match call() {
            Err(e) if t.on_error == OnError::Warn => {
                tracing::warn!("MLflow: {what} is not tracked (tracking.on_error is warn): {e}");
                let _ = state.set(INCOMPLETE_KEY, json!(true));
                Ok(())
            }
            other => other,
        }
    }

    fn close_node(&self, info: NodeInfo<'_>, status: &'static str) -> HookResult {
        // The node's outputs are saved after `after_node_run`: a metrics dataset still logs
        // to this node's run, which stays current on this thread until the next node starts.
        if status != "FINISHED" {
            CURRENT.with(|c| *c.borrow_mut() = None);
        }
        let Some(t) = self.tracked(info.run_id, info.state) else {
            return Ok(());
        };
        let opened = self
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(info.node.node_name());
        let Some((run, started)) = opened else {
            return Ok(());
        };
        // Queued: the node does not wait for MLflow.
        let sender = self.store(&t.location, info.catalog)?;
        let duration = started.elapsed().as_secs_f64();
        sender.log(
            &run,
            Batch::metrics_at(0, [("kedrust.duration_s".to_owned(), duration)]),
        );
        sender.end(&run, status);
        Ok(())
    }
}

/// Opens the store at `location`; `auth` finds a server's sign-in.
fn open(
    location: &Location,
    auth: impl FnOnce(Option<&str>) -> Result<Auth, String>,
) -> Result<Arc<dyn Store>, BoxError> {
    Ok(match location {
        Location::Server { uri, credentials } => {
            Arc::new(Client::new(uri, &auth(credentials.as_deref())?))
        }
        Location::Local { db, artifacts } => Arc::new(LocalStore::open(db, artifacts)?),
    })
}

/// Parameters as a batch: over MLflow's longest value, as `long_params_strategy` says.
fn params_batch(params: Vec<(String, String)>, strategy: LongParams) -> Result<Batch, BoxError> {
    let mut batch = Batch::default();
    for (key, value) in params {
        if value.chars().count() <= MAX_PARAM_VALUE {
            batch.params.push((key, value));
            continue;
        }
        match strategy {
            LongParams::Fail => {
                return Err(format!(
                    "parameter '{key}' is {} characters long, over MLflow's {MAX_PARAM_VALUE}; \
                     set tracking.params.long_params_strategy to tag or truncate",
                    value.chars().count()
                )
                .into());
            }
            LongParams::Tag => batch.tags.push((key, value)),
            LongParams::Truncate => batch
                .params
                .push((key, value.chars().take(MAX_PARAM_VALUE).collect())),
        }
    }
    Ok(batch)
}

/// The experiment's name: `tracking.experiment.name`, else the project's.
fn experiment_name(config: &MlflowConfig, project: &str) -> String {
    config
        .tracking
        .experiment
        .name
        .clone()
        .unwrap_or_else(|| project.to_owned())
}

impl Hook for MlflowHook {
    fn name(&self) -> String {
        "MlflowHook".into()
    }

    fn check_config(&self, config_loader: &ConfigLoader) -> Result<(), BoxError> {
        let group = config_loader.load("mlflow")?;
        let Some(config) = MlflowConfig::from_group(&group.value)
            .map_err(|problem| at_key(&group, &problem.key, &problem.message))?
        else {
            return Ok(());
        };
        let location = config
            .location(Path::new("."))
            .map_err(|e| format!("{}: {e}", uri_named_at(&group, &config)))?;
        // The sign-in is checked too: a credentials entry without one stops nothing midway.
        if let Location::Server {
            credentials: Some(_),
            ..
        } = location
        {
            server_auth(config_loader, &config)
                .map_err(|e| at_key(&group, &["server".into(), "credentials".into()], &e))?;
        }
        Ok(())
    }

    fn check_services(
        &self,
        context: &ContextInfo<'_>,
        run_params: &RunParams,
    ) -> Result<(), BoxError> {
        let group = context.config_loader.load("mlflow")?;
        let Some(config) = MlflowConfig::from_group(&group.value)? else {
            return Ok(());
        };
        if !config.tracks(&run_params.pipeline_names) {
            return Ok(());
        }
        let location = config.location(context.project_path)?;
        let checked =
            open(&location, |_| server_auth(context.config_loader, &config)).and_then(|store| {
                store.experiment_by_name(&experiment_name(&config, &self.project))?;
                Ok(())
            });
        match checked {
            Err(e) if config.tracking.on_error == OnError::Warn => {
                tracing::warn!("MLflow: the run is not tracked (tracking.on_error is warn): {e}");
                Ok(())
            }
            Err(e) => {
                let hint = match &location {
                    Location::Server { .. } => {
                        "start the server, or set tracking.on_error: warn to run without tracking"
                    }
                    Location::Local { .. } => {
                        "fix the store, or point server.mlflow_tracking_uri elsewhere"
                    }
                };
                Err(format!("{}: {e}; {hint}", uri_named_at(&group, &config)).into())
            }
            Ok(()) => Ok(()),
        }
    }

    fn after_context_created(&self, context: &ContextInfo<'_>) -> HookResult {
        let group = context.config_loader.load("mlflow")?;
        *self.group.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((group.value, context.project_path.to_owned()));
        Ok(())
    }

    fn before_pipeline_run(&self, info: PipelineInfo<'_>) -> HookResult {
        let params = info.run_params;
        let Some((group, project_path)) =
            self.group.lock().unwrap_or_else(|e| e.into_inner()).take()
        else {
            return Ok(());
        };
        let Some(config) = MlflowConfig::from_group(&group)? else {
            return Ok(()); // no mlflow.yml in this environment: nothing is tracked
        };
        if !config.tracks(&params.pipeline_names) {
            return Ok(());
        }
        let pipelines = if params.pipeline_names.is_empty() {
            vec!["__default__".to_owned()]
        } else {
            params.pipeline_names.clone()
        };
        let location = config.location(&project_path)?;
        let started = (|| -> Result<Tracked, BoxError> {
            let sender = self.store(&location, info.catalog)?;
            let store = sender.store();
            let name = experiment_name(&config, &self.project);
            let experiment_id = match store.experiment_by_name(&name)? {
                Some((id, false)) => id,
                Some((id, true)) if config.tracking.experiment.restore_if_deleted => {
                    store.restore_experiment(&id)?;
                    id
                }
                Some(_) => {
                    return Err(format!(
                        "MLflow experiment '{name}' is deleted; restore it or set tracking.experiment.restore_if_deleted"
                    )
                    .into());
                }
                None => store.create_experiment(&name)?,
            };
            let run_name = config
                .tracking
                .run
                .name
                .clone()
                .unwrap_or_else(|| pipelines.join("+"));
            let parent =
                store.create_run(&experiment_id, &run_name, &run_tags(params)?, now_ms())?;
            if let Ok(value) = info.catalog.load("parameters")
                && let Some(Json::Object(map)) = value.downcast_ref::<Json>()
            {
                let mut logged = Vec::new();
                for (k, v) in map {
                    logged.extend(params_to_log(k, v, &config.tracking.params.dict_params));
                }
                let batch = params_batch(logged, config.tracking.params.long_params_strategy)?;
                store.log_batch(&parent, &batch)?;
            }
            Ok(Tracked {
                location: location.clone(),
                experiment_id,
                parent_run_id: parent,
                node_runs: config.tracking.run.node_runs,
                dict_params: config.tracking.params.dict_params.clone(),
                long_params: config.tracking.params.long_params_strategy,
                on_error: config.tracking.on_error,
            })
        })();
        let tracked = match started {
            Ok(tracked) => tracked,
            Err(e) if config.tracking.on_error == OnError::Warn => {
                tracing::warn!("MLflow: the run is not tracked (tracking.on_error is warn): {e}");
                return info.state.set(UNTRACKED_KEY, json!(true));
            }
            Err(e) => return Err(e),
        };
        tracing::info!(
            "MLflow: tracking to run {} ({})",
            tracked.parent_run_id,
            location.describe()
        );
        info.state.set(STATE_KEY, serde_json::to_value(tracked)?)
    }

    fn before_node_run(
        &self,
        info: NodeInfo<'_>,
    ) -> Result<Option<Vec<(String, Value)>>, BoxError> {
        let Some(t) = self.tracked(info.run_id, info.state) else {
            if info.state.get(UNTRACKED_KEY).is_some() {
                CURRENT.with(|c| *c.borrow_mut() = Some(Current::Untracked));
            }
            return Ok(None);
        };
        let node = info.node.node_name();
        let mut current = None;
        Self::tolerant(&t, info.state, &format!("node {node}"), || {
            let sender = self.store(&t.location, info.catalog)?;
            // Queued: the node's run is created while the node runs.
            let run = if t.node_runs {
                let tags = vec![
                    ("mlflow.parentRunId".to_owned(), t.parent_run_id.clone()),
                    ("kedrust.run_id".to_owned(), info.run_id.to_owned()),
                    ("kedrust.node".to_owned(), node.to_owned()),
                ];
                let mut params = Vec::new();
                for (name, value) in info.inputs.iter() {
                    if kedrust_pipeline::naming::is_parameter(name)
                        && let Some(v) = value.downcast_ref::<Json>()
                    {
                        params.extend(params_to_log(name, v, &t.dict_params));
                    }
                }
                let params = params_batch(params, t.long_params)?;
                let child = sender.create_run(&t.experiment_id, node, tags);
                sender.log(&child, params);
                self.open
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(node.to_owned(), (child.clone(), Instant::now()));
                child
            } else {
                RunRef::Id(t.parent_run_id.clone())
            };
            current = Some(Current::Run(NodeRun {
                sender,
                run,
                parent_run_id: t.parent_run_id.clone(),
                experiment_id: t.experiment_id.clone(),
                on_error: t.on_error,
            }));
            Ok(())
        })?;
        // Not tracked, and `on_error: warn` went on: the node's datasets skip MLflow.
        CURRENT.with(|c| *c.borrow_mut() = Some(current.unwrap_or(Current::Untracked)));
        Ok(None)
    }

    fn after_node_run(&self, _outputs: &NamedValues, info: NodeInfo<'_>) -> HookResult {
        self.close_node(info, "FINISHED")
    }

    fn before_dataset_loaded(&self, info: DatasetInfo<'_>) -> HookResult {
        // A node's inputs load before `before_node_run` opens its run: an MLflow dataset
        // reads through the pipeline's run, in whichever process the node runs.
        let Some(t) = self.tracked(info.run_id, info.state) else {
            if info.state.get(UNTRACKED_KEY).is_some() {
                CURRENT.with(|c| *c.borrow_mut() = Some(Current::Untracked));
            }
            return Ok(());
        };
        let known = CURRENT.with(
            |c| matches!(&*c.borrow(), Some(Current::Run(r)) if r.parent_run_id == t.parent_run_id),
        );
        if known {
            return Ok(());
        }
        let sender = self.store(&t.location, info.catalog)?;
        CURRENT.with(|c| {
            *c.borrow_mut() = Some(Current::Run(NodeRun {
                sender,
                run: RunRef::Id(t.parent_run_id.clone()),
                parent_run_id: t.parent_run_id.clone(),
                experiment_id: t.experiment_id.clone(),
                on_error: t.on_error,
            }))
        });
        Ok(())
    }

    fn on_node_error(&self, _error: &RunError, info: NodeInfo<'_>) -> HookResult {
        self.close_node(info, "FAILED")
    }

    fn after_pipeline_run(&self, _result: &RunResult, info: PipelineInfo<'_>) -> HookResult {
        let Some(t) = self.tracked(&info.run_params.run_id, info.state) else {
            return Ok(());
        };
        self.flush_queue(&t, info.state)?;
        Self::tolerant(&t, info.state, "the end of the run", || {
            let sender = self.store(&t.location, info.catalog)?;
            let store = sender.store();
            mark_incomplete(store, &t, info.state)?;
            store.end_run(&t.parent_run_id, "FINISHED", now_ms())?;
            Ok(())
        })
    }

    fn on_pipeline_error(&self, error: &RunError, info: PipelineInfo<'_>) -> HookResult {
        let Some(t) = self.tracked(&info.run_params.run_id, info.state) else {
            return Ok(());
        };
        // What this process queued goes first: the failed node's run closes FAILED before
        // the pipeline's run does.
        let flushed = self.flush_queue(&t, info.state);
        Self::tolerant(&t, info.state, "the failure of the run", || {
            let sender = self.store(&t.location, info.catalog)?;
            let store = sender.store();
            // Children left open by a crashed or killed step are closed too.
            for id in store.open_children(&t.experiment_id, &t.parent_run_id)? {
                store.end_run(&id, "FAILED", now_ms())?;
            }
            mark_incomplete(store, &t, info.state)?;
            let message: String = error.to_string().chars().take(5000).collect();
            let tag = Batch {
                tags: vec![("kedrust.error".to_owned(), message)],
                ..Batch::default()
            };
            store.log_batch(&t.parent_run_id, &tag)?;
            store.end_run(&t.parent_run_id, "FAILED", now_ms())?;
            Ok(())
        })
        .and(flushed)
    }

    fn flush(&self, state: &RunState) -> HookResult {
        let tracked = self
            .tracked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(_, t)| t.clone());
        match tracked {
            Some(t) => self.flush_queue(&t, state),
            None => Ok(()),
        }
    }
}

/// Tags the parent run `kedrust.tracking = incomplete` when a tracking call of the run failed
/// and the run went on.
fn mark_incomplete(store: &dyn Store, t: &Tracked, state: &RunState) -> Result<(), BoxError> {
    if state.get(INCOMPLETE_KEY).is_some() {
        let tag = Batch {
            tags: vec![("kedrust.tracking".to_owned(), "incomplete".to_owned())],
            ..Batch::default()
        };
        store.log_batch(&t.parent_run_id, &tag)?;
    }
    Ok(())
}

/// The pipeline run's tags: its kedrust run id, and every run parameter that is set.
fn run_tags(params: &kedrust_runner::RunParams) -> Result<Vec<(String, String)>, BoxError> {
    let mut tags = vec![
        ("kedrust.run_id".to_owned(), params.run_id.clone()),
        ("mlflow.source.name".to_owned(), "kedrust".to_owned()),
    ];
    if let Json::Object(map) = serde_json::to_value(params)? {
        for (k, v) in map {
            let empty = v.is_null()
                || v == json!([])
                || v == json!({})
                || v == json!("")
                || v == json!(false);
            if !empty && k != "run_id" {
                tags.push((
                    format!("kedrust.{k}"),
                    match v {
                        Json::String(s) => s,
                        other => other.to_string(),
                    },
                ));
            }
        }
    }
    Ok(tags)
}

/// The sign-in of `config`'s server, from the credentials of the run's configuration.
fn server_auth(config_loader: &ConfigLoader, config: &MlflowConfig) -> Result<Auth, String> {
    let credentials = config.server.credentials.as_deref();
    if credentials.is_none() {
        return Auth::resolve_in(None, |_| None, std::iter::empty());
    }
    let entries = config_loader
        .load("credentials")
        .map_err(|e| e.to_string())?
        .value;
    let names = entries
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys().map(String::as_str));
    Auth::resolve_in(credentials, |name| entries.get(name), names)
}

/// Where key path `key` of `mlflow.yml` is written (`file:line:col`): its line, else its
/// nearest written parent's, else the file.
fn place(group: &kedrust_config::Config, key: &[String]) -> Option<String> {
    kedrust_config::nearest_location(&group.locations, key)
        .map(|at| at.to_string())
        .or_else(|| {
            let file = group.locations.values().next()?;
            Some(file.file.display().to_string())
        })
}

/// A problem of `mlflow.yml` at key path `key` as a config error: `file:line:col: key: what`
/// (an unknown key's message names the key itself).
fn at_key(group: &kedrust_config::Config, key: &[String], message: &str) -> BoxError {
    let message = message.strip_prefix("mlflow.yml: ").unwrap_or(message);
    // An unknown key's message names it: the path says which mapping it is in.
    let named = match message.starts_with("unknown field") {
        true => &key[..key.len().saturating_sub(1)],
        false => key,
    };
    let message = kedrust_pipeline::suggest::unknown_field(message);
    let what = match named.is_empty() {
        true => message,
        false => format!("{}: {message}", named.join(".")),
    };
    match place(group, key) {
        Some(at) => format!("{at}: {what}").into(),
        None => what.into(),
    }
}

/// Where the tracking URI in use was named: the line of `server.mlflow_tracking_uri`, else the
/// environment variable `MLFLOW_TRACKING_URI`, else nowhere (the project's own store).
fn uri_named_at(group: &kedrust_config::Config, config: &MlflowConfig) -> String {
    const KEY: &str = "server.mlflow_tracking_uri";
    if config.server.mlflow_tracking_uri.is_none() {
        let from_variable =
            std::env::var("MLFLOW_TRACKING_URI").is_ok_and(|u| !u.trim().is_empty());
        return match from_variable {
            true => "MLFLOW_TRACKING_URI".to_owned(),
            false => "the project's store (no tracking URI is set)".to_owned(),
        };
    }
    let key: Vec<String> = KEY.split('.').map(str::to_owned).collect();
    match place(group, &key) {
        Some(at) => format!("{at}: {KEY}"),
        None => KEY.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_an_earlier_version_stored_still_reads() {
        let before = json!({
            "uri": "http://127.0.0.1:5000", "credentials": null, "experiment_id": "1",
            "parent_run_id": "abc", "node_runs": true,
            "dict_params": {"flatten": false, "recursive": true, "sep": "."},
            "long_params": "fail",
        });
        let (run, url) = tracked_run(&before).unwrap();
        assert_eq!(run, "abc");
        assert_eq!(
            url.as_deref(),
            Some("http://127.0.0.1:5000/#/experiments/1/runs/abc")
        );
    }

    #[test]
    fn with_on_error_warn_a_failed_call_is_a_warning_and_the_run_is_tagged_incomplete() {
        let dir = tempfile::tempdir().unwrap();
        let (db, artifacts) = (dir.path().join("mlflow.db"), dir.path().join("mlruns"));
        let store = LocalStore::open(&db, &artifacts).unwrap();
        let experiment_id = store.create_experiment("e").unwrap();
        let parent = store
            .create_run(&experiment_id, "p", &[], now_ms())
            .unwrap();
        let t = Tracked {
            location: Location::Local {
                db: db.clone(),
                artifacts,
            },
            experiment_id,
            parent_run_id: parent.clone(),
            node_runs: true,
            dict_params: DictParams::default(),
            long_params: LongParams::Fail,
            on_error: OnError::Warn,
        };
        let state = RunState::new(None, "r");
        MlflowHook::tolerant(&t, &state, "node n", || Err("the server went away".into())).unwrap();
        mark_incomplete(&store, &t, &state).unwrap();
        let tag: String = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT value FROM tags WHERE run_uuid = ?1 AND key = 'kedrust.tracking'",
                [&parent],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tag, "incomplete");
        // Without `warn`, the same failure is the hook's error.
        let fail = Tracked {
            on_error: OnError::Fail,
            ..t
        };
        assert!(MlflowHook::tolerant(&fail, &state, "node n", || Err("gone".into())).is_err());
    }
}
