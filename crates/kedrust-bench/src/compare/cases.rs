//! The compared cases. Each measures both systems on the same shapes, data and jobs and adds a
//! section (and headline figures) to the results.

use super::measure;
use super::report::{Headline, Results, mib, ms, ratio_cells};
use super::{Bench, Location, SKIP_AFTER_SECS, projects};
use crate::process_runner::pipeline_name;
use crate::shapes::Shape;
use kedrust_pipeline::Pipeline;
use kedrust_runner::Runner;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

/// Seconds a run of `size` should take, from the measured `(size, seconds)` of the smaller
/// sizes: with the growth the last two showed (never less than linear), else linearly.
pub(super) fn extrapolate(measured: &[(usize, f64)], size: usize) -> f64 {
    match measured {
        [] => 0.0,
        [.., (n, secs)] if !secs.is_finite() => secs * size as f64 / *n as f64,
        [(n0, s0), (n1, s1)] | [.., (n0, s0), (n1, s1)] if *s0 > 0.0 && n1 > n0 => {
            let growth = ((s1 / s0).ln() / (*n1 as f64 / *n0 as f64).ln()).max(1.0);
            s1 * (size as f64 / *n1 as f64).powf(growth)
        }
        [.., (n, secs)] => secs * size as f64 / *n as f64,
    }
}

/// Whether this build has no Polars (the `frames` feature), which section `title` needs: it
/// is then recorded as not measured.
pub(super) fn without_frames(results: &mut Results, title: &str) -> bool {
    if cfg!(feature = "frames") {
        return false;
    }
    results.section(
        title,
        "Not measured: kedrust-bench was built without the `frames` feature (Polars).",
        String::new(),
    );
    true
}

/// A line on stderr, with the time since the first, so that a long comparison shows where
/// it is and what took long.
pub fn progress(what: &str) {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let since = START.get_or_init(std::time::Instant::now).elapsed();
    eprintln!("compare [{:>5.0} s]: {what}", since.as_secs_f64());
}

/// The median of the harness's in-process Kedro runs (`kedro_bench.py`), or `None` when they
/// were stopped for running past the skip limit.
fn kedro_runs(
    b: &Bench,
    shape_json: &str,
    runner: &str,
    repeat: usize,
) -> Result<Option<f64>, String> {
    let mut c = b.python_tool("python");
    c.args(["kedro_bench.py", shape_json, runner, &repeat.to_string()]);
    let limit = Duration::from_secs_f64(SKIP_AFTER_SECS * repeat as f64 + 60.0);
    let out = match measure::run_limited(c, limit)? {
        measure::Outcome::Done(_, out) => out,
        measure::Outcome::Stopped => return Ok(None),
    };
    let line = out
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .ok_or_else(|| format!("kedro_bench.py printed no result:\n{out}"))?;
    let parsed: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let mut seconds: Vec<f64> = parsed["seconds"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default();
    seconds.sort_by(f64::total_cmp);
    seconds
        .get(seconds.len() / 2)
        .copied()
        .map(Some)
        .ok_or_else(|| "kedro_bench.py measured nothing".into())
}

/// The overhead case's share of the comparison's hour; the other cases take about 15 minutes.
const OVERHEAD_BUDGET_SECS: f64 = 40.0 * 60.0;

/// One series of the overhead case: shape, runner, and whether it is Kedro's side.
type Series = (&'static str, &'static str, bool);

/// Per-node overhead of trivial nodes, every shape, size and runner of both systems.
pub fn overhead(b: &Bench, results: &mut Results) -> Result<(), String> {
    let (sizes, shapes): (&[usize], &[Shape]) = if b.options.quick {
        (&[10], &[Shape::Chain])
    } else {
        (&[10, 100, 1_000, 10_000], &Shape::ALL)
    };
    let runners = [
        ("sequential", Runner::Sequential, "sequential"),
        ("threads (2)", Runner::Threaded { max_workers: 2 }, "thread"),
        (
            "processes (2)",
            Runner::Process { max_workers: 2 },
            "parallel",
        ),
    ];
    let mut table = String::from(
        "| shape | nodes | runner (kedrust / Kedro) | kedrust per node (µs) | Kedro per node (µs) | kedrust / Kedro | better by | note |\n\
         |---|---:|---|---:|---:|---:|---:|---|\n",
    );
    let mut last: HashMap<Series, Vec<(usize, f64)>> = HashMap::new();
    // Runner, side and size that ran past the limit in one shape: skipped in the others.
    let mut too_slow: HashMap<(&str, bool, usize), String> = HashMap::new();
    let mut headline: Option<(usize, f64, f64)> = None;
    // The comparison keeps within its hour: runs that would end past this are skipped.
    let deadline = std::time::Instant::now() + Duration::from_secs_f64(OVERHEAD_BUDGET_SECS);
    for &shape in shapes {
        for &size in sizes {
            let pipeline = Pipeline::new(shape.nodes(size)).map_err(|e| e.to_string())?;
            let nodes = pipeline.len();
            let json = projects::shape_json(&b.kedro_dir, shape, size)?;
            let json = json.to_string_lossy().into_owned();
            let name = pipeline_name(shape, size);
            let registered = format!("{}:{size}", shape.key());
            for (label, runner, kedro_runner) in runners {
                let mut measured = [None, None];
                let mut notes = Vec::new();
                for (side, is_kedro) in [(0, false), (1, true)] {
                    let system = if is_kedro { "Kedro" } else { "kedrust" };
                    if let Some(shape_name) = too_slow.get(&(label, is_kedro, size)) {
                        notes.push(format!(
                            "{system} skipped: the {shape_name} of this size ran past {SKIP_AFTER_SECS:.0} s"
                        ));
                        continue;
                    }
                    let key = (shape.key(), label, is_kedro);
                    let estimate = extrapolate(last.get(&key).map_or(&[], Vec::as_slice), size);
                    if estimate > SKIP_AFTER_SECS {
                        notes.push(if estimate.is_finite() {
                            format!("{system} skipped: the previous size extrapolates to {estimate:.0} s")
                        } else {
                            format!("{system} skipped: the previous size was stopped")
                        });
                        continue;
                    }
                    let repeat = b.repeat_for(estimate);
                    let ends = std::time::Instant::now()
                        + Duration::from_secs_f64(estimate * repeat as f64);
                    if ends > deadline {
                        notes.push(format!(
                            "{system} skipped: about {estimate:.0} s, past the {:.0} minutes this case may take",
                            OVERHEAD_BUDGET_SECS / 60.0
                        ));
                        continue;
                    }
                    let secs = match (is_kedro, runner) {
                        (true, _) => match kedro_runs(b, &json, kedro_runner, repeat)? {
                            Some(secs) => secs,
                            None => {
                                notes.push(format!(
                                    "Kedro stopped: still running after {SKIP_AFTER_SECS:.0} s a run"
                                ));
                                // Larger sizes of this series, and this size in the other
                                // shapes, are skipped too.
                                last.entry(key).or_default().push((size, f64::INFINITY));
                                too_slow.insert((label, is_kedro, size), shape.name().to_owned());
                                continue;
                            }
                        },
                        (false, Runner::Process { .. }) => {
                            // Each node a child process: timed as a whole CLI run.
                            measure::median(repeat, || {
                                b.kedrust(
                                    &registered,
                                    &[
                                        "run",
                                        "-p",
                                        &name,
                                        "--runner",
                                        "process",
                                        "--max-workers",
                                        "2",
                                    ],
                                )
                            })?
                            .wall
                            .as_secs_f64()
                        }
                        (false, _) => {
                            crate::runners::in_process(runner, &pipeline, repeat).as_secs_f64()
                        }
                    };
                    last.entry(key).or_default().push((size, secs));
                    if secs > SKIP_AFTER_SECS {
                        too_slow.insert((label, is_kedro, size), shape.name().to_owned());
                    }
                    measured[side] = Some(secs);
                    progress(&format!(
                        "{} {label} {} nodes {}: {secs:.3} s",
                        shape.name(),
                        nodes,
                        if is_kedro { "Kedro" } else { "kedrust" }
                    ));
                }
                let per_node = |s: Option<f64>| {
                    s.map_or("skipped".into(), |s| {
                        format!("{:.2}", s * 1e6 / nodes as f64)
                    })
                };
                let ratio = match measured {
                    [Some(k), Some(p)] => {
                        if label == "sequential" && shape == Shape::Chain {
                            headline = Some((nodes, k / nodes as f64, p / nodes as f64));
                        }
                        ratio_cells(k / p)
                    }
                    _ => "n/a | n/a".into(),
                };
                let _ = writeln!(
                    table,
                    "| {} | {nodes} | {label} | {} | {} | {ratio} | {} |",
                    shape.name(),
                    per_node(measured[0]),
                    per_node(measured[1]),
                    notes.join("; ")
                );
            }
        }
    }
    results.section(
        "Per-node overhead of trivial nodes",
        "Each node returns a number computed from its inputs, so the time is the runner's: \
         scheduling, memory datasets, loads and saves. kedrust's sequential and threaded runners \
         and Kedro's three runners are timed in process around the run only (a fresh catalog \
         per run, no hooks, no progress logging; `python/kedro_bench.py`). kedrust's process \
         runner is timed as a whole `run --runner process` command, start-up included, against \
         Kedro's `ParallelRunner` (2 workers each).",
        table,
    );
    if let Some((nodes, k, p)) = headline {
        results.headline_row(Headline {
            case: format!("overhead per node, sequential runner, chain of {nodes}"),
            kedrust: format!("{:.2} µs", k * 1e6),
            python: format!("{:.0} µs", p * 1e6),
            ratio: k / p,
            target: Some(0.01),
            why_missed: None,
        });
    }
    Ok(())
}

/// Start-up: a whole one-node run from the command line.
pub fn startup(b: &Bench, results: &mut Results) -> Result<(), String> {
    let repeat = b.options.repeat;
    let ours = measure::median(repeat, || b.kedrust("", &["run", "-p", "one"]))?;
    let kedro = measure::median(b.repeat_for(3.0), || {
        let mut c = b.python_tool("kedro");
        c.args(["run", "--pipeline", "one"]);
        c
    })?;
    let mut table = String::from("| command | wall (ms) | peak memory (MiB) |\n|---|---:|---:|\n");
    let _ = writeln!(
        table,
        "| kedrust: `run -p one` | **{}** | {} |\n| Kedro: `kedro run --pipeline one` | **{}** | {} |",
        ms(ours.wall),
        mib(ours.peak_kib),
        ms(kedro.wall),
        mib(kedro.peak_kib)
    );
    results.section(
        "Start-up of a one-node run",
        "The whole command, from process start to exit: configuration, catalog, hooks, the run \
         store (kedrust) or session store (Kedro), one node.",
        table,
    );
    results.headline_row(Headline {
        case: "one-node run from the command line".into(),
        kedrust: format!("{} ms", ms(ours.wall)),
        python: format!("{} ms", ms(kedro.wall)),
        ratio: ours.wall.as_secs_f64() / kedro.wall.as_secs_f64(),
        target: None,
        why_missed: None,
    });
    Ok(())
}

/// Makes the Kedro project a kedro-dagster code location (`kedro dagster init`), once.
pub(super) fn kedro_dagster_init(b: &Bench) -> Result<(), String> {
    if b.kedro_dir.join(projects::KEDRO_DEFINITIONS).is_file() {
        return Ok(());
    }
    let mut c = b.python_tool("kedro");
    c.args(["dagster", "init", "--env", "local", "--force"]);
    measure::run(c).map(|_| ())
}

/// The Kedro project's jobs for kedro-dagster, and the shapes its registry builds.
pub(super) fn kedro_jobs(
    b: &Bench,
    shape: Shape,
    size: usize,
    executor: &str,
) -> Result<String, String> {
    let json = projects::shape_json(&b.kedro_dir, shape, size)?;
    std::fs::write(
        b.kedro_dir.join("conf/local/dagster.yml"),
        projects::dagster_yml(&[pipeline_name(shape, size)], executor),
    )
    .map_err(|e| e.to_string())?;
    Ok(json.to_string_lossy().into_owned())
}

/// The kedrust project's jobs.
pub(super) fn kedrust_jobs(
    b: &Bench,
    shape: Shape,
    size: usize,
    executor: &str,
) -> Result<String, String> {
    std::fs::write(
        b.kedrust_dir.join("conf/base/dagster.yml"),
        projects::dagster_yml(&[pipeline_name(shape, size)], executor),
    )
    .map_err(|e| e.to_string())?;
    Ok(format!("{}:{size}", shape.key()))
}

/// Building a job for Dagster: kedrust's plans against kedro-dagster's code location load.
pub fn code_location(b: &Bench, results: &mut Results) -> Result<(), String> {
    kedro_dagster_init(b)?;
    measure::run(b.kedrust("", &["dagster", "init", "--force"]))?;
    let sizes: &[usize] = if b.options.quick {
        &[10]
    } else {
        &[10, 100, 1_000]
    };
    let mut table = String::from(
        "| job (chain) | kedrust: plans served (ms) | kedro-dagster: code location loaded (ms) | kedrust / kedro-dagster | better by | kedrust: `dagster definitions validate` (ms) | kedro-dagster: `dagster definitions validate` (ms) |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut last = None;
    for &size in sizes {
        let registered = kedrust_jobs(b, Shape::Chain, size, "in_process")?;
        let shapes = kedro_jobs(b, Shape::Chain, size, "in_process")?;
        let plans = measure::median(b.options.repeat, || {
            b.kedrust(&registered, &["__dagster_plans"])
        })?;
        let repeat = b.repeat_for(last.unwrap_or(5.0) * 2.0);
        let load = measure::median(repeat, || {
            let mut c = b.python_tool("python");
            c.args([
                "-c",
                &format!(
                    "import runpy; runpy.run_path('{}')",
                    projects::KEDRO_DEFINITIONS
                ),
            ])
            .env("BENCH_SHAPES", &shapes);
            c
        })?;
        last = Some(load.wall.as_secs_f64());
        let ours_validate = measure::median(repeat, || {
            b.validate(Location::Kedrust {
                pipelines: &registered,
            })
        })?;
        let theirs_validate = measure::median(repeat, || {
            b.validate(Location::KedroDagster { shapes: &shapes })
        })?;
        let ratio = plans.wall.as_secs_f64() / load.wall.as_secs_f64();
        let _ = writeln!(
            table,
            "| {size} | **{}** | **{}** | {} | {} | {} |",
            ms(plans.wall),
            ms(load.wall),
            ratio_cells(ratio),
            ms(ours_validate.wall),
            ms(theirs_validate.wall)
        );
        if size == *sizes.last().unwrap_or(&size) {
            results.headline_row(Headline {
                case: format!(
                    "job start: a {size}-node job's plan against kedro-dagster's code location load"
                ),
                kedrust: format!("{} ms", ms(plans.wall)),
                python: format!("{} ms", ms(load.wall)),
                ratio,
                target: Some(0.01),
                why_missed: None,
            });
        }
    }
    results.section(
        "Job start: the plan of a job against kedro-dagster's code location",
        "kedrust: the project binary serving the job's plan (`__dagster_plans`, what the \
         generated `definitions.py` asks at load time), as a process. kedro-dagster: a Python \
         process loading its `definitions.py` (Kedro session, catalog and pipelines translated \
         into Dagster objects); kedro-dagster does this again in every step process. Both code \
         locations are also loaded by Dagster itself (`dagster definitions validate`).",
        table,
    );
    Ok(())
}

/// Dagster's floor for a step: a code location of no-op Python ops, chained as kedrust's jobs
/// are (a start op, the nodes, an end op), on the executor `BENCH_FLOOR` names.
const FLOOR_DEFINITIONS: &str = r#""""Dagster's floor for a step: chains of no-op Python ops, as many steps as kedrust's job of
the same chain (a start op, the nodes, an end op), on the executor `BENCH_FLOOR` names
(`<executor>:<job>=<size>,...`)."""

import os

import dagster as dg


@dg.op(ins={"after": dg.In(dg.Nothing)}, out=dg.Out(dg.Nothing))
def noop():
    pass


_EXECUTORS = {
    "multiprocess": dg.multiprocess_executor.configured({"max_concurrent": 2}),
    "in_process": dg.in_process_executor,
}


def _chain(executor, name, size):
    @dg.job(name=name, executor_def=_EXECUTORS[executor])
    def _job():
        after = noop.alias("start")()
        for i in range(size):
            after = noop.alias(f"node_{i}")(after)
        noop.alias("end")(after)

    return _job


_executor, _, _jobs = os.environ["BENCH_FLOOR"].partition(":")
defs = dg.Definitions(
    jobs=[_chain(_executor, name, int(size)) for name, _, size in (j.partition("=") for j in _jobs.split(","))]
)
"#;

/// What one step costs on Dagster's `multiprocess` and `in_process` executors: kedrust's op
/// against a no-op Python op (Dagster's floor) and kedro-dagster's, with kedrust's own process
/// runner beside them.
pub fn dagster_steps(b: &Bench, results: &mut Results) -> Result<(), String> {
    // Per step is the slope between two chains, which leaves out a run's fixed start; the
    // smoke run only checks that every step starts and the report is written.
    let sizes: &[usize] = if b.options.quick { &[2] } else { &[10, 20] };
    // Both code locations, also when this case runs alone.
    kedro_dagster_init(b)?;
    measure::run(b.kedrust("", &["dagster", "init", "--force"]))?;
    let floor_dir = b.kedrust_dir.with_file_name("dagster-floor");
    std::fs::create_dir_all(&floor_dir).map_err(|e| e.to_string())?;
    std::fs::write(floor_dir.join("definitions.py"), FLOOR_DEFINITIONS)
        .map_err(|e| e.to_string())?;
    let execute = ["job", "execute"];
    let mut table = String::from(
        "| executor | chain (steps) | Dagster floor: no-op Python ops (ms) | kedrust (ms) | kedro-dagster (ms) |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for executor in ["multiprocess", "in_process"] {
        // (steps, floor, kedrust) per chain; kedro-dagster's per step at the first chain.
        let mut walls: Vec<(usize, f64, f64)> = Vec::new();
        let mut theirs_per_step = None;
        for &size in sizes {
            let steps = size + 2;
            let job = pipeline_name(Shape::Chain, size);
            let registered = kedrust_jobs(b, Shape::Chain, size, executor)?;
            let per_step_estimate = if executor == "multiprocess" { 1.5 } else { 0.1 };
            let repeat = b.repeat_for(steps as f64 * per_step_estimate + 3.0);
            let spec = format!("{executor}:{job}={size}");
            let floor = measure::median(repeat, || {
                b.dagster(
                    Location::Floor {
                        dir: &floor_dir,
                        spec: &spec,
                    },
                    &execute,
                    &["-j", &job],
                )
            })?;
            let ours = measure::median(repeat, || {
                b.dagster(
                    Location::Kedrust {
                        pipelines: &registered,
                    },
                    &execute,
                    &["-j", &job],
                )
            })?;
            // kedro-dagster at the first chain only: each of its steps loads the Kedro project.
            let theirs = if size == sizes[0] {
                let shapes = kedro_jobs(b, Shape::Chain, size, executor)?;
                let job = format!("local__{job}");
                let s = measure::median(repeat, || {
                    b.dagster(
                        Location::KedroDagster { shapes: &shapes },
                        &execute,
                        &["-j", &job],
                    )
                })?;
                theirs_per_step = Some((
                    s.wall.as_secs_f64() * 1e3 / steps as f64,
                    ours.wall.as_secs_f64() * 1e3 / steps as f64,
                ));
                Some(s)
            } else {
                None
            };
            let _ = writeln!(
                table,
                "| {executor} | {size} ({steps}) | {} | **{}** | {} |",
                ms(floor.wall),
                ms(ours.wall),
                theirs.as_ref().map_or("–".into(), |s| ms(s.wall)),
            );
            walls.push((
                steps,
                floor.wall.as_secs_f64() * 1e3,
                ours.wall.as_secs_f64() * 1e3,
            ));
        }
        // Per step: the slope between the chains, else (one chain) the whole run over its steps.
        let (floor_step, our_step, how) = match walls.as_slice() {
            [(s0, f0, o0), (s1, f1, o1), ..] => {
                let d = (s1 - s0) as f64;
                (
                    (f1 - f0) / d,
                    (o1 - o0) / d,
                    format!("slope from {s0} to {s1} steps"),
                )
            }
            [(s, f, o)] => (f / *s as f64, o / *s as f64, format!("a run of {s} steps")),
            [] => return Err("no chain measured".into()),
        };
        let _ = writeln!(
            table,
            "| {executor} | per step ({how}) | {floor_step:.1} | **{our_step:.1}** | – |"
        );
        results.headline_row(Headline {
            case: format!("a step on Dagster's {executor} executor: kedrust's op against a no-op Python op ({how})"),
            kedrust: format!("{our_step:.0} ms"),
            python: format!("{floor_step:.0} ms"),
            ratio: our_step / floor_step,
            target: Some(1.10),
            why_missed: (executor == "in_process").then(|| {
                "each op starts the project binary inside a Pipes session (profiled: the \
                 binary's start, its op preparation, the session's context file and reader); \
                 only one kedrust process per run serving its ops would close the gap"
                    .to_owned()
            }),
        });
        if let Some((theirs, ours)) = theirs_per_step {
            results.headline_row(Headline {
                case: format!(
                    "a step on Dagster's {executor} executor (chain of {}), against kedro-dagster",
                    sizes[0]
                ),
                kedrust: format!("{ours:.0} ms"),
                python: format!("{theirs:.0} ms"),
                ratio: ours / theirs,
                target: None,
                why_missed: None,
            });
        }
    }
    // kedrust's own process runner on the first chain, without Dagster.
    let size = sizes[0];
    let steps = (size + 2) as f64;
    let registered = kedrust_jobs(b, Shape::Chain, size, "multiprocess")?;
    let job = pipeline_name(Shape::Chain, size);
    let embedded = measure::median(b.options.repeat, || {
        b.kedrust(
            &registered,
            &[
                "run",
                "-p",
                &job,
                "--runner",
                "process",
                "--max-workers",
                "2",
            ],
        )
    })?;
    let _ = writeln!(
        table,
        "| kedrust's process runner, no Dagster | {size} ({steps}) | – | **{}** ({:.1} per step) | – |",
        ms(embedded.wall),
        embedded.wall.as_secs_f64() * 1e3 / steps,
    );
    results.section(
        "Per-step cost on Dagster's executors",
        "`dagster job execute` of chains of trivial nodes on Dagster's `multiprocess` executor \
         (2 at once; each step a Python process Dagster starts) and its `in_process` executor \
         (every step in the run's process). Each chain has a start op, the nodes and an end op. \
         The floor is a code location of no-op Python ops chained the same way: what Dagster \
         itself costs per step. In kedrust's code location each step runs the project binary \
         through Pipes; in kedro-dagster's each step loads the Kedro project. Per step is the \
         slope between the two chains, which leaves out what a run costs once. The last row is \
         kedrust's own process runner on the first chain.",
        table,
    );
    Ok(())
}

/// The headline row of `case`'s peak memory against `target`, when both peaks were measured.
fn peak_memory_row(
    case: String,
    ours: &measure::Sample,
    theirs: &measure::Sample,
    target: f64,
) -> Option<Headline> {
    let (k, p) = (ours.peak_kib?, theirs.peak_kib?);
    Some(Headline {
        case: format!("{case}: peak memory"),
        kedrust: format!("{} MiB", mib(Some(k))),
        python: format!("{} MiB", mib(Some(p))),
        ratio: k as f64 / p as f64,
        target: Some(target),
        why_missed: None,
    })
}

/// The data pipeline: Polars through kedrust against pandas through Kedro.
pub fn data(b: &Bench, results: &mut Results) -> Result<(), String> {
    if without_frames(results, "Data pipeline") {
        return Ok(());
    }
    let rows = if b.options.quick { 1_000 } else { 1_000_000 };
    for dir in [&b.kedrust_dir, &b.kedro_dir] {
        super::data::write_inputs(dir, rows).map_err(|e| e.to_string())?;
    }
    let repeat = b.repeat_for(if b.options.quick { 1.0 } else { 10.0 });
    let ours = measure::median(repeat, || b.kedrust("", &["run", "-p", "data"]))?;
    let lazy = measure::median(repeat, || b.kedrust("", &["run", "-p", "data_lazy"]))?;
    // The limit: the same query in a plain Polars program, no framework.
    let plain = measure::median(repeat, || {
        let mut c = std::process::Command::new(&b.exe);
        c.arg("plain-polars").arg(&b.kedrust_dir).arg("0.5");
        c
    })?;
    let theirs = measure::median(repeat, || {
        let mut c = b.python_tool("kedro");
        c.args(["run", "--pipeline", "data"]);
        c
    })?;
    // Both wrote the same summary (rows, sums and means per category and region).
    for ours in [
        "summary.parquet",
        "summary_lazy.parquet",
        "summary_plain.parquet",
    ] {
        let mut check = b.python_tool("python");
        check.args([
            "-c",
            "import pandas as pd, sys\n\
             a = pd.read_parquet(sys.argv[1]).sort_values('category').reset_index(drop=True)\n\
             b = pd.read_parquet(sys.argv[2]).sort_values('category').reset_index(drop=True)\n\
             cols = ['category', 'total_amount', 'rows', 'region']\n\
             same = a[cols].astype(str).equals(b[cols].astype(str)) and ((a.mean_value - b.mean_value).abs() < 1e-9).all()\n\
             print('same' if same else 'different')",
        ]);
        check
            .arg(b.kedrust_dir.join("data").join(ours))
            .arg(b.kedro_dir.join("data/summary.parquet"));
        let (_, agree) = measure::run(check)?;
        if agree.trim() != "same" {
            return Err(format!(
                "kedrust's {ours} and Kedro's summary.parquet differ"
            ));
        }
    }
    let mut table = String::from("| system | run (ms) | peak memory (MiB) |\n|---|---:|---:|\n");
    let _ = writeln!(
        table,
        "| kedrust, Polars: `run -p data` | **{}** | **{}** |\n\
         | kedrust, Polars lazy: `run -p data_lazy` | **{}** | **{}** |\n\
         | Kedro, pandas: `kedro run --pipeline data` | **{}** | **{}** |\n\
         | the limit: the lazy query in a plain Polars program | {} | {} |",
        ms(ours.wall),
        mib(ours.peak_kib),
        ms(lazy.wall),
        mib(lazy.peak_kib),
        ms(theirs.wall),
        mib(theirs.peak_kib),
        ms(plain.wall),
        mib(plain.peak_kib)
    );
    results.section(
        &format!("Data pipeline: {rows} rows"),
        &format!(
            "A CSV of {rows} transactions (id, category, value, amount) is kept above a \
             threshold, summed, averaged and counted per category, joined with the categories' \
             regions and written to Parquet: Polars datasets and nodes in kedrust, pandas ones \
             in Kedro (`python/nodes.py`). The lazy variant is the same nodes on `LazyFrame`s \
             from `polars.LazyPolarsDataset`, so the three nodes run as one query when the \
             summary is saved. Whole commands, start-up included; the summaries are checked to \
             be equal. The limit is the lazy query with no framework: a program that scans the \
             two CSV files and writes the summary (`kedrust-bench plain-polars`)."
        ),
        table,
    );
    let time = ours.wall.as_secs_f64() / theirs.wall.as_secs_f64();
    results.headline_row(Headline {
        case: format!("data pipeline, {rows} rows: time"),
        kedrust: format!("{} ms", ms(ours.wall)),
        python: format!("{} ms", ms(theirs.wall)),
        ratio: time,
        target: Some(0.2),
        why_missed: None,
    });
    if let Some(row) = peak_memory_row(format!("data pipeline, {rows} rows"), &ours, &theirs, 0.5) {
        results.headline_row(row);
    }
    results.headline_row(Headline {
        case: format!("data pipeline, {rows} rows, lazy nodes: time"),
        kedrust: format!("{} ms", ms(lazy.wall)),
        python: format!("{} ms", ms(theirs.wall)),
        ratio: lazy.wall.as_secs_f64() / theirs.wall.as_secs_f64(),
        target: None,
        why_missed: None,
    });
    Ok(())
}

/// Kedro's spaceflights tutorial at three sizes: kedrust's example (Polars) against the same
/// nodes in pandas, on the same generated raw data.
pub fn spaceflights(b: &Bench, results: &mut Results) -> Result<(), String> {
    let binary = b.exe.with_file_name("spaceflights");
    if !binary.is_file() {
        results.section(
            "Spaceflights",
            "Not measured: the example's binary is not built next to kedrust-bench (`bench/run` \
             builds both).",
            String::new(),
        );
        return Ok(());
    }
    let sizes: &[usize] = if b.options.quick {
        &[500]
    } else {
        &[15_531, 155_310, 1_553_100]
    };
    let ours_dir = b.kedrust_dir.join("spaceflights");
    projects::copy_tree(&projects::spaceflights_conf(), &ours_dir.join("conf"))?;
    let example = |args: &[&str]| {
        let mut c = std::process::Command::new(&binary);
        c.arg("--project-dir").arg(&ours_dir).args(args);
        c
    };
    let mut table = String::from(
        "| shuttles | file | kedrust run (ms) | Kedro run (ms) | kedrust / Kedro | better by | kedrust peak (MiB) | Kedro peak (MiB) | R² kedrust / Kedro |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    let mut last: Vec<(usize, f64)> = Vec::new();
    let r2 = |dir: &std::path::Path| -> String {
        std::fs::read_to_string(dir.join("data/08_reporting/metrics.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|m| m["r2_score"].as_f64())
            .map_or("n/a".into(), |r| format!("{r:.3}"))
    };
    for &size in sizes {
        measure::run(example(&["generate", &size.to_string()]))?;
        projects::copy_tree(
            &ours_dir.join("data/01_raw"),
            &b.kedro_dir.join("data/01_raw"),
        )?;
        // Past an Excel sheet's rows the generator writes a CSV file, read in `big`.
        let csv = ours_dir.join("data/01_raw/shuttles.csv").is_file();
        let (file, env) = if csv {
            ("shuttles.csv", "big")
        } else {
            ("shuttles.xlsx", "local")
        };
        let repeat = b.repeat_for(extrapolate(&last, size).max(2.0));
        let ours = measure::median(repeat, || example(&["run", "--env", env]))?;
        let theirs = measure::median(repeat, || {
            let mut c = b.python_tool("kedro");
            c.args(["run", "--pipeline", "spaceflights", "--env", env]);
            c
        })?;
        last.push((size, theirs.wall.as_secs_f64()));
        progress(&format!("spaceflights {size} shuttles done"));
        let ratio = ours.wall.as_secs_f64() / theirs.wall.as_secs_f64();
        let _ = writeln!(
            table,
            "| {size} | {file} | **{}** | **{}** | {} | {} | {} | {} / {} |",
            ms(ours.wall),
            ms(theirs.wall),
            ratio_cells(ratio),
            mib(ours.peak_kib),
            mib(theirs.peak_kib),
            r2(&ours_dir),
            r2(&b.kedro_dir)
        );
        if size == *sizes.last().unwrap_or(&size) {
            results.headline_row(Headline {
                case: format!("spaceflights, {size} shuttles"),
                kedrust: format!("{} ms", ms(ours.wall)),
                python: format!("{} ms", ms(theirs.wall)),
                ratio,
                target: Some(0.125),
                why_missed: Some(
                    "the run is Polars' own work: parsing 220 MB of CSV, two joins and Parquet \
                     encoding are most of perf's samples, kedrust's own code under 1%"
                        .into(),
                ),
            });
            let case = format!("spaceflights, {size} shuttles");
            if let Some(row) = peak_memory_row(case, &ours, &theirs, 1.0 / 3.0) {
                results.headline_row(row);
            }
        }
    }
    // Ten times the largest size, kedrust alone, once: it must run in the machine's memory
    // (pandas would need about ten times its 1,553,100-shuttle peak).
    if !b.options.quick {
        let size = 15_531_000;
        measure::run(example(&["generate", &size.to_string()]))?;
        let ours = measure::median(1, || example(&["run", "--env", "big"]))?;
        progress(&format!("spaceflights {size} shuttles done"));
        let _ = writeln!(
            table,
            "| {size} | shuttles.csv | **{}** | not run | n/a | n/a | {} | n/a | {} / n/a |",
            ms(ours.wall),
            mib(ours.peak_kib),
            r2(&ours_dir),
        );
    }
    results.section(
        "Spaceflights",
        "Kedro's spaceflights tutorial: kedrust's example (`examples/spaceflights`, Polars) \
         against the same six nodes in pandas and numpy (`python/spaceflights.py`), on the same \
         raw files written by the example's generator: the shuttles in an Excel sheet as in the \
         starter, or in a CSV file when there are more than a sheet holds (the `big` \
         environment of both projects). Whole `run` commands, start-up included; the R² of both \
         fits is shown (the train/test shuffles differ). The last row is kedrust alone at ten \
         times the largest size, run once.",
        table,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::extrapolate;

    #[test]
    fn extrapolation_follows_the_growth_of_the_last_two_sizes() {
        assert_eq!(extrapolate(&[], 100), 0.0);
        assert!(
            (extrapolate(&[(10, 1.0)], 100) - 10.0).abs() < 1e-9,
            "linear from one"
        );
        // Quadratic growth from 10 to 100 predicts 100 times more at 1,000.
        assert!((extrapolate(&[(10, 1.0), (100, 100.0)], 1000) - 10_000.0).abs() < 1e-6);
        // Never less than linear, even when a larger size ran faster per node.
        assert!((extrapolate(&[(10, 1.0), (100, 2.0)], 1000) - 20.0).abs() < 1e-9);
        assert!(extrapolate(&[(10, 1.0), (100, f64::INFINITY)], 1000).is_infinite());
    }
}
