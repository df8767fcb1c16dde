//! One function per command; each returns what to print or why it did not succeed.

use crate::args::{
    CatalogArgs, CatalogCommand, Cli, Command, JobsCommand, PipelineCommand, RunArgs, split_list,
};
use crate::error::CliError;
use crate::lists;
use crate::output::Progress;
use crate::place::Place;
use kedrust_catalog::parse_load_versions;
use kedrust_config::parse_runtime_params;
use kedrust_framework::{Project, RunOptions};
use kedrust_pipeline::Filter;
use kedrust_runner::Runner;
use std::path::{Path, PathBuf};

pub(crate) fn dispatch(
    project: &Project,
    cli: Cli,
    place: Place,
    pipes: Option<std::sync::Arc<kedrust_dagster::Pipes>>,
) -> Result<String, CliError> {
    let Place {
        root,
        conf_source,
        conf,
        env,
    } = place;
    let env = env.as_str();
    // MLflow tracking is on wherever an environment has an mlflow.yml.
    let project = &kedrust_mlflow::enable_if_configured(project.clone(), &conf);
    let bad = CliError::BadInput;
    match cli.command {
        Command::Run(args) => run(project, &root, conf_source, env, &args),
        Command::Pipeline(PipelineCommand::List) => {
            lists::pipelines(project, &conf, env).map_err(bad)
        }
        Command::Pipeline(PipelineCommand::Describe { name, group_by }) => {
            let grouping = group_by.as_deref().and_then(kedrust_plan::Grouping::named);
            lists::describe(project, (&root, &conf), env, &name, grouping).map_err(bad)
        }
        Command::Catalog(c) => catalog(project, (&root, &conf), env, c).map_err(bad),
        Command::Info => lists::info(project, &root, &conf, env).map_err(bad),
        Command::Jobs(JobsCommand::List) => crate::jobs::list(project, &conf, env).map_err(bad),
        Command::Runs(c) => crate::runs::show(project, &root, c).map_err(bad),
        Command::Dagster(crate::args::DagsterCommand::Init { force }) => {
            crate::dagster::init(&root, &conf, force).map_err(bad)
        }
        Command::Dagster(crate::args::DagsterCommand::Validate { dagster }) => {
            let dagster = crate::dagster::Dagster::new(&root, conf_source.as_deref(), dagster)?;
            crate::dagster::validate(&dagster, env)
        }
        Command::Dagster(crate::args::DagsterCommand::Dev {
            host,
            port,
            dagster,
        }) => {
            let dagster = crate::dagster::Dagster::new(&root, conf_source.as_deref(), dagster)?;
            crate::dagster::dev(&dagster, env, &host, port)
        }
        Command::DagsterPlans => crate::dagster::plans(project, &root, &conf, env).map_err(bad),
        Command::DagsterOp { job, op, run_id } => {
            let (pipes, options) = op_process(pipes, conf_source, run_id)?;
            crate::dagster::op(project, &root, options, env, (&job, &op), &pipes)
        }
        Command::DagsterAssets { op, run_id } => {
            let (pipes, options) = op_process(pipes, conf_source, run_id)?;
            crate::dagster::asset_op(project, &root, options, env, &op, &pipes)
        }
        Command::DagsterFailure {
            run,
            message,
            canceled,
        } => {
            let options = crate::dagster::run_options(&run, env, conf_source);
            crate::dagster::failure(project, &root, &options, &message, canceled).map_err(bad)
        }
        Command::DagsterSuccess { run } => {
            let options = crate::dagster::run_options(&run, env, conf_source);
            crate::dagster::success(project, &root, &options)
        }
        Command::DagsterDynamicPartitions => {
            let options = RunOptions {
                env: Some(env.to_owned()),
                conf_source,
                ..RunOptions::default()
            };
            let keys = kedrust_framework::all_dynamic_keys(project, &root, &options)?;
            Ok(format!("{}\n", serde_json::json!(keys)))
        }
        Command::DagsterObserve { datasets } => {
            crate::dagster::observe(project, (&root, &conf), env, &datasets).map_err(bad)
        }
        Command::DagsterOpenRuns => crate::dagster::open_runs(project, &root, env).map_err(bad),
        Command::Backfill(args) => {
            crate::partitions::backfill(project, &root, conf_source, env, &args)
        }
        Command::Partitions(command) => {
            crate::partitions::command(project, (&root, &conf), conf_source, env, command)
        }
        Command::BackfillRun => {
            let options = kedrust_framework::orchestrated::backfill_run_options()?;
            run_with(project, &root, &options)
        }
        Command::Schedules(c) => {
            crate::schedules::command(project, &root, conf_source, env, c).map_err(bad)
        }
        Command::Plan { job, only_changed } => {
            crate::jobs::plan(project, &root, (&conf, env), &job, only_changed).map_err(bad)
        }
        Command::Project(args) => project_command(project, &root, &args),
        Command::StepWorker { run_dir } => {
            // A Ctrl-C in the terminal reaches the whole process group: the orchestrator
            // decides whether a step stops, so the worker itself does not die of it.
            if let Err(e) = ctrlc::set_handler(|| {}) {
                tracing::warn!("cannot leave Ctrl-C to the orchestrator: {e}");
            }
            // Steps' failures went to the runner; this is the worker's own.
            kedrust_framework::orchestrated::run_worker(project, root, &run_dir)
                .map(|()| String::new())
                .map_err(|e| {
                    tracing::error!("the worker stops: {e}");
                    CliError::StepFailed
                })
        }
    }
}

/// What every op process of a Dagster run starts with: tied to the Dagster process that
/// started it (it dies with it, even after `kill -9`), Pipes (standalone without Dagster), and
/// the options its command line gave.
fn op_process(
    pipes: Option<std::sync::Arc<kedrust_dagster::Pipes>>,
    conf_source: Option<PathBuf>,
    run_id: Option<String>,
) -> Result<(std::sync::Arc<kedrust_dagster::Pipes>, RunOptions), CliError> {
    kedrust_runner::tie_to_parent().map_err(CliError::Failed)?;
    let pipes = pipes.unwrap_or_else(|| std::sync::Arc::new(kedrust_dagster::Pipes::standalone()));
    let options = RunOptions {
        conf_source,
        run_id,
        ..RunOptions::default()
    };
    Ok((pipes, options))
}

fn catalog(
    project: &Project,
    at: (&Path, &Path),
    env: &str,
    command: CatalogCommand,
) -> Result<String, String> {
    let pipelines = |c: &CatalogArgs| split_list(c.pipeline.as_deref());
    match command {
        CatalogCommand::List(c) => lists::describe_datasets(project, at, env, &pipelines(&c)),
        CatalogCommand::Resolve { name, .. } => lists::resolve(project, at, env, &name),
        CatalogCommand::ListPatterns(_) => lists::patterns(project, at, env),
        CatalogCommand::ResolvePatterns(c) => {
            lists::resolve_patterns(project, at, env, &pipelines(&c))
        }
    }
}

fn project_command(project: &Project, root: &Path, args: &[String]) -> Result<String, CliError> {
    let Some((name, rest)) = args.split_first() else {
        return Err(CliError::BadInput("no command given".into()));
    };
    let Some(command) = project.commands().iter().find(|c| c.name == *name) else {
        let mut known = vec!["run", "pipeline", "catalog", "info"];
        known.extend(project.commands().iter().map(|c| c.name.as_str()));
        let hint = kedrust_pipeline::suggest::hint(name, known.iter().copied());
        return Err(CliError::BadInput(format!(
            "unknown command '{name}'{hint} (commands: {})",
            known.join(", ")
        )));
    };
    (command.run)(root, rest)
        .map(|()| String::new())
        .map_err(|e| CliError::Failed(format!("{name}: {e}")))
}

/// `--params`, parsed (none: an empty mapping).
pub(crate) fn runtime_params(params: Option<&str>) -> Result<serde_json::Value, String> {
    match params {
        Some(text) => parse_runtime_params(text).map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        }),
        None => Ok(serde_json::Value::Object(Default::default())),
    }
}

fn options(args: &RunArgs, env: &str, conf_source: Option<PathBuf>) -> Result<RunOptions, String> {
    let runtime_params = runtime_params(args.params.as_deref())?;
    let load_versions = match &args.load_versions {
        Some(text) => parse_load_versions(text)?,
        None => Default::default(),
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runner = match args.runner.as_str() {
        "sequential" | "SequentialRunner" => Runner::Sequential,
        "thread" | "threaded" | "ThreadRunner" => Runner::Threaded {
            max_workers: args.max_workers.unwrap_or(cpus),
        },
        "process" | "ParallelRunner" => Runner::Process {
            max_workers: args.max_workers.unwrap_or(cpus),
        },
        other => {
            return Err(format!(
                "unknown runner '{other}'; use sequential, thread or process"
            ));
        }
    };
    if args.max_workers == Some(0) {
        return Err("--max-workers must be positive".into());
    }
    Ok(RunOptions {
        env: Some(env.to_owned()),
        conf_source,
        pipeline_names: split_list(args.pipeline.as_deref()),
        filter: Filter {
            tags: split_list(args.tags.as_deref()),
            from_nodes: split_list(args.from_nodes.as_deref()),
            to_nodes: split_list(args.to_nodes.as_deref()),
            node_names: split_list(args.nodes.as_deref()),
            from_inputs: split_list(args.from_inputs.as_deref()),
            to_outputs: split_list(args.to_outputs.as_deref()),
            node_namespaces: split_list(args.namespaces.as_deref()),
        },
        runtime_params,
        runner,
        load_versions,
        only_missing_outputs: args.only_missing_outputs,
        run_id: None,
        job: args.job.clone(),
        parent_run_id: None,
        tags: Default::default(),
        save_version: None,
        partition: args.partition.clone(),
        fan_out: args.fan_out,
        group_by: args
            .group_by
            .as_deref()
            .and_then(kedrust_plan::Grouping::named),
        only_changed: args.only_changed,
    })
}

/// A pattern no dataset matches is usually a typo: the datasets it meant would be memory
/// datasets, and the run would lose them.
fn warn_of_unmatched_patterns(project: &Project, prepared: &kedrust_framework::Prepared) {
    let conf = kedrust_framework::conf_dir(&prepared.project_path, &prepared.options);
    let at = (conf.as_path(), prepared.env.as_str());
    if let Ok(unmatched) = kedrust_framework::unmatched_patterns(project, at, &prepared.catalog) {
        for pattern in unmatched {
            tracing::warn!("{pattern}");
        }
    }
}

fn run(
    project: &Project,
    root: &Path,
    conf_source: Option<PathBuf>,
    env: &str,
    args: &RunArgs,
) -> Result<String, CliError> {
    let options = match &args.resume {
        Some(run_id) => {
            let again = runtime_params(args.params.as_deref()).map_err(CliError::BadInput)?;
            kedrust_framework::resume_options(project, root, run_id, again)?
        }
        None => options(args, env, conf_source).map_err(CliError::BadInput)?,
    };
    run_with(project, root, &options)
}

/// A run of `options`, with progress on stderr; Ctrl-C stops it.
fn run_with(project: &Project, root: &Path, options: &RunOptions) -> Result<String, CliError> {
    crate::signals::stop_on_ctrl_c();
    let started = std::time::Instant::now();
    let prepared = kedrust_framework::prepare(project, root.to_owned(), options)?;
    warn_of_unmatched_patterns(project, &prepared);
    let progress = Progress::new(prepared.pipeline.len());
    let observe = |event: &kedrust_runner::RunEvent<'_>| progress.observe(event);
    let outcome = kedrust_framework::run(project, prepared, &observe);
    progress.finish();
    let summary = outcome?;
    tracing::info!(
        "pipeline execution completed successfully in {:.1} s ({} nodes, run {})",
        started.elapsed().as_secs_f64(),
        summary.nodes_run.len(),
        summary.run_id
    );
    Ok(String::new())
}
