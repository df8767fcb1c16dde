//! The environment variables of kedrust's runs, each declared and read here and nowhere else
//! (library crates take the values), with its precedence:
//!
//! | variable | means | precedence |
//! |---|---|---|
//! | `KEDRUST_STATE_DIR` | the state folder: the run store and the run folders (memory data, the configuration snapshot); a URL of object storage (`s3://bucket/prefix`, credentials from the cloud's environment variables) for steps that share no disk, the run store then named by `KEDRUST_RUN_STORE` | the variable (a path relative to the project, or a URL), else `<project>/.kedrust` |
//! | `KEDRUST_RUN_STORE` | the run store alone: a SQLite file, or a PostgreSQL database (`postgresql://user@host:port/database`) that every host of a run reaches | the variable (a path relative to the project, or a URL), else `Project::run_store`, else `<state dir>/runs.db` |
//! | `KEDRUST_HEARTBEAT_MS` | how often an embedded orchestrator writes its heartbeat | the variable, else 1,000 ms |
//! | `KEDRUST_TRACE_HOOKS` | the hook trace file | the variable (relative to the project), else no trace |
//!
//! The command line declares its own (`KEDRUST_PROJECT_DIR`, `KEDRUST_CONF_SOURCE`,
//! `KEDRUST_RUN_ID`, `KEDRUST_DAGSTER`) in its argument definitions and its log filter
//! (`KEDRUST_LOG`, else `RUST_LOG`, else `-v`, else the levels of `logging.yml`) in
//! `output.rs`, and the config crate
//! `KEDRUST_ENV`. A value that means nothing is refused with
//! [`SessionError::Setting`] before anything runs.

use crate::options::SessionError;
use crate::project::Project;
use kedrust_runner::StatePath;
use kedrust_store::{RunStore, StoreLocation};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The state folder variable.
pub const STATE_DIR_ENV: &str = "KEDRUST_STATE_DIR";
/// The run store variable.
pub(crate) const RUN_STORE_ENV: &str = "KEDRUST_RUN_STORE";
/// The heartbeat interval variable.
pub(crate) const HEARTBEAT_ENV: &str = "KEDRUST_HEARTBEAT_MS";
/// The hook trace variable.
pub(crate) const TRACE_ENV: &str = "KEDRUST_TRACE_HOOKS";

const HEARTBEAT_DEFAULT: Duration = Duration::from_secs(1);
const HEARTBEAT_MAX_MS: u64 = 3_600_000;

/// A path variable's value, relative paths taken from the project; unset or empty is none.
fn path_var(name: &str, project: &Path) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(|v| project.join(PathBuf::from(v)))
}

/// The state folder's URL, when it is on object storage.
fn state_url() -> Option<String> {
    std::env::var(STATE_DIR_ENV)
        .ok()
        .filter(|v| v.contains("://"))
}

/// The project's state folder on this machine: the variable when it names a folder, else
/// `<project>/.kedrust`. With a state folder on object storage it keeps what is this host's
/// own: backfill logs, the run's pinned binary and its copy of the configuration snapshot.
pub(crate) fn local_state_dir(project: &Path) -> PathBuf {
    state_url()
        .map_or_else(|| path_var(STATE_DIR_ENV, project), |_| None)
        .unwrap_or_else(|| project.join(".kedrust"))
}

/// The state folder every process of a run names: a folder, or a prefix on object storage.
pub(crate) fn state_dir(project: &Path) -> Result<StatePath, SessionError> {
    let Some(url) = state_url() else {
        return Ok(StatePath::Local(local_state_dir(project)));
    };
    let (scheme, rest) = url.split_once("://").unwrap_or_default();
    let authority = rest.split('/').next().unwrap_or_default();
    let refused = if !kedrust_catalog::is_url(&url) || scheme.starts_with("http") {
        Some(
            "give a folder, or a URL of object storage every step can write: \
             s3://bucket/prefix, gs://bucket/prefix, az://container/prefix, file:///folder",
        )
    } else if authority
        .split_once('@')
        .is_some_and(|(user, _)| user.contains(':'))
    {
        Some("put no password in the URL: the cloud's environment variables hold credentials")
    } else {
        None
    };
    if let Some(expected) = refused {
        return Err(SessionError::Setting {
            variable: STATE_DIR_ENV,
            value: kedrust_secrets::redact(&url).into_owned(),
            expected,
        });
    }
    StatePath::parse(url.as_ref())
        .map_err(|why| SessionError::Io(format!("{STATE_DIR_ENV}='{url}': {why}")))
}

/// What steps on other hosts would share of a run's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedState {
    /// The project's own `.kedrust`: nothing, on another host.
    ThisHost,
    /// A state folder named explicitly (a volume every step mounts, or object storage with a
    /// run store on a server).
    Named,
    /// A state folder on object storage with the run store in a file: each host would have
    /// a store of its own (the file is named).
    StoreFileOnEachHost(PathBuf),
}

/// What steps on other hosts would share, once the state folder and the run store are known
/// to be usable.
pub fn shared_state(project: &Project, project_path: &Path) -> Result<SharedState, SessionError> {
    let state = state_dir(project_path)?;
    let store = store_location(project, project_path)?;
    if std::env::var_os(STATE_DIR_ENV).is_none_or(|v| v.is_empty()) {
        return Ok(SharedState::ThisHost);
    }
    Ok(match (state, store.file()) {
        (StatePath::Remote(_), Some(file)) => SharedState::StoreFileOnEachHost(file.to_owned()),
        _ => SharedState::Named,
    })
}

/// The folder of run `run_id`: memory data between processes, the configuration snapshot.
pub(crate) fn run_dir(project: &Path, run_id: &str) -> Result<StatePath, SessionError> {
    Ok(kedrust_runner::run_dir(&state_dir(project)?, run_id))
}

/// This host's own folder of run `run_id` (the run folder itself when that is local).
pub(crate) fn local_run_dir(project: &Path, run_id: &str) -> PathBuf {
    local_state_dir(project).join("runs").join(run_id)
}

/// Removes the folders of run `run_id`, shared and this host's own, once it is over.
pub(crate) fn remove_run_dirs(project: &Path, run_id: &str) {
    if let Ok(shared) = run_dir(project, run_id) {
        shared.remove();
    }
    StatePath::Local(local_run_dir(project, run_id)).remove();
}

/// The hook trace file, when tracing is on.
pub(crate) fn trace_file(project: &Path) -> Option<PathBuf> {
    path_var(TRACE_ENV, project)
}

/// How often an embedded orchestrator says it is alive.
pub(crate) fn heartbeat_interval() -> Result<Duration, SessionError> {
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

/// Where the project's run store is: `KEDRUST_RUN_STORE` (a path or a PostgreSQL URL), else
/// the project's setting, else `runs.db` in the state folder.
pub(crate) fn store_location(
    project: &Project,
    project_path: &Path,
) -> Result<StoreLocation, SessionError> {
    let named = match std::env::var(RUN_STORE_ENV).ok().filter(|v| !v.is_empty()) {
        Some(text) => Some(StoreLocation::parse(&text, project_path).map_err(|shown| {
            SessionError::Setting {
                variable: RUN_STORE_ENV,
                value: shown,
                expected: "give a file path, or a PostgreSQL URL: \
                           postgresql://user@host:port/database",
            }
        })?),
        None => None,
    };
    named
        .or_else(|| {
            project
                .run_store_setting()
                .map(|p| StoreLocation::File(project_path.join(p)))
        })
        .map_or_else(
            || match state_url() {
                // SQLite needs a file system: the hosts of the run need a server they share.
                Some(url) => Err(SessionError::Setting {
                    variable: STATE_DIR_ENV,
                    value: url,
                    expected: "a state folder on object storage holds no run store: also set \
                               KEDRUST_RUN_STORE to a PostgreSQL URL every host reaches \
                               (postgresql://user@host:port/database), or to a file",
                }),
                None => Ok(StoreLocation::File(
                    local_state_dir(project_path).join("runs.db"),
                )),
            },
            Ok,
        )
}

/// Opens the project's run store. The state folder and a store file, when this call creates
/// them, are private to the user (0700, 0600): they hold parameters and data of every run.
pub fn open_store(project: &Project, project_path: &Path) -> Result<Arc<RunStore>, SessionError> {
    let io = |what: &Path, e: std::io::Error| {
        SessionError::Io(format!("cannot create {}: {e}", what.display()))
    };
    // A state folder that means nothing is refused here, whether or not this run uses it.
    state_dir(project_path)?;
    let state = local_state_dir(project_path);
    create_private_dir(&state).map_err(|e| io(&state, e))?;
    let location = store_location(project, project_path)?;
    let new_file = location.file().filter(|path| !path.exists());
    if let Some(dir) = location.file().and_then(Path::parent) {
        create_private_dir(dir).map_err(|e| io(dir, e))?;
    }
    let store = RunStore::open_at(&location).map_err(|e| SessionError::Io(e.to_string()))?;
    if let Some(path) = new_file {
        make_private(path).map_err(|e| io(path, e))?;
    }
    Ok(Arc::new(store))
}

/// Creates `dir` (and its missing parents) readable by this user only; an existing folder
/// keeps its permissions (a volume shared on purpose stays shared).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn make_private(file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        Ok(())
    }
}
