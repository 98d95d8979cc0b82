//! Parameter errors of the path models.

use thiserror::Error;

/// A model parameter that is out of range or inconsistent, named by its scenario key
/// relative to `[market]` (for example `garch.ETH.alpha` or `crunch.end`).
#[derive(Debug, Clone, PartialEq, Error)]
#[error("`market.{key}`: {message}")]
pub struct ModelError {
    /// Key of the offending parameter, relative to `[market]`.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl ModelError {
    /// An error about `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}
