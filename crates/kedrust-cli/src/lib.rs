//! The command line a project's `main.rs` hands over to.
//!
//! Owns: argument parsing (`run` with every `kedro run` option that applies, `pipeline`,
//! `catalog`, `info`, Kedro 1.x's `registry` names), output (a progress bar on a terminal,
//! plain or JSON logs otherwise) and exit codes: 0 success, 1 the run failed, 2 bad usage or
//! bad configuration.
//!
//! Must never: hold domain logic; every command calls the library crates.

mod args;
mod commands;
mod dagster;
mod jobs;
mod lists;
mod output;
mod runs;
mod schedules;

use clap::Parser;
use kedrust_runner::Project;
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
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // A Dagster op speaks Pipes from its first log line on.
    let pipes = match &cli.command {
        args::Command::DagsterOp { .. } => match kedrust_dagster::Pipes::from_env() {
            Ok(p) => {
                let _ = p.opened(); // the first message, before any log line
                Some(std::sync::Arc::new(p))
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    output::init_logging(cli.log_format, cli.verbose, pipes.clone());
    commands::dispatch(&project, cli, pipes)
}
