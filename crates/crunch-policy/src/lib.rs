//! Margin policies of crunch. Each implements [`crunch_core::MarginPolicy`].

mod dynamic;
mod static_ltv;

pub use dynamic::{Dynamic, DynamicParams, DynamicTerms};
pub use static_ltv::{AssetTerms, PolicyError, StaticLtv};
