//! The `spaceflights` starter: the repository's spaceflights example, whose sources and
//! configuration live here (`starters/spaceflights/`; `examples/spaceflights` links to them),
//! so that the example CI runs and the project a team starts from are the same files.

use super::Holes;
use include_dir::{Dir, DirEntry, include_dir};
use std::path::PathBuf;

static FILES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/starters/spaceflights");

const CARGO_TOML: &str = r#"[package]
name = "{{name}}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
# `polars`: the DataFrame dataset types (kedrust::frames) and Polars itself (kedrust::polars).
kedrust = { {{kedrust}}, features = ["polars"] }
# The regression (minimum-norm least squares, as scikit-learn fits it) and the seeded split.
nalgebra = { version = "0.35", default-features = false, features = ["std"] }
rand = { version = "0.9", default-features = false, features = ["std"] }
rand_chacha = "0.9"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tracing = "0.1"

# Polars is large: line tables are enough to read a backtrace, and keep debug builds small.
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = "line-tables-only"

# A project of its own, even when its folder sits inside another Cargo workspace.
[workspace]
"#;

const README_MD: &str = r#"# {{name}}

Kedro's spaceflights tutorial as a [kedrust](https://example.invalid/kedrust) project: the
`data_processing` pipeline cleans the companies, shuttles and reviews and joins them into
`model_input_table`; `data_science` splits it, fits a linear regression and writes its R² to
`data/08_reporting/metrics.json`.

```sh
cargo run -- generate          # data/01_raw: companies.csv, reviews.csv, shuttles.xlsx
cargo run -- run               # both pipelines
cargo run -- pipeline describe # the nodes in order
```

More shuttles than an Excel sheet holds (`cargo run -- generate 2000000`) are written to
`shuttles.csv`; the `big` environment reads it: `cargo run --release -- run --env big`.

Kedro's own starter files (`companies.csv`, `reviews.csv`, `shuttles.xlsx`) copied into
`data/01_raw` run unchanged.
"#;

/// Its files.
pub fn files(holes: &Holes<'_>) -> Vec<(PathBuf, String)> {
    let mut files = vec![
        ("Cargo.toml".into(), holes.fill(CARGO_TOML)),
        ("README.md".into(), holes.fill(README_MD)),
    ];
    collect(&FILES, holes, &mut files);
    files
}

/// Every file under `dir`; `main.rs` names the project and its library crate after it.
fn collect(dir: &Dir<'_>, holes: &Holes<'_>, into: &mut Vec<(PathBuf, String)>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(d) => collect(d, holes, into),
            DirEntry::File(f) => {
                let text = f.contents_utf8().unwrap_or_default();
                let text = if f.path().ends_with("src/main.rs") {
                    text.replace(
                        "Project::new(\"spaceflights\")",
                        "Project::new(\"{{name}}\")",
                    )
                    .replace("spaceflights::", "{{crate}}::")
                } else {
                    text.to_owned()
                };
                into.push((f.path().to_owned(), holes.fill(&text)));
            }
        }
    }
}
