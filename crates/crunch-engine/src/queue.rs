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
//!   rule out (`crate::screen`). The gate's slippage `min(1, impact sqrt((Q + S) / depth))`
//!   never decreases as `Q` grows during the step (every floating-point operation in it is
//!   monotone), so an account that fails the gate at the current `Q` fails it for the rest
//!   of the step. Each round drops such accounts, then takes the few worst remaining ones
//!   (a selection, not a sort) and tries them in order. The accounts that act, their order
//!   and so every result are those of the exhaustive scan; the work is close to linear in
//!   the number of liquidatable accounts instead of a full pass and a sort per step.

use crate::lending::Planned;

/// How one asset's liquidation queue is visited each step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScanMode {
    /// Compute every account's health each step, sort every asset's liquidatable
    /// accounts and try them all (the reference).
    Exhaustive,
    /// Check only the accounts a health bound cannot rule out, drop accounts the gate
    /// can no longer admit and select the worst of the rest in small rounds (the
    /// default; identical results, less work).
    #[default]
    Pruned,
}

/// Marker for "no collateral to seize".
pub(crate) const NO_ASSET: u32 = u32::MAX;

/// Accounts taken per round of the pruned walk: enough that a round usually fills an
/// asset's gate, few enough that selecting and sorting them is cheap.
pub(crate) const ROUND: usize = 32;

/// A liquidatable account in its seized asset's queue: its health factor and what rule 3
/// would do to it at this step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member {
    /// `H_j(t)`.
    pub(crate) health: f64,
    /// Account index `j`.
    pub(crate) account: u32,
    /// Rule 3's repayment and seizure.
    pub(crate) plan: Planned,
}

/// Moves the `m` worst members (ascending `(H, account)`) into `batch`, in order, and
/// removes them from `members`.
///
/// One pass keeps the `m` smallest keys seen so far in a sorted list (a new key enters only
/// when it beats the list's largest, which is rare after the first few), a second moves
/// the members up to the `m`-th key into `batch`: cheaper than a selection that moves the
/// members around.
pub(crate) fn take_worst(members: &mut Vec<Member>, m: usize, batch: &mut Vec<Member>) {
    batch.clear();
    if members.len() > m {
        batch.extend_from_slice(&members[..m]);
        batch.sort_unstable_by(worst_first);
        for x in &members[m..] {
            if worst_first(x, &batch[m - 1]).is_lt() {
                let at = batch.partition_point(|y| worst_first(y, x).is_lt());
                batch.pop();
                batch.insert(at, *x);
            }
        }
        let last = batch[m - 1];
        members.retain(|x| worst_first(x, &last).is_gt());
    } else {
        batch.append(members);
        batch.sort_unstable_by(worst_first);
    }
}

/// The exact worst-first order: ascending health factor, ties by account index.
pub(crate) fn worst_first(x: &Member, y: &Member) -> std::cmp::Ordering {
    x.health
        .total_cmp(&y.health)
        .then(x.account.cmp(&y.account))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(members: &[Member]) -> Vec<u32> {
        members.iter().map(|m| m.account).collect()
    }

    #[test]
    fn take_worst_returns_the_smallest_in_order_with_ties_by_index() {
        let health = [0.5, 0.2, 0.9, 0.2, 0.1, 0.7];
        let mut members: Vec<Member> = (0..6u32)
            .rev()
            .map(|j| Member {
                health: health[j as usize],
                account: j,
                plan: Planned::default(),
            })
            .collect();
        let mut batch = Vec::new();
        take_worst(&mut members, 3, &mut batch);
        assert_eq!(accounts(&batch), vec![4, 1, 3]);
        let mut rest = accounts(&members);
        rest.sort_unstable();
        assert_eq!(rest, vec![0, 2, 5]);
        take_worst(&mut members, 10, &mut batch);
        assert_eq!(accounts(&batch), vec![0, 5, 2]);
        assert!(members.is_empty());
    }
}
