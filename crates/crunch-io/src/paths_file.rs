//! `paths.parquet`: generated price paths in long form, for inspecting path models
//! (`crunch paths`).

use std::path::{Path, PathBuf};

use arrow_schema::DataType::{Float64, Int64, Utf8};
use crunch_core::{PathState, PricePath};

use crate::error::IoError;
use crate::parquet_file::{ParquetFile, Value, schema};

/// A long-form paths file being written: one row per (path, step, asset), in that order.
///
/// Columns: `path`, `step` (Int64), `asset` (Utf8, the symbol), `price` (Float64),
/// `liquidity` (Float64, the factor the engine multiplies into the asset's depth), and
/// the model state where the model has one, null otherwise: `crunch_weight` (Float64,
/// the crunch weight `w(t)`), `regime` (Int64, the regime index) and `volatility`
/// (Float64, the annualised volatility of the step's log-return; null at step 0 and for
/// stable assets).
///
/// Written as `NAME.tmp` and renamed to `NAME` by [`finish`](Self::finish), with the
/// fixed writer properties of every crunch output (identical paths give identical
/// bytes); dropped before that, the temporary file is removed.
pub struct PathsFile {
    file: Option<ParquetFile>,
    tmp: PathBuf,
    symbols: Vec<String>,
}

impl PathsFile {
    /// Creates `dest` for assets named `symbols`, with `metadata` as key-value metadata.
    /// An existing `dest` is refused unless `force` (then replaced at `finish`); missing
    /// parent directories are created.
    pub fn create(
        dest: &Path,
        symbols: Vec<String>,
        metadata: &[(String, String)],
        force: bool,
    ) -> Result<Self, IoError> {
        if !force && dest.exists() {
            return Err(IoError::Request {
                path: dest.to_owned(),
                problem: "the output file exists; pass --force to replace it".into(),
            });
        }
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|cause| IoError::Fs {
                path: parent.to_owned(),
                action: "create the directory",
                cause,
            })?;
        }
        let fields = schema(&[
            ("path", Int64, false),
            ("step", Int64, false),
            ("asset", Utf8, false),
            ("price", Float64, false),
            ("liquidity", Float64, false),
            ("crunch_weight", Float64, true),
            ("regime", Int64, true),
            ("volatility", Float64, true),
        ]);
        let mut tmp = dest.as_os_str().to_owned();
        tmp.push(".tmp");
        let file = ParquetFile::create(dest.to_owned(), fields, metadata)?;
        Ok(Self {
            file: Some(file),
            tmp: PathBuf::from(tmp),
            symbols,
        })
    }

    /// Appends every (step, asset) row of path number `path`. `state` may be empty (a
    /// model without state) or hold full series (see [`PathState`]).
    pub fn push(
        &mut self,
        path: u64,
        prices: &PricePath,
        state: &PathState,
    ) -> Result<(), IoError> {
        let file = self.file.as_mut().expect("not finished");
        let n = prices.assets();
        if n != self.symbols.len() {
            return Err(IoError::Layout {
                path: file.dest().to_owned(),
                problem: format!(
                    "a path has {n} assets but {} symbols were named",
                    self.symbols.len()
                ),
            });
        }
        let path = i64::try_from(path).map_err(|_| IoError::Layout {
            path: file.dest().to_owned(),
            problem: format!("path {path} does not fit a 64-bit signed integer"),
        })?;
        for t in 0..=prices.steps() {
            let weight = state.crunch_weight.get(t).copied();
            let regime = state.regime.get(t).map(|&r| i64::from(r));
            for (i, symbol) in self.symbols.iter().enumerate() {
                let vol = state
                    .volatility
                    .get(t * n + i)
                    .copied()
                    .filter(|v| !v.is_nan());
                file.push(&[
                    Value::I64(Some(path)),
                    Value::I64(Some(t as i64)),
                    Value::Str(symbol),
                    Value::F64(Some(prices.row(t)[i])),
                    Value::F64(Some(prices.liquidity_row(t)[i])),
                    Value::F64(weight),
                    Value::I64(regime),
                    Value::F64(vol),
                ])?;
            }
        }
        Ok(())
    }

    /// Writes the footer and gives the file its final name.
    pub fn finish(mut self) -> Result<(), IoError> {
        self.file.take().expect("not finished").close()
    }
}

impl Drop for PathsFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
