//! Margin modes on one book: hedged books under portfolio margin, the scan against a
//! brute-force worst case, no look-ahead, and bit-identical results.

mod common;

use common::{account, asset, book, cross, gbm_paths, isolated, market, path, policies};
use crunch_core::{AssetSpec, MarketSpec, PricePath};
use crunch_derivatives::{
    Account, DerivBook, DerivOptions, MarginMode, MarketState, OptionKind, Position, Revaluation,
    ScanGrid, portfolio_margin, simulate_deriv_path,
};

/// ETH at 100 with volatility 0.8, depth 50 000 and impact 0.5; daily steps.
fn eth() -> MarketSpec {
    let a = AssetSpec {
        sigma: 0.8,
        depth: Some(50_000.0),
        impact: 0.5,
        ..asset("ETH")
    };
    market(vec![a], 1.0 / 365.0)
}

fn span() -> ScanGrid {
    ScanGrid::new(0.1, 3, 0.05).unwrap()
}

fn portfolio(revaluation: Revaluation) -> MarginMode<'static> {
    MarginMode::Portfolio {
        initial: ScanGrid::new(0.15, 3, 0.05).unwrap(),
        maintenance: span(),
        revaluation,
    }
}

/// Maintenance requirement at step 0 of `b` under `mode` on a one-step flat path.
fn maintenance(m: &MarketSpec, b: &DerivBook, mode: &MarginMode<'_>) -> f64 {
    let p = path(&[&[100.0], &[100.0]]);
    simulate_deriv_path(m, b, mode, &p, &DerivOptions::default())
        .unwrap()
        .summary
        .maintenance_requirement
}

#[test]
fn hedged_books_need_far_less_under_portfolio_margin() {
    let m = market(vec![asset("ETH")], 1.0 / 365.0);
    // Long 10 and short 10 perpetuals in one account: 100 + 100 by the rules (10 % of
    // 1000 each), nothing on the grid (every scenario nets to 0).
    let pair = book(vec![account(
        "a",
        1_000.0,
        vec![
            Position::perp(0, 10.0, 100.0),
            Position::perp(0, -10.0, 95.0),
        ],
    )]);
    assert_eq!(maintenance(&m, &pair, &isolated(0.2, 0.1)), 200.0);
    assert_eq!(maintenance(&m, &pair, &cross(0.2, 0.1)), 200.0);
    assert_eq!(maintenance(&m, &pair, &portfolio(Revaluation::Full)), 0.0);
    // Covered call: long 1 perpetual and short 1 call K = 110, T = 0.25. Rules: 10 for
    // the perpetual and max(20 - 10, 10) = 10 for the call. The grid sees the call's gain
    // offset the perpetual's loss on the way down.
    let covered = book(vec![account(
        "a",
        100.0,
        vec![
            Position::perp(0, 1.0, 100.0),
            Position::option(0, -1.0, OptionKind::Call, 110.0, 0.25, 6.0),
        ],
    )]);
    let iso = maintenance(&m, &covered, &isolated(0.2, 0.1));
    let pm = maintenance(&m, &covered, &portfolio(Revaluation::Full));
    assert!((iso - 20.0).abs() < 1e-12);
    assert!(pm < 0.5 * iso, "portfolio {pm} against isolated {iso}");
    // A lone perpetual: 10 % of its notional under every mode (scan range 10 %, policy
    // lt = 0.9).
    let lone = book(vec![account(
        "a",
        500.0,
        vec![Position::perp(0, -3.0, 100.0)],
    )]);
    let (fixed, _, _) = policies(&m, 0.5);
    for mode in [
        isolated(0.2, 0.1),
        cross(0.2, 0.1),
        portfolio(Revaluation::Full),
        portfolio(Revaluation::DeltaGammaVega),
        MarginMode::Policy(&fixed),
    ] {
        let r = maintenance(&m, &lone, &mode);
        assert!((r - 30.0).abs() < 1e-12, "{} needs {r}", mode.name());
    }
}

#[test]
fn scan_requirement_equals_a_brute_force_worst_case() {
    // Two assets; perpetuals and options on both. The grid's requirement against the
    // worst weighted loss found by revaluing the positions of each asset at every price
    // move j R / 3 (j = -3..3) with volatility up and down, and at +-2 R with weight
    // 0.35, with the short option minimum (2 % of the price per short option), summed
    // over assets.
    let a = account(
        "a",
        10_000.0,
        vec![
            Position::perp(0, 2.0, 95.0),
            Position::option(0, -3.0, OptionKind::Call, 110.0, 0.25, 4.0),
            Position::option(0, 1.0, OptionKind::Put, 90.0, 0.1, 2.0),
            Position::perp(1, -0.5, 2_100.0),
            Position::option(1, -1.0, OptionKind::Put, 1_700.0, 0.05, 10.0),
        ],
    );
    let state = MarketState::new(vec![100.0, 2_000.0], vec![0.6, 0.45], 0.03, 0.0).unwrap();
    let (range, vol_range) = (0.1, 0.05);
    let grid = ScanGrid::new(range, 3, vol_range)
        .unwrap()
        .with_short_option_minimum(0.02)
        .unwrap();
    let mut moves = Vec::new();
    for j in -3..=3 {
        for dv in [vol_range, -vol_range] {
            moves.push((f64::from(j) / 3.0 * range, dv, 1.0));
        }
    }
    moves.push((2.0 * range, 0.0, 0.35));
    moves.push((-2.0 * range, 0.0, 0.35));
    let mut total = 0.0;
    for asset in 0..2 {
        let on: Vec<Position> = a
            .positions()
            .iter()
            .copied()
            .filter(|p| p.asset == asset)
            .collect();
        let sub = Account::new("sub", 0.0, on.clone()).unwrap();
        let base = sub.value(&state).unwrap().equity;
        let mut worst = 0.0f64;
        for &(dp, dv, w) in &moves {
            let mut prices = state.prices().to_vec();
            let mut vols = state.vols().to_vec();
            prices[asset] *= 1.0 + dp;
            vols[asset] = (vols[asset] + dv).max(0.0);
            let moved = MarketState::new(prices, vols, state.rate(), state.time()).unwrap();
            worst = worst.max(w * (base - sub.value(&moved).unwrap().equity));
        }
        let shorts: f64 = on
            .iter()
            .filter(|p| {
                p.size < 0.0
                    && matches!(p.instrument, crunch_derivatives::Instrument::Option { .. })
            })
            .map(|p| -p.size)
            .sum();
        let margin = worst.max(0.02 * shorts * state.prices()[asset]);
        let pm = portfolio_margin(&a, &state, &grid, Revaluation::Full).unwrap();
        assert!((pm.per_asset[asset] - margin).abs() < 1e-9, "asset {asset}");
        total += margin;
    }
    let pm = portfolio_margin(&a, &state, &grid, Revaluation::Full).unwrap();
    assert!((pm.check.requirement - total).abs() < 1e-9);
}

/// A mixed book: a hedger (long perps, short calls expiring at 0.1 years), a leveraged
/// long, a put seller, a short.
fn mixed() -> DerivBook {
    book(vec![
        account(
            "hedger",
            3_000.0,
            vec![
                Position::perp(0, 10.0, 100.0).with_funding(1e-4),
                Position::option(0, -10.0, OptionKind::Call, 110.0, 0.1, 3.0),
            ],
        ),
        account("long", 150.0, vec![Position::perp(0, 10.0, 100.0)]),
        account(
            "seller",
            400.0,
            vec![Position::option(0, -5.0, OptionKind::Put, 95.0, 0.15, 2.0)],
        ),
        account(
            "short",
            2_000.0,
            vec![Position::perp(0, -15.0, 100.0).with_funding(1e-4)],
        ),
    ])
}

/// The per-step requirement and equity series of `b` under `mode` on `p`.
fn series(m: &MarketSpec, b: &DerivBook, mode: &MarginMode<'_>, p: &PricePath) -> Vec<[f64; 3]> {
    let o = DerivOptions {
        timeseries: true,
        penalty: 0.01,
        insurance_fund: 100.0,
        ..DerivOptions::default()
    };
    simulate_deriv_path(m, b, mode, p, &o)
        .unwrap()
        .steps
        .iter()
        .map(|s| [s.maintenance_requirement, s.initial_requirement, s.equity])
        .collect()
}

#[test]
fn requirements_up_to_t_do_not_depend_on_later_prices() {
    // Crash the path after step t = 30 (prices times 0.6 from step 31 on): every
    // requirement and equity up to step 30 is unchanged, bit for bit, under the predictive
    // and dynamic policies and under portfolio margin (whose implied volatility is the
    // EWMA of the path); later steps differ.
    let m = eth();
    let original = gbm_paths(&m, 60, 1, 7).remove(0);
    let mut crashed = original.clone();
    for t in 31..=60 {
        crashed.row_mut(t)[0] *= 0.6;
    }
    let (_, dynamic, predictive) = policies(&m, 0.8);
    for mode in [
        MarginMode::Policy(&predictive),
        MarginMode::Policy(&dynamic),
        portfolio(Revaluation::Full),
    ] {
        let a = series(&m, &mixed(), &mode, &original);
        let b = series(&m, &mixed(), &mode, &crashed);
        assert_eq!(a[..=30], b[..=30], "{}", mode.name());
        assert_ne!(a[31], b[31], "{}", mode.name());
    }
}

#[test]
fn results_are_bit_identical_whatever_the_order_and_threads() {
    let m = eth();
    let paths = gbm_paths(&m, 90, 6, 42);
    let (fixed, dynamic, predictive) = policies(&m, 0.8);
    let modes = [
        isolated(0.2, 0.1),
        cross(0.2, 0.1),
        portfolio(Revaluation::Full),
        portfolio(Revaluation::DeltaGammaVega),
        MarginMode::Policy(&fixed),
        MarginMode::Policy(&dynamic),
        MarginMode::Policy(&predictive),
    ];
    let o = DerivOptions {
        timeseries: true,
        penalty: 0.01,
        insurance_fund: 50.0,
        ..DerivOptions::default()
    };
    let b = mixed();
    // Debug formatting prints each float's shortest round-trip form: equal strings are
    // equal bits.
    let one = |k: usize| -> Vec<String> {
        modes
            .iter()
            .map(|mode| {
                let out = simulate_deriv_path(&m, &b, mode, &paths[k], &o).unwrap();
                format!("{out:?}")
            })
            .collect()
    };
    let sequential: Vec<_> = (0..paths.len()).map(one).collect();
    let n = paths.len();
    let one = &one;
    let mut threaded = vec![Vec::new(); n];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|w| {
                s.spawn(move || {
                    (0..n)
                        .rev()
                        .filter(|k| k % 3 == w)
                        .map(|k| (k, one(k)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (k, r) in h.join().unwrap() {
                threaded[k] = r;
            }
        }
    });
    assert_eq!(sequential, threaded);
    // And something happened on these paths: not every mode is quiet.
    let liquidations: u64 = modes
        .iter()
        .map(|mode| {
            let out = simulate_deriv_path(&m, &b, mode, &paths[0], &o).unwrap();
            out.summary.liquidations
        })
        .sum();
    assert!(liquidations > 0);
}

mod homogeneity {
    //! Proportional liquidation lands exactly on the requirement because every mode's
    //! requirement is positively homogeneous of degree 1 in the sizes: scaling every
    //! position by `1 - f` scales the requirement by `1 - f`.

    use super::*;
    use crunch_core::Requirements;
    use crunch_derivatives::{cross_margin, policy_requirement};
    use proptest::prelude::*;

    fn position() -> impl Strategy<Value = Position> {
        let size = prop_oneof![-20.0..-0.1f64, 0.1..20.0f64];
        (size, 0..3u8, 60.0..140.0f64, 0.02..1.0f64, 0.0..10.0f64).prop_map(
            |(q, kind, strike, expiry, premium)| match kind {
                0 => Position::perp(0, q, strike),
                1 => Position::option(0, q, OptionKind::Call, strike, expiry, premium),
                _ => Position::option(0, q, OptionKind::Put, strike, expiry, premium),
            },
        )
    }

    proptest! {
        #[test]
        fn requirements_scale_with_the_sizes(
            positions in prop::collection::vec(position(), 1..5),
            keep in 0.01..0.99f64,
            price in 70.0..130.0f64,
            vol in 0.2..1.2f64,
        ) {
            let m = MarketState::new(vec![price], vec![vol], 0.0, 0.0).unwrap();
            let a = Account::new("a", 0.0, positions.clone()).unwrap();
            let scaled: Vec<Position> = positions
                .iter()
                .map(|p| Position { size: p.size * keep, ..*p })
                .collect();
            let b = Account::new("a", 0.0, scaled).unwrap();
            let terms = Requirements {
                ltv: vec![0.8],
                lt: vec![0.85],
                bonus: vec![0.0],
                close_factor: 1.0,
            };
            let rules = common::rules(0.1);
            let pairs = [
                (
                    cross_margin(&a, &m, &rules).unwrap().requirement,
                    cross_margin(&b, &m, &rules).unwrap().requirement,
                ),
                (
                    portfolio_margin(&a, &m, &span(), Revaluation::Full).unwrap().check.requirement,
                    portfolio_margin(&b, &m, &span(), Revaluation::Full).unwrap().check.requirement,
                ),
                (
                    portfolio_margin(&a, &m, &span(), Revaluation::DeltaGammaVega)
                        .unwrap()
                        .check
                        .requirement,
                    portfolio_margin(&b, &m, &span(), Revaluation::DeltaGammaVega)
                        .unwrap()
                        .check
                        .requirement,
                ),
                (
                    policy_requirement(&a, &m, &terms).unwrap().maintenance,
                    policy_requirement(&b, &m, &terms).unwrap().maintenance,
                ),
            ];
            for (full, part) in pairs {
                prop_assert!((part - keep * full).abs() <= 1e-9 * full.max(1.0), "{part} against {keep} x {full}");
            }
        }
    }
}
