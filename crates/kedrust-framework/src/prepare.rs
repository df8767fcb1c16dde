//! Everything a run needs, found and checked before any hook fires: the job (from
//! `dagster.yml`, or an ad-hoc one), the pipeline with its filters, config, the catalog bound
//! to the pipeline, and the plan.

use crate::options::{RunOptions, SessionError};
use crate::project::{DEFAULT_PIPELINE, Pipelines, Project};
use kedrust_catalog::{Catalog, CatalogBuilder, ConfigProblem, ConfigProblems, new_version};
use kedrust_config::{ConfigErrors, run_env};
use kedrust_pipeline::{Filter, Pipeline, suggest::close_matches};
use kedrust_plan::{AssetGraph, DagsterConfig, Executor, ExecutorKind, Job, JobPlan};
use kedrust_runner::Runner;
use serde_json::Value as Json;
use std::path::PathBuf;

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
    /// The options, with the job's pipeline, filters and executor applied.
    pub options: RunOptions,
    /// The plan: start op, node ops, end op.
    pub plan: JobPlan,
}

/// The name of the job of a run without `--job`.
pub const AD_HOC_JOB: &str = "run";

/// The `dagster` group of `env`, checked against the project's pipelines.
pub fn load_dagster(
    project: &Project,
    conf: &std::path::Path,
    env: &str,
) -> Result<DagsterConfig, SessionError> {
    let config = project.config_loader(conf, env).load("dagster")?;
    let pipelines = project.load_pipelines(conf, env)?;
    let names: Vec<&str> = pipelines.keys().map(String::as_str).collect();
    kedrust_plan::parse(&config, &names).map_err(|e| SessionError::Selection(e.to_string()))
}

/// The job called `name`, or an error listing the jobs with the nearest one.
pub fn find_job<'a>(dagster: &'a DagsterConfig, name: &str) -> Result<&'a Job, SessionError> {
    dagster.job(name).ok_or_else(|| {
        let jobs: Vec<&str> = dagster.jobs.iter().map(|j| j.name.as_str()).collect();
        let hint = kedrust_pipeline::suggest::hint(name, jobs.iter().copied());
        SessionError::Selection(format!(
            "job '{name}' is not in dagster.yml (jobs: {}){hint}",
            if jobs.is_empty() {
                "none".into()
            } else {
                jobs.join(", ")
            }
        ))
    })
}

/// The plan of `job` in `env` and the catalog it was planned over (not bound to the
/// pipeline).
pub fn plan_job(
    project: &Project,
    project_path: &std::path::Path,
    conf: &std::path::Path,
    env: &str,
    job: &Job,
) -> Result<(JobPlan, Pipeline, BuiltCatalog), SessionError> {
    let options = RunOptions {
        env: Some(env.to_owned()),
        pipeline_names: vec![job.pipeline_name.clone()],
        filter: job.filter.clone(),
        fan_out: job.fan_out,
        ..RunOptions::default()
    };
    let (pipeline, built) = for_dagster(project, (project_path, conf), &options)?;
    let plan = plan_of(job, env, (&pipeline, !job.fan_out), &built.catalog)?;
    let crossing = plan.crossing();
    check_codecs(
        project,
        (&pipeline, &built.catalog),
        &|d| crossing.contains(d),
        "the ops of a Dagster run (each op is a process of its own)",
    )?;
    Ok((plan, pipeline, built))
}

/// The asset graph of the project's `__default__` pipeline in `env` (the project, as `kedro
/// run` sees it; registered pipelines may share node names, so their union need not be one
/// pipeline), and the pipeline and catalog it was read from.
pub fn plan_assets(
    project: &Project,
    project_path: &std::path::Path,
    conf: &std::path::Path,
    env: &str,
) -> Result<(AssetGraph, Pipeline, BuiltCatalog), SessionError> {
    let options = RunOptions {
        env: Some(env.to_owned()),
        ..RunOptions::default()
    };
    let (pipeline, built) = for_dagster(project, (project_path, conf), &options)?;
    check_codecs(
        project,
        (&pipeline, &built.catalog),
        &|_| true,
        "the asset ops of a Dagster run (each op is a process of its own)",
    )?;
    let graph = AssetGraph::build(&pipeline, &built.catalog);
    Ok((graph, pipeline, built))
}

/// The pipeline `options` select and the catalog bound to it, for Dagster: every op (`what`)
/// of a Dagster run is a process of its own, so in-memory data between nodes needs a codec,
/// whatever the executor, and the code location refuses to load without one.
fn for_dagster(
    project: &Project,
    (project_path, conf): (&std::path::Path, &std::path::Path),
    options: &RunOptions,
) -> Result<(Pipeline, BuiltCatalog), SessionError> {
    let env = run_env(options.env.as_deref());
    let pipeline = select(project, (conf, &env), options)?;
    let built = build_catalog(project, project_path, conf, &env, options, &new_version())?;
    let pipeline = if options.fan_out {
        crate::fan_out::expand_for(project, project_path, (&pipeline, &built.catalog), options)?
    } else {
        pipeline
    };
    let mut problems = crate::partitioned::map_inputs(&pipeline, &built.catalog);
    problems.extend(crate::partitioned::whole_partitions_outside_fan_out(
        &pipeline,
        &built.catalog,
    ));
    if !problems.is_empty() {
        return Err(ConfigProblems { problems }.into());
    }
    built.catalog.bind(&pipeline)?;
    Ok((pipeline, built))
}

/// Refuses memory datasets that `carried` says travel between the processes `between` but
/// have no codec.
fn check_codecs(
    project: &Project,
    (pipeline, catalog): (&Pipeline, &Catalog),
    carried: &dyn Fn(&str) -> bool,
    between: &str,
) -> Result<(), SessionError> {
    let problems = codec_problems(project, pipeline, catalog, carried, between);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigProblems { problems }.into())
    }
}

/// The plan of `job` over `pipeline` (`whole`: the job's whole pipeline), or its grouping's
/// problems, each naming the job.
fn plan_of(
    job: &Job,
    env: &str,
    (pipeline, whole): (&Pipeline, bool),
    catalog: &Catalog,
) -> Result<JobPlan, SessionError> {
    JobPlan::build_over(job, env, (pipeline, whole), catalog).map_err(|problems| {
        SessionError::Selection(format!(
            "job '{}' cannot be grouped as dagster.yml or --group-by asks:\n  {}",
            job.name,
            problems.join("\n  ")
        ))
    })
}

/// The in-memory datasets of `pipeline` whose values cannot travel between processes (no
/// serde codec), said for the processes `between`.
fn codec_problems(
    project: &Project,
    pipeline: &Pipeline,
    catalog: &Catalog,
    carried: &dyn Fn(&str) -> bool,
    between: &str,
) -> Vec<ConfigProblem> {
    kedrust_runner::without_codec(pipeline, catalog, project.registry(), carried)
        .into_iter()
        .map(|(dataset, type_name)| ConfigProblem {
            at: None,
            dataset,
            message: format!(
                "it holds {type_name}, which cannot travel between {between}; register it with \
                 Registry::serde_type::<{type_name}>() or declare the dataset in the catalog"
            ),
        })
        .collect()
}

/// Applies `--job`: the job's pipeline and filters, and its executor as the runner.
pub(crate) fn resolve_job(
    project: &Project,
    conf: &std::path::Path,
    env: &str,
    options: &RunOptions,
) -> Result<(RunOptions, Job), SessionError> {
    let Some(name) = &options.job else {
        let executor = match options.runner {
            Runner::Process { max_workers } => Executor {
                kind: ExecutorKind::Multiprocess,
                options: Default::default(),
                max_concurrent: max_workers,
            },
            Runner::Threaded { max_workers } => Executor {
                kind: ExecutorKind::InProcess,
                options: Default::default(),
                max_concurrent: max_workers,
            },
            Runner::Sequential => Executor::in_process(),
        };
        let job = Job {
            name: AD_HOC_JOB.into(),
            pipeline_name: options
                .pipeline_names
                .first()
                .cloned()
                .unwrap_or_else(|| DEFAULT_PIPELINE.into()),
            filter: options.filter.clone(),
            executor,
            schedule: None,
            loggers: Vec::new(),
            inline_loggers: Default::default(),
            retry_policy: None,
            tag_retry_policies: Default::default(),
            group_workers: 1,
            fan_out: options.fan_out,
            grouping: options.group_by.clone().unwrap_or_default(),
        };
        return Ok((options.clone(), job));
    };
    let dagster = load_dagster(project, conf, env)?;
    let job = find_job(&dagster, name)?;
    let runner = match job.executor.kind {
        ExecutorKind::Multiprocess => Runner::Process {
            max_workers: job.executor.max_concurrent,
        },
        // A library executor's job runs its ops on Dagster, each op its own nodes; an
        // embedded run of it is refused by `embedded_executor`.
        _ => Runner::Sequential,
    };
    let mut resolved = options.clone();
    resolved.pipeline_names = vec![job.pipeline_name.clone()];
    if resolved.filter == Filter::default() {
        resolved.filter = job.filter.clone();
    }
    resolved.runner = runner;
    resolved.fan_out |= job.fan_out;
    let mut job = job.clone();
    if let Some(grouping) = &options.group_by {
        job.grouping = grouping.clone();
    }
    Ok((resolved, job))
}

/// Refuses an embedded run of `job` when its executor lives in Dagster's libraries.
pub fn embedded_executor(job: &str, executor: &Executor) -> Result<(), SessionError> {
    if executor.runs_embedded() {
        return Ok(());
    }
    Err(SessionError::Selection(format!(
        "job '{job}' uses the {} executor, which runs on Dagster (export the code location); \
         embedded runs use in_process or multiprocess",
        executor.kind
    )))
}

/// The configuration folder of a request: `--conf-source`, else `<project>/conf`.
pub fn conf_dir(project_path: &std::path::Path, options: &RunOptions) -> PathBuf {
    options
        .conf_source
        .clone()
        .unwrap_or_else(|| project_path.join("conf"))
}

/// Resolves pipelines and filters, loads config and builds the catalog.
pub fn prepare(
    project: &Project,
    project_path: PathBuf,
    options: &RunOptions,
) -> Result<Prepared, SessionError> {
    let env = run_env(options.env.as_deref());
    let conf = conf_dir(&project_path, options);
    if !conf.is_dir() {
        return Err(SessionError::Io(format!(
            "no configuration at {}: run from a project folder or pass --project-dir",
            conf.display()
        )));
    }
    // Run ids become folder names in every process of the run.
    for id in [&options.run_id, &options.parent_run_id]
        .into_iter()
        .flatten()
    {
        kedrust_store::check_run_id(id).map_err(SessionError::Selection)?;
    }
    let (options, job) = resolve_job(project, &conf, &env, options)?;
    let options = &options;
    // Loaded once: the selection, and the check of partition mappings against every pipeline.
    let pipelines = project.load_pipelines(&conf, &env)?;
    let pipeline = select_from(&pipelines, options)?;
    let run_id = options.run_id.clone().unwrap_or_else(new_version);
    let save_version = options
        .save_version
        .clone()
        .unwrap_or_else(|| run_id.clone());
    let built = build_catalog(project, &project_path, &conf, &env, options, &save_version)?;
    for hook in project.hooks() {
        hook.check_config(&built.loader)
            .map_err(|e| SessionError::HookConfig {
                hook: hook.name(),
                message: e.to_string(),
            })?;
    }
    let catalog = built.catalog;
    let pipeline = if options.fan_out {
        crate::fan_out::expand_for(project, &project_path, (&pipeline, &catalog), options)?
    } else {
        pipeline
    };
    // Every problem before the run, together: the parameters the nodes read, then the catalog.
    let mut problems = crate::parameters::check(&pipeline, &built.params, &built.param_locations);
    problems.extend(crate::partitioned::map_inputs(&pipeline, &catalog));
    if pipeline
        .datasets()
        .iter()
        .any(|d| catalog.has_partition_mappings(d))
    {
        let names = pipelines.values().flat_map(|p| p.datasets()).collect();
        problems.extend(crate::partitioned::unknown_mapping_outputs(
            &pipeline, &catalog, &names,
        ));
    }
    if let Err(bound) = catalog.bind(&pipeline) {
        problems.extend(bound.problems);
    }
    // A dynamic key must be one the project added; a Dagster run's key is one Dagster's
    // instance has, which it checked.
    let dynamic = |name: &str, key: &str| {
        if options.tags.contains_key("dagster/run_id") {
            return None;
        }
        match crate::settings::open_store(project, &project_path) {
            Ok(store) => crate::dynamic_keys::unknown_key(&store, name, key),
            Err(e) => Some(e.to_string()),
        }
    };
    problems.extend(crate::partitioned::problems(&pipeline, &catalog, &dynamic));
    problems.extend(crate::partitioned::whole_partitions_outside_fan_out(
        &pipeline, &catalog,
    ));
    if !problems.is_empty() {
        return Err(ConfigProblems { problems }.into());
    }
    // Nodes a run leaves out (a resumed run, filters beyond the job's) may empty a group.
    let whole = options.filter == job.filter && !options.fan_out;
    let plan = plan_of(&job, &env, (&pipeline, whole), &catalog)?;
    if matches!(options.runner, Runner::Process { .. }) {
        let crossing = plan.crossing();
        check_codecs(
            project,
            (&pipeline, &catalog),
            &|d| crossing.contains(d),
            "the processes of the process runner",
        )?;
    }
    Ok(Prepared {
        plan,
        options: options.clone(),
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
    /// Where each parameter key is written.
    pub param_locations: std::collections::BTreeMap<kedrust_config::KeyPath, kedrust_config::Loc>,
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
    // A problem every group meets (a missing environment, a broken globals file) is said once.
    let mut said = Vec::new();
    errors.retain(|e| {
        let new = !said.contains(e);
        if new {
            said.push(e.clone());
        }
        new
    });
    let (Some(catalog_conf), Some(creds)) = (catalog_conf, creds) else {
        return Err(ConfigErrors { errors }.into());
    };
    let conf_catalog = catalog_conf.value.clone();
    // With broken parameters the catalog is still checked, so one run shows every problem.
    let mut registry = project.registry().clone();
    registry.register(crate::dynamic_keys::dataset_type(
        crate::settings::store_location(project, project_path)?,
    ));
    let built = CatalogBuilder::new(registry)
        .config(catalog_conf)
        .credentials(creds.value.clone())
        .parameters(params.as_ref().map_or(Json::Null, |p| p.value.clone()))
        .root(project_path)
        .save_version(save_version)
        .load_versions(options.load_versions.clone())
        .partition(options.partition.clone())
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
        param_locations: params.locations,
    })
}

/// The catalog's factory patterns that no dataset of any pipeline of `env` matches (see
/// [`Catalog::unmatched_patterns`]).
pub fn unmatched_patterns(
    project: &Project,
    (conf, env): (&std::path::Path, &str),
    catalog: &Catalog,
) -> Result<Vec<kedrust_catalog::UnmatchedPattern>, SessionError> {
    let pipelines = project.load_pipelines(conf, env)?;
    let names: std::collections::BTreeSet<String> = pipelines
        .values()
        .flat_map(Pipeline::datasets)
        .filter(|d| !kedrust_pipeline::naming::is_parameter(d))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    Ok(catalog.unmatched_patterns(&names))
}

/// The pipelines named (combined) of environment `env`, filtered.
pub fn select(
    project: &Project,
    (conf, env): (&std::path::Path, &str),
    options: &RunOptions,
) -> Result<Pipeline, SessionError> {
    select_from(&project.load_pipelines(conf, env)?, options)
}

/// [`select`] among `pipelines`, already loaded.
fn select_from(pipelines: &Pipelines, options: &RunOptions) -> Result<Pipeline, SessionError> {
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
