//! The TOML schema as serde types. Values that are range-checked after parsing are
//! `Spanned`, so that every error can name its line.

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use toml::Spanned;

/// A number that may be written as a TOML integer or float (`price = 1` or `1.0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Num(pub f64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

pub(crate) type SNum = Spanned<Num>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: Spanned<String>,
    pub model: Spanned<String>,
    pub seed: Spanned<u64>,
    pub paths: Option<Spanned<u64>>,
    pub steps: Option<Spanned<u64>>,
    pub dt: SNum,
    pub assets: Vec<RawAsset>,
    pub market: RawMarket,
    pub book: RawBook,
    pub policies: Vec<RawPolicy>,
    pub output: Option<RawOutput>,
    pub oracle: Option<Spanned<BTreeMap<String, RawOracle>>>,
    pub liquidators: Option<Spanned<RawLiquidators>>,
    pub protocol: Option<Spanned<RawProtocol>>,
    pub reputation: Option<Spanned<RawReputation>>,
    pub derivatives: Option<Spanned<crate::derivatives::RawDerivatives>>,
    pub chains: Option<Spanned<RawChains>>,
}

/// `[chains]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChains {
    pub home: Option<Spanned<String>>,
    pub isolated: Option<Spanned<Vec<String>>>,
    pub target_health: Option<SNum>,
    pub remote: Option<Vec<Spanned<RawChain>>>,
}

/// One entry of `[[chains.remote]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChain {
    pub name: Spanned<String>,
    pub bridge_delay: Spanned<u64>,
    pub halts: Option<Vec<Spanned<RawWindow>>>,
    pub assets: Spanned<BTreeMap<String, String>>,
}

/// `[reputation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReputation {
    pub policies: Spanned<Vec<String>>,
    pub max_lt: Option<SNum>,
    pub tiers: Spanned<Vec<Spanned<RawTier>>>,
    pub update: Spanned<RawScoreUpdate>,
}

/// One entry of `[reputation] tiers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTier {
    pub min_score: SNum,
    pub ltv: Option<SNum>,
    pub lt: Option<SNum>,
    pub bonus: Option<SNum>,
}

/// `[reputation.update]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScoreUpdate {
    pub healthy_gain: SNum,
    pub liquidation_loss: SNum,
    pub near_health: SNum,
    pub near_loss: SNum,
    pub bounds: Option<Spanned<[Num; 2]>>,
}

/// `[protocol]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProtocol {
    pub rules: Option<Spanned<String>>,
    pub full_close_health: Option<SNum>,
    pub full_close_below: Option<SNum>,
    pub min_leftover: Option<SNum>,
    pub max_discount: Option<SNum>,
    pub liquidation_factor: Option<SNum>,
    pub store_front_factor: Option<SNum>,
    pub target_reserves: Option<SNum>,
    pub reserves: Option<SNum>,
    pub multi_asset_debt: Option<bool>,
    pub emode: Option<Spanned<RawEMode>>,
    pub isolation: Option<Spanned<BTreeMap<String, RawIsolation>>>,
    pub caps: Option<Spanned<BTreeMap<String, RawCaps>>>,
}

/// `[protocol.isolation.SYMBOL]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIsolation {
    pub debt_ceiling: SNum,
}

/// `[protocol.caps.SYMBOL]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCaps {
    pub supply: Option<SNum>,
    pub borrow: Option<SNum>,
}

/// `[protocol.emode]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEMode {
    pub assets: Spanned<Vec<String>>,
    pub ltv: SNum,
    pub lt: SNum,
    pub bonus: SNum,
}

/// `[oracle.SYMBOL]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOracle {
    pub lag: Option<Spanned<u64>>,
    pub heartbeat: Option<Spanned<u64>>,
    pub deviation: Option<SNum>,
    pub floor: Option<SNum>,
    pub ceiling: Option<SNum>,
    pub spikes: Option<Vec<Spanned<RawSpike>>>,
}

/// One entry of `[oracle.SYMBOL].spikes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpike {
    pub start: Spanned<u64>,
    pub end: Spanned<u64>,
    pub factor: SNum,
}

/// `[liquidators]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLiquidators {
    pub capacity: Option<SNum>,
    pub gas: Option<SNum>,
    pub outages: Option<Vec<Spanned<RawWindow>>>,
    pub recovery_half_life: Option<SNum>,
}

/// A window of steps `start..=end`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWindow {
    pub start: Spanned<u64>,
    pub end: Spanned<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAsset {
    pub symbol: Spanned<String>,
    pub price: SNum,
    pub sigma: Option<SNum>,
    pub mu: Option<SNum>,
    pub depth: Option<SNum>,
    pub impact: Option<SNum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMarket {
    pub source: Spanned<String>,
    pub correlation: Option<Spanned<Vec<Vec<Num>>>>,
    pub repair_correlation: Option<Spanned<bool>>,
    pub phi: Option<SNum>,
    pub file: Option<Spanned<String>>,
    pub start: Option<Spanned<String>>,
    pub end: Option<Spanned<String>>,
    pub columns: Option<Spanned<BTreeMap<String, String>>>,
    pub dof: Option<SNum>,
    pub mean_block: Option<SNum>,
    pub garch: Option<Spanned<BTreeMap<String, RawGarch>>>,
    pub jumps: Option<Spanned<BTreeMap<String, RawJump>>>,
    pub common_jump: Option<Spanned<RawCommonJump>>,
    pub regimes: Option<Spanned<RawRegimes>>,
    pub crunch: Option<Spanned<RawCrunch>>,
    pub shocks: Option<Vec<RawShock>>,
    pub pegs: Option<Spanned<BTreeMap<String, RawPeg>>>,
    pub decouple: Option<Vec<RawDecouple>>,
    pub rescale: Option<Spanned<BTreeMap<String, RawRescale>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPeg {
    pub peg: Option<SNum>,
    pub kappa: SNum,
    pub sigma: SNum,
    pub jump_intensity: Option<SNum>,
    pub jump_mean: Option<SNum>,
    pub jump_sd: Option<SNum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDecouple {
    pub assets: Spanned<Vec<String>>,
    pub start: Spanned<u64>,
    pub end: Spanned<u64>,
    pub correlation: SNum,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRescale {
    pub from: Spanned<String>,
    pub vol_ratio: Option<SNum>,
    pub sigma: Option<SNum>,
    pub keep_mean: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGarch {
    pub alpha: SNum,
    pub beta: SNum,
    pub omega: Option<SNum>,
    pub start_sigma: Option<SNum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJump {
    pub intensity: SNum,
    pub mean: SNum,
    pub sd: SNum,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCommonJump {
    pub intensity: SNum,
    pub mean: SNum,
    pub sd: SNum,
    pub assets: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegimes {
    pub start: Spanned<String>,
    pub transition: Spanned<Vec<Vec<Num>>>,
    pub states: Vec<RawRegimeState>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegimeState {
    pub name: Spanned<String>,
    pub mu: Option<Spanned<BTreeMap<String, Num>>>,
    pub sigma: Option<Spanned<BTreeMap<String, Num>>>,
    pub correlation: Option<Spanned<Vec<Vec<Num>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCrunch {
    pub start: Spanned<u64>,
    pub end: Spanned<u64>,
    pub ramp_in: Option<Spanned<u64>>,
    pub ramp_out: Option<Spanned<u64>>,
    pub target_correlation: Option<SNum>,
    pub vol_multiplier: Option<SNum>,
    pub depth_divisor: Option<SNum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShock {
    pub kind: Spanned<String>,
    pub step: Spanned<u64>,
    pub size: SNum,
    pub steps: Option<Spanned<u64>>,
    pub assets: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBook {
    pub file: Option<Spanned<String>>,
    pub generator: Option<Spanned<RawGenerator>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGenerator {
    pub accounts: Spanned<u64>,
    pub debt_asset: Spanned<String>,
    pub utilisation: Spanned<[Num; 2]>,
    pub holdings: Vec<RawHolding>,
    pub scores: Option<Vec<RawScoreGroup>>,
}

/// One entry of `[[book.generator.scores]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScoreGroup {
    pub share: SNum,
    pub score: SNum,
    pub utilisation: Option<Spanned<[Num; 2]>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHolding {
    pub asset: Spanned<String>,
    pub probability: SNum,
    pub median_value: SNum,
    pub log_sd: SNum,
    pub ltv: SNum,
}

/// A policy parameter as written: one number, or a list of numbers to sweep (each
/// element with its own span, so that an error can name the element).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ParamValue {
    /// `key = 0.5`.
    One(Num),
    /// `key = [0.5, 0.75]`.
    Many(Vec<SNum>),
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number or a list of numbers")
            }
            fn visit_f64<E>(self, v: f64) -> Result<ParamValue, E> {
                Ok(ParamValue::One(Num(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue::One(Num(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<ParamValue, E> {
                Ok(ParamValue::One(Num(v as f64)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ParamValue, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element::<SNum>()? {
                    out.push(x);
                }
                Ok(ParamValue::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A spanned policy parameter.
pub(crate) type SParam = Spanned<ParamValue>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub close_factor: SParam,
    pub lambda: Option<SParam>,
    pub beta: Option<SParam>,
    pub floor: Option<SParam>,
    pub cap: Option<SParam>,
    pub horizon: Option<SParam>,
    pub forecast: Option<Spanned<String>>,
    pub liquidity_k: Option<SParam>,
    pub implied_file: Option<Spanned<String>>,
    pub implied_scale: Option<SParam>,
    pub assets: Spanned<BTreeMap<String, RawTerms>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTerms {
    pub ltv: SParam,
    pub lt: SParam,
    pub bonus: SParam,
    pub sigma_ref: Option<SParam>,
    pub sigma_long: Option<SParam>,
    pub alpha: Option<SParam>,
    pub beta: Option<SParam>,
    pub sigma_calm: Option<SParam>,
    pub sigma_stress: Option<SParam>,
    pub stay_calm: Option<SParam>,
    pub stay_stress: Option<SParam>,
    pub position_scale: Option<SParam>,
    pub implied: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutput {
    #[serde(default)]
    pub timeseries: bool,
    #[serde(default)]
    pub events: bool,
    pub health_step: Option<Spanned<u64>>,
}
