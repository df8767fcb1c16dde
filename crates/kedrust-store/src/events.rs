//! Events, named as Dagster names them so that a run reads the same here and on Dagster.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Dagster's event kinds that kedrust records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// The run started.
    RunStart,
    /// Every op succeeded.
    RunSuccess,
    /// The run failed.
    RunFailure,
    /// The run was cancelled.
    RunCanceled,
    /// An op started.
    StepStart,
    /// An op succeeded.
    StepSuccess,
    /// An op failed.
    StepFailure,
    /// An op failed and will be retried.
    StepUpForRetry,
    /// A retry of an op started.
    StepRestarted,
    /// An op was not run because an upstream op failed.
    StepSkipped,
    /// A persisted dataset was written.
    AssetMaterialization,
    /// A pipeline-level hook point completed.
    HookCompleted,
    /// A pipeline-level hook point failed.
    HookErrored,
    /// A log line.
    LogMessage,
    /// Something the orchestrator did (orphan found, resume, ...).
    EngineEvent,
}

impl EventKind {
    /// The name stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RunStart => "RUN_START",
            Self::RunSuccess => "RUN_SUCCESS",
            Self::RunFailure => "RUN_FAILURE",
            Self::RunCanceled => "RUN_CANCELED",
            Self::StepStart => "STEP_START",
            Self::StepSuccess => "STEP_SUCCESS",
            Self::StepFailure => "STEP_FAILURE",
            Self::StepUpForRetry => "STEP_UP_FOR_RETRY",
            Self::StepRestarted => "STEP_RESTARTED",
            Self::StepSkipped => "STEP_SKIPPED",
            Self::AssetMaterialization => "ASSET_MATERIALIZATION",
            Self::HookCompleted => "HOOK_COMPLETED",
            Self::HookErrored => "HOOK_ERRORED",
            Self::LogMessage => "LOG_MESSAGE",
            Self::EngineEvent => "ENGINE_EVENT",
        }
    }

    /// The kind stored under `name`.
    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(Json::String(name.to_owned())).ok()
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Its position in the store (increasing).
    pub id: i64,
    /// The run.
    pub run_id: String,
    /// Nanoseconds since the epoch.
    pub ts_ns: i64,
    /// What happened.
    pub kind: EventKind,
    /// The op it happened in.
    pub op: Option<String>,
    /// Words.
    pub message: String,
    /// Structured details (a dataset's path, an error, the process id).
    pub metadata: Json,
}
