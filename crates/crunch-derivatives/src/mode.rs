//! Margin modes: which rule sets a simulated book's requirements, selectable per run so
//! that one book on one path can be compared under each.
//!
//! Every mode gives each margin unit (an account, or under isolated margin one position
//! with its own collateral; [`crate::sim`]) an **initial** requirement (what must be posted
//! to hold the positions: the capital-efficiency and idle-collateral metrics use it) and a
//! **maintenance** requirement (equity below it triggers liquidation):
//!
//! - [`MarginMode::Isolated`] and [`MarginMode::Cross`]: the rule-based requirements of
//!   [`crate::margin`] at two [`RuleParams`] levels;
//! - [`MarginMode::Portfolio`]: the SPAN-like scan of [`crate::portfolio`] on two grids
//!   (for example the maintenance grid and a wider initial one), by full revaluation or
//!   delta-gamma-vega;
//! - [`MarginMode::Policy`]: a lending margin policy ([`MarginPolicy`]: `static-ltv`,
//!   `dynamic`, `predictive`) applied to derivatives through each position's delta
//!   notional. With the policy's terms `ltv_i(t)` and `lt_i(t)` at step `t`:
//!
//! ```text
//! n_k          = |delta_k| P_i                   (delta notional of position k on asset i;
//!                                                 a perpetual's delta is its size q)
//! maintenance  = sum_k n_k (1 - lt_i(t))
//! initial      = sum_k n_k (1 - ltv_i(t))
//! ```
//!
//! The reading: a lending policy lends `ltv` (borrows up to `ltv`, is liquidated past `lt`)
//! against one unit of collateral value, so it holds back a haircut `1 - ltv` to open and
//! `1 - lt` to stay open. A derivatives position whose value moves like `n_k` of the
//! asset gets the same haircut on that exposure: a perpetual of notional `N` margined at
//! `1 - lt` is the mirror of a loan of `lt N` against collateral `N`. An asset without terms
//! in the policy (`lt = ltv = 0`) needs its full delta notional. The haircuts are per
//! position and never net: a hedged book (long and short perpetuals, a covered call) pays
//! for both legs, as a lending protocol haircuts each collateral separately; and the mapping
//! is first order, so it does not see an option's gamma or vega (a short straddle at the
//! money has delta near 0 and little requirement), nor that a long option cannot lose
//! more than its value. Portfolio margin is the mode that
//! nets and sees curvature. The policy keeps per-path state and sees prices of steps
//! `0..=t` only ([`crunch_core::PolicyState`]). Its `bonus` and `close_factor` are not used:
//! derivatives liquidations follow [`crate::liquidation`] (the run's penalty, a partial
//! close to the requirement) in every mode, so modes differ by their requirements only.

use crunch_core::{MarginPolicy, MarketView, PolicyState, Requirements};

use crate::book::{Account, MarketState};
use crate::error::DerivError;
use crate::margin::RuleParams;
use crate::portfolio::{Revaluation, ScanGrid, portfolio_margin};
use crate::simulated::{SimulatedMoves, TailMeasure};

/// How a simulation margins its book (module documentation).
#[derive(Clone, Copy)]
pub enum MarginMode<'a> {
    /// Rule-based isolated margin: each position is its own margin unit.
    Isolated {
        /// Rates of the initial requirement.
        initial: RuleParams,
        /// Rates of the maintenance requirement.
        maintenance: RuleParams,
    },
    /// Rule-based cross margin: each account is one margin unit.
    Cross {
        /// Rates of the initial requirement.
        initial: RuleParams,
        /// Rates of the maintenance requirement.
        maintenance: RuleParams,
    },
    /// SPAN-like portfolio margin of each account.
    Portfolio {
        /// Scan grid of the initial requirement.
        initial: ScanGrid,
        /// Scan grid of the maintenance requirement.
        maintenance: ScanGrid,
        /// Full revaluation or delta-gamma-vega.
        revaluation: Revaluation,
    },
    /// A VaR or expected-shortfall requirement over simulated joint moves
    /// ([`crate::simulated`]): the simulation variant of portfolio margin.
    Simulated {
        /// The sample and the tail measure.
        moves: SimulatedMoves,
        /// Confidence of the initial requirement, in `(0, 1)`.
        initial: f64,
        /// Confidence of the maintenance requirement, in `(0, 1)`.
        maintenance: f64,
    },
    /// A lending margin policy applied to delta notionals.
    Policy(&'a dyn MarginPolicy),
}

impl std::fmt::Debug for MarginMode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl MarginMode<'_> {
    /// A readable name for tables: `isolated`, `cross`, `portfolio`, `portfolio-dgv`,
    /// `var`, `es`, or the policy's name.
    pub fn name(&self) -> String {
        match self {
            MarginMode::Isolated { .. } => "isolated".into(),
            MarginMode::Cross { .. } => "cross".into(),
            MarginMode::Portfolio {
                revaluation: Revaluation::Full,
                ..
            } => "portfolio".into(),
            MarginMode::Portfolio {
                revaluation: Revaluation::DeltaGammaVega,
                ..
            } => "portfolio-dgv".into(),
            MarginMode::Simulated { moves, .. } => match moves.measure() {
                TailMeasure::Var => "var".into(),
                TailMeasure::Es => "es".into(),
            },
            MarginMode::Policy(p) => p.name().into(),
        }
    }
}

/// The initial and maintenance requirements of one margin unit, in numeraire units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Requirement {
    /// What must be posted to hold the positions.
    pub initial: f64,
    /// Equity below this triggers liquidation.
    pub maintenance: f64,
}

/// The requirement of `account` at `m` under a policy's terms `terms` (the
/// [`MarginMode::Policy`] mapping of the module documentation).
pub fn policy_requirement(
    account: &Account,
    m: &MarketState,
    terms: &Requirements,
) -> Result<Requirement, DerivError> {
    account.check_market(m)?;
    if terms.lt.len() != m.assets() || terms.ltv.len() != m.assets() {
        return Err(DerivError::Shape {
            what: "policy terms against market assets",
            left: terms.lt.len().min(terms.ltv.len()),
            right: m.assets(),
        });
    }
    let mut r = Requirement::default();
    for p in account.positions() {
        let notional = p.greeks(m).delta.abs() * m.prices()[p.asset];
        r.initial += notional * (1.0 - terms.ltv[p.asset]);
        r.maintenance += notional * (1.0 - terms.lt[p.asset]);
    }
    Ok(r)
}

/// A mode's state along one path: the policy's per-path state and its current terms, or
/// the simulated mode's sample and its scenario states at the current step.
pub(crate) struct ModeState<'a> {
    mode: MarginMode<'a>,
    policy: Option<(Box<dyn PolicyState + 'a>, Requirements)>,
    simulated: Option<(Vec<f64>, Vec<MarketState>)>,
}

impl<'a> ModeState<'a> {
    /// Fresh state for one path over `assets` assets.
    pub(crate) fn start(mode: &MarginMode<'a>, assets: usize) -> Self {
        let policy = match mode {
            MarginMode::Policy(p) => Some((p.start_path(), Requirements::zeroed(assets))),
            _ => None,
        };
        let simulated = match mode {
            MarginMode::Simulated { moves, .. } => Some((moves.shocks(assets), Vec::new())),
            _ => None,
        };
        Self {
            mode: *mode,
            policy,
            simulated,
        }
    }

    /// Moves the policy (if any) to step `view.step()`, whose market state is `m`, and the
    /// simulated mode's scenarios to `m`; call once per step, in order.
    pub(crate) fn update(&mut self, view: MarketView<'_>, m: &MarketState) {
        if let Some((state, terms)) = &mut self.policy {
            state.update(view, terms);
        }
        if let (MarginMode::Simulated { moves, .. }, Some((shocks, states))) =
            (&self.mode, &mut self.simulated)
        {
            moves.move_states(m, shocks, states);
        }
    }

    /// The requirement of one margin unit at `m`.
    pub(crate) fn requirement(
        &self,
        unit: &Account,
        m: &MarketState,
    ) -> Result<Requirement, DerivError> {
        match (&self.mode, &self.policy) {
            (
                MarginMode::Isolated {
                    initial,
                    maintenance,
                }
                | MarginMode::Cross {
                    initial,
                    maintenance,
                },
                _,
            ) => {
                unit.check_market(m)?;
                let sum =
                    |r: &RuleParams| unit.positions().iter().map(|p| r.requirement(p, m)).sum();
                Ok(Requirement {
                    initial: sum(initial),
                    maintenance: sum(maintenance),
                })
            }
            (
                MarginMode::Portfolio {
                    initial,
                    maintenance,
                    revaluation,
                },
                _,
            ) => Ok(Requirement {
                initial: portfolio_margin(unit, m, initial, *revaluation)?
                    .check
                    .requirement,
                maintenance: portfolio_margin(unit, m, maintenance, *revaluation)?
                    .check
                    .requirement,
            }),
            (
                MarginMode::Simulated {
                    moves,
                    initial,
                    maintenance,
                },
                _,
            ) => {
                let (_, states) = self
                    .simulated
                    .as_ref()
                    .expect("a simulated mode starts its sample");
                let [initial, maintenance] =
                    moves.requirements(unit, m, states, [*initial, *maintenance])?;
                Ok(Requirement {
                    initial,
                    maintenance,
                })
            }
            (MarginMode::Policy(_), Some((_, terms))) => policy_requirement(unit, m, terms),
            (MarginMode::Policy(_), None) => unreachable!("a policy mode starts its state"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::black76::{Black76, OptionKind::Call};
    use crate::book::Position;

    #[test]
    fn policy_requirement_by_hand() {
        // ETH at 100 (lt 0.8, ltv 0.75), BTC at 2000 (no terms). Long 3 ETH perps: 300
        // delta notional, maintenance 300 * 0.2 = 60, initial 300 * 0.25 = 75. Short 0.1
        // BTC perp: 200 notional, all of it. Short 2 ETH calls K = 110, T = 0.25,
        // sigma 0.5: delta notional 2 Phi(d1) 100.
        let m = MarketState::new(vec![100.0, 2_000.0], vec![0.5, 0.5], 0.0, 0.0).unwrap();
        let terms = Requirements {
            ltv: vec![0.75, 0.0],
            lt: vec![0.8, 0.0],
            bonus: vec![0.0; 2],
            close_factor: 1.0,
        };
        let a = Account::new(
            "a",
            0.0,
            vec![
                Position::perp(0, 3.0, 90.0),
                Position::perp(1, -0.1, 2_000.0),
                Position::option(0, -2.0, Call, 110.0, 0.25, 6.0),
            ],
        )
        .unwrap();
        let delta = Black76::new(100.0, 110.0, 0.25, 0.5, 0.0)
            .unwrap()
            .greeks(Call)
            .delta;
        let r = policy_requirement(&a, &m, &terms).unwrap();
        let calls = 2.0 * delta * 100.0;
        assert!((r.maintenance - (60.0 + 200.0 + 0.2 * calls)).abs() < 1e-12);
        assert!((r.initial - (75.0 + 200.0 + 0.25 * calls)).abs() < 1e-12);
        assert_eq!(
            policy_requirement(&a, &m, &Requirements::zeroed(1))
                .unwrap_err()
                .to_string(),
            "policy terms against market assets: lengths differ (1 against 2)"
        );
    }
}
