//! The command line a project's `main.rs` hands over to.
//!
//! Owns: argument parsing (`run` with every `kedro run` option that applies, `pipeline`,
//! `catalog`, `info`, Kedro 1.x's `registry` names), output (a progress bar on a terminal,
//! plain or JSON logs otherwise) and exit codes (`error.rs`, the only place that maps errors
//! to them): 0 success, 1 the run failed, 2 bad usage or bad configuration.
//!
//! Must never: hold domain logic; every command calls the library crates.

mod args;
mod commands;
mod dagster;
mod error;
mod jobs;
mod lists;
mod logging;
mod output;
mod partitions;
mod place;
mod runs;
mod schedules;
mod signals;

use clap::Parser;
use error::CliError;
use kedrust_framework::Project;
use std::process::ExitCode;

/// Runs the command line of `project` with the process's arguments.
pub fn main(project: Project) -> ExitCode {
    main_with(project, std::env::args_os())
}

/// Runs the command line of `project` with `args` (the first is the program name).
pub fn main_with(
    project: Project,
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
) -> ExitCode {
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let cli = match args::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return error::usage(&e),
    };
    let place = place::Place::of(&project, &cli);
    // A Dagster op speaks Pipes from its first log line on.
    let pipes = match &cli.command {
        args::Command::DagsterOp { run_id, .. } | args::Command::DagsterAssets { run_id, .. } => {
            match kedrust_dagster::Pipes::from_env() {
                Ok(p) => {
                    // Every op of a run runs the binary its first op ran (this call returns only
                    // when this process is that binary).
                    let run_id = p.run_id().map(str::to_owned).or_else(|| run_id.clone());
                    if let Some(run_id) = run_id
                        && let Err(e) = dagster::run_the_runs_binary(&place.root, &run_id, &args)
                    {
                        return e.report();
                    }
                    if let Err(e) = p.opened() {
                        // The first message, before any log line; without it Dagster reports the op.
                        eprintln!("warning: {e}");
                    }
                    Some(std::sync::Arc::new(p))
                }
                Err(e) => return CliError::BadInput(e.to_string()).report(),
            }
        }
        _ => None,
    };
    // logging.yml and a job's loggers are read before anything logs; a mistake in them is
    // bad configuration, reported before the command runs.
    let job = match &cli.command {
        args::Command::Run(run) => run.job.as_deref(),
        _ => None,
    };
    let setup = match logging::load(&project, &place, job) {
        Ok(setup) => setup,
        Err(e) => return CliError::BadInput(e).report(),
    };
    output::init_logging(cli.log_format, cli.verbose, pipes.clone(), setup);
    match commands::dispatch(&project, cli, place, pipes) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => e.report(),
    }
}
