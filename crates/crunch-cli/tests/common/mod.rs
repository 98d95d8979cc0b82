//! Helpers shared by the integration tests of the `crunch` binary.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use std::fs;
use std::path::Path;

/// The contents of a Parquet file: schema, record batches and key-value metadata.
// Each test binary compiles this module on its own and not every one reads every field.
#[allow(dead_code)]
pub struct ParquetContent {
    /// The Arrow schema.
    pub schema: SchemaRef,
    /// Every record batch, in order.
    pub batches: Vec<RecordBatch>,
    /// The key-value metadata, in file order.
    pub metadata: Vec<(String, String)>,
}

/// Reads a whole Parquet file with the arrow reader.
pub fn read_parquet(path: &Path) -> ParquetContent {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let metadata = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let schema = builder.schema().clone();
    let batches = builder
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    ParquetContent {
        schema,
        batches,
        metadata,
    }
}
