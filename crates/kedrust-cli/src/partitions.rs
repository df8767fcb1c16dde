//! `backfill` and `partitions`: the keys of a partitioned job, run one run per key, where
//! each key is, and the keys of dynamic partitions.

use crate::args::{BackfillArgs, PartitionsCommand, split_list};
use crate::error::CliError;
use kedrust_framework::{
    KeyOutcome, KeySelection, KeyState, Project, RunOptions, StatusTarget, partition_status,
};
use std::path::{Path, PathBuf};

/// `backfill`: a progress line per key on stderr as it ends, the summary on stdout; exit 1
/// when a key failed, with the command that resumes them.
pub(crate) fn backfill(
    project: &Project,
    root: &Path,
    conf_source: Option<PathBuf>,
    env: &str,
    args: &BackfillArgs,
) -> Result<String, CliError> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parallel = match args.max_concurrent {
        Some(0) => {
            return Err(CliError::BadInput(
                "--max-concurrent must be positive".into(),
            ));
        }
        Some(n) => n,
        None => cpus,
    };
    crate::signals::stop_on_ctrl_c();
    let on_done = |outcome: &KeyOutcome, done: usize, of: usize| match outcome {
        KeyOutcome::Succeeded { key, run_id } => {
            eprintln!("[{done}/{of}] {key}: succeeded (run {run_id})");
        }
        KeyOutcome::Failed {
            key,
            run_id,
            message,
            ..
        } => eprintln!(
            "[{done}/{of}] {key}: failed{}: {message}",
            run_id
                .as_ref()
                .map(|r| format!(" (run {r})"))
                .unwrap_or_default()
        ),
    };
    let params =
        crate::commands::runtime_params(args.params.as_deref()).map_err(CliError::BadInput)?;
    let summary = match &args.resume {
        Some(id) => {
            kedrust_framework::resume_backfill(project, root, (id, params), parallel, &on_done)?
        }
        None => {
            let keys = match (&args.from, &args.to) {
                (Some(from), Some(to)) => KeySelection::Range {
                    from: from.clone(),
                    to: to.clone(),
                },
                _ => KeySelection::List(split_list(args.keys.as_deref())),
            };
            let options = RunOptions {
                env: Some(env.to_owned()),
                conf_source,
                pipeline_names: split_list(args.pipeline.as_deref()),
                runtime_params: params,
                job: args.job.clone(),
                ..RunOptions::default()
            };
            kedrust_framework::backfill(project, root, &options, keys, parallel, &on_done)?
        }
    };
    let failed: Vec<&KeyOutcome> = summary
        .outcomes
        .iter()
        .filter(|o| matches!(o, KeyOutcome::Failed { .. }))
        .collect();
    let mut out = format!(
        "backfill {}: {} of {} keys run, {} succeeded, {} failed",
        summary.backfill_id,
        summary.outcomes.len(),
        summary.total_keys,
        summary.outcomes.len() - failed.len(),
        failed.len()
    );
    if !summary.not_launched.is_empty() {
        out.push_str(&format!(
            ", {} not launched (stopped)",
            summary.not_launched.len()
        ));
    }
    out.push('\n');
    for outcome in &failed {
        if let KeyOutcome::Failed {
            key,
            run_id,
            message,
            log,
        } = outcome
        {
            out.push_str(&format!(
                "  {key}: {message}\n    run {}, output in {}\n",
                run_id
                    .as_deref()
                    .unwrap_or("not recorded (refused before it started)"),
                log.display()
            ));
        }
    }
    if summary.succeeded() {
        if summary.outcomes.is_empty() {
            out.push_str("every key had succeeded already: nothing to run\n");
        }
        return Ok(out);
    }
    out.push_str(&format!(
        "resume the keys that did not succeed: backfill --resume {}",
        summary.backfill_id
    ));
    Err(CliError::Failed(out))
}

/// `partitions status|add|list|delete`.
pub(crate) fn command(
    project: &Project,
    (root, conf): (&Path, &Path),
    conf_source: Option<PathBuf>,
    env: &str,
    command: PartitionsCommand,
) -> Result<String, CliError> {
    let options = RunOptions {
        env: Some(env.to_owned()),
        conf_source,
        ..RunOptions::default()
    };
    match command {
        PartitionsCommand::Status { target } => {
            status(project, (root, conf), env, options, &target)
        }
        PartitionsCommand::Add { name, keys } => {
            let (added, total) =
                kedrust_framework::add_dynamic_keys(project, root, &options, &name, &keys)?;
            Ok(format!(
                "added {added} key{} to '{name}' ({total} in all)\n",
                if added == 1 { "" } else { "s" }
            ))
        }
        PartitionsCommand::List { name } => {
            let keys = kedrust_framework::dynamic_keys(project, root, &options, &name)?;
            Ok(keys.iter().map(|k| format!("{k}\n")).collect())
        }
        PartitionsCommand::Delete { name, key } => {
            kedrust_framework::delete_dynamic_key(project, root, &options, &name, &key)?;
            Ok(format!("deleted '{key}' from '{name}'\n"))
        }
    }
}

/// `partitions status <job or dataset>`: one line per key.
fn status(
    project: &Project,
    (root, conf): (&Path, &Path),
    env: &str,
    options: RunOptions,
    target: &str,
) -> Result<String, CliError> {
    let is_job = crate::jobs::dagster(project, conf, env)
        .map_err(CliError::BadInput)?
        .job(target)
        .is_some();
    let about = if is_job {
        StatusTarget::Job(RunOptions {
            job: Some(target.to_owned()),
            ..options
        })
    } else {
        StatusTarget::Dataset {
            name: target.to_owned(),
            options,
        }
    };
    let status = partition_status(project, root, &about)?;
    let count = |state: KeyState| status.keys.iter().filter(|k| k.state == state).count();
    let mut out = format!(
        "{} '{target}': {} keys, {} materialized, {} failed, {} running, {} missing\n",
        if is_job { "job" } else { "dataset" },
        status.keys.len(),
        count(KeyState::Materialized),
        count(KeyState::Failed),
        count(KeyState::Running),
        count(KeyState::Missing)
    );
    let width = status.keys.iter().map(|k| k.key.len()).max().unwrap_or(0);
    for key in &status.keys {
        out.push_str(&format!(
            "{:width$}  {:12}  {}\n",
            key.key,
            key.state.as_str(),
            key.run_id
                .as_deref()
                .map(|r| format!("run {r}"))
                .unwrap_or_default()
        ));
    }
    Ok(out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n")
}
