//! A state folder on object storage (`KEDRUST_STATE_DIR=s3://…`), for steps that share no
//! disk: the run folder (memory data between processes, the children's errors, the run's
//! configuration snapshot) lives on a real S3 server on 127.0.0.1, credentials from the
//! cloud's environment variables, and is removed when the run is over.

use crate::Fixture;
use kedrust_testkit::S3Server as S3;

/// The environment of a run whose state folder is `s3://kedrust/state`, its run store a
/// file of the project.
fn on_s3(s3: &S3) -> Vec<(&'static str, String)> {
    let mut env = s3.environment();
    env.push(("KEDRUST_STATE_DIR", "s3://kedrust/state".into()));
    env.push(("KEDRUST_RUN_STORE", "runs.db".into()));
    env
}

pub(crate) fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_process_run_passes_memory_data_and_its_configuration_through_object_storage() {
    let s3 = S3::start();
    let f = Fixture::new("basic");
    let env = on_s3(&s3);
    // Blocked in `check`, the run's folder is on the server: the snapshot's list and the
    // memory data the step read. This host keeps only its own copy of the snapshot.
    let (mut run, _) = f.spawn_blocked(
        &["run", "-p", "failing_in_memory", "-r", "process"],
        &pairs(&env),
    );
    let keys = s3.keys("state/runs/");
    let run_id = keys[0].split('/').nth(2).unwrap().to_owned();
    let under = |rest: &str| format!("state/runs/{run_id}/{rest}");
    for wanted in ["conf/current", "memory/numbers", "memory/doubled_in_memory"] {
        assert!(keys.contains(&under(wanted)), "{wanted} in {keys:?}");
    }
    assert!(keys.iter().any(|k| k.ends_with("/base/parameters.yml")));
    assert!(
        !keys.iter().any(|k| k.contains("credentials")),
        "secrets stay where they live: {keys:?}"
    );
    let own = f.path().join(".kedrust/runs").join(&run_id);
    let copies: Vec<_> = std::fs::read_dir(&own).unwrap().flatten().collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(copies[0].path().join("base/parameters.yml").is_file());
    assert!(!own.join("memory").exists());
    std::fs::remove_file(f.block_path()).unwrap();
    assert!(run.wait().unwrap().success());
    assert_eq!(f.fired("before_pipeline_run"), 1);
    assert_eq!(f.fired("after_pipeline_run"), 1);
    assert_eq!(
        f.nodes_run(),
        ["make_numbers", "double", "check", "after_check"]
    );
    assert_eq!(f.fired("after_node_run"), 4);
    // Over: both run folders are gone.
    assert_eq!(s3.keys("state/"), Vec::<String>::new());
    assert!(!own.exists());

    // A node's error travels back through the server, and the message is the node's.
    let out = f.run(
        &["run", "-p", "failing_in_memory", "-r", "process"],
        &[pairs(&env), vec![("KEDRUST_FIXTURE_FAIL_CHECK", "1")]].concat(),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("the check was told to fail this time"),
        "{}",
        out.stderr
    );
    assert_eq!(f.fired("on_pipeline_error"), 1);
    assert!(!out.stderr.contains(S3::SECRET));
}

#[test]
fn a_state_folder_on_object_storage_needs_a_run_store_and_a_storage_kedrust_knows() {
    let s3 = S3::start();
    let f = Fixture::new("basic");
    let mut env = s3.environment();
    env.push(("KEDRUST_STATE_DIR", "s3://kedrust/state".into()));
    let out = f.run(&["run"], &pairs(&env));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("KEDRUST_STATE_DIR='s3://kedrust/state' is not allowed")
            && out
                .stderr
                .contains("also set KEDRUST_RUN_STORE to a PostgreSQL URL"),
        "{}",
        out.stderr
    );
    // The code location refuses to load, so no Dagster run starts with such settings.
    let out = f.run(&["__dagster_plans", "--env", "local"], &pairs(&env));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("also set KEDRUST_RUN_STORE"),
        "{}",
        out.stderr
    );
    let out = f.run(
        &["run"],
        &[
            ("KEDRUST_STATE_DIR", "sftp://host/state"),
            ("KEDRUST_RUN_STORE", "runs.db"),
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("give a folder, or a URL of object storage"),
        "{}",
        out.stderr
    );
    // A state folder no step can write, or one whose URL carries a password.
    for (url, expected) in [
        ("https://host/state", "every step can write"),
        (
            "s3://user:pass-9931@kedrust/state",
            "put no password in the URL",
        ),
    ] {
        let out = f.run(
            &["run"],
            &[("KEDRUST_STATE_DIR", url), ("KEDRUST_RUN_STORE", "runs.db")],
        );
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains(expected), "{}", out.stderr);
        assert!(!out.stderr.contains("pass-9931"), "{}", out.stderr);
    }
    assert_eq!(f.fired("before_pipeline_run"), 0, "nothing ran");
    assert!(!f.path().join("sftp:").exists());
    // A job whose steps may run on other machines, with the state on object storage and the
    // run store in a file each machine would have its own of: the code location refuses it.
    f.add_distributed_env();
    let out = f.run(
        &["__dagster_plans", "--env", "distributed"],
        &pairs(&on_s3(&s3)),
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the state folder is on object storage, but the run store is the file"),
        "{}",
        out.stderr
    );
}

/// On Dagster, with the run store on PostgreSQL: a run fails at `check`, and its
/// re-execution from failure, a new run, reads the memory data the parent's ops left on the
/// server; the re-execution's folder is gone once it succeeds.
#[test]
fn a_dagster_reexecution_reads_its_parents_memory_data_from_object_storage() {
    let s3 = S3::start();
    let schema = kedrust_testkit::PostgresSchema::new();
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let mut env = on_s3(&s3);
    env.retain(|(k, _)| *k != "KEDRUST_RUN_STORE");
    env.push(("KEDRUST_RUN_STORE", schema.url()));
    let report = crate::dagster::reexecute_from_failure(&f, "failing_in_memory_job", &pairs(&env));
    let (first, second) = (
        report["first"].as_str().unwrap(),
        report["second"].as_str().unwrap(),
    );
    let first_data = s3.keys(&format!("state/runs/{first}/memory/"));
    assert!(
        first_data.contains(&format!("state/runs/{first}/memory/doubled_in_memory")),
        "the failed run keeps its data for a re-execution: {first_data:?}"
    );
    assert_eq!(
        s3.keys(&format!("state/runs/{second}/")),
        Vec::<String>::new()
    );
    assert!(!f.path().join(".kedrust/runs").join(second).exists());
    let checked: Vec<String> = f
        .trace()
        .iter()
        .filter(|t| t["run_id"] == second && t["hook"] == "after_node_run")
        .map(|t| t["node"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(checked, ["check", "after_check"]);
    let shown = f.run(
        &["runs", "show", second],
        &[("KEDRUST_RUN_STORE", &schema.url())],
    );
    assert!(
        shown.stdout.lines().next().unwrap().contains("SUCCESS"),
        "{}",
        shown.stdout
    );
}
