//! The worker side of the process runner.

use crate::options::RunOptions;
use crate::prepare::prepare;
use crate::project::Project;
use crate::run_context::RunContext;
use crate::settings::open_store;
use kedrust_runner::{Execution, MemoryFiles, StatePath, WorkerChannel};
use std::collections::HashMap;
use std::path::PathBuf;

/// A worker of the process runner: rebuilds the run from the parent's request once, then runs
/// each step it is sent (one node, or a group, in order or on its threads) between their node
/// and dataset hooks, and reports how it went, naming the node that failed.
pub fn run_worker(
    project: &Project,
    project_path: PathBuf,
    run_dir: &std::ffi::OsStr,
) -> Result<(), String> {
    let (mut channel, request) = WorkerChannel::open()
        .map_err(|e| format!("cannot read the run request on standard input: {e}"))?;
    // A run that cannot be rebuilt here fails each step sent, under its first node.
    let run = kedrust_runner::tie_to_parent()
        .and_then(|()| StatePath::parse(run_dir))
        .and_then(|run_dir| ready(project, project_path, &run_dir, &request));
    let broken = |e: std::io::Error| format!("lost the connection to the runner: {e}");
    while let Some(nodes) = channel.next_step().map_err(broken)? {
        let outcome = match &run {
            Ok(run) => run_one(project, run, &nodes),
            Err(message) => Err((nodes.first().cloned().unwrap_or_default(), message.clone())),
        };
        channel.report(outcome).map_err(broken)?;
    }
    Ok(())
}

/// The run a worker serves, with what each step looks up in it.
struct WorkerRun {
    context: RunContext,
    op_of_node: HashMap<String, String>,
    /// The threads of each node's op (a group's `group_workers`; 1 for any other).
    threads: HashMap<String, usize>,
}

/// The run as the parent prepared it, from its request, with the run folder's stored datasets
/// in place of the memory ones that cross between processes.
fn ready(
    project: &Project,
    project_path: PathBuf,
    run_dir: &StatePath,
    request: &[u8],
) -> Result<WorkerRun, String> {
    let options: RunOptions =
        serde_json::from_slice(request).map_err(|e| format!("bad run request: {e}"))?;
    if options.run_id.is_none() {
        return Err("the run request has no run id".into());
    }
    let prepared = prepare(project, project_path.clone(), &options).map_err(|e| e.to_string())?;
    let crossing = prepared.plan.crossing();
    kedrust_runner::install(
        run_dir,
        &prepared.pipeline,
        &prepared.catalog,
        &|d| crossing.contains(d),
        MemoryFiles::ForTheRun,
    );
    let op_of_node = prepared.plan.op_of_node();
    let threads = prepared
        .plan
        .ops
        .iter()
        .filter_map(|op| match op.kind {
            kedrust_plan::OpKind::Group { workers, .. } => Some((op, workers)),
            _ => None,
        })
        .flat_map(|(op, workers)| op.nodes().into_iter().map(move |n| (n.to_owned(), workers)))
        .collect();
    // The worker records its saves in the same run store, under each node's op.
    let store = open_store(project, &project_path).map_err(|e| e.to_string())?;
    let context = RunContext::new(project, prepared, store).map_err(|e| e.to_string())?;
    Ok(WorkerRun {
        context,
        op_of_node,
        threads,
    })
}

/// One step's run; on failure, the node that failed (the first, when it is none of them) and
/// why.
fn run_one(
    project: &Project,
    run: &WorkerRun,
    node_names: &[String],
) -> Result<(), (String, String)> {
    let first = || node_names.first().cloned().unwrap_or_default();
    let context = &run.context;
    let prepared = &context.prepared;
    if let Some(missing) = node_names
        .iter()
        .find(|n| prepared.pipeline.node(n).is_none())
    {
        return Err((
            missing.clone(),
            format!("node '{missing}' is not in the run's pipeline"),
        ));
    }
    let step = prepared
        .pipeline
        .only_nodes(node_names)
        .map_err(|e| (first(), e.to_string()))?;
    let hooks = &context.hooks;
    if let Some(op) = run.op_of_node.get(&first()) {
        // The step's process id, so that an operator (or a test) can find and stop it.
        hooks.in_op(op).record(
            kedrust_store::EventKind::EngineEvent,
            &format!("step process {} started", std::process::id()),
            serde_json::json!({"pid": std::process::id(), "node": first()}),
        );
    }
    // A group op may run its nodes on threads (its job's `group_workers`).
    let workers = run.threads.get(&first()).copied().unwrap_or(1);
    let op_of_node = node_names
        .iter()
        .filter_map(|n| Some((n.clone(), run.op_of_node.get(n)?.clone())))
        .collect();
    // What an earlier step of this worker read of persisted data is read afresh (another
    // worker's save may have made a version listing stale)...
    let catalog = &prepared.catalog;
    for node in step.nodes() {
        for name in node.inputs().iter().chain(node.outputs()) {
            if !catalog.is_ephemeral(name) {
                catalog.release(name);
            }
        }
    }
    let ran = run_step(
        &step,
        &Execution::new(&step, catalog, hooks).with_ops(op_of_node),
        workers,
        &first,
    );
    // ...and what this step kept in memory goes with it (the memory data that later steps
    // read is in the run folder).
    for node in step.nodes() {
        for name in node.outputs() {
            if catalog.is_ephemeral(name) {
                catalog.release(name);
            }
        }
    }
    // The step sends what its hooks held back before it reports.
    let flushed = context.flush_hooks(project);
    match (ran, flushed) {
        (Ok(()), Ok(())) => Ok(()),
        (Ok(()), Err(e)) => Err((first(), e.to_string())),
        (Err(failed), flushed) => {
            if let Err(e) = flushed {
                tracing::warn!("{e}");
            }
            Err(failed)
        }
    }
}

/// Runs the step's nodes: on `workers` threads, or one after the other.
fn run_step(
    step: &kedrust_pipeline::Pipeline,
    shared: &Execution<'_>,
    workers: usize,
    first: &dyn Fn() -> String,
) -> Result<(), (String, String)> {
    if workers > 1 {
        let threads = kedrust_runner::Runner::Threaded {
            max_workers: workers,
        };
        // The node that failed, for an error that names none (a hook's).
        let failed = std::sync::Mutex::new(None::<String>);
        let seen = |event: &kedrust_runner::RunEvent<'_>| {
            if let kedrust_runner::RunEvent::NodeFailed { node, .. } = event {
                let mut failed = failed.lock().unwrap_or_else(|e| e.into_inner());
                failed.get_or_insert_with(|| (*node).to_owned());
            }
        };
        return kedrust_runner::execute(threads, step, shared, &seen, None)
            .map(drop)
            .map_err(|failure| {
                let node = failure
                    .error
                    .node()
                    .map(str::to_owned)
                    .or_else(|| failed.lock().unwrap_or_else(|e| e.into_inner()).take())
                    .unwrap_or_else(first);
                (node, failure.error.to_string())
            });
    }
    for node in step.nodes() {
        let name = node.node_name().to_owned();
        // A panic is the node's failure, reported under its name like an error.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            kedrust_runner::run_node(shared, node)
        }))
        .map_err(|panic| {
            let crashed = kedrust_runner::RunError::Crashed {
                node: name.clone(),
                message: kedrust_runner::panic_message(&panic),
            };
            (name.clone(), crashed.to_string())
        })?
        .map_err(|e| (name, e.to_string()))?;
    }
    Ok(())
}
