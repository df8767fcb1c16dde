//! `MemoryDataset`: a value held for the rest of the run.
//!
//! Kedro copies on every load (`deepcopy`/`copy`) so that one node cannot mutate another's
//! input. A kedrust value is immutable behind an `Arc` and a node that takes it by value gets
//! its own copy only when someone else still holds it, so sharing is always safe: every copy
//! mode shares, and the modes are accepted so Kedro catalogs read unchanged.

use crate::dataset::Dataset;
use crate::error::DatasetError;
use crate::registry::{DatasetType, Holds};
use kedrust_pipeline::Value;
use std::sync::{Arc, RwLock};

/// The copy modes Kedro accepts.
pub const COPY_MODES: [&str; 3] = ["deepcopy", "copy", "assign"];

/// A value in memory.
#[derive(Debug, Default)]
pub struct MemoryDataset {
    value: RwLock<Option<Value>>,
}

impl MemoryDataset {
    /// An empty dataset.
    pub fn new() -> Self {
        Self::default()
    }

    /// A dataset holding `value` already (parameters).
    pub fn with_value(value: Value) -> Self {
        Self {
            value: RwLock::new(Some(value)),
        }
    }
}

impl Dataset for MemoryDataset {
    fn load(&self) -> Result<Value, DatasetError> {
        let guard = self.value.read().unwrap_or_else(|e| e.into_inner());
        guard.clone().ok_or(DatasetError::NotSaved)
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        *self.value.write().unwrap_or_else(|e| e.into_inner()) = Some(value);
        Ok(())
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        Ok(self
            .value
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some())
    }

    fn release(&self) {
        *self.value.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn is_ephemeral(&self) -> bool {
        true
    }
}

pub(super) fn dataset_type() -> DatasetType {
    DatasetType::new("MemoryDataset", Holds::Any, &["copy_mode"], |spec| {
        if let Some(mode) = spec.arg::<String>("copy_mode")?
            && !COPY_MODES.contains(&mode.as_str())
        {
            return Err(format!(
                "invalid copy mode '{mode}'; possible values are {}",
                COPY_MODES.join(", ")
            ));
        }
        Ok(Arc::new(MemoryDataset::new()))
    })
}
