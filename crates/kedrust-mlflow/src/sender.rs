//! The background sender: node-level tracking calls of this process go to a queue and one
//! thread sends them in order, merging neighbouring batches of a run into one call, so that a
//! node never waits on MLflow. It is flushed where a process's part of a run ends (the
//! `flush` hook point, the pipeline hooks, dropping it) and before anything reads back.

use crate::client::{MlflowError, now_ms};
use crate::store::{Batch, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
        start_time: i64,
    },
    Log {
        run: RunRef,
        batch: Batch,
    },
    End {
        run: RunRef,
        status: &'static str,
        end_time: i64,
    },
    Flush(mpsc::Sender<()>),
}

/// What the sending thread shares with the hook.
#[derive(Default)]
struct Shared {
    /// Queued runs, once sent: their ids, or why they were not created.
    created: Mutex<HashMap<u64, Result<String, String>>>,
    /// The first call that failed since the last flush.
    failed: Mutex<Option<MlflowError>>,
    /// A call made on the store directly, not queued (an artifact, a model), failed and
    /// `on_error: warn` let the run go on; cleared when read.
    dropped: AtomicBool,
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
        if tx.send(job).is_err() {
            self.stopped();
        }
    }

    /// Records that the sending thread is gone (it panicked): what it held is lost.
    fn stopped(&self) {
        let mut failed = self.shared.failed.lock().unwrap_or_else(|e| e.into_inner());
        failed.get_or_insert(MlflowError {
            uri: String::new(),
            message: "the MLflow sender stopped; queued tracking calls were lost".into(),
            status: None,
        });
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
            start_time: now_ms(),
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

    /// Queues the end of a run, timed now.
    pub(crate) fn end(&self, run: &RunRef, status: &'static str) {
        self.send(Job::End {
            run: run.clone(),
            status,
            end_time: now_ms(),
        });
    }

    /// Waits until every queued call is sent, leaving their errors to [`Sender::flush`]: what
    /// a reader does before reading back.
    pub(crate) fn wait(&self) {
        let (done, wait) = mpsc::channel();
        let started = self
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some();
        if started {
            self.send(Job::Flush(done));
            if wait.recv().is_err() {
                self.stopped();
            }
        }
    }

    /// Waits until every queued call is sent; the first that failed since the last flush.
    pub(crate) fn flush(&self) -> Result<(), MlflowError> {
        self.wait();
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

    /// Notes that a call made on the store directly failed and the run went on: the next
    /// [`Sender::take_dropped`] says so, for the run to be tagged incomplete.
    pub(crate) fn note_dropped(&self) {
        self.shared.dropped.store(true, Ordering::SeqCst);
    }

    /// Whether a call was dropped since the last time this was asked.
    pub(crate) fn take_dropped(&self) -> bool {
        self.shared.dropped.swap(false, Ordering::SeqCst)
    }

    /// The id of `run`, once its creation is sent (flushing when it is queued).
    pub(crate) fn id(&self, run: &RunRef) -> Result<String, MlflowError> {
        match run {
            RunRef::Id(id) => Ok(id.clone()),
            RunRef::Queued(n) => {
                self.wait();
                let not_created = |why: String| MlflowError {
                    uri: String::new(),
                    message: format!("the node's MLflow run was not created: {why}"),
                    status: None,
                };
                match self
                    .shared
                    .created
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(n)
                {
                    Some(Ok(id)) => Ok(id.clone()),
                    Some(Err(why)) => Err(not_created(why.clone())),
                    None => Err(not_created("it was never sent".into())),
                }
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
        .and_then(|r| r.as_ref().ok())
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
                start_time,
            } => {
                let made = store.create_run(&experiment_id, &name, &tags, start_time);
                let kept = made
                    .as_ref()
                    .map(String::clone)
                    .map_err(ToString::to_string);
                shared
                    .created
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(run, kept);
                if let Err(e) = made {
                    fail(e);
                }
            }
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
            Job::End {
                run,
                status,
                end_time,
            } => {
                if let Some(id) = resolve(&run) {
                    store.end_run(&id, status, end_time).unwrap_or_else(fail);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::LocalStore;
    use crate::store::Metric;
    use std::path::Path;

    fn store(dir: &std::path::Path) -> Arc<LocalStore> {
        Arc::new(LocalStore::open(&dir.join("mlflow.db"), &dir.join("mlruns")).unwrap())
    }

    #[test]
    fn queued_calls_arrive_in_order_merged_and_once_per_parameter() {
        let dir = tempfile::tempdir().unwrap();
        let local = store(dir.path());
        let experiment = local.create_experiment("e").unwrap();
        let sender = Sender::new(local.clone());
        let run = sender.create_run(&experiment, "node", vec![("k".into(), "v".into())]);
        let param = |v: &str| Batch {
            params: vec![("p".into(), v.into())],
            ..Batch::default()
        };
        sender.log(&run, param("1"));
        // The same parameter again in a neighbouring batch: merged once, not refused.
        sender.log(&run, param("1"));
        sender.log(&run, Batch::metrics_at(0, [("m".to_owned(), 1.0)]));
        sender.log(&run, Batch::metrics_at(1, [("m".to_owned(), 2.0)]));
        sender.end(&run, "FINISHED");
        sender.flush().unwrap();
        let id = sender.id(&run).unwrap();
        let steps: Vec<(i64, f64)> = local
            .metric_history(&id, "m")
            .unwrap()
            .iter()
            .map(|m| (m.step, m.value))
            .collect();
        assert_eq!(steps, [(0, 1.0), (1, 2.0)]);
        assert!(local.open_children(&experiment, "none").unwrap().is_empty());
    }

    /// A local store that counts batches and holds every run's creation until told to go,
    /// so that calls queue up behind it.
    #[derive(Debug)]
    struct Held {
        inner: Arc<LocalStore>,
        go: Mutex<mpsc::Receiver<()>>,
        batches: AtomicU64,
    }

    impl Store for Held {
        fn experiment_by_name(&self, name: &str) -> Result<Option<(String, bool)>, MlflowError> {
            self.inner.experiment_by_name(name)
        }
        fn create_experiment(&self, name: &str) -> Result<String, MlflowError> {
            self.inner.create_experiment(name)
        }
        fn restore_experiment(&self, id: &str) -> Result<(), MlflowError> {
            self.inner.restore_experiment(id)
        }
        fn create_run(
            &self,
            experiment_id: &str,
            name: &str,
            tags: &[(String, String)],
            start_time: i64,
        ) -> Result<String, MlflowError> {
            let _ = self.go.lock().unwrap().recv();
            self.inner.create_run(experiment_id, name, tags, start_time)
        }
        fn log_batch(&self, run_id: &str, batch: &Batch) -> Result<(), MlflowError> {
            self.batches.fetch_add(1, Ordering::SeqCst);
            self.inner.log_batch(run_id, batch)
        }
        fn end_run(&self, run_id: &str, status: &str, end_time: i64) -> Result<(), MlflowError> {
            self.inner.end_run(run_id, status, end_time)
        }
        fn open_children(&self, e: &str, parent: &str) -> Result<Vec<String>, MlflowError> {
            self.inner.open_children(e, parent)
        }
        fn child_with_metric(
            &self,
            e: &str,
            parent: &str,
            key: &str,
        ) -> Result<Option<String>, MlflowError> {
            self.inner.child_with_metric(e, parent, key)
        }
        fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>, MlflowError> {
            self.inner.metric_history(run_id, key)
        }
        fn log_artifact(&self, run_id: &str, local: &Path, to: &str) -> Result<(), MlflowError> {
            self.inner.log_artifact(run_id, local, to)
        }
        fn download_artifact(
            &self,
            run_id: &str,
            from: &str,
            to: &Path,
        ) -> Result<(), MlflowError> {
            self.inner.download_artifact(run_id, from, to)
        }
        fn register_model(
            &self,
            name: &str,
            run_id: &str,
            at: &str,
        ) -> Result<String, MlflowError> {
            self.inner.register_model(name, run_id, at)
        }
        fn model_version(
            &self,
            name: &str,
            version: Option<&str>,
        ) -> Result<crate::store::ModelVersion, MlflowError> {
            self.inner.model_version(name, version)
        }
    }

    #[test]
    fn calls_never_wait_and_batches_queued_behind_a_call_go_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let local = store(dir.path());
        let experiment = local.create_experiment("e").unwrap();
        let (go, wait) = mpsc::channel();
        let held = Arc::new(Held {
            inner: local.clone(),
            go: Mutex::new(wait),
            batches: AtomicU64::new(0),
        });
        let sender = Sender::new(held.clone());
        // Nothing here waits on the store, which is still creating the run: a call that
        // blocked would never reach `go`.
        let run = sender.create_run(&experiment, "node", Vec::new());
        for step in 0..5 {
            sender.log(
                &run,
                Batch::metrics_at(step, [("m".to_owned(), step as f64)]),
            );
        }
        go.send(()).unwrap();
        sender.flush().unwrap();
        assert_eq!(
            held.batches.load(Ordering::SeqCst),
            1,
            "five batches, one call"
        );
        let id = sender.id(&run).unwrap();
        assert_eq!(local.metric_history(&id, "m").unwrap().len(), 5);
    }

    #[test]
    fn a_run_that_was_not_created_says_why_once_and_its_calls_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let sender = Sender::new(store(dir.path()));
        let run = sender.create_run("999", "node", Vec::new());
        sender.log(&run, Batch::metrics_at(0, [("m".to_owned(), 1.0)]));
        sender.end(&run, "FINISHED");
        // A reader waits without taking the error: it stays for the next flush.
        sender.wait();
        let err = sender.id(&run).unwrap_err().to_string();
        assert!(err.contains("no experiment 999"), "{err}");
        let err = sender.flush().unwrap_err().to_string();
        assert!(err.contains("no experiment 999"), "{err}");
        sender.flush().unwrap();
    }

    #[test]
    fn the_latest_value_is_the_one_of_the_highest_step_and_nan_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let local = store(dir.path());
        let experiment = local.create_experiment("e").unwrap();
        let id = local.create_run(&experiment, "r", &[], now_ms()).unwrap();
        let at = |step, value, timestamp| Metric {
            key: "m".into(),
            value,
            timestamp,
            step,
        };
        let batch = Batch {
            metrics: vec![
                at(2, 5.0, 10),
                at(1, 9.0, 20),
                at(3, f64::NAN, 5),
                at(0, f64::INFINITY, 1),
            ],
            ..Batch::default()
        };
        local.log_batch(&id, &batch).unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("mlflow.db")).unwrap();
        let latest: (i64, f64, bool) = conn
            .query_row(
                "SELECT step, value, is_nan FROM latest_metrics WHERE run_uuid = ?1 AND key = 'm'",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(latest, (3, 0.0, true), "step 3 wins, as MLflow orders them");
        let history: Vec<(i64, f64)> = local
            .metric_history(&id, "m")
            .unwrap()
            .iter()
            .map(|m| (m.step, m.value))
            .collect();
        assert_eq!(
            history[0],
            (0, f64::MAX),
            "infinity kept as MLflow's SQL store keeps it"
        );
        assert!(history[3].1.is_nan());
    }
}
