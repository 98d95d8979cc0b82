//! Markov regime switching: drift, volatility and correlation that change with a hidden
//! market state (for example calm and crisis).
//!
//! The regime `s_t` in `{0..K-1}` is a Markov chain with per-step transition matrix `P`
//! (`P[a][b]` = probability of moving from regime `a` to regime `b` in one step; rows sum
//! to 1) and a given start regime `s_0`. At each step the chain moves first, then the
//! log-return of the step is drawn with that regime's parameters:
//!
//! ```text
//! s_t ~ P[s_{t-1}][.]
//! ln p[t][i] = ln p[t-1][i] + (mu_{s_t,i} - sigma_{s_t,i}^2 / 2) dt + sigma_{s_t,i} sqrt(dt) z_i,
//! z = L_{s_t} e,   L_s L_s^T = R_s
//! ```
//!
//! The long-run share of steps spent in each regime is the stationary distribution `pi`
//! of `P` (`pi P = pi`, [`RegimeSwitching::stationary`]); for two regimes
//! `pi = (P[1][0], P[0][1]) / (P[0][1] + P[1][0])`, and the expected stay in regime `a`
//! is `1 / (1 - P[a][a])` steps.
//!
//! Source: J. D. Hamilton, *A new approach to the economic analysis of nonstationary time
//! series and the business cycle*, Econometrica 57(2), 1989, pp. 357-384; for returns
//! with regime-dependent correlations, A. Ang & G. Bekaert, *International asset
//! allocation with regime shifts*, Review of Financial Studies 15(4), 2002.
//!
//! Draw order per step: one uniform for the transition (inversion of the cumulative row
//! `P[s_{t-1}]`), before every other draw of the step.

use crate::correlation::cholesky_psd;
use crate::error::ModelError;

/// Tolerance on the sum of a transition row.
const ROW_TOL: f64 = 1e-9;

/// Parameters of one regime, per asset in market order.
#[derive(Debug, Clone, PartialEq)]
pub struct Regime {
    /// Name (for example `calm`), unique.
    pub name: String,
    /// Annualised drift per asset.
    pub mu: Vec<f64>,
    /// Annualised volatility per asset (`>= 0`).
    pub sigma: Vec<f64>,
    /// Correlation matrix of the innovations, `A x A`.
    pub correlation: Vec<Vec<f64>>,
}

/// Regimes, their transition matrix and the start regime.
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeSwitching {
    /// The regimes, by index.
    pub regimes: Vec<Regime>,
    /// Per-step transition matrix `P`, `K x K`, rows summing to 1.
    pub transition: Vec<Vec<f64>>,
    /// Index of the start regime `s_0`.
    pub start: usize,
}

impl RegimeSwitching {
    /// Checks shapes, ranges, row sums and every correlation matrix for `assets` assets.
    pub fn check(&self, assets: usize) -> Result<(), ModelError> {
        let k = self.regimes.len();
        if k == 0 {
            return Err(ModelError::new("regimes.states", "at least one regime"));
        }
        if self.start >= k {
            return Err(ModelError::new(
                "regimes.start",
                format!("regime index {} out of range (K = {k})", self.start),
            ));
        }
        check_transition(&self.transition, k)?;
        for (r, regime) in self.regimes.iter().enumerate() {
            let key = format!("regimes.states[{r}]");
            if regime.mu.len() != assets || regime.sigma.len() != assets {
                return Err(ModelError::new(key, "one mu and sigma per asset"));
            }
            for (i, &s) in regime.sigma.iter().enumerate() {
                if !(s.is_finite() && s >= 0.0) {
                    return Err(ModelError::new(
                        format!("{key}.sigma"),
                        format!("asset {i}: must be >= 0, got {s}"),
                    ));
                }
            }
            if let Some(m) = regime.mu.iter().find(|m| !m.is_finite()) {
                return Err(ModelError::new(
                    format!("{key}.mu"),
                    format!("must be finite, got {m}"),
                ));
            }
            cholesky_psd(&regime.correlation, assets).map_err(|e| {
                ModelError::new(
                    format!("{key}.correlation"),
                    format!("not a valid correlation matrix: {e}"),
                )
            })?;
        }
        Ok(())
    }

    /// The stationary distribution `pi` (`pi P = pi`, `sum pi = 1`), solved by Gaussian
    /// elimination with partial pivoting; `None` when the system is singular (a chain
    /// with more than one stationary distribution).
    pub fn stationary(&self) -> Option<Vec<f64>> {
        let k = self.transition.len();
        // Rows 0..k-1 of (P^T - I) pi = 0, the last replaced by sum(pi) = 1.
        let mut a: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                let mut row: Vec<f64> = (0..k)
                    .map(|j| self.transition[j][i] - if i == j { 1.0 } else { 0.0 })
                    .collect();
                row.push(0.0);
                row
            })
            .collect();
        a[k - 1] = vec![1.0; k + 1];
        for c in 0..k {
            let p = (c..k).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs()))?;
            if a[p][c].abs() < 1e-12 {
                return None;
            }
            a.swap(c, p);
            let pivot = a[c].clone();
            for (r, row) in a.iter_mut().enumerate() {
                if r != c {
                    let f = row[c] / pivot[c];
                    for (x, y) in row[c..].iter_mut().zip(&pivot[c..]) {
                        *x -= f * y;
                    }
                }
            }
        }
        Some((0..k).map(|i| a[i][k] / a[i][i]).collect())
    }
}

/// Checks a `k x k` transition matrix: entries in `[0, 1]`, rows summing to 1.
pub(crate) fn check_transition(p: &[Vec<f64>], k: usize) -> Result<(), ModelError> {
    if p.len() != k || p.iter().any(|row| row.len() != k) {
        return Err(ModelError::new(
            "regimes.transition",
            format!("must be a {k}x{k} matrix (one row and column per regime)"),
        ));
    }
    for (a, row) in p.iter().enumerate() {
        for (b, &x) in row.iter().enumerate() {
            if !(x.is_finite() && (0.0..=1.0).contains(&x)) {
                return Err(ModelError::new(
                    "regimes.transition",
                    format!("entry [{a}][{b}] = {x} is not a probability in [0, 1]"),
                ));
            }
        }
        let sum: f64 = row.iter().sum();
        if (sum - 1.0).abs() > ROW_TOL {
            return Err(ModelError::new(
                "regimes.transition",
                format!("row {a} sums to {sum}, not 1"),
            ));
        }
    }
    Ok(())
}

/// The compiled chain: cumulative transition rows.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    cumulative: Vec<Vec<f64>>,
    pub(crate) start: usize,
}

impl Chain {
    pub(crate) fn new(s: &RegimeSwitching) -> Self {
        let cumulative = s
            .transition
            .iter()
            .map(|row| {
                let mut acc = 0.0;
                row.iter()
                    .map(|x| {
                        acc += x;
                        acc
                    })
                    .collect()
            })
            .collect();
        Self {
            cumulative,
            start: s.start,
        }
    }

    /// The regime after `from`, for a uniform `u` in `[0, 1)`: the first `b` whose
    /// cumulative probability exceeds `u` (the last regime with a positive probability
    /// when rounding leaves the row sum just below `u`).
    #[inline]
    pub(crate) fn next(&self, from: usize, u: f64) -> usize {
        let row = &self.cumulative[from];
        match row.iter().position(|&c| u < c) {
            Some(b) => b,
            None => {
                let mut b = row.len() - 1;
                while b > 0 && row[b] == row[b - 1] {
                    b -= 1;
                }
                b
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> RegimeSwitching {
        let regime = |name: &str| Regime {
            name: name.into(),
            mu: vec![0.0],
            sigma: vec![0.5],
            correlation: vec![vec![1.0]],
        };
        RegimeSwitching {
            regimes: vec![regime("calm"), regime("crisis")],
            transition: vec![vec![0.98, 0.02], vec![0.1, 0.9]],
            start: 0,
        }
    }

    #[test]
    fn stationary_of_two_regimes_by_hand() {
        let pi = two().stationary().unwrap();
        // (0.1, 0.02) / 0.12
        assert!((pi[0] - 0.1 / 0.12).abs() < 1e-14);
        assert!((pi[1] - 0.02 / 0.12).abs() < 1e-14);
    }

    #[test]
    fn transition_rows_are_checked() {
        let mut s = two();
        s.transition[1] = vec![0.2, 0.9];
        assert_eq!(
            s.check(1).unwrap_err().to_string(),
            "`market.regimes.transition`: row 1 sums to 1.1, not 1"
        );
    }

    #[test]
    fn chain_inverts_the_cumulative_row() {
        let c = Chain::new(&two());
        assert_eq!(c.next(0, 0.0), 0);
        assert_eq!(c.next(0, 0.979), 0);
        assert_eq!(c.next(0, 0.981), 1);
        assert_eq!(c.next(1, 0.05), 0);
        assert_eq!(c.next(1, 0.1), 1);
    }
}
