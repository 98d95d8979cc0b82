//! Value at risk and expected shortfall of an account's one-step P&L.
//!
//! From `n` scenario P&Ls (historical or simulated, equally weighted) the losses are
//! `L_i = -PnL_i`, sorted `L_(1) <= ... <= L_(n)`. At confidence `alpha` in `(0, 1)`:
//!
//! ```text
//! VaR_alpha = L_(k),  k = ceil(n alpha)            (the lower alpha-quantile of the loss,
//!                                                   inf { l : F_n(l) >= alpha })
//! ES_alpha  = ( (1/n) sum_{L_i > VaR} L_i + VaR (m/n - alpha) ) / (1 - alpha),
//!             m = #{ i : L_i <= VaR }
//! ```
//!
//! ES is the Acerbi–Tasche expected shortfall of the empirical distribution
//! (C. Acerbi & D. Tasche, *On the coherence of expected shortfall*, J. Banking &
//! Finance 26, 2002, Definition 2.6 and Proposition 3.2): the mean of the worst
//! `n (1 - alpha)` losses, with the boundary observation `VaR` weighted fractionally
//! when `n (1 - alpha)` is not an integer and ties at `VaR` handled exactly. It is
//! coherent and `ES >= VaR`. Both are losses: positive means money lost. `n alpha`
//! within `1e-9` of an integer is taken as that integer, so that `alpha = 0.95`,
//! `n = 20` gives `k = 19` despite rounding.

use crate::book::{Account, MarketState};
use crate::error::{DerivError, check};

/// Value at risk and expected shortfall at one confidence level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailRisk {
    /// Value at risk (a loss).
    pub var: f64,
    /// Expected shortfall (a loss, `>= var`).
    pub es: f64,
}

/// VaR and ES at confidence `confidence` in `(0, 1)` of the P&L sample `pnl` (module
/// documentation).
pub fn var_es(pnl: &[f64], confidence: f64) -> Result<TailRisk, DerivError> {
    if pnl.is_empty() {
        return Err(DerivError::EmptySample("var_es"));
    }
    check(
        || "confidence".into(),
        confidence,
        confidence > 0.0 && confidence < 1.0,
        "must be in (0, 1)",
    )?;
    for (i, &x) in pnl.iter().enumerate() {
        check(|| format!("pnl[{i}]"), x, x.is_finite(), "must be finite")?;
    }
    let mut losses: Vec<f64> = pnl.iter().map(|x| -x).collect();
    losses.sort_unstable_by(f64::total_cmp);
    let n = losses.len() as f64;
    let na = n * confidence;
    let k = if (na - na.round()).abs() <= 1e-9 * na.max(1.0) {
        na.round()
    } else {
        na.ceil()
    };
    let k = (k as usize).clamp(1, losses.len());
    let var = losses[k - 1];
    let m = losses.partition_point(|&l| l <= var);
    let beyond: f64 = losses[m..].iter().sum();
    let es = (beyond / n + var * (m as f64 / n - confidence)) / (1.0 - confidence);
    Ok(TailRisk { var, es })
}

/// The account's P&L from `base` to each of `scenarios`: `E(scenario) - E(base)`, its
/// equity change (collateral is unchanged within a step).
pub fn scenario_pnl(
    account: &Account,
    base: &MarketState,
    scenarios: &[MarketState],
) -> Result<Vec<f64>, DerivError> {
    let e0 = account.value(base)?.equity;
    scenarios
        .iter()
        .map(|s| Ok(account.value(s)?.equity - e0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Position;

    // Losses -P&L sorted: -5 -4 -2 -1 0 1 3 7 10 20.
    const PNL: [f64; 10] = [-10.0, -3.0, 5.0, 2.0, -7.0, 0.0, 1.0, -1.0, 4.0, -20.0];

    fn at(c: f64) -> TailRisk {
        var_es(&PNL, c).unwrap()
    }

    #[test]
    fn var_and_es_by_hand() {
        // alpha = 0.9: k = 9, VaR = 10; m = 9: ES = (20/10 + 10 (0.9 - 0.9)) / 0.1 = 20.
        assert_eq!(at(0.9).var, 10.0);
        assert!((at(0.9).es - 20.0).abs() < 1e-12);
        // alpha = 0.8: VaR = L(8) = 7, ES = ((10 + 20) / 10) / 0.2 = 15.
        assert_eq!(at(0.8).var, 7.0);
        assert!((at(0.8).es - 15.0).abs() < 1e-12);
        // alpha = 0.85: n alpha = 8.5, k = 9, VaR = 10; ES = (2 + 10 * 0.05) / 0.15: the
        // worst 1.5 observations, 20 whole and 10 by half, (20 + 5) / 1.5 = 16.67.
        assert_eq!(at(0.85).var, 10.0);
        assert!((at(0.85).es - 25.0 / 1.5).abs() < 1e-12);
        // alpha = 0.95: k = 10 (9.5 rounded up), VaR = ES = 20.
        assert_eq!(at(0.95).var, 20.0);
        assert!((at(0.95).es - 20.0).abs() < 1e-12);
        // alpha = 0.5: k = 5, VaR = 0; ES = mean of the worst 5 = (1 + 3 + 7 + 10 + 20) / 5.
        assert_eq!(at(0.5).var, 0.0);
        assert!((at(0.5).es - 8.2).abs() < 1e-12);
    }

    #[test]
    fn ties_and_rounding_of_n_alpha() {
        // Losses 0 5 5 5, alpha = 0.5: VaR = L(2) = 5, m = 4: ES = 5 (0 + 5 (1 - 0.5)) / ...
        // = (0 + 5 * 0.5) / 0.5 = 5.
        let r = var_es(&[-5.0, -5.0, -5.0, 0.0], 0.5).unwrap();
        assert_eq!((r.var, r.es), (5.0, 5.0));
        // n = 20, alpha = 0.95: n alpha = 19.000000000000004 in floating point, k = 19.
        let pnl: Vec<f64> = (1..=20).map(|i| -f64::from(i)).collect();
        let r = var_es(&pnl, 0.95).unwrap();
        assert_eq!(r.var, 19.0);
        assert!((r.es - 20.0).abs() < 1e-12);
    }

    #[test]
    fn bad_samples_are_refused() {
        assert_eq!(
            var_es(&[], 0.9).unwrap_err().to_string(),
            "var_es: the sample is empty"
        );
        assert_eq!(
            var_es(&[1.0], 1.0).unwrap_err().to_string(),
            "`confidence` = 1: must be in (0, 1)"
        );
        assert_eq!(
            var_es(&[1.0, f64::NAN], 0.9).unwrap_err().to_string(),
            "`pnl[1]` = NaN: must be finite"
        );
    }

    #[test]
    fn scenario_pnl_of_a_perpetual() {
        // Long 2 perps: P&L 2 dP for price scenarios 90, 100, 130.
        let a = Account::new("a", 10.0, vec![Position::perp(0, 2.0, 100.0)]).unwrap();
        let m = |p: f64| MarketState::new(vec![p], vec![0.3], 0.0, 0.0).unwrap();
        let pnl = scenario_pnl(&a, &m(100.0), &[m(90.0), m(100.0), m(130.0)]).unwrap();
        assert_eq!(pnl, vec![-20.0, 0.0, 60.0]);
        // 95 %: k = ceil(2.85) = 3, VaR = L(3) = 20 (the worst of three), ES = 20.
        let r = var_es(&pnl, 0.95).unwrap();
        assert_eq!((r.var, r.es), (20.0, 20.0));
    }
}
