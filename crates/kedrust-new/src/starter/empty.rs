//! The `empty` starter: the smallest project that runs, one pipeline of one node (it greets
//! the names of `data/01_raw/names.txt`) with its unit test.

use super::Holes;
use std::path::PathBuf;

const CARGO_TOML: &str = r#"[package]
name = "{{name}}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
kedrust = { {{kedrust}} }
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

/// Its files.
pub fn files(holes: &Holes<'_>) -> Vec<(PathBuf, String)> {
    vec![
        ("Cargo.toml".into(), holes.fill(CARGO_TOML)),
        ("src/main.rs".into(), holes.fill(MAIN_RS)),
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
        ("data/01_raw/names.txt".into(), "Ada\nGrace\n".into()),
        ("README.md".into(), holes.fill(README_MD)),
    ]
}
