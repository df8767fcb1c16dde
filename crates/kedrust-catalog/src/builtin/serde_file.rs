//! `serde.JSONDataset` and `serde.BinaryDataset` (CBOR): any project type with a registered
//! codec (`Registry::serde_type::<Model>()`), the Rust counterpart of Kedro's pickles. The
//! type comes from `data_type:` or from the nodes that read and write the dataset.

use crate::dataset::Dataset;
use crate::error::DatasetError;
use crate::file::FileTarget;
use crate::registry::{Codec, DatasetSpec, DatasetType, Holds, Registry};
use kedrust_pipeline::Value;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Json,
    Binary,
}

/// A file holding one value of a registered serde type.
#[derive(Debug)]
pub struct SerdeDataset {
    target: FileTarget,
    /// Known from `data_type:` or the pipeline, or learnt from the first value saved.
    codec: RwLock<Option<Codec>>,
    registry: Arc<Registry>,
    encoding: Encoding,
}

impl SerdeDataset {
    fn known_codec(&self) -> Option<Codec> {
        self.codec.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Dataset for SerdeDataset {
    fn discard_save(&self) -> Result<(), DatasetError> {
        self.target.discard_save()
    }

    fn load(&self) -> Result<Value, DatasetError> {
        let codec = self.known_codec().ok_or_else(|| {
            DatasetError::Other(
                "the Rust type to load is unknown: no node of the pipeline reads or writes \
                 this dataset; name it with 'data_type:'"
                    .into(),
            )
        })?;
        let (path, bytes) = self.target.read()?;
        let decode = match self.encoding {
            Encoding::Json => codec.from_json,
            Encoding::Binary => codec.from_binary,
        };
        decode(&bytes).map_err(|e| DatasetError::format(path, e))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let codec = match self.known_codec() {
            Some(codec) => codec,
            None => {
                let codec = self
                    .registry
                    .codec(value.type_tag())
                    .cloned()
                    .ok_or_else(|| {
                        DatasetError::Other(format!("{} {NO_CODEC}", value.type_tag().short_name()))
                    })?;
                *self.codec.write().unwrap_or_else(|e| e.into_inner()) = Some(codec.clone());
                codec
            }
        };
        if value.type_tag() != codec.tag() {
            return Err(DatasetError::WrongType {
                expected: codec.tag().short_name(),
                found: value.type_tag().short_name(),
            });
        }
        let encode = match self.encoding {
            Encoding::Json => codec.to_json,
            Encoding::Binary => codec.to_binary,
        };
        let bytes =
            encode(value.as_any()).map_err(|e| DatasetError::format(self.target.filepath(), e))?;
        self.target.write(|out| Ok(out.write_all(&bytes)?))
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

const NO_CODEC: &str = "has no serde codec; register it with Registry::serde_type::<T>()";

/// The codec named by `data_type:`, else the one of the pipeline's type, else none yet.
fn codec_for(spec: &DatasetSpec<'_>) -> Result<Option<Codec>, String> {
    let registered = spec.registry.codec_names();
    if let Some(name) = spec.arg::<String>("data_type")? {
        return spec
            .registry
            .codec_named(&name)
            .cloned()
            .map(Some)
            .ok_or_else(|| {
                let hint =
                    kedrust_pipeline::suggest::hint(&name, registered.iter().map(String::as_str));
                format!("data_type '{name}' {NO_CODEC}{hint}")
            });
    }
    let Some(tag) = spec.value_type else {
        return Ok(None);
    };
    spec.registry
        .codec(tag)
        .cloned()
        .map(Some)
        .ok_or_else(|| format!("{} {NO_CODEC}", tag.short_name()))
}

fn serde_type(name: &str, encoding: Encoding) -> DatasetType {
    DatasetType::new(
        name,
        Holds::Serde,
        &["filepath", "data_type", "fs_args"],
        move |spec| {
            Ok(Arc::new(SerdeDataset {
                target: FileTarget::of(spec)?,
                codec: RwLock::new(codec_for(spec)?),
                registry: Arc::clone(spec.registry),
                encoding,
            }))
        },
    )
    .versioned()
}

pub(super) fn json_type() -> DatasetType {
    serde_type("serde.JSONDataset", Encoding::Json)
}

pub(super) fn binary_type() -> DatasetType {
    serde_type("serde.BinaryDataset", Encoding::Binary)
}
