//! What every DataFrame dataset shares: a file target (versioned or not), an atomic save,
//! and errors that name the path. A format only says how to read and write bytes.

use kedrust_catalog::{Dataset, DatasetError, DatasetSpec, DatasetType, FileTarget, Holds};
use kedrust_catalog::{WriteError, expect_ref};
use kedrust_pipeline::{TypeTag, Value};
use polars::prelude::{DataFrame, IntoLazy, LazyFrame, PolarsResult};
use std::fmt;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

/// One file format: how its `load_args` read a file and its `save_args` write one.
pub(crate) trait FrameFormat: Send + Sync + fmt::Debug {
    /// Reads the file at `path`.
    fn read(&self, path: &Path) -> PolarsResult<DataFrame>;
    /// Writes `frame` to `out`.
    fn write(&self, frame: &mut DataFrame, out: &mut BufWriter<File>) -> PolarsResult<()>;
    /// A query that reads the file at `path` when it runs, with the same `load_args`. Formats
    /// Polars cannot scan read the file now.
    fn scan(&self, path: &Path) -> PolarsResult<LazyFrame> {
        self.read(path).map(DataFrame::lazy)
    }
    /// Runs `query` on Polars' streaming engine straight into `file`, batch after batch, with
    /// the same `save_args`, and counts the rows written; `None` for formats Polars cannot
    /// write so.
    fn sink(&self, query: LazyFrame, file: File) -> Option<PolarsResult<usize>> {
        let _ = (query, file);
        None
    }
}

/// Runs `query` into `file` as `format`, on the streaming engine.
pub(crate) fn sink_into(
    query: LazyFrame,
    file: File,
    format: polars::prelude::FileWriteFormat,
) -> PolarsResult<()> {
    use polars::io::utils::file::Writable;
    use polars::prelude::{Engine, SinkDestination, SinkTarget, SpecialEq, UnifiedSinkArgs};
    let target = SinkTarget::Dyn(SpecialEq::new(Arc::new(std::sync::Mutex::new(Some(
        Writable::Local(file),
    )))));
    query
        .sink(
            SinkDestination::File { target },
            format,
            UnifiedSinkArgs::default(),
        )?
        .collect_with_engine(Engine::Streaming)
        .map(|_| ())
}

/// The `Dataset` methods of a dataset whose file is its `target: FileTarget` field: whether
/// it exists, where it is, its data version, and undoing this run's save.
macro_rules! file_target_methods {
    () => {
        fn exists(&self) -> Result<bool, kedrust_catalog::DatasetError> {
            self.target.exists()
        }

        fn discard_save(&self) -> Result<(), kedrust_catalog::DatasetError> {
            self.target.discard_save()
        }

        fn path(&self) -> Option<&std::path::Path> {
            Some(self.target.filepath())
        }

        fn data_version(&self) -> Option<String> {
            self.target.data_version()
        }
    };
}
pub(crate) use file_target_methods;

/// A DataFrame stored in one file.
#[derive(Debug)]
pub struct FrameDataset {
    target: FileTarget,
    format: Box<dyn FrameFormat>,
}

impl Dataset for FrameDataset {
    file_target_methods!();

    fn load(&self) -> Result<Value, DatasetError> {
        let file = self.target.readable()?;
        self.format
            .read(file.path())
            .map(Value::new)
            .map_err(|e| DatasetError::format(file.shown(), e))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        // Columns are reference-counted, so this clone copies no data.
        let mut frame = expect_ref::<DataFrame>(&value)?.clone();
        self.target.write(|out| {
            self.format
                .write(&mut frame, out)
                .map_err(|e| Box::new(e) as WriteError)
        })
    }
}

/// Builds a format from a catalog entry's `load_args` and `save_args`.
pub(crate) type FormatOf = fn(&DatasetSpec<'_>) -> Result<Box<dyn FrameFormat>, String>;

/// A dataset type `name` whose format is built from the entry by `format`.
pub(crate) fn frame_type(
    name: &str,
    format: impl Fn(&DatasetSpec<'_>) -> Result<Box<dyn FrameFormat>, String> + Send + Sync + 'static,
) -> DatasetType {
    DatasetType::new(
        name,
        Holds::Fixed(TypeTag::of::<DataFrame>()),
        &["filepath", "load_args", "save_args", "fs_args"],
        move |spec| {
            Ok(Arc::new(FrameDataset {
                target: FileTarget::of(spec)?,
                format: format(spec)?,
            }))
        },
    )
    .versioned()
}

/// A one-character option (a separator, a quote) as the byte Polars wants.
pub(crate) fn single_byte(key: &str, text: &str) -> Result<u8, String> {
    match text.as_bytes() {
        [b] => Ok(*b),
        _ => Err(format!("'{key}' must be one ASCII character, not {text:?}")),
    }
}
