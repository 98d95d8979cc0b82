//! Special functions the likelihoods need.

/// `ln Γ(x)` for `x > 0`, by the Lanczos approximation (g = 7, 9 coefficients; relative
/// error below 1e-15 for `x >= 0.5`) and the reflection formula below 0.5. Coefficients
/// from P. Godfrey's table, as in W. H. Press et al., *Numerical Recipes*, 3rd ed., §6.1.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_known_values() {
        // Γ(1) = Γ(2) = 1, Γ(1/2) = sqrt(pi), Γ(5) = 24, Γ(10.5) = 1133278.3889487855.
        let pi = std::f64::consts::PI;
        for (x, want) in [
            (1.0, 0.0),
            (2.0, 0.0),
            (0.5, 0.5 * pi.ln()),
            (5.0, 24f64.ln()),
            (10.5, 1_133_278.388_948_785_5f64.ln()),
        ] {
            assert!((ln_gamma(x) - want).abs() < 1e-12, "x = {x}");
        }
        // Large arguments against Stirling's series with two correction terms.
        let x: f64 = 500.0;
        let stirling = (x - 0.5) * x.ln() - x + 0.5 * (2.0 * pi).ln() + 1.0 / (12.0 * x)
            - 1.0 / (360.0 * x.powi(3));
        assert!((ln_gamma(x) - stirling).abs() < 1e-9);
    }
}
