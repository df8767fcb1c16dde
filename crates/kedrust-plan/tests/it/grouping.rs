//! Grouping nodes into ops: by namespace, by memory, by named selectors; the plan's ops, their
//! order and what crosses between them; the refusals before anything runs.

use kedrust_catalog::{Catalog, CatalogBuilder, Registry};
use kedrust_pipeline::{Pipeline, node};
use kedrust_plan::{Grouping, Job, JobPlan, NodeGroup, OpKind};
use serde_json::json;

/// `prep` loads and cleans (in memory), `model` fits and scores (in memory), `report` reads the
/// score from memory; `clean` and `report` are persisted.
fn pipeline() -> Pipeline {
    Pipeline::new([
        node(|| 3u64, (), "prep.raw").name("load").namespace("prep"),
        node(|r: u64| r * 2, "prep.raw", "clean")
            .name("clean")
            .namespace("prep"),
        node(|c: u64| c + 1, "clean", "model.m")
            .name("fit")
            .namespace("model")
            .tags(["train"]),
        node(|m: u64| m * 10, "model.m", "score")
            .name("score")
            .namespace("model"),
        node(|s: u64| s.to_string(), "score", "report").name("report"),
    ])
    .unwrap()
}

fn catalog(dir: &std::path::Path) -> Catalog {
    CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(json!({
            "clean": {"type": "serde.JSONDataset", "filepath": "clean.json"},
            "report": {"type": "text.TextDataset", "filepath": "report.txt"},
        })))
        .root(dir)
        .build()
        .unwrap()
}

fn job(grouping: Grouping) -> Job {
    Job {
        name: "grouped".into(),
        pipeline_name: "__default__".into(),
        filter: Default::default(),
        executor: kedrust_plan::Executor::in_process(),
        schedule: None,
        loggers: Vec::new(),
        inline_loggers: Default::default(),
        retry_policy: None,
        tag_retry_policies: Default::default(),
        fan_out: false,
        grouping,
        group_workers: 1,
    }
}

fn plan(grouping: Grouping) -> Result<JobPlan, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    JobPlan::build(&job(grouping), "local", &pipeline(), &catalog(dir.path()))
}

/// Each op as `name: nodes <- upstream ops`.
fn ops(plan: &JobPlan) -> Vec<String> {
    plan.ops
        .iter()
        .map(|op| {
            format!(
                "{}: {} <- {}",
                op.name,
                plan.nodes_of(&op.name).join(" "),
                op.upstream.join(" ")
            )
        })
        .collect()
}

#[test]
fn by_namespace_a_namespace_is_one_op_and_only_what_leaves_it_crosses() {
    let plan = plan(Grouping::Namespace).unwrap();
    assert_eq!(
        ops(&plan),
        [
            "before_pipeline_run_hook_grouped:  <- ",
            "prep: prep.load prep.clean <- before_pipeline_run_hook_grouped",
            "model: model.fit model.score <- before_pipeline_run_hook_grouped prep",
            "report: report <- before_pipeline_run_hook_grouped model",
            "after_pipeline_run_hook_grouped:  <- report",
        ]
    );
    let crossing: Vec<&str> = plan.crossings.iter().map(|c| c.dataset.as_str()).collect();
    assert_eq!(
        crossing,
        ["score"],
        "prep.raw and model.m stay in their op's process"
    );
    assert!(matches!(&plan.ops[1].kind, OpKind::Group { group, .. } if group == "prep"));
    assert!(matches!(&plan.ops[3].kind, OpKind::Node { node } if node == "report"));
    assert_eq!(plan.ops[1].saves, ["clean"]);
    assert_eq!(plan.ops[2].loads, ["clean"]);
    insta::assert_snapshot!(plan.render(), @r"
    job grouped (env local, pipeline __default__, executor in_process x1)
      1. before_pipeline_run_hook_grouped  (start: after_context_created, after_catalog_created, before_pipeline_run)
      2. prep  (group prep: prep.load, prep.clean)
           after: before_pipeline_run_hook_grouped
           saves: clean
      3. model  (group model: model.fit, model.score)
           after: before_pipeline_run_hook_grouped, prep
           loads: clean
      4. report  (node report)
           after: before_pipeline_run_hook_grouped, model
           saves: report
      5. after_pipeline_run_hook_grouped  (end: after_pipeline_run)
           after: report
    memory datasets carried between processes by the run's IO store:
      score: model -> report
    ");
}

#[test]
fn by_memory_nodes_joined_by_memory_datasets_are_one_op() {
    let plan = plan(Grouping::Memory).unwrap();
    assert_eq!(
        ops(&plan),
        [
            "before_pipeline_run_hook_grouped:  <- ",
            "memory_prep__load: prep.load prep.clean <- before_pipeline_run_hook_grouped",
            "memory_model__fit: model.fit model.score report <- before_pipeline_run_hook_grouped memory_prep__load",
            "after_pipeline_run_hook_grouped:  <- memory_model__fit",
        ]
    );
    assert!(plan.crossings.is_empty(), "{:?}", plan.crossings);
}

#[test]
fn named_groups_select_by_tag_namespace_or_name_and_leave_the_rest_alone() {
    let training = NodeGroup {
        name: "training".into(),
        tags: vec!["train".into()],
        nodes: vec!["model.score".into()],
        ..Default::default()
    };
    let plan = plan(Grouping::Groups {
        groups: vec![training],
    })
    .unwrap();
    let names: Vec<&str> = plan.ops.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names[1..5],
        ["prep__load", "prep__clean", "training", "report"]
    );
    assert_eq!(plan.nodes_of("training"), ["model.fit", "model.score"]);
}

#[test]
fn a_group_that_selects_nothing_or_a_node_in_two_groups_is_refused() {
    let group = |name: &str, namespaces: &[&str], nodes: &[&str]| NodeGroup {
        name: name.into(),
        namespaces: namespaces.iter().map(|s| (*s).into()).collect(),
        nodes: nodes.iter().map(|s| (*s).into()).collect(),
        ..Default::default()
    };
    let problems = plan(Grouping::Groups {
        groups: vec![
            group("features", &["prep"], &[]),
            group("empty", &["no_such_namespace"], &[]),
            group("again", &[], &["prep.clean"]),
        ],
    })
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "group 'empty' selects no node of the pipeline (tags [], namespaces \
             [\"no_such_namespace\"], nodes [])",
            "node 'prep.clean' is in groups 'features' and 'again': a node runs in one op",
        ]
    );
}

#[test]
fn groups_that_would_wait_for_each_other_are_refused_with_the_cycle() {
    // x.first -> y.middle -> x.last through persisted data: group x would wait for y, and y
    // for x.
    let p = Pipeline::new([
        node(|| 1u64, (), "a").name("first").namespace("x"),
        node(|a: u64| a, "a", "b").name("middle").namespace("y"),
        node(|b: u64| b, "b", "c").name("last").namespace("x"),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog = CatalogBuilder::new(Registry::with_builtins())
        .config(kedrust_config::Config::inline(json!({
            "a": {"type": "serde.JSONDataset", "filepath": "a.json"},
            "b": {"type": "serde.JSONDataset", "filepath": "b.json"},
            "c": {"type": "serde.JSONDataset", "filepath": "c.json"},
        })))
        .root(dir.path())
        .build()
        .unwrap();
    let problems = JobPlan::build(&job(Grouping::Namespace), "local", &p, &catalog).unwrap_err();
    assert_eq!(
        problems,
        [
            "the groups would depend on each other in a cycle: x -> y -> x; name groups that \
             do not (`groups`), or put fewer nodes in one"
        ]
    );
}
