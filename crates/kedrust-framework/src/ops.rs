//! One op of a run, in its own process: how an orchestrator that schedules ops itself
//! (Dagster) runs kedrust. The start op records the run and fixes its save version, a node op
//! runs its node (memory datasets through the run's folder), the end op closes the run.
//! `on_pipeline_error` is not fired here: the orchestrator's failure handler does it, once.

use crate::options::{RunOptions, SessionError};
use crate::prepare::prepare;
use crate::project::Project;
use crate::run_context::RunContext;
use crate::settings::open_store;
use crate::snapshot;
use kedrust_catalog::new_version;
use kedrust_plan::OpKind;
use kedrust_runner::RunError;
use kedrust_runner::{Execution, StatePath, discard_outputs, run_node};
use kedrust_store::{EventKind, Keeper, RunStatus, RunStore};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The run state key of the save version the first op of an orchestrated run fixed.
pub const SAVE_VERSION_STATE: &str = "kedrust.save_version";

/// Who keeps an orchestrated run alive: the orchestrator that started its ops.
const ORCHESTRATOR: &str = "dagster";

fn io(e: kedrust_store::StoreError) -> SessionError {
    SessionError::Io(e.to_string())
}

/// The run's id (from the orchestrator, so it must be set and usable as a folder name) and
/// the run store.
fn run_and_store(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
) -> Result<(String, Arc<RunStore>), SessionError> {
    let run_id = options.run_id.clone().ok_or_else(|| {
        SessionError::Selection("an op of an orchestrated run needs the run's id".into())
    })?;
    kedrust_store::check_run_id(&run_id).map_err(SessionError::Selection)?;
    Ok((run_id, open_store(project, project_path)?))
}

/// The save version run `run_id` fixed, if an op fixed one.
fn save_version(store: &RunStore, run_id: &str) -> Result<Option<String>, SessionError> {
    Ok(store
        .state(run_id, SAVE_VERSION_STATE)
        .map_err(io)?
        .and_then(|v| v.as_str().map(str::to_owned)))
}

/// Run `run_id` as its ops ran it: the options its record keeps (an asset run's nodes are
/// known only from there; a secret parameter the record keeps hidden falls back to the
/// configuration's value), else `this_host`; the save version its first op fixed; the run's
/// copy of the configuration when there is one.
fn as_recorded(
    this_host: &RunOptions,
    store: &RunStore,
    project_path: &Path,
    run_id: &str,
) -> Result<RunOptions, SessionError> {
    let recorded = store
        .run(run_id)
        .map_err(io)?
        .and_then(|r| serde_json::from_value::<RunOptions>(r.options).ok());
    let mut options = match recorded {
        Some(mut recorded) => {
            recorded.runtime_params = kedrust_secrets::without_masked(&recorded.runtime_params);
            recorded.run_id = Some(run_id.to_owned());
            recorded
        }
        None => this_host.clone(),
    };
    options.save_version = save_version(store, run_id)?;
    // This host's configuration folder, not the one the record names (another host's), is
    // where the snapshot's credentials are read and what is read without a snapshot.
    let conf = crate::prepare::conf_dir(project_path, this_host);
    let own = crate::settings::local_run_dir(project_path, run_id);
    let found = crate::settings::run_dir(project_path, run_id)
        .and_then(|run_dir| {
            snapshot::existing(&conf, &run_dir, &own).map_err(|e| {
                SessionError::Io(format!("cannot read the run's snapshot in {run_dir}: {e}"))
            })
        })
        .unwrap_or_else(|e| {
            // The handler must still end the run: it reads this host's configuration.
            tracing::warn!("{e}; reading the configuration in {}", conf.display());
            Some(conf.clone())
        });
    options.conf_source = found.or_else(|| options.conf_source.take());
    Ok(options)
}

/// The run's save version: the first op to get here fixes it, every later op reads it, even
/// when the first ops of a run start together.
fn fix_save_version(store: &RunStore, run_id: &str) -> Result<String, SessionError> {
    store
        .claim_state(run_id, SAVE_VERSION_STATE, &json!(new_version()))
        .map_err(io)?;
    save_version(store, run_id)?
        .ok_or_else(|| SessionError::Io(format!("run {run_id} has no readable save version")))
}

/// What an op runs.
enum Work<'a> {
    /// An op of the run's plan (start, one node, end).
    PlanOp(&'a str),
    /// Some nodes of the run, in one step (an asset op).
    Nodes { op: &'a str, nodes: Vec<String> },
}

/// Runs op `op` of the run `options.run_id` (which must be set); `attempt` counts the
/// orchestrator's retries of the op (0 for the first try).
pub fn run_op(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    op: &str,
    attempt: u32,
) -> Result<(), SessionError> {
    let (run_id, store) = run_and_store(project, project_path, options)?;
    let snapshot = with_snapshot(&store, project_path, &run_id, options)?;
    run_work(
        project,
        project_path,
        (snapshot, store),
        Work::PlanOp(op),
        attempt,
    )
}

/// Runs asset op `op` of a run that materialises the assets `run_assets` (dataset names; the
/// run's whole selection, the same in every op of the run): the run's pipeline is the nodes
/// those assets need, and this op runs the ones the assets of its step (`step_assets`) need.
/// There is no start or end op: the first op fires the start hooks, and the orchestrator's
/// handler ends the run ([`finish_run`], [`fail_run`]).
pub fn run_asset_op(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    (op, run_assets, step_assets): (&str, &[String], &[String]),
    attempt: u32,
) -> Result<(), SessionError> {
    let (run_id, store) = run_and_store(project, project_path, options)?;
    let (mut options, project_conf) = with_snapshot(&store, project_path, &run_id, options)?;
    let env = kedrust_config::run_env(options.env.as_deref());
    let conf = crate::prepare::conf_dir(project_path, &options);
    let (graph, pipeline, built) = crate::prepare::plan_assets(project, project_path, &conf, &env)?;
    let needed = |assets: &[String]| {
        graph
            .nodes_for(&pipeline, &built.catalog, assets)
            .map_err(SessionError::Selection)
    };
    let of_op: Vec<&str> = graph
        .ops
        .iter()
        .find(|o| o.name == op)
        .map(|o| o.nodes.iter().map(String::as_str).collect())
        .ok_or_else(|| {
            let ops: Vec<&str> = graph.ops.iter().map(|o| o.name.as_str()).collect();
            SessionError::Selection(format!(
                "'{op}' is not an asset op of this project (asset ops: {})",
                ops.join(", ")
            ))
        })?;
    let nodes: Vec<String> = needed(step_assets)?
        .into_iter()
        .filter(|n| of_op.contains(&n.as_str()))
        .collect();
    options.job = None;
    options.pipeline_names = Vec::new();
    options.filter = kedrust_pipeline::Filter {
        node_names: needed(run_assets)?,
        ..Default::default()
    };
    run_work(
        project,
        project_path,
        ((options, project_conf), store),
        Work::Nodes { op, nodes },
        attempt,
    )
}

/// `options` with the run's save version (the first op to get here fixes it) and the run's
/// copy of the configuration (the first op takes it): every op reads both as the first found
/// them. Also the configuration folder `options` named, which the run's record keeps.
fn with_snapshot(
    store: &RunStore,
    project_path: &Path,
    run_id: &str,
    options: &RunOptions,
) -> Result<(RunOptions, Option<PathBuf>), SessionError> {
    let mut options = options.clone();
    let project_conf = options.conf_source.clone();
    options.save_version = Some(fix_save_version(store, run_id)?);
    let run_dir = crate::settings::run_dir(project_path, run_id)?;
    let own = crate::settings::local_run_dir(project_path, run_id);
    let conf = crate::prepare::conf_dir(project_path, &options);
    options.conf_source = Some(snapshot::take(&conf, &run_dir, &own).map_err(|e| {
        SessionError::Io(format!(
            "cannot take the run's snapshot of {} in {run_dir}: {e}",
            conf.display(),
        ))
    })?);
    Ok((options, project_conf))
}

fn run_work(
    project: &Project,
    project_path: &Path,
    ((options, project_conf), store): ((RunOptions, Option<PathBuf>), Arc<RunStore>),
    work: Work<'_>,
    attempt: u32,
) -> Result<(), SessionError> {
    let run_id = options.run_id.clone().unwrap_or_default();
    let run_dir = crate::settings::run_dir(project_path, &run_id)?;
    let mut prepared = prepare(project, project_path.to_owned(), &options)?;
    // The record keeps the project's configuration folder, not this run's copy of it.
    prepared.options.conf_source = project_conf;
    let op_name = match &work {
        Work::PlanOp(op) => match prepared.plan.op(op) {
            Some(this) => this.name.clone(),
            None => {
                let plan = &prepared.plan;
                let ops: Vec<&str> = plan.ops.iter().map(|o| o.name.as_str()).collect();
                return Err(SessionError::Selection(format!(
                    "op '{op}' is not in job '{}' (ops: {})",
                    plan.job,
                    ops.join(", ")
                )));
            }
        },
        Work::Nodes { op, .. } => (*op).to_owned(),
    };
    let context = RunContext::new(project, prepared, Arc::clone(&store))?;
    if run_dir.local().is_none() {
        forget_finished_runs(&store, project_path, &run_id);
    }
    // Whichever op of the run starts first records it; Dagster keeps it alive.
    context.record(Keeper::External {
        name: ORCHESTRATOR.into(),
    })?;
    let prepared = &context.prepared;
    let hooks = context.hooks.in_op(&op_name);
    let crossing = prepared.plan.crossing();
    kedrust_runner::install(
        &run_dir,
        &prepared.pipeline,
        &prepared.catalog,
        &|d| crossing.contains(d),
        kedrust_runner::MemoryFiles::Kept,
    );
    hooks.record(
        EventKind::StepStart,
        &format!("started {op_name}"),
        json!({"pid": std::process::id()}),
    );
    let parent_dir = (options.parent_run_id.as_ref())
        .map(|parent| crate::settings::run_dir(project_path, parent))
        .transpose()?;
    let started = start_once(&store, &run_id, START_WAIT, || {
        if let Some(parent) = &parent_dir {
            inherit_memory(parent, &run_dir);
        }
        // On Dagster the run has begun: a service that does not answer fails it.
        context
            .check_services(project)
            .map_err(|e| RunError::Engine {
                message: e.to_string(),
            })?;
        context.fire_start_hooks(&op_name).map_err(RunError::from)
    });
    // A group's nodes, one after the other, or on `workers` threads as the job says.
    let run_nodes = |names: &[String], workers: usize| -> Result<(), RunError> {
        let some = prepared
            .pipeline
            .only_nodes(names)
            .map_err(|e| RunError::Engine {
                message: e.to_string(),
            })?;
        let shared = Execution::new(&some, &prepared.catalog, &hooks);
        // Each save records what it was computed from, as embedded runs do.
        let fingerprints = crate::changed::Fingerprints::new(
            &prepared.pipeline,
            &prepared.catalog,
            &prepared.params,
        )
        .reading(&some);
        let key = prepared.options.partition.as_deref();
        if workers > 1 {
            if attempt > 0 {
                some.nodes()
                    .for_each(|node| discard_outputs(&prepared.catalog, node));
            }
            let done = std::sync::atomic::AtomicUsize::new(0);
            let record = |event: &kedrust_runner::RunEvent<'_>| match event {
                kedrust_runner::RunEvent::NodeStarted { node } => {
                    tracing::info!("running node {node}");
                }
                kedrust_runner::RunEvent::NodeCompleted { node, .. } => {
                    let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    tracing::info!("completed node {node} ({k} of {} in this op)", some.len());
                    if let Some(node) = some.node(node) {
                        fingerprints.record(&store, node, &run_id, key);
                    }
                }
                _ => {}
            };
            let threads = kedrust_runner::Runner::Threaded {
                max_workers: workers,
            };
            return kedrust_runner::execute(threads, &some, &shared, &record, None)
                .map(drop)
                .map_err(|failure| failure.error);
        }
        // Dagster shows each node's progress: these lines reach it through Pipes.
        for (k, node) in some.nodes().enumerate() {
            if attempt > 0 {
                discard_outputs(&prepared.catalog, node);
            }
            tracing::info!("running node {}", node.node_name());
            // A panic is the node's failure, recorded as the threaded runner records it.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_node(&shared, node)))
                .unwrap_or_else(|panic| {
                    Err(RunError::Crashed {
                        node: node.node_name().to_owned(),
                        message: kedrust_runner::panic_message(&panic),
                    })
                })?;
            let n = some.len();
            tracing::info!(
                "completed node {} ({} of {n} in this op)",
                node.node_name(),
                k + 1
            );
            fingerprints.record(&store, node, &run_id, key);
        }
        Ok(())
    };
    // A node op sends what its hooks held back before it says how it went.
    let flushed = |ran: Result<(), RunError>| {
        let flushed = context.flush_hooks(project);
        match (ran, flushed) {
            (Ok(()), flushed) => flushed,
            (Err(e), Err(also)) => {
                tracing::warn!("{also}");
                Err(e)
            }
            (Err(e), Ok(())) => Err(e),
        }
    };
    let outcome: Result<(), RunError> = match &work {
        _ if started.is_err() => started,
        Work::Nodes { nodes, .. } => flushed(run_nodes(nodes, 1)),
        Work::PlanOp(_) => match &prepared.plan.op(&op_name).expect("found above").kind {
            OpKind::Start => Ok(()),
            OpKind::Node { node } => flushed(run_nodes(std::slice::from_ref(node), 1)),
            OpKind::Group { nodes, workers, .. } => flushed(run_nodes(nodes, *workers)),
            OpKind::End => context
                .fire_end_hooks(&op_name)
                .map_err(RunError::from)
                .and_then(|_| context.succeed())
                .map(|()| crate::settings::remove_run_dirs(project_path, &run_id)),
        },
    };
    match outcome {
        Ok(()) => {
            hooks.record(
                EventKind::StepSuccess,
                &format!("{op_name} succeeded"),
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
/// claim them fires them and the others wait; a waiting op takes the claim over when its
/// holder died before finishing (as a retry of a killed op does). A failure there fails every
/// op of the run.
fn start_once(
    store: &RunStore,
    run_id: &str,
    wait: Duration,
    fire: impl FnOnce() -> Result<(), RunError>,
) -> Result<(), RunError> {
    let failed = |message: String| RunError::Engine { message };
    let outcome = |done: serde_json::Value| match done.get("error").and_then(|e| e.as_str()) {
        None => Ok(()),
        Some(error) => Err(failed(format!("the run's start hooks failed: {error}"))),
    };
    let deadline = Instant::now() + wait;
    loop {
        if let Some(done) = store
            .state(run_id, STARTED)
            .map_err(|e| failed(e.to_string()))?
        {
            return outcome(done);
        }
        if store
            .claim_for_this_process(run_id, START_CLAIM)
            .map_err(|e| failed(e.to_string()))?
        {
            let result = fire();
            // Run state keeps what it is given: the message is stored with secrets hidden.
            let error = result
                .as_ref()
                .err()
                .map(|e| kedrust_secrets::redact(&e.to_string()).into_owned());
            store
                .set_state(run_id, STARTED, &json!({ "error": error }))
                .map_err(|e| failed(e.to_string()))?;
            return result;
        }
        if Instant::now() > deadline {
            return Err(failed(format!(
                "the op that claimed the run's start hooks did not finish them within {} s; \
                 if it is stuck, end the run in Dagster and re-execute it",
                wait.as_secs_f64()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// With the state folder on object storage, each host keeps a folder of its own per run (its
/// copy of the snapshot, the pinned binary), which the op that ends the run, on another host,
/// cannot remove: each op removes this host's folders of runs that are over.
fn forget_finished_runs(store: &RunStore, project_path: &Path, running: &str) {
    let runs = crate::settings::local_state_dir(project_path).join("runs");
    for entry in std::fs::read_dir(&runs).into_iter().flatten().flatten() {
        let run_id = entry.file_name().to_string_lossy().into_owned();
        if run_id == running {
            continue;
        }
        if let Ok(Some(run)) = store.run(&run_id)
            && run.status != RunStatus::Started
            && let Err(e) = std::fs::remove_dir_all(entry.path())
        {
            tracing::warn!("cannot remove {}: {e}", entry.path().display());
        }
    }
}

/// A re-execution reads the in-memory data its parent's ops left behind (outputs of ops it
/// does not run again); its own ops overwrite what they produce.
fn inherit_memory(parent_dir: &StatePath, run_dir: &StatePath) {
    let (from, to) = (parent_dir.join("memory"), run_dir.join("memory"));
    let files = match from.files() {
        Ok(files) => files,
        Err(e) => {
            tracing::warn!("cannot read the parent run's data in {from}: {e}");
            return;
        }
    };
    // A hidden file is what a killed write left, never data.
    for file in files.iter().filter(|f| !f.starts_with('.')) {
        let (source, target) = (from.join(file), to.join(file));
        let copied = match (target.exists(), source.local(), target.local()) {
            (Ok(true), ..) => Ok(()),
            // On one disk a link: no second copy of what may be a large frame.
            (_, Some(from), Some(to))
                if to
                    .parent()
                    .is_some_and(|dir| std::fs::create_dir_all(dir).is_ok())
                    && std::fs::hard_link(from, to).is_ok() =>
            {
                Ok(())
            }
            _ => source.read().and_then(|bytes| match bytes {
                Some(bytes) => target.write(&bytes),
                None => Err(kedrust_catalog::DatasetError::NotSaved),
            }),
        };
        if let Err(e) = copied {
            tracing::warn!("cannot take {source} over from the parent run: {e}");
        }
    }
}

/// The failure handler of an orchestrator that ran the ops (Dagster's sensor): fails run
/// `run_id` (cancelled when `cancelled`) and fires its `on_pipeline_error` once, however often
/// it is called; whether this call fired it. A run whose project no longer builds is marked
/// failed without hooks, so that the handler does not try it again forever.
pub fn fail_run(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    message: &str,
    cancelled: bool,
) -> Result<bool, SessionError> {
    let (run_id, store) = run_and_store(project, project_path, options)?;
    if store.run(&run_id).map_err(io)?.is_none() {
        return Ok(false);
    }
    let options = as_recorded(options, &store, project_path, &run_id)?;
    let error = if cancelled {
        RunError::Cancelled
    } else {
        RunError::Engine {
            message: message.to_owned(),
        }
    };
    match prepare(project, project_path.to_owned(), &options) {
        Ok(prepared) => Ok(RunContext::new(project, prepared, store)?.fail(&error)),
        Err(why) => {
            tracing::error!(
                "run {run_id} failed ({error}) and cannot be rebuilt ({why}); marked failed without hooks"
            );
            store.finish(&run_id, RunStatus::Failure).map_err(io)?;
            Ok(false)
        }
    }
}

/// Who fires the end hooks of a run the orchestrator finished without its end op.
const END_CLAIM: &str = "kedrust.end_claimed_by";

/// The end of a run the orchestrator finished successfully without running its end op (a
/// Dagster re-execution of chosen ops): fires `after_pipeline_run` once and records the
/// run's success; whether this call did. A run that ended already, or is unknown, is left as
/// it is.
pub fn finish_run(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
) -> Result<bool, SessionError> {
    let (run_id, store) = run_and_store(project, project_path, options)?;
    let open = store
        .run(&run_id)
        .map_err(io)?
        .is_some_and(|r| r.status == RunStatus::Started);
    if !open
        || !store
            .claim_for_this_process(&run_id, END_CLAIM)
            .map_err(io)?
    {
        return Ok(false);
    }
    let options = as_recorded(options, &store, project_path, &run_id)?;
    let prepared = prepare(project, project_path.to_owned(), &options)?;
    let end_op = prepared.plan.end_op().to_owned();
    let context = RunContext::new(project, prepared, store)?;
    let ended = context
        .fire_end_hooks(&end_op)
        .map_err(RunError::from)
        .and_then(|_| context.succeed());
    match ended {
        Ok(()) => {
            crate::settings::remove_run_dirs(project_path, &run_id);
            Ok(true)
        }
        // The end hooks failed: the run failed, and on_pipeline_error says so, once.
        Err(error) => {
            context.fail(&error);
            Err(SessionError::Run {
                error,
                resume: None,
                run_id,
            })
        }
    }
}

/// The runs of environment `env` that the orchestrator keeps and that have not ended here:
/// what its failure handler looks at on every tick.
pub fn open_runs(
    project: &Project,
    project_path: &Path,
    env: &str,
) -> Result<Vec<String>, SessionError> {
    let store = open_store(project, project_path)?;
    Ok(store
        .open_runs(ORCHESTRATOR)
        .map_err(io)?
        .into_iter()
        .filter(|r| r.tags.get("kedrust/env").map(String::as_str) == Some(env))
        .map(|r| r.run_id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_op_waiting_for_start_hooks_that_never_finish_gives_up_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(&dir.path().join("runs.db")).unwrap();
        // Held by an op that is alive (its claim cannot be judged gone) and never finishes.
        store
            .set_state("r1", START_CLAIM, &json!("another op"))
            .unwrap();
        let err = start_once(&store, "r1", Duration::from_millis(200), || {
            panic!("the start hooks were claimed by another op")
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the op that claimed the run's start hooks did not finish them \
             within 0.2 s; if it is stuck, end the run in Dagster and re-execute it"
        );
    }
}
