//! What `kedrust new` and `kedrust pipeline create` write. Every file is a template here,
//! with `{{name}}`-style holes; nothing is fetched.

use std::path::{Path, PathBuf};

/// Kedro's data layers, each kept in git by an empty `.gitkeep`.
const DATA_LAYERS: [&str; 8] = [
    "01_raw",
    "02_intermediate",
    "03_primary",
    "04_feature",
    "05_model_input",
    "06_models",
    "07_model_output",
    "08_reporting",
];

const CARGO_TOML: &str = r#"[package]
name = "{{name}}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
kedrust = { path = "{{kedrust}}" }
serde = { version = "1", features = ["derive"] }
serde_json = "1"

# A project of its own, even when its folder sits inside another Cargo workspace.
[workspace]
"#;

const MAIN_RS: &str = r#"//! The {{name}} project: its pipelines, hooks and dataset types, then kedrust's command line
//! (`cargo run -- run`, `cargo run -- pipeline list`, `cargo run -- --help`).

mod pipelines;

use kedrust::prelude::*;
use std::process::ExitCode;

fn main() -> ExitCode {
    let project = Project::new("{{name}}")
        .root(env!("CARGO_MANIFEST_DIR"))
        .pipeline("greeting", pipelines::greeting::create_pipeline);
    kedrust::cli::main(project)
}
"#;

const GREETING_RS: &str = r#"//! `greeting`: one node that greets every name of `names` with the configured word.

use kedrust::prelude::*;
use serde::Deserialize;

/// `params:greeting`, from `conf/base/parameters_greeting.yml`.
#[derive(Debug, Deserialize)]
pub struct Greeting {
    /// The word to greet with.
    pub word: String,
}

/// One line per non-empty name.
pub fn greet(names: String, greeting: Param<Greeting>) -> String {
    names
        .lines()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| format!("{}, {n}!\n", greeting.word))
        .collect()
}

/// The pipeline, registered in `main.rs`.
pub fn create_pipeline() -> Result<Pipeline, PipelineError> {
    Pipeline::new([node(greet, ["names", "params:greeting"], "greetings").name("greet_node")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_greeted() {
        let pipeline = create_pipeline().unwrap();
        let out = InMemory::new(&pipeline)
            .input("names", "Ada\n\nGrace\n".to_string())
            .parameters(serde_json::json!({"greeting": {"word": "Hi"}}))
            .run()
            .unwrap();
        assert_eq!(out.get::<String>("greetings").unwrap(), "Hi, Ada!\nHi, Grace!\n");
    }
}
"#;

const CATALOG_YML: &str = r#"# The data catalog: every dataset a node reads or writes that is not in memory.
names:
  type: text.TextDataset
  filepath: data/01_raw/names.txt

greetings:
  type: text.TextDataset
  filepath: data/08_reporting/greetings.txt
"#;

const GITIGNORE: &str = r#"/target
# Local configuration and credentials stay on this machine.
conf/local/**
!conf/local/.gitkeep
# Data is not code: keep the folders, not their content.
data/**
!data/**/
!data/**/.gitkeep
# kedrust's run store and run folders.
.kedrust/
"#;

const README_MD: &str = r#"# {{name}}

A [kedrust](https://example.invalid/kedrust) project, in Kedro's layout:

| path | what |
|---|---|
| `src/main.rs` | the project: pipelines, hooks, dataset types |
| `src/pipelines/` | one module per pipeline, each with its unit tests |
| `conf/base/` | the catalog and parameters every environment shares |
| `conf/local/` | this machine's settings and `credentials.yml` (not committed) |
| `data/01_raw` ... `data/08_reporting` | Kedro's data layers |

```sh
cargo run -- run                        # run the __default__ pipeline
cargo test                              # the pipelines' unit tests
kedrust pipeline create data_processing # a new pipeline module and its parameters file
```
"#;

/// The project `name`, written into `path` (default `./<name>`), depending on the kedrust at
/// `kedrust`; what to tell the user.
pub fn new_project(name: &str, path: Option<&Path>, kedrust: &Path) -> Result<String, String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(format!(
            "'{name}' is not a crate name: start with a letter, then letters, digits, '_' or '-'"
        ));
    }
    let root = path.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
    if root.exists()
        && std::fs::read_dir(&root)
            .map_err(|e| e.to_string())?
            .next()
            .is_some()
    {
        return Err(format!("{} exists and is not empty", root.display()));
    }
    let kedrust = std::fs::canonicalize(kedrust).map_err(|e| {
        format!(
            "kedrust is not at {}: {e} (give --kedrust)",
            kedrust.display()
        )
    })?;
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{kedrust}}", &kedrust.display().to_string())
    };
    let mut files: Vec<(PathBuf, String)> = vec![
        ("Cargo.toml".into(), fill(CARGO_TOML)),
        ("src/main.rs".into(), fill(MAIN_RS)),
        (
            "src/pipelines/mod.rs".into(),
            "//! One module per pipeline.\n\npub mod greeting;\n".into(),
        ),
        ("src/pipelines/greeting.rs".into(), GREETING_RS.into()),
        ("conf/base/catalog.yml".into(), CATALOG_YML.into()),
        (
            "conf/base/parameters_greeting.yml".into(),
            "greeting:\n  word: Hello\n".into(),
        ),
        (
            "conf/local/credentials.yml".into(),
            "# Secrets for this machine only: this folder is not committed.\n{}\n".into(),
        ),
        ("conf/local/.gitkeep".into(), String::new()),
        ("data/01_raw/names.txt".into(), "Ada\nGrace\n".into()),
        (".gitignore".into(), GITIGNORE.into()),
        ("README.md".into(), fill(README_MD)),
    ];
    for layer in DATA_LAYERS {
        files.push((
            PathBuf::from("data").join(layer).join(".gitkeep"),
            String::new(),
        ));
    }
    write_all(&root, &files)?;
    Ok(format!(
        "wrote the project {name} in {}\nnext: cd {} && cargo run -- run\n",
        root.display(),
        root.display()
    ))
}

/// Adds pipeline `name` to the project in `root`: its module, its parameters file and its
/// `mod` line; what to tell the user (the one line to add to `main.rs`).
pub fn create_pipeline(root: &Path, name: &str) -> Result<String, String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(format!(
            "'{name}' is not a pipeline module name: lowercase letters, digits and '_', starting with a letter"
        ));
    }
    let modules = root.join("src/pipelines/mod.rs");
    let listed = std::fs::read_to_string(&modules).map_err(|_| {
        format!(
            "{} has no src/pipelines/mod.rs: run this in a project `kedrust new` wrote",
            root.display()
        )
    })?;
    let module = root.join(format!("src/pipelines/{name}.rs"));
    if module.exists() {
        return Err(format!("{} exists already", module.display()));
    }
    let text = format!(
        "//! `{name}`.\n\nuse kedrust::prelude::*;\n\n/// The pipeline, registered in `main.rs`.\n\
         pub fn create_pipeline() -> Result<Pipeline, PipelineError> {{\n    \
         // one node(function, inputs, outputs).name(\"...\") per step\n    \
         Pipeline::new(Vec::<Node>::new())\n}}\n"
    );
    let parameters = format!("# Parameters of the {name} pipeline, read as params:<key>.\n{{}}\n");
    write_all(
        root,
        &[
            (PathBuf::from(format!("src/pipelines/{name}.rs")), text),
            (
                PathBuf::from(format!("conf/base/parameters_{name}.yml")),
                parameters,
            ),
            (
                PathBuf::from("src/pipelines/mod.rs"),
                format!("{}pub mod {name};\n", listed),
            ),
        ],
    )?;
    Ok(format!(
        "wrote src/pipelines/{name}.rs and conf/base/parameters_{name}.yml\n\
         register it in src/main.rs: .pipeline(\"{name}\", pipelines::{name}::create_pipeline)\n"
    ))
}

fn write_all(root: &Path, files: &[(PathBuf, String)]) -> Result<(), String> {
    for (path, text) in files {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
