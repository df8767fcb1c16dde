//! The built-in tracing hook: with a trace file (`KEDRUST_TRACE_HOOKS`) every lifecycle point of every
//! process of a run appends one JSON line to the file, in a single `write` on a file opened for
//! appending, so lines of several processes never interleave.
//!
//! Keys, exactly: `seq` (per process), `hook`, `node`, `dataset`, `op`, `run_id`, `pid`, `ts_ns`.

use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Appends one line per lifecycle point to a file.
#[derive(Debug)]
pub struct Tracer {
    path: PathBuf,
    file: Mutex<File>,
    seq: AtomicU64,
}

#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    hook: &'a str,
    node: Option<&'a str>,
    dataset: Option<&'a str>,
    op: Option<&'a str>,
    run_id: &'a str,
    pid: u32,
    ts_ns: u128,
}

/// Where a lifecycle point happened.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracePoint<'a> {
    /// The node, for node and dataset hooks.
    pub node: Option<&'a str>,
    /// The dataset, for dataset hooks.
    pub dataset: Option<&'a str>,
}

impl Tracer {
    /// A tracer appending to `path`.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
            seq: AtomicU64::new(0),
        })
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the line of one lifecycle point. Tracing never fails a run: a write error is
    /// reported once on stderr.
    pub fn record(&self, hook: &str, at: TracePoint<'_>, op: Option<&str>, run_id: &str) {
        let line = Line {
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
            hook,
            node: at.node,
            dataset: at.dataset,
            op,
            run_id,
            pid: std::process::id(),
            ts_ns: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        };
        let mut text = serde_json::to_string(&line).unwrap_or_default();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = file.write_all(text.as_bytes()) {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                eprintln!(
                    "warning: cannot write the hook trace {}: {e}",
                    self.path.display()
                );
            });
        }
    }
}
