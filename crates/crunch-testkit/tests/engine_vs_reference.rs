//! The production engine against the independent reference model, on random and on
//! deliberately tied cases.
//!
//! Proptest runs with a fixed configuration so CI is reproducible: ChaCha RNG with a fixed
//! seed, a fixed number of cases and no failure persistence (a failure prints the shrunk
//! case; re-running reproduces it because the seed is fixed).

use crunch_core::{AssetSpec, Book, MarketSpec, PathOutcome, PricePath};
use crunch_engine::{EngineError, RecordOptions, ScanMode, Scratch, SimOptions, simulate_path};
use crunch_policy::{AssetTerms, StaticLtv};
use crunch_testkit::build::{book, market, moving, numeraire, path};
use crunch_testkit::{
    ReferenceAssetTerms, ReferenceOutcome, ReferenceTerms, assert_outcome_matches, borrowing_power,
    reference_lending_v1,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

/// One generated scenario: market, book, policy terms and one raw price path.
#[derive(Debug, Clone)]
struct Case {
    market: MarketSpec,
    book: Book,
    terms: ReferenceTerms,
    /// Which assets have an entry in the policy (the others get zero terms, point 6).
    has_terms: Vec<bool>,
    path: PricePath,
}

fn engine(case: &Case) -> Result<PathOutcome, EngineError> {
    let entries: Vec<(String, AssetTerms)> = case
        .market
        .assets
        .iter()
        .zip(&case.terms.assets)
        .zip(&case.has_terms)
        .filter(|(_, has)| **has)
        .map(|((spec, t), _)| {
            (
                spec.symbol.clone(),
                AssetTerms {
                    ltv: t.ltv,
                    lt: t.lt,
                    bonus: t.bonus,
                },
            )
        })
        .collect();
    let policy = StaticLtv::new("static", &case.market, case.terms.close_factor, &entries)
        .expect("generated terms are valid");
    // Both queue strategies must agree bit for bit before either is compared with the
    // reference.
    let with = |scan| {
        let options = SimOptions {
            record: RecordOptions {
                timeseries: true,
                events: true,
                health_step: None,
            },
            scan,
        };
        let mut scratch = Scratch::new(&case.book, case.path.steps());
        simulate_path(
            &case.market,
            &crunch_core::Frictions::default(),
            &case.book,
            &policy,
            &case.path,
            options,
            &mut scratch,
            7,
            0,
        )
    };
    let incremental = with(ScanMode::Pruned);
    assert_eq!(
        incremental,
        with(ScanMode::Exhaustive),
        "queue strategies disagree"
    );
    incremental
}

/// Runs both and requires a match; returns the reference outcome for further checks.
fn compare(case: &Case) -> Option<ReferenceOutcome> {
    let got = engine(case);
    let want = reference_lending_v1(&case.market, &case.book, &case.terms, &case.path);
    match (got, want) {
        (Ok(g), Ok(w)) => {
            assert_outcome_matches(&g, &w);
            Some(w)
        }
        (Err(_), Err(_)) => None,
        (g, w) => panic!(
            "engine and reference disagree on success:\n engine    {:?}\n reference {:?}",
            g.map(|o| o.summary),
            w.map(|o| o.summary)
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Generation

#[derive(Debug, Clone)]
struct AssetDraw {
    /// ln of the start price (moving assets only).
    log_price: f64,
    /// Per step: kind of move and a uniform in [0, 1).
    moves: Vec<(u8, f64)>,
    /// log10 of the depth in USD; `None` switches liquidity off.
    log_depth: Option<f64>,
    impact: f64,
    /// (lt, ltv as a fraction of lt, bonus); `None`: no policy entry.
    terms: Option<(f64, f64, f64)>,
}

#[derive(Debug, Clone)]
enum DebtDraw {
    /// Debt = utilisation x borrowing power.
    Utilisation(f64),
    /// No debt.
    Zero,
    /// No collateral at all, debt exp(x).
    NoCollateral(f64),
}

#[derive(Debug, Clone)]
struct AccountDraw {
    /// ln of the USD value of each holding at t = 0; `None`: no holding.
    holdings: Vec<Option<f64>>,
    debt: DebtDraw,
    /// Copy the previous account exactly (a tie in health on purpose).
    copy_previous: bool,
}

fn asset_draw(steps: usize) -> impl Strategy<Value = AssetDraw> {
    (
        -2.0f64..8.0,
        vec((0u8..10, 0.0f64..1.0), steps),
        option::weighted(0.6, -1.0f64..7.0),
        0.0f64..=2.0,
        option::weighted(0.85, (0.0f64..0.95, 0.0f64..=1.0, 0.0f64..=0.2)),
    )
        .prop_map(|(log_price, moves, log_depth, impact, terms)| AssetDraw {
            log_price,
            moves,
            log_depth,
            impact,
            terms,
        })
}

fn account_draw(assets: usize) -> impl Strategy<Value = AccountDraw> {
    (
        vec(option::weighted(0.55, 0.0f64..12.0), assets),
        prop_oneof![
            6 => (0.0f64..=1.3).prop_map(DebtDraw::Utilisation),
            1 => Just(DebtDraw::Zero),
            1 => (0.0f64..10.0).prop_map(DebtDraw::NoCollateral),
        ],
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(holdings, debt, copy_previous)| AccountDraw {
            holdings,
            debt,
            copy_previous,
        })
}

/// Price multiplier of one step: ordinary moves, deep drops, recoveries, flat steps.
fn multiplier(kind: u8, u: f64, dyadic: bool) -> f64 {
    if dyadic {
        // Powers of two only, so that holding values c * p tie exactly and stay tied.
        return match kind {
            0..=4 => 1.0,
            5 | 6 => 0.5,
            7 => 0.25,
            _ => 2.0,
        };
    }
    match kind {
        0..=4 => ((u - 0.5) * 0.3).exp(),
        5 | 6 => (-0.3 - 2.0 * u).exp(),
        7 => (0.2 + 1.5 * u).exp(),
        8 => 1.0,
        _ => ((u - 0.5) * 1e-3).exp(),
    }
}

fn pow2_round(x: f64) -> f64 {
    x.log2().round().exp2()
}

#[allow(clippy::too_many_arguments)]
fn build_case(
    steps: usize,
    numeraire_index: usize,
    draws: Vec<AssetDraw>,
    phi: f64,
    close_factor: f64,
    accounts: Vec<AccountDraw>,
    allow_no_collateral: bool,
    dyadic: bool,
) -> Case {
    let a = draws.len();
    let mut assets: Vec<AssetSpec> = Vec::new();
    let mut rows = vec![vec![0.0; a]; steps + 1];
    let mut terms = ReferenceTerms::zeroed(a, close_factor);
    let mut has_terms = vec![false; a];
    for (i, d) in draws.iter().enumerate() {
        if let Some((lt, frac, bonus)) = d.terms {
            has_terms[i] = true;
            terms.assets[i] = ReferenceAssetTerms {
                ltv: lt * frac,
                lt,
                bonus,
            };
        }
        if i == numeraire_index {
            assets.push(numeraire(&format!("USD{i}")));
            for row in rows.iter_mut() {
                row[i] = 1.0;
            }
            continue;
        }
        let mut p = d.log_price.exp();
        if dyadic {
            p = pow2_round(p);
        }
        let depth = d.log_depth.map(|x| 10f64.powf(x));
        assets.push(moving(&format!("X{i}"), p, depth, d.impact));
        rows[0][i] = p;
        for (t, &(kind, u)) in d.moves.iter().enumerate() {
            p *= multiplier(kind, u, dyadic);
            rows[t + 1][i] = p;
        }
    }

    let mut b = Book::new(a);
    let mut previous: Option<(Vec<f64>, f64)> = None;
    for (j, acc) in accounts.iter().enumerate() {
        let (c, debt) = match (&previous, acc.copy_previous) {
            (Some(prev), true) => prev.clone(),
            _ => {
                let mut c = vec![0.0; a];
                for (i, h) in acc.holdings.iter().enumerate() {
                    if let Some(log_value) = h {
                        let q = log_value.exp() / rows[0][i];
                        c[i] = if dyadic { pow2_round(q) } else { q };
                    }
                }
                let debt = match acc.debt {
                    DebtDraw::Utilisation(u) => u * borrowing_power(&c, &rows[0], &terms),
                    DebtDraw::Zero => 0.0,
                    DebtDraw::NoCollateral(x) if allow_no_collateral => {
                        c = vec![0.0; a];
                        x.exp()
                    }
                    // Such accounts make step 0 a bad-debt step; most cases go without,
                    // so that later first bad-debt steps are exercised too.
                    DebtDraw::NoCollateral(x) => {
                        x / 10.0 * 1.3 * borrowing_power(&c, &rows[0], &terms)
                    }
                };
                (c, debt)
            }
        };
        b.push(format!("acct{j}"), &c, debt);
        previous = Some((c, debt));
    }

    Case {
        market: market(assets, phi),
        book: b,
        terms,
        has_terms,
        path: path(&rows),
    }
}

fn case_strategy(dyadic: bool) -> impl Strategy<Value = Case> {
    (2usize..=4, 1usize..=30, 1usize..=40)
        .prop_flat_map(|(a, steps, n)| {
            (
                Just(steps),
                0..a,
                vec(asset_draw(steps), a),
                prop_oneof![Just(0.0), 0.001f64..0.5],
                prop_oneof![Just(1.0), 0.05f64..1.0],
                vec(account_draw(a), n),
                proptest::bool::weighted(0.3),
            )
        })
        .prop_map(
            move |(steps, num, draws, phi, cf, accounts, no_collateral)| {
                build_case(steps, num, draws, phi, cf, accounts, no_collateral, dyadic)
            },
        )
}

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(128, 0x6c65_6e64_696e_6731))]

    /// Random markets, books and policies: engine and reference agree on every metric,
    /// every step aggregate and every event.
    #[test]
    fn engine_matches_reference(case in case_strategy(false)) {
        compare(&case);
    }
}

proptest! {
    #![proptest_config(config(64, 0x7469_6573_2d32))]

    /// Power-of-two prices and quantities: holding values tie exactly across assets and
    /// identical accounts tie in health, so both tie-break rules are exercised often.
    #[test]
    fn engine_matches_reference_with_ties(case in case_strategy(true)) {
        compare(&case);
    }
}

// ---------------------------------------------------------------------------------------
// Deliberate ties

/// ETH (0), BTC (1), USDC (2); all three with terms.
fn three_asset_terms(close_factor: f64) -> (ReferenceTerms, Vec<bool>) {
    let mut t = ReferenceTerms::zeroed(3, close_factor);
    t.assets[0] = ReferenceAssetTerms {
        ltv: 0.75,
        lt: 0.8,
        bonus: 0.1,
    };
    t.assets[1] = ReferenceAssetTerms {
        ltv: 0.7,
        lt: 0.75,
        bonus: 0.08,
    };
    t.assets[2] = ReferenceAssetTerms {
        ltv: 0.85,
        lt: 0.9,
        bonus: 0.02,
    };
    (t, vec![true; 3])
}

/// Six identical accounts compete for a shallow ETH depth: equal health, so account order
/// decides; the first five act and the sixth is blocked.
///
/// Each: 1 ETH, debt 700. At ETH 800, H = 640/700 < 1; R = 350, S = 385 (partial).
/// Depth 2e5, impact 1, bonus 0.1: acts iff sqrt((Q + S)/2e5) < 0.1, i.e. Q + S < 2000:
/// 5 x 385 = 1925 acts, 6 x 385 = 2310 does not.
#[test]
fn identical_accounts_tie_by_account_order() {
    let (terms, has_terms) = three_asset_terms(0.5);
    let m = market(
        vec![
            moving("ETH", 1000.0, Some(200_000.0), 1.0),
            moving("BTC", 30_000.0, None, 0.0),
            numeraire("USDC"),
        ],
        0.05,
    );
    let accounts: Vec<(Vec<f64>, f64)> = (0..6).map(|_| (vec![1.0, 0.0, 0.0], 700.0)).collect();
    let case = Case {
        market: m,
        book: book(3, &accounts),
        terms,
        has_terms,
        path: path(&[
            vec![1000.0, 30_000.0, 1.0],
            vec![800.0, 29_000.0, 1.0],
            vec![700.0, 31_000.0, 1.0],
        ]),
    };
    let w = compare(&case).expect("no feedback error");
    let step1: Vec<u32> = w
        .events
        .iter()
        .filter(|e| e.step == 1)
        .map(|e| e.account)
        .collect();
    assert_eq!(step1, vec![0, 1, 2, 3, 4]);
}

/// Equal holding values across assets: the seized asset is the lowest index among the
/// tied ones. Prices move by powers of two, so products `c * p` are exact and stay tied.
///
/// At t = 1 (ETH 1, BTC 2, USDC 1; lt 0.8 / 0.75 / 0.9; close factor 0.25):
/// - acct 0: 2 ETH, 1 BTC, D 4: values 2 = 2, H = 3.1/4 = 0.775 -> seizes ETH (0).
/// - acct 1: 1 BTC, 2 USDC, D 4: values 2 = 2, H = 3.3/4 = 0.825 -> seizes BTC (1).
/// - acct 2: 2 ETH, 1 BTC, 2 USDC, D 6: three-way tie, H = 4.9/6 = 0.8167 -> ETH (0).
#[test]
fn equal_holding_values_seize_the_lowest_index() {
    let (terms, has_terms) = three_asset_terms(0.25);
    let m = market(
        vec![
            moving("ETH", 2.0, None, 0.0),
            moving("BTC", 4.0, None, 0.0),
            numeraire("USDC"),
        ],
        0.0,
    );
    let accounts = vec![
        (vec![2.0, 1.0, 0.0], 4.0),
        (vec![0.0, 1.0, 2.0], 4.0),
        (vec![2.0, 1.0, 2.0], 6.0),
    ];
    let case = Case {
        market: m,
        book: book(3, &accounts),
        terms,
        has_terms,
        path: path(&[
            vec![2.0, 4.0, 1.0],
            vec![1.0, 2.0, 1.0],
            vec![0.5, 1.0, 1.0],
            vec![0.25, 0.5, 1.0],
        ]),
    };
    let w = compare(&case).expect("no feedback error");
    let step1: Vec<(u32, u32)> = w
        .events
        .iter()
        .filter(|e| e.step == 1)
        .map(|e| (e.account, e.asset))
        .collect();
    assert_eq!(step1, vec![(0, 0), (2, 0), (1, 1)]);
}

/// Point 10: with phi = 1 and a liquidation that drives s to min(1, 20 sqrt(50/1e4)) = 1
/// (bonus 2 lets it act), phi * s = 1 and both refuse the path.
#[test]
fn both_refuse_too_strong_feedback() {
    let mut t = ReferenceTerms::zeroed(2, 1.0);
    t.assets[0] = ReferenceAssetTerms {
        ltv: 0.7,
        lt: 0.8,
        bonus: 2.0,
    };
    let case = Case {
        market: market(
            vec![
                moving("ETH", 100.0, Some(10_000.0), 20.0),
                numeraire("USDC"),
            ],
            1.0,
        ),
        book: book(2, &[(vec![1.0, 0.0], 80.0)]),
        terms: t,
        has_terms: vec![true, false],
        path: path(&[vec![100.0, 1.0], vec![50.0, 1.0], vec![50.0, 1.0]]),
    };
    assert!(engine(&case).is_err(), "engine accepts phi * s = 1");
    assert!(compare(&case).is_none());

    // The same at the last step, where no later price is left to multiply: point 10 states
    // the error without exception, and both implementations raise it.
    let last = Case {
        path: path(&[vec![100.0, 1.0], vec![50.0, 1.0]]),
        ..case
    };
    assert!(engine(&last).is_err(), "engine accepts phi * s = 1 at T");
    assert!(compare(&last).is_none());
}

/// Point 1: at equality `c * p = S` the partial branch runs (not a full seizure).
///
/// 2 ETH at 50 (holding 100), debt 160, close factor 0.5, bonus 0.25: R = 80,
/// S = 80 * 1.25 = 100 = holding, all exact. Partial: c = max(0, 2 - 100/50) = 0, D = 80;
/// then rule 5 realises the 80 left, as the collateral is exactly gone.
#[test]
fn equality_takes_the_partial_branch() {
    let mut t = ReferenceTerms::zeroed(2, 0.5);
    t.assets[0] = ReferenceAssetTerms {
        ltv: 0.5,
        lt: 0.75,
        bonus: 0.25,
    };
    let case = Case {
        market: market(
            vec![moving("ETH", 100.0, None, 0.0), numeraire("USDC")],
            0.0,
        ),
        book: book(2, &[(vec![2.0, 0.0], 160.0)]),
        terms: t,
        has_terms: vec![true, false],
        path: path(&[vec![100.0, 1.0], vec![50.0, 1.0]]),
    };
    let w = compare(&case).expect("no feedback error");
    assert_eq!(w.events.len(), 1);
    assert!(!w.events[0].full_seizure);
    assert_eq!(w.summary.bad_debt, 80.0);
    assert_eq!(w.steps[1].bad_debt_realised, 80.0);
}

/// Guards the generator against becoming vacuous: over the fixed seeds, the random cases
/// must exercise liquidations, full seizures, the liquidity gate, slippage, price feedback,
/// realised bad debt and bad-debt steps after step 0.
#[test]
fn generator_exercises_every_rule() {
    use proptest::test_runner::TestRunner;
    use std::cell::RefCell;

    #[derive(Default, Debug)]
    struct Seen {
        with_liquidations: u32,
        full_seizures: u32,
        slippage: u32,
        feedback: u32,
        gate_blocked: u32,
        realised: u32,
        later_bad_debt_step: u32,
    }
    let seen = RefCell::new(Seen::default());
    let mut runner = TestRunner::new(config(128, 0x6c65_6e64_696e_6731));
    runner
        .run(&case_strategy(false), |case| {
            let w = reference_lending_v1(&case.market, &case.book, &case.terms, &case.path)
                .expect("generated phi keeps phi * s < 1");
            let mut unlimited = case.market.clone();
            for a in &mut unlimited.assets {
                a.depth = None;
            }
            let u = reference_lending_v1(&unlimited, &case.book, &case.terms, &case.path)
                .expect("no feedback without depth");
            let mut s = seen.borrow_mut();
            s.with_liquidations += u32::from(w.summary.liquidations > 0);
            s.full_seizures += u32::from(w.events.iter().any(|e| e.full_seizure));
            s.slippage += u32::from(w.summary.slippage_cost > 0.0);
            s.feedback += u32::from(w.prices != case.path);
            s.gate_blocked += u32::from(u.events.len() != w.events.len());
            s.realised += u32::from(w.steps.iter().any(|x| x.bad_debt_realised > 0.0));
            s.later_bad_debt_step += u32::from(w.summary.first_bad_debt_step.unwrap_or(0) > 0);
            Ok(())
        })
        .unwrap();
    let s = seen.into_inner();
    let counts = [
        s.with_liquidations,
        s.full_seizures,
        s.slippage,
        s.feedback,
        s.gate_blocked,
        s.realised,
        s.later_bad_debt_step,
    ];
    assert!(counts.iter().all(|&c| c >= 10), "{s:?}");
}
