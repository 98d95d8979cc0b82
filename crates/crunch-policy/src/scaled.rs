//! The pieces `dynamic` and `predictive` share: validation of the base terms and of the
//! bounds, the log-returns each step brings, and the bounded multiplier
//! `clamp((sigma_ref / sigma)^beta, floor, cap)` applied to `ltv` and `lt`.

use crate::{DynamicTerms, PolicyError};
use crunch_core::{MarketSpec, MarketView, Requirements};

/// `Ok` when `ok`, else the out-of-range error for `key`.
pub(crate) fn range(
    key: String,
    value: f64,
    ok: bool,
    rule: &'static str,
) -> Result<(), PolicyError> {
    if ok {
        Ok(())
    } else {
        Err(PolicyError::OutOfRange { key, value, rule })
    }
}

/// The policy-wide bounds of the multiplier.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    /// Elasticity `beta >= 0` of the terms to the volatility ratio.
    pub beta: f64,
    /// Lowest multiplier, in `(0, 1]`.
    pub floor: f64,
    /// Highest multiplier, `>= 1`.
    pub cap: f64,
}

impl Bounds {
    /// `clamp((sigma_ref / sqrt(variance))^beta, floor, cap)` for an annualised variance.
    pub(crate) fn multiplier(&self, sigma_ref: f64, variance: f64) -> f64 {
        (sigma_ref / variance.sqrt())
            .powf(self.beta)
            .clamp(self.floor, self.cap)
    }
}

/// One asset with terms: its index and base terms.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Term {
    /// Index of the asset in the market.
    pub index: usize,
    /// Its base terms and reference volatility.
    pub terms: DynamicTerms,
}

/// Validated base terms: the requirements at the reference volatility, and the assets with
/// terms in the order given.
#[derive(Debug, Clone)]
pub(crate) struct Scaled {
    /// Bounds of the multiplier.
    pub bounds: Bounds,
    /// Requirements at multiplier 1 (assets without terms at zero).
    pub base: Requirements,
    /// The assets with terms.
    pub terms: Vec<Term>,
}

impl Scaled {
    /// Validates the close factor, the bounds and every asset's base terms.
    pub(crate) fn new<'a>(
        market: &MarketSpec,
        close_factor: f64,
        bounds: Bounds,
        terms: impl IntoIterator<Item = (&'a String, &'a DynamicTerms)>,
    ) -> Result<Self, PolicyError> {
        let cf = close_factor;
        range(
            "close_factor".into(),
            cf,
            cf > 0.0 && cf <= 1.0,
            "must be in (0, 1]",
        )?;
        let b = bounds;
        range(
            "beta".into(),
            b.beta,
            b.beta.is_finite() && b.beta >= 0.0,
            "must be >= 0",
        )?;
        range(
            "floor".into(),
            b.floor,
            b.floor > 0.0 && b.floor <= 1.0,
            "must be in (0, 1]",
        )?;
        range(
            "cap".into(),
            b.cap,
            b.cap.is_finite() && b.cap >= 1.0,
            "must be >= 1",
        )?;
        let mut base = Requirements::zeroed(market.len());
        base.close_factor = cf;
        let mut out = Vec::new();
        for (symbol, t) in terms {
            let index = market
                .index_of(symbol)
                .ok_or_else(|| PolicyError::UnknownAsset(symbol.clone()))?;
            let key = |k: &str| format!("assets.{symbol}.{k}");
            range(key("ltv"), t.ltv, t.ltv >= 0.0, "must be >= 0")?;
            range(key("lt"), t.lt, t.lt < 1.0, "must be < 1")?;
            range(key("ltv"), t.ltv, t.ltv <= t.lt, "must be <= lt")?;
            range(key("lt"), t.lt, t.lt * b.cap < 1.0, "lt * cap must be < 1")?;
            range(key("bonus"), t.bonus, t.bonus >= 0.0, "must be >= 0")?;
            let s = t.sigma_ref;
            range(key("sigma_ref"), s, s.is_finite() && s > 0.0, "must be > 0")?;
            base.ltv[index] = t.ltv;
            base.lt[index] = t.lt;
            base.bonus[index] = t.bonus;
            out.push(Term { index, terms: *t });
        }
        Ok(Self {
            bounds,
            base,
            terms: out,
        })
    }

    /// Folds the log-returns `r_k(u) = ln(p[u][i_k] / p[u-1][i_k])` of the steps after
    /// `*seen` up to `market.step()` into `f(k, r)`, in step order, for every asset `k`
    /// with terms; then `*seen = market.step()`.
    pub(crate) fn fold_returns(
        &self,
        market: MarketView<'_>,
        seen: &mut usize,
        mut f: impl FnMut(usize, f64),
    ) {
        while *seen < market.step() {
            let (before, now) = (market.row(*seen), market.row(*seen + 1));
            for (k, term) in self.terms.iter().enumerate() {
                f(k, (now[term.index] / before[term.index]).ln());
            }
            *seen += 1;
        }
    }

    /// Writes the base requirements scaled per asset by the multiplier of its annualised
    /// variance (`variance[k]` for the `k`-th asset with terms).
    pub(crate) fn write(&self, variance: &[f64], requirements: &mut Requirements) {
        requirements.clone_from(&self.base);
        for (term, &var) in self.terms.iter().zip(variance) {
            let m = self.bounds.multiplier(term.terms.sigma_ref, var);
            requirements.ltv[term.index] = term.terms.ltv * m;
            requirements.lt[term.index] = term.terms.lt * m;
        }
    }
}
