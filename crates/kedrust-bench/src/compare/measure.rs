//! Wall time and peak memory of a command, measured from outside: GNU time (`/usr/bin/time`,
//! Debian's `time` package) reports the peak resident set of the process (the largest of its
//! processes for one that forks); without it, memory is not reported.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One measured run of a command.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Wall time, from spawn to exit.
    pub wall: Duration,
    /// Peak resident set in KiB, when GNU time is installed.
    pub peak_kib: Option<u64>,
}

const GNU_TIME: &str = "/usr/bin/time";

/// How a limited run ended.
pub enum Outcome {
    /// It exited successfully: its sample and stdout.
    Done(Sample, String),
    /// It was still running at the limit and was killed (with its process group).
    Stopped,
}

/// Runs `command` to completion (it must succeed); its wall time, peak memory and stdout.
pub fn run(command: Command) -> Result<(Sample, String), String> {
    match run_limited(command, Duration::MAX)? {
        Outcome::Done(sample, out) => Ok((sample, out)),
        Outcome::Stopped => unreachable!("no limit"),
    }
}

/// Runs `command`, killing it (and every process it started) once `limit` has passed.
pub fn run_limited(mut command: Command, limit: Duration) -> Result<Outcome, String> {
    let report = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let stdout = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let stderr = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let wrapped = Path::new(GNU_TIME).is_file();
    let mut actual = if wrapped {
        let mut c = Command::new(GNU_TIME);
        c.arg("-f").arg("%M").arg("-o").arg(report.path());
        c.arg(command.get_program()).args(command.get_args());
        if let Some(dir) = command.get_current_dir() {
            c.current_dir(dir);
        }
        for (key, value) in command.get_envs() {
            match value {
                Some(v) => c.env(key, v),
                None => c.env_remove(key),
            };
        }
        c
    } else {
        std::mem::replace(&mut command, Command::new("true"))
    };
    let file = |f: &tempfile::NamedTempFile| f.reopen().map_err(|e| e.to_string());
    actual.stdout(file(&stdout)?).stderr(file(&stderr)?);
    std::os::unix::process::CommandExt::process_group(&mut actual, 0);
    let start = Instant::now();
    let mut child = actual
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", actual.get_program()))?;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > limit {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            return Ok(Outcome::Stopped);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = start.elapsed();
    if !status.success() {
        // Some tools (Dagster) say why they failed on stdout, others on stderr.
        let tail = |f: &tempfile::NamedTempFile| {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        return Err(format!(
            "{:?} failed ({status}):\n{}\n{}",
            actual.get_args().collect::<Vec<_>>(),
            tail(&stdout),
            tail(&stderr)
        ));
    }
    let peak_kib = wrapped
        .then(|| std::fs::read_to_string(report.path()).ok())
        .flatten()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()));
    Ok(Outcome::Done(
        Sample { wall, peak_kib },
        std::fs::read_to_string(stdout.path()).unwrap_or_default(),
    ))
}

/// The median sample of `repeat` runs of `make()` (by wall time), with the highest peak seen.
pub fn median(repeat: usize, mut make: impl FnMut() -> Command) -> Result<Sample, String> {
    let mut samples = Vec::new();
    for _ in 0..repeat.max(1) {
        samples.push(run(make())?.0);
    }
    let peak = samples.iter().filter_map(|s| s.peak_kib).max();
    samples.sort_by_key(|s| s.wall);
    Ok(Sample {
        wall: samples[samples.len() / 2].wall,
        peak_kib: peak,
    })
}
