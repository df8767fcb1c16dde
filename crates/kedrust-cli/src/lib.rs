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
mod output;
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
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return error::usage(&e),
    };
    // A Dagster op speaks Pipes from its first log line on.
    let pipes = match &cli.command {
        args::Command::DagsterOp { .. } => match kedrust_dagster::Pipes::from_env() {
            Ok(p) => {
                if let Err(e) = p.opened() {
                    // The first message, before any log line; without it Dagster reports the op.
                    eprintln!("warning: {e}");
                }
                Some(std::sync::Arc::new(p))
            }
            Err(e) => return CliError::BadInput(e.to_string()).report(),
        },
        _ => None,
    };
    output::init_logging(cli.log_format, cli.verbose, pipes.clone());
    match commands::dispatch(&project, cli, pipes) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => e.report(),
    }
}
