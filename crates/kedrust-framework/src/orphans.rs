//! Orphans: runs whose embedded orchestrator died. The next command that runs work finds every
//! such run (the run store decides: on this host by the orchestrator's process and its start
//! time, elsewhere by its own heartbeat interval), marks it failed and fires its
//! `on_pipeline_error` (rebuilt from the options the run store kept), as Dagster's run
//! monitoring does. Runs Dagster keeps are Dagster's to fail.

use crate::options::RunOptions;
use crate::prepare::prepare;
use crate::project::Project;
use crate::run_context::RunContext;
use kedrust_runner::RunError;
use kedrust_store::{EventKind, RunRecord, RunStatus, RunStore};
use std::path::Path;
use std::sync::Arc;

/// Fails every orphan of the store, firing its failure hook once.
pub(crate) fn sweep(project: &Project, project_path: &Path, store: &Arc<RunStore>) {
    let orphans = match store.orphans() {
        Ok(orphans) => orphans,
        Err(e) => {
            tracing::warn!("cannot look for orphaned runs: {e}");
            return;
        }
    };
    for orphan in orphans {
        let error = RunError::Orphaned {
            pid: orphan.pid,
            message: format!(
                "the orchestrator (pid {}) stopped without ending run {}",
                orphan.pid, orphan.run_id
            ),
        };
        if let Err(e) = store.event(
            &orphan.run_id,
            EventKind::EngineEvent,
            None,
            &error.to_string(),
            serde_json::json!({"pid": orphan.pid, "orphan": true}),
        ) {
            tracing::warn!("{e}");
        }
        match rebuild(project, project_path, store, &orphan) {
            Ok(context) => {
                context.fail(&error);
            }
            Err(why) => {
                tracing::warn!(
                    "run {} was orphaned and cannot be rebuilt ({why}); marked failed without hooks",
                    orphan.run_id
                );
                if let Err(e) = store.finish(&orphan.run_id, RunStatus::Failure) {
                    tracing::error!("{e}");
                }
            }
        }
        tracing::warn!("{error}; marked failed");
    }
}

/// The context of a recorded run, from the options the run store kept.
fn rebuild(
    project: &Project,
    project_path: &Path,
    store: &Arc<RunStore>,
    run: &RunRecord,
) -> Result<RunContext, String> {
    let options: RunOptions =
        serde_json::from_value(run.options.clone()).map_err(|e| e.to_string())?;
    let prepared =
        prepare(project, project_path.to_owned(), &options).map_err(|e| e.to_string())?;
    RunContext::new(project, prepared, Arc::clone(store)).map_err(|e| e.to_string())
}
