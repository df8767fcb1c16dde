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

/// `plan --job <name>`, and with `only_changed` what `run --only-changed` would run now.
pub(crate) fn plan(
    project: &Project,
    root: &Path,
    (conf, env): (&Path, &str),
    job: &str,
    only_changed: bool,
) -> Result<String, String> {
    let d = dagster(project, conf, env)?;
    let found = find_job(&d, job).map_err(|e| e.to_string())?;
    let (plan, pipeline, built) =
        plan_job(project, root, conf, env, found).map_err(|e| e.to_string())?;
    built.catalog.bind(&pipeline).map_err(|e| e.to_string())?;
    let mut out = plan.render();
    if only_changed {
        let options = kedrust_framework::RunOptions {
            env: Some(env.to_owned()),
            conf_source: Some(conf.to_owned()),
            job: Some(job.to_owned()),
            ..Default::default()
        };
        let prepared = kedrust_framework::prepare(project, root.to_owned(), &options)
            .map_err(|e| e.to_string())?;
        let kedrust_framework::Selection { run, skipped } =
            kedrust_framework::what_would_run(project, &prepared).map_err(|e| e.to_string())?;
        out.push_str(&format!(
            "with --only-changed: {} of {} nodes would run, {} unchanged\n",
            run.len(),
            run.len() + skipped.len(),
            skipped.len()
        ));
        for (node, why) in run {
            out.push_str(&format!("  {node}: {why}\n"));
        }
    }
    Ok(out)
}
