//! Test helpers shared by the integration tests of several crates.
//!
//! Owns: copying fixture folders (conf and data) into temporary directories, so that tests
//! never write into the repository, commands that start without the developer's settings,
//! and a schema of its own on the test PostgreSQL server for each test that needs one. Must never: be a dependency of anything but tests.

use std::path::Path;
use std::process::Command;

/// A command with none of the variables of the developer's shell that would change what
/// kedrust, its logs, MLflow or Pipes do (`KEDRUST_*`, `RUST_LOG`, `MLFLOW_*`,
/// `DAGSTER_PIPES_*`): every test says what it sets.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if ["KEDRUST_", "RUST_LOG", "MLFLOW_", "DAGSTER_PIPES_"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            command.env_remove(&key);
        }
    }
    command
}

/// A fresh temporary folder holding a copy of `from` (recursively).
pub fn copy_of(from: impl AsRef<Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(from.as_ref(), dir.path());
    dir
}

/// Copies the folder `from` into `to` (created if missing), recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the target folder");
    for entry in std::fs::read_dir(from).expect("read the fixture folder") {
        let entry = entry.expect("a folder entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a fixture file");
        }
    }
}

/// The PostgreSQL server of the tests: this variable, else this machine's (trust auth,
/// database `test`).
pub const POSTGRES_ENV: &str = "KEDRUST_TEST_POSTGRES_URL";
const POSTGRES_DEFAULT: &str = "postgresql://postgres@127.0.0.1:5432/test";

/// A schema of the test server that one test uses alone, dropped with the value: tests run at
/// the same time never see each other's tables.
pub struct PostgresSchema {
    server: String,
    name: String,
}

impl PostgresSchema {
    /// Creates a new schema (its name made of this process id and a counter).
    pub fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let server = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| POSTGRES_DEFAULT.into());
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("kedrust_test_{}_{n}", std::process::id());
        Self::admin(&server)
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .expect("a schema of the test server");
        Self { server, name }
    }

    fn admin(server: &str) -> postgres::Client {
        postgres::Client::connect(server, postgres::NoTls).unwrap_or_else(|e| {
            panic!("the test PostgreSQL server ({POSTGRES_ENV}, else {POSTGRES_DEFAULT}): {e}")
        })
    }

    /// A connection URL whose tables are this schema's (first on the search path).
    pub fn url(&self) -> String {
        let join = if self.server.contains('?') { '&' } else { '?' };
        format!("{}{join}options=-csearch_path%3D{}", self.server, self.name)
    }

    /// Runs `sql` on the server, in this schema.
    pub fn execute(&self, sql: &str) {
        Self::admin(&self.server)
            .batch_execute(&format!("SET search_path TO {}; {sql}", self.name))
            .expect("the statement runs");
    }
}

impl Default for PostgresSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PostgresSchema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}
