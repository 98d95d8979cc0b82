//! GARCH(1,1) conditional variance.
//!
//! For each moving asset, the variance of the step's log-return shock `eps_t` is
//!
//! ```text
//! h[t+1] = omega + alpha eps[t]^2 + beta h[t],     eps[t] = sqrt(h[t]) z[t]
//! ```
//!
//! with `omega > 0`, `alpha, beta >= 0` and `alpha + beta < 1` (covariance stationarity):
//! the unconditional variance is `omega / (1 - alpha - beta)` and shocks to the variance
//! decay at the rate `alpha + beta` per step (the persistence). The autocorrelation of
//! squared shocks (normal `z`, finite fourth moment `3 alpha^2 + 2 alpha beta + beta^2 <
//! 1`) is `rho_1 = alpha (1 - alpha beta - beta^2) / (1 - 2 alpha beta - beta^2)`,
//! `rho_k = rho_1 (alpha + beta)^(k - 1)`.
//!
//! Variances are per step (units of squared log-return), not annualised. A scenario may
//! leave `omega` out: it is then set by *variance targeting*,
//! `omega = v (1 - alpha - beta)` for a target variance `v` (the asset's `sigma^2 dt`
//! for the `garch` source, the sample variance for filtered historical simulation).
//!
//! Sources: T. Bollerslev, *Generalized autoregressive conditional heteroskedasticity*,
//! J. Econometrics 31, 1986, pp. 307-327 (the model and its moments); T. Bollerslev,
//! *On the correlation structure for the generalized autoregressive conditional
//! heteroskedastic process*, J. Time Series Analysis 9(2), 1988 (the autocorrelation of
//! squares); R. Engle & J. Mezrich, *GARCH for groups*, Risk 9(8), 1996 (variance
//! targeting).

use crate::error::ModelError;

/// GARCH(1,1) parameters of one asset, per-step variance units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GarchParams {
    /// Constant `omega > 0`.
    pub omega: f64,
    /// Reaction to the last squared shock, `alpha >= 0`.
    pub alpha: f64,
    /// Weight of the last variance, `beta >= 0`, with `alpha + beta < 1`.
    pub beta: f64,
}

impl GarchParams {
    /// Checked parameters; `key` prefixes the keys of errors (for example `garch.ETH`).
    pub fn new(omega: f64, alpha: f64, beta: f64, key: &str) -> Result<Self, ModelError> {
        if !(alpha.is_finite() && alpha >= 0.0) {
            return Err(ModelError::new(
                format!("{key}.alpha"),
                format!("must be >= 0, got {alpha}"),
            ));
        }
        if !(beta.is_finite() && beta >= 0.0) {
            return Err(ModelError::new(
                format!("{key}.beta"),
                format!("must be >= 0, got {beta}"),
            ));
        }
        if alpha + beta >= 1.0 {
            return Err(ModelError::new(
                format!("{key}.beta"),
                format!(
                    "alpha + beta must be < 1 (a stationary variance), got {alpha} + {beta} = {}",
                    alpha + beta
                ),
            ));
        }
        if !(omega.is_finite() && omega > 0.0) {
            return Err(ModelError::new(
                format!("{key}.omega"),
                format!("must be > 0, got {omega}"),
            ));
        }
        Ok(Self { omega, alpha, beta })
    }

    /// Persistence `alpha + beta`.
    pub fn persistence(&self) -> f64 {
        self.alpha + self.beta
    }

    /// Unconditional variance `omega / (1 - alpha - beta)`.
    pub fn unconditional_variance(&self) -> f64 {
        self.omega / (1.0 - self.alpha - self.beta)
    }

    /// The next variance after shock `eps` at variance `h`.
    #[inline]
    pub fn next(&self, h: f64, eps: f64) -> f64 {
        self.omega + self.alpha * eps * eps + self.beta * h
    }
}

/// GARCH(1,1) parameters as a scenario (or an estimator) gives them: `omega` may be left
/// to variance targeting, and the start variance to the model's default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GarchSpec {
    /// `alpha >= 0`.
    pub alpha: f64,
    /// `beta >= 0`, `alpha + beta < 1`.
    pub beta: f64,
    /// `omega > 0`; `None` for variance targeting.
    pub omega: Option<f64>,
    /// Variance of the first simulated step (per step); `None` for the model's default
    /// (the unconditional variance for the `garch` source, the one-step forecast at the
    /// end of the sample for filtered historical simulation).
    pub start_variance: Option<f64>,
}

impl GarchSpec {
    /// The parameters, with `omega = target_variance (1 - alpha - beta)` when not given.
    pub fn resolve(&self, target_variance: f64, key: &str) -> Result<GarchParams, ModelError> {
        let omega = self
            .omega
            .unwrap_or(target_variance * (1.0 - self.alpha - self.beta));
        let p = GarchParams::new(omega, self.alpha, self.beta, key)?;
        if let Some(h) = self.start_variance
            && !(h.is_finite() && h > 0.0)
        {
            return Err(ModelError::new(
                format!("{key}.start_sigma"),
                format!("must be > 0, got a start variance of {h}"),
            ));
        }
        Ok(p)
    }
}

/// The result of running the GARCH filter over a return series.
#[derive(Debug, Clone, PartialEq)]
pub struct GarchFilter {
    /// Sample mean of the returns, removed before filtering.
    pub mean: f64,
    /// Standardised residuals `(r[t] - mean) / sqrt(h[t])`.
    pub residuals: Vec<f64>,
    /// Conditional variances `h[t]` of the sample.
    pub variances: Vec<f64>,
    /// One-step forecast `h[n]` after the last return.
    pub forecast: f64,
}

/// Filters `returns` through GARCH(1,1) with `params`: demeans them with the sample mean,
/// starts at `h[0]` = the sample variance (the usual initialisation), and standardises
/// every shock by its conditional volatility. An estimator only has to produce
/// [`GarchParams`]; this function does the rest for filtered historical simulation.
pub fn garch_filter(returns: &[f64], params: &GarchParams) -> GarchFilter {
    let n = returns.len().max(1) as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n;
    let mut h = if var > 0.0 {
        var
    } else {
        params.unconditional_variance()
    };
    let mut residuals = Vec::with_capacity(returns.len());
    let mut variances = Vec::with_capacity(returns.len());
    for r in returns {
        let eps = r - mean;
        residuals.push(eps / h.sqrt());
        variances.push(h);
        h = params.next(h, eps);
    }
    GarchFilter {
        mean,
        residuals,
        variances,
        forecast: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_targeting() {
        assert_eq!(
            GarchParams::new(1e-5, 0.2, 0.8, "garch.ETH")
                .unwrap_err()
                .to_string(),
            "`market.garch.ETH.beta`: alpha + beta must be < 1 (a stationary variance), \
             got 0.2 + 0.8 = 1"
        );
        let spec = GarchSpec {
            alpha: 0.1,
            beta: 0.8,
            omega: None,
            start_variance: None,
        };
        let p = spec.resolve(2e-3, "garch.ETH").unwrap();
        assert!((p.omega - 2e-4).abs() < 1e-18);
        assert!((p.unconditional_variance() - 2e-3).abs() < 1e-15);
    }

    #[test]
    fn filter_by_hand() {
        let p = GarchParams::new(0.1, 0.2, 0.5, "g").unwrap();
        let f = garch_filter(&[1.0, -1.0, 3.0], &p);
        // mean 1, shocks 0, -2, 2; sample variance 8/3.
        let h0 = 8.0 / 3.0;
        let h1 = 0.1 + 0.5 * h0;
        let h2 = 0.1 + 0.2 * 4.0 + 0.5 * h1;
        let h3 = 0.1 + 0.2 * 4.0 + 0.5 * h2;
        assert_eq!(f.mean, 1.0);
        assert_eq!(f.variances, vec![h0, h1, h2]);
        assert_eq!(f.residuals, vec![0.0, -2.0 / h1.sqrt(), 2.0 / h2.sqrt()]);
        assert_eq!(f.forecast, h3);
    }
}
