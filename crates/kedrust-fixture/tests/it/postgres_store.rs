//! The run store on a real PostgreSQL server (`KEDRUST_RUN_STORE=postgresql://…`): every
//! process of a run, every command and the lifecycle work on it as on the SQLite file, and no
//! file is written in its place.

use crate::Fixture;
use crate::partitions::{days, resume_id, write_sales};
use kedrust_testkit::PostgresSchema;

#[test]
fn a_run_store_on_postgres_serves_every_process_of_a_run_and_every_command() {
    let schema = PostgresSchema::new();
    let url = schema.url();
    let store = ("KEDRUST_RUN_STORE", url.as_str());
    let f = Fixture::new("basic");
    // Every node in a process of its own, each opening the store on the server; the node
    // `check` fails.
    let out = f.run(
        &["run", "-p", "failing", "-r", "process"],
        &[store, ("KEDRUST_FIXTURE_FAIL_CHECK", "1")],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(f.fired("before_pipeline_run"), 1);
    assert_eq!(f.fired("on_pipeline_error"), 1, "exactly once");
    assert!(!f.path().join(".kedrust/runs.db").exists(), "no file store");
    let listed = f.run(&["runs", "list"], &[store]);
    assert!(listed.stdout.contains("FAILURE"), "{}", listed.stdout);
    let failed = listed
        .stdout
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    // The resume reads the failed run back from the server.
    let out = f.run(&["run", "--resume", &failed], &[store]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let listed = f.run(&["runs", "list"], &[store]);
    assert!(listed.stdout.lines().next().unwrap().contains("SUCCESS"));
    // The file store knows nothing of these runs.
    assert!(f.run(&["runs", "list"], &[]).stdout.starts_with("no runs"));
}

#[test]
fn backfills_and_dynamic_keys_live_on_postgres_too() {
    let schema = PostgresSchema::new();
    let url = schema.url();
    let store = ("KEDRUST_RUN_STORE", url.as_str());
    let f = Fixture::new("daily");
    write_sales(&f, &days(1, 2));
    // The 3rd has no sales file: its run fails.
    let out = f.run(
        &[
            "backfill",
            "--job",
            "daily_job",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-03",
        ],
        &[store],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("3 of 3 keys run, 2 succeeded, 1 failed"),
        "{}",
        out.stderr
    );
    let status = f.run(&["partitions", "status", "daily_job"], &[store]);
    assert!(
        status.stdout.contains("\n2024-01-02  materialized")
            && status.stdout.contains("\n2024-01-03  failed"),
        "{}",
        status.stdout
    );
    write_sales(&f, &days(3, 3));
    let resumed = f.run(&["backfill", "--resume", resume_id(&out.stderr)], &[store]);
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    // Dynamic partitions' keys, added and listed through the server.
    let added = f.run(
        &["partitions", "add", "customers", "acme", "globex"],
        &[store],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let listed = f.run(&["partitions", "list", "customers"], &[store]);
    assert_eq!(
        listed.stdout.split_whitespace().collect::<Vec<_>>(),
        ["acme", "globex"]
    );
}

#[test]
fn an_unreachable_postgres_store_is_named_with_its_password_hidden() {
    let f = Fixture::new("basic");
    let out = f.run(
        &["run"],
        &[(
            "KEDRUST_RUN_STORE",
            "postgresql://kedrust:s3cret@127.0.0.1:9/runs",
        )],
    );
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("run store postgresql://kedrust:***@127.0.0.1:9/runs: cannot connect"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("s3cret"), "{}", out.stderr);
    assert_eq!(f.fired("before_pipeline_run"), 0, "nothing ran");
}
