//! `mlflow.MetricHistoryDataset`: one metric logged at several steps (kedro-mlflow's
//! `MlflowMetricHistoryDataset`). It saves to the MLflow run of the node that saves it, and
//! loads from `run_id`, else from the latest node run of this pipeline run that logged the
//! metric.

use crate::client::now_ms;
use crate::hook::{current_run, run_to_read, skipped};
use crate::sender::RunRef;
use crate::store::{Batch, Metric};
use kedrust_catalog::{Dataset, DatasetError, DatasetType, Holds, expect_ref};
use kedrust_pipeline::{TypeTag, Value};
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;

/// How the history is written in a node's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    /// `[v0, v1, ...]`, the steps 0, 1, ...
    #[default]
    List,
    /// `{"<step>": value}`.
    Dict,
    /// `[{"step": s, "value": v, "timestamp": ms}]`.
    History,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeArgs {
    #[serde(default)]
    mode: Mode,
}

/// A metric's history.
#[derive(Debug)]
pub struct MetricHistoryDataset {
    key: String,
    run_id: Option<String>,
    load_mode: Mode,
    save_mode: Mode,
}

fn bad(message: impl Into<String>) -> DatasetError {
    DatasetError::Other(message.into())
}

impl MetricHistoryDataset {
    fn metrics(&self, value: &Json) -> Result<Vec<Metric>, DatasetError> {
        let now = now_ms();
        let number = |v: &Json, at: &str| {
            v.as_f64().ok_or_else(|| {
                bad(format!(
                    "metric '{}' at {at}: {v} is not a number",
                    self.key
                ))
            })
        };
        let metric = |step: i64, value: f64, timestamp: i64| Metric {
            key: self.key.clone(),
            value,
            timestamp,
            step,
        };
        let expected = |what: &str| {
            bad(format!(
                "save_args.mode is {what}, so metric '{}' must be {}",
                self.key,
                match self.save_mode {
                    Mode::List => "a list of numbers",
                    Mode::Dict => "a mapping of step to number",
                    Mode::History => "a list of {step, value, timestamp}",
                }
            ))
        };
        match (self.save_mode, value) {
            (Mode::List, Json::Array(values)) => values
                .iter()
                .enumerate()
                .map(|(step, v)| {
                    Ok(metric(
                        step as i64,
                        number(v, &format!("step {step}"))?,
                        now,
                    ))
                })
                .collect(),
            (Mode::Dict, Json::Object(map)) => map
                .iter()
                .map(|(step, v)| {
                    let at = step.parse::<i64>().map_err(|_| {
                        bad(format!(
                            "metric '{}': step '{step}' is not a whole number",
                            self.key
                        ))
                    })?;
                    Ok(metric(at, number(v, &format!("step {step}"))?, now))
                })
                .collect(),
            (Mode::History, Json::Array(items)) => items
                .iter()
                .map(|item| {
                    let step = item["step"].as_i64().ok_or_else(|| expected("history"))?;
                    let value = number(&item["value"], &format!("step {step}"))?;
                    Ok(metric(
                        step,
                        value,
                        item["timestamp"].as_i64().unwrap_or(now),
                    ))
                })
                .collect(),
            (Mode::List, _) => Err(expected("list")),
            (Mode::Dict, _) => Err(expected("dict")),
            (Mode::History, _) => Err(expected("history")),
        }
    }
}

impl Dataset for MetricHistoryDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        let run = run_to_read().map_err(DatasetError::Other)?;
        let fail = |e: crate::MlflowError| DatasetError::Other(e.to_string());
        // What this process queued is read back too.
        run.sender.wait();
        let store = run.sender.store();
        let run_id = match &self.run_id {
            Some(id) => id.clone(),
            None => store
                .child_with_metric(&run.experiment_id, &run.parent_run_id, &self.key)
                .map_err(fail)?
                // With `node_runs: false` the nodes log to the pipeline's run itself.
                .unwrap_or_else(|| run.parent_run_id.clone()),
        };
        let history = store.metric_history(&run_id, &self.key).map_err(fail)?;
        if history.is_empty() && self.run_id.is_none() {
            return Err(bad(format!(
                "no node of this run has logged metric '{}'; give run_id to read another run's",
                self.key
            )));
        }
        let doc = match self.load_mode {
            Mode::List => Json::Array(history.iter().map(|m| json!(m.value)).collect()),
            Mode::Dict => Json::Object(
                history
                    .iter()
                    .map(|m| (m.step.to_string(), json!(m.value)))
                    .collect::<Map<_, _>>(),
            ),
            Mode::History => Json::Array(
                history
                    .iter()
                    .map(|m| json!({"step": m.step, "value": m.value, "timestamp": m.timestamp}))
                    .collect(),
            ),
        };
        Ok(Value::new(doc))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let metrics = self.metrics(expect_ref::<Json>(&value)?)?;
        let Some(run) = current_run().map_err(DatasetError::Other)? else {
            skipped(&format!("metric '{}'", self.key));
            return Ok(());
        };
        let to = match &self.run_id {
            Some(id) => RunRef::Id(id.clone()),
            None => run.run.clone(),
        };
        run.sender.log(
            &to,
            Batch {
                metrics,
                ..Batch::default()
            },
        );
        Ok(())
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        Ok(false)
    }
}

pub(crate) fn dataset_type() -> DatasetType {
    DatasetType::new(
        "mlflow.MetricHistoryDataset",
        Holds::Fixed(TypeTag::of::<Json>()),
        &["key", "run_id", "load_args", "save_args"],
        |spec| {
            Ok(Arc::new(MetricHistoryDataset {
                key: spec.arg("key")?.unwrap_or_else(|| spec.name.to_owned()),
                run_id: spec.arg("run_id")?,
                load_mode: spec.options::<ModeArgs>("load_args")?.mode,
                save_mode: spec.options::<ModeArgs>("save_args")?.mode,
            }))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saving(mode: Mode) -> MetricHistoryDataset {
        MetricHistoryDataset {
            key: "loss".into(),
            run_id: None,
            load_mode: Mode::List,
            save_mode: mode,
        }
    }

    fn steps(metrics: &[Metric]) -> Vec<(i64, f64)> {
        metrics.iter().map(|m| (m.step, m.value)).collect()
    }

    #[test]
    fn each_save_mode_reads_the_steps_it_names() {
        let list = saving(Mode::List).metrics(&json!([0.5, 1.0])).unwrap();
        assert_eq!(steps(&list), [(0, 0.5), (1, 1.0)]);
        let dict = saving(Mode::Dict)
            .metrics(&json!({"3": 0.5, "7": 1.0}))
            .unwrap();
        assert_eq!(steps(&dict), [(3, 0.5), (7, 1.0)]);
        let history = json!([{"step": 2, "value": 0.5, "timestamp": 17}]);
        let history = saving(Mode::History).metrics(&history).unwrap();
        assert_eq!(steps(&history), [(2, 0.5)]);
        assert_eq!(history[0].timestamp, 17);
        let wrong = saving(Mode::Dict)
            .metrics(&json!([0.5]))
            .unwrap_err()
            .to_string();
        assert!(
            wrong.contains("must be a mapping of step to number"),
            "{wrong}"
        );
    }
}
