//! Helpers shared by the simulation tests.

#![allow(dead_code)]

use crunch_core::{AssetSpec, MarketSpec, PricePath};
use crunch_derivatives::{Account, DerivBook, MarginMode, Position, RuleParams};

/// An asset priced 100 with volatility 0.5, no drift, no liquidity model.
pub fn asset(symbol: &str) -> AssetSpec {
    AssetSpec::new(symbol, 100.0, 0.5)
}

/// A market of the given assets with step `dt` years.
pub fn market(assets: Vec<AssetSpec>, dt: f64) -> MarketSpec {
    MarketSpec {
        assets,
        dt,
        phi: 0.0,
    }
}

/// A path with these rows of prices.
pub fn path(rows: &[&[f64]]) -> PricePath {
    let mut p = PricePath::new(rows.len() - 1, rows[0].len());
    for (t, r) in rows.iter().enumerate() {
        p.row_mut(t).copy_from_slice(r);
    }
    p
}

/// An account, checked.
pub fn account(id: &str, collateral: f64, positions: Vec<Position>) -> Account {
    Account::new(id, collateral, positions).unwrap()
}

/// A book, checked.
pub fn book(accounts: Vec<Account>) -> DerivBook {
    DerivBook::new(accounts).unwrap()
}

/// Rule-based rates: perpetuals at `perp_rate`, short options at 20 % / 10 %.
pub fn rules(perp_rate: f64) -> RuleParams {
    RuleParams::new(perp_rate, 0.2, 0.1).unwrap()
}

/// Cross margin with initial perpetual rate `initial` and maintenance `maintenance`.
pub fn cross(initial: f64, maintenance: f64) -> MarginMode<'static> {
    MarginMode::Cross {
        initial: rules(initial),
        maintenance: rules(maintenance),
    }
}

/// Isolated margin with initial perpetual rate `initial` and maintenance `maintenance`.
pub fn isolated(initial: f64, maintenance: f64) -> MarginMode<'static> {
    MarginMode::Isolated {
        initial: rules(initial),
        maintenance: rules(maintenance),
    }
}

/// The three lending policies of crunch-policy on every asset of `market`, with base terms
/// `ltv = 0.85`, `lt = 0.9`, bonus 5 % at reference volatility `sigma` (the GARCH of the
/// predictive policy targets it too).
pub fn policies(
    market: &MarketSpec,
    sigma: f64,
) -> (
    crunch_policy::StaticLtv,
    crunch_policy::Dynamic,
    crunch_policy::Predictive,
) {
    use crunch_policy::{
        AssetTerms, Dynamic, DynamicParams, DynamicTerms, Predictive, PredictiveParams,
        PredictiveTerms, StaticLtv,
    };
    let symbols = market.assets.iter().map(|a| a.symbol.clone());
    let base = DynamicTerms {
        ltv: 0.85,
        lt: 0.9,
        bonus: 0.05,
        sigma_ref: sigma,
    };
    let fixed: Vec<_> = symbols
        .clone()
        .map(|s| {
            let t = AssetTerms {
                ltv: base.ltv,
                lt: base.lt,
                bonus: base.bonus,
            };
            (s, t)
        })
        .collect();
    let dynamic: Vec<_> = symbols.clone().map(|s| (s, base)).collect();
    let garch: Vec<_> = symbols
        .map(|s| {
            let t = PredictiveTerms {
                base,
                sigma_long: sigma,
                alpha: 0.1,
                beta: 0.85,
            };
            (s, t)
        })
        .collect();
    (
        StaticLtv::new("static-ltv", market, 0.5, &fixed).unwrap(),
        Dynamic::new(
            "dynamic",
            market,
            DynamicParams::with_close_factor(0.5),
            &dynamic,
        )
        .unwrap(),
        Predictive::new(
            "predictive",
            market,
            PredictiveParams::with_close_factor(0.5),
            &garch,
        )
        .unwrap(),
    )
}

/// Paths `0..n` of seed `seed` from uncorrelated GBM over `market`, as the engine draws
/// them.
pub fn gbm_paths(market: &MarketSpec, steps: usize, n: u64, seed: u64) -> Vec<PricePath> {
    use crunch_core::{Domain, PathSource, stream_rng};
    let a = market.len();
    let identity: Vec<Vec<f64>> = (0..a)
        .map(|i| (0..a).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let gbm = crunch_market::Gbm::new(market, &identity, steps).unwrap();
    (0..n)
        .map(|i| {
            let mut p = PricePath::new(steps, a);
            gbm.fill(&mut stream_rng(seed, Domain::MarketPaths, i), &mut p);
            p
        })
        .collect()
}
