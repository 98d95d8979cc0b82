//! The shared log-price stepping of the parametric path models: one loop for correlated
//! GBM, Student-t innovations, GARCH(1,1) variance, Merton jumps, regime switching and
//! the correlation crunch, composed as options of one source.
//!
//! For every moving asset `i` and step `t = 1..T`:
//!
//! ```text
//! ln p[t][i] = ln p[t-1][i] + mu_i dt - s_i^2 / 2 + s_i z_i + J_i
//! s_i = v_i * (1 + w(t) (vol_multiplier - 1))
//! ```
//!
//! - `v_i`, the model's per-step volatility: `sigma_i sqrt(dt)`; with GARCH the
//!   conditional `sqrt(h_i[t])` ([`crate::garch`]); with regimes `sigma_{s_t,i} sqrt(dt)`
//!   ([`crate::regime`], which also switches `mu` and the correlation);
//! - `z`, unit-variance innovations with the model's correlation `R = L L^T`: `z = L e`
//!   (normal) or `z = L e sqrt((nu - 2) / W)` (Student-t, [`crate::student_t`]); inside a
//!   crunch window mixed with a common factor ([`crate::crunch`]);
//! - `J_i`, the compensated Merton log-jump ([`crate::jump`]), 0 without jumps;
//! - `w(t)`, the crunch weight (0 without a crunch);
//! - inside a pair-decoupling window ([`crate::decouple`]), `L` is the factor of the
//!   model's matrix with the decoupled pairs' entries set to their targets (no extra draw).
//!
//! `mu_i dt - s_i^2 / 2` keeps `mu` the expected return of a normal diffusion (and the
//! mean log-return `(mu - sigma^2 / 2) dt` of GBM for any innovations). Without any
//! option the source is exactly `lending-v1`'s correlated GBM ([`crate::Gbm`]): same
//! draws, same arithmetic, same prices. Stable assets keep their start price exactly.
//!
//! Draw order per step `t` (every draw from the path's own stream):
//! 1. regimes: one uniform for the transition;
//! 2. `A` standard normals `e`, in asset order, stable assets included;
//! 3. Student-t: one `chi2(nu)` variate;
//! 4. crunch, only when `w(t) > 0`: one standard normal `f`;
//! 5. jumps: per asset with jumps one uniform (+ one normal if it jumps), then the
//!    common jump likewise.

use crate::correlation::cholesky_psd;
use crate::crunch::{Crunch, average_pairwise_correlation};
use crate::decouple::{Decouple, Schedule};
use crate::error::ModelError;
use crate::garch::{GarchParams, GarchSpec};
use crate::jump::{CommonJump, JumpSize, Jumps};
use crate::regime::{Chain, RegimeSwitching};
use crate::student_t::StudentT;
use crunch_core::{MarketSpec, PathRng, PathSource, PathState, PricePath};
use rand::RngExt;
use rand_distr::StandardNormal;

/// Drift, volatility and correlation in force (one set, or one per regime).
#[derive(Debug, Clone)]
struct ParamSet {
    /// `mu_i dt`.
    mu_dt: Vec<f64>,
    /// `(mu_i - sigma_i^2 / 2) dt`, the GBM drift (as [`crate::Gbm`] computes it).
    drift: Vec<f64>,
    /// `sigma_i sqrt(dt)`.
    vol: Vec<f64>,
    /// Lower Cholesky factor of the correlation matrix, row-major.
    chol: Vec<f64>,
    /// The correlation matrix (for decoupled variants).
    correlation: Vec<Vec<f64>>,
    /// Average pairwise correlation of the moving assets (`None`: fewer than two).
    average: Option<f64>,
    /// Crunch target scale `c` (1 without a crunch).
    target_scale: f64,
}

impl ParamSet {
    fn new(
        mu: &[f64],
        sigma: &[f64],
        correlation: &[Vec<f64>],
        moving: &[usize],
        dt: f64,
        key: &str,
    ) -> Result<Self, ModelError> {
        let chol = cholesky_psd(correlation, mu.len())
            .map_err(|e| ModelError::new(key, format!("not a valid correlation matrix: {e}")))?;
        Ok(Self {
            mu_dt: mu.iter().map(|m| m * dt).collect(),
            drift: mu
                .iter()
                .zip(sigma)
                .map(|(m, s)| (m - s * s / 2.0) * dt)
                .collect(),
            vol: sigma.iter().map(|s| s * dt.sqrt()).collect(),
            chol,
            correlation: correlation.to_vec(),
            average: average_pairwise_correlation(correlation, moving),
            target_scale: 1.0,
        })
    }
}

/// A parametric path source: correlated log-price diffusion with optional Student-t
/// innovations, GARCH(1,1) variance, Merton jumps, Markov regimes and a correlation
/// crunch. See the module documentation for the formula and the draw order.
///
/// Build it with [`Diffusion::new`] (correlated GBM) and the `with_*` options; GARCH and
/// regimes are exclusive (both set the volatility).
#[derive(Debug, Clone)]
pub struct Diffusion {
    steps: usize,
    sqrt_dt: f64,
    dt: f64,
    symbols: Vec<String>,
    start: Vec<f64>,
    stable: Vec<bool>,
    moving: Vec<usize>,
    sets: Vec<ParamSet>,
    chain: Option<Chain>,
    student_t: Option<StudentT>,
    garch: Option<Vec<(GarchParams, f64)>>,
    jumps: Option<Jumps>,
    crunch: Option<Crunch>,
    decouple: Vec<Decouple>,
    schedule: Option<Schedule>,
    regime_names: Vec<String>,
}

impl Diffusion {
    /// Correlated GBM over `market`'s assets with correlation matrix `correlation`, for
    /// paths of `steps` steps.
    pub fn new(
        market: &MarketSpec,
        correlation: &[Vec<f64>],
        steps: usize,
    ) -> Result<Self, ModelError> {
        let stable: Vec<bool> = market.assets.iter().map(|a| a.is_stable()).collect();
        let moving: Vec<usize> = (0..stable.len()).filter(|&i| !stable[i]).collect();
        let mu: Vec<f64> = market.assets.iter().map(|a| a.mu).collect();
        let sigma: Vec<f64> = market.assets.iter().map(|a| a.sigma).collect();
        let set = ParamSet::new(&mu, &sigma, correlation, &moving, market.dt, "correlation")?;
        Ok(Self {
            steps,
            sqrt_dt: market.dt.sqrt(),
            dt: market.dt,
            symbols: market.assets.iter().map(|a| a.symbol.clone()).collect(),
            start: market.assets.iter().map(|a| a.price).collect(),
            stable,
            moving,
            sets: vec![set],
            chain: None,
            student_t: None,
            garch: None,
            jumps: None,
            crunch: None,
            decouple: Vec::new(),
            schedule: None,
            regime_names: Vec::new(),
        })
    }

    /// Student-t innovations with `dof` degrees of freedom (`> 2`).
    pub fn with_student_t(mut self, dof: f64) -> Result<Self, ModelError> {
        self.student_t = Some(StudentT::new(dof)?);
        Ok(self)
    }

    /// GARCH(1,1) variance: one spec per asset (`None` for stable assets, required for
    /// every moving one). Without `omega`, variance targeting to `sigma_i^2 dt`; the
    /// first step's variance is `start_variance` or the unconditional variance.
    pub fn with_garch(mut self, specs: &[Option<GarchSpec>]) -> Result<Self, ModelError> {
        if self.chain.is_some() {
            return Err(ModelError::new(
                "garch",
                "GARCH and regimes both set the volatility; use one",
            ));
        }
        let mut out = Vec::with_capacity(self.start.len());
        for i in 0..self.start.len() {
            let key = format!("garch.{}", self.symbols[i]);
            let spec = specs.get(i).copied().flatten();
            let target = self.sets[0].vol[i] * self.sets[0].vol[i];
            out.push(match (spec, self.stable[i]) {
                (Some(s), false) => {
                    let p = s.resolve(target, &key)?;
                    (p, s.start_variance.unwrap_or(p.unconditional_variance()))
                }
                (None, false) => {
                    return Err(ModelError::new(
                        key,
                        "missing GARCH(1,1) parameters for a moving asset",
                    ));
                }
                (Some(_), true) => {
                    return Err(ModelError::new(
                        key,
                        "a stable asset (sigma = mu = 0) has no GARCH variance",
                    ));
                }
                // Never read for a stable asset.
                (None, true) => (
                    GarchParams {
                        omega: 0.0,
                        alpha: 0.0,
                        beta: 0.0,
                    },
                    0.0,
                ),
            });
        }
        self.garch = Some(out);
        Ok(self)
    }

    /// Merton jumps: per-asset components (`None` for none; stable assets cannot jump)
    /// and an optional common jump.
    pub fn with_jumps(
        mut self,
        per_asset: &[Option<JumpSize>],
        common: Option<&CommonJump>,
    ) -> Result<Self, ModelError> {
        let moving: Vec<bool> = self.stable.iter().map(|s| !s).collect();
        self.jumps = Some(Jumps::new(
            per_asset,
            common,
            &moving,
            &self.symbols,
            self.dt,
        )?);
        Ok(self)
    }

    /// Markov regimes: each regime's drift, volatility and correlation replace the
    /// market's. Stable assets stay stable in every regime.
    pub fn with_regimes(mut self, regimes: &RegimeSwitching) -> Result<Self, ModelError> {
        if self.garch.is_some() {
            return Err(ModelError::new(
                "regimes",
                "GARCH and regimes both set the volatility; use one",
            ));
        }
        regimes.check(self.start.len())?;
        let mut sets = Vec::with_capacity(regimes.regimes.len());
        for (r, regime) in regimes.regimes.iter().enumerate() {
            for (i, &stable) in self.stable.iter().enumerate() {
                if stable && (regime.mu[i] != 0.0 || regime.sigma[i] != 0.0) {
                    return Err(ModelError::new(
                        format!("regimes.states[{r}]"),
                        format!(
                            "{} is stable (sigma = mu = 0 in [[assets]]) and cannot move \
                             in a regime",
                            self.symbols[i]
                        ),
                    ));
                }
            }
            sets.push(ParamSet::new(
                &regime.mu,
                &regime.sigma,
                &regime.correlation,
                &self.moving,
                self.dt,
                &format!("regimes.states[{r}].correlation"),
            )?);
        }
        self.sets = sets;
        self.chain = Some(Chain::new(regimes));
        self.regime_names = regimes.regimes.iter().map(|r| r.name.clone()).collect();
        self.refresh_targets()?;
        self.refresh_schedule()?;
        Ok(self)
    }

    /// The correlation crunch (see [`crate::crunch`]); its window must lie within the
    /// path, and its target correlation must not be below any regime's own average.
    pub fn with_crunch(mut self, crunch: Crunch) -> Result<Self, ModelError> {
        crunch.check(self.steps)?;
        self.crunch = Some(crunch);
        self.refresh_targets()?;
        Ok(self)
    }

    /// Pair decouplings (see [`crate::decouple`]): in each window the pair's correlation
    /// is its target and every other entry the model's (of every regime's matrix). Each
    /// decoupled matrix must be positive semi-definite. No decouplings: no change.
    pub fn with_decouple(mut self, pairs: &[Decouple]) -> Result<Self, ModelError> {
        self.decouple = pairs.to_vec();
        self.refresh_schedule()?;
        Ok(self)
    }

    fn refresh_schedule(&mut self) -> Result<(), ModelError> {
        if self.decouple.is_empty() {
            self.schedule = None;
            return Ok(());
        }
        let bases: Vec<&[Vec<f64>]> = self.sets.iter().map(|s| s.correlation.as_slice()).collect();
        let names: Vec<String> = self
            .regime_names
            .iter()
            .map(|n| format!(" of regime `{n}`"))
            .collect();
        let moving: Vec<bool> = self.stable.iter().map(|s| !s).collect();
        self.schedule = Some(Schedule::new(
            &self.decouple,
            &bases,
            &names,
            &moving,
            self.steps,
        )?);
        Ok(())
    }

    fn refresh_targets(&mut self) -> Result<(), ModelError> {
        if let Some(c) = &self.crunch {
            for set in &mut self.sets {
                set.target_scale = c.target_scale(set.average)?;
            }
        }
        Ok(())
    }

    /// The generator: prices (and liquidity with a crunch) into `out`, state into
    /// `state` when given.
    fn generate(&self, rng: &mut PathRng, out: &mut PricePath, mut state: Option<&mut PathState>) {
        let n = self.start.len();
        let mut log_price: Vec<f64> = self.start.iter().map(|p| p.ln()).collect();
        let mut e = vec![0.0; n];
        let mut jump = vec![0.0; n];
        let mut h: Vec<f64> = self
            .garch
            .as_ref()
            .map(|g| g.iter().map(|(_, h0)| *h0).collect())
            .unwrap_or_default();
        let mut regime = self.chain.as_ref().map_or(0, |c| c.start);
        out.row_mut(0).copy_from_slice(&self.start);
        if self.crunch.is_some() {
            out.liquidity_row_mut(0).fill(1.0);
        }
        if let Some(s) = state.as_deref_mut() {
            self.record(s, 0, 0.0, regime, None);
        }
        let mut vols = vec![f64::NAN; n];
        for t in 1..=self.steps {
            if let Some(chain) = &self.chain {
                regime = chain.next(regime, rng.random::<f64>());
            }
            let set = &self.sets[regime];
            for x in e.iter_mut() {
                *x = rng.sample(StandardNormal);
            }
            let scale = self.student_t.as_ref().map(|s| s.draw_scale(rng));
            let w = self.crunch.as_ref().map_or(0.0, |c| c.weight(t));
            // Crunch mixing: z = sqrt(v) f + sqrt(1 - v) y, v = w c; volatility factor m.
            let (a, b, f, m) = match &self.crunch {
                Some(c) if w > 0.0 => {
                    let v = w * set.target_scale;
                    let f: f64 = rng.sample(StandardNormal);
                    (v.sqrt(), (1.0 - v).sqrt(), f, c.vol_factor(w))
                }
                _ => (0.0, 1.0, 0.0, 1.0),
            };
            if let Some(j) = &self.jumps {
                j.draw(rng, &mut jump);
            }
            let chol = self
                .schedule
                .as_ref()
                .and_then(|s| s.factor(t, regime))
                .unwrap_or(&set.chol);
            let row = out.row_mut(t);
            for i in 0..n {
                if self.stable[i] {
                    row[i] = self.start[i];
                    continue;
                }
                let l = &chol[i * n..i * n + i + 1];
                let mut z: f64 = l.iter().zip(&e).map(|(a, b)| a * b).sum();
                if w > 0.0 {
                    z = a * f + b * z;
                }
                if let Some(s) = scale {
                    z *= s;
                }
                let (step, sd) = match &self.garch {
                    Some(g) => {
                        let v = h[i].sqrt();
                        let sd = v * m;
                        h[i] = g[i].0.next(h[i], v * z);
                        (set.mu_dt[i] - sd * sd / 2.0 + sd * z, sd)
                    }
                    None if m == 1.0 => (set.drift[i] + set.vol[i] * z, set.vol[i]),
                    None => {
                        let sd = set.vol[i] * m;
                        (set.mu_dt[i] - sd * sd / 2.0 + sd * z, sd)
                    }
                };
                log_price[i] += step;
                if self.jumps.is_some() {
                    log_price[i] += jump[i];
                }
                row[i] = log_price[i].exp();
                vols[i] = sd / self.sqrt_dt;
            }
            if let Some(c) = &self.crunch {
                out.liquidity_row_mut(t).fill(c.liquidity_factor(w));
            }
            if let Some(s) = state.as_deref_mut() {
                self.record(s, t, w, regime, Some(&vols));
            }
        }
    }

    fn record(&self, s: &mut PathState, t: usize, w: f64, regime: usize, vols: Option<&[f64]>) {
        let n = self.start.len();
        if t == 0 {
            s.clear();
        }
        if self.crunch.is_some() {
            s.crunch_weight.push(w);
        }
        if self.chain.is_some() {
            s.regime.push(regime as u32);
        }
        match vols {
            Some(v) => s.volatility.extend_from_slice(v),
            None => s.volatility.extend(std::iter::repeat_n(f64::NAN, n)),
        }
    }
}

impl PathSource for Diffusion {
    fn steps(&self) -> usize {
        self.steps
    }

    fn assets(&self) -> usize {
        self.start.len()
    }

    /// See the module documentation for the draw order.
    fn fill(&self, rng: &mut PathRng, out: &mut PricePath) {
        self.generate(rng, out, None);
    }

    /// Records the crunch weight (with a crunch), the regime (with regimes) and every
    /// moving asset's annualised volatility `s_i / sqrt(dt)` per step.
    fn fill_with_state(&self, rng: &mut PathRng, out: &mut PricePath, state: &mut PathState) {
        self.generate(rng, out, Some(state));
    }
}
