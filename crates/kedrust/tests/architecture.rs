//! The dependency rules of ARCHITECTURE.md, checked against `Cargo.lock` (every crate's
//! dependencies, dev-dependencies included) and the sources.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Each package of the lock file and the packages it depends on, by name.
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let lock = std::fs::read_to_string(Path::new(WORKSPACE).join("Cargo.lock")).unwrap();
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut in_dependencies = false;
    for line in lock.lines() {
        if line == "[[package]]" {
            current = None;
            in_dependencies = false;
        } else if let Some(name) = line.strip_prefix("name = ") {
            let name = name.trim_matches('"').to_owned();
            graph.entry(name.clone()).or_default();
            current = Some(name);
        } else if line == "dependencies = [" {
            in_dependencies = true;
        } else if line == "]" {
            in_dependencies = false;
        } else if in_dependencies && let Some(package) = &current {
            // ` "name",` or ` "name version",` when two versions are in the lock file.
            let dependency = line.trim().trim_matches([',', '"']);
            let name = dependency.split(' ').next().unwrap().to_owned();
            graph.get_mut(package).unwrap().push(name);
        }
    }
    graph
}

/// Every package `root` depends on, directly or not.
fn closure(graph: &BTreeMap<String, Vec<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(package) = stack.pop() {
        for dependency in graph.get(&package).into_iter().flatten() {
            if seen.insert(dependency.clone()) {
                stack.push(dependency.clone());
            }
        }
    }
    seen
}

#[test]
fn only_the_dataframe_crate_the_example_and_the_benchmarks_depend_on_polars() {
    let graph = lock_graph();
    let with_polars: Vec<&String> = graph
        .keys()
        .filter(|p| p.starts_with("kedrust") || *p == "spaceflights")
        .filter(|p| closure(&graph, p).contains("polars"))
        .collect();
    assert_eq!(
        with_polars,
        [
            "kedrust",
            "kedrust-bench",
            "kedrust-docs",
            "kedrust-polars",
            "spaceflights"
        ]
    );
    // The facade's and the benchmarks' only by a feature a project opts into (the docs
    // crate enables the facade's to compile the guide's DataFrame code).
    for manifest in ["kedrust", "kedrust-bench"] {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(manifest)
                .join("Cargo.toml"),
        )
        .unwrap();
        for line in text
            .lines()
            .filter(|l| l.starts_with("polars =") || l.starts_with("kedrust-polars ="))
            // not the feature itself
            .filter(|l| !l.contains("dep:"))
        {
            assert!(line.contains("optional = true"), "{manifest}: {line}");
        }
    }
}

#[test]
fn the_layers_depend_only_downwards() {
    let graph = lock_graph();
    let kedrust_deps = |package: &str| -> BTreeSet<String> {
        closure(&graph, package)
            .into_iter()
            .filter(|d| d.starts_with("kedrust"))
            .collect()
    };
    let only =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| (*n).to_owned()).collect() };
    // Only kedrust-dagster knows Dagster, and of kedrust it knows only what it translates:
    // secrets (to hide them) and partitions definitions (which bring the pipeline model's
    // name suggestions), never the catalog, runs, the runner, plans or the framework.
    let direct: BTreeSet<String> = graph["kedrust-dagster"]
        .iter()
        .filter(|d| d.starts_with("kedrust"))
        .cloned()
        .collect();
    assert_eq!(direct, only(&["kedrust-partitions", "kedrust-secrets"]));
    assert_eq!(
        kedrust_deps("kedrust-dagster"),
        only(&[
            "kedrust-macros",
            "kedrust-partitions",
            "kedrust-pipeline",
            "kedrust-secrets"
        ])
    );
    // The store records and answers: no lifecycle, no catalog (its tests take a schema of
    // the test PostgreSQL server from the test kit).
    assert_eq!(
        kedrust_deps("kedrust-store"),
        only(&["kedrust-secrets", "kedrust-testkit"])
    );
    // The runner knows nothing of projects, sessions or the command line.
    let runner = kedrust_deps("kedrust-runner");
    for upper in [
        "kedrust-framework",
        "kedrust-cli",
        "kedrust-dagster",
        "kedrust-mlflow",
    ] {
        assert!(!runner.contains(upper), "kedrust-runner depends on {upper}");
    }
    // Partitions definitions know the pipeline's suggestions and nothing else.
    assert_eq!(
        kedrust_deps("kedrust-partitions"),
        only(&["kedrust-macros", "kedrust-pipeline", "kedrust-secrets"])
    );
    // The pipeline model rests on nothing of kedrust but its derive macros and the secrets
    // of its error messages.
    assert_eq!(
        kedrust_deps("kedrust-pipeline"),
        only(&["kedrust-macros", "kedrust-secrets"])
    );
}

#[test]
fn the_pipeline_crate_does_no_io() {
    let src = Path::new(WORKSPACE).join("crates/kedrust-pipeline/src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // Tests inside a file may do what they like.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for io in [
            "std::fs",
            "std::env",
            "std::net",
            "std::process",
            "SystemTime",
            "Instant::now",
        ] {
            if code.contains(io) {
                found.push(format!("{}: {io}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
