//! `text.TextDataset` (a `String` in UTF-8) and `bytes.BytesDataset` (a `Vec<u8>`).

use crate::dataset::{Dataset, expect_ref};
use crate::error::DatasetError;
use crate::file::FileTarget;
use crate::registry::{DatasetType, Holds};
use kedrust_pipeline::{TypeTag, Value};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// A UTF-8 text file.
#[derive(Debug)]
pub struct TextDataset {
    target: FileTarget,
}

impl Dataset for TextDataset {
    fn discard_save(&self) -> Result<(), DatasetError> {
        self.target.discard_save()
    }

    fn load(&self) -> Result<Value, DatasetError> {
        let (path, bytes) = self.target.read()?;
        String::from_utf8(bytes)
            .map(Value::new)
            .map_err(|e| DatasetError::format(path, e))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let text = expect_ref::<String>(&value)?;
        self.target.write(|out| Ok(out.write_all(text.as_bytes())?))
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        self.target.exists()
    }

    fn path(&self) -> Option<&Path> {
        Some(self.target.filepath())
    }

    fn data_version(&self) -> Option<String> {
        self.target.data_version()
    }
}

/// A file of raw bytes.
#[derive(Debug)]
pub struct BytesDataset {
    target: FileTarget,
}

impl Dataset for BytesDataset {
    fn discard_save(&self) -> Result<(), DatasetError> {
        self.target.discard_save()
    }

    fn load(&self) -> Result<Value, DatasetError> {
        Ok(Value::new(self.target.read()?.1))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let bytes = expect_ref::<Vec<u8>>(&value)?;
        self.target.write(|out| Ok(out.write_all(bytes)?))
    }

    fn exists(&self) -> Result<bool, DatasetError> {
        self.target.exists()
    }

    fn path(&self) -> Option<&Path> {
        Some(self.target.filepath())
    }

    fn data_version(&self) -> Option<String> {
        self.target.data_version()
    }
}

pub(super) fn text_type() -> DatasetType {
    DatasetType::new(
        "text.TextDataset",
        Holds::Fixed(TypeTag::of::<String>()),
        &["filepath", "fs_args"],
        |spec| {
            Ok(Arc::new(TextDataset {
                target: FileTarget::of(spec)?,
            }))
        },
    )
    .versioned()
}

pub(super) fn bytes_type() -> DatasetType {
    DatasetType::new(
        "bytes.BytesDataset",
        Holds::Fixed(TypeTag::of::<Vec<u8>>()),
        &["filepath", "fs_args"],
        |spec| {
            Ok(Arc::new(BytesDataset {
                target: FileTarget::of(spec)?,
            }))
        },
    )
    .versioned()
}
