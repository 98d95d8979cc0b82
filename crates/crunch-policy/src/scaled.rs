//! The pieces `dynamic` and `predictive` share: validation of the base terms and of the
//! bounds, the log-returns each step brings, and the bounded multiplier
//! `clamp((sigma_ref / sigma)^beta, floor, cap)` applied to `ltv` and `lt`, with the
//! optional liquidity term `1 / (1 + k sqrt(Q / (depth l(t))))` on top.

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

/// The liquidity term of `dynamic` and `predictive`: a policy-wide `k >= 0` and, per asset,
/// the typical position `position_scale` (USD) held against the asset's depth. The
/// multiplier of asset `i` at step `t` is
/// `m_liq_i(t) = 1 / (1 + k sqrt(position_scale_i / (depth_i l_i(t))))`, with `l_i(t)` the
/// asset's liquidity factor at `t` (a crunch lowers it); it multiplies the volatility
/// multiplier, and the product is bounded below by `floor`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Liquidity {
    /// Weight `k >= 0` of the square-root term.
    pub k: f64,
    /// `(symbol, position_scale)`: USD `> 0`, for assets with terms and a `depth`. Assets
    /// not listed have no liquidity term.
    pub position_scale: Vec<(String, f64)>,
}

/// One asset with terms: its index and base terms.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Term {
    /// Index of the asset in the market.
    pub index: usize,
    /// Its base terms and reference volatility.
    pub terms: DynamicTerms,
}

/// The liquidity term of a policy: per asset with terms, `position_scale / depth` (`None`
/// for an asset without a position scale), and the policy-wide `k`.
#[derive(Debug, Clone)]
pub(crate) struct LiquidityTerm {
    k: f64,
    /// `Q_k / depth_k` per asset with terms (same order as [`Scaled::terms`]).
    ratio: Vec<Option<f64>>,
}

impl LiquidityTerm {
    /// `1 / (1 + k sqrt(ratio / l))` for a current liquidity factor `l`; 0 (so the floor)
    /// when the depth is gone (`l <= 0`).
    pub(crate) fn multiplier(k: f64, ratio: f64, l: f64) -> f64 {
        if l > 0.0 {
            1.0 / (1.0 + k * (ratio / l).sqrt())
        } else {
            0.0
        }
    }
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
    /// The liquidity term, if configured.
    pub liquidity: Option<LiquidityTerm>,
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
            liquidity: None,
        })
    }

    /// Adds the liquidity term: `k >= 0` and, per listed asset (which must have terms and a
    /// `depth`), `position_scale > 0` in USD.
    pub(crate) fn set_liquidity(
        &mut self,
        market: &MarketSpec,
        liquidity: &Liquidity,
    ) -> Result<(), PolicyError> {
        let k = liquidity.k;
        range(
            "liquidity_k".into(),
            k,
            k.is_finite() && k >= 0.0,
            "must be >= 0",
        )?;
        let mut ratio = vec![None; self.terms.len()];
        for (symbol, q) in &liquidity.position_scale {
            let key = format!("assets.{symbol}.position_scale");
            let index = market
                .index_of(symbol)
                .ok_or_else(|| PolicyError::UnknownAsset(symbol.clone()))?;
            range(key.clone(), *q, q.is_finite() && *q > 0.0, "must be > 0")?;
            let k = self.terms.iter().position(|t| t.index == index);
            let k = k.ok_or(PolicyError::OutOfRange {
                key: key.clone(),
                value: *q,
                rule: "the asset has no terms in this policy",
            })?;
            let depth = market.assets[index].depth;
            let depth = depth.ok_or(PolicyError::OutOfRange {
                key: key.clone(),
                value: *q,
                rule: "the asset has no `depth` (liquidity is off for it)",
            })?;
            ratio[k] = Some(q / depth);
        }
        range(
            "liquidity_k".into(),
            k,
            ratio.iter().any(Option::is_some),
            "needs `position_scale` on at least one asset",
        )?;
        self.liquidity = Some(LiquidityTerm { k, ratio });
        Ok(())
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
    /// variance (`variance[k]` for the `k`-th asset with terms) and, with a liquidity term,
    /// by `m_liq` of the asset's liquidity factor at the current step, the product bounded
    /// below by `floor`.
    pub(crate) fn write(
        &self,
        variance: &[f64],
        market: MarketView<'_>,
        requirements: &mut Requirements,
    ) {
        requirements.clone_from(&self.base);
        let now = market.step();
        for (k, (term, &var)) in self.terms.iter().zip(variance).enumerate() {
            let mut m = self.bounds.multiplier(term.terms.sigma_ref, var);
            if let Some(liq) = &self.liquidity
                && let Some(ratio) = liq.ratio[k]
            {
                let l = market.liquidity(now)[term.index];
                m = (m * LiquidityTerm::multiplier(liq.k, ratio, l)).max(self.bounds.floor);
            }
            requirements.ltv[term.index] = term.terms.ltv * m;
            requirements.lt[term.index] = term.terms.lt * m;
        }
    }
}
