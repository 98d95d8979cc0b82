//! The insurance fund and socialised loss: who pays a bankrupt unit's deficit.
//!
//! The waterfall of Deribit's published rules (*Insurance Fund*, Deribit support; "The
//! Deribit insurance fund and socialised loss system", Deribit Insights): liquidation
//! penalties flow into an **insurance fund**, which covers the negative equity of bankrupt
//! traders so that the winning side is paid in full; if the fund is depleted, the rest of
//! the deficit is **socialised** among the winning traders. BitMEX ran the same fund with
//! socialised losses before replacing them by auto-deleveraging, and dYdX runs a fund
//! followed by deleveraging; crunch models the socialised loss, which needs no order book.
//!
//! Per step, after all liquidations of the step, with `D` the sum of the step's deficits
//! and `F` the fund (which has already received the step's penalties):
//!
//! ```text
//! paid by the fund   = min(F, D),    F <- F - min(F, D)
//! rest               = D - min(F, D)
//! haircut of unit u  = rest pi_u / W         if rest <= W   (pro rata)
//!                    = pi_u                  otherwise
//! bad debt           = max(0, rest - W)
//! ```
//!
//! with `pi_u = max(0, P&L_u - H_u)`: the unrealised P&L of unit `u` since entry (the sum
//! over its positions, [`crate::book`]) at the step's prices, less the haircuts `H_u`
//! already taken from it on the path (a gain is clawed back once), and `W = sum_u pi_u`.
//! The haircut is taken from the unit's collateral; no unit pays more than its gain, so a
//! deficit larger than all gains leaves **bad debt**, the only loss nobody absorbs.

use crate::error::{DerivError, check};

/// An insurance fund along one path: its balance and what it has been through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InsuranceFund {
    balance: f64,
    peak: f64,
    max_drawdown: f64,
    paid: f64,
    depleted_at: Option<usize>,
}

impl InsuranceFund {
    /// A fund holding `initial` (finite, `>= 0`) numeraire units.
    pub fn new(initial: f64) -> Result<Self, DerivError> {
        check(
            || "insurance_fund".into(),
            initial,
            initial.is_finite() && initial >= 0.0,
            "must be finite and >= 0",
        )?;
        Ok(Self {
            balance: initial,
            peak: initial,
            max_drawdown: 0.0,
            paid: 0.0,
            depleted_at: None,
        })
    }

    /// Adds liquidation penalties.
    pub fn receive(&mut self, amount: f64) {
        self.balance += amount;
        self.peak = self.peak.max(self.balance);
    }

    /// Pays what it can of `deficit` at `step`; returns the part left uncovered. The first
    /// step at which a deficit leaves the fund empty is its depletion step.
    pub fn cover(&mut self, deficit: f64, step: usize) -> f64 {
        if deficit <= 0.0 {
            return 0.0;
        }
        let paid = deficit.min(self.balance);
        self.balance -= paid;
        self.paid += paid;
        self.max_drawdown = self.max_drawdown.max(self.peak - self.balance);
        if self.balance <= 0.0 && self.depleted_at.is_none() {
            self.depleted_at = Some(step);
        }
        deficit - paid
    }

    /// The balance now.
    pub fn balance(&self) -> f64 {
        self.balance
    }

    /// The largest fall from a running peak of the balance (penalties raise the peak).
    pub fn max_drawdown(&self) -> f64 {
        self.max_drawdown
    }

    /// Total paid out for deficits.
    pub fn paid(&self) -> f64 {
        self.paid
    }

    /// The first step at which a deficit left the fund at zero, if any.
    pub fn depleted_at(&self) -> Option<usize> {
        self.depleted_at
    }
}

/// Spreads the uncovered loss `rest` over the units' gains not yet haircut, `pnl` (module
/// documentation; negative entries count as 0): returns each unit's haircut and the bad
/// debt left.
pub fn socialise(rest: f64, pnl: &[f64]) -> (Vec<f64>, f64) {
    let gains: f64 = pnl.iter().map(|p| p.max(0.0)).sum();
    if rest <= 0.0 || gains <= 0.0 {
        return (vec![0.0; pnl.len()], rest.max(0.0));
    }
    let share = (rest / gains).min(1.0);
    let haircuts = pnl.iter().map(|p| p.max(0.0) * share).collect();
    (haircuts, (rest - gains).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fund_covers_then_depletes() {
        // 100 in the fund, 5 of penalties (peak 105), a 30 deficit: 75 left, drawdown 30.
        // Then a 90 deficit: 75 paid, 15 uncovered, depleted at step 7, drawdown 105.
        let mut f = InsuranceFund::new(100.0).unwrap();
        f.receive(5.0);
        assert_eq!(f.cover(30.0, 3), 0.0);
        assert_eq!(
            (f.balance(), f.max_drawdown(), f.depleted_at()),
            (75.0, 30.0, None)
        );
        assert_eq!(f.cover(90.0, 7), 15.0);
        assert_eq!(
            (f.balance(), f.max_drawdown(), f.paid(), f.depleted_at()),
            (0.0, 105.0, 105.0, Some(7))
        );
        assert_eq!(
            InsuranceFund::new(-1.0).unwrap_err().to_string(),
            "`insurance_fund` = -1: must be finite and >= 0"
        );
    }

    #[test]
    fn socialised_pro_rata_then_bad_debt() {
        // Gains 30 and 10 (a loser at -50 pays nothing): a 20 loss takes half of each.
        assert_eq!(
            socialise(20.0, &[30.0, -50.0, 10.0]),
            (vec![15.0, 0.0, 5.0], 0.0)
        );
        // A 60 loss takes all 40 of gains and leaves 20 of bad debt.
        assert_eq!(
            socialise(60.0, &[30.0, -50.0, 10.0]),
            (vec![30.0, 0.0, 10.0], 20.0)
        );
        // No winners: all bad debt.
        assert_eq!(socialise(5.0, &[-1.0]), (vec![0.0], 5.0));
    }
}
