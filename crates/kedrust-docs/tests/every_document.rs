//! Every Markdown file of the repository that holds a Rust code block is compiled by this
//! crate's doc tests: a new page with code cannot be left out of them.

use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn markdown(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let skipped = [".git", "target", ".venv-test", ".kedrust"];
        if path.is_dir() && !skipped.iter().any(|s| name == *s) {
            markdown(&path, into);
        } else if path.extension().is_some_and(|e| e == "md") {
            into.push(path);
        }
    }
}

#[test]
fn every_document_with_rust_code_is_compiled() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let mut files = Vec::new();
    markdown(Path::new(ROOT), &mut files);
    let root = std::fs::canonicalize(ROOT).unwrap();
    let missing: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .any(|l| l.trim_start().starts_with("```rust"))
        })
        .map(|f| {
            std::fs::canonicalize(f)
                .unwrap()
                .strip_prefix(&root)
                .unwrap()
                .display()
                .to_string()
        })
        .filter(|relative| !lib.contains(&format!("\"../../../{relative}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "documents with Rust code that src/lib.rs does not include: {missing:?}"
    );
}
