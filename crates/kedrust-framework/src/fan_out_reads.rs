//! What a fan-out's copy reads of a partitioned input other than its own key's slice: the
//! keys a partition mapping gives (yesterday's, the week up to its day, a static
//! renaming), and the refusal of an input that is another entry's files written in the run.

use kedrust_catalog::Catalog;
use kedrust_partitions::{PartitionMapping, PartitionsDef};
use kedrust_pipeline::{ArgKind, ArgType, Node, TypeTag};
use std::sync::Arc;

/// How a node reads a partitioned input through the mapping it declares for the node's
/// outputs.
pub(crate) struct MappedInput {
    mapping: PartitionMapping,
    input: Arc<PartitionsDef>,
    output: Arc<PartitionsDef>,
    /// Whether a key of the output reads several keys of the input (a `PartitionMap`).
    pub(crate) several: bool,
}

impl MappedInput {
    /// How `node` reads `input`, when the input declares a mapping other than identity for
    /// the node's partitioned outputs; why it cannot be read so, naming the output.
    pub(crate) fn of(catalog: &Catalog, node: &Node, input: &str) -> Result<Option<Self>, String> {
        let Some(input_def) = catalog.partitions(input) else {
            return Ok(None);
        };
        let mut found: Option<(&String, PartitionMapping, Arc<PartitionsDef>)> = None;
        for output in node.outputs() {
            let Some(output_def) = catalog.partitions(output) else {
                continue;
            };
            let mapping = catalog
                .partition_mapping(input, output)
                .unwrap_or(PartitionMapping::Identity);
            mapping
                .check(&input_def, &output_def)
                .map_err(|why| format!("its partition mapping for '{output}': {why}"))?;
            match &found {
                Some((first, theirs, _)) if *theirs != mapping => {
                    return Err(format!(
                        "node '{}' writes '{first}' and '{output}', for which it maps \
                         differently ({theirs:?} and {mapping:?}): a copy of a fan-out reads it \
                         one way",
                        node.node_name()
                    ));
                }
                Some(_) => {}
                None => found = Some((output, mapping, output_def)),
            }
        }
        Ok(found
            .filter(|(_, mapping, _)| *mapping != PartitionMapping::Identity)
            .map(|(_, mapping, output)| Self {
                several: mapping.reads_several(&input_def, &output),
                mapping,
                input: input_def,
                output,
            }))
    }

    /// The input's keys the copy for output key `key` reads, in the input's order.
    pub(crate) fn keys(&self, key: &str) -> Result<Vec<String>, String> {
        self.mapping
            .input_keys((&self.input, &self.output), key, chrono::Utc::now())
    }
}

/// How a node takes several partitions of one input, in a fan-out's copy or its fan-in.
pub(crate) enum Several {
    /// As `Partitions<T>`, gathered from the slices: the node runs after the copies that
    /// write them.
    Gathered,
    /// As the catalog's lazy `PartitionMap`, for data the run does not write.
    LazyMap,
}

impl Several {
    /// How a node whose argument is `arg` takes several partitions, the run writing them or
    /// not (`written`); `None` when it cannot.
    pub(crate) fn of(arg: &ArgType, written: bool) -> Option<Self> {
        if arg.kind == ArgKind::Partitions {
            Some(Self::Gathered)
        } else if arg.held == TypeTag::of::<kedrust_catalog::PartitionMap>() && !written {
            Some(Self::LazyMap)
        } else {
            None
        }
    }
}

/// A dataset the run writes whose files `input` (which the run does not write) also names:
/// the copies reading `input` would not wait for the ones writing them.
pub(crate) fn written_under_another_name<'a>(
    catalog: &Catalog,
    input: &str,
    written: impl IntoIterator<Item = &'a String>,
) -> Option<&'a String> {
    let files = |name: &str| {
        let config = catalog.resolve(name)?.config?;
        config.get("filepath")?.as_str().map(str::to_owned)
    };
    let ours = files(input)?;
    written
        .into_iter()
        .find(|w| w.as_str() != input && files(w).as_deref() == Some(ours.as_str()))
}
