//! The partitions example end to end, as its doc comment tells a user to run it: generate,
//! backfill January, the trends of its last day, and the customers found at run time.

use std::path::Path;

/// The example's binary on `root` with `args`: exit code, stdout, stderr.
fn daily_sales(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = kedrust_testkit::clean_command(env!("CARGO_BIN_EXE_daily-sales"))
        .arg("--project-dir")
        .arg(root)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn january_is_backfilled_and_its_last_day_has_its_trends() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    kedrust_testkit::copy_dir(Path::new("conf"), &root.join("conf"));
    let run = |args: &[&str]| {
        let (code, stdout, stderr) = daily_sales(root, args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        stdout
    };
    run(&["generate"]);
    let out = run(&[
        "backfill",
        "--job",
        "daily_job",
        "--from",
        "2024-01-01",
        "--to",
        "2024-01-31",
    ]);
    assert!(
        out.contains("31 of 31 keys run, 31 succeeded, 0 failed"),
        "{out}"
    );
    run(&["run", "--job", "trends_job", "--partition", "2024-01-31"]);
    let reporting = root.join("data/08_reporting");
    // Day d sells 3 d: the 31st changes by 3 from the 30th; its week is the 25th to the 31st.
    assert_eq!(json(&reporting.join("day_change/2024-01-31.json")), 3);
    assert_eq!(
        json(&reporting.join("week_report/2024-01-31.json")),
        serde_json::json!({"days": 7, "total": 3 * (25..=31).sum::<i64>()})
    );
    let status = run(&["partitions", "status", "day_report"]);
    assert!(status.contains("31 keys, 31 materialized"), "{status}");

    run(&["run", "--job", "signup_job"]);
    assert_eq!(
        run(&["partitions", "list", "customers"]),
        "acme\nglobex\ninitech\n"
    );
    let out = run(&[
        "backfill",
        "--job",
        "customers_job",
        "--keys",
        "acme,initech",
    ]);
    assert!(out.contains("2 of 2 keys run, 2 succeeded"), "{out}");
    assert_eq!(
        json(&reporting.join("customers/initech.json")),
        serde_json::json!({"orders": 3, "total": 6})
    );
}
