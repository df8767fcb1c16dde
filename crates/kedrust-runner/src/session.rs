//! One run of a project, the way `kedro run` runs one: configuration, pipeline selection and
//! filters, catalog, then the hooks and the runner.
//!
//! Everything that can be wrong with the request (config, pipeline names, filters, catalog
//! entries, dataset types against node types) is found before the first hook fires, and is a
//! [`SessionError`] that is not a run failure. From `after_context_created` on, any failure
//! is a failed run: `on_pipeline_error` fires exactly once and the resume hint is computed.

use crate::error::RunError;
use crate::executor::{self, Observer, Runner};
use crate::hooks::{CatalogInfo, ContextInfo, Hooks, PipelineInfo, RunResult};
use crate::missing;
use crate::params::{RunParams, framework_version};
use crate::process::{self, Launcher};
use crate::project::{DEFAULT_PIPELINE, Project};
use crate::resume;
use crate::task::Shared;
use crate::trace::{TracePoint, Tracer};
use kedrust_catalog::{Catalog, CatalogBuilder, ConfigProblem, ConfigProblems, new_version};
use kedrust_config::{ConfigError, ConfigErrors, run_env};
use kedrust_pipeline::{Filter, Pipeline, suggest::close_matches};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What to run and how: the options of `kedrust run`. Serialisable, so that every process
/// of a multi-process run rebuilds the same run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunOptions {
    /// `--env` (else `KEDRUST_ENV`, else `local`).
    pub env: Option<String>,
    /// `--conf-source` (else `<project>/conf`).
    pub conf_source: Option<PathBuf>,
    /// `--pipeline`: pipelines to combine (default `__default__`).
    pub pipeline_names: Vec<String>,
    /// The seven filters.
    pub filter: Filter,
    /// `--params`, parsed.
    pub runtime_params: Json,
    /// `--runner`.
    pub runner: Runner,
    /// `--load-versions`.
    pub load_versions: BTreeMap<String, String>,
    /// `--only-missing-outputs`.
    pub only_missing_outputs: bool,
    /// The run id, when a process of an existing run rebuilds it (default: a new one).
    pub run_id: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            env: None,
            conf_source: None,
            pipeline_names: Vec::new(),
            filter: Filter::default(),
            runtime_params: Json::Object(Map::new()),
            runner: Runner::Sequential,
            load_versions: BTreeMap::new(),
            only_missing_outputs: false,
            run_id: None,
        }
    }
}

/// Why a run did not happen or failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Configuration files or catalog entries are invalid, or the catalog does not fit the
    /// pipeline; every problem found, config files first.
    #[error("{}", invalid_lines(config, catalog))]
    Invalid {
        /// Problems of the config files.
        config: Vec<ConfigError>,
        /// Problems of catalog entries.
        catalog: Vec<ConfigProblem>,
    },
    /// The pipelines or the selection are invalid.
    #[error("{0}")]
    Selection(String),
    /// The run started and failed; hooks saw it.
    #[error("{error}")]
    Run {
        /// The first error.
        error: RunError,
        /// Kedro's resume suggestion, when some nodes ran.
        resume: Option<String>,
        /// The run id.
        run_id: String,
    },
    /// The project folder or the trace file could not be used.
    #[error("{0}")]
    Io(String),
}

impl SessionError {
    /// Whether the run started (exit code 1) rather than being refused (exit code 2).
    pub fn is_run_failure(&self) -> bool {
        matches!(self, Self::Run { .. })
    }
}

fn invalid_lines(config: &[ConfigError], catalog: &[ConfigProblem]) -> String {
    config
        .iter()
        .map(ToString::to_string)
        .chain(catalog.iter().map(ToString::to_string))
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<ConfigErrors> for SessionError {
    fn from(e: ConfigErrors) -> Self {
        Self::Invalid {
            config: e.errors,
            catalog: Vec::new(),
        }
    }
}

impl From<ConfigProblems> for SessionError {
    fn from(p: ConfigProblems) -> Self {
        Self::Invalid {
            config: Vec::new(),
            catalog: p.problems,
        }
    }
}

/// What a successful run reports.
#[derive(Debug)]
pub struct RunSummary {
    /// The run id.
    pub run_id: String,
    /// The nodes that ran, in completion order.
    pub nodes_run: Vec<String>,
    /// Nodes skipped by `--only-missing-outputs`.
    pub skipped: Vec<String>,
    /// Free outputs held in memory.
    pub result: RunResult,
}

/// Everything a run needs, prepared and checked before any hook fires.
pub struct Prepared {
    /// The project folder.
    pub project_path: PathBuf,
    /// The run environment.
    pub env: String,
    /// The config loader of the run.
    pub loader: kedrust_config::ConfigLoader,
    /// Parameters with runtime parameters applied.
    pub params: Json,
    /// The catalog and credentials config.
    pub conf_catalog: Json,
    /// The credentials config.
    pub conf_creds: Json,
    /// The selected, filtered pipeline.
    pub pipeline: Pipeline,
    /// The catalog, bound to the pipeline.
    pub catalog: Catalog,
    /// The run id, also the save version.
    pub run_id: String,
}

/// Resolves pipelines and filters, loads config and builds the catalog.
pub fn prepare(
    project: &Project,
    project_path: PathBuf,
    options: &RunOptions,
) -> Result<Prepared, SessionError> {
    let env = run_env(options.env.as_deref());
    let conf = options
        .conf_source
        .clone()
        .unwrap_or_else(|| project_path.join("conf"));
    if !conf.is_dir() {
        return Err(SessionError::Io(format!(
            "no configuration at {}: run from a project folder or pass --project-dir",
            conf.display()
        )));
    }
    let pipeline = select(project, options)?;
    let run_id = options.run_id.clone().unwrap_or_else(new_version);
    let built = build_catalog(project, &project_path, &conf, &env, options, &run_id)?;
    let catalog = built.catalog;
    catalog.bind(&pipeline)?;
    if matches!(options.runner, Runner::Process { .. }) {
        let problems: Vec<ConfigProblem> =
            process::without_codec(&pipeline, &catalog, project.registry())
                .into_iter()
                .map(|(dataset, type_name)| ConfigProblem {
                    at: None,
                    dataset,
                    message: format!(
                        "it holds {type_name}, which cannot travel between the processes of \
                         the process runner; register it with Registry::serde_type::<{type_name}>() \
                         or declare the dataset in the catalog"
                    ),
                })
                .collect();
        if !problems.is_empty() {
            return Err(ConfigProblems { problems }.into());
        }
    }
    Ok(Prepared {
        project_path,
        env,
        loader: built.loader,
        params: built.params,
        conf_catalog: built.conf_catalog,
        conf_creds: built.conf_creds,
        pipeline,
        catalog,
        run_id,
    })
}

/// A catalog and the configuration it came from.
pub struct BuiltCatalog {
    /// The catalog.
    pub catalog: Catalog,
    /// The loader that read the configuration.
    pub loader: kedrust_config::ConfigLoader,
    /// The catalog group.
    pub conf_catalog: Json,
    /// The credentials group.
    pub conf_creds: Json,
    /// The parameters, runtime parameters applied.
    pub params: Json,
}

/// Loads the catalog, credentials and parameters of `env` and builds the catalog, reporting
/// every config problem of the three groups together.
pub fn build_catalog(
    project: &Project,
    project_path: &std::path::Path,
    conf: &std::path::Path,
    env: &str,
    options: &RunOptions,
    save_version: &str,
) -> Result<BuiltCatalog, SessionError> {
    let loader = project
        .config_loader(conf, env)
        .runtime_params(options.runtime_params.clone());
    let mut errors = Vec::new();
    let mut group = |name: &str| match loader.load(name) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.extend(e.errors);
            None
        }
    };
    let (catalog_conf, creds, params) =
        (group("catalog"), group("credentials"), group("parameters"));
    let (Some(catalog_conf), Some(creds)) = (catalog_conf, creds) else {
        return Err(ConfigErrors { errors }.into());
    };
    let conf_catalog = catalog_conf.value.clone();
    // With broken parameters the catalog is still checked, so one run shows every problem.
    let built = CatalogBuilder::new(project.registry().clone())
        .config(catalog_conf)
        .credentials(creds.value.clone())
        .parameters(params.as_ref().map_or(Json::Null, |p| p.value.clone()))
        .root(project_path)
        .save_version(save_version)
        .load_versions(options.load_versions.clone())
        .build();
    let (catalog, params) = match (built, params) {
        (Ok(catalog), Some(params)) => (catalog, params),
        (built, _) => {
            return Err(SessionError::Invalid {
                config: errors,
                catalog: built.err().map(|p| p.problems).unwrap_or_default(),
            });
        }
    };
    Ok(BuiltCatalog {
        catalog,
        loader,
        conf_catalog,
        conf_creds: creds.value,
        params: params.value,
    })
}

/// The pipelines named (combined), filtered.
pub fn select(project: &Project, options: &RunOptions) -> Result<Pipeline, SessionError> {
    let pipelines = project
        .load_pipelines()
        .map_err(|e| SessionError::Selection(e.to_string()))?;
    let names: Vec<&str> = if options.pipeline_names.is_empty() {
        vec![DEFAULT_PIPELINE]
    } else {
        options.pipeline_names.iter().map(String::as_str).collect()
    };
    let mut chosen = Vec::new();
    for name in names {
        let Some(p) = pipelines.get(name) else {
            let hints = close_matches(name, pipelines.keys().map(String::as_str), 3, 0.6);
            let hint = if hints.is_empty() {
                format!(
                    "; existing pipelines: {}",
                    pipelines.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            } else {
                format!(
                    "; did you mean {}?",
                    hints
                        .iter()
                        .map(|h| format!("'{h}'"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            };
            return Err(SessionError::Selection(format!(
                "pipeline '{name}' not found{hint}"
            )));
        };
        chosen.push(p);
    }
    let combined = Pipeline::sum(chosen).map_err(|e| SessionError::Selection(e.to_string()))?;
    if options.filter == Filter::default() {
        return Ok(combined);
    }
    combined
        .filter(&options.filter)
        .map_err(|e| SessionError::Selection(e.to_string()))
}

/// Runs a prepared run with the project's hooks (and the tracer when asked for).
pub fn run(
    project: &Project,
    prepared: Prepared,
    options: &RunOptions,
    observe: Observer<'_>,
) -> Result<RunSummary, SessionError> {
    let Prepared {
        project_path,
        env,
        loader,
        params,
        conf_catalog,
        conf_creds,
        pipeline,
        catalog,
        run_id,
    } = prepared;
    let tracer = Tracer::from_env(&project_path)
        .map_err(|e| SessionError::Io(format!("cannot open the hook trace: {e}")))?
        .map(Arc::new);
    let hooks = Hooks::new(project.hooks().iter().cloned())
        .with_tracer(tracer)
        .for_run(&run_id, None);
    let launcher = match options.runner {
        Runner::Process { .. } => {
            let launcher = Launcher::new(&project_path, &run_id)
                .and_then(|l| {
                    let request = RunOptions {
                        run_id: Some(run_id.clone()),
                        ..options.clone()
                    };
                    l.prepare(&request).map(|()| l)
                })
                .map_err(|e| SessionError::Io(format!("cannot prepare the run folder: {e}")))?;
            process::install(&launcher.run_dir, &pipeline, &catalog);
            Some(launcher)
        }
        _ => None,
    };
    let run_params = RunParams {
        run_id: run_id.clone(),
        project_path: project_path.to_string_lossy().into_owned(),
        env: env.clone(),
        kedro_version: framework_version(),
        tags: options.filter.tags.clone(),
        from_nodes: options.filter.from_nodes.clone(),
        to_nodes: options.filter.to_nodes.clone(),
        node_names: options.filter.node_names.clone(),
        from_inputs: options.filter.from_inputs.clone(),
        to_outputs: options.filter.to_outputs.clone(),
        load_versions: options.load_versions.clone(),
        runtime_params: options.runtime_params.clone(),
        pipeline_names: options.pipeline_names.clone(),
        namespaces: options.filter.node_namespaces.clone(),
        runner: options.runner.kedro_name().to_owned(),
        only_missing_outputs: options.only_missing_outputs,
    };
    let info = PipelineInfo {
        run_params: &run_params,
        pipeline: &pipeline,
        catalog: &catalog,
    };
    let outcome = lifecycle(
        &hooks,
        &project_path,
        &env,
        &loader,
        &params,
        &conf_catalog,
        &conf_creds,
        info,
        options,
        observe,
        launcher.as_ref(),
    );
    if let Some(l) = &launcher {
        l.clean();
    }
    match outcome {
        Ok(summary) => Ok(summary),
        Err((error, done)) => {
            let resume = done
                .as_deref()
                .and_then(|d| resume::suggestion(&pipeline, &catalog, d));
            // on_pipeline_error fires once; if it fails too, both are reported.
            let error = match hooks.each("on_pipeline_error", TracePoint::default(), |h| {
                h.on_pipeline_error(&error, info)
            }) {
                Ok(()) => error,
                Err(hook_error) => {
                    tracing::error!("{hook_error}");
                    error
                }
            };
            Err(SessionError::Run {
                error,
                resume,
                run_id,
            })
        }
    }
}

type Failed = (RunError, Option<Vec<String>>);

#[allow(clippy::too_many_arguments)]
fn lifecycle(
    hooks: &Hooks,
    project_path: &std::path::Path,
    env: &str,
    loader: &kedrust_config::ConfigLoader,
    params: &Json,
    conf_catalog: &Json,
    conf_creds: &Json,
    info: PipelineInfo<'_>,
    options: &RunOptions,
    observe: Observer<'_>,
    launcher: Option<&Launcher>,
) -> Result<RunSummary, Failed> {
    let start = TracePoint::default();
    let hook_failed = |e: crate::error::HookError| (RunError::Hook(e), None);
    let context = ContextInfo {
        project_path,
        env,
        config_loader: loader,
        params,
    };
    hooks
        .each("after_context_created", start, |h| {
            h.after_context_created(&context)
        })
        .map_err(hook_failed)?;
    let parameters = parameter_datasets(params);
    let catalog_info = CatalogInfo {
        catalog: info.catalog,
        conf_catalog,
        conf_creds,
        parameters: &parameters,
        save_version: info.catalog.save_version(),
        load_versions: &options.load_versions,
    };
    hooks
        .each("after_catalog_created", start, |h| {
            h.after_catalog_created(&catalog_info)
        })
        .map_err(hook_failed)?;
    hooks
        .each("before_pipeline_run", start, |h| {
            h.before_pipeline_run(info)
        })
        .map_err(hook_failed)?;
    let (to_run, skipped) = if options.only_missing_outputs {
        let (run, skip) = missing::select(info.pipeline, info.catalog);
        tracing::info!(
            "skipping {} nodes with existing outputs; running {} of {}",
            skip.len(),
            run.len(),
            info.pipeline.len()
        );
        (missing::restrict(info.pipeline, &run), skip)
    } else {
        (info.pipeline.clone(), Vec::new())
    };
    let shared = Shared::new(&to_run, info.catalog, hooks);
    let nodes_run = executor::execute(options.runner, &to_run, &shared, observe, launcher)
        .map_err(|f| (f.error, Some(f.done)))?;
    let mut result = RunResult::default();
    for name in info.pipeline.outputs() {
        if info.catalog.is_ephemeral(&name)
            && let Ok(value) = info.catalog.load(&name)
        {
            result.outputs.insert(name, value);
        }
    }
    hooks
        .each("after_pipeline_run", start, |h| {
            h.after_pipeline_run(&result, info)
        })
        .map_err(hook_failed)?;
    Ok(RunSummary {
        run_id: hooks.run_id().to_owned(),
        nodes_run,
        skipped,
        result,
    })
}

/// `parameters`, `params:a`, `params:a.b`, ... as Kedro's `after_catalog_created` lists them.
fn parameter_datasets(params: &Json) -> BTreeMap<String, Json> {
    fn nested(prefix: &str, value: &Json, out: &mut BTreeMap<String, Json>) {
        if let Json::Object(map) = value {
            for (k, v) in map {
                let name = format!("{prefix}.{k}");
                nested(&name, v, out);
                out.insert(name, v.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Json::Object(map) = params {
        for (k, v) in map {
            let name = format!("params:{k}");
            nested(&name, v, &mut out);
            out.insert(name, v.clone());
        }
    }
    out.insert("parameters".into(), params.clone());
    out
}

/// The child side of the process runner: rebuilds the run from the parent's request, runs
/// one node between its node and dataset hooks, and reports a failure in the run folder.
pub fn run_child(
    project: &Project,
    project_path: PathBuf,
    run_dir: &std::path::Path,
    node_name: &str,
) -> Result<(), String> {
    child(project, project_path, run_dir, node_name).inspect_err(|message| {
        // The parent reads the message from here and reports it once.
        let _ = std::fs::write(process::error_path(run_dir, node_name), message);
    })
}

fn child(
    project: &Project,
    project_path: PathBuf,
    run_dir: &std::path::Path,
    node_name: &str,
) -> Result<(), String> {
    let request = std::fs::read(run_dir.join("request.json"))
        .map_err(|e| format!("cannot read the run request in {}: {e}", run_dir.display()))?;
    let options: RunOptions =
        serde_json::from_slice(&request).map_err(|e| format!("bad run request: {e}"))?;
    let run_id = options
        .run_id
        .clone()
        .ok_or("the run request has no run id")?;
    let prepared = prepare(project, project_path.clone(), &options).map_err(|e| e.to_string())?;
    let Some(node) = prepared.pipeline.node(node_name) else {
        return Err(format!("node '{node_name}' is not in the run's pipeline"));
    };
    process::install(run_dir, &prepared.pipeline, &prepared.catalog);
    let one = prepared
        .pipeline
        .only_nodes(&[node_name])
        .map_err(|e| e.to_string())?;
    let tracer = Tracer::from_env(&project_path)
        .map_err(|e| format!("cannot open the hook trace: {e}"))?
        .map(Arc::new);
    let hooks = Hooks::new(project.hooks().iter().cloned())
        .with_tracer(tracer)
        .for_run(&run_id, Some(node_name));
    let shared = Shared::new(&one, &prepared.catalog, &hooks);
    crate::task::run_node(&shared, node).map_err(|e| e.to_string())
}
