//! Saves that cannot be redirected, and what a crash at any point of a save leaves behind.
//!
//! A killed writer is stood in for by a process id that has exited: the leftovers below are
//! exactly the files and folders a save makes, named as it names them.

use crate::{project, scratch};
use kedrust_catalog::{PartitionMap, write_bytes};
use kedrust_pipeline::Value;
use serde_json::json;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

/// The id of a process that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_symlink_planted_where_a_temporary_file_would_go_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    // The names the first version used: process id and a counter.
    let pid = std::process::id();
    for n in 0..16 {
        symlink(&victim, dir.path().join(format!(".out.txt.{pid}.{n}.tmp"))).unwrap();
    }
    write_bytes(&dir.path().join("out.txt"), b"new").unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        "new"
    );
}

#[test]
fn a_target_that_is_a_symlink_is_written_through_and_keeps_its_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("shared/real.txt");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.txt");
    symlink("shared/real.txt", &link).unwrap();

    write_bytes(&link, b"new").unwrap();

    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    assert_eq!(mode(&real), 0o640, "a replaced file keeps its mode");
    assert_eq!(names(real.parent().unwrap()), ["real.txt"]);
}

#[test]
fn a_new_file_gets_the_mode_any_new_file_gets() {
    let dir = tempfile::tempdir().unwrap();
    write_bytes(&dir.path().join("ours.txt"), b"x").unwrap();
    std::fs::write(dir.path().join("plain.txt"), b"x").unwrap();
    assert_eq!(
        mode(&dir.path().join("ours.txt")),
        mode(&dir.path().join("plain.txt")),
        "0666 less the umask, not a temporary file's 0600"
    );
}

#[test]
fn the_next_save_removes_temporary_files_of_writers_that_are_gone() {
    let dir = tempfile::tempdir().unwrap();
    let dead = format!(".out.txt.{}.aB3xYz.tmp", dead_pid());
    let live = format!(".out.txt.{}.q1w2e3.tmp", std::process::id());
    let other = format!(".out.txt.5.{}.zz.tmp", dead_pid());
    for name in [&dead, &live, &other] {
        std::fs::write(dir.path().join(name), "half").unwrap();
    }
    write_bytes(&dir.path().join("out.txt"), b"whole").unwrap();
    let mut expected = vec![other.clone(), live.clone(), "out.txt".to_owned()];
    expected.sort();
    assert_eq!(
        names(dir.path()),
        expected,
        "a running writer's file and another dataset's (out.txt.5) stay"
    );
}

/// The partitioned dataset `report_parts` of the fixture project, its folder and its swap
/// folders for writer `pid`.
struct Parts {
    dir: tempfile::TempDir,
}

impl Parts {
    fn new(first: &[(&str, i64)]) -> Self {
        let parts = Self { dir: scratch() };
        parts.save(first);
        parts
    }
    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("data/08_reporting/parts")
    }
    fn swap(&self, kind: &str, pid: u32) -> std::path::PathBuf {
        self.dir
            .path()
            .join(format!("data/08_reporting/.parts.{kind}.{pid}"))
    }
    fn save(&self, items: &[(&str, i64)]) {
        let mut map = PartitionMap::new();
        for (id, n) in items {
            map.insert(*id, json!(n));
        }
        project(self.dir.path())
            .save("report_parts", Value::new(map))
            .unwrap();
    }
    /// A complete new folder, as a save leaves it before its renames.
    fn complete_new(&self, pid: u32, items: &[(&str, i64)]) -> std::path::PathBuf {
        let fresh = self.swap("new", pid);
        std::fs::create_dir_all(&fresh).unwrap();
        for (id, n) in items {
            std::fs::write(fresh.join(format!("{id}.json")), n.to_string()).unwrap();
        }
        std::fs::write(fresh.join(".complete"), "").unwrap();
        fresh
    }
    fn loaded(&self) -> Vec<(String, i64)> {
        let map = project(self.dir.path())
            .load("report_parts")
            .unwrap()
            .take::<PartitionMap>()
            .unwrap();
        map.ids()
            .map(|id| {
                let v: serde_json::Value = map.load(id).unwrap();
                (id.to_owned(), v.as_i64().unwrap())
            })
            .collect()
    }
    fn reporting(&self) -> Vec<String> {
        names(&self.dir.path().join("data/08_reporting"))
    }
}

fn pairs(items: &[(&str, i64)]) -> Vec<(String, i64)> {
    items.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

const OLD: &[(&str, i64)] = &[("a", 1), ("b", 2)];
const NEW: &[(&str, i64)] = &[("c", 3)];

#[test]
fn a_crash_while_writing_new_partitions_keeps_the_old_ones() {
    let parts = Parts::new(OLD);
    let fresh = parts.swap("new", dead_pid());
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::write(fresh.join("c.json"), "3").unwrap();
    assert_eq!(parts.loaded(), pairs(OLD));
    assert!(!fresh.exists(), "the unfinished folder is removed");
}

#[test]
fn a_crash_before_the_swap_keeps_the_old_partitions() {
    let parts = Parts::new(OLD);
    let fresh = parts.complete_new(dead_pid(), NEW);
    assert_eq!(parts.loaded(), pairs(OLD));
    assert!(!fresh.exists());
}

#[test]
fn a_crash_between_the_two_renames_brings_in_the_new_partitions() {
    let parts = Parts::new(OLD);
    let pid = dead_pid();
    parts.complete_new(pid, NEW);
    std::fs::rename(parts.path(), parts.swap("old", pid)).unwrap();
    assert_eq!(parts.loaded(), pairs(NEW));
    assert_eq!(parts.reporting(), ["parts"]);
    assert_eq!(
        names(&parts.path()),
        ["c.json"],
        "the completion mark is gone too"
    );
}

#[test]
fn a_crash_after_moving_the_old_folder_away_without_new_partitions_brings_it_back() {
    let parts = Parts::new(OLD);
    std::fs::rename(parts.path(), parts.swap("old", dead_pid())).unwrap();
    assert_eq!(parts.loaded(), pairs(OLD));
    assert_eq!(parts.reporting(), ["parts"]);
}

#[test]
fn a_crash_after_the_swap_keeps_the_new_partitions_and_removes_the_old() {
    let parts = Parts::new(OLD);
    let pid = dead_pid();
    std::fs::rename(parts.path(), parts.swap("old", pid)).unwrap();
    std::fs::rename(parts.complete_new(pid, NEW), parts.path()).unwrap();
    // Recovered by a save as well as by a load.
    parts.save(&[("d", 4)]);
    assert_eq!(parts.loaded(), pairs(&[("d", 4)]));
    assert_eq!(parts.reporting(), ["parts"]);
}

#[test]
fn the_swap_of_a_running_writer_is_left_alone() {
    let parts = Parts::new(OLD);
    let fresh = parts.swap("new", std::process::id());
    std::fs::create_dir_all(&fresh).unwrap();
    assert_eq!(parts.loaded(), pairs(OLD));
    assert!(fresh.exists());
}

#[test]
fn partition_ids_with_a_hidden_part_are_refused() {
    let parts = Parts::new(OLD);
    for id in [".hidden", "north/.secret"] {
        let mut map = PartitionMap::new();
        map.insert(id, json!(1));
        let err = project(parts.dir.path())
            .save("report_parts", Value::new(map))
            .unwrap_err();
        assert!(err.to_string().contains("starting with '.'"), "{err}");
    }
    assert_eq!(parts.loaded(), pairs(OLD));
}
