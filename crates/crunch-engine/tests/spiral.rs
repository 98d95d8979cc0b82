//! The liquidation spiral threshold: at fixed prices, a partial liquidation that repays
//! `R` and seizes `S = R (1 + bonus_k)` of asset `k` moves the health factor from
//! `H = N / D` to `H' = (N - S lt_k) / (D - R)`, so `H' < H` exactly when
//! `H < lt_k (1 + bonus_k)`: below that line, liquidating makes the account worse.
//! Checked on random books of accounts holding two assets, one step at unchanged prices.

use crunch_core::{AssetSpec, Book, Frictions, MarketSpec, PricePath};
use crunch_engine::{Scratch, SimOptions, simulate_path};
use crunch_policy::{AssetTerms, StaticLtv};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use std::cell::Cell;

fn asset(symbol: &str, price: f64, sigma: f64) -> AssetSpec {
    AssetSpec {
        symbol: symbol.into(),
        price,
        sigma,
        mu: 0.0,
        depth: None,
        impact: 1.0,
    }
}

/// One account: ETH and BTC quantities and a debt as a multiple of its `sum c p lt`.
fn account() -> impl Strategy<Value = (f64, f64, f64)> {
    (0.0..10.0f64, 0.0..1.0f64, 1.0..3.0f64)
}

/// Runs the property on 256 generated books (fixed seed) and requires that both sides of
/// the line were seen, so that the property cannot hold vacuously.
#[test]
fn partial_liquidation_lowers_health_exactly_below_lt_times_one_plus_bonus() {
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(7),
        ..Config::default()
    });
    // Partial liquidations checked below and above the line.
    let seen = Cell::new([0u32; 2]);
    let strategy = (
        prop::collection::vec(account(), 1..40),
        (0.3..0.95f64, 0.3..0.95f64),
        (0.0..0.6f64, 0.0..0.6f64),
        0.05..0.9f64,
    );
    let result = runner.run(
        &strategy,
        |(accounts, (eth_lt, btc_lt), (eth_bonus, btc_bonus), close_factor)| {
            let market = MarketSpec {
                assets: vec![
                    asset("ETH", 2000.0, 0.5),
                    asset("BTC", 30000.0, 0.5),
                    asset("USDC", 1.0, 0.0),
                ],
                dt: 1.0 / 365.0,
                phi: 0.0,
            };
            let prices = [2000.0, 30000.0, 1.0];
            let lt = [eth_lt, btc_lt, 0.0];
            let bonus = [eth_bonus, btc_bonus, 0.0];
            let mut book = Book::new(3);
            for (j, &(eth, btc, over)) in accounts.iter().enumerate() {
                let num = eth * prices[0] * lt[0] + btc * prices[1] * lt[1];
                // Debt above the health numerator: every account with collateral is
                // liquidatable at step 1 (H = 1 / over < 1).
                book.push(j.to_string(), &[eth, btc, 0.0], num * over + 1.0);
            }
            let t = |i: usize| AssetTerms {
                ltv: lt[i] * 0.9,
                lt: lt[i],
                bonus: bonus[i],
            };
            let policy = StaticLtv::new(
                "p",
                &market,
                close_factor,
                &[("ETH".into(), t(0)), ("BTC".into(), t(1))],
            )
            .unwrap();
            let mut path = PricePath::new(1, 3);
            path.row_mut(0).copy_from_slice(&prices);
            path.row_mut(1).copy_from_slice(&prices);
            let options = SimOptions {
                record: crunch_engine::RecordOptions {
                    events: true,
                    ..Default::default()
                },
                ..SimOptions::default()
            };
            let mut scratch = Scratch::new(&book, 1);
            let out = simulate_path(
                &market,
                &Frictions::default(),
                &book,
                &policy,
                &path,
                options,
                &mut scratch,
                0,
                0,
            )
            .unwrap();
            let health =
                |c: &[f64], d: f64| (c[0] * prices[0] * lt[0] + c[1] * prices[1] * lt[1]) / d;
            for e in out.events.iter().filter(|e| !e.full_seizure) {
                let j = e.account as usize;
                let before = health(
                    &[book.collateral[0][j], book.collateral[1][j]],
                    book.debt[j],
                );
                let after = health(
                    &[scratch.collateral(0)[j], scratch.collateral(1)[j]],
                    scratch.debt()[j],
                );
                let k = e.asset as usize;
                let line = lt[k] * (1.0 + bonus[k]);
                // Skip a sliver around the line where rounding decides.
                prop_assume!((before - line).abs() > 1e-9 * line);
                let mut c = seen.get();
                c[usize::from(before >= line)] += 1;
                seen.set(c);
                prop_assert_eq!(
                    after < before,
                    before < line,
                    "account {}: H {} -> {}, lt (1 + bonus) = {}",
                    j,
                    before,
                    after,
                    line
                );
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    let [below, above] = seen.get();
    assert!(
        below > 0 && above > 0,
        "below the line {below}, above {above}"
    );
}
