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

/// Runs `command` to completion (it must succeed); its wall time, peak memory and stdout.
pub fn run(mut command: Command) -> Result<(Sample, String), String> {
    let report = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
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
    let start = Instant::now();
    let out = actual
        .output()
        .map_err(|e| format!("cannot start {:?}: {e}", actual.get_program()))?;
    let wall = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{:?} failed ({}):\n{}",
            actual.get_args().collect::<Vec<_>>(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    let peak_kib = wrapped
        .then(|| std::fs::read_to_string(report.path()).ok())
        .flatten()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()));
    Ok((
        Sample { wall, peak_kib },
        String::from_utf8_lossy(&out.stdout).into_owned(),
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
