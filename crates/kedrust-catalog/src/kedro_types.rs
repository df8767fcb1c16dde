//! Dataset type names of Kedro, kedro-datasets, kedro-dagster and kedro-mlflow, as a ported
//! catalog writes them: the few that mean exactly what one of ours means are aliases; for the
//! rest an unknown-type error says what to use instead, or that there is nothing yet.

/// Names that are ours under another name: same arguments, same behaviour.
const ALIASES: [(&str, &str); 3] = [
    ("kedro_dagster.DagsterNothingDataset", "NothingDataset"),
    (
        "kedro_dagster.datasets.DagsterNothingDataset",
        "NothingDataset",
    ),
    (
        "kedro_dagster.datasets.nothing_dataset.DagsterNothingDataset",
        "NothingDataset",
    ),
];

/// What a Kedro type becomes here: a counterpart whose arguments differ (Polars's options,
/// not pandas's), or none, with what to do instead.
enum Counterpart {
    Use(&'static str),
    None(&'static str),
}

/// Kedro type names (without `kedro_datasets.`) and their counterparts.
const COUNTERPARTS: [(&str, Counterpart); 24] = [
    ("pandas.CSVDataset", Counterpart::Use("polars.CSVDataset")),
    (
        "pandas.ParquetDataset",
        Counterpart::Use("polars.ParquetDataset"),
    ),
    ("pandas.JSONDataset", Counterpart::Use("polars.JSONDataset")),
    (
        "pandas.FeatherDataset",
        Counterpart::Use("polars.IPCDataset"),
    ),
    (
        "polars.EagerPolarsDataset",
        Counterpart::Use(
            "polars.CSVDataset, polars.ParquetDataset, polars.IPCDataset or polars.JSONDataset (one type per file format)",
        ),
    ),
    (
        "polars.LazyPolarsDataset",
        Counterpart::Use(
            "polars.CSVDataset, polars.ParquetDataset, polars.IPCDataset or polars.JSONDataset (one type per file format)",
        ),
    ),
    (
        "polars.PolarsDataset",
        Counterpart::Use(
            "polars.CSVDataset, polars.ParquetDataset, polars.IPCDataset or polars.JSONDataset (one type per file format)",
        ),
    ),
    (
        "pickle.PickleDataset",
        Counterpart::Use("serde.BinaryDataset (a Rust value with serde derives)"),
    ),
    (
        "tracking.MetricsDataset",
        Counterpart::Use("mlflow.MetricsDataset"),
    ),
    (
        "kedro_mlflow.io.metrics.MlflowMetricsDataset",
        Counterpart::Use("mlflow.MetricsDataset"),
    ),
    (
        "kedro_mlflow.io.metrics.MlflowMetricDataset",
        Counterpart::Use("mlflow.MetricsDataset"),
    ),
    (
        "kedro_mlflow.io.metrics.MlflowMetricHistoryDataset",
        Counterpart::Use("mlflow.MetricHistoryDataset"),
    ),
    (
        "kedro_mlflow.io.artifacts.MlflowArtifactDataset",
        Counterpart::Use("mlflow.ArtifactDataset"),
    ),
    (
        "kedro_mlflow.io.models.MlflowModelTrackingDataset",
        Counterpart::Use("mlflow.ModelDataset (a Rust value with a serde codec)"),
    ),
    (
        "kedro_mlflow.io.models.MlflowModelRegistryDataset",
        Counterpart::Use("mlflow.ModelDataset (a Rust value with a serde codec)"),
    ),
    (
        "partitions.IncrementalDataset",
        Counterpart::None(
            "partitions.PartitionedDataset reads every partition; incremental checkpoints are not built yet",
        ),
    ),
    (
        "pandas.ExcelDataset",
        Counterpart::None(
            "no Excel dataset is built yet; save the sheet as CSV and use polars.CSVDataset",
        ),
    ),
    (
        "pandas.SQLTableDataset",
        Counterpart::None("no SQL dataset is built yet; register a DatasetType of your own"),
    ),
    (
        "pandas.SQLQueryDataset",
        Counterpart::None("no SQL dataset is built yet; register a DatasetType of your own"),
    ),
    (
        "pandas.HDFDataset",
        Counterpart::None("no HDF5 dataset; use polars.ParquetDataset or polars.IPCDataset"),
    ),
    (
        "pandas.GBQTableDataset",
        Counterpart::None("no BigQuery dataset; register a DatasetType of your own"),
    ),
    (
        "pandas.DeltaTableDataset",
        Counterpart::None("no Delta Lake dataset is built yet; register a DatasetType of your own"),
    ),
    (
        "matplotlib.MatplotlibWriter",
        Counterpart::None(
            "no plotting dataset is built yet; write the image with bytes.BytesDataset",
        ),
    ),
    (
        "plotly.JSONDataset",
        Counterpart::None(
            "no plotting dataset is built yet; save the figure's JSON with json.JSONDataset",
        ),
    ),
];

/// Our name for an alias of `name` (prefixes already removed), if it is one.
pub(crate) fn alias(name: &str) -> Option<&'static str> {
    ALIASES.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
}

/// What to say of a Kedro type name we do not build (prefixes already removed), if it is
/// one we know.
pub(crate) fn advice(name: &str) -> Option<String> {
    let (_, counterpart) = COUNTERPARTS.iter().find(|(k, _)| *k == name)?;
    Some(match counterpart {
        Counterpart::Use(ours) => {
            format!("; Kedro's {name} is {ours} here (with its own load_args and save_args)")
        }
        Counterpart::None(instead) => format!("; Kedro's {name} has no counterpart: {instead}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counterpart_names_a_type_we_build() {
        let registry = crate::Registry::with_builtins();
        for (kedro, counterpart) in &COUNTERPARTS {
            if let Counterpart::Use(ours) = counterpart {
                let first = ours.split([' ', ',']).next().unwrap();
                assert!(
                    registry.get(first).is_some()
                        || first.starts_with("polars.")
                        || first.starts_with("mlflow."),
                    "{kedro} -> {first}"
                );
            }
        }
        for (kedro, ours) in ALIASES {
            assert!(registry.get(ours).is_some(), "{kedro}");
        }
    }
}
