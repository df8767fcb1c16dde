//! Which logging a process gets: its configuration's `logging.yml` layers and, for
//! `run --job`, the job's loggers.

use super::LogSetup;
use super::dict_config::{from_dagster_loggers, from_dict_config};
use crate::place::Place;
use std::collections::BTreeMap;

/// The logging of this process: `logging.yml` of the configuration and, for `run --job`, the
/// job's loggers of `dagster.yml`; `None` when neither says anything. A missing environment
/// is left to the command, which reports it where it reads configuration.
pub(crate) fn load(
    project: &kedrust_framework::Project,
    at: &Place,
    job: Option<&str>,
) -> Result<Option<LogSetup>, String> {
    let loader = project
        .config_loader(&at.conf, &at.env)
        .merge_strategy("logging", kedrust_config::MergeStrategy::Soft);
    if loader.check_environments().is_err() {
        return Ok(None);
    }
    // Kedro 0.19 keeps logging.yml beside the environments; it is the lowest layer.
    let mut document = kedrust_config::Document {
        value: serde_json::Value::Object(Default::default()),
        locations: BTreeMap::new(),
    };
    for name in ["logging.yml", "logging.yaml"] {
        let path = at.conf.join(name);
        if let Ok(text) = std::fs::read_to_string(&path) {
            document = kedrust_config::parse(&std::sync::Arc::new(path), &text)
                .map_err(|e| e.to_string())?;
            break;
        }
    }
    let group = loader.load("logging").map_err(|e| e.to_string())?;
    kedrust_config::deep_merge(&mut document.value, group.value);
    document.locations.extend(group.locations);
    let configured = document.value.as_object().is_some_and(|m| !m.is_empty());
    let mut setup = match configured {
        true => Some(
            from_dict_config(&document.value, &document.locations, &at.root)
                .map_err(|problems| problems.join("\n"))?,
        ),
        false => None,
    };
    // A job's loggers: a dagster.yml that does not load is reported by the run itself.
    if let Some(job) = job
        && let Ok(dagster) = kedrust_framework::load_dagster(project, &at.conf, &at.env)
        && let Some(job) = dagster.job(job)
    {
        let (loggers, warnings) = from_dagster_loggers(&dagster.loggers_of(job), &at.root);
        // Logging starts after this; these go to stderr as the command's own warnings do.
        for warning in warnings {
            eprintln!("warning: {warning}");
        }
        setup = Some(setup.unwrap_or_default().with(loggers));
    }
    Ok(setup)
}
