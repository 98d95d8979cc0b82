//! Data loading and result output of crunch.
//!
//! - [`load_prices`]: historical closes from CSV or Parquet, with the documented rules for
//!   banner lines, date formats, newest-first files, assets that start later and gaps.
//! - [`price_columns`]: the symbol columns of a price file (every asset it holds).
//! - [`load_book`]: a long-form account book from CSV or Parquet, validated by
//!   [`crunch_book::BookBuilder`]; [`load_owing_book`] for multi-asset debt.
//! - [`PathsFile`]: generated price paths and model state in long form (`crunch paths`).
//! - [`OutputDir`]: an output directory that appears whole at commit or not at all.
//! - [`ParquetSink`]: the [`crunch_core::ResultSink`] that writes `summary.parquet` and
//!   optionally `timeseries.parquet`, `events.parquet` and `health.parquet`,
//!   byte-reproducibly.
//! - [`DerivSink`]: `derivatives.parquet`, one row per (path, margin mode) of a
//!   scenario's derivatives book; [`read_deriv_rows`] reads it back.
//! - [`Shard`]: which (path, policy) units shard `i` of `n` of a run simulates;
//!   [`merge_shards`]: the shards' output directories back into the single run's, byte
//!   for byte.
//! - [`RunDir`]: a run's output directory written in checkpointed parts, resumable after
//!   an interruption.
//! - [`add_to_dataset`]: finished runs into a hive-partitioned Parquet dataset
//!   (`<table>/scenario=<S>/policy=<P>/part-0.parquet`) that polars, pyarrow and DuckDB
//!   read as one table per output file.
//!
//! Every error is an [`IoError`] whose message names the file and, for a value, the line
//! (CSV, 1-based physical line) or row (Parquet, 0-based data row).

mod book;
mod checkpoint;
mod columns;
mod dataset;
mod deriv_sink;
mod error;
mod merge;
mod output_dir;
mod parquet_file;
mod paths_file;
mod prices;
mod result_files;
mod shard;
mod sink;
mod summary_rows;
mod table;
mod table_csv;
mod table_parquet;

pub use book::{load_book, load_owing_book};
pub use checkpoint::{Checkpoints, RunDir};
pub use columns::{SymbolColumn, price_columns};
pub use dataset::{
    AddedRun, DATASET_TABLES, PART_FILE, add_to_dataset, partition_dir, partition_value,
};
pub use deriv_sink::{DERIV_FILE, DERIV_STEPS_FILE, DerivRow, DerivSink, read_deriv_rows};
pub use error::{IoError, Location};
pub use merge::{Merged, merge_shards};
pub use output_dir::OutputDir;
pub use paths_file::PathsFile;
pub use prices::{PriceRequest, PriceTable, load_prices};
pub use shard::{SHARD_KEY, Shard};
pub use sink::{ParquetSink, SinkLayout};
pub use summary_rows::{SummaryRow, read_summary_rows};
