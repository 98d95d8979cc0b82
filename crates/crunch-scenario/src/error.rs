//! Scenario errors that name the file, the line and the key.

use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// One problem found in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// 1-based line of the offending value, when known.
    pub line: Option<usize>,
    /// Key path, for example `assets[1].sigma` or `policies[0].assets.ETH.lt`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}, `{}`: {}", self.key, self.message),
            None => write!(f, "`{}`: {}", self.key, self.message),
        }
    }
}

/// Why a scenario could not be used.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file `{}`: {cause}", path.display())]
    Read {
        /// The scenario file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The file is not valid TOML or does not match the schema (unknown key, wrong type,
    /// missing key); the message carries toml's line, column and key.
    #[error("scenario file `{}`: {message}", path.display())]
    Parse {
        /// The scenario file.
        path: PathBuf,
        /// toml's message.
        message: String,
    },
    /// The file parsed but some values are invalid; every problem is listed.
    #[error("scenario file `{}` is invalid:\n{}", path.display(), list(issues))]
    Invalid {
        /// The scenario file.
        path: PathBuf,
        /// Every problem found.
        issues: Vec<Issue>,
    },
}

fn list(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(|i| format!("  - {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}
