//! The command line's shape.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    about = "A kedrust project: run its pipelines, inspect its catalog",
    version
)]
pub(crate) struct Cli {
    /// The project folder (default: KEDRUST_PROJECT_DIR, the working directory when it has
    /// a conf/ folder, or where the project was built).
    #[arg(long, global = true, env = "KEDRUST_PROJECT_DIR")]
    pub project_dir: Option<PathBuf>,
    /// The configuration folder (default: <project>/conf), for every command.
    #[arg(long, global = true, env = "KEDRUST_CONF_SOURCE")]
    pub conf_source: Option<PathBuf>,
    /// Log lines as plain text or as JSON objects.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,
    /// The configuration environment (default: KEDRUST_ENV, else local), for every command
    /// that reads configuration.
    #[arg(short, long, global = true)]
    pub env: Option<String>,
    /// More logs (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Plain,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a pipeline.
    Run(Box<RunArgs>),
    /// List and describe pipelines.
    #[command(subcommand, alias = "registry")]
    Pipeline(PipelineCommand),
    /// List datasets, patterns and resolutions.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// The project, its pipelines and dataset types.
    Info,
    /// Runs recorded in the run store.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// The schedules of dagster.yml: list them, or serve them (launch each job on its cron).
    #[command(subcommand)]
    Schedules(SchedulesCommand),
    /// The jobs of dagster.yml.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// One run per partition key of a job or pipeline, several at once, with a summary;
    /// `--resume` runs again the keys that did not succeed.
    Backfill(Box<BackfillArgs>),
    /// Partition keys of a job or dataset and the runs that last ran them.
    #[command(subcommand)]
    Partitions(PartitionsCommand),
    /// A dry run of a job: its ops in order, what each loads, saves and overwrites, and the
    /// memory datasets that cross a process boundary.
    Plan {
        /// The job (from dagster.yml).
        #[arg(long)]
        job: String,
        /// Also say which nodes `run --job <job> --only-changed` would run now, and why.
        #[arg(long)]
        only_changed: bool,
    },
    /// Dagster: write the code location, or check it.
    #[command(subcommand)]
    Dagster(DagsterCommand),
    /// The job plans of an environment as JSON (the generated definitions.py reads them).
    #[command(name = "__dagster_plans", hide = true)]
    DagsterPlans,
    /// One op of a Dagster run, under Dagster Pipes.
    #[command(name = "__dagster_op", hide = true)]
    DagsterOp {
        /// The job.
        #[arg(long)]
        job: String,
        /// The op.
        #[arg(long)]
        op: String,
        /// The run id, when Dagster (Pipes) does not give it.
        #[arg(long, env = "KEDRUST_RUN_ID")]
        run_id: Option<String>,
    },
    /// One asset op of a Dagster run that materialises assets, under Dagster Pipes.
    #[command(name = "__dagster_assets", hide = true)]
    DagsterAssets {
        /// The asset op.
        #[arg(long)]
        op: String,
        /// The run id, when Dagster (Pipes) does not give it.
        #[arg(long, env = "KEDRUST_RUN_ID")]
        run_id: Option<String>,
    },
    /// The run-failure sensor's call.
    #[command(name = "__dagster_failure", hide = true)]
    DagsterFailure {
        #[command(flatten)]
        run: DagsterRun,
        /// What failed.
        #[arg(long, default_value = "the run failed")]
        message: String,
        /// The run was cancelled rather than failed.
        #[arg(long)]
        canceled: bool,
    },
    /// The sensor's call for a run Dagster finished successfully without its end op (a
    /// re-execution of chosen ops): fires after_pipeline_run once.
    #[command(name = "__dagster_success", hide = true)]
    DagsterSuccess {
        #[command(flatten)]
        run: DagsterRun,
    },
    /// The runs Dagster keeps that have not ended in the run store, as JSON (the failure
    /// sensor's list).
    #[command(name = "__dagster_open_runs", hide = true)]
    DagsterOpenRuns,
    /// The keys of every dynamic partitions definition, as JSON (the code location's sensor
    /// adds them to Dagster's instance).
    #[command(name = "__dagster_dynamic_partitions", hide = true)]
    DagsterDynamicPartitions,
    /// The data version of each dataset named, as JSON (the code location's observation of
    /// its source assets).
    #[command(name = "__dagster_observe", hide = true)]
    DagsterObserve {
        /// The datasets.
        datasets: Vec<String>,
    },
    /// One partition key's run of a backfill (started by the backfill; options on stdin).
    #[command(name = "__backfill_run", hide = true)]
    BackfillRun,
    /// A worker of a multi-process run: runs the steps the process runner sends it on
    /// standard input (started by the process runner).
    #[command(name = kedrust_runner::WORKER_COMMAND, hide = true)]
    StepWorker {
        /// The run's folder: a path, or a URL of object storage.
        #[arg(long)]
        run_dir: std::ffi::OsString,
    },
    /// A command the project defines.
    #[command(external_subcommand)]
    Project(Vec<String>),
}

/// The Dagster run a call of the failure sensor is about.
#[derive(Debug, Args)]
pub(crate) struct DagsterRun {
    /// The job.
    #[arg(long)]
    pub job: String,
    /// The Dagster run id.
    #[arg(long)]
    pub run_id: String,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Pipelines to run, comma-separated (default: __default__).
    #[arg(short, long, alias = "pipelines")]
    pub pipeline: Option<String>,
    /// Run exactly these nodes.
    #[arg(short, long)]
    pub nodes: Option<String>,
    /// Run the nodes with any of these tags.
    #[arg(short, long)]
    pub tags: Option<String>,
    /// Run these nodes and everything downstream.
    #[arg(long)]
    pub from_nodes: Option<String>,
    /// Run these nodes and everything upstream.
    #[arg(long)]
    pub to_nodes: Option<String>,
    /// Run the consumers of these datasets and everything downstream.
    #[arg(long)]
    pub from_inputs: Option<String>,
    /// Run the producers of these datasets and everything upstream.
    #[arg(long)]
    pub to_outputs: Option<String>,
    /// Run the nodes in these namespaces.
    #[arg(long, alias = "ns")]
    pub namespaces: Option<String>,
    /// Runtime parameters: "a.b=1,model.kind=linear".
    #[arg(long)]
    pub params: Option<String>,
    /// How nodes are executed: sequential, thread, or process (each node in a child
    /// process of this binary).
    #[arg(short, long, default_value = "sequential")]
    pub runner: String,
    /// The most nodes running at once (thread and process runners; default: the CPUs).
    #[arg(long)]
    pub max_workers: Option<usize>,
    /// Pinned versions to load: "dataset:version,...".
    #[arg(long = "load-versions", alias = "lv")]
    pub load_versions: Option<String>,
    /// Run only the nodes whose persisted outputs do not exist yet.
    #[arg(long)]
    pub only_missing_outputs: bool,
    /// Run a job of dagster.yml: its pipeline, filters and executor.
    #[arg(long, conflicts_with_all = ["pipeline", "runner"])]
    pub job: Option<String>,
    /// Run one partition: the key fills `{partition}` in the paths of the partitioned
    /// datasets (a catalog entry's `partitions:`), and must be one of their keys.
    #[arg(long)]
    pub partition: Option<String>,
    /// Run every key in this one run: each node that writes partitioned datasets runs once
    /// per key, as a node of its own; a node that reads them whole gets every key.
    #[arg(long, conflicts_with = "partition")]
    pub fan_out: bool,
    /// How nodes become the steps of the process runner: one per node (the default), one per
    /// top-level namespace, or one per set of nodes joined by memory datasets (each step runs
    /// its nodes in one process, passing memory datasets in memory).
    #[arg(long, value_parser = ["node", "namespace", "memory"])]
    pub group_by: Option<String>,
    /// Skip the nodes whose saved outputs are what they would produce now: same code version,
    /// same parameters, same inputs (each save records them); everything downstream of a
    /// change runs. The log says why each node runs.
    #[arg(long, conflicts_with = "only_missing_outputs")]
    pub only_changed: bool,
    /// Resume a failed run: only the ops that failed or never ran, with its parameters and
    /// load versions, as a new run linked to it. `--params` gives again the secret
    /// parameters the run store does not keep.
    #[arg(long, conflicts_with_all = ["pipeline", "job", "nodes", "load_versions"])]
    pub resume: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which_keys").required(true).args(["from", "keys", "resume"])))]
pub(crate) struct BackfillArgs {
    /// The job of dagster.yml each key runs.
    #[arg(long, conflicts_with = "pipeline")]
    pub job: Option<String>,
    /// The pipeline each key runs (default: __default__).
    #[arg(short, long)]
    pub pipeline: Option<String>,
    /// The first key of a range (with --to), in the partitions' order.
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// The last key of the range (included).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// These keys, comma-separated, instead of a range.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub keys: Option<String>,
    /// Runtime parameters of every run: "a.b=1,model.kind=linear".
    #[arg(long)]
    pub params: Option<String>,
    /// The most runs at once (default: the CPUs).
    #[arg(long)]
    pub max_concurrent: Option<usize>,
    /// Resume a backfill: run again the keys whose latest run did not succeed (`--params`
    /// gives again the secret parameters the run store does not keep).
    #[arg(long, conflicts_with_all = ["job", "pipeline", "from", "to", "keys"])]
    pub resume: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PartitionsCommand {
    /// Every partition key of a job (of dagster.yml) or a partitioned dataset: materialized,
    /// failed, running or missing, with the run that last ran it.
    Status {
        /// The job or the dataset.
        target: String,
    },
    /// Adds keys to dynamic partitions (a catalog entry's `partitions: {type: dynamic, name:
    /// ...}`); keys it has are kept.
    Add {
        /// The dynamic partitions' name.
        name: String,
        /// The keys.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// The keys of dynamic partitions, in the order they were added.
    List {
        /// The dynamic partitions' name.
        name: String,
    },
    /// Removes a key from dynamic partitions (the data written for it stays).
    Delete {
        /// The dynamic partitions' name.
        name: String,
        /// The key.
        key: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PipelineCommand {
    /// The pipeline names.
    List,
    /// A pipeline's nodes in execution order.
    Describe {
        /// The pipeline (default: __default__).
        #[arg(default_value = "__default__")]
        name: String,
        /// Also the ops the nodes would become grouped this way (as a job's `group_by` or
        /// `run --group-by`), and the memory datasets that would cross between them.
        #[arg(long, value_parser = ["node", "namespace", "memory"])]
        group_by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum DagsterCommand {
    /// Writes definitions.py, requirements-dagster.txt and kedrust_celery.py (kept unless --force).
    Init {
        /// Replace existing files.
        #[arg(long)]
        force: bool,
    },
    /// Loads the code location with Dagster and reports its problems.
    Validate {
        /// The dagster executable (default: `dagster` on the PATH).
        #[arg(long, env = "KEDRUST_DAGSTER")]
        dagster: Option<PathBuf>,
    },
    /// Starts the Dagster UI on the project; Ctrl-C stops it and all its processes.
    Dev {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// The port.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// The dagster executable (default: `dagster` on the PATH).
        #[arg(long, env = "KEDRUST_DAGSTER")]
        dagster: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RunsCommand {
    /// The latest runs, newest first.
    List {
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One run and its events, in order.
    Show {
        /// The run id.
        run_id: String,
    },
    /// One run's log lines and failures.
    Logs {
        /// The run id.
        run_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SchedulesCommand {
    /// Every scheduled job with its cron, time zone and next tick.
    List {
        /// The time the next tick is computed from (RFC 3339; default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Launches every scheduled job on its ticks, one run per tick.
    Serve {
        /// Start a simulated clock here (RFC 3339): ticks up to --until run at once, in order,
        /// without waiting.
        #[arg(long, requires = "until")]
        from: Option<String>,
        /// Stop after the last tick at or before this time (RFC 3339; default: never).
        #[arg(long)]
        until: Option<String>,
        /// Run ticks missed while a run was running (default: skip them, as Dagster does).
        #[arg(long)]
        catch_up: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum JobsCommand {
    /// Every job with its pipeline, executor and schedule.
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// The datasets each pipeline uses, by type and by where they are defined.
    #[command(alias = "describe-datasets")]
    List(CatalogArgs),
    /// How one dataset name resolves: entry, pattern or default, with its configuration.
    Resolve {
        /// The dataset name.
        name: String,
        #[command(flatten)]
        common: CatalogArgs,
    },
    /// The factory patterns in the order names are matched against them.
    ListPatterns(CatalogArgs),
    /// The configuration of every dataset the pipelines use.
    ResolvePatterns(CatalogArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CatalogArgs {
    /// Pipelines, comma-separated (default: every pipeline).
    #[arg(short, long, alias = "pipelines")]
    pub pipeline: Option<String>,
}

/// Splits a comma list as Kedro does: items trimmed, empty ones dropped, and commas inside
/// `[...]` kept (node names may contain them).
pub(crate) fn split_list(text: Option<&str>) -> Vec<String> {
    let Some(text) = text else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let (mut depth, mut current) = (0i32, String::new());
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth <= 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("project").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_before_or_after_the_command() {
        for args in [
            &["--log-format", "json", "run"][..],
            &["run", "--log-format", "json"][..],
        ] {
            let cli = parse(args).unwrap();
            assert_eq!(cli.log_format, LogFormat::Json, "{args:?}");
        }
    }

    #[test]
    fn resume_takes_secret_parameters_again_and_nothing_that_changes_the_run() {
        assert!(parse(&["run", "--resume", "r1", "--params", "api_token=x"]).is_ok());
        for other in [
            &["--pipeline", "chain"][..],
            &["--job", "chain_job"][..],
            &["--nodes", "double"][..],
            &["--load-versions", "a:b"][..],
        ] {
            let mut args = vec!["run", "--resume", "r1"];
            args.extend(other);
            let err = parse(&args).unwrap_err();
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ArgumentConflict,
                "{other:?}"
            );
        }
    }

    #[test]
    fn a_job_brings_its_own_pipeline_and_runner() {
        for other in [&["--pipeline", "chain"][..], &["--runner", "thread"][..]] {
            let mut args = vec!["run", "--job", "chain_job"];
            args.extend(other);
            assert!(parse(&args).is_err(), "{other:?}");
        }
    }
}
