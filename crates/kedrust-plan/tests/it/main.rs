//! `dagster.yml` validation and job plans, over the fixture projects in `tests/fixtures`.

mod assets;
mod grouping;

use kedrust_catalog::{CatalogBuilder, Registry};
use kedrust_config::ConfigLoader;
use kedrust_pipeline::{Pipeline, node};
use kedrust_plan::{JobPlan, OpKind, op_name, parse};

const PIPELINES: [&str; 3] = ["__default__", "data_science", "reporting"];

fn dagster(
    fixture: &str,
    env: &str,
) -> Result<kedrust_plan::DagsterConfig, kedrust_plan::Problems> {
    let loader = ConfigLoader::new(format!("tests/fixtures/{fixture}/conf"), env);
    parse(&loader.load("dagster").unwrap(), &PIPELINES)
}

/// `audit` is a terminal node in the first layer; `report` ends a chain of three.
fn pipeline() -> Pipeline {
    Pipeline::new([
        node(|r: String| r.len() as u64, "raw", "n").name("count"),
        node(|n: u64| serde_json::json!(n), "n", "model")
            .name("train.fit")
            .tags(["flaky"]),
        node(|m: serde_json::Value| m.to_string(), "model", "report").name("report"),
        node(|r: String| r, "raw", "audit").name("audit"),
    ])
    .unwrap()
}

#[test]
fn jobs_executors_schedules_and_retries_are_read() {
    let d = dagster("jobs", "local").unwrap();
    let job = d.job("default").unwrap();
    assert_eq!(job.executor.kind, kedrust_plan::ExecutorKind::Multiprocess);
    assert_eq!(job.executor.max_concurrent, 2);
    let schedule = job.schedule.as_ref().unwrap();
    assert_eq!(schedule.name, "default_nightly_schedule");
    assert_eq!(schedule.execution_timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(job.loggers, ["console"]);
    assert_eq!(
        job.retry_policy.as_ref().unwrap().delay_before(3),
        7.0,
        "(2^3 - 1) x 1 s, as Dagster waits"
    );
    let reporting = d.job("reporting").unwrap();
    assert_eq!(reporting.filter.to_nodes, ["report"]);
    assert_eq!(
        reporting.executor.max_concurrent, 4,
        "inline executors have the named shape"
    );
    assert_eq!(
        reporting.schedule.as_ref().unwrap().name,
        "reporting__schedule"
    );
}

#[test]
fn the_run_environment_overrides_named_executors() {
    let d = dagster("jobs", "prod").unwrap();
    assert_eq!(d.executors["parallel"].max_concurrent, 8);
}

#[test]
fn every_problem_is_reported_with_its_line_and_a_suggestion() {
    let err = dagster("broken", "local").unwrap_err();
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn op_names_are_valid_dagster_names() {
    assert_eq!(
        op_name("data_science.split_data_node"),
        "data_science__split_data_node"
    );
    assert_eq!(op_name("a-b c"), "a_b_c");
    let re = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    assert!(re(&op_name("ns.x@pandas: [1,2]")));
}

#[test]
fn the_end_op_waits_for_every_terminal_node_and_every_node_op_for_the_start_op() {
    let d = dagster("jobs", "local").unwrap();
    let loader = ConfigLoader::new("tests/fixtures/jobs/conf", "local");
    let catalog = CatalogBuilder::new(Registry::with_builtins())
        .config(loader.load("catalog").unwrap())
        .root("tests/fixtures/jobs")
        .build()
        .unwrap();
    let plan = JobPlan::build(d.job("default").unwrap(), "local", &pipeline(), &catalog).unwrap();
    let end = plan.ops.last().unwrap();
    assert_eq!(end.kind, OpKind::End);
    let mut terminal = end.upstream.clone();
    terminal.sort();
    assert_eq!(
        terminal,
        ["audit", "report"],
        "audit is terminal in the first layer"
    );
    for op in plan
        .ops
        .iter()
        .filter(|o| matches!(o.kind, OpKind::Node { .. }))
    {
        assert!(
            op.upstream
                .contains(&"before_pipeline_run_hook_default".to_owned()),
            "{}",
            op.name
        );
    }
    assert_eq!(plan.node_of_op["train__fit"], "train.fit");
    let back: JobPlan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
    assert_eq!(back, plan, "the plan is serialisable");
    insta::assert_snapshot!(plan.render());
}

#[test]
fn colliding_op_names_get_a_suffix() {
    let p = Pipeline::new([
        node(|| 1u8, (), "a").name("x.y"),
        node(|| 2u8, (), "b").name("x__y"),
    ])
    .unwrap();
    let d = dagster("jobs", "local").unwrap();
    let plan = JobPlan::build(
        d.job("default").unwrap(),
        "local",
        &p,
        &kedrust_catalog::Catalog::in_memory(),
    )
    .unwrap();
    let names: Vec<&str> = plan.ops.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names[1..3], ["x__y", "x__y_2"]);
    assert_eq!(plan.node_of_op["x__y"], "x.y");
    assert_eq!(plan.node_of_op["x__y_2"], "x__y");
}

#[test]
fn a_nothing_dataset_is_not_carried_between_processes() {
    // `loaded` orders `load` before `report` and holds no data, under the name a ported
    // kedro-dagster catalog gives it; `rows` is a memory dataset that does cross.
    let catalog = CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(
            serde_json::json!({"loaded": {"type": "kedro_dagster.DagsterNothingDataset"}}),
        ))
        .build()
        .unwrap();
    let p = Pipeline::new([
        node(|| (3u8, ()), (), ["rows", "loaded"]).name("load"),
        node(|r: u8, _: ()| r.to_string(), ["rows", "loaded"], "report").name("report"),
    ])
    .unwrap();
    let d = dagster("jobs", "local").unwrap();
    let plan = JobPlan::build(d.job("default").unwrap(), "local", &p, &catalog).unwrap();
    let carried: Vec<&str> = plan.crossings.iter().map(|c| c.dataset.as_str()).collect();
    assert_eq!(carried, ["rows", "report"]);
    let shown = plan.render();
    assert!(
        !shown.contains("loaded"),
        "neither carried nor saved:\n{shown}"
    );
}
