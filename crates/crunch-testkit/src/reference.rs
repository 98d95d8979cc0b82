//! A scalar reference implementation of the `lending-v1` model, written from
//! `docs/lending-v1.md` alone and as literally as possible.
//!
//! It is deliberately naive: accounts are kept as an array of structs, one account is
//! handled at a time, the price path is copied and feedback is applied by multiplying every
//! later row of the copy, and every sum is a plain loop. It exists only to check the
//! production engine against; speed is not a goal.
//!
//! Rule numbers (`rule 3`) and precise points (`point 11`) in comments refer to the
//! specification.

// Index loops over assets are kept on purpose: they read like the formulas.
#![allow(clippy::needless_range_loop)]

use crunch_core::{Book, LiquidationEvent, MarketSpec, PathSummary, PricePath, StepAggregate};

/// The `static-ltv` terms of one asset, for the reference model.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReferenceAssetTerms {
    /// Maximum loan-to-value `ltv_i` (only used for borrowing power).
    pub ltv: f64,
    /// Liquidation threshold `lt_i`.
    pub lt: f64,
    /// Liquidation bonus `bonus_i`.
    pub bonus: f64,
}

/// The `static-ltv` policy as the reference model takes it: terms by asset index and the
/// protocol-wide close factor. An asset without terms has all-zero terms (point 6).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceTerms {
    /// Terms of asset `i` at index `i`; one entry per asset of the market.
    pub assets: Vec<ReferenceAssetTerms>,
    /// Close factor in `(0, 1]`.
    pub close_factor: f64,
}

impl ReferenceTerms {
    /// All-zero terms over `assets` assets with the given close factor.
    pub fn zeroed(assets: usize, close_factor: f64) -> Self {
        Self {
            assets: vec![ReferenceAssetTerms::default(); assets],
            close_factor,
        }
    }
}

/// Everything the reference model computes for one path.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceOutcome {
    /// The metrics table of the specification.
    pub summary: PathSummary,
    /// Aggregates for steps `0..=T`: debt and collateral value at the end of the step (at
    /// that step's, feedback-adjusted, prices), the step's liquidations, repaid debt,
    /// seized value and realised bad debt. Step 0 is the initial book.
    pub steps: Vec<StepAggregate>,
    /// Every liquidation that acted, in the order the reference handled them (per step,
    /// ascending health, ties by account order).
    pub events: Vec<LiquidationEvent>,
    /// The price path after price feedback (equal to the raw path when `phi = 0`).
    pub prices: PricePath,
}

/// One account, array-of-structs style.
#[derive(Debug, Clone)]
struct Account {
    /// `c[j][i]`, one quantity per asset.
    collateral: Vec<f64>,
    /// `D_j`.
    debt: f64,
    /// Whether the account has realised bad debt (rule 5) at some step.
    realised_bad_debt: bool,
    /// Whether the account has been liquidated at least once.
    liquidated: bool,
    /// First step `t >= 1` at which the account was liquidatable with collateral.
    first_liquidatable: Option<usize>,
}

impl Account {
    /// `V_j = sum_i c[j][i] p[i]`.
    fn collateral_value(&self, prices: &[f64]) -> f64 {
        let mut v = 0.0;
        for i in 0..self.collateral.len() {
            v += self.collateral[i] * prices[i];
        }
        v
    }

    /// `H_j = (sum_i c[j][i] p[i] lt_i) / D_j`, `+inf` when `D_j = 0`.
    fn health(&self, prices: &[f64], terms: &ReferenceTerms) -> f64 {
        if self.debt == 0.0 {
            return f64::INFINITY;
        }
        let mut weighted = 0.0;
        for i in 0..self.collateral.len() {
            weighted += self.collateral[i] * prices[i] * terms.assets[i].lt;
        }
        weighted / self.debt
    }

    /// Whether every collateral quantity is exactly zero.
    fn has_no_collateral(&self) -> bool {
        self.collateral.iter().all(|&c| c == 0.0)
    }
}

/// Borrowing power `B = sum_i c[i] p[i] ltv_i` of a collateral vector (a helper for
/// building books from a utilisation).
pub fn borrowing_power(collateral: &[f64], prices: &[f64], terms: &ReferenceTerms) -> f64 {
    let mut b = 0.0;
    for i in 0..collateral.len() {
        b += collateral[i] * prices[i] * terms.assets[i].ltv;
    }
    b
}

/// Runs `lending-v1` with the `static-ltv` policy `terms` on one raw price path.
///
/// Errors on inconsistent dimensions and, per rule 6 / point 10, when price feedback
/// would have `phi * s_k >= 1` at some step. That check is made at every step `t = 1..=T`,
/// the last one included (point 10 states it without exception, even though at `T` no
/// later price is left to multiply).
pub fn reference_lending_v1(
    market: &MarketSpec,
    book: &Book,
    terms: &ReferenceTerms,
    raw: &PricePath,
) -> Result<ReferenceOutcome, String> {
    let a = market.assets.len();
    if raw.assets() != a {
        return Err(format!("path has {} assets, market {}", raw.assets(), a));
    }
    if book.assets() != a {
        return Err(format!("book has {} assets, market {}", book.assets(), a));
    }
    if terms.assets.len() != a {
        return Err(format!(
            "terms have {} assets, market {}",
            terms.assets.len(),
            a
        ));
    }
    let big_t = raw.steps();
    let phi = market.phi;

    // The book, one struct per account.
    let mut accounts: Vec<Account> = Vec::new();
    for j in 0..book.len() {
        let mut collateral = Vec::new();
        for i in 0..a {
            collateral.push(book.collateral[i][j]);
        }
        accounts.push(Account {
            collateral,
            debt: book.debt[j],
            realised_bad_debt: false,
            liquidated: false,
            first_liquidatable: None,
        });
    }

    // Rule 6 acts on "every later price of the path": a literal copy we multiply.
    let mut prices = raw.clone();

    let mut summary = PathSummary::default();
    let mut steps: Vec<StepAggregate> = Vec::new();
    let mut events: Vec<LiquidationEvent> = Vec::new();
    let mut min_health: Option<f64> = None;
    let mut first_bad_debt_step: Option<u64> = None;
    let mut realised_total = 0.0;

    // ---- Step 0: the initial book at p[0].
    {
        let p0: Vec<f64> = prices.row(0).to_vec();
        let mut initial_debt = 0.0;
        let mut initial_collateral = 0.0;
        let mut initial_borrowing_power = 0.0;
        let mut any_bad = false;
        for acc in &accounts {
            initial_debt += acc.debt;
            let v = acc.collateral_value(&p0);
            initial_collateral += v;
            initial_borrowing_power += borrowing_power(&acc.collateral, &p0, terms);
            if acc.debt > 0.0 {
                let h = acc.health(&p0, terms);
                min_health = Some(match min_health {
                    None => h,
                    Some(m) => m.min(h),
                });
            }
            if acc.debt > v {
                any_bad = true;
            }
        }
        if any_bad {
            first_bad_debt_step = Some(0);
        }
        summary.initial_debt = initial_debt;
        summary.initial_collateral = initial_collateral;
        summary.capital_efficiency = if initial_collateral == 0.0 {
            None
        } else {
            Some(initial_debt / initial_collateral)
        };
        summary.initial_borrowing_power = initial_borrowing_power;
        summary.borrowing_capacity =
            (initial_collateral != 0.0).then(|| initial_borrowing_power / initial_collateral);
        steps.push(StepAggregate {
            debt: initial_debt,
            collateral_value: initial_collateral,
            liquidations: 0,
            repaid_debt: 0.0,
            seized_collateral: 0.0,
            bad_debt_realised: 0.0,
        });
    }

    // ---- Steps t = 1..=T.
    let mut time_to_liquidate = 0.0;
    for t in 1..=big_t {
        // Rule 1: prices move to p[t] (already feedback-adjusted by earlier steps).
        let p: Vec<f64> = prices.row(t).to_vec();

        // Point 3: every H_j(t) once, before any liquidation.
        let mut health: Vec<f64> = Vec::new();
        for acc in &accounts {
            let h = acc.health(&p, terms);
            if acc.debt > 0.0 {
                min_health = Some(match min_health {
                    None => h,
                    Some(m) => m.min(h),
                });
            }
            health.push(h);
        }

        // Rule 2: liquidatable accounts, worst first, ties by account order.
        let mut liquidatable: Vec<usize> = Vec::new();
        for j in 0..accounts.len() {
            if accounts[j].debt > 0.0 && health[j] < 1.0 {
                liquidatable.push(j);
            }
        }
        liquidatable.sort_by(|&x, &y| {
            health[x]
                .partial_cmp(&health[y])
                .expect("health of an indebted account is a number")
                .then(x.cmp(&y))
        });

        // Rule 4: value of each asset already seized at this step (acted only).
        let mut q = vec![0.0; a];
        let mut step_agg = StepAggregate::default();

        for &j in &liquidatable {
            let acc = &mut accounts[j];
            // Point 2: nothing to seize, not a liquidation event.
            if acc.has_no_collateral() {
                continue;
            }
            acc.first_liquidatable.get_or_insert(t);
            // Rule 3: the asset with the largest c*p, ties lowest index.
            let mut k = 0;
            let mut best = acc.collateral[0] * p[0];
            for i in 1..a {
                let value = acc.collateral[i] * p[i];
                if value > best {
                    best = value;
                    k = i;
                }
            }
            let bonus = terms.assets[k].bonus;
            let mut r = terms.close_factor * acc.debt;
            let mut s = r * (1.0 + bonus);
            let holding = acc.collateral[k] * p[k];
            // Point 1: full seizure iff strictly c*p < S.
            let full = holding < s;
            if full {
                s = holding;
                r = s / (1.0 + bonus);
            }
            // Rule 4 / point 4: the gate uses the capped S.
            let spec = &market.assets[k];
            let slippage = match spec.depth {
                Some(depth) => {
                    let rate = (spec.impact * ((q[k] + s) / depth).sqrt()).min(1.0);
                    let acts = rate < bonus;
                    if !acts {
                        // No liquidator acts; this account is not liquidated at this step.
                        summary.blocked_liquidity += 1;
                        continue;
                    }
                    rate
                }
                None => 0.0,
            };
            // The liquidation acts.
            acc.debt -= r;
            if full {
                acc.collateral[k] = 0.0;
            } else {
                acc.collateral[k] = (acc.collateral[k] - s / p[k]).max(0.0);
            }
            if !acc.liquidated {
                time_to_liquidate += (t - acc.first_liquidatable.expect("set above")) as f64;
            }
            acc.liquidated = true;
            q[k] += s;

            summary.liquidations += 1;
            summary.repaid_debt += r;
            summary.seized_collateral += s;
            summary.liquidation_penalty += s - r;
            summary.slippage_cost += s * slippage;
            // The liquidator sells S at the market, which the protocol's price is: S (1 - s) - R.
            summary.liquidator_profit += s * (1.0 - slippage) - r;
            step_agg.liquidations += 1;
            step_agg.repaid_debt += r;
            step_agg.seized_collateral += s;
            events.push(LiquidationEvent {
                step: t as u32,
                account: j as u32,
                asset: k as u32,
                repaid: r,
                seized: s,
                slippage,
                full_seizure: full,
            });
        }

        // Rule 5: every account with debt and no collateral left realises its debt.
        let mut realised_now = false;
        for acc in accounts.iter_mut() {
            if acc.debt > 0.0 && acc.has_no_collateral() {
                realised_total += acc.debt;
                step_agg.bad_debt_realised += acc.debt;
                acc.debt = 0.0;
                acc.realised_bad_debt = true;
                realised_now = true;
            }
        }

        // End of step: aggregates and point 11's bad-debt check, at p[t], all accounts.
        let mut any_underwater = false;
        for acc in &accounts {
            let v = acc.collateral_value(&p);
            step_agg.debt += acc.debt;
            step_agg.collateral_value += v;
            if acc.debt > v {
                any_underwater = true;
            }
        }
        if first_bad_debt_step.is_none() && (realised_now || any_underwater) {
            first_bad_debt_step = Some(t as u64);
        }
        steps.push(step_agg);

        // Rule 6 / point 10: price feedback on every later price of the path.
        for k in 0..a {
            let spec = &market.assets[k];
            let Some(depth) = spec.depth else {
                continue; // liquidity off: no feedback from k
            };
            let s_k = (spec.impact * (q[k] / depth).sqrt()).min(1.0);
            let hit = phi * s_k;
            if hit >= 1.0 {
                return Err(format!(
                    "step {t}: price feedback phi * s = {hit} >= 1 for asset `{}`",
                    spec.symbol
                ));
            }
            for u in (t + 1)..=big_t {
                prices.row_mut(u)[k] *= 1.0 - hit;
            }
        }
    }

    // ---- Metrics at T (point 12), at the feedback-adjusted p[T].
    let p_end: Vec<f64> = prices.row(big_t).to_vec();
    let mut bad_debt = realised_total;
    let mut insolvent = 0u64;
    let mut liquidated_accounts = 0u64;
    for acc in &accounts {
        let v = acc.collateral_value(&p_end);
        if acc.debt > 0.0 {
            bad_debt += (acc.debt - v).max(0.0);
        }
        if acc.realised_bad_debt || acc.debt > v {
            insolvent += 1;
        }
        if acc.liquidated {
            liquidated_accounts += 1;
        }
    }
    summary.bad_debt = bad_debt;
    summary.insolvent_accounts = insolvent;
    summary.liquidated_accounts = liquidated_accounts;
    summary.first_bad_debt_step = first_bad_debt_step;
    summary.min_health = min_health;
    summary.mean_time_to_liquidate =
        (liquidated_accounts > 0).then(|| time_to_liquidate / liquidated_accounts as f64);

    Ok(ReferenceOutcome {
        summary,
        steps,
        events,
        prices,
    })
}
