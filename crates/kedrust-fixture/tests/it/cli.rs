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
    - customers
    - daily
    - early_end
    - failing
    - failing_in_memory
    - fan
    - neighbours
    - opaque
    - read_back
    - regional
    - regions
    - secrets
    - signup
    - sourced
    - tracked_model
    - trends
    - weekly
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
    insta::assert_snapshot!(out.stderr, @"error: pipeline 'chian' not found; did you mean 'chain'? (existing pipelines: __default__, chain, customers, daily, early_end, failing, failing_in_memory, fan, neighbours, opaque, read_back, regional, regions, secrets, signup, sourced, tracked_model, trends, weekly)");
}

#[test]
fn catalog_commands() {
    let f = Fixture::new("basic");
    let out = f.run(&["catalog", "list", "-p", "chain,failing"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!(out.stdout);
    let out = f.run(
        &["catalog", "resolve", "after_checked", "--env", "patterns"],
        &[],
    );
    let stdout = out
        .stdout
        .replace(&f.path().display().to_string(), "<project>");
    insta::assert_snapshot!(stdout, @r#"
    dataset: after_checked
    source:
      pattern: "{name}_checked"
    defined_at: <project>/conf/patterns/catalog.yml:3:1
    config:
      type: text.TextDataset
      filepath: data/after.txt
    "#);
    let out = f.run(&["catalog", "list-patterns", "-e", "patterns"], &[]);
    insta::assert_snapshot!(out.stdout, @r#"
    - "{name}_checked"
    - "{default}"
    "#);
}

#[test]
fn dagster_init_writes_no_base_dagster_yml_when_environments_have_their_own() {
    let f = Fixture::new("basic");
    std::fs::remove_file(f.path().join("conf/base/dagster.yml")).unwrap();
    // conf/faults has one; so does conf/prod, as a folder of files.
    std::fs::create_dir_all(f.path().join("conf/prod/dagster")).unwrap();
    std::fs::write(f.path().join("conf/prod/dagster/jobs.yml"), "jobs: {}\n").unwrap();
    let out = f.run(&["dagster", "init"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(
            "did not write conf/base/dagster.yml: a dagster.yml is already in conf/faults, \
             conf/prod, conf/sourced, and a base one would add its jobs to every environment. What it would \
             have held:\n"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\n  jobs:\n    default:\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with(
        "wrote definitions.py\nwrote requirements-dagster.txt\nwrote kedrust_celery.py\n"
    ));
    assert!(!f.path().join("conf/base/dagster.yml").exists());
    // Without any, the template goes to conf/base.
    std::fs::remove_dir_all(f.path().join("conf/prod")).unwrap();
    std::fs::remove_file(f.path().join("conf/faults/dagster.yml")).unwrap();
    std::fs::remove_file(f.path().join("conf/sourced/dagster.yml")).unwrap();
    let out = f.run(&["dagster", "init", "--force"], &[]);
    assert!(
        out.stdout.contains("wrote conf/base/dagster.yml\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_default_pipeline_dagster_cannot_run_leaves_the_jobs_and_says_why_there_are_no_assets() {
    let f = Fixture::new("basic");
    std::fs::create_dir_all(f.path().join("conf/opaque_default")).unwrap();
    let out = f.run(&["__dagster_plans", "--env", "opaque_default"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plans: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(plans["jobs"][0]["job"], "chain_job");
    assert_eq!(plans["assets"], serde_json::json!([]));
    let problem = plans["asset_problem"].as_str().unwrap();
    assert!(
        problem.contains("opaque") && problem.contains("asset ops of a Dagster run"),
        "{problem}"
    );
    // With a default pipeline it can plan, there is no problem to tell.
    let out = f.run(&["__dagster_plans"], &[]);
    let plans: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(plans["asset_problem"].is_null());
}

#[test]
fn a_factory_pattern_no_dataset_matches_is_warned_of_with_the_nearest_name() {
    let f = Fixture::new("basic");
    let warning = " WARN <project>/conf/patterns/catalog.yml:3:1: catalog pattern \
                   '{name}_checked' matches no dataset of any pipeline; the nearest dataset \
                   is 'checked'";
    let listed = f.run(&["catalog", "list-patterns", "--env", "patterns"], &[]);
    assert_eq!(listed.stderr.trim_end(), warning);
    let run = f.run(&["run", "--pipeline", "chain", "--env", "patterns"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.lines().next(), Some(warning));
    // Where every pattern matches some dataset, nothing is said.
    let quiet = f.run(&["catalog", "list-patterns"], &[]);
    assert_eq!(quiet.stderr, "");
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

#[test]
fn a_project_without_dagster_yml_has_no_jobs_and_still_runs() {
    let f = Fixture::new("basic");
    std::fs::remove_file(f.path().join("conf/base/dagster.yml")).unwrap();
    let jobs = f.run(&["jobs", "list"], &[]);
    assert_eq!(jobs.code, 0, "{}", jobs.stderr);
    insta::assert_snapshot!(jobs.stdout.trim(), @"no jobs: the project has no dagster.yml (or it defines none)");
    let run = f.run(&["run"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        f.nodes_run(),
        ["make_numbers", "double", "total", "summarise"]
    );
    let job = f.run(&["run", "--job", "chain_job"], &[]);
    assert_eq!(job.code, 2);
    insta::assert_snapshot!(job.stderr.trim(), @"error: job 'chain_job' is not in dagster.yml (jobs: none)");
}

#[test]
fn an_embedded_run_of_a_job_on_a_library_executor_is_refused_before_anything_runs() {
    let f = Fixture::new("basic");
    f.add_distributed_env();
    let out = f.run(&["run", "--env", "distributed", "--job", "on_celery"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    insta::assert_snapshot!(out.stderr.trim(), @"error: job 'on_celery' uses the celery_executor executor, which runs on Dagster (export the code location); embedded runs use in_process or multiprocess");
    assert_eq!(f.fired("before_pipeline_run"), 0);
    assert!(
        !f.path().join(".kedrust").exists(),
        "no run store, no run folder"
    );
}

/// The nodes a filtered run of the regions pipeline ran, sorted.
fn filtered(f: &Fixture, filter: &[&str]) -> Vec<String> {
    std::fs::remove_file(f.trace_path()).unwrap_or_default();
    let mut args = vec!["run", "--env", "regions", "--pipeline", "regions"];
    args.extend(filter);
    let out = f.run(&args, &[]);
    assert_eq!(out.code, 0, "{filter:?}: {}", out.stderr);
    let mut nodes = f.nodes_run();
    nodes.sort();
    nodes
}

#[test]
fn every_run_filter_selects_its_nodes_through_the_binary() {
    let f = Fixture::new("basic");
    let all = filtered(&f, &[]);
    assert_eq!(
        all,
        [
            "add_regions",
            "north.load",
            "north.sum",
            "south.load",
            "south.sum"
        ]
    );
    let cases: &[(&[&str], &[&str])] = &[
        (&["--tags", "ingest"], &["north.load", "south.load"]),
        (
            &["--nodes", "north.load,add_regions"],
            &["add_regions", "north.load"],
        ),
        (
            &["--from-nodes", "north.sum"],
            &["add_regions", "north.sum"],
        ),
        (&["--to-nodes", "north.sum"], &["north.load", "north.sum"]),
        (
            &["--from-inputs", "south.numbers"],
            &["add_regions", "south.sum"],
        ),
        (
            &["--to-outputs", "south.total"],
            &["south.load", "south.sum"],
        ),
        (&["--namespaces", "south"], &["south.load", "south.sum"]),
        (
            &["--namespaces", "north", "--tags", "ingest"],
            &["north.load"],
        ),
    ];
    for (filter, nodes) in cases {
        assert_eq!(filtered(&f, filter), *nodes, "{filter:?}");
    }
}

#[test]
fn load_versions_and_conf_source_reach_the_run() {
    let f = Fixture::new("basic");
    let total = |f: &Fixture| -> i64 {
        let text = std::fs::read_to_string(f.path().join("data/regions/total.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let versions = |f: &Fixture| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(f.path().join("data/regions/north/total.json"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    // count 4: north totals 10 and south 100; then count 5: 15 and 150.
    filtered(&f, &[]);
    assert_eq!(total(&f), 10 + 100);
    filtered(&f, &["--params", "count=5"]);
    assert_eq!(total(&f), 15 + 150);
    let first = versions(&f)[0].clone();
    filtered(
        &f,
        &[
            "--nodes",
            "add_regions",
            "--load-versions",
            &format!("north.total:{first}"),
        ],
    );
    // A pin that reached south instead would give 15 + 100.
    assert_eq!(total(&f), 10 + 150, "north's first total, south's newest");

    // Another configuration folder, with another count.
    let other = f.path().join("other-conf");
    kedrust_testkit::copy_dir(&f.path().join("conf"), &other);
    std::fs::write(
        other.join("base/parameters.yml"),
        "count: 2\noffset: 100\nfail: false\ncrash: false\nseed: 7\n",
    )
    .unwrap();
    let out = f.run(
        &[
            "--conf-source",
            other.to_str().unwrap(),
            "run",
            "--env",
            "regions",
            "--pipeline",
            "regions",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(total(&f), 3 + 30);
}

#[test]
fn json_logs_are_one_json_object_per_line() {
    let f = Fixture::new("basic");
    let out = f.run(&["--log-format", "json", "run"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<serde_json::Value> = out
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l["fields"]["message"].as_str().unwrap())
        .collect();
    assert!(
        messages[0].starts_with("kedrust project fixture: running 4 nodes"),
        "{messages:?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["level"] == "INFO" && l["timestamp"].is_string())
    );
    assert!(
        messages
            .last()
            .unwrap()
            .starts_with("pipeline execution completed successfully"),
        "{messages:?}"
    );
}

#[test]
fn runs_logs_shows_a_failed_runs_failures() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "-p", "failing", "--params", "fail=true"], &[]);
    assert_eq!(out.code, 1);
    let run_id = f.last_run_id();
    let logs = f.run(&["runs", "logs", &run_id], &[]);
    assert_eq!(logs.code, 0, "{}", logs.stderr);
    let kinds: Vec<&str> = logs
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(kinds.contains(&"STEP_FAILURE"), "{}", logs.stdout);
    assert!(kinds.contains(&"RUN_FAILURE"), "{}", logs.stdout);
    assert!(
        logs.stdout
            .contains("refusing 4 numbers: the fail switch is on"),
        "{}",
        logs.stdout
    );
    let unknown = f.run(&["runs", "logs", "no-such-run"], &[]);
    assert_eq!(unknown.code, 2);
    assert_eq!(
        unknown.stderr.trim(),
        "error: no run 'no-such-run' in the run store"
    );
}

#[test]
fn the_state_folder_can_be_named_for_embedded_runs() {
    let f = Fixture::new("basic");
    let state = [("KEDRUST_STATE_DIR", "shared-state")];
    let out = f.run(&["run", "-r", "process"], &state);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(f.path().join("shared-state/runs.db").is_file());
    assert!(
        !f.path().join(".kedrust").exists(),
        "nothing in the default folder"
    );
    let listed = f.run(&["runs", "list"], &state);
    assert!(
        listed
            .stdout
            .contains("SUCCESS   job run  env local  pipeline __default__"),
        "each run with its job, environment and pipeline: {}",
        listed.stdout
    );
    assert_eq!(
        f.run(&["runs", "list"], &[]).stdout.trim(),
        "no runs recorded yet",
        "the default store has no run"
    );
}

#[test]
fn a_problem_every_config_group_meets_is_said_once() {
    let f = Fixture::new("basic");
    let out = f.run(&["run", "--env", "mlflw"], &[]);
    assert_eq!(out.code, 2);
    insta::assert_snapshot!(out.stderr.trim(), @"error: environment 'mlflw' not found: <project>/conf/mlflw is not a folder; did you mean 'mlflow'?");
}

#[test]
fn unknown_tags_and_namespaces_get_the_nearest_existing_one() {
    let f = Fixture::new("basic");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--tags", "ingst"],
            "error: no node is tagged 'ingst' (did you mean 'ingest'?): the filters leave no node to run",
        ),
        (
            &["--namespaces", "nort"],
            "error: pipeline does not contain nodes with the following namespaces: 'nort'; did you mean 'north'?",
        ),
    ];
    for (filter, message) in cases {
        let mut args = vec!["run", "--pipeline", "regions"];
        args.extend(*filter);
        let out = f.run(&args, &[]);
        assert_eq!(out.code, 2, "{filter:?}");
        assert_eq!(out.stderr.trim(), *message);
    }
    assert!(f.trace().is_empty(), "nothing ran");
}

#[test]
fn a_bad_entry_no_pipeline_uses_is_found_by_catalog_list_and_by_every_run() {
    let f = Fixture::new("basic");
    std::fs::write(
        f.path().join("conf/base/catalog_extra.yml"),
        "old_report:\n  type: text.TextDataset\n",
    )
    .unwrap();
    for args in [&["catalog", "list"][..], &["run"][..]] {
        let out = f.run(args, &[]);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert_eq!(
            out.stderr.trim(),
            "error: <project>/conf/base/catalog_extra.yml:1:1: dataset 'old_report': text.TextDataset: 'filepath' is required",
            "{args:?}"
        );
    }
    assert!(f.trace().is_empty(), "nothing ran");
}

#[test]
fn versioned_true_on_a_type_that_keeps_no_versions_is_refused() {
    let f = Fixture::new("basic");
    std::fs::write(
        f.path().join("conf/base/catalog_extra.yml"),
        "numbers:\n  type: MemoryDataset\n  versioned: true\n",
    )
    .unwrap();
    let out = f.run(&["run"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr.trim(),
        "error: <project>/conf/base/catalog_extra.yml:1:1: dataset 'numbers': MemoryDataset cannot be versioned (it keeps no versions); remove `versioned: true`"
    );
}

#[test]
fn every_command_that_reads_configuration_takes_env_as_kedrust_env_does() {
    let f = Fixture::new("basic");
    // The command, the environment, and what only that environment makes it print.
    let cases: [(&[&str], &str, &str); 10] = [
        (&["pipeline", "list"], "regions", "__default__"),
        // The registry sees the environment: `regions` runs its own pipeline by default.
        (&["pipeline", "describe"], "regions", "- north.load"),
        (&["info"], "regions", "env: regions"),
        (
            &["catalog", "list", "-p", "regions"],
            "regions",
            "serde.JSONDataset",
        ),
        (
            &["catalog", "resolve", "after_checked"],
            "patterns",
            "{name}_checked",
        ),
        (&["catalog", "list-patterns"], "patterns", "{name}_checked"),
        (
            &["catalog", "resolve-patterns", "-p", "regions"],
            "regions",
            "data/regions/north/numbers.json",
        ),
        (&["jobs", "list"], "faults", "tag_retrying_job"),
        (&["plan", "--job", "tag_retrying_job"], "faults", "check"),
        (&["schedules", "list"], "faults", "no scheduled jobs"),
    ];
    for (args, env, marker) in cases {
        let by_flag = f.run(&[args, &["--env", env]].concat(), &[]);
        assert_eq!(by_flag.code, 0, "{args:?}: {}", by_flag.stderr);
        assert!(
            by_flag.stdout.contains(marker),
            "{args:?}: {}",
            by_flag.stdout
        );
        let by_variable = f.run(args, &[("KEDRUST_ENV", env)]);
        assert_eq!(by_variable.stdout, by_flag.stdout, "{args:?}");
        // The flag wins over the variable.
        let both = f.run(
            &[args, &["--env", env]].concat(),
            &[("KEDRUST_ENV", "local")],
        );
        assert_eq!(both.stdout, by_flag.stdout, "{args:?}");
        // A mistyped environment is one error, exit 2, with the nearest environment, for
        // commands that load no config group (info, pipeline list) as for the others.
        let typo = f.run(&[args, &["--env", "regoins"]].concat(), &[]);
        assert_eq!(typo.code, 2, "{args:?}: {}", typo.stderr);
        assert_eq!(
            typo.stderr
                .matches("environment 'regoins' not found")
                .count(),
            1,
            "{args:?}: {}",
            typo.stderr
        );
        assert!(
            typo.stderr.contains("did you mean 'regions'?"),
            "{args:?}: {}",
            typo.stderr
        );
        if args != ["pipeline", "list"] {
            let local = f.run(args, &[]);
            assert!(
                local.code != 0 || !local.stdout.contains(marker),
                "{args:?} without --env: {}",
                local.stdout
            );
        }
    }
    // And `run --env regions` runs what the registry gives that environment.
    let out = f.run(&["run", "--env", "regions"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut nodes = f.nodes_run();
    nodes.sort();
    assert_eq!(
        nodes,
        [
            "add_regions",
            "north.load",
            "north.sum",
            "south.load",
            "south.sum"
        ]
    );
}

#[test]
fn a_partitioned_dataset_is_written_for_the_runs_partition_key() {
    let f = Fixture::new("basic");
    let debug = f.path().join("hook-debug.txt");
    let out = f.run(
        &["run", "--env", "partitioned", "--partition", "south"],
        &[("KEDRUST_FIXTURE_DEBUG", debug.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(f.path().join("data/summary/south.txt").is_file());
    assert!(!f.path().join("data/summary/north.txt").exists());
    // The hooks' run params carry the key.
    let dumped = std::fs::read_to_string(&debug).unwrap();
    assert!(
        dumped.contains("\"partition\": String(\"south\")"),
        "{dumped}"
    );
    // Every process of a multi-process run writes the same partition.
    let out = f.run(
        &[
            "run",
            "--env",
            "partitioned",
            "--partition",
            "north",
            "--runner",
            "process",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(f.path().join("data/summary/north.txt").is_file());

    // Mistakes, before any node runs: each names the dataset and what to do.
    let cases: [(&[&str], &str); 3] = [
        (
            &["run", "--env", "partitioned"],
            "dataset 'summary': it is partitioned: run one partition of it with --partition <key>",
        ),
        (
            &["run", "--env", "partitioned", "--partition", "sout"],
            "'sout' is not one of its partition keys (north, south); did you mean 'south'?",
        ),
        (
            &["run", "--partition", "south"],
            "--partition south: no dataset of the pipeline is partitioned",
        ),
    ];
    for (args, said) in cases {
        let out = f.run(args, &[]);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
    }
}
