//! Jump intensity and size by a threshold on GARCH-standardised returns.
//!
//! A step `t` of asset `i` is a **jump** when its GARCH-standardised return exceeds `k`
//! in absolute value:
//!
//! ```text
//! |x_it - mean_i| > k sqrt(h_it)
//! ```
//!
//! where `h_it` is the conditional variance of a GARCH(1,1) ([`crate::fit_garch`]) known
//! *before* step `t`, so a jump is measured against the volatility of the days before it,
//! not inflated by itself. Jumps would still inflate the GARCH fit (and so every later
//! `h`), hence the fit is iterated: refit GARCH on the returns with the detected jumps
//! replaced by the mean, detect again, until the set of jump steps no longer changes (at
//! most 10 rounds). This is the threshold idea of C. Mancini, *Non-parametric threshold
//! estimation for models with stochastic diffusion coefficient and jumps*, Scandinavian
//! J. Statistics 36(2), 2009, with the standardisation by a GARCH filter of S. Laurent,
//! C. Lecourt & F. Palm, *Testing for jumps in conditionally Gaussian ARMA-GARCH models,
//! a robust approach*, Computational Statistics & Data Analysis 100, 2016 (and the
//! `k`-sigma rule of S. Lee & P. Mykland, *Jumps in financial markets*, Rev. Financial
//! Studies 21(6), 2008). With normal diffusion returns a false jump happens with
//! probability `2 (1 - Phi(k))` per step: 6.3e-5 at `k = 4` (the default of `crunch
//! calibrate`), about one false jump in 60 years of trading days.
//!
//! **Common jumps.** A step on which at least `max(2, ceil(A/2))` of the `A` assets jump
//! is a common jump (a market-wide event that the common-jump component of crunch's
//! model (`crunch_market::CommonJump`) reproduces). Its size is the
//! cross-sectional mean of the demeaned returns of all assets on that step. The other
//! jumps of an asset are its own (idiosyncratic) jumps.
//!
//! **Estimates.** For `N` jumps found in `n` steps with `P` steps per year: intensity
//! `lambda = N P / n` per year (the Poisson rate; standard error `sqrt(N) P / n`); size:
//! the sample mean `m` and standard deviation `s` of the jump returns (demeaned; `s = 0`
//! for a single jump). The sizes include the diffusion part of the jump step (variance
//! `h`, small next to a jump) and are truncated at the threshold, so small jumps are
//! missed and `|m|` is biased up when jumps are comparable to `k sqrt(h)`.

use crate::error::{CalibrateError, check_matrix};
use crate::garch::{GarchFit, fit_garch};
use crate::moments::{mean, variance};

/// Most rounds of the fit-detect iteration.
const MAX_ROUNDS: usize = 10;

/// Jumps of one asset (its own, not the common ones).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetJumps {
    /// Steps (row indices) of the jumps.
    pub steps: Vec<usize>,
    /// Intensity `lambda`, jumps per year.
    pub intensity: f64,
    /// Mean log-jump `m` (0 without jumps).
    pub mean: f64,
    /// Standard deviation of the log-jump `s` (0 with fewer than two jumps).
    pub sd: f64,
    /// The GARCH fit on the returns with the jumps removed.
    pub garch: GarchFit,
}

/// Common jumps: steps on which most assets jump together.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonJumps {
    /// Steps (row indices) of the common jumps.
    pub steps: Vec<usize>,
    /// Fewest assets that jump on a common-jump step.
    pub min_assets: usize,
    /// Intensity, common jumps per year.
    pub intensity: f64,
    /// Mean of the cross-sectional mean log-return on common-jump steps.
    pub mean: f64,
    /// Its standard deviation over those steps (0 with fewer than two).
    pub sd: f64,
}

/// Jumps of every asset and the common jumps.
#[derive(Debug, Clone, PartialEq)]
pub struct JumpFit {
    /// The threshold `k` in conditional standard deviations.
    pub threshold: f64,
    /// Per asset, its own jumps.
    pub assets: Vec<AssetJumps>,
    /// Common jumps (`None` for a single asset).
    pub common: Option<CommonJumps>,
}

/// Detects jumps in every column of `r` at `threshold` conditional standard deviations;
/// intensities are annualised with `steps_per_year`. Needs the returns of a GARCH fit.
pub fn detect_jumps(
    r: &[Vec<f64>],
    steps_per_year: f64,
    threshold: f64,
) -> Result<JumpFit, CalibrateError> {
    let n = check_matrix(r, crate::garch::MIN_RETURNS, "jump detection")?;
    let mut all = Vec::with_capacity(r.len());
    for x in r {
        all.push(detect_one(x, threshold)?);
    }
    let a = r.len();
    let min_assets = 2.max(a.div_ceil(2));
    let mut hits = vec![0usize; n];
    for (steps, _) in &all {
        for &t in steps {
            hits[t] += 1;
        }
    }
    let common_steps: Vec<usize> = if a >= 2 {
        (0..n).filter(|&t| hits[t] >= min_assets).collect()
    } else {
        Vec::new()
    };
    let means: Vec<f64> = r.iter().map(|c| mean(c)).collect();
    let sizes = |xs: Vec<f64>| -> (f64, f64) {
        match xs.len() {
            0 => (0.0, 0.0),
            1 => (xs[0], 0.0),
            _ => (mean(&xs), variance(&xs).sqrt()),
        }
    };
    let per_year = steps_per_year / n as f64;
    let assets = all
        .into_iter()
        .enumerate()
        .map(|(i, (steps, garch))| {
            let own: Vec<usize> = steps
                .into_iter()
                .filter(|t| common_steps.binary_search(t).is_err())
                .collect();
            let (m, s) = sizes(own.iter().map(|&t| r[i][t] - means[i]).collect());
            AssetJumps {
                intensity: own.len() as f64 * per_year,
                mean: m,
                sd: s,
                steps: own,
                garch,
            }
        })
        .collect();
    let common = (a >= 2).then(|| {
        let (m, s) = sizes(
            common_steps
                .iter()
                .map(|&t| (0..a).map(|i| r[i][t] - means[i]).sum::<f64>() / a as f64)
                .collect(),
        );
        CommonJumps {
            intensity: common_steps.len() as f64 * per_year,
            mean: m,
            sd: s,
            steps: common_steps,
            min_assets,
        }
    });
    Ok(JumpFit {
        threshold,
        assets,
        common,
    })
}

/// The jump steps of one column and the GARCH fit on the cleaned returns.
fn detect_one(x: &[f64], k: f64) -> Result<(Vec<usize>, GarchFit), CalibrateError> {
    let m = mean(x);
    let mut steps: Vec<usize> = Vec::new();
    let mut clean = x.to_vec();
    let mut fit = fit_garch(&clean)?;
    for _ in 0..MAX_ROUNDS {
        let found: Vec<usize> = (0..x.len())
            .filter(|&t| (x[t] - m).abs() > k * fit.variances[t].sqrt())
            .collect();
        if found == steps {
            break;
        }
        steps = found;
        clean.copy_from_slice(x);
        for &t in &steps {
            clean[t] = m;
        }
        fit = fit_garch(&clean)?;
    }
    Ok((steps, fit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::{Domain, stream_rng};
    use rand::RngExt;
    use rand_distr::StandardNormal;

    #[test]
    fn recovers_own_and_common_jump_rates_and_sizes() {
        // 3 assets, 10,000 steps, diffusion sd 1 % per step; own jumps: probability
        // 0.005 per step, size N(-0.10, 0.02^2); common jumps: probability 0.003 per
        // step, size N(-0.12, 0.02^2), the same for all three assets.
        let (n, a) = (10_000usize, 3usize);
        let mut rng = stream_rng(21, Domain::MarketPaths, 0);
        let mut r = vec![vec![0.0; n]; a];
        let mut truth_common = 0usize;
        let mut truth_own = [0usize; 3];
        for t in 0..n {
            let common = rng.random::<f64>() < 0.003;
            let jc = -0.12 + 0.02 * rng.sample::<f64, _>(StandardNormal);
            truth_common += common as usize;
            for (i, col) in r.iter_mut().enumerate() {
                let mut x = 0.01 * rng.sample::<f64, _>(StandardNormal);
                if rng.random::<f64>() < 0.005 {
                    x += -0.10 + 0.02 * rng.sample::<f64, _>(StandardNormal);
                    truth_own[i] += 1;
                }
                if common {
                    x += jc;
                }
                col[t] = x;
            }
        }
        let fit = detect_jumps(&r, 252.0, 4.0).unwrap();
        let common = fit.common.as_ref().unwrap();
        assert_eq!(common.min_assets, 2);
        // Counts: Poisson with mean 30 (common) and 50 (own), SD sqrt of that. Against
        // the simulated truth the only errors are missed jumps (|jump| < 4 sd: below
        // 0.1 %) and false ones (6.3e-5 * 10,000 = 0.6 per asset, plus two own jumps on
        // one step, 3 * 0.005^2 * 10,000 = 0.75 expected): tolerance 3.
        assert!(
            common.steps.len().abs_diff(truth_common) <= 3,
            "{truth_common} {:?}",
            common.steps
        );
        // Against the parameter: 4 SD of the Poisson count.
        let lambda_c = 0.003 * 252.0;
        assert!((common.intensity - lambda_c).abs() < 4.0 * (30f64).sqrt() * 252.0 / n as f64);
        // Size: SE of the mean = sqrt(0.02^2 + 0.01^2 / 3) / sqrt(30) = 0.0039.
        assert!(
            (common.mean + 0.12).abs() < 4.0 * 0.0039,
            "{} {}",
            common.mean,
            common.sd
        );
        for (i, own) in fit.assets.iter().enumerate() {
            assert!(
                own.steps.len().abs_diff(truth_own[i]) <= 3,
                "{i}: {} {:?}",
                truth_own[i],
                own.steps
            );
            let lambda = 0.005 * 252.0;
            assert!((own.intensity - lambda).abs() < 4.0 * 50f64.sqrt() * 252.0 / n as f64);
            // SE of the mean = sqrt(0.02^2 + 0.01^2) / sqrt(50) = 0.0032.
            assert!(
                (own.mean + 0.10).abs() < 4.0 * 0.0032,
                "{i}: {} {}",
                own.mean,
                own.sd
            );
            // SE of the sd ~ 0.022 / sqrt(2 * 50) = 0.0022.
            assert!((own.sd - (0.02f64.powi(2) + 0.01f64.powi(2)).sqrt()).abs() < 4.0 * 0.0022);
            // The cleaned GARCH sees i.i.d. returns with sd 1 %.
            assert!((own.garch.unconditional_variance().sqrt() / 0.01 - 1.0).abs() < 0.05);
        }
    }

    #[test]
    fn a_single_asset_has_no_common_jumps() {
        let mut rng = stream_rng(2, Domain::MarketPaths, 0);
        let x: Vec<f64> = (0..500)
            .map(|t| 0.01 * rng.sample::<f64, _>(StandardNormal) + if t == 250 { 0.2 } else { 0.0 })
            .collect();
        let fit = detect_jumps(&[x], 365.0, 4.0).unwrap();
        assert!(fit.common.is_none());
        assert!(
            fit.assets[0].steps.contains(&250),
            "{:?}",
            fit.assets[0].steps
        );
        assert!(detect_jumps(&[vec![0.01; 10]], 365.0, 4.0).is_err());
    }
}
