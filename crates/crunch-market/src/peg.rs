//! Pegged assets: a stable asset (a stablecoin, a wrapped or liquid-staking token quoted
//! against its peg) that follows a mean-reverting Ornstein–Uhlenbeck path around its peg,
//! with Poisson depeg jumps.
//!
//! **Model.** With `x = ln(p / peg)` the log deviation from the peg,
//!
//! ```text
//! dx = -kappa x dt + sigma dW + dJ,     J compound Poisson: intensity lambda, sizes N(m_J, s_J^2)
//! ```
//!
//! **Exact step.** Between jumps `x` is Gaussian with the exact transition (G. E. Uhlenbeck
//! & L. S. Ornstein, *On the theory of the Brownian motion*, Phys. Rev. 36, 1930; the exact
//! simulation of a Vasicek/OU process is P. Glasserman, *Monte Carlo Methods in Financial
//! Engineering*, Springer 2004, §3.3.1):
//!
//! ```text
//! x[t] = a x[t-1] + sigma sqrt((1 - a^2) / (2 kappa)) Z[t] + J[t],     a = exp(-kappa dt)
//! J[t] = N m_J + sqrt(N) s_J G,     N ~ Poisson(lambda dt)
//! p[t] = peg exp(x[t])
//! ```
//!
//! with `Z`, `G` standard normals. The diffusion part is exact for any `dt`; the jumps of a
//! step are added at its end (a jump at time `s` inside the step would have decayed by
//! `exp(-kappa (dt - s))`, a difference of order `kappa dt`). `x[0] = ln(price / peg)`, so
//! an asset declared at its peg starts at `x = 0`.
//!
//! **Moments** (of this discrete recursion, from `x[0]`; used by the tests):
//!
//! ```text
//! E x[t]   = a^t x[0] + lambda dt m_J (1 - a^t) / (1 - a)
//! Var x[t] = (sigma^2 (1 - a^2) / (2 kappa) + lambda dt (s_J^2 + m_J^2)) (1 - a^(2t)) / (1 - a^2)
//! ```
//!
//! so without jumps the stationary variance is `sigma^2 / (2 kappa)` and a deviation's
//! half-life is `ln 2 / kappa` years.
//!
//! **Composition.** [`Pegged`] wraps any source whose pegged assets are stable (`sigma =
//! mu = 0`: the source holds them at their start price and reads nothing for them from a
//! file). It lets the source fill the path with exactly the draws it makes alone, then
//! overwrites each pegged asset's prices, drawing from the same path stream: per step
//! `t = 1..T`, per pegged asset in asset order, one standard normal `Z`, then, if its
//! `jump_intensity > 0`, one uniform (the Poisson count by inversion) and, if the count is
//! positive, one standard normal `G`. The peg's noise is therefore independent of the other
//! assets (and of a crunch's common factor). A scenario without pegs draws nothing more.

use crate::error::ModelError;
use crate::jump::poisson_inverse;
use crunch_core::{MarketSpec, PathRng, PathSource, PathState, PricePath};
use rand::RngExt;
use rand_distr::StandardNormal;

/// Largest expected number of jumps per step accepted (keeps the inversion short).
const MAX_JUMPS_PER_STEP: f64 = 10.0;

/// The Ornstein–Uhlenbeck peg of one asset (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Peg {
    /// Index of the pegged asset (stable in the market: `sigma = mu = 0`).
    pub asset: usize,
    /// Peg level (`> 0`), in the asset's price unit (USD).
    pub peg: f64,
    /// Mean-reversion speed `kappa > 0`, per year.
    pub kappa: f64,
    /// Volatility `sigma >= 0` of the log deviation, per square-root year.
    pub sigma: f64,
    /// Expected depeg jumps per year, `lambda >= 0`.
    pub jump_intensity: f64,
    /// Mean `m_J` of a jump of the log deviation (negative: a depeg).
    pub jump_mean: f64,
    /// Standard deviation `s_J >= 0` of a jump of the log deviation.
    pub jump_sd: f64,
}

impl Peg {
    /// Checks the ranges for steps of `dt` years; `key` (`pegs.SYMBOL`) prefixes error keys.
    pub fn check(&self, dt: f64, key: &str) -> Result<(), ModelError> {
        let bad = |f: &str, rule: &str, v: f64| {
            Err(ModelError::new(
                format!("{key}.{f}"),
                format!("{rule}, got {v}"),
            ))
        };
        if !(self.peg.is_finite() && self.peg > 0.0) {
            return bad("peg", "must be > 0", self.peg);
        }
        if !(self.kappa.is_finite() && self.kappa > 0.0) {
            return bad("kappa", "must be > 0 (mean reversion per year)", self.kappa);
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return bad("sigma", "must be >= 0", self.sigma);
        }
        if !(self.jump_intensity.is_finite() && self.jump_intensity >= 0.0) {
            return bad("jump_intensity", "must be >= 0", self.jump_intensity);
        }
        if self.jump_intensity * dt > MAX_JUMPS_PER_STEP {
            return bad(
                "jump_intensity",
                "at most 10 expected jumps per step (jump_intensity * dt)",
                self.jump_intensity * dt,
            );
        }
        if !self.jump_mean.is_finite() {
            return bad("jump_mean", "must be finite", self.jump_mean);
        }
        if !(self.jump_sd.is_finite() && self.jump_sd >= 0.0) {
            return bad("jump_sd", "must be >= 0", self.jump_sd);
        }
        Ok(())
    }

    /// The decay `a = exp(-kappa dt)` and the standard deviation
    /// `sigma sqrt((1 - a^2) / (2 kappa))` of one exact step of `dt` years.
    pub fn step_coefficients(&self, dt: f64) -> (f64, f64) {
        let a = (-self.kappa * dt).exp();
        // 1 - a^2 = -expm1(-2 kappa dt), accurate for small kappa dt.
        let var = -(-2.0 * self.kappa * dt).exp_m1() / (2.0 * self.kappa);
        (a, self.sigma * var.sqrt())
    }
}

/// One compiled peg.
#[derive(Debug, Clone)]
struct Compiled {
    asset: usize,
    peg: f64,
    x0: f64,
    decay: f64,
    sd: f64,
    rate_dt: f64,
    jump_mean: f64,
    jump_sd: f64,
}

/// A source whose pegged assets follow their Ornstein–Uhlenbeck peg (see the module
/// documentation); every other asset is exactly the inner source's.
pub struct Pegged {
    inner: Box<dyn PathSource>,
    pegs: Vec<Compiled>,
}

impl Pegged {
    /// Pegs on top of `inner` (whose assets are `market`'s). Each pegged asset must exist,
    /// be stable in `market` and be pegged once; parameters are checked with
    /// [`Peg::check`]. The start deviation is `ln(price / peg)` with the asset's price.
    pub fn new(
        inner: Box<dyn PathSource>,
        mut pegs: Vec<Peg>,
        market: &MarketSpec,
    ) -> Result<Self, ModelError> {
        pegs.sort_by_key(|p| p.asset);
        let mut out: Vec<Compiled> = Vec::with_capacity(pegs.len());
        for p in &pegs {
            let Some(asset) = market.assets.get(p.asset) else {
                return Err(ModelError::new(
                    "pegs",
                    format!("asset index {} out of range", p.asset),
                ));
            };
            let key = format!("pegs.{}", asset.symbol);
            if out.last().is_some_and(|c| c.asset == p.asset) {
                return Err(ModelError::new(key, "pegged twice"));
            }
            if !asset.is_stable() {
                return Err(ModelError::new(
                    key,
                    "a pegged asset must be declared stable (sigma = mu = 0 in [[assets]]): \
                     the peg, not the source, moves it",
                ));
            }
            p.check(market.dt, &key)?;
            let (decay, sd) = p.step_coefficients(market.dt);
            out.push(Compiled {
                asset: p.asset,
                peg: p.peg,
                x0: (asset.price / p.peg).ln(),
                decay,
                sd,
                rate_dt: p.jump_intensity * market.dt,
                jump_mean: p.jump_mean,
                jump_sd: p.jump_sd,
            });
        }
        Ok(Self { inner, pegs: out })
    }

    fn apply(&self, rng: &mut PathRng, out: &mut PricePath) {
        let mut x: Vec<f64> = self.pegs.iter().map(|c| c.x0).collect();
        for t in 1..=out.steps() {
            for (c, x) in self.pegs.iter().zip(x.iter_mut()) {
                let z: f64 = rng.sample(StandardNormal);
                let mut jump = 0.0;
                if c.rate_dt > 0.0 {
                    let n = poisson_inverse(c.rate_dt, rng.random::<f64>());
                    if n > 0 {
                        let g: f64 = rng.sample(StandardNormal);
                        let n = f64::from(n);
                        jump = n * c.jump_mean + n.sqrt() * c.jump_sd * g;
                    }
                }
                *x = c.decay * *x + c.sd * z + jump;
                out.row_mut(t)[c.asset] = c.peg * x.exp();
            }
        }
    }
}

impl PathSource for Pegged {
    fn steps(&self) -> usize {
        self.inner.steps()
    }

    fn assets(&self) -> usize {
        self.inner.assets()
    }

    /// The inner source's draws, then the pegs' (module documentation).
    fn fill(&self, rng: &mut PathRng, out: &mut PricePath) {
        self.inner.fill(rng, out);
        self.apply(rng, out);
    }

    /// The inner source's state, unchanged.
    fn fill_with_state(&self, rng: &mut PathRng, out: &mut PricePath, state: &mut PathState) {
        self.inner.fill_with_state(rng, out, state);
        self.apply(rng, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Gbm;
    use crunch_core::seams::generate;
    use crunch_core::{AssetSpec, Domain, stream_rng};

    fn market(usdc_price: f64) -> MarketSpec {
        let asset = |s: &str, price, sigma| AssetSpec {
            symbol: s.into(),
            price,
            sigma,
            mu: 0.0,
            depth: None,
            impact: 1.0,
        };
        MarketSpec {
            assets: vec![asset("ETH", 2000.0, 0.8), asset("USDC", usdc_price, 0.0)],
            dt: 1.0 / 365.0,
            phi: 0.0,
        }
    }

    fn peg() -> Peg {
        Peg {
            asset: 1,
            peg: 1.0,
            kappa: 20.0,
            sigma: 0.0,
            jump_intensity: 0.0,
            jump_mean: 0.0,
            jump_sd: 0.0,
        }
    }

    fn gbm(m: &MarketSpec, steps: usize) -> Box<dyn PathSource> {
        let r = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        Box::new(Gbm::new(m, &r, steps).unwrap())
    }

    #[test]
    fn step_coefficients_by_hand() {
        // kappa = 20, dt = 1/365: a = exp(-20/365) = 0.946679..., sd^2 = sigma^2 (1 - a^2) / 40.
        let mut p = peg();
        p.sigma = 0.1;
        let (a, sd) = p.step_coefficients(1.0 / 365.0);
        let want_a = (-20.0f64 / 365.0).exp();
        assert!((a - want_a).abs() < 1e-15);
        let want_sd = 0.1 * ((1.0 - want_a * want_a) / 40.0).sqrt();
        assert!((sd / want_sd - 1.0).abs() < 1e-12);
        // Small kappa dt: the exact variance tends to sigma^2 dt (Brownian motion).
        p.kappa = 1e-9;
        let (_, sd) = p.step_coefficients(0.5);
        assert!((sd / (0.1 * 0.5f64.sqrt()) - 1.0).abs() < 1e-8);
    }

    /// Without noise the deviation decays exactly as `x0 exp(-kappa t dt)`, and the other
    /// asset is the inner source's to the last bit.
    #[test]
    fn zero_noise_decays_exactly() {
        let m = market(0.9);
        let pegged = Pegged::new(gbm(&m, 50), vec![peg()], &m).unwrap();
        let x = generate(&pegged, &mut stream_rng(5, Domain::MarketPaths, 0));
        let y = generate(
            gbm(&m, 50).as_ref(),
            &mut stream_rng(5, Domain::MarketPaths, 0),
        );
        let x0 = 0.9f64.ln();
        for t in 0..=50 {
            let want = (x0 * (-20.0 * t as f64 / 365.0).exp()).exp();
            assert!(
                (x.row(t)[1] / want - 1.0).abs() < 1e-12,
                "step {t}: {} vs {want}",
                x.row(t)[1]
            );
            assert_eq!(x.row(t)[0], y.row(t)[0]);
        }
    }

    /// One step with jumps, replayed by hand from the stream: the GBM's two normals, then
    /// the peg's `Z`, `U` (and `G` if it jumps). With `sigma = s_J = 0` and `x[0] = 0`,
    /// `x[1] = N m_J` with `N` the Poisson(`lambda dt = 1`) inversion of `U`.
    #[test]
    fn one_jump_step_by_hand() {
        let m = market(1.0);
        let mut p = peg();
        p.jump_intensity = 365.0; // lambda dt = 1
        p.jump_mean = -0.05;
        let pegged = Pegged::new(gbm(&m, 1), vec![p], &m).unwrap();
        let got = generate(&pegged, &mut stream_rng(3, Domain::MarketPaths, 0)).row(1)[1];
        // Replay the draws: the GBM's 2 normals, then the peg's normal, uniform, normal.
        let mut rng = stream_rng(3, Domain::MarketPaths, 0);
        for _ in 0..3 {
            let _: f64 = rng.sample(StandardNormal);
        }
        let n = poisson_inverse(1.0, rng.random::<f64>());
        let want = (f64::from(n) * -0.05).exp();
        assert!((got - want).abs() < 1e-15, "{got} vs {want} ({n} jumps)");
    }

    #[test]
    fn checks_name_the_key() {
        let m = market(1.0);
        let err = |p: Peg| Pegged::new(gbm(&m, 5), vec![p], &m).err().unwrap();
        let mut p = peg();
        p.kappa = 0.0;
        assert_eq!(
            err(p).to_string(),
            "`market.pegs.USDC.kappa`: must be > 0 (mean reversion per year), got 0"
        );
        let mut p = peg();
        p.asset = 0;
        assert_eq!(err(p).key, "pegs.ETH");
        let mut p = peg();
        p.jump_sd = -1.0;
        assert_eq!(err(p).key, "pegs.USDC.jump_sd");
        let twice = Pegged::new(gbm(&m, 5), vec![peg(), peg()], &m);
        assert_eq!(twice.err().unwrap().message, "pegged twice");
    }
}
