//! Model state recorded alongside a price path, for inspection (`crunch paths`).

/// State of a path model along one path, recorded by
/// [`PathSource::fill_with_state`](crate::PathSource::fill_with_state).
///
/// Each series is either empty (the model has no such state) or has one entry per step
/// `t = 0..=T` (`volatility`: one row of `A` entries per step, row-major). Sources that
/// record nothing leave every series empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathState {
    /// Crunch weight `w(t)` in `[0, 1]` per step (0 outside the crunch window).
    pub crunch_weight: Vec<f64>,
    /// Index of the market regime in force at each step (the regime that drove the
    /// return from `t - 1` to `t`; at `t = 0` the start regime).
    pub regime: Vec<u32>,
    /// Annualised volatility of the log-return from `t - 1` to `t` per step and asset,
    /// row-major `(T + 1) x A`; NaN at `t = 0` (no return yet) and for stable assets.
    pub volatility: Vec<f64>,
}

impl PathState {
    /// Empties every series (keeping the allocations), so that the state can be reused
    /// for the next path.
    pub fn clear(&mut self) {
        self.crunch_weight.clear();
        self.regime.clear();
        self.volatility.clear();
    }

    /// Whether no series was recorded.
    pub fn is_empty(&self) -> bool {
        self.crunch_weight.is_empty() && self.regime.is_empty() && self.volatility.is_empty()
    }
}
