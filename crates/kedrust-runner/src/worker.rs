//! The worker's end of the process runner: a process of the project binary that reads the
//! run request once, then runs the steps the runner sends it until told to stop.

use crate::frames::{Frames, FromWorker, Received, ToWorker};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

/// The hidden command a worker runs.
pub const WORKER_COMMAND: &str = "__step_worker";

/// A worker's connection to its runner.
#[derive(Debug)]
pub struct WorkerChannel {
    frames: Frames,
}

impl WorkerChannel {
    /// The connection on this process's standard input, and the run request (the framework's
    /// options of the run) the runner sends first.
    pub fn open() -> std::io::Result<(Self, Vec<u8>)> {
        let fd = std::io::stdin().as_fd().try_clone_to_owned()?;
        // What a node starts must neither read the runner's messages nor keep the socket open
        // after this worker dies (the runner sees a death as the socket closing): standard
        // input becomes /dev/null, and the socket's own descriptor closes on exec.
        let null = std::fs::File::open("/dev/null")?;
        nix::unistd::dup2_stdin(&null).map_err(std::io::Error::from)?;
        let mut frames = Frames::new(UnixStream::from(fd));
        match frames.receive(None, &|| false)? {
            Received::Frame(request) => Ok((Self { frames }, request)),
            _ => Err(std::io::Error::other(
                "the runner closed the connection before sending the run request",
            )),
        }
    }

    /// The nodes of the next step, in order; `None` when the run needs no more (or the
    /// runner is gone).
    pub fn next_step(&mut self) -> std::io::Result<Option<Vec<String>>> {
        let frame = match self.frames.receive(None, &|| false)? {
            Received::Frame(frame) => frame,
            _ => return Ok(None),
        };
        match serde_json::from_slice(&frame).map_err(std::io::Error::other)? {
            ToWorker::Run { nodes } => Ok(Some(nodes)),
            ToWorker::Shutdown => Ok(None),
        }
    }

    /// Reports how the step went: `Err((node, message))` names the node that failed.
    pub fn report(&mut self, outcome: Result<(), (String, String)>) -> std::io::Result<()> {
        let message = match outcome {
            Ok(()) => FromWorker::Done,
            Err((node, message)) => FromWorker::Failed {
                node,
                message: kedrust_secrets::redact(&message).into_owned(),
            },
        };
        self.frames.send_json(&message)
    }
}
