//! One (policy, path) simulation of `lending-v1` (`docs/lending-v1.md`), rule by rule.
//!
//! This is the exhaustive reference scan: every step evaluates every indebted account's
//! health and sorts the liquidatable ones worst first.

use crate::scratch::Scratch;
use crunch_core::{
    Book, LiquidationEvent, MarginPolicy, MarketSpec, PathOutcome, PathSummary, PricePath,
    StepAggregate,
};
use thiserror::Error;

/// Which optional outputs a simulation records besides the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordOptions {
    /// Record per-step aggregates ([`StepAggregate`]) for steps `0..=T`.
    pub timeseries: bool,
    /// Record every liquidation that acted ([`LiquidationEvent`]).
    pub events: bool,
}

/// An error raised while simulating.
#[derive(Debug, Error, PartialEq)]
pub enum EngineError {
    /// Rule 6 / precise point 10: `phi * s_k >= 1` would make prices non-positive.
    #[error(
        "path {path}, policy `{policy}`, step {step}: price feedback phi * s = {value} >= 1 \
         for asset `{asset}`, so prices would not stay positive; lower [market].phi or \
         raise the asset's depth"
    )]
    FeedbackTooStrong {
        /// Path index.
        path: u64,
        /// Policy name.
        policy: String,
        /// Step at which the feedback was computed.
        step: usize,
        /// Asset symbol.
        asset: String,
        /// `phi * s_k`.
        value: f64,
    },
}

/// Simulates `policy` on one raw price path (`raw`, before any feedback) and returns the
/// outcome for (`path`, `policy_index`). `scratch` must have been built for this book and
/// step count; it is reset here.
#[allow(clippy::too_many_arguments)]
pub fn simulate_path(
    market: &MarketSpec,
    book: &Book,
    policy: &dyn MarginPolicy,
    raw: &PricePath,
    record: RecordOptions,
    scratch: &mut Scratch,
    path: u64,
    policy_index: usize,
) -> Result<PathOutcome, EngineError> {
    scratch.reset(book);
    let n = book.len();
    let a = market.len();
    let feedback_on = market.phi > 0.0 && market.assets.iter().any(|x| x.depth.is_some());
    let depth: Vec<Option<f64>> = market.assets.iter().map(|x| x.depth).collect();
    let impact: Vec<f64> = market.assets.iter().map(|x| x.impact).collect();
    let Scratch {
        debt,
        coll,
        num,
        health,
        order,
        liquidated,
        realised,
        seized_value,
        feedback,
        prices,
        requirements,
    } = scratch;

    let mut state = policy.start_path();
    let mut out = PathOutcome {
        path,
        policy: policy_index,
        ..Default::default()
    };
    let summary = &mut out.summary;
    let mut min_health = f64::INFINITY;
    let mut realised_total = 0.0;

    for t in 0..=raw.steps() {
        // Rule 1: prices move to p[t] (feedback-adjusted when rule 6 is on).
        let path_prices: &PricePath = if feedback_on {
            let row = prices.row_mut(t);
            for ((x, &r), &f) in row.iter_mut().zip(raw.row(t)).zip(feedback.iter()) {
                *x = r * f;
            }
            prices
        } else {
            raw
        };
        state.update(path_prices.view_until(t), requirements);
        let p = path_prices.row(t);
        let liquidity = raw.liquidity_row(t);
        let lt = &requirements.lt;

        // Health factors, once per step before any liquidation (precise point 3).
        health_numerators(coll, n, p, lt, num);
        order.clear();
        for (j, ((&d, &x), h)) in debt
            .iter()
            .zip(num.iter())
            .zip(health.iter_mut())
            .enumerate()
        {
            if d > 0.0 {
                *h = x / d;
                min_health = min_health.min(*h);
                if *h < 1.0 {
                    order.push(j as u32);
                }
            }
        }

        if t == 0 {
            summary.initial_debt = debt.iter().sum();
            let mut any_insolvent = false;
            summary.initial_collateral = 0.0;
            for (j, &d) in debt.iter().enumerate() {
                let v = collateral_value(coll, n, a, j, p);
                summary.initial_collateral += v;
                any_insolvent |= d > v;
            }
            if any_insolvent {
                summary.first_bad_debt_step = Some(0);
            }
            if record.timeseries {
                out.steps.push(aggregate(debt, coll, n, a, p));
            }
            continue;
        }

        // Rule 2: worst first, ties by account order.
        order.sort_unstable_by(|&x, &y| {
            health[x as usize]
                .total_cmp(&health[y as usize])
                .then(x.cmp(&y))
        });

        // Rules 3 and 4.
        seized_value.fill(0.0);
        let mut step = StepAggregate::default();
        for &j in order.iter() {
            let j = j as usize;
            // The asset with the largest collateral value, ties to the lowest index.
            let mut k = usize::MAX;
            let mut held = 0.0;
            for i in 0..a {
                let v = coll[i * n + j] * p[i];
                if v > held {
                    held = v;
                    k = i;
                }
            }
            if k == usize::MAX {
                continue; // No collateral at all: nothing to seize (precise point 2).
            }
            let bonus = requirements.bonus[k];
            let mut repaid = requirements.close_factor * debt[j];
            let mut seized = repaid * (1.0 + bonus);
            let full = held < seized; // At equality the partial branch runs (point 1).
            if full {
                seized = held;
                repaid = seized / (1.0 + bonus);
            }
            let slippage = match depth[k] {
                Some(d) => {
                    let d = d * liquidity[k];
                    let s = (impact[k] * ((seized_value[k] + seized) / d).sqrt()).min(1.0);
                    if s >= bonus {
                        continue; // No liquidator acts at this slippage (s < bonus fails).
                    }
                    s
                }
                None => 0.0,
            };
            seized_value[k] += seized;
            debt[j] = (debt[j] - repaid).max(0.0);
            let c = &mut coll[k * n + j];
            *c = if full {
                0.0
            } else {
                (*c - seized / p[k]).max(0.0)
            };
            if !liquidated[j] {
                liquidated[j] = true;
                summary.liquidated_accounts += 1;
            }
            summary.liquidations += 1;
            summary.repaid_debt += repaid;
            summary.seized_collateral += seized;
            summary.liquidation_penalty += seized - repaid;
            summary.slippage_cost += seized * slippage;
            step.liquidations += 1;
            step.repaid_debt += repaid;
            step.seized_collateral += seized;
            if record.events {
                out.events.push(LiquidationEvent {
                    step: t as u32,
                    account: j as u32,
                    asset: k as u32,
                    repaid,
                    seized,
                    slippage,
                    full_seizure: full,
                });
            }
        }

        // Rule 5: accounts left without collateral realise their debt as bad debt. Such an
        // account has H = 0, so it is among this step's liquidatable accounts.
        for &j in order.iter() {
            let j = j as usize;
            if debt[j] > 0.0 && (0..a).all(|i| coll[i * n + j] == 0.0) {
                step.bad_debt_realised += debt[j];
                realised[j] = true;
                debt[j] = 0.0;
            }
        }
        realised_total += step.bad_debt_realised;

        // Precise point 11: first step with D > V or realised bad debt, after rules 2-5.
        if summary.first_bad_debt_step.is_none()
            && (step.bad_debt_realised > 0.0 || any_underwater(debt, coll, n, a, p, lt, order))
        {
            summary.first_bad_debt_step = Some(t as u64);
        }

        // Rule 6: permanent price impact on the rest of the path.
        if feedback_on {
            for k in 0..a {
                if let (Some(d), true) = (depth[k], seized_value[k] > 0.0) {
                    let d = d * liquidity[k];
                    let s = (impact[k] * (seized_value[k] / d).sqrt()).min(1.0);
                    let hit = market.phi * s;
                    if hit >= 1.0 {
                        return Err(EngineError::FeedbackTooStrong {
                            path,
                            policy: policy.name().to_owned(),
                            step: t,
                            asset: market.assets[k].symbol.clone(),
                            value: hit,
                        });
                    }
                    feedback[k] *= 1.0 - hit;
                }
            }
        }

        if record.timeseries {
            let totals = aggregate(debt, coll, n, a, p);
            out.steps.push(StepAggregate {
                debt: totals.debt,
                collateral_value: totals.collateral_value,
                ..step
            });
        }
    }

    // Terminal valuation at the (feedback-adjusted) p[T].
    let p_end = if feedback_on { &*prices } else { raw }.row(raw.steps());
    summary.bad_debt = realised_total;
    for j in 0..n {
        let mut insolvent = realised[j];
        if debt[j] > 0.0 {
            let v = collateral_value(coll, n, a, j, p_end);
            if debt[j] > v {
                summary.bad_debt += debt[j] - v;
                insolvent = true;
            }
        }
        summary.insolvent_accounts += u64::from(insolvent);
    }
    finish_summary(summary, min_health);
    Ok(out)
}

fn finish_summary(summary: &mut PathSummary, min_health: f64) {
    summary.capital_efficiency = (summary.initial_collateral > 0.0)
        .then(|| summary.initial_debt / summary.initial_collateral);
    summary.min_health = min_health.is_finite().then_some(min_health);
}

/// `num[j] = sum_i c[j][i] * p[i] * lt_i`, evaluated left to right as the spec writes it.
/// Assets with `lt_i = 0` add exactly zero and are skipped.
fn health_numerators(coll: &[f64], n: usize, p: &[f64], lt: &[f64], num: &mut [f64]) {
    num.fill(0.0);
    for (i, (&pi, &lti)) in p.iter().zip(lt).enumerate() {
        if lti == 0.0 {
            continue;
        }
        for (x, &c) in num.iter_mut().zip(&coll[i * n..(i + 1) * n]) {
            *x += c * pi * lti;
        }
    }
}

/// `V_j = sum_i c[j][i] p[i]`.
fn collateral_value(coll: &[f64], n: usize, a: usize, j: usize, p: &[f64]) -> f64 {
    (0..a).map(|i| coll[i * n + j] * p[i]).sum()
}

/// Whether any account has `D_j > V_j` after the step's liquidations. When every
/// `lt_i <= 1`, an account that was not liquidatable has `V_j >= sum c p lt >= D_j`, so only
/// this step's liquidatable accounts need checking; otherwise all accounts are.
fn any_underwater(
    debt: &[f64],
    coll: &[f64],
    n: usize,
    a: usize,
    p: &[f64],
    lt: &[f64],
    liquidatable: &[u32],
) -> bool {
    let underwater = |j: usize| debt[j] > 0.0 && debt[j] > collateral_value(coll, n, a, j, p);
    if lt.iter().all(|&x| x <= 1.0) {
        liquidatable.iter().any(|&j| underwater(j as usize))
    } else {
        (0..n).any(underwater)
    }
}

/// Book-wide debt and collateral value at prices `p`.
fn aggregate(debt: &[f64], coll: &[f64], n: usize, a: usize, p: &[f64]) -> StepAggregate {
    StepAggregate {
        debt: debt.iter().sum(),
        collateral_value: (0..n).map(|j| collateral_value(coll, n, a, j, p)).sum(),
        ..StepAggregate::default()
    }
}
