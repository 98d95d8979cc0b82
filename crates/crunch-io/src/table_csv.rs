//! CSV files as a [`Table`]: banner lines skipped, fields trimmed, every record checked to
//! have as many fields as the header.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use csv::{ReaderBuilder, StringRecord, Trim};

use crate::error::{IoError, Location};
use crate::table::{Cell, HEADER_SEARCH_LINES, HeaderRule, Locator, Table};

/// A CSV file read into memory.
pub(crate) struct CsvTable {
    headers: Vec<String>,
    records: Vec<StringRecord>,
}

impl CsvTable {
    /// Reads `path`. The header is the first of the first [`HEADER_SEARCH_LINES`] records
    /// that `header` accepts; records before it are banner lines and are skipped.
    pub(crate) fn read(path: &Path, header: &HeaderRule) -> Result<Self, IoError> {
        let file = File::open(path).map_err(|source| IoError::Fs {
            path: path.to_owned(),
            action: "open the file",
            cause: source,
        })?;
        let csv_err = |source| IoError::Csv {
            path: path.to_owned(),
            cause: source,
        };
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(Trim::All)
            .from_reader(BufReader::new(file));
        let mut records = reader.records();
        let mut headers = None;
        for record in records.by_ref().take(HEADER_SEARCH_LINES) {
            let record = record.map_err(csv_err)?;
            let fields: Vec<&str> = record.iter().collect();
            if (header.matches)(&fields) {
                headers = Some(record.iter().map(str::to_owned).collect::<Vec<_>>());
                break;
            }
        }
        let Some(headers) = headers else {
            return Err(IoError::NoHeader {
                path: path.to_owned(),
                expected: header.expected,
            });
        };
        let mut rows = Vec::new();
        for record in records {
            let record = record.map_err(csv_err)?;
            if record.len() != headers.len() {
                return Err(IoError::FieldCount {
                    path: path.to_owned(),
                    line: line_of(&record),
                    found: record.len(),
                    expected: headers.len(),
                });
            }
            rows.push(record);
        }
        Ok(Self {
            headers,
            records: rows,
        })
    }
}

fn line_of(record: &StringRecord) -> usize {
    record.position().map_or(0, |p| p.line() as usize)
}

fn line_words(n: usize) -> String {
    Location::Line(n).to_string()
}

impl Table for CsvTable {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn rows(&self) -> usize {
        self.records.len()
    }

    fn location(&self, row: usize) -> Location {
        Location::Line(line_of(&self.records[row]))
    }

    fn cell(&self, row: usize, col: usize) -> Cell<'_> {
        match &self.records[row][col] {
            "" => Cell::Null,
            s => Cell::Text(s),
        }
    }

    fn locator(&self) -> Locator {
        line_words
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const RULE: HeaderRule = HeaderRule {
        matches: |f| f.first() == Some(&"date"),
        expected: "a line starting with `date`",
    };

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn banner_lines_are_skipped_and_lines_are_physical() {
        let f =
            write("made by a tool\nsecond, banner\ndate, x\n2020-01-01, 1.5\n\"2020-01-02\",\n");
        let t = CsvTable::read(f.path(), &RULE).unwrap();
        assert_eq!(t.headers(), ["date", "x"]);
        assert_eq!(t.rows(), 2);
        assert_eq!(t.location(0), Location::Line(4));
        assert_eq!(t.location(1), Location::Line(5));
        assert_eq!(t.cell(0, 1), Cell::Text("1.5"));
        assert_eq!(t.cell(1, 0), Cell::Text("2020-01-02"));
        assert_eq!(t.cell(1, 1), Cell::Null);
        assert_eq!((t.locator())(4), "line 4");
    }

    #[test]
    fn missing_header_and_ragged_lines_are_errors() {
        let f = write(&"x,y\n".repeat(11));
        let e = CsvTable::read(f.path(), &RULE).err().unwrap().to_string();
        assert!(e.ends_with(
            ": no header found in the first 10 lines; expected a line starting with `date`"
        ));
        let f = write("date,x\n2020-01-01,1\n2020-01-02,1,2\n");
        let e = CsvTable::read(f.path(), &RULE).err().unwrap().to_string();
        assert!(
            e.ends_with(": line 3 has 3 fields, the header has 2"),
            "{e}"
        );
    }
}
