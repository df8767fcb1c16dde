//! The tracking hook: one MLflow run per pipeline run, a nested run per node, closed
//! correctly in every execution mode. Processes share nothing in memory: the start op keeps
//! the parent run's id in the run's state (the run store), and the parent also carries the
//! tag `kedrust.run_id`, so a node's process or a failure handler in another process finds
//! it.

use crate::auth::Auth;
use crate::client::Client;
use crate::config::{LongParams, MAX_PARAM_VALUE, MlflowConfig, params_to_log};
use kedrust_catalog::Catalog;
use kedrust_config::ConfigLoader;
use kedrust_pipeline::{BoxError, Value};
use kedrust_runner::{
    ContextInfo, Hook, HookResult, NamedValues, NodeInfo, PipelineInfo, RunError, RunResult,
    RunState,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The state key holding what every process needs to track the run.
pub const STATE_KEY: &str = "kedrust.mlflow";

/// What the start op stores for the rest of the run: no secret (the run store keeps
/// nothing secret); each process signs in from its own catalog and environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tracked {
    uri: String,
    /// `server.credentials`: the credentials entry to sign in with.
    #[serde(default)]
    credentials: Option<String>,
    experiment_id: String,
    parent_run_id: String,
    node_runs: bool,
    dict_params: crate::config::DictParams,
    long_params: LongParams,
}

/// The MLflow run of a kedrust run, from the run state the start op stored (`STATE_KEY`):
/// its id and its page in MLflow's UI. None when the run is not tracked.
pub fn tracked_run(state: &Json) -> Option<(String, String)> {
    let t: Tracked = serde_json::from_value(state.clone()).ok()?;
    let url = format!(
        "{}/#/experiments/{}/runs/{}",
        t.uri.trim_end_matches('/'),
        t.experiment_id,
        t.parent_run_id
    );
    Some((t.parent_run_id, url))
}

thread_local! {
    /// The MLflow run of the node running on this thread (metrics datasets log to it).
    pub(crate) static CURRENT: RefCell<Option<(Client, String)>> = const { RefCell::new(None) };
}

/// Tracks runs in MLflow when the run's environment has an `mlflow.yml`.
#[derive(Debug)]
pub struct MlflowHook {
    project: String,
    /// The run environment's `mlflow` group, read in `after_context_created` from the run's
    /// own configuration (the start hooks fire in one process, in that order).
    group: Mutex<Option<Json>>,
    /// Node runs open in this process: node name to (MLflow run id, start).
    open: Mutex<HashMap<String, (String, Instant)>>,
}

impl MlflowHook {
    /// The hook of project `project` (the default experiment name).
    pub fn new(project: impl Into<String>) -> Self {
        Self {
            project: project.into(),
            group: Mutex::default(),
            open: Mutex::default(),
        }
    }

    fn tracked(state: &RunState) -> Option<Tracked> {
        state
            .get(STATE_KEY)
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// A client of the tracked server, signed in as this process's catalog or environment
    /// says.
    fn client(t: &Tracked, catalog: &Catalog) -> Result<Client, BoxError> {
        let auth = Auth::resolve(t.credentials.as_deref(), catalog)?;
        Ok(Client::new(&t.uri, &auth))
    }

    fn log_params(
        client: &Client,
        run_id: &str,
        params: Vec<(String, String)>,
        strategy: LongParams,
    ) -> HookResult {
        let mut short = Vec::new();
        for (key, value) in params {
            if value.chars().count() <= MAX_PARAM_VALUE {
                short.push((key, value));
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
                LongParams::Tag => client.set_tag(run_id, &key, &value)?,
                LongParams::Truncate => {
                    short.push((key, value.chars().take(MAX_PARAM_VALUE).collect()))
                }
            }
        }
        client.log_params(run_id, &short)?;
        Ok(())
    }
}

impl Hook for MlflowHook {
    fn name(&self) -> String {
        "MlflowHook".into()
    }

    fn check_config(&self, config_loader: &ConfigLoader) -> Result<(), BoxError> {
        let group = config_loader.load("mlflow")?;
        let Some(config) =
            MlflowConfig::from_group(&group.value).map_err(|e| in_file(&group, e))?
        else {
            return Ok(());
        };
        config.tracking_uri().map_err(|e| in_file(&group, e))?;
        // The sign-in is checked too: a credentials entry without one stops nothing midway.
        let credentials = config.server.credentials.as_deref();
        if credentials.is_some() {
            let entries = config_loader.load("credentials")?.value;
            let names = entries
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys().map(String::as_str));
            Auth::resolve_in(credentials, |name| entries.get(name), names)
                .map_err(|e| in_file(&group, e))?;
        }
        Ok(())
    }

    fn after_context_created(&self, context: &ContextInfo<'_>) -> HookResult {
        let group = context.config_loader.load("mlflow")?;
        *self.group.lock().unwrap_or_else(|e| e.into_inner()) = Some(group.value);
        Ok(())
    }

    fn before_pipeline_run(&self, info: PipelineInfo<'_>) -> HookResult {
        let params = info.run_params;
        let group = self
            .group
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default();
        let Some(config) = MlflowConfig::from_group(&group)? else {
            return Ok(()); // no mlflow.yml in this environment: nothing is tracked
        };
        let pipelines = if params.pipeline_names.is_empty() {
            vec!["__default__".to_owned()]
        } else {
            params.pipeline_names.clone()
        };
        let disabled = &config.tracking.disable_tracking.pipelines;
        if pipelines.iter().all(|p| disabled.contains(p)) {
            return Ok(());
        }
        let uri = config.tracking_uri()?;
        let credentials = config.server.credentials.clone();
        let auth = Auth::resolve(credentials.as_deref(), info.catalog)?;
        let client = Client::new(&uri, &auth);
        let name = config
            .tracking
            .experiment
            .name
            .clone()
            .unwrap_or_else(|| self.project.clone());
        let experiment_id = match client.experiment_by_name(&name)? {
            Some((id, false)) => id,
            Some((id, true)) if config.tracking.experiment.restore_if_deleted => {
                client.restore_experiment(&id)?;
                id
            }
            Some(_) => {
                return Err(format!(
                    "MLflow experiment '{name}' is deleted; restore it or set tracking.experiment.restore_if_deleted"
                )
                .into());
            }
            None => client.create_experiment(&name)?,
        };
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
        let run_name = config
            .tracking
            .run
            .name
            .clone()
            .unwrap_or_else(|| pipelines.join("+"));
        let parent = client.create_run(&experiment_id, &run_name, &tags)?;
        if let Ok(value) = info.catalog.load("parameters")
            && let Some(all) = value.downcast_ref::<Json>()
            && let Json::Object(map) = all
        {
            let mut logged = Vec::new();
            for (k, v) in map {
                logged.extend(params_to_log(k, v, &config.tracking.params.dict_params));
            }
            Self::log_params(
                &client,
                &parent,
                logged,
                config.tracking.params.long_params_strategy,
            )?;
        }
        let tracked = Tracked {
            uri,
            credentials,
            experiment_id,
            parent_run_id: parent,
            node_runs: config.tracking.run.node_runs,
            dict_params: config.tracking.params.dict_params.clone(),
            long_params: config.tracking.params.long_params_strategy,
        };
        info.state.set(STATE_KEY, serde_json::to_value(tracked)?)
    }

    fn before_node_run(
        &self,
        info: NodeInfo<'_>,
    ) -> Result<Option<Vec<(String, Value)>>, BoxError> {
        let Some(t) = Self::tracked(info.state) else {
            return Ok(None);
        };
        let client = Self::client(&t, info.catalog)?;
        let node = info.node.node_name();
        let run_id = if t.node_runs {
            let tags = [
                ("mlflow.parentRunId".to_owned(), t.parent_run_id.clone()),
                ("kedrust.run_id".to_owned(), info.run_id.to_owned()),
                ("kedrust.node".to_owned(), node.to_owned()),
            ];
            let child = client.create_run(&t.experiment_id, node, &tags)?;
            let mut params = Vec::new();
            for (name, value) in info.inputs.iter() {
                if kedrust_pipeline::naming::is_parameter(name)
                    && let Some(v) = value.downcast_ref::<Json>()
                {
                    params.extend(params_to_log(name, v, &t.dict_params));
                }
            }
            Self::log_params(&client, &child, params, t.long_params)?;
            self.open
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(node.to_owned(), (child.clone(), Instant::now()));
            child
        } else {
            t.parent_run_id.clone()
        };
        CURRENT.with(|c| *c.borrow_mut() = Some((client, run_id)));
        Ok(None)
    }

    fn after_node_run(&self, _outputs: &NamedValues, info: NodeInfo<'_>) -> HookResult {
        self.close_node(info, "FINISHED")
    }

    fn on_node_error(&self, _error: &RunError, info: NodeInfo<'_>) -> HookResult {
        self.close_node(info, "FAILED")
    }

    fn after_pipeline_run(&self, _result: &RunResult, info: PipelineInfo<'_>) -> HookResult {
        let Some(t) = Self::tracked(info.state) else {
            return Ok(());
        };
        Self::client(&t, info.catalog)?.end_run(&t.parent_run_id, "FINISHED")?;
        Ok(())
    }

    fn on_pipeline_error(&self, error: &RunError, info: PipelineInfo<'_>) -> HookResult {
        let Some(t) = Self::tracked(info.state) else {
            return Ok(());
        };
        let client = Self::client(&t, info.catalog)?;
        // Children left open by a crashed or killed step are closed too.
        let open = client.search_runs(
            &t.experiment_id,
            &format!(
                "tags.mlflow.parentRunId = '{}' and attributes.status = 'RUNNING'",
                t.parent_run_id
            ),
        )?;
        for run in open {
            if let Some(id) = run["info"]["run_id"].as_str() {
                client.end_run(id, "FAILED")?;
            }
        }
        let message: String = error.to_string().chars().take(5000).collect();
        client.set_tag(&t.parent_run_id, "kedrust.error", &message)?;
        client.end_run(&t.parent_run_id, "FAILED")?;
        Ok(())
    }
}

impl MlflowHook {
    fn close_node(&self, info: NodeInfo<'_>, status: &str) -> HookResult {
        // The node's outputs are saved after `after_node_run`: a metrics dataset still logs
        // to this node's run, which stays current on this thread until the next node starts.
        if status != "FINISHED" {
            CURRENT.with(|c| *c.borrow_mut() = None);
        }
        let Some(t) = Self::tracked(info.state) else {
            return Ok(());
        };
        let opened = self
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(info.node.node_name());
        if let Some((run_id, started)) = opened {
            let client = Self::client(&t, info.catalog)?;
            client.log_metrics(
                &run_id,
                &[(
                    "kedrust.duration_s".to_owned(),
                    started.elapsed().as_secs_f64(),
                )],
                0,
            )?;
            client.end_run(&run_id, status)?;
        }
        Ok(())
    }
}

/// A problem of `mlflow.yml` as a config error: the line of the key serde names (between
/// backticks), else the file.
fn in_file(group: &kedrust_config::Config, message: String) -> BoxError {
    let message = message.strip_prefix("mlflow.yml: ").unwrap_or(&message);
    let field = message.split('`').nth(1);
    let at = field
        .and_then(|f| {
            group
                .locations
                .iter()
                .find(|(path, _)| path.last().map(String::as_str) == Some(f))
                .map(|(_, at)| at.to_string())
        })
        .or_else(|| {
            group
                .locations
                .values()
                .next()
                .map(|at| at.file.display().to_string())
        });
    let message = kedrust_pipeline::suggest::unknown_field(message);
    match at {
        Some(at) => format!("{at}: {message}").into(),
        None => message.into(),
    }
}
