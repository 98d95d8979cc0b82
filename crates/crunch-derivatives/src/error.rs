//! The error type of the crate.

use thiserror::Error;

/// Why a price, a book, a margin or a tail measure cannot be computed from the inputs.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DerivError {
    /// An input is out of its allowed range; the message names it and the rule.
    #[error("`{what}` = {value}: {rule}")]
    OutOfRange {
        /// The input (`strike`, `accounts[acct].positions[2].size`, ...).
        what: String,
        /// Its value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A position refers to an asset the market does not have.
    #[error("{position}: asset {asset} does not exist (the market has {assets} assets)")]
    UnknownAsset {
        /// The position (`accounts[acct].positions[2]`).
        position: String,
        /// The asset index it names.
        asset: usize,
        /// Number of assets of the market.
        assets: usize,
    },
    /// An option is valued after its expiry (it should have been settled).
    #[error("{position}: expired at {expiry} years, valued at time {time} years (settle it first)")]
    Expired {
        /// The position.
        position: String,
        /// Its expiry in years.
        expiry: f64,
        /// The valuation time in years.
        time: f64,
    },
    /// Two inputs that must have the same length do not.
    #[error("{what}: lengths differ ({left} against {right})")]
    Shape {
        /// What is compared.
        what: &'static str,
        /// First length.
        left: usize,
        /// Second length.
        right: usize,
    },
    /// Two accounts of a book have the same identifier.
    #[error("account `{0}` appears twice in the book")]
    DuplicateAccount(String),
    /// A simulation step failed; the cause names the account and position.
    #[error("step {step}: {cause}")]
    AtStep {
        /// The step of the path.
        step: usize,
        /// What failed.
        cause: Box<DerivError>,
    },
    /// A sample is empty.
    #[error("{0}: the sample is empty")]
    EmptySample(&'static str),
}

/// `Ok(())` when `ok`, else [`DerivError::OutOfRange`] naming `what`, `value` and `rule`.
pub(crate) fn check(
    what: impl FnOnce() -> String,
    value: f64,
    ok: bool,
    rule: &'static str,
) -> Result<(), DerivError> {
    if ok {
        Ok(())
    } else {
        Err(DerivError::OutOfRange {
            what: what(),
            value,
            rule,
        })
    }
}
