//! Core types of crunch: market and book descriptions in structure-of-arrays form, price
//! paths, per-path results, the seam traits every other crate plugs into, and the one
//! function that builds random-number streams.
//!
//! Dependency direction: every crate depends on this one; the engine depends on the
//! traits here only, never on a concrete policy, path model or sink.

pub mod book;
pub mod chains;
pub mod frictions;
pub mod market;
pub mod outcome;
pub mod path;
pub mod reputation;
pub mod rng;
pub mod seams;
pub mod state;

pub use book::Book;
pub use chains::{Chain, Chains, SubAccounts};
pub use frictions::{
    Caps, Comet, EMode, Frictions, Isolation, LiquidationTerms, LiquidatorSpec, OracleFeed,
    OracleSpec, RuleSet, Spike, Window,
};
pub use market::{AssetSpec, MarketSpec};
pub use outcome::{
    HealthSample, LiquidationEvent, PathOutcome, PathSummary, StepAggregate, TierOutcome,
};
pub use path::{MarketView, PricePath};
pub use reputation::{Reputation, ScoreUpdate, Tier};
pub use rng::{Domain, PathRng, stream_rng};
pub use seams::{MarginPolicy, PathSource, PolicyState, Requirements, ResultSink};
pub use state::PathState;
