//! The catalog benchmark: from YAML files to resolved datasets for catalogs of 10 to 10,000
//! keys, nine in ten explicit entries (sharing an anchor through merge keys) and one in ten
//! factory patterns, each pattern matched by one dataset name.

use crate::report::{median, ms};
use kedrust_catalog::{CatalogBuilder, Registry};
use kedrust_config::ConfigLoader;
use std::fmt::Write;
use std::path::Path;

/// Measures every size and returns the markdown table.
pub fn run(sizes: &[usize], repeat: usize) -> String {
    let mut out = String::from(
        "| keys | explicit | patterns | load YAML (ms) | build + check (ms) | resolve every name (ms) | total (ms) |\n|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for &n in sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let patterns = (n / 10).max(1);
        let explicit = n.saturating_sub(patterns);
        write_catalog(dir.path(), explicit, patterns);
        let names: Vec<String> = (0..explicit)
            .map(|i| format!("dataset_{i}"))
            .chain((0..patterns).map(|i| format!("ns{i}.p{i}_table")))
            .collect();
        let conf = dir.path().join("conf");
        let loader = ConfigLoader::new(&conf, "local");
        let (load, config) = median(repeat, || loader.load("catalog").expect("valid catalog"));
        let (build, catalog) = median(repeat, || {
            CatalogBuilder::new(Registry::with_builtins())
                .config(config.clone())
                .build()
                .expect("valid catalog")
        });
        let (resolve, found) = median(repeat, || {
            names
                .iter()
                .filter(|n| catalog.resolve(n).is_some())
                .count()
        });
        assert_eq!(found, names.len(), "every name resolves");
        let _ = writeln!(
            out,
            "| {n} | {explicit} | {patterns} | {} | {} | {} | **{}** |",
            ms(load),
            ms(build),
            ms(resolve),
            ms(load + build + resolve)
        );
    }
    out
}

fn write_catalog(root: &Path, explicit: usize, patterns: usize) {
    let base = root.join("conf/base");
    std::fs::create_dir_all(&base).expect("conf folder");
    let mut yaml = String::from("_csv: &csv\n  type: text.TextDataset\n\n");
    for i in 0..explicit {
        let _ = writeln!(
            yaml,
            "dataset_{i}:\n  <<: *csv\n  filepath: data/01_raw/dataset_{i}.txt\n  metadata:\n    owner: team_{}\n",
            i % 7
        );
    }
    for i in 0..patterns {
        let _ = writeln!(
            yaml,
            "\"{{namespace}}.p{i}_{{name}}\":\n  type: json.JSONDataset\n  filepath: data/{{namespace}}/p{i}/{{name}}.json\n"
        );
    }
    std::fs::write(base.join("catalog.yml"), yaml).expect("catalog file");
}
