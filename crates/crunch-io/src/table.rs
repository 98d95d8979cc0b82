//! The common row representation both input formats are read into: a table of named
//! columns whose cells are borrowed, loosely typed values. Everything after this layer
//! (column resolution, date parsing, validation) is shared between CSV and Parquet.

use std::path::Path;

use arrow_schema::DataType;
use chrono::{NaiveDate, NaiveDateTime};

use crate::error::{IoError, Location};
use crate::{table_csv, table_parquet};

/// One value of an input table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell<'a> {
    /// An empty CSV field or a Parquet null.
    Null,
    /// A CSV field (trimmed) or a Parquet string.
    Text(&'a str),
    /// A Parquet floating-point value.
    Float(f64),
    /// A Parquet integer value.
    Int(i64),
    /// A Parquet date or timestamp (its UTC calendar date).
    Date(NaiveDate),
    /// A Parquet value of a type no loader accepts.
    Unsupported(&'a DataType),
}

pub(crate) use crunch_book::Locator;

/// A loaded input table.
pub(crate) trait Table {
    /// Column names in file order.
    fn headers(&self) -> &[String];
    /// Number of data rows.
    fn rows(&self) -> usize;
    /// Where data row `row` is in the file.
    fn location(&self, row: usize) -> Location;
    /// The value of data row `row`, column `col`.
    fn cell(&self, row: usize, col: usize) -> Cell<'_>;
    /// Describes the number of a [`Location`] of this format in words.
    fn locator(&self) -> Locator;
}

/// How a CSV header line is recognised among the first lines of a file.
pub(crate) struct HeaderRule {
    /// Whether these fields are the header.
    pub matches: fn(&[&str]) -> bool,
    /// What a header must look like, for the error message.
    pub expected: &'static str,
}

/// Number of leading CSV lines searched for the header.
pub(crate) const HEADER_SEARCH_LINES: usize = 10;

/// Opens `path` as CSV or Parquet, by its extension (case-insensitive).
pub(crate) fn open(path: &Path, header: &HeaderRule) -> Result<Box<dyn Table>, IoError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(Box::new(table_csv::CsvTable::read(path, header)?)),
        Some("parquet") => Ok(Box::new(table_parquet::ParquetTable::read(path)?)),
        _ => Err(IoError::UnsupportedFormat {
            path: path.to_owned(),
        }),
    }
}

/// The column names, quoted and comma-separated, for messages.
pub(crate) fn column_list(headers: &[String]) -> String {
    let quoted: Vec<String> = headers.iter().map(|h| format!("\"{h}\"")).collect();
    quoted.join(", ")
}

/// The accepted textual date formats, for messages.
pub(crate) const DATE_FORMATS: &str = "YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or M/D/YYYY";

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` (or with `T`; the time is checked and
/// dropped) or `M/D/YYYY` (one or two digits for month and day).
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    if s.contains('/') {
        return NaiveDate::parse_from_str(s, "%m/%d/%Y").ok();
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.date())
}

/// The date in a cell; `Err` holds the problem in words.
pub(crate) fn cell_date(cell: Cell<'_>) -> Result<NaiveDate, String> {
    match cell {
        Cell::Date(d) => Ok(d),
        Cell::Text(s) => {
            parse_date(s).ok_or_else(|| format!("`{s}` is not a date (expected {DATE_FORMATS})"))
        }
        Cell::Null => Err("the date is missing".into()),
        other => Err(format!("{} is not a date", describe(other))),
    }
}

/// The number in a cell, `None` when it is empty; `Err` holds the problem in words.
/// NaN and infinities are returned as they are, for the caller to judge.
pub(crate) fn cell_number(cell: Cell<'_>) -> Result<Option<f64>, String> {
    match cell {
        Cell::Null => Ok(None),
        Cell::Float(x) => Ok(Some(x)),
        Cell::Int(i) => Ok(Some(i as f64)),
        Cell::Text(s) => s
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("`{s}` is not a number")),
        other => Err(format!("{} is not a number", describe(other))),
    }
}

/// The text of a cell, integers written in decimal; `None` when it is empty.
pub(crate) fn cell_text(cell: Cell<'_>) -> Result<Option<String>, String> {
    match cell {
        Cell::Null => Ok(None),
        Cell::Text(s) => Ok(Some(s.to_owned())),
        Cell::Int(i) => Ok(Some(i.to_string())),
        other => Err(format!(
            "{} is neither text nor an integer",
            describe(other)
        )),
    }
}

fn describe(cell: Cell<'_>) -> String {
    match cell {
        Cell::Null => "an empty value".into(),
        Cell::Text(s) => format!("`{s}`"),
        Cell::Float(x) => format!("the float {x}"),
        Cell::Int(i) => format!("the integer {i}"),
        Cell::Date(d) => format!("the date {d}"),
        Cell::Unsupported(t) => format!("a value of unsupported type {t}"),
    }
}

/// An in-memory CSV-like table for unit tests: row `r` is at line `r + 2`.
#[cfg(test)]
pub(crate) struct MemTable {
    pub headers: Vec<String>,
    pub cells: Vec<Vec<&'static str>>,
}

#[cfg(test)]
impl MemTable {
    pub(crate) fn new(headers: &[&str], cells: Vec<Vec<&'static str>>) -> Self {
        Self {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            cells,
        }
    }
}

#[cfg(test)]
impl Table for MemTable {
    fn headers(&self) -> &[String] {
        &self.headers
    }
    fn rows(&self) -> usize {
        self.cells.len()
    }
    fn location(&self, row: usize) -> Location {
        Location::Line(row + 2)
    }
    fn cell(&self, row: usize, col: usize) -> Cell<'_> {
        match self.cells[row][col] {
            "" => Cell::Null,
            s => Cell::Text(s),
        }
    }
    fn locator(&self) -> Locator {
        |n| Location::Line(n).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn date_formats() {
        assert_eq!(parse_date("2018-02-03"), Some(d(2018, 2, 3)));
        assert_eq!(parse_date("2018-02-03 23:59:59"), Some(d(2018, 2, 3)));
        assert_eq!(parse_date("2018-02-03T00:00:00"), Some(d(2018, 2, 3)));
        assert_eq!(parse_date("1/3/2014"), Some(d(2014, 1, 3)));
        assert_eq!(parse_date("12/31/2019"), Some(d(2019, 12, 31)));
        assert_eq!(parse_date("2018-02-30"), None);
        assert_eq!(parse_date("2018-02-03 25:00:00"), None);
        assert_eq!(parse_date("03.02.2018"), None);
        assert_eq!(parse_date("31/12/2019"), None);
    }

    #[test]
    fn cell_conversions() {
        assert_eq!(cell_number(Cell::Text("1e3")), Ok(Some(1000.0)));
        assert_eq!(cell_number(Cell::Int(-4)), Ok(Some(-4.0)));
        assert_eq!(cell_number(Cell::Null), Ok(None));
        assert_eq!(
            cell_number(Cell::Text("abc")),
            Err("`abc` is not a number".to_owned())
        );
        assert_eq!(
            cell_number(Cell::Date(d(2020, 1, 1))),
            Err("the date 2020-01-01 is not a number".to_owned())
        );
        assert_eq!(cell_text(Cell::Int(7)), Ok(Some("7".to_owned())));
        assert_eq!(
            cell_text(Cell::Float(1.5)),
            Err("the float 1.5 is neither text nor an integer".to_owned())
        );
        assert_eq!(cell_date(Cell::Text("1/2/2019")), Ok(d(2019, 1, 2)));
        assert_eq!(
            cell_date(Cell::Text("soon")),
            Err(format!("`soon` is not a date (expected {DATE_FORMATS})"))
        );
        assert_eq!(cell_date(Cell::Null), Err("the date is missing".to_owned()));
    }
}
