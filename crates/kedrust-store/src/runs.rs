//! Runs and their status.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Running (or orphaned, when its heartbeat stopped).
    Started,
    /// Every op succeeded.
    Success,
    /// Something failed.
    Failure,
    /// Cancelled by the user.
    Canceled,
}

impl RunStatus {
    /// The name stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "STARTED",
            Self::Success => "SUCCESS",
            Self::Failure => "FAILURE",
            Self::Canceled => "CANCELED",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "SUCCESS" => Self::Success,
            "FAILURE" => Self::Failure,
            "CANCELED" => Self::Canceled,
            _ => Self::Started,
        }
    }
}

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// The run id (also the save version).
    pub run_id: String,
    /// The job (`run` for an ad-hoc run).
    pub job: String,
    /// The options to rebuild the run (for resume and for the orphan's failure hook).
    pub options: Json,
    /// The plan.
    pub plan: Json,
    /// The run this one resumes.
    pub parent_run_id: Option<String>,
    /// The process id of the process that records it.
    pub pid: u32,
    /// Who keeps the run alive (and so who may declare it dead).
    pub keeper: crate::Keeper,
    /// Dagster-style run tags (`dagster/schedule_name`, `kedrust/env`, ...).
    pub tags: std::collections::BTreeMap<String, String>,
}

/// A recorded run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// The run id.
    pub run_id: String,
    /// The job.
    pub job: String,
    /// Where it is.
    pub status: RunStatus,
    /// When it started (ns since the epoch).
    pub started_ns: i64,
    /// When it ended.
    pub ended_ns: Option<i64>,
    /// The orchestrator's last sign of life.
    pub heartbeat_ns: i64,
    /// The orchestrator's process id.
    pub pid: u32,
    /// Who keeps it alive: `process` (an embedded orchestrator) or an external orchestrator
    /// (`dagster`).
    pub keeper: String,
    /// The heartbeat interval of its orchestrator process, in milliseconds.
    pub heartbeat_ms: i64,
    /// The host (and process namespace) its orchestrator ran on.
    pub host: String,
    /// When its orchestrator process started, to tell it from a later process with its id.
    pub pid_start: Option<u64>,
    /// The run it resumes.
    pub parent_run_id: Option<String>,
    /// Its tags.
    pub tags: std::collections::BTreeMap<String, String>,
    /// The options.
    pub options: Json,
    /// The plan.
    pub plan: Json,
}

impl RunRecord {
    /// The partition key the run ran, when it ran one (its `dagster/partition` tag).
    pub fn partition(&self) -> Option<&str> {
        self.tags.get(crate::PARTITION_TAG).map(String::as_str)
    }
}
