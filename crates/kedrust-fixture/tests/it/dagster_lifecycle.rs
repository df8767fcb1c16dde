//! The lifecycle conformance suite of `lifecycle.rs`, run again on Dagster (the pinned one of
//! `.venv-test`): the same hooks in the same order, the same counts, one run id in every step,
//! with Dagster's in-process and multiprocess executors. `on_pipeline_error` comes from the
//! code location's run-failure sensor, ticked twice against the Dagster instance that ran the
//! job: it fires once.

use crate::Fixture;
use crate::dagster::{
    ON_THE_INSTANCE, dagster_home, execute_job, python, tick_failure_sensor_twice,
};
use crate::lifecycle::{failed_check_calls, start, successful_calls};

const JOBS: &str = "executors:
  multi:
    multiprocess:
      max_concurrent: 2
jobs:
  default_in_process: {pipeline: {pipeline_name: __default__}}
  default_multiprocess: {pipeline: {pipeline_name: __default__}, executor: multi}
  failing_in_process: {pipeline: {pipeline_name: failing}}
  failing_multiprocess: {pipeline: {pipeline_name: failing}, executor: multi}
  default_grouped: {pipeline: {pipeline_name: __default__}, executor: multi, group_by: memory}
  failing_grouped: {pipeline: {pipeline_name: failing}, executor: multi, group_by: memory}
";

/// The project, its code location, the conformance jobs in environment `conformance`, and
/// the Dagster instance (DAGSTER_HOME) its runs are recorded in.
struct Project {
    f: Fixture,
    home: tempfile::TempDir,
}

impl std::ops::Deref for Project {
    type Target = Fixture;
    fn deref(&self) -> &Fixture {
        &self.f
    }
}

fn project() -> Project {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let env = f.path().join("conf/conformance");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(env.join("dagster.yml"), JOBS).unwrap();
    Project {
        f,
        home: dagster_home(),
    }
}

impl Project {
    fn home(&self) -> &str {
        self.home.path().to_str().expect("a UTF-8 path")
    }
}

/// `dagster job execute` of `job` with the run's parameters; whether it succeeded.
fn execute(f: &Project, job: &str, params: &str, env: &[(&str, &str)]) -> bool {
    let config = f.path().join(format!("{job}.yaml"));
    std::fs::write(
        &config,
        format!("resources:\n  kedrust_params:\n    config: {params}\n"),
    )
    .unwrap();
    let mut env = env.to_vec();
    env.push(("KEDRUST_ENV", "conformance"));
    env.push(("DAGSTER_HOME", f.home()));
    let record = f.record_path();
    env.push((
        "KEDRUST_FIXTURE_RECORD",
        record.to_str().expect("a UTF-8 path"),
    ));
    let (code, text) = execute_job(f, job, Some(&config), &env);
    assert!(!text.contains("DagsterInvariantViolation"), "{text}");
    code == 0
}

/// The run-failure sensor, ticked twice, finds the failed run and ends it.
fn sensor_reports_failure(f: &Project) {
    assert_eq!(
        f.fired("on_pipeline_error"),
        0,
        "nothing fired before the sensor"
    );
    tick_failure_sensor_twice(
        f,
        &[("DAGSTER_HOME", f.home()), ("KEDRUST_ENV", "conformance")],
    );
}

/// One run id in every step, and `seq` increasing within each process.
fn one_run_id(f: &Fixture) {
    let trace = f.trace();
    let run_id = trace[0]["run_id"].as_str().unwrap();
    assert!(trace.iter().all(|t| t["run_id"] == run_id), "one run id");
    let mut last: std::collections::HashMap<u64, u64> = Default::default();
    for t in &trace {
        let (pid, seq) = (t["pid"].as_u64().unwrap(), t["seq"].as_u64().unwrap());
        assert!(last.insert(pid, seq).is_none_or(|prev| prev < seq), "{t}");
    }
}

#[test]
fn a_successful_dagster_run_fires_every_hook_in_kedros_order() {
    for (job, processes) in [
        ("default_in_process", 6),
        ("default_multiprocess", 6),
        // make_numbers and double share an op: `numbers` stays in its memory.
        ("default_grouped", 5),
    ] {
        let f = project();
        assert!(execute(&f, job, "{}", &[]), "{job}");
        assert_eq!(f.trace_lines(), successful_calls(), "{job}");
        one_run_id(&f);
        // The trace has the documented keys, with the op of every call.
        let trace = f.trace();
        let keys: Vec<&String> = trace[0].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "seq", "hook", "node", "dataset", "op", "run_id", "pid", "ts_ns"
            ],
            "{job}"
        );
        assert!(trace.iter().all(|t| t["op"].is_string()), "{job}");
        // Hooks run last-registered first in every op, as pluggy runs them.
        assert_eq!(f.first_called(), ["second", "first"], "{job}");
        assert_eq!(f.recorded("first"), f.trace_lines(), "{job}");
        let pids: std::collections::BTreeSet<u64> =
            f.trace().iter().filter_map(|t| t["pid"].as_u64()).collect();
        assert_eq!(pids.len(), processes, "{job}: one process per op");
        assert_eq!(
            std::fs::read_to_string(f.path().join("data/summary.txt")).unwrap(),
            "total 120 over 4 numbers\n"
        );
        // Its ops recorded what each save came from: an incremental run has nothing to do.
        let plan = f.run(
            &[
                "plan",
                "--env",
                "conformance",
                "--job",
                job,
                "--only-changed",
            ],
            &[],
        );
        assert!(
            plan.stdout
                .ends_with("with --only-changed: 0 of 4 nodes would run, 4 unchanged\n"),
            "{job}: {}{}",
            plan.stdout,
            plan.stderr
        );
    }
}

#[test]
fn a_failing_node_on_dagster_fires_on_node_error_then_on_pipeline_error_once() {
    for job in [
        "failing_in_process",
        "failing_multiprocess",
        "failing_grouped",
    ] {
        let f = project();
        assert!(!execute(&f, job, "{fail: true}", &[]), "{job}");
        sensor_reports_failure(&f);
        assert_eq!(f.trace_lines(), failed_check_calls(), "{job}");
        one_run_id(&f);
    }
}

#[test]
fn a_killed_node_step_on_dagster_fails_the_run_and_fires_on_pipeline_error_once() {
    for job in [
        "failing_in_process",
        "failing_multiprocess",
        "failing_grouped",
    ] {
        let f = project();
        assert!(!execute(&f, job, "{crash: true}", &[]), "{job}");
        sensor_reports_failure(&f);
        let lines = f.trace_lines();
        assert_eq!(f.fired("on_pipeline_error"), 1, "{job}");
        assert_eq!(lines.last().unwrap(), "on_pipeline_error - -");
        assert!(lines.contains(&"before_node_run check -".to_owned()));
        assert!(!lines.iter().any(|l| l.starts_with("after_node_run check")));
        assert_eq!(f.fired("after_pipeline_run"), 0);
        one_run_id(&f);
    }
}

#[test]
fn with_the_run_store_on_postgres_dagster_runs_keep_the_same_lifecycle() {
    // Every step process and the failure sensor reach the store through the server.
    let schema = kedrust_testkit::PostgresSchema::new();
    let url = schema.url();
    let store = [("KEDRUST_RUN_STORE", url.as_str())];
    let f = project();
    assert!(execute(&f, "default_multiprocess", "{}", &store));
    assert_eq!(f.trace_lines(), successful_calls());
    one_run_id(&f);
    // A killed step: the sensor, reading the store on the server, fires the hook once.
    let f = project();
    assert!(!execute(
        &f,
        "failing_multiprocess",
        "{crash: true}",
        &store
    ));
    assert_eq!(
        f.fired("on_pipeline_error"),
        0,
        "nothing fired before the sensor"
    );
    tick_failure_sensor_twice(
        &f,
        &[
            ("DAGSTER_HOME", f.home()),
            ("KEDRUST_ENV", "conformance"),
            store[0],
        ],
    );
    assert_eq!(f.fired("on_pipeline_error"), 1);
    one_run_id(&f);
    assert!(!f.path().join(".kedrust/runs.db").exists(), "no file store");
}

/// A run of `default_in_process` whose hooks fail at `point`, reported by the sensor.
fn run_failing_at(point: &str) -> Project {
    let f = project();
    assert!(!execute(
        &f,
        "default_in_process",
        "{}",
        &[("KEDRUST_FIXTURE_FAIL_HOOK", point)]
    ));
    sensor_reports_failure(&f);
    f
}

#[test]
fn failing_hooks_on_dagster_fail_the_run_as_they_do_embedded() {
    let f = run_failing_at("before_pipeline_run");
    let mut expected = start();
    expected.push("on_pipeline_error - -".into());
    assert_eq!(f.trace_lines(), expected, "no node ran");
    assert!(!f.path().join("data/summary.txt").exists());

    let f = run_failing_at("after_dataset_saved");
    let lines = f.trace_lines();
    assert_eq!(lines.last().unwrap(), "on_pipeline_error - -");
    assert_eq!(f.fired("on_pipeline_error"), 1);
    assert!(
        !lines.iter().any(|l| l.starts_with("on_node_error")),
        "Kedro: hook errors are not node errors"
    );
}

#[test]
fn before_node_run_replaces_inputs_on_dagster_too() {
    let f = project();
    assert!(execute(
        &f,
        "default_multiprocess",
        "{}",
        &[("KEDRUST_FIXTURE_OFFSET", "1000")]
    ));
    assert_eq!(
        std::fs::read_to_string(f.path().join("data/summary.txt")).unwrap(),
        "total 1020 over 4 numbers\n"
    );
}

#[test]
fn bad_config_on_dagster_fires_no_hook_and_runs_nothing() {
    let f = project();
    // A catalog entry of a type that does not exist, for a dataset of the pipeline: the code
    // location refuses to load, with kedrust's message, and no op starts.
    std::fs::write(
        f.path().join("conf/conformance/catalog.yml"),
        "numbers:\n  type: json.JSONDatset\n  filepath: data/numbers.json\n",
    )
    .unwrap();
    refused_to_load(
        &f,
        "conformance",
        "default_in_process",
        "conf/conformance/catalog.yml:2:3: dataset 'numbers': unknown dataset type \
         'json.JSONDatset'; did you mean 'json.JSONDataset'?",
    );
    assert!(!f.path().join("data/summary.txt").exists(), "nothing ran");
}

/// Dagster cannot run `job` of `env`: the code location refuses to load, saying `message`,
/// and no hook fires.
fn refused_to_load(f: &Project, env: &str, job: &str, message: &str) {
    let (code, text) = execute_job(
        f,
        job,
        None,
        &[("KEDRUST_ENV", env), ("DAGSTER_HOME", f.home())],
    );
    assert_ne!(code, 0);
    assert!(text.contains(message), "{text}");
    assert!(f.trace().is_empty(), "no hook fired");
}

#[test]
fn values_without_a_codec_are_refused_on_dagster_before_any_op_runs() {
    let f = project();
    // Every op is a process of its own, whatever the executor: in-memory data needs a codec.
    let env = f.path().join("conf/opaque");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(
        env.join("dagster.yml"),
        "jobs:\n  opaque_job: {pipeline: {pipeline_name: opaque}}\n",
    )
    .unwrap();
    refused_to_load(
        &f,
        "opaque",
        "opaque_job",
        "dataset 'opaque': it holds Opaque, which cannot travel between the ops of a Dagster \
         run (each op is a process of its own); register it with \
         Registry::serde_type::<Opaque>() or declare the dataset in the catalog",
    );
}

/// Materialises every asset of environment `env` as the UI does (the implicit asset job), on
/// `executor` (`in_process`, or `multiprocess` as a launched run gets by default), then ticks
/// the failure sensor twice; whether the run succeeded.
fn materialise_all(f: &Project, env: &str, executor: &str) -> bool {
    let script = format!(
        "{ON_THE_INSTANCE}\n\
         graph = location.defs.resolve_asset_graph()\n\
         keys = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]\n\
         if '{executor}' == 'in_process':\n\
         \x20   job = location.defs.get_implicit_global_asset_job_def()\n\
         \x20   ok = job.execute_in_process(instance=instance, asset_selection=keys, raise_on_error=False).success\n\
         else:\n\
         \x20   ok = dg.execute_job(reconstructable('__ASSET_JOB'), instance=instance, asset_selection=keys).success\n\
         tick(2)\n\
         print(json.dumps(ok))\n"
    );
    let record = f.record_path();
    let env = [
        ("KEDRUST_ENV", env),
        ("DAGSTER_HOME", f.home()),
        (
            "KEDRUST_FIXTURE_RECORD",
            record.to_str().expect("a UTF-8 path"),
        ),
    ];
    let out = python(f, &script, &env);
    out.lines().last() == Some("true")
}

#[test]
fn materialising_assets_from_the_ui_keeps_the_lifecycle_of_a_job_run() {
    for executor in ["in_process", "multiprocess"] {
        let f = project();
        assert!(materialise_all(&f, "conformance", executor), "{executor}");
        assert_eq!(f.trace_lines(), successful_calls(), "{executor}");
        one_run_id(&f);
        assert_eq!(f.first_called(), ["second", "first"], "{executor}");

        // `check` fails in an asset op: on_node_error in its op, then on_pipeline_error once
        // from the sensor; nothing downstream runs.
        let f = project();
        let env = f.path().join("conf/conformance_failing");
        std::fs::create_dir_all(&env).unwrap();
        std::fs::write(env.join("parameters.yml"), "fail: true\n").unwrap();
        std::fs::write(
            env.join("catalog.yml"),
            "checked: {type: serde.JSONDataset, filepath: data/checked.json}\n\
             after_check: {type: serde.JSONDataset, filepath: data/after_check.json}\n",
        )
        .unwrap();
        assert!(
            !materialise_all(&f, "conformance_failing", executor),
            "{executor}"
        );
        assert_eq!(f.trace_lines(), failed_check_calls(), "{executor}");
        one_run_id(&f);
        assert!(!f.path().join("data/after_check.json").exists());
    }
}
