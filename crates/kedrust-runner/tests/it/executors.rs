//! The threaded executor against an in-memory catalog.

use kedrust_catalog::Registry;
use kedrust_catalog::{Catalog, CatalogBuilder, Dataset, DatasetError, DatasetType, Holds};
use kedrust_config::Config;
use kedrust_pipeline::{Pipeline, TypeTag, Value, node, try_node};
use kedrust_runner::{Hooks, RunEvent, Runner, run_nodes};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Set when the executor reports that `slow` started, and that `fail` failed.
static SLOW_STARTED: AtomicBool = AtomicBool::new(false);
static FAILED: AtomicBool = AtomicBool::new(false);

/// Waits (up to 10 s) for `flag`.
fn wait(flag: &AtomicBool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !flag.load(Ordering::SeqCst) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs until the failure was reported, then passes its input on.
fn slow(x: i64) -> i64 {
    wait(&FAILED);
    x
}

/// Fails once `slow` runs beside it.
fn fail(_: i64) -> Result<i64, String> {
    wait(&SLOW_STARTED);
    Err("the source is down".into())
}

#[test]
fn the_threaded_executor_stops_at_the_first_failure_and_lets_running_nodes_finish() {
    let pipeline = Pipeline::new([
        try_node(fail, "x", "y").name("fail"),
        node(slow, "x", "slow_out").name("slow"),
        node(|s: i64| s + 1, "slow_out", "z").name("after_slow"),
    ])
    .unwrap();
    let catalog = Catalog::in_memory();
    catalog.save("x", Value::new(1_i64)).unwrap();
    let started = Mutex::new(Vec::new());
    let observe = |event: &RunEvent<'_>| match event {
        RunEvent::NodeStarted { node } => {
            started.lock().unwrap().push(node.to_string());
            if *node == "slow" {
                SLOW_STARTED.store(true, Ordering::SeqCst);
            }
        }
        RunEvent::NodeFailed { .. } => FAILED.store(true, Ordering::SeqCst),
        _ => {}
    };
    let failure = run_nodes(
        Runner::Threaded { max_workers: 2 },
        &pipeline,
        &catalog,
        &Hooks::new([]),
        &observe,
    )
    .unwrap_err();
    assert!(
        failure.error.to_string().contains("the source is down"),
        "{}",
        failure.error
    );
    assert_eq!(failure.done, ["slow"], "the node already running finished");
    let mut started = started.into_inner().unwrap();
    started.sort();
    assert_eq!(
        started,
        ["fail", "slow"],
        "nothing was started after the failure"
    );
}

/// How many `counting.Dataset`s were made.
static MADE: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
struct Counted;

impl Dataset for Counted {
    fn load(&self) -> Result<Value, DatasetError> {
        // Long enough for the other threads to ask for the dataset meanwhile.
        std::thread::sleep(Duration::from_millis(20));
        Ok(Value::new(7_i64))
    }
    fn save(&self, _: Value) -> Result<(), DatasetError> {
        Ok(())
    }
    fn exists(&self) -> Result<bool, DatasetError> {
        Ok(true)
    }
}

#[test]
fn a_dataset_from_config_is_made_once_per_run_and_shared_by_every_thread() {
    let mut registry = Registry::with_builtins();
    registry.register(DatasetType::new(
        "counting.Dataset",
        Holds::Fixed(TypeTag::of::<i64>()),
        &[],
        |_| {
            MADE.fetch_add(1, Ordering::SeqCst);
            // Making it takes a while, so that several threads ask for it at once.
            std::thread::sleep(Duration::from_millis(50));
            Ok(Arc::new(Counted))
        },
    ));
    let catalog = CatalogBuilder::new(registry)
        .config(Config::inline(
            json!({"shared": {"type": "counting.Dataset"}}),
        ))
        .build()
        .unwrap();
    // Building the catalog checked the entry by making one and dropping it.
    MADE.store(0, Ordering::SeqCst);
    let readers: Vec<_> = (0..4)
        .map(|k| node(move |v: i64| v + k, "shared", format!("out_{k}")).name(format!("read_{k}")))
        .collect();
    let pipeline = Pipeline::new(readers).unwrap();
    let done = run_nodes(
        Runner::Threaded { max_workers: 4 },
        &pipeline,
        &catalog,
        &Hooks::new([]),
        &|_| {},
    )
    .unwrap();
    assert_eq!(done.len(), 4);
    assert_eq!(MADE.load(Ordering::SeqCst), 1, "four threads, one dataset");
}
