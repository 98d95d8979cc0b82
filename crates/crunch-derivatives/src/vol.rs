//! Implied volatility along a price path: an EWMA of the path's own realised squared log
//! returns, seen only up to the current step.
//!
//! Per asset `i`, with decay `lambda` in `[0, 1)` and step length `dt` (years):
//!
//! ```text
//! r_i(u)     = ln(p[u][i] / p[u-1][i])                        (log return of step u)
//! s2_i(0)    = sigma_i^2                                        (the asset's sigma, MarketSpec)
//! s2_i(u)    = lambda s2_i(u-1) + (1 - lambda) r_i(u)^2 / dt   (u >= 1)
//! sigma_i(t) = sqrt(s2_i(t))                                   (annualised)
//! ```
//!
//! the RiskMetrics estimator (J.P. Morgan/Reuters, *RiskMetrics — Technical Document*,
//! 4th ed., 1996, §5.2.1; `lambda = 0.94` for daily data, [`RISKMETRICS_LAMBDA`]), with
//! zero mean return and annualised by `1 / dt`: the same estimate as crunch-policy's
//! `dynamic` policy. It is seeded with the asset's scenario volatility, so step 0 prices
//! options at `sigma_i`, and each later return moves it with weight `1 - lambda` (a
//! memory of about `1 / (1 - lambda)` steps). Prices are read through
//! [`MarketView`], which holds steps `0..=t` only: the volatility of step `t` depends on
//! no later price.

use crunch_core::{MarketSpec, MarketView};

use crate::error::{DerivError, check};

/// RiskMetrics' decay for daily returns.
pub const RISKMETRICS_LAMBDA: f64 = 0.94;

/// Checks an EWMA decay: in `[0, 1)`.
pub(crate) fn check_lambda(lambda: f64) -> Result<(), DerivError> {
    check(
        || "ewma_lambda".into(),
        lambda,
        (0.0..1.0).contains(&lambda),
        "must be in [0, 1)",
    )
}

/// The per-path EWMA volatility estimator (module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct EwmaVol {
    lambda: f64,
    dt: f64,
    seed: Vec<f64>,
    var: Vec<f64>,
    vols: Vec<f64>,
    next: usize,
}

impl EwmaVol {
    /// An estimator for the assets of `market`, seeded with their `sigma`, with decay
    /// `lambda` in `[0, 1)`; `market.dt` must be `> 0`.
    pub fn new(market: &MarketSpec, lambda: f64) -> Result<Self, DerivError> {
        check_lambda(lambda)?;
        check(
            || "market.dt".into(),
            market.dt,
            market.dt.is_finite() && market.dt > 0.0,
            "must be finite and > 0",
        )?;
        for (i, a) in market.assets.iter().enumerate() {
            check(
                || format!("assets[{i}].sigma"),
                a.sigma,
                a.sigma.is_finite() && a.sigma >= 0.0,
                "must be finite and >= 0",
            )?;
        }
        let seed: Vec<f64> = market.assets.iter().map(|a| a.sigma * a.sigma).collect();
        Ok(Self {
            lambda,
            dt: market.dt,
            vols: market.assets.iter().map(|a| a.sigma).collect(),
            var: seed.clone(),
            seed,
            next: 0,
        })
    }

    /// The volatilities of step `view.step()`, one per asset. Steps must come in order
    /// `0, 1, 2, ...` (step 0 starts the path afresh); panics otherwise, since a skipped
    /// step would silently drop a return.
    pub fn update(&mut self, view: MarketView<'_>) -> &[f64] {
        let t = view.step();
        if t == 0 {
            self.var.copy_from_slice(&self.seed);
        } else {
            assert_eq!(t, self.next, "EwmaVol::update: steps must come in order");
            let (now, before) = (view.row(t), view.row(t - 1));
            for (i, v) in self.var.iter_mut().enumerate() {
                let r = (now[i] / before[i]).ln();
                *v = self.lambda * *v + (1.0 - self.lambda) * r * r / self.dt;
            }
        }
        for (s, v) in self.vols.iter_mut().zip(&self.var) {
            *s = v.sqrt();
        }
        self.next = t + 1;
        &self.vols
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::{AssetSpec, PricePath};

    fn market() -> MarketSpec {
        let a = |s: &str, sigma: f64| AssetSpec::new(s, 100.0, sigma);
        MarketSpec {
            assets: vec![a("ETH", 0.5), a("USDC", 0.0)],
            dt: 0.25,
            phi: 0.0,
        }
    }

    fn path(rows: &[[f64; 2]]) -> PricePath {
        let mut p = PricePath::new(rows.len() - 1, 2);
        for (t, r) in rows.iter().enumerate() {
            p.row_mut(t).copy_from_slice(r);
        }
        p
    }

    #[test]
    fn ewma_by_hand() {
        // lambda = 0.5, dt = 0.25, sigma = 0.5: s2(0) = 0.25. Step 1: ETH 100 -> 100 e^0.1,
        // r = 0.1, s2 = 0.5 * 0.25 + 0.5 * 0.01 / 0.25 = 0.145. Step 2: flat, s2 = 0.0725.
        // USDC stays at 0.
        let p = path(&[
            [100.0, 1.0],
            [100.0 * 0.1f64.exp(), 1.0],
            [100.0 * 0.1f64.exp(), 1.0],
        ]);
        let mut v = EwmaVol::new(&market(), 0.5).unwrap();
        assert_eq!(v.update(p.view_until(0)), &[0.5, 0.0]);
        let s1 = v.update(p.view_until(1)).to_vec();
        assert!((s1[0] - 0.145f64.sqrt()).abs() < 1e-15);
        assert_eq!(s1[1], 0.0);
        let s2 = v.update(p.view_until(2))[0];
        assert!((s2 - 0.0725f64.sqrt()).abs() < 1e-15);
        // Step 0 again starts afresh.
        assert_eq!(v.update(p.view_until(0)), &[0.5, 0.0]);
    }

    #[test]
    fn no_look_ahead() {
        // Changing the path after step 2 leaves steps 0..=2 unchanged, bit for bit.
        let a = path(&[
            [100.0, 1.0],
            [90.0, 1.0],
            [95.0, 1.0],
            [80.0, 1.0],
            [85.0, 1.0],
        ]);
        let mut b = a.clone();
        b.row_mut(3)[0] = 300.0;
        b.row_mut(4)[0] = 10.0;
        let run = |p: &PricePath| {
            let mut v = EwmaVol::new(&market(), RISKMETRICS_LAMBDA).unwrap();
            (0..=4)
                .map(|t| v.update(p.view_until(t))[0])
                .collect::<Vec<_>>()
        };
        let (x, y) = (run(&a), run(&b));
        assert_eq!(x[..3], y[..3]);
        assert_ne!(x[3], y[3]);
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert_eq!(
            EwmaVol::new(&market(), 1.0).unwrap_err().to_string(),
            "`ewma_lambda` = 1: must be in [0, 1)"
        );
    }
}
