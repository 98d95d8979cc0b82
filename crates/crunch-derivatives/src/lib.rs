//! Derivatives building blocks of crunch: pricing, books and margin rules for
//! perpetual futures and European options (issue 6, "margin policies over lending and
//! derivatives books").
//!
//! What the crate gives:
//!
//! - [`normal`]: the standard normal density and distribution function (Cody's ANORM,
//!   relative accuracy about 1e-15 in the body, kept in the far tail);
//! - [`black76`]: Black-76 prices of calls and puts on a forward or futures price, with
//!   delta, gamma, vega and theta, intrinsic value at expiry or zero volatility, and
//!   refusal of invalid inputs;
//! - [`book`]: a derivatives book — per account, collateral in the numeraire, linear
//!   perpetuals (entry price, optional per-step funding) and European options on an asset
//!   index — valued (equity, P&L) per account and in aggregate at a [`MarketState`];
//! - [`margin`]: rule-based requirements (perpetual notional times a rate; long options
//!   paid in full; short options after the CBOE/FINRA rule), judged per position
//!   (isolated margin) or against the account's one equity (cross margin);
//! - [`portfolio`]: SPAN-like portfolio margin — the worst loss over a grid of price and
//!   volatility scenarios with SPAN's extreme moves and a short option minimum — by full
//!   Black-76 revaluation or by the delta-gamma-vega approximation;
//! - [`tail`]: value at risk and expected shortfall of an account's scenario P&L.
//!
//! Each module documents its formulas and their sources; every rule has a hand-computed
//! test.
//!
//! What it does not do yet: it is not wired into the simulation engine. The engine steps
//! a lending book (`crunch_core::Book`: collateral and debt) under a
//! `MarginPolicy`; simulating a derivatives book needs implied volatility paths, option
//! expiry and settlement along a path, funding along a path, and liquidation of
//! derivatives positions — the next step. There are no inter-commodity spread credits in
//! portfolio margin, no volatility smile (one implied volatility per asset), and no
//! American or path-dependent options.

pub mod black76;
pub mod book;
mod error;
pub mod insurance;
pub mod liquidation;
pub mod load;
pub mod margin;
pub mod mode;
pub mod normal;
pub mod portfolio;
pub mod sim;
pub mod tail;
pub mod vol;

pub use black76::{Black76, Greeks, OptionKind};
pub use book::{Account, AccountValue, DerivBook, Instrument, MarketState, Position};
pub use error::DerivError;
pub use insurance::{InsuranceFund, socialise};
pub use liquidation::Liquidation;
pub use load::{LoadError, load_deriv_book};
pub use margin::{IsolatedMargin, MarginCheck, RuleParams, cross_margin, isolated_margin};
pub use mode::{MarginMode, Requirement, policy_requirement};
pub use portfolio::{
    PortfolioMargin, Revaluation, ScanGrid, Scenario, portfolio_margin, scenario_losses,
};
pub use sim::{DerivOptions, DerivOutcome, DerivStep, DerivSummary, simulate_deriv_path};
pub use tail::{TailRisk, scenario_pnl, var_es};
pub use vol::{EwmaVol, RISKMETRICS_LAMBDA};
