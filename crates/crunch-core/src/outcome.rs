//! What one (policy, path) simulation produces: the summary metrics of `lending-v1`, an
//! optional per-step aggregate series and optional liquidation events.

/// The metrics of one (scenario, policy, path), with the spec's column names.
/// Money amounts are in numeraire units (USD); counts are plain counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathSummary {
    /// Realised bad debt plus, at `T`, `sum_j max(0, D_j - V_j(T))` over open accounts (USD).
    pub bad_debt: f64,
    /// Accounts that realised bad debt or end with `D_j > V_j(T)` (accounts).
    pub insolvent_accounts: u64,
    /// Liquidation events (events).
    pub liquidations: u64,
    /// Distinct accounts liquidated at least once (accounts).
    pub liquidated_accounts: u64,
    /// Sum of repaid debt `R` (USD).
    pub repaid_debt: f64,
    /// Sum of seized collateral value `S` (USD).
    pub seized_collateral: f64,
    /// Sum of `S - R`, what borrowers lost to the bonus (USD).
    pub liquidation_penalty: f64,
    /// Sum of `S * s`, value lost to slippage when seized collateral is sold (USD).
    pub slippage_cost: f64,
    /// `sum_j D_j(0)` (USD).
    pub initial_debt: f64,
    /// `sum_j V_j(0)` (USD).
    pub initial_collateral: f64,
    /// `initial_debt / initial_collateral` (ratio); `None` when there is no collateral.
    pub capital_efficiency: Option<f64>,
    /// `sum_j B_j(0)`: what the policy in force at step 0 lets the book borrow,
    /// `B_j = sum_i c[j][i] p[0][i] ltv_i` (USD).
    pub initial_borrowing_power: f64,
    /// `initial_borrowing_power / initial_collateral` (ratio): the share of collateral value
    /// the policy lends against; `None` when there is no collateral.
    pub borrowing_capacity: Option<f64>,
    /// First step at which any account has `D_j > V_j(t)` or realises bad debt.
    pub first_bad_debt_step: Option<u64>,
    /// Minimum health factor over steps and indebted accounts, before liquidations.
    pub min_health: Option<f64>,
    /// Sum over liquidations of the liquidator's profit `S (p/o) (1 - s) - R - gas`: the
    /// market value of the seized collateral after slippage, less the debt repaid and the
    /// gas paid (USD); `S (1 - s) - R` in `lending-v1`.
    pub liquidator_profit: f64,
    /// Sum over liquidations of `S (1 - p/o)`: seized value the oracle credited above what
    /// the market paid for it (USD; negative when the oracle was below the market; 0 in
    /// `lending-v1`).
    pub oracle_gap: f64,
    /// Liquidatable accounts holding collateral that no liquidator took at a step because
    /// the slippage left no profit (rule 4 and its oracle form) (account-steps).
    pub blocked_liquidity: u64,
    /// Liquidatable accounts left at a step because liquidator capacity was used up
    /// (account-steps).
    pub blocked_capacity: u64,
    /// Liquidatable accounts left at a step of a liquidator outage, or (unified
    /// `[chains]` margin) whose seized asset's chain bridge is halted (account-steps).
    pub blocked_outage: u64,
    /// Liquidatable accounts left at a step because the profit did not cover the gas cost
    /// (account-steps).
    pub blocked_gas: u64,
    /// Bad debt (realised, or open at `T`) of accounts that gas ever kept from being
    /// liquidated (USD).
    pub dust_bad_debt: f64,
    /// Mean over liquidated accounts of the steps from the first step `t >= 1` at which the
    /// account was liquidatable with collateral to its first liquidation (steps); `None`
    /// when no account was liquidated.
    pub mean_time_to_liquidate: Option<f64>,
}

/// Book-wide aggregates at the end of one step (after its liquidations), or of the
/// initial book for step 0.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepAggregate {
    /// Outstanding debt `sum_j D_j` (USD).
    pub debt: f64,
    /// Collateral value `sum_j V_j(t)` at the step's prices (USD).
    pub collateral_value: f64,
    /// Liquidation events of the step.
    pub liquidations: u64,
    /// Debt repaid by the step's liquidations (USD).
    pub repaid_debt: f64,
    /// Collateral value seized by the step's liquidations (USD).
    pub seized_collateral: f64,
    /// Bad debt realised at the step (rule 5) (USD).
    pub bad_debt_realised: f64,
}

/// One liquidation that acted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationEvent {
    /// Step `t` at which it happened.
    pub step: u32,
    /// Account index `j` (account order of the book).
    pub account: u32,
    /// Index `k` of the seized asset.
    pub asset: u32,
    /// Debt repaid `R` (USD).
    pub repaid: f64,
    /// Collateral value seized `S` (USD).
    pub seized: f64,
    /// Slippage rate `s` applied to the sale (fraction of `S`).
    pub slippage: f64,
    /// Whether the asset held less than `S` and was seized whole.
    pub full_seizure: bool,
}

/// Everything one policy produced on one path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathOutcome {
    /// Path index.
    pub path: u64,
    /// Policy index in scenario order.
    pub policy: usize,
    /// Summary metrics.
    pub summary: PathSummary,
    /// Per-step aggregates for steps `0..=T`; empty unless requested.
    pub steps: Vec<StepAggregate>,
    /// Liquidation events in the order they acted; empty unless requested.
    pub events: Vec<LiquidationEvent>,
    /// Health factors of every indebted account at the requested step, before that step's
    /// liquidations, in account order; empty unless requested.
    pub health: Vec<HealthSample>,
    /// With `[reputation]`: per-tier metrics, one per tier in tier order; else empty.
    pub tiers: Vec<TierOutcome>,
    /// With `[reputation]` and a health snapshot requested: every account's score in
    /// force at the snapshot's step (the one its terms there use), in account order;
    /// else empty.
    pub scores: Vec<f64>,
}

/// One reputation tier's share of a path's outcome. An account belongs to the tier its
/// score puts it in at step 0 (its cohort) for every figure except `final_accounts`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TierOutcome {
    /// Accounts in the tier at step 0 (accounts).
    pub accounts: u64,
    /// `sum_j D_j(0)` over the tier's accounts (USD).
    pub initial_debt: f64,
    /// `sum_j V_j(0)` over the tier's accounts (USD).
    pub initial_collateral: f64,
    /// `sum_j B_j(0)` over the tier's accounts with the policy's terms as applied to them
    /// (tier-adjusted `ltv` for a policy listed in `[reputation] policies`) (USD).
    pub initial_borrowing_power: f64,
    /// `sum_j B_j(0)` over the tier's accounts with the policy's unadjusted `ltv` (USD);
    /// `initial_borrowing_power - flat_borrowing_power` is what the tier gains.
    pub flat_borrowing_power: f64,
    /// Liquidation events of the tier's accounts (events).
    pub liquidations: u64,
    /// The tier's accounts liquidated at least once (accounts).
    pub liquidated_accounts: u64,
    /// Realised bad debt plus open `max(0, D_j - V_j(T))` at `T` of the tier's accounts
    /// (USD); the tiers' values add up to the summary's `bad_debt`, up to rounding.
    pub bad_debt: f64,
    /// Accounts whose score puts them in the tier at the end of the path (accounts).
    pub final_accounts: u64,
}

/// One account's health factor at the step chosen for a health snapshot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthSample {
    /// Account index `j` (account order of the book).
    pub account: u32,
    /// `H_j(t)` before the step's liquidations (ratio; 0 for debt without collateral).
    pub health: f64,
}
