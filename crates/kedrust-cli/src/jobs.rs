//! `jobs list` and `plan --job`: the jobs of `dagster.yml` and their plans.

use kedrust_framework::{Project, find_job, load_dagster, plan_job};
use kedrust_plan::DagsterConfig;
use std::path::Path;

/// The dagster.yml of `env` in the configuration folder `conf`.
pub(crate) fn dagster(project: &Project, conf: &Path, env: &str) -> Result<DagsterConfig, String> {
    load_dagster(project, conf, env).map_err(|e| e.to_string())
}

/// `jobs list`.
pub(crate) fn list(project: &Project, conf: &Path, env: &str) -> Result<String, String> {
    let d = dagster(project, conf, env)?;
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
    conf: &Path,
    env: &str,
    job: &str,
) -> Result<String, String> {
    let d = dagster(project, conf, env)?;
    let job = find_job(&d, job).map_err(|e| e.to_string())?;
    let (plan, pipeline, built) =
        plan_job(project, root, conf, env, job).map_err(|e| e.to_string())?;
    built.catalog.bind(&pipeline).map_err(|e| e.to_string())?;
    Ok(plan.render())
}
