//! Where a command works, resolved once from the command line and handed to everything that
//! needs it: logging set-up and every command.

use crate::args::Cli;
use kedrust_framework::Project;
use std::path::PathBuf;

/// The project folder, the configuration folder and the environment of this process.
pub(crate) struct Place {
    /// The project folder (`--project-dir`, else the working directory or the build's).
    pub root: PathBuf,
    /// `--conf-source` (or KEDRUST_CONF_SOURCE), as given: it holds for every command, the
    /// ops and steps of a run included.
    pub conf_source: Option<PathBuf>,
    /// The configuration folder: `conf_source`, else `<root>/conf`.
    pub conf: PathBuf,
    /// `--env` (or KEDRUST_ENV, else local).
    pub env: String,
}

impl Place {
    pub(crate) fn of(project: &Project, cli: &Cli) -> Self {
        let root = project.locate(cli.project_dir.as_deref());
        let conf_source = cli.conf_source.clone();
        let conf = conf_source.clone().unwrap_or_else(|| root.join("conf"));
        Self {
            root,
            conf_source,
            conf,
            env: kedrust_config::run_env(cli.env.as_deref()),
        }
    }
}
