//! Filtered historical simulation: GARCH-filtered residuals resampled jointly and
//! re-scaled with a simulated GARCH variance.
//!
//! For each asset, the sample log-returns `r[t]` are demeaned (`m` = sample mean) and
//! filtered through its GARCH(1,1) parameters ([`crate::garch::garch_filter`]), giving
//! standardised residuals `zhat[t] = (r[t] - m) / sqrt(h[t])`. A path then resamples
//! whole residual rows (one date for all assets, so cross-asset dependence survives)
//! uniformly with replacement and re-scales them with the variance the model simulates:
//!
//! ```text
//! k_t ~ U{0..n-1}
//! eps_i = sqrt(h_i) zhat[k_t][i],   ln p[t][i] = ln p[t-1][i] + m_i + eps_i
//! h_i <- omega_i + alpha_i eps_i^2 + beta_i h_i
//! ```
//!
//! starting from the one-step variance forecast after the last sample date (the model's
//! current volatility), or a given start variance. The distribution of shocks is the
//! empirical one (fat tails and asymmetry as observed), while volatility reacts to the
//! simulated shocks.
//!
//! Source: G. Barone-Adesi, K. Giannopoulos & L. Vosper, *VaR without correlations for
//! portfolios of derivative securities*, J. Futures Markets 19(5), 1999, pp. 583-602.
//!
//! The GARCH parameters come from the scenario or from an estimator: the constructor
//! takes [`GarchSpec`]s, so plugging in maximum-likelihood estimates only means building
//! the specs from them.
//!
//! Draw order: one uniform per step (the row `floor(u n)`).

use crate::bootstrap::{check_returns, row_index};
use crate::error::ModelError;
use crate::garch::{GarchParams, GarchSpec, garch_filter};
use crunch_core::{MarketSpec, PathRng, PathSource, PathState, PricePath};
use rand::RngExt;

/// The filtered historical simulation source (see the module documentation).
#[derive(Debug, Clone)]
pub struct FilteredHistorical {
    steps: usize,
    sqrt_dt: f64,
    start: Vec<f64>,
    held: Vec<bool>,
    mean: Vec<f64>,
    /// Standardised residual rows, row-major `n x A` (0 for held assets).
    residuals: Vec<f64>,
    rows: usize,
    params: Vec<GarchParams>,
    start_variance: Vec<f64>,
}

impl FilteredHistorical {
    /// Filters `returns` (joint rows, one entry per asset of `market`, 0 for assets not
    /// in the data, which keep their start price) with one GARCH spec per asset (required
    /// for every asset with data; without `omega`, variance targeting to the sample
    /// variance). Paths have `steps` steps and start at the market's prices.
    pub fn new(
        market: &MarketSpec,
        returns: &[Vec<f64>],
        garch: &[Option<GarchSpec>],
        steps: usize,
    ) -> Result<Self, ModelError> {
        let n = market.len();
        check_returns(returns, n)?;
        let rows = returns.len();
        let held: Vec<bool> = (0..n)
            .map(|i| returns.iter().all(|r| r[i] == 0.0))
            .collect();
        let mut mean = vec![0.0; n];
        let mut residuals = vec![0.0; rows * n];
        let mut params = Vec::with_capacity(n);
        let mut start_variance = vec![0.0; n];
        for i in 0..n {
            let key = format!("garch.{}", market.assets[i].symbol);
            if held[i] {
                params.push(GarchParams {
                    omega: 0.0,
                    alpha: 0.0,
                    beta: 0.0,
                });
                continue;
            }
            let spec = garch.get(i).copied().flatten().ok_or_else(|| {
                ModelError::new(
                    key.clone(),
                    "missing GARCH(1,1) parameters for an asset read from the price file",
                )
            })?;
            let column: Vec<f64> = returns.iter().map(|r| r[i]).collect();
            let m = column.iter().sum::<f64>() / rows as f64;
            let var = column.iter().map(|r| (r - m).powi(2)).sum::<f64>() / rows as f64;
            let p = spec.resolve(var, &key)?;
            let f = garch_filter(&column, &p);
            mean[i] = f.mean;
            for (t, z) in f.residuals.iter().enumerate() {
                residuals[t * n + i] = *z;
            }
            start_variance[i] = spec.start_variance.unwrap_or(f.forecast);
            params.push(p);
        }
        Ok(Self {
            steps,
            sqrt_dt: market.dt.sqrt(),
            start: market.assets.iter().map(|a| a.price).collect(),
            held,
            mean,
            residuals,
            rows,
            params,
            start_variance,
        })
    }

    /// The standardised residual of sample row `t` and asset `i`.
    pub fn residual(&self, t: usize, i: usize) -> f64 {
        self.residuals[t * self.start.len() + i]
    }

    /// The resolved GARCH parameters of asset `i`.
    pub fn params(&self, i: usize) -> GarchParams {
        self.params[i]
    }

    /// The variance of the first simulated step of asset `i`.
    pub fn start_variance(&self, i: usize) -> f64 {
        self.start_variance[i]
    }

    fn generate(&self, rng: &mut PathRng, out: &mut PricePath, mut state: Option<&mut PathState>) {
        let n = self.start.len();
        let mut log_price: Vec<f64> = self.start.iter().map(|p| p.ln()).collect();
        let mut h = self.start_variance.clone();
        out.row_mut(0).copy_from_slice(&self.start);
        if let Some(s) = state.as_deref_mut() {
            s.clear();
            s.volatility.extend(std::iter::repeat_n(f64::NAN, n));
        }
        for t in 1..=self.steps {
            let k = row_index(rng.random::<f64>(), self.rows);
            let z = &self.residuals[k * n..(k + 1) * n];
            let row = out.row_mut(t);
            for i in 0..n {
                if self.held[i] {
                    row[i] = self.start[i];
                    if let Some(s) = state.as_deref_mut() {
                        s.volatility.push(f64::NAN);
                    }
                    continue;
                }
                let v = h[i].sqrt();
                if let Some(s) = state.as_deref_mut() {
                    s.volatility.push(v / self.sqrt_dt);
                }
                let eps = v * z[i];
                log_price[i] += self.mean[i] + eps;
                row[i] = log_price[i].exp();
                h[i] = self.params[i].next(h[i], eps);
            }
        }
    }
}

impl PathSource for FilteredHistorical {
    fn steps(&self) -> usize {
        self.steps
    }

    fn assets(&self) -> usize {
        self.start.len()
    }

    /// See the module documentation for the draw order.
    fn fill(&self, rng: &mut PathRng, out: &mut PricePath) {
        self.generate(rng, out, None);
    }

    /// Records every asset's annualised conditional volatility `sqrt(h / dt)` per step.
    fn fill_with_state(&self, rng: &mut PathRng, out: &mut PricePath, state: &mut PathState) {
        self.generate(rng, out, Some(state));
    }
}
