//! Hooks: every Kedro hook, with the arguments Kedro 1.x passes, as one trait whose methods
//! all default to doing nothing. A project implements the ones it needs.
//!
//! Several hooks are called in Kedro's (pluggy's) order: the hook registered last runs first.
//! `before_node_run` may replace inputs; when two hooks replace the same input, the one called
//! last (registered first) wins, as in Kedro. A hook that fails fails the run, and the error
//! names the hook and the point of the lifecycle.

use crate::error::{HookError, RunError};
use crate::params::RunParams;
use crate::point::HookPoint;
use crate::trace::{TracePoint, Tracer};
use kedrust_catalog::Catalog;
use kedrust_config::ConfigLoader;
use kedrust_pipeline::{BoxError, Node, Pipeline, Value};
use kedrust_secrets::{Hidden, Redacted};
use kedrust_store::{EventKind, RunStore};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// What a hook returns: nothing, or why it failed.
pub type HookResult = Result<(), BoxError>;

/// Dataset name to value, in the node's declared order.
#[derive(Clone, Debug, Default)]
pub struct NamedValues(Vec<(String, Value)>);

impl NamedValues {
    /// From pairs in order.
    pub fn new(pairs: Vec<(String, Value)>) -> Self {
        Self(pairs)
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_str())
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn into_values(self) -> Vec<Value> {
        self.0.into_iter().map(|(_, v)| v).collect()
    }

    pub(crate) fn replace(&mut self, name: &str, value: Value) -> bool {
        let mut found = false;
        for (n, v) in &mut self.0 {
            if n == name {
                *v = value.clone();
                found = true;
            }
        }
        found
    }
}

/// `after_context_created`: the project and its configuration.
pub struct ContextInfo<'a> {
    /// The project folder.
    pub project_path: &'a Path,
    /// The run environment.
    pub env: &'a str,
    /// The configuration of the run.
    pub config_loader: &'a ConfigLoader,
    /// The parameters, runtime parameters applied.
    pub params: &'a Json,
}

impl std::fmt::Debug for ContextInfo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextInfo")
            .field("project_path", &self.project_path)
            .field("env", &self.env)
            .field("config_loader", &self.config_loader)
            .field("params", &Redacted(self.params))
            .finish()
    }
}

/// `after_catalog_created`: the catalog and what it was built from.
pub struct CatalogInfo<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The catalog configuration.
    pub conf_catalog: &'a Json,
    /// The credentials configuration (`{}` when there is none).
    pub conf_creds: &'a Json,
    /// Every parameter dataset: `parameters`, `params:a`, `params:a.b`, ...
    pub parameters: &'a BTreeMap<String, Json>,
    /// The version versioned datasets save to (the run id).
    pub save_version: &'a str,
    /// Pinned load versions.
    pub load_versions: &'a BTreeMap<String, String>,
}

/// Credentials and parameter values never shown.
impl std::fmt::Debug for CatalogInfo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogInfo")
            .field("catalog", self.catalog)
            .field("conf_catalog", &Redacted(self.conf_catalog))
            .field("conf_creds", &Hidden(self.conf_creds))
            .field("parameters", &self.parameters.keys().collect::<Vec<_>>())
            .field("save_version", &self.save_version)
            .field("load_versions", self.load_versions)
            .finish()
    }
}

/// The pipeline-level hooks' shared arguments.
#[derive(Debug, Clone, Copy)]
pub struct PipelineInfo<'a> {
    /// Kedro's `run_params`.
    pub run_params: &'a RunParams,
    /// The pipeline being run, filters applied.
    pub pipeline: &'a Pipeline,
    /// The run's catalog.
    pub catalog: &'a Catalog,
    /// State that lives as long as the run, in every process of it (the run store).
    pub state: &'a RunState,
}

/// Pipeline-level state of a run, kept in the run store so that what a hook sets in the
/// start op is there in every node's process and in the end op. Without a run store (an
/// embedded `run_nodes`), it lives in this process only.
#[derive(Debug, Default)]
pub struct RunState {
    store: Option<Arc<RunStore>>,
    run_id: String,
    local: std::sync::Mutex<BTreeMap<String, serde_json::Value>>,
}

impl RunState {
    /// The state of `run_id` in `store`.
    pub fn new(store: Option<Arc<RunStore>>, run_id: &str) -> Self {
        Self {
            store,
            run_id: run_id.to_owned(),
            local: Default::default(),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<serde_json::Value> {
        match &self.store {
            Some(store) => store.state(&self.run_id, key).ok().flatten(),
            None => self
                .local
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(key)
                .cloned(),
        }
    }

    /// Sets `key`.
    pub fn set(&self, key: &str, value: serde_json::Value) -> Result<(), BoxError> {
        match &self.store {
            Some(store) => store
                .set_state(&self.run_id, key, &value)
                .map_err(Into::into),
            None => {
                self.local
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.to_owned(), value);
                Ok(())
            }
        }
    }
}

/// The node-level hooks' shared arguments.
#[derive(Debug, Clone, Copy)]
pub struct NodeInfo<'a> {
    /// The node.
    pub node: &'a Node,
    /// The run's catalog.
    pub catalog: &'a Catalog,
    /// The inputs, after `before_node_run` replacements (in `before_node_run`: as loaded).
    pub inputs: &'a NamedValues,
    /// Always false: kedrust loads and saves synchronously in the node's own thread.
    pub is_async: bool,
    /// The run id.
    pub run_id: &'a str,
    /// The run's pipeline-level state (see [`RunState`]).
    pub state: &'a RunState,
}

impl NodeInfo<'_> {
    /// The partition key the node reads and writes: the run's, when it runs one partition,
    /// or the node's own, when it is a fan-out's copy for one key.
    pub fn partition_key(&self) -> Option<&str> {
        self.catalog.partition_key().or(self.node.partition())
    }
}

/// What the dataset hooks get, as node hooks get [`NodeInfo`]: Kedro's `dataset_name` and
/// `node`, and the run.
#[derive(Clone, Copy)]
pub struct DatasetInfo<'a> {
    /// The dataset loaded or saved.
    pub dataset: &'a str,
    /// The node that reads or writes it.
    pub node: &'a Node,
    /// The run's catalog.
    pub catalog: &'a Catalog,
    /// The run id.
    pub run_id: &'a str,
    /// The run's pipeline-level state (see [`RunState`]).
    pub state: &'a RunState,
}

/// What a run produced: the free outputs that live in memory, by name.
#[derive(Debug, Clone, Default)]
pub struct RunResult {
    /// Free outputs held in memory (e.g. `metrics`); persisted ones are on disk.
    pub outputs: BTreeMap<String, Value>,
}

/// Every Kedro hook. Implement the ones you need; the others do nothing.
#[allow(unused_variables)]
pub trait Hook: Send + Sync {
    /// A name for messages and traces (default: the type's name).
    fn name(&self) -> String {
        kedrust_pipeline::short_type_name(std::any::type_name::<Self>())
    }

    /// Checks the hook's own configuration (`mlflow.yml` for the MLflow hook) before
    /// anything runs and before any hook fires. A problem is a configuration error (exit 2,
    /// nothing run), not a failed run; say the file and the key.
    fn check_config(&self, config: &ConfigLoader) -> Result<(), BoxError> {
        Ok(())
    }

    /// Checks what the hook needs outside the project (the MLflow hook: its tracking server
    /// or store) once per run, in the process that fires the start hooks, before them. A
    /// problem is a configuration error (exit 2): nothing has run and no hook has fired.
    /// Unlike [`Hook::check_config`], it is not called where a run is only failed or
    /// finished, so an unreachable server never stops `on_pipeline_error`.
    fn check_services(
        &self,
        context: &ContextInfo<'_>,
        run_params: &RunParams,
    ) -> Result<(), BoxError> {
        Ok(())
    }

    /// Once a process has run its nodes of a run and saved their outputs, before it reports
    /// how that went (the end of a Dagster op, of a process runner's step, of an embedded
    /// run before `after_pipeline_run`): a hook that holds calls back sends them now (the
    /// MLflow hook sends from a background thread). An error fails that part of the run.
    fn flush(&self, state: &RunState) -> HookResult {
        Ok(())
    }

    /// Once per run, when the configuration is loaded.
    fn after_context_created(&self, context: &ContextInfo<'_>) -> HookResult {
        Ok(())
    }
    /// Once per run, when the catalog is built.
    fn after_catalog_created(&self, info: &CatalogInfo<'_>) -> HookResult {
        Ok(())
    }
    /// Once per run, before the first node.
    fn before_pipeline_run(&self, info: PipelineInfo<'_>) -> HookResult {
        Ok(())
    }
    /// Once per run, after every node succeeded.
    fn after_pipeline_run(&self, run_result: &RunResult, info: PipelineInfo<'_>) -> HookResult {
        Ok(())
    }
    /// Once per failed run, whatever failed.
    fn on_pipeline_error(&self, error: &RunError, info: PipelineInfo<'_>) -> HookResult {
        Ok(())
    }
    /// Before a node runs, its inputs loaded; may return replacement inputs by name.
    fn before_node_run(
        &self,
        info: NodeInfo<'_>,
    ) -> Result<Option<Vec<(String, Value)>>, BoxError> {
        Ok(None)
    }
    /// After a node's function succeeded, before its outputs are saved.
    fn after_node_run(&self, outputs: &NamedValues, info: NodeInfo<'_>) -> HookResult {
        Ok(())
    }
    /// When a node's function failed.
    fn on_node_error(&self, error: &RunError, info: NodeInfo<'_>) -> HookResult {
        Ok(())
    }
    /// Before an input is loaded.
    fn before_dataset_loaded(&self, info: DatasetInfo<'_>) -> HookResult {
        Ok(())
    }
    /// After an input is loaded.
    fn after_dataset_loaded(&self, data: &Value, info: DatasetInfo<'_>) -> HookResult {
        Ok(())
    }
    /// Before an output is saved.
    fn before_dataset_saved(&self, data: &Value, info: DatasetInfo<'_>) -> HookResult {
        Ok(())
    }
    /// After an output is saved.
    fn after_dataset_saved(&self, data: &Value, info: DatasetInfo<'_>) -> HookResult {
        Ok(())
    }
}

/// The registered hooks, called in Kedro's order (last registered first), plus the tracer
/// and the run and op they fire for.
#[derive(Clone, Default)]
pub struct Hooks {
    /// In call order.
    ordered: Vec<Arc<dyn Hook>>,
    reads_inputs: bool,
    tracer: Option<Arc<Tracer>>,
    store: Option<Arc<RunStore>>,
    state: Arc<RunState>,
    run_id: Arc<str>,
    op: Option<Arc<str>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.ordered.iter().map(|h| h.name()))
            .finish()
    }
}

impl Hooks {
    /// Hooks in registration order; they are called in reverse. Any hook may read a node's
    /// inputs in `after_node_run` and `on_node_error` unless [`Hooks::reading_node_inputs`]
    /// says otherwise.
    pub fn new(registered: impl IntoIterator<Item = Arc<dyn Hook>>) -> Self {
        let mut ordered: Vec<Arc<dyn Hook>> = registered.into_iter().collect();
        ordered.reverse();
        let reads_inputs = !ordered.is_empty();
        Self {
            ordered,
            reads_inputs,
            ..Self::default()
        }
    }

    /// Whether any hook reads a node's inputs after the node ran. When none does, a node
    /// takes its inputs by moving them rather than copying.
    pub fn reading_node_inputs(mut self, reads: bool) -> Self {
        self.reads_inputs = reads && !self.ordered.is_empty();
        self
    }

    /// Traces every lifecycle point to `tracer`.
    pub fn with_tracer(mut self, tracer: Option<Arc<Tracer>>) -> Self {
        self.tracer = tracer;
        self
    }

    /// Records events of the run in `store`.
    pub fn with_store(mut self, store: Option<Arc<RunStore>>) -> Self {
        self.store = store;
        self
    }

    /// The run store, when the run is recorded.
    pub fn store(&self) -> Option<&RunStore> {
        self.store.as_deref()
    }

    /// The same hooks inside another op.
    pub fn in_op(&self, op: &str) -> Self {
        Self {
            op: Some(op.into()),
            ..self.clone()
        }
    }

    /// The op these hooks fire in.
    pub fn op(&self) -> Option<&str> {
        self.op.as_deref()
    }

    /// Appends an event of this run and op to the run store (a store that cannot be written
    /// is reported once and does not fail the run).
    pub fn record(&self, kind: EventKind, message: &str, metadata: serde_json::Value) {
        if let Some(store) = &self.store
            && let Err(e) = store.event(&self.run_id, kind, self.op.as_deref(), message, metadata)
        {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| eprintln!("warning: {e}"));
        }
    }

    /// The same hooks firing for `run_id`, inside the op or step `op`.
    pub fn for_run(&self, run_id: &str, op: Option<&str>) -> Self {
        Self {
            run_id: run_id.into(),
            op: op.map(Into::into),
            state: Arc::new(RunState::new(self.store.clone(), run_id)),
            ..self.clone()
        }
    }

    /// The run's pipeline-level state.
    pub fn state(&self) -> &RunState {
        &self.state
    }

    /// The run these hooks fire for.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    fn trace(&self, point: HookPoint, at: TracePoint<'_>) {
        if let Some(t) = &self.tracer {
            t.record(point.as_str(), at, self.op.as_deref(), &self.run_id);
        }
    }

    /// Whether any hook is registered.
    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty()
    }

    /// Whether some hook reads a node's inputs after it ran.
    pub fn read_node_inputs(&self) -> bool {
        self.reads_inputs
    }

    /// Fires one lifecycle point: traces it, then calls `f` on every hook in order; the first
    /// failure stops the call and names the hook.
    pub fn each(
        &self,
        point: HookPoint,
        at: TracePoint<'_>,
        mut f: impl FnMut(&dyn Hook) -> HookResult,
    ) -> Result<(), HookError> {
        self.trace(point, at);
        let mut result = Ok(());
        for hook in &self.ordered {
            if let Err(source) = f(hook.as_ref()) {
                result = Err(HookError {
                    hook: hook.name(),
                    point,
                    message: source.to_string(),
                });
                break;
            }
        }
        if point.is_pipeline_level() {
            match &result {
                Ok(()) => self.record(
                    EventKind::HookCompleted,
                    point.as_str(),
                    serde_json::json!({"hook": point.as_str()}),
                ),
                Err(e) => self.record(
                    EventKind::HookErrored,
                    &e.to_string(),
                    serde_json::json!({"hook": point.as_str(), "implementation": e.hook}),
                ),
            }
        }
        result
    }

    /// `before_node_run` on every hook, with replacements merged in call order.
    pub fn before_node_run(&self, info: NodeInfo<'_>) -> Result<Vec<(String, Value)>, HookError> {
        self.trace(
            HookPoint::BeforeNodeRun,
            TracePoint {
                node: Some(info.node.node_name()),
                dataset: None,
            },
        );
        let mut replacements: Vec<(String, Value)> = Vec::new();
        for hook in &self.ordered {
            let returned = hook.before_node_run(info).map_err(|source| HookError {
                hook: hook.name(),
                point: HookPoint::BeforeNodeRun,
                message: source.to_string(),
            })?;
            for (name, value) in returned.unwrap_or_default() {
                if !info.node.inputs().contains(&name) {
                    return Err(HookError {
                        hook: hook.name(),
                        point: HookPoint::BeforeNodeRun,
                        message: format!(
                            "returned a replacement for '{name}', which is not an input of node '{}'",
                            info.node.node_name()
                        ),
                    });
                }
                replacements.retain(|(n, _)| *n != name);
                replacements.push((name, value));
            }
        }
        Ok(replacements)
    }
}
