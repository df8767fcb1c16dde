//! One sheet as a DataFrame: the column names from the header row, the rows below it.
//!
//! The sheet's area is calamine's: from the first row and the first column that hold a value
//! to the last ones, so a title above the table or a note beside it makes its own column, as
//! in pandas, and a column without a name is `Unnamed: N`. `.xlsx` sheets are streamed cell by
//! cell (see [`super::columns`]); other formats, chart sheets, and an `.xlsx` whose cells come
//! back to a row already passed in their column, go through calamine's grid.

use super::columns::{Cell, ColumnBuilder};
use super::excel_error;
use calamine::Reader;
use polars::prelude::*;
use std::collections::BTreeMap;
use std::io::{Read, Seek};

/// Reads the sheet `name`: the column names in row `header` (counted from the sheet's first
/// row with data), at most `nrows` rows after it.
pub(super) fn read_sheet<R: Read + Seek>(
    book: &mut calamine::Sheets<R>,
    name: &str,
    header: Option<usize>,
    nrows: Option<usize>,
) -> PolarsResult<DataFrame> {
    let layout = || Layout::new(header.unwrap_or(0), nrows.unwrap_or(usize::MAX));
    if let calamine::Sheets::Xlsx(xlsx) = book
        && let Some(frame) = read_streamed(xlsx, name, layout())?
    {
        return Ok(frame);
    }
    read_grid(book, name, layout())
}

/// An `.xlsx` sheet cell by cell; `None` when the grid has to read it (see the module's
/// comment).
fn read_streamed<R: Read + Seek>(
    xlsx: &mut calamine::Xlsx<R>,
    name: &str,
    mut layout: Layout,
) -> PolarsResult<Option<DataFrame>> {
    let mut cells = match xlsx.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        // A chart sheet has no cells: the grid reads it as an empty sheet.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(None),
        Err(e) => return Err(excel_error(&e)),
    };
    while let Some(cell) = cells.next_cell().map_err(|e| excel_error(&e))? {
        let (row, col) = cell.get_position();
        if layout.put(row, col, Cell::from(cell.get_value().clone())) == Put::OutOfOrder {
            return Ok(None);
        }
    }
    layout.finish().map(Some)
}

/// A sheet through calamine's grid, which any workbook format gives.
fn read_grid<R: Read + Seek>(
    book: &mut calamine::Sheets<R>,
    name: &str,
    mut layout: Layout,
) -> PolarsResult<DataFrame> {
    let range = book.worksheet_range(name).map_err(|e| excel_error(&e))?;
    let Some((top, left)) = range.start() else {
        return Ok(DataFrame::empty());
    };
    for (row, col, value) in range.used_cells() {
        let (row, col) = (top + row as u32, left + col as u32);
        let put = layout.put(row, col, Cell::from(value));
        debug_assert_eq!(put, Put::Done, "a grid's cells come row after row");
    }
    layout.finish()
}

#[derive(Debug, PartialEq)]
enum Put {
    Done,
    /// A cell came after a later row's cell of its column: the sheet has to be read whole.
    OutOfOrder,
}

/// Where the cells of a sheet go, by their position in the sheet.
struct Layout {
    header: usize,
    nrows: usize,
    /// The first row that holds a value.
    top: Option<u32>,
    bottom: u32,
    left: u32,
    right: u32,
    names: BTreeMap<u32, String>,
    columns: BTreeMap<u32, ColumnBuilder>,
}

impl Layout {
    fn new(header: usize, nrows: usize) -> Self {
        Layout {
            header,
            nrows,
            top: None,
            bottom: 0,
            left: u32::MAX,
            right: 0,
            names: BTreeMap::new(),
            columns: BTreeMap::new(),
        }
    }

    fn put(&mut self, row: u32, col: u32, cell: Cell<'_>) -> Put {
        if cell == Cell::Empty {
            return Put::Done;
        }
        let top = *self.top.get_or_insert(row);
        if row < top {
            return Put::OutOfOrder;
        }
        (self.bottom, self.left, self.right) = (
            self.bottom.max(row),
            self.left.min(col),
            self.right.max(col),
        );
        let offset = (row - top) as usize;
        if offset == self.header {
            let text = cell.text().map(|t| t.into_owned()).unwrap_or_default();
            return match self.names.insert(col, text) {
                Some(_) => Put::OutOfOrder,
                None => Put::Done,
            };
        }
        let Some(data_row) = offset.checked_sub(self.header + 1) else {
            return Put::Done;
        };
        if data_row >= self.nrows {
            return Put::Done;
        }
        let column = self.columns.entry(col).or_default();
        if data_row < column.len() {
            return Put::OutOfOrder;
        }
        column.set(data_row, cell);
        Put::Done
    }

    fn finish(mut self) -> PolarsResult<DataFrame> {
        let Some(top) = self.top else {
            return Ok(DataFrame::empty());
        };
        let last = (self.bottom - top) as usize;
        if last < self.header {
            return Ok(DataFrame::empty());
        }
        let height = (last - self.header).min(self.nrows);
        let columns = (self.left..=self.right)
            .map(|col| {
                // pandas' name for a column without one.
                let name = self
                    .names
                    .remove(&col)
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| format!("Unnamed: {}", col - self.left));
                let builder = self.columns.remove(&col).unwrap_or_default();
                builder.finish(&name, height)
            })
            .collect();
        DataFrame::new(height, columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(bytes: &[u8]) -> calamine::Sheets<std::io::Cursor<Vec<u8>>> {
        calamine::Sheets::Xlsx(
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap(),
        )
    }

    /// Reads `sheet` both ways and checks they agree.
    fn both_ways(bytes: &[u8], header: usize, nrows: usize) -> DataFrame {
        let calamine::Sheets::Xlsx(mut xlsx) = open(bytes) else {
            unreachable!()
        };
        let streamed = read_streamed(&mut xlsx, "Sheet1", Layout::new(header, nrows))
            .unwrap()
            .expect("written row after row");
        let grid = read_grid(&mut open(bytes), "Sheet1", Layout::new(header, nrows)).unwrap();
        assert!(streamed.equals_missing(&grid), "{streamed}\n{grid}");
        assert_eq!(streamed.schema(), grid.schema());
        streamed
    }

    #[test]
    fn streaming_a_sheet_reads_what_the_grid_reads() {
        use rust_xlsxwriter::Workbook;
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        // A title above the table and a note right of it widen the sheet's area, as in pandas.
        sheet.write_string(1, 2, "Fleet").unwrap();
        for (j, name) in ["id", "engines", "ok", "price", "mixed"].iter().enumerate() {
            sheet.write_string(3, 1 + j as u16, *name).unwrap();
        }
        for i in 0..6u32 {
            let row = 4 + i;
            if i != 2 {
                sheet.write_number(row, 1, f64::from(i)).unwrap();
            }
            if i % 3 != 1 {
                sheet.write_number(row, 2, f64::from(i) + 0.5).unwrap();
            }
            sheet.write_boolean(row, 3, i % 2 == 0).unwrap();
            sheet.write_string(row, 4, format!("${i},000.0")).unwrap();
            if i == 4 {
                sheet.write_string(row, 5, "n/a").unwrap();
            } else {
                sheet.write_number(row, 5, f64::from(i) * 1.25).unwrap();
            }
        }
        sheet.write_string(12, 7, "note").unwrap();
        let bytes = book.save_to_buffer().unwrap();

        let all = both_ways(&bytes, 2, usize::MAX);
        assert_eq!(all.height(), 9, "down to the note's row");
        assert_eq!(all.width(), 7, "from the id column to the note's");
        let column = |name: &str| all.column(name).unwrap().dtype().clone();
        assert_eq!(
            column("id"),
            DataType::Float64,
            "a gap and trailing empty rows"
        );
        assert_eq!(column("ok"), DataType::Boolean);
        let mixed: Vec<Option<&str>> = all
            .column("mixed")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .take(5)
            .collect();
        assert_eq!(
            mixed,
            [
                Some("0"),
                Some("1.25"),
                Some("2.5"),
                Some("3.75"),
                Some("n/a")
            ]
        );

        let first = both_ways(&bytes, 2, 3);
        assert_eq!(first.height(), 3);
        assert_eq!(first.column("id").unwrap().dtype(), &DataType::Float64);
        let title = both_ways(&bytes, 0, usize::MAX);
        let names: Vec<&str> = title
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(
            names[..3],
            ["Unnamed: 0", "Fleet", "Unnamed: 2"],
            "as pandas names them"
        );
        let beyond = both_ways(&bytes, 40, usize::MAX);
        assert_eq!(beyond.shape(), (0, 0));
    }

    #[test]
    fn a_chart_sheet_reads_as_an_empty_table() {
        use rust_xlsxwriter::{Chart, ChartType, Workbook};
        let mut book = Workbook::new();
        let data = book.add_worksheet();
        data.write_number(0, 0, 1.0).unwrap();
        let mut chart = Chart::new(ChartType::Column);
        chart.add_series().set_values("Sheet1!$A$1:$A$1");
        book.add_chartsheet().insert_chart(0, 0, &chart).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let mut sheets = open(&bytes);
        let names = calamine::Reader::sheet_names(&sheets);
        assert_eq!(names, ["Sheet1", "Chart1"]);
        let chart = read_sheet(&mut sheets, "Chart1", None, None).unwrap();
        assert_eq!(chart.shape(), (0, 0));
    }

    #[test]
    fn the_starters_sheet_streams_as_the_grid_reads_it() {
        let starter =
            std::path::Path::new("../../../shared/data/spaceflights-starter/shuttles.xlsx");
        let Ok(bytes) = std::fs::read(starter) else {
            eprintln!("skipped: {} is not here", starter.display());
            return;
        };
        let shuttles = both_ways(&bytes, 0, usize::MAX);
        assert_eq!(shuttles.height(), 15_531);
    }
}
