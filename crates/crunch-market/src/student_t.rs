//! Multivariate Student-t innovations.
//!
//! With `y = L e` the correlated standard normals of a step (`L L^T = R`) and one
//! chi-square variate `W ~ chi2(nu)` per step, common to all assets,
//!
//! ```text
//! z = y * sqrt((nu - 2) / W)
//! ```
//!
//! is multivariate Student-t with `nu` degrees of freedom, correlation matrix `R` and
//! unit variances: the usual multivariate t `y / sqrt(W / nu)` has covariance
//! `nu / (nu - 2) R`, and the factor `sqrt((nu - 2) / nu)` removes the excess, so `sigma`
//! keeps its meaning as the volatility of log-returns. `nu > 2` is required for a
//! finite variance. Each margin is a scaled univariate t with kurtosis
//! `3 + 6 / (nu - 4)` for `nu > 4` and tail index `nu`; the common `W` also makes large
//! moves coincide across assets (tail dependence, even at zero correlation).
//!
//! Sources: S. Kotz & S. Nadarajah, *Multivariate t Distributions and Their
//! Applications*, Cambridge UP 2004, §1.1 (the representation `y / sqrt(W / nu)`);
//! A. McNeil, R. Frey & P. Embrechts, *Quantitative Risk Management*, Princeton UP 2005,
//! §3.2.1 (normal variance mixtures, tail dependence of the t copula).
//!
//! Draw order: the `A` normals of `y` first (as for GBM), then one `chi2(nu)` variate
//! (`rand_distr::ChiSquared`, i.e. a Gamma(nu/2, 2) draw by Marsaglia–Tsang rejection).

use crate::error::ModelError;
use crunch_core::PathRng;
use rand::RngExt;
use rand_distr::ChiSquared;

/// Student-t innovations with `nu > 2` degrees of freedom, scaled to unit variance.
#[derive(Debug, Clone)]
pub struct StudentT {
    nu: f64,
    chi: ChiSquared<f64>,
}

impl StudentT {
    /// Innovations with `nu` degrees of freedom; `nu` must be finite and `> 2`.
    pub fn new(nu: f64) -> Result<Self, ModelError> {
        if !(nu.is_finite() && nu > 2.0) {
            return Err(ModelError::new(
                "dof",
                format!("must be > 2 (finite variance), got {nu}"),
            ));
        }
        let chi = ChiSquared::new(nu).map_err(|e| ModelError::new("dof", e.to_string()))?;
        Ok(Self { nu, chi })
    }

    /// Degrees of freedom `nu`.
    pub fn dof(&self) -> f64 {
        self.nu
    }

    /// Kurtosis `3 + 6 / (nu - 4)` of each margin; infinite for `nu <= 4`.
    pub fn kurtosis(&self) -> f64 {
        if self.nu > 4.0 {
            3.0 + 6.0 / (self.nu - 4.0)
        } else {
            f64::INFINITY
        }
    }

    /// Draws the step's common scale `sqrt((nu - 2) / W)`, `W ~ chi2(nu)`.
    pub(crate) fn draw_scale(&self, rng: &mut PathRng) -> f64 {
        let w: f64 = rng.sample(self.chi);
        ((self.nu - 2.0) / w).sqrt()
    }
}
