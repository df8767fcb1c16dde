//! The child side of the process runner.

use crate::options::RunOptions;
use crate::prepare::prepare;
use crate::project::Project;
use crate::run_context::RunContext;
use crate::settings::open_store;
use kedrust_runner::{Execution, StatePath};
use std::path::PathBuf;

/// The child side of the process runner: rebuilds the run from the parent's request, runs
/// one node between its node and dataset hooks, and reports a failure in the run folder.
pub fn run_child(
    project: &Project,
    project_path: PathBuf,
    run_dir: &std::ffi::OsStr,
    node_name: &str,
) -> Result<(), String> {
    let run_dir = StatePath::parse(run_dir)?;
    let run_dir = &run_dir;
    kedrust_runner::tie_to_parent()
        .and_then(|()| child(project, project_path, run_dir, node_name))
        .inspect_err(|message| {
            // The parent reads the message from here and reports it once; without the file it
            // still reports the exit, so a failed write is only logged.
            let path = kedrust_runner::error_path(run_dir, node_name);
            if let Err(e) = path.write(kedrust_secrets::redact(message).as_bytes()) {
                tracing::error!("cannot write {path}: {e}; the node failed: {message}");
            }
        })
}

fn child(
    project: &Project,
    project_path: PathBuf,
    run_dir: &StatePath,
    node_name: &str,
) -> Result<(), String> {
    let mut request = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut request)
        .map_err(|e| format!("cannot read the run request on standard input: {e}"))?;
    let options: RunOptions =
        serde_json::from_slice(&request).map_err(|e| format!("bad run request: {e}"))?;
    if options.run_id.is_none() {
        return Err("the run request has no run id".into());
    }
    let prepared = prepare(project, project_path.clone(), &options).map_err(|e| e.to_string())?;
    if prepared.pipeline.node(node_name).is_none() {
        return Err(format!("node '{node_name}' is not in the run's pipeline"));
    }
    kedrust_runner::install(run_dir, &prepared.pipeline, &prepared.catalog);
    // The child records its saves in the same run store, under the node's op.
    let store = open_store(project, &project_path).map_err(|e| e.to_string())?;
    let context = RunContext::new(project, prepared, store).map_err(|e| e.to_string())?;
    let prepared = &context.prepared;
    let one = prepared
        .pipeline
        .only_nodes(&[node_name])
        .map_err(|e| e.to_string())?;
    let node = prepared
        .pipeline
        .node(node_name)
        .expect("the node was found above");
    let hooks = &context.hooks;
    let op_of_node = prepared.plan.op_of_node();
    if let Some(op) = op_of_node.get(node_name) {
        // The step's process id, so that an operator (or a test) can find and stop it.
        hooks.in_op(op).record(
            kedrust_store::EventKind::EngineEvent,
            &format!("step process {} started", std::process::id()),
            serde_json::json!({"pid": std::process::id(), "node": node_name}),
        );
    }
    let shared = Execution::new(&one, &prepared.catalog, hooks).with_ops(op_of_node);
    kedrust_runner::run_node(&shared, node).map_err(|e| e.to_string())
}
