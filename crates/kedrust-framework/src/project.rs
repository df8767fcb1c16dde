//! A project: its name, its pipelines, its hooks, its dataset types and config resolvers;
//! what a project's `main.rs` declares before handing over to the CLI.

use crate::options::SessionError;
use kedrust_catalog::Registry;
use kedrust_config::ConfigLoader;
use kedrust_pipeline::{Pipeline, PipelineError};
use kedrust_runner::Hook;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Pipelines by name; `__default__` is what `run` runs without `--pipeline`.
pub type Pipelines = BTreeMap<String, Pipeline>;

/// The name of the pipeline run by default.
pub const DEFAULT_PIPELINE: &str = "__default__";

type PipelineFactory =
    Arc<dyn Fn(&ConfigLoader) -> Result<Pipelines, kedrust_pipeline::BoxError> + Send + Sync>;
type NamedPipeline = (
    String,
    Arc<dyn Fn() -> Result<Pipeline, PipelineError> + Send + Sync>,
);
type LoaderSetup = Arc<dyn Fn(ConfigLoader) -> ConfigLoader + Send + Sync>;
type CommandFn =
    Arc<dyn Fn(&Path, &[String]) -> Result<(), kedrust_pipeline::BoxError> + Send + Sync>;

/// A command of the project's own (`generate`, `seed`), run as `<binary> <name> [args]`.
#[derive(Clone)]
pub struct ProjectCommand {
    /// Its name.
    pub name: String,
    /// One line of help.
    pub about: String,
    /// What it does, given the project folder and its arguments.
    pub run: CommandFn,
}

/// A kedrust project.
#[derive(Clone)]
pub struct Project {
    name: String,
    root_hint: Option<PathBuf>,
    pipelines: PipelineFactory,
    /// Pipelines registered one by one with [`Project::pipeline`].
    named: Vec<NamedPipeline>,
    hooks: Vec<Arc<dyn Hook>>,
    /// Whether a registered hook may read a node's inputs after it ran (see
    /// [`Project::hook_ignoring_node_inputs`]).
    hooks_read_node_inputs: bool,
    registry: Registry,
    loader_setup: Vec<LoaderSetup>,
    commands: Vec<ProjectCommand>,
    run_store: Option<PathBuf>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("name", &self.name)
            .field("root_hint", &self.root_hint)
            .field(
                "hooks",
                &self.hooks.iter().map(|h| h.name()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Project {
    /// A project called `name` with no pipelines yet and the built-in dataset types.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            root_hint: None,
            pipelines: Arc::new(|_| Ok(Pipelines::new())),
            named: Vec::new(),
            hooks: Vec::new(),
            hooks_read_node_inputs: false,
            registry: Registry::with_builtins(),
            loader_setup: Vec::new(),
            commands: Vec::new(),
            run_store: None,
        }
    }

    /// Where the run store lives (relative to the project; default `.kedrust/runs.db`);
    /// `KEDRUST_RUN_STORE` overrides it.
    pub fn run_store(mut self, path: impl Into<PathBuf>) -> Self {
        self.run_store = Some(path.into());
        self
    }

    /// The run store the project configured, if any.
    pub fn run_store_setting(&self) -> Option<&Path> {
        self.run_store.as_deref()
    }

    /// Adds a command of the project's own.
    pub fn command(
        mut self,
        name: impl Into<String>,
        about: impl Into<String>,
        run: impl Fn(&Path, &[String]) -> Result<(), kedrust_pipeline::BoxError> + Send + Sync + 'static,
    ) -> Self {
        self.commands.push(ProjectCommand {
            name: name.into(),
            about: about.into(),
            run: Arc::new(run),
        });
        self
    }

    /// The project's own commands.
    pub fn commands(&self) -> &[ProjectCommand] {
        &self.commands
    }

    /// Where the project lives when neither `--project-dir`, `KEDRUST_PROJECT_DIR` nor the
    /// working directory (with a `conf/` folder) says; usually `env!("CARGO_MANIFEST_DIR")`.
    pub fn root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.root_hint = Some(dir.into());
        self
    }

    /// The pipeline registry, the same in every environment. Without a `__default__`, the
    /// sum of all pipelines is the default.
    pub fn pipelines(
        mut self,
        register: impl Fn() -> Result<Pipelines, PipelineError> + Send + Sync + 'static,
    ) -> Self {
        self.pipelines = Arc::new(move |_| register().map_err(Into::into));
        self
    }

    /// Registers pipeline `name`, built by `factory`; call it once per pipeline:
    ///
    /// ```no_run
    /// # use kedrust_framework::Project;
    /// # use kedrust_pipeline::{Pipeline, PipelineError, node};
    /// # fn ingest() -> Result<Pipeline, PipelineError> { Pipeline::new([node(|| 1u8, (), "one")]) }
    /// # fn report() -> Result<Pipeline, PipelineError> { Pipeline::new([node(|o: u8| o, "one", "two")]) }
    /// let project = Project::new("shop").pipeline("ingest", ingest).pipeline("report", report);
    /// ```
    ///
    /// Every problem of every pipeline is reported together, each under its pipeline's name.
    /// `__default__` is the sum of the others unless one is registered under that name.
    pub fn pipeline(
        mut self,
        name: impl Into<String>,
        factory: impl Fn() -> Result<Pipeline, PipelineError> + Send + Sync + 'static,
    ) -> Self {
        self.named.push((name.into(), Arc::new(factory)));
        self
    }

    /// A pipeline registry that depends on the environment: `register` gets the config
    /// loader of the environment a command runs in (`--env`, else `KEDRUST_ENV`, else
    /// `local`), so it can read `loader.run_env()` or load a config group. A config error it
    /// returns is reported as one (exit 2), before anything runs.
    pub fn pipelines_per_env(
        mut self,
        register: impl Fn(&ConfigLoader) -> Result<Pipelines, kedrust_pipeline::BoxError>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.pipelines = Arc::new(register);
        self
    }

    /// Registers a hook; hooks run last-registered first, as in Kedro.
    pub fn hook(mut self, hook: impl Hook + 'static) -> Self {
        self.hooks.push(Arc::new(hook));
        self.hooks_read_node_inputs = true;
        self
    }

    /// Registers a hook whose `after_node_run` and `on_node_error` never look at the node's
    /// `inputs`. When every hook is registered this way, a node takes its inputs by moving
    /// them instead of copying them, which matters for large in-memory values (the MLflow
    /// hook is registered so).
    pub fn hook_ignoring_node_inputs(mut self, hook: impl Hook + 'static) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// Registers the dataset type `T` (see [`kedrust_catalog::TypedDataset`]).
    pub fn dataset<T: kedrust_catalog::TypedDataset>(mut self) -> Self {
        self.registry.dataset::<T>();
        self
    }

    /// Registers dataset types or serde codecs.
    pub fn datasets(mut self, register: impl FnOnce(&mut Registry)) -> Self {
        register(&mut self.registry);
        self
    }

    /// Adjusts every config loader of the project (resolvers, merge strategies, groups).
    pub fn config(
        mut self,
        setup: impl Fn(ConfigLoader) -> ConfigLoader + Send + Sync + 'static,
    ) -> Self {
        self.loader_setup.push(Arc::new(setup));
        self
    }

    /// Marks parameters as secret (dotted keys such as `api.token`): their values are hidden
    /// in logs, errors, the run store, Dagster and MLflow, as credentials are. Runtime
    /// parameters at these keys are recorded hidden too, so `--resume` asks for them again.
    pub fn secret_parameters<S: Into<String>>(self, keys: impl IntoIterator<Item = S>) -> Self {
        let keys: Vec<String> = keys.into_iter().map(Into::into).collect();
        self.config(move |loader| loader.secret_parameters(keys.clone()))
    }

    /// The project's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hooks in registration order.
    pub fn hooks(&self) -> &[Arc<dyn Hook>] {
        &self.hooks
    }

    /// Whether any hook was registered that may read a node's inputs after it ran.
    pub fn hooks_read_node_inputs(&self) -> bool {
        self.hooks_read_node_inputs
    }

    /// The dataset types.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Every pipeline of environment `env`, `__default__` included.
    pub fn load_pipelines(&self, conf_source: &Path, env: &str) -> Result<Pipelines, SessionError> {
        let loader = self.config_loader(conf_source, env);
        loader.check_environments()?;
        let mut pipelines = (self.pipelines)(&loader).map_err(|e| {
            match e.downcast::<kedrust_config::ConfigErrors>() {
                Ok(config) => SessionError::from(*config),
                Err(other) => SessionError::Selection(other.to_string()),
            }
        })?;
        let mut problems = Vec::new();
        for (name, factory) in &self.named {
            match factory() {
                Err(e) => {
                    problems.extend(e.problems.iter().map(|p| format!("pipeline '{name}': {p}")))
                }
                Ok(_) if pipelines.contains_key(name) => {
                    problems.push(format!("pipeline '{name}' is registered twice"));
                }
                Ok(p) => {
                    pipelines.insert(name.clone(), p);
                }
            }
        }
        if !problems.is_empty() {
            return Err(SessionError::Selection(problems.join("\n")));
        }
        if !pipelines.contains_key(DEFAULT_PIPELINE) {
            let all = Pipeline::sum(pipelines.values())
                .map_err(|e| SessionError::Selection(e.to_string()))?;
            pipelines.insert(DEFAULT_PIPELINE.to_owned(), all);
        }
        Ok(pipelines)
    }

    /// A config loader for `env`, with the project's adjustments.
    pub fn config_loader(&self, conf_source: &Path, env: &str) -> ConfigLoader {
        let loader = self
            .loader_setup
            .iter()
            .fold(ConfigLoader::new(conf_source, env), |l, setup| setup(l));
        // A run's snapshot leaves credentials out: they are read where they live.
        match crate::snapshot::credentials_source(conf_source) {
            Some(original) => loader.credentials_source(original),
            None => loader,
        }
    }

    /// The project folder: `explicit` (the command line's `--project-dir`, or
    /// `KEDRUST_PROJECT_DIR`), else the working directory when it has a `conf/` folder, else
    /// the root the project declared.
    pub fn locate(&self, explicit: Option<&Path>) -> PathBuf {
        if let Some(dir) = explicit {
            return dir.to_owned();
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        if cwd.join("conf").is_dir() {
            return cwd;
        }
        self.root_hint.clone().unwrap_or(cwd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kedrust_pipeline::node;

    #[test]
    fn pipelines_registered_one_by_one_report_every_problem_of_every_pipeline() {
        let conf = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(conf.path().join("base")).unwrap();
        let good = || Pipeline::new([node(|| 1u8, (), "one").name("make")]);
        let two_problems = || {
            Pipeline::new([
                node(|| 1u8, (), "x").name("bad name!"),
                node(|s: u8| s, "x", "y").name("also bad!"),
            ])
        };
        let project = Project::new("shop")
            .pipeline("ingest", good)
            .pipeline("report", two_problems)
            .pipeline("ingest", good);
        let err = project.load_pipelines(conf.path(), "local").unwrap_err();
        let message = err.to_string();
        assert_eq!(
            message
                .lines()
                .filter(|l| l.starts_with("pipeline 'report': "))
                .count(),
            2,
            "{message}"
        );
        assert!(
            message.contains("pipeline 'ingest' is registered twice"),
            "{message}"
        );
        // Without the mistakes: the pipelines by name, and __default__ as their sum.
        let project = Project::new("shop").pipeline("ingest", good);
        let pipelines = project.load_pipelines(conf.path(), "local").unwrap();
        assert_eq!(
            pipelines.keys().collect::<Vec<_>>(),
            ["__default__", "ingest"]
        );
    }
}
