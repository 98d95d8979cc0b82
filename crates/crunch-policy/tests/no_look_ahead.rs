//! The `dynamic` and `predictive` policies are free of look-ahead: changing the price path
//! after step `t` leaves every requirement they produced at steps `0..=t` unchanged, bit
//! for bit. The same holds for the regime filter, the implied-volatility series (whose
//! values after step `t` are changed too) and the liquidity term (whose liquidity factors
//! after step `t` are changed too).

use crunch_core::{AssetSpec, MarginPolicy, MarketSpec, PricePath, Requirements};
use crunch_policy::{
    Dynamic, DynamicParams, DynamicTerms, ImpliedTerms, Liquidity, Predictive, PredictiveParams,
    PredictiveTerms, RegimeTerms,
};

fn market() -> MarketSpec {
    let a = |s: &str, sigma: f64| AssetSpec {
        impact: 1.0,
        ..AssetSpec::new(s, 100.0, sigma)
    };
    MarketSpec {
        assets: vec![a("ETH", 0.8), a("BTC", 0.6), a("USDC", 0.0)],
        dt: 1.0 / 365.0,
        phi: 0.0,
    }
}

fn terms(ltv: f64, lt: f64, sigma_ref: f64) -> DynamicTerms {
    DynamicTerms {
        ltv,
        lt,
        bonus: 0.05,
        sigma_ref,
    }
}

fn dynamic(market: &MarketSpec) -> Dynamic {
    let t = terms;
    let params = DynamicParams {
        close_factor: 0.5,
        lambda: 0.94,
        beta: 1.0,
        floor: 0.3,
        cap: 1.1,
    };
    let terms = [
        ("ETH".into(), t(0.8, 0.85, 0.8)),
        ("BTC".into(), t(0.7, 0.75, 0.6)),
    ];
    Dynamic::new("dynamic", market, params, &terms).unwrap()
}

/// GARCH weights of the calibration's order (persistence 0.9 and 0.95), a 5-step horizon,
/// long-run volatility below the reference so that the terms also move up to the cap.
fn predictive(market: &MarketSpec) -> Predictive {
    let t = |base, sigma_long, alpha, beta| PredictiveTerms {
        base,
        sigma_long,
        alpha,
        beta,
    };
    let params = PredictiveParams {
        close_factor: 0.5,
        horizon: 5.0,
        beta: 1.0,
        floor: 0.3,
        cap: 1.1,
    };
    let terms = [
        ("ETH".into(), t(terms(0.8, 0.85, 0.8), 0.7, 0.1, 0.8)),
        ("BTC".into(), t(terms(0.7, 0.75, 0.6), 0.6, 0.05, 0.9)),
    ];
    Predictive::new("predictive", market, params, &terms).unwrap()
}

/// A deterministic, rough price path: log-returns from a small linear congruential
/// generator, scaled by `scale` after step `from` (1 before).
fn path(steps: usize, from: usize, scale: f64, seed: u64) -> PricePath {
    let mut p = PricePath::new(steps, 3);
    let mut x = seed;
    let mut log = [100f64.ln(), 100f64.ln()];
    p.row_mut(0).copy_from_slice(&[100.0, 100.0, 1.0]);
    for t in 1..=steps {
        let s = if t > from { scale } else { 1.0 };
        for l in &mut log {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            *l += s * 0.12 * u;
        }
        p.row_mut(t)
            .copy_from_slice(&[log[0].exp(), log[1].exp(), 1.0]);
    }
    p
}

/// Requirements at every step `0..=T`, driving the state as the engine does.
fn requirements(policy: &dyn MarginPolicy, path: &PricePath) -> Vec<Requirements> {
    let mut state = policy.start_path();
    let mut req = Requirements::zeroed(path.assets());
    (0..=path.steps())
        .map(|t| {
            state.update(path.view_until(t), &mut req);
            req.clone()
        })
        .collect()
}

#[test]
fn changing_the_future_leaves_past_requirements_unchanged() {
    let m = market();
    let (dynamic, predictive) = (dynamic(&m), predictive(&m));
    let policies: [&dyn MarginPolicy; 2] = [&dynamic, &predictive];
    let steps = 120;
    let base = path(steps, steps, 1.0, 7);
    for policy in policies {
        let name = policy.name();
        let before = requirements(policy, &base);
        for t in [0, 1, 5, 30, 59, 119] {
            // A different future: other draws, three times the volatility, a crash.
            let mut changed = path(steps, t, 3.0, 99 + t as u64);
            for u in 0..=t {
                changed.row_mut(u).copy_from_slice(base.row(u));
            }
            for u in t + 1..=steps {
                changed.row_mut(u)[0] *= 0.2;
            }
            let after = requirements(policy, &changed);
            assert_eq!(
                before[..=t],
                after[..=t],
                "{name}: requirements up to step {t} changed"
            );
            assert_ne!(
                before[t + 1..],
                after[t + 1..],
                "{name}: the future change had no effect"
            );
        }
    }
}

fn predictive_params() -> PredictiveParams {
    PredictiveParams {
        close_factor: 0.5,
        horizon: 5.0,
        beta: 1.0,
        floor: 0.3,
        cap: 1.1,
    }
}

/// Two-state filters with persistent states, calm below and stress above the reference.
fn regime(market: &MarketSpec) -> Predictive {
    let t = |base, sigma_calm, sigma_stress| RegimeTerms {
        base,
        sigma_calm,
        sigma_stress,
        stay_calm: 0.97,
        stay_stress: 0.9,
    };
    let terms = [
        ("ETH".into(), t(terms(0.8, 0.85, 0.8), 0.5, 1.6)),
        ("BTC".into(), t(terms(0.7, 0.75, 0.6), 0.4, 1.2)),
    ];
    Predictive::regime("regime", market, predictive_params(), &terms).unwrap()
}

/// An implied-volatility series per asset, `series(seed)`; steps after `from` drawn anew.
fn implied(market: &MarketSpec, steps: usize, from: usize, seed: u64) -> Predictive {
    let series = |s: u64| -> Vec<f64> {
        (0..=steps)
            .map(|t| {
                let s = if t > from { s + 1 } else { s };
                0.3 + ((t as u64 * 7919 + s * 104729) % 1000) as f64 / 1000.0
            })
            .collect()
    };
    let t = |base, series| ImpliedTerms {
        base,
        series,
        source: "test".into(),
    };
    let terms = [
        ("ETH".into(), t(terms(0.8, 0.85, 0.8), series(seed))),
        ("BTC".into(), t(terms(0.7, 0.75, 0.6), series(seed + 1))),
    ];
    Predictive::implied("implied", market, predictive_params(), &terms).unwrap()
}

/// The liquidity term on ETH only (BTC without a depth).
fn liquidity() -> Liquidity {
    Liquidity {
        k: 1.0,
        position_scale: vec![("ETH".into(), 5e4)],
    }
}

/// Liquidity factors of `path` after step `from` cut, so that the liquidity term moves.
fn crunch_liquidity(path: &mut PricePath, from: usize) {
    for u in from + 1..=path.steps() {
        path.liquidity_row_mut(u)[0] = 0.2 + 0.5 * (u % 3) as f64 / 3.0;
    }
}

#[test]
fn the_regime_filter_implied_series_and_liquidity_term_do_not_look_ahead() {
    let mut m = market();
    m.assets[0].depth = Some(1e6);
    let steps = 120;
    let dynamic = dynamic(&m).with_liquidity(&m, &liquidity()).unwrap();
    let predictive = predictive(&m).with_liquidity(&m, &liquidity()).unwrap();
    let regime_liquidity = regime(&m).with_liquidity(&m, &liquidity()).unwrap();
    let regime = regime(&m);
    let policies: [&dyn MarginPolicy; 4] = [&dynamic, &predictive, &regime, &regime_liquidity];
    let base = path(steps, steps, 1.0, 7);
    let implied_base = implied(&m, steps, steps, 3);
    let implied_before = requirements(&implied_base, &base);
    for policy in policies {
        let name = policy.name();
        let before = requirements(policy, &base);
        for t in [0, 1, 5, 30, 59, 119] {
            let mut changed = path(steps, t, 3.0, 99 + t as u64);
            for u in 0..=t {
                changed.row_mut(u).copy_from_slice(base.row(u));
            }
            for u in t + 1..=steps {
                changed.row_mut(u)[0] *= 0.2;
            }
            crunch_liquidity(&mut changed, t);
            let after = requirements(policy, &changed);
            assert_eq!(before[..=t], after[..=t], "{name}: up to step {t} changed");
            assert_ne!(before[t + 1..], after[t + 1..], "{name}: no effect");
        }
    }
    for t in [0, 1, 5, 30, 59, 119] {
        // Another series after step t (and another path): nothing up to t moves.
        let changed = implied(&m, steps, t, 3);
        let mut path = path(steps, t, 3.0, 5 + t as u64);
        for u in 0..=t {
            path.row_mut(u).copy_from_slice(base.row(u));
        }
        let after = requirements(&changed, &path);
        assert_eq!(
            implied_before[..=t],
            after[..=t],
            "implied: up to {t} changed"
        );
        assert_ne!(
            implied_before[t + 1..],
            after[t + 1..],
            "implied: no effect"
        );
    }
}
