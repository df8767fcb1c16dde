//! `polars.ExcelDataset`: one sheet of an `.xlsx` workbook as a DataFrame, with the keys of
//! Kedro's `pandas.ExcelDataset` that apply. calamine reads, rust_xlsxwriter writes. As in
//! Kedro, `load_args.sheet_name: null` (every sheet) or a list of sheets makes the dataset a
//! map of sheet names to DataFrames (`BTreeMap<String, DataFrame>`), loaded and saved whole.
//!
//! Column types are read as pandas reads them (see [`columns`]); empty cells are nulls.

mod columns;
mod sheet;

use crate::frame::{FrameFormat, frame_type};
use calamine::Reader;
use kedrust_catalog::{
    Dataset, DatasetError, DatasetSpec, DatasetType, FileTarget, Holds, expect_ref,
};
use kedrust_pipeline::{TypeTag, Value};
use polars::prelude::*;
use serde::{Deserialize, Deserializer};
use sheet::read_sheet;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

/// Several sheets, by name: what an entry with `sheet_name: null` or a list holds.
pub type Sheets = BTreeMap<String, DataFrame>;

/// A sheet by name or by position.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Sheet {
    Index(usize),
    Name(String),
}

/// `load_args.sheet_name`: `null` is every sheet, as in pandas.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum SheetChoice {
    Several(Vec<Sheet>),
    One(Sheet),
    All(()),
}

/// A key that is present, `null` included (absent is `None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SheetChoice>, D::Error> {
    SheetChoice::deserialize(d).map(Some)
}

/// `load_args`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LoadArgs {
    /// The sheet (default: the first), `null` for every sheet, or a list of sheets.
    #[serde(deserialize_with = "present")]
    sheet_name: Option<SheetChoice>,
    /// The row of the column names, counted from the sheet's first row with data (default 0).
    header: Option<usize>,
    /// At most this many data rows.
    nrows: Option<usize>,
}

/// `save_args`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SaveArgs {
    /// The sheet's name (default `Sheet1`, as pandas names it).
    sheet_name: Option<String>,
    /// pandas writes its index unless told not to; a DataFrame has none, so only `false`
    /// is accepted.
    index: Option<bool>,
}

#[derive(Debug)]
struct Excel {
    load: LoadArgs,
    save: SaveArgs,
}

impl FrameFormat for Excel {
    fn read(&self, path: &Path) -> PolarsResult<DataFrame> {
        let sheet = match &self.load.sheet_name {
            Some(SheetChoice::One(sheet)) => Some(sheet),
            _ => None,
        };
        let mut book = calamine::open_workbook_auto(path).map_err(|e| excel_error(&e))?;
        let name = sheet_name(&book.sheet_names(), sheet)?;
        read_sheet(&mut book, &name, self.load.header, self.load.nrows)
    }

    fn write(&self, frame: &mut DataFrame, out: &mut BufWriter<File>) -> PolarsResult<()> {
        let sheet = self.save.sheet_name.as_deref().unwrap_or("Sheet1");
        out.write_all(&excel_bytes(frame, sheet)?)?;
        Ok(())
    }
}

/// A workbook whose entry asks for several sheets: a [`Sheets`] map, loaded and saved whole.
#[derive(Debug)]
struct ExcelSheets {
    target: FileTarget,
    load: LoadArgs,
}

impl Dataset for ExcelSheets {
    fn load(&self) -> Result<Value, DatasetError> {
        let file = self.target.readable()?;
        let path = file.shown().to_owned();
        let mut book = calamine::open_workbook_auto(file.path())
            .map_err(|e| DatasetError::format(path.clone(), excel_error(&e)))?;
        let names = book.sheet_names();
        let wanted: Vec<String> = match &self.load.sheet_name {
            Some(SheetChoice::Several(sheets)) => sheets
                .iter()
                .map(|s| sheet_name(&names, Some(s)))
                .collect::<PolarsResult<_>>()
                .map_err(|e| DatasetError::format(path.clone(), e))?,
            _ => names,
        };
        let mut sheets = Sheets::new();
        for name in wanted {
            let frame = read_sheet(&mut book, &name, self.load.header, self.load.nrows)
                .map_err(|e| DatasetError::format(path.clone(), e))?;
            sheets.insert(name, frame);
        }
        Ok(Value::new(sheets))
    }

    fn save(&self, value: Value) -> Result<(), DatasetError> {
        let sheets = expect_ref::<Sheets>(&value)?;
        let bytes = workbook_bytes(sheets.iter().map(|(n, f)| (n.as_str(), f)))
            .map_err(|e| DatasetError::format(self.target.filepath().to_owned(), e))?;
        self.target
            .write(|out| out.write_all(&bytes).map_err(Into::into))
    }

    crate::frame::file_target_methods!();
}

fn excel_error(e: &dyn std::fmt::Display) -> PolarsError {
    polars_err!(ComputeError: "{e}")
}

/// The name of `sheet` among the workbook's `names` (the first when `None`).
fn sheet_name(names: &[String], sheet: Option<&Sheet>) -> PolarsResult<String> {
    match sheet {
        None => names.first().cloned(),
        Some(Sheet::Index(i)) => names.get(*i).cloned(),
        Some(Sheet::Name(n)) => names.iter().find(|s| *s == n).cloned(),
    }
    .ok_or_else(|| {
        excel_error(&format!(
            "no sheet {} (sheets: {})",
            match sheet {
                Some(Sheet::Index(i)) => format!("at {i}"),
                Some(Sheet::Name(n)) => format!("'{n}'"),
                None => "at all".into(),
            },
            names.join(", ")
        ))
    })
}

/// `frame` as an `.xlsx` workbook of one sheet called `sheet`: a header row, then one row per
/// row of the frame (numbers as numbers, booleans as booleans, nulls as empty cells).
pub fn excel_bytes(frame: &DataFrame, sheet: &str) -> PolarsResult<Vec<u8>> {
    workbook_bytes([(sheet, frame)])
}

/// An `.xlsx` workbook with one sheet per `(name, frame)`, in order.
fn workbook_bytes<'a>(
    sheets: impl IntoIterator<Item = (&'a str, &'a DataFrame)>,
) -> PolarsResult<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (sheet, frame) in sheets {
        let worksheet = book.add_worksheet();
        worksheet.set_name(sheet).map_err(|e| excel_error(&e))?;
        write_sheet(worksheet, frame)?;
    }
    book.save_to_buffer().map_err(|e| excel_error(&e))
}

fn write_sheet(worksheet: &mut rust_xlsxwriter::Worksheet, frame: &DataFrame) -> PolarsResult<()> {
    for (j, column) in frame.columns().iter().enumerate() {
        let col = u16::try_from(j).map_err(|e| excel_error(&e))?;
        worksheet
            .write_string(0, col, column.name().as_str())
            .map_err(|e| excel_error(&e))?;
        let series = column.as_materialized_series();
        for (i, value) in series.iter().enumerate() {
            let row = u32::try_from(i + 1).map_err(|e| excel_error(&e))?;
            let written = match value {
                AnyValue::Null => continue,
                AnyValue::Boolean(b) => worksheet.write_boolean(row, col, b),
                AnyValue::String(s) => worksheet.write_string(row, col, s),
                v if v.is_primitive_numeric() => {
                    worksheet.write_number(row, col, v.extract::<f64>().unwrap_or(f64::NAN))
                }
                other => worksheet.write_string(row, col, other.to_string()),
            };
            written.map_err(|e| excel_error(&e))?;
        }
    }
    Ok(())
}

/// Whether the entry's `load_args.sheet_name` asks for several sheets (`null` or a list).
fn several_sheets(entry: &serde_json::Map<String, serde_json::Value>) -> bool {
    entry
        .get("load_args")
        .and_then(|a| a.as_object())
        .and_then(|a| a.get("sheet_name"))
        .is_some_and(|s| s.is_null() || s.is_array())
}

/// The format of one sheet, from an entry's `load_args` and `save_args`.
pub(crate) fn format(spec: &DatasetSpec<'_>) -> Result<Box<dyn FrameFormat>, String> {
    if several_sheets(spec.args) {
        return Err(
            "load_args.sheet_name: one table is one sheet; name it, or use polars.ExcelDataset \
             for a map of several"
                .into(),
        );
    }
    let save: SaveArgs = spec.options("save_args")?;
    if save.index == Some(true) {
        return Err(
            "save_args.index: a DataFrame has no index to write; leave it out or set false".into(),
        );
    }
    Ok(Box::new(Excel {
        load: spec.options("load_args")?,
        save,
    }))
}

pub(crate) fn dataset_type() -> DatasetType {
    let one_sheet = frame_type("polars.ExcelDataset", format);
    let frame = one_sheet.clone();
    DatasetType::new(
        "polars.ExcelDataset",
        Holds::Fixed(TypeTag::of::<DataFrame>()),
        one_sheet.args(),
        move |spec| {
            if !several_sheets(spec.args) {
                return frame.create(spec);
            }
            let save: SaveArgs = spec.options("save_args")?;
            if save.sheet_name.is_some() {
                return Err(
                    "save_args.sheet_name: several sheets are saved under their own names (the map's keys)"
                        .into(),
                );
            }
            Ok(Arc::new(ExcelSheets {
                target: FileTarget::of(spec)?,
                load: spec.options("load_args")?,
            }) as Arc<dyn Dataset>)
        },
    )
    .versioned()
    .holding(|entry| {
        if several_sheets(entry) {
            Holds::Fixed(TypeTag::of::<Sheets>())
        } else {
            Holds::Fixed(TypeTag::of::<DataFrame>())
        }
    })
}
