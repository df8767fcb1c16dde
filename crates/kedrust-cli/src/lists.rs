//! The listing commands: pipelines, datasets, patterns, resolutions, info. Output is YAML, as
//! Kedro prints it, so scripts can read it.

use kedrust_catalog::{Catalog, Source};
use kedrust_framework::{DEFAULT_PIPELINE, Pipelines, Project, RunOptions, build_catalog};
use kedrust_pipeline::naming::{base_name, is_parameter};
use kedrust_pipeline::suggest::close_matches;
use serde_json::{Map, Value as Json, json};
use std::collections::BTreeMap;
use std::path::Path;

/// Every listing is printed here, secrets hidden (an entry may hold a URI with a password).
fn yaml(value: &Json) -> String {
    serde_saphyr::to_string(&kedrust_secrets::redact_json(value))
        .unwrap_or_else(|e| format!("# cannot print: {e}\n"))
}

fn pipelines_of(project: &Project, conf: &Path, env: &str) -> Result<Pipelines, String> {
    project.load_pipelines(conf, env).map_err(|e| e.to_string())
}

/// `pipeline list`: the names, sorted.
pub(crate) fn pipelines(project: &Project, conf: &Path, env: &str) -> Result<String, String> {
    let names: Vec<Json> = pipelines_of(project, conf, env)?
        .into_keys()
        .map(Json::String)
        .collect();
    Ok(yaml(&Json::Array(names)))
}

/// `pipeline describe <name>`: the nodes in execution order with their functions; with a
/// grouping, the ops they would become and the memory datasets that would cross between
/// them.
pub(crate) fn describe(
    project: &Project,
    (root, conf): (&Path, &Path),
    env: &str,
    name: &str,
    grouping: Option<kedrust_plan::Grouping>,
) -> Result<String, String> {
    let all = pipelines_of(project, conf, env)?;
    let Some(p) = all.get(name) else {
        return Err(unknown_pipeline(name, &all));
    };
    let mut out = String::from("Nodes:\n");
    for node in p.nodes() {
        out.push_str(&format!(
            "- {} ({})\n",
            node.node_name(),
            node.function_name()
        ));
    }
    if let Some(grouping) = grouping {
        let catalog = catalog_of(project, (root, conf), env)?;
        out.push_str(&describe_groups(p, &catalog, &grouping)?);
    }
    Ok(out)
}

/// The ops of `pipeline` grouped by `grouping`, and what crosses between them in memory.
fn describe_groups(
    pipeline: &kedrust_pipeline::Pipeline,
    catalog: &Catalog,
    grouping: &kedrust_plan::Grouping,
) -> Result<String, String> {
    let groups = kedrust_plan::groups(grouping, pipeline, catalog, true)
        .map_err(|problems| problems.join("\n"))?;
    let mut out = format!("Ops ({} of {} nodes):\n", groups.len(), pipeline.len());
    let mut group_of = BTreeMap::new();
    for group in &groups {
        if group.alone {
            out.push_str(&format!("- {}\n", group.name));
        } else {
            out.push_str(&format!("- {}: {}\n", group.name, group.nodes.join(", ")));
        }
        for node in &group.nodes {
            group_of.insert(node.as_str(), group.name.as_str());
        }
    }
    // A memory dataset one op writes and another reads: each op is a process of its own on
    // Dagster and in the process runner, so it needs a codec there.
    let mut crossing = Vec::new();
    for node in pipeline.nodes() {
        for output in node.outputs().iter().filter(|o| catalog.holds_in_memory(o)) {
            let readers: std::collections::BTreeSet<&str> = pipeline
                .nodes()
                .filter(|n| n.inputs().iter().any(|i| base_name(i) == base_name(output)))
                .filter_map(|n| group_of.get(n.node_name()).copied())
                .filter(|g| Some(g) != group_of.get(node.node_name()))
                .collect();
            if !readers.is_empty() {
                let readers: Vec<&str> = readers.into_iter().collect();
                crossing.push(format!(
                    "- {output} ({} -> {})\n",
                    group_of[node.node_name()],
                    readers.join(", ")
                ));
            }
        }
    }
    if crossing.is_empty() {
        out.push_str("Memory datasets between ops: none\n");
    } else {
        out.push_str("Memory datasets between ops:\n");
        out.extend(crossing);
    }
    Ok(out)
}

fn unknown_pipeline(name: &str, all: &Pipelines) -> String {
    let hints = close_matches(name, all.keys().map(String::as_str), 1, 0.6);
    let hint = hints
        .first()
        .map(|h| format!("; did you mean '{h}'?"))
        .unwrap_or_default();
    format!(
        "pipeline '{name}' not found{hint} (existing pipelines: {})",
        all.keys().cloned().collect::<Vec<_>>().join(", ")
    )
}

pub(crate) fn catalog_of(
    project: &Project,
    (root, conf): (&Path, &Path),
    env: &str,
) -> Result<Catalog, String> {
    build_catalog(
        project,
        root,
        conf,
        env,
        &RunOptions::default(),
        &kedrust_catalog::new_version(),
    )
    .map(|b| b.catalog)
    .map_err(|e| e.to_string())
}

fn chosen(
    project: &Project,
    (conf, env): (&Path, &str),
    names: &[String],
) -> Result<Vec<(String, kedrust_pipeline::Pipeline)>, String> {
    let all = pipelines_of(project, conf, env)?;
    if names.is_empty() {
        return Ok(all.into_iter().collect());
    }
    names
        .iter()
        .map(|n| {
            all.get(n)
                .cloned()
                .map(|p| (n.clone(), p))
                .ok_or_else(|| unknown_pipeline(n, &all))
        })
        .collect()
}

/// `catalog list` (Kedro: `catalog describe-datasets`): per pipeline, its datasets by type,
/// split into catalog entries, pattern matches and undeclared (memory) datasets.
pub(crate) fn describe_datasets(
    project: &Project,
    at: (&Path, &Path),
    env: &str,
    pipelines: &[String],
) -> Result<String, String> {
    let catalog = catalog_of(project, at, env)?;
    let mut out = Map::new();
    for (name, pipeline) in chosen(project, (at.1, env), pipelines)? {
        let mut groups: BTreeMap<&str, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for ds in pipeline.datasets().into_iter().filter(|d| !is_parameter(d)) {
            let (group, type_name) = match catalog.resolve(&ds) {
                Some(r) if r.source == Source::Entry => ("datasets", r.type_name),
                Some(r) if matches!(r.source, Source::Pattern(_)) => ("factories", r.type_name),
                _ => ("defaults", "MemoryDataset".to_owned()),
            };
            groups
                .entry(group)
                .or_default()
                .entry(type_name)
                .or_default()
                .push(ds);
        }
        let mut section = Map::new();
        for group in ["datasets", "factories", "defaults"] {
            section.insert(
                group.into(),
                json!(groups.remove(group).unwrap_or_default()),
            );
        }
        out.insert(name, Json::Object(section));
    }
    Ok(yaml(&Json::Object(out)))
}

/// `catalog resolve <name>`: where the name's definition comes from and its configuration.
pub(crate) fn resolve(
    project: &Project,
    at: (&Path, &Path),
    env: &str,
    name: &str,
) -> Result<String, String> {
    let catalog = catalog_of(project, at, env)?;
    let out = match catalog.resolve(name) {
        Some(r) => {
            let source = match &r.source {
                Source::Entry => json!("catalog entry"),
                Source::Pattern(p) => json!({"pattern": p}),
                Source::Parameter => json!("parameter"),
                Source::Default | Source::Added => json!("default"),
            };
            let mut m = Map::new();
            m.insert("dataset".into(), json!(name));
            m.insert("source".into(), source);
            if let Some(at) = &r.at {
                m.insert("defined_at".into(), json!(at.to_string()));
            }
            m.insert(
                "config".into(),
                r.config.unwrap_or_else(|| json!({"type": r.type_name})),
            );
            Json::Object(m)
        }
        None => json!({
            "dataset": name,
            "source": "default",
            "config": {"type": "MemoryDataset"},
        }),
    };
    Ok(yaml(&out))
}

/// `catalog list-patterns`: patterns in matching order, then the default.
pub(crate) fn patterns(project: &Project, at: (&Path, &Path), env: &str) -> Result<String, String> {
    let catalog = catalog_of(project, at, env)?;
    let unmatched = kedrust_framework::unmatched_patterns(project, (at.1, env), &catalog)
        .map_err(|e| e.to_string())?;
    for pattern in unmatched {
        tracing::warn!("{pattern}");
    }
    let mut list: Vec<Json> = catalog.patterns().into_iter().map(|p| json!(p)).collect();
    list.push(json!("{default}"));
    Ok(yaml(&Json::Array(list)))
}

/// `catalog resolve-patterns`: every dataset of the pipelines with its configuration.
pub(crate) fn resolve_patterns(
    project: &Project,
    at: (&Path, &Path),
    env: &str,
    pipelines: &[String],
) -> Result<String, String> {
    let catalog = catalog_of(project, at, env)?;
    let mut names: Vec<String> = catalog
        .list()
        .into_iter()
        .filter(|r| r.source == Source::Entry)
        .map(|r| r.name)
        .collect();
    for (_, p) in chosen(project, (at.1, env), pipelines)? {
        names.extend(p.datasets().into_iter().filter(|d| !is_parameter(d)));
    }
    names.sort();
    names.dedup();
    let mut out = Map::new();
    for name in names {
        let config = catalog
            .resolve(&name)
            .and_then(|r| r.config)
            .unwrap_or_else(|| json!({"type": "MemoryDataset"}));
        out.insert(name, config);
    }
    Ok(yaml(&Json::Object(out)))
}

/// `info`: the project, its pipelines and the dataset types it can use.
pub(crate) fn info(
    project: &Project,
    root: &Path,
    conf: &Path,
    env: &str,
) -> Result<String, String> {
    let pipelines: Map<String, Json> = pipelines_of(project, conf, env)?
        .into_iter()
        .map(|(k, v)| (k, json!(v.len())))
        .collect();
    Ok(yaml(&json!({
        "kedrust": kedrust_runner::framework_version(),
        "project": project.name(),
        "project_path": root.display().to_string(),
        "env": env,
        "default_pipeline": DEFAULT_PIPELINE,
        "pipelines (nodes)": pipelines,
        "hooks": project.hooks().iter().map(|h| h.name()).collect::<Vec<_>>(),
        // The MLflow hook is registered when some environment has an mlflow.yml, and tracks
        // runs in those environments only.
        "mlflow_tracks_environments": kedrust_mlflow::tracked_environments(conf),
        "dataset_types": project.registry().names().collect::<Vec<_>>(),
        "serde_types": project.registry().codec_names(),
        "commands": project.commands().iter().map(|c| json!({"name": c.name, "about": c.about})).collect::<Vec<_>>(),
    })))
}
