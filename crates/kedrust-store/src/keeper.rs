//! Who keeps a run alive, and how to tell that it died.
//!
//! An embedded orchestrator is a process that writes a heartbeat into the store. Whether it
//! still lives is decided by its process when it ran on this host (a process stopped with
//! SIGSTOP, a slow heartbeat or a clock step do not kill it), and by its own heartbeat interval
//! otherwise. A run that an external orchestrator (Dagster) keeps is never judged here: that
//! orchestrator's monitoring fails it.

use std::time::Duration;

/// A run is an orphan when its heartbeat is older than this many of its own intervals.
pub const MISSED_HEARTBEATS: u32 = 5;

/// Who keeps a run alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keeper {
    /// An embedded orchestrator process (`run`, `schedules serve`) that writes a heartbeat
    /// every `heartbeat`.
    Process {
        /// How often it writes its heartbeat.
        heartbeat: Duration,
    },
    /// An orchestrator outside kedrust (Dagster) that detects dead runs itself.
    External {
        /// Its name, as stored (`dagster`).
        name: String,
    },
}

impl Keeper {
    /// The name stored in the `keeper` column.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Process { .. } => PROCESS,
            Self::External { name } => name,
        }
    }

    /// The heartbeat interval, for a process keeper.
    pub(crate) fn heartbeat_ms(&self) -> i64 {
        match self {
            Self::Process { heartbeat } => heartbeat.as_millis() as i64,
            Self::External { .. } => 0,
        }
    }
}

/// The `keeper` column of a run kept by an embedded orchestrator process.
pub(crate) const PROCESS: &str = "process";

/// This host and process namespace: runs recorded with the same identity name process ids
/// that can be looked up here. Empty where it cannot be known (then heartbeats decide).
pub fn this_host() -> String {
    #[cfg(target_os = "linux")]
    {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
        let namespace = std::fs::read_link("/proc/self/ns/pid").unwrap_or_default();
        if boot.trim().is_empty() {
            return String::new();
        }
        format!("{} {}", boot.trim(), namespace.display())
    }
    #[cfg(not(target_os = "linux"))]
    {
        String::new()
    }
}

/// When process `pid` started (clock ticks since boot), to tell it from a later process that
/// reuses its id; `None` when there is no such live process or it cannot be known.
pub fn process_start(pid: u32) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name may hold spaces and parentheses: fields start after the last ')'.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        // Field 3 of proc(5) is the state, field 22 the start time.
        if matches!(fields.first(), Some(&"Z" | &"X")) {
            return None;
        }
        fields.get(19)?.parse().ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// Whether the orchestrator of a started run is gone, judged as the module says.
pub(crate) fn is_gone(
    host: &str,
    pid: u32,
    pid_start: Option<u64>,
    heartbeat_ms: i64,
    heartbeat_age: Duration,
) -> bool {
    if let Some(start) = pid_start
        && !host.is_empty()
        && host == this_host()
    {
        return process_start(pid) != Some(start);
    }
    let interval = Duration::from_millis(heartbeat_ms.max(1) as u64);
    heartbeat_age > interval * MISSED_HEARTBEATS
}

/// A process that claimed something of a run, as the run store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Claimant {
    host: String,
    pid: u32,
    start: Option<u64>,
}

impl Claimant {
    /// This process.
    pub fn this_process() -> Self {
        Self::of(std::process::id())
    }

    /// Process `pid` of this host.
    pub fn of(pid: u32) -> Self {
        Self {
            host: this_host(),
            pid,
            start: process_start(pid),
        }
    }

    /// Whether it is known to be dead: only on this host, where its process can be looked up.
    pub fn is_gone(&self) -> bool {
        match self.start {
            Some(start) if !self.host.is_empty() && self.host == this_host() => {
                process_start(self.pid) != Some(start)
            }
            _ => false,
        }
    }
}

/// A run id becomes a folder name and a key in every process of the run: letters, digits,
/// `.`, `_`, `-` and `:`, at most 128 characters, not starting with a dot.
pub fn check_run_id(run_id: &str) -> Result<(), String> {
    let fine = !run_id.is_empty()
        && run_id.len() <= 128
        && !run_id.starts_with('.')
        && run_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
    if fine {
        Ok(())
    } else {
        Err(format!(
            "run id '{run_id}' is not allowed: use 1 to 128 letters, digits, '.', '_', '-' or \
             ':', not starting with '.'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_that_could_leave_the_state_folder_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "../runs.db",
            "/etc",
            ".hidden",
            "a\\b",
            "a b",
        ] {
            assert!(check_run_id(bad).is_err(), "{bad:?}");
        }
        for good in [
            "2026-11-29T21.08.16.123Z",
            "6f1c2d3e-aaaa-bbbb-cccc-0123456789ab",
            "a:b_c.d",
        ] {
            assert!(check_run_id(good).is_ok(), "{good:?}");
        }
        assert!(check_run_id(&"x".repeat(129)).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_live_process_is_told_from_a_dead_one_by_its_start_time() {
        let me = process_start(std::process::id()).expect("this process");
        assert!(!is_gone(
            &this_host(),
            std::process::id(),
            Some(me),
            1,
            Duration::from_secs(3600)
        ));
        // The same id with another start time is another process: the recorded one is gone.
        assert!(is_gone(
            &this_host(),
            std::process::id(),
            Some(me + 1),
            1_000_000,
            Duration::ZERO
        ));
    }

    #[test]
    fn elsewhere_the_runs_own_heartbeat_interval_decides() {
        let age = Duration::from_millis(300);
        assert!(!is_gone("another host", 1, Some(1), 3000, age));
        assert!(is_gone("another host", 1, Some(1), 50, age));
    }
}
