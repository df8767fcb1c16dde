//! The messages between the process runner and its workers: length-prefixed JSON over a
//! Unix socket that is the worker's standard input. A worker's standard output and error stay
//! the terminal's, so that what nodes print and log is never mistaken for a message.

use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// What the runner asks of a worker, after the run request (the first frame, as it is).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ToWorker {
    /// Run these nodes, in order: one node, or a group's.
    Run { nodes: Vec<String> },
    /// The run needs no more steps: exit.
    Shutdown,
}

/// A worker's answer to `Run`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum FromWorker {
    /// Every node of the step ran.
    Done,
    /// `node` failed, and why (secrets already redacted).
    Failed { node: String, message: String },
}

/// What one wait for a frame gave.
pub(crate) enum Received {
    Frame(Vec<u8>),
    /// The other side closed its end (a worker that exited or died).
    Closed,
    /// The caller stopped waiting.
    GaveUp,
}

/// One end of the socket, with what has been read of the next frame.
#[derive(Debug)]
pub(crate) struct Frames {
    stream: UnixStream,
    pending: Vec<u8>,
}

impl Frames {
    pub(crate) fn new(stream: UnixStream) -> Self {
        Self {
            stream,
            pending: Vec::new(),
        }
    }

    pub(crate) fn send(&mut self, payload: &[u8]) -> std::io::Result<()> {
        let len = u32::try_from(payload.len())
            .map_err(|_| std::io::Error::other("a message over 4 GiB"))?;
        let mut frame = Vec::with_capacity(4 + payload.len());
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame)
    }

    pub(crate) fn send_json(&mut self, message: &impl Serialize) -> std::io::Result<()> {
        self.send(&serde_json::to_vec(message).map_err(std::io::Error::other)?)
    }

    /// The next frame. Waiting, it asks `give_up` every `every` (none: waits without asking).
    pub(crate) fn receive(
        &mut self,
        every: Option<Duration>,
        give_up: &dyn Fn() -> bool,
    ) -> std::io::Result<Received> {
        self.stream.set_read_timeout(every)?;
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(frame) = self.take_frame() {
                return Ok(Received::Frame(frame));
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(Received::Closed),
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if give_up() {
                        return Ok(Received::GaveUp);
                    }
                }
                // A peer that died mid-write resets the connection: it closed.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Ok(Received::Closed);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn take_frame(&mut self) -> Option<Vec<u8>> {
        let len: [u8; 4] = self.pending.get(..4)?.try_into().ok()?;
        let len = u32::from_le_bytes(len) as usize;
        if self.pending.len() < 4 + len {
            return None;
        }
        let frame = self.pending[4..4 + len].to_vec();
        self.pending.drain(..4 + len);
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_arrive_whole_and_in_order_however_the_bytes_are_split() {
        let (a, b) = UnixStream::pair().unwrap();
        let mut ours = Frames::new(a);
        let mut theirs = Frames::new(b);
        let big = vec![7u8; 100_000];
        let writer = std::thread::spawn(move || {
            theirs.send(b"request").unwrap();
            theirs.send(&big).unwrap();
            theirs.send_json(&FromWorker::Done).unwrap();
        });
        let mut got = Vec::new();
        for _ in 0..3 {
            match ours.receive(None, &|| false).unwrap() {
                Received::Frame(f) => got.push(f),
                _ => panic!("a frame was expected"),
            }
        }
        writer.join().unwrap();
        assert_eq!(got[0], b"request");
        assert_eq!(got[1].len(), 100_000);
        assert!(matches!(
            serde_json::from_slice(&got[2]).unwrap(),
            FromWorker::Done
        ));
        assert!(matches!(
            ours.receive(None, &|| false).unwrap(),
            Received::Closed
        ));
    }

    #[test]
    fn a_wait_can_be_given_up() {
        let (a, _b) = UnixStream::pair().unwrap();
        let mut ours = Frames::new(a);
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let give_up = || asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 2;
        assert!(matches!(
            ours.receive(Some(Duration::from_millis(1)), &give_up)
                .unwrap(),
            Received::GaveUp
        ));
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
