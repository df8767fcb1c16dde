//! `json.JSONDataset` and `yaml.YAMLDataset`: documents of any shape, as
//! `serde_json::Value`. For a typed document use the serde datasets.

use crate::dataset::{Dataset, expect_ref};
use crate::error::DatasetError;
use crate::file::FileTarget;
use crate::registry::{DatasetType, Holds};
use kedrust_pipeline::{TypeTag, Value};
use serde_json::Value as Json;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, Copy)]
enum Syntax {
    Json,
    Yaml,
}

/// A JSON or YAML document.
#[derive(Debug)]
pub struct DocumentDataset {
    target: FileTarget,
    syntax: Syntax,
}

impl Dataset for DocumentDataset {
    fn discard_save(&self) -> Result<(), DatasetError> {
        self.target.discard_save()
    }

    fn load(&self) -> Result<Value, DatasetError> {
        let (path, bytes) = self.target.read()?;
        let doc: Json = match self.syntax {
            Syntax::Json => {
                serde_json::from_slice(&bytes).map_err(|e| DatasetError::format(&path, e))?
            }
            Syntax::Yaml => {
                let text = String::from_utf8(bytes).map_err(|e| DatasetError::format(&path, e))?;
                serde_saphyr::from_str(&text).map_err(|e| DatasetError::format(&path, e))?
            }
        };
        Ok(Value::new(doc))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let doc = expect_ref::<Json>(&value)?;
        let syntax = self.syntax;
        self.target.write(|out| {
            match syntax {
                Syntax::Json => {
                    serde_json::to_writer_pretty(&mut *out, doc)?;
                    out.write_all(b"\n")?;
                }
                Syntax::Yaml => out.write_all(serde_saphyr::to_string(doc)?.as_bytes())?,
            }
            Ok(())
        })
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

fn document_type(name: &str, syntax: Syntax) -> DatasetType {
    DatasetType::new(
        name,
        Holds::Fixed(TypeTag::of::<Json>()),
        &["filepath", "fs_args"],
        move |spec| {
            Ok(Arc::new(DocumentDataset {
                target: FileTarget::of(spec)?,
                syntax,
            }))
        },
    )
    .versioned()
}

pub(super) fn json_type() -> DatasetType {
    document_type("json.JSONDataset", Syntax::Json)
}

pub(super) fn yaml_type() -> DatasetType {
    document_type("yaml.YAMLDataset", Syntax::Yaml)
}
