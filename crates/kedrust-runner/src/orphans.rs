//! Orphans: runs whose orchestrator died. The next command that runs work finds every
//! started run whose heartbeat stopped, marks it failed and fires its `on_pipeline_error`
//! (rebuilt from the options the run store kept), as Dagster's run monitoring does. The
//! heartbeat, not the process id, decides: process ids are reused.

use crate::error::RunError;
use crate::options::RunOptions;
use crate::prepare::prepare;
use crate::project::Project;
use crate::session::{fire_failure, heartbeat_interval, pipeline_info, run_hooks, run_params};
use kedrust_store::{EventKind, RunStatus, RunStore};
use std::path::Path;
use std::sync::Arc;

/// A run is an orphan when its heartbeat is older than this many intervals.
const MISSED_HEARTBEATS: u32 = 5;

/// Fails every orphan of the store, firing its failure hook once.
pub(crate) fn sweep(project: &Project, project_path: &Path, store: &Arc<RunStore>) {
    let Ok(orphans) = store.orphans(heartbeat_interval() * MISSED_HEARTBEATS) else {
        return;
    };
    for orphan in orphans {
        let error = RunError::Orphaned {
            pid: orphan.pid,
            message: format!(
                "the orchestrator (pid {}) stopped without ending run {}",
                orphan.pid, orphan.run_id
            ),
        };
        let _ = store.event(
            &orphan.run_id,
            EventKind::EngineEvent,
            None,
            &error.to_string(),
            serde_json::json!({"pid": orphan.pid, "orphan": true}),
        );
        let options: Option<RunOptions> = serde_json::from_value(orphan.options.clone()).ok();
        let rebuilt = options.and_then(|o| prepare(project, project_path.to_owned(), &o).ok());
        match rebuilt {
            Some(prepared) => match run_hooks(project, &prepared, Some(Arc::clone(store))) {
                Ok(hooks) => {
                    let params = run_params(&prepared);
                    let info = pipeline_info(&prepared, &params, &hooks);
                    fire_failure(&hooks, store, &error, info);
                }
                Err(_) => {
                    let _ = store.finish(&orphan.run_id, RunStatus::Failure);
                }
            },
            None => {
                tracing::warn!(
                    "run {} was orphaned, and its project no longer builds; marked failed without hooks",
                    orphan.run_id
                );
                let _ = store.finish(&orphan.run_id, RunStatus::Failure);
            }
        }
        tracing::warn!("{error}; marked failed");
    }
}
