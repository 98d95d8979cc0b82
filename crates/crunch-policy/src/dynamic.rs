//! Policy `dynamic`: per-asset loan-to-value and liquidation threshold that scale with an
//! EWMA of the asset's realised volatility, bounded by a floor and a cap.
//!
//! Per asset `i` with base terms `ltv_i <= lt_i`, bonus `bonus_i` and reference volatility
//! `sigma_ref_i` (annualised), and policy-wide `lambda`, `beta`, `floor`, `cap`:
//!
//! - log-return of step `u`: `r_i(u) = ln(p[u][i] / p[u-1][i])`;
//! - EWMA variance, annualised (J.P. Morgan/Reuters, *RiskMetrics — Technical Document*,
//!   4th ed., 1996, §5.2.1, with `lambda = 0.94` for daily data):
//!   `s2_i(0) = sigma_ref_i^2`, `s2_i(u) = lambda s2_i(u-1) + (1 - lambda) r_i(u)^2 / dt`;
//! - multiplier `m_i(t) = clamp((sigma_ref_i / sqrt(s2_i(t)))^beta, floor, cap)`;
//! - requirements at step `t`: `ltv_i(t) = ltv_i m_i(t)`, `lt_i(t) = lt_i m_i(t)`,
//!   `bonus_i(t) = bonus_i`.
//!
//! One multiplier per asset keeps `ltv_i(t) <= lt_i(t)`, and `lt_i cap < 1` keeps
//! `lt_i(t) < 1`. The estimate starts at `sigma_ref_i`, so step 0 has the base terms
//! exactly; each return then moves it with weight `1 - lambda` (a memory of about
//! `1 / (1 - lambda)` steps). The state reads prices only through [`MarketView`], which
//! holds steps `0..=t`: requirements at `t` depend on no later price.
//!
//! Optional liquidity term ([`Dynamic::with_liquidity`]): with a policy-wide `k >= 0` and,
//! per asset, a typical position `Q_i` (USD, `position_scale`) against the asset's depth
//! `depth_i` and its liquidity factor `l_i(t)` at step `t` (1 normally, lower in a crunch),
//! `m_liq_i(t) = 1 / (1 + k sqrt(Q_i / (depth_i l_i(t))))` and the terms are scaled by
//! `max(floor, m_i(t) m_liq_i(t))`: the haircuts `1 - ltv` and `1 - lt` grow with the
//! square-root price impact of unwinding `Q_i` (the square-root law of market impact,
//! Almgren, Thum, Hauptmann and Li, "Direct estimation of equity market impact", *Risk*
//! 2005; Tóth et al., "Anomalous price impact and the critical nature of liquidity in
//! financial markets", *Physical Review X* 1, 2011), the shape of `lending-v1`'s slippage
//! `impact sqrt(Q / depth)`. The policy seam sets terms per asset, for every account alike,
//! so `Q_i` is a configured position size (the book's concentration in the asset), not any
//! one account's position. Without it the policy is unchanged, bit for bit.

use crate::PolicyError;
use crate::scaled::{Bounds, Liquidity, Scaled, range};
use crunch_core::{MarginPolicy, MarketSpec, MarketView, PolicyState, Requirements};

/// The base terms of one asset under `dynamic` (and `predictive`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynamicTerms {
    /// Base maximum loan-to-value (at volatility `sigma_ref`).
    pub ltv: f64,
    /// Base liquidation threshold (at volatility `sigma_ref`).
    pub lt: f64,
    /// Liquidation bonus (fixed).
    pub bonus: f64,
    /// Reference annualised volatility at which the base terms apply.
    pub sigma_ref: f64,
}

/// The policy-wide parameters of `dynamic`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DynamicParams {
    /// Share of the debt a liquidation repays, in `(0, 1]`.
    pub close_factor: f64,
    /// EWMA decay `lambda` in `[0, 1)`.
    pub lambda: f64,
    /// Elasticity `beta >= 0` of the terms to the volatility ratio.
    pub beta: f64,
    /// Lowest multiplier, in `(0, 1]`.
    pub floor: f64,
    /// Highest multiplier, `>= 1`.
    pub cap: f64,
}

impl DynamicParams {
    /// RiskMetrics' daily decay 0.94, `beta = 1`, `floor = 0.5`, `cap = 1` (never looser
    /// than the base terms), with this close factor.
    pub fn with_close_factor(close_factor: f64) -> Self {
        Self {
            close_factor,
            lambda: 0.94,
            beta: 1.0,
            floor: 0.5,
            cap: 1.0,
        }
    }
}

/// The `dynamic` policy (see the module documentation for the formula).
#[derive(Debug, Clone)]
pub struct Dynamic {
    name: String,
    lambda: f64,
    dt: f64,
    scaled: Scaled,
}

impl Dynamic {
    /// Builds the policy; assets without terms get `ltv = lt = bonus = 0` at every step.
    pub fn new(
        name: &str,
        market: &MarketSpec,
        params: DynamicParams,
        terms: &[(String, DynamicTerms)],
    ) -> Result<Self, PolicyError> {
        let l = params.lambda;
        range(
            "lambda".into(),
            l,
            (0.0..1.0).contains(&l),
            "must be in [0, 1)",
        )?;
        let bounds = Bounds {
            beta: params.beta,
            floor: params.floor,
            cap: params.cap,
        };
        let terms = terms.iter().map(|(s, t)| (s, t));
        Ok(Self {
            name: name.to_owned(),
            lambda: l,
            dt: market.dt,
            scaled: Scaled::new(market, params.close_factor, bounds, terms)?,
        })
    }
}

impl Dynamic {
    /// Adds the liquidity term (see the module documentation); every listed asset must have
    /// terms in this policy and a `depth` in `market`.
    pub fn with_liquidity(
        mut self,
        market: &MarketSpec,
        liquidity: &Liquidity,
    ) -> Result<Self, PolicyError> {
        self.scaled.set_liquidity(market, liquidity)?;
        Ok(self)
    }
}

impl MarginPolicy for Dynamic {
    fn name(&self) -> &str {
        &self.name
    }

    fn start_path(&self) -> Box<dyn PolicyState + '_> {
        Box::new(DynamicState {
            policy: self,
            variance: self
                .scaled
                .terms
                .iter()
                .map(|t| t.terms.sigma_ref * t.terms.sigma_ref)
                .collect(),
            seen: 0,
        })
    }
}

/// Per-path state: one EWMA variance per asset with terms, and the last step folded in.
struct DynamicState<'a> {
    policy: &'a Dynamic,
    variance: Vec<f64>,
    seen: usize,
}

impl PolicyState for DynamicState<'_> {
    fn update(&mut self, market: MarketView<'_>, requirements: &mut Requirements) {
        let p = self.policy;
        let (lambda, dt) = (p.lambda, p.dt);
        let variance = &mut self.variance;
        p.scaled.fold_returns(market, &mut self.seen, |k, r| {
            variance[k] = lambda * variance[k] + (1.0 - lambda) * r * r / dt;
        });
        p.scaled.write(&self.variance, market, requirements);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_market as market;
    use crunch_core::PricePath;

    fn terms(ltv: f64, lt: f64) -> Vec<(String, DynamicTerms)> {
        vec![(
            "ETH".into(),
            DynamicTerms {
                ltv,
                lt,
                bonus: 0.05,
                sigma_ref: 0.1,
            },
        )]
    }

    fn params() -> DynamicParams {
        DynamicParams {
            close_factor: 0.5,
            lambda: 0.5,
            beta: 1.0,
            floor: 0.5,
            cap: 1.2,
        }
    }

    #[test]
    fn base_terms_at_step_zero_then_hand_computed_ewma() {
        let p = Dynamic::new("d", &market(), params(), &terms(0.6, 0.8)).unwrap();
        let mut path = PricePath::new(3, 2);
        // ETH: 100, then +ln-return 0.3 (step 1), flat (step 2), flat (step 3).
        let up = 100.0 * 0.3f64.exp();
        for (t, eth) in [100.0, up, up, up].into_iter().enumerate() {
            path.row_mut(t).copy_from_slice(&[eth, 1.0]);
        }
        let mut state = p.start_path();
        let mut req = Requirements::zeroed(2);
        state.update(path.view_until(0), &mut req);
        assert_eq!(req.ltv, vec![0.6, 0.0]);
        assert_eq!(req.lt, vec![0.8, 0.0]);
        assert_eq!(req.bonus, vec![0.05, 0.0]);
        assert_eq!(req.close_factor, 0.5);
        // Step 1: s2 = 0.5 * 0.01 + 0.5 * 0.09 = 0.05; m = 0.1 / sqrt(0.05) = 0.4472 -> 0.5.
        state.update(path.view_until(1), &mut req);
        assert_eq!(req.lt, vec![0.4, 0.0]);
        assert_eq!(req.ltv, vec![0.3, 0.0]);
        // Step 2: s2 = 0.025; m = 0.1 / sqrt(0.025) = 0.63246.
        state.update(path.view_until(2), &mut req);
        let m = 0.1 / 0.025f64.sqrt();
        assert!((req.lt[0] - 0.8 * m).abs() < 1e-12);
        assert!((req.ltv[0] - 0.6 * m).abs() < 1e-12);
        // Step 3: s2 = 0.0125; m = 0.894.
        state.update(path.view_until(3), &mut req);
        let m = 0.1 / 0.0125f64.sqrt();
        assert!((req.lt[0] - 0.8 * m).abs() < 1e-12);
        assert_eq!(req.bonus[0], 0.05);
    }

    #[test]
    fn calm_prices_raise_terms_up_to_the_cap() {
        let p = Dynamic::new("d", &market(), params(), &terms(0.6, 0.8)).unwrap();
        let mut path = PricePath::new(20, 2);
        for t in 0..=20 {
            path.row_mut(t).copy_from_slice(&[100.0, 1.0]);
        }
        let mut state = p.start_path();
        let mut req = Requirements::zeroed(2);
        // A skipped step is folded in as well: step 20 directly.
        state.update(path.view_until(20), &mut req);
        assert!((req.lt[0] - 0.8 * 1.2).abs() < 1e-15);
        assert!((req.ltv[0] - 0.6 * 1.2).abs() < 1e-15);
    }

    #[test]
    fn refuses_out_of_range_parameters() {
        let m = market();
        let err = |params: DynamicParams, t: Vec<(String, DynamicTerms)>| {
            Dynamic::new("d", &m, params, &t).unwrap_err().to_string()
        };
        let with = |f: fn(&mut DynamicParams)| {
            let mut p = params();
            f(&mut p);
            p
        };
        assert_eq!(
            err(with(|p| p.lambda = 1.0), terms(0.6, 0.8)),
            "`lambda` = 1: must be in [0, 1)"
        );
        assert_eq!(
            err(with(|p| p.beta = -1.0), terms(0.6, 0.8)),
            "`beta` = -1: must be >= 0"
        );
        assert_eq!(
            err(with(|p| p.floor = 0.0), terms(0.6, 0.8)),
            "`floor` = 0: must be in (0, 1]"
        );
        assert_eq!(
            err(with(|p| p.cap = 0.9), terms(0.6, 0.8)),
            "`cap` = 0.9: must be >= 1"
        );
        assert_eq!(
            err(params(), terms(0.6, 0.9)),
            "`assets.ETH.lt` = 0.9: lt * cap must be < 1"
        );
        assert_eq!(
            err(params(), terms(0.7, 0.6)),
            "`assets.ETH.ltv` = 0.7: must be <= lt"
        );
        let mut t = terms(0.6, 0.8);
        t[0].1.sigma_ref = 0.0;
        assert_eq!(err(params(), t), "`assets.ETH.sigma_ref` = 0: must be > 0");
    }

    #[test]
    fn hand_computed_liquidity_term_follows_depth_and_liquidity_factor() {
        let mut m = market();
        m.assets[0].depth = Some(1e6);
        let liq = Liquidity {
            k: 0.5,
            position_scale: vec![("ETH".into(), 4e4)],
        };
        let p = Dynamic::new("d", &m, params(), &terms(0.6, 0.8))
            .unwrap()
            .with_liquidity(&m, &liq)
            .unwrap();
        // Flat ETH; liquidity factor 1, 0.25, 0.01, 0 at steps 0..=3.
        let mut path = PricePath::new(3, 2);
        for (t, l) in [1.0, 0.25, 0.01, 0.0].into_iter().enumerate() {
            path.row_mut(t).copy_from_slice(&[100.0, 1.0]);
            path.liquidity_row_mut(t)[0] = l;
        }
        let mut state = p.start_path();
        let mut req = Requirements::zeroed(2);
        // Step 0: m_vol = 1; Q / depth = 0.04: m_liq = 1 / (1 + 0.5 * 0.2) = 1 / 1.1.
        state.update(path.view_until(0), &mut req);
        assert!((req.ltv[0] - 0.6 / 1.1).abs() < 1e-15);
        assert!((req.lt[0] - 0.8 / 1.1).abs() < 1e-15);
        assert_eq!(req.bonus, vec![0.05, 0.0]);
        assert_eq!((req.ltv[1], req.lt[1]), (0.0, 0.0));
        // Step 1: s2 = 0.005, m_vol = 1.414 -> cap 1.2; depth / 4: sqrt(0.04 / 0.25) = 0.4,
        // m_liq = 1 / 1.2: the product is exactly 1.
        state.update(path.view_until(1), &mut req);
        assert!((req.ltv[0] - 0.6).abs() < 1e-15);
        assert!((req.lt[0] - 0.8).abs() < 1e-15);
        // Step 2: l = 0.01: sqrt(4) = 2, m_liq = 1 / 2, m = 1.2 / 2 = 0.6 (above the floor).
        state.update(path.view_until(2), &mut req);
        assert!((req.lt[0] - 0.8 * 0.6).abs() < 1e-15);
        // Step 3: no depth left: m_liq = 0 and the floor 0.5 holds.
        state.update(path.view_until(3), &mut req);
        assert_eq!(req.lt[0], 0.8 * 0.5);
        assert_eq!(req.ltv[0], 0.6 * 0.5);
        // The formula itself.
        let m_liq = crate::scaled::LiquidityTerm::multiplier(2.0, 0.01, 0.25);
        assert!((m_liq - 1.0 / (1.0 + 2.0 * 0.2)).abs() < 1e-15);
    }

    #[test]
    fn liquidity_term_refuses_bad_keys() {
        let mut m = market();
        m.assets[0].depth = Some(1e6);
        let err = |m: &MarketSpec, k: f64, scales: Vec<(&str, f64)>| {
            let liq = Liquidity {
                k,
                position_scale: scales.into_iter().map(|(s, q)| (s.into(), q)).collect(),
            };
            Dynamic::new("d", m, params(), &terms(0.6, 0.8))
                .unwrap()
                .with_liquidity(m, &liq)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&m, -1.0, vec![("ETH", 1e4)]),
            "`liquidity_k` = -1: must be >= 0"
        );
        assert_eq!(
            err(&m, 1.0, vec![("ETH", 0.0)]),
            "`assets.ETH.position_scale` = 0: must be > 0"
        );
        assert_eq!(
            err(&m, 1.0, vec![("USDC", 1e4)]),
            "`assets.USDC.position_scale` = 10000: the asset has no terms in this policy"
        );
        assert_eq!(
            err(&m, 1.0, vec![]),
            "`liquidity_k` = 1: needs `position_scale` on at least one asset"
        );
        m.assets[0].depth = None;
        assert_eq!(
            err(&m, 1.0, vec![("ETH", 1e4)]),
            "`assets.ETH.position_scale` = 10000: the asset has no `depth` (liquidity is off for it)"
        );
    }
}
