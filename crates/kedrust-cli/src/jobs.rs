//! `jobs list` and `plan --job`: the jobs of `dagster.yml` and their plans.

use kedrust_config::run_env;
use kedrust_plan::{DagsterConfig, JobPlan};
use kedrust_runner::{Project, RunOptions, build_catalog, select};
use std::path::Path;

fn dagster(project: &Project, root: &Path, env: &str) -> Result<DagsterConfig, String> {
    let loader = project.config_loader(&root.join("conf"), env);
    let config = loader.load("dagster").map_err(|e| e.to_string())?;
    let pipelines = project.load_pipelines().map_err(|e| e.to_string())?;
    let names: Vec<&str> = pipelines.keys().map(String::as_str).collect();
    kedrust_plan::parse(&config, &names).map_err(|e| e.to_string())
}

/// `jobs list`.
pub(crate) fn list(project: &Project, root: &Path, env: Option<String>) -> Result<String, String> {
    let env = run_env(env.as_deref());
    let d = dagster(project, root, &env)?;
    if d.jobs.is_empty() {
        return Ok("no jobs: the project has no dagster.yml (or it defines none)\n".into());
    }
    let mut out = String::new();
    for job in &d.jobs {
        out.push_str(&format!(
            "{}: pipeline {}, executor {} x{}{}\n",
            job.name,
            job.pipeline_name,
            job.executor.kind,
            job.executor.max_concurrent,
            job.schedule
                .as_ref()
                .map(|s| format!(", schedule '{}' ({})", s.cron_schedule, s.name))
                .unwrap_or_default()
        ));
    }
    Ok(out)
}

/// `plan --job <name>`.
pub(crate) fn plan(
    project: &Project,
    root: &Path,
    env: Option<String>,
    job: &str,
) -> Result<String, String> {
    let env = run_env(env.as_deref());
    let d = dagster(project, root, &env)?;
    let Some(job) = d.job(job) else {
        let names: Vec<&str> = d.jobs.iter().map(|j| j.name.as_str()).collect();
        let hint = kedrust_pipeline::suggest::best_match(job, names.iter().copied())
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        return Err(format!(
            "job '{job}' is not in dagster.yml (jobs: {}){hint}",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ));
    };
    let options = RunOptions {
        env: Some(env.clone()),
        pipeline_names: vec![job.pipeline_name.clone()],
        filter: job.filter.clone(),
        ..RunOptions::default()
    };
    let pipeline = select(project, &options).map_err(|e| e.to_string())?;
    let built = build_catalog(
        project,
        root,
        &root.join("conf"),
        &env,
        &options,
        &kedrust_catalog::new_version(),
    )
    .map_err(|e| e.to_string())?;
    built.catalog.bind(&pipeline).map_err(|e| e.to_string())?;
    Ok(JobPlan::build(job, &env, &pipeline, &built.catalog).render())
}
