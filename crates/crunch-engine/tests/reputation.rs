//! Reputation-tiered requirements (`[reputation]`): a hand-computed step-by-step case of
//! tiers, score updates and per-tier metrics; the reduction to the static policy (one
//! neutral tier, or a policy that does not apply the tiers: bit-identical outcomes); and
//! no look-ahead (changing prices after step `t` leaves the scores up to `t` unchanged).

mod common;

use common::{close, eth_path};
use crunch_core::{
    AssetSpec, Book, Frictions, MarketSpec, PathOutcome, PathSource, PricePath, Reputation,
    RuleSet, ScoreUpdate, Tier, TierOutcome, stream_rng,
};
use crunch_engine::{RecordOptions, ScanMode, Scratch, SimOptions, simulate_path};
use crunch_market::Gbm;
use crunch_policy::{AssetTerms, StaticLtv};
use rand::RngExt;

fn asset(symbol: &str, price: f64, sigma: f64, depth: Option<f64>) -> AssetSpec {
    AssetSpec {
        symbol: symbol.into(),
        price,
        sigma,
        mu: 0.0,
        depth,
        impact: 1.0,
    }
}

/// ETH and USDC, ETH with an optional liquidity depth.
fn market(depth: Option<f64>, phi: f64) -> MarketSpec {
    MarketSpec {
        assets: vec![
            asset("ETH", 1000.0, 0.8, depth),
            asset("USDC", 1.0, 0.0, None),
        ],
        dt: 1.0 / 365.0,
        phi,
    }
}

/// ETH: ltv 0.8, lt 0.825, bonus 0.05; close factor 0.5.
fn policy(m: &MarketSpec) -> StaticLtv {
    let terms = AssetTerms {
        ltv: 0.8,
        lt: 0.825,
        bonus: 0.05,
    };
    StaticLtv::new("static", m, 0.5, &[("ETH".into(), terms)]).unwrap()
}

/// Two tiers split at 0.5: low `ltv -0.1, lt -0.1, bonus +0.02`, high `ltv +0.05,
/// lt +0.05, bonus -0.01`; `max_lt` 0.9. Scores gain 0.1 per healthy step, lose 0.5 per
/// liquidation and 0.3 per near miss (`H < 1.1`), within `[0, 1]`. Policy 0 applies them.
fn two_tiers() -> Reputation {
    let tier = |min_score, ltv, lt, bonus| Tier {
        min_score,
        ltv,
        lt,
        bonus,
    };
    Reputation {
        tiers: vec![tier(0.0, -0.1, -0.1, 0.02), tier(0.5, 0.05, 0.05, -0.01)],
        update: ScoreUpdate {
            healthy_gain: 0.1,
            liquidation_loss: 0.5,
            near_health: 1.1,
            near_loss: 0.3,
            min: 0.0,
            max: 1.0,
        },
        max_lt: 0.9,
        policies: vec![0],
    }
}

fn with(reputation: Reputation) -> Frictions {
    Frictions {
        reputation: Some(reputation),
        ..Frictions::default()
    }
}

/// Simulates policy index `policy_index` with events and the health (and score) snapshot
/// at `health_step`.
fn run(
    m: &MarketSpec,
    f: &Frictions,
    b: &Book,
    p: &PricePath,
    health_step: Option<usize>,
    policy_index: usize,
) -> PathOutcome {
    let options = SimOptions {
        record: RecordOptions {
            timeseries: true,
            events: true,
            health_step,
        },
        scan: ScanMode::Pruned,
    };
    let mut scratch = Scratch::new(b, p.steps());
    let policy = policy(m);
    simulate_path(m, f, b, &policy, p, options, &mut scratch, 0, policy_index).unwrap()
}

/// ETH prices by step; USDC is 1.
fn path(eth: &[f64]) -> PricePath {
    eth_path(eth, |x| [x, 1.0])
}

/// Two accounts with 1 ETH and 700 USDC of debt each: A with score 0.6 (high tier: lt
/// 0.875, ltv 0.85, bonus 0.04), B with 0.4 (low tier: lt 0.725, ltv 0.7, bonus 0.07).
/// ETH: 1,000, 1,000, 840, 840.
///
/// - Step 0: borrowing power A 1,000 x 0.85 = 850, B 700 (flat: 800 each).
/// - Step 1 (1,000): A `H = 875 / 700 = 1.25`, healthy: 0.7. B `H = 725 / 700 = 1.036`, a
///   near miss: 0.4 - 0.3 = 0.1.
/// - Step 2 (840): A `H = 840 x 0.875 / 700 = 1.05`, a near miss: 0.4 (low from step 3).
///   B `H = 609 / 700 = 0.87`: liquidated at bonus 0.07, `R = 350`, `S = 374.5`; score 0.
///   (Flat, A would have `H = 693 / 700 = 0.99` and be liquidated here.)
/// - Step 3 (840): A, now low, `H = 609 / 700 = 0.87`: `R = 350`, `S = 374.5`; score 0.
///   B: ETH `1 - 374.5 / 840`, worth 465.5, `H = 465.5 x 0.725 / 350 = 0.964`: `R = 175`,
///   `S = 187.25`. A (lower `H`) goes first.
#[test]
fn tiers_and_scores_step_by_step() {
    let m = market(None, 0.0);
    let mut b = Book::new(2);
    b.push("A".into(), &[1.0, 0.0], 700.0);
    b.push("B".into(), &[1.0, 0.0], 700.0);
    b.scores = vec![0.6, 0.4];
    let p = path(&[1000.0, 1000.0, 840.0, 840.0]);
    let f = with(two_tiers());
    let o = run(&m, &f, &b, &p, None, 0);
    close(o.summary.initial_borrowing_power, 850.0 + 700.0);
    let events: Vec<(u32, u32, f64, f64)> = o
        .events
        .iter()
        .map(|e| (e.step, e.account, e.repaid, e.seized))
        .collect();
    assert_eq!(events.len(), 3);
    let want = [
        (2, 1, 350.0, 374.5),
        (3, 0, 350.0, 374.5),
        (3, 1, 175.0, 187.25),
    ];
    for (got, want) in events.iter().zip(want) {
        assert_eq!((got.0, got.1), (want.0, want.1));
        close(got.2, want.2);
        close(got.3, want.3);
    }
    // The scores in force at each step (the snapshot's): 0.6/0.4, 0.6/0.4, 0.7/0.1,
    // 0.4/0.0 (0.1 - 0.3 - 0.5 stops at 0 after step 2, the liquidation counting alone).
    let scores = |t| run(&m, &f, &b, &p, Some(t), 0).scores;
    for (t, want) in [
        (0, [0.6, 0.4]),
        (1, [0.6, 0.4]),
        (2, [0.7, 0.1]),
        (3, [0.4, 0.0]),
    ] {
        let got = scores(t);
        close(got[0], want[0]);
        close(got[1], want[1]);
    }
    // Per tier (cohorts at step 0): A high, B low; both end in the low tier.
    let high = TierOutcome {
        accounts: 1,
        initial_debt: 700.0,
        initial_collateral: 1000.0,
        initial_borrowing_power: 850.0,
        flat_borrowing_power: 800.0,
        liquidations: 1,
        liquidated_accounts: 1,
        bad_debt: 0.0,
        final_accounts: 0,
    };
    let low = TierOutcome {
        initial_borrowing_power: 700.0,
        liquidations: 2,
        final_accounts: 2,
        ..high
    };
    assert_eq!(o.tiers.len(), 2);
    for (got, want) in o.tiers.iter().zip([low, high]) {
        close(got.initial_borrowing_power, want.initial_borrowing_power);
        assert_eq!(
            TierOutcome {
                initial_borrowing_power: want.initial_borrowing_power,
                ..*got
            },
            want
        );
    }
    // A policy that does not apply the tiers (index 1) tracks the same cohorts at the
    // flat terms: both accounts are liquidated at step 2 (H 0.99) at bonus 0.05.
    let flat = run(&m, &f, &b, &p, None, 1);
    close(flat.summary.initial_borrowing_power, 1600.0);
    assert_eq!(flat.events.iter().filter(|e| e.step == 2).count(), 2);
    close(flat.events[0].seized, 350.0 * 1.05);
    assert_eq!(flat.tiers[1].flat_borrowing_power, 800.0);
    assert_eq!(flat.tiers[1].initial_borrowing_power, 800.0);
}

/// A book of 300 accounts near their limits with scores in `[0, 1]`, and 20 GBM paths of
/// 60 steps with a liquidity gate and price feedback.
fn random_case() -> (MarketSpec, Book, Vec<PricePath>) {
    let m = market(Some(3e5), 0.2);
    let mut rng = stream_rng(5, crunch_core::Domain::BookGenerator, 0);
    let mut b = Book::new(2);
    for j in 0..300 {
        let eth: f64 = rng.random_range(0.1..5.0);
        b.push(
            j.to_string(),
            &[eth, 0.0],
            eth * 800.0 * rng.random_range(0.5..1.0),
        );
        b.scores.push(rng.random_range(0.0..1.0));
    }
    let gbm = Gbm::new(&m, &[vec![1.0, 0.0], vec![0.0, 1.0]], 60).unwrap();
    let paths = (0..20)
        .map(|i| {
            let mut p = PricePath::new(60, 2);
            gbm.fill(
                &mut stream_rng(3, crunch_core::Domain::MarketPaths, i),
                &mut p,
            );
            p
        })
        .collect();
    (m, b, paths)
}

/// One neutral tier applied by the policy, or adjusting tiers the policy does not apply:
/// summary, events, time series and health snapshot bit for bit those of the static
/// policy, also
/// under Aave v3.3's rules; and the cases liquidate, so the comparison means something.
#[test]
fn one_neutral_tier_reduces_to_the_static_policy_bit_for_bit() {
    let (m, b, paths) = random_case();
    let neutral = Reputation {
        tiers: vec![Tier {
            min_score: 0.0,
            ltv: 0.0,
            lt: 0.0,
            bonus: 0.0,
        }],
        ..two_tiers()
    };
    let aave = RuleSet::AaveV33 {
        full_close_health: 0.95,
        full_close_below: 2000.0,
        min_leftover: 1000.0,
    };
    let mut liquidations = 0;
    for rules in [RuleSet::LendingV1, aave] {
        let plain = Frictions {
            rules,
            ..Frictions::default()
        };
        let cases = [
            (with(neutral.clone()), 0),
            (with(two_tiers()), 1), // Policy 1 does not apply them.
        ];
        for (mut f, policy_index) in cases {
            f.rules = rules;
            for p in &paths {
                let base = run(&m, &plain, &b, p, Some(30), policy_index);
                let tiered = run(&m, &f, &b, p, Some(30), policy_index);
                liquidations += base.summary.liquidations;
                assert_eq!(base.summary, tiered.summary);
                assert_eq!(base.events, tiered.events);
                assert_eq!(base.steps, tiered.steps);
                assert_eq!(base.health, tiered.health);
                assert_eq!(tiered.tiers.iter().map(|x| x.accounts).sum::<u64>(), 300);
            }
        }
    }
    assert!(liquidations > 0, "the paths must liquidate");
}

/// The scores in force at step `t + 1` (those after step `t`'s update) are the same
/// when every price after step `t` changes, for every `t`; the changed prices do change
/// later scores.
#[test]
fn scores_do_not_look_ahead() {
    let (m, b, paths) = random_case();
    let f = with(two_tiers());
    let a = &paths[0];
    let steps = a.steps();
    let mut later_differs = false;
    for t in 0..steps {
        let mut changed = a.clone();
        for s in t + 1..=steps {
            changed.row_mut(s)[0] *= 0.6;
        }
        let before = run(&m, &f, &b, a, Some(t + 1), 0).scores;
        let after = run(&m, &f, &b, &changed, Some(t + 1), 0).scores;
        assert_eq!(before, after, "scores after step {t}");
        let end = |p| run(&m, &f, &b, p, Some(steps), 0).scores;
        later_differs |= t + 1 < steps && end(a) != end(&changed);
    }
    assert!(later_differs, "the changed prices must change later scores");
}
