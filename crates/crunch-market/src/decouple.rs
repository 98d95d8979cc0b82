//! Pair decoupling: during a window, the correlation of one pair of assets (a liquid
//! staking token against its base asset) moves to a target while every other entry of the
//! correlation matrix stays as it is — the opposite of the crunch, which pushes every pair
//! toward one.
//!
//! For a decoupling of assets `(i, j)` to `rho*` over steps `start..=end`, the innovations
//! of step `t` in the window use the matrix `R'` equal to the model's `R` except
//!
//! ```text
//! R'_ij = R'_ji = rho*
//! ```
//!
//! (several decouplings active at the same step each set their own pair), factorised once
//! per distinct set of active pairs: `z = L' e` with `L' L'^T = R'`. The draws are those of
//! the model without decoupling (the same `A` normals `e` per step), so prices before the
//! first window are identical, and steps outside every window are exactly the model's.
//! With regimes, each regime's matrix gets the same change. Inside an overlapping crunch
//! window the crunch mixes on top: `corr = v + (1 - v) R'_ij`.
//!
//! **Validity.** Changing one entry of a correlation matrix can make it indefinite (no
//! joint distribution has those correlations: `STETH`-`ETH` 0 while both are 0.9 with
//! `BTC` is impossible). Every matrix `R'` that occurs is factorised by the Cholesky
//! factorisation of [`cholesky_psd`], which succeeds exactly for positive semi-definite
//! matrices (Golub & Van Loan, *Matrix Computations*, 4th ed., §4.2.8); a failure is an
//! error naming the decoupling and the smallest eigenvalue. With two assets every target in
//! `[-1, 1]` is valid.
//!
//! What it cannot capture: a change of the pair's volatilities (combine with
//! `[market.crunch]` or shocks), a decoupling that ramps in (the change is a step), and the
//! effect on the other pairs that a real decoupling has (they stay as they are, by design).

use crate::correlation::cholesky_psd;
use crate::error::ModelError;
use std::collections::BTreeMap;

/// One pair decoupling (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Decouple {
    /// Indices of the two (moving) assets of the pair.
    pub assets: [usize; 2],
    /// First step of the window (`>= 1`).
    pub start: usize,
    /// Last step of the window (`start <= end <= T`).
    pub end: usize,
    /// Correlation of the pair's innovations in the window, in `[-1, 1]`.
    pub correlation: f64,
}

impl Decouple {
    /// Whether step `t` lies in the window.
    pub fn active(&self, t: usize) -> bool {
        self.start <= t && t <= self.end
    }

    /// Checks the window against a path of `steps` steps, the pair against `moving` (per
    /// asset: whether it moves) and the target's range; `key` is `decouple[k]`.
    pub fn check(&self, steps: usize, moving: &[bool], key: &str) -> Result<(), ModelError> {
        let [i, j] = self.assets;
        if i >= moving.len() || j >= moving.len() {
            return Err(ModelError::new(
                format!("{key}.assets"),
                "asset index out of range",
            ));
        }
        if i == j {
            return Err(ModelError::new(
                format!("{key}.assets"),
                "must name two different assets",
            ));
        }
        if !(moving[i] && moving[j]) {
            return Err(ModelError::new(
                format!("{key}.assets"),
                "both assets must move (a stable asset has no innovation)",
            ));
        }
        if self.start < 1 {
            return Err(ModelError::new(
                format!("{key}.start"),
                "must be >= 1, got 0",
            ));
        }
        if self.end < self.start || self.end > steps {
            return Err(ModelError::new(
                format!("{key}.end"),
                format!(
                    "must be in {}..={steps} (start..=steps), got {}",
                    self.start, self.end
                ),
            ));
        }
        if !(self.correlation.is_finite() && (-1.0..=1.0).contains(&self.correlation)) {
            return Err(ModelError::new(
                format!("{key}.correlation"),
                format!("must be in [-1, 1], got {}", self.correlation),
            ));
        }
        Ok(())
    }
}

/// `r` with the pair of every listed decoupling set to its target.
pub fn decoupled_matrix(r: &[Vec<f64>], active: &[&Decouple]) -> Vec<Vec<f64>> {
    let mut m = r.to_vec();
    for d in active {
        let [i, j] = d.assets;
        m[i][j] = d.correlation;
        m[j][i] = d.correlation;
    }
    m
}

/// The Cholesky factors of the decoupled matrices of a path: per segment of steps with
/// the same active decouplings, which factor to use. Segments come from the windows'
/// boundaries only, so the work and memory do not grow with the number of steps.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    /// Sorted, disjoint `(first step, last step, k)`: `factors[k]` in those steps; steps
    /// in no segment use the model's own matrix.
    segments: Vec<(usize, usize, usize)>,
    /// Per distinct set of active decouplings, one lower factor per base matrix
    /// (per regime), row-major.
    factors: Vec<Vec<Vec<f64>>>,
}

impl Schedule {
    /// Checks every decoupling and factorises every decoupled matrix that occurs, for each
    /// of `bases` (one correlation matrix per regime, `names` to tell them apart in errors:
    /// empty for a single matrix). The same pair may not be decoupled twice at one step.
    pub(crate) fn new(
        pairs: &[Decouple],
        bases: &[&[Vec<f64>]],
        names: &[String],
        moving: &[bool],
        steps: usize,
    ) -> Result<Self, ModelError> {
        for (k, d) in pairs.iter().enumerate() {
            d.check(steps, moving, &format!("decouple[{k}]"))?;
            let same = |o: &Decouple| {
                let mut a = o.assets;
                let mut b = d.assets;
                a.sort_unstable();
                b.sort_unstable();
                a == b && o.start <= d.end && d.start <= o.end
            };
            if let Some(o) = pairs[..k].iter().position(same) {
                return Err(ModelError::new(
                    format!("decouple[{k}].start"),
                    format!("the same pair is decoupled by decouple[{o}] at overlapping steps"),
                ));
            }
        }
        let n = moving.len();
        // Every step at which the set of active decouplings can change.
        let mut bounds: Vec<usize> = pairs
            .iter()
            .flat_map(|d| [d.start, d.end.saturating_add(1)])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut sets: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
        let mut segments = Vec::new();
        let mut factors = Vec::new();
        for w in bounds.windows(2) {
            let (t, last) = (w[0], w[1] - 1);
            let active: Vec<usize> = (0..pairs.len()).filter(|&k| pairs[k].active(t)).collect();
            if active.is_empty() {
                continue;
            }
            if let Some(&index) = sets.get(&active) {
                segments.push((t, last, index));
                continue;
            }
            let list: Vec<&Decouple> = active.iter().map(|&k| &pairs[k]).collect();
            let mut per_base = Vec::with_capacity(bases.len());
            for (b, base) in bases.iter().enumerate() {
                let m = decoupled_matrix(base, &list);
                let l = cholesky_psd(&m, n).map_err(|e| {
                    let last = *active.last().expect("non-empty");
                    let with: Vec<String> =
                        active.iter().map(|k| format!("decouple[{k}]")).collect();
                    ModelError::new(
                        format!("decouple[{last}].correlation"),
                        format!(
                            "at step {t} the correlation matrix{} with {} applied is not a \
                             valid correlation matrix: {e}",
                            names.get(b).map(String::as_str).unwrap_or(""),
                            with.join(" and ")
                        ),
                    )
                })?;
                per_base.push(l);
            }
            factors.push(per_base);
            sets.insert(active, factors.len() - 1);
            segments.push((t, last, factors.len() - 1));
        }
        Ok(Self { segments, factors })
    }

    /// The decoupled factor of step `t` for base `b`, or `None` outside every window.
    pub(crate) fn factor(&self, t: usize, b: usize) -> Option<&[f64]> {
        let i = self.segments.partition_point(|s| s.1 < t);
        match self.segments.get(i) {
            Some(&(first, _, k)) if first <= t => Some(&self.factors[k][b]),
            _ => None,
        }
    }
}

/// Checks decouplings against the model's correlation matrices (`bases`, one per regime,
/// `names` as `" of regime `x`"`, empty for one matrix) exactly as
/// [`crate::Diffusion::with_decouple`] will: the ranges, no pair decoupled twice at one
/// step, and every decoupled matrix that occurs positive semi-definite. For validating a
/// scenario before its source is built.
pub fn check_decouple(
    pairs: &[Decouple],
    bases: &[&[Vec<f64>]],
    names: &[String],
    moving: &[bool],
    steps: usize,
) -> Result<(), ModelError> {
    Schedule::new(pairs, bases, names, moving, steps).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r3() -> Vec<Vec<f64>> {
        vec![
            vec![1.0, 0.9, 0.9],
            vec![0.9, 1.0, 0.9],
            vec![0.9, 0.9, 1.0],
        ]
    }

    fn pair(i: usize, j: usize, start: usize, end: usize, c: f64) -> Decouple {
        Decouple {
            assets: [i, j],
            start,
            end,
            correlation: c,
        }
    }

    #[test]
    fn the_schedule_uses_one_factor_per_active_set() {
        // With 0.9 everywhere even 0.6 for one pair is impossible (next test); use 0.5.
        let r = vec![
            vec![1.0, 0.5, 0.5],
            vec![0.5, 1.0, 0.5],
            vec![0.5, 0.5, 1.0],
        ];
        let pairs = [pair(0, 1, 3, 6, 0.2), pair(1, 2, 5, 8, 0.3)];
        let s = Schedule::new(&pairs, &[&r], &[], &[true; 3], 10).unwrap();
        assert_eq!(s.segments, [(3, 4, 0), (5, 6, 1), (7, 8, 2)]);
        let which: Vec<Option<&[f64]>> = (0..=10).map(|t| s.factor(t, 0)).collect();
        for t in [0, 1, 2, 9, 10] {
            assert!(which[t].is_none(), "step {t}");
        }
        assert_eq!(which[3], which[4]);
        assert_ne!(which[4], which[5]);
        // Steps 5-6: both pairs. L L^T reproduces the decoupled matrix.
        let l = s.factor(5, 0).unwrap();
        let want = [[1.0, 0.2, 0.5], [0.2, 1.0, 0.3], [0.5, 0.3, 1.0]];
        for (i, row) in want.iter().enumerate() {
            for (j, w) in row.iter().enumerate() {
                let got: f64 = (0..3).map(|k| l[i * 3 + k] * l[j * 3 + k]).sum();
                assert!((got - w).abs() < 1e-12, "[{i}][{j}] {got} vs {w}");
            }
        }
        assert!(s.factor(9, 0).is_none());
    }

    /// `[[1, 0, .9], [0, 1, .9], [.9, .9, 1]]` has determinant `0.19 - 0.81 < 0`.
    #[test]
    fn an_impossible_pair_is_refused_with_its_eigenvalue() {
        let r = r3();
        let e = Schedule::new(&[pair(0, 1, 2, 4, 0.0)], &[&r], &[], &[true; 3], 10)
            .err()
            .unwrap();
        assert_eq!(e.key, "decouple[0].correlation");
        assert!(
            e.message
                .starts_with("at step 2 the correlation matrix with decouple[0]")
        );
        assert!(
            e.message.contains("smallest eigenvalue is -0.272792"),
            "{}",
            e.message
        );
        // Two assets: any target is valid.
        let two = vec![vec![1.0, 0.95], vec![0.95, 1.0]];
        assert!(Schedule::new(&[pair(0, 1, 1, 1, -1.0)], &[&two], &[], &[true; 2], 1).is_ok());
    }

    #[test]
    fn checks_name_the_key() {
        let r = r3();
        let e = |p: Decouple, moving: [bool; 3]| {
            Schedule::new(&[p], &[&r], &[], &moving, 10).err().unwrap()
        };
        assert_eq!(
            e(pair(0, 0, 1, 2, 0.5), [true; 3]).key,
            "decouple[0].assets"
        );
        assert_eq!(
            e(pair(0, 2, 1, 2, 0.5), [true, true, false]).key,
            "decouple[0].assets"
        );
        assert_eq!(e(pair(0, 1, 1, 11, 0.5), [true; 3]).key, "decouple[0].end");
        assert_eq!(e(pair(0, 1, 0, 2, 0.5), [true; 3]).key, "decouple[0].start");
        assert_eq!(
            e(pair(0, 1, 1, 2, 1.5), [true; 3]).key,
            "decouple[0].correlation"
        );
        let twice = Schedule::new(
            &[pair(0, 1, 1, 5, 0.8), pair(1, 0, 5, 6, 0.7)],
            &[&r],
            &[],
            &[true; 3],
            10,
        );
        assert_eq!(twice.err().unwrap().key, "decouple[1].start");
    }
}
