//! The CLI and the hook lifecycle, tested by running the fixture project's binary on copies
//! of the folders in `projects/`.

mod cli;
mod dagster;
mod dagster_assets;
mod dagster_celery;
mod dagster_data_versions;
mod dagster_lifecycle;
mod dagster_partitions;
mod faults;
mod grouping;
mod incremental;
mod lifecycle;
mod logging;
mod mlflow;
mod mlflow_local;
mod object_storage;
mod orchestration;
mod partitions;
mod pipes;
mod postgres_store;
mod scenarios;
mod security;
mod shared_state;

use std::path::{Path, PathBuf};
use std::process::Command;

pub use kedrust_testkit::clean_command;

/// Waits up to 30 s for `path` to appear (a blocked node or hook writes it).
pub fn wait_for(path: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// What one command did.
pub struct Outcome {
    /// The exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// The text of `path`; empty when it was never written. Any other problem fails the test.
fn read_if_written(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// A copy of a fixture project in a temporary folder.
pub struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// Copies `projects/<name>`.
    pub fn new(name: &str) -> Self {
        Self {
            dir: kedrust_testkit::copy_of(Path::new("projects").join(name)),
        }
    }

    /// The project folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Adds the environment `distributed`: one job per distributed executor of Dagster's
    /// libraries (`tests/fixtures/distributed.yml`).
    pub fn add_distributed_env(&self) {
        let env = self.path().join("conf/distributed");
        std::fs::create_dir_all(&env).unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/distributed.yml"),
            env.join("dagster.yml"),
        )
        .unwrap();
    }

    /// Where the trace goes.
    pub fn trace_path(&self) -> PathBuf {
        self.path().join("trace.jsonl")
    }

    /// Where the recording hooks write.
    pub fn record_path(&self) -> PathBuf {
        self.path().join("record.txt")
    }

    /// The fixture binary on this project with `args` and extra environment variables, tracing
    /// hooks and recording; the test's own `KEDRUST_*` variables never leak in.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        self.command_of(Path::new(env!("CARGO_BIN_EXE_kedrust-fixture")), args, env)
    }

    /// [`Self::command`] with another copy of the binary.
    fn command_of(&self, binary: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = clean_command(binary);
        command
            .arg("--project-dir")
            .arg(self.path())
            .args(args)
            .env("KEDRUST_TRACE_HOOKS", self.trace_path())
            .env("KEDRUST_FIXTURE_RECORD", self.record_path())
            .envs(env.iter().copied());
        command
    }

    /// Runs the fixture binary with `args` and extra environment variables, tracing hooks.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let out = self.command(args, env).output().unwrap();
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr)
                .replace(&self.path().display().to_string(), "<project>"),
        }
    }

    /// Where the `check` node, blocked by `KEDRUST_FIXTURE_BLOCK`, writes its process id; it
    /// goes on when the file is removed.
    pub fn block_path(&self) -> PathBuf {
        self.path().join("block")
    }

    /// Starts the fixture binary with `args` and `check` blocked, and waits until it blocks;
    /// the process started and the blocked node's process id.
    pub fn spawn_blocked(&self, args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, u32) {
        let block = self.block_path();
        let mut env = env.to_vec();
        env.push((
            "KEDRUST_FIXTURE_BLOCK",
            block.to_str().expect("a UTF-8 path"),
        ));
        let child = self.spawn(args, &env);
        wait_for(&block);
        let pid = std::fs::read_to_string(&block).unwrap().parse().unwrap();
        (child, pid)
    }

    /// Starts the fixture binary with `args` without waiting, tracing hooks.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
        self.command(args, env)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    /// The trace's lines, parsed; none when no hook fired (no trace file). Any other problem
    /// with the file fails the test.
    pub fn trace(&self) -> Vec<serde_json::Value> {
        read_if_written(&self.trace_path())
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The trace as `hook node dataset` lines.
    pub fn trace_lines(&self) -> Vec<String> {
        self.trace()
            .iter()
            .map(|t| {
                let s = |k: &str| t[k].as_str().unwrap_or("-").to_owned();
                format!("{} {} {}", s("hook"), s("node"), s("dataset"))
            })
            .collect()
    }

    /// How often the trace recorded lifecycle point `hook`.
    pub fn fired(&self, hook: &str) -> usize {
        self.trace().iter().filter(|t| t["hook"] == hook).count()
    }

    /// The run ids for which lifecycle point `hook` fired, in trace order.
    pub fn fired_for(&self, hook: &str) -> Vec<String> {
        self.trace()
            .iter()
            .filter(|t| t["hook"] == hook)
            .map(|t| t["run_id"].as_str().expect("a run id").to_owned())
            .collect()
    }

    /// The nodes that started, in trace order.
    pub fn nodes_run(&self) -> Vec<String> {
        self.trace()
            .iter()
            .filter(|t| t["hook"] == "before_node_run")
            .map(|t| t["node"].as_str().expect("a node name").to_owned())
            .collect()
    }

    /// Which recording hook was called first, and which second, at the first hook point.
    pub fn first_called(&self) -> Vec<String> {
        std::fs::read_to_string(self.record_path())
            .unwrap()
            .lines()
            .take(2)
            .map(|l| l.split(' ').next().unwrap().to_owned())
            .collect()
    }

    /// What one recording hook saw, as `hook node dataset` lines.
    pub fn recorded(&self, label: &str) -> Vec<String> {
        read_if_written(&self.record_path())
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{label} ")).map(str::to_owned))
            .collect()
    }
}

impl Fixture {
    /// The process of each step of the latest run, in order (its "step process <pid>
    /// started" events): one entry per step, each a worker's process id.
    pub fn step_processes(&self) -> Vec<u64> {
        let out = self.run(&["runs", "show", &self.last_run_id()], &[]);
        out.stdout
            .split("step process ")
            .skip(1)
            .filter_map(|rest| rest.split_once(" started")?.0.parse().ok())
            .collect()
    }

    /// The newest run's id, from `runs list`.
    pub fn last_run_id(&self) -> String {
        let out = self.run(&["runs", "list"], &[]);
        assert!(
            !out.stdout.starts_with("no runs"),
            "no run is recorded: {}",
            out.stderr
        );
        out.stdout
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().next())
            .expect("a run id")
            .to_owned()
    }

    /// `runs show <id>` as (kind, op) pairs, and the status line.
    pub fn events(&self, run_id: &str) -> (String, Vec<(String, String)>) {
        let out = self.run(&["runs", "show", run_id], &[]);
        let mut lines = out.stdout.lines();
        let head = lines.next().unwrap_or_default().to_owned();
        let events = lines
            .filter(|l| !l.starts_with("  tag "))
            .map(|l| {
                let parts: Vec<&str> = l.split_whitespace().collect();
                let kind = parts.get(1).copied().unwrap_or_default().to_owned();
                let op = l.get(29..69).map(str::trim).unwrap_or_default().to_owned();
                (kind, op)
            })
            .collect();
        (head, events)
    }
}
