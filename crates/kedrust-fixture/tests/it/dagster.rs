//! The generated code location on the real, pinned Dagster (`.venv-test`): it loads, lists
//! the jobs of dagster.yml (a new job appears without `dagster init` again), and a job
//! executed by Dagster runs every op through the project binary and Pipes with the same hook
//! lifecycle and one run id.

use crate::Fixture;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn dagster() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/dagster");
    assert!(
        bin.is_file(),
        "the pinned Dagster is not installed: run ./scripts/test, or \
         python3 -m venv .venv-test && .venv-test/bin/pip install -r python-pins.txt"
    );
    bin
}

/// A persistent DAGSTER_HOME for one test, telemetry off.
pub(crate) fn dagster_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("dagster.yaml"),
        "telemetry:\n  enabled: false\n",
    )
    .unwrap();
    home
}

pub(crate) fn run_dagster(f: &Fixture, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = crate::clean_command(dagster())
        .args(args)
        .current_dir(f.path())
        .env("DAGSTER_DISABLE_TELEMETRY", "1")
        .env("KEDRUST_TRACE_HOOKS", f.trace_path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `dagster-daemon run` on the project's code location with `env`, once the instance's
/// storages exist (the daemon and a launch would otherwise create them at the same moment);
/// [`stop_daemon`] stops it with every process it started.
pub(crate) fn start_daemon(f: &Fixture, env: &[(&str, &str)]) -> std::process::Child {
    python(
        f,
        "import dagster as dg\n\
         i = dg.DagsterInstance.get()\n\
         i.get_runs(limit=1)\n\
         i.all_instigator_state()\n\
         i.get_latest_materialization_event(dg.AssetKey('none'))\n",
        env,
    );
    let mut daemon = crate::clean_command(dagster().with_file_name("dagster-daemon"));
    daemon
        .args(["run", "-f", "definitions.py"])
        .current_dir(f.path())
        .env("KEDRUST_TRACE_HOOKS", f.trace_path())
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut daemon, 0);
    daemon.spawn().unwrap()
}

/// Stops a daemon of [`start_daemon`] and its process group.
pub(crate) fn stop_daemon(mut daemon: std::process::Child) {
    let group = format!("-{}", daemon.id());
    let _ = Command::new("kill").args(["-INT", "--", &group]).status();
    let _ = daemon.wait();
}

/// `dagster job execute` of `job` in the project's code location, with a run config file if
/// given; the exit code and the output.
pub(crate) fn execute_job(
    f: &Fixture,
    job: &str,
    config: Option<&Path>,
    env: &[(&str, &str)],
) -> (i32, String) {
    let mut args = vec!["job", "execute", "-f", "definitions.py", "-j", job];
    if let Some(config) = config {
        args.extend(["-c", config.to_str().expect("a UTF-8 path")]);
    }
    run_dagster(f, &args, env)
}

fn jobs(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| l.strip_prefix("Job: "))
        .filter(|j| !j.starts_with("__")) // Dagster's implicit asset job
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_code_location_loads_lists_the_jobs_and_runs_them_through_pipes() {
    let f = Fixture::new("basic");
    let out = f.run(&["dagster", "init"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "wrote definitions.py\nwrote requirements-dagster.txt\nwrote kedrust_celery.py\n"
    );
    assert_eq!(
        f.run(&["dagster", "init"], &[]).stdout,
        "kept definitions.py (use --force to replace it)\nkept requirements-dagster.txt (use --force to replace it)\nkept kedrust_celery.py (use --force to replace it)\n"
    );
    let (code, text) = run_dagster(
        &f,
        &["definitions", "validate", "-f", "definitions.py"],
        &[],
    );
    assert_eq!(code, 0, "{text}");
    let (code, text) = run_dagster(&f, &["job", "list", "-f", "definitions.py"], &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        jobs(&text),
        [
            "chain_job",
            "failing_in_memory_job",
            "failing_job",
            "fan_job",
            "retrying_job"
        ]
    );
    assert!(
        text.contains("    fan_job__before_pipeline_run_hook_fan_job\n"),
        "{text}"
    );
    assert!(
        text.contains("    fan_job__after_pipeline_run_hook_fan_job\n"),
        "{text}"
    );

    // Persisted datasets are assets, with group and description from their metadata.
    let listed = python(
        &f,
        "import definitions as d\n\
         g = d.defs.resolve_asset_graph()\n\
         for k in g.get_all_asset_keys(): print('/'.join(k.path), g.get(k).group_name, g.get(k).description, sep='|')",
        &[],
    );
    assert!(
        listed.contains("local/summary|reporting|one line about the numbers"),
        "{listed}"
    );
    assert!(
        listed.contains("local/report|chain|json.JSONDataset `report`, produced by node `total`"),
        "{listed}"
    );

    // A job added to dagster.yml, in another environment, appears without `dagster init`.
    let prod = f.path().join("conf/prod");
    std::fs::create_dir_all(&prod).unwrap();
    std::fs::write(
        prod.join("dagster.yml"),
        "jobs:\n  early_job:\n    pipeline:\n      pipeline_name: early_end\n",
    )
    .unwrap();
    let (_, text) = run_dagster(
        &f,
        &["job", "list", "-f", "definitions.py"],
        &[("KEDRUST_ENV", "prod")],
    );
    assert!(jobs(&text).contains(&"early_job".to_owned()), "{text}");

    // Dagster executes a job: every op is a call of the binary through Pipes.
    let (code, text) = execute_job(&f, "fan_job", None, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        std::fs::read_to_string(f.path().join("data/fan_report.json"))
            .unwrap()
            .trim(),
        "{\n  \"sum\": 42,\n  \"order\": 2184\n}",
        "seed 7: c = 21, a = 7, b = 14, each in its own argument"
    );
    let trace = f.trace();
    let run_id = trace[0]["run_id"].as_str().unwrap();
    assert!(
        trace.iter().all(|t| t["run_id"] == run_id),
        "one run id: Dagster's"
    );
    let count = |hook: &str| trace.iter().filter(|t| t["hook"] == hook).count();
    for hook in [
        "after_context_created",
        "after_catalog_created",
        "before_pipeline_run",
        "after_pipeline_run",
    ] {
        assert_eq!(count(hook), 1, "{hook}");
    }
    assert_eq!(count("before_node_run"), 4);
    assert_eq!(count("on_pipeline_error"), 0);
    assert_eq!(trace[0]["op"], "before_pipeline_run_hook_fan_job");
    assert_eq!(
        trace.last().unwrap()["op"],
        "after_pipeline_run_hook_fan_job"
    );
    let shown = f.run(&["runs", "show", run_id], &[]).stdout;
    assert!(shown.lines().next().unwrap().contains("SUCCESS"), "{shown}");
    assert!(
        text.lines()
            .any(|l| l.contains("ASSET_MATERIALIZATION") && l.contains("fan_report")),
        "the join op's save is an asset materialisation of fan_report in Dagster's event \
         log: {text}"
    );

    // Parameters are run config: the launchpad's `kedrust_params`, the same for every op.
    std::fs::remove_file(f.trace_path()).unwrap();
    let config = f.path().join("run_config.yaml");
    std::fs::write(
        &config,
        "resources:\n  kedrust_params:\n    config:\n      seed: 1\n",
    )
    .unwrap();
    let (code, text) = execute_job(&f, "fan_job", Some(&config), &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        std::fs::read_to_string(f.path().join("data/fan_report.json"))
            .unwrap()
            .trim(),
        "{\n  \"sum\": 6,\n  \"order\": 312\n}",
        "seed 1 in every branch: 1 + 2 + 3"
    );
}

#[test]
fn the_failure_handler_fires_on_pipeline_error_once_per_dagster_run() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let (code, text) = execute_job(
        &f,
        "retrying_job",
        None,
        &[("KEDRUST_FIXTURE_FAIL_CHECK", "1")],
    );
    assert_ne!(code, 0, "{text}");
    let run_id = f.trace()[0]["run_id"].as_str().unwrap().to_owned();
    // What the run-failure sensor calls, twice: the hook fires once.
    let args = [
        "__dagster_failure",
        "--job",
        "retrying_job",
        "--run-id",
        run_id.as_str(),
        "--message",
        "step check failed",
    ];
    let first = f.run(&args, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(
        first.stdout,
        format!("on_pipeline_error fired for run {run_id}\n")
    );
    let second = f.run(&args, &[]);
    assert!(
        second.stdout.contains("had already fired"),
        "{}",
        second.stdout
    );
    assert_eq!(f.fired_for("on_pipeline_error"), [run_id.as_str()]);
    let errors = f
        .trace()
        .iter()
        .filter(|t| t["hook"] == "on_node_error")
        .count();
    assert_eq!(
        errors, 3,
        "the check op was tried three times (two retries), each firing on_node_error"
    );
}

pub(crate) fn venv_path() -> String {
    let bin = dagster();
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn dagster_validate_and_dev_start_and_stop_cleanly() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let path = venv_path();
    let out = f.run(&["dagster", "validate"], &[("PATH", path.as_str())]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let missing = f.run(
        &["dagster", "validate"],
        &[("KEDRUST_DAGSTER", "/nonexistent/dagster")],
    );
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("pip install -r"),
        "{}",
        missing.stderr
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = dagster_home();
    let mut dev = f.spawn(
        &["dagster", "dev", "--port", &port.to_string()],
        &[
            ("PATH", path.as_str()),
            ("DAGSTER_HOME", home.path().to_str().unwrap()),
        ],
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let answer = loop {
        use std::io::{Read, Write};
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /server_info HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut text = String::new();
            let _ = s.read_to_string(&mut text);
            if text.contains("dagster_webserver_version") {
                break text;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the UI did not answer within 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert!(answer.contains("1.13.27"), "{answer}");
    Command::new("kill")
        .args(["-INT", &dev.id().to_string()])
        .status()
        .unwrap();
    assert!(dev.wait().unwrap().success());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the webserver stopped with it"
    );
}

#[test]
fn the_run_failure_sensor_fires_on_pipeline_error_once_for_a_run_launched_from_the_cli() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    // A line per sensor tick (the sensor asks the binary for open runs at every tick).
    std::fs::write(
        f.path().join("conf/logging.yml"),
        "handlers:\n  ticks: {class: logging.FileHandler, filename: sensor_ticks.log}\n\
         loggers:\n  kedrust.cli.dagster: {level: DEBUG, handlers: [ticks]}\n\
         root: {level: INFO}\n",
    )
    .unwrap();
    let home = dagster_home();
    let path = venv_path();
    let env = [
        ("PATH", path.as_str()),
        ("DAGSTER_HOME", home.path().to_str().unwrap()),
        ("DAGSTER_DISABLE_TELEMETRY", "1"),
        ("KEDRUST_FIXTURE_FAIL_CHECK", "1"),
    ];
    let daemon = start_daemon(&f, &env);
    // The sensor is level-triggered (no cursor): a run launched before its first tick counts.
    let (code, text) = run_dagster(
        &f,
        &["job", "launch", "-f", "definitions.py", "-j", "failing_job"],
        &env,
    );
    assert_eq!(code, 0, "{text}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while f.fired("on_pipeline_error") == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let first = f.fired("on_pipeline_error");
    // Two more sensor ticks pass; the hook stays fired once. Each tick asks the binary for
    // the open runs, which logs a line through the project's logging.yml.
    let ticks = |f: &Fixture| {
        std::fs::read_to_string(f.path().join("sensor_ticks.log")).map_or(0, |t| t.lines().count())
    };
    let seen = ticks(&f);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ticks(&f) < seen + 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(ticks(&f) >= seen + 2, "two more sensor ticks within 60 s");
    let later = f.fired("on_pipeline_error");
    stop_daemon(daemon);
    assert_eq!(first, 1, "on_pipeline_error fired within 90 s");
    assert_eq!(later, 1, "and never again");
    let errors: Vec<serde_json::Value> = f
        .trace()
        .into_iter()
        .filter(|t| t["hook"] == "on_pipeline_error")
        .collect();
    let run_id = errors[0]["run_id"].as_str().unwrap();
    let node_run = f
        .trace()
        .into_iter()
        .find(|t| t["hook"] == "before_node_run")
        .unwrap();
    assert_eq!(node_run["run_id"], run_id, "the failed Dagster run's id");
}

/// Loads the code location, runs `failing_job` (fails), `chain_job` (succeeds) and a
/// `chain_job` run whose start op ran before Dagster canceled it, then evaluates the failure
/// sensor tick by tick: the first tick's calls fail, the next ones work.
const SENSOR_TICKS: &str = r#"
import os, subprocess
defs = location.defs
failed = defs.get_job_def("failing_job").execute_in_process(instance=instance, raise_on_error=False)
assert not failed.success
succeeded = defs.get_job_def("chain_job").execute_in_process(instance=instance)
assert succeeded.success
canceled = instance.create_run_for_job(job_def=defs.get_job_def("chain_job"))
subprocess.run(location._kedrust("__dagster_op", "--job", "chain_job", "--op", "before_pipeline_run_hook_chain_job"),
               env={**os.environ, "KEDRUST_RUN_ID": canceled.run_id}, check=True)
instance.report_run_canceled(canceled)
# The first tick lists the open runs, but every call that would end one fails.
broken = os.path.abspath("broken-kedrust")
with open(broken, "w") as f:
    f.write(f'#!/bin/sh\ncase "$*" in *__dagster_failure*) exit 1;; esac\nexec "{location.BINARY}" "$@"\n')
os.chmod(broken, 0o755)
real, location.BINARY = location.BINARY, broken
tick()
import json
fired = [json.loads(l) for l in open(os.environ["KEDRUST_TRACE_HOOKS"])]
assert not any(t["hook"] == "on_pipeline_error" for t in fired), "nothing fired yet"
location.BINARY = real
tick()
tick()
print(failed.run_id, succeeded.run_id, canceled.run_id)
"#;

#[test]
fn the_failure_sensor_ends_failed_and_canceled_dagster_runs_once_even_after_a_failed_call() {
    let (f, _home, last) =
        on_a_fresh_instance(SENSOR_TICKS, &[("KEDRUST_FIXTURE_FAIL_CHECK", "1")]);
    let ids: Vec<&str> = last.split(' ').collect();
    let (failed, succeeded, canceled) = (ids[0], ids[1], ids[2]);
    let errors: Vec<String> = f
        .trace()
        .into_iter()
        .filter(|t| t["hook"] == "on_pipeline_error")
        .map(|t| t["run_id"].as_str().unwrap().to_owned())
        .collect();
    let mut expected = vec![failed.to_owned(), canceled.to_owned()];
    expected.sort();
    let mut seen = errors.clone();
    seen.sort();
    assert_eq!(seen, expected, "once for each, none for {succeeded}");
    let status = |id: &str| {
        let (head, _) = f.events(id);
        head.split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(status(failed), "FAILURE");
    assert_eq!(status(canceled), "CANCELED");
    assert_eq!(status(succeeded), "SUCCESS");
}

/// A project with its code location and an environment `logged` whose dagster.yml
/// `dagster_yml` writes from the folder the loggers may write to; the project and that folder.
fn logged_project(dagster_yml: impl Fn(&Path) -> String) -> (Fixture, PathBuf) {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let logs = f.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let env = f.path().join("conf/logged");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(env.join("dagster.yml"), dagster_yml(&logs)).unwrap();
    (f, logs)
}

#[test]
fn loggers_of_dagster_yml_are_the_jobs_dagster_loggers() {
    let (f, logs) = logged_project(|logs| {
        format!(
            r#"loggers:
  file_logger:
    log_level: info
    formatters:
      plain: {{format: "%(levelname)s|%(name)s|%(message)s"}}
    handlers:
      - class: logging.FileHandler
        filename: {logs}/run.log
        formatter: plain
jobs:
  logged_job:
    pipeline: {{pipeline_name: chain}}
    loggers:
      - file_logger
      - log_level: " Warning "
        handlers: [{{class: logging.FileHandler, filename: {logs}/warnings.log}}]
"#,
            logs = logs.display()
        )
    });
    let (code, text) = execute_job(&f, "logged_job", None, &[("KEDRUST_ENV", "logged")]);
    assert_eq!(code, 0, "{text}");
    let run_log = std::fs::read_to_string(logs.join("run.log")).expect(&text);
    assert!(
        run_log
            .lines()
            .any(|l| l.starts_with("INFO|file_logger|logged_job - ")
                && l.ends_with(" - logged_job__make_numbers - kedrust op make_numbers succeeded")),
        "the op's Pipes log reached the named logger, formatted: {run_log}"
    );
    assert!(
        !run_log.contains("STEP_START"),
        "Dagster's DEBUG events stay below the logger's INFO level: {run_log}"
    );
    let warnings = std::fs::read_to_string(logs.join("warnings.log")).unwrap();
    assert!(
        !warnings.contains("succeeded"),
        "the inline logger is at WARNING: {warnings}"
    );
}

#[test]
fn launchpad_config_can_change_a_loggers_level_and_nothing_that_runs_code() {
    let (f, logs) = logged_project(|logs| {
        format!(
            "loggers:\n  file_logger:\n    log_level: info\n    handlers:\n      - {{class: logging.FileHandler, filename: {}/run.log}}\njobs:\n  logged_job:\n    pipeline: {{pipeline_name: chain}}\n    loggers: [file_logger]\n",
            logs.display()
        )
    });
    let marker = f.path().join("code-ran");
    // (run config, whether Dagster accepts it)
    let cases = [
        (
            format!(
                "loggers:\n  file_logger:\n    config:\n      handlers:\n        - class: subprocess.run\n          args: [touch, {}]\n",
                marker.display()
            ),
            false,
        ),
        (
            format!(
                "loggers:\n  file_logger:\n    config:\n      formatters:\n        x: {{'()': subprocess.run, args: [touch, {}]}}\n",
                marker.display()
            ),
            false,
        ),
        (
            "loggers:\n  file_logger:\n    config:\n      log_level: DEBUG\n".to_owned(),
            true,
        ),
    ];
    for (config, accepted) in cases {
        let path = f.path().join("run.yaml");
        std::fs::write(&path, &config).unwrap();
        let (code, text) = execute_job(&f, "logged_job", Some(&path), &[("KEDRUST_ENV", "logged")]);
        assert_eq!(code == 0, accepted, "{config}\n{text}");
        assert!(!marker.exists(), "the run config ran code: {config}");
    }
    let run_log = std::fs::read_to_string(logs.join("run.log")).unwrap();
    assert!(
        run_log.contains("STEP_START"),
        "the launchpad's DEBUG level reached the logger: {run_log}"
    );
}

/// Two ticks of the code location's run-failure sensor on the Dagster instance of `env`'s
/// `DAGSTER_HOME`, as the daemon would tick it.
pub(crate) fn tick_failure_sensor_twice(f: &Fixture, env: &[(&str, &str)]) {
    python(f, &format!("{ON_THE_INSTANCE}tick(2)\n"), env);
}

/// What the Python scripts of these tests start with: the code location (`location`), the
/// Dagster instance of `DAGSTER_HOME` (`instance`), and `tick(n)`, which evaluates the
/// failure sensor as the daemon would.
pub(crate) const ON_THE_INSTANCE: &str = r#"
import importlib.util, json, os
import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
_spec = importlib.util.spec_from_file_location("definitions", "definitions.py")
location = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(location)
instance = dg.DagsterInstance.get()
_sensor = location.defs.get_sensor_def("on_pipeline_error_sensor")
def tick(times=1):
    for _ in range(times):
        _sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
def reconstructable(job):
    return ReconstructableRepository.for_file("definitions.py", "defs", os.getcwd()).get_reconstructable_job(job)
"#;

/// A fresh project with its code location and a Dagster instance of its own, and what
/// `script` (after [`ON_THE_INSTANCE`]) printed last.
pub(crate) fn on_a_fresh_instance(
    script: &str,
    env: &[(&str, &str)],
) -> (Fixture, tempfile::TempDir, String) {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let home = dagster_home();
    let mut env = env.to_vec();
    env.push(("DAGSTER_HOME", home.path().to_str().expect("a UTF-8 path")));
    let out = python(&f, &format!("{ON_THE_INSTANCE}{script}"), &env);
    let last = out.lines().last().unwrap_or_default().to_owned();
    (f, home, last)
}

/// Runs `script` with the pinned Python of `.venv-test` in the project; its stdout.
pub(crate) fn python(f: &Fixture, script: &str, env: &[(&str, &str)]) -> String {
    let out = crate::clean_command(dagster().with_file_name("python"))
        .args(["-c", script])
        .current_dir(f.path())
        .env("DAGSTER_DISABLE_TELEMETRY", "1")
        .env("KEDRUST_TRACE_HOOKS", f.trace_path())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn distributed_executors_load_with_their_pinned_libraries_and_a_shared_state_folder() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let requirements = std::fs::read_to_string(f.path().join("requirements-dagster.txt")).unwrap();
    insta::assert_snapshot!(requirements, @r"
    # Written by `dagster init` from kedrust's pins.
    dagster==1.13.27
    dagster-pipes==1.13.27
    dagster-webserver==1.13.27
    # Uncomment the library of each distributed executor dagster.yml uses:
    # dagster-k8s==0.29.27  # executor: k8s_job_executor
    # dagster-docker==0.29.27  # executor: docker_executor
    # dagster-celery==0.29.27  # executor: celery_executor
    # dagster-celery-docker==0.29.27  # executor: celery_docker_executor
    # dagster-celery-k8s==0.29.27  # executor: celery_k8s_job_executor
    # dagster-dask==0.29.27  # executor: dask_executor
    # dask[dataframe]==2026.8.0  # executor: dask_executor
    # distributed==2026.8.0  # executor: dask_executor
    ");
    f.add_distributed_env();

    // Steps on other machines cannot see the project's .kedrust: the folder must be named.
    let (code, text) = run_dagster(
        &f,
        &["definitions", "validate", "-f", "definitions.py"],
        &[("KEDRUST_ENV", "distributed")],
    );
    assert_ne!(code, 0);
    assert!(
        text.contains("job 'on_k8s' (k8s_job_executor), 'on_docker' (docker_executor)")
            && text.contains("set KEDRUST_STATE_DIR to a folder that every step mounts"),
        "{text}"
    );

    let state = f.path().join("shared-state");
    let env = [
        ("KEDRUST_ENV", "distributed"),
        ("KEDRUST_STATE_DIR", state.to_str().unwrap()),
    ];
    let (code, text) = run_dagster(
        &f,
        &["definitions", "validate", "-f", "definitions.py"],
        &env,
    );
    assert_eq!(code, 0, "{text}");
    // Each job's executor, with the options of dagster.yml and the variables step containers
    // need, as Dagster resolves its run config.
    let resolved = python(
        &f,
        "import json, definitions as d\n\
         from dagster._core.system_config.objects import ResolvedRunConfig\n\
         for j in d._jobs:\n\
         \x20   c = ResolvedRunConfig.build(j, {}).execution.execution_engine_config\n\
         \x20   print(j.name, j.executor_def.name, json.dumps({k: c[k] for k in sorted(c) if k in ('env_vars', 'image', 'job_namespace', 'max_concurrent', 'docker', 'cluster', 'broker')}, sort_keys=True))\n",
        &env,
    );
    insta::assert_snapshot!(resolved, @r#"
    on_k8s k8s {"env_vars": ["TEAM=data", "KEDRUST_ENV", "KEDRUST_STATE_DIR"], "job_namespace": "data", "max_concurrent": 4}
    on_docker docker {"env_vars": ["KEDRUST_ENV", "KEDRUST_STATE_DIR"], "image": "example/project:1"}
    on_celery celery {"broker": "pyamqp://guest@127.0.0.1//"}
    on_celery_docker celery-docker {"broker": "pyamqp://guest@127.0.0.1//", "docker": {"env_vars": ["KEDRUST_ENV", "KEDRUST_STATE_DIR"], "image": "example/project:1"}}
    on_celery_k8s celery-k8s {"env_vars": ["KEDRUST_ENV", "KEDRUST_STATE_DIR"], "job_namespace": "data"}
    on_dask dask {"cluster": {"local": {"n_workers": 2}}}
    "#);

    // dagster.yml accepts exactly the options of the pinned libraries.
    let fields = python(
        &f,
        "import json, importlib\n\
         out = {}\n\
         for kind in ['k8s_job_executor', 'docker_executor', 'celery_executor', 'celery_docker_executor', 'celery_k8s_job_executor', 'dask_executor']:\n\
         \x20   module = 'dagster_' + kind.removesuffix('_executor').removesuffix('_job')\n\
         \x20   ex = getattr(importlib.import_module(module), kind)\n\
         \x20   out[kind] = sorted(ex.config_schema.as_field().config_type.fields)\n\
         print(json.dumps(out))\n",
        &[],
    );
    let fields: std::collections::BTreeMap<String, Vec<String>> =
        serde_json::from_str(&fields).unwrap();
    for (kind, library) in fields {
        let mut ours: Vec<String> = kedrust_plan::executor_options(&kind)
            .unwrap()
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
        ours.sort();
        assert_eq!(ours, library, "{kind}");
    }
}

/// Executes `job` on Dagster, fails it at `check`, then re-executes it from failure in the
/// same Dagster instance; prints `{first, second, parent, steps}` as JSON.
const REEXECUTE: &str = r#"
import json, os, sys
import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository

job = sys.argv[1]
recon = ReconstructableRepository.for_file("definitions.py", "defs", os.getcwd()).get_reconstructable_job(job)
instance = dg.DagsterInstance.ephemeral()
os.environ["KEDRUST_FIXTURE_FAIL_CHECK"] = "1"
first = dg.execute_job(recon, instance)
del os.environ["KEDRUST_FIXTURE_FAIL_CHECK"]
second = dg.execute_job(
    recon, instance, reexecution_options=dg.ReexecutionOptions.from_failure(first.run_id, instance)
)
steps = [e.step_key for e in second.all_events if e.event_type_value == "STEP_SUCCESS"]
print(json.dumps({"first": first.run_id, "first_ok": first.success, "second": second.run_id,
                  "second_ok": second.success, "parent": second.dagster_run.parent_run_id, "steps": steps}))
"#;

/// [`REEXECUTE`] of `job`: its report, once the first run failed and its re-execution
/// succeeded.
pub(crate) fn reexecute_from_failure(
    f: &Fixture,
    job: &str,
    env: &[(&str, &str)],
) -> serde_json::Value {
    let out = python(
        f,
        &format!("import sys; sys.argv = ['', '{job}']\n{REEXECUTE}"),
        env,
    );
    let report: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(report["first_ok"], false, "{report}");
    assert_eq!(report["second_ok"], true, "{report}");
    report
}

#[test]
fn a_dagster_reexecution_from_failure_is_a_new_run_that_fires_its_start_hooks_once() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let report = reexecute_from_failure(&f, "failing_in_memory_job", &[]);
    let (first, second) = (
        report["first"].as_str().unwrap(),
        report["second"].as_str().unwrap(),
    );
    assert_eq!(report["parent"], first);
    assert_eq!(
        report["steps"],
        serde_json::json!([
            "failing_in_memory_job__check",
            "failing_in_memory_job__after_check",
            "failing_in_memory_job__after_pipeline_run_hook_failing_in_memory_job"
        ]),
        "Dagster re-runs the failed op and what never ran; the start op succeeded before"
    );

    // The re-execution is a run of its own (Dagster's run id, the parent recorded), and its
    // start hooks fire once, in its first op, before any of its nodes.
    let of = |run: &str| -> Vec<String> {
        f.trace()
            .iter()
            .filter(|t| t["run_id"] == run)
            .map(|t| {
                format!(
                    "{} {} {}",
                    t["hook"].as_str().unwrap(),
                    t["node"].as_str().unwrap_or("-"),
                    t["op"].as_str().unwrap_or("-")
                )
            })
            .filter(|l| !l.contains("dataset"))
            .collect()
    };
    assert_eq!(
        of(second),
        [
            "after_context_created - check",
            "after_catalog_created - check",
            "before_pipeline_run - check",
            "before_node_run check check",
            "after_node_run check check",
            "before_node_run after_check after_check",
            "after_node_run after_check after_check",
            "after_pipeline_run - after_pipeline_run_hook_failing_in_memory_job",
        ]
    );
    assert!(
        of(first).ends_with(&[
            "before_node_run check check".to_owned(),
            "on_node_error check check".to_owned()
        ]),
        "{:?}",
        of(first)
    );
    let shown = f.run(&["runs", "show", second], &[]).stdout;
    assert!(shown.lines().next().unwrap().contains("SUCCESS"), "{shown}");
    assert!(shown.contains(&format!("parent {first}")), "{shown}");
    // Its own save version: the start op's of the parent is not reused.
    assert_ne!(
        f.run(&["runs", "show", first], &[])
            .stdout
            .lines()
            .find(|l| l.contains("save version")),
        shown.lines().find(|l| l.contains("save version")),
    );
}

#[test]
fn embedded_retries_wait_what_dagsters_retry_policy_waits() {
    use kedrust_plan::{Backoff, RetryPolicy};
    let python = dagster().with_file_name("python");
    // Dagster's own delays for the first five retries, without jitter.
    let script = "from dagster._core.definitions.policy import Backoff, calculate_delay\n\
                  for b in (None, Backoff.LINEAR, Backoff.EXPONENTIAL):\n    \
                  print(' '.join(repr(float(calculate_delay(n, b, None, 0.75))) for n in range(1, 6)))\n";
    let out = Command::new(python).args(["-c", script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dagsters: Vec<Vec<f64>> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').map(|n| n.parse().unwrap()).collect())
        .collect();
    // The order of the generated definitions.py's mapping: constant is Dagster's None.
    for (backoff, dagster) in [Backoff::Constant, Backoff::Linear, Backoff::Exponential]
        .into_iter()
        .zip(&dagsters)
    {
        let policy = RetryPolicy {
            max_retries: 5,
            delay: 0.75,
            backoff,
        };
        let ours: Vec<f64> = (1..=5).map(|n| policy.delay_before(n)).collect();
        assert_eq!(&ours, dagster, "{backoff:?}");
    }
}

/// Runs `chain_job`, then re-executes chosen ops of it twice (only `summarise`; the start op
/// and `make_numbers`), then ticks the failure sensor twice; prints the run ids as JSON.
const REEXECUTE_CHOSEN: &str = r#"
recon = reconstructable("chain_job")
first = dg.execute_job(recon, instance)
def again(*steps):
    options = dg.ReexecutionOptions(parent_run_id=first.run_id, step_selection=list(steps))
    return dg.execute_job(recon, instance, reexecution_options=options)
chosen = again("chain_job__summarise")
with_start = again("chain_job__before_pipeline_run_hook_chain_job", "chain_job__make_numbers")
tick(2)
print(json.dumps({"ok": [first.success, chosen.success, with_start.success],
                  "first": first.run_id, "chosen": chosen.run_id, "with_start": with_start.run_id}))
"#;

#[test]
fn a_reexecution_of_chosen_ops_fires_its_start_hooks_first_and_after_pipeline_run_once() {
    let (f, _home, last) = on_a_fresh_instance(REEXECUTE_CHOSEN, &[]);
    let report: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(
        report["ok"],
        serde_json::json!([true, true, true]),
        "{report}"
    );
    let of = |run: &str| -> Vec<String> {
        f.trace()
            .iter()
            .filter(|t| t["run_id"] == run && !t["hook"].as_str().unwrap().contains("dataset"))
            .map(|t| {
                format!(
                    "{} {}",
                    t["hook"].as_str().unwrap(),
                    t["node"].as_str().unwrap_or("-")
                )
            })
            .collect()
    };
    let start = [
        "after_context_created -",
        "after_catalog_created -",
        "before_pipeline_run -",
    ];
    // Only `summarise`: the start hooks fire in its op, before it; the end op was not chosen,
    // and the sensor ends the run with after_pipeline_run, once.
    let mut expected: Vec<&str> = start.to_vec();
    expected.extend([
        "before_node_run summarise",
        "after_node_run summarise",
        "after_pipeline_run -",
    ]);
    assert_eq!(of(report["chosen"].as_str().unwrap()), expected);
    // The start op and `make_numbers`: the start hooks fire in the start op.
    let mut expected: Vec<&str> = start.to_vec();
    expected.extend([
        "before_node_run make_numbers",
        "after_node_run make_numbers",
        "after_pipeline_run -",
    ]);
    assert_eq!(of(report["with_start"].as_str().unwrap()), expected);
    for run in ["first", "chosen", "with_start"] {
        let run_id = report[run].as_str().unwrap();
        let (head, _) = f.events(run_id);
        assert!(head.contains("SUCCESS"), "{run}: {head}");
        assert_eq!(
            f.fired_for("after_pipeline_run")
                .iter()
                .filter(|r| *r == run_id)
                .count(),
            1,
            "{run}"
        );
    }
}

/// Runs `failing_job` (fails), re-executes it from failure (fails again), then ticks the
/// failure sensor twice; prints both run ids as JSON.
const REEXECUTION_FAILS_AGAIN: &str = r#"
recon = reconstructable("failing_job")
first = dg.execute_job(recon, instance)
second = dg.execute_job(
    recon, instance, reexecution_options=dg.ReexecutionOptions.from_failure(first.run_id, instance)
)
tick(2)
print(json.dumps({"ok": [first.success, second.success], "first": first.run_id, "second": second.run_id}))
"#;

#[test]
fn a_failed_reexecution_gets_its_own_on_pipeline_error_from_the_sensor() {
    let (f, _home, last) = on_a_fresh_instance(
        REEXECUTION_FAILS_AGAIN,
        &[("KEDRUST_FIXTURE_FAIL_CHECK", "1")],
    );
    let report: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(report["ok"], serde_json::json!([false, false]), "{report}");
    let (first, second) = (
        report["first"].as_str().unwrap(),
        report["second"].as_str().unwrap(),
    );
    let mut fired = f.fired_for("on_pipeline_error");
    fired.sort();
    let mut expected = vec![first.to_owned(), second.to_owned()];
    expected.sort();
    assert_eq!(
        fired, expected,
        "once for the run, once for its re-execution"
    );
    for run in [first, second] {
        let (head, _) = f.events(run);
        assert!(head.contains("FAILURE"), "{head}");
    }
}
