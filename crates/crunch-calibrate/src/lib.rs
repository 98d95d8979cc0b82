//! Estimators that calibrate crunch's path models on historical prices.
//!
//! Every estimator works on a matrix of log-returns, one column (a `Vec<f64>`) per asset
//! and one row per step, all columns of equal length:
//!
//! - [`log_returns`] and [`steps_per_year`]: the input matrix and how many of its steps
//!   make a year (252 trading days, 365 calendar days, …);
//! - [`moments`]: annualised drift and volatility, the correlation matrix and its mean
//!   pairwise correlation ([`window_stats`]), and the crunch statistics of a stress
//!   window against a calm one ([`crunch_stats`]);
//! - [`student_t`]: maximum likelihood of the Student-t degrees of freedom, per asset and
//!   pooled;
//! - [`garch`]: Gaussian quasi-maximum likelihood of GARCH(1,1) per asset;
//! - [`jumps`]: jump intensity and size by a threshold on GARCH-standardised returns,
//!   split into per-asset and common jumps;
//! - [`nelder_mead`]: the derivative-free optimiser behind the likelihood fits.
//!
//! `docs/calibration.md` describes every estimate with its formula and source, and the
//! `crunch calibrate` command that prints them as a scenario snippet.

mod error;
pub mod garch;
pub mod jumps;
pub mod moments;
pub mod nelder_mead;
mod returns;
mod special;
pub mod student_t;

pub use error::CalibrateError;
pub use garch::{GarchFit, fit_garch};
pub use jumps::{AssetJumps, CommonJumps, JumpFit, detect_jumps};
pub use moments::{
    CrunchStats, WindowStats, annualised_drift, annualised_volatility, correlation_matrix,
    crunch_stats, mean_pairwise_correlation, window_stats,
};
pub use returns::{log_returns, steps_per_year};
pub use student_t::{StudentTFit, fit_student_t, fit_student_t_pooled};
