//! One op of a run, in its own process: how an orchestrator that schedules ops itself
//! (Dagster) runs kedrust. The start op records the run and fixes its save version, a node op
//! runs its node (memory datasets through the run's folder), the end op closes the run.
//! `on_pipeline_error` is not fired here: the orchestrator's failure handler does it, once.

use crate::error::RunError;
use crate::hooks::{CatalogInfo, ContextInfo, RunResult};
use crate::options::{RunOptions, SessionError};
use crate::prepare::prepare;
use crate::process;
use crate::project::Project;
use crate::session::{open_store, pipeline_info, run_hooks, run_params};
use crate::task::{Shared, run_node};
use crate::trace::TracePoint;
use kedrust_catalog::new_version;
use kedrust_plan::OpKind;
use kedrust_store::{EventKind, NewRun, RunStatus};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The run state key of the save version the first op of an orchestrated run fixed.
pub const SAVE_VERSION_STATE: &str = "kedrust.save_version";

fn io(e: kedrust_store::StoreError) -> SessionError {
    SessionError::Io(e.to_string())
}

/// The run's id (from the orchestrator, so it must be set) and the run store.
fn run_and_store(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
) -> Result<(String, Arc<kedrust_store::RunStore>), SessionError> {
    let run_id = options.run_id.clone().ok_or_else(|| {
        SessionError::Selection("an op of an orchestrated run needs the run's id".into())
    })?;
    Ok((run_id, open_store(project, project_path)?))
}

/// Runs op `op` of the run `options.run_id` (which must be set).
pub fn run_op(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    op: &str,
) -> Result<(), SessionError> {
    let (run_id, store) = run_and_store(project, project_path, options)?;
    let mut options = options.clone();
    let known = store.run(&run_id).map_err(io)?;
    let saved: Option<String> = store
        .state(&run_id, SAVE_VERSION_STATE)
        .map_err(io)?
        .and_then(|v| v.as_str().map(str::to_owned));
    options.save_version = Some(saved.clone().unwrap_or_else(new_version));
    let prepared = prepare(project, project_path.to_owned(), &options)?;
    let plan = prepared.plan.clone();
    let Some(this) = plan.op(op).cloned() else {
        let ops: Vec<&str> = plan.ops.iter().map(|o| o.name.as_str()).collect();
        return Err(SessionError::Selection(format!(
            "op '{op}' is not in job '{}' (ops: {})",
            plan.job,
            ops.join(", ")
        )));
    };
    if known.is_none() {
        // The first op of this run here records it; its save version is fixed for all ops.
        let _ = store.create_run(&NewRun {
            run_id: run_id.clone(),
            job: plan.job.clone(),
            options: serde_json::to_value(&options).unwrap_or_default(),
            plan: serde_json::to_value(&plan).unwrap_or_default(),
            parent_run_id: options.parent_run_id.clone(),
            pid: std::process::id(),
            tags: options.tags.clone(),
        });
    }
    if saved.is_none() {
        let version = options.save_version.clone().unwrap_or_default();
        store
            .set_state(&run_id, SAVE_VERSION_STATE, &json!(version))
            .map_err(io)?;
    }
    let hooks = run_hooks(project, &prepared, Some(Arc::clone(&store)))?.in_op(&this.name);
    let params = run_params(&prepared);
    let info = pipeline_info(&prepared, &params, &hooks);
    let run_dir = process::run_dir(project_path, &run_id);
    process::install(&run_dir, &prepared.pipeline, &prepared.catalog);
    hooks.record(
        EventKind::StepStart,
        &format!("started {}", this.name),
        json!({"pid": std::process::id()}),
    );
    let at = TracePoint::default();
    let fire_start_hooks = || -> Result<(), RunError> {
        if let Some(parent) = &options.parent_run_id {
            inherit_memory(&process::run_dir(project_path, parent), &run_dir);
        }
        let context = ContextInfo {
            project_path,
            env: &prepared.env,
            config_loader: &prepared.loader,
            params: &prepared.params,
        };
        hooks.each("after_context_created", at, |h| {
            h.after_context_created(&context)
        })?;
        let parameters = kedrust_catalog::parameter_datasets(&prepared.params);
        let catalog_info = CatalogInfo {
            catalog: &prepared.catalog,
            conf_catalog: &prepared.conf_catalog,
            conf_creds: &prepared.conf_creds,
            parameters: &parameters,
            save_version: prepared.catalog.save_version(),
            load_versions: &options.load_versions,
        };
        hooks.each("after_catalog_created", at, |h| {
            h.after_catalog_created(&catalog_info)
        })?;
        hooks.each("before_pipeline_run", at, |h| h.before_pipeline_run(info))?;
        Ok(())
    };
    let started = start_once(&store, &run_id, fire_start_hooks);
    let outcome: Result<(), RunError> = match &this.kind {
        _ if started.is_err() => started,
        OpKind::Start => Ok(()),
        OpKind::Node { node } => match prepared.pipeline.only_nodes(&[node.as_str()]) {
            Ok(one) => {
                let shared = Shared::new(&one, &prepared.catalog, &hooks);
                let node = prepared
                    .pipeline
                    .node(node)
                    .expect("the plan's node is in the pipeline");
                run_node(&shared, node)
            }
            Err(e) => Err(RunError::Crashed {
                node: node.clone(),
                message: e.to_string(),
            }),
        },
        OpKind::End => {
            let mut result = RunResult::default();
            for name in prepared.pipeline.outputs() {
                if prepared.catalog.is_ephemeral(&name)
                    && let Ok(value) = prepared.catalog.load(&name)
                {
                    result.outputs.insert(name, value);
                }
            }
            let done = hooks.each("after_pipeline_run", at, |h| {
                h.after_pipeline_run(&result, info)
            });
            if done.is_ok() {
                hooks.record(EventKind::RunSuccess, "every op succeeded", json!({}));
                let _ = store.finish(&run_id, RunStatus::Success);
                let _ = std::fs::remove_dir_all(&run_dir);
            }
            done.map_err(RunError::from)
        }
    };
    match outcome {
        Ok(()) => {
            hooks.record(
                EventKind::StepSuccess,
                &format!("{} succeeded", this.name),
                json!({}),
            );
            Ok(())
        }
        Err(error) => {
            hooks.record(EventKind::StepFailure, &error.to_string(), json!({}));
            Err(SessionError::Run {
                error,
                resume: None,
                run_id,
            })
        }
    }
}

/// Run state keys: who fires the run's start hooks, and how that went.
const START_CLAIM: &str = "kedrust.start_claimed_by";
const STARTED: &str = "kedrust.started";

/// How long an op waits for the op that fires the run's start hooks.
const START_WAIT: Duration = Duration::from_secs(600);

/// Fires the run's start hooks (`after_context_created`, `after_catalog_created`,
/// `before_pipeline_run`) exactly once per run, before any node of it runs. In a normal run the
/// start op does, and every other op depends on it. A Dagster re-execution from failure skips
/// the start op (it succeeded in the parent run), so there the first op of the new run to
/// claim them fires them and the others wait; a failure there fails every op of the run.
fn start_once(
    store: &kedrust_store::RunStore,
    run_id: &str,
    fire: impl FnOnce() -> Result<(), RunError>,
) -> Result<(), RunError> {
    let failed = |message: String| RunError::Crashed {
        node: String::new(),
        message,
    };
    let outcome = |done: serde_json::Value| match done.get("error").and_then(|e| e.as_str()) {
        None => Ok(()),
        Some(error) => Err(failed(format!("the run's start hooks failed: {error}"))),
    };
    let read = || {
        store
            .state(run_id, STARTED)
            .map_err(|e| failed(e.to_string()))
    };
    if let Some(done) = read()? {
        return outcome(done);
    }
    let me = json!({"pid": std::process::id()});
    if store
        .claim_state(run_id, START_CLAIM, &me)
        .map_err(|e| failed(e.to_string()))?
    {
        let result = fire();
        let error = result.as_ref().err().map(ToString::to_string);
        store
            .set_state(run_id, STARTED, &json!({ "error": error }))
            .map_err(|e| failed(e.to_string()))?;
        return result;
    }
    let deadline = Instant::now() + START_WAIT;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        if let Some(done) = read()? {
            return outcome(done);
        }
    }
    Err(failed(format!(
        "the op that claimed the run's start hooks did not finish them within {} s",
        START_WAIT.as_secs()
    )))
}

/// A re-execution reads the in-memory data its parent's ops left behind (outputs of ops it
/// does not run again); its own ops overwrite what they produce.
fn inherit_memory(parent_dir: &Path, run_dir: &Path) {
    let (from, to) = (parent_dir.join("memory"), run_dir.join("memory"));
    let Ok(entries) = std::fs::read_dir(&from) else {
        return;
    };
    let _ = std::fs::create_dir_all(&to);
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        if !target.exists() && std::fs::hard_link(entry.path(), &target).is_err() {
            let _ = std::fs::copy(entry.path(), &target);
        }
    }
}

/// The failure handler of an orchestrator that ran the ops (Dagster's run-failure sensor):
/// fires `on_pipeline_error` of run `run_id` once, however often it is called.
pub fn fail_run(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    message: &str,
) -> Result<bool, SessionError> {
    let (run_id, store) = run_and_store(project, project_path, options)?;
    if store.run(&run_id).map_err(io)?.is_none() {
        return Ok(false);
    }
    let mut options = options.clone();
    options.save_version = store
        .state(&run_id, SAVE_VERSION_STATE)
        .map_err(io)?
        .and_then(|v| v.as_str().map(str::to_owned));
    let prepared = prepare(project, project_path.to_owned(), &options)?;
    let hooks = run_hooks(project, &prepared, Some(Arc::clone(&store)))?;
    let params = run_params(&prepared);
    let info = pipeline_info(&prepared, &params, &hooks);
    let error = RunError::Crashed {
        node: String::new(),
        message: message.to_owned(),
    };
    let claimed = store.claim_failure_hook(&run_id).map_err(io)?;
    if claimed
        && let Err(e) = hooks.each("on_pipeline_error", TracePoint::default(), |h| {
            h.on_pipeline_error(&error, info)
        })
    {
        tracing::error!("{e}");
    }
    hooks.record(
        EventKind::RunFailure,
        &error.to_string(),
        json!({"error": error.to_string()}),
    );
    let _ = store.finish(&run_id, RunStatus::Failure);
    Ok(claimed)
}
