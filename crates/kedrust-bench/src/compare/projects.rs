//! The two projects of a comparison, written into a temporary folder: the kedrust one (this
//! binary is its project code; only `conf/` and `data/` are files) and the Kedro one (a whole
//! generated Kedro project whose nodes are `python/nodes.py`), with the same shapes, data and
//! Dagster jobs.

use crate::shapes::Shape;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const NODES_PY: &str = include_str!("../../python/nodes.py");
const REGISTRY_PY: &str = include_str!("../../python/pipeline_registry.py");
const HARNESS_PY: &str = include_str!("../../python/kedro_bench.py");
const SPACEFLIGHTS_PY: &str = include_str!("../../python/spaceflights.py");

/// Kedro's catalog for spaceflights: the example's, with pandas' dataset types (the model is
/// JSON, as kedrust's example keeps it).
const SPACEFLIGHTS_CATALOG: &str = "\
companies: {type: pandas.CSVDataset, filepath: data/01_raw/companies.csv}
reviews: {type: pandas.CSVDataset, filepath: data/01_raw/reviews.csv}
shuttles: {type: pandas.ExcelDataset, filepath: data/01_raw/shuttles.xlsx}
preprocessed_companies: {type: pandas.ParquetDataset, filepath: data/02_intermediate/preprocessed_companies.parquet}
preprocessed_shuttles: {type: pandas.ParquetDataset, filepath: data/02_intermediate/preprocessed_shuttles.parquet}
model_input_table: {type: pandas.ParquetDataset, filepath: data/03_primary/model_input_table.parquet}
regressor: {type: json.JSONDataset, filepath: data/06_models/regressor.json, versioned: true}
metrics: {type: json.JSONDataset, filepath: data/08_reporting/metrics.json}
";

/// The spaceflights example's configuration folder.
pub fn spaceflights_conf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/spaceflights/conf")
}

/// Copies the files of `from` into `to`, folders included.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// The Kedro project's settings: kedro-mlflow registers its hook in every session it is
/// installed for; only the MLflow case (`BENCH_MLFLOW`) keeps it. (Its wheel names the
/// distribution `kedro_mlflow`, which is what Kedro compares.)
const SETTINGS_PY: &str = "import os\n\n\
DISABLE_HOOKS_FOR_PLUGINS = () if os.environ.get(\"BENCH_MLFLOW\") else (\"kedro_mlflow\", \"kedro-mlflow\")\n";

/// The Kedro project's package.
pub const PACKAGE: &str = "bench_project";

/// The code location `kedro dagster init` writes into the Kedro project.
pub const KEDRO_DEFINITIONS: &str = "src/bench_project/definitions.py";

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A Kedro project at `root` with `kedro_version` in its metadata.
pub fn kedro(root: &Path, kedro_version: &str) -> Result<(), String> {
    write(
        &root.join("pyproject.toml"),
        &format!(
            "[project]\nname = \"{PACKAGE}\"\nversion = \"0.1.0\"\n\n[tool.kedro]\n\
             package_name = \"{PACKAGE}\"\nproject_name = \"{PACKAGE}\"\n\
             kedro_init_version = \"{kedro_version}\"\nsource_dir = \"src\"\n"
        ),
    )?;
    let package = root.join("src").join(PACKAGE);
    write(&package.join("__init__.py"), "")?;
    write(&package.join("settings.py"), SETTINGS_PY)?;
    write(&package.join("nodes.py"), NODES_PY)?;
    write(&package.join("pipeline_registry.py"), REGISTRY_PY)?;
    write(&package.join("spaceflights.py"), SPACEFLIGHTS_PY)?;
    write(
        &root.join("conf/base/catalog_spaceflights.yml"),
        SPACEFLIGHTS_CATALOG,
    )?;
    // More shuttles than an Excel sheet holds are a CSV file, as in the example's `big`.
    write(
        &root.join("conf/big/catalog_spaceflights.yml"),
        "shuttles: {type: pandas.CSVDataset, filepath: data/01_raw/shuttles.csv}\n",
    )?;
    // The example's parameters (model options) are plain Kedro parameters.
    std::fs::copy(
        spaceflights_conf().join("base/parameters_data_science.yml"),
        root.join("conf/base/parameters_spaceflights.yml"),
    )
    .map_err(|e| format!("the spaceflights example's parameters: {e}"))?;
    write(&root.join("kedro_bench.py"), HARNESS_PY)?;
    write(&root.join("conf/local/.keep"), "")?;
    write(
        &root.join("conf/base/catalog.yml"),
        &super::data::catalog_yml("pandas"),
    )?;
    write(
        &root.join("conf/base/parameters.yml"),
        super::data::PARAMETERS_YML,
    )
}

/// The kedrust project at `root`: the data pipeline's catalog (its Polars datasets only
/// when this binary has them, so that the cases without data run in a build without Polars)
/// and parameters.
pub fn kedrust(root: &Path) -> Result<(), String> {
    #[cfg(feature = "frames")]
    write(
        &root.join("conf/base/catalog.yml"),
        &(super::data::catalog_yml("polars") + super::data::LAZY_CATALOG_YML),
    )?;
    write(
        &root.join("conf/base/parameters.yml"),
        super::data::PARAMETERS_YML,
    )?;
    write(&root.join("conf/local/.keep"), "")
}

/// Writes `shape` at `size` as JSON (`[{name, inputs, output}]`) for the Kedro side; its path.
pub fn shape_json(dir: &Path, shape: Shape, size: usize) -> Result<PathBuf, String> {
    let nodes: Vec<String> = shape
        .nodes(size)
        .iter()
        .map(|n| {
            let quoted = |names: &[String]| {
                names
                    .iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!(
                "{{\"name\":\"{}\",\"inputs\":[{}],\"output\":\"{}\"}}",
                n.node_name(),
                quoted(n.inputs()),
                n.outputs()[0]
            )
        })
        .collect();
    let path = dir.join("shapes").join(format!(
        "{}.json",
        crate::process_runner::pipeline_name(shape, size)
    ));
    write(&path, &format!("[{}]\n", nodes.join(",\n")))?;
    Ok(path)
}

/// `dagster.yml` with one job per pipeline, on `executor` (`in_process` or `multiprocess`).
/// kedro-dagster and kedrust read the same keys.
pub fn dagster_yml(pipelines: &[String], executor: &str) -> String {
    let mut out = format!("executors:\n  bench:\n    {executor}:\n");
    if executor == "multiprocess" {
        out.push_str("      max_concurrent: 2\n");
    } else {
        out.push_str("      {}\n");
    }
    out.push_str("jobs:\n");
    for p in pipelines {
        let _ = writeln!(
            out,
            "  {p}:\n    pipeline:\n      pipeline_name: {p}\n    executor: bench"
        );
    }
    out
}
