//! The dataset types every catalog has.

mod documents;
mod memory;
mod nothing;
mod partitioned;
mod serde_file;
mod text;

pub use memory::MemoryDataset;
pub use nothing::NothingDataset;
pub use partitioned::{Partition, PartitionMap, PartitionedDataset};

use crate::registry::Registry;

/// Registers the built-in types.
pub(crate) fn register(registry: &mut Registry) {
    registry.register(memory::dataset_type());
    registry.register(nothing::dataset_type());
    registry.register(text::text_type());
    registry.register(text::bytes_type());
    registry.register(documents::json_type());
    registry.register(documents::yaml_type());
    registry.register(serde_file::json_type());
    registry.register(serde_file::binary_type());
    registry.register(partitioned::dataset_type());
}
