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
        "not positive semi-definite: its smallest eigenvalue is {min_eigenvalue:.6} (a \
         correlation matrix has none below 0), so no joint distribution has these pairwise \
         correlations; fix the entries or set `repair_correlation = true` to use the \
         nearest correlation matrix"
    )]
    NotPsd {
        /// Row at which the Cholesky factorisation failed.
        index: usize,
        /// The smallest eigenvalue of the matrix.
        min_eigenvalue: f64,
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
            return Err(not_psd(r, k));
        }
        let diag = if pivot > TOL { pivot.sqrt() } else { 0.0 };
        l[k * n + k] = diag;
        for i in k + 1..n {
            let rest = r[i][k] - (0..k).map(|m| l[i * n + m] * l[k * n + m]).sum::<f64>();
            if diag == 0.0 {
                if rest.abs() > TOL {
                    return Err(not_psd(r, k));
                }
            } else {
                l[i * n + k] = rest / diag;
            }
        }
    }
    Ok(l)
}

fn not_psd(r: &[Vec<f64>], index: usize) -> CorrelationError {
    let (values, _) = symmetric_eigen(r);
    CorrelationError::NotPsd {
        index,
        min_eigenvalue: values.iter().copied().fold(f64::INFINITY, f64::min),
    }
}

/// Eigenvalues and eigenvectors (columns of the second result, row-major `n x n`) of a
/// symmetric matrix, by cyclic Jacobi rotations (Golub & Van Loan, *Matrix Computations*,
/// 4th ed., §8.5). Meant for the small matrices of a scenario (tens of assets).
pub fn symmetric_eigen(a: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let n = a.len();
    let mut m: Vec<f64> = a.iter().flat_map(|row| row.iter().copied()).collect();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                // The rotation that zeroes m[p][q] (Golub & Van Loan, Algorithm 8.5.1).
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| m[i * n + i]).collect(), v)
}

/// The nearest correlation matrix to a symmetric matrix with unit diagonal, in the
/// Frobenius norm, by Higham's alternating projections with Dykstra's correction (N. J.
/// Higham, "Computing the nearest correlation matrix — a problem from finance", *IMA J.
/// Numer. Anal.* 22, 2002, Algorithm 3.3). Returns the matrix and its Frobenius distance
/// from the input.
pub fn nearest_correlation(r: &[Vec<f64>]) -> (Vec<Vec<f64>>, f64) {
    let n = r.len();
    let mut y: Vec<f64> = r.iter().flat_map(|row| row.iter().copied()).collect();
    let mut correction = vec![0.0; n * n];
    for _ in 0..10_000 {
        let shifted: Vec<f64> = y.iter().zip(&correction).map(|(a, b)| a - b).collect();
        let x = project_psd(&shifted, n);
        for ((c, xi), si) in correction.iter_mut().zip(&x).zip(&shifted) {
            *c = xi - si;
        }
        let previous = y.clone();
        y.clone_from(&x);
        for i in 0..n {
            y[i * n + i] = 1.0;
        }
        let change: f64 = y.iter().zip(&previous).map(|(a, b)| (a - b).powi(2)).sum();
        if change.sqrt() < 1e-14 {
            break;
        }
    }
    // Symmetrise away rounding and make sure the result factorises.
    let mut out: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| 0.5 * (y[i * n + j] + y[j * n + i]))
                .collect()
        })
        .collect();
    if cholesky_psd(&out, n).is_err() {
        // Shrink towards the identity by the smallest amount that restores
        // positive semi-definiteness within the factorisation's tolerance.
        let mut w = 1e-12;
        while cholesky_psd(&out, n).is_err() && w < 1.0 {
            out = (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| if i == j { 1.0 } else { out[i][j] * (1.0 - w) })
                        .collect()
                })
                .collect();
            w *= 10.0;
        }
    }
    let distance = out
        .iter()
        .flatten()
        .zip(r.iter().flatten())
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    (out, distance)
}

/// Projection of a symmetric matrix onto the positive semi-definite cone: negative
/// eigenvalues set to zero.
fn project_psd(a: &[f64], n: usize) -> Vec<f64> {
    let rows: Vec<Vec<f64>> = (0..n).map(|i| a[i * n..(i + 1) * n].to_vec()).collect();
    let (values, v) = symmetric_eigen(&rows);
    let mut out = vec![0.0; n * n];
    for (k, &lambda) in values.iter().enumerate() {
        if lambda <= 0.0 {
            continue;
        }
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] += lambda * v[i * n + k] * v[j * n + k];
            }
        }
    }
    out
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
    fn the_offending_eigenvalue_is_named() {
        // [[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]]: eigenvalues 1.9, 1.9 and -0.8
        // (the vector (1, -1, 1) gives 1 - .9 - .9 = -0.8).
        let r = vec![
            vec![1.0, 0.9, -0.9],
            vec![0.9, 1.0, 0.9],
            vec![-0.9, 0.9, 1.0],
        ];
        let e = cholesky_psd(&r, 3).unwrap_err();
        let CorrelationError::NotPsd { min_eigenvalue, .. } = e else {
            panic!("{e:?}")
        };
        assert!((min_eigenvalue + 0.8).abs() < 1e-12, "{min_eigenvalue}");
        assert!(e.to_string().contains("smallest eigenvalue is -0.800000"));
        let (mut values, _) = symmetric_eigen(&r);
        values.sort_by(f64::total_cmp);
        for (got, want) in values.iter().zip([-0.8, 1.9, 1.9]) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn nearest_correlation_repairs_and_leaves_valid_matrices_alone() {
        // Higham (2002), section 4's example: the nearest correlation matrix to
        // [[1, 1, 0], [1, 1, 1], [0, 1, 1]] is [[1, .7607, .1573], [.7607, 1, .7607],
        // [.1573, .7607, 1]] (to 4 decimals), at Frobenius distance 0.5278.
        let r = vec![
            vec![1.0, 1.0, 0.0],
            vec![1.0, 1.0, 1.0],
            vec![0.0, 1.0, 1.0],
        ];
        let (x, distance) = nearest_correlation(&r);
        assert!(cholesky_psd(&x, 3).is_ok());
        assert!((x[0][1] - 0.7607).abs() < 1e-4, "{x:?}");
        assert!((x[0][2] - 0.1573).abs() < 1e-4, "{x:?}");
        assert!((distance - 0.5278).abs() < 1e-4, "{distance}");
        let valid = vec![vec![1.0, 0.3], vec![0.3, 1.0]];
        let (same, d) = nearest_correlation(&valid);
        assert!(d < 1e-12);
        assert!((same[0][1] - 0.3).abs() < 1e-12);
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
            Err(CorrelationError::NotPsd { index: 1, .. })
        ));
    }
}
