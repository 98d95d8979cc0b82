//! One Parquet output file: rows buffered in column builders, flushed as record batches,
//! written as `name.tmp` and renamed to `name` when closed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};

use crate::error::IoError;

/// Rows buffered before a record batch is handed to the writer.
pub(crate) const BATCH_ROWS: usize = 65_536;

/// Rows per Parquet row group (the writer keeps one row group in memory).
const ROW_GROUP_ROWS: usize = 1 << 20;

/// ZSTD level of every output file.
const ZSTD_LEVEL: i32 = 3;

/// One value of an output row; its variant must match the column's type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// A Utf8 value.
    Str(&'a str),
    /// An Int64 value, `None` for null.
    I64(Option<i64>),
    /// A Float64 value, `None` for null.
    F64(Option<f64>),
    /// A Boolean value.
    Bool(bool),
}

enum Column {
    Str(StringBuilder),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
}

impl Column {
    fn new(t: &DataType) -> Self {
        match t {
            DataType::Utf8 => Column::Str(StringBuilder::new()),
            DataType::Int64 => Column::I64(Int64Builder::new()),
            DataType::Float64 => Column::F64(Float64Builder::new()),
            DataType::Boolean => Column::Bool(BooleanBuilder::new()),
            other => unreachable!("no output column of type {other}"),
        }
    }

    fn push(&mut self, v: Value<'_>) {
        match (self, v) {
            (Column::Str(b), Value::Str(s)) => b.append_value(s),
            (Column::I64(b), Value::I64(x)) => b.append_option(x),
            (Column::F64(b), Value::F64(x)) => b.append_option(x),
            (Column::Bool(b), Value::Bool(x)) => b.append_value(x),
            (_, v) => unreachable!("value {v:?} does not match its column"),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Str(b) => Arc::new(b.finish()),
            Column::I64(b) => Arc::new(b.finish()),
            Column::F64(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
        }
    }
}

/// A schema from `(name, type, nullable)` triples.
pub(crate) fn schema(fields: &[(&str, DataType, bool)]) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .iter()
            .map(|(n, t, null)| Field::new(*n, t.clone(), *null))
            .collect::<Vec<_>>(),
    ))
}

/// The fixed writer properties: identical input gives identical bytes.
fn properties(metadata: &[(String, String)]) -> WriterProperties {
    let kv = metadata
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(ZSTD_LEVEL).expect("valid zstd level"),
        ))
        .set_created_by(concat!("crunch-io ", env!("CARGO_PKG_VERSION")).to_owned())
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_dictionary_enabled(true)
        .set_key_value_metadata(Some(kv))
        .build()
}

/// A Parquet file being written.
pub(crate) struct ParquetFile {
    dest: PathBuf,
    tmp: PathBuf,
    schema: SchemaRef,
    columns: Vec<Column>,
    rows: usize,
    writer: ArrowWriter<BufWriter<File>>,
}

impl ParquetFile {
    /// Creates `dest.tmp` for rows of `schema`, with `metadata` as key-value metadata.
    pub(crate) fn create(
        dest: PathBuf,
        schema: SchemaRef,
        metadata: &[(String, String)],
    ) -> Result<Self, IoError> {
        let mut tmp = dest.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|source| IoError::Fs {
            path: tmp.clone(),
            action: "create the file",
            cause: source,
        })?;
        let writer = ArrowWriter::try_new(
            BufWriter::new(file),
            schema.clone(),
            Some(properties(metadata)),
        )
        .map_err(|source| IoError::Parquet {
            path: dest.clone(),
            cause: source,
        })?;
        let columns = schema
            .fields()
            .iter()
            .map(|f| Column::new(f.data_type()))
            .collect();
        Ok(Self {
            dest,
            tmp,
            schema,
            columns,
            rows: 0,
            writer,
        })
    }

    /// The final path of the file.
    pub(crate) fn dest(&self) -> &Path {
        &self.dest
    }

    /// Appends one row (one value per column, in schema order).
    pub(crate) fn push(&mut self, row: &[Value<'_>]) -> Result<(), IoError> {
        self.push_values(row.iter().copied())
    }

    /// Appends one row given as its values (one per column, in schema order).
    pub(crate) fn push_values<'v>(
        &mut self,
        row: impl ExactSizeIterator<Item = Value<'v>>,
    ) -> Result<(), IoError> {
        debug_assert_eq!(row.len(), self.columns.len());
        for (c, v) in self.columns.iter_mut().zip(row) {
            c.push(v);
        }
        self.rows += 1;
        if self.rows == BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        if self.rows == 0 {
            return Ok(());
        }
        let arrays = self.columns.iter_mut().map(Column::finish).collect();
        let batch =
            RecordBatch::try_new(self.schema.clone(), arrays).map_err(|source| IoError::Arrow {
                path: self.dest.clone(),
                cause: source,
            })?;
        self.rows = 0;
        self.writer
            .write(&batch)
            .map_err(|source| IoError::Parquet {
                path: self.dest.clone(),
                cause: source,
            })
    }

    /// Writes the buffered rows and the footer, then renames `name.tmp` to `name`.
    pub(crate) fn close(mut self) -> Result<(), IoError> {
        self.flush()?;
        let parquet_err = |source| IoError::Parquet {
            path: self.dest.clone(),
            cause: source,
        };
        let mut out = self.writer.into_inner().map_err(parquet_err)?;
        let fs_err = |action| {
            let path = self.tmp.clone();
            move |source| IoError::Fs {
                path,
                action,
                cause: source,
            }
        };
        out.flush().map_err(fs_err("write the file"))?;
        out.into_inner()
            .map_err(|e| fs_err("write the file")(e.into_error()))?
            .sync_all()
            .map_err(fs_err("sync the file"))?;
        std::fs::rename(&self.tmp, &self.dest).map_err(fs_err("rename the file"))
    }
}
