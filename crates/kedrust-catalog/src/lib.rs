//! The data catalog.
//!
//! Owns: the dataset contract ([`Dataset`]) and the registry of dataset types, the built-in
//! types (memory, nothing, text, bytes, JSON and YAML documents, serde JSON and CBOR files,
//! partitioned folders), reading the `catalog` config group (entries and factory patterns
//! ranked as Kedro ranks them), parameters as `params:` datasets, credentials, versioning
//! (`<filepath>/<version>/<basename>`), atomic saves, and binding a catalog to a pipeline:
//! the check, before the run, that each dataset stores the Rust type its nodes use.
//!
//! Must never: depend on Polars (DataFrame datasets live in `kedrust-polars`), schedule
//! nodes or fire hooks. Datasets never write in place: a save goes to a temporary file that
//! is renamed over the target.

mod atomic;
mod bind;
mod builtin;
mod catalog;
mod data_version;
mod dataset;
mod entries;
mod error;
mod file;
mod kedro_types;
mod leftovers;
mod partition;
mod pattern;
mod registry;
mod remote;
mod typed;
mod version;

pub use atomic::{WriteError, write_bytes, write_file};
pub use builtin::{MemoryDataset, NothingDataset, Partition, PartitionMap, PartitionedDataset};
pub use catalog::{
    Catalog, CatalogBuilder, MappedRead, Resolution, Source, UnmatchedPattern, parameter_datasets,
    parse_load_versions,
};
pub use dataset::{Dataset, expect_arc, expect_ref};
pub use error::{CatalogError, ConfigProblem, ConfigProblems, DatasetError, Operation};
pub use file::{FileTarget, Readable};
pub use partition::PARTITION_PLACEHOLDER;
pub use pattern::{Candidate, Captures, Pattern};
pub use registry::{Codec, DatasetSpec, DatasetType, Describer, Holds, Registry};
pub use remote::{Remote, is_url};
pub use typed::{DatasetContext, TypedDataset, dataset_type};
pub use version::{Versioning, check_version, new_version, timestamp};
