//! Partitioned entries: a `partitions:` definition and a path with `{partition}`, filled with
//! the run's partition key. Without a key (listing the catalog) the placeholder stays; a run
//! of a partitioned dataset is refused without one before it starts (see the framework).

use kedrust_partitions::PartitionsDef;
use serde_json::{Map, Value as Json};

/// Where a partition key goes in a dataset's path.
pub const PARTITION_PLACEHOLDER: &str = "{partition}";

/// `key` if it is one of `definition`'s keys, else why not (with the nearest key).
pub(crate) fn check_key(definition: &PartitionsDef, key: &str) -> Result<(), String> {
    match definition {
        PartitionsDef::Static(keys) if keys.iter().any(|k| k == key) => Ok(()),
        PartitionsDef::Static(keys) => Err(format!(
            "'{key}' is not one of its partition keys ({}){}",
            keys.join(", "),
            kedrust_pipeline::suggest::hint(key, keys.iter().map(String::as_str))
        )),
        PartitionsDef::TimeWindow(windows) => match windows.window(key) {
            Some(_) => Ok(()),
            None => Err(format!(
                "'{key}' is not one of its partition keys: a window start on or after the \\
                 first, written as its format writes it (the first is {})",
                windows.first_key()
            )),
        },
        PartitionsDef::Dynamic { .. } => match kedrust_partitions::invalid_key(key) {
            None => Ok(()),
            Some(why) => Err(format!("partition key {key:?} {why}")),
        },
    }
}

/// Fills `{partition}` in every string argument with `key`.
pub(crate) fn fill(args: &mut Map<String, Json>, key: &str) {
    for value in args.values_mut() {
        if let Json::String(s) = value
            && s.contains(PARTITION_PLACEHOLDER)
        {
            *s = s.replace(PARTITION_PLACEHOLDER, key);
        }
    }
}
