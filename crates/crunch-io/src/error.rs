//! The error type of crunch-io; every variant names the file it is about.

use std::fmt;
use std::path::{Path, PathBuf};

use crunch_book::BookError;
use thiserror::Error;

/// Where a value came from in an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// 1-based physical line of a CSV file.
    Line(usize),
    /// 0-based data row of a Parquet file.
    Row(usize),
}

impl Location {
    /// The line or row number.
    pub fn number(self) -> usize {
        match self {
            Location::Line(n) | Location::Row(n) => n,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n} (0-based data row)"),
        }
    }
}

/// What went wrong while reading inputs or writing outputs.
///
/// Each message is complete in itself: the underlying error is quoted in the message
/// (field `cause`) rather than exposed as `source()`, so printing the error chain never
/// repeats it.
#[derive(Debug, Error)]
pub enum IoError {
    /// A file-system operation failed.
    #[error("{}: cannot {action}: {cause}", path.display())]
    Fs {
        /// The file or directory.
        path: PathBuf,
        /// What was being done (for example `open the file`).
        action: &'static str,
        /// The operating-system error.
        cause: std::io::Error,
    },
    /// The file extension is neither `.csv` nor `.parquet`.
    #[error("{}: unsupported file type; expected a `.csv` or `.parquet` file", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
    },
    /// The CSV file is malformed.
    #[error("{}: {cause}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV reader's error.
        cause: csv::Error,
    },
    /// The Parquet file could not be read or written.
    #[error("{}: {cause}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The Parquet library's error.
        cause: parquet::errors::ParquetError,
    },
    /// An Arrow batch could not be built.
    #[error("{}: {cause}", path.display())]
    Arrow {
        /// The file.
        path: PathBuf,
        /// The Arrow library's error.
        cause: arrow_schema::ArrowError,
    },
    /// No header line was found.
    #[error("{}: no header found in the first 10 lines; expected {expected}", path.display())]
    NoHeader {
        /// The file.
        path: PathBuf,
        /// What a header line must look like.
        expected: &'static str,
    },
    /// A CSV record has another number of fields than the header.
    #[error("{}: line {line} has {found} fields, the header has {expected}", path.display())]
    FieldCount {
        /// The file.
        path: PathBuf,
        /// 1-based physical line.
        line: usize,
        /// Fields on that line.
        found: usize,
        /// Fields of the header.
        expected: usize,
    },
    /// A required column is missing or ambiguous, or an unexpected column is present.
    #[error("{}: {problem}; the file has columns {columns}", path.display())]
    Columns {
        /// The file.
        path: PathBuf,
        /// What is wrong (for example `no column for symbol "ETH"`).
        problem: String,
        /// The columns of the file, quoted and comma-separated.
        columns: String,
    },
    /// The request itself is inconsistent (for example `start` after `end`).
    #[error("{}: {problem}", path.display())]
    Request {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A value could not be used.
    #[error("{}: {at}, column \"{column}\"{date}: {problem}", path.display(),
        date = date.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Value {
        /// The file.
        path: PathBuf,
        /// Line or row of the value.
        at: Location,
        /// Column name.
        column: String,
        /// Date of the row, when known.
        date: Option<String>,
        /// What is wrong with the value.
        problem: String,
    },
    /// Two rows carry the same date.
    #[error("{}: date {date} appears twice, at {first} and at {second}", path.display())]
    DuplicateDate {
        /// The file.
        path: PathBuf,
        /// The repeated date.
        date: String,
        /// The earlier location in the file.
        first: Location,
        /// The later location in the file.
        second: Location,
    },
    /// Fewer than two usable rows remain.
    #[error("{}: {rows} usable row(s) in {window}; at least 2 dates with a close for every \
             requested symbol are needed", path.display())]
    TooFewRows {
        /// The file.
        path: PathBuf,
        /// Rows left.
        rows: usize,
        /// The selected window, in words.
        window: String,
    },
    /// A book row was refused.
    #[error("{}: {at}: {cause}", path.display())]
    Book {
        /// The file.
        path: PathBuf,
        /// Line or row of the book row.
        at: Location,
        /// Why the row was refused.
        cause: BookError,
    },
    /// The output directory exists and is not empty.
    #[error("{}: the output directory exists and is not empty; pass --force to replace it",
        path.display())]
    OutputExists {
        /// The output directory.
        path: PathBuf,
    },
    /// An outcome does not fit the sink's layout.
    #[error("{}: {problem}", path.display())]
    Layout {
        /// The output file.
        path: PathBuf,
        /// What does not fit.
        problem: String,
    },
    /// A set of shard directories cannot be merged (missing, duplicated or mismatched
    /// shards), or a shard specification is invalid.
    #[error("{}: {problem}", path.display())]
    Shards {
        /// The offending shard directory (or the merge's output directory when no single
        /// shard is at fault).
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A run's checkpoints cannot be used: an interrupted run's parts are in the way, they
    /// belong to a different run, or another process holds them.
    #[error("{}: {problem}", path.display())]
    Checkpoints {
        /// The run's output directory.
        path: PathBuf,
        /// What is wrong and what to do about it.
        problem: String,
    },
    /// Result directories cannot be added to a hive-partitioned dataset (a shard, two
    /// runs of one scenario name, a partition that already exists, an unusable name).
    #[error("{}: {problem}", path.display())]
    Dataset {
        /// The offending result directory, file or partition.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// Wraps an I/O error on `path` while doing `action` ("create the directory", ...) as
/// [`IoError::Fs`].
pub(crate) fn fs_err(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> IoError {
    let path = path.to_owned();
    move |cause| IoError::Fs {
        path,
        action,
        cause,
    }
}
