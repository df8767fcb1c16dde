//! A fan-in node (Kedro's `*inputs`) run by every in-process executor.

use kedrust_catalog::{Catalog, CatalogBuilder, Registry};
use kedrust_pipeline::{Param, Pipeline, fan_in, node};
use kedrust_runner::{Hooks, Runner, run_nodes};
use std::sync::Mutex;

/// What the last node saw, per executor.
static REPORTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// The parameters the fan-in node got, in order.
static SIZES: Mutex<Vec<u32>> = Mutex::new(Vec::new());

#[test]
fn a_fan_in_node_gets_every_input_in_declared_order_from_every_executor() {
    for runner in [Runner::Sequential, Runner::Threaded { max_workers: 3 }] {
        // Three tuning results, listed out of their producers' order.
        let trials = (1..=3u32).map(|k| {
            node(move || format!("trial {k}"), (), format!("result_{k}")).name(format!("tune_{k}"))
        });
        let log_all = fan_in(
            |results: Vec<String>| results.join(", "),
            ["result_3", "result_1", "result_2"],
            "summary",
        )
        .name("log_every_result");
        let report =
            node(|s: String| REPORTS.lock().unwrap().push(s), "summary", ()).name("report");
        let pipeline = Pipeline::new(trials.chain([log_all, report])).unwrap();
        let done = run_nodes(
            runner,
            &pipeline,
            &Catalog::in_memory(),
            &Hooks::new([]),
            &|_| {},
        )
        .unwrap();
        assert_eq!(done.len(), 5, "{runner:?}");
    }
    assert_eq!(
        *REPORTS.lock().unwrap(),
        ["trial 3, trial 1, trial 2", "trial 3, trial 1, trial 2"]
    );
}

#[test]
fn a_fan_in_node_takes_parameters_too() {
    let pick = fan_in(
        |sizes: Vec<Param<u32>>| {
            sizes
                .into_iter()
                .map(Param::into_inner)
                .collect::<Vec<u32>>()
        },
        ["params:small", "params:large"],
        "sizes",
    );
    let check = node(|s: Vec<u32>| *SIZES.lock().unwrap() = s, "sizes", ());
    let catalog = CatalogBuilder::new(Registry::with_builtins())
        .parameters(serde_json::json!({"small": 2, "large": 40}))
        .build()
        .unwrap();
    let pipeline = Pipeline::new([pick, check]).unwrap();
    run_nodes(
        Runner::Sequential,
        &pipeline,
        &catalog,
        &Hooks::new([]),
        &|_| {},
    )
    .unwrap();
    assert_eq!(*SIZES.lock().unwrap(), [2, 40]);
}
