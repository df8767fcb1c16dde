//! The child side of the process runner.

use crate::options::RunOptions;
use crate::prepare::prepare;
use crate::project::Project;
use crate::run_context::RunContext;
use crate::settings::open_store;
use kedrust_runner::{Execution, StatePath};
use std::path::PathBuf;

/// The child side of the process runner: rebuilds the run from the parent's request, runs
/// its nodes (one, or a group, in order or on its threads) between their node and dataset hooks, and reports a
/// failure in the run folder, under the node that failed.
pub fn run_child(
    project: &Project,
    project_path: PathBuf,
    run_dir: &std::ffi::OsStr,
    node_names: &[String],
) -> Result<(), String> {
    let run_dir = StatePath::parse(run_dir)?;
    let first = node_names.first().map_or("", String::as_str);
    kedrust_runner::tie_to_parent()
        .map_err(|message| (first.to_owned(), message))
        .and_then(|()| child(project, project_path, &run_dir, node_names))
        .map_err(|(node, message)| {
            // The parent reads the message from here and reports it once; without the file it
            // still reports the exit, so a failed write is only logged.
            let path = kedrust_runner::error_path(&run_dir, &node);
            if let Err(e) = path.write(kedrust_secrets::redact(&message).as_bytes()) {
                tracing::error!("cannot write {path}: {e}; the node failed: {message}");
            }
            message
        })
}

/// The nodes' run; on failure, the node that failed (the first, when it is none of them) and
/// why.
fn child(
    project: &Project,
    project_path: PathBuf,
    run_dir: &StatePath,
    node_names: &[String],
) -> Result<(), (String, String)> {
    let first = || node_names.first().cloned().unwrap_or_default();
    let mut request = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut request).map_err(|e| {
        (
            first(),
            format!("cannot read the run request on standard input: {e}"),
        )
    })?;
    let options: RunOptions =
        serde_json::from_slice(&request).map_err(|e| (first(), format!("bad run request: {e}")))?;
    if options.run_id.is_none() {
        return Err((first(), "the run request has no run id".into()));
    }
    let prepared =
        prepare(project, project_path.clone(), &options).map_err(|e| (first(), e.to_string()))?;
    if let Some(missing) = node_names
        .iter()
        .find(|n| prepared.pipeline.node(n).is_none())
    {
        return Err((
            missing.clone(),
            format!("node '{missing}' is not in the run's pipeline"),
        ));
    }
    kedrust_runner::install(run_dir, &prepared.pipeline, &prepared.catalog, &|d| {
        prepared.plan.crosses(d)
    });
    // The child records its saves in the same run store, under the node's op.
    let store = open_store(project, &project_path).map_err(|e| (first(), e.to_string()))?;
    let context =
        RunContext::new(project, prepared, store).map_err(|e| (first(), e.to_string()))?;
    let prepared = &context.prepared;
    let step = prepared
        .pipeline
        .only_nodes(node_names)
        .map_err(|e| (first(), e.to_string()))?;
    let hooks = &context.hooks;
    let op_of_node = prepared.plan.op_of_node();
    if let Some(op) = op_of_node.get(&first()) {
        // The step's process id, so that an operator (or a test) can find and stop it.
        hooks.in_op(op).record(
            kedrust_store::EventKind::EngineEvent,
            &format!("step process {} started", std::process::id()),
            serde_json::json!({"pid": std::process::id(), "node": first()}),
        );
    }
    // A group op may run its nodes on threads (its job's `group_workers`).
    let workers = op_of_node
        .get(&first())
        .and_then(|op| prepared.plan.op(op))
        .map_or(1, |op| match op.kind {
            kedrust_plan::OpKind::Group { workers, .. } => workers,
            _ => 1,
        });
    let ran = run_step(
        &step,
        &Execution::new(&step, &prepared.catalog, hooks).with_ops(op_of_node),
        workers,
        &first,
    );
    // The step sends what its hooks held back before it exits.
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
