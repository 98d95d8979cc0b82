//! The order in which one asset's liquidatable accounts are visited in a step.
//!
//! Within an asset, liquidations act worst first (ascending `(H, account)`), and the
//! liquidity gate couples them only through the value `Q` already seized (precise point
//! 3). Two strategies visit the accounts that can act in that same order:
//!
//! - [`ScanMode::Exhaustive`], the reference: sort all of them and try each in turn.
//! - [`ScanMode::Pruned`]: the gate's slippage `min(1, impact sqrt((Q + S) / depth))` never
//!   decreases as `Q` grows during the step (every floating-point operation in it is
//!   monotone), so an account that fails the gate at the current `Q` fails it for the rest
//!   of the step. Each round drops such accounts, then takes the few worst remaining ones
//!   (a selection, not a sort) and tries them in order. The accounts that act, their order
//!   and so every result are those of the exhaustive scan; the work is close to linear in
//!   the number of liquidatable accounts instead of a full sort per step.

/// How one asset's liquidation queue is visited each step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScanMode {
    /// Sort every asset's liquidatable accounts each step and try them all (the
    /// reference).
    Exhaustive,
    /// Drop accounts the gate can no longer admit and select the worst of the rest in
    /// small rounds (the default; identical results, less work).
    #[default]
    Pruned,
}

/// Marker for "no collateral to seize".
pub(crate) const NO_ASSET: u32 = u32::MAX;

/// Accounts taken per round of the pruned walk: enough that a round usually fills an
/// asset's gate, few enough that selecting and sorting them is cheap.
pub(crate) const ROUND: usize = 32;

/// Moves the `m` worst accounts of `members` (ascending `(H, account)`) into `batch`,
/// in order, and removes them from `members`.
pub(crate) fn take_worst(members: &mut Vec<u32>, m: usize, health: &[f64], batch: &mut Vec<u32>) {
    let worst_first = worst_first(health);
    if m < members.len() {
        members.select_nth_unstable_by(m - 1, worst_first);
    }
    batch.clear();
    batch.extend(members.drain(..m.min(members.len())));
    batch.sort_unstable_by(worst_first);
}

/// The exact worst-first order: ascending health factor, ties by account index.
pub(crate) fn worst_first(health: &[f64]) -> impl Fn(&u32, &u32) -> std::cmp::Ordering + Copy {
    move |x, y| {
        health[*x as usize]
            .total_cmp(&health[*y as usize])
            .then(x.cmp(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_worst_returns_the_smallest_in_order_with_ties_by_index() {
        let health = [0.5, 0.2, 0.9, 0.2, 0.1, 0.7];
        let mut members: Vec<u32> = vec![5, 4, 3, 2, 1, 0];
        let mut batch = Vec::new();
        take_worst(&mut members, 3, &health, &mut batch);
        assert_eq!(batch, vec![4, 1, 3]);
        members.sort_unstable();
        assert_eq!(members, vec![0, 2, 5]);
        take_worst(&mut members, 10, &health, &mut batch);
        assert_eq!(batch, vec![0, 5, 2]);
        assert!(members.is_empty());
    }
}
