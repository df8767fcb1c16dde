//! Partitions on Dagster: the daily project's jobs and assets carry its partitions
//! definitions and mappings, its schedule asks for the day that has just ended, and a
//! backfill of three keys through `dagster job backfill` and the daemon runs each key as a
//! kedrust run with its hooks, recording materialisations for that key.

use crate::Fixture;
use crate::dagster::{
    ON_THE_INSTANCE, dagster_home, python, run_dagster, start_daemon, stop_daemon, venv_path,
};
use crate::partitions::write_regions;

/// Sales files for January days `days` (day d sold d and 2 d).
fn write_sales(f: &Fixture, days: &[u32]) {
    let dir = f.path().join("data/sales");
    std::fs::create_dir_all(&dir).unwrap();
    for d in days {
        std::fs::write(
            dir.join(format!("2024-01-{d:02}.json")),
            format!("[{d}, {}]", 2 * d),
        )
        .unwrap();
    }
}

/// What the code location of the `daily` environment makes of the catalog, read back from
/// Dagster's own objects.
const READ_BACK: &str = r#"
from datetime import datetime, timezone
defs = location.defs
job = defs.resolve_job_def("daily_job")
p = job.partitions_def
print("job", type(p).__name__, p.start.date(), p.end.date(), p.get_partition_keys()[:2])
graph = defs.resolve_asset_graph()
for key in [["daily", "day_report"], ["daily", "week_report"], ["daily", "days_of_week"]]:
    node = graph.get(dg.AssetKey(key))
    print("asset", "/".join(key), type(node.partitions_def).__name__)
week = graph.get(dg.AssetKey(["daily", "week_report"]))
for dep in week.parent_keys:
    mapping = week.partition_mappings.get(dep)
    print("dep", "/".join(dep.path), type(mapping).__name__, getattr(mapping, "start_offset", None))
nightly = defs.resolve_schedule_def("daily_job_nightly_schedule")
tick = nightly.evaluate_tick(dg.build_schedule_context(
    instance=instance, repository_def=defs.get_repository_def(),
    scheduled_execution_time=datetime(2024, 1, 3, 1, tzinfo=timezone.utc)))
print("tick", [r.partition_key for r in tick.run_requests])
# One partition of two assets, materialised as the UI does.
selection = [dg.AssetKey(["daily", "day_total"]), dg.AssetKey(["daily", "day_report"])]
run = defs.get_implicit_global_asset_job_def().execute_in_process(
    instance=instance, asset_selection=selection, partition_key="2024-01-05")
records = instance.fetch_materializations(dg.AssetKey(["daily", "day_report"]), limit=5).records
print("materialized", run.success, [r.asset_materialization.partition for r in records])
# A ranged run reaches Pipes without a key: refused, by name.
ranged = job.execute_in_process(instance=instance, raise_on_error=False, tags={
    "dagster/asset_partition_range_start": "2024-01-02", "dagster/asset_partition_range_end": "2024-01-03"})
said = [l.user_message or "" for l in instance.all_logs(ranged.run_id)]
print("ranged", ranged.success, any("kedrust runs one partition per run" in m for m in said))
# Dynamic keys kedrust added reach Dagster's instance through the sensor.
print("customers", type(defs.resolve_job_def("customers_job").partitions_def).__name__)
sync = defs.get_sensor_def("dynamic_partitions_sensor").evaluate_tick(dg.build_sensor_context(instance=instance))
print("sync", [(r.partitions_def_name, list(r.partition_keys)) for r in sync.dynamic_partitions_requests])
for r in sync.dynamic_partitions_requests:
    instance.add_dynamic_partitions(r.partitions_def_name, list(r.partition_keys))
# A key kedrust deletes leaves Dagster's instance too; keys only Dagster has stay.
instance.add_dynamic_partitions("customers", ["added_in_dagster"])
import subprocess
subprocess.run(location._kedrust("partitions", "delete", "customers", "globex"), check=True, capture_output=True)
unsync = defs.get_sensor_def("dynamic_partitions_sensor").evaluate_tick(dg.build_sensor_context(instance=instance))
print("unsync", [(type(r).__name__, list(r.partition_keys)) for r in unsync.dynamic_partitions_requests])
"#;

#[test]
fn dagster_jobs_assets_and_schedules_carry_the_catalogs_partitions_and_mappings() {
    let f = Fixture::new("daily");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    write_sales(&f, &[5]);
    let added = f.run(&["partitions", "add", "customers", "acme", "globex"], &[]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let home = dagster_home();
    let env = [
        ("DAGSTER_HOME", home.path().to_str().unwrap()),
        ("KEDRUST_ENV", "daily"),
    ];
    let out = python(&f, &format!("{ON_THE_INSTANCE}{READ_BACK}"), &env);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "job DailyPartitionsDefinition 2024-01-01 2024-02-01 ['2024-01-01', '2024-01-02']",
            "asset daily/day_report DailyPartitionsDefinition",
            "asset daily/week_report DailyPartitionsDefinition",
            "asset daily/days_of_week DailyPartitionsDefinition",
            "dep daily/days_of_week TimeWindowPartitionMapping -6",
            "tick ['2024-01-02']",
            "materialized True ['2024-01-05']",
            "ranged False True",
            "customers DynamicPartitionsDefinition",
            "sync [('customers', ['acme', 'globex'])]",
            "unsync [('DeleteDynamicPartitionsRequest', ['globex'])]",
        ],
        "{out}"
    );
}

#[test]
fn a_dagster_backfill_of_three_keys_runs_each_as_a_kedrust_run_of_that_key() {
    let f = Fixture::new("daily");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    write_sales(&f, &[1, 2, 3, 4, 5]);
    let home = dagster_home();
    let path = venv_path();
    let env = [
        ("PATH", path.as_str()),
        ("DAGSTER_HOME", home.path().to_str().unwrap()),
        ("DAGSTER_DISABLE_TELEMETRY", "1"),
    ];
    let daemon = start_daemon(&f, &env);
    let (code, text) = run_dagster(
        &f,
        &[
            "job",
            "backfill",
            "-f",
            "definitions.py",
            "-j",
            "daily_job",
            "--partitions",
            "2024-01-02,2024-01-03,2024-01-04",
            "--noprompt",
        ],
        &env,
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    while f.fired("after_pipeline_run") < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    stop_daemon(daemon);
    assert_eq!(code, 0, "{text}");
    assert_eq!(f.fired("after_pipeline_run"), 3, "three runs within 180 s");
    assert_eq!(f.fired("before_pipeline_run"), 3);
    assert_eq!(f.fired("on_pipeline_error"), 0);
    for d in 1..=5 {
        let written = f
            .path()
            .join(format!("data/day_report/2024-01-{d:02}.json"))
            .is_file();
        assert_eq!(written, (2..=4).contains(&d), "day {d}");
    }
    // kedrust's run store knows each key's run; Dagster recorded each materialisation for its key.
    let status = f.run(&["partitions", "status", "daily_job"], &[]);
    assert!(
        status.stdout.contains("31 keys, 3 materialized"),
        "{}",
        status.stdout
    );
    let out = python(
        &f,
        "import dagster as dg\n\
         i = dg.DagsterInstance.get()\n\
         records = i.fetch_materializations(dg.AssetKey(['local', 'day_report']), limit=10).records\n\
         print(sorted(r.asset_materialization.partition for r in records))\n",
        &env,
    );
    assert_eq!(
        out.trim(),
        "['2024-01-02', '2024-01-03', '2024-01-04']",
        "{out}"
    );
}

/// A partitioned run of `daily_job` for `day` on Dagster (its multiprocess executor when
/// `multiprocess`), then two ticks of the failure sensor; the trace as `hook node dataset`.
fn on_dagster(day: &str, multiprocess: bool) -> Vec<String> {
    let f = Fixture::new("daily");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    write_sales(&f, &[3]);
    if multiprocess {
        std::fs::write(
            f.path().join("conf/local/dagster.yml"),
            "executors:\n  multi:\n    multiprocess:\n      max_concurrent: 2\n\
             jobs:\n  daily_job:\n    pipeline:\n      pipeline_name: daily\n    executor: multi\n",
        )
        .unwrap();
    }
    let home = dagster_home();
    let keys = f.path().join("node_keys.txt");
    let env = [
        ("DAGSTER_HOME", home.path().to_str().unwrap()),
        ("KEDRUST_FIXTURE_NODE_KEYS", keys.to_str().unwrap()),
    ];
    let script = format!(
        "{ON_THE_INSTANCE}dg.execute_job(reconstructable('daily_job'), instance, \
         tags={{'dagster/partition': '{day}'}}, raise_on_error=False)\ntick(2)\n"
    );
    python(&f, &script, &env);
    node_keys(&keys, day);
    f.trace_lines()
}

/// Every node of the run saw `day` as its partition key (`NodeInfo::partition_key`): on
/// Dagster from the Pipes context, embedded from the command line.
fn node_keys(keys: &std::path::Path, day: &str) {
    let seen = std::fs::read_to_string(keys).unwrap_or_default();
    // The day without sales fails loading them, before any node runs.
    let expected = if day == "2024-01-03" {
        format!("total_day {day}\nreport_day {day}\n")
    } else {
        String::new()
    };
    assert_eq!(seen, expected, "{day}");
}

/// The same run embedded, with `runner`.
fn embedded(day: &str, runner: &str) -> Vec<String> {
    let f = Fixture::new("daily");
    write_sales(&f, &[3]);
    let args = [
        "run",
        "--pipeline",
        "daily",
        "--partition",
        day,
        "--runner",
        runner,
    ];
    let keys = f.path().join("node_keys.txt");
    let out = f.run(
        &args,
        &[("KEDRUST_FIXTURE_NODE_KEYS", keys.to_str().unwrap())],
    );
    node_keys(&keys, day);
    assert_eq!(out.code == 0, day == "2024-01-03", "{}", out.stderr);
    f.trace_lines()
}

#[test]
fn a_partitioned_run_fires_the_same_hooks_embedded_and_on_dagster() {
    // The 3rd has sales and succeeds; the 4th has none and fails loading them.
    for day in ["2024-01-03", "2024-01-04"] {
        let expected = embedded(day, "sequential");
        assert_eq!(
            expected.last().map(String::as_str),
            Some(if day == "2024-01-03" {
                "after_pipeline_run - -"
            } else {
                "on_pipeline_error - -"
            }),
            "{expected:?}"
        );
        for runner in ["thread", "process"] {
            assert_eq!(embedded(day, runner), expected, "{day} {runner}");
        }
        for multiprocess in [false, true] {
            assert_eq!(
                on_dagster(day, multiprocess),
                expected,
                "{day} on Dagster, multiprocess {multiprocess}"
            );
        }
    }
}

#[test]
fn a_fan_out_job_is_an_op_per_key_on_dagster_with_the_hooks_of_one_run() {
    let embedded = Fixture::new("daily");
    write_regions(&embedded, true);
    let out = embedded.run(&["run", "--job", "regional_job"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut expected = embedded.trace_lines();
    expected.sort();

    let f = Fixture::new("daily");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    write_regions(&f, true);
    let home = dagster_home();
    let env = [("DAGSTER_HOME", home.path().to_str().unwrap())];
    let (code, text) = run_dagster(&f, &["job", "list", "-f", "definitions.py"], &env);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("    regional_job__total_region__east\n"),
        "{text}"
    );
    assert!(
        text.contains("    regional_job__gather_regions\n"),
        "{text}"
    );
    let script = format!(
        "{ON_THE_INSTANCE}job = location.defs.resolve_job_def('regional_job')\n\
         print('partitioned', job.partitions_def is not None)\n\
         assert dg.execute_job(reconstructable('regional_job'), instance).success\n\
         records = instance.fetch_materializations(dg.AssetKey(['local', 'region_report']), limit=10).records\n\
         print(sorted(r.asset_materialization.partition for r in records))\n"
    );
    let out = python(&f, &script, &env);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["partitioned False", "['east', 'north', 'south']"],
        "{out}"
    );
    let mut seen = f.trace_lines();
    seen.sort();
    assert_eq!(seen, expected);
    assert_eq!(f.fired("before_pipeline_run"), 1);
    assert_eq!(f.fired("after_pipeline_run"), 1);
    assert!(f.path().join("data/regions/all.json").is_file());
}

#[test]
fn a_fan_out_reading_through_a_mapping_runs_on_dagster_as_it_does_embedded() {
    // The neighbours pipeline: each region's copy reads the total another region's copy
    // writes (a static mapping), so its op waits for that copy's op.
    let jobs = "jobs:\n  neighbours_job:\n    pipeline:\n      pipeline_name: neighbours\n    \
                fan_out: true\n";
    let with_jobs = || {
        let f = Fixture::new("daily");
        let env = f.path().join("conf/neighbours");
        std::fs::create_dir_all(&env).unwrap();
        std::fs::write(env.join("dagster.yml"), jobs).unwrap();
        write_regions(&f, true);
        f
    };
    let embedded = with_jobs();
    let out = embedded.run(
        &["run", "--env", "neighbours", "--job", "neighbours_job"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pairs = |f: &Fixture| -> Vec<String> {
        ["north", "south", "east"]
            .iter()
            .map(|r| {
                std::fs::read_to_string(f.path().join(format!("data/regions/{r}/pair.json")))
                    .unwrap()
            })
            .collect()
    };

    let f = with_jobs();
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let home = dagster_home();
    let env = [
        ("DAGSTER_HOME", home.path().to_str().unwrap()),
        ("KEDRUST_ENV", "neighbours"),
    ];
    let script = format!(
        "{ON_THE_INSTANCE}job = location.defs.resolve_job_def('neighbours_job')\n\
         upstream = job.graph.dependency_structure.input_to_upstream_outputs_for_node('neighbours_job__pair_region__north')\n\
         print(sorted(o.node_name for outs in upstream.values() for o in outs if 'total' in o.node_name))\n\
         assert dg.execute_job(reconstructable('neighbours_job'), instance).success\n"
    );
    let out = python(&f, &script, &env);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["['neighbours_job__total_region__south']"],
        "{out}"
    );
    assert_eq!(pairs(&f), pairs(&embedded));
    assert_eq!(f.fired("before_pipeline_run"), 1);
    assert_eq!(f.fired("after_pipeline_run"), 1);
}
