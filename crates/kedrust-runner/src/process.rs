//! The multi-process runner: steps (a node, or a group of nodes) run in worker processes of
//! the project's own binary (`<binary> __step_worker`), which prepare the run once and then
//! take step after step over a socket; node and dataset hooks fire in the worker, pipeline
//! hooks in the parent. Memory datasets that pass from one step to another travel through the
//! run's folder, `<state dir>/runs/<run id>/memory/` (on this machine or on object storage): a
//! DataFrame as Arrow IPC, any other value in CBOR through its serde codec. Persisted datasets
//! are read and written by each worker from the catalog, as in one process. A worker keeps
//! what is process-wide (environment variables, statics, a hook's own caches) from one step
//! to the next, as the worker pool of Kedro's `ParallelRunner` does.

use crate::error::RunError;
use crate::frames::FromWorker;
use crate::pool::{Pool, StepEnd};
use crate::state_path::StatePath;
use crate::worker::WORKER_COMMAND;
use kedrust_catalog::{Catalog, Codec, Dataset, DatasetError, Registry};
use kedrust_pipeline::{Node, Pipeline, TypeTag, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// Tells a child its orchestrator's process id (set by the launcher, read by the child only).
const PARENT_ENV: &str = "KEDRUST_PARENT_PID";

/// The run's folder and its workers.
#[derive(Debug)]
pub struct Launcher {
    exe: PathBuf,
    project_dir: PathBuf,
    /// The run's folder: memory datasets, the children's errors.
    pub run_dir: StatePath,
    /// The request every child reads on its standard input: never written to a file, as it
    /// may hold secret runtime parameters.
    request: Vec<u8>,
    /// Arguments every child's command line starts with (the framework's choice).
    leading_args: Vec<std::ffi::OsString>,
    pool: Pool,
}

impl Launcher {
    /// Children of this binary for the project in `project_dir`, sharing `run_dir`.
    pub fn new(project_dir: &Path, run_dir: StatePath) -> std::io::Result<Self> {
        Ok(Self {
            exe: own_binary()?,
            project_dir: project_dir.to_owned(),
            run_dir,
            request: Vec::new(),
            leading_args: Vec::new(),
            pool: Pool::default(),
        })
    }

    /// Arguments every child's command line starts with, before the child command.
    pub fn leading_args(
        mut self,
        args: impl IntoIterator<Item = impl Into<std::ffi::OsString>>,
    ) -> Self {
        self.leading_args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Makes the run's folder and keeps the request every child reads (the framework's
    /// options of the run).
    pub fn prepare(&mut self, request: &impl serde::Serialize) -> std::io::Result<()> {
        if let Some(dir) = self.run_dir.local() {
            std::fs::create_dir_all(dir.join("memory"))?;
        }
        self.request = serde_json::to_vec(request).map_err(std::io::Error::other)?;
        Ok(())
    }

    /// Runs the nodes of `step` (one node, or a group) in order, in an idle worker or a new
    /// one, and waits for them.
    pub fn run(&self, step: &[&Node]) -> Result<(), RunError> {
        // A failure no node reported is the step's, named by its first node.
        let name = step.first().map_or("", |n| n.node_name()).to_owned();
        let of_step = if step.len() > 1 {
            let nodes: Vec<&str> = step.iter().map(|n| n.node_name()).collect();
            format!(" (the step of {})", nodes.join(", "))
        } else {
            String::new()
        };
        let start = || {
            self.pool
                .start(self.worker_command(), &self.request)
                .map_err(|e| RunError::Crashed {
                    node: name.clone(),
                    message: format!("cannot start {}{of_step}: {e}", self.exe.display()),
                })
        };
        let nodes: Vec<String> = step.iter().map(|n| n.node_name().to_owned()).collect();
        let mut worker = match self.pool.take_idle() {
            Some(idle) => idle,
            None => start()?,
        };
        let mut end = Pool::run(&mut worker, &nodes);
        // An idle worker that died since its last step ran nothing of this one: a new one
        // takes it.
        if matches!(end, StepEnd::NotSent) {
            worker = start()?;
            end = Pool::run(&mut worker, &nodes);
        }
        match end {
            StepEnd::NotSent => Err(RunError::Crashed {
                node: name,
                message: format!("its worker exited before taking the step{of_step}"),
            }),
            StepEnd::Answer(answer) => match serde_json::from_slice(&answer) {
                Ok(FromWorker::Done) => {
                    self.pool.put_back(worker);
                    Ok(())
                }
                // A worker whose node failed may hold what that node left behind: the next
                // step gets a fresh one.
                Ok(FromWorker::Failed { node, message }) => {
                    Pool::retire(worker);
                    Err(RunError::InChild { node, message })
                }
                Err(e) => {
                    Pool::retire(worker);
                    Err(RunError::Crashed {
                        node: name,
                        message: format!("its worker answered what no worker says{of_step}: {e}"),
                    })
                }
            },
            StepEnd::Cancelled => Err(RunError::Cancelled),
            // A step that a Ctrl-C reached before this run saw it was cancelled, not broken.
            StepEnd::Died(_) if crate::cancel::is_cancelled() => Err(RunError::Cancelled),
            StepEnd::Died(status) => Err(RunError::Crashed {
                node: name,
                message: match status {
                    Ok(status) => format!("{}{of_step}", describe_exit(status)),
                    Err(e) => format!("cannot wait for its process{of_step}: {e}"),
                },
            }),
        }
    }

    /// Stops the idle workers: the run needs no more steps.
    pub fn finish(&self) {
        self.pool.shut_down();
    }

    fn worker_command(&self) -> Command {
        let mut command = Command::new(&self.exe);
        command
            .arg("--project-dir")
            .arg(&self.project_dir)
            .args(&self.leading_args)
            .arg(WORKER_COMMAND)
            .arg("--run-dir")
            .arg(self.run_dir.as_arg())
            .env(PARENT_ENV, std::process::id().to_string());
        command
    }
}

/// The binary of this process, as it was when the run started: on Linux the kernel's handle
/// to it, so that a rebuild during the run does not change what later steps run.
fn own_binary() -> std::io::Result<PathBuf> {
    let running = Path::new("/proc/self/exe");
    if cfg!(target_os = "linux") && running.exists() {
        return Ok(running.to_owned());
    }
    std::env::current_exe()
}

/// Ties this process to the one that started it: the kernel kills it when that process dies,
/// even by `kill -9` (Linux). A step of the process runner also checks that its orchestrator
/// did not die before that took effect.
pub fn tie_to_parent() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::{prctl, signal::Signal};
        prctl::set_pdeathsig(Signal::SIGKILL)
            .map_err(|e| format!("cannot tie the step to its orchestrator: {e}"))?;
        let expected = std::env::var(PARENT_ENV)
            .ok()
            .and_then(|p| p.parse::<i32>().ok());
        if let Some(parent) = expected
            && nix::unistd::getppid().as_raw() != parent
        {
            return Err(format!("the orchestrator (pid {parent}) is gone"));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(signal) => format!("its process was killed by signal {signal}"),
        None => format!("its process exited with {status} without reporting an error"),
    }
}

#[cfg(not(unix))]
fn describe_exit(status: std::process::ExitStatus) -> String {
    format!("its process exited with {status} without reporting an error")
}

/// `runs/<run id>` in the state folder.
pub fn run_dir(state_dir: &StatePath, run_id: &str) -> StatePath {
    state_dir.join(&format!("runs/{run_id}"))
}

/// A file name for any dataset or node name (`params:a`, `ns.x@pandas`).
fn escape(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32)
            }
        })
        .collect()
}

/// A memory dataset of a multi-process run, kept as a file between processes.
#[derive(Debug)]
struct StoredDataset {
    path: StatePath,
    codec: Codec,
    files: MemoryFiles,
}

impl StoredDataset {
    fn format_error(&self, e: impl std::fmt::Display) -> DatasetError {
        DatasetError::format(self.path.to_string(), e)
    }
}

impl Dataset for StoredDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        let bytes = self.path.read()?.ok_or(DatasetError::NotSaved)?;
        self.codec.decode(&bytes).map_err(|e| self.format_error(e))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let bytes = self
            .codec
            .encode(&value)
            .map_err(|e| self.format_error(e))?;
        match self.files {
            MemoryFiles::ForTheRun => self.path.write_for_run(&bytes),
            MemoryFiles::Kept => self.path.write(&bytes),
        }
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        self.path.exists()
    }

    fn is_ephemeral(&self) -> bool {
        true
    }
}

/// The memory datasets that pass between nodes (or out of the run), with their Rust type.
fn transferred(pipeline: &Pipeline, catalog: &Catalog) -> BTreeMap<String, TypeTag> {
    let mut out = BTreeMap::new();
    for node in pipeline.nodes() {
        for (name, tag) in node.outputs().iter().zip(node.output_types()) {
            if catalog.is_ephemeral(name) {
                out.insert(name.clone(), *tag);
            }
        }
    }
    out
}

/// Every memory dataset `carried` between processes whose type has no codec, as
/// `(dataset, type)`.
pub fn without_codec(
    pipeline: &Pipeline,
    catalog: &Catalog,
    registry: &Registry,
    carried: &dyn Fn(&str) -> bool,
) -> Vec<(String, String)> {
    transferred(pipeline, catalog)
        .into_iter()
        .filter(|(name, tag)| carried(name) && registry.codec(*tag).is_none())
        .map(|(name, tag)| (name, tag.short_name()))
        .collect()
}

/// How the memory data of a run folder is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryFiles {
    /// The process runner's: the folder goes when its run ends, and a run that outlives a
    /// crash of the machine runs the producers again, so nothing is flushed to disk.
    ForTheRun,
    /// Dagster's ops': a re-execution reads the folder of the run that failed, so each file is
    /// flushed to disk before its op succeeds.
    Kept,
}

/// Puts the run folder's stored datasets in place of the memory ones `carried` between
/// processes in `catalog` (the others stay in this process's memory).
pub fn install(
    run_dir: &StatePath,
    pipeline: &Pipeline,
    catalog: &Catalog,
    carried: &dyn Fn(&str) -> bool,
    files: MemoryFiles,
) {
    let registry = catalog.registry();
    for (name, tag) in transferred(pipeline, catalog)
        .into_iter()
        .filter(|(name, _)| carried(name))
    {
        if let Some(codec) = registry.codec(tag) {
            let path = run_dir.join(&format!("memory/{}", escape(&name)));
            catalog.add(
                name,
                "MemoryDataset",
                Arc::new(StoredDataset {
                    path,
                    codec: codec.clone(),
                    files,
                }),
            );
        }
    }
}
