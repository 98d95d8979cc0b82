//! Reading back the files crunch writes (`crunch run`, `crunch merge`): the Parquet files
//! of an output directory, their key-value metadata, their columns and their rows, as used
//! by [`merge_shards`](crate::merge_shards) and [`add_to_dataset`](crate::add_to_dataset).

use std::fs::{self, File};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, SchemaRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::IoError;
use crate::parquet_file::{Value, schema};

/// The key under which the Arrow writer stores its schema; it is the writer's, not the
/// run's, and is written again by whoever rewrites a file.
const ARROW_SCHEMA_KEY: &str = "ARROW:schema";

/// Calls `each` with every record batch of the output file `path`, in file order, through
/// typed access to its columns by name.
pub(crate) fn for_each_batch(
    path: &Path,
    mut each: impl FnMut(&Columns<'_>) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let batches = reader(path)?.build().map_err(|cause| IoError::Parquet {
        path: path.to_owned(),
        cause,
    })?;
    for batch in batches {
        let batch = batch.map_err(|cause| IoError::Arrow {
            path: path.to_owned(),
            cause,
        })?;
        each(&Columns {
            path,
            batch: &batch,
        })?;
    }
    Ok(())
}

/// The columns of one record batch of `path`: a missing column, or one of another type, is
/// a layout error naming the file and the column.
pub(crate) struct Columns<'a> {
    path: &'a Path,
    batch: &'a RecordBatch,
}

impl Columns<'_> {
    /// Rows in the batch.
    pub(crate) fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    fn column(&self, name: &str, kind: &str) -> Result<&dyn Array, IoError> {
        self.batch
            .column_by_name(name)
            .map(|c| c.as_ref())
            .ok_or_else(|| self.layout(format!("no column \"{name}\"")))
            .and_then(|c| {
                let ok = match kind {
                    "string" => c.as_string_opt::<i32>().is_some(),
                    "float64" => c.as_primitive_opt::<Float64Type>().is_some(),
                    _ => c.as_primitive_opt::<Int64Type>().is_some(),
                };
                ok.then_some(c)
                    .ok_or_else(|| self.layout(format!("column \"{name}\" is not a {kind} column")))
            })
    }

    fn layout(&self, problem: String) -> IoError {
        IoError::Layout {
            path: self.path.to_owned(),
            problem,
        }
    }

    /// The string column `name`.
    pub(crate) fn strings(&self, name: &str) -> Result<&StringArray, IoError> {
        Ok(self.column(name, "string")?.as_string::<i32>())
    }

    /// The float64 column `name`.
    pub(crate) fn floats(&self, name: &str) -> Result<&Float64Array, IoError> {
        Ok(self.column(name, "float64")?.as_primitive::<Float64Type>())
    }

    /// The int64 column `name`.
    pub(crate) fn ints(&self, name: &str) -> Result<&Int64Array, IoError> {
        Ok(self.column(name, "int64")?.as_primitive::<Int64Type>())
    }
}

/// Opens `path` for reading record batches.
pub(crate) fn reader(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, IoError> {
    let file = File::open(path).map_err(|source| IoError::Fs {
        path: path.to_owned(),
        action: "open the file",
        cause: source,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|source| IoError::Parquet {
        path: path.to_owned(),
        cause: source,
    })
}

/// The key-value metadata of a Parquet file, without the Arrow schema, in file order.
pub(crate) fn metadata(builder: &ParquetRecordBatchReaderBuilder<File>) -> Vec<(String, String)> {
    builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key != ARROW_SCHEMA_KEY)
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect()
}

/// The value of `key` in `metadata`.
pub(crate) fn value<'a>(metadata: &'a [(String, String)], key: &str) -> Option<&'a str> {
    metadata
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The `.parquet` files directly in `dir`, by name, in name order; `action` names the
/// reading in an error (for example `read the shard directory`).
pub(crate) fn parquet_files(dir: &Path, action: &'static str) -> Result<Vec<String>, IoError> {
    let fs_err = |source| IoError::Fs {
        path: dir.to_owned(),
        action,
        cause: source,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(fs_err)? {
        let entry = entry.map_err(fs_err)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".parquet") && entry.path().is_file() {
            files.push(name);
        }
    }
    files.sort();
    Ok(files)
}

/// Checks that every file `files` of `dir` carries the same metadata as its
/// `summary.parquet`, and returns that metadata.
pub(crate) fn common_metadata(
    dir: &Path,
    files: &[String],
) -> Result<Vec<(String, String)>, IoError> {
    let metadata = metadata(&reader(&dir.join("summary.parquet"))?);
    for name in files {
        let path = dir.join(name);
        if self::metadata(&reader(&path)?) != metadata {
            return Err(IoError::Layout {
                path,
                problem: "its metadata differs from that of summary.parquet in the same directory"
                    .into(),
            });
        }
    }
    Ok(metadata)
}

/// The columns of `path` (names, types, nullability) as an output schema, refusing
/// columns that `crunch run` never writes.
pub(crate) fn column_schema(path: &Path) -> Result<SchemaRef, IoError> {
    let builder = reader(path)?;
    let mut fields = Vec::new();
    for f in builder.schema().fields() {
        let (t, nullable) = (f.data_type(), f.is_nullable());
        let written = match t {
            DataType::Int64 | DataType::Float64 => true,
            DataType::Utf8 | DataType::Boolean => !nullable,
            _ => false,
        };
        if !written {
            return Err(IoError::Layout {
                path: path.to_owned(),
                problem: format!(
                    "column \"{}\" ({t}{}) is not one `crunch run` writes",
                    f.name(),
                    if nullable { ", nullable" } else { "" }
                ),
            });
        }
        fields.push((f.name().as_str(), t.clone(), nullable));
    }
    Ok(schema(&fields))
}

/// A column of a record batch, typed.
enum Column<'a> {
    Str(&'a StringArray),
    I64(&'a Int64Array),
    F64(&'a Float64Array),
    Bool(&'a BooleanArray),
}

impl Column<'_> {
    fn get(&self, row: usize) -> Value<'_> {
        match self {
            Column::Str(a) => Value::Str(a.value(row)),
            Column::I64(a) => Value::I64(a.is_valid(row).then(|| a.value(row))),
            Column::F64(a) => Value::F64(a.is_valid(row).then(|| a.value(row))),
            Column::Bool(a) => Value::Bool(a.value(row)),
        }
    }
}

/// Calls `visit` with every row of `src` in file order (its 0-based data row, then one
/// value per column) and returns the number of rows. `src` must have the columns of
/// `expected` (as given by [`column_schema`]); `what` says in the refusal whose columns
/// `expected` are.
pub(crate) fn for_each_row(
    src: &Path,
    expected: &SchemaRef,
    what: &str,
    mut visit: impl FnMut(usize, &[Value<'_>]) -> Result<(), IoError>,
) -> Result<u64, IoError> {
    if column_schema(src)? != *expected {
        return Err(IoError::Layout {
            path: src.to_owned(),
            problem: format!("its columns differ from those of {what}"),
        });
    }
    let batches = reader(src)?.build().map_err(|source| IoError::Parquet {
        path: src.to_owned(),
        cause: source,
    })?;
    let mut rows = 0;
    for batch in batches {
        let batch: RecordBatch = batch.map_err(|source| IoError::Arrow {
            path: src.to_owned(),
            cause: source,
        })?;
        let columns: Vec<Column<'_>> = batch
            .columns()
            .iter()
            .map(|c| match c.data_type() {
                DataType::Utf8 => Column::Str(c.as_string::<i32>()),
                DataType::Int64 => Column::I64(c.as_primitive::<Int64Type>()),
                DataType::Float64 => Column::F64(c.as_primitive::<Float64Type>()),
                _ => Column::Bool(c.as_boolean()),
            })
            .collect();
        let mut row = Vec::with_capacity(columns.len());
        for r in 0..batch.num_rows() {
            row.clear();
            row.extend(columns.iter().map(|c| c.get(r)));
            visit(rows + r, &row)?;
        }
        rows += batch.num_rows();
    }
    Ok(rows as u64)
}
