//! Conservation laws of the engine on random books and price paths (issue 9):
//!
//! - collateral: for every account and asset, the initial quantity equals the quantity
//!   left after the last step plus the quantities seized by the account's liquidation
//!   events (seized value over the step's feedback-adjusted price);
//! - debt: for every account, the initial debt equals the debt it repaid in liquidations
//!   plus the debt it realised as bad debt plus the debt left after the last step, where
//!   only an account left without collateral and without debt may realise any, and the
//!   realised amounts add up to the `bad_debt_realised` of the step series;
//! - the summary, the step series and the events agree on the totals;
//! - no NaN or infinity reaches any field of the summary, the step series, the events or
//!   the health snapshot.
//!
//! All equalities hold to a relative `1e-9` (plus a floor of `1e-9` of the account's or
//! book's initial scale for amounts that cancel to about 0). Proptest runs with a fixed
//! seed and a bounded number of cases, so that CI is reproducible and fast.

use crunch_core::{Book, MarketSpec, PathOutcome, PricePath};
use crunch_engine::{RecordOptions, ScanMode, Scratch, SimOptions, simulate_path};
use crunch_policy::{AssetTerms, StaticLtv};
use crunch_testkit::build::{market, moving, numeraire, path};
use crunch_testkit::{REL_TOL, ReferenceAssetTerms, ReferenceTerms, close, reference_lending_v1};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

/// One generated case: market, book, policy and one raw price path.
#[derive(Debug, Clone)]
struct Case {
    market: MarketSpec,
    book: Book,
    /// Policy terms `(symbol, terms)` of the assets that have an entry.
    terms: Vec<(String, AssetTerms)>,
    close_factor: f64,
    path: PricePath,
    health_step: usize,
}

/// Per asset: ln start price, per-step (kind, uniform), log10 depth, impact and terms.
type AssetDraw = (
    f64,
    Vec<(u8, f64)>,
    Option<f64>,
    f64,
    Option<(f64, f64, f64)>,
);

/// Per account: ln USD value of each holding and debt as a multiple of borrowing power.
type AccountDraw = (Vec<Option<f64>>, f64);

/// Price multiplier of one step: ordinary moves, deep drops, recoveries, flat steps.
fn multiplier(kind: u8, u: f64) -> f64 {
    match kind {
        0..=4 => ((u - 0.5) * 0.3).exp(),
        5 | 6 => (-0.3 - 2.0 * u).exp(),
        7 => (0.2 + 1.5 * u).exp(),
        _ => 1.0,
    }
}

fn build(
    steps: usize,
    draws: Vec<AssetDraw>,
    phi: f64,
    close_factor: f64,
    accounts: Vec<AccountDraw>,
    health_step: usize,
) -> Case {
    let a = draws.len();
    let mut assets = Vec::new();
    let mut rows = vec![vec![1.0; a]; steps + 1];
    let mut terms = Vec::new();
    let mut ltv = vec![0.0; a];
    for (i, (log_price, moves, log_depth, impact, t)) in draws.into_iter().enumerate() {
        let symbol = format!("X{i}");
        if let Some((lt, frac, bonus)) = t {
            ltv[i] = lt * frac;
            terms.push((
                symbol.clone(),
                AssetTerms {
                    ltv: lt * frac,
                    lt,
                    bonus,
                },
            ));
        }
        if i == 0 {
            assets.push(numeraire(&symbol));
            continue;
        }
        let mut p = log_price.exp();
        assets.push(moving(&symbol, p, log_depth.map(|x| 10f64.powf(x)), impact));
        rows[0][i] = p;
        for (t, (kind, u)) in moves.into_iter().enumerate() {
            p *= multiplier(kind, u);
            rows[t + 1][i] = p;
        }
    }
    let mut book = Book::new(a);
    for (j, (holdings, utilisation)) in accounts.into_iter().enumerate() {
        let c: Vec<f64> = holdings
            .iter()
            .zip(&rows[0])
            .map(|(h, p)| h.map_or(0.0, |v| v.exp() / p))
            .collect();
        let power: f64 = (0..a).map(|i| c[i] * rows[0][i] * ltv[i]).sum();
        // An account without borrowing power still owes something now and then.
        let debt = if power > 0.0 {
            utilisation * power
        } else {
            utilisation * 100.0
        };
        book.push(format!("a{j}"), &c, debt);
    }
    Case {
        market: market(assets, phi),
        book,
        terms,
        close_factor,
        path: path(&rows),
        health_step: health_step.min(steps),
    }
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (2usize..=4, 1usize..=25, 1usize..=40)
        .prop_flat_map(|(a, steps, n)| {
            let asset = (
                -2.0f64..8.0,
                vec((0u8..10, 0.0f64..1.0), steps),
                option::weighted(0.6, -1.0f64..7.0),
                0.0f64..=2.0,
                option::weighted(0.85, (0.0f64..0.95, 0.0f64..=1.0, 0.0f64..=0.2)),
            );
            let account = (
                vec(option::weighted(0.55, 0.0f64..12.0), a),
                prop_oneof![3 => 0.0f64..=1.3, 1 => Just(0.0)],
            );
            (
                Just(steps),
                vec(asset, a),
                prop_oneof![Just(0.0), 0.001f64..0.5],
                prop_oneof![Just(1.0), 0.05f64..1.0],
                vec(account, n),
                0..=steps,
            )
        })
        .prop_map(|(steps, draws, phi, cf, accounts, h)| build(steps, draws, phi, cf, accounts, h))
}

/// Runs the engine; returns the outcome and the accounts' state after the last step
/// (debt, then quantities asset-major), or `None` when the case is refused (price
/// feedback too strong).
fn simulate(case: &Case, scan: ScanMode) -> Option<(PathOutcome, Vec<f64>, Vec<Vec<f64>>)> {
    let policy = StaticLtv::new("p", &case.market, case.close_factor, &case.terms)
        .expect("generated terms are valid");
    let options = SimOptions {
        record: RecordOptions {
            timeseries: true,
            events: true,
            health_step: Some(case.health_step),
        },
        scan,
    };
    let mut scratch = Scratch::new(&case.book, case.path.steps());
    let outcome = simulate_path(
        &case.market,
        &crunch_core::Frictions::default(),
        &case.book,
        &policy,
        &case.path,
        options,
        &mut scratch,
        3,
        0,
    )
    .ok()?;
    let coll = (0..case.book.assets())
        .map(|i| scratch.collateral(i).to_vec())
        .collect();
    Some((outcome, scratch.debt().to_vec(), coll))
}

fn agree(got: f64, want: f64, scale: f64) -> bool {
    close(got, want, REL_TOL, REL_TOL * scale)
}

fn check_finite(o: &PathOutcome) -> Result<(), TestCaseError> {
    let s = &o.summary;
    let mut fields = vec![
        s.bad_debt,
        s.repaid_debt,
        s.seized_collateral,
        s.liquidation_penalty,
        s.slippage_cost,
        s.initial_debt,
        s.initial_collateral,
        s.initial_borrowing_power,
    ];
    fields.extend(s.capital_efficiency);
    fields.extend(s.borrowing_capacity);
    fields.extend(s.min_health);
    for a in &o.steps {
        fields.extend([
            a.debt,
            a.collateral_value,
            a.repaid_debt,
            a.seized_collateral,
            a.bad_debt_realised,
        ]);
    }
    for e in &o.events {
        fields.extend([e.repaid, e.seized, e.slippage]);
    }
    fields.extend(o.health.iter().map(|h| h.health));
    for x in fields {
        prop_assert!(x.is_finite(), "a non-finite value {x} in {o:?}");
    }
    Ok(())
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let pruned = simulate(case, ScanMode::Pruned);
    prop_assert!(
        pruned == simulate(case, ScanMode::Exhaustive),
        "queue strategies disagree"
    );
    let Some((o, debt, coll)) = pruned else {
        return Ok(());
    };
    check_finite(&o)?;
    let book = &case.book;
    let (n, a) = (book.len(), book.assets());
    // The feedback-adjusted prices at which the engine valued seizures.
    let zero = ReferenceAssetTerms {
        ltv: 0.0,
        lt: 0.0,
        bonus: 0.0,
    };
    let terms = ReferenceTerms {
        assets: case
            .market
            .assets
            .iter()
            .map(|asset| {
                case.terms
                    .iter()
                    .find(|(s, _)| *s == asset.symbol)
                    .map_or(zero, |(_, t)| ReferenceAssetTerms {
                        ltv: t.ltv,
                        lt: t.lt,
                        bonus: t.bonus,
                    })
            })
            .collect(),
        close_factor: case.close_factor,
    };
    let prices = reference_lending_v1(&case.market, book, &terms, &case.path)
        .expect("the reference accepts what the engine accepts")
        .prices;

    let mut seized = vec![vec![0.0; n]; a];
    let mut repaid = vec![0.0; n];
    for e in &o.events {
        let (j, i) = (e.account as usize, e.asset as usize);
        seized[i][j] += e.seized / prices.row(e.step as usize)[i];
        repaid[j] += e.repaid;
    }
    for j in 0..n {
        for i in 0..a {
            let c0 = book.collateral[i][j];
            prop_assert!(coll[i][j] >= 0.0);
            prop_assert!(
                agree(coll[i][j] + seized[i][j], c0, c0),
                "account {j}, asset {i}: {} left + {} seized != {c0} initially",
                coll[i][j],
                seized[i][j]
            );
        }
    }

    let d0: f64 = book.debt.iter().sum();
    let mut realised_total = 0.0;
    for j in 0..n {
        let realised = book.debt[j] - repaid[j] - debt[j];
        let scale = book.debt[j];
        if realised > REL_TOL * scale {
            // Only an account left without collateral realises bad debt, all of it.
            prop_assert_eq!(debt[j], 0.0, "account {}", j);
            prop_assert!((0..a).all(|i| coll[i][j] == 0.0), "account {j}");
        } else {
            prop_assert!(
                agree(repaid[j] + debt[j], book.debt[j], scale),
                "account {j}: {} repaid + {} left != {} initially",
                repaid[j],
                debt[j],
                book.debt[j]
            );
        }
        realised_total += realised.max(0.0);
    }

    // Book-wide: the step series and the summary tell the same story.
    let steps = &o.steps;
    let last = steps.last().expect("steps 0..=T");
    let sum = |f: fn(&crunch_core::StepAggregate) -> f64| steps.iter().map(f).sum::<f64>();
    let realised_steps = sum(|s| s.bad_debt_realised);
    prop_assert!(agree(realised_total, realised_steps, d0));
    prop_assert!(agree(steps[0].debt, d0, d0));
    prop_assert!(agree(o.summary.initial_debt, d0, d0));
    prop_assert!(agree(last.debt, debt.iter().sum(), d0));
    prop_assert!(agree(
        sum(|s| s.repaid_debt) + realised_steps + last.debt,
        d0,
        d0
    ));
    prop_assert!(agree(o.summary.repaid_debt, repaid.iter().sum(), d0));
    let seized_value: f64 = o.events.iter().map(|e| e.seized).sum();
    let scale = o.summary.initial_collateral.max(seized_value);
    prop_assert!(agree(o.summary.seized_collateral, seized_value, scale));
    prop_assert!(agree(sum(|s| s.seized_collateral), seized_value, scale));
    prop_assert_eq!(o.summary.liquidations, o.events.len() as u64);
    Ok(())
}

fn config() -> Config {
    Config {
        cases: 512,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x636f_6e73_6572_7665),
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Collateral and debt are conserved for every account, and every output is finite.
    #[test]
    fn collateral_and_debt_are_conserved(case in case_strategy()) {
        check(&case)?;
    }
}

/// The generator exercises what the laws are about: partial and full seizures, realised
/// bad debt and price feedback.
#[test]
fn generator_exercises_seizures_and_bad_debt() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::new(config());
    let (mut partial, mut full, mut realised, mut feedback) = (0, 0, 0, 0);
    for _ in 0..192 {
        let case = case_strategy().new_tree(&mut runner).unwrap().current();
        let Some((o, _, _)) = simulate(&case, ScanMode::Pruned) else {
            continue;
        };
        partial += o.events.iter().filter(|e| !e.full_seizure).count();
        full += o.events.iter().filter(|e| e.full_seizure).count();
        realised += usize::from(o.steps.iter().any(|s| s.bad_debt_realised > 0.0));
        feedback += usize::from(case.market.phi > 0.0 && !o.events.is_empty());
    }
    assert!(
        partial > 1000 && full > 200 && realised > 50 && feedback > 30,
        "partial {partial}, full {full}, cases with realised bad debt {realised}, with \
         feedback and liquidations {feedback}"
    );
}
