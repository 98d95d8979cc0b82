//! Rescaled history: replay a real price path on an asset without its own history (a new
//! token, one listed after the crash), its log-returns scaled by a volatility ratio.
//!
//! For an asset `i` rescaled from a file asset `f` over the replayed window, with
//! `r[u] = ln(p_f[u] / p_f[u-1])`, `u = 1..T`, the source's log-returns:
//!
//! ```text
//! k = vol_ratio                                  or   k = sigma / (s_r / sqrt(dt))
//! r_i[u] = k r[u]                                (default)
//! r_i[u] = k (r[u] - m) + m                      (keep_mean = true)
//! p_i[t] = p_i[0] exp(r_i[1] + ... + r_i[t])
//! ```
//!
//! with `m = (1/T) sum r[u]` and `s_r` the sample standard deviation of `r` (divisor
//! `T - 1`), so that with `sigma` the rescaled returns have exactly that annualised sample
//! volatility. `p_i[0]` is the asset's declared price.
//!
//! The default scales every return, drift included: an asset `k` times as volatile falls
//! `k` times as far in log terms over the crash (the volatility scaling of historical
//! returns of J. Hull & A. White, *Incorporating volatility updating into the historical
//! simulation method for value-at-risk*, J. Risk 1(1), 1998, with one ratio for the whole
//! window). `keep_mean` scales only the deviations from the window's mean return, so the
//! total log change over the window, `ln(p_f[T] / p_f[0])`, is the source's: a rougher path
//! to the same place.
//!
//! What it cannot capture: the new asset's own idiosyncratic moves (its returns are
//! perfectly correlated with the source's, correlation 1 for `k > 0`), a beta different
//! from the volatility ratio, and regime changes of the ratio inside the window.

use crate::error::ModelError;
use crate::historical::Historical;
use crunch_core::MarketSpec;

/// How the returns are scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RescaleBy {
    /// A fixed ratio `k > 0`.
    Ratio(f64),
    /// A target annualised sample volatility `sigma > 0`: `k = sigma / (s_r / sqrt(dt))`.
    Sigma(f64),
}

/// One rescaled asset (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Rescale {
    /// Index of the rescaled asset (stable in the market: not read from the file).
    pub asset: usize,
    /// Index of the asset whose returns are replayed (read from the file).
    pub from: usize,
    /// The ratio or target volatility.
    pub by: RescaleBy,
    /// Scale the deviations from the mean return only.
    pub keep_mean: bool,
}

impl Rescale {
    /// The rescaled log-returns of `r` (the source's `T` log-returns) for steps of `dt`
    /// years; `key` (`rescale.SYMBOL`) names errors.
    pub fn returns(&self, r: &[f64], dt: f64, key: &str) -> Result<Vec<f64>, ModelError> {
        let n = r.len() as f64;
        let m = r.iter().sum::<f64>() / n;
        let k = match self.by {
            RescaleBy::Ratio(k) => {
                if !(k.is_finite() && k > 0.0) {
                    return Err(ModelError::new(
                        format!("{key}.vol_ratio"),
                        format!("must be > 0, got {k}"),
                    ));
                }
                k
            }
            RescaleBy::Sigma(target) => {
                if !(target.is_finite() && target > 0.0) {
                    return Err(ModelError::new(
                        format!("{key}.sigma"),
                        format!("must be > 0, got {target}"),
                    ));
                }
                if r.len() < 2 {
                    return Err(ModelError::new(
                        format!("{key}.sigma"),
                        "the window has one return: its volatility is undefined; give \
                         `vol_ratio` instead",
                    ));
                }
                let var = r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
                let vol = (var / dt).sqrt();
                if vol.is_nan() || vol <= 0.0 {
                    return Err(ModelError::new(
                        format!("{key}.sigma"),
                        "the source's returns have zero volatility over the window; give \
                         `vol_ratio` instead",
                    ));
                }
                target / vol
            }
        };
        Ok(r.iter()
            .map(|x| {
                if self.keep_mean {
                    k * (x - m) + m
                } else {
                    k * x
                }
            })
            .collect())
    }
}

impl Historical {
    /// Replaces each rescaled asset's prices (held at its start price: stable in `market`)
    /// by its rescaled path (module documentation). The source asset must not itself be
    /// rescaled; `dt` comes from `market`.
    pub fn with_rescales(
        mut self,
        rescales: &[Rescale],
        market: &MarketSpec,
    ) -> Result<Self, ModelError> {
        let steps = self.path.steps();
        let symbol = |i: usize| market.assets.get(i).map_or("?", |a| a.symbol.as_str());
        for (n, s) in rescales.iter().enumerate() {
            let key = format!("rescale.{}", symbol(s.asset));
            if s.asset >= market.len() || s.from >= market.len() {
                return Err(ModelError::new(key, "asset index out of range"));
            }
            if !market.assets[s.asset].is_stable() {
                return Err(ModelError::new(
                    key,
                    "a rescaled asset must be declared stable (sigma = mu = 0 in [[assets]]) \
                     and not read from the price file",
                ));
            }
            if s.from == s.asset || rescales.iter().any(|o| o.asset == s.from) {
                return Err(ModelError::new(
                    format!("{key}.from"),
                    format!("`{}` is itself rescaled", symbol(s.from)),
                ));
            }
            if rescales[..n].iter().any(|o| o.asset == s.asset) {
                return Err(ModelError::new(key, "rescaled twice"));
            }
            let r: Vec<f64> = (1..=steps)
                .map(|t| (self.path.row(t)[s.from] / self.path.row(t - 1)[s.from]).ln())
                .collect();
            let scaled = s.returns(&r, market.dt, &key)?;
            let p0 = self.path.row(0)[s.asset];
            let mut cumulative = 0.0;
            for (t, x) in scaled.iter().enumerate() {
                cumulative += x;
                self.path.row_mut(t + 1)[s.asset] = p0 * cumulative.exp();
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::seams::generate;
    use crunch_core::{AssetSpec, Domain, PathSource, stream_rng};

    fn market() -> MarketSpec {
        let asset = |s: &str, price, sigma| AssetSpec {
            symbol: s.into(),
            price,
            sigma,
            mu: 0.0,
            depth: None,
            impact: 1.0,
        };
        MarketSpec {
            assets: vec![asset("ETH", 100.0, 0.8), asset("NEW", 2.0, 0.0)],
            dt: 0.25,
            phi: 0.0,
        }
    }

    const ETH: [f64; 4] = [100.0, 80.0, 90.0, 45.0];

    fn replay(by: RescaleBy, keep_mean: bool) -> Result<Vec<f64>, ModelError> {
        let m = market();
        let h = Historical::new(&m, &[Some(&ETH), None]).with_rescales(
            &[Rescale {
                asset: 1,
                from: 0,
                by,
                keep_mean,
            }],
            &m,
        )?;
        let p = generate(&h, &mut stream_rng(1, Domain::MarketPaths, 0));
        assert_eq!(h.steps(), 3);
        for (t, eth) in ETH.iter().enumerate() {
            assert_eq!(p.row(t)[0], *eth, "the source asset is untouched");
        }
        Ok((0..=3).map(|t| p.row(t)[1]).collect())
    }

    fn close(got: &[f64], want: &[f64]) {
        for (t, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g / w - 1.0).abs() < 1e-12, "step {t}: {g} vs {w}");
        }
    }

    /// Each return is exactly `k` times the source's: `p[t] = 2 (ETH[t] / 100)^k`.
    #[test]
    fn ratio_scales_every_return() {
        let got = replay(RescaleBy::Ratio(1.5), false).unwrap();
        close(
            &got,
            &[
                2.0,
                2.0 * 0.8f64.powf(1.5),
                2.0 * 0.9f64.powf(1.5),
                2.0 * 0.45f64.powf(1.5),
            ],
        );
        // k = 1 is a copy of the source's returns.
        let copy = replay(RescaleBy::Ratio(1.0), false).unwrap();
        close(&copy, &[2.0, 1.6, 1.8, 0.9]);
    }

    /// With `keep_mean` the deviations are scaled and the window's total change is the
    /// source's: `ln(p[T] / p[0]) = ln(45 / 100)`, and the first step is
    /// `k (r1 - m) + m` with `m = ln(0.45) / 3`.
    #[test]
    fn keep_mean_keeps_the_total_change() {
        let got = replay(RescaleBy::Ratio(2.0), true).unwrap();
        let m = 0.45f64.ln() / 3.0;
        let r1 = 0.8f64.ln();
        assert!((got[1] / (2.0 * (2.0 * (r1 - m) + m).exp()) - 1.0).abs() < 1e-12);
        assert!(((got[3] / got[0]).ln() - 0.45f64.ln()).abs() < 1e-12);
    }

    /// A target volatility gives exactly that annualised sample volatility (`dt = 0.25`).
    #[test]
    fn sigma_target_is_met_exactly() {
        let got = replay(RescaleBy::Sigma(0.6), false).unwrap();
        let r: Vec<f64> = (1..=3).map(|t| (got[t] / got[t - 1]).ln()).collect();
        let m = r.iter().sum::<f64>() / 3.0;
        let var = r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 2.0;
        assert!(((var / 0.25).sqrt() - 0.6).abs() < 1e-12);
    }

    #[test]
    fn checks_name_the_key() {
        let e = replay(RescaleBy::Ratio(0.0), false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`market.rescale.NEW.vol_ratio`: must be > 0, got 0"
        );
        let m = market();
        let flat = [100.0, 100.0, 100.0];
        let e = Historical::new(&m, &[Some(&flat), None])
            .with_rescales(
                &[Rescale {
                    asset: 1,
                    from: 0,
                    by: RescaleBy::Sigma(0.5),
                    keep_mean: false,
                }],
                &m,
            )
            .err()
            .unwrap();
        assert_eq!(e.key, "rescale.NEW.sigma");
        let e = Historical::new(&m, &[Some(&flat), None])
            .with_rescales(
                &[Rescale {
                    asset: 0,
                    from: 1,
                    by: RescaleBy::Ratio(1.0),
                    keep_mean: false,
                }],
                &m,
            )
            .err()
            .unwrap();
        assert_eq!(e.key, "rescale.ETH");
    }
}
