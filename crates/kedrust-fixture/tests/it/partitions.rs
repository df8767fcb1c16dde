//! Partitions embedded: backfills (a run per key, resumed), `partitions status`, and the
//! mistakes refused before any run starts.

use crate::Fixture;

/// The January 2024 days `first..=last`, as the daily partitions write them.
pub(crate) fn days(first: u32, last: u32) -> Vec<String> {
    (first..=last).map(|d| format!("2024-01-{d:02}")).collect()
}

/// Sales files for the given days (day `d` sold `d` and `2 d`).
pub(crate) fn write_sales(f: &Fixture, days: &[String]) {
    let dir = f.path().join("data/sales");
    std::fs::create_dir_all(&dir).unwrap();
    for day in days {
        let d: i64 = day[8..].parse().unwrap();
        std::fs::write(dir.join(format!("{day}.json")), format!("[{d}, {}]", 2 * d)).unwrap();
    }
}

/// The backfill id of the resume command a failed backfill prints.
pub(crate) fn resume_id(stderr: &str) -> &str {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("resume the keys that did not succeed: backfill --resume "))
        .expect("the resume command")
        .trim()
}

#[test]
fn a_backfill_of_30_daily_keys_runs_each_once_and_resumes_the_one_that_failed() {
    let f = Fixture::new("daily");
    // The 7th's sales file is missing: that day's run fails.
    let mut present = days(1, 30);
    present.retain(|d| d != "2024-01-07");
    write_sales(&f, &present);
    let args = [
        "backfill",
        "--job",
        "daily_job",
        "--from",
        "2024-01-01",
        "--to",
        "2024-01-30",
        "--max-concurrent",
        "4",
        // A secret parameter: the run store keeps it hidden, so a resume is given it again.
        "--params",
        "api_token=s3cret",
    ];
    let out = f.run(&args, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("30 of 30 keys run, 29 succeeded, 1 failed"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("2024-01-07: failed (run "),
        "{}",
        out.stderr
    );
    // The progress line says what broke, and the summary how to go on.
    assert!(out.stderr.contains("sales"), "{}", out.stderr);
    let backfill_id = resume_id(&out.stderr).to_owned();
    for day in days(1, 30) {
        let written = f
            .path()
            .join(format!("data/day_report/{day}.json"))
            .is_file();
        assert_eq!(written, day != "2024-01-07", "{day}");
    }
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.path().join("data/day_report/2024-01-12.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(report, serde_json::json!({"total": 36}));
    // Each key is a whole run: its pipeline hooks once, its own run id.
    let started = f.fired_for("before_pipeline_run");
    assert_eq!(started.len(), 30);
    let mut distinct = started.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 30);
    assert_eq!(f.fired("after_pipeline_run"), 29);
    assert_eq!(f.fired("on_pipeline_error"), 1);

    // Status of the job and of one of its datasets: the 31st was never run.
    let status = f.run(&["partitions", "status", "daily_job"], &[]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.starts_with(
            "job 'daily_job': 31 keys, 29 materialized, 1 failed, 0 running, 1 missing\n"
        ),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("\n2024-01-07  failed        run "),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.ends_with("\n2024-01-31  missing\n"),
        "{}",
        status.stdout
    );
    let status = f.run(&["partitions", "status", "day_report"], &[]);
    assert!(
        status
            .stdout
            .starts_with("dataset 'day_report': 31 keys, 29 materialized, 1 failed"),
        "{}",
        status.stdout
    );

    // The missing file arrives; the resume runs that key alone.
    write_sales(&f, &["2024-01-07".to_owned()]);
    let out = f.run(&["backfill", "--resume", &backfill_id], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("was given secret parameters the run store does not keep: api_token"),
        "{}",
        out.stderr
    );
    let again = [
        "backfill",
        "--resume",
        &backfill_id,
        "--params",
        "api_token=s3cret",
    ];
    let out = f.run(&again, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("1 of 30 keys run, 1 succeeded, 0 failed"),
        "{}",
        out.stdout
    );
    assert!(f.path().join("data/day_report/2024-01-07.json").is_file());
    assert_eq!(f.fired("before_pipeline_run"), 31);
    let status = f.run(&["partitions", "status", "daily_job"], &[]);
    assert!(
        status.stdout.contains("30 materialized, 0 failed"),
        "{}",
        status.stdout
    );
    let out = f.run(&again, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("nothing to run"), "{}", out.stdout);

    // One more key by hand, as a run of the job: the status counts it.
    write_sales(&f, &["2024-01-31".to_owned()]);
    let args = ["run", "--job", "daily_job", "--partition", "2024-01-31"];
    let out = f.run(&args, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let status = f.run(&["partitions", "status", "daily_job"], &[]);
    assert!(
        status.stdout.contains("31 keys, 31 materialized"),
        "{}",
        status.stdout
    );
}

#[test]
fn partition_mistakes_are_refused_before_any_run_starts() {
    let f = Fixture::new("daily");
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "backfill",
                "--job",
                "daily_job",
                "--from",
                "2024-01-10",
                "--to",
                "2024-01-03",
            ],
            "'2024-01-10' comes after '2024-01-03'",
        ),
        (
            &[
                "backfill",
                "--job",
                "daily_job",
                "--keys",
                "2024-01-05,2023-12-31",
            ],
            "'2023-12-31' is not one of its partition keys",
        ),
        (
            &["backfill", "--job", "daily_jb", "--keys", "2024-01-05"],
            "did you mean 'daily_job'?",
        ),
        (
            &["backfill", "--pipeline", "chain", "--keys", "north"],
            "no dataset of the pipeline is partitioned",
        ),
        (
            &[
                "backfill",
                "--job",
                "daily_job",
                "--keys",
                "2024-01-05,2024-01-05",
            ],
            "key '2024-01-05' is listed twice",
        ),
        (
            &["backfill", "--job", "daily_job", "--keys", "2024-02-15"],
            "'2024-02-15' is not one of its partition keys: a window start on or after the \
             first, before the end",
        ),
        (
            &["backfill", "--resume", "backfill-nope"],
            "no backfill 'backfill-nope' in the run store",
        ),
        (
            &["partitions", "status", "day_reprt"],
            "did you mean 'day_report'?",
        ),
    ];
    for (args, said) in cases {
        let out = f.run(args, &[]);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
    }
    // Two readers of day_total wanting different days of it in one run (the daily
    // environment runs both pipelines) are refused: one needs an entry of its own.
    std::fs::write(
        f.path().join("conf/daily/catalog.yml"),
        "day_total:\n  type: serde.JSONDataset\n  filepath: data/day_total/{partition}.json\n  \
         partitions: {type: daily, start: \"2024-01-01\", end: \"2024-02-01\"}\n  \
         partition_mapping:\n    day_change: {type: time_window, start_offset: -1, end_offset: -1}\n",
    )
    .unwrap();
    let out = f.run(&["run", "--env", "daily", "--partition", "2024-01-05"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "dataset 'day_total': node 'change_day' reads partition 2024-01-04 of it and node \
             'report_day' reads partition 2024-01-05 in the same run"
        ),
        "{}",
        out.stderr
    );
    // A mistake in a mapping, with its file and key, before anything runs.
    std::fs::write(
        f.path().join("conf/local/catalog.yml"),
        "previous_day_total:\n  type: serde.JSONDataset\n  filepath: data/day_total/{partition}.json\n  \
         partitions: {type: daily, start: \"2024-01-01\"}\n  partition_mapping:\n    \
         day_change: {type: time_windw, start_offset: -1}\n",
    )
    .unwrap();
    let out = f.run(
        &["run", "--job", "trends_job", "--partition", "2024-01-05"],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("conf/local/catalog.yml"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "'partition_mapping.day_change': unknown partition mapping type 'time_windw'; did you \
             mean 'time_window'?"
        ),
        "{}",
        out.stderr
    );
    // A misspelt output would silently read the run's key: refused, with the nearest name.
    std::fs::write(
        f.path().join("conf/local/catalog.yml"),
        "days_of_week:\n  type: json.JSONDataset\n  filepath: data/day_report/{partition}.json\n  \
         partitions: {type: daily, start: \"2024-01-01\", end: \"2024-02-01\"}\n  \
         partition_mapping:\n    week_reprot: {type: time_window, start_offset: -6}\n",
    )
    .unwrap();
    let out = f.run(
        &["run", "--job", "trends_job", "--partition", "2024-01-05"],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "dataset 'days_of_week': 'partition_mapping.week_reprot': no dataset of any pipeline \
             is called so or matches it; did you mean 'week_report'?"
        ),
        "{}",
        out.stderr
    );
    assert!(f.trace().is_empty(), "a hook fired");
}

/// `schedules serve` on a simulated clock from `from` to `until`.
fn serve(f: &Fixture, (from, until): (&str, &str)) -> crate::Outcome {
    let out = f.run(
        &["schedules", "serve", "--from", from, "--until", until],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

#[test]
fn a_nightly_schedule_runs_the_day_that_has_just_ended() {
    let f = Fixture::new("daily");
    write_sales(&f, &days(1, 5));
    // Ticks at 01:00 on the 3rd, 4th and 5th.
    let out = serve(&f, ("2024-01-03T00:30:00Z", "2024-01-05T02:00:00Z"));
    assert!(out.stdout.contains("served 3 ticks"), "{}", out.stdout);
    for day in days(1, 5) {
        let written = f
            .path()
            .join(format!("data/day_report/{day}.json"))
            .is_file();
        assert_eq!(
            written,
            ["2024-01-02", "2024-01-03", "2024-01-04"].contains(&day.as_str()),
            "{day}"
        );
    }
    let status = f.run(&["partitions", "status", "daily_job"], &[]);
    assert!(
        status.stdout.contains("31 keys, 3 materialized"),
        "{}",
        status.stdout
    );
    // A tick before the first day has ended runs nothing.
    let out = serve(&f, ("2023-12-31T00:30:00Z", "2024-01-01T02:00:00Z"));
    assert!(
        out.stderr
            .contains("no partition of job daily_job has ended yet"),
        "{}",
        out.stderr
    );
    assert_eq!(f.fired("before_pipeline_run"), 3);
}

#[test]
fn partition_mappings_read_yesterdays_partition_and_a_trailing_week() {
    let f = Fixture::new("daily");
    write_sales(&f, &days(1, 10));
    let args = [
        "backfill",
        "--job",
        "daily_job",
        "--from",
        "2024-01-01",
        "--to",
        "2024-01-10",
    ];
    let out = f.run(&args, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let read = |path: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(f.path().join(path)).unwrap()).unwrap()
    };
    // Day d sold 3 d: the 9th's change from the 8th is 3; its week is the 3rd to the 9th.
    let out = f.run(
        &["run", "--job", "trends_job", "--partition", "2024-01-09"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        read("data/day_change/2024-01-09.json"),
        serde_json::json!(3)
    );
    assert_eq!(
        read("data/week_report/2024-01-09.json"),
        serde_json::json!({"days": 7, "total": 3 * (3 + 4 + 5 + 6 + 7 + 8 + 9)})
    );
    // Early in the month the week is shorter; the first day has no day before it, which is
    // said before anything runs.
    let out = f.run(
        &["run", "--job", "trends_job", "--partition", "2024-01-01"],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "dataset 'previous_day_total': node 'change_day' reads it for 'day_change' 2024-01-01 \
             through its partition mapping: no key of it is mapped to '2024-01-01'"
        ),
        "{}",
        out.stderr
    );
    let out = f.run(
        &[
            "backfill",
            "--job",
            "trends_job",
            "--from",
            "2024-01-02",
            "--to",
            "2024-01-04",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        read("data/week_report/2024-01-03.json"),
        serde_json::json!({"days": 3, "total": 18})
    );
}

#[test]
fn dynamic_keys_are_added_by_a_command_or_a_node_and_runs_take_only_those() {
    let f = Fixture::new("daily");
    let orders = |customer: &str, orders: &str| {
        let dir = f.path().join(format!("data/customers/{customer}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("orders.json"), orders).unwrap();
    };
    orders("acme", "[5, 7]");
    orders("globex", "[1]");
    orders("initech", "[2, 2, 2]");
    let out = f.run(&["partitions", "add", "customers", "acme"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "added 1 key to 'customers' (1 in all)\n");
    // A key nobody added is refused before anything runs, with the command that adds it.
    let out = f.run(
        &["run", "--job", "customers_job", "--partition", "globex"],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "dataset 'customer_orders': 'globex' is not a key of dynamic partitions 'customers' \
             (keys: acme); add it with `partitions add customers globex`"
        ),
        "{}",
        out.stderr
    );
    // A node adds the keys it finds.
    std::fs::write(
        f.path().join("data/signups.json"),
        r#"["globex", "initech", "acme"]"#,
    )
    .unwrap();
    let out = f.run(&["run", "--job", "signup_job"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = f.run(&["partitions", "list", "customers"], &[]);
    assert_eq!(out.stdout, "acme\nglobex\ninitech\n");
    // A backfill over them, in the order they were added.
    let out = f.run(
        &[
            "backfill",
            "--job",
            "customers_job",
            "--from",
            "acme",
            "--to",
            "initech",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("3 of 3 keys run, 3 succeeded"),
        "{}",
        out.stdout
    );
    let summary =
        std::fs::read_to_string(f.path().join("data/customers/initech/summary.json")).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&summary).unwrap(),
        serde_json::json!({"orders": 3, "total": 6})
    );
    let status = f.run(&["partitions", "status", "customer_summary"], &[]);
    assert!(
        status.stdout.contains("3 keys, 3 materialized"),
        "{}",
        status.stdout
    );
    let out = f.run(&["partitions", "delete", "customers", "globex"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        f.run(&["partitions", "list", "customers"], &[]).stdout,
        "acme\ninitech\n"
    );
    let mistakes: [(&[&str], &str); 4] = [
        (
            &["partitions", "add", "customer", "x"],
            "no dataset has dynamic partitions named 'customer'; did you mean 'customers'?",
        ),
        (
            &["partitions", "add", "customers", "a...b"],
            "partition key \"a...b\" contains '...'",
        ),
        (
            &["partitions", "add", "customers", "../../etc"],
            "contains a path separator",
        ),
        (
            &["partitions", "delete", "customers", "acm"],
            "'acm' is not a key of dynamic partitions 'customers' (keys: acme, initech); did you mean 'acme'?",
        ),
    ];
    for (args, said) in mistakes {
        let out = f.run(args, &[]);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_key_whose_run_died_is_failed_in_the_status() {
    let f = Fixture::new("daily");
    write_sales(&f, &days(3, 3));
    let block = f.block_path();
    let at = format!("before_pipeline_run={}", block.display());
    let mut run = f.spawn(
        &["run", "--pipeline", "daily", "--partition", "2024-01-03"],
        &[("KEDRUST_FIXTURE_BLOCK_HOOK", &at)],
    );
    crate::wait_for(&block);
    let status = f.run(&["partitions", "status", "day_report"], &[]);
    assert!(
        status.stdout.contains("\n2024-01-03  running"),
        "{}",
        status.stdout
    );
    run.kill().unwrap();
    run.wait().unwrap();
    let status = f.run(&["partitions", "status", "day_report"], &[]);
    assert!(
        status.stdout.contains("\n2024-01-03  failed"),
        "{}",
        status.stdout
    );
}

/// Each region's sales file (`east` only when `with_east`).
pub(crate) fn write_regions(f: &Fixture, with_east: bool) {
    let mut regions = vec![("north", "[1, 2]"), ("south", "[10]")];
    if with_east {
        regions.push(("east", "[5, 5, 5]"));
    }
    for (region, sales) in regions {
        let dir = f.path().join(format!("data/regions/{region}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sales.json"), sales).unwrap();
    }
}

#[test]
fn a_fan_out_runs_each_partitioned_node_once_per_key_in_one_run() {
    for runner in ["sequential", "thread", "process"] {
        let f = Fixture::new("daily");
        write_regions(&f, true);
        let keys = f.path().join("node_keys.txt");
        let args = [
            "run",
            "--pipeline",
            "regional",
            "--fan-out",
            "--runner",
            runner,
        ];
        let out = f.run(
            &args,
            &[("KEDRUST_FIXTURE_NODE_KEYS", keys.to_str().unwrap())],
        );
        assert_eq!(out.code, 0, "{runner}: {}", out.stderr);
        // A chain partitioned -> partitioned -> partitioned, then a fan-in of every key.
        let all: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(f.path().join("data/regions/all.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            all,
            serde_json::json!({"east": {"total": 15}, "north": {"total": 3}, "south": {"total": 10}}),
            "{runner}"
        );
        let count = std::fs::read_to_string(f.path().join("data/regions/count.json")).unwrap();
        assert_eq!(count.trim(), "6", "{runner}");
        // One run: its pipeline hooks once; node hooks once per copy, each with its key.
        assert_eq!(f.fired("before_pipeline_run"), 1, "{runner}");
        assert_eq!(f.fired("after_pipeline_run"), 1, "{runner}");
        let mut seen: Vec<String> = std::fs::read_to_string(&keys)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                "count_sales -",
                "gather_regions -",
                "report_region__east east",
                "report_region__north north",
                "report_region__south south",
                "total_region__east east",
                "total_region__north north",
                "total_region__south south",
            ],
            "{runner}"
        );
    }
    // A job of dagster.yml fans out with `fan_out: true`; a failing copy fails the run once.
    let f = Fixture::new("daily");
    write_regions(&f, false);
    let out = f.run(&["run", "--job", "regional_job"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("region_sales__east"), "{}", out.stderr);
    assert_eq!(f.fired("on_pipeline_error"), 1);
    assert!(!f.path().join("data/regions/all.json").exists());
}

#[test]
fn a_fan_out_reads_through_partition_mappings_and_waits_for_the_copies_it_reads() {
    for runner in ["thread", "process"] {
        let f = Fixture::new("daily");
        let january = days(1, 31);
        write_sales(&f, &january);
        // The day reports, already written: day d's total is 3 d.
        let reports = f.path().join("data/day_report");
        std::fs::create_dir_all(&reports).unwrap();
        for (d, day) in january.iter().enumerate() {
            let total = 3 * (d + 1);
            std::fs::write(
                reports.join(format!("{day}.json")),
                format!("{{\"total\": {total}}}"),
            )
            .unwrap();
        }
        let out = f.run(
            &[
                "run",
                "--pipeline",
                "weekly",
                "--fan-out",
                "--runner",
                runner,
            ],
            &[],
        );
        assert_eq!(out.code, 0, "{runner}: {}", out.stderr);
        let read = |file: &str| {
            let text = std::fs::read_to_string(f.path().join(file)).unwrap();
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        };
        // A time window of seven days over totals other copies of the run write (day d's
        // total is 3 d); the first days of January have fewer days before them.
        assert_eq!(read("data/week_total/2024-01-10.json"), 147, "{runner}");
        assert_eq!(read("data/week_total/2024-01-03.json"), 18, "{runner}");
        assert_eq!(read("data/week_total/2024-01-31.json"), 588, "{runner}");
        // The same window over files no node of the run writes.
        assert_eq!(
            read("data/week_report/2024-01-10.json"),
            serde_json::json!({"days": 7, "total": 147}),
            "{runner}"
        );
        assert_eq!(f.fired("before_pipeline_run"), 1, "{runner}");
    }
    // A static mapping: each region's copy reads the total another region's copy writes.
    let f = Fixture::new("daily");
    write_regions(&f, true);
    let out = f.run(&["run", "--pipeline", "neighbours", "--fan-out"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for (region, pair) in [
        ("north", serde_json::json!({"sales": 2, "other_total": 10})),
        ("south", serde_json::json!({"sales": 1, "other_total": 15})),
        ("east", serde_json::json!({"sales": 3, "other_total": 3})),
    ] {
        let text =
            std::fs::read_to_string(f.path().join(format!("data/regions/{region}/pair.json")))
                .unwrap();
        let found: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(found, pair, "{region}");
    }
}

#[test]
fn fan_out_mistakes_are_refused_before_any_run_starts() {
    let f = Fixture::new("daily");
    write_regions(&f, true);
    // An entry whose name is the one a copy gives its slice.
    let clash = f.path().join("conf/clash");
    std::fs::create_dir_all(&clash).unwrap();
    std::fs::write(
        clash.join("catalog.yml"),
        "region_sales__north: {type: json.JSONDataset, filepath: data/north.json}\n",
    )
    .unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &["run", "--pipeline", "regional"],
            "dataset 'region_sales': node 'count_sales' takes every partition of it \
             (Partitions<Vec<i64>>): run the pipeline with --fan-out",
        ),
        (
            &[
                "run",
                "--pipeline",
                "regional",
                "--fan-out",
                "--partition",
                "north",
            ],
            "cannot be used with",
        ),
        // The first day has no day before it.
        (
            &["run", "--pipeline", "trends", "--fan-out"],
            "dataset 'previous_day_total': node 'change_day' reads it for key 2024-01-01 \
             through its partition mapping: no key of it is mapped to '2024-01-01'",
        ),
        // An entry of its own for files the run writes: the readers would not wait.
        (
            &["run", "--env", "daily", "--fan-out"],
            "dataset 'days_of_week': node 'trail_week' reads the files of 'day_report', which \
             this run writes",
        ),
        (
            &["run", "--pipeline", "chain", "--fan-out"],
            "nothing to fan out: no dataset of the pipeline is partitioned",
        ),
        (
            &[
                "run",
                "--env",
                "clash",
                "--pipeline",
                "regional",
                "--fan-out",
            ],
            "dataset 'region_sales': the fan-out names its partition north \
             'region_sales__north', which is an entry of the catalog",
        ),
    ];
    for (args, said) in cases {
        let out = f.run(args, &[]);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(said), "{args:?}: {}", out.stderr);
    }
    assert!(f.trace().is_empty(), "a hook fired");
}
