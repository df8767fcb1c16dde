//! The environment variables of a run, each read here and nowhere else in this crate, with
//! its precedence:
//!
//! | variable | means | precedence |
//! |---|---|---|
//! | `KEDRUST_HEARTBEAT_MS` | how often an embedded orchestrator writes its heartbeat | the variable, else 1,000 ms |
//! | `KEDRUST_RUN_STORE` | the run store file | the variable, else `Project::run_store`, else `<state dir>/runs.db` |
//! | `KEDRUST_STATE_DIR` | the state folder (run store, run folders) | the variable, else `<project>/.kedrust` (read by `kedrust-store`) |
//! | `KEDRUST_TRACE_HOOKS` | the hook trace file | the variable, else no trace (`trace.rs`) |
//!
//! A value that means nothing is refused with [`SessionError::Setting`] before anything runs.

use crate::options::SessionError;
use crate::project::Project;
use kedrust_store::RunStore;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The heartbeat interval variable.
pub const HEARTBEAT_ENV: &str = "KEDRUST_HEARTBEAT_MS";

const HEARTBEAT_DEFAULT: Duration = Duration::from_secs(1);
const HEARTBEAT_MAX_MS: u64 = 3_600_000;

/// How often an embedded orchestrator says it is alive: `KEDRUST_HEARTBEAT_MS`, else 1 s.
pub fn heartbeat_interval() -> Result<Duration, SessionError> {
    match std::env::var(HEARTBEAT_ENV) {
        Err(_) => Ok(HEARTBEAT_DEFAULT),
        Ok(text) if text.trim().is_empty() => Ok(HEARTBEAT_DEFAULT),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(ms) if (1..=HEARTBEAT_MAX_MS).contains(&ms) => Ok(Duration::from_millis(ms)),
            _ => Err(SessionError::Setting {
                variable: HEARTBEAT_ENV,
                value: text,
                expected: "give a whole number of milliseconds from 1 to 3600000",
            }),
        },
    }
}

/// Opens the project's run store: `KEDRUST_RUN_STORE`, else the project's setting
/// ([`Project::run_store`]), else `<state dir>/runs.db`.
pub fn open_store(project: &Project, project_path: &Path) -> Result<Arc<RunStore>, SessionError> {
    let configured = std::env::var_os(kedrust_store::STORE_ENV)
        .is_none()
        .then(|| project.run_store_setting())
        .flatten();
    let path = match configured {
        Some(p) if p.is_relative() => project_path.join(p),
        Some(p) => p.to_owned(),
        None => RunStore::default_path(project_path),
    };
    RunStore::open(&path)
        .map(Arc::new)
        .map_err(|e| SessionError::Io(e.to_string()))
}
