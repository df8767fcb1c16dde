//! The multi-process executor benchmark: the wall time per step of chains of trivial nodes,
//! each node a child process of this binary (which is, for the occasion, a kedrust project).

use crate::report::ms;
use crate::shapes::Shape;
use kedrust_pipeline::{Pipeline, PipelineError};
use kedrust_runner::{Pipelines, Project, RunOptions, Runner, prepare, run};
use std::fmt::Write;
use std::time::Instant;

/// The project the children of this benchmark run: chains of every size asked for.
pub fn project() -> Project {
    Project::new("kedrust-bench").pipelines(|| -> Result<Pipelines, PipelineError> {
        let mut p = Pipelines::new();
        for n in [10, 100, 1000] {
            p.insert(format!("chain{n}"), Pipeline::new(Shape::Chain.nodes(n))?);
        }
        Ok(p)
    })
}

/// Whether this process was started as a step of the benchmark's runs.
/// Whether this process was started as the benchmark project's binary (the process runner's
/// steps and the Dagster benchmark call it as `kedrust-bench --project-dir <dir> ...`).
pub fn is_child(args: &[String]) -> bool {
    args.first().is_some_and(|a| a == "--project-dir")
}

/// Measures every size (10 or 100) and returns the markdown table.
pub fn run_bench(sizes: &[usize], repeat: usize) -> String {
    let mut out = String::from(
        "| shape | nodes | steps (with start and end) | run (ms) | per step (ms) |\n|---|---:|---:|---:|---:|\n",
    );
    let project = project();
    for &n in sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir_all(dir.path().join("conf/base")).expect("conf folder");
        let mut times = Vec::new();
        for _ in 0..repeat.max(1) {
            let options = RunOptions {
                pipeline_names: vec![format!("chain{n}")],
                runner: Runner::Process { max_workers: 1 },
                ..RunOptions::default()
            };
            let prepared = prepare(&project, dir.path().to_owned(), &options).expect("a valid run");
            let start = Instant::now();
            run(&project, prepared, &|_| {}).expect("the chain runs");
            times.push(start.elapsed());
        }
        times.sort();
        let took = times[times.len() / 2];
        let steps = n + 2;
        let _ = writeln!(
            out,
            "| chain | {n} | {steps} | {} | **{:.2}** |",
            ms(took),
            took.as_secs_f64() * 1e3 / steps as f64
        );
    }
    out
}
