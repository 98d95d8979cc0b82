//! Maximum likelihood of the Student-t degrees of freedom.
//!
//! Each column of returns is modelled as i.i.d. `x_t = m + s z_t`, with `z_t` a
//! *standardised* Student-t variable of `nu > 2` degrees of freedom (unit variance, so `s`
//! is the standard deviation of the returns, the convention of crunch's Student-t
//! innovations, where `sigma` keeps its meaning). Its log-density is
//!
//! ```text
//! l(x; m, s, nu) = ln G((nu+1)/2) - ln G(nu/2) - ln(pi (nu-2))/2 - ln s
//!                  - (nu+1)/2 ln(1 + z^2 / (nu-2)),          z = (x - m) / s
//! ```
//!
//! (`G` the gamma function). The estimate maximises the log-likelihood over all three
//! parameters: for each `nu`, the profile `lp(nu) = max_{m, s} sum_t l(x_t; m, s, nu)` is
//! computed by Nelder–Mead over `(m, ln s)`, and `lp` is maximised by golden-section
//! search over `ln(nu - 2)` for `nu` in `[2.01, 1000]` (1000 is, for all purposes, the
//! normal distribution: a fit at that bound says the data show no fat tails).
//!
//! The **pooled** estimate shares one `nu` between all assets, each with its own `m` and
//! `s`: it maximises `sum_i lp_i(nu)`, the likelihood of independent columns. (Returns of
//! different assets are correlated, so this is a composite likelihood: the estimate is
//! consistent, its standard error below is too small by a factor up to the square root
//! of the number of assets.) A pooled `nu` is what a multivariate-t model with one tail
//! parameter, like crunch's, needs.
//!
//! **Standard error.** From the curvature of the profile log-likelihood at its maximum,
//! `se(nu) = (-lp''(nu))^(-1/2)` (central differences), which accounts for the estimated
//! `m` and `s` (profile-likelihood information: D. R. Cox & D. V. Hinkley, *Theoretical
//! Statistics*, 1974, §9.2; Y. Pawitan, *In All Likelihood*, OUP 2001, §3.4).
//!
//! Sources: K. Lange, R. Little & J. Taylor, *Robust statistical modeling using the t
//! distribution*, JASA 84, 1989 (ML for the t); T. Bollerslev, *A conditionally
//! heteroskedastic time series model for speculative prices and rates of return*, Rev.
//! Economics and Statistics 69(3), 1987 (the standardised-t parametrisation).

use crate::error::{CalibrateError, check_matrix};
use crate::moments::{mean, variance};
use crate::nelder_mead::{Options, minimize};
use crate::special::ln_gamma;

/// Smallest and largest degrees of freedom searched.
pub const DOF_RANGE: (f64, f64) = (2.01, 1000.0);

/// Fewest returns a fit accepts.
pub const MIN_RETURNS: usize = 20;

/// A fitted Student-t distribution (one `nu`, location and scale per column).
#[derive(Debug, Clone, PartialEq)]
pub struct StudentTFit {
    /// Degrees of freedom `nu`.
    pub dof: f64,
    /// Standard error of `nu` from the profile curvature; `None` when the fit is at a
    /// bound of [`DOF_RANGE`] or the curvature is not negative.
    pub dof_standard_error: Option<f64>,
    /// Whether `nu` is at the upper bound of [`DOF_RANGE`] (no evidence of fat tails).
    pub at_upper_bound: bool,
    /// Location `m` per column.
    pub location: Vec<f64>,
    /// Scale `s` (the standard deviation) per column.
    pub scale: Vec<f64>,
    /// The maximised log-likelihood.
    pub log_likelihood: f64,
}

/// Fits a standardised Student-t to one column of returns (at least [`MIN_RETURNS`]).
pub fn fit_student_t(x: &[f64]) -> Result<StudentTFit, CalibrateError> {
    fit_student_t_pooled(&[x.to_vec()])
}

/// Fits one `nu` shared by every column, with a location and scale per column.
pub fn fit_student_t_pooled(r: &[Vec<f64>]) -> Result<StudentTFit, CalibrateError> {
    check_matrix(r, MIN_RETURNS, "a Student-t fit")?;
    if let Some(j) = r.iter().position(|c| variance(c) == 0.0) {
        return Err(CalibrateError::ZeroVariance(j));
    }
    let mut starts: Vec<[f64; 2]> = r
        .iter()
        .map(|c| [mean(c), variance(c).sqrt().ln()])
        .collect();
    // The profile at `theta = ln(nu - 2)`; updates the warm starts of the inner fits.
    let profile = |theta: f64, starts: &mut Vec<[f64; 2]>| -> f64 {
        let nu = 2.0 + theta.exp();
        starts
            .iter_mut()
            .zip(r)
            .map(|(start, x)| {
                let (ll, at) = profile_column(x, nu, *start);
                *start = at;
                ll
            })
            .sum::<f64>()
    };
    let (lo, hi) = ((DOF_RANGE.0 - 2.0).ln(), (DOF_RANGE.1 - 2.0).ln());
    let theta = golden_max(|t| profile(t, &mut starts), lo, hi, 1e-5);
    let log_likelihood = profile(theta, &mut starts);
    let dof = 2.0 + theta.exp();
    let at_upper_bound = hi - theta < 1e-3;
    let at_bound = at_upper_bound || theta - lo < 1e-3;
    let dof_standard_error = if at_bound {
        None
    } else {
        let h = 0.05 * (dof - 2.0);
        let at_nu = |nu: f64| profile((nu - 2.0).ln(), &mut starts.clone());
        let curvature = (at_nu(dof + h) - 2.0 * log_likelihood + at_nu(dof - h)) / (h * h);
        (curvature < 0.0).then(|| (-curvature).sqrt().recip())
    };
    Ok(StudentTFit {
        dof,
        dof_standard_error,
        at_upper_bound,
        location: starts.iter().map(|s| s[0]).collect(),
        scale: starts.iter().map(|s| s[1].exp()).collect(),
        log_likelihood,
    })
}

/// Log-likelihood of `x` under the standardised t with location `m`, scale `s`, `nu`.
pub fn log_likelihood(x: &[f64], m: f64, s: f64, nu: f64) -> f64 {
    let c = ln_gamma((nu + 1.0) / 2.0)
        - ln_gamma(nu / 2.0)
        - 0.5 * (std::f64::consts::PI * (nu - 2.0)).ln()
        - s.ln();
    let k = 1.0 / ((nu - 2.0) * s * s);
    let e = (nu + 1.0) / 2.0;
    x.len() as f64 * c - e * x.iter().map(|v| (k * (v - m).powi(2)).ln_1p()).sum::<f64>()
}

/// The profile `max_{m, ln s}` of one column at `nu`, from `start`; returns the maximum
/// and where it is.
fn profile_column(x: &[f64], nu: f64, start: [f64; 2]) -> (f64, [f64; 2]) {
    let sd = variance(x).sqrt();
    let options = Options {
        f_tol: 1e-10 * x.len() as f64,
        x_tol: 1e-8,
        max_evaluations: 2_000,
    };
    let m = minimize(
        |p| -log_likelihood(x, p[0], p[1].exp(), nu),
        &start,
        &[0.1 * sd, 0.1],
        options,
    );
    (-m.value, [m.x[0], m.x[1]])
}

/// Golden-section search for the maximum of a unimodal `f` on `[a, b]`, to width `tol`.
pub(crate) fn golden_max<F: FnMut(f64) -> f64>(mut f: F, mut a: f64, mut b: f64, tol: f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    while b - a > tol {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::{Domain, stream_rng};
    use rand::RngExt;
    use rand_distr::StudentT;

    /// `n` draws of `m + s z`, z standardised t with `nu` degrees of freedom.
    fn draws(n: usize, m: f64, s: f64, nu: f64, seed: u64, stream: u64) -> Vec<f64> {
        let mut rng = stream_rng(seed, Domain::MarketPaths, stream);
        let t = StudentT::new(nu).unwrap();
        let scale = s * ((nu - 2.0) / nu).sqrt();
        (0..n).map(|_| m + scale * rng.sample(t)).collect()
    }

    #[test]
    fn log_likelihood_integrates_to_one_and_has_unit_variance() {
        // Trapezoid over [-60, 60]: total mass 1 and variance 1 (nu = 5, m = 0, s = 1).
        let h = 1e-3;
        let (mut mass, mut var) = (0.0, 0.0);
        for k in -60_000..=60_000 {
            let z = k as f64 * h;
            let p = log_likelihood(&[z], 0.0, 1.0, 5.0).exp() * h;
            mass += p;
            var += z * z * p;
        }
        assert!((mass - 1.0).abs() < 1e-6, "{mass}");
        assert!((var - 1.0).abs() < 1e-3, "{var}");
    }

    #[test]
    fn recovers_degrees_of_freedom() {
        // nu = 4 and 8 on 5,000 draws each. Asymptotic SE of nu with m and s estimated:
        // 1 / sqrt(n I*), I* = I_nn - I_ns^2 / I_ss the efficient information per draw,
        // from the information matrix of the t (Lange, Little & Taylor 1989, eq. A.3):
        // I_nn = (psi'(nu/2) - psi'((nu+1)/2)) / 4 - (nu+5) / (2 nu (nu+1) (nu+3)),
        // I_ns^2 / I_ss = 2 / (nu (nu+1)^2 (nu+3)). nu = 4: I* = 0.003644, SE = 0.234;
        // nu = 8: I* = 0.0002868, SE = 0.835. The test asserts 4 SE using the
        // estimator's own profile-curvature SE, and that SE within a factor 2 of these.
        for (nu, se_expected, stream) in [(4.0, 0.234, 0), (8.0, 0.835, 1)] {
            let x = draws(5_000, 0.001, 0.02, nu, 11, stream);
            let fit = fit_student_t(&x).unwrap();
            let se = fit.dof_standard_error.unwrap();
            assert!(
                se > se_expected / 2.0 && se < se_expected * 2.0,
                "{nu}: {fit:?}"
            );
            assert!((fit.dof - nu).abs() < 4.0 * se, "{nu}: {fit:?}");
            // The scale is the sd: SE(s)/s ~ sqrt((kurtosis - 1) / (4 n)) < 0.02 here.
            assert!((fit.scale[0] / 0.02 - 1.0).abs() < 4.0 * 0.02, "{fit:?}");
            assert!(!fit.at_upper_bound);
        }
    }

    #[test]
    fn normal_data_hit_the_upper_bound_and_pooling_shares_nu() {
        let mut rng = stream_rng(3, Domain::MarketPaths, 0);
        let x: Vec<f64> = (0..2_000)
            .map(|_| 0.01 * rng.sample::<f64, _>(rand_distr::StandardNormal))
            .collect();
        let fit = fit_student_t(&x).unwrap();
        // Normal data: nu is large (the likelihood is flat above ~50).
        assert!(fit.dof > 30.0, "{fit:?}");
        let cols = vec![
            draws(3_000, 0.0, 0.01, 5.0, 5, 0),
            draws(3_000, 0.0, 0.03, 5.0, 5, 1),
        ];
        let pooled = fit_student_t_pooled(&cols).unwrap();
        let se = pooled.dof_standard_error.unwrap();
        assert!((pooled.dof - 5.0).abs() < 4.0 * se, "{pooled:?}");
        assert!(
            (pooled.scale[1] / pooled.scale[0] - 3.0).abs() < 0.3,
            "{pooled:?}"
        );
        assert_eq!(
            fit_student_t(&x[..5]).unwrap_err().to_string(),
            "a Student-t fit needs at least 20 returns, got 5"
        );
    }
}
