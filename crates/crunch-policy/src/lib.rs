//! Margin policies of crunch. Each implements [`crunch_core::MarginPolicy`].

mod dynamic;
mod predictive;
mod scaled;
mod static_ltv;

pub use dynamic::{Dynamic, DynamicParams, DynamicTerms};
pub use predictive::{ImpliedTerms, Predictive, PredictiveParams, PredictiveTerms, RegimeTerms};
pub use scaled::Liquidity;
pub use static_ltv::{AssetTerms, PolicyError, StaticLtv};

/// The market of the unit tests: ETH and USDC at unit prices, `dt = 1`.
#[cfg(test)]
fn test_market() -> crunch_core::MarketSpec {
    let a = |s: &str| crunch_core::AssetSpec {
        symbol: s.into(),
        price: 1.0,
        sigma: 0.0,
        mu: 0.0,
        depth: None,
        impact: 0.0,
    };
    crunch_core::MarketSpec {
        assets: vec![a("ETH"), a("USDC")],
        dt: 1.0,
        phi: 0.0,
    }
}
