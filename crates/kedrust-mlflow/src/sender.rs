//! The background sender: node-level tracking calls of this process go to a queue and one
//! thread sends them in order, merging neighbouring batches of a run into one call, so that a
//! node never waits on MLflow. It is flushed where a process's part of a run ends (the
//! `flush` hook point, the pipeline hooks, dropping it) and before anything reads back.

use crate::client::MlflowError;
use crate::store::{Batch, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A run the sender knows: created already, or queued for creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunRef {
    /// An MLflow run id.
    Id(String),
    /// A run whose creation is queued: its number in this sender.
    Queued(u64),
}

enum Job {
    Create {
        run: u64,
        experiment_id: String,
        name: String,
        tags: Vec<(String, String)>,
    },
    Log {
        run: RunRef,
        batch: Batch,
    },
    End {
        run: RunRef,
        status: &'static str,
    },
    Flush(mpsc::Sender<()>),
}

/// What the sending thread shares with the hook.
#[derive(Default)]
struct Shared {
    /// Queued runs, once created: their ids.
    created: Mutex<HashMap<u64, String>>,
    /// The first call that failed since the last flush.
    failed: Mutex<Option<MlflowError>>,
}

/// A store with a background queue in front of it.
pub(crate) struct Sender {
    store: Arc<dyn Store>,
    queue: Mutex<Option<(mpsc::Sender<Job>, JoinHandle<()>)>>,
    shared: Arc<Shared>,
    next: AtomicU64,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sender({:?})", self.store)
    }
}

impl Sender {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            queue: Mutex::default(),
            shared: Arc::default(),
            next: AtomicU64::new(0),
        }
    }

    /// The store, for calls that need an answer (flush first to read what was queued).
    pub(crate) fn store(&self) -> &dyn Store {
        &*self.store
    }

    fn send(&self, job: Job) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let (tx, _) = queue.get_or_insert_with(|| {
            let (tx, rx) = mpsc::channel();
            let (store, shared) = (Arc::clone(&self.store), Arc::clone(&self.shared));
            let thread = std::thread::Builder::new()
                .name("mlflow-sender".into())
                .spawn(move || send_all(&*store, &shared, &rx))
                .expect("a thread for the MLflow sender");
            (tx, thread)
        });
        // The thread ends only when the queue is dropped, so this cannot fail.
        let _ = tx.send(job);
    }

    /// Queues the creation of a run; the reference stands for it in later calls.
    pub(crate) fn create_run(
        &self,
        experiment_id: &str,
        name: &str,
        tags: Vec<(String, String)>,
    ) -> RunRef {
        let run = self.next.fetch_add(1, Ordering::Relaxed);
        self.send(Job::Create {
            run,
            experiment_id: experiment_id.to_owned(),
            name: name.to_owned(),
            tags,
        });
        RunRef::Queued(run)
    }

    /// Queues a batch.
    pub(crate) fn log(&self, run: &RunRef, batch: Batch) {
        if !batch.is_empty() {
            self.send(Job::Log {
                run: run.clone(),
                batch,
            });
        }
    }

    /// Queues the end of a run.
    pub(crate) fn end(&self, run: &RunRef, status: &'static str) {
        self.send(Job::End {
            run: run.clone(),
            status,
        });
    }

    /// Waits until every queued call is sent; the first that failed since the last flush.
    pub(crate) fn flush(&self) -> Result<(), MlflowError> {
        let (done, wait) = mpsc::channel();
        if self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
        {
            self.send(Job::Flush(done));
            let _ = wait.recv();
        }
        match self
            .shared
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The id of `run`, once its creation is sent (flushing when it is queued).
    pub(crate) fn id(&self, run: &RunRef) -> Result<String, MlflowError> {
        match run {
            RunRef::Id(id) => Ok(id.clone()),
            RunRef::Queued(n) => {
                self.flush()?;
                created(&self.shared, *n).ok_or_else(|| MlflowError {
                    uri: String::new(),
                    message: "the node's MLflow run was not created".into(),
                    status: None,
                })
            }
        }
    }
}

impl Drop for Sender {
    /// Sends what is queued before the process ends.
    fn drop(&mut self) {
        let queue = self
            .queue
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some((tx, thread)) = queue {
            drop(tx);
            let _ = thread.join();
        }
        if let Some(e) = self
            .shared
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            tracing::warn!("MLflow: a tracking call failed: {e}");
        }
    }
}

fn created(shared: &Shared, run: u64) -> Option<String> {
    shared
        .created
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&run)
        .cloned()
}

/// The sending thread: jobs in order; neighbouring batches of one run go as one call.
fn send_all(store: &dyn Store, shared: &Shared, jobs: &mpsc::Receiver<Job>) {
    let fail = |e: MlflowError| {
        shared
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(e);
    };
    let resolve = |run: &RunRef| match run {
        RunRef::Id(id) => Some(id.clone()),
        RunRef::Queued(n) => created(shared, *n),
    };
    let mut next = jobs.recv().ok();
    while let Some(job) = next.take() {
        match job {
            Job::Create {
                run,
                experiment_id,
                name,
                tags,
            } => match store.create_run(&experiment_id, &name, &tags) {
                Ok(id) => {
                    shared
                        .created
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(run, id);
                }
                Err(e) => fail(e),
            },
            Job::Log { run, mut batch } => {
                // Whatever else is queued for the same run joins this call.
                loop {
                    match jobs.try_recv() {
                        Ok(Job::Log {
                            run: same,
                            batch: more,
                        }) if same == run => {
                            // MLflow refuses a batch that names a parameter twice.
                            for (key, value) in more.params {
                                if !batch.params.iter().any(|(k, _)| *k == key) {
                                    batch.params.push((key, value));
                                }
                            }
                            batch.metrics.extend(more.metrics);
                            batch.tags.extend(more.tags);
                        }
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if let Some(id) = resolve(&run) {
                    store.log_batch(&id, &batch).unwrap_or_else(fail);
                }
            }
            Job::End { run, status } => {
                if let Some(id) = resolve(&run) {
                    store.end_run(&id, status).unwrap_or_else(fail);
                }
            }
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
        if next.is_none() {
            next = jobs.recv().ok();
        }
    }
}
