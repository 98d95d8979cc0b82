//! Derivatives building blocks of crunch (WIP doc).

pub mod black76;
mod error;
pub mod normal;

pub use black76::{Black76, Greeks, OptionKind};
pub use error::DerivError;
