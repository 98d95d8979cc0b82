//! Account books of crunch: a validating builder that turns long-form rows
//! `(account, asset, collateral, debt)` into the structure-of-arrays [`Book`], and a
//! seeded synthetic book generator, and a protocol's limits on the initial book (Aave v3
//! isolation mode, supply and borrow caps).
//!
//! The rules are those of the `lending-v1` reference model (`docs/lending-v1.md`,
//! "Account book" and precise points 5 and 6):
//! - account order is the order of first appearance;
//! - a missing `(account, asset)` row means zero collateral and zero debt;
//! - a duplicate `(account, asset)` row is an error;
//! - an unknown asset, an empty account id, a negative or non-finite quantity is an error;
//! - debt is accepted only on a numeraire asset (`sigma = 0`, `mu = 0`, start price
//!   exactly 1); debts on several numeraire assets add up into the account's one debt;
//! - collateral may be held in any asset, numeraire assets included.
//!
//! [`Book`]: crunch_core::Book

mod builder;
mod error;
mod generator;
mod limits;

pub use builder::{BookBuilder, Locator};
pub use error::BookError;
pub use generator::{GeneratorSpec, HoldingSpec, ScoreGroup, generate};
pub use limits::{LimitError, check_caps, isolate};
