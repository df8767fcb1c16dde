//! Our Dagster Pipes writer against Dagster's own Python reader (the pinned `dagster` in
//! `.venv-test`): every message arrives, a 70 KiB one too, `closed` is received, no framework
//! error is raised, and a failing step reports its error in `closed`.

use crate::Fixture;
use std::path::Path;

/// Runs the Python `script` of `tests/fixtures` on the fixture binary's `pipes-probe`; the
/// JSON report it prints last.
fn probe(script: &str) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv-test/bin/python");
    assert!(
        python.is_file(),
        "the pinned Python tools are not installed: run ./scripts/test, or \
         python3 -m venv .venv-test && .venv-test/bin/pip install -r python-pins.txt"
    );
    let f = Fixture::new("basic");
    let out = crate::clean_command(python)
        .arg(Path::new("tests/fixtures").join(script))
        .arg(env!("CARGO_BIN_EXE_kedrust-fixture"))
        .arg("--project-dir")
        .arg(f.path())
        .arg("pipes-probe")
        .env("DAGSTER_DISABLE_TELEMETRY", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn dagster_receives_every_message_and_the_error_in_closed() {
    let report = probe("pipes_probe.py");
    let ok = &report["ok_job"];
    assert_eq!(ok["success"], true, "{ok}");
    assert_eq!(ok["probe_logs"], 1000, "{ok}");
    assert_eq!(ok["big"], true, "the 70 KiB message arrived");
    assert_eq!(ok["framework_error"], false);
    assert_eq!(ok["missing_closed"], false);
    let failed = &report["fail_job"];
    assert_eq!(failed["success"], false);
    assert_eq!(failed["probe_logs"], 1000);
    assert_eq!(failed["framework_error"], false);
    let closed = failed["closed_errors"].as_array().unwrap();
    assert_eq!(closed.len(), 1, "{failed}");
    assert!(
        closed[0].as_str().unwrap().contains("told to fail"),
        "{failed}"
    );
}

#[test]
fn messages_on_stdout_or_stderr_parse_with_dagsters_own_line_parser() {
    let report = probe("pipes_stdio_probe.py");
    for stream in ["stdout", "stderr"] {
        let r = &report[stream];
        assert_eq!(r["code"], 0, "{stream}: {r}");
        assert_eq!(r["opened"], 1, "{stream}: {r}");
        assert_eq!(
            r["probe_logs"], 1000,
            "{stream}: every message, one per line"
        );
        assert_eq!(
            r["big"], true,
            "{stream}: the 70 KiB message is one line too"
        );
        assert_eq!(r["closed"], 1, "{stream}: {r}");
    }
    assert_eq!(
        report["stdout"]["other_lines"], 0,
        "nothing else is written to the channel"
    );
}
