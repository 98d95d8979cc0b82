//! Without the new options (liquidity term, other forecasts) `dynamic` and `predictive`
//! produce exactly what they did before them: the requirements equal, bit for bit, those
//! of a direct transcription of the original formulas, and a liquidity term with `k = 0`
//! changes nothing either.

use crunch_core::{AssetSpec, MarginPolicy, MarketSpec, PricePath, Requirements};
use crunch_policy::{
    Dynamic, DynamicParams, DynamicTerms, Liquidity, Predictive, PredictiveParams, PredictiveTerms,
};

fn market() -> MarketSpec {
    let a = |s: &str, depth| AssetSpec {
        symbol: s.into(),
        price: 100.0,
        sigma: 0.8,
        mu: 0.0,
        depth,
        impact: 1.0,
    };
    MarketSpec {
        assets: vec![a("ETH", Some(2e6)), a("BTC", None)],
        dt: 1.0 / 365.0,
        phi: 0.0,
    }
}

const BASE: [(f64, f64, f64); 2] = [(0.8, 0.85, 0.8), (0.7, 0.75, 0.6)];

fn terms() -> Vec<(String, DynamicTerms)> {
    ["ETH", "BTC"]
        .iter()
        .zip(BASE)
        .map(|(s, (ltv, lt, sigma_ref))| {
            let t = DynamicTerms {
                ltv,
                lt,
                bonus: 0.05,
                sigma_ref,
            };
            (s.to_string(), t)
        })
        .collect()
}

/// A rough path with a volatility burst in the middle and a liquidity crunch.
fn path(steps: usize) -> PricePath {
    let mut p = PricePath::new(steps, 2);
    let mut x = 11u64;
    let mut log = [100f64.ln(); 2];
    p.row_mut(0).copy_from_slice(&[100.0, 100.0]);
    for t in 1..=steps {
        let s = if (40..70).contains(&t) { 4.0 } else { 1.0 };
        for l in &mut log {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *l += s * 0.1 * ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
        }
        p.row_mut(t).copy_from_slice(&[log[0].exp(), log[1].exp()]);
        p.liquidity_row_mut(t)[0] = if s > 1.0 { 0.25 } else { 1.0 };
    }
    p
}

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

/// The original formulas: per asset an annualised variance updated by `step(v, r)` from
/// `v0`, then `clamp((sigma_ref / sqrt(var(v)))^beta, floor, cap)` on `ltv` and `lt`.
fn reference(
    path: &PricePath,
    (beta, floor, cap, cf): (f64, f64, f64, f64),
    v0: [f64; 2],
    step: impl Fn(usize, f64, f64) -> f64,
    var: impl Fn(usize, f64) -> f64,
) -> Vec<Requirements> {
    let mut v = v0;
    (0..=path.steps())
        .map(|t| {
            if t > 0 {
                for (i, vi) in v.iter_mut().enumerate() {
                    *vi = step(i, *vi, (path.row(t)[i] / path.row(t - 1)[i]).ln());
                }
            }
            let mut req = Requirements::zeroed(2);
            req.close_factor = cf;
            for (i, (ltv, lt, sigma_ref)) in BASE.into_iter().enumerate() {
                let m = (sigma_ref / var(i, v[i]).sqrt())
                    .powf(beta)
                    .clamp(floor, cap);
                req.ltv[i] = ltv * m;
                req.lt[i] = lt * m;
                req.bonus[i] = 0.05;
            }
            req
        })
        .collect()
}

#[test]
fn dynamic_without_the_liquidity_term_is_bit_identical() {
    let (m, path) = (market(), path(150));
    let params = DynamicParams {
        close_factor: 0.5,
        lambda: 0.94,
        beta: 1.5,
        floor: 0.3,
        cap: 1.1,
    };
    let (l, dt) = (params.lambda, m.dt);
    let expected = reference(
        &path,
        (1.5, 0.3, 1.1, 0.5),
        [0.8 * 0.8, 0.6 * 0.6],
        |_, v, r| l * v + (1.0 - l) * r * r / dt,
        |_, v| v,
    );
    let plain = Dynamic::new("d", &m, params, &terms()).unwrap();
    assert_eq!(requirements(&plain, &path), expected);
    let zero = Liquidity {
        k: 0.0,
        position_scale: vec![("ETH".into(), 1e5)],
    };
    let with_zero = plain.clone().with_liquidity(&m, &zero).unwrap();
    assert_eq!(requirements(&with_zero, &path), expected);
    // A real liquidity term does move ETH (and only ETH) in the crunch.
    let real = Liquidity { k: 1.0, ..zero };
    let moved = requirements(&plain.with_liquidity(&m, &real).unwrap(), &path);
    assert_ne!(moved, expected);
    assert!(moved.iter().zip(&expected).all(|(a, b)| a.lt[1] == b.lt[1]));
}

#[test]
fn predictive_garch_is_bit_identical() {
    let (m, path) = (market(), path(150));
    let params = PredictiveParams {
        close_factor: 0.5,
        horizon: 5.0,
        beta: 1.0,
        floor: 0.3,
        cap: 1.1,
    };
    let garch = [(0.7, 0.1, 0.8), (0.6, 0.05, 0.9)];
    let terms: Vec<(String, PredictiveTerms)> = terms()
        .into_iter()
        .zip(garch)
        .map(|((s, base), (sigma_long, alpha, beta))| {
            let t = PredictiveTerms {
                base,
                sigma_long,
                alpha,
                beta,
            };
            (s, t)
        })
        .collect();
    let dt = m.dt;
    let long: Vec<f64> = garch.iter().map(|g| g.0 * g.0 * dt).collect();
    let expected = reference(
        &path,
        (1.0, 0.3, 1.1, 0.5),
        [long[0], long[1]],
        |i, h, r| {
            let (_, a, b) = garch[i];
            long[i] * (1.0 - (a + b)) + a * r * r + b * h
        },
        |i, h| {
            let phi = garch[i].1 + garch[i].2;
            let w = (1.0 - phi.powf(5.0)) / (5.0 * (1.0 - phi));
            (long[i] + w * (h - long[i])) / dt
        },
    );
    let p = Predictive::new("p", &m, params, &terms).unwrap();
    assert_eq!(requirements(&p, &path), expected);
}
