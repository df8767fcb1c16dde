//! `runs list|show|logs`: what the run store recorded.

use crate::args::RunsCommand;
use kedrust_framework::open_store;
use kedrust_store::{EventKind, RunRecord};
use std::path::Path;

/// The environment and pipelines a run ran: `env local  pipeline chain`.
fn what(r: &RunRecord) -> String {
    let env = r.tags.get("kedrust/env").map_or("-", String::as_str);
    let pipelines: Vec<&str> = r.options["pipeline_names"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str())
        .collect();
    let pipelines = if pipelines.is_empty() {
        "__default__".to_owned()
    } else {
        pipelines.join("+")
    };
    format!("env {env}  pipeline {pipelines}")
}

fn seconds(r: &RunRecord) -> String {
    r.ended_ns
        .map(|e| format!("{:.1} s", (e - r.started_ns) as f64 / 1e9))
        .unwrap_or_else(|| "-".into())
}

/// Runs one `runs` command.
pub(crate) fn show(
    project: &kedrust_framework::Project,
    root: &Path,
    command: RunsCommand,
) -> Result<String, String> {
    let store = open_store(project, root).map_err(|e| e.to_string())?;
    let io = |e: kedrust_store::StoreError| e.to_string();
    match command {
        RunsCommand::List { limit } => {
            let runs = store.runs(limit).map_err(io)?;
            if runs.is_empty() {
                return Ok("no runs recorded yet\n".into());
            }
            let mut out = String::new();
            for r in runs {
                out.push_str(&format!(
                    "{}  {:<8}  job {}  {}  {}{}\n",
                    r.run_id,
                    r.status.as_str(),
                    r.job,
                    what(&r),
                    seconds(&r),
                    r.parent_run_id
                        .map(|p| format!("  (resumes {p})"))
                        .unwrap_or_default()
                ));
            }
            Ok(out)
        }
        RunsCommand::Show { run_id } => {
            let run = store
                .run(&run_id)
                .map_err(io)?
                .ok_or_else(|| format!("no run '{run_id}' in the run store"))?;
            let mut out = format!(
                "run {}  {}  job {}  pid {}  {}  kept by {}\n",
                run.run_id,
                run.status.as_str(),
                run.job,
                run.pid,
                seconds(&run),
                run.keeper
            );
            if let Some(parent) = &run.parent_run_id {
                out.push_str(&format!("  parent {parent}\n"));
            }
            let save_version = store
                .state(&run_id, kedrust_framework::orchestrated::SAVE_VERSION_STATE)
                .map_err(io)?;
            if let Some(version) = save_version.as_ref().and_then(|v| v.as_str()) {
                out.push_str(&format!("  save version {version}\n"));
            }
            for (k, v) in &run.tags {
                out.push_str(&format!("  tag {k} = {v}\n"));
            }
            for e in store.events(&run_id).map_err(io)? {
                out.push_str(&format!(
                    "{:>4}  {:<21}  {:<40}  {}\n",
                    e.id,
                    e.kind.as_str(),
                    e.op.unwrap_or_default(),
                    e.message
                ));
            }
            Ok(out)
        }
        RunsCommand::Logs { run_id } => {
            let events = store.events(&run_id).map_err(io)?;
            if events.is_empty() {
                return Err(format!("no run '{run_id}' in the run store"));
            }
            let mut out = String::new();
            for e in events.iter().filter(|e| {
                matches!(
                    e.kind,
                    EventKind::LogMessage
                        | EventKind::StepFailure
                        | EventKind::RunFailure
                        | EventKind::HookErrored
                        | EventKind::EngineEvent
                )
            }) {
                out.push_str(&format!(
                    "{} {}: {}\n",
                    e.kind.as_str(),
                    e.op.as_deref().unwrap_or("-"),
                    e.message
                ));
            }
            Ok(out)
        }
    }
}
