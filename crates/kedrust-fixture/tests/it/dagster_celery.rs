//! A Dagster run on Celery workers that share no disk with each other or with the
//! orchestrator: two workers of the generated `kedrust_celery` app on the RabbitMQ server
//! (`KEDRUST_TEST_RABBITMQ_URL`, else guest@127.0.0.1:5672), each started from its own copy of
//! the project with its own `.kedrust` and its own `credentials.yml`; the data and the state
//! folder on the S3 server, the run store on PostgreSQL. The run keeps the conformance
//! lifecycle; a worker killed mid-step fails the run (`on_pipeline_error` once) and a
//! re-execution from failure completes.
//!
//! The Dagster instance (its SQLite storage) is the orchestrator's, which dagster-celery's
//! tasks carry to the workers: Dagster's own storage is Dagster's concern (on several hosts,
//! dagster-postgres).

use crate::Fixture;
use crate::dagster::{ON_THE_INSTANCE, dagster, dagster_home, python};
use crate::shared_state::pairs;
use kedrust_testkit::{PostgresSchema, S3Server as S3, clean_command};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn broker() -> String {
    std::env::var("KEDRUST_TEST_RABBITMQ_URL")
        .unwrap_or_else(|_| "pyamqp://guest:guest@127.0.0.1:5672//".into())
}

/// The project with an environment `celery`: `celery_job` runs the `failing` pipeline on
/// `celery_executor`; `doubled` (persisted) is on S3, with the credentials of this copy.
fn project(s3: &S3) -> Fixture {
    let f = Fixture::new("basic");
    assert_eq!(f.run(&["dagster", "init"], &[]).code, 0);
    let env = f.path().join("conf/celery");
    std::fs::create_dir_all(&env).unwrap();
    std::fs::write(env.join("credentials.yml"), s3.credentials_yaml("dev_s3")).unwrap();
    std::fs::write(
        env.join("catalog.yml"),
        "doubled:\n  type: serde.JSONDataset\n  filepath: s3://kedrust/data/doubled.json\n  \
         credentials: dev_s3\n",
    )
    .unwrap();
    std::fs::write(
        env.join("dagster.yml"),
        format!(
            "executors:\n  celery:\n    celery_executor: {{broker: \"{}\"}}\n\
             jobs:\n  celery_job: {{pipeline: {{pipeline_name: failing}}, executor: celery}}\n",
            broker()
        ),
    )
    .unwrap();
    f
}

/// A Celery worker in its own copy of the project, in a process group of its own.
struct Worker {
    name: &'static str,
    child: Child,
    dir: tempfile::TempDir,
}

impl Worker {
    fn start(f: &Fixture, name: &'static str, env: &[(&str, String)]) -> Self {
        let dir = kedrust_testkit::copy_of(f.path());
        let log = std::fs::File::create(dir.path().join("worker.log")).unwrap();
        let mut command = clean_command(dagster().with_file_name("celery"));
        command
            .args(["-A", "kedrust_celery", "worker", "-n"])
            .arg(format!("{name}@%h"))
            .args(["--concurrency=1", "-l", "INFO"])
            .current_dir(dir.path())
            .env("PYTHONPATH", dir.path())
            .env("DAGSTER_DISABLE_TELEMETRY", "1")
            .env("CELERY_BROKER_URL", broker())
            .env("KEDRUST_TRACE_HOOKS", dir.path().join("trace.jsonl"))
            .env("KEDRUST_FIXTURE_BLOCK", dir.path().join("block"))
            .env_remove("DAGSTER_HOME")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let worker = Self {
            name,
            child: command.spawn().unwrap(),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !worker.log().contains(" ready.") {
            assert!(
                Instant::now() < deadline,
                "worker {name} did not start:\n{}",
                worker.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        worker
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("worker.log")).unwrap_or_default()
    }

    fn block(&self) -> PathBuf {
        self.dir.path().join("block")
    }

    fn trace(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("trace.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Kills the worker and every process of it (its pool and the step it runs), as a lost
    /// host would.
    fn kill(&mut self) {
        let _ = Command::new("kill")
            .args(["-9", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
    }
}

/// What a blocked `check` step meets.
#[derive(Clone, Copy, PartialEq)]
enum AtCheck {
    /// It goes on.
    Release,
    /// Its worker is killed.
    KillWorker,
}

/// Waits (at most two minutes) for `orchestrator` to end, meeting each blocked `check` step as
/// `at_check` says; whether it succeeded, and the name of the worker killed.
fn drive(mut orchestrator: Child, workers: &mut [Worker], at_check: AtCheck) -> (bool, String) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut killed = String::new();
    loop {
        if let Some(status) = orchestrator.try_wait().unwrap() {
            return (status.success(), killed);
        }
        assert!(Instant::now() < deadline, "the Dagster run did not end");
        for worker in workers.iter_mut() {
            if worker.block().exists() {
                match at_check {
                    AtCheck::Release => std::fs::remove_file(worker.block()).unwrap(),
                    AtCheck::KillWorker if killed.is_empty() => {
                        worker.kill();
                        std::fs::remove_file(worker.block()).unwrap();
                        killed = worker.name.to_owned();
                    }
                    AtCheck::KillWorker => {}
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn python_in(f: &Fixture, script: &str, env: &[(&str, String)]) -> Child {
    clean_command(dagster().with_file_name("python"))
        .args(["-c", script])
        .current_dir(f.path())
        .env("DAGSTER_DISABLE_TELEMETRY", "1")
        .env("KEDRUST_TRACE_HOOKS", f.trace_path())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(f.path().join("python.log")).unwrap())
        .spawn()
        .unwrap()
}

/// Every trace line of run `run_id`, from the orchestrator's folder and the workers'.
fn lifecycle(f: &Fixture, workers: &[Worker], run_id: &str) -> Vec<serde_json::Value> {
    let mut lines: Vec<serde_json::Value> = f.trace();
    for worker in workers {
        lines.extend(worker.trace());
    }
    lines.retain(|t| t["run_id"] == run_id);
    lines
}

fn logs(workers: &[Worker]) -> String {
    workers
        .iter()
        .map(Worker::log)
        .collect::<Vec<_>>()
        .join("\n")
}

fn count(lines: &[serde_json::Value], hook: &str) -> usize {
    lines.iter().filter(|t| t["hook"] == hook).count()
}

#[test]
fn a_dagster_run_on_celery_workers_sharing_no_disk_keeps_the_lifecycle_and_survives_a_lost_worker()
{
    let s3 = S3::start();
    let schema = PostgresSchema::new();
    let f = project(&s3);
    let home = dagster_home();
    let mut env = s3.environment();
    env.extend([
        ("KEDRUST_ENV", "celery".to_owned()),
        ("KEDRUST_STATE_DIR", "s3://kedrust/state".to_owned()),
        ("KEDRUST_RUN_STORE", schema.url()),
    ]);
    // Messages an aborted earlier test left in the queue would reach the workers.
    let purged = clean_command(dagster().with_file_name("celery"))
        .args(["-A", "kedrust_celery", "purge", "-f", "-Q", "dagster"])
        .current_dir(f.path())
        .env("PYTHONPATH", f.path())
        .env("CELERY_BROKER_URL", broker())
        .output()
        .unwrap();
    assert!(purged.status.success(), "{purged:?}");
    let mut workers = vec![Worker::start(&f, "w1", &env), Worker::start(&f, "w2", &env)];
    env.push(("DAGSTER_HOME", home.path().to_str().unwrap().to_owned()));
    let runs = |f: &Fixture| -> Vec<String> {
        let out = python(
            f,
            &format!(
                "{ON_THE_INSTANCE}print(json.dumps([r.run_id for r in instance.get_runs()]))\n"
            ),
            &pairs(&env),
        );
        serde_json::from_str(out.lines().last().unwrap()).unwrap()
    };

    // A run that succeeds: the start hooks once, the end hook once, one run id, every node
    // between its hooks on a worker, and both workers took steps.
    let execute = clean_command(dagster())
        .args(["job", "execute", "-f", "definitions.py", "-j", "celery_job"])
        .current_dir(f.path())
        .env("DAGSTER_DISABLE_TELEMETRY", "1")
        .env("KEDRUST_TRACE_HOOKS", f.trace_path())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (ok, _) = drive(execute, &mut workers, AtCheck::Release);
    assert!(ok, "the run failed:\n{}", logs(&workers));
    let first = runs(&f).pop().unwrap();
    let lines = lifecycle(&f, &workers, &first);
    for (hook, times) in [
        ("before_pipeline_run", 1),
        ("after_pipeline_run", 1),
        ("on_pipeline_error", 0),
        ("before_node_run", 4),
        ("after_node_run", 4),
    ] {
        assert_eq!(count(&lines, hook), times, "{hook}: {lines:#?}");
    }
    assert!(
        f.trace().iter().all(|t| t["run_id"] != first),
        "no step ran in the orchestrator"
    );
    for worker in &workers {
        assert!(
            !worker.trace().is_empty(),
            "worker {} took no step:\n{}",
            worker.name,
            logs(&workers)
        );
    }
    let doubled = s3.object("data/doubled.json").expect("doubled is on S3");
    assert_eq!(
        s3.keys("state/"),
        Vec::<String>::new(),
        "the run folder is gone"
    );

    // A run whose worker dies in `check`: the step is not run twice, the run fails, and the
    // failure sensor fires on_pipeline_error once.
    let execute = python_in(
        &f,
        &format!(
            "{ON_THE_INSTANCE}r = dg.execute_job(reconstructable('celery_job'), instance)\n\
             raise SystemExit(0 if r.success else 1)\n"
        ),
        &env,
    );
    let (ok, killed) = drive(execute, &mut workers, AtCheck::KillWorker);
    assert!(
        !ok && !killed.is_empty(),
        "the run went on (killed: '{killed}'):\n{}",
        logs(&workers)
    );
    let failed = runs(&f).into_iter().next().unwrap();
    assert_ne!(failed, first);
    crate::dagster::tick_failure_sensor_twice(&f, &pairs(&env));
    let lines = lifecycle(&f, &workers, &failed);
    assert_eq!(count(&lines, "before_pipeline_run"), 1);
    assert_eq!(count(&lines, "on_pipeline_error"), 1, "{lines:#?}");
    assert_eq!(count(&lines, "after_pipeline_run"), 0);
    let checks = lines
        .iter()
        .filter(|t| t["hook"] == "before_node_run" && t["node"] == "check")
        .count();
    assert_eq!(checks, 1, "the step ran once");
    // What the killed step would have written is not there, not even in part.
    assert!(
        s3.keys(&format!("state/runs/{failed}/memory/checked"))
            .is_empty()
    );
    assert_eq!(s3.object("data/doubled.json"), Some(doubled));

    // A re-execution from failure on the worker that is left completes the run.
    let alive: Vec<usize> = (0..workers.len())
        .filter(|i| workers[*i].name != killed)
        .collect();
    let mut left: Vec<Worker> = Vec::new();
    for (i, worker) in workers.into_iter().enumerate() {
        if alive.contains(&i) {
            left.push(worker);
        }
    }
    let reexecute = python_in(
        &f,
        &format!(
            "{ON_THE_INSTANCE}r = dg.execute_job(reconstructable('celery_job'), instance, \
             reexecution_options=dg.ReexecutionOptions.from_failure('{failed}', instance))\n\
             raise SystemExit(0 if r.success else 1)\n"
        ),
        &env,
    );
    let (ok, _) = drive(reexecute, &mut left, AtCheck::Release);
    assert!(ok, "the re-execution failed:\n{}", left[0].log());
    let again = runs(&f).into_iter().next().unwrap();
    let lines = lifecycle(&f, &left, &again);
    assert_eq!(count(&lines, "before_pipeline_run"), 1);
    assert_eq!(count(&lines, "after_pipeline_run"), 1);
    let nodes: Vec<&str> = lines
        .iter()
        .filter(|t| t["hook"] == "after_node_run")
        .map(|t| t["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["check", "after_check"]);
    // The worker's own folders (its snapshot copy, its pinned binary) of the runs that are
    // over went with its next ops.
    let own = left[0].dir.path().join(".kedrust/runs");
    for over in [&first, &failed] {
        assert!(!own.join(over).exists(), "{over} left in {}", own.display());
    }
}
