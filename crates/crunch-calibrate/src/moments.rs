//! Annualised drift and volatility, correlation, and the crunch statistics of a stress
//! window against a calm one.
//!
//! For a column of `n` log-returns `r_t` over steps of `1 / P` years (`P` steps per year):
//!
//! ```text
//! mean  m = (1/n) sum r_t                 s^2 = (1/(n-1)) sum (r_t - m)^2
//! sigma = s sqrt(P)                        (annualised volatility)
//! mu    = m P + sigma^2 / 2                (annualised drift of dS/S)
//! ```
//!
//! `mu` is the drift of geometric Brownian motion `dS/S = mu dt + sigma dW`, whose
//! log-return has mean `(mu - sigma^2/2) dt`; it is the `mu` of a crunch scenario asset.
//! Correlations are Pearson correlations of the log-returns,
//! `rho_ij = sum (r_it - m_i)(r_jt - m_j) / sqrt(sum (r_it - m_i)^2 sum (r_jt - m_j)^2)`,
//! and the mean pairwise correlation is the average of `rho_ij` over the `A (A-1) / 2`
//! pairs `i < j`. Source: J. Y. Campbell, A. W. Lo & A. C. MacKinlay, *The Econometrics of
//! Financial Markets*, Princeton 1997, ch. 9 (estimating the parameters of GBM from
//! discretely sampled log prices).
//!
//! **Crunch statistics.** With the statistics of a calm window and of a stress window
//! (both annualised with the same `P`), the volatility ratio is
//! `mean_i sigma_i(stress) / mean_i sigma_i(calm)`: the multiplier that turns the calm
//! volatilities into the stress ones on average (the crunch's `vol_multiplier`), and
//! the stress window's mean pairwise correlation is the crunch's `target_correlation`.
//! The phenomenon is documented by F. Longin & B. Solnik, *Is the correlation in
//! international equity returns constant: 1960–1990?*, J. Int. Money and Finance 14(1),
//! 1995, and *Extreme correlation of international equity markets*, J. Finance 56(2), 2001.

use crate::error::{CalibrateError, check_column, check_matrix};

/// Sample mean.
pub(crate) fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance with the `n - 1` denominator.
pub(crate) fn variance(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64
}

/// Annualised volatility `sigma = s sqrt(P)` of a column of log-returns (at least 2).
pub fn annualised_volatility(r: &[f64], steps_per_year: f64) -> Result<f64, CalibrateError> {
    check_column(r, 2, "a volatility")?;
    Ok((variance(r) * steps_per_year).sqrt())
}

/// Annualised GBM drift `mu = m P + sigma^2 / 2` of a column of log-returns (at least 2).
pub fn annualised_drift(r: &[f64], steps_per_year: f64) -> Result<f64, CalibrateError> {
    let sigma = annualised_volatility(r, steps_per_year)?;
    Ok(mean(r) * steps_per_year + sigma * sigma / 2.0)
}

/// Pearson correlation matrix of the columns (at least 3 rows; no constant column).
pub fn correlation_matrix(r: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, CalibrateError> {
    check_matrix(r, 3, "a correlation")?;
    let centred: Vec<Vec<f64>> = r
        .iter()
        .map(|c| {
            let m = mean(c);
            c.iter().map(|v| v - m).collect()
        })
        .collect();
    let norms: Vec<f64> = centred
        .iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    if let Some(j) = norms.iter().position(|&s| s == 0.0) {
        return Err(CalibrateError::ZeroVariance(j));
    }
    let a = r.len();
    let mut c = vec![vec![1.0; a]; a];
    for i in 0..a {
        for j in i + 1..a {
            let dot: f64 = centred[i].iter().zip(&centred[j]).map(|(x, y)| x * y).sum();
            let v = (dot / (norms[i] * norms[j])).clamp(-1.0, 1.0);
            c[i][j] = v;
            c[j][i] = v;
        }
    }
    Ok(c)
}

/// Mean of `c[i][j]` over the pairs `i < j`; `None` for fewer than two assets.
pub fn mean_pairwise_correlation(c: &[Vec<f64>]) -> Option<f64> {
    let a = c.len();
    if a < 2 {
        return None;
    }
    let sum: f64 = (0..a)
        .flat_map(|i| (i + 1..a).map(move |j| (i, j)))
        .map(|(i, j)| c[i][j])
        .sum();
    Some(sum / (a * (a - 1) / 2) as f64)
}

/// Drift, volatility and correlation of one window of returns.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowStats {
    /// Returns (rows) in the window.
    pub returns: usize,
    /// Annualised drift `mu` per asset.
    pub drift: Vec<f64>,
    /// Annualised volatility `sigma` per asset.
    pub volatility: Vec<f64>,
    /// Mean of [`WindowStats::volatility`] over the assets.
    pub mean_volatility: f64,
    /// Correlation matrix of the log-returns.
    pub correlation: Vec<Vec<f64>>,
    /// Mean pairwise correlation (`None` for a single asset).
    pub mean_pairwise_correlation: Option<f64>,
}

/// The statistics of a window of log-returns (at least 3 rows), annualised with
/// `steps_per_year`.
pub fn window_stats(r: &[Vec<f64>], steps_per_year: f64) -> Result<WindowStats, CalibrateError> {
    let correlation = correlation_matrix(r)?;
    let volatility = r
        .iter()
        .map(|c| annualised_volatility(c, steps_per_year))
        .collect::<Result<Vec<_>, _>>()?;
    let drift = r
        .iter()
        .map(|c| annualised_drift(c, steps_per_year))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(WindowStats {
        returns: r[0].len(),
        mean_volatility: mean(&volatility),
        mean_pairwise_correlation: mean_pairwise_correlation(&correlation),
        drift,
        volatility,
        correlation,
    })
}

/// A stress window measured against a calm one.
#[derive(Debug, Clone, PartialEq)]
pub struct CrunchStats {
    /// The calm window.
    pub calm: WindowStats,
    /// The stress window.
    pub stress: WindowStats,
    /// `stress.mean_volatility / calm.mean_volatility`.
    pub volatility_ratio: f64,
}

/// The crunch statistics of `stress` against `calm` (same assets in the same order, both
/// annualised with `steps_per_year`).
pub fn crunch_stats(
    calm: &[Vec<f64>],
    stress: &[Vec<f64>],
    steps_per_year: f64,
) -> Result<CrunchStats, CalibrateError> {
    if calm.len() != stress.len() {
        return Err(CalibrateError::Shape(format!(
            "the calm window has {} assets, the stress window {}",
            calm.len(),
            stress.len()
        )));
    }
    let calm = window_stats(calm, steps_per_year)?;
    let stress = window_stats(stress, steps_per_year)?;
    Ok(CrunchStats {
        volatility_ratio: stress.mean_volatility / calm.mean_volatility,
        calm,
        stress,
    })
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // matrix entries read best by index
mod tests {
    use super::*;
    use crunch_core::{Domain, stream_rng};
    use rand::RngExt;
    use rand_distr::StandardNormal;

    /// `n` rows of `A` correlated normals with per-step sd `s[i]`, mean `m[i]`, and
    /// equicorrelation `rho` (one common factor).
    fn equicorrelated(n: usize, m: &[f64], s: &[f64], rho: f64, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = stream_rng(seed, Domain::MarketPaths, 0);
        let mut r = vec![Vec::with_capacity(n); m.len()];
        for _ in 0..n {
            let f: f64 = rng.sample(StandardNormal);
            for (i, col) in r.iter_mut().enumerate() {
                let e: f64 = rng.sample(StandardNormal);
                col.push(m[i] + s[i] * (rho.sqrt() * f + (1.0 - rho).sqrt() * e));
            }
        }
        r
    }

    #[test]
    fn recovers_drift_volatility_and_correlation() {
        // 20,000 daily steps (P = 252) of 4 assets, sigma_i = 0.2, 0.4, 0.6, 0.8, mu = 0.1,
        // equicorrelation 0.5.
        let p: f64 = 252.0;
        let sig = [0.2, 0.4, 0.6, 0.8];
        let mu = 0.1;
        let s: Vec<f64> = sig.iter().map(|x| x / p.sqrt()).collect();
        let m: Vec<f64> = sig.iter().map(|x| (mu - x * x / 2.0) / p).collect();
        let n = 20_000;
        let r = equicorrelated(n, &m, &s, 0.5, 7);
        let w = window_stats(&r, p).unwrap();
        for i in 0..4 {
            // SE(sigma_hat) = sigma / sqrt(2 n) = 0.005 sigma: tolerance 4 SE.
            let se = sig[i] / (2.0 * n as f64).sqrt();
            assert!((w.volatility[i] - sig[i]).abs() < 4.0 * se, "{i}: {w:?}");
            // SE(mu_hat) ~ sigma sqrt(P / n) (the mean of n returns, times P): 4 SE.
            let se = sig[i] * (p / n as f64).sqrt();
            assert!((w.drift[i] - mu).abs() < 4.0 * se, "{i}: {w:?}");
        }
        // SE(rho_hat) = (1 - rho^2) / sqrt(n) = 0.0053 per pair; the mean of 6 correlated
        // pairs has at most that SE: tolerance 4 SE.
        let se = 0.75 / (n as f64).sqrt();
        assert!((w.mean_pairwise_correlation.unwrap() - 0.5).abs() < 4.0 * se);
        for i in 0..4 {
            assert_eq!(w.correlation[i][i], 1.0);
            for j in 0..4 {
                assert_eq!(w.correlation[i][j], w.correlation[j][i]);
                if i != j {
                    assert!((w.correlation[i][j] - 0.5).abs() < 4.0 * se);
                }
            }
        }
    }

    #[test]
    fn crunch_statistics_of_a_stress_window() {
        // Calm: sd 0.01, rho 0.2 (5,000 rows); stress: sd 0.04, rho 0.8 (5,000 rows).
        let calm = equicorrelated(5_000, &[0.0; 3], &[0.01; 3], 0.2, 1);
        let stress = equicorrelated(5_000, &[0.0; 3], &[0.04; 3], 0.8, 2);
        let c = crunch_stats(&calm, &stress, 252.0).unwrap();
        // SE(ratio) ~ ratio sqrt(1/(2n) + 1/(2n)) / sqrt(3) ~ 4 * 0.0082 = 0.033 at most.
        assert!((c.volatility_ratio - 4.0).abs() < 4.0 * 0.033, "{c:?}");
        // SE(rho) = (1 - rho^2)/sqrt(n): 0.0136 (calm), 0.0051 (stress).
        assert!((c.calm.mean_pairwise_correlation.unwrap() - 0.2).abs() < 4.0 * 0.0136);
        assert!((c.stress.mean_pairwise_correlation.unwrap() - 0.8).abs() < 4.0 * 0.0051);
        assert!(crunch_stats(&calm, &stress[..2], 252.0).is_err());
    }

    #[test]
    fn exact_small_cases_and_errors() {
        let r = vec![
            vec![1.0, 2.0, 3.0],
            vec![2.0, 4.0, 6.0],
            vec![3.0, 2.0, 1.0],
        ];
        let c = correlation_matrix(&r).unwrap();
        assert!((c[0][1] - 1.0).abs() < 1e-15);
        assert!((c[0][2] + 1.0).abs() < 1e-15);
        assert!((mean_pairwise_correlation(&c).unwrap() + 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(mean_pairwise_correlation(&[vec![1.0]]), None);
        assert_eq!(
            correlation_matrix(&[vec![1.0, 1.0, 1.0], vec![1.0, 2.0, 3.0]]),
            Err(CalibrateError::ZeroVariance(0))
        );
        assert_eq!(
            correlation_matrix(&[vec![1.0, 2.0]])
                .unwrap_err()
                .to_string(),
            "a correlation needs at least 3 returns, got 2"
        );
        assert!(correlation_matrix(&[vec![1.0, 2.0, 3.0], vec![1.0]]).is_err());
        assert!(correlation_matrix(&[vec![1.0, f64::NAN, 3.0]]).is_err());
        // sd of [0, 0.02] is 0.02 / sqrt 2; P = 100.
        let v = annualised_volatility(&[0.0, 0.02], 100.0).unwrap();
        assert!((v - 0.02 / 2f64.sqrt() * 10.0).abs() < 1e-15);
        let mu = annualised_drift(&[0.0, 0.02], 100.0).unwrap();
        assert!((mu - (0.01 * 100.0 + v * v / 2.0)).abs() < 1e-15);
    }
}
