//! `kedrust new` writes a project that builds, runs and passes its own test at once, and
//! `kedrust pipeline create` adds a pipeline it can register. The project is built with
//! cargo, against this repository's kedrust and the versions of its `Cargo.lock`.

use std::path::Path;
use std::process::Command;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn kedrust(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kedrust"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// `cargo <args>` in the project, with a target folder of its own beside the workspace's
/// (kept between runs, so only the first run compiles kedrust's dependencies).
fn cargo(project: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(project)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(WORKSPACE).join("target/scaffolded"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_new_project_builds_runs_and_tests_and_takes_a_new_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let kedrust_crate = Path::new(WORKSPACE).join("crates/kedrust");
    let out = kedrust(
        dir.path(),
        &["new", "shop", "--kedrust", kedrust_crate.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    let project = dir.path().join("shop");
    for file in [
        "Cargo.toml",
        "src/main.rs",
        "src/pipelines/greeting.rs",
        "conf/base/catalog.yml",
        "conf/base/parameters_greeting.yml",
        "conf/local/credentials.yml",
        "data/08_reporting/.gitkeep",
        ".gitignore",
        "README.md",
    ] {
        assert!(project.join(file).is_file(), "{file}");
    }
    // The versions this repository is tested with.
    std::fs::copy(
        Path::new(WORKSPACE).join("Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    let out = cargo(&project, &["run", "-q", "--", "run"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(project.join("data/08_reporting/greetings.txt")).unwrap(),
        "Hello, Ada!\nHello, Grace!\n"
    );
    let out = cargo(&project, &["test", "-q"]);
    assert!(out.status.success(), "{}", text(&out));

    // A second pipeline, registered with the line the command gives.
    let out = kedrust(&project, &["pipeline", "create", "reporting"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = said
        .lines()
        .find_map(|l| l.strip_prefix("register it in src/main.rs: "))
        .unwrap();
    let main = std::fs::read_to_string(project.join("src/main.rs")).unwrap();
    let main = main.replace(
        ".pipeline(\"greeting\", pipelines::greeting::create_pipeline)",
        &format!(".pipeline(\"greeting\", pipelines::greeting::create_pipeline)\n        {line}"),
    );
    std::fs::write(project.join("src/main.rs"), main).unwrap();
    let out = cargo(&project, &["run", "-q", "--", "pipeline", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "- __default__\n- greeting\n- reporting\n"
    );
    // Mistakes say what to do.
    let again = kedrust(&project, &["pipeline", "create", "reporting"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).contains("exists already"), "{}", text(&again));
    let taken = kedrust(dir.path(), &["new", "shop"]);
    assert_eq!(taken.status.code(), Some(2));
    assert!(
        text(&taken).contains("exists and is not empty"),
        "{}",
        text(&taken)
    );
    let bad = kedrust(dir.path(), &["new", "9lives"]);
    assert!(text(&bad).contains("is not a crate name"), "{}", text(&bad));
}
