//! The run context: what one process of a run needs to take part in its lifecycle, built once
//! per run and per process from a prepared request.
//!
//! **Its methods are the only code that records a run, fires a pipeline hook
//! (`after_context_created`, `after_catalog_created`, `before_pipeline_run`,
//! `after_pipeline_run`, `on_pipeline_error`) and ends a run.** The embedded session, every
//! op of an orchestrated run, the orchestrator's failure handler and the orphan sweep call
//! them; each decides only *when*.

use crate::options::{RunOptions, SessionError};
use crate::prepare::Prepared;
use crate::project::Project;
use kedrust_runner::{CatalogInfo, ContextInfo, Hooks, PipelineInfo, RunResult};
use kedrust_runner::{HookError, RunError};
use kedrust_runner::{HookPoint, TracePoint, Tracer};
use kedrust_runner::{RunParams, framework_version};
use kedrust_store::{EventKind, FailureClaim, Keeper, NewRun, RunStatus, RunStore};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// One run, as this process sees it.
pub(crate) struct RunContext {
    /// The checked request.
    pub prepared: Prepared,
    /// The run's hooks (the project's, the tracer, the run store), outside any op.
    pub hooks: Hooks,
    /// The run store every process of the run shares.
    pub store: Arc<RunStore>,
    params: RunParams,
}

impl RunContext {
    /// The context of `prepared` in `store`.
    pub fn new(
        project: &Project,
        prepared: Prepared,
        store: Arc<RunStore>,
    ) -> Result<Self, SessionError> {
        let tracer = crate::settings::trace_file(&prepared.project_path)
            .map(|path| Tracer::open(&path))
            .transpose()
            .map_err(|e| SessionError::Io(format!("cannot open the hook trace: {e}")))?
            .map(Arc::new);
        let hooks = Hooks::new(project.hooks().iter().cloned())
            .reading_node_inputs(project.hooks_read_node_inputs())
            .with_tracer(tracer)
            .with_store(Some(Arc::clone(&store)))
            .for_run(&prepared.run_id, None);
        let params = run_params(&prepared);
        Ok(Self {
            prepared,
            hooks,
            store,
            params,
        })
    }

    /// The run id, the same in every process of the run.
    pub fn run_id(&self) -> &str {
        &self.prepared.run_id
    }

    /// The request every process of the run rebuilds it from (the options with the run id).
    pub fn request(&self) -> RunOptions {
        RunOptions {
            run_id: Some(self.prepared.run_id.clone()),
            ..self.prepared.options.clone()
        }
    }

    /// The pipeline hooks' arguments.
    pub fn info(&self) -> PipelineInfo<'_> {
        PipelineInfo {
            run_params: &self.params,
            pipeline: &self.prepared.pipeline,
            catalog: &self.prepared.catalog,
            state: self.hooks.state(),
        }
    }

    /// Records the run in the run store with who keeps it alive, unless another process of
    /// the run did; whether this call recorded it.
    pub fn record(&self, keeper: Keeper) -> Result<bool, SessionError> {
        let prepared = &self.prepared;
        let mut tags = prepared.options.tags.clone();
        tags.insert("kedrust/env".into(), prepared.env.clone());
        if let Some(key) = &prepared.options.partition {
            tags.insert(kedrust_store::PARTITION_TAG.into(), key.clone());
        }
        tags.insert(
            "kedrust/pipeline".into(),
            prepared.plan.pipeline_name.clone(),
        );
        let json = |value: serde_json::Result<serde_json::Value>| {
            value.map_err(|e| SessionError::Io(format!("cannot record the run: {e}")))
        };
        self.store
            .create_run(&NewRun {
                run_id: prepared.run_id.clone(),
                job: prepared.plan.job.clone(),
                options: json(serde_json::to_value(self.request()))?,
                plan: json(serde_json::to_value(&prepared.plan))?,
                parent_run_id: prepared.options.parent_run_id.clone(),
                pid: std::process::id(),
                keeper,
                tags,
            })
            .map_err(|e| SessionError::Io(e.to_string()))
    }

    /// Every hook's check of what it needs outside the project, before the start hooks (see
    /// [`kedrust_runner::Hook::check_services`]); a problem is a configuration error.
    pub fn check_services(&self, project: &Project) -> Result<(), SessionError> {
        let prepared = &self.prepared;
        let context = ContextInfo {
            project_path: &prepared.project_path,
            env: &prepared.env,
            config_loader: &prepared.loader,
            params: &prepared.params,
        };
        for hook in project.hooks() {
            hook.check_services(&context, &self.params)
                .map_err(|e| SessionError::HookConfig {
                    hook: hook.name(),
                    message: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// Every hook's `flush`, once this process has run its part of the run (a Dagster op, a
    /// process runner's step): the first error, after every hook has flushed.
    pub fn flush_hooks(&self, project: &Project) -> Result<(), RunError> {
        let mut first = None;
        for hook in project.hooks() {
            if let Err(e) = hook.flush(self.hooks.state()) {
                first.get_or_insert(RunError::Hook(HookError {
                    hook: hook.name(),
                    point: HookPoint::Flush,
                    message: e.to_string(),
                }));
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// The start hooks, in op `op`: `after_context_created`, `after_catalog_created`,
    /// `before_pipeline_run`; the first failure stops them.
    pub fn fire_start_hooks(&self, op: &str) -> Result<(), HookError> {
        let prepared = &self.prepared;
        let hooks = self.hooks.in_op(op);
        let at = TracePoint::default();
        let context = ContextInfo {
            project_path: &prepared.project_path,
            env: &prepared.env,
            config_loader: &prepared.loader,
            params: &prepared.params,
        };
        hooks.each(HookPoint::AfterContextCreated, at, |h| {
            h.after_context_created(&context)
        })?;
        let parameters = kedrust_catalog::parameter_datasets(&prepared.params);
        let catalog_info = CatalogInfo {
            catalog: &prepared.catalog,
            conf_catalog: &prepared.conf_catalog,
            conf_creds: &prepared.conf_creds,
            parameters: &parameters,
            save_version: prepared.catalog.save_version(),
            load_versions: &prepared.options.load_versions,
        };
        hooks.each(HookPoint::AfterCatalogCreated, at, |h| {
            h.after_catalog_created(&catalog_info)
        })?;
        hooks.each(HookPoint::BeforePipelineRun, at, |h| {
            h.before_pipeline_run(self.info())
        })
    }

    /// The end hook, in op `op`: collects the run's free in-memory outputs and fires
    /// `after_pipeline_run` with them.
    pub fn fire_end_hooks(&self, op: &str) -> Result<RunResult, HookError> {
        let (pipeline, catalog) = (&self.prepared.pipeline, &self.prepared.catalog);
        let mut result = RunResult::default();
        for name in pipeline.outputs() {
            if !catalog.is_ephemeral(&name) {
                continue;
            }
            match catalog.load(&name) {
                Ok(value) => {
                    result.outputs.insert(name, value);
                }
                Err(e) => tracing::debug!("after_pipeline_run does not get '{name}': {e}"),
            }
        }
        self.hooks
            .in_op(op)
            .each(HookPoint::AfterPipelineRun, TracePoint::default(), |h| {
                h.after_pipeline_run(&result, self.info())
            })?;
        Ok(result)
    }

    /// Ends the run successfully; an error when the run store does not record it (then the
    /// run stays open, and is failed later as an orphan) or another process ended the run
    /// first.
    pub fn succeed(&self) -> Result<(), RunError> {
        self.hooks
            .record(EventKind::RunSuccess, "every op succeeded", json!({}));
        let not_recorded = |why: String| RunError::Engine {
            message: format!("every op succeeded, but {why}"),
        };
        match retried(|| self.store.finish(self.run_id(), RunStatus::Success)) {
            Ok(true) => Ok(()),
            Ok(false) => Err(not_recorded(
                "another process (the orchestrator's failure handler) ended the run first".into(),
            )),
            Err(e) => Err(not_recorded(format!(
                "the run store did not record it: {e}"
            ))),
        }
    }

    /// Fails the run: `on_pipeline_error` exactly once across every process, then the run
    /// ends failed or cancelled. The run store grants the claim to one process while the run
    /// is open; a claimant killed before it finished hands it to the next process that fails
    /// the run, so only the process that fired the hook ends the run. Whether this call fired
    /// it.
    pub fn fail(&self, error: &RunError) -> bool {
        let claim = retried(|| self.store.claim_failure_hook(self.run_id()));
        let fire = match claim {
            Ok(FailureClaim::Granted) => true,
            Ok(FailureClaim::Done) => false,
            Ok(FailureClaim::Held) => {
                tracing::info!(
                    "run {}: another process is firing on_pipeline_error and ends the run",
                    self.run_id()
                );
                return false;
            }
            Err(e) => {
                // Nobody can claim it through a store that refuses writes: the hook is the
                // team's only notice of the failure, so it fires here.
                tracing::error!(
                    "cannot claim on_pipeline_error of run {} in the run store ({e}); firing it",
                    self.run_id()
                );
                true
            }
        };
        if fire {
            if let Err(hook_error) =
                self.hooks
                    .each(HookPoint::OnPipelineError, TracePoint::default(), |h| {
                        h.on_pipeline_error(error, self.info())
                    })
            {
                tracing::error!("{hook_error}");
            }
            // Until this is written, a process that finds this one dead fires the hook again.
            if let Err(e) = self.store.failure_hook_fired(self.run_id()) {
                tracing::error!("{e}");
            }
        }
        let (kind, status) = match error {
            RunError::Cancelled => (EventKind::RunCanceled, RunStatus::Canceled),
            _ => (EventKind::RunFailure, RunStatus::Failure),
        };
        self.hooks.record(
            kind,
            &error.to_string(),
            json!({"error": error.to_string()}),
        );
        if let Err(e) = retried(|| self.store.finish(self.run_id(), status)) {
            tracing::error!(
                "cannot mark run {} {} in the run store: {e}",
                self.run_id(),
                status.as_str()
            );
        }
        fire
    }
}

/// A run store call, tried again while the store is busy (another process holds its lock
/// past SQLite's own wait).
fn retried<T>(
    call: impl Fn() -> Result<T, kedrust_store::StoreError>,
) -> Result<T, kedrust_store::StoreError> {
    let mut attempt = 0;
    loop {
        match call() {
            Err(_) if attempt < 3 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(200 * attempt));
            }
            done => return done,
        }
    }
}

/// Kedro's `run_params` of a prepared run.
fn run_params(prepared: &Prepared) -> RunParams {
    let options = &prepared.options;
    RunParams {
        run_id: prepared.run_id.clone(),
        project_path: prepared.project_path.to_string_lossy().into_owned(),
        env: prepared.env.clone(),
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
        partition: options.partition.clone(),
    }
}
