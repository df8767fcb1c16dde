//! `schedules list` and `schedules serve`: Dagster's schedules in embedded mode. A tick
//! launches one run of its job (of a partitioned job, one per key the tick runs: the last
//! complete time window, or every static key); ticks missed while a run ran are skipped unless
//! `--catch-up`. With `--from` the clock is simulated, so tests never wait.

use crate::args::SchedulesCommand;
use crate::jobs::dagster;
use chrono::{DateTime, Utc};
use kedrust_framework::{Project, RunOptions, conf_dir, prepare, run};
use kedrust_partitions::PartitionsDef;
use kedrust_plan::{DagsterConfig, Job, next_tick};
use std::path::{Path, PathBuf};

fn time(text: &str) -> Result<DateTime<Utc>, String> {
    text.parse::<DateTime<Utc>>()
        .map_err(|e| format!("'{text}' is not an RFC 3339 time (2026-01-01T00:00:00Z): {e}"))
}

fn scheduled(d: &DagsterConfig) -> Vec<&Job> {
    d.jobs.iter().filter(|j| j.schedule.is_some()).collect()
}

pub(crate) fn command(
    project: &Project,
    root: &Path,
    conf_source: Option<PathBuf>,
    env: &str,
    command: SchedulesCommand,
) -> Result<String, String> {
    let base = RunOptions {
        conf_source,
        ..RunOptions::default()
    };
    match command {
        SchedulesCommand::List { at } => list(project, &conf_dir(root, &base), env, at),
        SchedulesCommand::Serve {
            from,
            until,
            catch_up,
        } => serve(project, root, &base, env, from, until, catch_up),
    }
}

fn list(project: &Project, conf: &Path, env: &str, at: Option<String>) -> Result<String, String> {
    let now = at
        .as_deref()
        .map(time)
        .transpose()?
        .unwrap_or_else(Utc::now);
    let d = dagster(project, conf, env)?;
    let jobs = scheduled(&d);
    if jobs.is_empty() {
        return Ok("no scheduled jobs\n".into());
    }
    let mut out = String::new();
    for job in jobs {
        let s = job.schedule.as_ref().expect("scheduled");
        let next = next_tick(s, now)?
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "never".into());
        out.push_str(&format!(
            "{}: job {}, cron '{}' ({}), next {next}\n",
            s.name,
            job.name,
            s.cron_schedule,
            s.execution_timezone.as_deref().unwrap_or("UTC")
        ));
    }
    Ok(out)
}

fn serve(
    project: &Project,
    root: &Path,
    base: &RunOptions,
    env: &str,
    from: Option<String>,
    until: Option<String>,
    catch_up: bool,
) -> Result<String, String> {
    let until = until.as_deref().map(time).transpose()?;
    let simulated = from.as_deref().map(time).transpose()?;
    let d = dagster(project, &conf_dir(root, base), env)?;
    let jobs = scheduled(&d);
    if jobs.is_empty() {
        return Ok("no scheduled jobs to serve\n".into());
    }
    // A partitioned job's tick runs the keys its partitions give for that tick; dynamic keys
    // cannot be chosen by a clock. Found before the first tick.
    let mut partitions = Vec::with_capacity(jobs.len());
    for job in &jobs {
        kedrust_framework::embedded_executor(&job.name, &job.executor)
            .map_err(|e| e.to_string())?;
        let options = RunOptions {
            env: Some(env.to_owned()),
            job: Some(job.name.clone()),
            ..base.clone()
        };
        let def = kedrust_framework::pipeline_partitions(project, root, &options)
            .map_err(|e| e.to_string())?;
        if let Some(PartitionsDef::Dynamic { name }) = &def {
            return Err(format!(
                "job '{}' has dynamic partitions ('{name}'): a schedule cannot tell which key a \
                 tick runs; run its keys with backfill --keys",
                job.name
            ));
        }
        partitions.push(def);
    }
    crate::signals::stop_on_ctrl_c();
    // The last tick served per job; the next tick is computed from it.
    let mut last: Vec<DateTime<Utc>> = vec![simulated.unwrap_or_else(Utc::now); jobs.len()];
    let mut launched = 0;
    loop {
        let mut due: Vec<(DateTime<Utc>, usize)> = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            if let Some(t) = next_tick(job.schedule.as_ref().expect("scheduled"), last[i])? {
                due.push((t, i));
            }
        }
        let Some(&(tick, i)) = due.iter().min() else {
            break;
        };
        if until.is_some_and(|u| tick > u) || kedrust_runner::is_cancelled() {
            break;
        }
        if simulated.is_none() {
            while Utc::now() < tick && !kedrust_runner::is_cancelled() {
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
        launched += 1;
        let job = jobs[i];
        tracing::info!(
            "tick {tick} of {}: launching job {}",
            job.schedule
                .as_ref()
                .map(|s| s.name.as_str())
                .unwrap_or_default(),
            job.name
        );
        let schedule = job
            .schedule
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let keys = match &partitions[i] {
            None => vec![None],
            Some(def) => def
                .keys_for_tick(tick)
                .unwrap_or_default()
                .into_iter()
                .map(Some)
                .collect(),
        };
        if keys.is_empty() {
            tracing::warn!(
                "tick {tick} of {schedule}: no partition of job {} has ended yet; nothing to run",
                job.name
            );
        }
        for key in keys {
            launch(
                project,
                root,
                base,
                env,
                (&job.name, &schedule),
                (tick, key),
            );
        }
        // Without catch-up, ticks that passed during the run are skipped.
        last[i] = if catch_up || simulated.is_some() {
            tick
        } else {
            Utc::now().max(tick)
        };
    }
    Ok(format!("served {launched} ticks\n"))
}

/// One run of `job`; its failure is the run's business (recorded, hooks fired), not the
/// server's, which goes on to the next tick.
fn launch(
    project: &Project,
    root: &Path,
    base: &RunOptions,
    env: &str,
    (job, schedule): (&str, &str),
    (tick, partition): (DateTime<Utc>, Option<String>),
) {
    let options = RunOptions {
        env: Some(env.to_owned()),
        job: Some(job.to_owned()),
        partition,
        tags: [
            ("dagster/schedule_name".to_owned(), schedule.to_owned()),
            (
                "dagster/scheduled_execution_time".to_owned(),
                tick.to_rfc3339(),
            ),
        ]
        .into(),
        ..base.clone()
    };
    let outcome = prepare(project, root.to_owned(), &options)
        .and_then(|prepared| run(project, prepared, &|_| {}));
    match outcome {
        Ok(summary) => tracing::info!("run {} of job {job} succeeded", summary.run_id),
        Err(e) => tracing::error!("job {job}: {e}"),
    }
}
