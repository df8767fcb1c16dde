//! The child side of the process runner.

use crate::hooks::Hooks;
use crate::options::RunOptions;
use crate::prepare::prepare;
use crate::process;
use crate::project::Project;
use crate::task::Shared;
use crate::trace::Tracer;
use std::path::PathBuf;
use std::sync::Arc;

/// The child side of the process runner: rebuilds the run from the parent's request, runs
/// one node between its node and dataset hooks, and reports a failure in the run folder.
pub fn run_child(
    project: &Project,
    project_path: PathBuf,
    run_dir: &std::path::Path,
    node_name: &str,
) -> Result<(), String> {
    child(project, project_path, run_dir, node_name).inspect_err(|message| {
        // The parent reads the message from here and reports it once.
        let _ = std::fs::write(process::error_path(run_dir, node_name), message);
    })
}

fn child(
    project: &Project,
    project_path: PathBuf,
    run_dir: &std::path::Path,
    node_name: &str,
) -> Result<(), String> {
    let request = std::fs::read(run_dir.join("request.json"))
        .map_err(|e| format!("cannot read the run request in {}: {e}", run_dir.display()))?;
    let options: RunOptions =
        serde_json::from_slice(&request).map_err(|e| format!("bad run request: {e}"))?;
    let run_id = options
        .run_id
        .clone()
        .ok_or("the run request has no run id")?;
    let prepared = prepare(project, project_path.clone(), &options).map_err(|e| e.to_string())?;
    let Some(node) = prepared.pipeline.node(node_name) else {
        return Err(format!("node '{node_name}' is not in the run's pipeline"));
    };
    process::install(run_dir, &prepared.pipeline, &prepared.catalog);
    let one = prepared
        .pipeline
        .only_nodes(&[node_name])
        .map_err(|e| e.to_string())?;
    let tracer = Tracer::from_env(&project_path)
        .map_err(|e| format!("cannot open the hook trace: {e}"))?
        .map(Arc::new);
    let hooks = Hooks::new(project.hooks().iter().cloned())
        .with_tracer(tracer)
        .for_run(&run_id, Some(node_name));
    let shared = Shared::new(&one, &prepared.catalog, &hooks);
    crate::task::run_node(&shared, node).map_err(|e| e.to_string())
}
