//! The fixture project: small Polars-free pipelines over memory, JSON and text datasets, a
//! hook that records what it sees, and switches (environment variables) to make a node or a
//! hook fail. The tests run this binary on the folders in `projects/`.

mod recorder;
mod warehouse;

use kedrust_config::ConfigLoader;
use kedrust_framework::{Pipelines, Project};
use kedrust_pipeline::{
    BoxError, Node, Param, Partitions, Pipeline, PipelineError, node, pipeline, try_node,
};
use serde_json::{Value, json};
use std::process::ExitCode;

fn make_numbers(count: Param<i64>) -> Vec<i64> {
    (1..=*count).collect()
}

fn double(numbers: Vec<i64>) -> Vec<i64> {
    numbers.into_iter().map(|n| n * 2).collect()
}

fn total(doubled: Vec<i64>, offset: Param<i64>) -> Value {
    // A node's own log line: logging.yml's handlers get it from whichever process runs it.
    tracing::info!("adding up {} numbers", doubled.len());
    json!({"total": doubled.iter().sum::<i64>() + *offset, "count": doubled.len()})
}

fn summarise(report: Value) -> String {
    format!(
        "total {} over {} numbers\n",
        report["total"], report["count"]
    )
}

/// Fails or blocks on request, for the failure, resume and kill tests:
/// `--params fail=true`, `--params crash=true` (abort), `KEDRUST_FIXTURE_FAIL_CHECK` (a failure
/// that a resumed run without the variable gets past), `KEDRUST_FIXTURE_FAIL_ONCE=<file>` (fails
/// the first attempt only), `KEDRUST_FIXTURE_CRASH_ONCE=<file>` (aborts the first attempt's
/// process), `KEDRUST_FIXTURE_BLOCK=<file>` (writes
/// the file, then waits up to 30 s for it to disappear).
fn check(doubled: Vec<i64>, fail: Param<bool>, crash: Param<bool>) -> Result<i64, String> {
    if let Some(block) = std::env::var_os("KEDRUST_FIXTURE_BLOCK") {
        block_until_removed(block.as_ref()).map_err(|e| e.to_string())?;
    }
    // The first attempt only: the marker file remembers it across processes.
    let first_attempt = |variable: &str| {
        std::env::var_os(variable).is_some_and(|marker| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(marker)
                .is_ok()
        })
    };
    if first_attempt("KEDRUST_FIXTURE_FAIL_ONCE") {
        return Err("a transient failure".into());
    }
    if first_attempt("KEDRUST_FIXTURE_CRASH_ONCE") {
        std::process::abort();
    }
    if std::env::var_os("KEDRUST_FIXTURE_FAIL_CHECK").is_some() {
        return Err("the check was told to fail this time".into());
    }
    if *crash {
        // A step dying without a word, as an out-of-memory kill does.
        std::process::abort();
    }
    if *fail {
        Err(format!(
            "refusing {} numbers: the fail switch is on",
            doubled.len()
        ))
    } else {
        Ok(doubled.iter().sum())
    }
}

/// Waits up to 30 s for `file` to exist.
fn wait_for_file(file: &std::path::Path) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !file.exists() {
        if std::time::Instant::now() > deadline {
            return Err(format!("{} never appeared", file.display()));
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(())
}

/// Writes this process's id to `block` (whole: a test reading it never sees half of it),
/// then waits up to 30 s for the file to disappear.
pub(crate) fn block_until_removed(block: &std::path::Path) -> std::io::Result<()> {
    let partial = block.with_extension("partial");
    std::fs::write(&partial, std::process::id().to_string())?;
    std::fs::rename(&partial, block)?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while block.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(())
}

fn branch(seed: Param<i64>, factor: i64) -> i64 {
    *seed * factor
}

/// Its inputs are declared out of name order, and `order` tells which value came in which
/// argument: a wrong hand-over of the branches changes it, where the sum would not see it.
fn join(c: i64, a: i64, b: i64) -> Value {
    json!({"sum": a + b + c, "order": 100 * c + 10 * a + b})
}

fn chain() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(make_numbers, "params:count", "numbers").name("make_numbers"),
        node(double, "numbers", "doubled").name("double"),
        node(total, ["doubled", "params:offset"], "report").name("total"),
        node(summarise, "report", "summary").name("summarise"),
    ])
}

/// `failing` passes `doubled` through its (persisted) catalog entry, `failing_in_memory`
/// through memory, which a Dagster re-execution of `check` reads from its parent run.
fn failing(doubled: &str) -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(make_numbers, "params:count", "numbers").name("make_numbers"),
        node(double, "numbers", doubled).name("double"),
        try_node(check, [doubled, "params:fail", "params:crash"], "checked")
            .name("check")
            .tags(["flaky"]),
        node(|n: i64| n + 1, "checked", "after_check").name("after_check"),
    ])
}

/// A value with no serde codec: fine in one process, refused by the process runner.
#[derive(Clone)]
struct Opaque(i64);

fn opaque() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(|c: Param<i64>| Opaque(*c), "params:count", "opaque").name("make_opaque"),
        node(|o: Opaque| o.0, "opaque", "unwrapped").name("unwrap_opaque"),
    ])
}

fn fan() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(|s: Param<i64>| branch(s, 1), "params:seed", "a").name("branch_a"),
        node(|s: Param<i64>| branch(s, 2), "params:seed", "b").name("branch_b"),
        node(|s: Param<i64>| branch(s, 3), "params:seed", "c").name("branch_c"),
        node(join, ["c", "a", "b"], "fan_report").name("join"),
    ])
}

/// `slow_audit` is a terminal node of the first layer; with `KEDRUST_FIXTURE_AUDIT_WAITS_FOR`
/// it finishes after the chain from `source` ends. The end op must wait for both
/// (kedro-dagster's BUG-3).
fn early_end() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        try_node(
            |c: Param<i64>| -> Result<i64, String> {
                // `KEDRUST_FIXTURE_AUDIT_WAITS_FOR=<file>`: finishes once the file exists.
                if let Some(file) = std::env::var_os("KEDRUST_FIXTURE_AUDIT_WAITS_FOR") {
                    wait_for_file(file.as_ref())?;
                }
                Ok(*c)
            },
            "params:count",
            "audit_result",
        )
        .name("slow_audit"),
        node(|c: Param<i64>| *c, "params:count", "source").name("source"),
        node(|s: i64| s + 1, "source", "middle").name("middle"),
        node(|m: i64| m + 1, "middle", "sink_result").name("sink"),
    ])
}

/// Two namespaced copies of one template, for the run filters (`--env regions` persists
/// their data): `<region>.load` is tagged `ingest`, `<region>.sum` totals the region (south's
/// totals are tenfold, so that a value routed to the wrong region shows), and `add_regions`
/// adds both totals.
fn regions() -> Result<Pipeline, PipelineError> {
    let region = |ns: &str, scale: i64| {
        let template = Pipeline::new([
            node(
                |c: Param<i64>| (1..=*c).collect::<Vec<i64>>(),
                "params:count",
                "numbers",
            )
            .name("load")
            .tags(["ingest"]),
            node(
                move |n: Vec<i64>| n.iter().sum::<i64>() * scale,
                "numbers",
                "total",
            )
            .name("sum"),
        ])?;
        pipeline([template])
            .namespace(ns)
            .parameters("count")
            .build()
    };
    let add = Pipeline::new([node(
        |a: i64, b: i64| a + b,
        ["north.total", "south.total"],
        "regions_total",
    )
    .name("add_regions")])?;
    Pipeline::sum([&region("north", 1)?, &region("south", 10)?, &add])
}

/// A day's sales summed.
fn total_day() -> Node {
    node(
        |sales: Vec<i64>| sales.iter().sum::<i64>(),
        "sales",
        "day_total",
    )
    .name("total_day")
}

/// The day reports of the week up to a day, which a partition mapping gives as seven
/// partitions (`days_of_week`).
fn trail_week() -> Node {
    try_node(
        |days: kedrust_catalog::PartitionMap| -> Result<Value, String> {
            let mut total = 0;
            for day in days.ids() {
                let report: Value = days.load(day).map_err(|e| e.to_string())?;
                total += report["total"].as_i64().unwrap_or_default();
            }
            Ok(json!({"days": days.len(), "total": total}))
        },
        "days_of_week",
        "week_report",
    )
    .name("trail_week")
}

/// A region's sales summed.
fn total_region() -> Node {
    node(
        |sales: Vec<i64>| sales.iter().sum::<i64>(),
        "region_sales",
        "region_total",
    )
    .name("total_region")
}

/// One day of sales at a time (the `daily` project partitions its datasets by day): the day's
/// total, then its report. A day whose sales file is missing fails.
fn daily() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        total_day(),
        node(
            |total: i64| json!({"total": total}),
            "day_total",
            "day_report",
        )
        .name("report_day"),
    ])
}

/// Trends over the daily data (the `daily` project): each day's change from the day before,
/// which a partition mapping reads as `previous_day_total`, and the week up to each day,
/// which a mapping gives as seven partitions of the day reports (`days_of_week`).
fn trends() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(
            |today: i64, yesterday: i64| today - yesterday,
            ["day_total", "previous_day_total"],
            "day_change",
        )
        .name("change_day"),
        trail_week(),
    ])
}

/// Regions in one run, fanned out (the `daily` project's `regional_job`): each region's total
/// and report as nodes of their own per region, then every region's report together, and a
/// count of every region's sales read whole.
fn regional() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        total_region(),
        node(
            |total: i64| json!({"total": total}),
            "region_total",
            "region_report",
        )
        .name("report_region"),
        node(
            |reports: Partitions<Value>| Value::Object(reports.into_inner().into_iter().collect()),
            "region_report",
            "all_regions",
        )
        .name("gather_regions"),
        node(
            |sales: Partitions<Vec<i64>>| sales.values().map(|s| s.len() as i64).sum::<i64>(),
            "region_sales",
            "sales_count",
        )
        .name("count_sales"),
    ])
}

/// The week up to each day, fanned out (the `daily` project): each day's total, the totals
/// of the week up to it (gathered from the copies that write them, through a time-window
/// mapping), and the week's reports, which the day reports already written give.
fn weekly() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        total_day(),
        node(
            |totals: Partitions<i64>| totals.values().sum::<i64>(),
            "day_total",
            "week_total",
        )
        .name("sum_week"),
        trail_week(),
    ])
}

/// Each region's sales beside another region's total (the `daily` project, fanned out): a
/// static mapping gives each copy the total another copy writes.
fn neighbours() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        total_region(),
        node(
            |sales: Vec<i64>, other: i64| json!({"sales": sales.len(), "other_total": other}),
            ["region_sales", "region_total"],
            "region_pair",
        )
        .name("pair_region"),
    ])
}

/// A raw file no node writes (a source asset on Dagster), shifted by a parameter into memory,
/// then doubled and summed: the case where Dagster's staleness view and `--only-changed` must
/// agree (the `sourced` environment's default pipeline).
fn sourced() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(
            |raw: Vec<i64>, offset: Param<i64>| {
                raw.iter().map(|n| n + *offset).collect::<Vec<i64>>()
            },
            ["raw_numbers", "params:offset"],
            "shifted",
        )
        .name("shift"),
        node(double, "shifted", "doubled").name("double_shifted"),
        node(
            |d: Vec<i64>| d.iter().sum::<i64>(),
            "doubled",
            "sourced_total",
        )
        .name("sum_up"),
    ])
}

/// Customers found at run time (the `daily` project): `find_customers` adds the sign-ups as
/// keys of the dynamic partitions `customers` (by writing `new_customers`).
fn signup() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(|signups: Vec<String>| signups, "signups", "new_customers").name("find_customers"),
    ])
}

/// One customer at a time: the customer's orders summed.
fn customers() -> Result<Pipeline, PipelineError> {
    Pipeline::new([node(
        |orders: Vec<i64>| json!({"orders": orders.len(), "total": orders.iter().sum::<i64>()}),
        "customer_orders",
        "customer_summary",
    )
    .name("summarise_customer")])
}

/// Uses a secret parameter, then reads a table that cannot be reached (`--env secrets`).
fn secrets() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(
            |token: Param<String>| token.len() as i64,
            "params:api_token",
            "token_length",
        )
        .name("use_token"),
        node(
            |rows: Value, n: i64| json!({"rows": rows, "n": n}),
            ["warehouse_table", "token_length"],
            "joined",
        )
        .name("query_warehouse"),
    ])
}

/// The pipelines of an environment: the same everywhere, but the `regions` and `daily`
/// environments run their own pipeline by default (a registry that reads the environment, as ported Kedro
/// projects do through their settings).
/// A model for the MLflow datasets: a line through the numbers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Line {
    slope: f64,
    intercept: f64,
}

/// A model, a loss history and a report: what `conf/mlflow` logs to MLflow as a model (then
/// read back from the model registry), a metric history and an artifact.
fn tracked_model() -> Result<Pipeline, PipelineError> {
    Pipeline::new([
        node(make_numbers, "params:count", "numbers").name("make_numbers"),
        node(
            |n: Vec<i64>| Line {
                slope: n.len() as f64,
                intercept: n.first().copied().unwrap_or_default() as f64,
            },
            "numbers",
            "line_model",
        )
        .name("fit"),
        node(
            |n: Vec<i64>| json!(n.iter().map(|x| *x as f64 / 2.0).collect::<Vec<_>>()),
            "numbers",
            "loss_history",
        )
        .name("train_loss"),
        node(
            |m: Line, loss: Value| json!({"slope": m.slope, "losses": loss}),
            ["line_model", "loss_history"],
            "model_report",
        )
        .name("evaluate"),
    ])
}

/// Reads back what an earlier `tracked_model` run logged, as the test's catalog names it: a
/// model (by run or by registered version), a report (an artifact of a given run) and a loss
/// history (a metric of a given run).
fn read_back() -> Result<Pipeline, PipelineError> {
    Pipeline::new([node(
        |m: Line, report: Value, losses: Value| {
            json!({"slope": m.slope, "report": report, "losses": losses})
        },
        ["past_model", "past_report", "past_losses"],
        "read_back",
    )
    .name("read_back")])
}

fn register(conf: &ConfigLoader) -> Result<Pipelines, BoxError> {
    let mut p = Pipelines::new();
    p.insert("chain".into(), chain()?);
    p.insert("failing".into(), failing("doubled")?);
    p.insert("failing_in_memory".into(), failing("doubled_in_memory")?);
    p.insert("fan".into(), fan()?);
    p.insert("opaque".into(), opaque()?);
    p.insert("early_end".into(), early_end()?);
    p.insert("secrets".into(), secrets()?);
    p.insert("regions".into(), regions()?);
    p.insert("daily".into(), daily()?);
    p.insert("trends".into(), trends()?);
    p.insert("signup".into(), signup()?);
    p.insert("customers".into(), customers()?);
    p.insert("regional".into(), regional()?);
    p.insert("weekly".into(), weekly()?);
    p.insert("neighbours".into(), neighbours()?);
    p.insert("sourced".into(), sourced()?);
    p.insert("tracked_model".into(), tracked_model()?);
    p.insert("read_back".into(), read_back()?);
    let default = match conf.run_env() {
        "regions" => regions()?,
        // The daily project's assets: a day's data, then its trends.
        "daily" => Pipeline::sum([&daily()?, &trends()?])?,
        // A default pipeline Dagster cannot run (a value without a codec), for the code
        // location that keeps its jobs without assets.
        "opaque_default" => opaque()?,
        "sourced" => sourced()?,
        // The lifecycle conformance suite's failing asset run.
        "conformance_failing" => failing("doubled")?,
        _ => chain()?,
    };
    p.insert("__default__".into(), default);
    Ok(p)
}

fn main() -> ExitCode {
    let project = Project::new("fixture")
        .pipelines_per_env(register)
        .secret_parameters(["api_token"])
        .dataset::<warehouse::WarehouseTable>()
        .datasets(|r| {
            r.serde_type::<Line>();
        })
        .hook(recorder::Recorder::from_env("first"))
        .hook(recorder::Recorder::from_env("second"))
        .command(
            "pipes-probe",
            "speaks Dagster Pipes: 1,000 logs, a 70 KiB message, then closed (with an error after `fail`)",
            |_, args| {
                let pipes = kedrust_dagster::Pipes::from_env()?;
                pipes.opened()?;
                for i in 0..1000 {
                    pipes.log("info", &format!("probe message {i}"))?;
                }
                pipes.log("info", &format!("big {}", "x".repeat(70 * 1024)))?;
                if args.first().map(String::as_str) == Some("fail") {
                    pipes.closed(Some(("NodeError", "node 'probe' failed: told to fail")))?;
                    return Err("told to fail".into());
                }
                pipes.closed(None)?;
                Ok(())
            },
        )
        .command("touch", "writes data/touched.txt", |root, args| {
            std::fs::create_dir_all(root.join("data"))?;
            std::fs::write(root.join("data/touched.txt"), args.join(" "))?;
            Ok(())
        });
    kedrust_cli::main(project)
}
