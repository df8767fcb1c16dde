//! One run of a project, the way `kedro run` runs one: configuration, pipeline selection and
//! filters, catalog, then the hooks and the runner.
//!
//! Everything that can be wrong with the request (config, pipeline names, filters, catalog
//! entries, dataset types against node types) is found before the first hook fires, and is a
//! [`SessionError`] that is not a run failure. From `after_context_created` on, any failure
//! is a failed run: `on_pipeline_error` fires exactly once and the resume hint is computed.

use crate::missing;
use crate::options::{RunOptions, RunSummary, SessionError};
use crate::prepare::Prepared;
use crate::project::Project;
use crate::resume;
use crate::run_context::RunContext;
use crate::settings::{heartbeat_interval, open_store};
use crate::snapshot;
use kedrust_plan::OpKind;
use kedrust_runner::Execution;
use kedrust_runner::Launcher;
use kedrust_runner::Runner;
use kedrust_runner::{HookError, RunError};
use kedrust_runner::{Observer, RunEvent};
use kedrust_store::{EventKind, Keeper, RunStore};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Runs a prepared run: records it in the run store, fires the start op's hooks, executes
/// the node ops, fires the end op's hook; on any failure, `on_pipeline_error` once.
pub fn run(
    project: &Project,
    prepared: Prepared,
    observe: Observer<'_>,
) -> Result<RunSummary, SessionError> {
    crate::prepare::embedded_executor(&prepared.plan.job, &prepared.plan.executor)?;
    let heartbeat_every = heartbeat_interval()?;
    let store = open_store(project, &prepared.project_path)?;
    crate::orphans::sweep(project, &prepared.project_path, &store);
    let prepared = crate::run_id::unique(project, prepared, &store)?;
    let context = RunContext::new(project, prepared, Arc::clone(&store))?;
    // Before anything of the run exists (its record, its run folder).
    context.check_services(project)?;
    let run_id = context.run_id().to_owned();
    let prepared = &context.prepared;
    // The run folder of the process runner is ready before the run is recorded: a run that is
    // recorded is one that runs.
    let launcher = match prepared.options.runner {
        Runner::Process { .. } => {
            // Steps read the configuration as it was when the run started.
            let conf = crate::prepare::conf_dir(&prepared.project_path, &prepared.options);
            let run_dir = crate::settings::run_dir(&prepared.project_path, &run_id)?;
            let own = crate::settings::local_run_dir(&prepared.project_path, &run_id);
            let launcher = Launcher::new(&prepared.project_path, run_dir)
                .and_then(|l| {
                    let snapshot = snapshot::take(&conf, &l.run_dir, &own)?;
                    // A step starts as a command of the run's environment and snapshot, so
                    // that what its command line reads before the request (logging.yml) is
                    // the run's.
                    let mut l = l.leading_args([
                        "--env".as_ref(),
                        prepared.env.as_ref(),
                        "--conf-source".as_ref(),
                        snapshot.as_os_str(),
                    ]);
                    let request = RunOptions {
                        conf_source: Some(snapshot),
                        ..context.request()
                    };
                    l.prepare(&request).map(|()| l)
                })
                .map_err(|e| SessionError::Io(format!("cannot prepare the run folder: {e}")))?;
            let crossing = prepared.plan.crossing();
            kedrust_runner::install(
                &launcher.run_dir,
                &prepared.pipeline,
                &prepared.catalog,
                &|d| crossing.contains(d),
                kedrust_runner::MemoryFiles::ForTheRun,
            );
            Some(launcher)
        }
        _ => None,
    };
    let recorded = context.record(Keeper::Process {
        heartbeat: heartbeat_every,
    });
    if !matches!(recorded, Ok(true)) {
        // A run of this id that is already recorded owns the run folder: left as it is.
        if launcher.is_some() && recorded.is_err() {
            crate::settings::remove_run_dirs(&prepared.project_path, &run_id);
        }
        return Err(recorded.err().unwrap_or_else(|| {
            SessionError::Selection(format!(
                "run id {run_id} is in the run store already: a run id names one run"
            ))
        }));
    }
    // Announced once the settings, the run store and the run folder are known to be usable.
    tracing::info!(
        "kedrust project {}: running {} nodes (run {run_id})",
        project.name(),
        prepared.pipeline.len()
    );
    let heartbeat = Heartbeat::start(store, &run_id, heartbeat_every);
    let hooks = &context.hooks;
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
                wait,
            } => {
                if let Some(op) = op_of(node) {
                    hooks.in_op(op).record(
                        EventKind::StepUpForRetry,
                        &format!(
                            "{node} failed and requested a retry in {} seconds: {error}",
                            wait.as_secs_f64()
                        ),
                        json!({"node": node, "attempt": attempt, "seconds_to_wait": wait.as_secs_f64()}),
                    );
                }
            }
            RunEvent::NodeRestarted { node, attempt } => {
                if let Some(op) = op_of(node) {
                    hooks.in_op(op).record(
                        EventKind::StepRestarted,
                        &format!("started re-execution (attempt # {}) of {node}", attempt + 1),
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
    let outcome = execute_ops(project, &context, &recording, launcher.as_ref());
    if let Some(launcher) = &launcher {
        launcher.finish();
        crate::settings::remove_run_dirs(&context.prepared.project_path, &run_id);
    }
    let result = match outcome {
        Ok(summary) => match context.succeed() {
            Ok(()) => Ok(summary),
            Err(error) => Err(SessionError::Run {
                error,
                resume: None,
                run_id,
            }),
        },
        Err((error, done)) => {
            let resume = done
                .as_deref()
                .and_then(|d| resume::suggestion(&prepared.pipeline, &prepared.catalog, d));
            context.fail(&error);
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

/// Writes the orchestrator's heartbeat until stopped.
struct Heartbeat {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(store: Arc<RunStore>, run_id: &str, interval: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, run_id) = (Arc::clone(&stop), run_id.to_owned());
        let thread = std::thread::spawn(move || {
            let mut failing = false;
            while !flag.load(Ordering::Relaxed) {
                // A missed beat is survivable; a store that stays unwritable is said once.
                match store.heartbeat(&run_id) {
                    Err(e) if !failing => {
                        tracing::warn!("cannot write the heartbeat of run {run_id}: {e}");
                        failing = true;
                    }
                    Err(_) => {}
                    Ok(()) => failing = false,
                }
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

    fn stop(self) {
        drop(self);
    }
}

/// A heartbeat stops with its run, on every path out of it.
impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the heartbeat thread panicked");
        }
    }
}

type Failed = (RunError, Option<Vec<String>>);

/// The plan's ops in order: the start op, the node ops through the executor, the end op.
fn execute_ops(
    project: &Project,
    context: &RunContext,
    observe: Observer<'_>,
    launcher: Option<&Launcher>,
) -> Result<RunSummary, Failed> {
    let prepared = &context.prepared;
    let (plan, options) = (&prepared.plan, &prepared.options);
    let (pipeline, catalog) = (&prepared.pipeline, &prepared.catalog);
    let start_op = plan
        .ops
        .first()
        .map(|o| o.name.as_str())
        .unwrap_or_default();
    let end_op = plan.ops.last().map(|o| o.name.as_str()).unwrap_or_default();
    in_op(context, start_op, || context.fire_start_hooks(start_op))?;
    let key = options.partition.as_deref();
    let (to_run, skipped) = if options.only_changed {
        let chosen =
            crate::changed::select(pipeline, catalog, &prepared.params, (&context.store, key));
        tracing::info!(
            "{} nodes unchanged, skipped; running {} of {}",
            chosen.skipped.len(),
            chosen.run.len(),
            pipeline.len()
        );
        // The run keeps what it skipped and why each node ran, for `runs show`.
        let op_of_node = plan.op_of_node();
        let record = |node: &str, kind, message: String, why: &str| {
            let op = op_of_node.get(node).map_or(node, String::as_str);
            let metadata = serde_json::json!({"node": node, "only_changed": why});
            context.hooks.in_op(op).record(kind, &message, metadata);
        };
        for node in &chosen.skipped {
            let message = format!("node {node} skipped: unchanged (--only-changed)");
            record(node, EventKind::StepSkipped, message, "unchanged");
        }
        for (node, why) in &chosen.run {
            tracing::info!("running {node}: {why}");
            let message = format!("node {node} runs: {why}");
            record(node, EventKind::EngineEvent, message, why);
        }
        let names: Vec<String> = chosen.run.into_iter().map(|(n, _)| n).collect();
        (missing::restrict(pipeline, &names), chosen.skipped)
    } else if options.only_missing_outputs {
        let (run, skip) = missing::select(pipeline, catalog);
        tracing::info!(
            "skipping {} nodes with existing outputs; running {} of {}",
            skip.len(),
            run.len(),
            pipeline.len()
        );
        (missing::restrict(pipeline, &run), skip)
    } else {
        (pipeline.clone(), Vec::new())
    };
    // A step's retry policy is its op's, for each of its nodes.
    let retries = plan
        .ops
        .iter()
        .filter_map(|o| o.retry.as_ref().map(|policy| (&o.name, policy)))
        .flat_map(|(op, policy)| {
            plan.nodes_of(op)
                .into_iter()
                .map(move |node| (node.to_owned(), policy.clone()))
        })
        .collect();
    let groups = plan
        .ops
        .iter()
        .filter_map(|o| match &o.kind {
            OpKind::Group { nodes, .. } => Some(nodes.clone()),
            _ => None,
        })
        .collect();
    let shared = Execution::new(&to_run, catalog, &context.hooks)
        .with_retries(retries)
        .with_ops(plan.op_of_node())
        .with_groups(groups);
    // Every save records what it was computed from, for a later --only-changed run.
    let fingerprints =
        crate::changed::Fingerprints::new(pipeline, catalog, &prepared.params).reading(&to_run);
    let run_id = context.run_id();
    let observe_and_record = |event: &RunEvent<'_>| {
        if let RunEvent::NodeCompleted { node, .. } = event
            && let Some(node) = pipeline.node(node)
        {
            fingerprints.record(&context.store, node, run_id, key);
        }
        observe(event);
    };
    let executed = kedrust_runner::execute(
        options.runner,
        &to_run,
        &shared,
        &observe_and_record,
        launcher,
    );
    // This process's nodes have run (a process runner's steps flushed their own).
    let flushed = context.flush_hooks(project);
    let nodes_run = executed.map_err(|f| (f.error, Some(f.done)))?;
    flushed.map_err(|e| (e, None))?;
    let result = in_op(context, end_op, || context.fire_end_hooks(end_op))?;
    Ok(RunSummary {
        run_id: context.run_id().to_owned(),
        nodes_run,
        skipped,
        result,
    })
}

/// A start or end op: its step events around what it fires.
fn in_op<T>(
    context: &RunContext,
    op: &str,
    fire: impl FnOnce() -> Result<T, HookError>,
) -> Result<T, Failed> {
    let hooks = context.hooks.in_op(op);
    hooks.record(EventKind::StepStart, &format!("started {op}"), json!({}));
    match fire() {
        Ok(value) => {
            hooks.record(
                EventKind::StepSuccess,
                &format!("{op} succeeded"),
                json!({}),
            );
            Ok(value)
        }
        Err(e) => {
            hooks.record(EventKind::StepFailure, &e.to_string(), json!({}));
            Err((RunError::Hook(e), None))
        }
    }
}
