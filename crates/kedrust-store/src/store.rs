//! The run store's queries, the same for its SQLite file and its PostgreSQL server.
//!
//! **Nothing secret is kept**: every text and value kedrust writes passes through
//! `kedrust_secrets` first (run options, plans, tags, event messages and metadata). Run state
//! is the hooks' own data, kept as they give it.

use crate::backfills::BackfillRecord;
use crate::db::{Db, Sql, sql_params};
use crate::events::{Event, EventKind};
use crate::location::StoreLocation;
use crate::runs::{NewRun, RunRecord, RunStatus};
use kedrust_secrets::{redact, redact_json};
use rusqlite::Connection;
use serde_json::Value as Json;
use std::path::Path;
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
    /// The file, or the server's URL (its password hidden).
    pub path: String,
    /// What SQLite, the server or the file system said.
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
pub(crate) const SCHEMA_VERSION: i64 = 2;

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

pub(crate) const SCHEMA: &str = "
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
-- What each persisted dataset was last saved from (run --only-changed); a table only added.
CREATE TABLE IF NOT EXISTS lineage (
    dataset TEXT NOT NULL,
    partition_key TEXT NOT NULL,
    node TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    data_version TEXT,
    run_id TEXT NOT NULL,
    saved_ns INTEGER NOT NULL,
    PRIMARY KEY (dataset, partition_key)
);
";

/// The run store of a project.
#[derive(Debug)]
pub struct RunStore {
    location: StoreLocation,
    db: Mutex<Db>,
}

impl RunStore {
    /// Opens (creating) the SQLite store at `path`. Several processes may hold it open at once.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_at(&StoreLocation::File(path.to_owned()))
    }

    /// Opens (creating the tables of) the store at `location`: a SQLite file, or a PostgreSQL
    /// database that every host of a run reaches.
    pub fn open_at(location: &StoreLocation) -> Result<Self, StoreError> {
        let fail = |e: &dyn std::fmt::Display| StoreError {
            path: location.to_string(),
            message: e.to_string(),
        };
        let db = match location {
            StoreLocation::File(path) => open_sqlite(path).map_err(|e| fail(&e))?,
            StoreLocation::Postgres(url) => Db::Postgres(
                Box::new(crate::postgres::open(url).map_err(|e| fail(&e))?),
                url.clone(),
            ),
        };
        Ok(Self {
            location: location.clone(),
            db: Mutex::new(db),
        })
    }

    /// Where the store is.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    fn with<T>(&self, f: impl FnOnce(&mut Db) -> Result<T, String>) -> Result<T, StoreError> {
        let mut db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut db).map_err(|message| StoreError {
            path: self.location.to_string(),
            message,
        })
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Sql]) -> Result<usize, StoreError> {
        self.with(|db| db.execute(sql, params))
    }

    pub(crate) fn query(&self, sql: &str, params: &[Sql]) -> Result<Vec<Vec<Sql>>, StoreError> {
        self.with(|db| db.query(sql, params))
    }

    fn row(&self, sql: &str, params: &[Sql]) -> Result<Option<Vec<Sql>>, StoreError> {
        self.with(|db| db.row(sql, params))
    }

    fn run_records(&self, sql: &str, params: &[Sql]) -> Result<Vec<RunRecord>, StoreError> {
        Ok(self
            .query(sql, params)?
            .iter()
            .map(|r| run_record(r))
            .collect())
    }

    /// Takes `run_id` for a run about to be recorded, unless another process took it or a run
    /// has it: whether this call took it. Two runs started in the same millisecond both get
    /// the timestamp as an id; only one may keep it.
    pub fn reserve_run_id(&self, run_id: &str) -> Result<bool, StoreError> {
        self.execute(
            "INSERT INTO run_ids (run_id)
             SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM runs WHERE run_id = ?1)
             ON CONFLICT (run_id) DO NOTHING",
            sql_params![run_id],
        )
        .map(|n| n == 1)
    }

    /// Records a started run and its `RUN_START` event, unless it is recorded already (the ops
    /// of an orchestrated run may start together); whether this call recorded it.
    pub fn create_run(&self, run: &NewRun) -> Result<bool, StoreError> {
        crate::check_run_id(&run.run_id).map_err(|message| StoreError {
            path: self.location.to_string(),
            message,
        })?;
        let now = now_ns();
        let created = self.execute(
            "INSERT INTO runs (run_id, job, status, started_ns, heartbeat_ns, pid, parent_run_id, options, plan, tags, keeper, heartbeat_ms, host, pid_start)
             VALUES (?1, ?2, 'STARTED', ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (run_id) DO NOTHING",
            sql_params![
                &run.run_id,
                &run.job,
                now,
                i64::from(run.pid),
                run.parent_run_id.as_ref(),
                redact_json(&run.options).to_string(),
                redact_json(&run.plan).to_string(),
                redact(&serde_json::to_string(&run.tags).unwrap_or_default()),
                run.keeper.as_str(),
                run.keeper.heartbeat_ms(),
                crate::this_host(),
                crate::process_start(run.pid).map(|s| s as i64),
            ],
        )? == 1;
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
        let changed = self.execute(
            "UPDATE runs SET status = ?2, ended_ns = ?3 WHERE run_id = ?1 AND status = 'STARTED'",
            sql_params![run_id, status.as_str(), now_ns()],
        )?;
        Ok(changed == 1)
    }

    /// The orchestrator is alive.
    pub fn heartbeat(&self, run_id: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE runs SET heartbeat_ns = ?2 WHERE run_id = ?1",
            sql_params![run_id, now_ns()],
        )
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
        self.execute(
            "INSERT INTO events (run_id, ts_ns, kind, op, message, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            sql_params![
                run_id,
                now_ns(),
                kind.as_str(),
                op,
                redact(message),
                redact_json(&metadata).to_string()
            ],
        )
        .map(|_| ())
    }

    /// The right to fire `on_pipeline_error` for a run: granted to one process, and only while
    /// the run is started (never for a run that ended, successfully or not). A claimant that
    /// died before it finished firing (on this host: its process is gone) hands the claim on,
    /// so the hook is not lost with it.
    pub fn claim_failure_hook(&self, run_id: &str) -> Result<FailureClaim, StoreError> {
        let me = crate::keeper::Claimant::this_process();
        let mine = serde_json::to_string(&me).unwrap_or_default();
        let first = self.execute(
            "UPDATE runs SET failure_hook_claimed = 1, failure_claimant = ?2
             WHERE run_id = ?1 AND failure_hook_claimed = 0 AND failure_hook_done = 0
             AND status = 'STARTED'",
            sql_params![run_id, &mine],
        )?;
        if first == 1 {
            return Ok(FailureClaim::Granted);
        }
        let held = self.row(
            "SELECT status, failure_claimant, failure_hook_done FROM runs WHERE run_id = ?1",
            sql_params![run_id],
        )?;
        let holder = match held.as_deref() {
            Some([status, Sql::Text(holder), done])
                if status.text() == "STARTED" && done.int() == 0 =>
            {
                holder.clone()
            }
            Some([status, Sql::Null, done]) if status.text() == "STARTED" && done.int() == 0 => {
                return Ok(FailureClaim::Held);
            }
            _ => return Ok(FailureClaim::Done),
        };
        let gone =
            serde_json::from_str::<crate::keeper::Claimant>(&holder).is_ok_and(|h| h.is_gone());
        if !gone {
            return Ok(FailureClaim::Held);
        }
        let taken = self.execute(
            "UPDATE runs SET failure_claimant = ?3
             WHERE run_id = ?1 AND failure_claimant = ?2 AND failure_hook_done = 0",
            sql_params![run_id, &holder, &mine],
        )?;
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
        let inserted = self.execute(
            "INSERT INTO run_state (run_id, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (run_id, key) DO NOTHING",
            sql_params![run_id, key, &mine],
        )?;
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
        let taken = self.execute(
            "UPDATE run_state SET value = ?4 WHERE run_id = ?1 AND key = ?2 AND value = ?3",
            sql_params![run_id, key, &held, &mine],
        )?;
        Ok(taken == 1)
    }

    /// `on_pipeline_error` of a run finished firing (whatever the hooks said).
    pub fn failure_hook_fired(&self, run_id: &str) -> Result<(), StoreError> {
        self.execute(
            "UPDATE runs SET failure_hook_done = 1 WHERE run_id = ?1",
            sql_params![run_id],
        )
        .map(|_| ())
    }

    /// Started runs that `keeper` keeps alive, oldest first (the runs an external
    /// orchestrator's failure handler still has to look at).
    pub fn open_runs(&self, keeper: &str) -> Result<Vec<RunRecord>, StoreError> {
        self.run_records(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE status = 'STARTED' AND keeper = ?1 ORDER BY started_ns"
            ),
            sql_params![keeper],
        )
    }

    /// Runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        self.run_records(
            &format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY started_ns DESC LIMIT ?1"),
            sql_params![i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    /// Runs with tag `name` (set to `value`, when given), newest first.
    pub fn runs_tagged(
        &self,
        name: &str,
        value: Option<&str>,
    ) -> Result<Vec<RunRecord>, StoreError> {
        // The text search narrows the rows (both databases can); the parsed tags decide.
        let quoted = Json::String(name.to_owned()).to_string();
        let like = format!(
            "%{}%",
            quoted
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let runs = self.run_records(
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE tags LIKE ?1 ESCAPE '\\'
                 ORDER BY started_ns DESC, run_id DESC"
            ),
            sql_params![like],
        )?;
        Ok(runs
            .into_iter()
            .filter(|r| match (r.tags.get(name), value) {
                (Some(_), None) => true,
                (Some(found), Some(wanted)) => found == wanted,
                (None, _) => false,
            })
            .collect())
    }

    /// Records a backfill about to launch its runs.
    pub fn create_backfill(&self, backfill: &BackfillRecord) -> Result<(), StoreError> {
        let keys = Json::from(backfill.keys.clone()).to_string();
        self.execute(
            "INSERT INTO backfills (backfill_id, job, options, keys, created_ns)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            sql_params![
                &backfill.backfill_id,
                &backfill.job,
                redact_json(&backfill.options).to_string(),
                keys,
                backfill.created_ns
            ],
        )
        .map(|_| ())
    }

    /// One backfill.
    pub fn backfill(&self, backfill_id: &str) -> Result<Option<BackfillRecord>, StoreError> {
        let row = self.row(
            "SELECT backfill_id, job, options, keys, created_ns FROM backfills
             WHERE backfill_id = ?1",
            sql_params![backfill_id],
        )?;
        Ok(row.map(|r| BackfillRecord {
            backfill_id: r[0].text(),
            job: r[1].text(),
            options: serde_json::from_str(&r[2].text()).unwrap_or(Json::Null),
            keys: serde_json::from_str(&r[3].text()).unwrap_or_default(),
            created_ns: r[4].int(),
        }))
    }

    /// The ids of the latest backfills, newest first (to suggest one for a mistyped id).
    pub fn backfill_ids(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        self.texts(
            "SELECT backfill_id FROM backfills ORDER BY created_ns DESC LIMIT ?1",
            sql_params![i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    /// The first column of every row, as text.
    fn texts(&self, sql: &str, params: &[Sql]) -> Result<Vec<String>, StoreError> {
        Ok(self
            .query(sql, params)?
            .iter()
            .map(|r| r[0].text())
            .collect())
    }

    /// Adds `keys` to dynamic partitions `name` (keys it has are kept as they are); how many
    /// were new.
    pub fn add_dynamic_partitions(&self, name: &str, keys: &[String]) -> Result<usize, StoreError> {
        let now = now_ns();
        self.with(|db| {
            let mut added = 0;
            for (i, key) in keys.iter().enumerate() {
                // Keys added together keep their order.
                added += db.execute(
                    "INSERT INTO dynamic_partitions (name, key, added_ns) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name, key) DO NOTHING",
                    sql_params![name, key, now + i as i64],
                )?;
                db.execute(
                    "DELETE FROM dynamic_partitions_deleted WHERE name = ?1 AND key = ?2",
                    sql_params![name, key],
                )?;
            }
            Ok(added)
        })
    }

    /// The keys of dynamic partitions `name`, in the order they were added.
    pub fn dynamic_partitions(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.texts(
            "SELECT key FROM dynamic_partitions WHERE name = ?1 ORDER BY added_ns, key",
            sql_params![name],
        )
    }

    /// Removes `key` from dynamic partitions `name`, noting that it was deleted; whether it
    /// was there.
    pub fn delete_dynamic_partition(&self, name: &str, key: &str) -> Result<bool, StoreError> {
        self.with(|db| {
            let deleted = db.execute(
                "DELETE FROM dynamic_partitions WHERE name = ?1 AND key = ?2",
                sql_params![name, key],
            )?;
            if deleted == 1 {
                db.execute(
                    "INSERT INTO dynamic_partitions_deleted (name, key) VALUES (?1, ?2)
                     ON CONFLICT (name, key) DO NOTHING",
                    sql_params![name, key],
                )?;
            }
            Ok(deleted == 1)
        })
    }

    /// The keys deleted from dynamic partitions `name` and not added since.
    pub fn deleted_dynamic_partitions(&self, name: &str) -> Result<Vec<String>, StoreError> {
        self.texts(
            "SELECT key FROM dynamic_partitions_deleted WHERE name = ?1 ORDER BY key",
            sql_params![name],
        )
    }

    /// One run.
    pub fn run(&self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        Ok(self
            .run_records(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"),
                sql_params![run_id],
            )?
            .into_iter()
            .next())
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
        let started = self.open_runs(crate::keeper::PROCESS)?;
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
        self.query_events("WHERE run_id = ?1", sql_params![run_id])
    }

    /// A run's events of one op, in order.
    pub fn events_in_op(&self, run_id: &str, op: &str) -> Result<Vec<Event>, StoreError> {
        self.query_events("WHERE run_id = ?1 AND op = ?2", sql_params![run_id, op])
    }

    fn query_events(&self, filter: &str, params: &[Sql]) -> Result<Vec<Event>, StoreError> {
        let rows = self.query(
            &format!(
                "SELECT id, run_id, ts_ns, kind, op, message, metadata FROM events {filter} ORDER BY id"
            ),
            params,
        )?;
        Ok(rows
            .iter()
            .map(|r| Event {
                id: r[0].int(),
                run_id: r[1].text(),
                ts_ns: r[2].int(),
                kind: EventKind::parse(&r[3].text()).unwrap_or(EventKind::EngineEvent),
                op: r[4].opt_text(),
                message: r[5].text(),
                metadata: serde_json::from_str(&r[6].text()).unwrap_or(Json::Null),
            })
            .collect())
    }

    /// Sets a run's state value (hooks keep pipeline-level state here). Kept as given: it is
    /// data hooks read back, so hiding a part of it would change it; a hook keeps no secret
    /// in it (kedrust's own hooks keep none).
    pub fn set_state(&self, run_id: &str, key: &str, value: &Json) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO run_state (run_id, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
            sql_params![run_id, key, value.to_string()],
        )
        .map(|_| ())
    }

    /// Sets a run's state value unless it is set; whether this call set it. Of many processes
    /// claiming the same key of a run, exactly one gets `true`.
    pub fn claim_state(&self, run_id: &str, key: &str, value: &Json) -> Result<bool, StoreError> {
        let changed = self.execute(
            "INSERT INTO run_state (run_id, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (run_id, key) DO NOTHING",
            sql_params![run_id, key, value.to_string()],
        )?;
        Ok(changed == 1)
    }

    /// A run's state value.
    pub fn state(&self, run_id: &str, key: &str) -> Result<Option<Json>, StoreError> {
        let text = self.state_text(run_id, key)?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// A run's state value as stored (claims compare it to the letter).
    fn state_text(&self, run_id: &str, key: &str) -> Result<Option<String>, StoreError> {
        let row = self.row(
            "SELECT value FROM run_state WHERE run_id = ?1 AND key = ?2",
            sql_params![run_id, key],
        )?;
        Ok(row.and_then(|r| r[0].opt_text()))
    }
}

const RUN_COLUMNS: &str = "run_id, job, status, started_ns, ended_ns, heartbeat_ns, pid, parent_run_id, options, plan, tags, keeper, heartbeat_ms, host, pid_start";

/// Opens the SQLite file at `path`, creating it and its tables, migrating an older schema.
fn open_sqlite(path: &Path) -> Result<Db, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let conn = Connection::open(path).map_err(|e| e.to_string())?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => format!(
                "{e}: it is not a run store; move it away (a new store is created) or set \
                 KEDRUST_RUN_STORE to another file"
            ),
            _ => e.to_string(),
        })?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if version > SCHEMA_VERSION {
        return Err(newer_schema(
            version,
            "move the file away to start a new store",
        ));
    }
    conn.execute_batch(SCHEMA).map_err(|e| e.to_string())?;
    add_missing_columns(&conn).map_err(|e| e.to_string())?;
    if version < SCHEMA_VERSION {
        conn.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(|e| e.to_string())?;
    }
    Ok(Db::Sqlite(conn))
}

/// Why a store of schema `version` is refused, and what else to do (`elsewhere`).
pub(crate) fn newer_schema(version: i64, elsewhere: &str) -> String {
    format!(
        "written by a newer kedrust (run store schema {version}; this one reads up to \
         {SCHEMA_VERSION}): use that kedrust, or {elsewhere}"
    )
}

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

fn run_record(r: &[Sql]) -> RunRecord {
    RunRecord {
        run_id: r[0].text(),
        job: r[1].text(),
        status: RunStatus::parse(&r[2].text()),
        started_ns: r[3].int(),
        ended_ns: r[4].opt_int(),
        heartbeat_ns: r[5].int(),
        pid: u32::try_from(r[6].int()).unwrap_or_default(),
        parent_run_id: r[7].opt_text(),
        tags: serde_json::from_str(&r[10].text()).unwrap_or_default(),
        keeper: r[11].text(),
        heartbeat_ms: r[12].int(),
        host: r[13].text(),
        pid_start: r[14].opt_int().map(|s| s as u64),
        options: serde_json::from_str(&r[8].text()).unwrap_or(Json::Null),
        plan: serde_json::from_str(&r[9].text()).unwrap_or(Json::Null),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Runs `test` on a new SQLite file, then on a new PostgreSQL schema; `open` opens one
    /// more handle on the same store (as another process would).
    pub(crate) fn each_store(test: impl Fn(&dyn Fn() -> RunStore)) {
        let dir = tempfile::tempdir().unwrap();
        let file = StoreLocation::File(dir.path().join("runs.db"));
        test(&|| RunStore::open_at(&file).unwrap());
        let schema = kedrust_testkit::PostgresSchema::new();
        let server = StoreLocation::Postgres(schema.url());
        test(&|| RunStore::open_at(&server).unwrap());
    }

    #[test]
    fn postgres_holds_the_same_store_and_one_claim_wins_among_many_connections() {
        let schema = kedrust_testkit::PostgresSchema::new();
        let location = StoreLocation::Postgres(schema.url());
        // Opened at the same moment by many processes: the tables are created once.
        let stores: Vec<RunStore> = std::thread::scope(|s| {
            let opening: Vec<_> = (0..8)
                .map(|_| s.spawn(|| RunStore::open_at(&location).unwrap()))
                .collect();
            opening.into_iter().map(|h| h.join().unwrap()).collect()
        });
        stores[0].create_run(&run("r1")).unwrap();
        let granted = std::thread::scope(|s| {
            let claims: Vec<_> = stores
                .iter()
                .map(|store| s.spawn(|| store.claim_state("r1", "end", &Json::from(true)).unwrap()))
                .collect();
            claims
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|won| *won)
                .count()
        });
        assert_eq!(granted, 1, "exactly one connection claims the key");
        let tagged = stores[3].runs_tagged("kedrust/env", Some("local")).unwrap();
        assert_eq!(tagged.len(), 1);
        assert!(
            stores[3]
                .runs_tagged("kedrust/env", Some("prod"))
                .unwrap()
                .is_empty()
        );
        assert!(
            stores[3]
                .runs_tagged("kedrust_env", None)
                .unwrap()
                .is_empty(),
            "'_' is no wildcard"
        );
        let events = stores[5].events("r1").unwrap();
        assert_eq!(events[0].kind, EventKind::RunStart);
    }

    #[test]
    fn a_postgres_store_connects_again_when_its_connection_is_lost() {
        let schema = kedrust_testkit::PostgresSchema::new();
        let name = format!("kedrust_reconnect_{}", std::process::id());
        let location = StoreLocation::Postgres(format!("{}&application_name={name}", schema.url()));
        let store = RunStore::open_at(&location).unwrap();
        store.create_run(&run("r1")).unwrap();
        // The server ends the connection (a restart, a failover, an idle timeout).
        schema.execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"
        ));
        assert_eq!(store.run("r1").unwrap().unwrap().run_id, "r1");
        assert!(store.claim_state("r1", "k", &Json::from(1)).unwrap());
    }

    #[test]
    fn a_postgres_store_of_a_newer_kedrust_is_refused_and_an_unreachable_one_named() {
        let schema = kedrust_testkit::PostgresSchema::new();
        let location = StoreLocation::Postgres(schema.url());
        drop(RunStore::open_at(&location).unwrap());
        schema.execute("INSERT INTO kedrust_schema VALUES (99)");
        let error = RunStore::open_at(&location).unwrap_err().to_string();
        assert!(
            error.ends_with("point KEDRUST_RUN_STORE at another database"),
            "{error}"
        );
        // Nothing listens on port 9: the error names the server, its password hidden.
        let nowhere =
            StoreLocation::Postgres("postgresql://kedrust:s3cret@127.0.0.1:9/runs".into());
        let error = RunStore::open_at(&nowhere).unwrap_err().to_string();
        assert!(
            error
                .starts_with("run store postgresql://kedrust:***@127.0.0.1:9/runs: cannot connect"),
            "{error}"
        );
        assert!(!error.contains("s3cret"), "{error}");
    }

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
        each_store(|open| {
            let store = open();
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
            let other = open();
            assert_eq!(
                other.state("r1", "mlflow_run").unwrap(),
                Some(serde_json::json!("abc"))
            );
            let kinds: Vec<EventKind> =
                other.events("r1").unwrap().iter().map(|e| e.kind).collect();
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
        });
    }

    #[test]
    fn a_run_is_recorded_once_and_a_success_is_never_claimed_for_failure() {
        each_store(|open| {
            let store = open();
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
        });
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_runs_whose_orchestrator_process_is_gone_are_orphans() {
        each_store(|open| {
            let store = open();
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
        });
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failure_claim_whose_claimant_died_before_firing_is_handed_on() {
        each_store(|open| {
            let store = open();
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
                .execute(
                    "UPDATE runs SET failure_hook_claimed = 1, failure_claimant = ?2 WHERE run_id = ?1",
                    sql_params!["r1", who],
                )
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
        });
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
        each_store(|open| {
            let store = open();
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
        });
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
