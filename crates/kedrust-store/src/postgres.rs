//! The run store on a PostgreSQL server: its tables (the SQLite file's, with 64-bit integers
//! and an identity column for event ids), created once under a lock however many processes
//! open the store at the same moment, and its schema version.

/// The tables, as the SQLite schema has them at its current version.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kedrust_schema (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    status TEXT NOT NULL,
    started_ns BIGINT NOT NULL,
    ended_ns BIGINT,
    heartbeat_ns BIGINT NOT NULL,
    pid BIGINT NOT NULL,
    parent_run_id TEXT,
    options TEXT NOT NULL,
    plan TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    failure_hook_claimed BIGINT NOT NULL DEFAULT 0,
    keeper TEXT NOT NULL DEFAULT 'process',
    heartbeat_ms BIGINT NOT NULL DEFAULT 1000,
    host TEXT NOT NULL DEFAULT '',
    pid_start BIGINT,
    failure_claimant TEXT,
    failure_hook_done BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL,
    ts_ns BIGINT NOT NULL,
    kind TEXT NOT NULL,
    op TEXT,
    message TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, id);
CREATE TABLE IF NOT EXISTS run_ids (run_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS backfills (
    backfill_id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    options TEXT NOT NULL,
    keys TEXT NOT NULL,
    created_ns BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS dynamic_partitions (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    added_ns BIGINT NOT NULL,
    PRIMARY KEY (name, key)
);
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

/// Serialises the processes creating the tables (`CREATE TABLE IF NOT EXISTS` run at the same
/// moment by two sessions may both try to create the table): a transaction-level advisory
/// lock, with a key of kedrust's own.
const SCHEMA_LOCK: i64 = 0x006b_6564_7275_7374; // "kedrust"

/// How long a connection attempt may take before the store reports the server unreachable.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How long one statement may wait (a lock held by a stuck process, a server under load)
/// before it fails instead of holding up the run.
const STATEMENT_TIMEOUT: &str = "30s";

/// How long a connection may sit idle before the client checks that the server is still
/// there (a server restarted or failed over, a firewall that dropped the connection).
const KEEPALIVE_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// A connection to `url`, with bounded waits.
pub(crate) fn connect(url: &str) -> Result<postgres::Client, String> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e: postgres::Error| format!("not a PostgreSQL connection URL ({e})"))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.keepalives(true).keepalives_idle(KEEPALIVE_IDLE);
    let mut client = config.connect(postgres::NoTls).map_err(|e| {
        format!(
            "cannot connect: {}; is the server running and the URL right (user, host, port, \
             database)?",
            crate::db::postgres_error(&e)
        )
    })?;
    client
        .batch_execute(&format!("SET statement_timeout = '{STATEMENT_TIMEOUT}'"))
        .map_err(|e| crate::db::postgres_error(&e))?;
    Ok(client)
}

/// Connects to `url` and brings its tables to the current schema.
pub(crate) fn open(url: &str) -> Result<postgres::Client, String> {
    let mut client = connect(url)?;
    let mut tx = client
        .transaction()
        .map_err(|e| crate::db::postgres_error(&e))?;
    let pg = |e: postgres::Error| crate::db::postgres_error(&e);
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .map_err(pg)?;
    tx.batch_execute(SCHEMA).map_err(pg)?;
    let version: Option<i64> = tx
        .query_opt("SELECT max(version) FROM kedrust_schema", &[])
        .map_err(pg)?
        .and_then(|row| row.get(0));
    match version {
        Some(v) if v > crate::store::SCHEMA_VERSION => {
            return Err(crate::store::newer_schema(
                v,
                "point KEDRUST_RUN_STORE at another database",
            ));
        }
        Some(_) => {}
        None => {
            tx.execute(
                "INSERT INTO kedrust_schema (version) VALUES ($1)",
                &[&crate::store::SCHEMA_VERSION],
            )
            .map_err(pg)?;
        }
    }
    tx.commit().map_err(pg)?;
    Ok(client)
}
