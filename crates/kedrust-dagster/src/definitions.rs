//! The generated code location. It stays small: at load time it asks the project binary for
//! the plans of the environment in `KEDRUST_ENV` and builds Dagster objects from them, so a
//! job added to dagster.yml appears without running `dagster init` again, and no node or
//! catalog logic lives in Python.

/// `definitions.py` for a project whose binary `dagster init` found at `binary`.
pub fn definitions_py(binary: &str) -> String {
    TEMPLATE.replace(
        "{{BINARY}}",
        &binary.replace('\\', "\\\\").replace('"', "\\\""),
    )
}

const TEMPLATE: &str = r#""""Dagster code location of a kedrust project, written by `dagster init`.

The jobs come from the project binary at load time (`KEDRUST_BIN`, else the binary `dagster
init` found), for the environment in `KEDRUST_ENV` (default `local`). Every op runs the binary
through Dagster Pipes.
"""

import importlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager

import dagster as dg

BINARY = os.environ.get("KEDRUST_BIN", "{{BINARY}}")
PROJECT = os.path.dirname(os.path.abspath(__file__))
ENV = os.environ.get("KEDRUST_ENV", "local")


def _kedrust(*args):
    return [BINARY, "--project-dir", PROJECT, *args]


def _plans():
    done = subprocess.run(_kedrust("__dagster_plans", "--env", ENV), capture_output=True, text=True)
    if done.returncode != 0:
        # The binary's own message names the file, line and key; Dagster shows it as is.
        raise dg.DagsterInvariantViolationError(f"kedrust project {PROJECT} (env {ENV}):\n{done.stderr.strip()}")
    return json.loads(done.stdout)


class _PipeMessageReader(dg.PipesMessageReader):
    """The binary's Pipes messages through a named pipe. Dagster's file reader polls its file
    every 10 ms and, when the step's process has ended, waits for one more poll; a pipe ends
    when the binary closes it, so the step ends when the binary does. Where a named pipe cannot
    be made (a file system without them), Dagster's reader is used."""

    # How long the end of a session waits for the pipe to end: a binary that outlives its
    # step (Dagster gave up interrupting it) must not hold the step forever.
    _END_WAIT = 10.0

    @contextmanager
    def read_messages(self, handler):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "messages")
            try:
                os.mkfifo(path)
            except OSError:
                with dg.PipesTempFileMessageReader().read_messages(handler) as params:
                    yield params
                return
            ended = threading.Event()

            def _read():
                try:
                    # Opening waits for a writer; the pipe ends when the binary closes it.
                    while not ended.is_set():
                        with open(path, encoding="utf-8") as pipe:
                            for line in pipe:
                                handler.handle_message(json.loads(line))
                except Exception:
                    handler.report_pipes_framework_exception("kedrust's message reader", sys.exc_info())
                    raise

            thread = threading.Thread(target=_read, name="kedrust-pipes-reader", daemon=True)
            thread.start()
            try:
                yield {"path": path}
            finally:
                ended.set()
                deadline = time.monotonic() + self._END_WAIT
                while thread.is_alive() and time.monotonic() < deadline:
                    # A reader still waiting for a writer (the binary never opened the pipe, or
                    # it ended first) is woken by an empty one.
                    _touch(path, os.O_WRONLY)
                    thread.join(0.01)
                # A writer still waiting for a reader (the reader gave up first) is woken by an
                # empty one, and then finds the pipe closed instead of waiting forever.
                _touch(path, os.O_RDONLY)

    def no_messages_debug_text(self):
        return "Attempted to read messages from a named pipe the kedrust binary writes."


def _touch(path, mode):
    # Opens and closes one end of a named pipe without waiting for the other.
    try:
        os.close(os.open(path, mode | os.O_NONBLOCK))
    except OSError:
        pass


def _pipes():
    # Where named pipes exist (not on Windows), the step does not wait for a poll.
    return dg.PipesSubprocessClient(message_reader=_PipeMessageReader() if hasattr(os, "mkfifo") else None)


_loaded = _plans()
if _loaded.get("asset_problem"):
    logging.getLogger("kedrust").warning(
        "kedrust project %s (env %s) has no assets: its __default__ pipeline cannot be planned:\n%s",
        PROJECT, ENV, _loaded["asset_problem"],
    )


_made = {}


def _partitions(spec):
    # A partitions definition or mapping of the binary's: a Dagster class and its arguments,
    # one object per definition (the specs of one multi-asset must share theirs).
    if not spec:
        return None
    key = json.dumps(spec, sort_keys=True)
    if key not in _made:
        _made[key] = getattr(dg, spec["class"])(**spec["args"])
    return _made[key]


# Assets whose datasets are partitioned: a partitioned run's materialisations of them are of
# its key; the others' are of no partition.
_partitioned_assets = {tuple(asset["key"]) for asset in _loaded["assets"] if asset.get("partitions")}


def _range(context):
    # A ranged run (a BackfillPolicy, a partition range) reaches Pipes without any key; the
    # binary is told the range, to refuse it by name.
    if context.has_partition_key_range and not context.has_partition_key:
        r = context.partition_key_range
        return [r.start, r.end]
    return None


def _name(job, op):
    # Op definitions are shared by name across the code location, so each carries its job.
    return f"{job}__{op}"


def _op(job, spec):
    retry = spec.get("retry")
    policy = None
    if retry:
        backoff = {"exponential": dg.Backoff.EXPONENTIAL, "linear": dg.Backoff.LINEAR}.get(retry["backoff"])
        policy = dg.RetryPolicy(max_retries=retry["max_retries"], delay=retry["delay"], backoff=backoff)

    @dg.op(
        name=_name(job, spec["name"]),
        ins={"after": dg.In(dg.Nothing)},
        out=dg.Out(dg.Nothing),
        retry_policy=policy,
        required_resource_keys={"kedrust_params", "pipes"},
        tags={"kedrust/job": job, "kedrust/op": spec["name"]},
    )
    def _run(context):
        invocation = context.resources.pipes.run(
            context=context,
            command=_kedrust("__dagster_op", "--env", ENV, "--job", job, "--op", spec["name"]),
            extras={"params": context.resources.kedrust_params, "parent_run_id": context.run.parent_run_id,
                    "partition_range": _range(context)},
        )
        # Saves of persisted datasets, reported by the binary, become asset materialisations
        # (of the run's partition, in a partitioned run).
        partition = context.partition_key if context.has_partition_key else None
        for result in invocation.get_results():
            # A fan-out's copy says which key it wrote; a partitioned run's key is the run's.
            written = (result.metadata or {}).get("kedrust/partition")
            keyed = written.value if written is not None else partition
            if tuple(result.asset_key.path) not in _partitioned_assets:
                keyed = None
            yield dg.AssetMaterialization(asset_key=result.asset_key, metadata=result.metadata, partition=keyed)

    return _run


# Executors of dagster.yml that live in Dagster's libraries, with their options passed through.
_LIBRARY_EXECUTORS = {
    "k8s_job_executor": ("dagster_k8s", "k8s_job_executor"),
    "docker_executor": ("dagster_docker", "docker_executor"),
    "celery_executor": ("dagster_celery", "celery_executor"),
    "celery_docker_executor": ("dagster_celery_docker", "celery_docker_executor"),
    "celery_k8s_job_executor": ("dagster_celery_k8s", "celery_k8s_job_executor"),
    "dask_executor": ("dagster_dask", "dask_executor"),
}


_CONTAINER_EXECUTORS = {"k8s_job_executor", "docker_executor", "celery_docker_executor", "celery_k8s_job_executor"}
_PASSED_ENV = ["KEDRUST_ENV", "KEDRUST_STATE_DIR", "KEDRUST_RUN_STORE", "KEDRUST_CONF_SOURCE", "KEDRUST_BIN"]


def _executor(executor):
    kind = executor["kind"]
    if kind == "in_process":
        return dg.in_process_executor
    if kind == "multiprocess":
        return dg.multiprocess_executor.configured({"max_concurrent": executor["max_concurrent"]})
    module, name = _LIBRARY_EXECUTORS[kind]
    options = dict(executor["options"])
    if kind in _CONTAINER_EXECUTORS:
        # Step containers see the environment and the shared state folder this location uses.
        passed = [v for v in _PASSED_ENV if os.environ.get(v)]
        container = options.setdefault("docker", {}) if kind == "celery_docker_executor" else options
        container["env_vars"] = [*container.get("env_vars", []), *passed]
    try:
        library = __import__(module)
    except ImportError as e:
        raise dg.DagsterInvariantViolationError(
            f"dagster.yml uses {kind}: install {module.replace('_', '-')} at the pinned Dagster version"
        ) from e
    return getattr(library, name).configured(options)


_DEFAULT_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"


def _resolve(reference):
    # `ext://sys.stdout` and `logging.FileHandler` alike: a module path, then an attribute.
    module, _, name = reference.removeprefix("ext://").rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as e:
        raise TypeError(f"dagster.yml: unable to resolve reference '{reference}'") from e


def _build(spec, default_class=None):
    # Python's logging config convention: `()` (a factory) or `class`, the other keys its arguments.
    spec = dict(spec)
    factory = spec.pop("()", None) or spec.pop("class", default_class)
    return _resolve(factory)(**spec) if isinstance(factory, str) else factory(**spec)


_LEVELS = ["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET"]


def _level(value):
    level = str(value or "INFO").strip().upper()
    if level not in _LEVELS:
        raise ValueError(f"log_level '{value}' is not one of {', '.join(_LEVELS)}")
    return level


def _logger_def(name, options):
    """A Dagster logger from a logger of dagster.yml: a stdlib logger with its level,
    formatters, filters and handlers (one stdout handler when it names none).

    Handlers, formatters and filters name classes to import and call: they come from
    dagster.yml, which is code, and never from the run config. At launch only the level can
    change, through a strict schema, as Dagster's own loggers allow."""
    options = options or {}
    default_level = _level(options.get("log_level"))

    def _make(init_context):
        level = _level(init_context.logger_config.get("log_level") or default_level)
        logger = logging.Logger(name, level)
        formatters = {
            key: _build(f) if ("()" in f or "class" in f)
            else logging.Formatter(f.get("format"), f.get("datefmt"), f.get("style", "%"))
            for key, f in (options.get("formatters") or {}).items()
        }
        filters = {key: _build(f) for key, f in (options.get("filters") or {}).items()}
        for spec in options.get("handlers") or [{"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}]:
            spec = dict(spec)
            handler_level = spec.pop("level", None) or level
            formatter = spec.pop("formatter", None)
            handler_filters = spec.pop("filters", [])
            if isinstance(spec.get("stream"), str):
                spec["stream"] = _resolve(spec["stream"])
            handler = _build(spec, default_class=logging.StreamHandler)
            handler.setLevel(str(handler_level).upper())
            handler.setFormatter(formatters.get(formatter) if formatter else logging.Formatter(_DEFAULT_FORMAT))
            for f in handler_filters:
                handler.addFilter(filters[f])
            logger.addHandler(handler)
        return logger

    return dg.LoggerDefinition(
        _make,
        config_schema={"log_level": dg.Field(str, default_value=default_level, is_required=False,
                                             description=f"One of {', '.join(_LEVELS)}.")},
        description=f"Logger `{name}` of dagster.yml; its handlers come from dagster.yml only.",
    )


def _job(plan):
    job = plan["job"]
    ops = [_op(job, spec) for spec in plan["ops"]]
    dependencies = {
        _name(job, spec["name"]): {
            "after": dg.MultiDependencyDefinition([dg.DependencyDefinition(_name(job, u)) for u in spec["upstream"]])
        }
        for spec in plan["ops"]
        if spec["upstream"]
    }
    graph = dg.GraphDefinition(name=job, node_defs=ops, dependencies=dependencies)
    # Parameters are run-level config: one `kedrust_params` block in the launchpad, defaulting
    # to the configured values, the same for every op of the run.
    params = dg.ResourceDefinition(
        lambda init: init.resource_config,
        config_schema=dg.Field(dg.Permissive(), default_value=plan["params"], is_required=False),
        description="Runtime parameters of the run (kedrust --params), applied over parameters.yml.",
    )
    return graph.to_job(
        executor_def=_executor(plan["executor"]),
        resource_defs={"kedrust_params": params, "pipes": _pipes()},
        # Jobs that name loggers in dagster.yml log through them (Dagster starts a logger only
        # when the run config names it, so the default run config does); the others keep Dagster's.
        logger_defs={name: _logger_def(name, options) for name, options in plan["loggers"].items()} or None,
        config={"loggers": {name: {"config": {"log_level": _level((options or {}).get("log_level"))}}
                            for name, options in plan["loggers"].items()}}
        if plan["loggers"] else None,
        tags={"kedrust/env": ENV},
        partitions_def=_partitions(plan["partitions"]),
    )


_jobs = [_job(plan) for plan in _loaded["jobs"]]
_job_named = {job.name: job for job in _jobs}


def _schedule(s):
    job = _job_named[s["job"]]
    partitions = job.partitions_def

    def _requests(context):
        # The keys kedrust's embedded schedules run: the last window complete at the tick, or
        # every static key.
        if isinstance(partitions, dg.TimeWindowPartitionsDefinition):
            keys = partitions.get_partition_keys(current_time=context.scheduled_execution_time)
            if not keys:
                yield dg.SkipReason("no partition of the job has ended yet")
                return
            keys = keys[-1:]
        else:
            keys = partitions.get_partition_keys(dynamic_partitions_store=context.instance)
        for key in keys:
            yield dg.RunRequest(run_key=key, partition_key=key)

    return dg.ScheduleDefinition(
        name=s["name"],
        job=job,
        cron_schedule=s["cron_schedule"],
        execution_timezone=s["execution_timezone"] or "UTC",
        description=s["description"],
        execution_fn=_requests if partitions is not None else None,
    )


_schedules = [_schedule(s) for s in _loaded["schedules"]]


_ENDED_BADLY = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def _failure_message(instance, run):
    try:
        failures = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        if failures and failures[-1].dagster_event and failures[-1].dagster_event.message:
            return failures[-1].dagster_event.message
    except Exception:  # the message is a courtesy: the hook fires without it
        pass
    return f"Dagster run {run.run_id} of {run.job_name} ended {run.status.value}"


@dg.sensor(
    name="on_pipeline_error_sensor",
    description="Fires kedrust's on_pipeline_error exactly once for every run of this project that "
    "Dagster ended failed or canceled, and after_pipeline_run for one it finished without its end "
    "op; a call that fails is made again at the next tick.",
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def on_pipeline_error_sensor(context: dg.SensorEvaluationContext):
    # Level-triggered, unlike Dagster's run status sensors (whose cursor moves past a run even
    # when the call for it fails, and which ignore cancellations): every tick compares the runs
    # kedrust still holds open with their status in Dagster, so a failed call, a restart of the
    # daemon or a cancellation loses nothing. kedrust's claim makes every call after the first
    # a no-op.
    listed = subprocess.run(_kedrust("__dagster_open_runs", "--env", ENV), capture_output=True, text=True)
    if listed.returncode != 0:
        return dg.SkipReason(f"kedrust could not list its open runs: {listed.stderr.strip()}")
    ended = []
    for run_id in json.loads(listed.stdout):
        # Every run listed is this project's, in this environment: a job's or an asset run.
        run = context.instance.get_run_by_id(run_id)
        if run is None:
            continue
        if run.status == dg.DagsterRunStatus.SUCCESS:
            # Finished without its end op (a re-execution of chosen ops): the run still ends
            # here, with after_pipeline_run.
            args = ["__dagster_success", "--env", ENV, "--job", run.job_name, "--run-id", run_id]
        elif run.status in _ENDED_BADLY:
            args = ["__dagster_failure", "--env", ENV, "--job", run.job_name, "--run-id", run_id,
                    "--message", _failure_message(context.instance, run)]
            if run.status == dg.DagsterRunStatus.CANCELED:
                args.append("--canceled")
        else:
            continue
        try:
            done = subprocess.run(_kedrust(*args), capture_output=True, text=True)
            failed = done.returncode != 0 and (done.stderr.strip() or f"exit code {done.returncode}")
        except OSError as e:
            failed = str(e)
        if failed:
            context.log.warning(f"kedrust could not end run {run_id} (tried again at the next tick): {failed}")
        else:
            ended.append(run_id)
    return dg.SkipReason(f"ended {', '.join(ended)}" if ended else "no run of this project is left to end")


def _dynamic_names():
    defs = [_job_named[plan["job"]].partitions_def for plan in _loaded["jobs"]]
    defs += [_partitions(asset["partitions"]) for asset in _loaded["assets"]]
    return sorted({d.name for d in defs if isinstance(d, dg.DynamicPartitionsDefinition)})


@dg.sensor(
    name="dynamic_partitions_sensor",
    description="Adds to Dagster's instance the keys of dynamic partitions that kedrust's "
    "`partitions add` or a node added to the project's run store, and deletes the ones "
    "`partitions delete` deleted.",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def dynamic_partitions_sensor(context: dg.SensorEvaluationContext):
    listed = subprocess.run(_kedrust("__dagster_dynamic_partitions", "--env", ENV), capture_output=True, text=True)
    if listed.returncode != 0:
        return dg.SkipReason(f"kedrust could not list its dynamic partitions: {listed.stderr.strip()}")
    requests = []
    for name, listing in json.loads(listed.stdout).items():
        known = set(context.instance.get_dynamic_partitions(name))
        new = [key for key in listing["keys"] if key not in known]
        if new:
            requests.append(dg.AddDynamicPartitionsRequest(partitions_def_name=name, partition_keys=new))
        # Only keys kedrust deleted: keys added in Dagster's UI stay.
        gone = [key for key in listing["deleted"] if key in known]
        if gone:
            requests.append(dg.DeleteDynamicPartitionsRequest(partitions_def_name=name, partition_keys=gone))
    if not requests:
        return dg.SkipReason("Dagster has the dynamic partition keys kedrust has")
    return dg.SensorResult(dynamic_partitions_requests=requests)


def _spec(asset):
    return dg.AssetSpec(
        key=asset["key"],
        deps=[dg.AssetDep(dep, partition_mapping=_partitions(mapping))
              for dep, mapping in zip(asset["deps"], asset["dep_mappings"])],
        partitions_def=_partitions(asset["partitions"]),
        group_name=asset["group"],
        description=asset["description"],
        kinds=set(asset["kinds"]),
        owners=asset["owners"] or None,
        tags=asset["tags"] or None,
        code_version=asset["code_version"],
        metadata=asset["metadata"],
    )


# Selected asset keys back to kedrust's dataset names, which is all the binary is told.
_dataset_of = {tuple(asset["key"]): asset["dataset"] for asset in _loaded["assets"]}
_produced = sorted(asset["dataset"] for asset in _loaded["assets"] if asset["op"])


def _datasets(keys):
    return sorted(_dataset_of[tuple(key.path)] for key in keys if tuple(key.path) in _dataset_of)


def _asset_op(op):
    """The nodes joined by memory datasets, as one multi-asset: materialising any subset of
    its assets runs the nodes they need, through Pipes, with the run's hook lifecycle (the
    first op of the run fires the start hooks; the sensor fires after_pipeline_run when
    Dagster reports the run's end)."""
    name = op["name"]

    @dg.multi_asset(
        name=name,
        specs=[_spec(asset) for asset in _loaded["assets"] if asset["op"] == name],
        can_subset=True,
        required_resource_keys={"kedrust_params", "pipes"},
        op_tags={"kedrust/op": name},
        description=f"kedrust node(s) {', '.join(op['nodes'])}, run by the project binary through Pipes.",
    )
    def _materialize(context: dg.AssetExecutionContext):
        selection = context.run.asset_selection
        invocation = context.resources.pipes.run(
            context=context,
            command=_kedrust("__dagster_assets", "--env", ENV, "--op", name),
            extras={
                "params": context.resources.kedrust_params,
                "parent_run_id": context.run.parent_run_id,
                "run_datasets": _datasets(selection) if selection else _produced,
                "step_datasets": _datasets(context.selected_asset_keys),
                "partition_range": _range(context),
            },
        )
        yield from invocation.get_results()

    return _materialize


def _source_observer(sources):
    """The raw inputs no node writes, as observable source assets: observing them asks the
    binary for their data versions (a file's size and modification time), so that the assets
    computed from a changed input show as stale, as `run --only-changed` would run their
    nodes. A source kedrust cannot version gets a new version at every observation: its
    readers always run."""

    @dg.multi_observable_source_asset(
        name="kedrust_sources",
        specs=[_spec(asset) for asset in sources],
        can_subset=True,
        description="The raw inputs of the kedrust project, observed by the project binary.",
    )
    def _observe(context):
        # Each key with the catalog name its readers use (`x@polars` for a transcoded `x`).
        pairs = sorted(((_read_as[tuple(key.path)], key) for key in context.selected_asset_keys), key=lambda pair: pair[0])
        names = [name for name, _ in pairs]
        observed = subprocess.run(_kedrust("__dagster_observe", "--env", ENV, "--", *names), capture_output=True, text=True)
        if observed.returncode != 0:
            raise dg.Failure(f"kedrust could not observe its sources: {observed.stderr.strip()}")
        versions = json.loads(observed.stdout)
        for name, key in pairs:
            version = versions.get(name) or f"unversioned-{context.run.run_id}"
            yield dg.ObserveResult(asset_key=key, data_version=dg.DataVersion(version))

    return _observe


# Partitioned sources stay plain specs: their versions would be per partition.
def _observed(asset):
    return asset["observable"] and not asset["partitions"]


_read_as = {tuple(asset["key"]): asset["read_as"] for asset in _loaded["assets"] if _observed(asset)}
_assets = (
    [_asset_op(op) for op in _loaded["asset_ops"]]
    + [_spec(asset) for asset in _loaded["assets"] if not asset["op"] and not _observed(asset)]
    + ([_source_observer([asset for asset in _loaded["assets"] if _observed(asset)])] if _read_as else [])
)

# Asset runs read parameters as job runs do: one `kedrust_params` block in the launchpad.
_asset_params = dg.ResourceDefinition(
    lambda init: init.resource_config,
    config_schema=dg.Field(dg.Permissive(), default_value=_loaded["asset_params"], is_required=False),
    description="Runtime parameters of the run (kedrust --params), applied over parameters.yml.",
)

defs = dg.Definitions(
    assets=_assets,
    jobs=_jobs,
    schedules=_schedules,
    sensors=[on_pipeline_error_sensor] + ([dynamic_partitions_sensor] if _dynamic_names() else []),
    resources={"kedrust_params": _asset_params, "pipes": _pipes()},
)
"#;
