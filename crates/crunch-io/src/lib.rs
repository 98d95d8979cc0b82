//! Data loading and result output of crunch.
//!
//! - [`load_prices`]: historical closes from CSV or Parquet, with the documented rules for
//!   banner lines, date formats, newest-first files, assets that start later and gaps.
//! - [`load_book`]: a long-form account book from CSV or Parquet, validated by
//!   [`crunch_book::BookBuilder`].
//! - [`OutputDir`]: an output directory that appears whole at commit or not at all.
//! - [`ParquetSink`]: the [`crunch_core::ResultSink`] that writes `summary.parquet` and
//!   optionally `timeseries.parquet` and `events.parquet`, byte-reproducibly.
//!
//! Every error is an [`IoError`] whose message names the file and, for a value, the line
//! (CSV, 1-based physical line) or row (Parquet, 0-based data row).

mod book;
mod error;
mod output_dir;
mod parquet_file;
mod prices;
mod sink;
mod table;
mod table_csv;
mod table_parquet;

pub use book::load_book;
pub use error::{IoError, Location};
pub use output_dir::OutputDir;
pub use prices::{PriceRequest, PriceTable, load_prices};
pub use sink::{ParquetSink, SinkLayout};
