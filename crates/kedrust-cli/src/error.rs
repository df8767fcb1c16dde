//! Why a command did not succeed, and the one place that turns that into an exit code:
//! 0 success, 1 something ran and failed, 2 bad usage or configuration (nothing ran),
//! 130 a second Ctrl-C.

use kedrust_framework::SessionError;
use std::process::ExitCode;

/// Something ran and failed.
const RUN_FAILED: u8 = 1;
/// Bad usage or bad configuration: nothing ran.
const BAD_INPUT: u8 = 2;
/// A second Ctrl-C ended the process at once, as a shell reports a process ended by SIGINT.
pub(crate) const INTERRUPTED: i32 = 130;

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The arguments, the configuration or the project are wrong; nothing ran.
    #[error("{0}")]
    BadInput(String),
    /// What the command started failed (a project command, Dagster's validation or UI).
    #[error("{0}")]
    Failed(String),
    /// A run was refused, or started and failed; the error says which.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A step of the process runner failed; its orchestrator reports it, so it says nothing.
    #[error("the step failed")]
    StepFailed,
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            Self::BadInput(_) => BAD_INPUT,
            Self::Session(e) if !e.is_run_failure() => BAD_INPUT,
            Self::Failed(_) | Self::Session(_) | Self::StepFailed => RUN_FAILED,
        }
    }

    /// Says what went wrong on stderr (with Kedro's resume suggestion after a failed run),
    /// secrets hidden, and gives the exit code.
    pub(crate) fn report(&self) -> ExitCode {
        let shown = |text: String| kedrust_secrets::redact(&text).into_owned();
        match self {
            Self::StepFailed => {}
            Self::Session(SessionError::Run {
                resume: Some(hint), ..
            }) => eprintln!("error: {}\n{hint}", shown(self.to_string())),
            _ => eprintln!("error: {}", shown(self.to_string())),
        }
        ExitCode::from(self.exit_code())
    }
}

/// A usage error of clap's: printed as clap prints it, exit 2 (0 for `--help`).
pub(crate) fn usage(error: &clap::Error) -> ExitCode {
    if let Err(e) = error.print() {
        eprintln!("{e}");
    }
    if error.use_stderr() {
        ExitCode::from(BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
