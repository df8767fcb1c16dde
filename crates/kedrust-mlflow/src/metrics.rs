//! `mlflow.MetricsDataset`: a node's output (a mapping of name to number, or to a list of
//! numbers logged as steps) logged as metrics on the MLflow run of the node that saves it.

use crate::hook::{current_run, skipped};
use crate::store::Batch;
use kedrust_catalog::{Dataset, DatasetError, DatasetType, Holds, expect_ref};
use kedrust_pipeline::{TypeTag, Value};
use serde_json::Value as Json;
use std::sync::Arc;

/// Logs metrics; loading is not supported (MLflow holds them).
#[derive(Debug, Default)]
pub struct MetricsDataset;

impl Dataset for MetricsDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        Err(DatasetError::Other(
            "metrics go to MLflow and are not loaded back; save them to a json.JSONDataset too if a node reads them".into(),
        ))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let doc = expect_ref::<Json>(&value)?;
        let Json::Object(map) = doc else {
            return Err(DatasetError::Other(
                "metrics must be a mapping of name to number or to a list of numbers".into(),
            ));
        };
        let mut by_step: Vec<Vec<(String, f64)>> = Vec::new();
        for (name, v) in map {
            // Every item is a step: one that is not a number would shift the others.
            let not_a_number = |at: &str, x: &Json| {
                DatasetError::Other(format!("metric '{name}'{at}: {x} is not a number"))
            };
            let values: Vec<f64> = match v {
                Json::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(step, x)| {
                        x.as_f64()
                            .ok_or_else(|| not_a_number(&format!(" at step {step}"), x))
                    })
                    .collect::<Result<_, _>>()?,
                other => vec![other.as_f64().ok_or_else(|| not_a_number("", other))?],
            };
            if values.is_empty() {
                return Err(DatasetError::Other(format!(
                    "metric '{name}' has no values"
                )));
            }
            for (step, x) in values.into_iter().enumerate() {
                if by_step.len() <= step {
                    by_step.push(Vec::new());
                }
                by_step[step].push((name.clone(), x));
            }
        }
        let Some(run) = current_run().map_err(DatasetError::Other)? else {
            skipped("a metrics dataset");
            return Ok(());
        };
        // Queued: sent with the rest of the node's tracking.
        for (step, metrics) in by_step.into_iter().enumerate() {
            run.sender
                .log(&run.run, Batch::metrics_at(step as i64, metrics));
        }
        Ok(())
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        Ok(false)
    }
}

pub(crate) fn dataset_type() -> DatasetType {
    DatasetType::new(
        "mlflow.MetricsDataset",
        Holds::Fixed(TypeTag::of::<Json>()),
        &[],
        |_| Ok(Arc::new(MetricsDataset)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_value_of_a_metric_is_a_number() {
        for (metrics, error) in [
            (
                json!({"loss": [0.5, "x", 1.5]}),
                r#"metric 'loss' at step 1: "x" is not a number"#,
            ),
            (json!({"r2": null}), "metric 'r2': null is not a number"),
            (json!({"loss": []}), "metric 'loss' has no values"),
        ] {
            let saved = MetricsDataset.save(Value::new(metrics));
            let message = saved.unwrap_err().to_string();
            assert!(message.contains(error), "{message}");
        }
    }
}
