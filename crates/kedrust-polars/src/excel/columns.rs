//! A sheet's cells into typed columns as they are read, one cell at a time.
//!
//! Why not calamine's `worksheet_range`: it keeps every cell three times before a column exists
//! (the sparse cells, a dense grid, and the grid again with each shared string copied), 32 bytes
//! a cell and one allocation per string. A sheet of 1.5 million rows took most of a gigabyte.
//! Here a cell goes straight into its column: numbers as `f64`, text into Polars' string
//! builder; a column changes representation only when a cell of another kind arrives.
//!
//! Types are pandas': numbers are `Int64` when every cell is a whole number and none is empty,
//! else `Float64`; booleans are `Boolean`; anything else (text, dates, numbers mixed with text)
//! is `String`, numbers written as Excel shows them. An empty column is `Float64` nulls.

use calamine::{Data, DataRef};
use polars::prelude::*;
use std::borrow::Cow;

/// One cell's value, borrowed where the reader lends it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell<'a> {
    Empty,
    Number(f64),
    Bool(bool),
    Text(Cow<'a, str>),
}

impl<'a> From<DataRef<'a>> for Cell<'a> {
    fn from(value: DataRef<'a>) -> Self {
        match value {
            DataRef::Empty => Cell::Empty,
            DataRef::Int(i) => Cell::Number(i as f64),
            DataRef::Float(f) => Cell::Number(f),
            DataRef::Bool(b) => Cell::Bool(b),
            DataRef::SharedString(s) => Cell::Text(Cow::Borrowed(s)),
            DataRef::String(s) => Cell::Text(Cow::Owned(s)),
            other => Cell::Text(Cow::Owned(Data::from(other).to_string())),
        }
    }
}

impl<'a> From<&'a Data> for Cell<'a> {
    fn from(value: &'a Data) -> Self {
        match value {
            Data::Empty => Cell::Empty,
            Data::Int(i) => Cell::Number(*i as f64),
            Data::Float(f) => Cell::Number(*f),
            Data::Bool(b) => Cell::Bool(*b),
            Data::String(s) => Cell::Text(Cow::Borrowed(s)),
            other => Cell::Text(Cow::Owned(other.to_string())),
        }
    }
}

impl Cell<'_> {
    /// The cell as Excel shows it; `None` when empty.
    pub(super) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Cell::Empty => None,
            Cell::Number(f) => Some(Cow::Owned(number_text(*f))),
            Cell::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Cell::Text(s) => Some(Cow::Borrowed(s)),
        }
    }
}

/// A number as Excel shows it: whole numbers without a decimal point.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// The cells of one column so far, in the narrowest representation that holds them all.
#[derive(Default)]
enum Values {
    /// Only empty cells (as many as the column's length).
    #[default]
    Nulls,
    Numbers(Vec<Option<f64>>),
    Bools(Vec<Option<bool>>),
    Text(StringChunkedBuilder),
}

/// One column being filled, row by row; rows it skips are empty.
#[derive(Default)]
pub(super) struct ColumnBuilder {
    len: usize,
    values: Values,
}

impl ColumnBuilder {
    /// The rows filled so far, empty ones included.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Sets row `row`, which must not come before a row already set.
    pub(super) fn set(&mut self, row: usize, cell: Cell<'_>) {
        debug_assert!(row >= self.len, "rows arrive in order");
        if cell == Cell::Empty {
            return;
        }
        self.fill_to(row);
        self.widen_for(&cell);
        match (&mut self.values, cell) {
            (Values::Numbers(v), Cell::Number(f)) => v.push(Some(f)),
            (Values::Bools(v), Cell::Bool(b)) => v.push(Some(b)),
            (Values::Text(v), cell) => match cell.text() {
                Some(text) => v.append_value(text),
                None => v.append_null(),
            },
            _ => unreachable!("widen_for made room for the cell"),
        }
        self.len += 1;
    }

    /// Pads the column with empty rows up to `row`.
    fn fill_to(&mut self, row: usize) {
        let missing = row.saturating_sub(self.len);
        match &mut self.values {
            Values::Nulls => {}
            Values::Numbers(v) => v.extend(std::iter::repeat_n(None, missing)),
            Values::Bools(v) => v.extend(std::iter::repeat_n(None, missing)),
            Values::Text(v) => (0..missing).for_each(|_| v.append_null()),
        }
        self.len = self.len.max(row);
    }

    /// Changes the representation when `cell` does not fit the present one.
    fn widen_for(&mut self, cell: &Cell<'_>) {
        let nulls = self.len;
        let next = match (&mut self.values, cell) {
            (Values::Nulls, Cell::Number(_)) => Values::Numbers(vec![None; nulls]),
            (Values::Nulls, Cell::Bool(_)) => Values::Bools(vec![None; nulls]),
            (Values::Numbers(_), Cell::Number(_))
            | (Values::Bools(_), Cell::Bool(_))
            | (Values::Text(_), _) => return,
            (values, _) => {
                let mut text = StringChunkedBuilder::new(PlSmallStr::EMPTY, nulls);
                match values {
                    Values::Nulls => (0..nulls).for_each(|_| text.append_null()),
                    Values::Numbers(v) => v.iter().for_each(|f| match f {
                        Some(f) => text.append_value(number_text(*f)),
                        None => text.append_null(),
                    }),
                    Values::Bools(v) => v.iter().for_each(|b| match b {
                        Some(b) => text.append_value(if *b { "true" } else { "false" }),
                        None => text.append_null(),
                    }),
                    Values::Text(_) => unreachable!("text takes every cell"),
                }
                Values::Text(text)
            }
        };
        self.values = next;
    }

    /// The column `name` of `height` rows, typed as pandas types it.
    pub(super) fn finish(mut self, name: &str, height: usize) -> Column {
        self.fill_to(height);
        let name = PlSmallStr::from(name);
        match self.values {
            Values::Nulls => Float64Chunked::full_null(name, height).into_column(),
            Values::Numbers(v) => {
                if v.iter().all(|f| f.is_some_and(|f| f.fract() == 0.0)) {
                    let ints: Int64Chunked = v.iter().map(|f| f.map(|f| f as i64)).collect();
                    ints.with_name(name).into_column()
                } else {
                    Float64Chunked::from_iter_options(name, v.into_iter()).into_column()
                }
            }
            Values::Bools(v) => {
                BooleanChunked::from_iter_options(name, v.into_iter()).into_column()
            }
            Values::Text(v) => v.finish().with_name(name).into_column(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(cells: &[(usize, Cell<'_>)], height: usize) -> Column {
        let mut b = ColumnBuilder::default();
        for (row, cell) in cells {
            b.set(*row, cell.clone());
        }
        b.finish("c", height)
    }

    #[test]
    fn whole_numbers_without_gaps_are_integers_and_with_gaps_floats() {
        let whole = column(&[(0, Cell::Number(1.0)), (1, Cell::Number(2.0))], 2);
        assert_eq!(whole.dtype(), &DataType::Int64);
        let gap = column(&[(0, Cell::Number(1.0)), (2, Cell::Number(2.0))], 3);
        assert_eq!(gap.dtype(), &DataType::Float64);
        assert_eq!(gap.null_count(), 1);
        let trailing_gap = column(&[(0, Cell::Number(1.0))], 2);
        assert_eq!(trailing_gap.dtype(), &DataType::Float64);
        let empty = column(&[], 2);
        assert_eq!((empty.dtype(), empty.null_count()), (&DataType::Float64, 2));
    }

    #[test]
    fn a_cell_of_another_kind_turns_the_column_into_text_as_excel_shows_it() {
        let mixed = column(
            &[
                (0, Cell::Number(3.0)),
                (1, Cell::Number(2.5)),
                (3, Cell::Text("x".into())),
                (4, Cell::Bool(true)),
            ],
            5,
        );
        let values: Vec<Option<&str>> = mixed.str().unwrap().iter().collect();
        assert_eq!(
            values,
            [Some("3"), Some("2.5"), None, Some("x"), Some("true")]
        );
        let bools = column(&[(1, Cell::Bool(false))], 2);
        assert_eq!(bools.dtype(), &DataType::Boolean);
        let late_text = column(&[(2, Cell::Text("t".into()))], 3);
        assert_eq!(late_text.null_count(), 2);
    }
}
