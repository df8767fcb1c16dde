//! The multi-process executor benchmark: the wall time per step of chains of trivial nodes,
//! each node a child process of this binary (which is, for the occasion, a kedrust project).

use crate::report::ms;
use crate::shapes::Shape;
use kedrust_framework::{Pipelines, Project};
use kedrust_pipeline::{Pipeline, PipelineError};
use std::fmt::Write;
use std::time::Instant;

/// The variable that names the shapes the benchmark project registers, `shape:size,...`
/// (default: chains of 10, 100 and 1,000); children inherit it, so each builds only those.
pub const PIPELINES_ENV: &str = "KEDRUST_BENCH_PIPELINES";

/// The pipeline name of `shape` at `size` (`chain10`, `fan100`, `diamond1000`).
pub fn pipeline_name(shape: Shape, size: usize) -> String {
    format!("{}{size}", shape.key())
}

/// The project this binary is when called with `--project-dir`: the shapes of
/// `KEDRUST_BENCH_PIPELINES`, a one-node pipeline (`one`) and, with Polars, the data pipeline
/// (`data`).
pub fn project() -> Project {
    let project =
        Project::new("kedrust-bench").pipelines(|| -> Result<Pipelines, PipelineError> {
            let mut p = Pipelines::new();
            let wanted = std::env::var(PIPELINES_ENV)
                .unwrap_or_else(|_| "chain:10,chain:100,chain:1000".into());
            for (shape, size) in wanted.split(',').filter_map(|s| {
                let (shape, size) = s.split_once(':')?;
                Some((Shape::from_key(shape)?, size.parse().ok()?))
            }) {
                p.insert(
                    pipeline_name(shape, size),
                    Pipeline::new(shape.nodes(size))?,
                );
            }
            p.insert(
                "one".into(),
                Pipeline::new([crate::shapes::trivial(
                    "one".into(),
                    vec![],
                    "one_out".into(),
                )])?,
            );
            // The partitions and object storage cases' pipelines, only when the case asks for
            // them (`partitioned`, `s3` in the list): their datasets exist only in the case's
            // catalog, and the other cases' asset graphs would find them undeclared.
            let asked = |name: &str| wanted.split(',').any(|s| s == name);
            if asked(crate::compare::PARTITIONED_PIPELINE) {
                p.insert(
                    crate::compare::PARTITIONED_PIPELINE.into(),
                    Pipeline::new([crate::shapes::trivial(
                        "clean".into(),
                        vec!["raw".into()],
                        "cleaned".into(),
                    )])?,
                );
            }
            #[cfg(feature = "frames")]
            p.insert("data".into(), crate::data_pipeline::pipeline()?);
            #[cfg(feature = "frames")]
            p.insert("data_lazy".into(), crate::data_pipeline::lazy_pipeline()?);
            #[cfg(feature = "frames")]
            if asked("s3") {
                p.extend(crate::data_pipeline::object_storage_pipelines()?);
            }
            Ok(p)
        });
    #[cfg(feature = "frames")]
    let project = project.datasets(|registry| {
        kedrust_polars::register(registry);
    });
    project
}

/// Whether this process was started as a step of the benchmark's runs.
/// Whether this process was started as the benchmark project's binary (the process runner's
/// steps and the Dagster benchmark call it as `kedrust-bench --project-dir <dir> ...`).
pub fn is_child(args: &[String]) -> bool {
    args.first().is_some_and(|a| a == "--project-dir")
}

/// Measures every size and returns the markdown table: each run is this binary's `run`
/// command, as a user starts it, with one worker (a chain runs one step at a time), under GNU
/// time for its peak memory.
pub fn run_bench(sizes: &[usize], repeat: usize) -> String {
    let mut out = String::from(
        "| shape | nodes | steps (with start and end) | run (ms) | per step (ms) | limit: a process per step (ms) | peak memory (MiB) |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let exe = std::env::current_exe().expect("the benchmark's own binary");
    let limit = process_start();
    for &n in sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir_all(dir.path().join("conf/base")).expect("conf folder");
        let run = crate::compare::measure::median(repeat, || {
            let mut c = std::process::Command::new(&exe);
            c.arg("--project-dir")
                .arg(dir.path())
                .args(["run", "-p", &pipeline_name(Shape::Chain, n)])
                .args(["--runner", "process", "--max-workers", "1"])
                // Only the chain measured is built, by the run and by its workers.
                .env(PIPELINES_ENV, format!("chain:{n}"))
                .env("KEDRUST_LOG", "warn");
            c
        })
        .unwrap_or_else(|e| panic!("the chain of {n} runs: {e}"));
        let steps = n + 2;
        let _ = writeln!(
            out,
            "| chain | {n} | {steps} | {} | **{:.2}** | {limit:.2} | {} |",
            ms(run.wall),
            run.wall.as_secs_f64() * 1e3 / steps as f64,
            crate::compare::report::mib(run.peak_kib),
        );
    }
    out
}

/// What a step would cost if it only started a process: `fork` and `exec` of `true` and the
/// wait for it, the median of 200, in ms. Workers that take step after step go under it.
fn process_start() -> f64 {
    let mut times: Vec<f64> = (0..200)
        .filter_map(|_| {
            let start = Instant::now();
            let status = std::process::Command::new("true").status().ok()?;
            status
                .success()
                .then(|| start.elapsed().as_secs_f64() * 1e3)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}
