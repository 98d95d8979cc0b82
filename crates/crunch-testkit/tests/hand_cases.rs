//! Hand-computed cases for the reference model itself. Every expected number is derived
//! in the comments from `docs/lending-v1.md`.

use crunch_core::{LiquidationEvent, StepAggregate};
use crunch_testkit::build::{book, market, moving, numeraire, path};
use crunch_testkit::{
    ReferenceAssetTerms, ReferenceOutcome, ReferenceTerms, assert_close, reference_lending_v1,
};

const REL: f64 = 1e-12;

/// ETH (index 0) with the given terms, USDC (index 1) without terms.
fn eth_terms(lt: f64, bonus: f64, close_factor: f64) -> ReferenceTerms {
    let mut t = ReferenceTerms::zeroed(2, close_factor);
    t.assets[0] = ReferenceAssetTerms {
        ltv: lt - 0.05,
        lt,
        bonus,
    };
    t
}

fn check_step(got: &StepAggregate, want: StepAggregate, t: usize) {
    assert_eq!(
        got.liquidations, want.liquidations,
        "steps[{t}].liquidations"
    );
    assert_close(got.debt, want.debt, REL, &format!("steps[{t}].debt"));
    assert_close(
        got.collateral_value,
        want.collateral_value,
        REL,
        &format!("steps[{t}].collateral_value"),
    );
    assert_close(
        got.repaid_debt,
        want.repaid_debt,
        REL,
        &format!("steps[{t}].repaid"),
    );
    assert_close(
        got.seized_collateral,
        want.seized_collateral,
        REL,
        &format!("steps[{t}].seized"),
    );
    assert_close(
        got.bad_debt_realised,
        want.bad_debt_realised,
        REL,
        &format!("steps[{t}].bad_debt_realised"),
    );
}

fn step(
    debt: f64,
    collateral_value: f64,
    liquidations: u64,
    repaid_debt: f64,
    seized_collateral: f64,
    bad_debt_realised: f64,
) -> StepAggregate {
    StepAggregate {
        debt,
        collateral_value,
        liquidations,
        repaid_debt,
        seized_collateral,
        bad_debt_realised,
    }
}

fn check_event(got: &LiquidationEvent, want: (u32, u32, u32, f64, f64, f64, bool)) {
    let (step, account, asset, repaid, seized, slippage, full) = want;
    assert_eq!(
        (got.step, got.account, got.asset, got.full_seizure),
        (step, account, asset, full),
        "{got:?}"
    );
    assert_close(got.repaid, repaid, REL, "event.repaid");
    assert_close(got.seized, seized, REL, "event.seized");
    assert_close(got.slippage, slippage, REL, "event.slippage");
}

fn check_steps(out: &ReferenceOutcome, want: &[StepAggregate]) {
    assert_eq!(out.steps.len(), want.len());
    for (t, (g, w)) in out.steps.iter().zip(want).enumerate() {
        check_step(g, *w, t);
    }
}

/// A partial seizure.
///
/// ETH: lt 0.8, bonus 0.05; close factor 0.5; no liquidity limit. Prices ETH 1000 -> 800.
/// Account 0: 10 ETH, debt 7000. Account 1: 500 USDC, no debt.
/// - t=0: H_0 = 10*1000*0.8/7000 = 8/7. V = 10000 + 500.
/// - t=1: H_0 = 6400/7000 = 0.9142857.. < 1. R = 0.5*7000 = 3500, S = 3500*1.05 = 3675;
///   the ETH holding is 8000 >= 3675, so partial: c = 10 - 3675/800 = 5.40625, D = 3500.
///   V = 5.40625*800 + 500 = 4825, D < V: no bad debt.
#[test]
fn partial_seizure() {
    let m = market(
        vec![moving("ETH", 1000.0, None, 0.0), numeraire("USDC")],
        0.0,
    );
    let b = book(2, &[(vec![10.0, 0.0], 7000.0), (vec![0.0, 500.0], 0.0)]);
    let p = path(&[vec![1000.0, 1.0], vec![800.0, 1.0]]);
    let out = reference_lending_v1(&m, &b, &eth_terms(0.8, 0.05, 0.5), &p).unwrap();

    let s = &out.summary;
    assert_eq!(s.liquidations, 1);
    assert_eq!(s.liquidated_accounts, 1);
    assert_eq!(s.insolvent_accounts, 0);
    assert_eq!(s.first_bad_debt_step, None);
    assert_eq!(s.bad_debt, 0.0);
    assert_close(s.repaid_debt, 3500.0, REL, "repaid");
    assert_close(s.seized_collateral, 3675.0, REL, "seized");
    assert_close(s.liquidation_penalty, 175.0, REL, "penalty");
    assert_eq!(s.slippage_cost, 0.0);
    assert_eq!(s.initial_debt, 7000.0);
    assert_eq!(s.initial_collateral, 10500.0);
    assert_close(s.capital_efficiency.unwrap(), 7000.0 / 10500.0, REL, "ce");
    assert_close(s.min_health.unwrap(), 6400.0 / 7000.0, REL, "min_health");

    check_steps(
        &out,
        &[
            step(7000.0, 10500.0, 0, 0.0, 0.0, 0.0),
            step(3500.0, 4825.0, 1, 3500.0, 3675.0, 0.0),
        ],
    );
    assert_eq!(out.events.len(), 1);
    check_event(&out.events[0], (1, 0, 0, 3500.0, 3675.0, 0.0, false));
}

/// A partial seizure, then a full seizure that realises bad debt.
///
/// ETH: lt 0.8, bonus 0.1; close factor 0.5. Prices ETH 1000 -> 500 -> 400.
/// One account: 1 ETH, debt 700.
/// - t=0: H = 800/700 = 8/7, V = 1000.
/// - t=1: H = 400/700 < 1. R = 350, S = 385 <= holding 500: partial, c = 1 - 385/500 = 0.23,
///   D = 350. V = 0.23*500 = 115 < D, so `first_bad_debt_step` = 1.
/// - t=2: H = 0.23*400*0.8/350 = 73.6/350 = 0.2102857... R = 175, S = 192.5, but the
///   holding is 0.23*400 = 92 < 192.5: full seizure, S = 92, R = 92/1.1 = 83.6363..,
///   c = 0, D = 350 - 83.6363.. = 266.3636..; rule 5 realises it as bad debt, D = 0.
/// - Totals: repaid 350 + 83.6363.., seized 477, penalty 35 + 8.3636..,
///   bad debt 266.3636.. (realised; nothing open at T), insolvent 1.
#[test]
fn full_seizure_realises_bad_debt() {
    let m = market(
        vec![moving("ETH", 1000.0, None, 0.0), numeraire("USDC")],
        0.0,
    );
    let b = book(2, &[(vec![1.0, 0.0], 700.0)]);
    let p = path(&[vec![1000.0, 1.0], vec![500.0, 1.0], vec![400.0, 1.0]]);
    let out = reference_lending_v1(&m, &b, &eth_terms(0.8, 0.1, 0.5), &p).unwrap();

    let r2 = 92.0 / 1.1;
    let bad = 350.0 - r2;
    let s = &out.summary;
    assert_eq!(s.liquidations, 2);
    assert_eq!(s.liquidated_accounts, 1);
    assert_eq!(s.insolvent_accounts, 1);
    assert_eq!(s.first_bad_debt_step, Some(1));
    assert_close(s.bad_debt, bad, REL, "bad_debt");
    assert_close(s.repaid_debt, 350.0 + r2, REL, "repaid");
    assert_close(s.seized_collateral, 477.0, REL, "seized");
    assert_close(s.liquidation_penalty, 35.0 + (92.0 - r2), REL, "penalty");
    assert_close(s.min_health.unwrap(), 73.6 / 350.0, REL, "min_health");
    assert_close(s.capital_efficiency.unwrap(), 0.7, REL, "ce");
    // Conservation: the initial debt is repaid or written off.
    assert_close(s.repaid_debt + s.bad_debt, 700.0, REL, "conservation");

    check_steps(
        &out,
        &[
            step(700.0, 1000.0, 0, 0.0, 0.0, 0.0),
            step(350.0, 115.0, 1, 350.0, 385.0, 0.0),
            step(0.0, 0.0, 1, r2, 92.0, bad),
        ],
    );
    assert_eq!(out.events.len(), 2);
    check_event(&out.events[0], (1, 0, 0, 350.0, 385.0, 0.0, false));
    check_event(&out.events[1], (2, 0, 0, r2, 92.0, 0.0, true));
}

/// Point 2: debt without collateral has H = 0, is no liquidation event, makes step 0 a
/// bad-debt step (D = 50 > V = 0) and is realised by rule 5 at step 1.
#[test]
fn debt_without_collateral_is_realised_at_step_one() {
    let m = market(
        vec![moving("ETH", 100.0, None, 0.0), numeraire("USDC")],
        0.0,
    );
    let b = book(2, &[(vec![0.0, 0.0], 50.0), (vec![1.0, 0.0], 10.0)]);
    let p = path(&[vec![100.0, 1.0], vec![120.0, 1.0], vec![90.0, 1.0]]);
    let out = reference_lending_v1(&m, &b, &eth_terms(0.8, 0.1, 0.5), &p).unwrap();
    let s = &out.summary;
    assert_eq!(s.liquidations, 0);
    assert!(out.events.is_empty());
    assert_eq!(s.first_bad_debt_step, Some(0));
    assert_eq!(s.min_health, Some(0.0));
    assert_eq!(s.bad_debt, 50.0);
    assert_eq!(s.insolvent_accounts, 1);
    check_steps(
        &out,
        &[
            step(60.0, 100.0, 0, 0.0, 0.0, 0.0),
            step(10.0, 120.0, 0, 0.0, 0.0, 50.0),
            step(10.0, 90.0, 0, 0.0, 0.0, 0.0),
        ],
    );
}

/// The liquidity gate: four accounts compete for ETH's depth at one step; the second
/// worst is blocked, the third (smaller) still acts, the fourth is blocked again.
///
/// ETH: lt 0.8, bonus 0.1, depth 10000, impact 1; close factor 0.5. ETH 100 -> 50.
/// A liquidation acts iff s = sqrt((Q + S)/10000) < 0.1, i.e. Q + S < 100.
/// At t=1, H = c*50*0.8/D = 40c/D and S = 0.5*D*1.1 = 0.55 D. In book order:
/// - acct 0 "C": c 1.05, D 60  -> H 0.7,  S 33
/// - acct 1 "E": c 1.05, D 50  -> H 0.84, S 27.5
/// - acct 2 "A": c 1,    D 80  -> H 0.5,  S 44
/// - acct 3 "B": c 1.8,  D 120 -> H 0.6,  S 66
///
/// Worst first: A (Q 0 + 44 = 44, acts, s = sqrt(0.0044)); B (44 + 66 = 110, blocked);
/// C (44 + 33 = 77, acts, s = sqrt(0.0077)); E (77 + 27.5 = 104.5, blocked).
/// All seizures are partial (holdings 50, 90, 52.5, 52.5 exceed S).
/// After: A c = 1 - 44/50 = 0.12, D 40; C c = 1.05 - 33/50 = 0.39, D 30; B, E unchanged.
/// - debt 40 + 30 + 120 + 50 = 240; collateral value 50*(0.39 + 1.05 + 0.12 + 1.8) = 168.
/// - at T = 1: D - V: C 30 - 19.5 = 10.5, E 50 - 52.5 < 0, A 40 - 6 = 34, B 120 - 90 = 30:
///   bad debt 74.5, insolvent 3, first bad-debt step 1 (step 0: every D < V).
/// - min health: step 0 values are 80c/D >= 1; step 1 minimum 0.5 (A).
#[test]
fn liquidity_gate_blocks_a_middle_account() {
    let m = market(
        vec![moving("ETH", 100.0, Some(10_000.0), 1.0), numeraire("USDC")],
        0.0,
    );
    let b = book(
        2,
        &[
            (vec![1.05, 0.0], 60.0),
            (vec![1.05, 0.0], 50.0),
            (vec![1.0, 0.0], 80.0),
            (vec![1.8, 0.0], 120.0),
        ],
    );
    let p = path(&[vec![100.0, 1.0], vec![50.0, 1.0]]);
    let out = reference_lending_v1(&m, &b, &eth_terms(0.8, 0.1, 0.5), &p).unwrap();

    let (s_a, s_c) = (0.0044f64.sqrt(), 0.0077f64.sqrt());
    assert_eq!(out.events.len(), 2);
    check_event(&out.events[0], (1, 2, 0, 40.0, 44.0, s_a, false));
    check_event(&out.events[1], (1, 0, 0, 30.0, 33.0, s_c, false));

    let s = &out.summary;
    assert_eq!(s.liquidations, 2);
    assert_eq!(s.liquidated_accounts, 2);
    assert_close(s.repaid_debt, 70.0, REL, "repaid");
    assert_close(s.seized_collateral, 77.0, REL, "seized");
    assert_close(s.liquidation_penalty, 7.0, REL, "penalty");
    assert_close(s.slippage_cost, 44.0 * s_a + 33.0 * s_c, REL, "slippage");
    assert_close(s.bad_debt, 74.5, REL, "bad_debt");
    assert_eq!(s.insolvent_accounts, 3);
    assert_eq!(s.first_bad_debt_step, Some(1));
    assert_close(s.min_health.unwrap(), 0.5, REL, "min_health");
    assert_close(s.initial_debt, 310.0, REL, "initial_debt");
    assert_close(s.initial_collateral, 490.0, REL, "initial_collateral");
    check_steps(
        &out,
        &[
            step(310.0, 490.0, 0, 0.0, 0.0, 0.0),
            step(240.0, 168.0, 2, 70.0, 77.0, 0.0),
        ],
    );
}

/// Price feedback lowers a later price enough to make a healthy account liquidatable.
///
/// ETH: lt 0.8, bonus 0.1, depth 10000, impact 1; close factor 1; phi 0.5.
/// Raw ETH path 100 -> 50 -> 50. Account 0: 1 ETH, D 80. Account 1: 1 ETH, D 39.5.
/// - t=1: H_0 = 40/80 = 0.5, H_1 = 40/39.5 = 1.0127 (healthy). Account 0: R = 80,
///   S = 88 > holding 50: full, S = 50, R = 50/1.1 = 45.4545.., s = sqrt(50/1e4) =
///   0.0707.. < 0.1 acts. Rule 5 realises 80 - 45.4545.. = 34.5454.. (bad step 1).
///   Feedback: s_ETH = sqrt(50/1e4), p[2][ETH] = 50 (1 - 0.5 sqrt(0.005)) = 48.2322..
/// - t=2: H_1 = 48.2322..*0.8/39.5 = 0.97685 < 1 (it would be 1.0127 without feedback).
///   R = 39.5, S = 43.45 <= 48.2322..: partial, s = sqrt(43.45/1e4) < 0.1 acts;
///   c_1 = 1 - 43.45/48.2322.., D_1 = 0.
#[test]
fn price_feedback_changes_a_later_health() {
    let assets = vec![moving("ETH", 100.0, Some(10_000.0), 1.0), numeraire("USDC")];
    let b = book(2, &[(vec![1.0, 0.0], 80.0), (vec![1.0, 0.0], 39.5)]);
    let p = path(&[vec![100.0, 1.0], vec![50.0, 1.0], vec![50.0, 1.0]]);
    let terms = eth_terms(0.8, 0.1, 1.0);
    let out = reference_lending_v1(&market(assets.clone(), 0.5), &b, &terms, &p).unwrap();

    let p2 = 50.0 * (1.0 - 0.5 * 0.005f64.sqrt());
    assert_close(out.prices.row(2)[0], p2, REL, "adjusted p[2]");
    assert_eq!(out.prices.row(1)[0], 50.0, "p[1] is not touched");
    assert_eq!(
        out.prices.row(2)[1],
        1.0,
        "USDC has no liquidity, no feedback"
    );

    let r1 = 50.0 / 1.1;
    assert_eq!(out.events.len(), 2);
    check_event(&out.events[0], (1, 0, 0, r1, 50.0, 0.005f64.sqrt(), true));
    check_event(
        &out.events[1],
        (2, 1, 0, 39.5, 43.45, (43.45f64 / 1e4).sqrt(), false),
    );
    let s = &out.summary;
    assert_close(s.bad_debt, 80.0 - r1, REL, "bad_debt");
    assert_eq!(s.insolvent_accounts, 1);
    assert_eq!(s.first_bad_debt_step, Some(1));
    assert_close(s.min_health.unwrap(), 0.5, REL, "min_health");
    assert_close(s.repaid_debt, r1 + 39.5, REL, "repaid");
    check_steps(
        &out,
        &[
            step(119.5, 200.0, 0, 0.0, 0.0, 0.0),
            step(39.5, 50.0, 1, r1, 50.0, 80.0 - r1),
            step(0.0, p2 - 43.45, 1, 39.5, 43.45, 0.0),
        ],
    );

    // Without feedback account 1 stays healthy at step 2.
    let flat = reference_lending_v1(&market(assets, 0.0), &b, &terms, &p).unwrap();
    assert_eq!(flat.events.len(), 1);
    assert_close(
        flat.summary.min_health.unwrap(),
        0.5,
        REL,
        "min_health without feedback",
    );
}

/// Point 10: `phi * s_k >= 1` is an error. With impact 20, one liquidation of S = 50 on a
/// depth of 1e4 has s = min(1, 20 sqrt(0.005)) = 1, and phi = 1 gives phi * s = 1.
#[test]
fn feedback_too_strong_is_an_error() {
    let m = market(
        vec![
            moving("ETH", 100.0, Some(10_000.0), 20.0),
            numeraire("USDC"),
        ],
        1.0,
    );
    let b = book(2, &[(vec![1.0, 0.0], 80.0)]);
    let p = path(&[vec![100.0, 1.0], vec![50.0, 1.0], vec![50.0, 1.0]]);
    // bonus 2 so that the gate s = 1 < 2 lets the liquidation act.
    let err = reference_lending_v1(&m, &b, &eth_terms(0.8, 2.0, 1.0), &p).unwrap_err();
    assert!(err.contains("step 1"), "{err}");
}
