//! Partitions as the code location builds them: a definition as the Dagster class and the
//! keyword arguments to call it with, and a partition mapping likewise.

use kedrust_partitions::{Cadence, PartitionMapping, PartitionsDef};
use serde_json::{Value as Json, json};

/// `{"class": <dagster class>, "args": {...}}` for `def`.
pub fn partitions_spec(def: &PartitionsDef) -> Json {
    match def {
        PartitionsDef::Static(keys) => {
            json!({"class": "StaticPartitionsDefinition", "args": {"partition_keys": keys}})
        }
        PartitionsDef::Dynamic { name } => {
            json!({"class": "DynamicPartitionsDefinition", "args": {"name": name}})
        }
        PartitionsDef::TimeWindow(windows) => {
            let s = windows.settings();
            let mut args = json!({
                "start_date": s.start, "end_date": s.end, "timezone": s.timezone, "fmt": s.fmt,
                "minute_offset": s.minute_offset, "end_offset": s.end_offset,
            });
            let class = match windows.cadence() {
                Cadence::Hourly => "HourlyPartitionsDefinition",
                Cadence::Daily => "DailyPartitionsDefinition",
                Cadence::Weekly => "WeeklyPartitionsDefinition",
                Cadence::Monthly => "MonthlyPartitionsDefinition",
            };
            if windows.cadence() != Cadence::Hourly {
                args["hour_offset"] = s.hour_offset.into();
            }
            if matches!(windows.cadence(), Cadence::Weekly | Cadence::Monthly) {
                args["day_offset"] = s.day_offset.into();
            }
            json!({"class": class, "args": args})
        }
    }
}

/// `{"class": <dagster class>, "args": {...}}` for `mapping`.
pub fn mapping_spec(mapping: &PartitionMapping) -> Json {
    match mapping {
        PartitionMapping::Identity => json!({"class": "IdentityPartitionMapping", "args": {}}),
        PartitionMapping::All => json!({"class": "AllPartitionMapping", "args": {}}),
        PartitionMapping::Last => json!({"class": "LastPartitionMapping", "args": {}}),
        PartitionMapping::Static(map) => json!({
            "class": "StaticPartitionMapping",
            "args": {"downstream_partition_keys_by_upstream_partition_key": map},
        }),
        PartitionMapping::TimeWindow {
            start_offset,
            end_offset,
        } => json!({
            "class": "TimeWindowPartitionMapping",
            // kedrust reads the windows that exist (a trailing week on the second day is two
            // days) and refuses a key for which none does; Dagster is told the same.
            "args": {
                "start_offset": start_offset, "end_offset": end_offset,
                "allow_nonexistent_upstream_partitions": true,
            },
        }),
    }
}
