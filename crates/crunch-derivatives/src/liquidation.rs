//! Partial liquidation of a margin unit whose equity is below its maintenance
//! requirement, with a penalty and slippage.
//!
//! **Which positions.** All positions of the unit are reduced by the same fraction `f`
//! (proportional reduction), the smallest that restores equity to the target: the
//! maintenance requirement, or with a buffer `b >= 0` (`DerivOptions::liquidation_buffer`)
//! `1 + b` times it, so that the next small move does not trigger another liquidation. Why proportional rather than largest-risk first: it keeps the unit's
//! hedges intact (closing one leg of a long-perp/short-perp pair or of a covered call
//! first would raise the portfolio requirement, not lower it), it treats every mode alike,
//! and every mode's requirement is positively homogeneous of degree 1 in the sizes
//! (notional rules, delta notionals and SPAN scenario losses all scale with `q`), so after
//! the reduction the requirement is exactly `(1 - f) R`. It is the spirit of Deribit's
//! "real-time incremental liquidation" (Deribit support, *Insurance Fund*): reduce the
//! position until the margin is met again rather than close it at once, so that fewer
//! accounts reach bankruptcy and the fund.
//!
//! **Costs.** Closing a position trades its value: `|q| P_i` for a perpetual (its notional),
//! `|q| V` for an option (its premium at the mark); `C_i` is the unit's sum on asset `i`,
//! `C = sum_i C_i` (the *closed notional*). Closing the fraction `f` costs
//!
//! ```text
//! penalty   = pi f C                                  (to the insurance fund)
//! slippage  = sum_i f C_i s_i,   s_i = min(1, impact_i sqrt((Q_i + f C_i) / (depth_i l_i(t))))
//! ```
//!
//! with penalty rate `pi`, `lending-v1`'s slippage rule (`docs/lending-v1.md`, rule 4) on
//! the asset's depth and impact (`MarketSpec`; no slippage without a depth) and liquidity
//! factor `l_i(t)` of the path, and `Q_i` the value already closed on asset `i` earlier in
//! the same step (units are liquidated in book order). Positions close at the mark, so the
//! closed value moves into the collateral and equity changes only by the costs:
//!
//! ```text
//! g(f) = E - penalty(f) - slippage(f) - (1 - f) R     (E: equity, R: target)
//! ```
//!
//! `g(0) = E - R < 0`, and `g` is concave below the slippage cap (the penalty and the
//! requirement are linear in `f`, the slippage `f^(3/2)`-like and convex). The fraction is
//! the smallest root of `g` in `(0, 1]`: by bisection to the last bit on `(0, 1]` when
//! `g(1) >= 0`, else on `(0, f*]` with `f*` the maximiser of `g` (ternary search) when
//! `g(f*) >= 0` — heavy slippage can make a full close ruinous while a partial one still
//! restores the requirement. Equity is then `(1 - f) R`, the requirement exactly. When no
//! fraction restores it, everything is closed, the slippage is paid, the penalty is taken
//! only from what is left
//! (`min(pi C, max(0, E - slippage(1)))`: a penalty never creates a deficit), and a
//! negative remainder is the unit's **deficit**, set to zero in the unit and passed to the
//! insurance fund ([`crate::insurance`]).

use crunch_core::MarketSpec;

use crate::book::{Account, Instrument, MarketState, Position};

/// What one liquidation did, in numeraire units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Liquidation {
    /// Fraction `f` of every position closed, in `(0, 1]`.
    pub fraction: f64,
    /// Value of the positions closed, `f C`.
    pub closed_notional: f64,
    /// Penalty paid to the insurance fund.
    pub penalty: f64,
    /// Value lost to slippage.
    pub slippage: f64,
    /// Negative equity left after closing everything (0 unless bankrupt).
    pub deficit: f64,
}

/// The liquidity of one step: depth, impact and liquidity factor per asset, and the
/// value closed on each asset so far in the step.
pub(crate) struct StepLiquidity<'a> {
    market: &'a MarketSpec,
    factors: &'a [f64],
    closed: Vec<f64>,
}

impl<'a> StepLiquidity<'a> {
    /// Nothing closed yet at a step with liquidity factors `factors`.
    pub(crate) fn new(market: &'a MarketSpec, factors: &'a [f64]) -> Self {
        Self {
            market,
            factors,
            closed: vec![0.0; market.len()],
        }
    }

    /// Slippage cost of closing `value` more on asset `i` (module documentation).
    fn cost(&self, i: usize, value: f64) -> f64 {
        let a = &self.market.assets[i];
        match a.depth {
            Some(depth) if value > 0.0 => {
                let q = self.closed[i] + value;
                value * (a.impact * (q / (depth * self.factors[i])).sqrt()).min(1.0)
            }
            _ => 0.0,
        }
    }
}

/// Value traded when closing a position at the mark (module documentation).
fn traded_value(p: &Position, m: &MarketState) -> f64 {
    match p.instrument {
        Instrument::Perp { .. } => p.size.abs() * m.prices()[p.asset],
        Instrument::Option { .. } => p.value(m).abs(),
    }
}

/// The maximiser of a concave function on `[0, 1]`, by ternary search (each round keeps
/// two thirds of the interval; 100 rounds shrink it below 1e-17).
fn argmax_concave(g: &impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..100 {
        let (a, b) = (lo + (hi - lo) / 3.0, hi - (hi - lo) / 3.0);
        if g(a) < g(b) {
            lo = a;
        } else {
            hi = b;
        }
    }
    0.5 * (lo + hi)
}

/// Liquidates `unit` at `m` to the requirement `target` (module documentation), with
/// penalty rate `penalty_rate`, recording the value closed per asset in `liquidity`. The
/// caller has found `equity < target`; positions and market must have been checked
/// together.
pub(crate) fn liquidate(
    unit: &mut Account,
    m: &MarketState,
    target: f64,
    penalty_rate: f64,
    liquidity: &mut StepLiquidity<'_>,
) -> Liquidation {
    let equity = unit.equity_at(m);
    let mut by_asset = vec![0.0; m.assets()];
    for p in unit.positions() {
        by_asset[p.asset] += traded_value(p, m);
    }
    let total: f64 = by_asset.iter().sum();
    let slippage = |f: f64| -> f64 {
        let l = &*liquidity;
        by_asset
            .iter()
            .enumerate()
            .map(|(i, c)| l.cost(i, f * c))
            .sum()
    };
    let g = |f: f64| equity - penalty_rate * f * total - slippage(f) - (1.0 - f) * target;
    let restoring = if g(1.0) >= 0.0 {
        Some(1.0)
    } else {
        let best = argmax_concave(&g);
        (g(best) >= 0.0).then_some(best)
    };
    let (fraction, penalty, slip) = if let Some(end) = restoring {
        // Invariant g(lo) < 0 <= g(hi); stop when the midpoint is an end (adjacent floats).
        let (mut lo, mut hi) = (0.0f64, end);
        loop {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if g(mid) >= 0.0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        (hi, penalty_rate * hi * total, slippage(hi))
    } else {
        let slip = slippage(1.0);
        let penalty = (penalty_rate * total).min((equity - slip).max(0.0));
        (1.0, penalty, slip)
    };
    let values: Vec<f64> = unit.positions().iter().map(|p| p.value(m)).collect();
    let (collateral, positions) = unit.parts_mut();
    if fraction >= 1.0 {
        *collateral += values.iter().sum::<f64>();
        positions.clear();
    } else {
        for (p, v) in positions.iter_mut().zip(&values) {
            *collateral += fraction * v;
            p.size *= 1.0 - fraction;
        }
    }
    *collateral -= penalty + slip;
    let mut deficit = 0.0;
    if positions.is_empty() && *collateral < 0.0 {
        deficit = -*collateral;
        *collateral = 0.0;
    }
    for (closed, c) in liquidity.closed.iter_mut().zip(&by_asset) {
        *closed += fraction * c;
    }
    Liquidation {
        fraction,
        closed_notional: fraction * total,
        penalty,
        slippage: slip,
        deficit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::AssetSpec;

    fn market(depth: Option<f64>) -> MarketSpec {
        MarketSpec {
            assets: vec![AssetSpec {
                depth,
                impact: 1.0,
                ..AssetSpec::new("ETH", 100.0, 0.5)
            }],
            dt: 1.0 / 365.0,
            phi: 0.0,
        }
    }

    fn at(price: f64) -> MarketState {
        MarketState::new(vec![price], vec![0.5], 0.0, 0.0).unwrap()
    }

    #[test]
    fn partial_without_slippage_by_hand() {
        // Long 10 perps entered at 100, collateral 100; at P = 92: equity 100 - 80 = 20,
        // maintenance (10 % of 920) 92, penalty 1 % of the closed notional 920 f.
        // 20 - 9.2 f = (1 - f) 92  =>  f = 72 / 82.8 = 0.8695652173913043.
        let spec = market(None);
        let mut u = Account::new("a", 100.0, vec![Position::perp(0, 10.0, 100.0)]).unwrap();
        let m = at(92.0);
        let mut liq = StepLiquidity::new(&spec, &[1.0]);
        let l = liquidate(&mut u, &m, 92.0, 0.01, &mut liq);
        let f = 72.0 / 82.8;
        assert!((l.fraction - f).abs() < 1e-15);
        assert!((l.penalty - 9.2 * f).abs() < 1e-12);
        assert_eq!((l.slippage, l.deficit), (0.0, 0.0));
        // Equity after is the requirement of what is left, (1 - f) 92.
        let left = u.equity_at(&m);
        assert!((left - (1.0 - f) * 92.0).abs() < 1e-12);
        assert!((u.positions()[0].size - 10.0 * (1.0 - f)).abs() < 1e-12);
        assert!((liq.closed[0] - 920.0 * f).abs() < 1e-12);
    }

    #[test]
    fn partial_with_slippage_by_hand() {
        // Depth 920 = the closed notional C (10 perps at 92), impact 1, no penalty: closing
        // f costs C f sqrt(f C / 920) = 920 f^1.5. Maintenance R = 736 (80 % of 920), equity
        // E = 667 (collateral 747, the long's loss 80): g(f) = 667 - 920 f^1.5 - (1 - f) 736
        // is 0 at f = 1/4 (667 - 115 - 552) with slope 736 - 1380 * 0.5 = 46 > 0, so 1/4 is
        // the smallest root. A full close would leave 667 - 920 = -253: g(1) < 0, and the
        // search goes through the maximiser of g (f* = (736 / 1380)^2).
        let spec = market(Some(920.0));
        let mut u = Account::new("a", 747.0, vec![Position::perp(0, 10.0, 100.0)]).unwrap();
        let m = at(92.0);
        let mut liq = StepLiquidity::new(&spec, &[1.0]);
        let l = liquidate(&mut u, &m, 736.0, 0.0, &mut liq);
        assert!((l.fraction - 0.25).abs() < 1e-12, "{}", l.fraction);
        assert!((l.slippage - 115.0).abs() < 1e-9);
        assert!((l.closed_notional - 230.0).abs() < 1e-9);
        assert_eq!((l.penalty, l.deficit), (0.0, 0.0));
        // Equity after: 667 - 115 = 552 = 0.75 * 736, the requirement of the 7.5 left.
        assert!((u.equity_at(&m) - 552.0).abs() < 1e-9);
        assert!((u.positions()[0].size - 7.5).abs() < 1e-12);
        // A second unit liquidated in the same step pays slippage on Q = 230 + its own.
        let mut v = Account::new("b", 0.0, vec![Position::perp(0, -1.0, 92.0)]).unwrap();
        let l2 = liquidate(&mut v, &m, 1.0, 0.0, &mut liq);
        // Short 1 at 92, equity 0 < 1: full close of 92 at sqrt(322 / 920).
        assert_eq!(l2.fraction, 1.0);
        assert!((l2.slippage - 92.0 * (322.0f64 / 920.0).sqrt()).abs() < 1e-12);
        assert!((l2.deficit - l2.slippage).abs() < 1e-12);
    }

    #[test]
    fn bankrupt_unit_leaves_a_deficit_and_pays_no_penalty() {
        // Long 10 at 100, collateral 50, P = 90: equity -50. Everything closes, the
        // penalty is 0 and the deficit 50.
        let spec = market(None);
        let mut u = Account::new("a", 50.0, vec![Position::perp(0, 10.0, 100.0)]).unwrap();
        let m = at(90.0);
        let mut liq = StepLiquidity::new(&spec, &[1.0]);
        let l = liquidate(&mut u, &m, 90.0, 0.01, &mut liq);
        assert_eq!(
            l,
            Liquidation {
                fraction: 1.0,
                closed_notional: 900.0,
                penalty: 0.0,
                slippage: 0.0,
                deficit: 50.0
            }
        );
        assert!(u.positions().is_empty());
        assert_eq!(u.collateral(), 0.0);
    }
}
