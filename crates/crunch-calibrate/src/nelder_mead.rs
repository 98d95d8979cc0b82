//! A compact Nelder–Mead simplex minimiser.
//!
//! The method of J. A. Nelder & R. Mead, *A simplex method for function minimization*,
//! Computer Journal 7(4), 1965, with the standard coefficients (reflection 1, expansion 2,
//! contraction 1/2, shrink 1/2) and the ordering and tie rules of J. C. Lagarias, J. A.
//! Reeds, M. H. Wright & P. E. Wright, *Convergence properties of the Nelder–Mead simplex
//! method in low dimensions*, SIAM J. Optimization 9(1), 1998. Non-finite function
//! values are treated as `+inf`, so a likelihood may return NaN outside its domain.

/// The result of a minimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The function value there.
    pub value: f64,
    /// Function evaluations used.
    pub evaluations: usize,
    /// Whether the tolerances were met before the evaluation budget ran out.
    pub converged: bool,
}

/// Stopping rules of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Stop when the spread of function values over the simplex is below this.
    pub f_tol: f64,
    /// … and every vertex is within this distance (max norm) of the best.
    pub x_tol: f64,
    /// Stop after this many evaluations.
    pub max_evaluations: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            f_tol: 1e-9,
            x_tol: 1e-7,
            max_evaluations: 5_000,
        }
    }
}

/// Minimises `f` from `x0`, with an initial simplex of `x0` and `x0 + step[i] e_i`.
pub fn minimize<F: FnMut(&[f64]) -> f64>(
    mut f: F,
    x0: &[f64],
    step: &[f64],
    options: Options,
) -> Minimum {
    let n = x0.len();
    let evaluations = std::cell::Cell::new(0usize);
    let mut eval = |x: &[f64]| {
        evaluations.set(evaluations.get() + 1);
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((x0.to_vec(), eval(x0)));
    for i in 0..n {
        let mut x = x0.to_vec();
        x[i] += step[i];
        let v = eval(&x);
        simplex.push((x, v));
    }
    let point = |c: &[f64], d: &[f64], t: f64| -> Vec<f64> {
        c.iter().zip(d).map(|(a, b)| a + t * (b - a)).collect()
    };
    let mut converged = false;
    while evaluations.get() < options.max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].1;
        let worst = simplex[n].1;
        let spread = (worst - best).abs();
        let size = simplex[1..]
            .iter()
            .flat_map(|(x, _)| x.iter().zip(&simplex[0].0).map(|(a, b)| (a - b).abs()))
            .fold(0.0f64, f64::max);
        if spread <= options.f_tol && size <= options.x_tol {
            converged = true;
            break;
        }
        let mut centroid = vec![0.0; n];
        for (x, _) in &simplex[..n] {
            for (c, v) in centroid.iter_mut().zip(x) {
                *c += v / n as f64;
            }
        }
        // x(t) = centroid + t (worst - centroid): reflection t = -1, expansion -2,
        // outside contraction -1/2, inside contraction 1/2.
        let xr = point(&centroid, &simplex[n].0, -1.0);
        let fr = eval(&xr);
        if fr < best {
            let xe = point(&centroid, &simplex[n].0, -2.0);
            let fe = eval(&xe);
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
            continue;
        }
        if fr < simplex[n - 1].1 {
            simplex[n] = (xr, fr);
            continue;
        }
        let (xc, fc) = if fr < worst {
            let xc = point(&centroid, &simplex[n].0, -0.5);
            let fc = eval(&xc);
            (xc, fc)
        } else {
            let xc = point(&centroid, &simplex[n].0, 0.5);
            let fc = eval(&xc);
            (xc, fc)
        };
        if fc < fr.min(worst) {
            simplex[n] = (xc, fc);
            continue;
        }
        // Shrink toward the best vertex.
        let x_best = simplex[0].0.clone();
        for vertex in simplex.iter_mut().skip(1) {
            let x = point(&x_best, &vertex.0, 0.5);
            let v = eval(&x);
            *vertex = (x, v);
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, value) = simplex.swap_remove(0);
    Minimum {
        x,
        value,
        evaluations: evaluations.get(),
        converged,
    }
}

/// Minimises with [`minimize`], then restarts from the best point with the initial steps
/// until a restart no longer improves the value by more than `f_tol` (at most 5
/// restarts): a collapsed simplex is the classic failure of the method, and a restart
/// is the standard remedy.
pub fn minimize_restarted<F: FnMut(&[f64]) -> f64>(
    mut f: F,
    x0: &[f64],
    step: &[f64],
    options: Options,
) -> Minimum {
    let mut m = minimize(&mut f, x0, step, options);
    for _ in 0..5 {
        let again = minimize(&mut f, &m.x, step, options);
        let improved = again.value < m.value - options.f_tol;
        let evaluations = m.evaluations + again.evaluations;
        if again.value <= m.value {
            m = Minimum {
                evaluations,
                ..again
            };
        } else {
            m.evaluations = evaluations;
        }
        if !improved {
            break;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = minimize_restarted(rosen, &[-1.2, 1.0], &[0.5, 0.5], Options::default());
        assert!(m.converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-4 && (m.x[1] - 1.0).abs() < 1e-4,
            "{m:?}"
        );
    }

    #[test]
    fn nan_is_treated_as_infinite() {
        let f = |x: &[f64]| {
            if x[0] < 0.0 {
                f64::NAN
            } else {
                (x[0] - 2.0).powi(2)
            }
        };
        let m = minimize(f, &[0.5], &[1.0], Options::default());
        assert!((m.x[0] - 2.0).abs() < 1e-4, "{m:?}");
    }
}
