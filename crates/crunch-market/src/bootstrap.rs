//! Stationary block bootstrap of joint historical log-returns.
//!
//! From a sample of `n` joint log-return rows `r[0..n]` (one entry per asset, all assets
//! of a row from the same date), a path is built from blocks of consecutive rows with
//! geometrically distributed lengths of mean `L`, read circularly (row `n - 1` is
//! followed by row 0):
//!
//! ```text
//! k_1 ~ U{0..n-1};   k_t = k_{t-1} + 1 mod n  with probability 1 - 1/L,
//!                    k_t ~ U{0..n-1}          with probability 1/L
//! ln p[t][i] = ln p[t-1][i] + r[k_t][i]
//! ```
//!
//! Whole rows are resampled, so the cross-asset dependence of each date survives exactly,
//! and blocks keep short-range dependence (volatility clustering, autocorrelation) up to
//! their length. The resampled series is strictly stationary, and every row is equally
//! likely at every step, so the moments and the cross-correlation of the sample are
//! preserved in expectation. `L = 1` is the iid bootstrap of rows.
//!
//! Source: D. N. Politis & J. P. Romano, *The stationary bootstrap*, J. American
//! Statistical Association 89(428), 1994, pp. 1303-1313.
//!
//! Draw order: step 1 draws one uniform (the first row `floor(u n)`); each later step
//! draws one uniform `u` and, only if `u < 1/L` (a new block), a second uniform for the
//! new row.

use crate::error::ModelError;
use crunch_core::{MarketSpec, PathRng, PathSource, PricePath};
use rand::RngExt;

/// Log-returns `ln(c[t+1] / c[t])` of close series `closes[s][t]` (one series per asset,
/// equal lengths), as joint rows: `rows[t][s]`.
pub fn log_returns(closes: &[&[f64]]) -> Vec<Vec<f64>> {
    let len = closes.first().map_or(0, |c| c.len());
    (1..len)
        .map(|t| closes.iter().map(|c| (c[t] / c[t - 1]).ln()).collect())
        .collect()
}

/// A uniform row index in `0..rows` from a uniform `u` in `[0, 1)`.
#[inline]
pub(crate) fn row_index(u: f64, rows: usize) -> usize {
    ((u * rows as f64) as usize).min(rows - 1)
}

/// Checks a joint return sample: at least one row, one entry per asset, finite values.
pub(crate) fn check_returns(returns: &[Vec<f64>], assets: usize) -> Result<(), ModelError> {
    if returns.is_empty() {
        return Err(ModelError::new(
            "file",
            "no returns to resample (one price row)",
        ));
    }
    for (t, row) in returns.iter().enumerate() {
        if row.len() != assets {
            return Err(ModelError::new(
                "file",
                format!(
                    "return row {t} has {} entries, expected {assets}",
                    row.len()
                ),
            ));
        }
        if let Some(x) = row.iter().find(|x| !x.is_finite()) {
            return Err(ModelError::new(
                "file",
                format!("return row {t} holds a non-finite value {x}"),
            ));
        }
    }
    Ok(())
}

/// The stationary bootstrap source (see the module documentation).
#[derive(Debug, Clone)]
pub struct StationaryBootstrap {
    steps: usize,
    start: Vec<f64>,
    /// Assets whose returns are all zero keep their start price exactly.
    held: Vec<bool>,
    /// Joint rows, row-major `n x A`.
    returns: Vec<f64>,
    rows: usize,
    /// Probability `1/L` of starting a new block.
    p_new: f64,
}

impl StationaryBootstrap {
    /// A bootstrap of `returns` (joint rows with one entry per asset of `market`; 0 for
    /// an asset not in the data, which then keeps its start price) with mean block length
    /// `mean_block >= 1`, for paths of `steps` steps starting at the market's prices.
    pub fn new(
        market: &MarketSpec,
        returns: &[Vec<f64>],
        mean_block: f64,
        steps: usize,
    ) -> Result<Self, ModelError> {
        let n = market.len();
        check_returns(returns, n)?;
        if !(mean_block.is_finite() && mean_block >= 1.0) {
            return Err(ModelError::new(
                "mean_block",
                format!("must be >= 1, got {mean_block}"),
            ));
        }
        Ok(Self {
            steps,
            start: market.assets.iter().map(|a| a.price).collect(),
            held: (0..n)
                .map(|i| returns.iter().all(|r| r[i] == 0.0))
                .collect(),
            returns: returns.concat(),
            rows: returns.len(),
            p_new: 1.0 / mean_block,
        })
    }

    /// Number of sample rows `n`.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

impl PathSource for StationaryBootstrap {
    fn steps(&self) -> usize {
        self.steps
    }

    fn assets(&self) -> usize {
        self.start.len()
    }

    /// See the module documentation for the draw order.
    fn fill(&self, rng: &mut PathRng, out: &mut PricePath) {
        let n = self.start.len();
        let mut log_price: Vec<f64> = self.start.iter().map(|p| p.ln()).collect();
        out.row_mut(0).copy_from_slice(&self.start);
        let mut k = 0;
        for t in 1..=self.steps {
            k = if t == 1 || rng.random::<f64>() < self.p_new {
                row_index(rng.random::<f64>(), self.rows)
            } else {
                (k + 1) % self.rows
            };
            let r = &self.returns[k * n..(k + 1) * n];
            let row = out.row_mut(t);
            for i in 0..n {
                if self.held[i] {
                    row[i] = self.start[i];
                } else {
                    log_price[i] += r[i];
                    row[i] = log_price[i].exp();
                }
            }
        }
    }
}
