//! One snapshot of the configuration per run: the first process of a run copies the
//! configuration folder into the run's folder, and every later process of the run (a step of
//! the process runner, a Dagster op) reads that copy. Editing `conf/` while a run is in flight
//! changes the next run, never the rest of this one.
//!
//! Credentials are left out of the copy (files and folders named `credentials*`): the run
//! folder may sit on a volume other steps share, and secrets stay where they live. The copy
//! names the folder they are read from instead.

use std::io;
use std::path::{Path, PathBuf};

/// The file of a snapshot that names the configuration folder its credentials are read from.
const CREDENTIALS_SOURCE: &str = ".credentials-source";

/// The folder a snapshot's credentials are read from, when `conf` is a snapshot.
pub(crate) fn credentials_source(conf: &Path) -> Option<PathBuf> {
    std::fs::read_to_string(conf.join(CREDENTIALS_SOURCE))
        .ok()
        .map(PathBuf::from)
}

/// Where a run's snapshot lives in its run folder.
fn snapshot_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("conf")
}

/// The run's snapshot of `conf`, taken now unless another process of the run took it first.
/// Several processes may call this at once: each copies into a folder of its own and one
/// rename wins.
pub(crate) fn take(conf: &Path, run_dir: &Path) -> io::Result<PathBuf> {
    let target = snapshot_dir(run_dir);
    if target.is_dir() {
        return Ok(target);
    }
    std::fs::create_dir_all(run_dir)?;
    // Processes of one run in other containers may share a process id: the name is unique.
    let partial = run_dir.join(format!(
        ".conf-{}-{}",
        std::process::id(),
        kedrust_store::now_ns()
    ));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    copy_tree(conf, &partial)?;
    let original = std::fs::canonicalize(conf)?;
    std::fs::write(
        partial.join(CREDENTIALS_SOURCE),
        original.to_string_lossy().as_bytes(),
    )?;
    match std::fs::rename(&partial, &target) {
        Ok(()) => Ok(target),
        // Another process of the run renamed its copy first: theirs is the run's.
        Err(_) if target.is_dir() => {
            std::fs::remove_dir_all(&partial)?;
            Ok(target)
        }
        Err(e) => Err(e),
    }
}

/// The run's snapshot, if one was taken.
pub(crate) fn existing(run_dir: &Path) -> Option<PathBuf> {
    Some(snapshot_dir(run_dir)).filter(|d| d.is_dir())
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("credentials")
        {
            continue;
        }
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        // Links are followed: the snapshot holds what they pointed to when the run started.
        if std::fs::metadata(&source)?.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            std::fs::copy(&source, &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_snapshot_of_a_run_is_the_one_every_process_reads() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("conf");
        std::fs::create_dir_all(conf.join("base")).unwrap();
        std::fs::write(conf.join("base/parameters.yml"), "count: 1\n").unwrap();
        let run_dir = dir.path().join("runs/r1");
        assert_eq!(existing(&run_dir), None);
        let first = take(&conf, &run_dir).unwrap();
        std::fs::write(conf.join("base/parameters.yml"), "count: 2\n").unwrap();
        let again = take(&conf, &run_dir).unwrap();
        assert_eq!(first, again);
        assert_eq!(
            std::fs::read_to_string(again.join("base/parameters.yml")).unwrap(),
            "count: 1\n"
        );
        assert_eq!(existing(&run_dir), Some(first));
    }

    #[test]
    fn a_snapshot_leaves_credentials_out_and_names_where_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("conf");
        std::fs::create_dir_all(conf.join("local/credentials")).unwrap();
        std::fs::write(conf.join("local/credentials.yml"), "db: {password: x}\n").unwrap();
        std::fs::write(conf.join("local/credentials/more.yml"), "api: {token: y}\n").unwrap();
        std::fs::write(conf.join("local/catalog.yml"), "{}\n").unwrap();
        let copy = take(&conf, &dir.path().join("runs/r1")).unwrap();
        assert!(copy.join("local/catalog.yml").is_file());
        assert!(!copy.join("local/credentials.yml").exists());
        assert!(!copy.join("local/credentials").exists());
        assert_eq!(
            credentials_source(&copy),
            Some(std::fs::canonicalize(&conf).unwrap())
        );
        assert_eq!(credentials_source(&conf), None);
    }
}
