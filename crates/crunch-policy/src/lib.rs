//! Margin policies of crunch. Each implements [`crunch_core::MarginPolicy`].

mod dynamic;
mod predictive;
mod scaled;
mod static_ltv;

pub use dynamic::{Dynamic, DynamicParams, DynamicTerms};
pub use predictive::{ImpliedTerms, Predictive, PredictiveParams, PredictiveTerms, RegimeTerms};
pub use scaled::Liquidity;
pub use static_ltv::{AssetTerms, PolicyError, StaticLtv};
