//! Errors of book building and generation.

use thiserror::Error;

/// Why a book row or a generator specification was refused.
///
/// Row errors name the account and asset; the loader that feeds the builder adds the
/// file and the line or row in front of the message.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BookError {
    /// A row names an asset the scenario does not declare.
    #[error("account `{account}`: unknown asset `{asset}` (the scenario declares {declared})")]
    UnknownAsset {
        /// Account id of the row.
        account: String,
        /// The unknown symbol.
        asset: String,
        /// The declared symbols, comma-separated.
        declared: String,
    },
    /// A row has an empty account id.
    #[error("empty account id (asset `{asset}`)")]
    EmptyAccount {
        /// Asset of the row.
        asset: String,
    },
    /// A collateral or debt quantity is NaN or infinite.
    #[error("account `{account}`, asset `{asset}`: non-finite {field} {value}")]
    NonFinite {
        /// Account id of the row.
        account: String,
        /// Asset of the row.
        asset: String,
        /// `collateral` or `debt`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A collateral or debt quantity is below zero.
    #[error("account `{account}`, asset `{asset}`: negative {field} {value}")]
    Negative {
        /// Account id of the row.
        account: String,
        /// Asset of the row.
        asset: String,
        /// `collateral` or `debt`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// Debt on an asset that is not a numeraire (without multi-asset debt).
    #[error(
        "account `{account}`: debt {value} on moving asset `{asset}`: debt is accepted only \
         on a stable asset with start price 1 (set `[protocol] multi_asset_debt = true` to \
         owe any asset)"
    )]
    DebtOnMovingAsset {
        /// Account id of the row.
        account: String,
        /// The asset that may not carry debt.
        asset: String,
        /// The debt quantity.
        value: f64,
    },
    /// A reputation score that is NaN or infinite.
    #[error("account `{account}`: non-finite score {value}")]
    NonFiniteScore {
        /// Account id of the row.
        account: String,
        /// The offending value.
        value: f64,
    },
    /// A row gives its account a score other than an earlier row's.
    #[error(
        "account `{account}`: score {value} differs from the score {first} given at {at} \
         (one score per account, the same on each of its rows)"
    )]
    ScoreDiffers {
        /// Account id.
        account: String,
        /// This row's score.
        value: f64,
        /// The earlier row's score.
        first: f64,
        /// Where the earlier row is (`line N` or `row N`).
        at: String,
    },
    /// A second row for an `(account, asset)` pair.
    #[error("duplicate row for account `{account}` and asset `{asset}` (first at {first})")]
    DuplicateRow {
        /// Account id.
        account: String,
        /// Asset symbol.
        asset: String,
        /// Where the first row was, as the caller located it (for example `line 12`).
        first: String,
    },
    /// The generator specification is invalid.
    #[error("book generator: {0}")]
    InvalidGenerator(String),
}
