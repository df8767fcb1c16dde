//! The process runner's workers, from the runner's side: started when a step finds none
//! idle, kept between steps, replaced when one dies.

use crate::frames::{Frames, Received, ToWorker};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

/// How often a step's wait looks at whether the run was cancelled.
const CANCEL_CHECK: Duration = Duration::from_millis(20);

/// A running worker and its connection.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) child: Child,
    frames: Frames,
}

/// How long a worker that closed its connection, or was told to exit, has to do so before it
/// is killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// How a step sent to a worker ended.
pub(crate) enum StepEnd {
    /// The step could not be sent: nothing ran (a worker that had died idle).
    NotSent,
    /// The worker answered (a `FromWorker`, as JSON).
    Answer(Vec<u8>),
    /// The worker's process ended without answering; its exit.
    Died(std::io::Result<std::process::ExitStatus>),
    Cancelled,
}

type SpawnRequest = (Command, mpsc::Sender<std::io::Result<Child>>);

/// The idle workers, and the thread that starts new ones.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    idle: Mutex<Vec<Worker>>,
    /// Workers are started by one thread that lives as long as the pool: Linux ties a worker
    /// to the thread that started it (its parent-death signal fires when that thread ends), and
    /// the executor's threads come and go.
    spawner: Mutex<Option<mpsc::Sender<SpawnRequest>>>,
}

impl Pool {
    /// An idle worker that is still alive, if there is one.
    pub(crate) fn take_idle(&self) -> Option<Worker> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(mut worker) = idle.pop() {
            if matches!(worker.child.try_wait(), Ok(None)) {
                return Some(worker);
            }
        }
        None
    }

    /// Starts `command` as a worker and sends it `request`, the first frame.
    pub(crate) fn start(&self, mut command: Command, request: &[u8]) -> std::io::Result<Worker> {
        let (ours, theirs) = UnixStream::pair()?;
        command.stdin(Stdio::from(OwnedFd::from(theirs)));
        let (reply, answer) = mpsc::channel();
        self.spawner()
            .send((command, reply))
            .map_err(|_| std::io::Error::other("the thread that starts workers is gone"))?;
        let child = answer
            .recv()
            .map_err(|_| std::io::Error::other("the thread that starts workers is gone"))??;
        let mut worker = Worker {
            child,
            frames: Frames::new(ours),
        };
        // A worker that dies before reading is reported by the step's wait.
        let _ = worker.frames.send(request);
        Ok(worker)
    }

    fn spawner(&self) -> mpsc::Sender<SpawnRequest> {
        let mut spawner = self.spawner.lock().unwrap_or_else(|e| e.into_inner());
        spawner
            .get_or_insert_with(|| {
                let (send, requests) = mpsc::channel::<SpawnRequest>();
                std::thread::Builder::new()
                    .name("kedrust-workers".into())
                    .spawn(move || {
                        for (mut command, reply) in requests {
                            let _ = reply.send(command.spawn());
                        }
                    })
                    .expect("a thread to start workers");
                send
            })
            .clone()
    }

    /// Sends `nodes` to `worker` and waits for its answer, its death, or the run's cancel.
    pub(crate) fn run(worker: &mut Worker, nodes: &[String]) -> StepEnd {
        if worker
            .frames
            .send_json(&ToWorker::Run {
                nodes: nodes.to_vec(),
            })
            .is_err()
        {
            kill(&mut worker.child);
            return StepEnd::NotSent;
        }
        match worker
            .frames
            .receive(Some(CANCEL_CHECK), &crate::cancel::is_cancelled)
        {
            Ok(Received::Frame(answer)) => StepEnd::Answer(answer),
            Ok(Received::GaveUp) => {
                kill(&mut worker.child);
                StepEnd::Cancelled
            }
            // The worker closed its end: it is exiting.
            Ok(Received::Closed) => StepEnd::Died(wait_or_kill(&mut worker.child)),
            Err(e) => {
                tracing::warn!("lost the connection to a worker: {e}");
                kill(&mut worker.child);
                StepEnd::Died(worker.child.wait())
            }
        }
    }

    /// Keeps `worker` for the next step.
    pub(crate) fn put_back(&self, worker: Worker) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(worker);
    }

    /// Tells `worker` to exit and waits for it.
    pub(crate) fn retire(mut worker: Worker) {
        let _ = worker.frames.send_json(&ToWorker::Shutdown);
        if let Err(e) = wait_or_kill(&mut worker.child) {
            tracing::warn!("cannot wait for a worker to exit: {e}");
        }
    }

    /// Retires every idle worker.
    pub(crate) fn shut_down(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in idle {
            Self::retire(worker);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Kills `child` and reaps it.
fn kill(child: &mut Child) {
    if let Err(e) = child.kill() {
        tracing::warn!("cannot stop a worker: {e}");
    }
    let _ = child.wait();
}

/// Waits for `child` to exit, killing it after [`EXIT_GRACE`].
fn wait_or_kill(child: &mut Child) -> std::io::Result<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + EXIT_GRACE;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if std::time::Instant::now() > deadline {
            tracing::warn!("a worker did not exit within {EXIT_GRACE:?}: killed");
            let _ = child.kill();
            return child.wait();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
