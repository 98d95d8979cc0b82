//! Rule-based margin: isolated and cross.
//!
//! Every requirement is compared with equity in net-liquidation terms (collateral plus
//! the value of positions, [`crate::book`]), so a short option's liability `q V` is
//! already in the equity. Per position, at the underlying price `U = P_i` (one level of
//! [`RuleParams`]; build one for initial and one for maintenance margin):
//!
//! ```text
//! perpetual:      |q| U perp_rate                                  (notional x rate)
//! long option:    q V                                              (no loan value)
//! short option:   |q| max(option_base U - OTM, option_min B)       (+ the premium |q| V,
//!                 OTM = max(K - U, 0) for a call, max(U - K, 0)      already in equity)
//!                 for a put; B = U for a call, K for a put
//! ```
//!
//! The perpetual rule is the linear-futures rule of perpetual swap exchanges (initial or
//! maintenance rate times notional). The option rules are a simplified exchange rule
//! after the CBOE/FINRA strategy-based rules (FINRA Rule 4210(f)(2)(D); CBOE *Margin
//! Manual*): a long listed option is paid in full and has no loan value; a short
//! uncovered option requires its market value plus `option_base` (20 % there) of the
//! underlying less the out-of-the-money amount, with a minimum of the market value plus
//! `option_min` (10 % there) of the underlying for calls or of the strike for puts.
//! Spreads and covered positions get no credit here: that is what portfolio margin is for.
//!
//! **Isolated margin** judges each position on its own: its equity is its isolated
//! margin plus its own value, and its shortfall `max(0, requirement - equity)` cannot be
//! covered by other positions' gains or by free collateral. **Cross margin** sums the
//! same requirements and judges them against the account's one equity: the collateral
//! plus the value (unrealised P&L) of every position.

use crate::black76::OptionKind;
use crate::book::{Account, Instrument, MarketState, Position};
use crate::error::{DerivError, check};

/// Parameters of the rule-based requirements, for one margin level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleParams {
    perp_rate: f64,
    option_base: f64,
    option_min: f64,
}

impl RuleParams {
    /// Validates the rates, each in `[0, 1]`: `perp_rate` on a perpetual's notional, and
    /// `option_base` and `option_min` of the short option rule (module documentation).
    pub fn new(perp_rate: f64, option_base: f64, option_min: f64) -> Result<Self, DerivError> {
        for (what, v) in [
            ("perp_rate", perp_rate),
            ("option_base", option_base),
            ("option_min", option_min),
        ] {
            check(
                || what.into(),
                v,
                (0.0..=1.0).contains(&v),
                "must be in [0, 1]",
            )?;
        }
        Ok(Self {
            perp_rate,
            option_base,
            option_min,
        })
    }

    /// The requirement of one position at a checked market state.
    pub(crate) fn requirement(&self, p: &Position, m: &MarketState) -> f64 {
        let u = m.prices()[p.asset];
        match p.instrument {
            Instrument::Perp { .. } => p.size.abs() * u * self.perp_rate,
            Instrument::Option { .. } if p.size > 0.0 => p.value(m),
            Instrument::Option { kind, strike, .. } => {
                let (otm, base) = match kind {
                    OptionKind::Call => ((strike - u).max(0.0), u),
                    OptionKind::Put => ((u - strike).max(0.0), strike),
                };
                p.size.abs() * (self.option_base * u - otm).max(self.option_min * base)
            }
        }
    }
}

/// A requirement and the equity that has to meet it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginCheck {
    /// The margin required.
    pub requirement: f64,
    /// The equity available for it.
    pub equity: f64,
}

impl MarginCheck {
    /// `equity - requirement`: negative when margin is short.
    pub fn excess(&self) -> f64 {
        self.equity - self.requirement
    }
}

/// Isolated margin of an account: one check per position.
#[derive(Debug, Clone, PartialEq)]
pub struct IsolatedMargin {
    /// Per position, in account order: its requirement against its isolated margin plus
    /// its value.
    pub positions: Vec<MarginCheck>,
    /// Collateral not set aside for any position (it backs none of them).
    pub free_collateral: f64,
}

impl IsolatedMargin {
    /// The account's requirement: the sum over positions.
    pub fn requirement(&self) -> f64 {
        self.positions.iter().map(|c| c.requirement).sum()
    }

    /// The account's shortfall: the sum of each position's `max(0, -excess)`.
    pub fn shortfall(&self) -> f64 {
        self.positions.iter().map(|c| (-c.excess()).max(0.0)).sum()
    }
}

/// Isolated margin of `account` at `m` (module documentation).
pub fn isolated_margin(
    account: &Account,
    m: &MarketState,
    params: &RuleParams,
) -> Result<IsolatedMargin, DerivError> {
    account.check_market(m)?;
    let positions = account
        .positions()
        .iter()
        .map(|p| MarginCheck {
            requirement: params.requirement(p, m),
            equity: p.isolated_margin + p.value(m),
        })
        .collect();
    let set_aside: f64 = account.positions().iter().map(|p| p.isolated_margin).sum();
    Ok(IsolatedMargin {
        positions,
        free_collateral: account.collateral() - set_aside,
    })
}

/// Cross margin of `account` at `m`: the sum of the positions' requirements against the
/// account's equity (module documentation).
pub fn cross_margin(
    account: &Account,
    m: &MarketState,
    params: &RuleParams,
) -> Result<MarginCheck, DerivError> {
    account.check_market(m)?;
    Ok(MarginCheck {
        requirement: account
            .positions()
            .iter()
            .map(|p| params.requirement(p, m))
            .sum(),
        equity: account.equity_at(m),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptionKind::{Call, Put};

    fn market(prices: Vec<f64>) -> MarketState {
        let n = prices.len();
        MarketState::new(prices, vec![0.5; n], 0.0, 0.0).unwrap()
    }

    fn rules() -> RuleParams {
        RuleParams::new(0.1, 0.2, 0.1).unwrap()
    }

    fn one(p: Position, collateral: f64) -> Account {
        Account::new("a", collateral, vec![p]).unwrap()
    }

    #[test]
    fn each_rule_by_hand() {
        let m = market(vec![100.0]);
        let req = |p: Position| {
            cross_margin(&one(p, 0.0), &m, &rules())
                .unwrap()
                .requirement
        };
        // Perp: |q| U rate = 3 * 100 * 0.1.
        assert!((req(Position::perp(0, -3.0, 100.0)) - 30.0).abs() < 1e-12);
        // Short call K = 110 at U = 100: OTM 10, max(20 - 10, 0.1 * 100) = 10, times 2.
        assert!((req(Position::option(0, -2.0, Call, 110.0, 0.25, 6.0)) - 20.0).abs() < 1e-12);
        // Short put K = 90: OTM 10, max(20 - 10, 0.1 * 90 = 9) = 10.
        assert!((req(Position::option(0, -1.0, Put, 90.0, 0.25, 1.0)) - 10.0).abs() < 1e-12);
        // Deep out-of-the-money short put K = 50: max(20 - 50, 0.1 * 50) = 5.
        assert!((req(Position::option(0, -1.0, Put, 50.0, 0.25, 0.0)) - 5.0).abs() < 1e-12);
        // In-the-money short call K = 90: no OTM amount, 0.2 * 100 = 20.
        assert!((req(Position::option(0, -1.0, Call, 90.0, 0.25, 12.0)) - 20.0).abs() < 1e-12);
        // Long option: its value (no loan value), so it adds nothing to the excess.
        let long = one(Position::option(0, 2.0, Put, 100.0, 0.25, 9.0), 0.0);
        let c = cross_margin(&long, &m, &rules()).unwrap();
        assert!(c.requirement > 0.0);
        assert!((c.requirement - c.equity).abs() < 1e-12);
    }

    #[test]
    fn isolated_and_cross_differ_when_one_leg_gains_and_the_other_loses() {
        // Long 1 perp on asset 0 and short 1 perp on asset 1, both at 100, 10 of isolated
        // margin each, 20 of collateral. Both prices fall 10 %.
        let a = Account::new(
            "a",
            20.0,
            vec![
                Position::perp(0, 1.0, 100.0).with_isolated_margin(10.0),
                Position::perp(1, -1.0, 100.0).with_isolated_margin(10.0),
            ],
        )
        .unwrap();
        let m = market(vec![90.0, 90.0]);
        let iso = isolated_margin(&a, &m, &rules()).unwrap();
        // Each needs 90 * 0.1 = 9. Long: 10 - 10 = 0 of equity, 9 short; short: 10 + 10.
        assert_eq!(
            iso.positions[0],
            MarginCheck {
                requirement: 9.0,
                equity: 0.0
            }
        );
        assert_eq!(
            iso.positions[1],
            MarginCheck {
                requirement: 9.0,
                equity: 20.0
            }
        );
        assert_eq!(
            (iso.requirement(), iso.shortfall(), iso.free_collateral),
            (18.0, 9.0, 0.0)
        );
        // Cross: the same 18 against 20 - 10 + 10 = 20: 2 in excess.
        let cross = cross_margin(&a, &m, &rules()).unwrap();
        assert_eq!(
            cross,
            MarginCheck {
                requirement: 18.0,
                equity: 20.0
            }
        );
        assert_eq!(cross.excess(), 2.0);
    }

    #[test]
    fn a_lone_position_has_the_same_isolated_and_cross_margin() {
        let m = market(vec![100.0]);
        // A naked short call with all collateral set aside for it: both need 10 against
        // 15 - CALL (CALL: the r = 0 Black-76 value, as in the book tests).
        let call = 6.190_426_413_768_35;
        let a = one(
            Position::option(0, -1.0, Call, 110.0, 0.25, call).with_isolated_margin(15.0),
            15.0,
        );
        let iso = isolated_margin(&a, &m, &rules()).unwrap();
        let cross = cross_margin(&a, &m, &rules()).unwrap();
        assert_eq!(iso.positions, vec![cross]);
        assert!((cross.requirement - 10.0).abs() < 1e-12);
        assert!((cross.equity - (15.0 - call)).abs() < 1e-12);
    }

    #[test]
    fn invalid_rates_are_refused() {
        assert_eq!(
            RuleParams::new(0.1, 1.5, 0.1).unwrap_err().to_string(),
            "`option_base` = 1.5: must be in [0, 1]"
        );
    }
}
