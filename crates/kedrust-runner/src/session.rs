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
use crate::options::{RunOptions, RunSummary, SessionError};
use crate::params::{RunParams, framework_version};
use crate::prepare::Prepared;
use crate::process::{self, Launcher};
use crate::project::Project;
use crate::resume;
use crate::task::Shared;
use crate::trace::{TracePoint, Tracer};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

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
