//! The order of hook calls, from the trace, against Kedro's order for `kedro run` (spec §5.5
//! and §5.6), for every runner.

use crate::Fixture;

const RUNNERS: [&str; 3] = ["sequential", "thread", "process"];

/// Kedro's order for one node: loads, before_node_run, after_node_run, saves.
pub(crate) fn node_calls(node: &str, inputs: &[&str], outputs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for i in inputs {
        out.push(format!("before_dataset_loaded {node} {i}"));
        out.push(format!("after_dataset_loaded {node} {i}"));
    }
    out.push(format!("before_node_run {node} -"));
    out.push(format!("after_node_run {node} -"));
    for o in outputs {
        out.push(format!("before_dataset_saved {node} {o}"));
        out.push(format!("after_dataset_saved {node} {o}"));
    }
    out
}

pub(crate) fn start() -> Vec<String> {
    [
        "after_context_created - -",
        "after_catalog_created - -",
        "before_pipeline_run - -",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Kedro's order for a run of `failing` whose `check` node fails.
/// The hook calls of a successful run of the default pipeline, in order.
pub(crate) fn successful_calls() -> Vec<String> {
    let mut expected = start();
    expected.extend(node_calls("make_numbers", &["params:count"], &["numbers"]));
    expected.extend(node_calls("double", &["numbers"], &["doubled"]));
    expected.extend(node_calls(
        "total",
        &["doubled", "params:offset"],
        &["report"],
    ));
    expected.extend(node_calls("summarise", &["report"], &["summary"]));
    expected.push("after_pipeline_run - -".into());
    expected
}

pub(crate) fn failed_check_calls() -> Vec<String> {
    let mut expected = start();
    expected.extend(node_calls("make_numbers", &["params:count"], &["numbers"]));
    expected.extend(node_calls("double", &["numbers"], &["doubled"]));
    expected.extend(
        [
            "before_dataset_loaded check doubled",
            "after_dataset_loaded check doubled",
            "before_dataset_loaded check params:fail",
            "after_dataset_loaded check params:fail",
            "before_dataset_loaded check params:crash",
            "after_dataset_loaded check params:crash",
            "before_node_run check -",
            "on_node_error check -",
            "on_pipeline_error - -",
        ]
        .map(str::to_owned),
    );
    expected
}

#[test]
fn a_successful_run_fires_every_hook_in_kedros_order() {
    for runner in RUNNERS {
        let f = Fixture::new("basic");
        let out = f.run(&["run", "--runner", runner], &[]);
        assert_eq!(out.code, 0, "{runner}: {}", out.stderr);
        assert_eq!(f.trace_lines(), successful_calls(), "{runner}");
        let trace = f.trace();
        let run_id = trace[0]["run_id"].as_str().unwrap();
        assert!(trace.iter().all(|t| t["run_id"] == run_id), "one run id");
        // `seq` counts per process.
        let mut last: std::collections::HashMap<u64, u64> = Default::default();
        for t in &trace {
            let (pid, seq) = (t["pid"].as_u64().unwrap(), t["seq"].as_u64().unwrap());
            assert!(last.insert(pid, seq).is_none_or(|prev| prev < seq), "{t}");
        }
        assert_eq!(
            std::fs::read_to_string(f.path().join("data/summary.txt")).unwrap(),
            "total 120 over 4 numbers\n"
        );
    }
}

#[test]
fn the_trace_has_exactly_the_documented_keys() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run"], &[]).code, 0);
    let keys: Vec<String> = f.trace()[0].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "seq", "hook", "node", "dataset", "op", "run_id", "pid", "ts_ns"
        ]
    );
    assert!(f.trace()[0]["ts_ns"].as_u64().unwrap() > 1_700_000_000_000_000_000);
}

#[test]
fn hooks_run_last_registered_first_and_see_what_the_trace_records() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run"], &[]).code, 0);
    let first = f.recorded("first");
    assert_eq!(first, f.recorded("second"));
    assert_eq!(first, f.trace_lines());
    assert_eq!(f.first_called(), ["second", "first"], "pluggy's LIFO order");
}

#[test]
fn a_failing_node_fires_on_node_error_then_on_pipeline_error() {
    for runner in RUNNERS {
        let f = Fixture::new("basic");
        let out = f.run(
            &[
                "run",
                "-p",
                "failing",
                "--params",
                "fail=true",
                "-r",
                runner,
            ],
            &[],
        );
        assert_eq!(out.code, 1, "{runner}: {}", out.stderr);
        assert_eq!(f.trace_lines(), failed_check_calls(), "{runner}");
        insta::allow_duplicates! {
            insta::assert_snapshot!(out.stderr.lines().filter(|l| !l.contains("INFO")).collect::<Vec<_>>().join("\n"), @r#"
            error: node 'check' failed: refusing 4 numbers: the fail switch is on
            there are 2 nodes that have not run; resume from the nearest nodes with persisted inputs by adding this to the previous command:
              --from-nodes "check"
            "#);
        }
    }
}

#[test]
fn a_failing_hook_fails_the_run_naming_the_hook_and_the_point() {
    let f = Fixture::new("basic");
    let out = f.run(
        &["run"],
        &[("KEDRUST_FIXTURE_FAIL_HOOK", "after_dataset_saved")],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(
            "error: hook 'recorder_first' failed in after_dataset_saved: after_dataset_saved was told to fail"
        ),
        "{}",
        out.stderr
    );
    let lines = f.trace_lines();
    assert_eq!(lines.last().unwrap(), "on_pipeline_error - -");
    assert_eq!(f.fired("on_pipeline_error"), 1);
    assert!(
        !lines.iter().any(|l| l.starts_with("on_node_error")),
        "Kedro: hook errors are not node errors"
    );
}

#[test]
fn a_failing_start_hook_is_a_failed_run_too() {
    let f = Fixture::new("basic");
    let out = f.run(
        &["run"],
        &[("KEDRUST_FIXTURE_FAIL_HOOK", "before_pipeline_run")],
    );
    assert_eq!(out.code, 1);
    let mut expected = start();
    expected.push("on_pipeline_error - -".into());
    assert_eq!(f.trace_lines(), expected);
    assert!(!f.path().join("data").exists(), "no node ran");
}

#[test]
fn bad_config_fires_no_hook_and_runs_nothing() {
    let f = Fixture::new("mismatch");
    let out = f.run(&["run"], &[]);
    assert_eq!(out.code, 2);
    assert!(f.trace().is_empty());
    assert!(!f.path().join("data").exists());
}

#[test]
fn with_the_process_runner_node_hooks_fire_in_the_child_and_pipeline_hooks_in_the_parent() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--runner", "process"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let trace = f.trace();
    let parent = trace[0]["pid"].as_u64().unwrap();
    for t in &trace {
        let hook = t["hook"].as_str().unwrap();
        let pipeline_level = [
            "after_context_created",
            "after_catalog_created",
            "before_pipeline_run",
            "after_pipeline_run",
        ]
        .contains(&hook);
        assert_eq!(t["pid"].as_u64().unwrap() == parent, pipeline_level, "{t}");
        if !pipeline_level {
            assert_eq!(t["op"], t["node"], "a child's op is its node: {t}");
        }
    }
    let children: std::collections::BTreeSet<u64> = trace
        .iter()
        .filter_map(|t| t["pid"].as_u64())
        .filter(|p| *p != parent)
        .collect();
    assert!(!children.is_empty(), "node hooks fire in worker processes");
    assert_eq!(f.step_processes().len(), 4, "one step per node");
    assert!(
        !f.path()
            .join(".kedrust/runs")
            .read_dir()
            .unwrap()
            .any(|_| true),
        "the run folder is removed"
    );
}

#[test]
fn a_killed_node_process_fails_the_run_and_fires_on_pipeline_error_once() {
    let f = Fixture::new("basic");
    let out = f.run(
        &[
            "run",
            "-p",
            "failing",
            "-r",
            "process",
            "--params",
            "crash=true",
        ],
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("error: node 'check' crashed: its process was killed by signal 6"),
        "{}",
        out.stderr
    );
    let lines = f.trace_lines();
    assert_eq!(f.fired("on_pipeline_error"), 1);
    assert_eq!(lines.last().unwrap(), "on_pipeline_error - -");
    assert!(!lines.iter().any(|l| l.starts_with("after_node_run check")));
}

#[test]
fn values_without_a_codec_are_refused_by_the_process_runner_before_the_run() {
    let f = Fixture::new("basic");
    assert_eq!(
        f.run(&["run", "-p", "opaque"], &[]).code,
        0,
        "fine in one process"
    );
    std::fs::remove_file(f.trace_path()).unwrap();
    let out = f.run(&["run", "-p", "opaque", "-r", "process"], &[]);
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr, @"error: dataset 'opaque': it holds Opaque, which cannot travel between the processes of the process runner; register it with Registry::serde_type::<Opaque>() or declare the dataset in the catalog");
    assert!(f.trace().is_empty(), "no hook fired");
}

#[test]
fn before_node_run_replaces_inputs_and_the_first_registered_hook_wins() {
    for runner in RUNNERS {
        let f = Fixture::new("basic");
        let out = f.run(
            &["run", "-r", runner],
            &[("KEDRUST_FIXTURE_OFFSET", "1000")],
        );
        assert_eq!(out.code, 0, "{runner}: {}", out.stderr);
        assert_eq!(
            std::fs::read_to_string(f.path().join("data/summary.txt")).unwrap(),
            "total 1020 over 4 numbers\n",
            "{runner}"
        );
    }
}

#[test]
fn after_catalog_created_sees_the_parameters_and_the_runs_save_version() {
    let f = Fixture::new("basic");
    let debug = f.path().join("hook-debug.txt");
    let out = f.run(
        &["run", "--params", "offset=5"],
        &[("KEDRUST_FIXTURE_DEBUG", debug.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let run_id = f.fired_for("after_catalog_created")[0].clone();
    let dumped = std::fs::read_to_string(&debug).unwrap();
    let catalog_info = dumped
        .split("CatalogInfo {")
        .nth(1)
        .expect("after_catalog_created printed its arguments");
    for expected in [
        "\"params:count\"".to_owned(),
        "\"params:offset\"".to_owned(),
        "\"parameters\"".to_owned(),
        format!("save_version: \"{run_id}\""),
    ] {
        assert!(
            catalog_info.contains(&expected),
            "{expected} in {catalog_info}"
        );
    }
    // The parameters the context saw include the runtime one.
    assert!(dumped.contains("\"offset\": Number(5)"), "{dumped}");
}

#[test]
fn parameters_the_nodes_read_are_checked_before_any_node_runs() {
    // A key the nodes read is missing (a typo in the file): named, located, suggested.
    let f = Fixture::new("basic");
    std::fs::write(
        f.path().join("conf/base/parameters.yml"),
        "cuont: 4\noffset: 100\nfail: false\ncrash: false\nseed: 7\n",
    )
    .unwrap();
    let out = f.run(&["run"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr.trim(), @"error: <project>/conf/base/parameters.yml:1:1: dataset 'params:count': node 'make_numbers' reads it, but the parameters config has no key 'count'; did you mean 'params:cuont'?");
    assert!(f.trace().is_empty(), "no hook fired");

    // A value that does not fit the node's Param<T>: every node's parameters are checked.
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--params", "count=four"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr.trim(), @r#"error: <project>/conf/base/parameters.yml:1:1: dataset 'params:count': node 'make_numbers' reads it as Param<i64>: invalid type: string "four", expected i64"#);
    assert!(f.trace().is_empty(), "no hook fired");
}
