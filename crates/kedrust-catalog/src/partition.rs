//! Partitioned entries: a `partitions:` definition and a path with `{partition}`, filled with
//! the run's partition key. Without a key (listing the catalog) the placeholder stays; a run
//! of a partitioned dataset is refused without one before it starts (see the framework).
//! A partitioned input may read other keys than the run's through a `partition_mapping`
//! (the framework works them out per node): one key fills its path, several make it a
//! [`PartitionMap`].

use crate::builtin::{Partition, PartitionMap};
use crate::dataset::Dataset;
use crate::error::DatasetError;
use kedrust_partitions::PartitionMapping;
use kedrust_pipeline::Value;
use serde_json::{Map, Value as Json};
use std::sync::Arc;

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

/// The key of a partitioned entry's mappings: output dataset name (or pattern) to mapping,
/// as kedro-dagster's `partition_mapping` is written.
pub(crate) const MAPPING_KEY: &str = "partition_mapping";

/// Every problem of an entry's `partition_mapping`, each a sentence.
pub(crate) fn mapping_problems(value: &Json) -> Vec<String> {
    let Json::Object(map) = value else {
        return vec![format!(
            "'{MAPPING_KEY}' maps output dataset names or patterns to mappings, not {value}"
        )];
    };
    let mut problems = Vec::new();
    for (output, mapping) in map {
        if let Err(e) = crate::Pattern::parse(output) {
            problems.push(format!("'{MAPPING_KEY}.{output}': {e}"));
        }
        if let Err(found) = PartitionMapping::from_config(mapping) {
            problems.extend(
                found
                    .into_iter()
                    .map(|m| format!("'{MAPPING_KEY}.{output}': {m}")),
            );
        }
    }
    problems
}

/// The mapping an entry's `partition_mapping` gives output `output`: the one written under
/// its name exactly (dotted and namespaced names as the catalog writes them), else the one
/// under a pattern it matches.
pub(crate) fn mapping_for(value: &Json, output: &str) -> Option<PartitionMapping> {
    let map = value.as_object()?;
    let config = map.get(output).or_else(|| {
        map.iter()
            .find(|(key, _)| {
                crate::Pattern::parse(key)
                    .ok()
                    .flatten()
                    .is_some_and(|p| p.matches(output).is_some())
            })
            .map(|(_, config)| config)
    })?;
    PartitionMapping::from_config(config).ok()
}

/// Several partitions of one input, as a mapping gives them to a node: a [`PartitionMap`]
/// whose partitions load when the node asks for them.
#[derive(Debug)]
pub(crate) struct MappedPartitions {
    pub(crate) parts: Vec<(String, Arc<dyn Dataset>)>,
}

impl Dataset for MappedPartitions {
    fn load(&self) -> Result<Value, DatasetError> {
        let mut map = PartitionMap::new();
        for (key, dataset) in &self.parts {
            let dataset = Arc::clone(dataset);
            map.insert_partition(key, Partition::Lazy(Arc::new(move || dataset.load())));
        }
        Ok(Value::new(map))
    }

    fn save(&self, _: Value) -> Result<(), DatasetError> {
        Err(DatasetError::Other(
            "it is read through a partition mapping, several partitions at once; a node writes \
             one partition of it, under its own name"
                .into(),
        ))
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        for (_, dataset) in &self.parts {
            if !dataset.exists()? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
