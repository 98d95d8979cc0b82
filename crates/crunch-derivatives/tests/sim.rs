//! Hand-computed step-by-step fixtures of the path simulation: partial liquidation,
//! insurance fund, socialised loss, bad debt, option settlement, funding, isolated units.

mod common;

use common::{account, asset, book, cross, isolated, market, path};
use crunch_derivatives::{DerivOptions, DerivOutcome, OptionKind, Position, simulate_deriv_path};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn run(
    accounts: Vec<crunch_derivatives::Account>,
    mode: crunch_derivatives::MarginMode<'_>,
    rows: &[&[f64]],
    options: DerivOptions,
) -> DerivOutcome {
    let m = market(vec![asset("ETH")], 1.0 / 365.0);
    simulate_deriv_path(&m, &book(accounts), &mode, &path(rows), &options).unwrap()
}

#[test]
fn partial_liquidation_restores_the_requirement_exactly() {
    // Cross margin, initial 20 %, maintenance 10 % of the perpetual notional, penalty 1 %.
    // a: long 10 at 100, collateral 100; b: short 10 at 100, collateral 1000.
    // Step 0 at 100: a has equity 100 = maintenance 100 (not below): no liquidation.
    //   initial 200 + 200, maintenance 100 + 100, notional 2000, efficiency 2000 / 400 = 5,
    //   idle collateral max(0, 100 - 200) + (1000 - 200) = 800.
    // Step 1 at 92: a's equity 100 - 80 = 20 < 92. Closing f costs 1 % of 920 f:
    //   20 - 9.2 f = (1 - f) 92  =>  f = 72 / 82.8; a keeps (1 - f) 10 perps and equity
    //   (1 - f) 92, exactly the maintenance of what is left. b: 1000 + 80 >= 92.
    // Step 2 at 92: nothing moves; a sits at its requirement and is not liquidated again.
    let options = DerivOptions {
        penalty: 0.01,
        timeseries: true,
        events: true,
        ..DerivOptions::default()
    };
    let out = run(
        vec![
            account("a", 100.0, vec![Position::perp(0, 10.0, 100.0)]),
            account("b", 1_000.0, vec![Position::perp(0, -10.0, 100.0)]),
        ],
        cross(0.2, 0.1),
        &[&[100.0], &[92.0], &[92.0]],
        options,
    );
    let s = &out.summary;
    assert_eq!(out.mode, "cross");
    assert_eq!(
        (
            s.initial_requirement,
            s.maintenance_requirement,
            s.gross_notional
        ),
        (400.0, 200.0, 2_000.0)
    );
    assert_eq!((s.initial_equity, s.idle_collateral), (1_100.0, 800.0));
    assert_eq!(s.capital_efficiency, Some(5.0));
    let f = 72.0 / 82.8;
    assert_eq!(s.liquidations, 1);
    assert_eq!(out.events.len(), 1);
    let e = &out.events[0];
    assert_eq!((e.step, e.unit.as_str()), (1, "a"));
    assert!((e.liquidation.fraction - f).abs() < 1e-15);
    assert_eq!(e.liquidation.deficit, 0.0);
    assert!(close(s.closed_notional, 920.0 * f));
    assert!(close(s.liquidation_penalty, 9.2 * f));
    assert!(close(s.insurance_fund, 9.2 * f));
    assert_eq!(
        (s.slippage_cost, s.insurance_paid, s.bad_debt),
        (0.0, 0.0, 0.0)
    );
    // Step 2, before liquidations: a's equity (1 - f) 92 equals its maintenance.
    let s2 = out.steps[2];
    assert!(close(s2.maintenance_requirement, (1.0 - f) * 92.0 + 92.0));
    assert!(close(s2.equity, (1.0 - f) * 92.0 + 1_080.0));
    assert_eq!(s2.liquidations, 0);
    assert!(close(s.final_equity, (1.0 - f) * 92.0 + 1_080.0));
    // Mean efficiency: the initial requirement is 20 % of the notional at every step
    // (2000, 1840, 920 (1 - f) + 920), so the ratio of the sums is 5.
    assert!(close(s.mean_capital_efficiency.unwrap(), 5.0));
}

#[test]
fn a_buffer_liquidates_past_the_requirement() {
    // Account a of the first test alone, with a buffer of 0.5: at 92 the target is
    // 1.5 * 92 = 138, so 20 - 9.2 f = (1 - f) 138  =>  f = 118 / 128.8, and a keeps equity
    // (1 - f) 138, half again the maintenance of what is left.
    let options = DerivOptions {
        penalty: 0.01,
        liquidation_buffer: 0.5,
        events: true,
        ..DerivOptions::default()
    };
    let out = run(
        vec![account("a", 100.0, vec![Position::perp(0, 10.0, 100.0)])],
        cross(0.2, 0.1),
        &[&[100.0], &[92.0]],
        options,
    );
    let f = 118.0 / 128.8;
    assert!((out.events[0].liquidation.fraction - f).abs() < 1e-15);
    assert!(close(out.summary.final_equity, (1.0 - f) * 138.0));
}

/// a: long `size` at 100 with `collateral`; b: short 10 and c: short 5, rich. Maintenance
/// 4 %, penalty 1 %; the price falls from 100 to 90 in one step.
fn crash(size: f64, collateral: f64, fund: f64) -> DerivOutcome {
    let options = DerivOptions {
        penalty: 0.01,
        insurance_fund: fund,
        timeseries: true,
        ..DerivOptions::default()
    };
    run(
        vec![
            account("a", collateral, vec![Position::perp(0, size, 100.0)]),
            account("b", 1_000.0, vec![Position::perp(0, -10.0, 100.0)]),
            account("c", 500.0, vec![Position::perp(0, -5.0, 100.0)]),
        ],
        cross(0.05, 0.04),
        &[&[100.0], &[90.0]],
        options,
    )
}

#[test]
fn insurance_fund_absorbs_a_deficit() {
    // a: long 10, collateral 50 (maintenance 40 at step 0). At 90 its equity is
    // 50 - 100 = -50: everything is closed (notional 900), no penalty (nothing left to pay
    // it from), deficit 50, paid by the fund of 100: 50 left, drawdown 50, not depleted.
    // Book equity: 1550 at step 0; after, a 0, b 1100, c 550.
    let s = crash(10.0, 50.0, 100.0).summary;
    assert_eq!(s.liquidations, 1);
    assert_eq!(s.closed_notional, 900.0);
    assert_eq!(s.liquidation_penalty, 0.0);
    assert_eq!((s.insurance_paid, s.insurance_fund), (50.0, 50.0));
    assert_eq!(
        (s.insurance_drawdown, s.insurance_depletion_step),
        (50.0, None)
    );
    assert_eq!((s.socialised_loss, s.bad_debt), (0.0, 0.0));
    // 1550 at step 0, +50 of net price P&L (the book is net short 5), +50 from the fund.
    assert_eq!(s.initial_equity, 1_550.0);
    assert_eq!(s.final_equity, 1_650.0);
}

#[test]
fn socialised_loss_beyond_the_fund() {
    // a: long 30, collateral 200 (maintenance 120 at step 0). At 90: equity 200 - 300 =
    // -100. The fund of 20 pays 20 and is depleted at step 1; 80 is socialised over the
    // winners' P&L, b +100 and c +50: haircuts 80 * 100 / 150 and 80 * 50 / 150.
    let out = crash(30.0, 200.0, 20.0);
    let s = &out.summary;
    assert_eq!((s.insurance_paid, s.insurance_fund), (20.0, 0.0));
    assert_eq!(
        (s.insurance_drawdown, s.insurance_depletion_step),
        (20.0, Some(1))
    );
    assert!(close(s.socialised_loss, 80.0));
    assert_eq!(s.bad_debt, 0.0);
    // b: 1100 - 53.33..., c: 550 - 26.66...: together 1650 - 80.
    assert!(close(s.final_equity, 1_570.0));
    assert_eq!(out.steps[1].deficit, 100.0);
    assert!(close(out.steps[1].socialised_loss, 80.0));
}

#[test]
fn bad_debt_beyond_the_winners_gains() {
    // a: long 40, collateral 200 (maintenance 160). At 90: equity -200; no fund; the
    // winners' gains are 150 in all: all of it is taken and 50 is bad debt.
    let s = crash(40.0, 200.0, 0.0).summary;
    assert_eq!(s.insurance_depletion_step, Some(1));
    assert!(close(s.socialised_loss, 150.0));
    assert!(close(s.bad_debt, 50.0));
    // b and c keep their collateral: 1000 + 500.
    assert!(close(s.final_equity, 1_500.0));
}

#[test]
fn options_settle_at_expiry_and_funding_accrues() {
    // dt = 0.25 years. o: long 1 call K = 100 expiring at step 2 (0.5 years), collateral
    // 10. w: short 1 put K = 90 expiring at step 1, collateral 50. f: long 2 perps at 100
    // with funding 0.001 per step, collateral 1000. Prices 100, 110, 120.
    // Step 1: the put settles out of the money (0); f pays 2 * 110 * 0.001 = 0.22.
    // Step 2: the call settles at 120 - 100 = 20 into o's collateral (30); f pays 0.24.
    // End: o 30, w 50, f 1000 - 0.46 + 2 * 20.
    let m = market(vec![asset("ETH")], 0.25);
    let b = book(vec![
        account(
            "o",
            10.0,
            vec![Position::option(0, 1.0, OptionKind::Call, 100.0, 0.5, 10.0)],
        ),
        account(
            "w",
            50.0,
            vec![Position::option(0, -1.0, OptionKind::Put, 90.0, 0.25, 5.0)],
        ),
        account(
            "f",
            1_000.0,
            vec![Position::perp(0, 2.0, 100.0).with_funding(1e-3)],
        ),
    ]);
    let options = DerivOptions {
        timeseries: true,
        ..DerivOptions::default()
    };
    let p = path(&[&[100.0], &[110.0], &[120.0]]);
    let out = simulate_deriv_path(&m, &b, &cross(0.2, 0.1), &p, &options).unwrap();
    let s = &out.summary;
    assert_eq!(s.liquidations, 0);
    assert_eq!(s.settlement, 20.0);
    assert!(close(s.funding, -0.46));
    assert!(close(s.final_equity, 30.0 + 50.0 + 1_000.0 - 0.46 + 40.0));
    // Step 2 before liquidations: only the perpetual is left (notional 2 * 120).
    assert_eq!(out.steps[2].gross_notional, 240.0);
    assert!(close(out.steps[2].equity, s.final_equity));
    // Step 0: notional 100 + 100 + 200.
    assert_eq!(out.steps[0].gross_notional, 400.0);
}

#[test]
fn isolated_units_are_liquidated_where_cross_margin_is_not() {
    // Two assets at 100. One account, collateral 30: long 1 ETH perp and short 1 BTC perp,
    // both at 100. Isolated: the 30 is split by initial requirement (20 % of 100 each): 15
    // and 15. Both prices fall to 90: the long unit has 15 - 10 = 5 < 9 (10 % of 90), the
    // short one 25. No penalty: 5 = (1 - f) 9 gives f = 4/9. Cross: 30 against 18: safe.
    let m = market(vec![asset("ETH"), asset("BTC")], 1.0 / 365.0);
    let b = book(vec![account(
        "a",
        30.0,
        vec![
            Position::perp(0, 1.0, 100.0),
            Position::perp(1, -1.0, 100.0),
        ],
    )]);
    let p = path(&[&[100.0, 100.0], &[90.0, 90.0]]);
    let o = DerivOptions {
        events: true,
        ..DerivOptions::default()
    };
    let iso = simulate_deriv_path(&m, &b, &isolated(0.2, 0.1), &p, &o).unwrap();
    let crs = simulate_deriv_path(&m, &b, &cross(0.2, 0.1), &p, &o).unwrap();
    assert_eq!(iso.mode, "isolated");
    assert_eq!(iso.summary.liquidations, 1);
    assert_eq!(iso.events[0].unit, "a.positions[0]");
    assert!((iso.events[0].liquidation.fraction - 4.0 / 9.0).abs() < 1e-15);
    assert!(close(iso.summary.closed_notional, 90.0 * 4.0 / 9.0));
    assert_eq!(crs.summary.liquidations, 0);
    // Same book, same requirements at step 0 (20 + 20 and 10 + 10), same equity.
    assert_eq!(
        (
            iso.summary.initial_requirement,
            iso.summary.maintenance_requirement
        ),
        (40.0, 20.0)
    );
    assert_eq!(
        (
            crs.summary.initial_requirement,
            crs.summary.maintenance_requirement
        ),
        (40.0, 20.0)
    );
    assert_eq!(iso.summary.final_equity, 30.0);
    assert_eq!(crs.summary.final_equity, 30.0);
}

#[test]
fn a_loaded_option_settles_at_its_expiry_step() {
    // expiry_step 3 at dt = 1/365: the option is there at step 2 and settled at step 3
    // (the loader's expiry, 3 dt, is the simulation's clock at step 3, bit for bit).
    let m = market(vec![asset("ETH")], 1.0 / 365.0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("book.csv");
    std::fs::write(
        &file,
        "account,kind,asset,size,strike,expiry_step,premium\n\
         a,collateral,,100,,,\n\
         a,call,ETH,1,95,3,6\n",
    )
    .unwrap();
    let b = crunch_derivatives::load_deriv_book(&file, &m).unwrap();
    let p = path(&[&[100.0], &[101.0], &[102.0], &[103.0], &[104.0]]);
    let options = DerivOptions {
        timeseries: true,
        ..DerivOptions::default()
    };
    let out = simulate_deriv_path(&m, &b, &cross(0.2, 0.1), &p, &options).unwrap();
    assert_eq!(out.steps[2].gross_notional, 102.0);
    assert_eq!(out.steps[3].gross_notional, 0.0);
    assert_eq!(out.summary.settlement, 103.0 - 95.0);
    assert_eq!(out.summary.final_equity, 108.0);
}

#[test]
fn bad_inputs_are_refused_with_their_step_and_place() {
    let m = market(vec![asset("ETH")], 1.0 / 365.0);
    let b = book(vec![account(
        "a",
        100.0,
        vec![Position::perp(0, 1.0, 100.0)],
    )]);
    let o = DerivOptions::default();
    let err = |p: &crunch_core::PricePath, b: &crunch_derivatives::DerivBook, o: &DerivOptions| {
        simulate_deriv_path(&m, b, &cross(0.2, 0.1), p, o)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(&path(&[&[100.0], &[90.0], &[0.0]]), &b, &o),
        "step 2: `prices[0]` = 0: must be finite and > 0"
    );
    assert_eq!(
        err(&path(&[&[100.0, 1.0]]), &b, &o),
        "path assets against market assets: lengths differ (2 against 1)"
    );
    let far = book(vec![account("z", 0.0, vec![Position::perp(1, 1.0, 1.0)])]);
    assert_eq!(
        err(&path(&[&[100.0]]), &far, &o),
        "step 0: accounts[z].positions[0]: asset 1 does not exist (the market has 1 assets)"
    );
    let o = DerivOptions { penalty: 1.5, ..o };
    assert_eq!(
        err(&path(&[&[100.0]]), &b, &o),
        "`penalty` = 1.5: must be in [0, 1]"
    );
}

#[test]
fn a_gain_is_clawed_back_only_once() {
    // ETH and BTC at 100; no fund; maintenance 4 %. a1: long 30 ETH, collateral 200;
    // a2: long 30 BTC, collateral 200; b: short 10 ETH, collateral 1000.
    // Step 1, ETH 90: a1 at -100, all of it taken from b's +100. Step 2, BTC 90: a2 at
    // -100; b's P&L is still +100 but was clawed back already: 100 of bad debt, and b
    // ends with its 1000.
    let m = market(vec![asset("ETH"), asset("BTC")], 1.0 / 365.0);
    let b = book(vec![
        account("a1", 200.0, vec![Position::perp(0, 30.0, 100.0)]),
        account("a2", 200.0, vec![Position::perp(1, 30.0, 100.0)]),
        account("b", 1_000.0, vec![Position::perp(0, -10.0, 100.0)]),
    ]);
    let p = path(&[&[100.0, 100.0], &[90.0, 100.0], &[90.0, 90.0]]);
    let o = DerivOptions {
        timeseries: true,
        ..DerivOptions::default()
    };
    let out = simulate_deriv_path(&m, &b, &cross(0.05, 0.04), &p, &o).unwrap();
    assert_eq!(
        (out.steps[1].socialised_loss, out.steps[1].bad_debt),
        (100.0, 0.0)
    );
    assert_eq!(
        (out.steps[2].socialised_loss, out.steps[2].bad_debt),
        (0.0, 100.0)
    );
    assert_eq!(out.summary.final_equity, 1_000.0);
}
