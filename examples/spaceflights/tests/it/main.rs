//! The spaceflights example end to end: generate, run, and check what the model learnt
//! against the relation the generator planted.

mod facade;
mod starter;

use kedrust::polars::prelude::*;
use spaceflights::generate::PLANTED;
use std::path::Path;

pub(crate) fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    kedrust_testkit::copy_dir(Path::new("conf"), &dir.path().join("conf"));
    dir
}

pub(crate) fn spaceflights(root: &Path, args: &[&str]) -> (i32, String) {
    let out = kedrust_testkit::clean_command(env!("CARGO_BIN_EXE_spaceflights"))
        .arg("--project-dir")
        .arg(root)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The metrics file a run wrote, as text.
fn metrics(root: &Path) -> String {
    std::fs::read_to_string(root.join("data/08_reporting/metrics.json")).unwrap()
}

pub(crate) fn parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

#[test]
fn the_fitted_model_finds_the_planted_relation() {
    let dir = project();
    let root = dir.path();
    assert_eq!(spaceflights(root, &["generate", "3000"]).0, 0);
    let (code, stderr) = spaceflights(root, &["run"]);
    assert_eq!(code, 0, "{stderr}");

    let table = parquet(&root.join("data/03_primary/model_input_table.parquet"));
    let mut sheets = calamine::open_workbook_auto(root.join("data/01_raw/shuttles.xlsx")).unwrap();
    let sheet = calamine::Reader::worksheet_range_at(&mut sheets, 0)
        .unwrap()
        .unwrap();
    assert_eq!(sheet.height(), 3000 + 1, "a header and one row per shuttle");
    assert!(
        (1500..3000).contains(&table.height()),
        "rows with a missing value are dropped: {}",
        table.height()
    );
    assert_eq!(table.column("price").unwrap().null_count(), 0);

    let versions = std::fs::read_dir(root.join("data/06_models/regressor.json")).unwrap();
    let version = versions.map(|e| e.unwrap().path()).next().unwrap();
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(version.join("regressor.json")).unwrap()).unwrap();
    for (i, (name, truth)) in PLANTED.coefficients.iter().enumerate() {
        assert_eq!(model["features"][i], *name);
        let fitted = model["coefficients"][i].as_f64().unwrap();
        // Constant after the join, as in the starter data: the minimum-norm fit gives it
        // no weight (every kept shuttle lacks moon clearance, so its effect is 0 too).
        let truth = if *name == "moon_clearance_complete" {
            0.0
        } else {
            *truth
        };
        assert!(
            (fitted - truth).abs() <= truth.abs() * 0.1 + 1.0,
            "{name}: fitted {fitted}, planted {truth}"
        );
    }
    let moon = table.column("moon_clearance_complete").unwrap();
    assert_eq!(
        moon.n_unique().unwrap(),
        1,
        "the starter's constant feature"
    );
    let metrics: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("data/08_reporting/metrics.json")).unwrap(),
    )
    .unwrap();
    assert!(metrics["r2_score"].as_f64().unwrap() > 0.98, "{metrics}");
    assert!(
        metrics["max_error"].as_f64().unwrap() < 60.0,
        "noise is at most 50: {metrics}"
    );
}

#[test]
fn more_shuttles_than_a_sheet_holds_go_to_a_csv_file_that_the_big_environment_reads() {
    let sheet = project();
    assert_eq!(spaceflights(sheet.path(), &["generate", "400"]).0, 0);
    let (code, stderr) = spaceflights(sheet.path(), &["run"]);
    assert_eq!(code, 0, "{stderr}");

    // The same shuttles past a sheet of 300 rows: a CSV file, and the Excel file gone.
    let csv = project();
    let raw = csv.path().join("data/01_raw");
    std::fs::create_dir_all(&raw).unwrap();
    std::fs::write(raw.join("shuttles.xlsx"), "an older, smaller sheet").unwrap();
    spaceflights::generate::write_with_sheet_limit(csv.path(), 400, 42, 300).unwrap();
    assert!(raw.join("shuttles.csv").is_file() && !raw.join("shuttles.xlsx").exists());
    let (code, stderr) = spaceflights(csv.path(), &["run"]);
    assert_eq!(code, 1, "the base catalog reads the sheet");
    assert!(stderr.contains("shuttles.xlsx"), "{stderr}");
    let (code, stderr) = spaceflights(csv.path(), &["run", "--env", "big"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        metrics(csv.path()),
        metrics(sheet.path()),
        "the same model from either file"
    );
}

#[test]
fn the_lazy_tables_run_the_same_in_worker_processes() {
    let dir = project();
    let root = dir.path();
    assert_eq!(spaceflights(root, &["generate", "300"]).0, 0);
    let (code, stderr) = spaceflights(root, &["run"]);
    assert_eq!(code, 0, "{stderr}");
    let sequential = metrics(root);
    // Each node in a worker process: queries are loaded, run and saved there.
    let (code, stderr) = spaceflights(root, &["run", "--runner", "process"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(metrics(root), sequential);
}

#[test]
fn reading_a_table_as_text_is_refused_before_any_node_runs() {
    let dir = project();
    let root = dir.path();
    assert_eq!(spaceflights(root, &["generate", "100"]).0, 0);
    let catalog = root.join("conf/base/catalog.yml");
    let text = std::fs::read_to_string(&catalog).unwrap().replacen(
        "companies:\n  type: polars.LazyPolarsDataset\n  filepath: data/01_raw/companies.csv\n  file_format: csv",
        "companies:\n  type: text.TextDataset\n  filepath: data/01_raw/companies.csv",
        1,
    );
    std::fs::write(&catalog, text).unwrap();
    let (code, stderr) = spaceflights(root, &["run"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "dataset 'companies': text.TextDataset stores String, but node 'preprocess_companies_node' reads it as LazyFrame"
        ),
        "{stderr}"
    );
    assert!(!root.join("data/02_intermediate").exists(), "no node ran");
}

#[test]
fn the_pipelines_are_the_starters() {
    let dir = project();
    let out = kedrust_testkit::clean_command(env!("CARGO_BIN_EXE_spaceflights"))
        .arg("--project-dir")
        .arg(dir.path())
        .args(["pipeline", "describe"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Nodes:\n\
         - preprocess_companies_node (preprocess_companies)\n\
         - preprocess_shuttles_node (preprocess_shuttles)\n\
         - create_model_input_table_node (create_model_input_table)\n\
         - split_data_node (split_data)\n\
         - train_model_node (train_model)\n\
         - evaluate_model_node (evaluate_model)\n"
    );
}

#[test]
fn the_example_runs_on_dagster() {
    let dagster = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-test/bin/dagster");
    assert!(
        dagster.is_file(),
        "the pinned Dagster is not installed: run ./scripts/test, or \
         python3 -m venv .venv-test && .venv-test/bin/pip install -r python-pins.txt"
    );
    let dir = project();
    let root = dir.path();
    assert_eq!(spaceflights(root, &["generate", "500"]).0, 0);
    let (code, stderr) = spaceflights(root, &["dagster", "init"]);
    assert_eq!(code, 0, "{stderr}");
    // The multiprocess executor needs a persistent Dagster instance.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("dagster.yaml"),
        "telemetry:\n  enabled: false\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        kedrust_testkit::clean_command(&dagster)
            .args(args)
            .current_dir(root)
            .env("DAGSTER_DISABLE_TELEMETRY", "1")
            .env("DAGSTER_HOME", home.path())
            .output()
            .unwrap()
    };
    // A script in the pinned Python, with the code location importable.
    let python = |script: &str| {
        kedrust_testkit::clean_command(dagster.with_file_name("python"))
            .args(["-c", script])
            .current_dir(root)
            .env("PYTHONPATH", root)
            .env("DAGSTER_DISABLE_TELEMETRY", "1")
            .output()
            .unwrap()
    };
    let out = run(&["definitions", "validate", "-f", "definitions.py"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The asset graph Dagster loaded is the pipeline's lineage, memory datasets looked
    // through (X_train and friends), grouped by registered pipeline, raw data as sources.
    let script = "import definitions as d\n\
        g = d.defs.resolve_asset_graph()\n\
        for k in sorted(g.get_all_asset_keys(), key=lambda k: k.path):\n\
        \x20   n = g.get(k)\n\
        \x20   print('/'.join(k.path), n.group_name, ','.join(sorted('/'.join(p.path) for p in n.parent_keys)))\n";
    let out = python(script);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .collect::<Vec<_>>(),
        [
            "local/companies external ",
            "local/metrics data_science local/model_input_table,local/regressor",
            "local/model_input_table data_processing local/preprocessed_companies,local/preprocessed_shuttles,local/reviews",
            "local/preprocessed_companies data_processing local/companies",
            "local/preprocessed_shuttles data_processing local/shuttles",
            "local/regressor data_science local/model_input_table",
            "local/reviews external ",
            "local/shuttles external ",
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["job", "list", "-f", "definitions.py"]);
    let listing = String::from_utf8_lossy(&out.stdout);
    let jobs: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.strip_prefix("Job: "))
        .filter(|j| !j.starts_with("__"))
        .collect();
    assert_eq!(
        jobs,
        [
            "data_science_sequential",
            "default",
            "parallel_data_processing"
        ],
        "{listing}"
    );
    // Every job through `dagster job execute`, each on its executor of dagster.yml (the
    // multiprocess one for two of them), in the order their inputs need.
    for job in [
        "parallel_data_processing",
        "default",
        "data_science_sequential",
    ] {
        let out = run(&["job", "execute", "-f", "definitions.py", "-j", job]);
        assert!(
            out.status.success(),
            "{job}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let metrics: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("data/08_reporting/metrics.json")).unwrap(),
    )
    .unwrap();
    assert!(metrics["r2_score"].as_f64().unwrap() > 0.9, "{metrics}");

    // Every job in process too; in `default`, a table's materialisation carries Dagster's row
    // count and column schema.
    let script = "import dagster as dg, definitions as d\n\
        i = dg.DagsterInstance.ephemeral()\n\
        for job in ['parallel_data_processing', 'data_science_sequential']:\n\
        \x20   assert d.defs.resolve_job_def(job).execute_in_process(instance=i).success, job\n\
        r = d.defs.resolve_job_def('default').execute_in_process(instance=i)\n\
        assert r.success, 'default'\n\
        for e in r.get_asset_materialization_events():\n\
        \x20   m = e.materialization\n\
        \x20   if m.asset_key.path == ['local', 'model_input_table']:\n\
        \x20       print(m.metadata['dagster/row_count'].value, len(m.metadata['dagster/column_schema'].value.columns))\n";
    let out = python(script);
    let printed = String::from_utf8_lossy(&out.stdout);
    let table = parquet(&root.join("data/03_primary/model_input_table.parquet"));
    assert_eq!(
        printed.trim(),
        format!("{} {}", table.height(), table.width()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
