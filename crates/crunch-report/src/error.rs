//! Errors of reports and charts.

use std::path::PathBuf;

/// Why a report or a chart could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The results path holds no result directory.
    #[error(
        "no results in `{path}`: expected a run directory with summary.parquet, or a \
         directory of run directories"
    )]
    NoResults {
        /// The path given.
        path: PathBuf,
    },
    /// A file-system operation failed.
    #[error("cannot {action} `{path}`: {cause}")]
    Fs {
        /// The file or directory.
        path: PathBuf,
        /// What was being done, e.g. "write".
        action: &'static str,
        /// The operating system's error.
        cause: std::io::Error,
    },
    /// Polars failed to read or aggregate a file.
    #[error("cannot read `{path}`: {cause}")]
    Polars {
        /// The file or directory read.
        path: PathBuf,
        /// Polars' error.
        cause: polars::error::PolarsError,
    },
    /// An output file exists and `--force` was not given.
    #[error("`{path}` exists; use --force to replace it")]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// The baseline policy is not a policy of some scenario.
    #[error("baseline policy `{baseline}` is not in scenario `{scenario}` (policies: {policies})")]
    UnknownBaseline {
        /// The requested baseline.
        baseline: String,
        /// The scenario that lacks it.
        scenario: String,
        /// The scenario's policies, comma-separated.
        policies: String,
    },
    /// The data do not have the expected shape.
    #[error("`{path}`: {problem}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Drawing a chart failed.
    #[error("cannot draw `{path}`: {cause}")]
    Draw {
        /// The chart file.
        path: PathBuf,
        /// The backend's error.
        cause: String,
    },
}

impl ReportError {
    pub(crate) fn polars(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(polars::error::PolarsError) -> Self {
        let path = path.into();
        move |cause| ReportError::Polars { path, cause }
    }

    pub(crate) fn fs(
        path: impl Into<PathBuf>,
        action: &'static str,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |cause| ReportError::Fs {
            path,
            action,
            cause,
        }
    }
}
