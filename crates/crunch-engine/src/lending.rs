//! One (policy, path) simulation of `lending-v1` (`docs/lending-v1.md`), rule by rule.
//!
//! Per step: health factors of every indebted account before any liquidation; the
//! liquidatable accounts put in per-asset worst-first queues ([`crate::queue`]); each queue
//! liquidated in order behind its asset's liquidity gate; bad debt realised; price
//! feedback applied to the rest of the path.

use crate::absorb::{Absorption, Sale, Store};
use crate::chains::Bridge;
use crate::owed;
use crate::queue::{Member, ScanMode};
use crate::reputation::Tiers;
use crate::scratch::Scratch;
use crate::screen::{Screen, SeizureBelow, greater, lesser};
use crate::start::{Initial, Inputs};
use crunch_core::{
    Book, EMode, Frictions, HealthSample, LiquidationEvent, LiquidationTerms, LiquidatorSpec,
    MarginPolicy, MarketSpec, PathOutcome, PathSummary, PricePath, RuleSet, StepAggregate,
};
use thiserror::Error;

/// Which optional outputs a simulation records besides the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordOptions {
    /// Record per-step aggregates ([`StepAggregate`]) for steps `0..=T`.
    pub timeseries: bool,
    /// Record every liquidation that acted ([`LiquidationEvent`]).
    pub events: bool,
    /// Record every indebted account's health factor at this step, before its
    /// liquidations ([`crunch_core::HealthSample`]); a step past `T` records nothing.
    pub health_step: Option<usize>,
}

/// How to simulate: what to record and how to order liquidation queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimOptions {
    /// Optional outputs.
    pub record: RecordOptions,
    /// Queue ordering strategy; every mode gives identical results.
    pub scan: ScanMode,
}

impl From<RecordOptions> for SimOptions {
    fn from(record: RecordOptions) -> Self {
        Self {
            record,
            scan: ScanMode::default(),
        }
    }
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
///
/// Liquidations are processed asset by asset (all of asset 0's queue, then asset 1's, …),
/// each queue worst first; events are recorded in that order.
///
/// With `frictions` set ([`Frictions::active`]) the protocol sees oracle prices and
/// liquidators have capacity, gas costs and outages (`scenarios/README.md`, "Oracles and
/// liquidators"); every account's health is then computed at every step (the reference
/// scan). Without, this is `lending-v1` exactly.
#[allow(clippy::too_many_arguments)]
pub fn simulate_path(
    market: &MarketSpec,
    frictions: &Frictions,
    book: &Book,
    policy: &dyn MarginPolicy,
    raw: &PricePath,
    options: SimOptions,
    scratch: &mut Scratch,
    path: u64,
    policy_index: usize,
) -> Result<PathOutcome, EngineError> {
    scratch.reset(book);
    let n = book.len();
    let a = market.len();
    let record = options.record;
    let feedback_on = market.phi > 0.0 && market.assets.iter().any(|x| x.depth.is_some());
    let Scratch {
        debt,
        coll,
        owed,
        num,
        health,
        order,
        members,
        pending,
        touched,
        liquidated,
        realised,
        seized_value,
        feedback,
        prices,
        requirements,
        screen,
        start,
        acted,
        oracle,
        feeds,
        first_liquidatable,
        gas_blocked,
        terms,
        emode: in_emode,
        reputation: track,
        bridge: transfers,
    } = scratch;
    let emode = frictions.emode.as_ref();
    if let Some(e) = emode {
        for (j, member) in in_emode.iter_mut().enumerate() {
            *member = e.admits(a, |i| coll[i * n + j]);
        }
    }
    let rules = (frictions.rules != RuleSet::LendingV1).then_some(frictions.rules);
    // Frictions and debt that moves need every account's health at every step: the
    // reference scan.
    let owing = !owed.is_empty();
    let scan = if frictions.active() || owing {
        ScanMode::Exhaustive
    } else {
        options.scan
    };
    let oracles_on = frictions.oracles.iter().any(Option::is_some);
    let liquidators = frictions.liquidators.as_ref();
    let mut time_to_liquidate = 0.0;

    let mut store = match frictions.rules {
        RuleSet::CompoundV3(comet) => Some(Store::new(comet, a)),
        _ => None,
    };
    let mut state = policy.start_path();
    // Reputation tiers (`crate::reputation`): the per-account terms route when they adjust.
    let mut rep = frictions
        .reputation
        .as_ref()
        .map(|r| Tiers::start(r, track, book, policy_index));
    let tiered = rep.as_ref().is_some_and(Tiers::adjusts);
    // Multi-chain collateral (`crate::chains`): halted bridges, and on a split book the
    // bridge-delayed rebalancing between sub-accounts.
    let chains = frictions.chains.as_ref();
    let mut bridge = Bridge::start(chains, transfers);
    let mut out = PathOutcome {
        path,
        policy: policy_index,
        ..Default::default()
    };
    let summary = &mut out.summary;
    let mut min_health = f64::INFINITY;
    let mut realised_total = 0.0;
    // Each step's gates and their admission at Q = 0, one per asset (buffers reused).
    let mut gates: Vec<Option<Gate>> = Vec::with_capacity(a);
    let mut admission: Vec<Option<Admission>> = Vec::with_capacity(a);

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
        if let Some(r) = rep.as_mut() {
            r.set_terms(requirements);
        }
        let p = path_prices.row(t);
        let liquidity = raw.liquidity_row(t);
        // What the protocol sees: the oracle's prices (the market's without oracles).
        let o: &[f64] = if oracles_on {
            for (i, x) in oracle.iter_mut().enumerate() {
                *x = match frictions.oracle(i) {
                    Some(spec) => {
                        let lagged = path_prices.row(t.saturating_sub(spec.lag))[i];
                        feeds[i].advance(spec, t, lagged)
                    }
                    None => p[i],
                };
            }
            oracle
        } else {
            p
        };
        if owing {
            owed::revalue(owed, o, debt);
        }
        if let (Some(b), true) = (bridge.as_mut(), t > 0) {
            b.step(t, debt, coll, o, &requirements.lt);
        }

        if t > 0 {
            // This step's gates, and (pruned walk) their admission at Q = 0: an account
            // the gate refuses with nothing yet seized would be refused at any later point
            // of the step, so it is dropped already here.
            gates.clear();
            gates.extend(market.assets.iter().zip(liquidity).map(|(asset, &l)| {
                asset.depth.map(|d| Gate {
                    depth: d * l,
                    impact: asset.impact,
                })
            }));
            admission.clear();
            admission.extend(gates.iter().zip(&requirements.bonus).map(|(g, &bonus)| {
                match (scan, g) {
                    (ScanMode::Pruned, Some(g)) => Some(g.admission(0.0, bonus)),
                    _ => None,
                }
            }));
        }
        touched.clear();
        acted.clear();
        members.iter_mut().for_each(Vec::clear);
        let mut intake = Intake {
            p: o,
            t: t as u32,
            first_liquidatable: &mut first_liquidatable[..],
            with_collateral: 0,
            rules: (rules.is_some() || emode.is_some() || tiered).then(|| {
                (
                    rules.unwrap_or_default(),
                    &requirements.lt[..],
                    &mut terms[..],
                )
            }),
            emode: emode.map(|e| (e, &in_emode[..])),
            tiers: rep.as_ref(),
            close_factor: requirements.close_factor,
            bonus: &requirements.bonus,
            admission: &admission,
            members,
            touched,
        };

        // Health factors, once per step before any liquidation (precise point 3): every
        // account's in the reference scan and at step 0, else those of the accounts the
        // screen cannot decide; the ones it finds surely liquidatable are counted and
        // recorded here, and checked lazily by the walk. The liquidatable ones checked go
        // to their seized asset's queue.
        let full_pass = t == 0 || scan == ScanMode::Exhaustive;
        // Step 0 of the pruned scan: the outcome kept from the last path when it started
        // from the same state (the index and the health factors are not needed here).
        let reusable = frictions.isolation.is_empty() && record.health_step != Some(0);
        let inputs = Inputs {
            debt,
            coll,
            p: o,
            ltv: &requirements.ltv,
            lt: &requirements.lt,
        };
        // Whether the kept index is this path's, compared once for the step.
        let kept = (t == 0 && scan == ScanMode::Pruned)
            .then(|| start.kept(inputs))
            .flatten();
        if reusable && let Some(Some(initial)) = kept {
            start.restore(screen);
            min_health = initial.min_health;
            summary.initial_debt = initial.debt;
            summary.initial_collateral = initial.collateral;
            summary.initial_borrowing_power = initial.borrowing_power;
            if initial.insolvent {
                summary.first_bad_debt_step = Some(0);
            }
            if record.timeseries {
                out.steps.push(aggregate(debt, owed, coll, a, p));
            }
            continue;
        }
        let mut sure = 0;
        if full_pass {
            health_numerators(coll, n, o, &requirements.lt, num);
            if let Some(e) = emode {
                emode_numerators(coll, n, o, e, in_emode, num);
            }
            if let Some(r) = &intake.tiers {
                r.numerators(coll, n, o, num);
            }
            liquidatable(debt, num, health, order, &mut min_health);
            if t > 0 {
                for &j in order.iter() {
                    let j = j as usize;
                    intake.take(j as u32, health[j], debt[j], |i| coll[i * n + j]);
                }
            }
        } else {
            order.clear();
            let census = screen.scan(debt, coll, o, &requirements.lt, min_health, |j, h, d, c| {
                order.push(j);
                intake.take(j, h, d, |i| c.get(i).copied().unwrap_or(0.0));
            });
            min_health = min_health.min(census.least);
            sure = census.sure;
        }
        let with_collateral = intake.with_collateral + sure;
        if !full_pass {
            screen.record(t as u32, first_liquidatable);
        }
        if let (Some(r), true) = (rep.as_mut(), t > 0) {
            r.observe(debt, num); // The full pass's numerators (reputation forces it).
        }
        if record.health_step == Some(t) {
            if !full_pass {
                health_numerators(coll, n, o, &requirements.lt, num);
                if let Some(e) = emode {
                    emode_numerators(coll, n, o, e, in_emode, num);
                }
                if let Some(r) = rep.as_ref() {
                    r.numerators(coll, n, o, num);
                }
            }
            if let Some(r) = rep.as_ref() {
                out.scores = r.scores().to_vec();
            }
            let samples = debt.iter().zip(num.iter()).enumerate();
            out.health.extend(
                samples
                    .filter(|(_, (d, _))| **d > 0.0)
                    .map(|(j, (&d, &x))| HealthSample {
                        account: j as u32,
                        health: x / d,
                    }),
            );
        }

        if t == 0 {
            let mut indexed = false;
            if scan == ScanMode::Pruned {
                match kept {
                    Some(_) => start.restore(screen),
                    None => {
                        screen.rebuild(debt, coll, o, inputs.lt);
                        indexed = true;
                    }
                }
            }
            summary.initial_debt = 0.0;
            let mut any_insolvent = false;
            summary.initial_collateral = 0.0;
            summary.initial_borrowing_power = 0.0;
            // Borrowing power of the accounts in isolation on each isolated asset (after
            // `crunch_book::isolate` they hold that asset only); their total is capped by
            // the asset's debt ceiling.
            let isolation = &frictions.isolation;
            let mut isolated = vec![0.0; isolation.len()];
            for j in 0..n {
                let d = owed::at_market(debt, owed, j, p);
                summary.initial_debt += d;
                // V_j, and the borrowing power with the account's terms (`b`) and without
                // its reputation tier (`plain`), in one pass (no closure per asset: this
                // runs for every account of every path).
                let (mut v, mut b, mut plain) = (0.0, 0.0, 0.0);
                let emode_ltv = emode.filter(|_| in_emode[j]).map(|e| e.ltv);
                for (i, &ltv) in requirements.ltv.iter().enumerate() {
                    let x = coll[i * n + j] * p[i];
                    let ltv = emode_ltv.unwrap_or(ltv);
                    v += x;
                    plain += x * ltv;
                    if let Some(r) = &rep {
                        b += x * r.ltv(j, i, ltv);
                    }
                }
                if rep.is_none() {
                    b = plain;
                }
                summary.initial_collateral += v;
                if let Some(r) = rep.as_mut() {
                    r.initial(j, d, v, b, plain);
                }
                match isolation
                    .iter()
                    .position(|iso| coll[iso.asset * n + j] > 0.0)
                {
                    Some(k) => isolated[k] += b,
                    None => summary.initial_borrowing_power += b,
                }
                any_insolvent |= d > v;
            }
            for (iso, &power) in isolation.iter().zip(&isolated) {
                summary.initial_borrowing_power += power.min(iso.debt_ceiling);
            }
            if any_insolvent {
                summary.first_bad_debt_step = Some(0);
            }
            if indexed {
                let initial = Initial {
                    min_health,
                    debt: summary.initial_debt,
                    collateral: summary.initial_collateral,
                    borrowing_power: summary.initial_borrowing_power,
                    insolvent: any_insolvent,
                };
                let initial = reusable.then_some(initial);
                start.keep(screen, inputs, initial);
            }
            if record.timeseries {
                out.steps.push(aggregate(debt, owed, coll, a, p));
            }
            continue;
        }

        // Rules 2-4, asset by asset (precise point 3): each asset's liquidatable accounts,
        // worst first, behind that asset's liquidity gate.
        seized_value.fill(0.0);
        let mut step = StepAggregate::default();
        let mut blocked = Blocked::default();
        let outage = liquidators.is_some_and(|l| l.out(t));
        let mut capacity = liquidators.map_or(f64::INFINITY, |l| l.capacity_at(t));
        if let Some(store) = store.as_mut() {
            if outage {
                blocked.outage += with_collateral;
            } else {
                let mut x = Absorption {
                    n,
                    step: t as u32,
                    o,
                    p,
                    debt,
                    owed,
                    coll,
                    liquidated,
                    realised,
                    first_liquidatable,
                    time_to_liquidate: &mut time_to_liquidate,
                    summary,
                    totals: &mut step,
                    events: record.events.then_some(&mut out.events),
                };
                for &j in order.iter() {
                    let j = j as usize;
                    if (0..a).any(|i| x.coll[i * n + j] > 0.0) {
                        store.absorb(j, &mut x);
                    }
                }
                for (k, gate) in gates.iter().enumerate() {
                    let mut sale = Sale {
                        gate: gate.map(|g| (g.depth, g.impact)),
                        sold: 0.0,
                    };
                    seized_value[k] += store.sell(k, o[k], p[k], &mut sale, &mut capacity, summary);
                }
            }
        } else {
            for (k, members) in members.iter_mut().enumerate() {
                // The pruned scan's walk of the sure accounts of this asset starts here; an
                // asset with no liquidatable account to take has no walk.
                let sure = scan == ScanMode::Pruned && screen.start_walk(k, p);
                if members.is_empty() && !sure {
                    continue;
                }
                if outage || chains.is_some_and(|c| c.seizure_halted(k, t)) {
                    blocked.outage += members.len() as u64;
                    continue;
                }
                // The market value of a unit the protocol values at o[k] (1 without an oracle).
                let scale = if o[k] == p[k] { 1.0 } else { p[k] / o[k] };
                let bonus = requirements.bonus[k];
                let bonus_eff = gate_bonus(bonus, scale);
                let mut walk = AssetWalk {
                    k,
                    n,
                    price: o[k],
                    market: p,
                    oracles_on,
                    scale,
                    bonus_eff,
                    refused_above: gates[k].map_or(f64::INFINITY, |g| g.refused_above(bonus_eff)),
                    liquidators,
                    capacity: &mut capacity,
                    blocked: &mut blocked,
                    gas_blocked: &mut gas_blocked[..],
                    first_liquidatable: &first_liquidatable[..],
                    terms: (rules.is_some() || emode.is_some() || tiered).then_some(&terms[..]),
                    time_to_liquidate: &mut time_to_liquidate,
                    close_factor: requirements.close_factor,
                    bonus,
                    gate: gates[k],
                    step_index: t as u32,
                    seized_value: 0.0,
                    debt,
                    owed,
                    coll,
                    liquidated,
                    touched,
                    acted,
                    summary,
                    step: &mut step,
                    events: record.events.then_some(&mut out.events),
                };
                members.sort_unstable_by_key(Member::rank);
                match scan {
                    ScanMode::Exhaustive => {
                        for m in members.iter() {
                            walk.try_act(m);
                        }
                    }
                    ScanMode::Pruned => walk.lazy(members, pending, screen, &requirements.lt),
                }
                seized_value[k] = walk.seized_value;
            }
        }

        // Every liquidatable account with collateral that no liquidator took and no other
        // friction held back was refused at the gate (rule 4).
        blocked.liquidity =
            with_collateral - step.liquidations - blocked.outage - blocked.gas - blocked.capacity;
        blocked.add_to(summary);
        if let Some(r) = rep.as_mut() {
            r.liquidated(acted);
        }

        // Rule 5: accounts left without collateral realise their debt as bad debt. Only
        // accounts without collateral before the step, or whose seized holding reached
        // zero at it, can be such; they are handled in account order.
        touched.sort_unstable();
        for &j in touched.iter() {
            let j = j as usize;
            if debt[j] > 0.0 && (0..a).all(|i| coll[i * n + j] == 0.0) {
                let lost = owed::at_market(debt, owed, j, p);
                step.bad_debt_realised += lost;
                if let Some(r) = rep.as_mut() {
                    r.bad_debt(j, lost);
                }
                if gas_blocked[j] {
                    summary.dust_bad_debt += lost;
                }
                realised[j] = true;
                if owing {
                    owed::repay(owed, n, j, debt[j], 0.0);
                }
                debt[j] = 0.0;
            }
        }
        realised_total += step.bad_debt_realised;
        if scan == ScanMode::Pruned {
            for &j in acted.iter().chain(touched.iter()) {
                screen.update(j as usize, debt, coll, o, &requirements.lt);
            }
        }

        // Precise point 11: first step with D > V or realised bad debt, after rules 2-5.
        if summary.first_bad_debt_step.is_none()
            && (step.bad_debt_realised > 0.0
                || any_underwater(
                    debt,
                    owed,
                    coll,
                    p,
                    &requirements.lt,
                    order.iter().chain(acted.iter()),
                    (scan == ScanMode::Pruned).then_some(&*screen),
                    oracles_on,
                ))
        {
            summary.first_bad_debt_step = Some(t as u64);
        }

        // Rule 6: permanent price impact on the rest of the path.
        if feedback_on {
            for (k, asset) in market.assets.iter().enumerate() {
                if let (Some(d), true) = (asset.depth, seized_value[k] > 0.0) {
                    let d = d * liquidity[k];
                    let s = (asset.impact * (seized_value[k] / d).sqrt()).min(1.0);
                    let hit = market.phi * s;
                    if hit >= 1.0 {
                        return Err(EngineError::FeedbackTooStrong {
                            path,
                            policy: policy.name().to_owned(),
                            step: t,
                            asset: asset.symbol.clone(),
                            value: hit,
                        });
                    }
                    feedback[k] *= 1.0 - hit;
                }
            }
        }

        if record.timeseries {
            let totals = aggregate(debt, owed, coll, a, p);
            out.steps.push(StepAggregate {
                debt: totals.debt,
                collateral_value: totals.collateral_value,
                ..step
            });
        }
        if let Some(r) = rep.as_mut() {
            r.end_step(); // Sets the tiers of step t + 1 from this step's record.
        }
    }

    if let Some(b) = bridge.as_mut() {
        b.settle(coll);
    }
    // Terminal valuation at the (feedback-adjusted) p[T].
    let p_end = if feedback_on { &*prices } else { raw }.row(raw.steps());
    summary.bad_debt = realised_total;
    // Every account's `V_j`, asset by asset into `num` (the sum of `collateral_value`, in
    // the same order, over whole columns).
    let value = &mut num[..];
    value.fill(0.0);
    for (column, &price) in coll.chunks_exact(n.max(1)).zip(p_end) {
        for (v, &c) in value.iter_mut().zip(column) {
            *v += c * price;
        }
    }
    for j in 0..n {
        let mut insolvent = realised[j];
        if debt[j] > 0.0 {
            let d = owed::at_market(debt, owed, j, p_end);
            let v = value[j];
            if d > v {
                summary.bad_debt += d - v;
                if let Some(r) = rep.as_mut() {
                    r.bad_debt(j, d - v);
                }
                if gas_blocked[j] {
                    summary.dust_bad_debt += d - v;
                }
                insolvent = true;
            }
        }
        summary.insolvent_accounts += u64::from(insolvent);
    }
    if let Some(r) = rep {
        out.tiers = r.finish(liquidated);
    }
    finish_summary(summary, min_health, time_to_liquidate);
    Ok(out)
}

/// `time_to_liquidate` is the sum over liquidated accounts of their steps from first
/// liquidatable to first liquidated.
fn finish_summary(summary: &mut PathSummary, min_health: f64, time_to_liquidate: f64) {
    summary.mean_time_to_liquidate = (summary.liquidated_accounts > 0)
        .then(|| time_to_liquidate / summary.liquidated_accounts as f64);
    summary.capital_efficiency = (summary.initial_collateral > 0.0)
        .then(|| summary.initial_debt / summary.initial_collateral);
    summary.borrowing_capacity = (summary.initial_collateral > 0.0)
        .then(|| summary.initial_borrowing_power / summary.initial_collateral);
    summary.min_health = min_health.is_finite().then_some(min_health);
}

/// For the accounts of an e-mode category, `num[j] = sum_i c[j][i] * p[i] * lt` with the
/// category's `lt` for every asset.
fn emode_numerators(
    coll: &[f64],
    n: usize,
    p: &[f64],
    e: &EMode,
    member: &[bool],
    num: &mut [f64],
) {
    for (j, x) in num.iter_mut().enumerate().filter(|&(j, _)| member[j]) {
        *x = p
            .iter()
            .enumerate()
            .map(|(i, &pi)| coll[i * n + j] * pi * e.lt)
            .sum();
    }
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

/// Collects the liquidatable accounts (`D > 0`, `H = num / D < 1`) in account order into
/// `order`, stores their `H` in `health`, and lowers `min_health` to the step's minimum
/// health over indebted accounts.
///
/// Division is avoided where it cannot matter: `num >= D` implies `fl(num / D) >= 1`
/// (rounding is monotone), so only accounts with `num < D` can be liquidatable. When the
/// step has such an account, its `H <= 1` is below every other account's, so the step's
/// minimum is among them; otherwise the others are divided only while `min_health` could
/// still fall (it is above 1) and only where `num / D` could be below it.
fn liquidatable(
    debt: &[f64],
    num: &[f64],
    health: &mut [f64],
    order: &mut Vec<u32>,
    min_health: &mut f64,
) {
    order.clear();
    let mut step_min = f64::INFINITY;
    // Candidates are found eight accounts at a time as a bit mask (a vector compare), and
    // only their bits are visited: no unpredictable branch per account.
    const LANES: usize = 8;
    let mut visit = |j: usize| {
        let h = num[j] / debt[j];
        health[j] = h;
        step_min = step_min.min(h);
        if h < 1.0 {
            order.push(j as u32);
        }
    };
    let chunks = debt.len() / LANES;
    for c in 0..chunks {
        let base = c * LANES;
        let (d, x) = (&debt[base..base + LANES], &num[base..base + LANES]);
        let mut mask = 0u32;
        for l in 0..LANES {
            mask |= u32::from(d[l] > 0.0 && x[l] < d[l]) << l;
        }
        while mask != 0 {
            visit(base + mask.trailing_zeros() as usize);
            mask &= mask - 1;
        }
    }
    for j in chunks * LANES..debt.len() {
        if debt[j] > 0.0 && num[j] < debt[j] {
            visit(j);
        }
    }
    if step_min.is_finite() || *min_health <= 1.0 {
        *min_health = min_health.min(step_min);
        return;
    }
    // All indebted accounts have H >= 1; find the exact minimum among those that could be
    // below the running minimum (the factor keeps the filter a superset despite rounding).
    let bound = *min_health * (1.0 + 1e-12);
    for (&d, &x) in debt.iter().zip(num) {
        if d > 0.0 && (x < bound * d || bound.is_infinite()) {
            *min_health = min_health.min(x / d);
        }
    }
}

/// `V_j = sum_i c[j][i] p[i]`.
fn collateral_value(coll: &[f64], n: usize, a: usize, j: usize, p: &[f64]) -> f64 {
    (0..a).map(|i| coll[i * n + j] * p[i]).sum()
}

/// Whether any account has `D_j > V_j` (debt at the market) after the step's
/// liquidations. When every `lt_i <= 1` and health is computed at the market prices `p`,
/// an account that was not liquidatable has `V_j >= sum c p lt >= D_j`, so only this
/// step's liquidatable accounts need checking: `liquidatable` (those whose health was
/// computed, and those that acted) and, in the pruned scan, the sure accounts of
/// `screen`'s census that did not act; of those, an underwater one has
/// `H = sum c p lt / D < max lt` (up to rounding), so only the ones whose lower bound of
/// `H` is below that are. Otherwise (with oracles, `oracles_on`) all accounts are checked.
#[allow(clippy::too_many_arguments)]
fn any_underwater<'a>(
    debt: &[f64],
    owed: &[f64],
    coll: &[f64],
    p: &[f64],
    lt: &[f64],
    mut liquidatable: impl Iterator<Item = &'a u32>,
    screen: Option<&Screen>,
    oracles_on: bool,
) -> bool {
    let (n, a) = (debt.len(), p.len());
    let underwater = |j: usize| {
        debt[j] > 0.0 && owed::at_market(debt, owed, j, p) > collateral_value(coll, n, a, j, p)
    };
    if !oracles_on && lt.iter().all(|&x| x <= 1.0) {
        let top = lt.iter().fold(0.0, |x: f64, &y| x.max(y)) * (1.0 + 1e-9);
        liquidatable.any(|&j| underwater(j as usize))
            || screen.is_some_and(|s| s.any_sure(top, |j| underwater(j as usize)))
    } else {
        (0..n).any(underwater)
    }
}

/// Book-wide debt and collateral value at prices `p`.
fn aggregate(debt: &[f64], owed: &[f64], coll: &[f64], a: usize, p: &[f64]) -> StepAggregate {
    let n = debt.len();
    StepAggregate {
        debt: (0..n).map(|j| owed::at_market(debt, owed, j, p)).sum(),
        collateral_value: (0..n).map(|j| collateral_value(coll, n, a, j, p)).sum(),
        ..StepAggregate::default()
    }
}

/// The bonus at which the liquidity gate admits a seizure when one unit of oracle value is
/// worth `scale = p / o` at the market: the liquidator's margin
/// `S scale (1 - s) - S (1 - bonus)` is positive exactly when `s < 1 - (1 - bonus) / scale`.
/// Without an oracle (`scale == 1`) it is `bonus` itself, bit for bit (rule 4).
fn gate_bonus(bonus: f64, scale: f64) -> f64 {
    if scale == 1.0 {
        bonus
    } else {
        1.0 - (1.0 - bonus) / scale
    }
}

/// Liquidatable accounts with collateral that no liquidator took at one step, by reason.
#[derive(Debug, Clone, Copy, Default)]
struct Blocked {
    liquidity: u64,
    capacity: u64,
    outage: u64,
    gas: u64,
}

impl Blocked {
    fn add_to(self, summary: &mut PathSummary) {
        summary.blocked_liquidity += self.liquidity;
        summary.blocked_capacity += self.capacity;
        summary.blocked_outage += self.outage;
        summary.blocked_gas += self.gas;
    }
}

/// The liquidity gate of one asset at one step.
#[derive(Debug, Clone, Copy)]
struct Gate {
    /// Effective depth: the asset's depth times the step's liquidity factor.
    depth: f64,
    impact: f64,
}

impl Gate {
    /// Rule 4: `s = min(1, impact * sqrt((Q + S) / depth))`. Non-decreasing in `Q` and in
    /// `S`: every operation is monotone under round-to-nearest.
    fn slippage(&self, q: f64, seized: f64) -> f64 {
        (self.impact * ((q + seized) / self.depth).sqrt()).min(1.0)
    }

    /// Which seizures the gate admits at `Q = q` (`s < bonus`). Since the slippage is
    /// non-decreasing in `S`, the admitted seizures are those below some threshold; it is
    /// bracketed by `lo` (admitted) and `hi` (refused) around its real-number value
    /// `depth (bonus / impact)^2 - q`, so that all but a sliver of seizures are decided
    /// by one comparison and the rest by the exact rule.
    fn admission(self, q: f64, bonus: f64) -> Admission {
        let passes = |s: f64| self.slippage(q, s) < bonus;
        let guess = self.depth * (bonus / self.impact).powi(2) - q;
        let (lo, hi) = if !passes(0.0) {
            (f64::NEG_INFINITY, 0.0) // Nothing is admitted.
        } else if passes(f64::MAX) {
            (f64::INFINITY, f64::INFINITY) // Everything is admitted.
        } else if !guess.is_finite() {
            (0.0, f64::INFINITY) // No bracket: decide every seizure exactly.
        } else {
            let mut width = 1e-12;
            loop {
                let (lo, hi) = (guess * (1.0 - width), guess * (1.0 + width));
                if lo > 0.0 && passes(lo) && !passes(hi) {
                    break (lo, hi);
                }
                if width > 0.5 {
                    break (0.0, f64::MAX); // Decide every seizure exactly.
                }
                width *= 1024.0;
            }
        };
        Admission {
            gate: self,
            q,
            bonus,
            lo,
            hi,
        }
    }

    /// A value `L` such that the gate refuses every seizure `S` with `Q + S >= L` (`+inf`
    /// when it refuses none for that reason): the real-number threshold `depth (bonus /
    /// impact)^2` raised by `1e-9`, far above the few roundings of rule 4's
    /// `impact sqrt((Q + S) / depth)`, which is then at least `bonus (1 + 4e-10)`.
    fn refused_above(self, bonus: f64) -> f64 {
        if bonus > 1.0 {
            return f64::INFINITY; // The slippage is at most 1.
        }
        let limit = self.depth * (bonus / self.impact).powi(2) * (1.0 + 1e-9);
        if limit.is_finite() {
            limit
        } else {
            f64::INFINITY
        }
    }
}

/// The gate's decision at a fixed `Q`: seizures `<= lo` pass, `>= hi` fail, and those in
/// between are decided by the exact rule.
#[derive(Debug, Clone, Copy)]
struct Admission {
    gate: Gate,
    q: f64,
    bonus: f64,
    lo: f64,
    hi: f64,
}

impl Admission {
    #[inline]
    fn admits(&self, seized: f64) -> bool {
        seized <= self.lo || (seized < self.hi && self.gate.slippage(self.q, seized) < self.bonus)
    }
}

/// What rule 3 would do to an account at this step: seize `seized` (the capped value),
/// wholly or not (the repayment follows, [`Planned::repaid`]). It depends only on the
/// account's state at the start of the step, since an account is liquidated at most once
/// per step.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Planned {
    pub(crate) seized: f64,
    pub(crate) full: bool,
}

impl Planned {
    /// Rule 3: `R = close_factor * D`, `S = R (1 + bonus)`, capped by the holding value
    /// `held` (strictly less than `S`: full seizure; point 1).
    fn new(held: f64, debt: f64, close_factor: f64, bonus: f64) -> Self {
        let seized = close_factor * debt * (1.0 + bonus);
        let full = held < seized;
        Self {
            seized: if full { held } else { seized },
            full,
        }
    }

    /// Rule 3's repayment for an account with debt `debt` at the start of the step:
    /// `R = close_factor * D`, or `R = S / (1 + bonus)` for a full seizure.
    fn repaid(self, debt: f64, close_factor: f64, bonus: f64) -> f64 {
        if self.full {
            self.seized / (1.0 + bonus)
        } else {
            close_factor * debt
        }
    }
}

/// Puts each liquidatable account of a step into its seized asset's queue (rule 3's asset
/// choice and plan), unless the gate refuses it outright, or among the accounts without
/// collateral.
struct Intake<'s> {
    /// The prices the protocol sees.
    p: &'s [f64],
    /// The step.
    t: u32,
    /// First step each account was liquidatable with collateral.
    first_liquidatable: &'s mut [u32],
    /// Liquidatable accounts with collateral taken at this step.
    with_collateral: u64,
    /// A rule-set other than `lending-v1`, the policy's `lt` per asset, and where each
    /// account's terms under it go.
    rules: Option<(RuleSet, &'s [f64], &'s mut [LiquidationTerms])>,
    /// The e-mode category and each account's membership.
    emode: Option<(&'s EMode, &'s [bool])>,
    /// Reputation tiers, whose adjusting tiers replace the (bonus, lt) of their accounts.
    tiers: Option<&'s Tiers<'s>>,
    close_factor: f64,
    bonus: &'s [f64],
    /// Admission at `Q = 0` per asset (pruned walk with liquidity on), else `None`.
    admission: &'s [Option<Admission>],
    members: &'s mut [Vec<Member>],
    touched: &'s mut Vec<u32>,
}

impl Intake<'_> {
    /// Takes account `j` with health `h`, debt `d` and collateral `c(i)` of asset `i`.
    #[inline]
    fn take(&mut self, j: u32, h: f64, d: f64, c: impl Fn(usize) -> f64) {
        let Some((k, held)) = seized_asset(self.p, c) else {
            self.touched.push(j); // No collateral at all (precise point 2).
            return;
        };
        self.with_collateral += 1;
        let first = &mut self.first_liquidatable[j as usize];
        if *first == u32::MAX {
            *first = self.t;
        }
        let (close_factor, bonus) = match &mut self.rules {
            Some((rules, lt, terms)) => {
                let (bonus, lt) = match self.emode {
                    Some((e, member)) if member[j as usize] => (e.bonus, e.lt),
                    _ => (self.bonus[k], lt[k]),
                };
                let (bonus, lt) = self
                    .tiers
                    .map_or((bonus, lt), |r| r.terms(j as usize, k, bonus, lt));
                let t = rules.terms(h, d, held, self.close_factor, bonus, lt);
                terms[j as usize] = t;
                (t.close_factor, t.bonus)
            }
            None => (self.close_factor, self.bonus[k]),
        };
        let plan = Planned::new(held, d, close_factor, bonus);
        if self.admission[k].is_none_or(|adm| adm.admits(plan.seized)) {
            self.members[k].push(Member::new(h, j, plan));
        }
    }
}

/// Rule 3's asset choice at prices `p` for holdings `c(i)`: the asset of the largest
/// holding value `c(i) p_i` (ties to the lowest index) and that value, `None` without
/// collateral.
pub(crate) fn seized_asset(p: &[f64], c: impl Fn(usize) -> f64) -> Option<(usize, f64)> {
    let mut seized = None;
    let mut held = 0.0;
    for (i, &pi) in p.iter().enumerate() {
        let v = c(i) * pi;
        if v > held {
            held = v;
            seized = Some(i);
        }
    }
    seized.map(|k| (k, held))
}

/// One asset's liquidations at one step.
struct AssetWalk<'s> {
    k: usize,
    n: usize,
    /// The price the protocol values the asset at (the oracle's).
    price: f64,
    /// The market prices of every asset at this step.
    market: &'s [f64],
    /// Whether any asset has an oracle (else the protocol's prices are the market's).
    oracles_on: bool,
    /// Market value of one unit of oracle value, `p / o` (1 without an oracle).
    scale: f64,
    /// The bonus at which the gate admits: `bonus` without an oracle, else
    /// `1 - (1 - bonus) / scale` (the same margin `S scale (1 - s) - S (1 - bonus)`).
    bonus_eff: f64,
    /// [`Gate::refused_above`] at `bonus_eff` (`+inf` without a gate).
    refused_above: f64,
    /// The liquidators' frictions, if any.
    liquidators: Option<&'s LiquidatorSpec>,
    /// Liquidator capacity left at this step (USD, market value).
    capacity: &'s mut f64,
    /// Accounts held back at this step by gas or capacity.
    blocked: &'s mut Blocked,
    gas_blocked: &'s mut [bool],
    /// First step each account was liquidatable with collateral.
    first_liquidatable: &'s [u32],
    /// Each account's terms under a rule-set other than `lending-v1`.
    terms: Option<&'s [LiquidationTerms]>,
    /// Sum over liquidated accounts of steps from first liquidatable to first liquidated.
    time_to_liquidate: &'s mut f64,
    close_factor: f64,
    bonus: f64,
    gate: Option<Gate>,
    step_index: u32,
    /// `Q_k`: market value of the asset seized so far at this step.
    seized_value: f64,
    debt: &'s mut [f64],
    /// Owed quantities (empty without multi-asset debt, `crate::owed`).
    owed: &'s mut [f64],
    coll: &'s mut [f64],
    liquidated: &'s mut [bool],
    touched: &'s mut Vec<u32>,
    /// Accounts liquidated at this step.
    acted: &'s mut Vec<u32>,
    summary: &'s mut PathSummary,
    step: &'s mut StepAggregate,
    events: Option<&'s mut Vec<LiquidationEvent>>,
}

impl AssetWalk<'_> {
    /// The pruned walk: tries, in the exact worst-first order, the accounts of `members`
    /// (sorted worst first) and the sure accounts of `screen`'s census whose seized asset
    /// is this one, skipping sure accounts the gate refuses at the current `Q` (they stay
    /// refused for the rest of the step, and a refusal changes nothing). Sure accounts are
    /// checked lazily (exact health at the census's prices and thresholds `lt`) and kept
    /// in `pending` (worst last) until they come before every unchecked one. The screen's
    /// walk of this asset has been started ([`Screen::start_walk`]).
    fn lazy(
        &mut self,
        members: &[Member],
        pending: &mut Vec<Member>,
        screen: &mut Screen,
        lt: &[f64],
    ) {
        // Without oracles (the pruned scan's case) the protocol's prices are the market's.
        let (k, close_factor, bonus, price) = (self.k, self.close_factor, self.bonus, self.market);
        // A lower bound of rule 3's seizure for any account of this asset with at least
        // debt `d` and holdings between `low` and `high`: the same operations (monotone)
        // on smaller operands, its holding value being the largest of all its assets'.
        // None is of this asset (+inf) when even the largest holding value of the asset
        // is zero or below some other asset's least.
        let least = |d: f64, low: &[f64], high: &[f64]| {
            let held = low
                .iter()
                .zip(price)
                .fold(0.0, |x: f64, (&c, &p)| greater(x, c * p));
            let top = high[k] * price[k];
            if top > 0.0 && top >= held {
                lesser(close_factor * d * (1.0 + bonus), held)
            } else {
                f64::INFINITY
            }
        };
        // A seizure `min(close_factor D (1 + bonus), c_k p_k)` below `hi` needs `D` below
        // `hi / (close_factor (1 + bonus))` or `c_k` below `hi / p_k` (the margin covers the
        // roundings).
        let below = |hi: f64| SeizureBelow {
            debt: hi / (close_factor * (1.0 + bonus)) * (1.0 + 1e-9),
            holding: hi / price[k] * (1.0 + 1e-9),
        };
        pending.clear();
        let mut next = 0;
        let mut hi = self.refusal();
        // The frontier stays a valid bound when `hi` falls (its candidates are at or
        // before the current ones); it is refreshed only before a sure account is taken.
        let mut frontier = screen.frontier(hi, below(hi), &least);
        let mut fresh = true;
        loop {
            let bound = frontier.map_or(f64::INFINITY, |(b, _)| b);
            let best = match (members.get(next), pending.last()) {
                (Some(x), Some(y)) if y.rank() < x.rank() => Some((*y, false)),
                (Some(x), _) => Some((*x, true)),
                (None, y) => y.map(|y| (*y, false)),
            };
            match (best, frontier) {
                (Some((m, explicit)), _) if m.health() < bound => {
                    if explicit {
                        next += 1;
                    } else {
                        pending.pop();
                    }
                    // A seizure of at least `hi` is refused, which changes nothing.
                    if m.plan().seized < hi {
                        let before = self.seized_value;
                        self.try_act(&m);
                        if self.seized_value != before {
                            hi = self.refusal();
                            fresh = false;
                        }
                    }
                }
                _ if !fresh => {
                    frontier = screen.frontier(hi, below(hi), &least);
                    fresh = true;
                }
                (_, Some((_, c))) => {
                    let (j, health, d, c) = screen.materialize(c, price, lt);
                    if let Some((seized, held)) = seized_asset(&price[..c.len()], |i| c[i])
                        && seized == k
                    {
                        let plan = Planned::new(held, d, close_factor, bonus);
                        let m = Member::new(health, j, plan);
                        // Its place, searched from the worst end: it is usually near it.
                        let rank = m.rank();
                        let mut at = pending.len();
                        while at > 0 && pending[at - 1].rank() < rank {
                            at -= 1;
                        }
                        pending.insert(at, m);
                    }
                    frontier = screen.frontier(hi, below(hi), &least);
                }
                (_, None) => break,
            }
        }
    }

    /// A seizure the gate refuses at the current `Q`, close above the least one (`+inf`
    /// without a gate): by the slippage's monotony, every larger one is refused for the
    /// rest of the step.
    fn refusal(&self) -> f64 {
        (self.refused_above - self.seized_value).max(0.0)
    }

    /// The slippage a seizure of market value `market` pays now, if a liquidator acts:
    /// rule 4's `s < bonus` (`bonus_eff` with an oracle); with liquidators configured also
    /// without a gate (`s = 0`), and then a margin above the gas cost and capacity left.
    /// `debt_scale` is the market cost of one unit of debt the protocol values at its
    /// prices (1 for numeraire debt). `None` leaves the account liquidatable.
    fn decide(
        &mut self,
        j: usize,
        seized: f64,
        market: f64,
        bonus: f64,
        debt_scale: f64,
    ) -> Option<f64> {
        let s = self
            .gate
            .map_or(0.0, |g| g.slippage(self.seized_value, market));
        let bonus_eff = if self.terms.is_none() && debt_scale == 1.0 {
            self.bonus_eff
        } else {
            gate_bonus(bonus, self.scale / debt_scale)
        };
        let admitted = s < bonus_eff;
        if (self.gate.is_some() || self.liquidators.is_some()) && !admitted {
            return None; // Counted with the step's refusals at the gate.
        }
        if let Some(l) = self.liquidators {
            // lending-v1's margin, linearised as its rule 4: S (p/o) (1 - s) - S (1 - bonus),
            // the repayment bought at the market (`debt_scale`).
            let covers_gas = market * (1.0 - s) - seized * (1.0 - bonus) * debt_scale > l.gas;
            if l.gas > 0.0 && !covers_gas {
                self.blocked.gas += 1;
                self.gas_blocked[j] = true;
                return None;
            }
            if market > *self.capacity {
                self.blocked.capacity += 1;
                return None;
            }
            *self.capacity -= market;
        }
        Some(s)
    }

    /// Rule 4, then rule 3's effect if a liquidator acts.
    fn try_act(&mut self, member: &Member) {
        let Planned { seized, full } = member.plan();
        let j = member.account as usize;
        let (close_factor, bonus) = match self.terms {
            Some(terms) => (terms[j].close_factor, terms[j].bonus),
            None => (self.close_factor, self.bonus),
        };
        let market = seized * self.scale;
        // What one unit of debt at the protocol's prices costs at the market.
        let debt_scale = if self.owed.is_empty() || !self.oracles_on {
            1.0
        } else {
            owed::value(self.owed, self.n, j, self.market) / self.debt[j]
        };
        let Some(slippage) = self.decide(j, seized, market, bonus, debt_scale) else {
            return; // No liquidator acts: j stays liquidatable.
        };
        let repaid = member.plan().repaid(self.debt[j], close_factor, bonus);
        self.seized_value += market;
        let before = self.debt[j];
        self.debt[j] = (before - repaid).max(0.0);
        if !self.owed.is_empty() {
            owed::repay(self.owed, self.n, j, before, self.debt[j]);
        }
        let c = &mut self.coll[self.k * self.n + j];
        *c = if full {
            0.0
        } else {
            (*c - seized / self.price).max(0.0)
        };
        if *c == 0.0 {
            self.touched.push(j as u32); // Possibly no collateral left (rule 5).
        }
        self.acted.push(j as u32);
        if !self.liquidated[j] {
            self.liquidated[j] = true;
            self.summary.liquidated_accounts += 1;
            *self.time_to_liquidate += f64::from(self.step_index - self.first_liquidatable[j]);
        }
        let gas = self.liquidators.map_or(0.0, |l| l.gas);
        let summary = &mut *self.summary;
        summary.liquidations += 1;
        summary.repaid_debt += repaid;
        summary.seized_collateral += seized;
        summary.liquidation_penalty += seized - repaid;
        summary.slippage_cost += market * slippage;
        summary.liquidator_profit += market * (1.0 - slippage) - repaid * debt_scale - gas;
        summary.oracle_gap += seized - market - repaid * (1.0 - debt_scale);
        self.step.liquidations += 1;
        self.step.repaid_debt += repaid;
        self.step.seized_collateral += seized;
        if let Some(events) = self.events.as_deref_mut() {
            events.push(LiquidationEvent {
                step: self.step_index,
                account: j as u32,
                asset: self.k as u32,
                repaid,
                seized,
                slippage,
                full_seizure: full,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Every seizure with `Q + S >= refused_above` is refused by rule 4's exact test, and
    /// the bound is tight: a seizure a little below it is admitted.
    #[test]
    fn refused_above_bounds_the_exact_rule() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..20_000 {
            let gate = Gate {
                depth: 10f64.powf(rng.random_range(3.0..9.0)),
                impact: rng.random_range(0.1..3.0),
            };
            let bonus = rng.random_range(0.0..0.3);
            let limit = gate.refused_above(bonus);
            let q = limit * rng.random_range(0.0..1.2);
            let refused = (limit - q).max(0.0);
            for s in [
                refused,
                refused * (1.0 + 1e-15),
                refused * 1.001,
                refused + 1.0,
            ] {
                assert!(gate.slippage(q, s) >= bonus, "{gate:?} {bonus} {q} {s}");
            }
            let below = limit * (1.0 - 1e-8) - q;
            if below > 0.0 {
                assert!(
                    gate.slippage(q, below) < bonus,
                    "{gate:?} {bonus} {q} {below}"
                );
            }
        }
        let gate = Gate {
            depth: 1e6,
            impact: 1.0,
        };
        assert_eq!(gate.refused_above(1.5), f64::INFINITY); // Slippage is at most 1.
        assert_eq!(gate.refused_above(0.0), 0.0); // Nothing is admitted.
    }
}
