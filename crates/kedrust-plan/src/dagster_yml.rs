//! `dagster.yml`: jobs (a pipeline and Kedro's seven filters, an executor, a schedule, loggers,
//! retry policies), named executors, schedules and loggers, per environment.
//!
//! Validation is strict and complete: unknown keys at every level (with the nearest valid
//! key), unknown executor types, jobs naming a missing pipeline, executor, schedule or logger,
//! bad cron expressions and log levels, all reported together with file and line. Executors
//! have the same `{<type>: options}` shape whether named or inline (kedro-dagster's inline
//! form guesses the type from the fields and silently falls back to in-process, BUG-16).

use crate::grouping::{Grouping, NodeGroup};
use crate::schema::{Checker, Problems, with};
use kedrust_config::Config;
use kedrust_pipeline::Filter;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// The executor types of `dagster.yml`: Dagster's two built-in ones, which the embedded
/// orchestrator runs too, and the library executors, which only Dagster runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutorKind {
    /// `in_process`: one step at a time in the run's process.
    InProcess,
    /// `multiprocess`: each step in its own process.
    Multiprocess,
    /// `k8s_job_executor` (dagster-k8s).
    K8sJobExecutor,
    /// `docker_executor` (dagster-docker).
    DockerExecutor,
    /// `celery_executor` (dagster-celery).
    CeleryExecutor,
    /// `celery_docker_executor` (dagster-celery-docker).
    CeleryDockerExecutor,
    /// `celery_k8s_job_executor` (dagster-celery-k8s).
    CeleryK8sJobExecutor,
    /// `dask_executor` (dagster-dask).
    DaskExecutor,
}

impl ExecutorKind {
    /// Every type, in the order messages list them.
    pub const ALL: [Self; 8] = [
        Self::InProcess,
        Self::Multiprocess,
        Self::K8sJobExecutor,
        Self::DockerExecutor,
        Self::CeleryExecutor,
        Self::CeleryDockerExecutor,
        Self::CeleryK8sJobExecutor,
        Self::DaskExecutor,
    ];

    /// The type key as `dagster.yml` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::InProcess => "in_process",
            Self::Multiprocess => "multiprocess",
            Self::K8sJobExecutor => "k8s_job_executor",
            Self::DockerExecutor => "docker_executor",
            Self::CeleryExecutor => "celery_executor",
            Self::CeleryDockerExecutor => "celery_docker_executor",
            Self::CeleryK8sJobExecutor => "celery_k8s_job_executor",
            Self::DaskExecutor => "dask_executor",
        }
    }

    /// The type named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether the embedded orchestrator runs it (the others exist for export to Dagster).
    pub fn runs_embedded(self) -> bool {
        matches!(self, Self::InProcess | Self::Multiprocess)
    }

    /// The option keys it accepts: for the library executors, exactly the fields of their
    /// config at the pinned versions (a test holds them to the installed libraries).
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Self::InProcess => &["retries"],
            Self::Multiprocess => &["retries", "max_concurrent"],
            Self::K8sJobExecutor => &[
                "retries",
                "job_image",
                "image_pull_policy",
                "image_pull_secrets",
                "service_account_name",
                "env_config_maps",
                "env_secrets",
                "env_vars",
                "volume_mounts",
                "volumes",
                "labels",
                "resources",
                "scheduler_name",
                "security_context",
                "load_incluster_config",
                "kubeconfig_file",
                "job_namespace",
                "max_concurrent",
                "tag_concurrency_limits",
                "step_k8s_config",
                "per_step_k8s_config",
                "enable_owner_references",
                "step_dependency_config",
            ],
            Self::DockerExecutor => &[
                "retries",
                "image",
                "network",
                "registry",
                "env_vars",
                "container_kwargs",
                "networks",
                "max_concurrent",
                "tag_concurrency_limits",
                "step_dependency_config",
            ],
            Self::CeleryExecutor => &["retries", "broker", "backend", "include", "config_source"],
            Self::CeleryDockerExecutor => &[
                "retries",
                "broker",
                "backend",
                "include",
                "config_source",
                "docker",
            ],
            Self::CeleryK8sJobExecutor => &[
                "retries",
                "broker",
                "backend",
                "include",
                "config_source",
                "job_image",
                "image_pull_policy",
                "image_pull_secrets",
                "service_account_name",
                "env_config_maps",
                "env_secrets",
                "env_vars",
                "volume_mounts",
                "volumes",
                "labels",
                "resources",
                "scheduler_name",
                "security_context",
                "load_incluster_config",
                "kubeconfig_file",
                "job_namespace",
                "repo_location_name",
                "job_wait_timeout",
                "per_step_k8s_config",
            ],
            Self::DaskExecutor => &["cluster"],
        }
    }
}

impl std::fmt::Display for ExecutorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The option keys executor type `kind` accepts, or `None` for an unknown type.
pub fn executor_options(kind: &str) -> Option<&'static [&'static str]> {
    ExecutorKind::parse(kind).map(ExecutorKind::options)
}

const LOG_LEVELS: [&str; 6] = ["CRITICAL", "DEBUG", "ERROR", "INFO", "NOTSET", "WARNING"];

/// An executor: its type and options (defaults filled for the ones kedrust runs itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Executor {
    /// The type.
    pub kind: ExecutorKind,
    /// The options as written.
    pub options: Map<String, Json>,
    /// The most steps at once (`in_process`: 1; `multiprocess` default 1, as in Dagster).
    pub max_concurrent: usize,
}

impl Executor {
    /// Dagster's default: one step at a time, in the run's process.
    pub fn in_process() -> Self {
        Self {
            kind: ExecutorKind::InProcess,
            options: Map::new(),
            max_concurrent: 1,
        }
    }

    /// Whether the embedded orchestrator can run it (the others exist for export to Dagster).
    pub fn runs_embedded(&self) -> bool {
        self.kind.runs_embedded()
    }
}

/// A cron schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Its name (`<job>_<schedule>_schedule` once bound to a job, as kedro-dagster names it).
    pub name: String,
    /// A five-field POSIX cron expression.
    pub cron_schedule: String,
    /// An IANA time zone; UTC when absent.
    pub execution_timezone: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Free metadata.
    pub metadata: Json,
}

/// How a failed step is retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Seconds before the first retry.
    pub delay: f64,
    /// How the delay grows.
    pub backoff: Backoff,
}

/// How a retry delay grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    /// The same delay every time.
    Constant,
    /// `delay × attempt`.
    Linear,
    /// `(2^attempt − 1) × delay`: 1, 3, 7 times the delay.
    Exponential,
}

impl RetryPolicy {
    /// The delay before retry number `attempt` (1-based), as Dagster's `calculate_delay`
    /// computes it without jitter, so that a job waits the same times embedded and on Dagster.
    pub fn delay_before(&self, attempt: u32) -> f64 {
        let n = attempt.max(1);
        match self.backoff {
            Backoff::Constant => self.delay,
            Backoff::Linear => self.delay * f64::from(n),
            Backoff::Exponential => self.delay * (2f64.powi(n.min(62) as i32) - 1.0),
        }
    }
}

/// One job of `dagster.yml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The job's name.
    pub name: String,
    /// The registry pipeline.
    pub pipeline_name: String,
    /// Kedro's seven filters.
    pub filter: Filter,
    /// The executor (in-process when none is given).
    pub executor: Executor,
    /// The schedule, if any.
    pub schedule: Option<Schedule>,
    /// Logger names (inline loggers are named `<job>__logger_<i>`).
    pub loggers: Vec<String>,
    /// The options of the job's inline loggers, by name.
    #[serde(default)]
    pub inline_loggers: BTreeMap<String, Json>,
    /// The retry policy of every step.
    pub retry_policy: Option<RetryPolicy>,
    /// Retry policies for nodes with a tag (the first matching tag in name order wins).
    pub tag_retry_policies: BTreeMap<String, RetryPolicy>,
    /// Runs every node that writes partitioned datasets once per key, as its own op, in one
    /// run (kedro-dagster's fan-out), instead of one run per key.
    #[serde(default)]
    pub fan_out: bool,
    /// How its nodes become ops.
    #[serde(default)]
    pub grouping: Grouping,
    /// Threads a group op runs its nodes on (1: one after the other, in order).
    #[serde(default = "one")]
    pub group_workers: usize,
}

fn one() -> usize {
    1
}

/// The whole of `dagster.yml` for one environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DagsterConfig {
    /// Jobs in file order.
    pub jobs: Vec<Job>,
    /// Named executors.
    pub executors: BTreeMap<String, Executor>,
    /// Named schedules (templates until a job refers to one).
    pub schedules: BTreeMap<String, Schedule>,
    /// Named loggers, options as written.
    pub loggers: BTreeMap<String, Json>,
}

impl DagsterConfig {
    /// The job called `name`.
    pub fn job(&self, name: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.name == name)
    }

    /// The options of every logger `job` uses, by name (named and inline ones).
    pub fn loggers_of(&self, job: &Job) -> BTreeMap<String, Json> {
        job.loggers
            .iter()
            .filter_map(|name| {
                let options = job
                    .inline_loggers
                    .get(name)
                    .or_else(|| self.loggers.get(name))?;
                Some((name.clone(), options.clone()))
            })
            .collect()
    }
}

/// Reads and checks the `dagster` group; `pipelines` are the registry's pipeline names.
pub fn parse(config: &Config, pipelines: &[&str]) -> Result<DagsterConfig, Problems> {
    let mut c = Checker::new(config);
    let mut out = DagsterConfig::default();
    if let Some(root) = c.mapping(Some(&config.value), &[]) {
        c.keys(root, &["jobs", "executors", "schedules", "loggers"], &[]);
        if let Some(execs) = c.mapping(root.get("executors"), &["executors"]) {
            for (name, value) in execs {
                if let Some(e) = executor(&mut c, value, &["executors", name]) {
                    out.executors.insert(name.clone(), e);
                }
            }
        }
        if let Some(schedules) = c.mapping(root.get("schedules"), &["schedules"]) {
            for (name, value) in schedules {
                if let Some(s) = schedule(&mut c, name, value, &["schedules", name]) {
                    out.schedules.insert(name.clone(), s);
                }
            }
        }
        if let Some(loggers) = c.mapping(root.get("loggers"), &["loggers"]) {
            for (name, value) in loggers {
                logger(&mut c, value, &["loggers", name]);
                out.loggers.insert(name.clone(), value.clone());
            }
        }
        if let Some(jobs) = c.mapping(root.get("jobs"), &["jobs"]) {
            for (name, value) in jobs {
                if let Some(j) = job(&mut c, &out, name, value, pipelines) {
                    out.jobs.push(j);
                }
            }
        }
    }
    if c.problems.is_empty() {
        Ok(out)
    } else {
        Err(Problems {
            problems: c.problems,
        })
    }
}

fn executor(c: &mut Checker<'_>, value: &Json, path: &[&str]) -> Option<Executor> {
    let map = c.mapping(Some(value), path)?;
    let types: Vec<&str> = ExecutorKind::ALL.iter().map(|k| k.name()).collect();
    let (kind, options) = match map.iter().next() {
        Some((kind, options)) if map.len() == 1 => (kind.as_str(), options),
        _ => {
            c.problem(
                path,
                format!(
                    "an executor is one mapping `<type>: <options>`; types: {}",
                    types.join(", ")
                ),
            );
            return None;
        }
    };
    let Some(known) = ExecutorKind::parse(kind) else {
        let hint = kedrust_pipeline::suggest::hint(kind, types.iter().copied());
        c.problem(
            &with(path, kind),
            format!(
                "unknown executor type '{kind}' (types: {}){hint}",
                types.join(", ")
            ),
        );
        return None;
    };
    let opts_path = with(path, kind);
    let options = c.mapping(Some(options), &opts_path)?.clone();
    c.keys(&options, known.options(), &opts_path);
    let max_concurrent = match known {
        ExecutorKind::InProcess => Some(1.0),
        _ => c.number(&options, "max_concurrent", &opts_path),
    };
    Some(Executor {
        kind: known,
        max_concurrent: max_concurrent.map_or(1, |n| (n as usize).max(1)),
        options,
    })
}

fn schedule(c: &mut Checker<'_>, name: &str, value: &Json, path: &[&str]) -> Option<Schedule> {
    let map = c.mapping(Some(value), path)?;
    c.keys(
        map,
        &[
            "cron_schedule",
            "execution_timezone",
            "description",
            "metadata",
        ],
        path,
    );
    let Some(cron) = c.string(map, "cron_schedule", path) else {
        c.problem(
            &with(path, "cron_schedule"),
            "is required (a cron expression such as '0 2 * * *')",
        );
        return None;
    };
    if let Err(e) = cron.parse::<croner::Cron>() {
        c.problem(
            &with(path, "cron_schedule"),
            format!("'{cron}' is not a cron expression: {e}"),
        );
        return None;
    }
    let schedule = Schedule {
        name: name.to_owned(),
        cron_schedule: cron,
        execution_timezone: c.string(map, "execution_timezone", path),
        description: c.string(map, "description", path),
        metadata: map.get("metadata").cloned().unwrap_or(Json::Null),
    };
    if let Err(e) = crate::ticks::time_zone(&schedule) {
        c.problem(&with(path, "execution_timezone"), e);
        return None;
    }
    Some(schedule)
}

fn logger(c: &mut Checker<'_>, value: &Json, path: &[&str]) {
    let Some(map) = c.mapping(Some(value), path) else {
        return;
    };
    c.keys(
        map,
        &["log_level", "handlers", "formatters", "filters"],
        path,
    );
    match map.get("log_level") {
        None | Some(Json::Null) => {}
        Some(Json::String(level)) if LOG_LEVELS.contains(&level.trim().to_uppercase().as_str()) => {
        }
        Some(other) => c.problem(
            &with(path, "log_level"),
            format!(
                "invalid log level {other}; one of {} (any case)",
                LOG_LEVELS.join(", ")
            ),
        ),
    }
    // Python's logging config convention: every part is built from `()` (a factory) or
    // `class` (an import path), and handlers refer to formatters and filters by name.
    let parts = |c: &mut Checker<'_>, key: &str, needs: &[&str]| -> Vec<String> {
        let at = with(path, key);
        let Some(entries) = c.mapping(map.get(key), &at) else {
            return Vec::new();
        };
        for (name, spec) in entries {
            let here = with(&at, name);
            if let Some(spec) = c.mapping(Some(spec), &here)
                && !needs
                    .iter()
                    .any(|n| spec.get(*n).is_some_and(Json::is_string))
            {
                c.problem(&here, format!("needs a string `{}`", needs.join("` or `")));
            }
        }
        entries.keys().cloned().collect()
    };
    let formatters = parts(c, "formatters", &["format", "()", "class"]);
    let filters = parts(c, "filters", &["()", "class"]);
    let handlers_path = with(path, "handlers");
    match map.get("handlers") {
        None | Some(Json::Null) => {}
        Some(Json::Array(handlers)) => {
            for (i, handler) in handlers.iter().enumerate() {
                let index = i.to_string();
                let here = with(&handlers_path, &index);
                let Some(handler) = c.mapping(Some(handler), &here) else {
                    continue;
                };
                if !["class", "()"]
                    .iter()
                    .any(|k| handler.get(*k).is_some_and(Json::is_string))
                {
                    c.problem(&here, "needs a string `class` (or `()`)");
                }
                if let Some(Json::String(f)) = handler.get("formatter")
                    && !formatters.contains(f)
                {
                    missing(
                        c,
                        &with(&here, "formatter"),
                        "formatter",
                        f,
                        formatters.iter(),
                    );
                }
                for f in c.strings(handler, "filters", &here) {
                    if !filters.contains(&f) {
                        missing(c, &with(&here, "filters"), "filter", &f, filters.iter());
                    }
                }
            }
        }
        Some(_) => c.problem(&handlers_path, "must be a list of handler mappings"),
    }
}

fn retry_policy(c: &mut Checker<'_>, value: &Json, path: &[&str]) -> Option<RetryPolicy> {
    let map = c.mapping(Some(value), path)?;
    c.keys(map, &["max_retries", "delay", "backoff"], path);
    let backoff = match c.string(map, "backoff", path).as_deref() {
        None | Some("constant") => Backoff::Constant,
        Some("linear") => Backoff::Linear,
        Some("exponential") => Backoff::Exponential,
        Some(other) => {
            c.problem(
                &with(path, "backoff"),
                format!("'{other}' is not one of constant, linear, exponential"),
            );
            return None;
        }
    };
    Some(RetryPolicy {
        max_retries: c.number(map, "max_retries", path).unwrap_or(0.0) as u32,
        delay: c.number(map, "delay", path).unwrap_or(0.0),
        backoff,
    })
}

fn job(
    c: &mut Checker<'_>,
    named: &DagsterConfig,
    name: &str,
    value: &Json,
    pipelines: &[&str],
) -> Option<Job> {
    let path = ["jobs", name];
    let map = c.mapping(Some(value), &path)?;
    c.keys(
        map,
        &[
            "pipeline",
            "executor",
            "schedule",
            "loggers",
            "retry_policy",
            "tag_retry_policies",
            "fan_out",
            "group_by",
            "groups",
            "group_workers",
        ],
        &path,
    );
    let pipe_path = with(&path, "pipeline");
    let pipeline = match map.get("pipeline") {
        Some(Json::Object(p)) => p,
        Some(Json::String(s)) => {
            c.problem(
                &pipe_path,
                format!("must be a mapping; write `pipeline: {{pipeline_name: {s}}}`"),
            );
            return None;
        }
        _ => {
            c.problem(
                &pipe_path,
                "is required: a mapping with `pipeline_name` and optional filters",
            );
            return None;
        }
    };
    c.keys(
        pipeline,
        &[
            "pipeline_name",
            "from_nodes",
            "to_nodes",
            "node_names",
            "from_inputs",
            "to_outputs",
            "node_namespaces",
            "tags",
        ],
        &pipe_path,
    );
    let pipeline_name = c
        .string(pipeline, "pipeline_name", &pipe_path)
        .unwrap_or_else(|| "__default__".into());
    if !pipelines.contains(&pipeline_name.as_str()) {
        let hint = kedrust_pipeline::suggest::hint(&pipeline_name, pipelines.iter().copied());
        c.problem(
            &with(&pipe_path, "pipeline_name"),
            format!(
                "pipeline '{pipeline_name}' is not registered (pipelines: {}){hint}",
                pipelines.join(", ")
            ),
        );
    }
    let filter = Filter {
        tags: c.strings(pipeline, "tags", &pipe_path),
        from_nodes: c.strings(pipeline, "from_nodes", &pipe_path),
        to_nodes: c.strings(pipeline, "to_nodes", &pipe_path),
        node_names: c.strings(pipeline, "node_names", &pipe_path),
        from_inputs: c.strings(pipeline, "from_inputs", &pipe_path),
        to_outputs: c.strings(pipeline, "to_outputs", &pipe_path),
        node_namespaces: c.strings(pipeline, "node_namespaces", &pipe_path),
    };
    let executor = match map.get("executor") {
        None | Some(Json::Null) => Executor::in_process(),
        Some(Json::String(reference)) => match named.executors.get(reference) {
            Some(e) => e.clone(),
            None => {
                missing(
                    c,
                    &with(&path, "executor"),
                    "executor",
                    reference,
                    named.executors.keys(),
                );
                Executor::in_process()
            }
        },
        Some(inline) => {
            executor(c, inline, &with(&path, "executor")).unwrap_or_else(Executor::in_process)
        }
    };
    let schedule = match map.get("schedule") {
        None | Some(Json::Null) => None,
        Some(Json::String(reference)) => match named.schedules.get(reference) {
            Some(s) => Some(Schedule {
                name: format!("{name}_{reference}_schedule"),
                ..s.clone()
            }),
            None => {
                missing(
                    c,
                    &with(&path, "schedule"),
                    "schedule",
                    reference,
                    named.schedules.keys(),
                );
                None
            }
        },
        Some(inline) => schedule(
            c,
            &format!("{name}__schedule"),
            inline,
            &with(&path, "schedule"),
        ),
    };
    let mut loggers = Vec::new();
    let mut inline_loggers = BTreeMap::new();
    match map.get("loggers") {
        None | Some(Json::Null) => {}
        Some(Json::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Json::String(reference) if named.loggers.contains_key(reference) => {
                        loggers.push(reference.clone());
                    }
                    Json::String(reference) => {
                        missing(
                            c,
                            &with(&path, "loggers"),
                            "logger",
                            reference,
                            named.loggers.keys(),
                        );
                    }
                    inline => {
                        logger(c, inline, &with(&path, "loggers"));
                        let named = format!("{name}__logger_{i}");
                        inline_loggers.insert(named.clone(), inline.clone());
                        loggers.push(named);
                    }
                }
            }
        }
        Some(_) => c.problem(
            &with(&path, "loggers"),
            "must be a list of logger names or logger options",
        ),
    }
    let retry = map
        .get("retry_policy")
        .and_then(|v| retry_policy(c, v, &with(&path, "retry_policy")));
    let mut tag_retry_policies = BTreeMap::new();
    let tags_path = with(&path, "tag_retry_policies");
    if let Some(by_tag) = c.mapping(map.get("tag_retry_policies"), &tags_path) {
        for (tag, v) in by_tag {
            if let Some(p) = retry_policy(c, v, &with(&tags_path, tag)) {
                tag_retry_policies.insert(tag.clone(), p);
            }
        }
    }
    let fan_out = match map.get("fan_out") {
        None => false,
        Some(Json::Bool(b)) => *b,
        Some(other) => {
            c.problem(
                &with(&path, "fan_out"),
                format!("must be true or false, not {other}"),
            );
            false
        }
    };
    let grouping = grouping(c, map, &path);
    let group_workers = match map.get("group_workers") {
        None => 1,
        Some(Json::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => {
            n.as_u64().unwrap_or(1) as usize
        }
        Some(other) => {
            c.problem(
                &with(&path, "group_workers"),
                format!("must be a whole number of threads, 1 or more, not {other}"),
            );
            1
        }
    };
    Some(Job {
        grouping,
        group_workers,
        fan_out,
        name: name.to_owned(),
        pipeline_name,
        filter,
        executor,
        schedule,
        loggers,
        inline_loggers,
        retry_policy: retry,
        tag_retry_policies,
    })
}

/// A job's `group_by` (a grouping's name) or `groups` (named node selectors), not both.
fn grouping(c: &mut Checker<'_>, map: &Map<String, Json>, path: &[&str]) -> Grouping {
    match (map.get("group_by"), map.get("groups")) {
        (None, None) => Grouping::Node,
        (Some(_), Some(_)) => {
            c.problem(
                &with(path, "groups"),
                "a job takes group_by or groups, not both",
            );
            Grouping::Node
        }
        (Some(Json::String(name)), None) => Grouping::named(name).unwrap_or_else(|| {
            let hint = kedrust_pipeline::suggest::hint(name, Grouping::NAMES);
            c.problem(
                &with(path, "group_by"),
                format!(
                    "'{name}' is not a grouping (groupings: {}; or name groups under \
                     `groups`){hint}",
                    Grouping::NAMES.join(", ")
                ),
            );
            Grouping::Node
        }),
        (Some(other), None) => {
            c.problem(
                &with(path, "group_by"),
                format!("must be one of {}, not {other}", Grouping::NAMES.join(", ")),
            );
            Grouping::Node
        }
        (None, Some(groups)) => {
            let groups_path = with(path, "groups");
            let mut out = Vec::new();
            for (name, selector) in c.mapping(Some(groups), &groups_path).into_iter().flatten() {
                let at = with(&groups_path, name);
                let Some(selector) = c.mapping(Some(selector), &at) else {
                    continue;
                };
                c.keys(selector, &["tags", "namespaces", "nodes"], &at);
                let group = NodeGroup {
                    name: name.clone(),
                    tags: c.strings(selector, "tags", &at),
                    namespaces: c.strings(selector, "namespaces", &at),
                    nodes: c.strings(selector, "nodes", &at),
                };
                if group.tags.is_empty() && group.namespaces.is_empty() && group.nodes.is_empty() {
                    c.problem(&at, "selects nothing: give tags, namespaces or nodes");
                }
                out.push(group);
            }
            Grouping::Groups { groups: out }
        }
    }
}

fn missing<'k>(
    c: &mut Checker<'_>,
    path: &[&str],
    what: &str,
    reference: &str,
    known: impl Iterator<Item = &'k String>,
) {
    let known: Vec<&str> = known.map(String::as_str).collect();
    let hint = kedrust_pipeline::suggest::hint(reference, known.iter().copied());
    c.problem(
        path,
        format!(
            "{what} '{reference}' is not defined (defined: {}){hint}",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ),
    );
}
