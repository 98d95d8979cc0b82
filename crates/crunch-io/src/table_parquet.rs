//! Parquet files as a [`Table`]: all record batches in memory, values read through the
//! Arrow type of their column.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;

use crate::error::{IoError, Location};
use crate::table::{Cell, Locator, Table};

/// A Parquet file read into memory.
pub(crate) struct ParquetTable {
    headers: Vec<String>,
    batches: Vec<RecordBatch>,
    /// First row of each batch.
    starts: Vec<usize>,
    rows: usize,
}

impl ParquetTable {
    /// Reads every row of `path`.
    pub(crate) fn read(path: &Path) -> Result<Self, IoError> {
        let file = File::open(path).map_err(|source| IoError::Fs {
            path: path.to_owned(),
            action: "open the file",
            cause: source,
        })?;
        let parquet_err = |source| IoError::Parquet {
            path: path.to_owned(),
            cause: source,
        };
        let size = file.metadata().map_or(u64::MAX, |m| m.len());
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_err)?;
        check_chunks(builder.metadata(), size).map_err(parquet_err)?;
        let headers = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let mut batches = Vec::new();
        let mut starts = Vec::new();
        let mut rows = 0;
        for batch in builder.build().map_err(parquet_err)? {
            let batch = batch.map_err(|source| IoError::Arrow {
                path: path.to_owned(),
                cause: source,
            })?;
            starts.push(rows);
            rows += batch.num_rows();
            batches.push(batch);
        }
        Ok(Self {
            headers,
            batches,
            starts,
            rows,
        })
    }
}

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_CE_DAYS: i64 = 719_163;

fn date_from_days(days: i64) -> Cell<'static> {
    i32::try_from(days + UNIX_EPOCH_CE_DAYS)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .map_or(Cell::Null, Cell::Date)
}

fn row_words(n: usize) -> String {
    Location::Row(n).to_string()
}

/// Refuses column chunks whose byte range is negative or lies past the end of the file (a
/// corrupt footer), which the Parquet reader would otherwise panic on (found by
/// `tests/fuzz.rs`).
fn check_chunks(metadata: &ParquetMetaData, file_size: u64) -> Result<(), ParquetError> {
    for (g, group) in metadata.row_groups().iter().enumerate() {
        for (c, chunk) in group.columns().iter().enumerate() {
            let start = chunk
                .dictionary_page_offset()
                .unwrap_or_else(|| chunk.data_page_offset());
            let len = chunk.compressed_size();
            let fits = u64::try_from(start)
                .ok()
                .zip(u64::try_from(len).ok())
                .and_then(|(s, l)| s.checked_add(l))
                .is_some_and(|end| end <= file_size);
            if !fits {
                return Err(ParquetError::General(format!(
                    "corrupt metadata: column chunk {c} of row group {g} claims bytes \
                     {start} .. {start} + {len}, outside the file's {file_size} bytes"
                )));
            }
        }
    }
    Ok(())
}

impl Table for ParquetTable {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn rows(&self) -> usize {
        self.rows
    }

    fn location(&self, row: usize) -> Location {
        Location::Row(row)
    }

    fn cell(&self, row: usize, col: usize) -> Cell<'_> {
        let b = self.starts.partition_point(|&s| s <= row) - 1;
        let r = row - self.starts[b];
        let a = self.batches[b].column(col);
        if a.is_null(r) {
            return Cell::Null;
        }
        const DAY_S: i64 = 86_400;
        match a.data_type() {
            DataType::Utf8 => Cell::Text(a.as_string::<i32>().value(r)),
            DataType::LargeUtf8 => Cell::Text(a.as_string::<i64>().value(r)),
            DataType::Utf8View => Cell::Text(a.as_string_view().value(r)),
            DataType::Float64 => Cell::Float(a.as_primitive::<Float64Type>().value(r)),
            DataType::Float32 => Cell::Float(a.as_primitive::<Float32Type>().value(r).into()),
            DataType::Int64 => Cell::Int(a.as_primitive::<Int64Type>().value(r)),
            DataType::Int32 => Cell::Int(a.as_primitive::<Int32Type>().value(r).into()),
            DataType::Int16 => Cell::Int(a.as_primitive::<Int16Type>().value(r).into()),
            DataType::Int8 => Cell::Int(a.as_primitive::<Int8Type>().value(r).into()),
            DataType::UInt32 => Cell::Int(a.as_primitive::<UInt32Type>().value(r).into()),
            DataType::UInt16 => Cell::Int(a.as_primitive::<UInt16Type>().value(r).into()),
            DataType::UInt8 => Cell::Int(a.as_primitive::<UInt8Type>().value(r).into()),
            DataType::Date32 => date_from_days(a.as_primitive::<Date32Type>().value(r).into()),
            DataType::Date64 => {
                let ms = a.as_primitive::<Date64Type>().value(r);
                date_from_days(ms.div_euclid(DAY_S * 1_000))
            }
            DataType::Timestamp(unit, _) => {
                let (v, per_day) = match unit {
                    TimeUnit::Second => (a.as_primitive::<TimestampSecondType>().value(r), DAY_S),
                    TimeUnit::Millisecond => (
                        a.as_primitive::<TimestampMillisecondType>().value(r),
                        DAY_S * 1_000,
                    ),
                    TimeUnit::Microsecond => (
                        a.as_primitive::<TimestampMicrosecondType>().value(r),
                        DAY_S * 1_000_000,
                    ),
                    TimeUnit::Nanosecond => (
                        a.as_primitive::<TimestampNanosecondType>().value(r),
                        DAY_S * 1_000_000_000,
                    ),
                };
                date_from_days(v.div_euclid(per_day))
            }
            other => Cell::Unsupported(other),
        }
    }

    fn locator(&self) -> Locator {
        row_words
    }
}
