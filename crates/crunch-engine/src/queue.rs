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

/// The exact worst-first order: ascending health factor, ties by account index.
pub(crate) fn worst_first(x: &Member, y: &Member) -> std::cmp::Ordering {
    x.health
        .total_cmp(&y.health)
        .then(x.account.cmp(&y.account))
}
