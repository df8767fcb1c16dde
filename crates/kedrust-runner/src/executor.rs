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
/// hooks, retry policies, ops, groups); the process runner starts children with `launcher`,
/// one per step: a node, or a group of nodes that runs in one process.
pub fn execute(
    runner: Runner,
    pipeline: &Pipeline,
    shared: &Execution<'_>,
    observe: Observer<'_>,
    launcher: Option<&Launcher>,
) -> Result<Vec<String>, Failure> {
    let in_process = |step: &[&Node]| step.iter().try_for_each(|node| run_node(shared, node));
    let in_child = |step: &[&Node]| match launcher {
        Some(l) => l.run(step),
        None => Err(RunError::Crashed {
            node: step.first().map_or("", |n| n.node_name()).to_owned(),
            message: "the process runner needs a project binary to start".into(),
        }),
    };
    let (work, steps): (Work<'_>, Vec<Vec<&Node>>) = match runner {
        Runner::Process { .. } => (&in_child, shared.steps(pipeline)),
        _ => (&in_process, pipeline.nodes().map(|n| vec![n]).collect()),
    };
    // A failed step is tried again as its op's retry policy says.
    let with_retries = |step: &[&Node]| {
        let first = step.first().map_or("", |n| n.node_name());
        let failed = |error: &RunError| named_in(error, step).unwrap_or(first).to_owned();
        let mut attempt = 0;
        loop {
            match work(step) {
                Err(error) => match shared.retries.get(first) {
                    Some(policy) if attempt < policy.max_retries => {
                        attempt += 1;
                        let wait = Duration::from_secs_f64(policy.delay_before(attempt));
                        observe(&RunEvent::NodeRetry {
                            node: &failed(&error),
                            attempt,
                            error: &error.to_string(),
                            wait,
                        });
                        std::thread::sleep(wait);
                        for node in step {
                            discard_outputs(shared.catalog, node);
                        }
                        observe(&RunEvent::NodeRestarted {
                            node: first,
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
        (Runner::Sequential, _) => sequential(&steps, &with_retries, observe),
        (Runner::Threaded { max_workers }, _) => {
            threaded(pipeline, &steps, &with_retries, observe, max_workers)
        }
        (Runner::Process { max_workers }, Some(_)) => {
            threaded(pipeline, &steps, &with_retries, observe, max_workers)
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

/// Runs the nodes of one step, in order, wherever it runs.
type Work<'a> = &'a (dyn Fn(&[&Node]) -> Result<(), RunError> + Sync);

fn timed(
    work: Work<'_>,
    step: &[&Node],
    observe: Observer<'_>,
) -> (Result<(), RunError>, Duration) {
    // A step starts with its first node (a group's others follow in its process).
    let first = step.first().map_or("", |n| n.node_name());
    observe(&RunEvent::NodeStarted { node: first });
    let start = Instant::now();
    // A panicking node fails the run like an error, naming the node.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(step)))
        .unwrap_or_else(|panic| {
            Err(RunError::Crashed {
                node: first.to_owned(),
                message: panic_message(&panic),
            })
        });
    if let Err(e) = &result {
        observe(&RunEvent::NodeFailed {
            node: named_in(e, step).unwrap_or(first),
            error: &e.to_string(),
        });
    }
    (result, start.elapsed())
}

/// The node of `step` that `error` names, if it names one of them.
fn named_in<'s>(error: &RunError, step: &[&'s Node]) -> Option<&'s str> {
    let named = error.node()?;
    step.iter().map(|n| n.node_name()).find(|n| *n == named)
}

fn sequential(
    steps: &[Vec<&Node>],
    work: Work<'_>,
    observe: Observer<'_>,
) -> Result<Vec<String>, Failure> {
    let total = steps.iter().map(Vec::len).sum();
    let mut done = Vec::with_capacity(total);
    for step in steps {
        if is_cancelled() {
            return Err(Failure {
                error: RunError::Cancelled,
                done,
            });
        }
        let (result, took) = timed(work, step, observe);
        if let Err(error) = result {
            return Err(Failure { error, done });
        }
        for node in step {
            done.push(node.node_name().to_owned());
            observe(&RunEvent::NodeCompleted {
                node: node.node_name(),
                done: done.len(),
                total,
                took,
            });
        }
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
    steps: &[Vec<&Node>],
    work: Work<'_>,
    observe: Observer<'_>,
    max_workers: usize,
) -> Result<Vec<String>, Failure> {
    let total: usize = steps.iter().map(Vec::len).sum();
    let step_of: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .flat_map(|(i, step)| step.iter().map(move |n| (n.node_name(), i)))
        .collect();
    // A step waits for the other steps its nodes' parents run in.
    let mut parents = vec![std::collections::BTreeSet::new(); steps.len()];
    for (node, node_parents) in pipeline.node_dependencies() {
        let Some(&i) = step_of.get(node) else {
            continue;
        };
        for p in node_parents {
            if let Some(&j) = step_of.get(p)
                && j != i
            {
                parents[i].insert(j);
            }
        }
    }
    let mut children = vec![Vec::new(); steps.len()];
    for (i, ps) in parents.iter().enumerate() {
        for &p in ps {
            children[p].push(i);
        }
    }
    let waiting_on: Vec<usize> = parents
        .iter()
        .map(std::collections::BTreeSet::len)
        .collect();
    let ready = (0..steps.len()).filter(|&i| waiting_on[i] == 0).collect();
    // Kedro's worker count: no more threads than the widest the pipeline can get.
    let workers = max_workers
        .max(1)
        .min(total.saturating_sub(pipeline.grouped_nodes().len()) + 1)
        .min(steps.len().max(1));
    let schedule = Mutex::new(Schedule {
        waiting_on,
        ready,
        running: 0,
        done: Vec::with_capacity(total),
        failure: None,
    });
    let wake = Condvar::new();
    // Every worker schedules: the one that finishes a step takes the next ready step itself,
    // so a chain runs on one thread without a hand-off per step.
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
            let (result, took) = timed(work, &steps[i], observe);
            s = schedule.lock().unwrap_or_else(|e| e.into_inner());
            s.running -= 1;
            match result {
                // Stop scheduling; the steps already running finish.
                Err(error) => {
                    s.failure.get_or_insert(error);
                }
                Ok(()) => {
                    let mut counts = Vec::with_capacity(steps[i].len());
                    for node in &steps[i] {
                        s.done.push(node.node_name().to_owned());
                        counts.push(s.done.len());
                    }
                    for &c in &children[i] {
                        s.waiting_on[c] -= 1;
                        if s.waiting_on[c] == 0 {
                            s.ready.push_back(c);
                        }
                    }
                    drop(s);
                    for (node, done) in steps[i].iter().zip(counts) {
                        observe(&RunEvent::NodeCompleted {
                            node: node.node_name(),
                            done,
                            total,
                            took,
                        });
                    }
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

/// What a panic said, for the node's error.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the node panicked".into())
}
