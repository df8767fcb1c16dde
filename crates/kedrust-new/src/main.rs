//! The `kedrust` command, installed with `cargo install --path crates/kedrust-new`:
//! `kedrust new <name>` writes a project that builds and runs at once, in Kedro's layout;
//! `kedrust pipeline create <name>`, run in a project, adds a pipeline module and its
//! parameters file, as `kedro pipeline create` does.

mod scaffold;
mod starter;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(version, about = "Start a kedrust project, or add a pipeline to one")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A new project in ./<name> (conf/, data/, src/ with one pipeline and its test).
    New {
        /// The project's name: a crate name (letters, digits, `_` or `-`).
        name: String,
        /// What to start from.
        #[arg(long, value_enum, default_value = "empty")]
        starter: starter::Starter,
        /// Where to write it (default: ./<name>).
        #[arg(long)]
        path: Option<PathBuf>,
        /// The kedrust the project depends on: a path to this repository's `crates/kedrust`
        /// (default: the checkout this command was built from, else crates.io's kedrust).
        #[arg(long)]
        kedrust: Option<PathBuf>,
    },
    /// Pipelines of the project in the working directory.
    #[command(subcommand)]
    Pipeline(PipelineCommand),
}

#[derive(Debug, Subcommand)]
enum PipelineCommand {
    /// Adds src/pipelines/<name>.rs and conf/base/parameters_<name>.yml.
    Create {
        /// The pipeline's name (a Rust module name).
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let done = match cli.command {
        Command::New {
            name,
            starter,
            path,
            kedrust,
        } => {
            // A command built in a checkout points new projects at that checkout's kedrust;
            // one installed from crates.io, at crates.io's.
            let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../kedrust");
            let kedrust = kedrust.or_else(|| checkout.is_dir().then_some(checkout));
            scaffold::new_project(&name, starter, path.as_deref(), kedrust.as_deref())
        }
        Command::Pipeline(PipelineCommand::Create { name }) => {
            scaffold::create_pipeline(&std::env::current_dir().unwrap_or_default(), &name)
        }
    };
    match done {
        Ok(said) => {
            print!("{said}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
