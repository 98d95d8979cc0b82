//! Margin policies of crunch. Each implements [`crunch_core::MarginPolicy`].

mod static_ltv;

pub use static_ltv::{AssetTerms, PolicyError, StaticLtv};
