//! Deterministic shocks replayed on top of any path source.
//!
//! A shock of size `x` (a fraction: 0.3 is a 30 % fall; negative for a rise) starting at
//! step `s` multiplies the prices of its assets at every step `t >= s` by `M(t)`, with
//! `k = t - s` the steps since the shock started:
//!
//! ```text
//! drop:                  M = 1 - x
//! slide over n steps:    M = 1 - x min(1, (k + 1) / n)        (reaches 1 - x at t = s + n - 1)
//! v over n steps:        M = 1 - x max(0, 1 - k / n)          (back to 1 at t = s + n)
//! ```
//!
//! and `M = 1` before `s`. A slide over one step is a drop. Several shocks multiply. The
//! source underneath draws exactly what it would draw alone, so a shocked scenario and
//! its unshocked twin share their random numbers (common random numbers), and prices
//! before the first shock step are identical. Liquidity factors and model state pass
//! through unchanged.
//!
//! Replaying a hand-made shock on simulated paths is the "hypothetical scenario" stress
//! test of e.g. Basel Committee on Banking Supervision, *Principles for sound stress
//! testing practices and supervision*, 2009, principle 9.

use crate::error::ModelError;
use crunch_core::{MarketSpec, PathRng, PathSource, PathState, PricePath};

/// The shape of a shock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShockKind {
    /// An instant drop at the shock step.
    Drop,
    /// A linear slide over `steps` steps.
    Slide {
        /// Number of steps `n >= 1` of the slide.
        steps: usize,
    },
    /// An instant drop followed by a linear recovery over `steps` steps.
    V {
        /// Number of steps `n >= 1` of the recovery.
        steps: usize,
    },
}

/// One deterministic shock.
#[derive(Debug, Clone, PartialEq)]
pub struct Shock {
    /// Shape.
    pub kind: ShockKind,
    /// First step `s >= 1` affected.
    pub step: usize,
    /// Fraction `x < 1` of the price lost (negative for a rise).
    pub size: f64,
    /// Indices of the assets shocked; empty for every moving asset.
    pub assets: Vec<usize>,
}

impl Shock {
    /// The multiplier `M(t)` of step `t`.
    pub fn multiplier(&self, t: usize) -> f64 {
        if t < self.step {
            return 1.0;
        }
        let k = (t - self.step) as f64;
        match self.kind {
            ShockKind::Drop => 1.0 - self.size,
            ShockKind::Slide { steps } => 1.0 - self.size * ((k + 1.0) / steps as f64).min(1.0),
            ShockKind::V { steps } => 1.0 - self.size * (1.0 - k / steps as f64).max(0.0),
        }
    }
}

/// A source with deterministic shocks applied to its prices.
pub struct Shocked {
    inner: Box<dyn PathSource>,
    shocks: Vec<Shock>,
    /// `targets[k][i]`: whether shock `k` applies to asset `i`.
    targets: Vec<Vec<bool>>,
}

impl Shocked {
    /// Applies `shocks` to the paths of `inner` (whose assets are `market`'s). A shock
    /// step must lie within the path (`1..=T`), sizes must be finite and `< 1`, and
    /// listed assets must exist.
    pub fn new(
        inner: Box<dyn PathSource>,
        shocks: Vec<Shock>,
        market: &MarketSpec,
    ) -> Result<Self, ModelError> {
        let n = inner.assets();
        let mut targets = Vec::with_capacity(shocks.len());
        for (k, s) in shocks.iter().enumerate() {
            let key = |f: &str| format!("shocks[{k}].{f}");
            if s.step < 1 || s.step > inner.steps() {
                return Err(ModelError::new(
                    key("step"),
                    format!(
                        "must be in 1..={} (the path's steps), got {}",
                        inner.steps(),
                        s.step
                    ),
                ));
            }
            if !(s.size.is_finite() && s.size < 1.0) {
                return Err(ModelError::new(
                    key("size"),
                    format!("must be < 1 (prices stay positive), got {}", s.size),
                ));
            }
            if let ShockKind::Slide { steps: 0 } | ShockKind::V { steps: 0 } = s.kind {
                return Err(ModelError::new(key("steps"), "must be >= 1, got 0"));
            }
            let mut hit = vec![false; n];
            if s.assets.is_empty() {
                for (h, a) in hit.iter_mut().zip(&market.assets) {
                    *h = !a.is_stable();
                }
            }
            for &i in &s.assets {
                if i >= n {
                    return Err(ModelError::new(
                        key("assets"),
                        format!("asset index {i} out of range"),
                    ));
                }
                hit[i] = true;
            }
            targets.push(hit);
        }
        Ok(Self {
            inner,
            shocks,
            targets,
        })
    }

    fn apply(&self, out: &mut PricePath) {
        for (s, hit) in self.shocks.iter().zip(&self.targets) {
            for t in s.step..=out.steps() {
                let m = s.multiplier(t);
                if m == 1.0 {
                    continue;
                }
                for (p, &h) in out.row_mut(t).iter_mut().zip(hit) {
                    if h {
                        *p *= m;
                    }
                }
            }
        }
    }
}

impl PathSource for Shocked {
    fn steps(&self) -> usize {
        self.inner.steps()
    }

    fn assets(&self) -> usize {
        self.inner.assets()
    }

    /// The inner source's draws, then the multipliers.
    fn fill(&self, rng: &mut PathRng, out: &mut PricePath) {
        self.inner.fill(rng, out);
        self.apply(out);
    }

    /// The inner source's state, unchanged.
    fn fill_with_state(&self, rng: &mut PathRng, out: &mut PricePath, state: &mut PathState) {
        self.inner.fill_with_state(rng, out, state);
        self.apply(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers_by_hand() {
        let s = |kind| Shock {
            kind,
            step: 5,
            size: 0.4,
            assets: vec![],
        };
        let drop = s(ShockKind::Drop);
        let slide = s(ShockKind::Slide { steps: 4 });
        let v = s(ShockKind::V { steps: 4 });
        let check = |s: &Shock, want: [f64; 8]| {
            for (t, w) in (3..=10).zip(want) {
                assert!((s.multiplier(t) - w).abs() < 1e-15, "step {t}: {w}");
            }
        };
        check(&drop, [1.0, 1.0, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]);
        // slide: 1 - 0.4 * {1/4, 2/4, 3/4, 1}
        check(&slide, [1.0, 1.0, 0.9, 0.8, 0.7, 0.6, 0.6, 0.6]);
        // v: 1 - 0.4 * {1, 3/4, 2/4, 1/4, 0}
        check(&v, [1.0, 1.0, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0]);
    }
}
