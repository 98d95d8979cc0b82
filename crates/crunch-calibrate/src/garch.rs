//! GARCH(1,1) by Gaussian quasi-maximum likelihood.
//!
//! For one column of returns `x_t`, `t = 0..n-1`, with `e_t = x_t - mean(x)`:
//!
//! ```text
//! h_0     = (1/n) sum e_t^2                           (backcast: the sample variance)
//! h_{t+1} = omega + alpha e_t^2 + beta h_t
//! L(omega, alpha, beta) = -1/2 sum_t [ ln(2 pi) + ln h_t + e_t^2 / h_t ]
//! ```
//!
//! maximised over `omega > 0`, `alpha >= 0`, `beta >= 0`, `alpha + beta < 1` (all three
//! parameters free: no variance targeting). The constraints are built into the
//! parametrisation the optimiser sees, `(u_0, u_1, u_2)` in `R^3`:
//!
//! ```text
//! p = 0.9999 logistic(u_0)   (persistence alpha + beta, in (0, 0.9999))
//! a = logistic(u_1)      (the share of alpha in it)
//! alpha = p a,  beta = p (1 - a),  omega = s^2 (1 - p) exp(u_2)
//! ```
//!
//! (`u_2 = 0` is variance targeting at the sample variance `s^2`), minimised by
//! Nelder–Mead with restarts from three starting persistences (0.8, 0.95, 0.99); the best
//! fit wins. Gaussian QML is consistent for the variance parameters even when the
//! innovations are not normal (T. Bollerslev & J. Wooldridge, *Quasi-maximum likelihood
//! estimation and inference in dynamic models with time-varying covariances*,
//! Econometric Reviews 11(2), 1992). Model: T. Bollerslev, *Generalized autoregressive
//! conditional heteroskedasticity*, J. Econometrics 31, 1986.
//!
//! **Standard errors** are the square roots of the diagonal of the inverse of the
//! negative Hessian of `L` in `(omega, alpha, beta)` (central differences), valid for
//! normal innovations; with fat-tailed innovations they are too small (the sandwich
//! estimator of Bollerslev & Wooldridge would be needed). `None` when the Hessian is not
//! negative definite, as at a boundary (`alpha = 0`).
//!
//! Variances are per step (squared log-return units), like crunch's GARCH model.

use crate::error::{CalibrateError, check_column};
use crate::moments::mean;
use crate::nelder_mead::{Options, minimize_restarted};

/// Fewest returns a fit accepts.
pub const MIN_RETURNS: usize = 30;

/// Largest persistence `alpha + beta` searched. Without ARCH effects (`alpha = 0`) the
/// likelihood is flat in `beta`; the cap keeps `1 - alpha - beta` well away from rounding
/// (a half-life of 6,931 steps is, for calibration, integrated variance).
pub const MAX_PERSISTENCE: f64 = 0.9999;

/// A fitted GARCH(1,1).
#[derive(Debug, Clone, PartialEq)]
pub struct GarchFit {
    /// The sample mean removed from the returns.
    pub mean: f64,
    /// `omega` (per-step variance units).
    pub omega: f64,
    /// `alpha`.
    pub alpha: f64,
    /// `beta`.
    pub beta: f64,
    /// Standard errors of `(omega, alpha, beta)`, if the Hessian is negative definite.
    pub standard_errors: Option<[f64; 3]>,
    /// The maximised Gaussian log-likelihood.
    pub log_likelihood: f64,
    /// Conditional variances `h_t`, `t = 0..n-1`, at the estimate.
    pub variances: Vec<f64>,
    /// One-step forecast `h_n` after the last return.
    pub forecast: f64,
}

impl GarchFit {
    /// Persistence `alpha + beta`.
    pub fn persistence(&self) -> f64 {
        self.alpha + self.beta
    }

    /// Unconditional variance `omega / (1 - alpha - beta)` per step.
    pub fn unconditional_variance(&self) -> f64 {
        self.omega / (1.0 - self.alpha - self.beta)
    }

    /// Half-life of a variance shock in steps, `ln(1/2) / ln(alpha + beta)`.
    pub fn half_life(&self) -> f64 {
        0.5f64.ln() / self.persistence().ln()
    }
}

/// The conditional variances `h_0..h_{n}` (one more than `e`) of demeaned returns `e`.
pub fn conditional_variances(e: &[f64], omega: f64, alpha: f64, beta: f64, h0: f64) -> Vec<f64> {
    let mut h = Vec::with_capacity(e.len() + 1);
    h.push(h0);
    for (t, &v) in e.iter().enumerate() {
        h.push(omega + alpha * v * v + beta * h[t]);
    }
    h
}

/// The Gaussian log-likelihood of demeaned returns `e` with backcast `h0`.
pub fn log_likelihood(e: &[f64], omega: f64, alpha: f64, beta: f64, h0: f64) -> f64 {
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let mut h = h0;
    let mut ll = 0.0;
    for &v in e {
        if h.is_nan() || h <= 0.0 {
            return f64::NEG_INFINITY;
        }
        ll -= 0.5 * (ln2pi + h.ln() + v * v / h);
        h = omega + alpha * v * v + beta * h;
    }
    ll
}

fn logistic(u: f64) -> f64 {
    1.0 / (1.0 + (-u).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Fits GARCH(1,1) to one column of returns (at least [`MIN_RETURNS`], not constant).
pub fn fit_garch(x: &[f64]) -> Result<GarchFit, CalibrateError> {
    check_column(x, MIN_RETURNS, "a GARCH(1,1) fit")?;
    let m = mean(x);
    let e: Vec<f64> = x.iter().map(|v| v - m).collect();
    let var = e.iter().map(|v| v * v).sum::<f64>() / e.len() as f64;
    if var == 0.0 {
        return Err(CalibrateError::ZeroVariance(0));
    }
    let params = |u: &[f64]| {
        let p = MAX_PERSISTENCE * logistic(u[0]);
        let a = logistic(u[1]);
        (var * (1.0 - p) * u[2].exp(), p * a, p * (1.0 - a))
    };
    let objective = |u: &[f64]| {
        let (omega, alpha, beta) = params(u);
        -log_likelihood(&e, omega, alpha, beta, var)
    };
    let options = Options {
        f_tol: 1e-9,
        x_tol: 1e-7,
        max_evaluations: 4_000,
    };
    let best = [(0.8, 0.2), (0.95, 0.08), (0.99, 0.05)]
        .into_iter()
        .map(|(p, a)| {
            let u0 = logit(p / MAX_PERSISTENCE);
            minimize_restarted(objective, &[u0, logit(a), 0.0], &[0.5, 0.5, 0.3], options)
        })
        .min_by(|a, b| a.value.total_cmp(&b.value))
        .expect("three starts");
    let (omega, alpha, beta) = params(&best.x);
    let mut h = conditional_variances(&e, omega, alpha, beta, var);
    let forecast = h.pop().expect("n + 1 variances");
    Ok(GarchFit {
        mean: m,
        omega,
        alpha,
        beta,
        standard_errors: standard_errors(&e, [omega, alpha, beta], var),
        log_likelihood: -best.value,
        variances: h,
        forecast,
    })
}

/// Standard errors from the inverse negative Hessian of the log-likelihood at `theta`.
fn standard_errors(e: &[f64], theta: [f64; 3], h0: f64) -> Option<[f64; 3]> {
    let ll = |t: [f64; 3]| log_likelihood(e, t[0], t[1], t[2], h0);
    let step = [
        1e-3 * theta[0],
        (1e-3 * theta[1]).max(1e-5),
        (1e-3 * theta[2]).max(1e-5),
    ];
    let at = |i: usize, si: f64, j: usize, sj: f64| {
        let mut t = theta;
        t[i] += si * step[i];
        t[j] += sj * step[j];
        ll(t)
    };
    let f0 = ll(theta);
    let mut neg_h = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in i..3 {
            let d = if i == j {
                (at(i, 1.0, i, 0.0) - 2.0 * f0 + at(i, -1.0, i, 0.0)) / (step[i] * step[i])
            } else {
                (at(i, 1.0, j, 1.0) - at(i, 1.0, j, -1.0) - at(i, -1.0, j, 1.0)
                    + at(i, -1.0, j, -1.0))
                    / (4.0 * step[i] * step[j])
            };
            neg_h[i][j] = -d;
            neg_h[j][i] = -d;
        }
    }
    let cov = invert3(&neg_h)?;
    let se = [cov[0][0], cov[1][1], cov[2][2]];
    se.iter()
        .all(|v| v.is_finite() && *v > 0.0)
        .then(|| se.map(f64::sqrt))
}

/// Inverse of a 3 x 3 matrix by cofactors; `None` if singular or not finite.
fn invert3(a: &[[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let c = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        a[r0][c0] * a[r1][c1] - a[r0][c1] * a[r1][c0]
    };
    let det = a[0][0] * c(0, 0) + a[0][1] * c(0, 1) + a[0][2] * c(0, 2);
    if !(det.is_finite() && det != 0.0) {
        return None;
    }
    let mut inv = [[0.0; 3]; 3];
    for (i, row) in inv.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = c(j, i) / det;
        }
    }
    Some(inv)
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // matrix entries read best by index
mod tests {
    use super::*;
    use crunch_core::{Domain, stream_rng};
    use rand::RngExt;
    use rand_distr::StandardNormal;

    /// `n` GARCH(1,1) returns with normal innovations, after a burn-in of 500 steps.
    fn simulate(n: usize, omega: f64, alpha: f64, beta: f64, seed: u64) -> Vec<f64> {
        let mut rng = stream_rng(seed, Domain::MarketPaths, 0);
        let mut h = omega / (1.0 - alpha - beta);
        let mut x = Vec::with_capacity(n);
        for t in 0..n + 500 {
            let e = h.sqrt() * rng.sample::<f64, _>(StandardNormal);
            if t >= 500 {
                x.push(e);
            }
            h = omega + alpha * e * e + beta * h;
        }
        x
    }

    fn brief(f: &GarchFit) -> String {
        format!(
            "omega {:e}, alpha {}, beta {}, se {:?}",
            f.omega, f.alpha, f.beta, f.standard_errors
        )
    }

    #[test]
    fn inverse_of_a_3x3() {
        let a = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]];
        let inv = invert3(&a).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let p: f64 = (0..3).map(|k| a[i][k] * inv[k][j]).sum();
                assert!((p - if i == j { 1.0 } else { 0.0 }).abs() < 1e-14);
            }
        }
        assert_eq!(
            invert3(&[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0]]),
            None
        );
    }

    #[test]
    fn recovers_parameters_of_a_simulated_garch() {
        // omega = 2e-6, alpha = 0.08, beta = 0.90 (persistence 0.98, unconditional daily
        // sd 1 %), 8,000 steps. The SEs (inverse Hessian, computed by the estimator)
        // come out at about 0.0065 for alpha, 0.0082 for beta and 3.5e-7 for omega at
        // this n (seeds 1 and 2), consistent with a 1/sqrt(n) scaling of the per-step
        // information; they are checked to be of that size, and each parameter must lie
        // within 4 of them. The persistence (SE about 0.004) within 0.02.
        let (omega, alpha, beta) = (2e-6, 0.08, 0.90);
        for seed in [1, 2] {
            let x = simulate(8_000, omega, alpha, beta, seed);
            let fit = fit_garch(&x).unwrap();
            let se = fit.standard_errors.expect("interior optimum");
            assert!(se[1] < 0.02 && se[2] < 0.03, "{seed}: {se:?}");
            assert!(
                (fit.alpha - alpha).abs() < 4.0 * se[1],
                "{seed}: {}",
                brief(&fit)
            );
            assert!(
                (fit.beta - beta).abs() < 4.0 * se[2],
                "{seed}: {}",
                brief(&fit)
            );
            assert!(
                (fit.omega - omega).abs() < 4.0 * se[0],
                "{seed}: {}",
                brief(&fit)
            );
            assert!(
                (fit.persistence() - 0.98).abs() < 0.02,
                "{seed}: {}",
                brief(&fit)
            );
            assert_eq!(fit.variances.len(), x.len());
        }
    }

    #[test]
    fn the_fit_is_a_local_maximum_and_constant_variance_gives_small_alpha() {
        let x = simulate(3_000, 1e-4, 0.0, 0.0, 9);
        let fit = fit_garch(&x).unwrap();
        // i.i.d. returns: alpha estimated near 0 (SE ~ 1/sqrt(n) = 0.018).
        assert!(fit.alpha < 0.06, "{}", brief(&fit));
        assert!(
            (fit.unconditional_variance() / 1e-4 - 1.0).abs() < 0.15,
            "{}",
            brief(&fit)
        );
        let e: Vec<f64> = x.iter().map(|v| v - fit.mean).collect();
        let h0 = e.iter().map(|v| v * v).sum::<f64>() / e.len() as f64;
        let at = |a: f64, b: f64| log_likelihood(&e, fit.omega, a, b, h0);
        let best = at(fit.alpha, fit.beta);
        assert!((best - fit.log_likelihood).abs() < 1e-6);
        assert!(at(fit.alpha + 0.01, fit.beta) <= best);
        assert!(at(fit.alpha, (fit.beta - 0.05).max(0.0)) <= best + 1e-9);
        assert!(fit_garch(&x[..10]).is_err());
        assert_eq!(fit_garch(&[0.0; 40]), Err(CalibrateError::ZeroVariance(0)));
    }
}
