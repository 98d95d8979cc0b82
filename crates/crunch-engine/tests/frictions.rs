//! Oracles, liquidator frictions and protocol rule-sets against hand-computed cases on
//! fixed price paths: a lagging oracle, a floor, an outage, gas, capacity, and the
//! liquidation sizes of Aave v3.3, Morpho Blue and Euler v2. Expected values are derived in
//! the comments. ETH: ltv 0.8, lt 0.825, bonus 0.05; close factor 0.5; debt in USDC.

mod common;

use common::{close, eth_path};
use crunch_core::{
    AssetSpec, Book, Comet, EMode, Frictions, Isolation, LiquidatorSpec, MarketSpec, OracleSpec,
    PathOutcome, PricePath, RuleSet, Window,
};
use crunch_engine::{RecordOptions, ScanMode, Scratch, SimOptions, simulate_path};
use crunch_policy::{AssetTerms, StaticLtv};

fn market(depth: Option<f64>) -> MarketSpec {
    let asset = |symbol: &str, price, sigma, depth| AssetSpec {
        symbol: String::from(symbol),
        price,
        sigma,
        mu: 0.0,
        depth,
        impact: 1.0,
    };
    MarketSpec {
        assets: vec![
            asset("ETH", 1000.0, 0.5, depth),
            asset("USDC", 1.0, 0.0, None),
        ],
        dt: 1.0 / 365.0,
        phi: 0.0,
    }
}

/// ETH prices by step; USDC is 1.
fn path(eth: &[f64]) -> PricePath {
    eth_path(eth, |x| [x, 1.0])
}

/// Accounts as (ETH held, USDC debt).
fn book(accounts: &[(f64, f64)]) -> Book {
    let mut b = Book::new(2);
    for (j, &(eth, debt)) in accounts.iter().enumerate() {
        b.push(j.to_string(), &[eth, 0.0], debt);
    }
    b
}

/// Runs the case with both scan modes (frictions switch to the reference scan, so they
/// must agree) and returns the outcome.
fn run(m: &MarketSpec, f: &Frictions, b: &Book, p: &PricePath) -> PathOutcome {
    let terms = AssetTerms {
        ltv: 0.8,
        lt: 0.825,
        bonus: 0.05,
    };
    let policy = StaticLtv::new("static", m, 0.5, &[("ETH".into(), terms)]).unwrap();
    let with = |scan| {
        let options = SimOptions {
            record: RecordOptions {
                timeseries: false,
                events: true,
                health_step: None,
            },
            scan,
        };
        let mut scratch = Scratch::new(b, p.steps());
        simulate_path(m, f, b, &policy, p, options, &mut scratch, 0, 0).unwrap()
    };
    let o = with(ScanMode::Pruned);
    assert_eq!(o, with(ScanMode::Exhaustive));
    o
}

fn oracle(spec: OracleSpec) -> Frictions {
    Frictions {
        oracles: vec![Some(spec), None],
        ..Frictions::default()
    }
}

fn liquidators(spec: LiquidatorSpec) -> Frictions {
    Frictions {
        liquidators: Some(spec),
        ..Frictions::default()
    }
}

/// One account, 1 ETH against 800 USDC; the market falls 1000, 900, 800.
/// Without an oracle: at step 1, `H = 900 * 0.825 / 800 = 0.928`: liquidated then.
/// With a 1-step lag the protocol sees 1000 at step 1 (`H = 1.031`, safe) and 900 at step 2
/// (`H = 0.928`): liquidated at step 2, valued at the oracle's 900 while the market pays
/// 800. `R = 400`, `S = 420` (oracle value) = 0.4667 ETH, worth `420 * 800 / 900 = 373.33`
/// at the market: the oracle gap is `420 - 373.33 = 46.67` and the liquidator, who acts
/// anyway without `[liquidators]`, loses `373.33 - 400 = -26.67`.
#[test]
fn a_lagging_oracle_liquidates_late_at_a_stale_price() {
    let (m, b, p) = (
        market(None),
        book(&[(1.0, 800.0)]),
        path(&[1000.0, 900.0, 800.0]),
    );
    let plain = run(&m, &Frictions::default(), &b, &p);
    assert_eq!(plain.events[0].step, 1);
    close(plain.summary.oracle_gap, 0.0);

    let lag = oracle(OracleSpec {
        lag: 1,
        ..OracleSpec::default()
    });
    let o = run(&m, &lag, &b, &p);
    assert_eq!(o.events.len(), 1);
    let e = o.events[0];
    assert_eq!(e.step, 2);
    close(e.repaid, 400.0);
    close(e.seized, 420.0);
    close(o.summary.oracle_gap, 420.0 - 420.0 * 800.0 / 900.0);
    close(o.summary.liquidator_profit, 420.0 * 800.0 / 900.0 - 400.0);
    // Liquidatable first at step 2, liquidated at step 2.
    assert_eq!(o.summary.mean_time_to_liquidate, Some(0.0));
    // min_health is the protocol's: 900 * 0.825 / 800 at step 2.
    close(o.summary.min_health.unwrap(), 900.0 * 0.825 / 800.0);

    // With liquidators who need a profit, nobody takes it: the margin
    // `S (p/o) - S (1 - bonus) = 373.33 - 399 < 0` (bonus_eff = 1 - 0.95 * 9/8 < 0).
    let picky = Frictions {
        liquidators: Some(LiquidatorSpec::default()),
        ..lag
    };
    let o = run(&m, &picky, &b, &p);
    assert!(o.events.is_empty());
    assert_eq!(o.summary.blocked_liquidity, 1);
    assert_eq!(o.summary.mean_time_to_liquidate, None);
}

/// A feed with a floor of 1000 stays at 1000 while the market falls to 700: the account
/// (1 ETH, 800 USDC) always has `H = 1000 * 0.825 / 800 = 1.031` to the protocol and is
/// never liquidated; at `T` its debt exceeds the market value by `800 - 700 = 100`.
#[test]
fn an_oracle_stuck_at_its_floor_liquidates_nothing_while_the_market_falls() {
    let (m, b, p) = (
        market(None),
        book(&[(1.0, 800.0)]),
        path(&[1000.0, 900.0, 800.0, 700.0]),
    );
    let floor = oracle(OracleSpec {
        floor: Some(1000.0),
        ..OracleSpec::default()
    });
    let o = run(&m, &floor, &b, &p);
    assert!(o.events.is_empty());
    close(o.summary.bad_debt, 100.0);
    assert_eq!(o.summary.first_bad_debt_step, Some(3));
    assert_eq!(o.summary.insolvent_accounts, 1);
    // The market alone liquidates at step 1.
    assert_eq!(run(&m, &Frictions::default(), &b, &p).events[0].step, 1);
}

/// An outage at step 1 holds the liquidation of the account (liquidatable from step 1,
/// `H = 0.928`) to step 2: one account-step blocked by the outage, one step to liquidate.
#[test]
fn an_outage_delays_liquidations() {
    let (m, b, p) = (
        market(None),
        book(&[(1.0, 800.0)]),
        path(&[1000.0, 900.0, 900.0]),
    );
    let out = liquidators(LiquidatorSpec {
        outages: vec![Window { start: 1, end: 1 }],
        ..LiquidatorSpec::default()
    });
    let o = run(&m, &out, &b, &p);
    assert_eq!(o.summary.blocked_outage, 1);
    assert_eq!(o.events.len(), 1);
    assert_eq!(o.events[0].step, 2);
    assert_eq!(o.summary.mean_time_to_liquidate, Some(1.0));
    // S (1 - s) - R = 420 - 400.
    close(o.summary.liquidator_profit, 20.0);
}

/// A small account, 0.01 ETH against 8 USDC: `S = 4 * 1.05 = 4.2`, the margin
/// `S - S (1 - 0.05) = 0.21` is below a gas cost of 0.5, so nobody liquidates it at
/// steps 1 and 2; at `T` (ETH 500) it owes 8 against 5 of collateral: 3 of dust bad debt.
/// The large account (1 ETH, 800 USDC) is liquidated at step 1 (margin 21 > 0.5).
#[test]
fn gas_leaves_dust_accounts_unliquidated_as_bad_debt() {
    let (m, p) = (market(None), path(&[1000.0, 900.0, 500.0]));
    let b = book(&[(0.01, 8.0), (1.0, 800.0)]);
    let gas = liquidators(LiquidatorSpec {
        gas: 0.5,
        ..LiquidatorSpec::default()
    });
    let o = run(&m, &gas, &b, &p);
    assert_eq!(o.summary.blocked_gas, 2);
    assert!(o.events.iter().all(|e| e.account == 1));
    close(o.summary.dust_bad_debt, 3.0);
    // The large account: liquidated at step 1 (R 400, S 420; profit 420 - 400 - 0.5) and
    // at step 2 (H = (1 - 0.42) 500 0.825 / 400 = 0.598; R = 200, S = 210; 19.5).
    assert_eq!(o.events.len(), 2);
    close(o.summary.liquidator_profit, 19.5 + 9.5);
}

/// Two identical accounts (1 ETH, 800 USDC) liquidatable at step 1 with `S = 420` of
/// market value each, and a capacity of 500 per step: the first (account order) is taken,
/// the second waits for step 2.
#[test]
fn capacity_limits_liquidations_per_step() {
    let (m, p) = (market(None), path(&[1000.0, 900.0, 900.0]));
    let b = book(&[(1.0, 800.0), (1.0, 800.0)]);
    let cap = liquidators(LiquidatorSpec {
        capacity: Some(500.0),
        ..LiquidatorSpec::default()
    });
    let o = run(&m, &cap, &b, &p);
    let steps: Vec<(u32, u32)> = o.events.iter().map(|e| (e.step, e.account)).collect();
    // Step 2: account 1 (H = 0.928) goes first and takes 420 of the 500; account 0, left
    // with 1 - 420/900 = 0.5333 ETH against 400 (H = 0.5333 * 900 * 0.825 / 400 = 0.99),
    // would need S = 210 but only 80 is left: blocked again.
    assert_eq!(steps, [(1, 0), (2, 1)]);
    assert_eq!(o.summary.blocked_capacity, 2);
    assert_eq!(o.summary.mean_time_to_liquidate, Some(0.5));
}

fn rules(rules: RuleSet) -> Frictions {
    Frictions {
        rules,
        ..Frictions::default()
    }
}

/// Aave v3.3 on 10 ETH against 8,000 USDC. At 940, `H = 9,400 * 0.825 / 8,000 = 0.969`:
/// above 0.95, half the debt (R 4,000, S 4,200). At 900 the next step, the account (5.532
/// ETH, 4,000 USDC) has `H = 4,978.7 * 0.825 / 4,000 = 1.027`: safe. Straight to 900
/// instead, `H = 0.928 <= 0.95`: the whole debt (R 8,000, S 8,400). A 1,500 USDC debt
/// (below 2,000 USD) at `H = 0.969` is closed whole too.
#[test]
fn aave_closes_whole_positions_below_095_or_2000_usd() {
    let aave = rules(RuleSet::AaveV33 {
        full_close_health: 0.95,
        full_close_below: 2000.0,
        min_leftover: 1000.0,
    });
    let m = market(None);
    let b = book(&[(10.0, 8000.0)]);
    let half = run(&m, &aave, &b, &path(&[1000.0, 940.0, 900.0]));
    assert_eq!(half.events.len(), 1);
    close(half.events[0].repaid, 4000.0);
    close(half.events[0].seized, 4200.0);
    let whole = run(&m, &aave, &b, &path(&[1000.0, 900.0]));
    close(whole.events[0].repaid, 8000.0);
    close(whole.events[0].seized, 8400.0);
    let small = run(
        &m,
        &aave,
        &book(&[(1.875, 1500.0)]),
        &path(&[1000.0, 940.0]),
    );
    close(small.events[0].repaid, 1500.0);
    close(small.events[0].seized, 1575.0);
    // lending-v1 repays half in every case.
    close(
        run(&m, &Frictions::default(), &b, &path(&[1000.0, 900.0])).events[0].repaid,
        4000.0,
    );
}

/// Morpho Blue: LLTV = lt = 0.825 gives the incentive `1 / (1 - 0.3 * 0.175) = 1.05541`;
/// 1 ETH against 800 at 900 (`H = 0.928`): the whole debt, `S = 800 * 1.05541 = 844.33`.
/// Euler v2: the discount is `1 - H = 0.071875`, `S = 800 / (1 - 0.071875) = 861.95`.
#[test]
fn morpho_and_euler_repay_the_whole_debt_at_their_incentives() {
    let (m, b, p) = (market(None), book(&[(1.0, 800.0)]), path(&[1000.0, 900.0]));
    let morpho = run(&m, &rules(RuleSet::MorphoBlue), &b, &p);
    close(morpho.events[0].repaid, 800.0);
    close(morpho.events[0].seized, 800.0 / (1.0 - 0.3 * 0.175));
    let euler = run(&m, &rules(RuleSet::EulerV2 { max_discount: 0.2 }), &b, &p);
    let h = 900.0 * 0.825 / 800.0;
    close(euler.events[0].repaid, 800.0);
    close(euler.events[0].seized, 800.0 / h);
    assert_eq!(euler.summary.bad_debt, 0.0);
}

/// An e-mode category of USDC alone (ltv 0.97, lt 0.975, bonus 1 %) on a market of ETH
/// and USDC, where the policy gives USDC no terms (`lt = 0`): an account with 1,000 USDC
/// against 800 is in the category and, with USDC at 0.85, has `H = 850 * 0.975 / 800 =
/// 1.036`: safe. At 0.80, `H = 0.975`: half its debt is repaid at the category's bonus,
/// `S = 400 * 1.01 = 404`. An account that also holds ETH is not in the category: its USDC
/// counts for nothing and it is liquidated on its ETH alone.
#[test]
fn an_emode_category_lends_and_liquidates_at_its_own_terms() {
    let m = market(None);
    let emode = Frictions {
        emode: Some(EMode {
            assets: vec![1],
            ltv: 0.97,
            lt: 0.975,
            bonus: 0.01,
        }),
        ..Frictions::default()
    };
    let usdc_path = |usdc: f64| {
        let mut p = PricePath::new(1, 2);
        p.row_mut(0).copy_from_slice(&[1000.0, 1.0]);
        p.row_mut(1).copy_from_slice(&[1000.0, usdc]);
        p
    };
    let mut b = Book::new(2);
    b.push("in".into(), &[0.0, 1000.0], 800.0);
    b.push("mixed".into(), &[1.0, 1000.0], 800.0);
    let safe = run(&m, &emode, &b, &usdc_path(0.85));
    // The mixed account is safe on its ETH alone: 1,000 * 0.825 = 825 > 800.
    assert!(safe.events.is_empty());
    // Borrowing power at step 0: 1,000 * 0.97 for the member, 1,000 * 0.8 for the other.
    close(safe.summary.initial_borrowing_power, 970.0 + 800.0);
    let dip = run(&m, &emode, &b, &usdc_path(0.80));
    assert_eq!(dip.events.len(), 1);
    let e = dip.events[0];
    assert_eq!((e.account, e.asset), (0, 1));
    close(e.repaid, 400.0);
    close(e.seized, 404.0);
    // Without the category the member's USDC counts for nothing: H = 0, liquidated at once
    // (the seized asset is still USDC, the largest holding, at the policy's zero bonus).
    let plain = run(&m, &Frictions::default(), &b, &usdc_path(0.85));
    assert!(plain.events.iter().any(|e| e.account == 0));
}

fn compound(reserves: f64, target_reserves: f64) -> Frictions {
    Frictions {
        rules: RuleSet::CompoundV3(Comet {
            liquidation_factor: 0.93,
            store_front_factor: 0.5,
            target_reserves,
            reserves,
        }),
        ..Frictions::default()
    }
}

/// Compound v3, liquidation factor 0.93 and store-front factor 0.5 (a discount of
/// `0.5 * 0.07 = 0.035`); 1 ETH against 800 USDC, ETH at 1000 then 900.
/// - Step 1: `H = 900 * 0.825 / 800 = 0.928`: absorbed whole. Credit `0.93 * 900 = 837`
///   exceeds the debt: 37 goes back to the borrower, the penalty is `900 - 837 = 63`,
///   the debt repaid 800, no bad debt.
/// - With reserves (0) below target and no gate, buyers take the ETH at
///   `900 * 0.965 = 868.5`: their profit is `900 - 868.5 = 31.5`.
/// - With reserves of 10,000 against a target of 1,000 nothing is for sale (reserves
///   after the absorption, `10,000 - 837`, are above target): no profit.
/// - Under water (ETH at 700): credit 651 < 800; repaid is what the collateral covers
///   (700), penalty 0, and 100 of bad debt is realised at the step.
#[test]
fn compound_v3_absorbs_whole_accounts_and_sells_at_the_store_front() {
    let (m, b) = (market(None), book(&[(1.0, 800.0)]));
    let p = path(&[1000.0, 900.0, 900.0]);
    let o = run(&m, &compound(0.0, 1e6), &b, &p);
    assert_eq!(o.events.len(), 1);
    let e = o.events[0];
    assert_eq!((e.step, e.full_seizure), (1, true));
    close(e.repaid, 800.0);
    close(e.seized, 900.0);
    let s = &o.summary;
    close(s.liquidation_penalty, 63.0);
    close(s.liquidator_profit, 31.5);
    close(s.bad_debt, 0.0);
    assert_eq!(s.insolvent_accounts, 0);
    close(s.slippage_cost, 0.0);

    let shut = run(&m, &compound(10_000.0, 1000.0), &b, &p);
    close(shut.summary.liquidator_profit, 0.0);
    close(shut.summary.liquidation_penalty, 63.0);

    let o = run(&m, &compound(0.0, 1e6), &b, &path(&[1000.0, 700.0]));
    let s = &o.summary;
    close(s.repaid_debt, 700.0);
    close(s.liquidation_penalty, 0.0);
    close(s.bad_debt, 100.0);
    assert_eq!(s.first_bad_debt_step, Some(1));
    close(s.liquidator_profit, 700.0 - 700.0 * 0.965);
}

/// The store front behind a gate (depth 10,000, impact 1): buyers earn the discount
/// `edge = 0.035` only while `s < 0.035`, i.e. `Q + S < 10,000 * 0.035^2 = 12.25` USD of
/// ETH per step. The 900 USD absorbed at step 1 are sold 12.25 a step, each sale paying
/// slippage `s = 0.035`: over steps 1-3, `3 * 12.25 * 0.035 = 1.28625` of slippage.
/// An outage at step 1 defers the absorption to step 2 (one account blocked, liquidated
/// one step after it became liquidatable) and the sales to steps 2-3.
#[test]
fn compound_v3_store_front_sales_are_gated_by_depth() {
    let (m, b) = (market(Some(10_000.0)), book(&[(1.0, 800.0)]));
    let p = path(&[1000.0, 900.0, 900.0, 900.0]);
    let o = run(&m, &compound(0.0, 1e6), &b, &p);
    close(o.summary.slippage_cost, 3.0 * 12.25 * 0.035);
    close(o.summary.liquidation_penalty, 63.0);

    let out = Frictions {
        liquidators: Some(LiquidatorSpec {
            outages: vec![Window { start: 1, end: 1 }],
            ..LiquidatorSpec::default()
        }),
        ..compound(0.0, 1e6)
    };
    let o = run(&m, &out, &b, &p);
    assert_eq!(o.summary.blocked_outage, 1);
    assert_eq!(o.events[0].step, 2);
    assert_eq!(o.summary.mean_time_to_liquidate, Some(1.0));
    close(o.summary.slippage_cost, 2.0 * 12.25 * 0.035);
}

/// Isolation on ETH with a debt ceiling of 1,000 USD: the two ETH accounts (after
/// `crunch_book::isolate` they hold ETH only) could borrow `2 * 1000 * 0.8 + 1 * 1000 *
/// 0.8 = 2,400` under the policy, but together no more than the ceiling, so the book's
/// borrowing power is 1,000; without isolation it is 2,400. Liquidations are unchanged.
#[test]
fn a_debt_ceiling_caps_the_isolated_accounts_borrowing_power() {
    let (m, b, p) = (
        market(None),
        book(&[(2.0, 500.0), (1.0, 300.0)]),
        path(&[1000.0, 300.0]),
    );
    let isolated = Frictions {
        isolation: vec![Isolation {
            asset: 0,
            debt_ceiling: 1000.0,
        }],
        ..Frictions::default()
    };
    let capped = run(&m, &isolated, &b, &p);
    let plain = run(&m, &Frictions::default(), &b, &p);
    close(capped.summary.initial_borrowing_power, 1000.0);
    close(plain.summary.initial_borrowing_power, 2400.0);
    assert!(!capped.events.is_empty());
    assert_eq!(capped.events, plain.events);
}
