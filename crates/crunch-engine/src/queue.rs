//! Which accounts a step looks at, and the order in which one asset's liquidatable accounts
//! are visited.
//!
//! Within an asset, liquidations act worst first (ascending `(H, account)`), and the
//! liquidity gate couples them only through the value `Q` already seized (precise point
//! 3). Two strategies find the liquidatable accounts and visit those that can act in that
//! same order:
//!
//! - [`ScanMode::Exhaustive`], the reference: compute every account's health factor each
//!   step, sort all liquidatable accounts and try each in turn.
//! - [`ScanMode::Pruned`]: health factors are computed only for the accounts a bound cannot
//!   decide (`crate::screen`); the accounts the bound finds surely liquidatable are
//!   counted without being checked, and checked lazily, in key order, only when they may
//!   come next in an asset's walk. The gate's slippage `min(1, impact sqrt((Q + S) /
//!   depth))` never decreases as `Q` grows during the step (every floating-point operation
//!   in it is monotone), so an account that fails the gate at the current `Q` fails it for
//!   the rest of the step: the walk skips the accounts whose seizure is bounded above the
//!   gate's threshold without checking them. The accounts that act, their order and so
//!   every result are those of the exhaustive scan; the work per step is close to the
//!   number of accounts that act, plus logarithmic searches.

use crate::lending::Planned;

/// How one asset's liquidation queue is visited each step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScanMode {
    /// Compute every account's health each step, sort every asset's liquidatable
    /// accounts and try them all (the reference).
    Exhaustive,
    /// Check only the accounts a health bound cannot decide, take the surely
    /// liquidatable ones lazily in each asset's walk and skip those the gate can no
    /// longer admit (the default; identical results, less work).
    #[default]
    Pruned,
}

/// A liquidatable account in its seized asset's queue: its health factor and what rule 3
/// would do to it at this step, in 24 bytes (members are sorted every step).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member {
    /// `H_j(t)`'s bits mapped so that unsigned order is `f64::total_cmp`'s (the sign bit
    /// set for positive values, every bit flipped for negative ones).
    order: u64,
    /// Rule 3's seizure ([`Planned::seized`]).
    seized: f64,
    /// Account index `j`.
    pub(crate) account: u32,
    /// Whether rule 3 seizes the whole holding.
    full: bool,
}

impl Member {
    /// Account `account` with health factor `health` and rule 3's plan `plan`.
    pub(crate) fn new(health: f64, account: u32, plan: Planned) -> Self {
        let bits = health.to_bits();
        let order = if bits >> 63 == 0 {
            bits | 1 << 63
        } else {
            !bits
        };
        Self {
            order,
            seized: plan.seized,
            account,
            full: plan.full,
        }
    }

    /// `H_j(t)`.
    #[inline]
    pub(crate) fn health(&self) -> f64 {
        let bits = if self.order >> 63 == 1 {
            self.order & !(1 << 63)
        } else {
            !self.order
        };
        f64::from_bits(bits)
    }

    /// Rule 3's repayment and seizure.
    #[inline]
    pub(crate) fn plan(&self) -> Planned {
        Planned {
            seized: self.seized,
            full: self.full,
        }
    }

    /// The member's place in the exact worst-first order: ascending health factor (by
    /// `f64::total_cmp`), ties by account index.
    #[inline]
    pub(crate) fn rank(&self) -> (u64, u32) {
        (self.order, self.account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rank` orders members as `f64::total_cmp` on the health factor, then the account;
    /// `health` gives back the exact bits.
    #[test]
    fn rank_is_total_order_then_account() {
        let values = [
            f64::NEG_INFINITY,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE / 4.0,
            0.3,
            0.30000000000000004,
            1.0,
            f64::INFINITY,
        ];
        let plan = Planned {
            seized: 7.0,
            full: true,
        };
        let members: Vec<Member> = values
            .iter()
            .enumerate()
            .flat_map(|(i, &h)| [Member::new(h, 3, plan), Member::new(h, i as u32, plan)])
            .collect();
        for x in &members {
            assert_eq!((x.plan().seized, x.plan().full), (7.0, true));
            for y in &members {
                let want = x
                    .health()
                    .total_cmp(&y.health())
                    .then(x.account.cmp(&y.account));
                assert_eq!(x.rank().cmp(&y.rank()), want, "{x:?} {y:?}");
            }
        }
        for &h in &values {
            assert_eq!(Member::new(h, 0, plan).health().to_bits(), h.to_bits());
        }
    }
}
