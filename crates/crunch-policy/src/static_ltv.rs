//! Policy `static-ltv` of `lending-v1`: fixed per-asset `ltv <= lt < 1`, `bonus >= 0`, and a
//! protocol-wide close factor in `(0, 1]`.

use crate::scaled::range;
use crunch_core::{MarginPolicy, MarketSpec, MarketView, PolicyState, Requirements};
use thiserror::Error;

/// The terms of one asset under `static-ltv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AssetTerms {
    /// Maximum loan-to-value.
    pub ltv: f64,
    /// Liquidation threshold.
    pub lt: f64,
    /// Liquidation bonus.
    pub bonus: f64,
}

/// Why a policy's parameters are invalid; the message names the offending parameter.
#[derive(Debug, Error, PartialEq)]
pub enum PolicyError {
    /// A parameter is out of its allowed range.
    #[error("`{key}` = {value}: {rule}")]
    OutOfRange {
        /// Parameter name (`close_factor`, `assets.ETH.lt`, ...).
        key: String,
        /// Its value.
        value: f64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The policy names an asset the scenario does not declare.
    #[error("`assets.{0}`: unknown asset (not declared in [[assets]])")]
    UnknownAsset(String),
}

/// The `static-ltv` policy: the same requirements at every step.
#[derive(Debug, Clone)]
pub struct StaticLtv {
    name: String,
    requirements: Requirements,
}

impl StaticLtv {
    /// Builds the policy; assets without terms get `ltv = lt = bonus = 0`.
    pub fn new(
        name: &str,
        market: &MarketSpec,
        close_factor: f64,
        terms: &[(String, AssetTerms)],
    ) -> Result<Self, PolicyError> {
        range(
            "close_factor".into(),
            close_factor,
            close_factor > 0.0 && close_factor <= 1.0,
            "must be in (0, 1]",
        )?;
        let mut requirements = Requirements::zeroed(market.len());
        requirements.close_factor = close_factor;
        for (symbol, t) in terms {
            let i = market
                .index_of(symbol)
                .ok_or_else(|| PolicyError::UnknownAsset(symbol.clone()))?;
            let key = |k: &str| format!("assets.{symbol}.{k}");
            range(key("ltv"), t.ltv, t.ltv >= 0.0, "must be >= 0")?;
            range(key("lt"), t.lt, t.lt < 1.0, "must be < 1")?;
            range(key("ltv"), t.ltv, t.ltv <= t.lt, "must be <= lt")?;
            range(key("bonus"), t.bonus, t.bonus >= 0.0, "must be >= 0")?;
            requirements.ltv[i] = t.ltv;
            requirements.lt[i] = t.lt;
            requirements.bonus[i] = t.bonus;
        }
        Ok(Self {
            name: name.to_owned(),
            requirements,
        })
    }
}

impl MarginPolicy for StaticLtv {
    fn name(&self) -> &str {
        &self.name
    }

    fn start_path(&self) -> Box<dyn PolicyState + '_> {
        Box::new(StaticState {
            requirements: &self.requirements,
            written: false,
        })
    }
}

struct StaticState<'a> {
    requirements: &'a Requirements,
    written: bool,
}

impl PolicyState for StaticState<'_> {
    fn update(&mut self, _market: MarketView<'_>, requirements: &mut Requirements) {
        if !self.written {
            requirements.clone_from(self.requirements);
            self.written = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_market as market;
    use crunch_core::PricePath;

    fn terms(ltv: f64, lt: f64, bonus: f64) -> Vec<(String, AssetTerms)> {
        vec![("ETH".into(), AssetTerms { ltv, lt, bonus })]
    }

    #[test]
    fn fills_terms_and_zeroes_the_rest() {
        let p = StaticLtv::new("s", &market(), 0.5, &terms(0.8, 0.825, 0.05)).unwrap();
        let mut req = Requirements::zeroed(2);
        let path = PricePath::new(1, 2);
        p.start_path().update(path.view_until(0), &mut req);
        assert_eq!(req.ltv, vec![0.8, 0.0]);
        assert_eq!(req.lt, vec![0.825, 0.0]);
        assert_eq!(req.bonus, vec![0.05, 0.0]);
        assert_eq!(req.close_factor, 0.5);
    }

    #[test]
    fn refuses_out_of_range_terms() {
        let m = market();
        let err = |cf, t: Vec<(String, AssetTerms)>| StaticLtv::new("s", &m, cf, &t).unwrap_err();
        assert_eq!(
            err(0.0, terms(0.8, 0.825, 0.05)).to_string(),
            "`close_factor` = 0: must be in (0, 1]"
        );
        assert_eq!(
            err(0.5, terms(0.9, 0.825, 0.05)).to_string(),
            "`assets.ETH.ltv` = 0.9: must be <= lt"
        );
        assert_eq!(
            err(0.5, terms(0.8, 1.0, 0.05)).to_string(),
            "`assets.ETH.lt` = 1: must be < 1"
        );
        assert_eq!(
            err(0.5, terms(0.8, 0.825, -0.1)).to_string(),
            "`assets.ETH.bonus` = -0.1: must be >= 0"
        );
        let unknown = vec![(
            "DOGE".to_string(),
            AssetTerms {
                ltv: 0.1,
                lt: 0.2,
                bonus: 0.0,
            },
        )];
        assert_eq!(
            err(0.5, unknown).to_string(),
            "`assets.DOGE`: unknown asset (not declared in [[assets]])"
        );
    }
}
