//! The runner benchmark: the per-node overhead of running chains and fan-outs of trivial
//! nodes (loads, saves, release, scheduling; no hooks registered, tracing off), per runner.

use crate::report::{median, ms};
use crate::shapes::Shape;
use kedrust_catalog::Catalog;
use kedrust_pipeline::Pipeline;
use kedrust_runner::{Hooks, Runner, run_nodes};
use std::fmt::Write;

/// Measures every shape, size and runner and returns the markdown table.
pub fn run(sizes: &[usize], repeat: usize) -> String {
    let mut out = String::from(
        "| shape | nodes | runner | run (ms) | per node (µs) |\n|---|---:|---|---:|---:|\n",
    );
    let runners = [
        ("sequential", Runner::Sequential),
        ("thread (2 workers)", Runner::Threaded { max_workers: 2 }),
    ];
    for &n in sizes {
        for shape in [Shape::Chain, Shape::FanOutIn] {
            let pipeline = Pipeline::new(shape.nodes(n)).expect("shapes are valid");
            for (label, runner) in runners {
                let took = in_process(runner, &pipeline, repeat);
                let per_node = took.as_secs_f64() * 1e6 / pipeline.len() as f64;
                let _ = writeln!(
                    out,
                    "| {} | {} | {label} | {} | **{per_node:.2}** |",
                    shape.name(),
                    pipeline.len(),
                    ms(took)
                );
            }
        }
    }
    out
}

/// The median time of `repeat` in-process runs of `pipeline` (no hooks, a fresh catalog each).
pub fn in_process(runner: Runner, pipeline: &Pipeline, repeat: usize) -> std::time::Duration {
    let hooks = Hooks::default();
    let observe = |_: &kedrust_runner::RunEvent<'_>| {};
    let (took, done) = median(repeat, || {
        // A fresh catalog per run: every dataset is created on first save, as in a real run.
        let catalog = Catalog::in_memory();
        run_nodes(runner, pipeline, &catalog, &hooks, &observe)
            .expect("trivial nodes succeed")
            .len()
    });
    assert_eq!(done, pipeline.len());
    took
}
