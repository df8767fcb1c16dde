//! The dataset contract: load, save, exists, release. Values travel type-erased; a dataset
//! checks that what it is given is the type it stores.

use crate::error::DatasetError;
use kedrust_pipeline::{TypeTag, Value};
use std::any::Any;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Something a node reads from or writes to. Implementations are shared between threads, so
/// any state they keep (a memory value, a cached version) sits behind a lock.
pub trait Dataset: Send + Sync + fmt::Debug {
    /// Reads the data.
    fn load(&self) -> Result<Value, DatasetError>;
    /// Writes the data; a file is replaced atomically, never left half-written.
    fn save(&self, value: Value) -> Result<(), DatasetError>;
    /// Whether there is data to load.
    fn exists(&self) -> Result<bool, DatasetError>;
    /// Drops cached state (a memory dataset's value, a cached version listing).
    fn release(&self) {}
    /// Removes what a save to this run's version wrote, so that a node tried again can save
    /// that version again (a version is otherwise written once). Datasets that overwrite on
    /// every save have nothing to remove.
    fn discard_save(&self) -> Result<(), DatasetError> {
        Ok(())
    }
    /// Whether the data lives only in this process (memory, nothing).
    fn is_ephemeral(&self) -> bool {
        false
    }
    /// Where the data lives, for messages and listings.
    fn path(&self) -> Option<&Path> {
        None
    }
    /// What the last save wrote, for materialisation records, when the saved value alone
    /// cannot say (a query's rows are known once it ran); `None` leaves it to the value's
    /// type (see [`crate::Registry::describe`]).
    fn describe_saved(&self, value: &Value) -> Option<serde_json::Value> {
        let _ = value;
        None
    }
    /// A text that changes when the data changes (`None`: cannot tell): by default the size
    /// and modification time of the files at [`Dataset::path`].
    fn data_version(&self) -> Option<String> {
        self.path().and_then(crate::data_version::local)
    }
}

/// The stored value as `&T`, or a [`DatasetError::WrongType`].
pub fn expect_ref<T: Any>(value: &Value) -> Result<&T, DatasetError> {
    value
        .downcast_ref::<T>()
        .ok_or_else(|| wrong_type::<T>(value))
}

/// The stored value as `Arc<T>` without copying, or a [`DatasetError::WrongType`].
pub fn expect_arc<T: Any + Send + Sync>(value: Value) -> Result<Arc<T>, DatasetError> {
    value.downcast_arc::<T>().map_err(|v| wrong_type::<T>(&v))
}

fn wrong_type<T: Any>(value: &Value) -> DatasetError {
    DatasetError::WrongType {
        expected: TypeTag::of::<T>().short_name(),
        found: value.type_tag().short_name(),
    }
}
