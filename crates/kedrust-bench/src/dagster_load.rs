//! The Dagster benchmark: how long the code location takes to load for chains of 10, 100
//! and 1,000 nodes (the binary serving the plans, then Dagster's whole `definitions
//! validate`), and the wall time per step of a Dagster run of the 10-node chain.

use crate::report::ms;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn dagster() -> Option<PathBuf> {
    std::env::var_os("KEDRUST_DAGSTER")
        .map(PathBuf::from)
        .or_else(|| std::fs::canonicalize(".venv-test/bin/dagster").ok())
}

fn timed(mut command: Command) -> Duration {
    let start = Instant::now();
    let out = command.output().expect("the command starts");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed()
}

fn project(root: &Path) {
    std::fs::create_dir_all(root.join("conf/base")).expect("conf folder");
    let mut yaml = String::from("jobs:\n");
    for n in [10, 100, 1000] {
        let _ = writeln!(
            yaml,
            "  chain{n}:\n    pipeline:\n      pipeline_name: chain{n}"
        );
    }
    std::fs::write(root.join("conf/base/dagster.yml"), yaml).expect("dagster.yml");
}

/// Measures and returns the markdown table.
pub fn run_bench(repeat: usize) -> String {
    let exe = std::env::current_exe().expect("this binary");
    let dir = tempfile::tempdir().expect("a temporary folder");
    project(dir.path());
    let bin = |args: &[&str]| {
        let mut c = Command::new(&exe);
        c.arg("--project-dir").arg(dir.path()).args(args);
        c
    };
    let mut samples: Vec<Duration> = (0..repeat.max(1))
        .map(|_| timed(bin(&["__dagster_plans"])))
        .collect();
    samples.sort();
    let plans = samples[samples.len() / 2];
    let mut out = String::from("| what | nodes | wall (ms) |\n|---|---:|---:|\n");
    let _ = writeln!(
        out,
        "| the binary serves every job's plan (`__dagster_plans`) | 10 + 100 + 1000 | **{}** |",
        ms(plans)
    );
    let Some(dagster) = dagster() else {
        out.push_str("\nDagster is not installed here (set KEDRUST_DAGSTER or build .venv-test): the Dagster rows are skipped.\n");
        return out;
    };
    timed(bin(&["dagster", "init"]));
    let mut validate = Command::new(&dagster);
    validate
        .args(["definitions", "validate", "-f", "definitions.py"])
        .current_dir(dir.path())
        .env("DAGSTER_DISABLE_TELEMETRY", "1");
    let load = timed(validate);
    let _ = writeln!(
        out,
        "| `dagster definitions validate` (Python start, Dagster import, our plans, 3 jobs built) | 10 + 100 + 1000 | **{}** |",
        ms(load)
    );
    let mut execute = Command::new(&dagster);
    execute
        .args(["job", "execute", "-f", "definitions.py", "-j", "chain10"])
        .current_dir(dir.path())
        .env("DAGSTER_DISABLE_TELEMETRY", "1");
    let run = timed(execute);
    let _ = writeln!(
        out,
        "| `dagster job execute` of chain10 in process (12 ops, each the binary through Pipes) | 10 | **{}** ({:.0} ms per step) |",
        ms(run),
        run.as_secs_f64() * 1e3 / 12.0
    );
    out
}
