//! Grouping nodes into ops, and incremental runs (#21): what a job's `group_by`/`groups`
//! saves on Dagster's multiprocess executor, where every op is a step process, and what
//! `run --only-changed` saves when little or nothing changed. kedrust against itself: Kedro
//! and kedro-dagster have neither (kedro-dagster runs one op per node, as the "per node" rows).

use super::cases::{kedrust_jobs, progress, without_frames};
use super::measure::{self, Sample};
use super::report::{Results, mib, ms};
use super::{Bench, Location, projects};
use crate::process_runner::pipeline_name;
use crate::shapes::Shape;
use std::fmt::Write as _;
use std::path::Path;

/// The spaceflights jobs compared: one op per node, the data science nodes joined by memory
/// in one op, and one op per pipeline.
const SPACEFLIGHTS_JOBS: &str = "executors:
  parallel:
    multiprocess:
      max_concurrent: 2
jobs:
  by_node:
    pipeline: {pipeline_name: __default__}
    executor: parallel
  by_memory:
    pipeline: {pipeline_name: __default__}
    executor: parallel
    group_by: memory
  by_pipeline:
    pipeline: {pipeline_name: __default__}
    executor: parallel
    groups:
      data_processing: {nodes: [preprocess_companies_node, preprocess_shuttles_node, create_model_input_table_node]}
      data_science: {nodes: [split_data_node, train_model_node, evaluate_model_node]}
";

/// Both sections.
pub fn run(b: &Bench, results: &mut Results) -> Result<(), String> {
    chain_in_groups(b, results)?;
    if without_frames(
        results,
        "Spaceflights grouped, and run again with --only-changed",
    ) {
        return Ok(());
    }
    spaceflights(b, results)
}

/// The bench project's jobs for a chain of `size`: one op per node, and ten groups.
fn chain_jobs(b: &Bench, size: usize) -> Result<(String, String, String), String> {
    let registered = kedrust_jobs(b, Shape::Chain, size, "multiprocess")?;
    let per_node = pipeline_name(Shape::Chain, size);
    let grouped = format!("{per_node}_in_10");
    let mut yml = projects::dagster_yml(std::slice::from_ref(&per_node), "multiprocess");
    let _ = write!(
        yml,
        "  {grouped}:\n    pipeline:\n      pipeline_name: {per_node}\n    executor: bench\n    groups:\n"
    );
    let width = size.div_ceil(10);
    for (k, start) in (0..size).step_by(width).enumerate() {
        let nodes: Vec<String> = (start..(start + width).min(size))
            .map(|i| format!("n{i}"))
            .collect();
        let _ = writeln!(yml, "      part{k}: {{nodes: [{}]}}", nodes.join(", "));
    }
    std::fs::write(b.kedrust_dir.join("conf/base/dagster.yml"), yml).map_err(|e| e.to_string())?;
    Ok((registered, per_node, grouped))
}

/// A chain of trivial nodes in ten groups against one op per node, on Dagster and in the
/// process runner.
fn chain_in_groups(b: &Bench, results: &mut Results) -> Result<(), String> {
    // The smoke run only checks that every job starts and the report is written.
    let (size, per_node_size) = if b.options.quick {
        (4, 2)
    } else {
        (1_000, 100)
    };
    measure::run(b.kedrust("", &["dagster", "init", "--force"]))?;
    let execute = |registered: &str, job: &str| {
        measure::run(b.dagster(
            Location::Kedrust {
                pipelines: registered,
            },
            &["job", "execute"],
            &["-j", job],
        ))
        .map(|(s, _)| s)
    };
    let mut table = String::from(
        "| run | nodes | steps | run (ms) | per node (ms) | peak memory (MiB) |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    let mut row = |what: &str, nodes: usize, steps: usize, s: &Sample| {
        let _ = writeln!(
            table,
            "| {what} | {nodes} | {steps} | **{}** | {:.2} | {} |",
            ms(s.wall),
            s.wall.as_secs_f64() * 1e3 / nodes as f64,
            mib(s.peak_kib)
        );
    };
    let (registered, per_node, grouped) = chain_jobs(b, size)?;
    let groups = size.div_ceil(size.div_ceil(10));
    let in_groups = execute(&registered, &grouped)?;
    row(
        "Dagster multiprocess, ten groups",
        size,
        groups + 2,
        &in_groups,
    );
    progress("grouping: chain in ten groups on Dagster done");
    let process = |job: &str| {
        measure::median(b.repeat_for(20.0), || {
            b.kedrust(&registered, &["run", "--job", job])
        })
    };
    row(
        "process runner (`run --job`), ten groups",
        size,
        groups,
        &process(&grouped)?,
    );
    row(
        "process runner (`run --job`), one step per node",
        size,
        size,
        &process(&per_node)?,
    );
    // One op per node on Dagster costs a step process each: a smaller chain, whose cost per
    // node holds for the larger one (a chain runs one step at a time).
    let (small, small_per_node, _) = chain_jobs(b, per_node_size)?;
    let per_node_dagster = execute(&small, &small_per_node)?;
    row(
        "Dagster multiprocess, one op per node",
        per_node_size,
        per_node_size + 2,
        &per_node_dagster,
    );
    progress("grouping: chain one op per node on Dagster done");
    let estimate = per_node_dagster.wall.as_secs_f64() / per_node_size as f64 * size as f64;
    results.section(
        "A chain in ten groups",
        &format!(
            "A chain of {size} trivial nodes, each passing its value in memory to the next, as \
             one Dagster job (`dagster job execute`, multiprocess executor) whose `groups` make \
             ten ops of {} nodes, against one op per node. On Dagster one op per node is \
             measured on a chain of {per_node_size} (one step runs at a time in a chain, so the \
             cost per node holds): at {size} nodes it would take about {estimate:.0} s, \
             {:.0}× the grouped run. The same jobs run by kedrust's own process runner \
             (`run --job`) show what is left of a step without Dagster.",
            size.div_ceil(10),
            estimate / in_groups.wall.as_secs_f64()
        ),
        table,
    );
    Ok(())
}

/// Spaceflights on Dagster grouped three ways, then embedded runs with `--only-changed`.
fn spaceflights(b: &Bench, results: &mut Results) -> Result<(), String> {
    let binary = b.exe.with_file_name("spaceflights");
    if !binary.is_file() {
        results.section(
            "Spaceflights grouped, and run again with --only-changed",
            "Not measured: the example's binary is not built next to kedrust-bench.",
            String::new(),
        );
        return Ok(());
    }
    let shuttles = if b.options.quick { 500 } else { 155_310 };
    let dir = b.kedrust_dir.join("spaceflights-grouped");
    projects::copy_tree(&projects::spaceflights_conf(), &dir.join("conf"))?;
    std::fs::write(dir.join("conf/base/dagster.yml"), SPACEFLIGHTS_JOBS)
        .map_err(|e| e.to_string())?;
    let example = |args: &[&str]| {
        let mut c = std::process::Command::new(&binary);
        c.arg("--project-dir").arg(&dir).args(args);
        c
    };
    measure::run(example(&["generate", &shuttles.to_string()]))?;
    measure::run(example(&["dagster", "init", "--force"]))?;
    let mut table =
        String::from("| job | steps | run (ms) | peak memory (MiB) |\n|---|---:|---:|---:|\n");
    // The three jobs differ only in their dagster.yml; the smoke run starts the smallest.
    let jobs: &[&str] = if b.options.quick {
        &["by_pipeline"]
    } else {
        &["by_node", "by_memory", "by_pipeline"]
    };
    for &job in jobs {
        // The ops the job's plan holds, start and end included.
        let (_, plan) = measure::run(example(&["plan", "--job", job]))?;
        let steps = plan
            .lines()
            .filter(|l| {
                l.trim_start()
                    .split_once(". ")
                    .is_some_and(|(n, _)| n.parse::<usize>().is_ok())
            })
            .count();
        let s = measure::median(b.repeat_for(15.0), || {
            let mut c = b.python_tool("dagster");
            c.current_dir(&dir)
                .args(["job", "execute", "-f", "definitions.py", "-j", job]);
            c
        })?;
        let _ = writeln!(
            table,
            "| `{job}` | {steps} | **{}** | {} |",
            ms(s.wall),
            mib(s.peak_kib)
        );
    }
    progress("grouping: spaceflights on Dagster done");
    results.section(
        "Spaceflights on Dagster, grouped",
        &format!(
            "The spaceflights example ({shuttles} shuttles) as one Dagster job on the \
             multiprocess executor (two steps at once): one op per node (kedro-dagster's only \
             way), `group_by: memory` (the three data science nodes share memory data), and \
             two named `groups` (one per pipeline). Steps include the start and end ops."
        ),
        table,
    );
    incremental(results, &dir, &example)
}

/// A full run, the same run again with `--only-changed` (nothing changed), and with one
/// parameter changed.
fn incremental(
    results: &mut Results,
    dir: &Path,
    example: &dyn Fn(&[&str]) -> std::process::Command,
) -> Result<(), String> {
    let trace = dir.join("trace.jsonl");
    let traced = |args: &[&str]| -> Result<(Sample, usize), String> {
        let _ = std::fs::remove_file(&trace);
        let mut c = example(args);
        c.env("KEDRUST_TRACE_HOOKS", &trace);
        let (s, _) = measure::run(c)?;
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        let nodes = text
            .lines()
            .filter(|l| l.contains("\"before_node_run\""))
            .count();
        Ok((s, nodes))
    };
    let mut table =
        String::from("| run | nodes run | run (ms) | peak memory (MiB) |\n|---|---:|---:|---:|\n");
    let mut row = |what: &str, (s, nodes): (Sample, usize)| {
        let _ = writeln!(
            table,
            "| {what} | {nodes} of 6 | **{}** | {} |",
            ms(s.wall),
            mib(s.peak_kib)
        );
    };
    row("`run` (everything)", traced(&["run"])?);
    row(
        "`run --only-changed`, nothing changed",
        traced(&["run", "--only-changed"])?,
    );
    row(
        "`run --only-changed`, `model_options.test_size` changed",
        traced(&[
            "run",
            "--only-changed",
            "--params",
            "model_options.test_size=0.25",
        ])?,
    );
    progress("grouping: spaceflights --only-changed done");
    results.section(
        "Spaceflights run again with --only-changed",
        "The same example and data, embedded (sequential runner). The first run records what \
         each save was computed from; a second run with nothing changed checks every output's \
         data version and runs no node; after one parameter of the data science pipeline \
         changes, only the nodes downstream of it run. Nodes run are counted from the hook \
         trace (`before_node_run`).",
        table,
    );
    Ok(())
}
