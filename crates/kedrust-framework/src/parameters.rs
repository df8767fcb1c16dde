//! Every parameter a node reads, checked before the run: it is in the parameters config, and
//! it deserialises into the node's `Param<T>`. Kedro finds either only when the node runs.

use kedrust_catalog::ConfigProblem;
use kedrust_config::{KeyPath, Loc, dotted_paths, nearest_location};
use kedrust_pipeline::naming::{ALL_PARAMETERS, PARAMS_PREFIX};
use kedrust_pipeline::{ArgKind, Pipeline};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The problems of the parameters `pipeline` reads from `params` (located by `locations`).
pub(crate) fn check(
    pipeline: &Pipeline,
    params: &Json,
    locations: &BTreeMap<KeyPath, Loc>,
) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    for node in pipeline.nodes() {
        for (name, arg) in node.inputs().iter().zip(node.input_types()) {
            let Some(path) = key_path(name) else {
                continue;
            };
            let found = path.iter().try_fold(params, |v, k| v.get(k));
            let problem = match (found, arg.check) {
                (None, _) => {
                    let keys = dotted_paths(params);
                    let wanted = path.join(".");
                    let nearest = kedrust_pipeline::suggest::best_match(
                        &wanted,
                        keys.iter().map(|(k, _)| k.as_str()),
                    );
                    let hint =
                        nearest.map_or(String::new(), |k| format!("; did you mean 'params:{k}'?"));
                    let at = nearest
                        .and_then(|k| {
                            locations.get(&k.split('.').map(str::to_owned).collect::<Vec<_>>())
                        })
                        .cloned();
                    ConfigProblem {
                        at,
                        dataset: name.clone(),
                        message: format!(
                            "node '{}' reads it, but the parameters config has no key '{wanted}'{hint}",
                            node.node_name()
                        ),
                    }
                }
                (Some(value), Some(check)) if arg.kind == ArgKind::Parameter => {
                    match check(value) {
                        Ok(()) => continue,
                        Err(why) => ConfigProblem {
                            at: nearest_location(locations, &path),
                            dataset: name.clone(),
                            message: format!(
                                "node '{}' reads it as {}: {why}",
                                node.node_name(),
                                arg.declared.short_name()
                            ),
                        },
                    }
                }
                _ => continue,
            };
            problems.push(problem);
        }
    }
    problems
}

/// The key path of a parameter dataset (`params:a.b` is `a.b`; `parameters` is the root).
fn key_path(name: &str) -> Option<Vec<String>> {
    if name == ALL_PARAMETERS {
        return Some(Vec::new());
    }
    let key = name.strip_prefix(PARAMS_PREFIX)?;
    Some(key.split('.').map(str::to_owned).collect())
}
