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
//!
//! Two other forecasts replace the GARCH (the multiplier, bounds and terms stay the same):
//!
//! - **Regime filter** ([`Predictive::regime`]): a two-state Markov-switching model of the
//!   asset's log-returns (Hamilton, "A new approach to the economic analysis of
//!   nonstationary time series and the business cycle", *Econometrica* 57, 1989), per asset
//!   with annualised volatilities `sigma_calm < sigma_stress` (any order is accepted) and
//!   the probabilities `a = stay_calm`, `b = stay_stress` in `(0, 1)` of staying in each
//!   state from one step to the next. With `v_c = sigma_calm^2 dt`, `v_s = sigma_stress^2
//!   dt`, `lambda = a + b - 1` and the ergodic stress probability
//!   `pi_s = (1 - a) / (2 - a - b)`:
//!   - `p_s(0) = pi_s` (no return seen);
//!   - after the return `r(t)` of step `t >= 1`: prediction `q = pi_s + lambda (p_s(t-1) -
//!     pi_s)` (= `(1 - a)(1 - p_s) + b p_s`), Gaussian densities `f_j = exp(-r^2 / (2 v_j)) /
//!     sqrt(2 pi v_j)` with mean 0, and the filtered probability
//!     `p_s(t) = q f_s / (q f_s + (1 - q) f_c)` (Hamilton's filter, eq. 4.5-4.6 of the
//!     1989 paper, computed in logs so that a huge return cannot underflow);
//!   - the `k`-step prediction `pi_s + lambda^k (p_s(t) - pi_s)`, averaged over `k = 1..=H`:
//!     `qbar(t) = pi_s + w (p_s(t) - pi_s)`, `w = lambda (1 - lambda^H) / (H (1 - lambda))`;
//!   - forecast volatility `sigma_f(t) = sqrt((1 - qbar) sigma_calm^2 + qbar sigma_stress^2)`.
//!
//!   At step 0 `sigma_f = sqrt((1 - pi_s) sigma_calm^2 + pi_s sigma_stress^2)`, so with
//!   `sigma_ref` equal to it step 0 has the base terms exactly.
//! - **Implied volatility** ([`Predictive::implied`]): a per-step series `iv(0), iv(1), ...`
//!   of annualised volatilities given as data (for example an option market's implied
//!   volatility, aligned by step), and `sigma_f(t) = iv(t)`: element `t` at step `t`, never
//!   `t + 1`. A path longer than the series has no forecast for its last steps; the caller
//!   must refuse it (see [`Predictive::max_steps`]), and `update` panics, naming the
//!   series, if it ever gets there.

use crate::scaled::{Bounds, Liquidity, Scaled, range};
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

/// The terms of one asset under `predictive` with the regime filter: the base terms of
/// `dynamic` and the asset's two-state model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegimeTerms {
    /// Base terms and reference volatility, as under `dynamic`.
    pub base: DynamicTerms,
    /// Annualised volatility of the calm state.
    pub sigma_calm: f64,
    /// Annualised volatility of the stress state.
    pub sigma_stress: f64,
    /// Probability of staying calm from one step to the next, in `(0, 1)`.
    pub stay_calm: f64,
    /// Probability of staying in stress from one step to the next, in `(0, 1)`.
    pub stay_stress: f64,
}

/// The terms of one asset under `predictive` with an implied-volatility series.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpliedTerms {
    /// Base terms and reference volatility, as under `dynamic`.
    pub base: DynamicTerms,
    /// Annualised volatility forecast of step `t` at index `t` (`> 0`).
    pub series: Vec<f64>,
    /// Where the series comes from (a file and column), for messages.
    pub source: String,
}

/// The two-state filter constants of one asset, per step.
#[derive(Debug, Clone, Copy)]
struct Regime {
    /// Per-step variances of the calm and stress states.
    var_calm: f64,
    var_stress: f64,
    /// Annualised variances of the two states.
    ann_calm: f64,
    ann_stress: f64,
    /// Ergodic stress probability `pi_s`.
    ergodic: f64,
    /// `lambda = stay_calm + stay_stress - 1`.
    lambda: f64,
    /// Weight `w` of the filtered deviation in the horizon average.
    weight: f64,
}

impl Regime {
    /// The filtered stress probability after a return `r`, from the last one `p`.
    fn filter(&self, p: f64, r: f64) -> f64 {
        let q = self.ergodic + self.lambda * (p - self.ergodic);
        let log_f = |v: f64| -0.5 * v.ln() - r * r / (2.0 * v);
        let d = q.ln() + log_f(self.var_stress) - (1.0 - q).ln() - log_f(self.var_calm);
        1.0 / (1.0 + (-d).exp())
    }

    /// The annualised forecast variance averaged over the horizon, from the filtered `p`.
    fn forecast(&self, p: f64) -> f64 {
        let q = self.ergodic + self.weight * (p - self.ergodic);
        (1.0 - q) * self.ann_calm + q * self.ann_stress
    }
}

/// The forecast of a `predictive` policy, per asset with terms.
#[derive(Debug, Clone)]
enum Forecast {
    Garch(Vec<Garch>),
    Regime(Vec<Regime>),
    Implied(Vec<(Vec<f64>, String)>),
}

/// The `predictive` policy (see the module documentation for the formula).
#[derive(Debug, Clone)]
pub struct Predictive {
    name: String,
    dt: f64,
    scaled: Scaled,
    forecast: Forecast,
}

/// The horizon, checked.
fn horizon(params: &PredictiveParams) -> Result<f64, PolicyError> {
    let h = params.horizon;
    range(
        "horizon".into(),
        h,
        h.is_finite() && h >= 1.0 && h.fract() == 0.0,
        "must be a whole number >= 1",
    )?;
    Ok(h)
}

/// The scaled base terms, bounds checked.
fn scaled<'a>(
    market: &MarketSpec,
    params: &PredictiveParams,
    terms: impl IntoIterator<Item = (&'a String, &'a DynamicTerms)>,
) -> Result<Scaled, PolicyError> {
    let bounds = Bounds {
        beta: params.beta,
        floor: params.floor,
        cap: params.cap,
    };
    Scaled::new(market, params.close_factor, bounds, terms)
}

impl Predictive {
    /// Builds the policy; assets without terms get `ltv = lt = bonus = 0` at every step.
    pub fn new(
        name: &str,
        market: &MarketSpec,
        params: PredictiveParams,
        terms: &[(String, PredictiveTerms)],
    ) -> Result<Self, PolicyError> {
        let h = horizon(&params)?;
        let scaled = scaled(market, &params, terms.iter().map(|(s, t)| (s, &t.base)))?;
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
            forecast: Forecast::Garch(garch),
        })
    }

    /// Builds the policy with the two-state regime filter instead of the GARCH (see the
    /// module documentation); assets without terms get `ltv = lt = bonus = 0`.
    pub fn regime(
        name: &str,
        market: &MarketSpec,
        params: PredictiveParams,
        terms: &[(String, RegimeTerms)],
    ) -> Result<Self, PolicyError> {
        let h = horizon(&params)?;
        let scaled = scaled(market, &params, terms.iter().map(|(s, t)| (s, &t.base)))?;
        let dt = market.dt;
        let mut regimes = Vec::with_capacity(terms.len());
        for (symbol, t) in terms {
            let key = |k: &str| format!("assets.{symbol}.{k}");
            for (k, s) in [
                ("sigma_calm", t.sigma_calm),
                ("sigma_stress", t.sigma_stress),
            ] {
                range(key(k), s, s.is_finite() && s > 0.0, "must be > 0")?;
            }
            for (k, p) in [("stay_calm", t.stay_calm), ("stay_stress", t.stay_stress)] {
                range(key(k), p, p > 0.0 && p < 1.0, "must be in (0, 1)")?;
            }
            let (a, b) = (t.stay_calm, t.stay_stress);
            let lambda = a + b - 1.0;
            let (ann_calm, ann_stress) = (t.sigma_calm.powi(2), t.sigma_stress.powi(2));
            regimes.push(Regime {
                var_calm: ann_calm * dt,
                var_stress: ann_stress * dt,
                ann_calm,
                ann_stress,
                ergodic: (1.0 - a) / (2.0 - a - b),
                lambda,
                weight: lambda * (1.0 - lambda.powi(h as i32)) / (h * (1.0 - lambda)),
            });
        }
        Ok(Self {
            name: name.to_owned(),
            dt,
            scaled,
            forecast: Forecast::Regime(regimes),
        })
    }

    /// Builds the policy with an implied-volatility series per asset instead of the GARCH
    /// (see the module documentation); `horizon` is checked but unused (an implied
    /// volatility already is a forecast over its own horizon).
    pub fn implied(
        name: &str,
        market: &MarketSpec,
        params: PredictiveParams,
        terms: &[(String, ImpliedTerms)],
    ) -> Result<Self, PolicyError> {
        horizon(&params)?;
        let scaled = scaled(market, &params, terms.iter().map(|(s, t)| (s, &t.base)))?;
        let mut series = Vec::with_capacity(terms.len());
        for (symbol, t) in terms {
            let key = format!("assets.{symbol}.implied");
            range(
                key.clone(),
                0.0,
                !t.series.is_empty(),
                "the series is empty",
            )?;
            if let Some(&bad) = t.series.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                range(key, bad, false, "every value of the series must be > 0")?;
            }
            series.push((t.series.clone(), t.source.clone()));
        }
        Ok(Self {
            name: name.to_owned(),
            dt: market.dt,
            scaled,
            forecast: Forecast::Implied(series),
        })
    }

    /// Adds the liquidity term of `dynamic` (see [`crate::Dynamic::with_liquidity`]).
    pub fn with_liquidity(
        mut self,
        market: &MarketSpec,
        liquidity: &Liquidity,
    ) -> Result<Self, PolicyError> {
        self.scaled.set_liquidity(market, liquidity)?;
        Ok(self)
    }

    /// The longest path (in steps) the policy has a forecast for: `None` for the GARCH and
    /// the regime filter, and one less than the shortest series for implied volatility
    /// (its element `t` is the forecast of step `t`).
    pub fn max_steps(&self) -> Option<usize> {
        match &self.forecast {
            Forecast::Implied(series) => series.iter().map(|(s, _)| s.len() - 1).min(),
            _ => None,
        }
    }
}

impl MarginPolicy for Predictive {
    fn name(&self) -> &str {
        &self.name
    }

    fn start_path(&self) -> Box<dyn PolicyState + '_> {
        let next = match &self.forecast {
            Forecast::Garch(garch) => garch.iter().map(|g| g.long_run).collect(),
            Forecast::Regime(regimes) => regimes.iter().map(|r| r.ergodic).collect(),
            Forecast::Implied(_) => Vec::new(),
        };
        Box::new(PredictiveState {
            policy: self,
            next,
            variance: vec![0.0; self.scaled.terms.len()],
            seen: 0,
        })
    }
}

/// Per-path state: per asset with terms, the one-step-ahead variance `h(t+1)` (GARCH) or
/// the filtered stress probability `p_s(t)` (regime), a buffer for the annualised horizon
/// variance, and the last step folded in.
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
        match &p.forecast {
            Forecast::Garch(garch) => {
                p.scaled.fold_returns(market, &mut self.seen, |k, r| {
                    let g = &garch[k];
                    next[k] = g.omega + g.alpha * r * r + g.beta * next[k];
                });
                for ((var, g), &h) in self.variance.iter_mut().zip(garch).zip(&self.next) {
                    *var = (g.long_run + g.weight * (h - g.long_run)) / p.dt;
                }
            }
            Forecast::Regime(regimes) => {
                p.scaled.fold_returns(market, &mut self.seen, |k, r| {
                    next[k] = regimes[k].filter(next[k], r);
                });
                for ((var, g), &ps) in self.variance.iter_mut().zip(regimes).zip(&self.next) {
                    *var = g.forecast(ps);
                }
            }
            Forecast::Implied(series) => {
                let t = market.step();
                for (var, (s, source)) in self.variance.iter_mut().zip(series) {
                    let Some(&iv) = s.get(t) else {
                        panic!(
                            "policy `{}`: the implied-volatility series {source} has {} steps \
                             (values for steps 0..={}), the path reached step {t}",
                            p.name,
                            s.len(),
                            s.len() - 1
                        );
                    };
                    *var = iv * iv;
                }
            }
        }
        p.scaled.write(&self.variance, market, requirements);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_market as market;
    use crate::{Dynamic, DynamicParams};
    use crunch_core::PricePath;

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

    fn regime_terms(stay_calm: f64) -> Vec<(String, RegimeTerms)> {
        let t = RegimeTerms {
            base: base(),
            sigma_calm: 0.1,
            sigma_stress: 0.3,
            stay_calm,
            stay_stress: 0.8,
        };
        vec![("ETH".into(), t)]
    }

    #[test]
    fn hand_computed_two_step_hamilton_filter() {
        // dt = 1: v_c = 0.01, v_s = 0.09; a = 0.9, b = 0.8: lambda = 0.7, pi_s = 1/3.
        // ETH: 100, +0.3 (step 1), flat (step 2).
        let eth = [100.0, 100.0 * 0.3f64.exp(), 100.0 * 0.3f64.exp()];
        let pi = 1.0 / 3.0;
        // Step 1: q = pi_s = 1/3; f_s / f_c = (e^-0.5 / 0.3) / (e^-4.5 / 0.1) = e^4 / 3;
        // p_s = (1/3) (e^4/3) / ((1/3) (e^4/3) + 2/3) = (e^4/3) / (e^4/3 + 2) = 0.90099.
        let ratio1 = 4f64.exp() / 3.0;
        let p1 = ratio1 / (ratio1 + 2.0);
        assert!((p1 - 0.90099).abs() < 1e-5);
        // Step 2: q = 1/3 + 0.7 (p1 - 1/3) = 0.73069; r = 0: f_s / f_c = 0.1 / 0.3;
        // p_s = (q / 3) / (q / 3 + 1 - q) = 0.47490.
        let q2 = pi + 0.7 * (p1 - pi);
        let p2 = (q2 / 3.0) / (q2 / 3.0 + 1.0 - q2);
        assert!((q2 - 0.73069).abs() < 1e-5 && (p2 - 0.47490).abs() < 1e-5);
        let filtered = [pi, p1, p2];
        // H = 1: w = lambda = 0.7; H = 2: w = (0.7 + 0.49) / 2 = 0.595.
        for (horizon, w) in [(1.0, 0.7), (2.0, 0.595)] {
            let p =
                Predictive::regime("r", &market(), params(horizon), &regime_terms(0.9)).unwrap();
            let req = run(&p, &eth);
            for t in 0..eth.len() {
                let q = pi + w * (filtered[t] - pi);
                let var = (1.0 - q) * 0.01 + q * 0.09;
                let m = (0.1 / var.sqrt()).clamp(0.2, 1.2);
                assert!((req[t].lt[0] - 0.8 * m).abs() < 1e-12, "H {horizon} t {t}");
                assert!((req[t].ltv[0] - 0.6 * m).abs() < 1e-12, "H {horizon} t {t}");
                assert_eq!(req[t].bonus, vec![0.05, 0.0]);
                assert_eq!(req[t].close_factor, 0.5);
            }
            // Step 0: sigma_f = sqrt(2/3 0.01 + 1/3 0.09) = 0.19149: m = 0.5222.
            assert!((req[0].lt[0] - 0.8 * 0.1 / (0.11f64 / 3.0).sqrt()).abs() < 1e-12);
        }
    }

    #[test]
    fn regime_filter_survives_a_huge_return_and_moves_towards_calm() {
        // A 1000-sigma return underflows both densities; the log form keeps p_s = 1.
        let eth = [
            100.0,
            100.0 * 100f64.exp(),
            100.0 * 100f64.exp(),
            100.0 * 100f64.exp(),
        ];
        let p = Predictive::regime("r", &market(), params(1.0), &regime_terms(0.9)).unwrap();
        let req = run(&p, &eth);
        assert!(req.iter().all(|r| r.lt[0].is_finite()));
        // After the crash the forecast is at its most stressed, then calm steps relax it.
        assert!(req[1].lt[0] < req[0].lt[0]);
        assert!(req[2].lt[0] > req[1].lt[0] && req[3].lt[0] > req[2].lt[0]);
    }

    #[test]
    fn implied_reads_element_t_at_step_t_and_refuses_a_longer_path() {
        let t = ImpliedTerms {
            base: base(),
            series: vec![0.1, 0.2, 0.05],
            source: "vix.csv column vix".into(),
        };
        let p =
            Predictive::implied("i", &market(), params(1.0), &[("ETH".into(), t.clone())]).unwrap();
        assert_eq!(p.max_steps(), Some(2));
        let req = run(&p, &[100.0, 50.0, 200.0]);
        // m = 0.1 / iv(t): 1, 0.5, 2 -> cap 1.2; prices do not matter.
        assert_eq!(req[0].lt[0], 0.8);
        assert_eq!(req[1].lt[0], 0.8 * 0.5);
        assert_eq!(req[2].lt[0], 0.8 * 1.2);
        let longer = std::panic::catch_unwind(|| run(&p, &[100.0, 100.0, 100.0, 100.0]));
        let message = *longer.unwrap_err().downcast::<String>().unwrap();
        assert!(message.contains("vix.csv column vix"), "{message}");
        let err = |series: Vec<f64>| {
            let t = ImpliedTerms {
                series,
                ..t.clone()
            };
            Predictive::implied("i", &market(), params(1.0), &[("ETH".into(), t)])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err(vec![]), "`assets.ETH.implied` = 0: the series is empty");
        assert_eq!(
            err(vec![0.1, -0.2]),
            "`assets.ETH.implied` = -0.2: every value of the series must be > 0"
        );
    }

    #[test]
    fn regime_refuses_out_of_range_parameters() {
        let err = |t: Vec<(String, RegimeTerms)>| {
            Predictive::regime("r", &market(), params(1.0), &t)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(regime_terms(1.0)),
            "`assets.ETH.stay_calm` = 1: must be in (0, 1)"
        );
        let mut t = regime_terms(0.9);
        t[0].1.sigma_stress = 0.0;
        assert_eq!(err(t), "`assets.ETH.sigma_stress` = 0: must be > 0");
    }
}
