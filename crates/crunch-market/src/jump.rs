//! Merton jump-diffusion: Poisson jumps with lognormal sizes, per asset and common.
//!
//! On top of the diffusion, asset `i` receives over a step of length `dt` a log-jump
//!
//! ```text
//! J_i = sum_{k=1..N_i} Y_ik,     N_i ~ Poisson(lambda_i dt),   Y_ik ~ N(m_i, s_i^2)
//! ```
//!
//! (a price jump by the factor `exp(Y)`), and, when a common jump is configured, every
//! asset it covers receives the *same* log-jump `J_c` from `N_c ~ Poisson(lambda_c dt)`
//! jumps of size `N(m_c, s_c^2)`: a market-wide event that hits all of them at once.
//! Drift compensation keeps `mu` the expected return: the log-return is reduced by
//! `lambda (exp(m + s^2 / 2) - 1) dt` per jump component, so that
//! `E[exp(J - lambda k dt)] = 1` exactly (the Poisson moment generating function), with
//! `k = E[exp(Y)] - 1`.
//!
//! Since the sum of `N` independent `N(m, s^2)` sizes is `N(N m, N s^2)`, one normal per
//! component with `N > 0` suffices: `J = N m + sqrt(N) s g`.
//!
//! Source: R. C. Merton, *Option pricing when underlying stock returns are
//! discontinuous*, J. Financial Economics 3, 1976, pp. 125-144; the common jump is the
//! systemic-jump extension of e.g. S. Das & R. Uppal, *Systemic risk and international
//! portfolio choice*, J. Finance 59(6), 2004.
//!
//! Draw order per step, after the diffusion's draws: for each asset with jumps, in asset
//! order, one uniform (the Poisson count by inversion) and, if the count is positive,
//! one standard normal; then the same for the common jump.

use crate::error::ModelError;
use crunch_core::PathRng;
use rand::RngExt;
use rand_distr::StandardNormal;

/// Largest expected number of jumps per step accepted (keeps the inversion short).
const MAX_JUMPS_PER_STEP: f64 = 10.0;

/// Intensity and lognormal size of one jump component.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JumpSize {
    /// Expected number of jumps per year, `lambda >= 0`.
    pub intensity: f64,
    /// Mean `m` of the log of the jump factor (`-0.1`: about a 10 % drop).
    pub mean: f64,
    /// Standard deviation `s >= 0` of the log of the jump factor.
    pub sd: f64,
}

impl JumpSize {
    /// Checks the ranges for steps of `dt` years; `key` prefixes error keys.
    pub fn check(&self, dt: f64, key: &str) -> Result<(), ModelError> {
        if !(self.intensity.is_finite() && self.intensity >= 0.0) {
            return Err(ModelError::new(
                format!("{key}.intensity"),
                format!("must be >= 0, got {}", self.intensity),
            ));
        }
        if self.intensity * dt > MAX_JUMPS_PER_STEP {
            return Err(ModelError::new(
                format!("{key}.intensity"),
                format!(
                    "at most {MAX_JUMPS_PER_STEP} expected jumps per step (intensity * dt), \
                     got {}",
                    self.intensity * dt
                ),
            ));
        }
        if !self.mean.is_finite() {
            return Err(ModelError::new(
                format!("{key}.mean"),
                format!("must be finite, got {}", self.mean),
            ));
        }
        if !(self.sd.is_finite() && self.sd >= 0.0) {
            return Err(ModelError::new(
                format!("{key}.sd"),
                format!("must be >= 0, got {}", self.sd),
            ));
        }
        Ok(())
    }

    /// `k = E[exp(Y)] - 1 = exp(m + s^2 / 2) - 1`, the mean relative price jump.
    pub fn mean_relative_jump(&self) -> f64 {
        (self.mean + self.sd * self.sd / 2.0).exp() - 1.0
    }
}

/// A common jump: one size shared by the listed assets.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonJump {
    /// Intensity and size.
    pub size: JumpSize,
    /// Indices of the assets it hits; empty for every moving asset.
    pub assets: Vec<usize>,
}

/// The number of events of a Poisson variable with mean `mean`, by inversion of one
/// uniform `u` in `[0, 1)`: the smallest `n` with `P(N <= n) > u`.
pub fn poisson_inverse(mean: f64, u: f64) -> u32 {
    let mut n = 0u32;
    let mut p = (-mean).exp();
    let mut cdf = p;
    while u >= cdf {
        n += 1;
        p *= mean / f64::from(n);
        if p == 0.0 {
            break;
        }
        cdf += p;
    }
    n
}

/// One compiled jump component.
#[derive(Debug, Clone)]
struct Component {
    rate_dt: f64,
    mean: f64,
    sd: f64,
    /// `lambda k dt`, subtracted from the log-return.
    compensation: f64,
}

impl Component {
    fn new(j: &JumpSize, dt: f64) -> Self {
        Self {
            rate_dt: j.intensity * dt,
            mean: j.mean,
            sd: j.sd,
            compensation: j.intensity * j.mean_relative_jump() * dt,
        }
    }

    /// The compensated log-jump of one step.
    fn draw(&self, rng: &mut PathRng) -> f64 {
        let n = poisson_inverse(self.rate_dt, rng.random::<f64>());
        let jump = if n > 0 {
            let g: f64 = rng.sample(StandardNormal);
            let n = f64::from(n);
            n * self.mean + n.sqrt() * self.sd * g
        } else {
            0.0
        };
        jump - self.compensation
    }
}

/// Per-asset and common jumps over the assets of a market, compiled for steps of `dt`.
#[derive(Debug, Clone)]
pub(crate) struct Jumps {
    per_asset: Vec<Option<Component>>,
    common: Option<(Component, Vec<bool>)>,
}

impl Jumps {
    /// Compiles the jumps; `moving[i]` says whether asset `i` moves (stable assets never
    /// jump), `symbols` name assets in errors.
    pub(crate) fn new(
        per_asset: &[Option<JumpSize>],
        common: Option<&CommonJump>,
        moving: &[bool],
        symbols: &[String],
        dt: f64,
    ) -> Result<Self, ModelError> {
        let n = moving.len();
        if per_asset.len() != n {
            return Err(ModelError::new(
                "jumps",
                format!(
                    "one entry per asset expected ({n}), got {}",
                    per_asset.len()
                ),
            ));
        }
        let mut compiled = Vec::with_capacity(n);
        for (i, j) in per_asset.iter().enumerate() {
            compiled.push(match j {
                Some(j) => {
                    let key = format!("jumps.{}", symbols[i]);
                    if !moving[i] {
                        return Err(ModelError::new(
                            key,
                            "a stable asset (sigma = mu = 0) cannot jump",
                        ));
                    }
                    j.check(dt, &key)?;
                    Some(Component::new(j, dt))
                }
                None => None,
            });
        }
        let common = match common {
            Some(c) => {
                c.size.check(dt, "common_jump")?;
                let mut hit = vec![false; n];
                if c.assets.is_empty() {
                    hit.copy_from_slice(moving);
                }
                for &i in &c.assets {
                    if i >= n || !moving[i] {
                        return Err(ModelError::new(
                            "common_jump.assets",
                            format!(
                                "asset {} is not a moving asset",
                                symbols.get(i).map_or("?", String::as_str)
                            ),
                        ));
                    }
                    hit[i] = true;
                }
                Some((Component::new(&c.size, dt), hit))
            }
            None => None,
        };
        Ok(Self {
            per_asset: compiled,
            common,
        })
    }

    /// Writes the step's compensated log-jump of every asset into `out` (0 for assets
    /// without jumps).
    pub(crate) fn draw(&self, rng: &mut PathRng, out: &mut [f64]) {
        for (o, c) in out.iter_mut().zip(&self.per_asset) {
            *o = match c {
                Some(c) => c.draw(rng),
                None => 0.0,
            };
        }
        if let Some((c, hit)) = &self.common {
            let j = c.draw(rng);
            for (o, &h) in out.iter_mut().zip(hit) {
                if h {
                    *o += j;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_inversion_by_hand() {
        // mean 1: P(0) = e^-1 = 0.3679, P(<=1) = 0.7358, P(<=2) = 0.9197.
        assert_eq!(poisson_inverse(1.0, 0.0), 0);
        assert_eq!(poisson_inverse(1.0, 0.36), 0);
        assert_eq!(poisson_inverse(1.0, 0.37), 1);
        assert_eq!(poisson_inverse(1.0, 0.9), 2);
        assert_eq!(poisson_inverse(1.0, 0.95), 3);
        assert_eq!(poisson_inverse(0.0, 0.999), 0);
    }

    #[test]
    fn compensation_is_the_mean_relative_jump() {
        let j = JumpSize {
            intensity: 2.0,
            mean: -0.1,
            sd: 0.2,
        };
        let c = Component::new(&j, 0.5);
        assert!((c.compensation - ((-0.1f64 + 0.02).exp() - 1.0)).abs() < 1e-15);
        assert_eq!(c.rate_dt, 1.0);
    }
}
