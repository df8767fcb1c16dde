//! The run store on a PostgreSQL server: its tables (the SQLite file's, with 64-bit integers
//! and an identity column for event ids), created once under a lock however many processes
//! open the store at the same moment, and its schema version.

/// The tables: the SQLite file's, written once there, with PostgreSQL's 64-bit integers and an
/// identity column for event ids, and the table that keeps the schema version (SQLite keeps
/// it in its `user_version`). Derived, so that the two stores' tables cannot drift apart.
fn schema() -> String {
    let tables = crate::store::SCHEMA
        .replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        )
        .replace("INTEGER", "BIGINT");
    format!("CREATE TABLE IF NOT EXISTS kedrust_schema (version BIGINT NOT NULL);\n{tables}")
}

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
    tx.batch_execute(&schema()).map_err(pg)?;
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
