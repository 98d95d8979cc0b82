//! One derivatives book simulated along one price path under one margin mode.
//!
//! [`simulate_deriv_path`] is a pure function of the market, the book, the mode, the path
//! and the options: no randomness, no shared state, so paths can run on any number of
//! threads with bit-identical results. It reads the same [`PricePath`] the lending engine
//! reads, so margin modes and lending policies are compared on the same paths.
//!
//! **Per step** `t = 0..=T` (time `t dt` years on the options' clock):
//!
//! 1. implied volatilities: the EWMA of the path's returns up to `t` ([`crate::vol`]);
//! 2. options whose expiry is at or before `t dt` settle at intrinsic value into the
//!    collateral ([`Account::settle_expired`]): an option expires at the first step whose
//!    time reaches its expiry;
//! 3. for `t >= 1`, one step of funding on perpetuals at the step's prices
//!    ([`Account::apply_funding`]);
//! 4. the mode's requirements of every margin unit ([`crate::mode`]); the state at this
//!    point (before liquidations) is what the per-step series and the step-0 metrics
//!    record;
//! 5. every unit with equity below its maintenance requirement (by more than a relative
//!    1e-12, rounding) is liquidated, in book order, back to that requirement (or to a
//!    buffer above it) ([`crate::liquidation`]); penalties go to the insurance fund;
//! 6. the step's deficits are paid by the insurance fund, then socialised over the units
//!    with positive P&L, and what is left is bad debt ([`crate::insurance`]).
//!
//! **Margin units.** Under cross, portfolio and policy margin each account is one unit.
//! Under isolated margin each position is its own unit with its own collateral: its
//! isolated margin plus a share of the account's free collateral (collateral not set aside
//! for any position) in proportion to the positions' initial requirements at step 0
//! (equal shares if they are all 0), so that the same collateral backs the book in every
//! mode. A unit's losses then never reach the account's other positions, a bankrupt
//! unit's deficit goes to the fund even if its account has money elsewhere, and the
//! winners that a socialised loss haircuts are winning positions.

//!
//! ```
//! use crunch_core::{AssetSpec, MarketSpec, PricePath};
//! use crunch_derivatives::{
//!     Account, DerivBook, DerivOptions, MarginMode, Position, RuleParams, simulate_deriv_path,
//! };
//!
//! let eth = AssetSpec::new("ETH", 100.0, 0.8);
//! let market = MarketSpec { assets: vec![eth], dt: 1.0 / 365.0, phi: 0.0 };
//! let book = DerivBook::new(vec![
//!     Account::new("a", 100.0, vec![Position::perp(0, 10.0, 100.0)])?,
//! ])?;
//! let mut path = PricePath::new(2, 1);
//! for (t, p) in [100.0, 95.0, 92.0].into_iter().enumerate() {
//!     path.row_mut(t)[0] = p;
//! }
//! let mode = MarginMode::Cross {
//!     initial: RuleParams::new(0.2, 0.2, 0.1)?,
//!     maintenance: RuleParams::new(0.1, 0.2, 0.1)?,
//! };
//! let out = simulate_deriv_path(&market, &book, &mode, &path, &DerivOptions::default())?;
//! // At 95 the equity 50 is below the maintenance 95: the position is cut by the fraction
//! // (95 - 50) / 95, which leaves equity 50 at the requirement; at 92 it is cut again.
//! assert_eq!(out.summary.liquidations, 2);
//! assert_eq!(out.summary.capital_efficiency, Some(5.0));
//! # Ok::<(), crunch_derivatives::DerivError>(())
//! ```

use crunch_core::{MarketSpec, PricePath};

use crate::book::{Account, DerivBook, MarketState};
use crate::error::{DerivError, check};
use crate::insurance::{InsuranceFund, socialise};
use crate::liquidation::{Liquidation, StepLiquidity, liquidate};
use crate::margin::RuleParams;
use crate::mode::{MarginMode, ModeState, Requirement};
use crate::vol::{EwmaVol, RISKMETRICS_LAMBDA, check_lambda};

/// Relative shortfall below which equity counts as meeting its requirement: a unit that a
/// partial liquidation left exactly at its requirement must not be liquidated again for
/// the last bit of a recomputed sum.
const ROUNDING: f64 = 1e-12;

/// How a path is simulated, besides the mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DerivOptions {
    /// EWMA decay of the implied volatility, in `[0, 1)` (default RiskMetrics' 0.94).
    pub ewma_lambda: f64,
    /// Continuously compounded rate of Black-76 (default 0).
    pub rate: f64,
    /// Liquidation penalty: the fraction of the closed notional paid to the insurance
    /// fund, in `[0, 1]` (default 0).
    pub penalty: f64,
    /// Liquidations restore equity to `1 + liquidation_buffer` times the maintenance
    /// requirement, `>= 0` (default 0: exactly the requirement) ([`crate::liquidation`]).
    pub liquidation_buffer: f64,
    /// Initial balance of the insurance fund, numeraire units `>= 0` (default 0).
    pub insurance_fund: f64,
    /// Record the per-step series ([`DerivOutcome::steps`]) (default no).
    pub timeseries: bool,
    /// Record every liquidation ([`DerivOutcome::events`]) (default no).
    pub events: bool,
}

impl Default for DerivOptions {
    fn default() -> Self {
        Self {
            ewma_lambda: RISKMETRICS_LAMBDA,
            rate: 0.0,
            penalty: 0.0,
            liquidation_buffer: 0.0,
            insurance_fund: 0.0,
            timeseries: false,
            events: false,
        }
    }
}

impl DerivOptions {
    /// Checks the ranges of the penalty, the buffer, the EWMA decay, the rate and the
    /// fund (the field documentation); the simulation calls it first.
    pub fn check(&self) -> Result<(), DerivError> {
        let (p, b, l, r) = (
            self.penalty,
            self.liquidation_buffer,
            self.ewma_lambda,
            self.rate,
        );
        check(
            || "penalty".into(),
            p,
            (0.0..=1.0).contains(&p),
            "must be in [0, 1]",
        )?;
        check(
            || "liquidation_buffer".into(),
            b,
            b.is_finite() && b >= 0.0,
            "must be finite and >= 0",
        )?;
        check_lambda(l)?;
        check(|| "rate".into(), r, r.is_finite(), "must be finite")?;
        InsuranceFund::new(self.insurance_fund).map(|_| ())
    }
}

/// The metrics of one (book, mode, path); money in numeraire units (USD).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DerivSummary {
    /// Sum of the units' initial requirements at step 0, before liquidations (USD).
    pub initial_requirement: f64,
    /// Sum of the units' maintenance requirements at step 0, before liquidations (USD).
    pub maintenance_requirement: f64,
    /// Equity (collateral plus position values) of the book at step 0 (USD).
    pub initial_equity: f64,
    /// Gross notional `sum |q| P_i` over all positions (options: of the underlying) at
    /// step 0 (USD).
    pub gross_notional: f64,
    /// Gross notional over initial requirement at step 0 (ratio); `None` when the
    /// requirement is 0.
    pub capital_efficiency: Option<f64>,
    /// Sum over steps of the gross notional over the sum over steps of the initial
    /// requirement, both before liquidations (ratio of time averages); `None` when the
    /// requirement is always 0.
    pub mean_capital_efficiency: Option<f64>,
    /// `sum_u max(0, equity_u - initial_u)` at step 0: collateral a trader could withdraw
    /// and the mode does not need (USD).
    pub idle_collateral: f64,
    /// Liquidations that closed positions, one per unit and step (events).
    pub liquidations: u64,
    /// Value of the positions closed by liquidations (perpetuals `|q| P`, options `|q| V`)
    /// (USD).
    pub closed_notional: f64,
    /// Liquidation penalties paid to the insurance fund (USD).
    pub liquidation_penalty: f64,
    /// Value lost to slippage when liquidations closed positions (USD).
    pub slippage_cost: f64,
    /// Net funding received by the book's perpetuals (negative when paid) (USD).
    pub funding: f64,
    /// Net intrinsic value paid into collateral by expiring options (USD).
    pub settlement: f64,
    /// Insurance fund balance at the end of the path (USD).
    pub insurance_fund: f64,
    /// Largest fall of the insurance fund from its running peak (USD).
    pub insurance_drawdown: f64,
    /// First step at which a deficit left the insurance fund at zero (step), if any.
    pub insurance_depletion_step: Option<usize>,
    /// Deficits paid by the insurance fund (USD).
    pub insurance_paid: f64,
    /// Deficits taken from the winners' positive P&L after the fund (USD).
    pub socialised_loss: f64,
    /// Deficits neither the fund nor the winners covered (USD; 0 whenever the winners'
    /// gains suffice).
    pub bad_debt: f64,
    /// Equity of the book at the end of the path, after the last step's liquidations and
    /// haircuts (USD).
    pub final_equity: f64,
}

/// The book at one step, aggregated over margin units; requirements, equity and notional
/// before the step's liquidations, the rest after them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DerivStep {
    /// The step `t`.
    pub step: usize,
    /// Sum of initial requirements (USD).
    pub initial_requirement: f64,
    /// Sum of maintenance requirements (USD).
    pub maintenance_requirement: f64,
    /// Book equity (USD).
    pub equity: f64,
    /// Gross notional (USD).
    pub gross_notional: f64,
    /// Liquidations of the step (events).
    pub liquidations: u64,
    /// Value closed by the step's liquidations (USD).
    pub closed_notional: f64,
    /// Sum of the step's deficits (USD).
    pub deficit: f64,
    /// Insurance fund balance after the step (USD).
    pub insurance_fund: f64,
    /// Loss socialised at the step (USD).
    pub socialised_loss: f64,
    /// Bad debt of the step (USD).
    pub bad_debt: f64,
}

/// What one simulation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivOutcome {
    /// The mode's name ([`MarginMode::name`]).
    pub mode: String,
    /// The path's metrics.
    pub summary: DerivSummary,
    /// The per-step series, steps `0..=T`, when [`DerivOptions::timeseries`] is set.
    pub steps: Vec<DerivStep>,
    /// Every liquidation in order (step, then book order), when [`DerivOptions::events`]
    /// is set.
    pub events: Vec<DerivEvent>,
}

/// One liquidation of one margin unit.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivEvent {
    /// The step.
    pub step: usize,
    /// The unit: the account's identifier, or under isolated margin
    /// `account.positions[k]`.
    pub unit: String,
    /// What the liquidation did.
    pub liquidation: Liquidation,
}

/// Gross notional `sum |q| P_i` of a unit's positions.
fn gross_notional(unit: &Account, m: &MarketState) -> f64 {
    unit.positions()
        .iter()
        .map(|p| p.size.abs() * m.prices()[p.asset])
        .sum()
}

/// Splits each account into one unit per position for isolated margin (module
/// documentation); an account without positions stays one unit.
fn split_isolated(accounts: Vec<Account>, m: &MarketState, initial: &RuleParams) -> Vec<Account> {
    let mut units = Vec::new();
    for a in accounts {
        if a.positions().is_empty() {
            units.push(a);
            continue;
        }
        let set_aside: f64 = a.positions().iter().map(|p| p.isolated_margin).sum();
        let free = a.collateral() - set_aside;
        let reqs: Vec<f64> = a
            .positions()
            .iter()
            .map(|p| initial.requirement(p, m))
            .collect();
        let total: f64 = reqs.iter().sum();
        let n = reqs.len() as f64;
        for (k, (p, r)) in a.positions().iter().zip(&reqs).enumerate() {
            let share = if total > 0.0 {
                free * r / total
            } else {
                free / n
            };
            let mut p = *p;
            let collateral = p.isolated_margin + share;
            p.isolated_margin = 0.0;
            units.push(Account::from_parts(
                format!("{}.positions[{k}]", a.id()),
                collateral,
                vec![p],
            ));
        }
    }
    units
}

/// Takes `rest` from the units' gains not yet clawed back (`clawed`, per unit) pro rata
/// ([`crate::insurance`]); returns the bad debt left.
fn haircut_winners(
    units: &mut [Account],
    clawed: &mut Vec<f64>,
    m: &MarketState,
    rest: f64,
) -> f64 {
    clawed.resize(units.len(), 0.0);
    let gains: Vec<f64> = units
        .iter()
        .zip(clawed.iter())
        .map(|(u, c)| u.pnl_at(m) - c)
        .collect();
    let (haircuts, bad) = socialise(rest, &gains);
    for ((u, h), c) in units.iter_mut().zip(&haircuts).zip(clawed.iter_mut()) {
        *u.parts_mut().0 -= h;
        *c += h;
    }
    bad
}

/// The book before the step's liquidations, aggregated over units: requirements, equity,
/// gross notional; and the idle collateral `sum_u max(0, equity_u - initial_u)`.
fn measure(t: usize, units: &[Account], reqs: &[Requirement], m: &MarketState) -> (DerivStep, f64) {
    let mut step = DerivStep {
        step: t,
        ..DerivStep::default()
    };
    let mut idle = 0.0;
    for (u, r) in units.iter().zip(reqs) {
        let equity = u.equity_at(m);
        step.initial_requirement += r.initial;
        step.maintenance_requirement += r.maintenance;
        step.equity += equity;
        step.gross_notional += gross_notional(u, m);
        idle += (equity - r.initial).max(0.0);
    }
    (step, idle)
}

/// Simulates `book` along `path` under `mode` (module documentation).
///
/// Errors: a path whose asset count differs from the market's, invalid options, a
/// position on an asset the market lacks, a non-positive price, or a Greek the
/// delta-gamma-vega mode cannot use — each naming the step, account and position.
pub fn simulate_deriv_path(
    market: &MarketSpec,
    book: &DerivBook,
    mode: &MarginMode<'_>,
    path: &PricePath,
    options: &DerivOptions,
) -> Result<DerivOutcome, DerivError> {
    if path.assets() != market.len() {
        return Err(DerivError::Shape {
            what: "path assets against market assets",
            left: path.assets(),
            right: market.len(),
        });
    }
    options.check()?;
    let mut vol = EwmaVol::new(market, options.ewma_lambda)?;
    let mut fund = InsuranceFund::new(options.insurance_fund)?;
    let mut state = ModeState::start(mode, market.len());
    let mut units: Vec<Account> = book.accounts().to_vec();
    let mut s = DerivSummary::default();
    let mut steps = Vec::new();
    let mut events = Vec::new();
    // Per unit, what socialised losses have taken from its P&L so far.
    let mut clawed: Vec<f64> = Vec::new();
    let (mut notional_sum, mut initial_sum) = (0.0, 0.0);
    let mut last = None;
    for t in 0..=path.steps() {
        let at = |cause| DerivError::AtStep {
            step: t,
            cause: Box::new(cause),
        };
        let view = path.view_until(t);
        let vols = vol.update(view).to_vec();
        let m = MarketState::new(
            path.row(t).to_vec(),
            vols,
            options.rate,
            t as f64 * market.dt,
        )
        .map_err(at)?;
        for u in &mut units {
            s.settlement += u.settle_expired(&m).map_err(at)?;
            if t > 0 {
                s.funding += u.apply_funding(&m).map_err(at)?;
            }
        }
        if let (0, MarginMode::Isolated { initial, .. }) = (t, mode) {
            units = split_isolated(units, &m, initial);
        }
        state.update(view, &m);
        let reqs = units
            .iter()
            .map(|u| state.requirement(u, &m))
            .collect::<Result<Vec<Requirement>, _>>()
            .map_err(at)?;

        let (mut step, idle) = measure(t, &units, &reqs, &m);
        notional_sum += step.gross_notional;
        initial_sum += step.initial_requirement;
        if t == 0 {
            s.idle_collateral = idle;
            s.initial_requirement = step.initial_requirement;
            s.maintenance_requirement = step.maintenance_requirement;
            s.initial_equity = step.equity;
            s.gross_notional = step.gross_notional;
            s.capital_efficiency = (step.initial_requirement > 0.0)
                .then(|| step.gross_notional / step.initial_requirement);
        }

        let mut liquidity = StepLiquidity::new(market, path.liquidity_row(t));
        for (u, r) in units.iter_mut().zip(&reqs) {
            if u.equity_at(&m) >= r.maintenance - ROUNDING * r.maintenance.abs() {
                continue;
            }
            let had_positions = !u.positions().is_empty();
            let target = r.maintenance * (1.0 + options.liquidation_buffer);
            let l = liquidate(u, &m, target, options.penalty, &mut liquidity);
            if had_positions {
                step.liquidations += 1;
            }
            if options.events {
                events.push(DerivEvent {
                    step: t,
                    unit: u.id().to_owned(),
                    liquidation: l,
                });
            }
            step.closed_notional += l.closed_notional;
            step.deficit += l.deficit;
            s.liquidation_penalty += l.penalty;
            s.slippage_cost += l.slippage;
            fund.receive(l.penalty);
        }
        let rest = fund.cover(step.deficit, t);
        if rest > 0.0 {
            let bad = haircut_winners(&mut units, &mut clawed, &m, rest);
            step.socialised_loss = rest - bad;
            step.bad_debt = bad;
        }
        step.insurance_fund = fund.balance();
        s.liquidations += step.liquidations;
        s.closed_notional += step.closed_notional;
        s.socialised_loss += step.socialised_loss;
        s.bad_debt += step.bad_debt;
        if options.timeseries {
            steps.push(step);
        }
        last = Some(m);
    }
    if let Some(m) = last {
        s.final_equity = units.iter().map(|u| u.equity_at(&m)).sum();
    }
    s.mean_capital_efficiency = (initial_sum > 0.0).then(|| notional_sum / initial_sum);
    s.insurance_fund = fund.balance();
    s.insurance_drawdown = fund.max_drawdown();
    s.insurance_depletion_step = fund.depleted_at();
    s.insurance_paid = fund.paid();
    Ok(DerivOutcome {
        mode: mode.name(),
        summary: s,
        steps,
        events,
    })
}
