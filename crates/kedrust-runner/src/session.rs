//! One run of a project, the way `kedro run` runs one: configuration, pipeline selection and
//! filters, catalog, then the hooks and the runner.
//!
//! Everything that can be wrong with the request (config, pipeline names, filters, catalog
//! entries, dataset types against node types) is found before the first hook fires, and is a
//! [`SessionError`] that is not a run failure. From `after_context_created` on, any failure
//! is a failed run: `on_pipeline_error` fires exactly once and the resume hint is computed.

use crate::error::RunError;
use crate::executor::{self, Observer, RunEvent, Runner};
use crate::hooks::{CatalogInfo, ContextInfo, Hooks, PipelineInfo, RunResult};
use crate::missing;
use crate::options::{RunOptions, RunSummary, SessionError};
use crate::params::{RunParams, framework_version};
use crate::prepare::Prepared;
use crate::process::{self, Launcher};
use crate::project::Project;
use crate::resume;
use crate::task::Shared;
use crate::trace::{TracePoint, Tracer};
use kedrust_plan::OpKind;
use kedrust_store::{EventKind, NewRun, RunStatus, RunStore};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the orchestrator says it is alive (`KEDRUST_HEARTBEAT_MS`, default 1 s).
pub fn heartbeat_interval() -> Duration {
    std::env::var("KEDRUST_HEARTBEAT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(1), Duration::from_millis)
}

/// Opens the project's run store: `KEDRUST_RUN_STORE`, else the project's setting
/// ([`Project::run_store`]), else `<project>/.kedrust/runs.db`.
pub fn open_store(
    project: &Project,
    project_path: &std::path::Path,
) -> Result<Arc<RunStore>, SessionError> {
    let configured = std::env::var_os(kedrust_store::STORE_ENV)
        .is_none()
        .then(|| project.run_store_setting())
        .flatten();
    let path = match configured {
        Some(p) if p.is_relative() => project_path.join(p),
        Some(p) => p.to_owned(),
        None => RunStore::default_path(project_path),
    };
    RunStore::open(&path)
        .map(Arc::new)
        .map_err(|e| SessionError::Io(e.to_string()))
}

/// Kedro's `run_params` for a run.
pub(crate) fn run_params(prepared: &Prepared) -> RunParams {
    let options = &prepared.options;
    RunParams {
        run_id: prepared.run_id.clone(),
        project_path: prepared.project_path.to_string_lossy().into_owned(),
        env: prepared.env.clone(),
        kedro_version: framework_version(),
        tags: options.filter.tags.clone(),
        from_nodes: options.filter.from_nodes.clone(),
        to_nodes: options.filter.to_nodes.clone(),
        node_names: options.filter.node_names.clone(),
        from_inputs: options.filter.from_inputs.clone(),
        to_outputs: options.filter.to_outputs.clone(),
        load_versions: options.load_versions.clone(),
        runtime_params: options.runtime_params.clone(),
        pipeline_names: options.pipeline_names.clone(),
        namespaces: options.filter.node_namespaces.clone(),
        runner: options.runner.kedro_name().to_owned(),
        only_missing_outputs: options.only_missing_outputs,
    }
}

/// The pipeline hooks' arguments of a prepared run.
pub(crate) fn pipeline_info<'a>(
    prepared: &'a Prepared,
    run_params: &'a RunParams,
    hooks: &'a Hooks,
) -> PipelineInfo<'a> {
    PipelineInfo {
        run_params,
        pipeline: &prepared.pipeline,
        catalog: &prepared.catalog,
        state: hooks.state(),
    }
}

/// The run's hooks: the project's, the tracer when asked for, the run store.
pub(crate) fn run_hooks(
    project: &Project,
    prepared: &Prepared,
    store: Option<Arc<RunStore>>,
) -> Result<Hooks, SessionError> {
    let tracer = Tracer::from_env(&prepared.project_path)
        .map_err(|e| SessionError::Io(format!("cannot open the hook trace: {e}")))?
        .map(Arc::new);
    Ok(Hooks::new(project.hooks().iter().cloned())
        .with_tracer(tracer)
        .with_store(store)
        .for_run(&prepared.run_id, None))
}

/// Runs a prepared run: records it in the run store, fires the start op's hooks, executes
/// the node ops, fires the end op's hook; on any failure, `on_pipeline_error` once.
pub fn run(
    project: &Project,
    prepared: Prepared,
    observe: Observer<'_>,
) -> Result<RunSummary, SessionError> {
    let store = open_store(project, &prepared.project_path)?;
    crate::orphans::sweep(project, &prepared.project_path, &store);
    let hooks = run_hooks(project, &prepared, Some(Arc::clone(&store)))?;
    let run_id = prepared.run_id.clone();
    let options = &prepared.options;
    let request = RunOptions {
        run_id: Some(run_id.clone()),
        ..options.clone()
    };
    store
        .create_run(&NewRun {
            run_id: run_id.clone(),
            job: prepared.plan.job.clone(),
            options: serde_json::to_value(&request).unwrap_or_default(),
            plan: serde_json::to_value(&prepared.plan).unwrap_or_default(),
            parent_run_id: options.parent_run_id.clone(),
            pid: std::process::id(),
            tags: {
                let mut tags = options.tags.clone();
                tags.insert("kedrust/env".into(), prepared.env.clone());
                tags.insert(
                    "kedrust/pipeline".into(),
                    prepared.plan.pipeline_name.clone(),
                );
                tags
            },
        })
        .map_err(|e| SessionError::Io(e.to_string()))?;
    let heartbeat = Heartbeat::start(Arc::clone(&store), &run_id);
    let launcher = match options.runner {
        Runner::Process { .. } => {
            let launcher = Launcher::new(&prepared.project_path, &run_id)
                .and_then(|l| l.prepare(&request).map(|()| l))
                .map_err(|e| SessionError::Io(format!("cannot prepare the run folder: {e}")))?;
            process::install(&launcher.run_dir, &prepared.pipeline, &prepared.catalog);
            Some(launcher)
        }
        _ => None,
    };
    let run_params = run_params(&prepared);
    let info = pipeline_info(&prepared, &run_params, &hooks);
    // Step events for node ops come from the executor's events.
    let op_of_node = prepared.plan.op_of_node();
    let op_of = |node: &str| op_of_node.get(node);
    let recording = |event: &RunEvent<'_>| {
        match event {
            RunEvent::NodeStarted { node } => {
                if let Some(op) = op_of(node) {
                    hooks.in_op(op).record(
                        EventKind::StepStart,
                        &format!("started {node}"),
                        json!({"node": node}),
                    );
                }
            }
            RunEvent::NodeCompleted { node, took, .. } => {
                if let Some(op) = op_of(node) {
                    hooks.in_op(op).record(
                        EventKind::StepSuccess,
                        &format!("{node} succeeded in {:.3} s", took.as_secs_f64()),
                        json!({"node": node, "seconds": took.as_secs_f64()}),
                    );
                }
            }
            RunEvent::NodeRetry {
                node,
                attempt,
                error,
            } => {
                if let Some(op) = op_of(node) {
                    hooks.in_op(op).record(
                        EventKind::StepUpForRetry,
                        &format!("{node} failed, retry {attempt}: {error}"),
                        json!({"node": node, "attempt": attempt}),
                    );
                }
            }
            RunEvent::NodeFailed { node, error } => {
                if let Some(op) = op_of(node) {
                    hooks
                        .in_op(op)
                        .record(EventKind::StepFailure, error, json!({"node": node}));
                }
            }
        }
        observe(event);
    };
    let outcome = lifecycle(&hooks, &prepared, info, &recording, launcher.as_ref());
    if let Some(l) = &launcher {
        l.clean();
    }
    let result = match outcome {
        Ok(summary) => {
            hooks.record(EventKind::RunSuccess, "every op succeeded", json!({}));
            let _ = store.finish(&run_id, RunStatus::Success);
            Ok(summary)
        }
        Err((error, done)) => {
            let resume = done
                .as_deref()
                .and_then(|d| resume::suggestion(&prepared.pipeline, &prepared.catalog, d));
            fire_failure(&hooks, &store, &error, info);
            Err(SessionError::Run {
                error,
                resume,
                run_id,
            })
        }
    };
    heartbeat.stop();
    result
}

/// `on_pipeline_error`, exactly once per failed run (the run store's claim makes it so even
/// when another process saw the failure first), then the run is marked failed.
pub(crate) fn fire_failure(
    hooks: &Hooks,
    store: &RunStore,
    error: &RunError,
    info: PipelineInfo<'_>,
) {
    let run_id = hooks.run_id().to_owned();
    if store.claim_failure_hook(&run_id).unwrap_or(false)
        && let Err(hook_error) = hooks.each("on_pipeline_error", TracePoint::default(), |h| {
            h.on_pipeline_error(error, info)
        })
    {
        tracing::error!("{hook_error}");
    }
    let (kind, status) = match error {
        RunError::Cancelled => (EventKind::RunCanceled, RunStatus::Canceled),
        _ => (EventKind::RunFailure, RunStatus::Failure),
    };
    hooks.record(
        kind,
        &error.to_string(),
        json!({"error": error.to_string()}),
    );
    let _ = store.finish(&run_id, status);
}

/// Writes the orchestrator's heartbeat until stopped.
struct Heartbeat {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(store: Arc<RunStore>, run_id: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, run_id) = (Arc::clone(&stop), run_id.to_owned());
        let interval = heartbeat_interval();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let _ = store.heartbeat(&run_id);
                let mut waited = Duration::ZERO;
                while waited < interval && !flag.load(Ordering::Relaxed) {
                    let step = Duration::from_millis(20).min(interval);
                    std::thread::sleep(step);
                    waited += step;
                }
            }
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

type Failed = (RunError, Option<Vec<String>>);

fn lifecycle(
    hooks: &Hooks,
    prepared: &Prepared,
    info: PipelineInfo<'_>,
    observe: Observer<'_>,
    launcher: Option<&Launcher>,
) -> Result<RunSummary, Failed> {
    let plan = &prepared.plan;
    let options = &prepared.options;
    let start_op = plan.ops.first().map(|o| o.name.clone()).unwrap_or_default();
    let end_op = plan.ops.last().map(|o| o.name.clone()).unwrap_or_default();
    let at = TracePoint::default();
    let start = hooks.in_op(&start_op);
    let step_failed = |h: &Hooks, e: crate::error::HookError| {
        h.record(EventKind::StepFailure, &e.to_string(), json!({}));
        (RunError::Hook(e), None)
    };
    start.record(EventKind::StepStart, "started the start op", json!({}));
    let context = ContextInfo {
        project_path: &prepared.project_path,
        env: &prepared.env,
        config_loader: &prepared.loader,
        params: &prepared.params,
    };
    start
        .each("after_context_created", at, |h| {
            h.after_context_created(&context)
        })
        .map_err(|e| step_failed(&start, e))?;
    let parameters = kedrust_catalog::parameter_datasets(&prepared.params);
    let catalog_info = CatalogInfo {
        catalog: info.catalog,
        conf_catalog: &prepared.conf_catalog,
        conf_creds: &prepared.conf_creds,
        parameters: &parameters,
        save_version: info.catalog.save_version(),
        load_versions: &options.load_versions,
    };
    start
        .each("after_catalog_created", at, |h| {
            h.after_catalog_created(&catalog_info)
        })
        .map_err(|e| step_failed(&start, e))?;
    start
        .each("before_pipeline_run", at, |h| h.before_pipeline_run(info))
        .map_err(|e| step_failed(&start, e))?;
    start.record(EventKind::StepSuccess, "the start op succeeded", json!({}));
    let (to_run, skipped) = if options.only_missing_outputs {
        let (run, skip) = missing::select(info.pipeline, info.catalog);
        tracing::info!(
            "skipping {} nodes with existing outputs; running {} of {}",
            skip.len(),
            run.len(),
            info.pipeline.len()
        );
        (missing::restrict(info.pipeline, &run), skip)
    } else {
        (info.pipeline.clone(), Vec::new())
    };
    let retries = plan
        .ops
        .iter()
        .filter_map(|o| match (&o.kind, &o.retry) {
            (OpKind::Node { node }, Some(policy)) => Some((node.clone(), policy.clone())),
            _ => None,
        })
        .collect();
    let shared = Shared::new(&to_run, info.catalog, hooks)
        .with_retries(retries)
        .with_ops(plan.op_of_node());
    let nodes_run = executor::execute(options.runner, &to_run, &shared, observe, launcher)
        .map_err(|f| (f.error, Some(f.done)))?;
    let mut result = RunResult::default();
    for name in info.pipeline.outputs() {
        if info.catalog.is_ephemeral(&name)
            && let Ok(value) = info.catalog.load(&name)
        {
            result.outputs.insert(name, value);
        }
    }
    let end = hooks.in_op(&end_op);
    end.record(EventKind::StepStart, "started the end op", json!({}));
    end.each("after_pipeline_run", at, |h| {
        h.after_pipeline_run(&result, info)
    })
    .map_err(|e| step_failed(&end, e))?;
    end.record(EventKind::StepSuccess, "the end op succeeded", json!({}));
    Ok(RunSummary {
        run_id: hooks.run_id().to_owned(),
        nodes_run,
        skipped,
        result,
    })
}
