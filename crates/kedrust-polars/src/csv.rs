//! `polars.CSVDataset`.

use crate::frame::{FrameFormat, frame_type, single_byte};
use kedrust_catalog::{DatasetSpec, DatasetType};
use polars::prelude::*;
use serde::Deserialize;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// `load_args`, named as in Polars' `read_csv`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LoadArgs {
    separator: Option<String>,
    has_header: Option<bool>,
    skip_rows: Option<usize>,
    n_rows: Option<usize>,
    columns: Option<Vec<String>>,
    infer_schema_length: Option<usize>,
    null_values: Option<Vec<String>>,
    quote_char: Option<String>,
    comment_prefix: Option<String>,
    try_parse_dates: Option<bool>,
    ignore_errors: Option<bool>,
    decimal_comma: Option<bool>,
    low_memory: Option<bool>,
}

/// `save_args`, named as in Polars' `write_csv`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct SaveArgs {
    separator: Option<String>,
    include_header: Option<bool>,
    include_bom: Option<bool>,
    quote_char: Option<String>,
    null_value: Option<String>,
    line_terminator: Option<String>,
    float_precision: Option<usize>,
    date_format: Option<String>,
    datetime_format: Option<String>,
    time_format: Option<String>,
    decimal_comma: Option<bool>,
}

#[derive(Debug)]
struct Csv {
    read: CsvReadOptions,
    save: SaveArgs,
    separator_out: Option<u8>,
    quote_out: Option<u8>,
}

impl FrameFormat for Csv {
    fn read(&self, path: &Path) -> PolarsResult<DataFrame> {
        self.read
            .clone()
            .try_into_reader_with_file_path(Some(path.to_owned()))?
            .finish()
    }

    fn scan(&self, path: &Path) -> PolarsResult<LazyFrame> {
        let o = &self.read;
        let parse = (*o.parse_options).clone();
        let lazy = LazyCsvReader::new(PlRefPath::try_from_path(path)?)
            .with_has_header(o.has_header)
            .with_skip_rows(o.skip_rows)
            .with_n_rows(o.n_rows)
            .with_infer_schema_length(o.infer_schema_length)
            .with_ignore_errors(o.ignore_errors)
            .with_low_memory(o.low_memory)
            .map_parse_options(move |_| parse.clone())
            .finish()?;
        Ok(crate::lazy::only_columns(lazy, o.columns.as_deref()))
    }

    fn write(&self, frame: &mut DataFrame, out: &mut BufWriter<File>) -> PolarsResult<()> {
        let s = &self.save;
        let mut w = CsvWriter::new(out)
            .include_header(s.include_header.unwrap_or(true))
            .include_bom(s.include_bom.unwrap_or(false))
            .with_date_format(s.date_format.clone().map(Into::into))
            .with_datetime_format(s.datetime_format.clone().map(Into::into))
            .with_time_format(s.time_format.clone().map(Into::into))
            .with_float_precision(s.float_precision)
            .with_decimal_comma(s.decimal_comma.unwrap_or(false));
        if let Some(b) = self.separator_out {
            w = w.with_separator(b);
        }
        if let Some(b) = self.quote_out {
            w = w.with_quote_char(b);
        }
        if let Some(v) = &s.null_value {
            w = w.with_null_value(v.as_str().into());
        }
        if let Some(v) = &s.line_terminator {
            w = w.with_line_terminator(v.as_str().into());
        }
        w.finish(frame)
    }
}

fn read_options(a: LoadArgs) -> Result<CsvReadOptions, String> {
    let mut o = CsvReadOptions::default()
        .with_has_header(a.has_header.unwrap_or(true))
        .with_skip_rows(a.skip_rows.unwrap_or(0))
        .with_n_rows(a.n_rows)
        .with_ignore_errors(a.ignore_errors.unwrap_or(false))
        .with_low_memory(a.low_memory.unwrap_or(false));
    if let Some(n) = a.infer_schema_length {
        o = o.with_infer_schema_length(Some(n));
    }
    if let Some(cols) = a.columns {
        o = o.with_columns(Some(cols.into_iter().map(Into::into).collect()));
    }
    let separator = a
        .separator
        .map(|s| single_byte("separator", &s))
        .transpose()?;
    let quote = a
        .quote_char
        .map(|s| single_byte("quote_char", &s))
        .transpose()?;
    let nulls = a.null_values;
    let comment = a.comment_prefix;
    let dates = a.try_parse_dates.unwrap_or(false);
    let decimal_comma = a.decimal_comma.unwrap_or(false);
    o = o.map_parse_options(|mut p| {
        if let Some(b) = separator {
            p = p.with_separator(b);
        }
        if quote.is_some() {
            p = p.with_quote_char(quote);
        }
        if let Some(n) = &nulls {
            p = p.with_null_values(Some(NullValues::AllColumns(
                n.iter().map(|s| s.as_str().into()).collect(),
            )));
        }
        if let Some(c) = &comment {
            p = p.with_comment_prefix(Some(c.as_str()));
        }
        p.with_try_parse_dates(dates)
            .with_decimal_comma(decimal_comma)
    });
    Ok(o)
}

/// The format of an entry's `load_args` and `save_args`.
pub(crate) fn format(spec: &DatasetSpec<'_>) -> Result<Box<dyn FrameFormat>, String> {
    let save: SaveArgs = spec.options("save_args")?;
    Ok(Box::new(Csv {
        read: read_options(spec.options("load_args")?)?,
        separator_out: save
            .separator
            .as_deref()
            .map(|s| single_byte("separator", s))
            .transpose()?,
        quote_out: save
            .quote_char
            .as_deref()
            .map(|s| single_byte("quote_char", s))
            .transpose()?,
        save,
    }))
}

pub(crate) fn dataset_type() -> DatasetType {
    frame_type("polars.CSVDataset", format)
}
