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

/// `cargo <args>` in the project. Its target folder is the workspace's: with the versions of
/// the workspace's `Cargo.lock` and the same profile, the dependencies the workspace has
/// compiled (Polars among them) are reused, and only kedrust's crates and the project are
/// compiled again.
fn cargo(project: &Path, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO"));
    // As from a shell: the variables cargo and the test runner set for this test (the
    // package's, the runner's) would make build scripts that watch them run again and
    // rebuild shared dependencies in place.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let tooling = [
            "CARGO",
            "RUSTC",
            "RUSTDOC",
            "NEXTEST",
            "__CARGO",
            "RUSTFLAGS",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix));
        // Kept: where crates are, and whether the workspace's build was incremental (CI's is
        // not), which would otherwise rebuild kedrust's crates in place.
        if tooling && name != "CARGO_HOME" && name != "CARGO_INCREMENTAL" {
            command.env_remove(name.as_ref());
        }
    }
    command
        .args(args)
        .current_dir(project)
        .env("CARGO_TARGET_DIR", Path::new(WORKSPACE).join("target"))
        .output()
        .unwrap()
}

/// `kedrust new <name> --starter <starter>` in `dir`, against this repository's kedrust and the
/// versions of its `Cargo.lock`; the project's folder.
fn new_project(dir: &Path, name: &str, starter: &str) -> std::path::PathBuf {
    let kedrust_crate = Path::new(WORKSPACE).join("crates/kedrust");
    let out = kedrust(
        dir,
        &[
            "new",
            name,
            "--starter",
            starter,
            "--kedrust",
            kedrust_crate.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let project = dir.join(name);
    std::fs::copy(
        Path::new(WORKSPACE).join("Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .unwrap();
    project
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
    let project = new_project(dir.path(), "shop", "empty");
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
    assert!(
        !project.join("notebooks").exists(),
        "Kedro's notebooks are left out"
    );
    // The README shows this Cargo.toml, the path to kedrust aside.
    let readme = std::fs::read_to_string(Path::new(WORKSPACE).join("README.md")).unwrap();
    let shown = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let written = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    let lines = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("kedrust ="))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(lines(shown), lines(&written));
    // What git keeps of it: every data layer and the sample input, not the local credentials.
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&project)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    let kept = git(&["ls-files", "--others", "--exclude-standard"]);
    let kept: Vec<&str> = kept.lines().collect();
    for file in [
        "data/01_raw/names.txt",
        "data/01_raw/.gitkeep",
        "data/05_model_input/.gitkeep",
        "data/08_reporting/.gitkeep",
        "conf/local/.gitkeep",
    ] {
        assert!(kept.contains(&file), "{file} in {kept:?}");
    }
    assert!(!kept.contains(&"conf/local/credentials.yml"), "{kept:?}");
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
    assert!(project.join("conf/base/parameters_reporting.yml").is_file());
    assert!(project.join("src/pipelines/reporting.rs").is_file());
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

#[test]
fn a_new_project_from_the_spaceflights_starter_generates_its_data_runs_and_tests() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_project(dir.path(), "rocket-works", "spaceflights");
    // The example's own sources and configuration, every file of them.
    let example = Path::new(WORKSPACE).join("examples/spaceflights");
    for folder in ["src", "conf/base"] {
        for entry in std::fs::read_dir(example.join(folder)).unwrap() {
            let name = entry.unwrap().file_name();
            let file = Path::new(folder).join(&name);
            assert!(project.join(&file).exists(), "{}", file.display());
        }
    }
    let main = std::fs::read_to_string(project.join("src/main.rs")).unwrap();
    assert!(main.contains("Project::new(\"rocket-works\")"), "{main}");
    assert!(main.contains("rocket_works::generate::write"), "{main}");
    let out = cargo(&project, &["run", "-q", "--", "generate", "2000"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = cargo(&project, &["run", "-q", "--", "run"]);
    assert!(out.status.success(), "{}", text(&out));
    let metrics: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.join("data/08_reporting/metrics.json")).unwrap(),
    )
    .unwrap();
    let r2 = metrics["r2_score"].as_f64().unwrap();
    assert!(r2 > 0.9, "the generated relation is recovered: {metrics}");
    let out = cargo(&project, &["test"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("the_starters_text_columns_are_cleaned_as_kedro_cleans_them ... ok"),
        "the pipelines' unit tests ran: {}",
        text(&out)
    );
}
