//! Validation and factorisation of correlation matrices.

use thiserror::Error;

/// Tolerance for symmetry, the unit diagonal and zero pivots of a correlation matrix.
const TOL: f64 = 1e-10;

/// Why a matrix is not a valid correlation matrix.
#[derive(Debug, Error, PartialEq)]
pub enum CorrelationError {
    /// The matrix is not `A x A`.
    #[error("must be a {expected}x{expected} matrix (one row and column per asset), found {found}")]
    Shape {
        /// Number of assets.
        expected: usize,
        /// What was found, in words.
        found: String,
    },
    /// An entry is NaN, infinite or outside `[-1, 1]`.
    #[error("entry [{row}][{col}] = {value} is not a correlation in [-1, 1]")]
    OutOfRange {
        /// Row index.
        row: usize,
        /// Column index.
        col: usize,
        /// The entry.
        value: f64,
    },
    /// A diagonal entry is not 1.
    #[error("diagonal entry [{index}][{index}] = {value} must be 1")]
    Diagonal {
        /// Row and column index.
        index: usize,
        /// The entry.
        value: f64,
    },
    /// `R[i][j] != R[j][i]`.
    #[error("not symmetric: [{row}][{col}] = {a} but [{col}][{row}] = {b}")]
    Asymmetric {
        /// Row index.
        row: usize,
        /// Column index.
        col: usize,
        /// `R[row][col]`.
        a: f64,
        /// `R[col][row]`.
        b: f64,
    },
    /// The matrix has a negative eigenvalue.
    #[error(
        "not positive semi-definite (the Cholesky factorisation fails at row {index}): \
         no joint distribution has these pairwise correlations"
    )]
    NotPsd {
        /// Row at which the factorisation failed.
        index: usize,
    },
}

/// The lower Cholesky factor `L` (row-major, `A x A`) of a correlation matrix `R`, so that
/// `L L^T = R`. Positive semi-definite matrices (for example a correlation of exactly 1)
/// are accepted: a zero pivot gives a zero column, which is valid exactly when the rest of
/// that column of the Schur complement is zero (Golub & Van Loan, *Matrix Computations*,
/// 4th ed., §4.2.8).
pub fn cholesky_psd(r: &[Vec<f64>], assets: usize) -> Result<Vec<f64>, CorrelationError> {
    check_shape(r, assets)?;
    for (i, row) in r.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if !v.is_finite() || !(-1.0..=1.0).contains(&v) {
                return Err(CorrelationError::OutOfRange {
                    row: i,
                    col: j,
                    value: v,
                });
            }
            if i == j && (v - 1.0).abs() > TOL {
                return Err(CorrelationError::Diagonal { index: i, value: v });
            }
            if (v - r[j][i]).abs() > TOL {
                return Err(CorrelationError::Asymmetric {
                    row: i,
                    col: j,
                    a: v,
                    b: r[j][i],
                });
            }
        }
    }
    let n = assets;
    let mut l = vec![0.0; n * n];
    for k in 0..n {
        let pivot = r[k][k] - (0..k).map(|m| l[k * n + m] * l[k * n + m]).sum::<f64>();
        if pivot < -TOL {
            return Err(CorrelationError::NotPsd { index: k });
        }
        let diag = if pivot > TOL { pivot.sqrt() } else { 0.0 };
        l[k * n + k] = diag;
        for i in k + 1..n {
            let rest = r[i][k] - (0..k).map(|m| l[i * n + m] * l[k * n + m]).sum::<f64>();
            if diag == 0.0 {
                if rest.abs() > TOL {
                    return Err(CorrelationError::NotPsd { index: k });
                }
            } else {
                l[i * n + k] = rest / diag;
            }
        }
    }
    Ok(l)
}

fn check_shape(r: &[Vec<f64>], assets: usize) -> Result<(), CorrelationError> {
    if r.len() != assets {
        return Err(CorrelationError::Shape {
            expected: assets,
            found: format!("{} rows", r.len()),
        });
    }
    if let Some((i, row)) = r.iter().enumerate().find(|(_, row)| row.len() != assets) {
        return Err(CorrelationError::Shape {
            expected: assets,
            found: format!("row {i} with {} entries", row.len()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reconstruct(l: &[f64], n: usize) -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| (0..n).map(|m| l[i * n + m] * l[j * n + m]).sum())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn factor_of_two_by_two_is_hand_computed() {
        // L = [[1, 0], [rho, sqrt(1 - rho^2)]]
        let l = cholesky_psd(&[vec![1.0, 0.8], vec![0.8, 1.0]], 2).unwrap();
        assert_eq!(l[0], 1.0);
        assert_eq!(l[1], 0.0);
        assert!((l[2] - 0.8).abs() < 1e-15);
        assert!((l[3] - 0.6).abs() < 1e-15);
    }

    #[test]
    fn correlation_one_is_accepted() {
        let r = vec![
            vec![1.0, 1.0, 0.5],
            vec![1.0, 1.0, 0.5],
            vec![0.5, 0.5, 1.0],
        ];
        let l = cholesky_psd(&r, 3).unwrap();
        assert_eq!(l[4], 0.0, "second pivot is zero");
        let back = reconstruct(&l, 3);
        for i in 0..3 {
            for j in 0..3 {
                assert!((back[i][j] - r[i][j]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn invalid_matrices_are_refused() {
        let not_psd = vec![
            vec![1.0, 0.9, -0.9],
            vec![0.9, 1.0, 0.9],
            vec![-0.9, 0.9, 1.0],
        ];
        assert!(matches!(
            cholesky_psd(&not_psd, 3),
            Err(CorrelationError::NotPsd { .. })
        ));
        assert!(matches!(
            cholesky_psd(&[vec![1.0, 0.5], vec![0.4, 1.0]], 2),
            Err(CorrelationError::Asymmetric { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            cholesky_psd(&[vec![0.9, 0.0], vec![0.0, 1.0]], 2),
            Err(CorrelationError::Diagonal { index: 0, .. })
        ));
        assert!(matches!(
            cholesky_psd(&[vec![1.0, 1.5], vec![1.5, 1.0]], 2),
            Err(CorrelationError::OutOfRange { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            cholesky_psd(&[vec![1.0]], 2),
            Err(CorrelationError::Shape { .. })
        ));
        // Perfectly correlated pair with a third asset inconsistent with both.
        let inconsistent = vec![
            vec![1.0, 1.0, 0.5],
            vec![1.0, 1.0, 0.4],
            vec![0.5, 0.4, 1.0],
        ];
        assert!(matches!(
            cholesky_psd(&inconsistent, 3),
            Err(CorrelationError::NotPsd { index: 1 })
        ));
    }
}
