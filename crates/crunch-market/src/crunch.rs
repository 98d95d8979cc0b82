//! The correlation crunch: a window of steps in which every pairwise correlation moves
//! toward a target (up to 1), volatility is multiplied and liquidity depth is divided.
//!
//! **Weight.** For a window `[start, end]` (steps, `1 <= start <= end <= T`) with
//! `ramp_in` and `ramp_out` steps,
//!
//! ```text
//! w(t) = min(1, (t - start + 1) / (ramp_in + 1), (end - t + 1) / (ramp_out + 1))   start <= t <= end
//! w(t) = 0                                                                          otherwise
//! ```
//!
//! so the weight rises linearly over the first `ramp_in` steps, is exactly 1 on the plateau
//! `[start + ramp_in, end - ramp_out]` (at least one step: `ramp_in + ramp_out <= end -
//! start`), and falls linearly over the last `ramp_out` steps. Step `t` is the return
//! from `t - 1` to `t`.
//!
//! **Correlation.** With `y = L e` the model's correlated innovations (`L L^T = R`) and one
//! extra standard normal `f` per step (drawn only when `w(t) > 0`), every moving asset gets
//!
//! ```text
//! z_i = sqrt(v) f + sqrt(1 - v) y_i,        v = w(t) * c
//! corr(z_i, z_j) = v + (1 - v) R_ij
//! ```
//!
//! a valid correlation matrix for every `v` in `[0, 1]` (a convex combination of `R` and
//! the all-ones matrix, both positive semi-definite), including `v = 1`, without
//! factorising anything again. The target scale `c` makes the *average* pairwise
//! correlation of the moving assets reach `target_correlation = rho*` at `w = 1`: with
//! `rbar` the average of `R_ij` over pairs `i < j` of moving assets,
//!
//! ```text
//! rbar(v) = v + (1 - v) rbar = rho*   =>   c = (rho* - rbar) / (1 - rbar)
//! ```
//!
//! (`c = 1` for `rho* = 1`, or when `rbar = 1` or fewer than two assets move). A target
//! below `rbar` is refused. During the ramps the average correlation moves linearly,
//! `rbar + w(t) (rho* - rbar)`. Blending a correlation matrix with a stressed one (here
//! the all-ones matrix of a single common factor) is the method of C. Finger, *A
//! methodology to stress correlations*, RiskMetrics Monitor, Q4 1997, pp. 3-11; see also
//! P. Kupiec, *Stress testing in a value at risk framework*, J. Derivatives 6(1), 1998.
//! For Student-t innovations the common chi-square scale multiplies the
//! mixed vector, so the mixture stays multivariate t with correlation `v + (1 - v) R`.
//!
//! **Volatility.** The diffusion volatility of every moving asset is multiplied by
//! `1 + w(t) (vol_multiplier - 1)` (for GARCH, the conditional volatility; the GARCH
//! recursion itself runs on the unmultiplied shock, so the crunch is an overlay that
//! leaves the model unchanged outside the window). The drift keeps `mu` as the expected
//! return: the convexity term uses the multiplied volatility.
//!
//! **Liquidity.** Depth is divided by `1 + w(t) (depth_divisor - 1)`: the liquidity factor
//! of every asset at step `t` is `1 / (1 + w(t) (depth_divisor - 1))`, written into
//! [`PricePath::liquidity_row_mut`](crunch_core::PricePath::liquidity_row_mut); the engine
//! multiplies it into each asset's depth.

use crate::error::ModelError;

/// Pairwise correlations within this distance of 1 count as exactly 1.
const ONE_TOL: f64 = 1e-12;

/// The crunch window and what it does (see the module documentation for the formulas).
#[derive(Debug, Clone, PartialEq)]
pub struct Crunch {
    /// First step of the window (`>= 1`).
    pub start: usize,
    /// Last step of the window (`>= start`, `<= T`).
    pub end: usize,
    /// Steps over which the weight rises from 0 to 1 at the start of the window.
    pub ramp_in: usize,
    /// Steps over which the weight falls from 1 to 0 at the end of the window.
    pub ramp_out: usize,
    /// Average pairwise correlation of the moving assets' innovations at full weight, in
    /// `[rbar, 1]` (`rbar`: the average of the model's own correlation matrix).
    pub target_correlation: f64,
    /// Volatility multiplier at full weight (`> 0`).
    pub vol_multiplier: f64,
    /// Depth divisor at full weight (`> 0`; above 1 dries liquidity up).
    pub depth_divisor: f64,
}

impl Crunch {
    /// Checks the window against a path of `steps` steps and the multipliers' ranges.
    pub fn check(&self, steps: usize) -> Result<(), ModelError> {
        if self.start < 1 {
            return Err(ModelError::new("crunch.start", "must be >= 1, got 0"));
        }
        if self.end < self.start {
            return Err(ModelError::new(
                "crunch.end",
                format!("must be >= crunch.start ({}), got {}", self.start, self.end),
            ));
        }
        if self.end > steps {
            return Err(ModelError::new(
                "crunch.end",
                format!("must be <= steps ({steps}), got {}", self.end),
            ));
        }
        if self.ramp_in + self.ramp_out > self.end - self.start {
            return Err(ModelError::new(
                "crunch.ramp_in",
                format!(
                    "ramp_in + ramp_out must be <= end - start ({}) so that the window \
                     reaches full weight, got {} + {}",
                    self.end - self.start,
                    self.ramp_in,
                    self.ramp_out
                ),
            ));
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.vol_multiplier) {
            return Err(ModelError::new(
                "crunch.vol_multiplier",
                format!("must be > 0, got {}", self.vol_multiplier),
            ));
        }
        if !positive(self.depth_divisor) {
            return Err(ModelError::new(
                "crunch.depth_divisor",
                format!("must be > 0, got {}", self.depth_divisor),
            ));
        }
        if !(self.target_correlation.is_finite() && (-1.0..=1.0).contains(&self.target_correlation))
        {
            return Err(ModelError::new(
                "crunch.target_correlation",
                format!("must be in [-1, 1], got {}", self.target_correlation),
            ));
        }
        Ok(())
    }

    /// The weight `w(t)` in `[0, 1]` of step `t`.
    pub fn weight(&self, t: usize) -> f64 {
        if t < self.start || t > self.end {
            return 0.0;
        }
        let rise = (t - self.start + 1) as f64 / (self.ramp_in + 1) as f64;
        let fall = (self.end - t + 1) as f64 / (self.ramp_out + 1) as f64;
        rise.min(fall).min(1.0)
    }

    /// Volatility factor `1 + w (vol_multiplier - 1)` at weight `w`.
    pub fn vol_factor(&self, w: f64) -> f64 {
        1.0 + w * (self.vol_multiplier - 1.0)
    }

    /// Liquidity factor `1 / (1 + w (depth_divisor - 1))` at weight `w`.
    pub fn liquidity_factor(&self, w: f64) -> f64 {
        1.0 / (1.0 + w * (self.depth_divisor - 1.0))
    }

    /// The target scale `c = (rho* - rbar) / (1 - rbar)` for a model whose average
    /// pairwise correlation is `average` (`None`: fewer than two moving assets, `c = 1`).
    /// A target below `average` is refused.
    pub fn target_scale(&self, average: Option<f64>) -> Result<f64, ModelError> {
        let Some(rbar) = average else { return Ok(1.0) };
        let target = self.target_correlation;
        if target < rbar - ONE_TOL {
            return Err(ModelError::new(
                "crunch.target_correlation",
                format!(
                    "{target} is below the model's own average pairwise correlation \
                     {rbar:.6}; a crunch can only raise correlations"
                ),
            ));
        }
        if 1.0 - rbar < ONE_TOL {
            return Ok(1.0);
        }
        Ok(((target - rbar) / (1.0 - rbar)).clamp(0.0, 1.0))
    }
}

/// Average of `r[i][j]` over pairs `i < j` of the listed assets; `None` for fewer than two.
pub fn average_pairwise_correlation(r: &[Vec<f64>], assets: &[usize]) -> Option<f64> {
    let mut sum = 0.0;
    let mut pairs = 0usize;
    for (a, &i) in assets.iter().enumerate() {
        for &j in &assets[a + 1..] {
            sum += r[i][j];
            pairs += 1;
        }
    }
    (pairs > 0).then(|| sum / pairs as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crunch() -> Crunch {
        Crunch {
            start: 10,
            end: 20,
            ramp_in: 2,
            ramp_out: 3,
            target_correlation: 1.0,
            vol_multiplier: 3.0,
            depth_divisor: 5.0,
        }
    }

    #[test]
    fn weights_ramp_in_hold_and_ramp_out() {
        let c = crunch();
        let w: Vec<f64> = (8..=22).map(|t| c.weight(t)).collect();
        let third = 1.0 / 3.0;
        let want = [
            0.0,
            0.0,
            third,
            2.0 * third,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            0.75,
            0.5,
            0.25,
            0.0,
            0.0,
        ];
        for (t, (g, x)) in w.iter().zip(want).enumerate() {
            assert!((g - x).abs() < 1e-15, "step {}: {g} vs {x}", t + 8);
        }
        // Factors by hand: w = 1/3 -> vol 1 + 2/3, depth 1 / (1 + 4/3) = 3/7.
        assert!((c.vol_factor(third) - 5.0 / 3.0).abs() < 1e-15);
        assert!((c.liquidity_factor(third) - 3.0 / 7.0).abs() < 1e-15);
        assert_eq!(c.liquidity_factor(0.0), 1.0);
        assert_eq!(c.liquidity_factor(1.0), 0.2);
    }

    #[test]
    fn target_scale_reaches_the_average() {
        let mut c = crunch();
        c.target_correlation = 0.8;
        // rbar = 0.2: c = 0.6 / 0.8 = 0.75; rbar(0.75) = 0.75 + 0.25 * 0.2 = 0.8.
        let s = c.target_scale(Some(0.2)).unwrap();
        assert!((s - 0.75).abs() < 1e-15);
        assert_eq!(c.target_scale(None).unwrap(), 1.0);
        let e = c.target_scale(Some(0.9)).unwrap_err();
        assert_eq!(e.key, "crunch.target_correlation");
        c.target_correlation = 1.0;
        assert_eq!(c.target_scale(Some(1.0)).unwrap(), 1.0);
        assert_eq!(c.target_scale(Some(0.2)).unwrap(), 1.0);
        let r = vec![
            vec![1.0, 0.5, 0.1],
            vec![0.5, 1.0, 0.3],
            vec![0.1, 0.3, 1.0],
        ];
        let avg = average_pairwise_correlation(&r, &[0, 1, 2]).unwrap();
        assert!((avg - 0.3).abs() < 1e-15);
        assert_eq!(average_pairwise_correlation(&r, &[1]), None);
    }

    #[test]
    fn window_checks() {
        let mut c = crunch();
        assert!(c.check(20).is_ok());
        assert_eq!(c.check(19).unwrap_err().key, "crunch.end");
        c.ramp_in = 8;
        assert_eq!(c.check(30).unwrap_err().key, "crunch.ramp_in");
    }
}
