//! The seams of crunch: a price-path source, a margin policy and a result sink. The engine
//! is written against these traits only, so a new path model, policy or output format
//! never touches its loop.

use crate::outcome::PathOutcome;
use crate::path::{MarketView, PricePath};
use crate::rng::PathRng;
use crate::state::PathState;

/// Fills one price path at a time into a caller-owned buffer.
///
/// Implementations must be pure functions of their configuration and the RNG handed in,
/// which the engine derives from `(seed, path index)`: that is what makes results
/// independent of the thread count.
pub trait PathSource: Send + Sync {
    /// Number of steps `T` of every path.
    fn steps(&self) -> usize;
    /// Number of assets `A` of every path.
    fn assets(&self) -> usize;
    /// Writes prices for steps `0..=T` into `out` (already sized `T x A`), drawing only
    /// from `rng`.
    fn fill(&self, rng: &mut PathRng, out: &mut PricePath);

    /// Like [`fill`](Self::fill), and also records the model's state along the path
    /// (crunch weight, regime, volatility) into `state`, which the caller passes empty
    /// (see [`PathState::clear`]). It must write exactly the prices and liquidity factors
    /// that `fill` writes for the same `rng`. The default calls `fill` and records
    /// nothing: a model without state needs no other implementation.
    fn fill_with_state(&self, rng: &mut PathRng, out: &mut PricePath, state: &mut PathState) {
        let _ = state;
        self.fill(rng, out);
    }
}

/// What a margin policy requires of accounts at one step, per asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirements {
    /// Maximum loan-to-value `ltv_i` (borrowing power per unit of collateral value).
    pub ltv: Vec<f64>,
    /// Liquidation threshold `lt_i` (weight of collateral in the health factor).
    pub lt: Vec<f64>,
    /// Liquidation bonus `bonus_i >= 0` paid to liquidators on seized collateral.
    pub bonus: Vec<f64>,
    /// Share of the debt a liquidation repays, in `(0, 1]`.
    pub close_factor: f64,
}

impl Requirements {
    /// Requirements over `assets` assets, all zero (an asset with no policy entry has
    /// `ltv = lt = bonus = 0`), with close factor 1.
    pub fn zeroed(assets: usize) -> Self {
        Self {
            ltv: vec![0.0; assets],
            lt: vec![0.0; assets],
            bonus: vec![0.0; assets],
            close_factor: 1.0,
        }
    }
}

/// A margin policy: a named factory of per-path state.
pub trait MarginPolicy: Send + Sync {
    /// The policy's name as it appears in the `policy` output column.
    fn name(&self) -> &str;
    /// Fresh state for one path (an EWMA, a forecast, or nothing for a static policy).
    fn start_path(&self) -> Box<dyn PolicyState + '_>;
}

/// The per-path state of a policy.
pub trait PolicyState {
    /// Sets the requirements in force at step `market.step()`. Called at step 0 and then
    /// once per step before health factors are evaluated; `market` holds steps `0..=t`
    /// only, so no look-ahead is possible.
    fn update(&mut self, market: MarketView<'_>, requirements: &mut Requirements);
}

/// Receives simulation outcomes in (path, policy) order and publishes them.
pub trait ResultSink {
    /// Error type of the sink.
    type Error;
    /// Accepts the outcome of one (path, policy); called in increasing path order and, for
    /// one path, in policy order.
    fn accept(&mut self, outcome: &PathOutcome) -> Result<(), Self::Error>;
}

/// Convenience for tests and tools: the path a source produces for one RNG.
pub fn generate(source: &dyn PathSource, rng: &mut PathRng) -> PricePath {
    let mut out = PricePath::new(source.steps(), source.assets());
    source.fill(rng, &mut out);
    out
}
