//! Partitioned entries: a `partitions:` definition and a path with `{partition}`, filled with
//! the run's partition key. Without a key (listing the catalog) the placeholder stays; a run
//! of a partitioned dataset is refused without one before it starts (see the framework).

use serde_json::{Map, Value as Json};

/// Where a partition key goes in a dataset's path.
pub const PARTITION_PLACEHOLDER: &str = "{partition}";

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
