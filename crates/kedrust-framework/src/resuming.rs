//! `run --resume <run id>`: a new run, linked to a failed one, that runs only the ops that
//! failed or never ran (plus the producers of the in-memory data they need), with the same
//! parameters, load versions and job.

use crate::options::{RunOptions, SessionError};
use crate::prepare::prepare;
use crate::project::Project;
use crate::resume::nodes_to_rerun;
use crate::settings::open_store;
use kedrust_plan::JobPlan;
use kedrust_store::{EventKind, RunStatus};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::Path;

/// The options of the run that resumes `run_id`. `again` gives runtime parameters the run
/// store kept hidden (secret ones); every one of them must be given again.
pub fn resume_options(
    project: &Project,
    project_path: &Path,
    run_id: &str,
    again: Json,
) -> Result<RunOptions, SessionError> {
    let store = open_store(project, project_path)?;
    let io = |e: kedrust_store::StoreError| SessionError::Io(e.to_string());
    let old = store.run(run_id).map_err(io)?.ok_or_else(|| {
        SessionError::Selection(format!(
            "no run '{run_id}' in the run store (see `runs list`)"
        ))
    })?;
    match old.status {
        RunStatus::Success => {
            return Err(SessionError::Selection(format!(
                "run '{run_id}' succeeded; there is nothing to resume"
            )));
        }
        RunStatus::Started => {
            return Err(SessionError::Selection(format!(
                "run '{run_id}' is still running: resume it once it has ended (`runs show {run_id}`)"
            )));
        }
        RunStatus::Failure | RunStatus::Canceled => {}
    }
    let bad = |what: &str| {
        SessionError::Io(format!(
            "run '{run_id}' has an unreadable {what} in the run store"
        ))
    };
    let mut options: RunOptions =
        serde_json::from_value(old.options).map_err(|_| bad("options"))?;
    let plan: JobPlan = serde_json::from_value(old.plan).map_err(|_| bad("plan"))?;
    given_again(
        &mut options,
        again,
        (
            &format!("run '{run_id}'"),
            &format!("run --resume {run_id}"),
        ),
    )?;
    // An embedded run's success events name their node (a group's nodes succeed one by
    // one); a Dagster op's success is every node of the op.
    let succeeded: BTreeSet<String> = store
        .events(run_id)
        .map_err(io)?
        .iter()
        .filter(|e| e.kind == EventKind::StepSuccess)
        .flat_map(|e| match e.metadata.get("node").and_then(|n| n.as_str()) {
            Some(node) => vec![node.to_owned()],
            None => {
                e.op.as_deref()
                    .map(|op| plan.nodes_of(op).into_iter().map(str::to_owned).collect())
                    .unwrap_or_default()
            }
        })
        .collect();
    options.run_id = None;
    options.save_version = None;
    let prepared = prepare(project, project_path.to_owned(), &options)?;
    let remaining: Vec<&str> = prepared
        .pipeline
        .node_names()
        .into_iter()
        .filter(|n| !succeeded.contains(*n))
        .collect();
    options.filter.node_names = nodes_to_rerun(&prepared.pipeline, &prepared.catalog, &remaining);
    options.parent_run_id = Some(run_id.to_owned());
    Ok(options)
}

/// The runtime parameters `again` over the ones a recorded request kept; the secret ones the
/// run store hid must be among them. `what` names the request and `resume` the command that
/// gives them again.
pub(crate) fn given_again(
    options: &mut RunOptions,
    again: Json,
    (what, resume): (&str, &str),
) -> Result<(), SessionError> {
    kedrust_config::deep_merge(&mut options.runtime_params, again);
    let hidden: Vec<String> = kedrust_config::dotted_paths(&options.runtime_params)
        .into_iter()
        .filter(|(_, value)| kedrust_secrets::is_masked(value))
        .map(|(key, _)| key)
        .collect();
    if hidden.is_empty() {
        return Ok(());
    }
    let example: Vec<String> = hidden.iter().map(|k| format!("{k}=<value>")).collect();
    Err(SessionError::Selection(format!(
        "{what} was given secret parameters the run store does not keep: {}; give them \
         again: {resume} --params {}",
        hidden.join(", "),
        example.join(",")
    )))
}
