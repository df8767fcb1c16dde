//! Test helpers shared by the integration tests of several crates.
//!
//! Owns: copying fixture folders (conf and data) into temporary directories, so that tests
//! never write into the repository, commands that start without the developer's settings,
//! a schema of its own on the test PostgreSQL server and an S3 server for each test that needs
//! one. Must never: be a dependency of anything but tests.

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

/// An S3 server on a free port of 127.0.0.1 (moto's standalone server from `.venv-test`,
/// pinned in `python-pins.txt`) with the bucket `kedrust`; stopped when dropped. Objects are
/// read back with `curl`, signed as the tests' user.
pub struct S3Server {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// The tests' access key.
    pub const KEY: &'static str = "test-key";
    /// The tests' secret: tests check that no message shows it.
    pub const SECRET: &'static str = "test-secret-7731";

    /// Starts a server and creates the bucket `kedrust`.
    pub fn start() -> Self {
        use std::time::{Duration, Instant};
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/moto_server");
        assert!(
            bin.is_file(),
            "the S3 server is not installed for the tests: run ./scripts/test, or \
             .venv-test/bin/pip install -r python-pins.txt"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = clean_command(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the S3 server starts");
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server
            .curl(&["-X", "PUT", &format!("{}/kedrust", server.endpoint)])
            .0
            != 200
        {
            assert!(Instant::now() < deadline, "the S3 server did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    /// The server's address (`http://127.0.0.1:<port>`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Credentials for it, with Kedro's keys, as `credentials.yml` holds them.
    pub fn credentials_yaml(&self, name: &str) -> String {
        format!(
            "{name}:\n  key: {}\n  secret: {}\n  client_kwargs:\n    endpoint_url: {}\n    \
             region_name: us-east-1\n",
            Self::KEY,
            Self::SECRET,
            self.endpoint
        )
    }

    /// An address that forwards to this server and counts the HTTP requests sent through it
    /// (one `Host` header each), for tests that hold a dataset to a number of requests.
    pub fn counting_endpoint(&self) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::{Arc, atomic::AtomicUsize};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = format!("http://{}", listener.local_addr().expect("an address"));
        let target = self.endpoint.trim_start_matches("http://").to_owned();
        let count = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&count);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(&target) else {
                    continue;
                };
                let (mut from_server, mut to_client) =
                    (server.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(std::net::Shutdown::Write);
                });
                let counted = Arc::clone(&counted);
                std::thread::spawn(move || forward_counting(client, server, &counted));
            }
        });
        (address, count)
    }

    /// The cloud's standard environment variables that reach this server as the tests' user
    /// (what a step worker's environment holds for a state folder on object storage).
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", Self::KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", Self::SECRET.to_owned()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
        ]
    }

    /// `curl` with `args`, signed as the tests' user: the HTTP status and the body.
    fn curl(&self, args: &[&str]) -> (u16, String) {
        let out = Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}"])
            .args(["--aws-sigv4", "aws:amz:us-east-1:s3"])
            .args(["--user", &format!("{}:{}", Self::KEY, Self::SECRET)])
            .args(args)
            .output()
            .expect("curl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// The object at `key` of the bucket, if it is there.
    pub fn object(&self, key: &str) -> Option<String> {
        let (code, body) = self.curl(&[&format!("{}/kedrust/{key}", self.endpoint)]);
        (code == 200).then_some(body)
    }

    /// The keys of the bucket under `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let (_, body) = self.curl(&[&format!(
            "{}/kedrust?list-type=2&prefix={prefix}",
            self.endpoint
        )]);
        body.split("<Key>")
            .skip(1)
            .filter_map(|k| k.split_once("</Key>").map(|(k, _)| k.to_owned()))
            .collect()
    }
}

/// Copies a client's bytes to the server, counting requests by their `Host` headers (a chunk
/// boundary may split one: the tail of each chunk is kept).
fn forward_counting(
    mut client: std::net::TcpStream,
    mut server: std::net::TcpStream,
    count: &std::sync::atomic::AtomicUsize,
) {
    use std::io::{Read, Write};
    const HEADER: &[u8] = b"\r\nhost:";
    let mut tail: Vec<u8> = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    while let Ok(read) = client.read(&mut buffer) {
        if read == 0 {
            break;
        }
        // Counted before it is sent: the answer cannot reach the client before the count.
        tail.extend(buffer[..read].iter().map(u8::to_ascii_lowercase));
        let found = tail.windows(HEADER.len()).filter(|w| *w == HEADER).count();
        count.fetch_add(found, std::sync::atomic::Ordering::SeqCst);
        let keep = tail.len().min(HEADER.len() - 1);
        tail.drain(..tail.len() - keep);
        if server.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = server.shutdown(std::net::Shutdown::Write);
}
