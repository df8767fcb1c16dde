//! Test helpers shared by the integration tests of several crates.
//!
//! Owns: copying fixture folders (conf and data) into temporary directories, so that tests
//! never write into the repository, and commands that start without the developer's
//! settings. Must never: be a dependency of anything but tests.

use std::path::Path;
use std::process::Command;

/// A command with none of the variables of the developer's shell that would change what
/// kedrust, its logs, MLflow or Pipes do (`KEDRUST_*`, `RUST_LOG`, `MLFLOW_*`,
/// `DAGSTER_PIPES_*`): every test says what it sets.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if ["KEDRUST_", "RUST_LOG", "MLFLOW_", "DAGSTER_PIPES_"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            command.env_remove(&key);
        }
    }
    command
}

/// A fresh temporary folder holding a copy of `from` (recursively).
pub fn copy_of(from: impl AsRef<Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(from.as_ref(), dir.path());
    dir
}

/// Copies the folder `from` into `to` (created if missing), recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the target folder");
    for entry in std::fs::read_dir(from).expect("read the fixture folder") {
        let entry = entry.expect("a folder entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a fixture file");
        }
    }
}
