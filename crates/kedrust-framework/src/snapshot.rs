//! One snapshot of the configuration per run: the first process of a run copies the
//! configuration folder into the run's folder, and every later process of the run (a step of
//! the process runner, a Dagster op) reads that copy. Editing `conf/` while a run is in flight
//! changes the next run, never the rest of this one.
//!
//! Credentials are left out of the copy (files and folders named `credentials*`): the run
//! folder may sit on a volume other steps share, and secrets stay where they live. The copy
//! names the folder they are read from instead: on another host, that host's own.
//!
//! A run folder on object storage holds the copy's files under `conf/<copy>/` and, written
//! last and only once (a conditional write), `conf/current`, the list that makes a copy the
//! run's: of processes racing to take the snapshot, the one whose list lands first wins and
//! the others read its copy. Each host reads the files into its own run folder once.

use kedrust_runner::StatePath;
use std::io;
use std::path::{Path, PathBuf};

/// The file of a snapshot that names the configuration folder its credentials are read from.
const CREDENTIALS_SOURCE: &str = ".credentials-source";

/// The list of a snapshot's files on object storage, written after them.
const SHARED_LIST: &str = "conf/current";

/// The folder a snapshot's credentials are read from, when `conf` is a snapshot.
pub(crate) fn credentials_source(conf: &Path) -> Option<PathBuf> {
    std::fs::read_to_string(conf.join(CREDENTIALS_SOURCE))
        .ok()
        .map(PathBuf::from)
}

/// Where a run's snapshot lives in a local run folder.
fn snapshot_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("conf")
}

/// The run's snapshot of `conf`, taken now unless another process of the run took it first,
/// as a local folder. `own` is this host's run folder, where a copy of a snapshot on object
/// storage is kept.
pub(crate) fn take(conf: &Path, run: &StatePath, own: &Path) -> io::Result<PathBuf> {
    if let Some(run_dir) = run.local() {
        return copy_into(conf, &snapshot_dir(run_dir));
    }
    if let Some(found) = existing(conf, run, own)? {
        return Ok(found);
    }
    let name = unique_name();
    let copy = copy_into(conf, &own.join(format!("conf-{name}")))?;
    if share(&copy, &name, run)? {
        return Ok(copy);
    }
    // Another process's copy became the run's first: every process reads that one.
    std::fs::remove_dir_all(&copy)?;
    existing(conf, run, own)?.ok_or_else(|| io::Error::other("the run's snapshot list is gone"))
}

/// The run's snapshot, if one was taken (read from object storage into `own` on first use).
pub(crate) fn existing(conf: &Path, run: &StatePath, own: &Path) -> io::Result<Option<PathBuf>> {
    if let Some(run_dir) = run.local() {
        return Ok(Some(snapshot_dir(run_dir)).filter(|d| d.is_dir()));
    }
    let Some(list) = run.join(SHARED_LIST).read().map_err(io::Error::other)? else {
        return Ok(None);
    };
    let list: SharedCopy = serde_json::from_slice(&list).map_err(io::Error::other)?;
    let local = own.join(format!("conf-{}", list.copy));
    if local.is_dir() {
        return Ok(Some(local));
    }
    let partial = partial_dir(own);
    std::fs::create_dir_all(&partial)?;
    for file in &list.files {
        // Only names inside the snapshot: the list comes from a shared bucket.
        if !is_plain(file) {
            return Err(io::Error::other(format!(
                "the snapshot's list names '{file}', which is not a file inside it"
            )));
        }
        let bytes = run
            .join(&format!("conf/{}/{file}", list.copy))
            .read()
            .map_err(io::Error::other)?
            .ok_or_else(|| io::Error::other(format!("the snapshot's {file} is missing")))?;
        let target = partial.join(file);
        std::fs::create_dir_all(target.parent().unwrap_or(&partial))?;
        std::fs::write(target, bytes)?;
    }
    mark_credentials_source(conf, &partial)?;
    place(partial, &local).map(Some)
}

/// A relative path of plain names (no `..`, no root).
fn is_plain(file: &str) -> bool {
    !file.is_empty()
        && Path::new(file)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// A snapshot on object storage: its copy's name and files.
#[derive(serde::Serialize, serde::Deserialize)]
struct SharedCopy {
    copy: String,
    files: Vec<String>,
}

/// Puts the local snapshot `copy` on object storage in `run` as copy `name`, its list last;
/// whether it became the run's (the list is written only if no other process wrote one).
fn share(copy: &Path, name: &str, run: &StatePath) -> io::Result<bool> {
    let files: Vec<String> = StatePath::Local(copy.to_owned())
        .files()
        .map_err(io::Error::other)?
        .into_iter()
        .filter(|f| f != CREDENTIALS_SOURCE)
        .collect();
    for file in &files {
        run.join(&format!("conf/{name}/{file}"))
            .write(&std::fs::read(copy.join(file))?)
            .map_err(io::Error::other)?;
    }
    let list = SharedCopy {
        copy: name.to_owned(),
        files,
    };
    let list = serde_json::to_vec(&list).map_err(io::Error::other)?;
    run.join(SHARED_LIST)
        .write_new(&list)
        .map_err(io::Error::other)
}

/// A name no other process of the run uses (processes in other containers may share an id).
fn unique_name() -> String {
    format!("{}-{}", std::process::id(), kedrust_store::now_ns())
}

fn partial_dir(run_dir: &Path) -> PathBuf {
    run_dir.join(format!(".conf-{}", unique_name()))
}

/// Copies `conf` to `target` (credentials left out), unless a copy is there.
fn copy_into(conf: &Path, target: &Path) -> io::Result<PathBuf> {
    if target.is_dir() {
        return Ok(target.to_owned());
    }
    let parent = target.parent().unwrap_or(target);
    std::fs::create_dir_all(parent)?;
    let partial = partial_dir(parent);
    copy_tree(conf, &partial)?;
    mark_credentials_source(conf, &partial)?;
    place(partial, target)
}

/// Names `conf` (this host's configuration folder) as where the snapshot's credentials are.
fn mark_credentials_source(conf: &Path, snapshot: &Path) -> io::Result<()> {
    let original = std::fs::canonicalize(conf)?;
    std::fs::write(
        snapshot.join(CREDENTIALS_SOURCE),
        original.to_string_lossy().as_bytes(),
    )
}

/// Renames the finished copy `partial` to `target`; several processes may race, and one
/// rename wins.
fn place(partial: PathBuf, target: &Path) -> io::Result<PathBuf> {
    match std::fs::rename(&partial, target) {
        Ok(()) => Ok(target.to_owned()),
        // Another process of the run renamed its copy first: theirs is the run's.
        Err(_) if target.is_dir() => {
            std::fs::remove_dir_all(&partial)?;
            Ok(target.to_owned())
        }
        Err(e) => Err(e),
    }
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

    fn project(dir: &Path) -> PathBuf {
        let conf = dir.join("conf");
        std::fs::create_dir_all(conf.join("base")).unwrap();
        std::fs::write(conf.join("base/parameters.yml"), "count: 1\n").unwrap();
        conf
    }

    #[test]
    fn the_first_snapshot_of_a_run_is_the_one_every_process_reads() {
        let dir = tempfile::tempdir().unwrap();
        let conf = project(dir.path());
        let run_dir = dir.path().join("runs/r1");
        let run = StatePath::Local(run_dir.clone());
        assert_eq!(existing(&conf, &run, &run_dir).unwrap(), None);
        let first = take(&conf, &run, &run_dir).unwrap();
        std::fs::write(conf.join("base/parameters.yml"), "count: 2\n").unwrap();
        let again = take(&conf, &run, &run_dir).unwrap();
        assert_eq!(first, again);
        assert_eq!(
            std::fs::read_to_string(again.join("base/parameters.yml")).unwrap(),
            "count: 1\n"
        );
        assert_eq!(existing(&conf, &run, &run_dir).unwrap(), Some(first));
    }

    #[test]
    fn a_snapshot_leaves_credentials_out_and_names_where_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("conf");
        std::fs::create_dir_all(conf.join("local/credentials")).unwrap();
        std::fs::write(conf.join("local/credentials.yml"), "db: {password: x}\n").unwrap();
        std::fs::write(conf.join("local/credentials/more.yml"), "api: {token: y}\n").unwrap();
        std::fs::write(conf.join("local/catalog.yml"), "{}\n").unwrap();
        let run_dir = dir.path().join("runs/r1");
        let copy = take(&conf, &StatePath::Local(run_dir.clone()), &run_dir).unwrap();
        assert!(copy.join("local/catalog.yml").is_file());
        assert!(!copy.join("local/credentials.yml").exists());
        assert!(!copy.join("local/credentials").exists());
        assert_eq!(
            credentials_source(&copy),
            Some(std::fs::canonicalize(&conf).unwrap())
        );
        assert_eq!(credentials_source(&conf), None);
    }

    /// Two hosts, each with its own project copy and run folder, share a run folder on object
    /// storage (here `file://`, which goes through the same object-store code as `s3://`).
    #[test]
    fn a_snapshot_on_object_storage_is_the_first_hosts_and_each_host_reads_its_own_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let (first_host, second_host) = (dir.path().join("a"), dir.path().join("b"));
        let (first_conf, second_conf) = (project(&first_host), project(&second_host));
        std::fs::write(second_conf.join("base/parameters.yml"), "count: 2\n").unwrap();
        let url = format!("file://{}/shared/runs/r1", dir.path().display());
        let run = StatePath::parse(url.as_ref()).unwrap();
        let first_own = first_host.join(".kedrust/runs/r1");
        let second_own = second_host.join(".kedrust/runs/r1");
        assert_eq!(existing(&second_conf, &run, &second_own).unwrap(), None);

        let taken = take(&first_conf, &run, &first_own).unwrap();
        let read = take(&second_conf, &run, &second_own).unwrap();
        assert!(read.starts_with(&second_own), "{}", read.display());
        for copy in [&taken, &read] {
            assert_eq!(
                std::fs::read_to_string(copy.join("base/parameters.yml")).unwrap(),
                "count: 1\n",
                "the first host's configuration is the run's"
            );
        }
        assert_eq!(
            credentials_source(&read),
            Some(std::fs::canonicalize(&second_conf).unwrap())
        );
    }

    /// Hosts that take the snapshot at the same moment (the first ops of an asset job) all
    /// end up reading one copy, the first whose list landed.
    #[test]
    fn hosts_racing_for_the_snapshot_on_object_storage_read_one_copy() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}/shared/runs/r1", dir.path().display());
        let run = StatePath::parse(url.as_ref()).unwrap();
        let hosts: Vec<(PathBuf, PathBuf)> = (0..4)
            .map(|i| {
                let host = dir.path().join(format!("host{i}"));
                let conf = project(&host);
                std::fs::write(conf.join("base/parameters.yml"), format!("count: {i}\n")).unwrap();
                (conf, host.join(".kedrust/runs/r1"))
            })
            .collect();
        let read: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = hosts
                .iter()
                .map(|(conf, own)| {
                    let run = &run;
                    s.spawn(move || {
                        let copy = take(conf, run, own).unwrap();
                        std::fs::read_to_string(copy.join("base/parameters.yml")).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(read.iter().all(|r| *r == read[0]), "{read:?}");
    }

    #[test]
    fn a_snapshot_list_naming_a_file_outside_the_snapshot_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let conf = project(dir.path());
        let url = format!("file://{}/shared/runs/r1", dir.path().display());
        let run = StatePath::parse(url.as_ref()).unwrap();
        run.join(SHARED_LIST)
            .write(br#"{"copy": "c", "files": ["../../../escaped"]}"#)
            .unwrap();
        let error = existing(&conf, &run, &dir.path().join("own")).unwrap_err();
        assert!(
            error.to_string().contains("not a file inside it"),
            "{error}"
        );
        assert!(!dir.path().join("escaped").exists());
    }
}
