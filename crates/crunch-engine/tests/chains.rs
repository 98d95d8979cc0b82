//! Multi-chain collateral (`[chains]`): a hand-computed step-by-step case of
//! bridge-delayed rebalancing between two chains' sub-accounts (and the same case with
//! the bridge halted); a unified account whose remote collateral cannot be seized while
//! its bridge is halted; and the reduction to the static policy with one chain, unified
//! or isolated (bit-identical outcomes).
//!
//! Assets: ETH (0) and USDC (1) on the home chain, ETH_ARB (2) and USDC_ARB (3) on
//! `arb`, copies of ETH and USDC; `arb`'s bridge takes 2 steps. Policy: ETH and ETH_ARB
//! `ltv 0.75, lt 0.8, bonus 0.05`, USDC and USDC_ARB `ltv 0.85, lt 0.9, bonus 0.05`;
//! close factor 0.5; debt in USDC; target health 1.2.

mod common;

use common::{close, eth_path};
use crunch_core::{
    AssetSpec, Book, Chain, Chains, Frictions, MarketSpec, PathOutcome, PathSource, PricePath,
    Window, stream_rng,
};
use crunch_engine::{RecordOptions, Scratch, SimOptions, simulate_path};
use crunch_market::Gbm;
use crunch_policy::{AssetTerms, StaticLtv};
use rand::RngExt;

fn market() -> MarketSpec {
    MarketSpec {
        assets: vec![
            AssetSpec::new("ETH", 2000.0, 0.8),
            AssetSpec::new("USDC", 1.0, 0.0),
            AssetSpec::new("ETH_ARB", 2000.0, 0.8),
            AssetSpec::new("USDC_ARB", 1.0, 0.0),
        ],
        dt: 1.0 / 365.0,
        phi: 0.0,
    }
}

fn policy(m: &MarketSpec) -> StaticLtv {
    let terms = |ltv, lt| AssetTerms {
        ltv,
        lt,
        bonus: 0.05,
    };
    let assets = [
        ("ETH".into(), terms(0.75, 0.8)),
        ("USDC".into(), terms(0.85, 0.9)),
        ("ETH_ARB".into(), terms(0.75, 0.8)),
        ("USDC_ARB".into(), terms(0.85, 0.9)),
    ];
    StaticLtv::new("static", m, 0.5, &assets).unwrap()
}

/// Home and `arb` (delay 2, halted over `halts`); policy 1 runs isolated.
fn chains(halts: Vec<Window>) -> Chains {
    Chains {
        chains: vec![
            Chain {
                name: "home".into(),
                bridge_delay: 0,
                halts: Vec::new(),
            },
            Chain {
                name: "arb".into(),
                bridge_delay: 2,
                halts,
            },
        ],
        chain: vec![0, 0, 1, 1],
        base: vec![0, 1, 0, 1],
        isolated: vec![1],
        target_health: 1.2,
        sub_accounts: None,
    }
}

/// ETH prices by step (ETH_ARB copies them); the stables are 1.
fn path(eth: &[f64]) -> PricePath {
    eth_path(eth, |x| [x, 1.0, x, 1.0])
}

fn run(f: &Frictions, b: &Book, p: &PricePath) -> (PathOutcome, Vec<Vec<f64>>) {
    let m = market();
    let options = SimOptions::from(RecordOptions {
        events: true,
        ..RecordOptions::default()
    });
    let mut scratch = Scratch::new(b, p.steps());
    let o = simulate_path(&m, f, b, &policy(&m), p, options, &mut scratch, 0, 1).unwrap();
    let held = (0..4).map(|i| scratch.collateral(i).to_vec()).collect();
    (o, held)
}

/// The isolated run of `chains` on `b`: the split book and its frictions.
fn isolated(c: &Chains, b: &Book) -> (Frictions, Book) {
    let prices: Vec<f64> = market().assets.iter().map(|x| x.price).collect();
    let (split, marked) = c.split(b, &prices);
    let f = Frictions {
        chains: Some(marked),
        ..Frictions::default()
    };
    (f, split)
}

/// One account: 2000 USDC at home, 1 ETH_ARB on `arb`, debt 2000 USDC. Split at start
/// prices: both sub-accounts are worth 2000, so each owes 1000. Home: `H = 2000 * 0.9 /
/// 1000 = 1.8`. ETH falls 2000, 1400, 1300, 1200, 1100.
///
/// - t = 1: arb `N = 1400 * 0.8 = 1120`, `need = 1.2 * 1000 - 1120 = 80`; home's excess
///   `1800 - 1200 = 600`; it sends USDC, copied by USDC_ARB (`lt 0.9`):
///   `q = min(2000, 80 / 0.9, 600 / 0.9) = 88.89`, due at t = 1 + 2 = 3. Arb `H = 1.12`.
/// - t = 2: `N = 1040`, in flight 80: `need = 1200 - 1040 - 80 = 80`: another 88.89, due 4.
///   Arb `H = 1.04`.
/// - t = 3: the first 88.89 USDC_ARB arrives: `N = 960 + 80 = 1040`, in flight 80, `need
///   = 80`: a third, due 5. `H = 1.04`: not liquidated (without the bridge, `H = 0.96`).
/// - t = 4: the second arrives: `N = 880 + 160 = 1040`, a fourth, due 6. `H = 1.04`.
/// - End: the two in flight are credited: arb holds `4 * 88.89 = 355.56` USDC_ARB, home
///   `2000 - 355.56 = 1644.44` USDC. Nobody was liquidated.
///
/// With the bridge halted over steps 1..=4 nothing is sent: arb's `H = 1200 * 0.8 / 1000
/// = 0.96` at t = 3: `R = 500`, `S = 525` = 0.4375 ETH_ARB. At t = 4, `H = 0.5625 * 1100 *
/// 0.8 / 500 = 0.99`: `R = 250`, `S = 262.5` = 0.2386 ETH_ARB.
#[test]
fn isolated_sub_accounts_rebalance_through_the_bridge_by_hand() {
    let mut b = Book::new(4);
    b.push("a".into(), &[0.0, 2000.0, 1.0, 0.0], 2000.0);
    let p = path(&[2000.0, 1400.0, 1300.0, 1200.0, 1100.0]);
    let (f, split) = isolated(&chains(Vec::new()), &b);
    assert_eq!(split.ids, ["a@home", "a@arb"]);
    assert_eq!(split.debt, [1000.0, 1000.0]);
    let (o, held) = run(&f, &split, &p);
    assert_eq!(o.summary.liquidations, 0);
    let q = 80.0 / 0.9;
    close(held[1][0], 2000.0 - 4.0 * q);
    close(held[3][1], 4.0 * q);
    assert_eq!(held[2][1], 1.0);
    close(o.summary.min_health.unwrap(), 1.04);
    close(o.summary.bad_debt, 0.0);

    let halt = vec![Window { start: 1, end: 4 }];
    let (f, split) = isolated(&chains(halt), &b);
    let (o, held) = run(&f, &split, &p);
    let steps: Vec<(u32, u32)> = o.events.iter().map(|e| (e.step, e.account)).collect();
    assert_eq!(steps, [(3, 1), (4, 1)]);
    close(o.events[0].repaid, 500.0);
    close(o.events[0].seized, 525.0);
    close(o.events[1].repaid, 250.0);
    close(o.events[1].seized, 262.5);
    assert_eq!(held[1][0], 2000.0);
    close(held[2][1], 1.0 - 525.0 / 1200.0 - 262.5 / 1100.0);
    assert_eq!(o.summary.blocked_outage, 0); // Isolated accounts liquidate locally.
}

/// One unified account: 1 ETH_ARB, debt 1500. ETH: 2000, 1800, 1500, 1200, 1000.
///
/// Bridge up: t = 1, `H = 1800 * 0.8 / 1500 = 0.96`: `R = 750`, `S = 787.5` (0.4375
/// ETH_ARB, 0.5625 left). t = 2: `H = 0.5625 * 1500 * 0.8 / 750 = 0.9`: `R = 375`, `S =
/// 393.75` (0.3 left). t = 3: `H = 0.768`: `R = 187.5`, `S = 196.875` (0.1359375 left).
/// t = 4: `H = 0.58`: `R = 93.75`, `S = 98.4375` (0.0375 left). Bad debt at T: `93.75 -
/// 37.5 = 56.25`.
///
/// Bridge halted over 1..=3: blocked at steps 1, 2, 3 (counted in `blocked_outage`). t =
/// 4: `H = 1000 * 0.8 / 1500 = 0.533`: `R = 750`, `S = 787.5` (0.2125 left). Bad debt:
/// `750 - 212.5 = 537.5`. The isolated run of the same book is one sub-account on `arb`,
/// liquidated on its own chain as with the bridge up.
#[test]
fn a_halted_bridge_blocks_seizing_remote_collateral_of_a_unified_account_by_hand() {
    let mut b = Book::new(4);
    b.push("a".into(), &[0.0, 0.0, 1.0, 0.0], 1500.0);
    let p = path(&[2000.0, 1800.0, 1500.0, 1200.0, 1000.0]);
    let unified = |halts| Frictions {
        chains: Some(chains(halts)),
        ..Frictions::default()
    };
    let (up, _) = run(&unified(Vec::new()), &b, &p);
    assert_eq!(up.summary.liquidations, 4);
    close(up.summary.bad_debt, 56.25);
    assert_eq!(up.summary.blocked_outage, 0);

    let halt = vec![Window { start: 1, end: 3 }];
    let (down, held) = run(&unified(halt.clone()), &b, &p);
    assert_eq!(down.summary.liquidations, 1);
    assert_eq!(down.events[0].step, 4);
    assert_eq!(down.summary.blocked_outage, 3);
    close(held[2][0], 0.2125);
    close(down.summary.bad_debt, 537.5);

    let (f, split) = isolated(&chains(halt), &b);
    assert_eq!(split.ids, ["a@arb"]);
    let (iso, _) = run(&f, &split, &p);
    assert_eq!(iso.summary, up.summary);
}

/// 300 accounts holding ETH and USDC near their limits on 20 GBM paths of 60 steps:
/// with one chain (no remote asset), the unified and the isolated runs give the static
/// policy's outcome bit for bit, and the paths liquidate.
#[test]
fn one_chain_reduces_to_the_static_policy_bit_for_bit() {
    let m = market();
    let mut rng = stream_rng(5, crunch_core::Domain::BookGenerator, 0);
    let mut b = Book::new(4);
    for j in 0..300 {
        let eth: f64 = rng.random_range(0.1..5.0);
        let usdc: f64 = rng.random_range(0.0..2000.0);
        let debt = (eth * 2000.0 * 0.75 + usdc * 0.85) * rng.random_range(0.5..1.0);
        b.push(j.to_string(), &[eth, usdc, 0.0, 0.0], debt);
    }
    let one = Chains {
        chains: vec![chains(Vec::new()).chains[0].clone()],
        chain: vec![0; 4],
        base: vec![0, 1, 2, 3],
        ..chains(Vec::new())
    };
    let corr: Vec<Vec<f64>> = (0..4)
        .map(|i| (0..4).map(|k| f64::from(u8::from(i == k))).collect())
        .collect();
    let gbm = Gbm::new(&m, &corr, 60).unwrap();
    let unified = Frictions {
        chains: Some(one.clone()),
        ..Frictions::default()
    };
    let (iso, split) = isolated(&one, &b);
    assert_eq!(split.debt, b.debt);
    assert_eq!(split.collateral, b.collateral);
    let mut liquidations = 0;
    for i in 0..20 {
        let mut p = PricePath::new(60, 4);
        gbm.fill(
            &mut stream_rng(3, crunch_core::Domain::MarketPaths, i),
            &mut p,
        );
        let plain = run(&Frictions::default(), &b, &p).0;
        liquidations += plain.summary.liquidations;
        assert_eq!(run(&unified, &b, &p).0, plain);
        assert_eq!(run(&iso, &split, &p).0, plain);
    }
    assert!(liquidations > 0);
}
