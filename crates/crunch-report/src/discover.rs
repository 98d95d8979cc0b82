//! Finding the result directories of a run or a batch, and their metadata.

use crate::error::ReportError;
use polars::prelude::{ParquetReader, SerReader};
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The run-level key-value metadata of a result file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunMeta {
    /// `crunch.scenario_name`, when present.
    pub scenario_name: Option<String>,
    /// `crunch.seed`, when present.
    pub seed: Option<String>,
    /// `crunch.paths`, when present.
    pub paths: Option<String>,
    /// `crunch.steps`, when present.
    pub steps: Option<String>,
}

impl RunMeta {
    /// Reads the metadata of a Parquet file (all fields `None` where keys are missing).
    pub fn read(file: &Path) -> Result<RunMeta, ReportError> {
        let kv = read_kv_metadata(file)?;
        Ok(RunMeta {
            scenario_name: kv.get("crunch.scenario_name").cloned(),
            seed: kv.get("crunch.seed").cloned(),
            paths: kv.get("crunch.paths").cloned(),
            steps: kv.get("crunch.steps").cloned(),
        })
    }

    /// "scenario `name`, seed S" as written in chart footnotes.
    pub fn footnote(&self) -> String {
        format!(
            "scenario {}, seed {}",
            self.scenario_name.as_deref().unwrap_or("(unnamed)"),
            self.seed.as_deref().unwrap_or("(unknown)")
        )
    }
}

/// One result directory.
#[derive(Debug, Clone)]
pub struct RunDir {
    /// Its label in reports: the directory's name.
    pub label: String,
    /// The directory.
    pub dir: PathBuf,
    /// The metadata of its `summary.parquet`.
    pub meta: RunMeta,
}

impl RunDir {
    /// `dir/name`.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Reads the key-value metadata of a Parquet file's footer.
pub fn read_kv_metadata(file: &Path) -> Result<BTreeMap<String, String>, ReportError> {
    let handle = File::open(file).map_err(ReportError::fs(file, "open"))?;
    let mut reader = ParquetReader::new(handle);
    let metadata = reader.get_metadata().map_err(ReportError::polars(file))?;
    Ok(metadata
        .key_value_metadata
        .iter()
        .flatten()
        .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
        .collect())
}

/// The result directories under `results`: `results` itself when it holds
/// `summary.parquet`, else each immediate subdirectory that does, in name order.
pub fn discover_runs(results: &Path) -> Result<Vec<RunDir>, ReportError> {
    let label_of = |dir: &Path| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string())
    };
    let mut dirs = Vec::new();
    if results.join("summary.parquet").is_file() {
        let dir = results
            .canonicalize()
            .map_err(ReportError::fs(results, "read"))?;
        dirs.push(dir);
    } else if results.is_dir() {
        let entries = std::fs::read_dir(results).map_err(ReportError::fs(results, "read"))?;
        for entry in entries {
            let path = entry.map_err(ReportError::fs(results, "read"))?.path();
            let hidden = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden && path.join("summary.parquet").is_file() {
                dirs.push(path);
            }
        }
        dirs.sort();
    }
    if dirs.is_empty() {
        return Err(ReportError::NoResults {
            path: results.to_owned(),
        });
    }
    dirs.into_iter()
        .map(|dir| {
            let meta = RunMeta::read(&dir.join("summary.parquet"))?;
            Ok(RunDir {
                label: label_of(&dir),
                dir,
                meta,
            })
        })
        .collect()
}
