//! The spec's closed-form check: one account, one moving asset with `mu = 0`, no liquidity
//! limit. The share of paths liquidated by step `T` is the probability that the discretely
//! monitored GBM falls below `b = D / (c lt)`; with the Broadie–Glasserman–Kou continuity
//! correction (barrier shifted to `b exp(-0.5826 sigma sqrt(dt))`, Broadie, Glasserman &
//! Kou, *Mathematical Finance* 7(4), 1997) the continuous first-passage formula gives it.

use crunch_core::{AssetSpec, Book, MarginPolicy, MarketSpec, PathOutcome, ResultSink};
use crunch_engine::{RunPlan, SimOptions, run};
use crunch_market::Gbm;
use crunch_policy::{AssetTerms, StaticLtv};
use std::convert::Infallible;

/// Keeps only whether each path saw a liquidation.
struct Liquidated(Vec<bool>);

impl ResultSink for Liquidated {
    type Error = Infallible;
    fn accept(&mut self, o: &PathOutcome) -> Result<(), Infallible> {
        self.0.push(o.summary.liquidations > 0);
        Ok(())
    }
}

/// Standard normal CDF.
fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function with fractional error below 1.2e-7 everywhere (Chebyshev
/// fit `erfcc`, Press et al., *Numerical Recipes in C*, 2nd ed., §6.2), ample for
/// probabilities compared at a tolerance of about 1e-2.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398
                                    + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// P(min_{s <= T} X_s <= a) for X a Brownian motion with drift `nu` and volatility `sigma`
/// started at 0, `a < 0` (reflection principle with drift, e.g. Shreve, *Stochastic
/// Calculus for Finance II*, §7.2.2):
/// `Phi((a - nu T) / (sigma sqrt T)) + exp(2 nu a / sigma^2) Phi((a + nu T) / (sigma sqrt T))`.
fn first_passage(a: f64, nu: f64, sigma: f64, horizon: f64) -> f64 {
    let s = sigma * horizon.sqrt();
    norm_cdf((a - nu * horizon) / s)
        + (2.0 * nu * a / (sigma * sigma)).exp() * norm_cdf((a + nu * horizon) / s)
}

fn check(sigma: f64, steps: usize, barrier: f64, paths: u64) {
    let dt = 1.0 / 365.0;
    let (p0, lt, c) = (2000.0, 0.825, 1.0);
    let market = MarketSpec {
        assets: vec![
            AssetSpec {
                symbol: "ETH".into(),
                price: p0,
                sigma,
                mu: 0.0,
                depth: None,
                impact: 0.0,
            },
            AssetSpec {
                symbol: "USDC".into(),
                price: 1.0,
                sigma: 0.0,
                mu: 0.0,
                depth: None,
                impact: 0.0,
            },
        ],
        dt,
        phi: 0.0,
    };
    let mut book = Book::new(2);
    // H < 1  <=>  c p lt / D < 1  <=>  p < D / (c lt) = barrier.
    book.push("0".into(), &[c, 0.0], barrier * c * lt);
    let terms = AssetTerms {
        ltv: 0.8,
        lt,
        bonus: 0.05,
    };
    let policies: Vec<Box<dyn MarginPolicy>> = vec![Box::new(
        StaticLtv::new("s", &market, 0.5, &[("ETH".into(), terms)]).unwrap(),
    )];
    let gbm = Gbm::new(&market, &[vec![1.0, 0.0], vec![0.0, 1.0]], steps).unwrap();
    let plan = RunPlan {
        stop: None,
        frictions: &crunch_core::Frictions::default(),
        market: &market,
        book: &book,
        source: &gbm,
        policies: &policies,
        seed: 2024,
        units: crunch_engine::units(0..paths, policies.len()),
        options: SimOptions::default(),
    };
    let mut sink = Liquidated(Vec::new());
    run(&plan, &mut sink, &|| {}).unwrap();
    let hit = sink.0.iter().filter(|&&x| x).count() as f64 / paths as f64;

    let shifted = barrier * (-0.5826 * sigma * dt.sqrt()).exp();
    let expected = first_passage(
        (shifted / p0).ln(),
        -sigma * sigma / 2.0,
        sigma,
        steps as f64 * dt,
    );
    // Binomial standard error of the simulated share. A 4-SE band has a two-sided
    // false-alarm rate of 6e-5 under the null; the seed is fixed, so the test is
    // deterministic, and the band is what a correct engine must meet.
    let se = (expected * (1.0 - expected) / paths as f64).sqrt();
    assert!(
        (hit - expected).abs() < 4.0 * se,
        "sigma {sigma}, T {steps}, barrier {barrier}: simulated {hit}, BGK {expected}, se {se}"
    );
}

#[test]
fn liquidation_share_matches_bgk_one_year_high_vol() {
    check(0.8, 365, 1400.0, 20_000);
}

#[test]
fn liquidation_share_matches_bgk_one_quarter() {
    check(0.5, 90, 1700.0, 20_000);
}

#[test]
fn liquidation_share_matches_bgk_short_horizon_near_barrier() {
    check(1.0, 30, 1850.0, 20_000);
}
