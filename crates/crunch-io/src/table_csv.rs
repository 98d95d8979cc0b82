//! CSV files as a [`Table`]: banner lines skipped, fields trimmed, every record checked to
//! have as many fields as the header.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use csv::{ReaderBuilder, StringRecord};

use crate::error::{IoError, Location};
use crate::table::{Cell, HEADER_SEARCH_LINES, HeaderRule, Locator, Table};

/// A CSV file read into memory: every data field's text (trimmed), one after another in
/// one buffer, so that a large file is not a heap allocation per line.
pub(crate) struct CsvTable {
    headers: Vec<String>,
    /// The fields' text, concatenated.
    text: String,
    /// Where each field ends in `text`, row after row (`headers.len()` per row).
    ends: Vec<usize>,
    /// Each row's 1-based physical line.
    lines: Vec<usize>,
}

impl CsvTable {
    /// Reads `path`. The header is the first of the first [`HEADER_SEARCH_LINES`] records
    /// that `header` accepts; records before it are banner lines and are skipped. Fields
    /// are trimmed of leading and trailing whitespace (as `str::trim`).
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
            .from_reader(BufReader::new(file));
        let mut record = StringRecord::new();
        let mut headers = None;
        for _ in 0..HEADER_SEARCH_LINES {
            if !reader.read_record(&mut record).map_err(csv_err)? {
                break;
            }
            let fields: Vec<&str> = record.iter().map(str::trim).collect();
            if (header.matches)(&fields) {
                headers = Some(fields.into_iter().map(str::to_owned).collect::<Vec<_>>());
                break;
            }
        }
        let Some(headers) = headers else {
            return Err(IoError::NoHeader {
                path: path.to_owned(),
                expected: header.expected,
            });
        };
        let (mut text, mut ends, mut lines) = (String::new(), Vec::new(), Vec::new());
        while reader.read_record(&mut record).map_err(csv_err)? {
            let line = line_of(&record);
            if record.len() != headers.len() {
                return Err(IoError::FieldCount {
                    path: path.to_owned(),
                    line,
                    found: record.len(),
                    expected: headers.len(),
                });
            }
            for field in &record {
                text.push_str(field.trim());
                ends.push(text.len());
            }
            lines.push(line);
        }
        Ok(Self {
            headers,
            text,
            ends,
            lines,
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
        self.lines.len()
    }

    fn location(&self, row: usize) -> Location {
        Location::Line(self.lines[row])
    }

    fn cell(&self, row: usize, col: usize) -> Cell<'_> {
        let field = row * self.headers.len() + col;
        let start = field.checked_sub(1).map_or(0, |f| self.ends[f]);
        match &self.text[start..self.ends[field]] {
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
        let f = write(
            "made by a tool\nsecond, banner\ndate, x\n2020-01-01, 1.5\n\"2020-01-02\",\n\" 2020-01-03 \",\" 2\t\"\n",
        );
        let t = CsvTable::read(f.path(), &RULE).unwrap();
        assert_eq!(t.headers(), ["date", "x"]);
        assert_eq!(t.rows(), 3);
        assert_eq!(t.location(0), Location::Line(4));
        assert_eq!(t.location(1), Location::Line(5));
        assert_eq!(t.cell(0, 1), Cell::Text("1.5"));
        assert_eq!(t.cell(1, 0), Cell::Text("2020-01-02"));
        assert_eq!(t.cell(1, 1), Cell::Null);
        // Whitespace inside quotes is trimmed too.
        assert_eq!(t.cell(2, 0), Cell::Text("2020-01-03"));
        assert_eq!(t.cell(2, 1), Cell::Text("2"));
        assert_eq!(t.location(2), Location::Line(6));
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
