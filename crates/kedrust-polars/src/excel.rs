//! `polars.ExcelDataset`: one sheet of an `.xlsx` workbook as a DataFrame, with the keys of
//! Kedro's `pandas.ExcelDataset` that apply. calamine reads, rust_xlsxwriter writes.
//!
//! Column types are read as pandas reads them: numbers are `Int64` when every cell is a whole
//! number and none is empty, else `Float64`; booleans are `Boolean`; anything else (text,
//! dates, numbers mixed with text) is `String`, numbers written as Excel shows them. Empty
//! cells are nulls.

use crate::frame::{FrameFormat, frame_type};
use calamine::{Data, Reader};
use kedrust_catalog::DatasetType;
use polars::prelude::*;
use serde::Deserialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A sheet by name or by position.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Sheet {
    Index(usize),
    Name(String),
}

/// `load_args`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LoadArgs {
    /// The sheet (default: the first).
    sheet_name: Option<Sheet>,
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
        read_excel(
            path,
            self.load.sheet_name.as_ref(),
            self.load.header,
            self.load.nrows,
        )
    }

    fn write(&self, frame: &mut DataFrame, out: &mut BufWriter<File>) -> PolarsResult<()> {
        let sheet = self.save.sheet_name.as_deref().unwrap_or("Sheet1");
        out.write_all(&excel_bytes(frame, sheet)?)?;
        Ok(())
    }
}

fn excel_error(e: &dyn std::fmt::Display) -> PolarsError {
    polars_err!(ComputeError: "{e}")
}

/// Reads one sheet of the workbook at `path` (the first unless `sheet` names one), the column
/// names in row `header` (counted from the sheet's first row with data), at most `nrows`
/// rows after it.
fn read_excel(
    path: &Path,
    sheet: Option<&Sheet>,
    header: Option<usize>,
    nrows: Option<usize>,
) -> PolarsResult<DataFrame> {
    let mut book = calamine::open_workbook_auto(path).map_err(|e| excel_error(&e))?;
    let names = book.sheet_names();
    let name = match sheet {
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
    })?;
    let range = book.worksheet_range(&name).map_err(|e| excel_error(&e))?;
    let mut rows = range.rows().skip(header.unwrap_or(0));
    let Some(header) = rows.next() else {
        return Ok(DataFrame::empty());
    };
    let names: Vec<String> = header
        .iter()
        .map(cell_text)
        .map(Option::unwrap_or_default)
        .collect();
    let body: Vec<&[Data]> = rows.take(nrows.unwrap_or(usize::MAX)).collect();
    let columns = names
        .iter()
        .enumerate()
        .map(|(j, name)| column(name, body.iter().map(|r| r.get(j).unwrap_or(&Data::Empty))))
        .collect::<Vec<_>>();
    DataFrame::new(body.len(), columns)
}

/// `frame` as an `.xlsx` workbook of one sheet called `sheet`: a header row, then one row per
/// row of the frame (numbers as numbers, booleans as booleans, nulls as empty cells).
pub fn excel_bytes(frame: &DataFrame, sheet: &str) -> PolarsResult<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let worksheet = book.add_worksheet();
    worksheet.set_name(sheet).map_err(|e| excel_error(&e))?;
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
    book.save_to_buffer().map_err(|e| excel_error(&e))
}

/// A cell as text: what Excel shows for numbers, `None` for an empty cell.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) => Some(s.clone()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        other => Some(other.to_string()),
    }
}

/// One column, typed as pandas would type it.
fn column<'a>(name: &str, cells: impl Iterator<Item = &'a Data> + Clone) -> Column {
    let filled = || cells.clone().filter(|c| !matches!(c, Data::Empty));
    let numeric = |c: &Data| matches!(c, Data::Int(_) | Data::Float(_));
    let as_f64 = |c: &Data| match c {
        Data::Int(i) => Some(*i as f64),
        Data::Float(f) => Some(*f),
        _ => None,
    };
    let name = PlSmallStr::from(name);
    if filled().next().is_some() && filled().all(|c| matches!(c, Data::Bool(_))) {
        let values: BooleanChunked = cells
            .map(|c| match c {
                Data::Bool(b) => Some(*b),
                _ => None,
            })
            .collect();
        return values.with_name(name).into_column();
    }
    if filled().all(numeric) {
        let whole = cells
            .clone()
            .all(|c| as_f64(c).is_some_and(|f| f.fract() == 0.0));
        if whole && filled().next().is_some() {
            let values: Int64Chunked = cells.map(|c| as_f64(c).map(|f| f as i64)).collect();
            return values.with_name(name).into_column();
        }
        let values: Float64Chunked = cells.map(as_f64).collect();
        return values.with_name(name).into_column();
    }
    let values: StringChunked = cells.map(cell_text).collect();
    values.with_name(name).into_column()
}

pub(crate) fn dataset_type() -> DatasetType {
    frame_type("polars.ExcelDataset", |spec| {
        let save: SaveArgs = spec.options("save_args")?;
        if save.index == Some(true) {
            return Err(
                "save_args.index: a DataFrame has no index to write; leave it out or set false"
                    .into(),
            );
        }
        Ok(Box::new(Excel {
            load: spec.options("load_args")?,
            save,
        }))
    })
}
