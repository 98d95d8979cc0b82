//! Policy `predictive`: the terms of `dynamic`, scaled by a GARCH(1,1) forecast of each
//! asset's volatility over the next `horizon` steps instead of an EWMA of the past, so that
//! they tighten as soon as the forecast rises, before a realised estimate catches up.
//!
//! Per asset `i` with base terms `ltv_i <= lt_i`, bonus `bonus_i`, reference volatility
//! `sigma_ref_i`, long-run volatility `sigma_long_i` (both annualised) and GARCH weights
//! `alpha_i >= 0`, `beta_i >= 0`, `alpha_i + beta_i < 1`, and policy-wide `horizon = H`
//! (steps), elasticity `beta`, `floor`, `cap`; `dt` is the step in years:
//!
//! - log-return of step `u`: `r_i(u) = ln(p[u][i] / p[u-1][i])`;
//! - long-run per-step variance `V_i = sigma_long_i^2 dt`, and
//!   `omega_i = V_i (1 - alpha_i - beta_i)` (variance targeting: `V_i` is the stationary
//!   variance of the process);
//! - one-step-ahead conditional variance (Bollerslev, "Generalized autoregressive
//!   conditional heteroskedasticity", *Journal of Econometrics* 31, 1986, eq. 3 with
//!   `p = q = 1`): `h_i(1) = V_i` (no return seen at step 0), and after the return of step
//!   `t >= 1`: `h_i(t+1) = omega_i + alpha_i r_i(t)^2 + beta_i h_i(t)`;
//! - its `k`-step-ahead forecast, with persistence `phi_i = alpha_i + beta_i`:
//!   `E_t h_i(t+k) = V_i + phi_i^(k-1) (h_i(t+1) - V_i)` (e.g. Andersen, Bollerslev,
//!   Christoffersen and Diebold, "Volatility and correlation forecasting", *Handbook of
//!   Economic Forecasting* 1, 2006), averaged over `k = 1..=H` (a geometric sum):
//!   `hbar_i(t) = V_i + w_i (h_i(t+1) - V_i)`, `w_i = (1 - phi_i^H) / (H (1 - phi_i))`;
//! - forecast volatility, annualised: `sigma_f_i(t) = sqrt(hbar_i(t) / dt)`;
//! - multiplier `m_i(t) = clamp((sigma_ref_i / sigma_f_i(t))^beta, floor, cap)`, and
//!   requirements `ltv_i(t) = ltv_i m_i(t)`, `lt_i(t) = lt_i m_i(t)`, `bonus_i(t) = bonus_i`
//!   exactly as under `dynamic`.
//!
//! What it sees and when: the requirements of step `t` use `r_i(1), ..., r_i(t)`, that is
//! prices of steps `0..=t`, read through [`MarketView`], which holds nothing later. At step
//! 0 the forecast is the long-run variance, so with `sigma_long_i = sigma_ref_i` step 0 has
//! the base terms exactly.

use crate::scaled::{Bounds, Scaled, range};
use crate::{DynamicTerms, PolicyError};
use crunch_core::{MarginPolicy, MarketSpec, MarketView, PolicyState, Requirements};

/// The terms of one asset under `predictive`: the base terms of `dynamic` and the asset's
/// GARCH(1,1) parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictiveTerms {
    /// Base terms and reference volatility, as under `dynamic`.
    pub base: DynamicTerms,
    /// Long-run annualised volatility; fixes `omega` by variance targeting.
    pub sigma_long: f64,
    /// ARCH weight `alpha >= 0` on the last squared return.
    pub alpha: f64,
    /// GARCH weight `beta >= 0` on the last conditional variance; `alpha + beta < 1`.
    pub beta: f64,
}

/// The policy-wide parameters of `predictive`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictiveParams {
    /// Share of the debt a liquidation repays, in `(0, 1]`.
    pub close_factor: f64,
    /// Forecast horizon `H` in steps: a whole number `>= 1`.
    pub horizon: f64,
    /// Elasticity `beta >= 0` of the terms to the volatility ratio.
    pub beta: f64,
    /// Lowest multiplier, in `(0, 1]`.
    pub floor: f64,
    /// Highest multiplier, `>= 1`.
    pub cap: f64,
}

impl PredictiveParams {
    /// A one-step horizon and the bounds of [`crate::DynamicParams::with_close_factor`]
    /// (`beta = 1`, `floor = 0.5`, `cap = 1`), with this close factor.
    pub fn with_close_factor(close_factor: f64) -> Self {
        let d = crate::DynamicParams::with_close_factor(close_factor);
        Self {
            close_factor,
            horizon: 1.0,
            beta: d.beta,
            floor: d.floor,
            cap: d.cap,
        }
    }
}

/// The GARCH(1,1) constants of one asset, per step.
#[derive(Debug, Clone, Copy)]
struct Garch {
    /// Long-run per-step variance `V`.
    long_run: f64,
    omega: f64,
    alpha: f64,
    beta: f64,
    /// Weight `w` of the one-step deviation in the horizon average.
    weight: f64,
}

/// The `predictive` policy (see the module documentation for the formula).
#[derive(Debug, Clone)]
pub struct Predictive {
    name: String,
    dt: f64,
    scaled: Scaled,
    garch: Vec<Garch>,
}

impl Predictive {
    /// Builds the policy; assets without terms get `ltv = lt = bonus = 0` at every step.
    pub fn new(
        name: &str,
        market: &MarketSpec,
        params: PredictiveParams,
        terms: &[(String, PredictiveTerms)],
    ) -> Result<Self, PolicyError> {
        let h = params.horizon;
        range(
            "horizon".into(),
            h,
            h.is_finite() && h >= 1.0 && h.fract() == 0.0,
            "must be a whole number >= 1",
        )?;
        let bounds = Bounds {
            beta: params.beta,
            floor: params.floor,
            cap: params.cap,
        };
        let scaled = Scaled::new(
            market,
            params.close_factor,
            bounds,
            terms.iter().map(|(s, t)| (s, &t.base)),
        )?;
        let dt = market.dt;
        let mut garch = Vec::with_capacity(terms.len());
        for (symbol, t) in terms {
            let key = |k: &str| format!("assets.{symbol}.{k}");
            let s = t.sigma_long;
            range(
                key("sigma_long"),
                s,
                s.is_finite() && s > 0.0,
                "must be > 0",
            )?;
            range(key("alpha"), t.alpha, t.alpha >= 0.0, "must be >= 0")?;
            range(key("beta"), t.beta, t.beta >= 0.0, "must be >= 0")?;
            let phi = t.alpha + t.beta;
            range(key("beta"), t.beta, phi < 1.0, "alpha + beta must be < 1")?;
            let long_run = s * s * dt;
            garch.push(Garch {
                long_run,
                omega: long_run * (1.0 - phi),
                alpha: t.alpha,
                beta: t.beta,
                weight: (1.0 - phi.powf(h)) / (h * (1.0 - phi)),
            });
        }
        Ok(Self {
            name: name.to_owned(),
            dt,
            scaled,
            garch,
        })
    }
}

impl MarginPolicy for Predictive {
    fn name(&self) -> &str {
        &self.name
    }

    fn start_path(&self) -> Box<dyn PolicyState + '_> {
        Box::new(PredictiveState {
            policy: self,
            next: self.garch.iter().map(|g| g.long_run).collect(),
            variance: vec![0.0; self.garch.len()],
            seen: 0,
        })
    }
}

/// Per-path state: per asset with terms, the one-step-ahead variance `h(t+1)`, a buffer
/// for the annualised horizon variance, and the last step folded in.
struct PredictiveState<'a> {
    policy: &'a Predictive,
    next: Vec<f64>,
    variance: Vec<f64>,
    seen: usize,
}

impl PolicyState for PredictiveState<'_> {
    fn update(&mut self, market: MarketView<'_>, requirements: &mut Requirements) {
        let p = self.policy;
        let next = &mut self.next;
        p.scaled.fold_returns(market, &mut self.seen, |k, r| {
            let g = &p.garch[k];
            next[k] = g.omega + g.alpha * r * r + g.beta * next[k];
        });
        for ((var, g), &h) in self.variance.iter_mut().zip(&p.garch).zip(&self.next) {
            *var = (g.long_run + g.weight * (h - g.long_run)) / p.dt;
        }
        p.scaled.write(&self.variance, requirements);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dynamic, DynamicParams};
    use crunch_core::{AssetSpec, PricePath};

    fn market() -> MarketSpec {
        let a = |s: &str| AssetSpec {
            symbol: s.into(),
            price: 1.0,
            sigma: 0.0,
            mu: 0.0,
            depth: None,
            impact: 0.0,
        };
        MarketSpec {
            assets: vec![a("ETH"), a("USDC")],
            dt: 1.0,
            phi: 0.0,
        }
    }

    fn base() -> DynamicTerms {
        DynamicTerms {
            ltv: 0.6,
            lt: 0.8,
            bonus: 0.05,
            sigma_ref: 0.1,
        }
    }

    fn terms(alpha: f64, beta: f64) -> Vec<(String, PredictiveTerms)> {
        let t = PredictiveTerms {
            base: base(),
            sigma_long: 0.1,
            alpha,
            beta,
        };
        vec![("ETH".into(), t)]
    }

    fn params(horizon: f64) -> PredictiveParams {
        PredictiveParams {
            close_factor: 0.5,
            horizon,
            beta: 1.0,
            floor: 0.2,
            cap: 1.2,
        }
    }

    /// Requirements at every step of a path of ETH prices (USDC at 1).
    fn run(policy: &dyn MarginPolicy, eth: &[f64]) -> Vec<Requirements> {
        let mut path = PricePath::new(eth.len() - 1, 2);
        for (t, &p) in eth.iter().enumerate() {
            path.row_mut(t).copy_from_slice(&[p, 1.0]);
        }
        let mut state = policy.start_path();
        let mut req = Requirements::zeroed(2);
        (0..eth.len())
            .map(|t| {
                state.update(path.view_until(t), &mut req);
                req.clone()
            })
            .collect()
    }

    #[test]
    fn hand_computed_garch_recursion_and_horizon_average() {
        // dt = 1: V = 0.01; alpha 0.2, beta 0.7: omega = 0.001, phi = 0.9.
        // ETH: 100, +0.3 (step 1), flat (step 2), -0.1 (step 3).
        let up = 100.0 * 0.3f64.exp();
        let eth = [100.0, up, up, up * (-0.1f64).exp()];
        // h(1) = 0.01; h(2) = 0.001 + 0.2 * 0.09 + 0.7 * 0.01 = 0.026;
        // h(3) = 0.001 + 0.7 * 0.026 = 0.0192; h(4) = 0.001 + 0.2 * 0.01 + 0.7 * 0.0192.
        let h: [f64; 4] = [0.01, 0.026, 0.0192, 0.001 + 0.002 + 0.7 * 0.0192];
        for horizon in [1.0, 3.0] {
            let p = Predictive::new("p", &market(), params(horizon), &terms(0.2, 0.7)).unwrap();
            let req = run(&p, &eth);
            // w = (1 - 0.9^H) / (H 0.1): 1 for H = 1, (1 - 0.729) / 0.3 for H = 3.
            let w = if horizon == 1.0 { 1.0 } else { 0.271 / 0.3 };
            assert_eq!(req[0].ltv, vec![0.6, 0.0]);
            assert_eq!(req[0].lt, vec![0.8, 0.0]);
            assert_eq!(req[0].close_factor, 0.5);
            for t in 1..eth.len() {
                let hbar: f64 = 0.01 + w * (h[t] - 0.01);
                let m = (0.1 / hbar.sqrt()).clamp(0.2, 1.2);
                assert!((req[t].lt[0] - 0.8 * m).abs() < 1e-12, "H {horizon} t {t}");
                assert!((req[t].ltv[0] - 0.6 * m).abs() < 1e-12, "H {horizon} t {t}");
                assert_eq!(req[t].bonus, vec![0.05, 0.0]);
                assert_eq!(req[t].lt[1], 0.0);
            }
        }
    }

    #[test]
    fn tightens_no_later_than_dynamic_when_volatility_jumps() {
        // Returns of exactly the reference size (+-0.1) keep both estimates at
        // sigma_ref; from step 20 they triple.
        let mut eth = vec![100.0f64];
        for t in 1..=40 {
            let size = if t < 20 { 0.1 } else { 0.3 };
            let sign: f64 = if t % 2 == 0 { 1.0 } else { -1.0 };
            eth.push(eth[t - 1] * (sign * size).exp());
        }
        let dynamic = DynamicParams {
            close_factor: 0.5,
            lambda: 0.94,
            beta: 1.0,
            floor: 0.2,
            cap: 1.2,
        };
        let d = Dynamic::new("d", &market(), dynamic, &[("ETH".into(), base())]).unwrap();
        // Calibrated-looking weights: alpha 0.1 > 1 - lambda, persistence 0.95.
        for horizon in [1.0, 5.0] {
            let p = Predictive::new("p", &market(), params(horizon), &terms(0.1, 0.85)).unwrap();
            let (rd, rp) = (run(&d, &eth), run(&p, &eth));
            for level in [0.95, 0.9, 0.8, 0.7, 0.6] {
                let first = |req: &[Requirements]| {
                    req.iter()
                        .position(|r| r.lt[0] < level * 0.8)
                        .expect("tightens")
                };
                let (td, tp) = (first(&rd), first(&rp));
                assert!(tp >= 20, "H {horizon}: tightened at {tp}, before the jump");
                assert!(tp <= td, "H {horizon} level {level}: {tp} > {td}");
                // Deeper cuts come strictly earlier (0.6: step 22 against 24).
                assert!(
                    level > 0.8 || tp < td,
                    "H {horizon} level {level}: {tp} = {td}"
                );
            }
            // Before the jump both stay exactly at the base terms.
            assert!(rp[..20].iter().all(|r| (r.lt[0] - 0.8).abs() < 1e-12));
        }
    }

    #[test]
    fn refuses_out_of_range_parameters() {
        let m = market();
        let err = |params: PredictiveParams, t: Vec<(String, PredictiveTerms)>| {
            Predictive::new("p", &m, params, &t)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(params(0.0), terms(0.1, 0.8)),
            "`horizon` = 0: must be a whole number >= 1"
        );
        assert_eq!(
            err(params(2.5), terms(0.1, 0.8)),
            "`horizon` = 2.5: must be a whole number >= 1"
        );
        assert_eq!(
            err(params(1.0), terms(-0.1, 0.8)),
            "`assets.ETH.alpha` = -0.1: must be >= 0"
        );
        assert_eq!(
            err(params(1.0), terms(0.1, -0.8)),
            "`assets.ETH.beta` = -0.8: must be >= 0"
        );
        assert_eq!(
            err(params(1.0), terms(0.2, 0.8)),
            "`assets.ETH.beta` = 0.8: alpha + beta must be < 1"
        );
        let mut t = terms(0.1, 0.8);
        t[0].1.sigma_long = 0.0;
        assert_eq!(
            err(params(1.0), t),
            "`assets.ETH.sigma_long` = 0: must be > 0"
        );
        let mut p = params(1.0);
        p.floor = 0.0;
        assert_eq!(err(p, terms(0.1, 0.8)), "`floor` = 0: must be in (0, 1]");
    }
}
