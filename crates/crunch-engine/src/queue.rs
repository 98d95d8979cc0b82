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

/// Copies the `m` worst members (ascending `(H, account)`) into `batch`, in order, and
/// returns the last of them; `members` is left as it is (the caller drops the batch with
/// [`after`] in its next pass over the queue). `members` must not be empty.
///
/// One pass keeps the `m` smallest keys seen so far in a sorted list; a new key enters only
/// when it beats the list's largest, which is rare after the first few. That is cheaper than
/// a selection, which moves the members around.
pub(crate) fn worst(members: &[Member], m: usize, batch: &mut Vec<Member>) -> Member {
    batch.clear();
    let head = m.min(members.len());
    batch.extend_from_slice(&members[..head]);
    batch.sort_unstable_by(worst_first);
    for x in &members[head..] {
        if worst_first(x, &batch[head - 1]).is_lt() {
            let at = batch.partition_point(|y| worst_first(y, x).is_lt());
            batch.pop();
            batch.insert(at, *x);
        }
    }
    batch[head - 1]
}

/// Whether `x` comes after `last` in the worst-first order (is not in a batch ending at
/// `last`).
pub(crate) fn after(x: &Member, last: &Member) -> bool {
    worst_first(x, last).is_gt()
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
    fn worst_returns_the_smallest_in_order_with_ties_by_index() {
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
        let last = worst(&members, 3, &mut batch);
        assert_eq!(accounts(&batch), vec![4, 1, 3]);
        members.retain(|x| after(x, &last));
        let mut rest = accounts(&members);
        rest.sort_unstable();
        assert_eq!(rest, vec![0, 2, 5]);
        let last = worst(&members, 10, &mut batch);
        assert_eq!(accounts(&batch), vec![0, 5, 2]);
        members.retain(|x| after(x, &last));
        assert!(members.is_empty());
    }
}
