//! The SQLite file and its queries.
//!
//! **Nothing secret is kept**: every text and value kedrust writes passes through
//! `kedrust_secrets` first (run options, plans, tags, event messages and metadata). Run state
//! is the hooks' own data, kept as they give it.

use crate::backfills::BackfillRecord;
use crate::events::{Event, EventKind};
use crate::runs::{NewRun, RunRecord, RunStatus};
use kedrust_secrets::{redact, redact_json};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What [`RunStore::claim_failure_hook`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClaim {
    /// This process fires `on_pipeline_error`, then ends the run.
    Granted,
    /// It fired already, or the run ended (or is unknown): end the run if it is still open.
    Done,
    /// A live process is firing it, and will end the run.
    Held,
}

/// A run store problem.
#[derive(Debug, thiserror::Error)]
#[error("run store {path}: {message}")]
pub struct StoreError {
    /// The file.
    pub path: String,
    /// What SQLite or the file system said.
    pub message: String,
}

/// Nanoseconds since the epoch.
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The schema this kedrust writes (SQLite's `user_version`): 1 was the first, 2 added who keeps
/// a run alive and who claimed its failure hook. A store of a newer schema is refused; an
/// older one is migrated when opened.
const SCHEMA_VERSION: i64 = 2;

/// Columns added after the first schema (new stores have them from the start), added to older
/// stores when they are opened.
const ADDED_RUN_COLUMNS: [(&str, &str); 6] = [
    ("keeper", "TEXT NOT NULL DEFAULT 'process'"),
    ("heartbeat_ms", "INTEGER NOT NULL DEFAULT 1000"),
    ("host", "TEXT NOT NULL DEFAULT ''"),
    ("pid_start", "INTEGER"),
    // Who claimed on_pipeline_error (JSON: host, pid, start), and whether it finished firing.
    ("failure_claimant", "TEXT"),
    ("failure_hook_done", "INTEGER NOT NULL DEFAULT 0"),
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    status TEXT NOT NULL,
    started_ns INTEGER NOT NULL,
    ended_ns INTEGER,
    heartbeat_ns INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    parent_run_id TEXT,
    options TEXT NOT NULL,
    plan TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    failure_hook_claimed INTEGER NOT NULL DEFAULT 0,
    keeper TEXT NOT NULL DEFAULT 'process',
    heartbeat_ms INTEGER NOT NULL DEFAULT 1000,
    host TEXT NOT NULL DEFAULT '',
    pid_start INTEGER,
    failure_claimant TEXT,
    failure_hook_done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    ts_ns INTEGER NOT NULL,
    kind TEXT NOT NULL,
    op TEXT,
    message TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, id);
-- Run ids handed out to runs not yet recorded; a table only added, so no new schema version.
CREATE TABLE IF NOT EXISTS run_ids (run_id TEXT PRIMARY KEY);
-- Backfills; a table only added, so no new schema version.
CREATE TABLE IF NOT EXISTS backfills (
    backfill_id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    options TEXT NOT NULL,
    keys TEXT NOT NULL,
    created_ns INTEGER NOT NULL
);
-- Keys of dynamic partitions, by definition name; a table only added.
CREATE TABLE IF NOT EXISTS dynamic_partitions (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    added_ns INTEGER NOT NULL,
    PRIMARY KEY (name, key)
);
-- Keys deleted from dynamic partitions, until added again (an orchestrator that keeps its
-- own copy of the keys deletes them there too); a table only added.
CREATE TABLE IF NOT EXISTS dynamic_partitions_deleted (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE TABLE IF NOT EXISTS run_state (
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
";

/// The run store of a project.
#[derive(Debug)]
pub struct RunStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl RunStore {
    /// Opens (creating) the store at `path`. Several processes may hold it open at once.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let fail = |e: &dyn std::fmt::Display| StoreError {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(&e))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| fail(&e))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => fail(&format!(
                    "{e}: it is not a run store; move it away (a new store is created) or set \
                     KEDRUST_RUN_STORE to another file"
                )),
                _ => fail(&e),
            })?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| fail(&e))?;
        if version > SCHEMA_VERSION {
            return Err(fail(&format!(
                "written by a newer kedrust (run store schema {version}; this one reads up to \
                 {SCHEMA_VERSION}): use that kedrust, or move the file away to start a new store"
            )));
        }
        conn.execute_batch(SCHEMA).map_err(|e| fail(&e))?;
        add_missing_columns(&conn).map_err(|e| fail(&e))?;
        if version < SCHEMA_VERSION {
            conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
                .map_err(|e| fail(&e))?;
        }
        Ok(Self {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn).map_err(|e| StoreError {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Takes `run_id` for a run about to be recorded, unless another process took it or a run
    /// has it: whether this call took it. Two runs started in the same millisecond both get
    /// the timestamp as an id; only one may keep it.
    pub fn reserve_run_id(&self, run_id: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO run_ids (run_id)
                 SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM runs WHERE run_id = ?1)",
                params![run_id],
            )
        })
        .map(|n| n == 1)
    }

    /// Records a started run and its `RUN_START` event, unless it is recorded already (the ops
    /// of an orchestrated run may start together); whether this call recorded it.
    pub fn create_run(&self, run: &NewRun) -> Result<bool, StoreError> {
        crate::check_run_id(&run.run_id).map_err(|message| StoreError {
            path: self.path.display().to_string(),
            message,
        })?;
        let now = now_ns();
        let created = self.with(|c| {
            c.execute(
                "INSERT INTO runs (run_id, job, status, started_ns, heartbeat_ns, pid, parent_run_id, options, plan, tags, keeper, heartbeat_ms, host, pid_start)
                 VALUES (?1, ?2, 'STARTED', ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (run_id) DO NOTHING",
                params![
                    run.run_id,
                    run.job,
                    now,
                    run.pid,
                    run.parent_run_id,
                    redact_json(&run.options).to_string(),
                    redact_json(&run.plan).to_string(),
                    redact(&serde_json::to_string(&run.tags).unwrap_or_default()),
                    run.keeper.as_str(),
                    run.keeper.heartbeat_ms(),
                    crate::this_host(),
                    crate::process_start(run.pid).map(|s| s as i64),
                ],
            )
        })? == 1;
        if created {
            self.event(
                &run.run_id,
                EventKind::RunStart,
                None,
                &format!("started run {} of job {}", run.run_id, run.job),
                serde_json::json!({"pid": run.pid, "parent_run_id": run.parent_run_id, "keeper": run.keeper.as_str()}),
            )?;
        }
        Ok(created)
    }

    /// Ends a run with `status` (only a started run changes; returns whether it did).
    pub fn finish(&self, run_id: &str, status: RunStatus) -> Result<bool, StoreError> {
        let changed = self.with(|c| {
            c.execute(
                "UPDATE runs SET status = ?2, ended_ns = ?3 WHERE run_id = ?1 AND status = 'STARTED'",
                params![run_id, status.as_str(), now_ns()],
            )
        })?;
        Ok(changed == 1)
    }

    /// The orchestrator is alive.
    pub fn heartbeat(&self, run_id: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE runs SET heartbeat_ns = ?2 WHERE run_id = ?1",
                params![run_id, now_ns()],
            )
        })
        .map(|_| ())
    }

    /// Appends an event.
    pub fn event(
        &self,
        run_id: &str,
        kind: EventKind,
        op: Option<&str>,
        message: &str,
        metadata: Json,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO events (run_id, ts_ns, kind, op, message, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    run_id,
                    now_ns(),
                    kind.as_str(),
                    op,
                    redact(message),
                    redact_json(&metadata).to_string()
                ],
            )
        })
        .map(|_| ())
    }

    /// The right to fire `on_pipeline_error` for a run: granted to one process, and only while
    /// the run is started (never for a run that ended, successfully or not). A claimant that
    /// died before it finished firing (on this host: its process is gone) hands the claim on,
    /// so the hook is not lost with it.
    pub fn claim_failure_hook(&self, run_id: &str) -> Result<FailureClaim, StoreError> {
        let me = crate::keeper::Claimant::this_process();
        let mine = serde_json::to_string(&me).unwrap_or_default();
        let first = self.with(|c| {
            c.execute(
                "UPDATE runs SET failure_hook_claimed = 1, failure_claimant = ?2
                 WHERE run_id = ?1 AND failure_hook_claimed = 0 AND failure_hook_done = 0
                 AND status = 'STARTED'",
                params![run_id, mine],
            )
        })?;
        if first == 1 {
            return Ok(FailureClaim::Granted);
        }
        let held: Option<(String, Option<String>, i64)> = self.with(|c| {
            c.query_row(
                "SELECT status, failure_claimant, failure_hook_done FROM runs WHERE run_id = ?1",
                params![run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })?;
        let holder = match held {
            Some((status, Some(holder), 0)) if status == "STARTED" => holder,
            Some((status, None, 0)) if status == "STARTED" => return Ok(FailureClaim::Held),
            _ => return Ok(FailureClaim::Done),
        };
        let gone =
            serde_json::from_str::<crate::keeper::Claimant>(&holder).is_ok_and(|h| h.is_gone());
        if !gone {
            return Ok(FailureClaim::Held);
        }
        let taken = self.with(|c| {
            c.execute(
                "UPDATE runs SET failure_claimant = ?3
                 WHERE run_id = ?1 AND failure_claimant = ?2 AND failure_hook_done = 0",
                params![run_id, holder, mine],
            )
        })?;
        Ok(if taken == 1 {
            FailureClaim::Granted
        } else {
            FailureClaim::Held
        })
    }

    /// Claims `key` of a run for this process (its identity is the value), or takes it over
    /// from a claimant that died (on this host); whether this process holds it now.
    pub fn claim_for_this_process(&self, run_id: &str, key: &str) -> Result<bool, StoreError> {
        let mine =
            serde_json::to_string(&crate::keeper::Claimant::this_process()).unwrap_or_default();
        let inserted = self.with(|c| {
            c.execute(
                "INSERT INTO run_state (run_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (run_id, key) DO NOTHING",
                params![run_id, key, mine],
            )
        })?;
        if inserted == 1 {
            return Ok(true);
        }
        let Some(held) = self.state_text(run_id, key)? else {
            return Ok(false);
        };
        if held == mine {
            return Ok(true);
        }
        let gone =
            serde_json::from_str::<crate::keeper::Claimant>(&held).is_ok_and(|h| h.is_gone());
        if !gone {
            return Ok(false);
        }
        let taken = self.with(|c| {
            c.execute(
                "UPDATE run_state SET value = ?4 WHERE run_id = ?1 AND key = ?2 AND value = ?3",
                params![run_id, key, held, mine],
            )
        })?;
        Ok(taken == 1)
    }

    /// `on_pipeline_error` of a run finished firing (whatever the hooks said).
    pub fn failure_hook_fired(&self, run_id: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE runs SET failure_hook_done = 1 WHERE run_id = ?1",
                params![run_id],
            )
        })
        .map(|_| ())
    }

    /// Started runs that `keeper` keeps alive, oldest first (the runs an external
    /// orchestrator's failure handler still has to look at).
    pub fn open_runs(&self, keeper: &str) -> Result<Vec<RunRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE status = 'STARTED' AND keeper = ?1 ORDER BY started_ns"
            ))?;
            let rows = stmt.query_map(params![keeper], run_record)?;
            rows.collect()
        })
    }

    /// Runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY started_ns DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map(params![limit as i64], run_record)?;
            rows.collect()
        })
    }

    /// Runs with tag `name` (set to `value`, when given), newest first.
    pub fn runs_tagged(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> Result<Vec<RunRecord>, StoreError> {
        // The tag name is a JSON path member, quoted so that '/' in Dagster's names is kept.
        let path = format!("$.{}", Json::String(name.to_owned()));
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE json_extract(tags, ?1) IS NOT NULL
                 AND (?2 IS NULL OR json_extract(tags, ?1) = ?2)
                 ORDER BY started_ns DESC, run_id DESC"
            ))?;
            let rows = stmt.query_map(params![path, value], run_record)?;
            rows.collect()
        })
    }

    /// Records a backfill about to launch its runs.
    pub fn create_backfill(&self, backfill: &BackfillRecord) -> Result<(), StoreError> {
        let keys = Json::from(backfill.keys.clone()).to_string();
        self.with(|c| {
            c.execute(
                "INSERT INTO backfills (backfill_id, job, options, keys, created_ns)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    backfill.backfill_id,
                    backfill.job,
                    redact_json(&backfill.options).to_string(),
                    keys,
                    backfill.created_ns
                ],
            )
        })
        .map(|_| ())
    }

    /// One backfill.
    pub fn backfill(&self, backfill_id: &str) -> Result<Option<BackfillRecord>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT backfill_id, job, options, keys, created_ns FROM backfills
                 WHERE backfill_id = ?1",
                params![backfill_id],
                |r| {
                    let options: String = r.get(2)?;
                    let keys: String = r.get(3)?;
                    Ok(BackfillRecord {
                        backfill_id: r.get(0)?,
                        job: r.get(1)?,
                        options: serde_json::from_str(&options).unwrap_or(Json::Null),
                        keys: serde_json::from_str(&keys).unwrap_or_default(),
                        created_ns: r.get(4)?,
                    })
                },
            )
            .optional()
        })
    }

    /// The ids of the latest backfills, newest first (to suggest one for a mistyped id).
    pub fn backfill_ids(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT backfill_id FROM backfills ORDER BY created_ns DESC LIMIT ?1")?;
            let rows = stmt.query_map(params![limit as i64], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// Adds `keys` to dynamic partitions `name` (keys it has are kept as they are); how many
    /// were new.
    pub fn add_dynamic_partitions(&self, name: &str, keys: &[String]) -> Result<usize, StoreError> {
        let now = now_ns();
        self.with(|c| {
            let mut added = 0;
            for (i, key) in keys.iter().enumerate() {
                // Keys added together keep their order.
                added += c.execute(
                    "INSERT OR IGNORE INTO dynamic_partitions (name, key, added_ns) VALUES (?1, ?2, ?3)",
                    params![name, key, now + i as i64],
                )?;
                c.execute(
                    "DELETE FROM dynamic_partitions_deleted WHERE name = ?1 AND key = ?2",
                    params![name, key],
                )?;
            }
            Ok(added)
        })
    }

    /// The keys of dynamic partitions `name`, in the order they were added.
    pub fn dynamic_partitions(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT key FROM dynamic_partitions WHERE name = ?1 ORDER BY added_ns, key",
            )?;
            let rows = stmt.query_map(params![name], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// Removes `key` from dynamic partitions `name`, noting that it was deleted; whether it
    /// was there.
    pub fn delete_dynamic_partition(&self, name: &str, key: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let deleted = c.execute(
                "DELETE FROM dynamic_partitions WHERE name = ?1 AND key = ?2",
                params![name, key],
            )?;
            if deleted == 1 {
                c.execute(
                    "INSERT OR IGNORE INTO dynamic_partitions_deleted (name, key) VALUES (?1, ?2)",
                    params![name, key],
                )?;
            }
            Ok(deleted == 1)
        })
    }

    /// The keys deleted from dynamic partitions `name` and not added since.
    pub fn deleted_dynamic_partitions(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT key FROM dynamic_partitions_deleted WHERE name = ?1 ORDER BY key",
            )?;
            let rows = stmt.query_map(params![name], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// One run.
    pub fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"),
                params![run_id],
                run_record,
            )
            .optional()
        })
    }

    /// Started runs of an embedded orchestrator that is gone: on this host, its process no
    /// longer lives; elsewhere, it missed [`crate::MISSED_HEARTBEATS`] of its own heartbeats.
    /// Runs an external orchestrator keeps are never orphans here.
    pub fn orphans(&self) -> Result<Vec<RunRecord>, StoreError> {
        self.orphans_at(now_ns())
    }

    /// [`Self::orphans`] as they are at `now` (nanoseconds since the epoch): the heartbeat
    /// threshold judged against a given clock.
    pub fn orphans_at(&self, now: i64) -> Result<Vec<RunRecord>, StoreError> {
        let started: Vec<RunRecord> = self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE status = 'STARTED' AND keeper = ?1 ORDER BY started_ns"
            ))?;
            let rows = stmt.query_map(params![crate::keeper::PROCESS], run_record)?;
            rows.collect()
        })?;
        Ok(started
            .into_iter()
            .filter(|r| {
                let age = Duration::from_nanos(now.saturating_sub(r.heartbeat_ns).max(0) as u64);
                crate::keeper::is_gone(&r.host, r.pid, r.pid_start, r.heartbeat_ms, age)
            })
            .collect())
    }

    /// A run's events in order.
    pub fn events(&self, run_id: &str) -> Result<Vec<Event>, StoreError> {
        self.query_events(run_id, None)
    }

    /// A run's events of one op, in order.
    pub fn events_in_op(&self, run_id: &str, op: &str) -> Result<Vec<Event>, StoreError> {
        self.query_events(run_id, Some(op))
    }

    fn query_events(&self, run_id: &str, op: Option<&str>) -> Result<Vec<Event>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT id, run_id, ts_ns, kind, op, message, metadata FROM events
                 WHERE run_id = ?1 AND (?2 IS NULL OR op = ?2) ORDER BY id",
            )?;
            let rows = stmt.query_map(params![run_id, op], |r| {
                let kind: String = r.get(3)?;
                let metadata: String = r.get(6)?;
                Ok(Event {
                    id: r.get(0)?,
                    run_id: r.get(1)?,
                    ts_ns: r.get(2)?,
                    kind: EventKind::parse(&kind).unwrap_or(EventKind::EngineEvent),
                    op: r.get(4)?,
                    message: r.get(5)?,
                    metadata: serde_json::from_str(&metadata).unwrap_or(Json::Null),
                })
            })?;
            rows.collect()
        })
    }

    /// Sets a run's state value (hooks keep pipeline-level state here). Kept as given: it is
    /// data hooks read back, so hiding a part of it would change it; a hook keeps no secret
    /// in it (kedrust's own hooks keep none).
    pub fn set_state(&self, run_id: &str, key: &str, value: &Json) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO run_state (run_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                params![run_id, key, value.to_string()],
            )
        })
        .map(|_| ())
    }

    /// Sets a run's state value unless it is set; whether this call set it. Of many processes
    /// claiming the same key of a run, exactly one gets `true`.
    pub fn claim_state(&self, run_id: &str, key: &str, value: &Json) -> Result<bool, StoreError> {
        let changed = self.with(|c| {
            c.execute(
                "INSERT INTO run_state (run_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (run_id, key) DO NOTHING",
                params![run_id, key, value.to_string()],
            )
        })?;
        Ok(changed == 1)
    }

    /// A run's state value.
    pub fn state(&self, run_id: &str, key: &str) -> Result<Option<Json>, StoreError> {
        let text = self.state_text(run_id, key)?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// A run's state value as stored (claims compare it to the letter).
    fn state_text(&self, run_id: &str, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT value FROM run_state WHERE run_id = ?1 AND key = ?2",
                params![run_id, key],
                |r| r.get(0),
            )
            .optional()
        })
    }
}

const RUN_COLUMNS: &str = "run_id, job, status, started_ns, ended_ns, heartbeat_ns, pid, parent_run_id, options, plan, tags, keeper, heartbeat_ms, host, pid_start";

/// Brings an older store up to the schema. Several processes may open it at once: the write
/// lock taken first serialises them, and each looks again under it.
fn add_missing_columns(conn: &Connection) -> rusqlite::Result<()> {
    let missing = |conn: &Connection| -> rusqlite::Result<Vec<(&str, &str)>> {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('runs')")?;
        let present: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ADDED_RUN_COLUMNS
            .into_iter()
            .filter(|(name, _)| !present.iter().any(|p| p == name))
            .collect())
    };
    if missing(conn)?.is_empty() {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let added = missing(conn).and_then(|columns| {
        columns.into_iter().try_for_each(|(name, declaration)| {
            conn.execute_batch(&format!("ALTER TABLE runs ADD COLUMN {name} {declaration}"))?;
            // Runs Dagster's ops recorded carry Dagster's run id: Dagster keeps them.
            if name == "keeper" {
                conn.execute_batch(
                    "UPDATE runs SET keeper = 'dagster' WHERE tags LIKE '%\"dagster/run_id\"%'",
                )?;
            }
            Ok(())
        })
    });
    match added {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            conn.execute_batch("ROLLBACK")?;
            Err(e)
        }
    }
}

fn run_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let status: String = r.get(2)?;
    let options: String = r.get(8)?;
    let plan: String = r.get(9)?;
    let tags: String = r.get(10)?;
    Ok(RunRecord {
        run_id: r.get(0)?,
        job: r.get(1)?,
        status: RunStatus::parse(&status),
        started_ns: r.get(3)?,
        ended_ns: r.get(4)?,
        heartbeat_ns: r.get(5)?,
        pid: r.get(6)?,
        parent_run_id: r.get(7)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        keeper: r.get(11)?,
        heartbeat_ms: r.get(12)?,
        host: r.get(13)?,
        pid_start: r.get::<_, Option<i64>>(14)?.map(|s| s as u64),
        options: serde_json::from_str(&options).unwrap_or(Json::Null),
        plan: serde_json::from_str(&plan).unwrap_or(Json::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str) -> NewRun {
        NewRun {
            run_id: id.into(),
            job: "run".into(),
            options: serde_json::json!({"env": "local"}),
            plan: serde_json::json!({"ops": []}),
            parent_run_id: None,
            pid: 42,
            keeper: crate::Keeper::Process {
                heartbeat: Duration::from_millis(10),
            },
            tags: [("kedrust/env".to_owned(), "local".to_owned())].into(),
        }
    }

    #[test]
    fn runs_events_state_and_the_failure_claim() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(&dir.path().join("runs.db")).unwrap();
        store.create_run(&run("r1")).unwrap();
        store
            .event(
                "r1",
                EventKind::StepStart,
                Some("a"),
                "a started",
                Json::Null,
            )
            .unwrap();
        store
            .set_state("r1", "mlflow_run", &serde_json::json!("abc"))
            .unwrap();
        // A second process sees the same store.
        let other = RunStore::open(&dir.path().join("runs.db")).unwrap();
        assert_eq!(
            other.state("r1", "mlflow_run").unwrap(),
            Some(serde_json::json!("abc"))
        );
        let kinds: Vec<EventKind> = other.events("r1").unwrap().iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EventKind::RunStart, EventKind::StepStart]);
        assert_eq!(
            store.claim_failure_hook("r1").unwrap(),
            FailureClaim::Granted
        );
        assert_eq!(
            other.claim_failure_hook("r1").unwrap(),
            FailureClaim::Held,
            "exactly once: this process lives and has not finished"
        );
        assert!(store.finish("r1", RunStatus::Failure).unwrap());
        assert!(
            !store.finish("r1", RunStatus::Success).unwrap(),
            "an ended run stays ended"
        );
        assert_eq!(other.run("r1").unwrap().unwrap().status, RunStatus::Failure);
    }

    #[test]
    fn a_run_is_recorded_once_and_a_success_is_never_claimed_for_failure() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(&dir.path().join("runs.db")).unwrap();
        assert!(store.create_run(&run("r1")).unwrap());
        assert!(
            !store.create_run(&run("r1")).unwrap(),
            "the second op to start"
        );
        let starts = store.events("r1").unwrap();
        assert_eq!(starts.len(), 1, "one RUN_START");
        assert!(store.finish("r1", RunStatus::Success).unwrap());
        assert_eq!(store.claim_failure_hook("r1").unwrap(), FailureClaim::Done);
        assert!(store.create_run(&run("../x")).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_runs_whose_orchestrator_process_is_gone_are_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(&dir.path().join("runs.db")).unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let with_pid = |id: &str, pid: u32| NewRun { pid, ..run(id) };
        store.create_run(&with_pid("dead", child.id())).unwrap();
        store
            .create_run(&with_pid("alive", std::process::id()))
            .unwrap();
        store.create_run(&with_pid("done", child.id())).unwrap();
        store.finish("done", RunStatus::Success).unwrap();
        store
            .create_run(&NewRun {
                keeper: crate::Keeper::External {
                    name: "dagster".into(),
                },
                ..with_pid("dagster", child.id())
            })
            .unwrap();
        // An hour later every heartbeat is long stale: on this host only a dead process makes
        // an orphan.
        let later = now_ns() + 3_600 * 1_000_000_000;
        assert!(
            store.orphans_at(later).unwrap().is_empty(),
            "sleep still runs"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        let orphans: Vec<String> = store
            .orphans_at(later)
            .unwrap()
            .into_iter()
            .map(|r| r.run_id)
            .collect();
        assert_eq!(orphans, ["dead"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failure_claim_whose_claimant_died_before_firing_is_handed_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(&dir.path().join("runs.db")).unwrap();
        store.create_run(&run("r1")).unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let dead = serde_json::to_string(&crate::keeper::Claimant::of(child.id())).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        let claimed_by = |who: &str| {
            store
                .with(|c| {
                    c.execute(
                        "UPDATE runs SET failure_hook_claimed = 1, failure_claimant = ?2 WHERE run_id = ?1",
                        params!["r1", who],
                    )
                })
                .unwrap();
        };
        claimed_by(&dead);
        assert_eq!(
            store.claim_failure_hook("r1").unwrap(),
            FailureClaim::Granted,
            "handed on"
        );
        assert_eq!(
            store.claim_failure_hook("r1").unwrap(),
            FailureClaim::Held,
            "this process lives"
        );
        store.failure_hook_fired("r1").unwrap();
        claimed_by(&dead);
        assert_eq!(
            store.claim_failure_hook("r1").unwrap(),
            FailureClaim::Done,
            "a firing that finished is never repeated"
        );
    }

    #[test]
    fn a_store_of_the_first_schema_gains_the_new_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.db");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE runs (run_id TEXT PRIMARY KEY, job TEXT NOT NULL, status TEXT NOT NULL,
             started_ns INTEGER NOT NULL, ended_ns INTEGER, heartbeat_ns INTEGER NOT NULL,
             pid INTEGER NOT NULL, parent_run_id TEXT, options TEXT NOT NULL, plan TEXT NOT NULL,
             tags TEXT NOT NULL DEFAULT '{}', failure_hook_claimed INTEGER NOT NULL DEFAULT 0);
             INSERT INTO runs VALUES ('old', 'run', 'SUCCESS', 1, 2, 1, 7, NULL, '{}', '{}', '{}', 0);",
        )
        .unwrap();
        drop(old);
        let store = RunStore::open(&path).unwrap();
        let old = store.run("old").unwrap().unwrap();
        assert_eq!((old.keeper.as_str(), old.heartbeat_ms), ("process", 1000));
        assert!(store.create_run(&run("new")).unwrap());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_claim_of_a_process_that_died_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(&dir.path().join("runs.db")).unwrap();
        assert!(store.claim_for_this_process("r1", "start").unwrap());
        assert!(
            store.claim_for_this_process("r1", "start").unwrap(),
            "held already"
        );
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let other = crate::keeper::Claimant::of(child.id());
        store
            .set_state("r2", "start", &serde_json::to_value(&other).unwrap())
            .unwrap();
        assert!(
            !store.claim_for_this_process("r2", "start").unwrap(),
            "it lives"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            store.claim_for_this_process("r2", "start").unwrap(),
            "taken over"
        );
    }

    #[test]
    fn a_store_of_a_newer_kedrust_is_refused_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.db");
        drop(RunStore::open(&path).unwrap());
        let newer = Connection::open(&path).unwrap();
        newer.execute_batch("PRAGMA user_version = 99").unwrap();
        drop(newer);
        let error = RunStore::open(&path).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "written by a newer kedrust (run store schema 99; this one reads up to 2): use \
                 that kedrust, or move the file away to start a new store"
            ),
            "{error}"
        );
    }
}
