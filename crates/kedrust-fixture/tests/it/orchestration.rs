//! The orchestrator: ops in the trace, the run store, jobs, resume, and failures of every
//! kind (a killed step, a killed orchestrator) firing `on_pipeline_error` exactly once.

use crate::Fixture;
use std::process::Command;
use std::time::Duration;

const RUNNERS: [&str; 3] = ["sequential", "thread", "process"];

#[test]
fn every_hook_fires_in_its_op_and_the_run_store_has_each_pipeline_hook_once() {
    for runner in RUNNERS {
        let f = Fixture::new("basic");
        assert_eq!(f.run(&["run", "-r", runner], &[]).code, 0);
        for t in f.trace() {
            let op = t["op"].as_str().unwrap_or_default();
            let expected = match t["hook"].as_str().unwrap() {
                "after_context_created" | "after_catalog_created" | "before_pipeline_run" => {
                    "before_pipeline_run_hook_run"
                }
                "after_pipeline_run" => "after_pipeline_run_hook_run",
                _ => t["node"].as_str().unwrap(),
            };
            assert_eq!(op, expected, "{runner}: {t}");
        }
        let run_id = f.last_run_id();
        let (head, events) = f.events(&run_id);
        assert!(head.contains("SUCCESS"), "{head}");
        for hook in [
            "after_context_created",
            "after_catalog_created",
            "before_pipeline_run",
            "after_pipeline_run",
        ] {
            let out = f.run(&["runs", "show", &run_id], &[]);
            let n = out
                .stdout
                .lines()
                .filter(|l| l.contains("HOOK_COMPLETED") && l.ends_with(hook))
                .count();
            assert_eq!(n, 1, "{runner}: {hook}");
        }
        let materialised = events
            .iter()
            .filter(|(k, _)| k == "ASSET_MATERIALIZATION")
            .count();
        assert_eq!(materialised, 3, "{runner}: doubled, report, summary");
        assert_eq!(events.first().unwrap().0, "RUN_START");
        assert_eq!(events.last().unwrap().0, "RUN_SUCCESS");
        assert!(
            f.fired("on_pipeline_error") == 0,
            "{runner}: never on success"
        );
    }
}

#[test]
fn a_job_runs_with_its_executor_and_its_op_names() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--job", "chain_job"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let trace = f.trace();
    assert_eq!(trace[0]["op"], "before_pipeline_run_hook_chain_job");
    assert_eq!(
        trace.last().unwrap()["op"],
        "after_pipeline_run_hook_chain_job"
    );
    let orchestrator = trace[0]["pid"].as_u64();
    let steps = f.step_processes();
    assert_eq!(steps.len(), 4, "multiprocess: one step per node");
    assert!(
        steps.iter().all(|p| Some(*p) != orchestrator),
        "each in a worker process"
    );
    let out = f.run(&["runs", "list"], &[]);
    assert!(out.stdout.contains("job chain_job"), "{}", out.stdout);
}

#[test]
fn a_resumed_run_runs_only_what_failed_or_never_ran() {
    let f = Fixture::new("basic");
    let out = f.run(
        &["run", "-p", "failing"],
        &[("KEDRUST_FIXTURE_FAIL_CHECK", "1")],
    );
    assert_eq!(out.code, 1);
    let failed = f.last_run_id();
    std::fs::remove_file(f.trace_path()).unwrap();
    let out = f.run(&["run", "--resume", &failed], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        f.nodes_run(),
        ["check", "after_check"],
        "doubled is persisted"
    );
    let list = f.run(&["runs", "list"], &[]).stdout;
    assert!(
        list.lines()
            .next()
            .unwrap()
            .contains(&format!("(resumes {failed})")),
        "{list}"
    );
    let again = f.run(&["run", "--resume", &f.last_run_id()], &[]);
    assert_eq!(again.code, 2);
    assert!(
        again
            .stderr
            .contains("succeeded; there is nothing to resume"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_sigkilled_step_fails_the_run_and_fires_on_pipeline_error_once() {
    let f = Fixture::new("basic");
    let (mut child, blocked) = f.spawn_blocked(&["run", "-p", "failing", "-r", "process"], &[]);
    // The step's pid, as the run store recorded it.
    let run_id = f.last_run_id();
    let shown = f.run(&["runs", "show", &run_id], &[]).stdout;
    let pid = shown
        .lines()
        .filter(|l| l.contains("ENGINE_EVENT") && l.contains(" check "))
        .find_map(|l| {
            l.split("step process ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .expect("the step's pid is recorded");
    assert_eq!(blocked, pid);
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(f.fired("on_pipeline_error"), 1);
    let (head, events) = f.events(&run_id);
    assert!(head.contains("FAILURE"), "{head}");
    assert!(
        events
            .iter()
            .any(|(k, op)| k == "STEP_FAILURE" && op == "check")
    );
}

#[test]
fn a_killed_orchestrator_is_found_by_the_next_run_which_fires_on_pipeline_error_once() {
    let f = Fixture::new("basic");
    let block = f.block_path();
    let fast = [("KEDRUST_HEARTBEAT_MS", "50")];
    let (mut orchestrator, _) = f.spawn_blocked(&["run", "-p", "failing"], &fast);
    let orphan = f.last_run_id();
    let shown = f.run(&["runs", "show", &orphan], &fast).stdout;
    let pid: u32 = shown
        .split(" pid ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        pid,
        orchestrator.id(),
        "the run store records the orchestrator"
    );
    Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    orchestrator.wait().unwrap();
    std::fs::remove_file(&block).unwrap();
    assert!(f.fired("on_pipeline_error") == 0, "nobody saw it yet");
    // Listing does not fire user hooks; a command that runs work does.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(f.run(&["runs", "list"], &fast).code, 0);
    assert!(f.fired("on_pipeline_error") == 0);
    assert_eq!(f.run(&["run", "-p", "chain"], &fast).code, 0);
    assert_eq!(f.fired_for("on_pipeline_error"), [orphan.as_str()]);
    let (head, _) = f.events(&orphan);
    assert!(head.contains("FAILURE"), "{head}");
    // A second run does not fire it again.
    assert_eq!(f.run(&["run", "-p", "chain"], &fast).code, 0);
    assert_eq!(f.fired("on_pipeline_error"), 1);
}

#[test]
fn state_set_in_the_start_op_is_seen_in_every_node_process() {
    let f = Fixture::new("basic");
    let state = f.path().join("state.txt");
    let out = f.run(
        &["run", "-r", "process"],
        &[("KEDRUST_FIXTURE_STATE", state.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = std::fs::read_to_string(&state).unwrap();
    let orchestrator = f.trace()[0]["pid"].as_u64().unwrap().to_string();
    assert_eq!(lines.lines().count(), 4);
    for line in lines.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_ne!(
            parts[1], orchestrator,
            "the node ran in its own process: {line}"
        );
        assert_eq!(
            parts[2], orchestrator,
            "and saw the start op's state: {line}"
        );
    }
}

#[test]
fn a_failed_step_is_retried_as_its_job_says() {
    let f = Fixture::new("basic");
    let marker = f.path().join("failed-once");
    let out = f.run(
        &["run", "--job", "retrying_job"],
        &[("KEDRUST_FIXTURE_FAIL_ONCE", marker.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (_, events) = f.events(&f.last_run_id());
    let check: Vec<&str> = events
        .iter()
        .filter(|(_, op)| op == "check")
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        check,
        [
            "STEP_START",
            "ENGINE_EVENT",
            "STEP_UP_FOR_RETRY",
            "STEP_RESTARTED",
            "ENGINE_EVENT",
            "STEP_SUCCESS"
        ],
        "Dagster's sequence for a retried step, with the step process's own event"
    );
    let node_errors = f
        .trace_lines()
        .iter()
        .filter(|l| l.starts_with("on_node_error check"))
        .count();
    assert_eq!(
        node_errors, 1,
        "the failed attempt fired on_node_error in its process"
    );
    assert!(f.fired("on_pipeline_error") == 0);
}

#[test]
fn steps_share_their_workers_and_a_worker_that_dies_is_replaced() {
    // One worker at a time: every step of the chain runs in the same process.
    let f = Fixture::new("basic");
    let out = f.run(&["run", "-r", "process", "--max-workers", "1"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pids = f.step_processes();
    assert_eq!(pids.len(), 4, "{pids:?}");
    assert!(pids.iter().all(|p| *p == pids[0]), "{pids:?}");
    assert_ne!(Some(pids[0]), f.trace()[0]["pid"].as_u64());

    // A worker that dies fails its step; the retry runs in a new worker and the run succeeds.
    let f = Fixture::new("basic");
    let marker = f.path().join("crashed-once");
    let out = f.run(
        &["run", "--job", "retrying_job"],
        &[("KEDRUST_FIXTURE_CRASH_ONCE", marker.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let shown = f.run(&["runs", "show", &f.last_run_id()], &[]).stdout;
    assert!(
        shown.contains("node 'check' crashed: its process was killed by signal 6"),
        "{shown}"
    );
    // The first worker ran the steps up to the crash, its replacement the retry and the rest.
    let mut workers = f.step_processes();
    workers.dedup();
    assert_eq!(workers.len(), 2, "{workers:?}");
    assert_eq!(f.fired("on_pipeline_error"), 0);

    // Without a retry, a dead worker fails the run, which fires on_pipeline_error once.
    let f = Fixture::new("basic");
    let marker = f.path().join("crashed-once");
    let out = f.run(
        &["run", "-p", "failing", "-r", "process"],
        &[("KEDRUST_FIXTURE_CRASH_ONCE", marker.to_str().unwrap())],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("its process was killed by signal 6"),
        "{}",
        out.stderr
    );
    assert_eq!(f.fired("on_pipeline_error"), 1);
}

#[test]
fn ctrl_c_stops_running_steps_marks_the_run_canceled_and_fires_on_pipeline_error() {
    let f = Fixture::new("basic");
    let (mut orchestrator, step) = f.spawn_blocked(&["run", "-p", "failing", "-r", "process"], &[]);
    Command::new("kill")
        .args(["-INT", &orchestrator.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(orchestrator.wait().unwrap().code(), Some(1));
    let step_alive = Command::new("kill")
        .args(["-0", &step.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(!step_alive, "the running step was stopped");
    let (head, events) = f.events(&f.last_run_id());
    assert!(head.contains("CANCELED"), "{head}");
    assert_eq!(events.last().unwrap().0, "RUN_CANCELED");
    let lines = f.trace_lines();
    assert_eq!(f.fired("on_pipeline_error"), 1);
    assert!(
        !lines.iter().any(|l| l.contains("after_check")),
        "no node started after it"
    );
}

#[test]
fn schedules_are_listed_and_served_on_a_simulated_clock() {
    let f = Fixture::new("basic");
    let out = f.run(&["schedules", "list", "--at", "2026-01-01T00:30:00Z"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout, @"chain_job_hourly_schedule: job chain_job, cron '0 * * * *' (UTC), next 2026-01-01T01:00:00+00:00");
    let out = f.run(
        &[
            "schedules",
            "serve",
            "--from",
            "2026-01-01T00:30:00Z",
            "--until",
            "2026-01-01T03:10:00Z",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "served 3 ticks\n");
    let runs = f.run(&["runs", "list"], &[]).stdout;
    assert_eq!(
        runs.lines()
            .filter(|l| l.contains("SUCCESS") && l.contains("job chain_job"))
            .count(),
        3,
        "{runs}"
    );
}

#[test]
fn the_end_op_fires_after_a_slow_terminal_node_of_the_first_layer() {
    for runner in ["thread", "process"] {
        let f = Fixture::new("basic");
        // `slow_audit` (first layer, terminal) finishes only once the chain's last save is
        // done: an end op wired to the chain alone would fire before it.
        let mark = f.path().join("sink-saved");
        let mark = mark.to_str().unwrap();
        let out = f.run(
            &["run", "-p", "early_end", "-r", runner, "--max-workers", "2"],
            &[
                ("KEDRUST_FIXTURE_AUDIT_WAITS_FOR", mark),
                ("KEDRUST_FIXTURE_MARK_SAVED", &format!("sink_result={mark}")),
            ],
        );
        assert_eq!(out.code, 0, "{runner}: {}", out.stderr);
        let lines = f.trace_lines();
        let audit_done = lines
            .iter()
            .position(|l| l == "after_dataset_saved slow_audit audit_result")
            .unwrap();
        let sink_done = lines
            .iter()
            .position(|l| l == "after_dataset_saved sink sink_result")
            .unwrap();
        let end = lines
            .iter()
            .position(|l| l.starts_with("after_pipeline_run"))
            .unwrap();
        assert!(sink_done < audit_done, "{runner}: the chain ends first");
        assert!(
            audit_done < end,
            "{runner}: the end op waits for the first-layer terminal node"
        );
    }
}

#[test]
fn the_run_store_can_move() {
    let f = Fixture::new("basic");
    let moved = [("KEDRUST_RUN_STORE", "elsewhere/store.db")];
    assert_eq!(f.run(&["run"], &moved).code, 0);
    assert!(f.path().join("elsewhere/store.db").is_file());
    assert!(!f.path().join(".kedrust/runs.db").exists());
    assert!(f.run(&["runs", "list"], &moved).stdout.contains("SUCCESS"));
}

#[test]
fn a_resumed_run_reruns_the_producers_of_in_memory_data_it_needs() {
    // `failing_in_memory` passes `doubled_in_memory` through memory: it is gone when the run
    // ends, so the resume runs `double` (and what it needs) again before `check`.
    for runner in ["sequential", "process"] {
        let f = Fixture::new("basic");
        let out = f.run(
            &["run", "-p", "failing_in_memory", "-r", runner],
            &[("KEDRUST_FIXTURE_FAIL_CHECK", "1")],
        );
        assert_eq!(out.code, 1, "{runner}");
        let failed = f.last_run_id();
        std::fs::remove_file(f.trace_path()).unwrap();
        let out = f.run(&["run", "--resume", &failed], &[]);
        assert_eq!(out.code, 0, "{runner}: {}", out.stderr);
        assert_eq!(
            f.nodes_run(),
            ["make_numbers", "double", "check", "after_check"],
            "{runner}: memory data is made again"
        );
    }
}
