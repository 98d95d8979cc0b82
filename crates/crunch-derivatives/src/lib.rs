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
//! - [`tail`]: value at risk and expected shortfall of an account's scenario P&L;
//! - [`simulated`]: VaR / expected-shortfall margin over a fixed sample of correlated
//!   simulated moves (the simulation variant of portfolio margin);
//! - [`sim`]: **a book simulated along a price path** ([`simulate_deriv_path`]) — the
//!   same `crunch_core::PricePath`s the lending engine steps, so lending policies and
//!   derivatives margin are compared on the same paths — with implied volatility from the
//!   path itself ([`vol`]: RiskMetrics EWMA, no look-ahead), funding per step, settlement
//!   of options at expiry, liquidation, an insurance fund and socialised loss, and
//!   per-path metrics ([`DerivSummary`], optionally a per-step series [`DerivStep`]);
//! - [`mode`]: the margin modes a run selects ([`MarginMode`]): isolated, cross,
//!   portfolio (full or delta-gamma-vega), VaR / ES over simulated moves, and any lending `crunch_core::MarginPolicy`
//!   (static-ltv, dynamic, predictive) mapped to derivatives through delta notionals;
//! - [`liquidation`]: proportional partial liquidation to the maintenance requirement,
//!   with a penalty to the insurance fund and `lending-v1`'s square-root slippage;
//! - [`insurance`]: the insurance fund, then a pro-rata haircut on winners' P&L, then bad
//!   debt (after Deribit's published waterfall);
//! - [`load`]: a derivatives book from a long-form CSV file ([`load_deriv_book`]), every
//!   bad row named by file, line and column.
//!
//! Each module documents its formulas and their sources; every rule has a hand-computed
//! test.
//!
//! A run is a pure function of (market, book, mode, path, options): no randomness of its
//! own, no shared state, so paths may run on any number of threads with bit-identical
//! results (the paths themselves come from `crunch_core::stream_rng(seed, domain, path)`).
//!
//! A scenario's `[derivatives]` section runs [`simulate_deriv_path`] from `crunch run`
//! (`crunch-cli`), on the lending run's paths, into `derivatives.parquet`.
//!
//! What it does not do: liquidations close at the mark plus
//! slippage and have no permanent price impact on the path (`lending-v1`'s `phi` is not
//! applied); there is no auto-deleveraging of winners' positions (losses beyond the fund
//! are socialised on P&L instead); funding rates are fixed per position rather than
//! derived from a premium index; there are no inter-commodity spread credits in portfolio
//! margin, no volatility smile (one implied volatility per asset), and no American or
//! path-dependent options.

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
pub mod simulated;
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
pub use sim::{
    DerivEvent, DerivOptions, DerivOutcome, DerivStep, DerivSummary, simulate_deriv_path,
};
pub use simulated::{SimulatedMoves, TailMeasure};
pub use tail::{TailRisk, scenario_pnl, var_es};
pub use vol::{EwmaVol, RISKMETRICS_LAMBDA};
