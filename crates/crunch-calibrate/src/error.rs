//! The error type of the estimators.

use thiserror::Error;

/// Why an estimate cannot be computed from the returns given.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CalibrateError {
    /// Fewer observations than the estimator needs.
    #[error("{what} needs at least {needed} returns, got {got}")]
    TooFewReturns {
        /// The estimate.
        what: &'static str,
        /// Returns needed.
        needed: usize,
        /// Returns given.
        got: usize,
    },
    /// The columns of the return matrix differ in length, or there are none.
    #[error("the return matrix is not rectangular: {0}")]
    Shape(String),
    /// A return is NaN or infinite.
    #[error("return {row} of column {column} is not finite ({value})")]
    NotFinite {
        /// Column (asset) index.
        column: usize,
        /// Row (step) index.
        row: usize,
        /// The value.
        value: f64,
    },
    /// A column has zero variance, so it cannot be standardised or correlated.
    #[error("column {0} has zero variance (a constant price)")]
    ZeroVariance(usize),
}

/// Checks that `r` has at least one column, equal lengths, at least `needed` rows and
/// only finite values.
pub(crate) fn check_matrix(
    r: &[Vec<f64>],
    needed: usize,
    what: &'static str,
) -> Result<usize, CalibrateError> {
    let Some(first) = r.first() else {
        return Err(CalibrateError::Shape("no columns".into()));
    };
    let n = first.len();
    if let Some((i, c)) = r.iter().enumerate().find(|(_, c)| c.len() != n) {
        return Err(CalibrateError::Shape(format!(
            "column 0 has {n} rows, column {i} has {}",
            c.len()
        )));
    }
    check_column(first, needed, what)?;
    for (j, c) in r.iter().enumerate() {
        if let Some((row, &value)) = c.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(CalibrateError::NotFinite {
                column: j,
                row,
                value,
            });
        }
    }
    Ok(n)
}

/// Checks that a single series has at least `needed` values, all finite.
pub(crate) fn check_column(
    x: &[f64],
    needed: usize,
    what: &'static str,
) -> Result<(), CalibrateError> {
    if x.len() < needed {
        return Err(CalibrateError::TooFewReturns {
            what,
            needed,
            got: x.len(),
        });
    }
    if let Some((row, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CalibrateError::NotFinite {
            column: 0,
            row,
            value,
        });
    }
    Ok(())
}
