//! The commands' output and exit codes, snapshot-tested.

use crate::Fixture;

#[test]
fn pipeline_list_and_describe() {
    let f = Fixture::new("basic");
    let out = f.run(&["pipeline", "list"], &[]);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!(out.stdout, @r"
    - __default__
    - chain
    - early_end
    - failing
    - failing_in_memory
    - fan
    - opaque
    - secrets
    ");
    let out = f.run(&["registry", "describe", "fan"], &[]);
    insta::assert_snapshot!(out.stdout, @r"
    Nodes:
    - branch_a (closure)
    - branch_b (closure)
    - branch_c (closure)
    - join (join)
    ");
    let out = f.run(&["pipeline", "describe", "chian"], &[]);
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr, @"error: pipeline 'chian' not found; did you mean 'chain'? (existing pipelines: __default__, chain, early_end, failing, failing_in_memory, fan, opaque, secrets)");
}

#[test]
fn catalog_commands() {
    let f = Fixture::new("basic");
    let out = f.run(&["catalog", "list", "-p", "chain,failing"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    let out = f.run(&["catalog", "resolve", "after_checked"], &[]);
    insta::assert_snapshot!(
        out.stdout
            .replace(&f.path().display().to_string(), "<project>")
    );
    let out = f.run(&["catalog", "list-patterns"], &[]);
    insta::assert_snapshot!(out.stdout, @r#"
    - "{name}_checked"
    - "{default}"
    "#);
}

#[test]
fn bad_configuration_exits_2_with_every_problem() {
    let f = Fixture::new("broken");
    let out = f.run(&["run"], &[]);
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn a_type_mismatch_between_catalog_and_node_exits_2_before_any_node_runs() {
    let f = Fixture::new("mismatch");
    let out = f.run(&["run"], &[]);
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr, @"error: <project>/conf/base/catalog.yml:2:1: dataset 'summary': json.JSONDataset stores Value, but node 'summarise' writes it as String");
}

#[test]
fn usage_errors_exit_2() {
    let f = Fixture::new("basic");
    let cases: [(&[&str], &str); 5] = [
        (
            &["run", "--runner", "rocket"],
            "error: unknown runner 'rocket'; use sequential, thread or process",
        ),
        (
            &["run", "--params", "novalue"],
            "error: --params: cannot read 'novalue': expected key=value",
        ),
        (
            &["run", "-p", "chian"],
            "error: pipeline 'chian' not found; did you mean 'chain'?",
        ),
        (
            &["run", "--nodes", "dubble"],
            "error: pipeline does not contain nodes named 'dubble'; did you mean 'double'?",
        ),
        (
            &["rnu"],
            "error: unknown command 'rnu'; did you mean 'run'?",
        ),
    ];
    for (args, start) in cases {
        let out = f.run(args, &[]);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.starts_with(start), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn filters_select_nodes() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--to-nodes", "double"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(f.nodes_run(), ["make_numbers", "double"]);
}

#[test]
fn only_missing_outputs_skips_nodes_whose_outputs_exist() {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["run"], &[]).code, 0);
    std::fs::remove_file(f.path().join("data/summary.txt")).unwrap();
    std::fs::remove_file(f.trace_path()).unwrap();
    let out = f.run(&["run", "--only-missing-outputs"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(f.nodes_run(), ["summarise"], "report.json still exists");
    assert!(f.path().join("data/summary.txt").is_file());
}

#[test]
fn runtime_params_and_environments_reach_nodes() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--params", "count=10,offset=0"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(f.path().join("data/summary.txt")).unwrap(),
        "total 110 over 10 numbers\n"
    );
    let out = f.run(&["run", "--env", "prdo"], &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("environment 'prdo' not found"),
        "{}",
        out.stderr
    );
}

#[test]
fn project_commands_run() {
    let f = Fixture::new("basic");
    let out = f.run(&["touch", "hello", "world"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(f.path().join("data/touched.txt")).unwrap(),
        "hello world"
    );
}

#[test]
fn info_lists_the_project() {
    let f = Fixture::new("basic");
    let out = f.run(&["info"], &[]);
    assert_eq!(out.code, 0);
    let text = out
        .stdout
        .replace(&f.path().display().to_string(), "<project>")
        .replace(env!("CARGO_PKG_VERSION"), "<version>");
    insta::assert_snapshot!(text);
}

#[test]
fn jobs_and_their_plans() {
    let f = Fixture::new("basic");
    let out = f.run(&["jobs", "list"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout, @r"
    chain_job: pipeline chain, executor multiprocess x2, schedule '0 * * * *' (chain_job_hourly_schedule)
    fan_job: pipeline fan, executor in_process x1
    retrying_job: pipeline failing, executor multiprocess x2
    failing_job: pipeline failing, executor in_process x1
    failing_in_memory_job: pipeline failing_in_memory, executor in_process x1
    ");
    // After a run, the plan says which files the job would replace.
    assert_eq!(f.run(&["run", "-p", "chain"], &[]).code, 0);
    let out = f.run(&["plan", "--job", "chain_job"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    let out = f.run(&["plan", "--job", "chain_jb"], &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr.trim(),
        "error: job 'chain_jb' is not in dagster.yml (jobs: chain_job, fan_job, retrying_job, failing_job, failing_in_memory_job); did you mean 'chain_job'?"
    );
}

#[test]
fn a_conf_source_elsewhere_holds_for_every_command() {
    let f = Fixture::new("basic");
    let settings = f.path().join("settings");
    std::fs::rename(f.path().join("conf"), &settings).unwrap();
    let conf = settings.to_str().unwrap();
    // (what is run, what its output shows)
    let commands: [(&[&str], &str); 6] = [
        (&["--conf-source", conf, "run", "-r", "process"], ""),
        (&["--conf-source", conf, "catalog", "list"], "summary"),
        (&["--conf-source", conf, "jobs", "list"], "chain_job"),
        (
            &["--conf-source", conf, "plan", "--job", "chain_job"],
            "make_numbers",
        ),
        (
            &["--conf-source", conf, "schedules", "list"],
            "chain_job_hourly_schedule",
        ),
        (
            &["--conf-source", conf, "dagster", "init"],
            "wrote definitions.py",
        ),
    ];
    for (args, shows) in commands {
        let out = f.run(args, &[]);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(out.stdout.contains(shows), "{args:?}: {}", out.stdout);
    }
    assert!(
        !f.path().join("conf").exists(),
        "dagster init found the dagster.yml of the conf source and wrote none"
    );
    // The ops of a Dagster run get it from the environment definitions.py runs them in.
    let op = f.run(
        &[
            "__dagster_op",
            "--job",
            "chain_job",
            "--op",
            "before_pipeline_run_hook_chain_job",
        ],
        &[
            ("KEDRUST_CONF_SOURCE", conf),
            ("KEDRUST_RUN_ID", "conf-source-run"),
        ],
    );
    assert_eq!(op.code, 0, "{}", op.stderr);
    let without = f.run(&["run"], &[]);
    assert_eq!(without.code, 2);
    assert!(
        without
            .stderr
            .contains("no configuration at <project>/conf"),
        "{}",
        without.stderr
    );
}
