//! The Dagster commands: `dagster init|validate` for users, and the hidden ones the
//! generated code location calls (`__dagster_plans`, `__dagster_op`, `__dagster_failure`).

use crate::args::DagsterRun;
use crate::error::CliError;
use kedrust_dagster::{CELERY_WORKER_PY, Pipes, definitions_py};
use kedrust_framework::orchestrated::{fail_run, run_op};
use kedrust_framework::{Project, RunOptions};
use kedrust_pipeline::naming::base_name;
use serde_json::json;
use std::path::{Path, PathBuf};

/// `__dagster_plans`: every job plan of the environment, and the schedules, as JSON.
pub(crate) fn plans(
    project: &Project,
    root: &Path,
    conf: &Path,
    env: &str,
) -> Result<String, String> {
    let dagster = crate::jobs::dagster(project, conf, env)?;
    shared_state_for_distributed_jobs(project, root, &dagster)?;
    let mut jobs = Vec::new();
    let mut schedules = Vec::new();
    let mut job_datasets = std::collections::BTreeSet::new();
    for job in &dagster.jobs {
        let (job_plan, pipeline, built) =
            kedrust_framework::plan_job(project, root, conf, env, job)
                .map_err(|e| e.to_string())?;
        // A fan-out job runs every key in one run: to Dagster it is not partitioned.
        let partitions = if job.fan_out {
            None
        } else {
            kedrust_framework::shared_partitions(&pipeline, &built.catalog)
                .map_err(|e| format!("job '{}': {e}", job.name))?
        };
        job_datasets.extend(
            job_plan
                .ops
                .iter()
                .flat_map(|o| o.loads.iter().chain(&o.saves))
                // A fan-out's slice is its partitioned dataset's asset.
                .map(|d| {
                    built
                        .catalog
                        .partition_alias(d)
                        .map_or_else(|| base_name(d).to_owned(), |(base, _)| base)
                }),
        );
        let mut plan = serde_json::to_value(job_plan).map_err(|e| e.to_string())?;
        // The launchpad shows them: secrets hidden, and the op drops what comes back hidden.
        plan["params"] = kedrust_secrets::redact_json(&built.params);
        plan["loggers"] = json!(dagster.loggers_of(job));
        plan["partitions"] = partitions
            .as_ref()
            .map_or(json!(null), kedrust_dagster::partitions_spec);
        jobs.push(plan);
        if let Some(s) = &job.schedule {
            if let Some(kedrust_partitions::PartitionsDef::Dynamic { name }) = &partitions {
                return Err(format!(
                    "job '{}' has dynamic partitions ('{name}') and schedule '{}': a schedule \
                     cannot tell which key a tick runs (kedrust's embedded schedules refuse it \
                     too); launch its keys with a backfill",
                    job.name, s.name
                ));
            }
            schedules.push(json!({
                "name": s.name, "job": job.name, "cron_schedule": s.cron_schedule,
                "execution_timezone": s.execution_timezone, "description": s.description,
            }));
        }
    }
    // The jobs stand on their own: a `__default__` pipeline that cannot be planned leaves the
    // code location without assets, and says why where Dagster shows the location's logs.
    let (assets, asset_ops, params, asset_problem) =
        match asset_graph(project, root, (conf, env), &job_datasets) {
            Ok((assets, ops, params)) => (assets, ops, params, None),
            Err(problem) => (Vec::new(), json!([]), json!({}), Some(problem)),
        };
    Ok(format!(
        "{}\n",
        json!({
            "env": env, "jobs": jobs, "schedules": schedules,
            "assets": assets, "asset_ops": asset_ops, "asset_params": params,
            "asset_problem": asset_problem,
        })
    ))
}

/// The asset graph of the `__default__` pipeline: a spec per persisted dataset (the produced
/// ones with their lineage and asset op, the sources without), the asset ops, and the
/// parameters an asset run starts from. Persisted datasets only jobs of other pipelines
/// touch (`job_datasets`) get a spec without an op, so that their materialisations in job
/// runs land on a defined asset.
fn asset_graph(
    project: &Project,
    root: &Path,
    (conf, env): (&Path, &str),
    job_datasets: &std::collections::BTreeSet<String>,
) -> Result<(Vec<serde_json::Value>, serde_json::Value, serde_json::Value), String> {
    let (graph, pipeline, built) =
        kedrust_framework::plan_assets(project, root, conf, env).map_err(|e| e.to_string())?;
    let catalog = &built.catalog;
    // kedro-dagster's group for a node outside any namespace: the first registered pipeline
    // (by name, `__default__` aside) that holds it.
    let pipelines = project
        .load_pipelines(conf, env)
        .map_err(|e| e.to_string())?;
    let pipeline_of = |node: &str| {
        pipelines
            .iter()
            .find(|(name, p)| {
                *name != kedrust_framework::DEFAULT_PIPELINE && p.node(node).is_some()
            })
            .map(|(name, _)| name.as_str())
    };
    let metadata = |dataset: &str| {
        catalog
            .resolve(dataset)
            .and_then(|r| r.config)
            .and_then(|c| c.get("metadata").cloned())
    };
    let code_versions = kedrust_framework::code_versions(&pipeline, catalog, &built.params);
    let mut specs = Vec::new();
    for asset in &graph.assets {
        let node = pipeline.node(&asset.node);
        let metadata = metadata(&asset.dataset);
        let type_name = catalog.type_name(&asset.dataset);
        specs.push(kedrust_dagster::asset_spec(
            env,
            &kedrust_dagster::AssetFacts {
                dataset: &asset.dataset,
                type_name: type_name.as_deref(),
                metadata: metadata.as_ref(),
                deps: &asset.deps,
                node: Some((&asset.node, node.and_then(|n| n.namespace_name()))),
                pipeline: pipeline_of(&asset.node),
                op: Some(&asset.op),
                code_version: code_versions.get(&asset.node).cloned(),
                read_as: None,
            },
        ));
    }
    let in_graph = |d: &String| graph.asset(d).is_some() || graph.sources.contains(d);
    let others: Vec<&String> = job_datasets.iter().filter(|d| !in_graph(d)).collect();
    // A source under the name its readers use: a transcoded one has no entry of its base name.
    let inputs = pipeline.inputs();
    let read_as = |source: &str| {
        inputs
            .iter()
            .find(|i| base_name(i) == source)
            .map_or(source.to_owned(), Clone::clone)
    };
    for dataset in graph.sources.iter().chain(others) {
        let metadata = metadata(dataset);
        let type_name = catalog.type_name(dataset);
        let observed_as = graph.sources.contains(dataset).then(|| read_as(dataset));
        specs.push(kedrust_dagster::asset_spec(
            env,
            &kedrust_dagster::AssetFacts {
                dataset,
                type_name: type_name.as_deref(),
                metadata: metadata.as_ref(),
                read_as: observed_as.as_deref(),
                ..Default::default()
            },
        ));
    }
    partitioned_assets(catalog, &mut specs)?;
    // Dagster names a multi-asset's outputs after its keys' parts joined by `__`: two
    // datasets whose keys join alike would be one output.
    let mut seen: std::collections::BTreeMap<String, &str> = Default::default();
    for spec in &specs {
        let parts: Vec<&str> = spec["key"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str())
            .collect();
        let dataset = spec["dataset"].as_str().unwrap_or_default();
        if let Some(other) = seen.insert(parts.join("__"), dataset) {
            return Err(format!(
                "datasets '{other}' and '{dataset}' get the same Dagster asset name ({}): \
                 rename one of them",
                parts.join("__")
            ));
        }
    }
    let params = kedrust_secrets::redact_json(&built.params);
    Ok((specs, json!(graph.ops), params))
}

/// Partitions on the asset specs: each partitioned dataset's definition, and the mapping
/// its entry declares for each asset it feeds. Dagster gives a multi-asset one definition, so
/// an asset op whose datasets are partitioned differently (or some not at all) is refused.
fn partitioned_assets(
    catalog: &kedrust_catalog::Catalog,
    specs: &mut [serde_json::Value],
) -> Result<(), String> {
    let mut of_op: std::collections::BTreeMap<String, (String, Option<_>)> = Default::default();
    for spec in specs.iter_mut() {
        let dataset = spec["dataset"].as_str().unwrap_or_default().to_owned();
        let partitions = catalog.partitions(&dataset);
        let deps: Vec<String> = spec["deps_datasets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect();
        spec["dep_mappings"] = deps
            .iter()
            .map(|dep| {
                catalog
                    .partition_mapping(dep, &dataset)
                    .map_or(json!(null), |m| kedrust_dagster::mapping_spec(&m))
            })
            .collect();
        spec["partitions"] = partitions
            .as_ref()
            .map_or(json!(null), |def| kedrust_dagster::partitions_spec(def));
        let Some(op) = spec["op"].as_str().map(str::to_owned) else {
            continue;
        };
        match of_op.get(&op) {
            None => {
                of_op.insert(op, (dataset, partitions));
            }
            Some((other, theirs)) if *theirs != partitions => {
                return Err(format!(
                    "datasets '{other}' and '{dataset}' are made by the same nodes (asset op \
                     '{op}') but partitioned differently: Dagster gives the assets of one op one \
                     partitions definition"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Ops of one run share its state through the run store and the run folder. Dagster's
/// library executors may run steps in other containers or on other machines, where the
/// project's `.kedrust` is not the one the start op wrote: they need a state folder every step
/// reaches (a volume they mount, or object storage), named explicitly.
fn shared_state_for_distributed_jobs(
    project: &Project,
    root: &Path,
    dagster: &kedrust_plan::DagsterConfig,
) -> Result<(), String> {
    let shared = kedrust_framework::shared_state(project, root).map_err(|e| e.to_string())?;
    if shared == kedrust_framework::SharedState::Named {
        return Ok(());
    }
    let distributed: Vec<String> = dagster
        .jobs
        .iter()
        .filter(|j| !j.executor.runs_embedded())
        .map(|j| format!("'{}' ({})", j.name, j.executor.kind))
        .collect();
    if distributed.is_empty() {
        return Ok(());
    }
    if let kedrust_framework::SharedState::StoreFileOnEachHost(file) = shared {
        return Err(format!(
            "job {} may run steps on other machines: the state folder is on object storage, but \
             the run store is the file {}, which each machine would have its own of; set \
             KEDRUST_RUN_STORE to a PostgreSQL URL every step reaches",
            distributed.join(", "),
            file.display()
        ));
    }
    Err(format!(
        "job {} may run steps in other containers or on other machines: set {} to a folder \
         that every step mounts (a volume shared by the steps), or to a URL of object storage \
         (s3://bucket/prefix) with KEDRUST_RUN_STORE a PostgreSQL URL; the in-memory data \
         between ops and the run's configuration live there",
        distributed.join(", "),
        kedrust_framework::STATE_DIR_ENV
    ))
}

/// `__dagster_op`: one op of a Dagster run, under Pipes (its logs already go there).
pub(crate) fn op(
    project: &Project,
    root: &Path,
    base: RunOptions,
    env: &str,
    (job, op): (&str, &str),
    pipes: &Pipes,
) -> Result<String, CliError> {
    let (mut options, attempt) = op_options(base, env, pipes)?;
    options.job = Some(job.to_owned());
    let ran = run_op(project, root, &options, op, attempt);
    ended(project, root, pipes, (&options, op, None), ran)
}

/// `__dagster_assets`: one asset op of a Dagster run that materialises assets. The code
/// location passes the datasets of the run's selection and of this step's in the extras.
pub(crate) fn asset_op(
    project: &Project,
    root: &Path,
    base: RunOptions,
    env: &str,
    op: &str,
    pipes: &Pipes,
) -> Result<String, CliError> {
    let (options, attempt) = op_options(base, env, pipes)?;
    let datasets = |key: &str| -> Vec<String> {
        pipes
            .extras()
            .and_then(|e| e.get(key))
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str().map(str::to_owned))
            .collect()
    };
    let (run_assets, step_assets) = (datasets("run_datasets"), datasets("step_datasets"));
    let ran = kedrust_framework::orchestrated::run_asset_op(
        project,
        root,
        &options,
        (op, &run_assets, &step_assets),
        attempt,
    );
    ended(
        project,
        root,
        pipes,
        (&options, op, Some(&step_assets)),
        ran,
    )
}

/// The options every op of a Dagster run shares, from Pipes: the run id, the launchpad's
/// parameters, the parent run of a re-execution, the partition key; and Dagster's retry of
/// this op.
fn op_options(base: RunOptions, env: &str, pipes: &Pipes) -> Result<(RunOptions, u32), CliError> {
    let Some(run_id) = pipes.run_id().map(str::to_owned).or(base.run_id.clone()) else {
        return Err(CliError::BadInput(
            "no run id: start this op from Dagster (Pipes), or pass --run-id (KEDRUST_RUN_ID)"
                .into(),
        ));
    };
    // The job's parameters, as the launchpad's run config gave them (the same for every op).
    // A value the launchpad showed hidden is not a value: the configuration's own applies.
    let runtime_params = pipes
        .extras()
        .and_then(|e| e.get("params"))
        .map(kedrust_secrets::without_masked)
        .unwrap_or_else(|| json!({}));
    // A Dagster re-execution is a new run whose parent is the run it re-executes.
    let parent_run_id = pipes
        .extras()
        .and_then(|e| e.get("parent_run_id"))
        .and_then(|p| p.as_str())
        .map(str::to_owned);
    // A partitioned run's key: Dagster's, through the Pipes context.
    let partition = pipes
        .partition_key()
        .map(str::to_owned)
        .or(base.partition.clone());
    if let (None, Some(range)) = (
        &partition,
        pipes
            .extras()
            .and_then(|e| e.get("partition_range"))
            .and_then(|r| r.as_array()),
    ) {
        let key = |i: usize| range.get(i).and_then(|k| k.as_str()).unwrap_or("?");
        let message = format!(
            "this Dagster run covers the partitions {} to {} at once (a BackfillPolicy or a \
             partition range); kedrust runs one partition per run: launch one run per key (a \
             backfill without a BackfillPolicy does)",
            key(0),
            key(1)
        );
        // Said through Pipes too, so that Dagster's event log shows it.
        let said = pipes
            .log("error", &message)
            .and_then(|()| pipes.closed(Some(("KedrustError", &message))));
        if let Err(e) = said {
            eprintln!("warning: {e}");
        }
        return Err(CliError::BadInput(message));
    }
    let options = RunOptions {
        env: Some(env.to_owned()),
        run_id: Some(run_id.clone()),
        parent_run_id,
        partition,
        runtime_params,
        tags: [("dagster/run_id".to_owned(), run_id)].into(),
        ..base
    };
    // Dagster's retry of this op (0 for the first try).
    let attempt = pipes
        .context()
        .and_then(|c| c.get("retry_number"))
        .and_then(|n| n.as_u64())
        .map_or(0, |n| n as u32);
    Ok((options, attempt))
}

/// Tells Dagster how op `op` ended: its saves as materialisations (of the step's datasets
/// only, for an asset op), then Pipes' closing message.
fn ended(
    project: &Project,
    root: &Path,
    pipes: &Pipes,
    (options, op, step): (&RunOptions, &str, Option<&[String]>),
    ran: Result<(), kedrust_framework::SessionError>,
) -> Result<String, CliError> {
    // What cannot reach Dagster through Pipes still reaches stderr, which Dagster shows.
    let said = |sent: Result<(), kedrust_dagster::PipesError>| {
        if let Err(e) = sent {
            eprintln!("warning: {e}");
        }
    };
    match ran {
        Ok(()) => {
            report_materializations(project, root, pipes, options, (op, step));
            said(pipes.log("info", &format!("kedrust op {op} succeeded")));
            said(pipes.closed(None));
            Ok(String::new())
        }
        Err(e) => {
            let message = e.to_string();
            said(pipes.log("error", &message));
            said(pipes.closed(Some(("KedrustError", &message))));
            Err(e.into())
        }
    }
}

/// Runs, in place of this process, the binary run `run_id` pinned when it is another build
/// than this one (a rebuild while the run was in flight); returns when this is the one.
pub(crate) fn run_the_runs_binary(
    root: &Path,
    run_id: &str,
    args: &[std::ffi::OsString],
) -> Result<(), CliError> {
    let Some(binary) = kedrust_framework::orchestrated::pin_binary(root, run_id)? else {
        return Ok(());
    };
    eprintln!(
        "run {run_id} started with another build of this binary: running that one ({})",
        binary.display()
    );
    let mut command = std::process::Command::new(&binary);
    command.args(args.iter().skip(1));
    #[cfg(unix)]
    let error = std::os::unix::process::CommandExt::exec(&mut command);
    #[cfg(not(unix))]
    let error = std::io::Error::other("not supported here");
    Err(CliError::Failed(format!(
        "cannot run {}: {error}",
        binary.display()
    )))
}

/// The op's saves of persisted datasets, as Dagster asset materialisations; an asset op
/// reports those of its step's datasets only (Dagster refuses the others in a subset run).
fn report_materializations(
    project: &Project,
    root: &Path,
    pipes: &Pipes,
    options: &RunOptions,
    (op, step): (&str, Option<&[String]>),
) {
    let run_id = options.run_id.as_deref().unwrap_or_default();
    let env = options.env.as_deref().unwrap_or_default();
    let opened = kedrust_framework::open_store(project, root)
        .map_err(|e| e.to_string())
        .and_then(|store| {
            Ok((
                store.events_in_op(run_id, op).map_err(|e| e.to_string())?,
                store,
            ))
        });
    let (events, store) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            tracing::warn!("the op's saves are not reported to Dagster: {e}");
            return;
        }
    };
    // A tracked run's materialisations link to its MLflow run.
    let mlflow = store
        .state(run_id, kedrust_mlflow::STATE_KEY)
        .ok()
        .flatten()
        .and_then(|state| kedrust_mlflow::tracked_run(&state));
    let pid = u64::from(std::process::id());
    let in_step = |dataset: &str| step.is_none_or(|s| s.iter().any(|d| d == base_name(dataset)));
    for e in events.iter().filter(|e| {
        e.kind == kedrust_store::EventKind::AssetMaterialization
            && e.metadata["pid"].as_u64() == Some(pid)
            && in_step(e.metadata["dataset"].as_str().unwrap_or_default())
    }) {
        let mut m = kedrust_dagster::materialization(env, &e.metadata, run_id);
        // The data version this run's save recorded in its lineage, which is what kedrust
        // compares on `--only-changed` and what observing a source gives.
        let saved_as = e.metadata["saved_as"].as_str().unwrap_or_default();
        let partition = e.metadata["run_partition"].as_str();
        if let Ok(Some(lineage)) = store.lineage(saved_as, partition)
            && lineage.run_id == run_id
            && lineage.data_version.is_some()
        {
            m.version = lineage.data_version;
        }
        if let (Some((mlflow_run, url)), Some(metadata)) = (&mlflow, m.metadata.as_object_mut()) {
            metadata.insert(
                "mlflow_run_id".into(),
                json!({"raw_value": mlflow_run, "type": "text"}),
            );
            // A local store has no address until `mlflow ui` serves it.
            if let Some(url) = url {
                metadata.insert(
                    "mlflow_run".into(),
                    json!({"raw_value": url, "type": "url"}),
                );
            }
        }
        if let Err(error) =
            pipes.report_asset_materialization(&m.key, m.metadata, m.version.as_deref())
        {
            tracing::warn!("{error}");
        }
    }
}

/// `__dagster_observe`: the data version of each of `datasets` now (`null` where it has
/// none), which the code location records as its source assets' observations.
pub(crate) fn observe(
    project: &Project,
    at: (&Path, &Path),
    env: &str,
    datasets: &[String],
) -> Result<String, String> {
    let catalog = crate::lists::catalog_of(project, at, env)?;
    let versions: serde_json::Map<String, serde_json::Value> = datasets
        .iter()
        .map(|d| (d.clone(), json!(catalog.data_version(d))))
        .collect();
    Ok(format!("{}\n", serde_json::Value::Object(versions)))
}

/// The options of the run a call of the failure sensor is about.
pub(crate) fn run_options(run: &DagsterRun, env: &str, conf_source: Option<PathBuf>) -> RunOptions {
    RunOptions {
        env: Some(env.to_owned()),
        job: Some(run.job.clone()),
        run_id: Some(run.run_id.clone()),
        conf_source,
        ..RunOptions::default()
    }
}

/// `__dagster_failure`: the failure sensor's call; fires `on_pipeline_error` once.
pub(crate) fn failure(
    project: &Project,
    root: &Path,
    options: &RunOptions,
    message: &str,
    canceled: bool,
) -> Result<String, String> {
    let run_id = options.run_id.as_deref().unwrap_or_default();
    let fired = fail_run(project, root, options, message, canceled).map_err(|e| e.to_string())?;
    Ok(if fired {
        format!("on_pipeline_error fired for run {run_id}\n")
    } else {
        format!("run {run_id}: on_pipeline_error had already fired, or the run is unknown\n")
    })
}

/// `__dagster_success`: the end of a Dagster run that finished without its end op.
pub(crate) fn success(
    project: &Project,
    root: &Path,
    options: &RunOptions,
) -> Result<String, CliError> {
    let run_id = options.run_id.as_deref().unwrap_or_default();
    let ended = kedrust_framework::orchestrated::finish_run(project, root, options)?;
    Ok(if ended {
        format!("after_pipeline_run fired for run {run_id}\n")
    } else {
        format!("run {run_id}: it had ended already, or is unknown\n")
    })
}

/// `__dagster_open_runs`: the run ids the failure sensor checks against Dagster, as JSON.
pub(crate) fn open_runs(project: &Project, root: &Path, env: &str) -> Result<String, String> {
    let runs = kedrust_framework::orchestrated::open_runs(project, root, env)
        .map_err(|e| e.to_string())?;
    // One line per sensor tick, for whoever wants to watch the sensor at work.
    tracing::debug!(
        "the failure sensor asked for open runs: {} open",
        runs.len()
    );
    Ok(format!("{}\n", json!(runs)))
}

/// A `dagster.yml` to start from, written when the base environment has none.
const DAGSTER_YML: &str = "\
# Jobs of this project, for the embedded orchestrator (`run --job <name>`) and for Dagster
# (`dagster init` / `dagster dev`). Executors and schedules are referenced by name.
executors:
  sequential:
    in_process:
  parallel:
    multiprocess:
      max_concurrent: 2

schedules:
  daily:
    cron_schedule: \"0 0 * * *\"

jobs:
  default:
    pipeline:
      pipeline_name: __default__
    executor: sequential
    schedule: daily
";

/// `dagster init`: writes definitions.py, requirements-dagster.txt, the Celery worker app
/// (kedrust_celery.py) and, when the base environment has none, a dagster.yml; keeps existing
/// files unless `force`.
pub(crate) fn init(root: &Path, conf: &Path, force: bool) -> Result<String, String> {
    let binary = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut files = vec![
        (
            "definitions.py".to_owned(),
            definitions_py(&binary.to_string_lossy()),
        ),
        (
            "requirements-dagster.txt".to_owned(),
            dagster_requirements(),
        ),
        ("kedrust_celery.py".to_owned(), CELERY_WORKER_PY.to_owned()),
    ];
    // Jobs of conf/base/dagster.yml join every environment's; when environments already
    // have their own, a written template would add its `default` job to all of them.
    let with_own = environments_with_dagster_yml(conf);
    let target = conf.join("base/dagster.yml");
    let shown = target
        .strip_prefix(root)
        .unwrap_or(&target)
        .display()
        .to_string();
    let mut out = String::new();
    if with_own.is_empty() {
        files.push((shown, DAGSTER_YML.to_owned()));
    } else if !with_own.iter().any(|e| e == "base") {
        let places: Vec<String> = with_own.iter().map(|e| format!("conf/{e}")).collect();
        out.push_str(&format!(
            "did not write {shown}: a dagster.yml is already in {}, and a base one would add \
             its jobs to every environment. What it would have held:\n",
            places.join(", ")
        ));
        for line in DAGSTER_YML.lines() {
            let indent = if line.is_empty() { "" } else { "  " };
            out.push_str(&format!("{indent}{line}\n"));
        }
    }
    for (name, text) in files {
        let path = root.join(&name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        if path.exists() && !force {
            out.push_str(&format!("kept {name} (use --force to replace it)\n"));
            continue;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        out.push_str(&format!("wrote {name}\n"));
    }
    Ok(out)
}

/// The environments (folders of `conf`) with a `dagster*` file or folder, sorted.
fn environments_with_dagster_yml(conf: &Path) -> Vec<String> {
    let has_one = |env: &Path| {
        std::fs::read_dir(env).is_ok_and(|d| {
            d.filter_map(Result::ok)
                .any(|f| f.file_name().to_string_lossy().starts_with("dagster"))
        })
    };
    let mut envs: Vec<String> = std::fs::read_dir(conf)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_dir() && has_one(&e.path()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    envs.sort();
    envs
}

/// The Dagster lines of the repository's pins (`python-pins.txt`, kept in this crate) (one exact version for the whole family).
fn dagster_requirements() -> String {
    let pins = include_str!("../python-pins.txt");
    let mut out = String::from("# Written by `dagster init` from kedrust's pins.\n");
    let (core, executors): (Vec<&str>, Vec<&str>) = pins
        .lines()
        .filter(|l| {
            (l.starts_with("dagster") || l.contains("# executor:")) && !l.contains("# benchmarks")
        })
        .partition(|l| !l.contains("# executor:"));
    for line in core {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("# Uncomment the library of each distributed executor dagster.yml uses:\n");
    for line in executors {
        out.push_str(&format!("# {line}\n"));
    }
    out
}

/// The `dagster` command of the project: the executable (`--dagster`, else `dagster` on the
/// PATH, checked by asking its version; the error says how to install the pinned one), run in
/// the project folder with the configuration folder the command line was given.
pub(crate) struct Dagster {
    executable: std::path::PathBuf,
    root: std::path::PathBuf,
    conf_source: Option<std::path::PathBuf>,
}

impl Dagster {
    pub(crate) fn new(
        root: &Path,
        conf_source: Option<&Path>,
        executable: Option<std::path::PathBuf>,
    ) -> Result<Self, CliError> {
        if !root.join("definitions.py").is_file() {
            return Err(CliError::BadInput(
                "no definitions.py in the project: run `dagster init` first".into(),
            ));
        }
        let executable = executable.unwrap_or_else(|| "dagster".into());
        match std::process::Command::new(&executable)
            .arg("--version")
            .output()
        {
            Ok(out) if out.status.success() => Ok(Self {
                executable,
                root: root.to_owned(),
                conf_source: conf_source.map(ToOwned::to_owned),
            }),
            _ => Err(CliError::BadInput(format!(
                "Dagster is not installed (or not on the PATH): install the pinned version with \
                 `python3 -m venv .venv && .venv/bin/pip install -r {}` and put .venv/bin on the \
                 PATH (or pass --dagster / set KEDRUST_DAGSTER to its dagster executable)",
                root.join("requirements-dagster.txt").display()
            ))),
        }
    }

    /// `dagster <args>` on the code location of environment `env`.
    fn command(&self, env: &str, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(&self.executable);
        command
            .args(args)
            .current_dir(&self.root)
            .env("KEDRUST_ENV", env)
            .envs(
                self.conf_source
                    .as_deref()
                    .map(|c| ("KEDRUST_CONF_SOURCE", c)),
            );
        command
    }
}

/// `dagster validate`.
pub(crate) fn validate(dagster: &Dagster, env: &str) -> Result<String, CliError> {
    let status = dagster
        .command(env, &["definitions", "validate", "-f", "definitions.py"])
        .status()
        .map_err(|e| CliError::BadInput(format!("cannot start dagster: {e}")))?;
    if status.success() {
        Ok(String::new())
    } else {
        Err(CliError::Failed(
            "Dagster could not load the code location (its output above says why)".into(),
        ))
    }
}

/// `dagster dev`: the UI in its own process group, stopped as a whole on Ctrl-C or SIGTERM
/// (Dagster only stops cleanly on SIGINT, which a background shell ignores).
pub(crate) fn dev(dagster: &Dagster, env: &str, host: &str, port: u16) -> Result<String, CliError> {
    let port = port.to_string();
    let mut command = dagster.command(
        env,
        &["dev", "-f", "definitions.py", "-h", host, "-p", &port],
    );
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| CliError::BadInput(format!("cannot start dagster dev: {e}")))?;
    if let Err(e) = ctrlc::set_handler(kedrust_runner::cancel) {
        tracing::warn!("Ctrl-C will not stop the Dagster UI cleanly: {e}");
    }
    eprintln!("Dagster UI: http://{host}:{port} (Ctrl-C stops it)");
    let group = format!("-{}", child.id());
    let signal = |name: &str| {
        if let Err(e) = std::process::Command::new("kill")
            .args([name, "--", &group])
            .status()
        {
            tracing::warn!("cannot send {name} to the Dagster UI: {e}");
        }
    };
    let failed = |e: std::io::Error| CliError::Failed(format!("cannot wait for dagster dev: {e}"));
    loop {
        if let Some(status) = child.try_wait().map_err(failed)? {
            return if status.success() {
                Ok(String::new())
            } else {
                Err(CliError::Failed(format!(
                    "dagster dev exited with {status}"
                )))
            };
        }
        if kedrust_runner::is_cancelled() {
            // SIGINT to the whole group: webserver, daemon and code server stop together.
            signal("-INT");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while std::time::Instant::now() < deadline {
                if child.try_wait().map_err(failed)?.is_some() {
                    return Ok(String::new());
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            signal("-KILL");
            child.wait().map_err(failed)?;
            return Err(CliError::Failed(
                "dagster dev did not stop within 30 s of SIGINT and was killed".into(),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
