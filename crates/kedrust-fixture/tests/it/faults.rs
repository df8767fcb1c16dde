//! The lifecycle under faults: orphans are only runs whose orchestrator is gone, steps die
//! with their orchestrator, Ctrl-C cancels, retries find their inputs, run ids stay inside the
//! state folder, and the ops of one run share one save version.

use crate::{Fixture, wait_for};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Whether process `pid` runs (a zombie, dead but not yet reaped, does not).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .next()?
                .to_owned();
            Some(state != "Z" && state != "X")
        })
        .unwrap_or(false)
}

fn signal(signal: &str, target: &str) {
    let status = Command::new("kill")
        .args([signal, "--", target])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {target}");
}

/// Waits up to `limit` for `child` to exit; its exit code.
fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The ops of `chain_job` after its start op, in an order Dagster may run them.
const CHAIN_JOB_AFTER_START: [&str; 5] = [
    "make_numbers",
    "double",
    "total",
    "summarise",
    "after_pipeline_run_hook_chain_job",
];

/// The status word of `runs show <id>` (`STARTED`, `SUCCESS`, ...).
fn status(f: &Fixture, run_id: &str) -> String {
    let (head, _) = f.events(run_id);
    head.split_whitespace()
        .nth(2)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_live_orchestrator_is_never_swept_as_an_orphan() {
    // (case, the orchestrator's heartbeat interval in ms, whether it is stopped with SIGSTOP)
    let cases = [
        ("stopped with SIGSTOP past the limit", "50", true),
        (
            "a slower heartbeat than the sweeping shell's",
            "5000",
            false,
        ),
    ];
    for (case, heartbeat, stop) in cases {
        let f = Fixture::new("basic");
        let block = f.block_path();
        let (mut orchestrator, _) = f.spawn_blocked(
            &["run", "-p", "failing"],
            &[("KEDRUST_HEARTBEAT_MS", heartbeat)],
        );
        let running = f.last_run_id();
        let pid = orchestrator.id().to_string();
        if stop {
            signal("-STOP", &pid);
        }
        // Ten of the sweeping shell's heartbeats, and ten of the stopped run's own.
        std::thread::sleep(Duration::from_millis(500));
        let sweeper = f.run(&["run", "-p", "chain"], &[("KEDRUST_HEARTBEAT_MS", "50")]);
        assert_eq!(sweeper.code, 0, "{case}: {}", sweeper.stderr);
        assert_eq!(f.fired("on_pipeline_error"), 0, "{case}");
        assert_eq!(status(&f, &running), "STARTED", "{case}");
        if stop {
            signal("-CONT", &pid);
        }
        std::fs::remove_file(&block).unwrap();
        assert_eq!(
            exit_within(&mut orchestrator, Duration::from_secs(30)),
            Some(0),
            "{case}"
        );
        assert_eq!(status(&f, &running), "SUCCESS", "{case}");
        assert_eq!(f.fired("on_pipeline_error"), 0, "{case}: never on success");
    }
}

#[test]
fn a_running_dagster_run_is_never_swept_as_an_orphan() {
    let f = Fixture::new("basic");
    let dagster_run = [("KEDRUST_RUN_ID", "6f1c2d3e-0000-4000-8000-00000000d001")];
    let run_id = dagster_run[0].1;
    // Dagster ran the start op and the first node op; its other ops have not started.
    for op in ["before_pipeline_run_hook_chain_job", "make_numbers"] {
        let out = f.run(
            &["__dagster_op", "--job", "chain_job", "--op", op],
            &dagster_run,
        );
        assert_eq!(out.code, 0, "{op}: {}", out.stderr);
    }
    let (head, _) = f.events(run_id);
    assert!(head.ends_with("kept by dagster"), "{head}");
    std::thread::sleep(Duration::from_millis(400));
    // An embedded run in the same project sweeps orphans first.
    let out = f.run(&["run", "-p", "chain"], &[("KEDRUST_HEARTBEAT_MS", "50")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(f.fired("on_pipeline_error"), 0);
    assert_eq!(status(&f, run_id), "STARTED");
    // Dagster goes on with the run, which ends as it would have.
    for op in [
        "double",
        "total",
        "summarise",
        "after_pipeline_run_hook_chain_job",
    ] {
        let out = f.run(
            &["__dagster_op", "--job", "chain_job", "--op", op],
            &dagster_run,
        );
        assert_eq!(out.code, 0, "{op}: {}", out.stderr);
    }
    assert_eq!(status(&f, run_id), "SUCCESS");
    assert_eq!(
        f.fired("before_pipeline_run"),
        2,
        "the Dagster run's and the embedded run's"
    );
}

#[test]
fn heartbeat_settings_that_mean_nothing_are_refused_before_anything_runs() {
    for value in ["0", "abc", "-5", "1.5"] {
        let f = Fixture::new("basic");
        let out = f.run(&["run"], &[("KEDRUST_HEARTBEAT_MS", value)]);
        assert_eq!(out.code, 2, "{value}: {}", out.stderr);
        assert_eq!(
            out.stderr.trim(),
            format!(
                "error: KEDRUST_HEARTBEAT_MS='{value}' is not allowed: give a whole number of \
                 milliseconds from 1 to 3600000"
            )
        );
        assert!(f.trace().is_empty(), "{value}: no hook fired");
        assert_eq!(
            f.run(&["runs", "list"], &[]).stdout,
            "no runs recorded yet\n"
        );
    }
}

#[test]
fn run_ids_that_are_not_one_folder_name_are_refused() {
    let f = Fixture::new("basic");
    for bad in ["", "..", "a/b", "../../outside"] {
        let out = f.run(
            &[
                "__dagster_op",
                "--job",
                "chain_job",
                "--op",
                "before_pipeline_run_hook_chain_job",
            ],
            &[("KEDRUST_RUN_ID", bad)],
        );
        assert_eq!(out.code, 2, "{bad:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("error: run id '{bad}' is not allowed")),
            "{bad:?}: {}",
            out.stderr
        );
        let failure = f.run(
            &["__dagster_failure", "--job", "chain_job", "--run-id", bad],
            &[],
        );
        assert_eq!(failure.code, 2, "{bad:?}: {}", failure.stderr);
    }
    assert!(f.trace().is_empty(), "no hook fired");
    assert_eq!(
        f.run(&["runs", "list"], &[]).stdout,
        "no runs recorded yet\n"
    );
    assert!(!f.path().join(".kedrust/runs").exists());
    assert!(!f.path().parent().unwrap().join("outside").exists());
}

#[test]
fn steps_die_with_their_orchestrator() {
    let f = Fixture::new("basic");
    let (mut orchestrator, step) = f.spawn_blocked(&["run", "-p", "failing", "-r", "process"], &[]);
    assert!(alive(step));
    signal("-9", &orchestrator.id().to_string());
    orchestrator.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(step) {
        assert!(
            Instant::now() < deadline,
            "step {step} outlived its orchestrator"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_dagster_op_dies_with_the_dagster_process_that_started_it() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let block = f.block_path();
    let mut dagster = crate::clean_command(crate::dagster::dagster())
        .args([
            "job",
            "execute",
            "-f",
            "definitions.py",
            "-j",
            "failing_job",
        ])
        .current_dir(f.path())
        .env("DAGSTER_DISABLE_TELEMETRY", "1")
        .env("KEDRUST_FIXTURE_BLOCK", &block)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&block);
    let op: u32 = std::fs::read_to_string(&block).unwrap().parse().unwrap();
    assert!(alive(op));
    signal("-9", &dagster.id().to_string());
    dagster.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(op) {
        assert!(Instant::now() < deadline, "op {op} outlived Dagster");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_in_a_terminal_cancels_the_run_and_a_second_one_exits_at_once() {
    // A terminal sends SIGINT to the whole foreground process group: the orchestrator and
    // every step.
    let in_group = |f: &Fixture, args: &[&str], block: &std::path::Path| {
        let mut command = f.command(args, &[("KEDRUST_FIXTURE_BLOCK", block.to_str().unwrap())]);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        command.stderr(std::process::Stdio::null()).spawn().unwrap()
    };
    let f = Fixture::new("basic");
    let block = f.path().join("block");
    let mut orchestrator = in_group(&f, &["run", "-p", "failing", "-r", "process"], &block);
    wait_for(&block);
    let step: u32 = std::fs::read_to_string(&block).unwrap().parse().unwrap();
    signal("-INT", &format!("-{}", orchestrator.id()));
    assert_eq!(
        exit_within(&mut orchestrator, Duration::from_secs(20)),
        Some(1)
    );
    assert!(!alive(step), "the step was stopped");
    let cancelled = f.last_run_id();
    assert_eq!(status(&f, &cancelled), "CANCELED");
    assert_eq!(f.fired("on_pipeline_error"), 1);

    // In one process (sequential or threaded) the running node goes on after the first
    // Ctrl-C; the second one ends the process at once, and the next run fails the abandoned
    // run with its hook, once.
    for runner in ["sequential", "thread"] {
        let f = Fixture::new("basic");
        let block = f.path().join("block");
        let mut orchestrator = in_group(&f, &["run", "-p", "failing", "-r", runner], &block);
        wait_for(&block);
        let abandoned = f.last_run_id();
        let group = format!("-{}", orchestrator.id());
        signal("-INT", &group);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            orchestrator.try_wait().unwrap().is_none(),
            "{runner}: the node still runs"
        );
        signal("-INT", &group);
        assert_eq!(
            exit_within(&mut orchestrator, Duration::from_secs(10)),
            Some(130),
            "{runner}: the node blocks for 30 s: only an exit at once ends it this soon"
        );
        assert_eq!(f.fired("on_pipeline_error"), 0);
        assert_eq!(f.run(&["run", "-p", "chain"], &[]).code, 0);
        assert_eq!(f.fired_for("on_pipeline_error"), [abandoned.as_str()]);
        assert_eq!(status(&f, &abandoned), "FAILURE", "{runner}");
    }
}

/// Runs `job` of the `faults` environment with the fixture switch `switch` pointed at a marker
/// file that makes something fail once; the project, after checking the run succeeded and the
/// failure happened.
fn run_failing_once(job: &str, switch: &str) -> Fixture {
    let f = Fixture::new("basic");
    let marker = f.path().join("failed-once");
    let out = f.run(
        &["run", "--env", "faults", "--job", job],
        &[(switch, marker.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{job}: {}", out.stderr);
    assert!(marker.exists(), "{job}: the first attempt failed");
    f
}

#[test]
fn a_retried_node_loads_its_in_memory_input_again_in_every_executor() {
    for job in ["retrying_in_memory_job", "retrying_in_memory_parallel_job"] {
        let f = run_failing_once(job, "KEDRUST_FIXTURE_FAIL_ONCE");
        let loads = f
            .trace_lines()
            .iter()
            .filter(|l| *l == "after_dataset_loaded check doubled_in_memory")
            .count();
        assert_eq!(loads, 2, "{job}: both attempts loaded the input");
        let (_, events) = f.events(&f.last_run_id());
        assert!(
            events
                .iter()
                .any(|(k, op)| k == "STEP_UP_FOR_RETRY" && op == "check"),
            "{job}"
        );
        assert_eq!(f.fired("on_pipeline_error"), 0, "{job}");
    }
}

#[test]
fn ops_of_one_run_that_start_together_wait_for_the_start_hooks_and_share_one_save_version() {
    // A re-execution from failure skips the start op, so its first ops may start together.
    let f = Fixture::new("basic");
    let versions = f.path().join("versions.txt");
    let run_id = "6f1c2d3e-0000-4000-8000-00000000d002";
    // The op that claims the start hooks blocks in before_pipeline_run until told to go on.
    let block = f.path().join("start-block");
    let block_hook = format!("before_pipeline_run={}", block.display());
    let env = [
        ("KEDRUST_RUN_ID", run_id),
        ("KEDRUST_FIXTURE_VERSIONS", versions.to_str().unwrap()),
        ("KEDRUST_FIXTURE_BLOCK_HOOK", block_hook.as_str()),
    ];
    let mut ops: Vec<Child> = ["branch_a", "branch_b", "branch_c"]
        .iter()
        .map(|op| f.spawn(&["__dagster_op", "--job", "fan_job", "--op", op], &env))
        .collect();
    wait_for(&block);
    // While the start hooks are not done, the other ops wait: no node has started.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        f.nodes_run(),
        Vec::<String>::new(),
        "the ops wait for the start hooks"
    );
    std::fs::remove_file(&block).unwrap();
    for op in &mut ops {
        assert_eq!(exit_within(op, Duration::from_secs(60)), Some(0));
    }
    let seen: std::collections::BTreeSet<String> = std::fs::read_to_string(&versions)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let shown = f.run(&["runs", "show", run_id], &[]).stdout;
    let stored = format!("  save version {}\n", seen.first().unwrap());
    assert!(shown.contains(&stored), "{shown}");
    assert_eq!(
        f.fired("before_pipeline_run"),
        1,
        "the start hooks fired once"
    );
    let lines = f.trace_lines();
    let started = lines
        .iter()
        .position(|l| l.starts_with("before_pipeline_run"))
        .unwrap();
    let first_node = lines
        .iter()
        .position(|l| l.starts_with("before_node_run"))
        .unwrap();
    assert!(
        started < first_node,
        "every node after the start hooks: {lines:?}"
    );
    assert_eq!(f.nodes_run().len(), 3);
}

#[test]
fn a_process_killed_while_firing_on_pipeline_error_hands_it_to_the_next_run() {
    let f = Fixture::new("basic");
    let block = f.block_path();
    let at = format!("on_pipeline_error={}", block.display());
    let mut orchestrator = f.spawn(
        &["run", "-p", "failing", "--params", "fail=true"],
        &[("KEDRUST_FIXTURE_BLOCK_HOOK", &at)],
    );
    wait_for(&block);
    let failed = f.last_run_id();
    signal("-9", &orchestrator.id().to_string());
    orchestrator.wait().unwrap();
    assert_eq!(status(&f, &failed), "STARTED");
    assert!(
        f.recorded("first")
            .iter()
            .all(|l| !l.starts_with("on_pipeline_error"))
    );
    // The next command that runs work finds the run, and the claim of the dead process.
    assert_eq!(f.run(&["run", "-p", "chain"], &[]).code, 0);
    for recorder in ["first", "second"] {
        let fired = f
            .recorded(recorder)
            .iter()
            .filter(|l| l.starts_with("on_pipeline_error"))
            .count();
        assert_eq!(fired, 1, "{recorder}");
    }
    assert_eq!(status(&f, &failed), "FAILURE");
    // Later runs leave it alone.
    assert_eq!(f.run(&["run", "-p", "chain"], &[]).code, 0);
    assert_eq!(
        f.fired("on_pipeline_error"),
        2,
        "the killed firing and the completed one"
    );
}

/// Parameters no loader accepts: a step that read the configuration again would fail.
const BROKEN_PARAMETERS: &str = "count: [\n";

#[test]
fn a_run_reads_its_configuration_once_whatever_happens_to_conf_meanwhile() {
    // The process runner: the run's later steps start after the edit.
    let f = Fixture::new("basic");
    let (mut orchestrator, _) = f.spawn_blocked(&["run", "-p", "failing", "-r", "process"], &[]);
    std::fs::write(f.path().join("conf/base/parameters.yml"), BROKEN_PARAMETERS).unwrap();
    std::fs::remove_file(f.block_path()).unwrap();
    assert_eq!(
        exit_within(&mut orchestrator, Duration::from_secs(30)),
        Some(0)
    );
    assert!(f.nodes_run().contains(&"after_check".to_owned()));
    let next = f.run(&["run", "-p", "failing"], &[]);
    assert_eq!(next.code, 2, "the next run reads the edit: {}", next.stderr);

    // Dagster: the ops after the first read the run's snapshot.
    let f = Fixture::new("basic");
    let dagster_run = [("KEDRUST_RUN_ID", "6f1c2d3e-0000-4000-8000-00000000d003")];
    let op = |op: &str| {
        f.run(
            &["__dagster_op", "--job", "chain_job", "--op", op],
            &dagster_run,
        )
    };
    assert_eq!(op("before_pipeline_run_hook_chain_job").code, 0);
    std::fs::write(f.path().join("conf/base/parameters.yml"), BROKEN_PARAMETERS).unwrap();
    for name in CHAIN_JOB_AFTER_START {
        let out = op(name);
        assert_eq!(out.code, 0, "{name}: {}", out.stderr);
    }
    assert_eq!(status(&f, dagster_run[0].1), "SUCCESS");
}

#[test]
fn a_binary_rebuilt_during_a_run_does_not_change_its_later_steps() {
    let f = Fixture::new("basic");
    let bin = tempfile::tempdir().unwrap();
    let binary = bin.path().join("kedrust-fixture");
    std::fs::copy(env!("CARGO_BIN_EXE_kedrust-fixture"), &binary).unwrap();
    let block = f.path().join("block");
    let mut orchestrator = f
        .command_of(
            &binary,
            &["run", "-p", "failing", "-r", "process"],
            &[("KEDRUST_FIXTURE_BLOCK", block.to_str().unwrap())],
        )
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&block);
    // A rebuild writes a new file and moves it into place, as the linker does.
    let rebuilt = bin.path().join("kedrust-fixture.new");
    std::fs::write(&rebuilt, "#!/bin/sh\nexit 3\n").unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&rebuilt, executable).unwrap();
    std::fs::rename(&rebuilt, &binary).unwrap();
    std::fs::remove_file(&block).unwrap();
    assert_eq!(
        exit_within(&mut orchestrator, Duration::from_secs(30)),
        Some(0)
    );
    assert!(f.nodes_run().contains(&"after_check".to_owned()));
}

#[test]
fn a_retried_node_saves_again_the_version_its_failed_attempt_wrote() {
    let versions = |f: &Fixture| -> Vec<String> {
        std::fs::read_dir(f.path().join("data/checked.json"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    for job in ["retrying_in_memory_job", "retrying_in_memory_parallel_job"] {
        let f = run_failing_once(job, "KEDRUST_FIXTURE_FAIL_SAVED_ONCE");
        assert_eq!(versions(&f).len(), 1, "{job}: one version, saved twice");
    }
    // On Dagster, the retry is a new process that Dagster starts with its RetryPolicy.
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let marker = f.path().join("failed-once");
    let (code, text) = crate::dagster::execute_job(
        &f,
        "retrying_in_memory_parallel_job",
        None,
        &[
            ("KEDRUST_ENV", "faults"),
            ("KEDRUST_FIXTURE_FAIL_SAVED_ONCE", marker.to_str().unwrap()),
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert!(marker.exists(), "the first attempt failed after its save");
    // Dagster prints the failed attempt's events through its compute-log tail, which is
    // killed when the step process ends and can drop their last lines under load; the
    // restart is printed by the run's own process.
    assert!(
        text.contains("STEP_UP_FOR_RETRY") || text.contains("STEP_RESTARTED"),
        "the step was retried: {text}"
    );
    assert_eq!(versions(&f).len(), 1);
}

#[test]
fn on_pipeline_error_fires_when_the_run_store_refuses_the_claim() {
    let f = Fixture::new("basic");
    let block = f.path().join("block");
    let mut command = f.command(
        &["run", "-p", "failing", "--params", "fail=true"],
        &[("KEDRUST_FIXTURE_BLOCK", block.to_str().unwrap())],
    );
    let orchestrator = command
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&block);
    // The store loses its runs table under the running run (another tool, a bad migration).
    let broken = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); \
             c.execute('ALTER TABLE runs RENAME TO runs_elsewhere'); c.commit()",
        ])
        .arg(f.path().join(".kedrust/runs.db"))
        .status()
        .unwrap();
    assert!(broken.success());
    std::fs::remove_file(&block).unwrap();
    let out = orchestrator.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot claim on_pipeline_error"),
        "the store's refusal is said: {stderr}"
    );
    assert_eq!(
        f.fired("on_pipeline_error"),
        1,
        "the team still hears of the failure"
    );
}

#[test]
fn a_binary_rebuilt_during_a_dagster_run_does_not_change_its_later_ops() {
    let f = Fixture::new("basic");
    let bin = tempfile::tempdir().unwrap();
    let binary = bin.path().join("kedrust-fixture");
    std::fs::copy(env!("CARGO_BIN_EXE_kedrust-fixture"), &binary).unwrap();
    let run = [("KEDRUST_RUN_ID", "6f1c2d3e-0000-4000-8000-00000000d004")];
    let op = |name: &str| {
        let out = f
            .command_of(
                &binary,
                &["__dagster_op", "--job", "chain_job", "--op", name],
                &run,
            )
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        stderr.contains("started with another build of this binary")
    };
    assert!(
        !op("before_pipeline_run_hook_chain_job"),
        "the first op pins itself"
    );
    // A rebuild writes a new file and moves it into place, as the linker does.
    let rebuilt = bin.path().join("kedrust-fixture.new");
    std::fs::copy(env!("CARGO_BIN_EXE_kedrust-fixture"), &rebuilt).unwrap();
    std::fs::rename(&rebuilt, &binary).unwrap();
    for name in CHAIN_JOB_AFTER_START {
        assert!(op(name), "{name} ran the run's own build");
    }
    assert_eq!(status(&f, run[0].1), "SUCCESS");
}

#[test]
fn an_op_killed_while_firing_the_start_hooks_hands_them_to_its_retry() {
    let f = Fixture::new("basic");
    let run = ("KEDRUST_RUN_ID", "6f1c2d3e-0000-4000-8000-00000000d005");
    let block = f.block_path();
    let at = format!("before_pipeline_run={}", block.display());
    let start = [
        "__dagster_op",
        "--job",
        "chain_job",
        "--op",
        "before_pipeline_run_hook_chain_job",
    ];
    let mut first = f.spawn(&start, &[run, ("KEDRUST_FIXTURE_BLOCK_HOOK", &at)]);
    wait_for(&block);
    signal("-9", &first.id().to_string());
    first.wait().unwrap();
    // Dagster's retry of the op: a new process, which finds the claim of a dead one.
    let mut retry = f.spawn(&start, &[run]);
    assert_eq!(
        exit_within(&mut retry, Duration::from_secs(30)),
        Some(0),
        "the retry fired the start hooks instead of waiting for a dead op"
    );
    let completed = f
        .recorded("second")
        .iter()
        .filter(|l| l.starts_with("before_pipeline_run"))
        .count();
    assert_eq!(
        completed, 1,
        "the killed firing never completed; the retry's did"
    );
    let out = f.run(
        &["__dagster_op", "--job", "chain_job", "--op", "make_numbers"],
        &[run],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_tag_retry_policy_retries_the_nodes_with_its_tag_at_run_time() {
    let f = run_failing_once("tag_retrying_job", "KEDRUST_FIXTURE_FAIL_ONCE");
    let (_, events) = f.events(&f.last_run_id());
    let retried: Vec<&str> = events
        .iter()
        .filter(|(k, _)| k == "STEP_UP_FOR_RETRY")
        .map(|(_, op)| op.as_str())
        .collect();
    assert_eq!(retried, ["check"], "the flaky node, once");
    assert_eq!(f.fired("on_pipeline_error"), 0);
}
