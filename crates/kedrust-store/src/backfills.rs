//! Backfills: one run per partition key of a job, launched together and resumed together.
//! A backfill records what it was asked to run; each key's outcome is the latest run tagged
//! with the backfill and the key, so a resume never has a second copy of it to keep in step.

use serde::Serialize;
use serde_json::Value as Json;

/// The tag naming the backfill a run belongs to (Dagster's own name for it).
pub const BACKFILL_TAG: &str = "dagster/backfill";
/// The tag naming the partition key a run ran (Dagster's own name for it).
pub const PARTITION_TAG: &str = "dagster/partition";

/// A backfill as it was launched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackfillRecord {
    /// Its id.
    pub backfill_id: String,
    /// The job its runs run (`run` for a pipeline).
    pub job: String,
    /// The run options every run of it starts from (without key and run id).
    pub options: Json,
    /// The partition keys, in the order they run.
    pub keys: Vec<String>,
    /// When it was launched (ns since the epoch).
    pub created_ns: i64,
}
