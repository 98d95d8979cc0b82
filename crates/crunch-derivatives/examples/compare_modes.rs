//! One derivatives book through every margin mode on the same GBM paths: isolated,
//! cross, portfolio (full and delta-gamma-vega) and the lending policies static-ltv,
//! dynamic and predictive applied to delta notionals. Prints, per mode, the capital
//! efficiency and idle collateral at step 0 against what the paths cost: liquidations,
//! penalties, slippage, insurance fund payments, socialised loss and bad debt.
//!
//! Run: `cargo run -p crunch-derivatives --example compare_modes [paths]` (default 200).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{account, book, cross, gbm_paths, isolated, market, policies};
use crunch_core::AssetSpec;
use crunch_derivatives::{
    DerivBook, DerivOptions, MarginMode, OptionKind, Position, Revaluation, ScanGrid,
    simulate_deriv_path,
};

/// Covered calls, a hedged perpetual pair, levered longs and shorts, option sellers.
fn demo_book() -> DerivBook {
    let call =
        |size, strike, premium| Position::option(0, size, OptionKind::Call, strike, 0.2, premium);
    let put =
        |size, strike, premium| Position::option(0, size, OptionKind::Put, strike, 0.2, premium);
    book(vec![
        account(
            "covered-call",
            400.0,
            vec![Position::perp(0, 10.0, 100.0), call(-10.0, 115.0, 3.0)],
        ),
        account(
            "pair",
            300.0,
            vec![
                Position::perp(0, 20.0, 100.0).with_funding(1e-4),
                Position::perp(0, -20.0, 100.0).with_funding(1e-4),
            ],
        ),
        account("long-8x", 1_250.0, vec![Position::perp(0, 100.0, 100.0)]),
        account("short-5x", 2_000.0, vec![Position::perp(0, -100.0, 100.0)]),
        account("put-seller", 1_500.0, vec![put(-50.0, 90.0, 2.0)]),
        account(
            "straddle-seller",
            2_500.0,
            vec![call(-30.0, 100.0, 12.0), put(-30.0, 100.0, 12.0)],
        ),
        account(
            "protected-long",
            800.0,
            vec![Position::perp(0, 30.0, 100.0), put(30.0, 95.0, 8.0)],
        ),
    ])
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map_or(200, |a| a.parse().expect("the number of paths"));
    let eth = AssetSpec {
        symbol: "ETH".into(),
        price: 100.0,
        sigma: 0.8,
        mu: 0.0,
        depth: Some(2_000_000.0),
        impact: 0.5,
    };
    let m = market(vec![eth], 1.0 / 365.0);
    let paths = gbm_paths(&m, 90, n, 42);
    let (fixed, dynamic, predictive) = policies(&m, 0.8);
    let grid = |r| ScanGrid::new(r, 3, 0.1).unwrap();
    let portfolio = |revaluation| MarginMode::Portfolio {
        initial: grid(0.15),
        maintenance: grid(0.1),
        revaluation,
    };
    let modes = [
        isolated(0.15, 0.1),
        cross(0.15, 0.1),
        portfolio(Revaluation::Full),
        portfolio(Revaluation::DeltaGammaVega),
        MarginMode::Policy(&fixed),
        MarginMode::Policy(&dynamic),
        MarginMode::Policy(&predictive),
    ];
    let options = DerivOptions {
        penalty: 0.01,
        insurance_fund: 500.0,
        ..DerivOptions::default()
    };
    let b = demo_book();
    println!("{n} GBM paths of 90 daily steps, ETH sigma 80 %; penalty 1 %, insurance fund 500\n");
    println!(
        "{:<14} {:>8} {:>9} {:>8} {:>10} {:>8} {:>8} {:>9} {:>10} {:>9} {:>8}",
        "mode",
        "cap.eff",
        "idle",
        "liq",
        "closed",
        "penalty",
        "slip",
        "fund paid",
        "socialised",
        "bad debt",
        "depleted"
    );
    for mode in &modes {
        let (mut liq, mut closed, mut pen, mut slip, mut paid, mut social, mut bad) =
            (0u64, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let mut depleted = 0;
        let mut first = None;
        for p in &paths {
            let s = simulate_deriv_path(&m, &b, mode, p, &options)
                .expect("the demo book simulates")
                .summary;
            liq += s.liquidations;
            closed += s.closed_notional;
            pen += s.liquidation_penalty;
            slip += s.slippage_cost;
            paid += s.insurance_paid;
            social += s.socialised_loss;
            bad += s.bad_debt;
            depleted += u64::from(s.insurance_depletion_step.is_some());
            first.get_or_insert((s.capital_efficiency, s.idle_collateral));
        }
        let (eff, idle) = first.expect("at least one path");
        let per = |x: f64| x / n as f64;
        println!(
            "{:<14} {:>8} {:>9.0} {:>8.2} {:>10.0} {:>8.1} {:>8.1} {:>9.1} {:>10.1} {:>9.1} {:>7.1}%",
            mode.name(),
            eff.map_or("inf".into(), |e| format!("{e:.2}")),
            idle,
            per(liq as f64),
            per(closed),
            per(pen),
            per(slip),
            per(paid),
            per(social),
            per(bad),
            100.0 * per(depleted as f64),
        );
    }
    println!(
        "\ncap.eff: gross notional / initial requirement at step 0; idle: collateral above the \
         initial requirement at step 0 (USD);\nthe other columns are means per path (USD, \
         liquidation counts) and the share of paths that depleted the fund."
    );
}
