//! The partitions case: a job fanned out over 1,000 static partition keys, loaded as a code
//! location by each system, and a backfill of 100 keys run on this machine.
//!
//! The pipeline is one node, `clean`, reading the partitioned `raw` and writing the partitioned
//! `cleaned` (`a + 1` on an integer per key). kedrust declares the keys in its catalog and
//! expands the fan-out job before planning it; kedro-dagster declares them with its
//! `DagsterPartitionedDataset` and clones the op per key when it builds the job. Kedro has no
//! per-key runs: the nearest a Kedro user has is `kedro run` once per key, the file chosen by a
//! runtime parameter, which is what the backfill is compared with.

use super::cases::{kedro_dagster_init, progress};
use super::measure;
use super::report::{Headline, Results, ms, ratio_cells};
use super::{Bench, Location, SKIP_AFTER_SECS};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The pipeline both projects register for this case (kedrust: `process_runner::project`,
/// Kedro: `python/pipeline_registry.py`).
pub const PIPELINE: &str = "partitioned";
/// Kedro's one-key pipeline, its files chosen by `--params partition=<key>`.
const KEDRO_ONE_KEY_PIPELINE: &str = "partition_one";
const FAN_OUT_JOB: &str = "partitions_fan_out";
const PER_KEY_JOB: &str = "partitions_per_key";
/// kedrust's catalog and jobs of this case, removed afterwards so no other case sees them.
const KEDRUST_FILES: [&str; 2] = ["conf/base/catalog_partitions.yml", "conf/base/dagster.yml"];
const KEDRO_FILES: [&str; 2] = ["conf/base/catalog_partitions.yml", "conf/local/dagster.yml"];

fn keys(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("p{i:04}")).collect()
}

fn write(root: &Path, file: &str, text: &str) -> Result<(), String> {
    let path = root.join(file);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Each system's catalog of the case, and the raw data: one JSON integer per key.
fn write_projects(b: &Bench, count: usize) -> Result<(), String> {
    let listed = keys(count).join(", ");
    write(
        &b.kedrust_dir,
        KEDRUST_FILES[0],
        &format!(
            "_keys: &keys {{type: static, keys: [{listed}]}}\n\
             raw: {{type: serde.JSONDataset, filepath: \"data/partitions/raw/{{partition}}.json\", partitions: *keys}}\n\
             cleaned: {{type: serde.JSONDataset, filepath: \"data/partitions/cleaned/{{partition}}.json\", partitions: *keys}}\n"
        ),
    )?;
    write(
        &b.kedrust_dir,
        KEDRUST_FILES[1],
        &format!(
            "jobs:\n  {FAN_OUT_JOB}:\n    pipeline: {{pipeline_name: {PIPELINE}}}\n    fan_out: true\n\
             \x20 {PER_KEY_JOB}:\n    pipeline: {{pipeline_name: {PIPELINE}}}\n"
        ),
    )?;
    // kedro-dagster's partitioned folders (a file per declared key), with the identity
    // mapping it needs spelt out (without one its translation fails: BUG-19); and the
    // plain Kedro entries of a one-key run.
    let partitioned = |folder: &str, mapping: &str| {
        format!(
            "{folder}:\n  type: kedro_dagster.DagsterPartitionedDataset\n  path: data/partitions/{folder}\n  \
             filename_suffix: .json\n  dataset: {{type: json.JSONDataset}}\n  \
             partition: {{type: StaticPartitionsDefinition, partition_keys: [{listed}]}}\n{mapping}"
        )
    };
    write(
        &b.kedro_dir,
        KEDRO_FILES[0],
        &format!(
            "{}{}\
             raw_one: {{type: json.JSONDataset, filepath: \"data/partitions/raw/${{runtime_params:partition,p0000}}.json\"}}\n\
             cleaned_one: {{type: json.JSONDataset, filepath: \"data/partitions/cleaned/${{runtime_params:partition,p0000}}.json\"}}\n",
            partitioned(
                "raw",
                "  partition_mapping:\n    cleaned: {type: IdentityPartitionMapping}\n"
            ),
            partitioned("cleaned", ""),
        ),
    )?;
    write(
        &b.kedro_dir,
        KEDRO_FILES[1],
        &format!(
            "executors:\n  bench:\n    in_process: {{}}\njobs:\n  {FAN_OUT_JOB}:\n    \
             pipeline:\n      pipeline_name: {PIPELINE}\n    executor: bench\n"
        ),
    )?;
    for root in [&b.kedrust_dir, &b.kedro_dir] {
        let folder = root.join("data/partitions/raw");
        std::fs::create_dir_all(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        for key in keys(count) {
            write(&folder, &format!("{key}.json"), "1\n")?;
        }
    }
    Ok(())
}

/// Fails unless kedrust's fan-out job has an op per key: a plan that did not expand would
/// load fast and measure nothing.
fn check_fan_out(b: &Bench, count: usize) -> Result<(), String> {
    let (_, out) = measure::run(b.kedrust(PIPELINE, &["__dagster_plans"]))?;
    let plans: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
    let ops = plans["jobs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["job"] == FAN_OUT_JOB))
        .and_then(|j| j["ops"].as_array())
        .map_or(0, Vec::len);
    if ops < count {
        return Err(format!(
            "the fan-out job has {ops} ops, expected at least {count}"
        ));
    }
    Ok(())
}

/// Fails unless every key of the backfill wrote its output (`1 + 1`).
fn check_backfilled(root: &Path, keys: &[String]) -> Result<(), String> {
    for key in keys {
        let path = root.join(format!("data/partitions/cleaned/{key}.json"));
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if text.trim() != "2" {
            return Err(format!("{} holds {text:?}, expected 2", path.display()));
        }
    }
    std::fs::remove_dir_all(root.join("data/partitions/cleaned")).map_err(|e| e.to_string())
}

/// `kedro run` once per key, two at a time (as the backfill runs two keys at a time).
fn kedro_runs_per_key(b: &Bench, keys: &[String]) -> Command {
    let kedro = b.python_tool("kedro");
    let mut c = Command::new("sh");
    // The keys are `p` and digits, the program a path: quoted, nothing to escape.
    c.arg("-c")
        .arg(format!(
            "printf '%s\\n' {} | xargs -P 2 -I '{{}}' '{}' run --pipeline {KEDRO_ONE_KEY_PIPELINE} \
             --params 'partition={{}}'",
            keys.join(" "),
            kedro.get_program().to_string_lossy()
        ))
        .current_dir(&b.kedro_dir);
    for (key, value) in kedro.get_envs() {
        if let Some(v) = value {
            c.env(key, v);
        }
    }
    c
}

/// Loading a code location with a job fanned out over 1,000 keys, and a backfill of 100 keys.
pub fn run(b: &Bench, results: &mut Results) -> Result<(), String> {
    let (count, backfilled) = if b.options.quick {
        (10, 4)
    } else {
        (1_000, 100)
    };
    kedro_dagster_init(b)?;
    measure::run(b.kedrust("", &["dagster", "init", "--force"]))?;
    write_projects(b, count)?;

    progress(&format!("partitions: a fan-out job of {count} keys"));
    let plans = measure::median(b.options.repeat, || {
        b.kedrust(PIPELINE, &["__dagster_plans"])
    })?;
    check_fan_out(b, count)?;
    let ours = measure::median(b.repeat_for(5.0), || {
        b.validate(Location::Kedrust {
            pipelines: PIPELINE,
        })
    })?;
    let theirs = match measure::run_limited(
        b.validate(Location::KedroDagster { shapes: "" }),
        Duration::from_secs_f64(SKIP_AFTER_SECS),
    )? {
        measure::Outcome::Done(sample, _) => Some(sample),
        measure::Outcome::Stopped => None,
    };

    progress(&format!("partitions: a backfill of {backfilled} keys"));
    let backfill_keys: Vec<String> = keys(backfilled);
    let listed = backfill_keys.join(",");
    let backfill = measure::median(b.repeat_for(10.0), || {
        b.kedrust(
            PIPELINE,
            &[
                "backfill",
                "--job",
                PER_KEY_JOB,
                "--keys",
                &listed,
                "--max-concurrent",
                "2",
            ],
        )
    })?;
    check_backfilled(&b.kedrust_dir, &backfill_keys)?;
    let kedro_backfill = match measure::run_limited(
        kedro_runs_per_key(b, &backfill_keys),
        Duration::from_secs_f64(SKIP_AFTER_SECS),
    )? {
        measure::Outcome::Done(sample, _) => Some(sample),
        measure::Outcome::Stopped => None,
    };
    if kedro_backfill.is_some() {
        check_backfilled(&b.kedro_dir, &backfill_keys)?;
    }

    let stopped = format!("over {SKIP_AFTER_SECS:.0} s (stopped)");
    let cell = |s: Option<measure::Sample>| s.map_or_else(|| stopped.clone(), |s| ms(s.wall));
    let ratio = |ours: measure::Sample, theirs: Option<measure::Sample>| {
        let secs = theirs.map_or(SKIP_AFTER_SECS, |t| t.wall.as_secs_f64());
        ours.wall.as_secs_f64() / secs
    };
    let mut table = String::from(
        "| case | kedrust (ms) | Python side (ms) | kedrust / Python | better by |\n\
         |---|---:|---:|---:|---:|\n",
    );
    let _ = writeln!(
        table,
        "| code location, a job fanned out over {count} static keys: kedrust's plans served \
         | {} | | | |",
        ms(plans.wall)
    );
    let _ = writeln!(
        table,
        "| code location, a job fanned out over {count} static keys: `dagster definitions \
         validate` (kedro-dagster: its `DagsterPartitionedDataset` clones) | **{}** | {} | {} |",
        ms(ours.wall),
        cell(theirs),
        ratio_cells(ratio(ours, theirs))
    );
    let _ = writeln!(
        table,
        "| {backfilled} keys, two at a time: `backfill --job` (Kedro: `kedro run --params \
         partition=<key>` per key) | **{}** | {} | {} |",
        ms(backfill.wall),
        cell(kedro_backfill),
        ratio_cells(ratio(backfill, kedro_backfill))
    );
    results.headline_row(Headline {
        case: format!("code location of a job fanned out over {count} static partition keys"),
        kedrust: format!("{} ms", ms(ours.wall)),
        python: theirs.map_or_else(
            || format!("over {SKIP_AFTER_SECS:.0} s"),
            |t| format!("{} ms", ms(t.wall)),
        ),
        ratio: ratio(ours, theirs),
        target: None,
        why_missed: None,
    });
    for file in KEDRUST_FILES {
        std::fs::remove_file(b.kedrust_dir.join(file)).map_err(|e| e.to_string())?;
    }
    for file in KEDRO_FILES {
        std::fs::remove_file(b.kedro_dir.join(file)).map_err(|e| e.to_string())?;
    }
    results.section(
        "Partitions",
        "One node, `clean`, reading the partitioned `raw` and writing the partitioned \
         `cleaned`, one JSON integer per key. The code location: kedrust's job has \
         `fan_out: true` and is expanded into one op per key before it is planned; \
         kedro-dagster's datasets are `DagsterPartitionedDataset`s with a \
         `StaticPartitionsDefinition` and an identity mapping, and it clones the op per key. \
         The backfill: kedrust's `backfill` runs each key in a process of its own (pipeline \
         hooks, run store, per-key log), at most two at once; Kedro has no per-key runs, so \
         its side is `kedro run` once per key, its files chosen by a runtime parameter, two \
         at once. Every output is checked after each side's run.",
        table,
    );
    Ok(())
}
