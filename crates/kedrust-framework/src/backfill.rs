//! Backfills: one run per partition key, each its own process of the project binary (so one
//! key's crash or memory never reaches another's), at most `parallel` at once. Each run is a
//! whole run: its own pipeline hooks, its key in its run params and tags. The backfill and the
//! outcome of every key live in the run store, so `--resume` reruns exactly the keys that did
//! not succeed, from any process, after any crash of the backfill itself.

use crate::options::{RunOptions, SessionError};
use crate::prepare::prepare;
use crate::project::Project;
use crate::settings::{local_state_dir, open_store};
use kedrust_store::{BACKFILL_TAG, BackfillRecord, RunStatus, RunStore};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The hidden command a backfill starts for each key: it reads its run's options on stdin.
pub const BACKFILL_RUN_COMMAND: &str = "__backfill_run";

/// Which keys a new backfill runs.
#[derive(Debug, Clone)]
pub enum KeySelection {
    /// From one key to another, both included, in the definition's order.
    Range {
        /// The first key.
        from: String,
        /// The last key.
        to: String,
    },
    /// These keys, in this order.
    List(Vec<String>),
}

/// What one key's run came to.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyOutcome {
    /// The run succeeded.
    Succeeded {
        /// The key.
        key: String,
        /// Its run.
        run_id: String,
    },
    /// The run failed, was cancelled, or was refused before it started (no run id then).
    Failed {
        /// The key.
        key: String,
        /// Its run, if it was recorded.
        run_id: Option<String>,
        /// Why, as the run or the process said it.
        message: String,
        /// The run's own output.
        log: PathBuf,
    },
}

/// A backfill's result: the keys it ran this time, in the order they were asked for.
#[derive(Debug, Clone)]
pub struct BackfillSummary {
    /// Its id (what `--resume` takes).
    pub backfill_id: String,
    /// How many keys the backfill has in all.
    pub total_keys: usize,
    /// What the keys run this time came to.
    pub outcomes: Vec<KeyOutcome>,
    /// Keys not launched because the backfill was stopped.
    pub not_launched: Vec<String>,
}

impl BackfillSummary {
    /// Whether every key run this time succeeded and none was left out.
    pub fn succeeded(&self) -> bool {
        self.not_launched.is_empty()
            && self
                .outcomes
                .iter()
                .all(|o| matches!(o, KeyOutcome::Succeeded { .. }))
    }
}

/// Launches a backfill of `options`' job or pipeline over `keys`, at most `parallel` runs at
/// once; `on_done` hears of each key as it ends (with how many have ended and of how many).
/// Every problem of the configuration and of the keys is reported before any run starts.
pub fn backfill(
    project: &Project,
    project_path: &Path,
    options: &RunOptions,
    keys: KeySelection,
    parallel: usize,
    on_done: &(dyn Fn(&KeyOutcome, usize, usize) + Sync),
) -> Result<BackfillSummary, SessionError> {
    let def = crate::partitioned::pipeline_partitions(project, project_path, options)?.ok_or_else(
        || {
            SessionError::Selection(
                "no dataset of the pipeline is partitioned, so there is nothing to backfill (a \
                 catalog entry's `partitions:` makes one)"
                    .into(),
            )
        },
    )?;
    let store = open_store(project, project_path)?;
    let def = crate::dynamic_keys::with_known_keys(def, &store)?;
    let now = chrono::Utc::now();
    let keys = match keys {
        KeySelection::Range { from, to } => def.key_range(&from, &to, now),
        KeySelection::List(keys) => def.listed_keys(&keys, now),
    }
    .map_err(SessionError::Selection)?;
    let Some(first) = keys.first() else {
        return Err(SessionError::Selection(
            "no partition key to backfill".into(),
        ));
    };
    let base = RunOptions {
        partition: None,
        run_id: None,
        parent_run_id: None,
        ..options.clone()
    };
    check_before_launch(project, project_path, &base, first)?;
    let record = BackfillRecord {
        backfill_id: format!(
            "backfill-{}",
            kedrust_catalog::timestamp(std::time::SystemTime::now())
        ),
        job: base.job.clone().unwrap_or_else(|| crate::AD_HOC_JOB.into()),
        options: serde_json::to_value(&base).map_err(|e| SessionError::Io(e.to_string()))?,
        keys: keys.clone(),
        created_ns: kedrust_store::now_ns(),
    };
    store.create_backfill(&record).map_err(store_error)?;
    let launch = Launch {
        project_path,
        store: &store,
        base: &base,
        backfill_id: &record.backfill_id,
    };
    Ok(launch.run(keys.len(), keys, parallel, on_done))
}

/// Runs again the keys of backfill `backfill_id` whose latest run did not succeed (failed,
/// cancelled, refused, or never launched), under the same backfill.
pub fn resume_backfill(
    project: &Project,
    project_path: &Path,
    (backfill_id, again): (&str, serde_json::Value),
    parallel: usize,
    on_done: &(dyn Fn(&KeyOutcome, usize, usize) + Sync),
) -> Result<BackfillSummary, SessionError> {
    let store = open_store(project, project_path)?;
    let Some(record) = store.backfill(backfill_id).map_err(store_error)? else {
        let known = store.backfill_ids(20).map_err(store_error)?;
        let hint = kedrust_pipeline::suggest::hint(backfill_id, known.iter().map(String::as_str));
        return Err(SessionError::Selection(format!(
            "no backfill '{backfill_id}' in the run store{hint}"
        )));
    };
    let mut base: RunOptions = serde_json::from_value(record.options.clone()).map_err(|e| {
        SessionError::Io(format!(
            "backfill {backfill_id}: its options are unreadable: {e}"
        ))
    })?;
    crate::resuming::given_again(
        &mut base,
        again,
        (
            &format!("backfill '{backfill_id}'"),
            &format!("backfill --resume {backfill_id}"),
        ),
    )?;
    let runs = store
        .runs_tagged(BACKFILL_TAG, Some(backfill_id))
        .map_err(store_error)?;
    // A key whose run is still going would run twice at once; a run whose process is gone
    // is an orphan, which the next run fails with its hook, and may be resumed.
    let orphans = store.orphans().map_err(store_error)?;
    if let Some(running) = runs
        .iter()
        .find(|r| r.status == RunStatus::Started && !orphans.iter().any(|o| o.run_id == r.run_id))
    {
        return Err(SessionError::Selection(format!(
            "backfill '{backfill_id}' is still running key {} (run {}): resume it once it has \
             ended",
            running.partition().unwrap_or("?"),
            running.run_id
        )));
    }
    let succeeded = |key: &str| {
        runs.iter()
            .find(|r| r.partition() == Some(key))
            .is_some_and(|r| r.status == RunStatus::Success)
    };
    let keys: Vec<String> = record
        .keys
        .iter()
        .filter(|k| !succeeded(k))
        .cloned()
        .collect();
    if let Some(first) = keys.first() {
        check_before_launch(project, project_path, &base, first)?;
    }
    let launch = Launch {
        project_path,
        store: &store,
        base: &base,
        backfill_id,
    };
    Ok(launch.run(record.keys.len(), keys, parallel, on_done))
}

/// The run of `key` prepared as its process will prepare it: every problem of the
/// configuration (and of the key) before any run starts.
fn check_before_launch(
    project: &Project,
    project_path: &Path,
    base: &RunOptions,
    key: &str,
) -> Result<(), SessionError> {
    let options = RunOptions {
        partition: Some(key.to_owned()),
        ..base.clone()
    };
    let prepared = prepare(project, project_path.to_owned(), &options)?;
    crate::prepare::embedded_executor(&prepared.plan.job, &prepared.plan.executor)
}

fn store_error(e: kedrust_store::StoreError) -> SessionError {
    SessionError::Io(e.to_string())
}

/// What every key's run shares.
struct Launch<'a> {
    project_path: &'a Path,
    store: &'a RunStore,
    base: &'a RunOptions,
    backfill_id: &'a str,
}

impl Launch<'_> {
    fn run(
        &self,
        total_keys: usize,
        keys: Vec<String>,
        parallel: usize,
        on_done: &(dyn Fn(&KeyOutcome, usize, usize) + Sync),
    ) -> BackfillSummary {
        let count = keys.len();
        let queue = Mutex::new(keys.iter().cloned().enumerate().collect::<VecDeque<_>>());
        let done: Mutex<Vec<(usize, KeyOutcome)>> = Mutex::new(Vec::new());
        let next = || queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        std::thread::scope(|scope| {
            for _ in 0..parallel.clamp(1, count.max(1)) {
                scope.spawn(|| {
                    while !kedrust_runner::is_cancelled()
                        && let Some((index, key)) = next()
                    {
                        let outcome = self.run_key(&key);
                        let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
                        done.push((index, outcome));
                        on_done(&done.last().expect("pushed").1, done.len(), count);
                    }
                });
            }
        });
        let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
        done.sort_by_key(|(index, _)| *index);
        let not_launched = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| !done.iter().any(|(index, _)| index == i))
            .map(|(_, k)| k.clone())
            .collect();
        BackfillSummary {
            backfill_id: self.backfill_id.to_owned(),
            total_keys,
            outcomes: done.into_iter().map(|(_, o)| o).collect(),
            not_launched,
        }
    }

    /// One key's run, in a process of its own; its output goes to a log file.
    fn run_key(&self, key: &str) -> KeyOutcome {
        let mut options = RunOptions {
            partition: Some(key.to_owned()),
            ..self.base.clone()
        };
        options
            .tags
            .insert(BACKFILL_TAG.into(), self.backfill_id.to_owned());
        let log = local_state_dir(self.project_path)
            .join("backfills")
            .join(self.backfill_id)
            .join(format!("{}.log", key.replace(['/', '\\'], "_")));
        // This attempt's run, not an earlier attempt's of a resumed backfill.
        let attempt = kedrust_store::now_ns();
        let exit = launch_process(self.project_path, &options, &log);
        let run = self
            .store
            .runs_tagged(BACKFILL_TAG, Some(self.backfill_id))
            .ok()
            .and_then(|runs| {
                runs.into_iter()
                    .find(|r| r.partition() == Some(key) && r.started_ns >= attempt)
            });
        match (exit, run) {
            (Ok(()), Some(run)) if run.status == RunStatus::Success => KeyOutcome::Succeeded {
                key: key.to_owned(),
                run_id: run.run_id,
            },
            (exit, run) => {
                let message = run
                    .as_ref()
                    .and_then(|r| self.failure_message(&r.run_id))
                    .or_else(|| last_error_line(&log))
                    .or(exit.err())
                    .unwrap_or_else(|| "the run did not succeed".into());
                KeyOutcome::Failed {
                    key: key.to_owned(),
                    run_id: run.map(|r| r.run_id),
                    message,
                    log,
                }
            }
        }
    }

    /// The message of the run's failure (or cancellation) event.
    fn failure_message(&self, run_id: &str) -> Option<String> {
        use kedrust_store::EventKind::{RunCanceled, RunFailure};
        let events = self.store.events(run_id).ok()?;
        events
            .into_iter()
            .rev()
            .find(|e| matches!(e.kind, RunFailure | RunCanceled))
            .map(|e| e.message)
    }
}

/// Starts this binary's backfill command on `options` and waits for it.
fn launch_process(project_path: &Path, options: &RunOptions, log: &Path) -> Result<(), String> {
    let request = serde_json::to_vec(options).map_err(|e| e.to_string())?;
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // Every attempt of the key appends, after a line that says when it started.
    let mut output = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let started = kedrust_catalog::timestamp(std::time::SystemTime::now());
    std::io::Write::write_all(
        &mut output,
        format!("== run started {started} ==\n").as_bytes(),
    )
    .map_err(|e| format!("{}: {e}", log.display()))?;
    let errors = output.try_clone().map_err(|e| e.to_string())?;
    let binary = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let mut child = Command::new(binary)
        .arg("--project-dir")
        .arg(project_path)
        .arg(BACKFILL_RUN_COMMAND)
        .stdin(Stdio::piped())
        .stdout(output)
        .stderr(errors)
        .spawn()
        .map_err(|e| format!("cannot start the run: {e}"))?;
    let sent = match child.stdin.take() {
        Some(mut stdin) => std::io::Write::write_all(&mut stdin, &request),
        None => Ok(()),
    };
    // Waited for either way: the process ends when its stdin closes.
    let status = child.wait().map_err(|e| e.to_string())?;
    sent.map_err(|e| format!("cannot send the run its options: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the run's process ended with {status}"))
    }
}

/// The last line of a key's output that says what went wrong (`error: ...`): its latest
/// attempt's, which comes last.
fn last_error_line(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines()
        .rev()
        .take_while(|l| !l.starts_with("== run started "))
        .find_map(|l| l.strip_prefix("error: "))
        .map(str::to_owned)
}

/// The options of one key's run, as its backfill sent them on stdin.
pub fn backfill_run_options() -> Result<RunOptions, SessionError> {
    let mut request = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut request)
        .map_err(|e| SessionError::Io(format!("cannot read the run's options on stdin: {e}")))?;
    serde_json::from_slice(&request)
        .map_err(|e| SessionError::Io(format!("bad run options on stdin: {e}")))
}
