//! A save killed half-way leaves the previous file whole.
//!
//! The test re-runs this test binary as a child process that starts a slow save through the
//! catalog, then kills it mid-write with SIGKILL: no handler, no cleanup, as when a machine
//! or an orchestrator stops a step.

use kedrust_catalog::{CatalogBuilder, Dataset, DatasetError, DatasetType, FileTarget, Holds};
use kedrust_catalog::{Registry, expect_ref};
use kedrust_config::ConfigLoader;
use kedrust_pipeline::{TypeTag, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "KEDRUST_SLOW_SAVE_ROOT";

/// A text dataset whose save writes one chunk, says so, and then takes its time.
#[derive(Debug)]
struct SlowText {
    target: FileTarget,
    started: PathBuf,
}

impl Dataset for SlowText {
    fn load(&self) -> Result<Value, DatasetError> {
        let (_, bytes) = self.target.read()?;
        Ok(Value::new(String::from_utf8(bytes).unwrap()))
    }
    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let text = expect_ref::<String>(&value)?;
        self.target.write(|out| {
            out.write_all(&text.as_bytes()[..text.len() / 2])?;
            out.flush()?;
            std::fs::write(&self.started, b"half written")?;
            std::thread::sleep(Duration::from_secs(60));
            out.write_all(&text.as_bytes()[text.len() / 2..])?;
            Ok(())
        })
    }
    fn exists(&self) -> Result<bool, DatasetError> {
        self.target.exists()
    }
}

fn catalog(root: &Path) -> kedrust_catalog::Catalog {
    let mut registry = Registry::with_builtins();
    let started = root.join("started");
    registry.register(DatasetType::new(
        "slow.TextDataset",
        Holds::Fixed(TypeTag::of::<String>()),
        &["filepath"],
        move |spec| {
            Ok(Arc::new(SlowText {
                target: FileTarget::new(spec.path("filepath")?, None),
                started: started.clone(),
            }))
        },
    ));
    let conf = root.join("conf");
    std::fs::create_dir_all(conf.join("base")).unwrap();
    std::fs::write(
        conf.join("base/catalog.yml"),
        "report:\n  type: slow.TextDataset\n  filepath: data/report.txt\n",
    )
    .unwrap();
    CatalogBuilder::new(registry)
        .config(ConfigLoader::new(&conf, "local").load("catalog").unwrap())
        .root(root)
        .build()
        .unwrap()
}

/// The child's side, run only by the test below (`--ignored`): it never passes on its own.
#[test]
#[ignore = "the child process of a_killed_save_leaves_the_old_file_intact"]
fn slow_save_child() {
    let root =
        std::env::var(CHILD_ENV).expect("started by a_killed_save_leaves_the_old_file_intact");
    let c = catalog(Path::new(&root));
    c.save("report", Value::new("new ".repeat(100_000)))
        .unwrap();
}

#[test]
fn a_killed_save_leaves_the_old_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let target = root.join("data/report.txt");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, "the old report").unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "atomic_saves::slow_save_child",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !root.join("started").exists() {
        assert!(
            Instant::now() < deadline,
            "the child never started its save"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(std::fs::read_to_string(&target).unwrap(), "the old report");
    let leftovers: Vec<String> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "report.txt")
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    assert!(
        leftovers[0].starts_with(".report.txt.") && leftovers[0].ends_with(".tmp"),
        "the half-written bytes sit in a hidden temporary file: {leftovers:?}"
    );
    let c = catalog(root);
    assert_eq!(
        c.load("report").unwrap().downcast_ref::<String>().unwrap(),
        "the old report"
    );
    // The next save of the dataset removes what the killed one left.
    kedrust_catalog::write_bytes(&target, b"the new report").unwrap();
    assert_eq!(
        std::fs::read_dir(target.parent().unwrap()).unwrap().count(),
        1,
        "only report.txt remains"
    );
}

#[test]
fn a_failed_write_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.txt");
    std::fs::write(&target, "before").unwrap();
    let err = kedrust_catalog::write_file(&target, |out| {
        out.write_all(b"partial")?;
        Err("encoder failed".into())
    })
    .unwrap_err();
    assert!(
        err.to_string().ends_with("out.txt: encoder failed"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "before");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
