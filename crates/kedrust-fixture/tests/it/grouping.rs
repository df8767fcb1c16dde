//! Grouping nodes into steps, embedded: the process runner runs a group's nodes in one child,
//! passing memory datasets in memory, with the same hook lifecycle; a value without a codec
//! may pass inside a group; a grouping that cannot work is refused before anything runs.

use crate::Fixture;
use crate::lifecycle::successful_calls;
use std::collections::BTreeSet;

/// The processes that fired hooks.
fn processes(f: &Fixture) -> usize {
    f.trace()
        .iter()
        .filter_map(|t| t["pid"].as_u64())
        .collect::<BTreeSet<_>>()
        .len()
}

#[test]
fn a_group_runs_its_nodes_in_one_child_with_the_same_hooks() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "-r", "process"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(f.step_processes().len(), 4, "one step per node");
    let f = Fixture::new("basic");
    let out = f.run(&["run", "-r", "process", "--group-by", "memory"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(f.trace_lines(), successful_calls());
    assert_eq!(
        f.step_processes().len(),
        3,
        "make_numbers and double in one step: `numbers` stays in its memory"
    );
    let ops: BTreeSet<String> = f
        .trace()
        .iter()
        .filter(|t| t["node"] == "double")
        .map(|t| t["op"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ops, BTreeSet::from(["memory_make_numbers".to_owned()]));
    assert_eq!(
        std::fs::read_to_string(f.path().join("data/summary.txt")).unwrap(),
        "total 120 over 4 numbers\n"
    );
}

#[test]
fn a_value_without_a_codec_may_pass_inside_a_group_and_not_between_steps() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "-p", "opaque", "-r", "process"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("'opaque'"), "{}", out.stderr);
    let out = f.run(
        &[
            "run",
            "-p",
            "opaque",
            "-r",
            "process",
            "--group-by",
            "memory",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(f.nodes_run(), ["make_opaque", "unwrap_opaque"]);
}

#[test]
fn a_failing_node_in_a_group_fails_the_run_once_and_names_the_node() {
    let f = Fixture::new("basic");
    let out = f.run(
        &[
            "run",
            "-p",
            "failing_in_memory",
            "-r",
            "process",
            "--group-by",
            "memory",
            "--params",
            "fail=true",
        ],
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("check"), "{}", out.stderr);
    assert_eq!(f.fired("on_node_error"), 1);
    assert_eq!(f.fired("on_pipeline_error"), 1);
    assert_eq!(f.nodes_run(), ["make_numbers", "double", "check"]);
}

#[test]
fn a_grouping_that_cannot_work_is_refused_before_anything_runs() {
    let f = Fixture::new("basic");
    let env = f.path().join("conf/grouped");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(
        env.join("dagster.yml"),
        "jobs:\n  grouped:\n    pipeline: {pipeline_name: __default__}\n    groups:\n      \
         training: {tags: [no_such_tag]}\n",
    )
    .unwrap();
    let out = f.run(&["run", "--env", "grouped", "--job", "grouped"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr.trim(), @r#"
    error: job 'grouped' cannot be grouped as dagster.yml or --group-by asks:
      group 'training' selects no node of the pipeline (tags ["no_such_tag"], namespaces [], nodes [])
    "#);
    assert_eq!(f.fired("before_pipeline_run"), 0);
    // A group naming a node that is not in the pipeline.
    std::fs::write(
        env.join("dagster.yml"),
        "jobs:\n  grouped:\n    pipeline: {pipeline_name: __default__}\n    groups:\n      \
         training: {nodes: [duble]}\n",
    )
    .unwrap();
    let out = f.run(&["run", "--env", "grouped", "--job", "grouped"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("group 'training' names node 'duble', which is not in the pipeline; did you mean 'double'?"),
        "{}",
        out.stderr
    );
    let out = f.run(&["run", "--group-by", "memroy"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("namespace"), "{}", out.stderr);
}

/// Named groups over the `failing` pipeline, on the process runner.
fn with_named_groups(f: &Fixture) {
    let env = f.path().join("conf/grouped");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(
        env.join("dagster.yml"),
        "executors:\n  multi: {multiprocess: {max_concurrent: 2}}\n\
         jobs:\n  grouped:\n    pipeline: {pipeline_name: failing}\n    executor: multi\n    \
         groups:\n      prepare: {nodes: [make_numbers, double]}\n      \
         checking: {nodes: [check, after_check]}\n",
    )
    .unwrap();
}

#[test]
fn a_failed_grouped_run_resumes_from_the_group_that_failed() {
    let f = Fixture::new("basic");
    with_named_groups(&f);
    let out = f.run(
        &["run", "--env", "grouped", "--job", "grouped"],
        &[("KEDRUST_FIXTURE_FAIL_CHECK", "1")],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let failed = f.last_run_id();
    std::fs::remove_file(f.trace_path()).unwrap();
    // The resumed run leaves the `prepare` group out; its `checking` group runs whole.
    let out = f.run(&["run", "--env", "grouped", "--resume", &failed], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(f.nodes_run(), ["check", "after_check"]);
}

#[test]
fn a_step_whose_process_dies_is_named_by_its_first_node() {
    let f = Fixture::new("basic");
    with_named_groups(&f);
    let out = f.run(
        &[
            "run",
            "--env",
            "grouped",
            "--job",
            "grouped",
            "--params",
            "crash=true",
        ],
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("node 'check' crashed")
            && out.stderr.contains("(the step of check, after_check)"),
        "{}",
        out.stderr
    );
    assert_eq!(f.fired("on_pipeline_error"), 1);
}

#[test]
fn pipeline_describe_shows_the_ops_a_grouping_makes_and_what_crosses_between_them() {
    let f = Fixture::new("basic");
    let describe = |args: &[&str]| {
        let mut all = vec!["pipeline", "describe"];
        all.extend(args);
        let out = f.run(&all, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let at = out.stdout.find("Ops").expect("the ops");
        out.stdout[at..].to_owned()
    };
    // chain: make_numbers -(numbers, memory)-> double -> doubled -> total -> summarise
    assert_eq!(
        describe(&["chain", "--group-by", "node"]),
        "Ops (4 of 4 nodes):\n- make_numbers\n- double\n- total\n- summarise\n\
         Memory datasets between ops:\n- numbers (make_numbers -> double)\n"
    );
    assert_eq!(
        describe(&["chain", "--group-by", "memory"]),
        "Ops (3 of 4 nodes):\n- memory_make_numbers: make_numbers, double\n- total\n\
         - summarise\nMemory datasets between ops: none\n"
    );
    let regions = f.run(
        &["pipeline", "describe", "regions", "--group-by", "namespace"],
        &[("KEDRUST_ENV", "regions")],
    );
    assert!(
        regions.stdout.contains(
            "Ops (3 of 5 nodes):\n- north: north.load, north.sum\n- south: south.load, \
             south.sum\n- add_regions\n"
        ),
        "{}",
        regions.stdout
    );
    let typo = f.run(
        &["pipeline", "describe", "chain", "--group-by", "namespaces"],
        &[],
    );
    assert_eq!(typo.code, 2);
    assert!(typo.stderr.contains("namespace"), "{}", typo.stderr);
}

/// `early_end` as one group on two threads: `slow_audit` (first in order) waits until the
/// chain `source -> middle -> sink` has saved `sink_result`, so the run ends only if the
/// group's nodes really run side by side; one after the other it would wait forever.
const THREADED: &str = "executors:
  parallel:
    multiprocess:
      max_concurrent: 2
jobs:
  early_on_threads:
    pipeline: {pipeline_name: early_end}
    executor: parallel
    groups:
      all: {nodes: [slow_audit, source, middle, sink]}
    group_workers: 2
";

#[test]
fn a_group_runs_its_nodes_on_threads_when_its_job_says_so_embedded_and_on_dagster() {
    let f = Fixture::new("basic");
    let env = f.path().join("conf/threads");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(env.join("dagster.yml"), THREADED).unwrap();
    std::fs::write(
        env.join("catalog.yml"),
        "sink_result: {type: serde.JSONDataset, filepath: data/sink_result.json}\n",
    )
    .unwrap();
    let sink = f.path().join("data/sink_result.json");
    let waits = sink.to_str().unwrap();
    let env = [
        ("KEDRUST_ENV", "threads"),
        ("KEDRUST_FIXTURE_AUDIT_WAITS_FOR", waits),
    ];
    let plan = f.run(&["plan", "--job", "early_on_threads"], &[env[0]]);
    assert!(
        plan.stdout
            .contains("(group all: slow_audit, source, middle, sink (on 2 threads))"),
        "{}",
        plan.stdout
    );
    let out = f.run(&["run", "--job", "early_on_threads"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(processes(&f), 2, "the run's process and the group's");
    assert_eq!(f.fired("before_node_run"), 4);

    // On Dagster the group op does the same.
    std::fs::remove_file(&sink).unwrap();
    let _ = std::fs::remove_file(f.trace_path());
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let home = crate::dagster::dagster_home();
    let mut env = env.to_vec();
    env.push(("DAGSTER_HOME", home.path().to_str().unwrap()));
    let (code, text) = crate::dagster::execute_job(&f, "early_on_threads", None, &env);
    assert_eq!(code, 0, "{text}");
    // Dagster's event log shows each node of the group op as it runs.
    for node in ["slow_audit", "source", "middle", "sink"] {
        assert!(
            text.contains(&format!("running node {node}")),
            "{node}: {text}"
        );
        assert!(
            text.contains(&format!("completed node {node} (")),
            "{node}: {text}"
        );
    }
    assert_eq!(f.fired("before_node_run"), 4);
    assert!(sink.is_file());
}
