//! Executors: in which order and on which threads the nodes of a run are executed.
//!
//! Sequential runs the nodes in the pipeline's order. Threaded keeps up to `max_workers`
//! nodes running, starting each as soon as its parents are done. Both stop scheduling at the
//! first failure and wait for the nodes already running, as Kedro's runners do.

use crate::cancel::is_cancelled;
use crate::error::RunError;
use crate::process::Launcher;
use crate::task::{Execution, discard_outputs, run_node};
use kedrust_pipeline::{Node, Pipeline};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How nodes are executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Runner {
    /// One node at a time, in order.
    Sequential,
    /// Up to `max_workers` nodes at a time on threads.
    Threaded {
        /// The most nodes running at once.
        max_workers: usize,
    },
    /// Up to `max_workers` nodes at a time, each in a child process of the project binary.
    Process {
        /// The most child processes at once.
        max_workers: usize,
    },
}

impl Runner {
    /// Kedro's name for it, as `run_params.runner` reports it.
    pub fn kedro_name(&self) -> &'static str {
        match self {
            Self::Sequential => "SequentialRunner",
            Self::Threaded { .. } => "ThreadRunner",
            Self::Process { .. } => "ParallelRunner",
        }
    }
}

/// What happens as a run progresses, for progress bars and logs.
#[derive(Debug, Clone)]
pub enum RunEvent<'a> {
    /// A node started.
    NodeStarted {
        /// The node.
        node: &'a str,
    },
    /// A node failed; the run stops scheduling.
    NodeFailed {
        /// The node.
        node: &'a str,
        /// What went wrong.
        error: &'a str,
    },
    /// A node failed and will be tried again (Dagster's `STEP_UP_FOR_RETRY`).
    NodeRetry {
        /// The node.
        node: &'a str,
        /// The retry about to start (1 for the first retry).
        attempt: u32,
        /// What went wrong.
        error: &'a str,
        /// How long the retry waits first.
        wait: Duration,
    },
    /// A retry of a node starts (Dagster's `STEP_RESTARTED`).
    NodeRestarted {
        /// The node.
        node: &'a str,
        /// The retry (1 for the first).
        attempt: u32,
    },
    /// A node finished and its outputs are saved.
    NodeCompleted {
        /// The node.
        node: &'a str,
        /// Nodes done so far.
        done: usize,
        /// Nodes in the run.
        total: usize,
        /// How long the node took, loads and saves included.
        took: Duration,
    },
}

/// Receives run events; called from the threads that run nodes.
pub type Observer<'a> = &'a (dyn Fn(&RunEvent<'_>) + Sync);

/// A failed execution: the error and the nodes that completed before it.
#[derive(Debug)]
pub struct Failure {
    /// The first error.
    pub error: RunError,
    /// Nodes that completed.
    pub done: Vec<String>,
}

/// Runs every node of `pipeline` against `catalog` with `hooks`: the runner alone, without
/// the session's pipeline hooks (for embedding and benchmarks).
pub fn run_nodes(
    runner: Runner,
    pipeline: &Pipeline,
    catalog: &kedrust_catalog::Catalog,
    hooks: &crate::hooks::Hooks,
    observe: Observer<'_>,
) -> Result<Vec<String>, Failure> {
    let shared = Execution::new(pipeline, catalog, hooks);
    execute(runner, pipeline, &shared, observe, None)
}

/// Executes every node of `pipeline` with what the nodes of the run share (`shared`: catalog,
/// hooks, retry policies, ops); the process runner starts children with `launcher`.
pub fn execute(
    runner: Runner,
    pipeline: &Pipeline,
    shared: &Execution<'_>,
    observe: Observer<'_>,
    launcher: Option<&Launcher>,
) -> Result<Vec<String>, Failure> {
    let in_process = |node: &Node| run_node(shared, node);
    let in_child = |node: &Node| match launcher {
        Some(l) => l.run(node),
        None => Err(RunError::Crashed {
            node: node.node_name().to_owned(),
            message: "the process runner needs a project binary to start".into(),
        }),
    };
    let work: Work<'_> = match runner {
        Runner::Process { .. } => &in_child,
        _ => &in_process,
    };
    // A failed node is tried again as its op's retry policy says.
    let with_retries = |node: &Node| {
        let mut attempt = 0;
        loop {
            match work(node) {
                Err(error) => match shared.retries.get(node.node_name()) {
                    Some(policy) if attempt < policy.max_retries => {
                        attempt += 1;
                        let wait = Duration::from_secs_f64(policy.delay_before(attempt));
                        observe(&RunEvent::NodeRetry {
                            node: node.node_name(),
                            attempt,
                            error: &error.to_string(),
                            wait,
                        });
                        std::thread::sleep(wait);
                        discard_outputs(shared.catalog, node);
                        observe(&RunEvent::NodeRestarted {
                            node: node.node_name(),
                            attempt,
                        });
                    }
                    _ => return Err(error),
                },
                ok => return ok,
            }
        }
    };
    match (runner, launcher) {
        (Runner::Sequential, _) => sequential(pipeline, &with_retries, observe),
        (Runner::Threaded { max_workers }, _) => {
            threaded(pipeline, &with_retries, observe, max_workers)
        }
        (Runner::Process { max_workers }, Some(_)) => {
            threaded(pipeline, &with_retries, observe, max_workers)
        }
        (Runner::Process { .. }, None) => Err(Failure {
            error: RunError::Crashed {
                node: String::new(),
                message: "the process runner needs a project binary to start".into(),
            },
            done: Vec::new(),
        }),
    }
}

/// Runs one node, wherever it runs.
type Work<'a> = &'a (dyn Fn(&Node) -> Result<(), RunError> + Sync);

fn timed(work: Work<'_>, node: &Node, observe: Observer<'_>) -> (Result<(), RunError>, Duration) {
    observe(&RunEvent::NodeStarted {
        node: node.node_name(),
    });
    let start = Instant::now();
    // A panicking node fails the run like an error, naming the node.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(node)))
        .unwrap_or_else(|panic| {
            Err(RunError::Crashed {
                node: node.node_name().to_owned(),
                message: panic_message(&panic),
            })
        });
    if let Err(e) = &result {
        observe(&RunEvent::NodeFailed {
            node: node.node_name(),
            error: &e.to_string(),
        });
    }
    (result, start.elapsed())
}

fn sequential(
    pipeline: &Pipeline,
    work: Work<'_>,
    observe: Observer<'_>,
) -> Result<Vec<String>, Failure> {
    let total = pipeline.len();
    let mut done = Vec::with_capacity(total);
    for node in pipeline.nodes() {
        if is_cancelled() {
            return Err(Failure {
                error: RunError::Cancelled,
                done,
            });
        }
        let (result, took) = timed(work, node, observe);
        if let Err(error) = result {
            return Err(Failure { error, done });
        }
        done.push(node.node_name().to_owned());
        observe(&RunEvent::NodeCompleted {
            node: node.node_name(),
            done: done.len(),
            total,
            took,
        });
    }
    Ok(done)
}

/// The shared state of a threaded run.
struct Schedule {
    waiting_on: Vec<usize>,
    ready: std::collections::VecDeque<usize>,
    running: usize,
    done: Vec<String>,
    failure: Option<RunError>,
}

fn threaded(
    pipeline: &Pipeline,
    work: Work<'_>,
    observe: Observer<'_>,
    max_workers: usize,
) -> Result<Vec<String>, Failure> {
    let nodes = pipeline.shared_nodes();
    let total = nodes.len();
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.node_name(), i))
        .collect();
    let mut waiting_on = vec![0usize; total];
    let mut children = vec![Vec::new(); total];
    for (node, parents) in pipeline.node_dependencies() {
        let i = index[node];
        waiting_on[i] = parents.len();
        for p in parents {
            children[index[p]].push(i);
        }
    }
    let ready = (0..total).filter(|&i| waiting_on[i] == 0).collect();
    // Kedro's worker count: no more threads than the widest the pipeline can get.
    let workers = max_workers
        .max(1)
        .min(total.saturating_sub(pipeline.grouped_nodes().len()) + 1);
    let schedule = Mutex::new(Schedule {
        waiting_on,
        ready,
        running: 0,
        done: Vec::with_capacity(total),
        failure: None,
    });
    let wake = Condvar::new();
    // Every worker schedules: the one that finishes a node takes the next ready node itself,
    // so a chain runs on one thread without a hand-off per node.
    let worker = || {
        let mut s = schedule.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if is_cancelled() && s.failure.is_none() {
                s.failure = Some(RunError::Cancelled);
            }
            let next = if s.failure.is_none() {
                s.ready.pop_front()
            } else {
                None
            };
            let Some(i) = next else {
                if s.running == 0 {
                    wake.notify_all();
                    return;
                }
                s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
                continue;
            };
            s.running += 1;
            drop(s);
            let (result, took) = timed(work, &nodes[i], observe);
            s = schedule.lock().unwrap_or_else(|e| e.into_inner());
            s.running -= 1;
            match result {
                // Stop scheduling; the nodes already running finish.
                Err(error) => {
                    s.failure.get_or_insert(error);
                }
                Ok(()) => {
                    s.done.push(nodes[i].node_name().to_owned());
                    let done = s.done.len();
                    for &c in &children[i] {
                        s.waiting_on[c] -= 1;
                        if s.waiting_on[c] == 0 {
                            s.ready.push_back(c);
                        }
                    }
                    drop(s);
                    observe(&RunEvent::NodeCompleted {
                        node: nodes[i].node_name(),
                        done,
                        total,
                        took,
                    });
                    s = schedule.lock().unwrap_or_else(|e| e.into_inner());
                }
            }
            wake.notify_all();
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..workers {
            scope.spawn(worker);
        }
        worker();
    });
    let s = schedule.into_inner().unwrap_or_else(|e| e.into_inner());
    match s.failure {
        Some(error) => Err(Failure {
            error,
            done: s.done,
        }),
        None => Ok(s.done),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the node panicked".into())
}
