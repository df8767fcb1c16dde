//! kedrust's benchmark binary. Shapes are built at run time; figures are written by the run
//! itself, never typed by hand.
//!
//! `cargo run --release -p kedrust-bench -- pipeline-model --out bench/results/pipeline-model.md`
//! (see `bench/README.md` for every benchmark and its command).

mod catalog;
mod compare;
mod dagster_load;
#[cfg(feature = "frames")]
mod data_pipeline;
#[cfg(feature = "frames")]
mod frames;
mod pipeline_model;
mod process_runner;
mod report;
mod runners;
mod shapes;

use std::process::ExitCode;

const USAGE: &str = "usage: kedrust-bench <pipeline-model|catalog|runners|process-runner|dagster-load|frames> [--sizes N,N,..] [--repeat N] [--out FILE]\n       kedrust-bench compare [--quick] [--only CASE,..] [--python PATH] [--repeat N] [--out FILE] [--readme FILE]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if process_runner::is_child(&args) {
        // A step of the process-runner benchmark: this binary is the project.
        return kedrust_cli::main(process_runner::project());
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let Some((case, rest)) = args.split_first() else {
        return Err("name a benchmark".into());
    };
    if case == "compare" {
        return compare::run(compare_options(rest)?);
    }
    #[cfg(feature = "frames")]
    if case == "plain-polars" {
        // The data case's limit: `plain-polars <project dir> <threshold>`.
        let [root, threshold] = rest else {
            return Err("plain-polars <project dir> <threshold>".into());
        };
        let threshold = threshold
            .parse()
            .map_err(|_| format!("bad threshold '{threshold}'"))?;
        return data_pipeline::plain_polars(std::path::Path::new(root), threshold)
            .map_err(|e| e.to_string());
    }
    let mut sizes = match case.as_str() {
        "frames" => vec![1_000_000],
        "process-runner" => vec![10, 1_000, 10_000],
        _ => vec![10, 100, 1_000, 10_000],
    };
    let mut repeat = 9;
    let mut out = None;
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--sizes" => {
                sizes = value
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|_| format!("bad size '{s}'")))
                    .collect::<Result<_, _>>()?;
            }
            "--repeat" => repeat = value.parse().map_err(|_| format!("bad count '{value}'"))?,
            "--out" => out = Some(value.clone()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    let (title, table) = match case.as_str() {
        "pipeline-model" => ("Pipeline model", pipeline_model::run(&sizes, repeat)),
        "catalog" => ("Catalog resolution", catalog::run(&sizes, repeat)),
        "runners" => ("Runner overhead per node", runners::run(&sizes, repeat)),
        "process-runner" => (
            "Multi-process executor overhead per step",
            process_runner::run_bench(&sizes, repeat),
        ),
        "dagster-load" => ("Dagster code location", dagster_load::run_bench(repeat)),
        #[cfg(feature = "frames")]
        "frames" => ("DataFrame datasets", frames::run(&sizes, repeat)),
        #[cfg(not(feature = "frames"))]
        "frames" => return Err("build with --features frames (it needs Polars)".into()),
        other => return Err(format!("unknown benchmark '{other}'")),
    };
    let command = std::iter::once("kedrust-bench")
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let text = format!(
        "# {title}\n\n{}- median of {repeat} runs\n\n{table}",
        report::stamp(&command)
    );
    print!("{text}");
    if let Some(path) = out {
        std::fs::write(&path, &text).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(())
}

/// The options of `compare`.
fn compare_options(args: &[String]) -> Result<compare::Options, String> {
    let mut options = compare::Options {
        // Not canonicalised: a virtualenv's python is a symlink to the base interpreter.
        python: std::path::absolute(".venv-test/bin/python")
            .unwrap_or_else(|_| ".venv-test/bin/python".into()),
        quick: false,
        repeat: 5,
        out: None,
        readme: None,
        only: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--quick" {
            options.quick = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--python" => {
                options.python = std::path::absolute(value).map_err(|e| e.to_string())?;
            }
            "--repeat" => {
                options.repeat = value.parse().map_err(|_| format!("bad count '{value}'"))?;
            }
            "--out" => options.out = Some(value.into()),
            "--readme" => options.readme = Some(value.into()),
            "--only" => options.only = value.split(',').map(str::to_owned).collect(),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(options)
}
