//! `NothingDataset`: an edge that orders two nodes and carries no data. The producer returns
//! `()`, the consumer takes `()`; nothing is stored.

use crate::dataset::Dataset;
use crate::error::DatasetError;
use crate::registry::{DatasetType, Holds};
use kedrust_pipeline::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A dataset with no data.
#[derive(Debug, Default)]
pub struct NothingDataset {
    saved: AtomicBool,
}

impl Dataset for NothingDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        Ok(Value::new(()))
    }

    fn save(&self, _value: Value) -> Result<(), DatasetError> {
        self.saved.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        Ok(self.saved.load(Ordering::Relaxed))
    }

    fn is_ephemeral(&self) -> bool {
        true
    }
}

pub(super) fn dataset_type() -> DatasetType {
    DatasetType::new("NothingDataset", Holds::Nothing, &[], |_| {
        Ok(Arc::new(NothingDataset::default()))
    })
}
