//! An example margin policy written outside crunch's built-in crate: `drawdown` wraps any
//! policy and scales its `ltv` and `lt` of each asset down by the asset's drawdown from its
//! running peak, `m_i(t) = max(floor, 1 - k * (1 - p[t][i] / max_{u<=t} p[u][i]))`.
//!
//! A policy is two small traits of `crunch-core`: [`MarginPolicy`] names the policy and
//! hands out fresh per-path state; [`PolicyState::update`] sets the requirements in force
//! at step `t` from a [`MarketView`] that holds prices of steps `0..=t` only.
//!
//! [`compare`] loads a scenario file as `crunch run` does and runs the wrapped policy next
//! to the scenario's own policies through the engine, on the same price paths.

use anyhow::Result;
use crunch_cli::{Overrides, prepare};
use crunch_core::{MarginPolicy, MarketView, PathOutcome, PolicyState, Requirements, ResultSink};
use crunch_engine::{RunPlan, SimOptions};
use std::convert::Infallible;
use std::path::Path;

/// Any policy, tightened by the drawdown of each asset from its running peak.
pub struct Drawdown {
    /// The name in the `policy` output column.
    pub name: String,
    /// The policy whose terms are scaled.
    pub inner: Box<dyn MarginPolicy>,
    /// Sensitivity `k >= 0`: a 10 % drawdown removes `k * 10 %` of the terms.
    pub k: f64,
    /// Lowest multiplier, in `(0, 1]`.
    pub floor: f64,
}

impl MarginPolicy for Drawdown {
    fn name(&self) -> &str {
        &self.name
    }

    fn start_path(&self) -> Box<dyn PolicyState + '_> {
        Box::new(DrawdownState {
            policy: self,
            inner: self.inner.start_path(),
            peak: Vec::new(),
        })
    }
}

/// Per path: the inner policy's state and each asset's running peak price.
struct DrawdownState<'a> {
    policy: &'a Drawdown,
    inner: Box<dyn PolicyState + 'a>,
    peak: Vec<f64>,
}

impl PolicyState for DrawdownState<'_> {
    fn update(&mut self, market: MarketView<'_>, requirements: &mut Requirements) {
        self.inner.update(market, requirements);
        let prices = market.current();
        if self.peak.is_empty() {
            self.peak = prices.to_vec();
        }
        for (i, (&p, peak)) in prices.iter().zip(&mut self.peak).enumerate() {
            *peak = peak.max(p);
            let m = (1.0 - self.policy.k * (1.0 - p / *peak)).max(self.policy.floor);
            requirements.ltv[i] *= m;
            requirements.lt[i] *= m;
        }
    }
}

/// Mean outcomes of one policy over the paths of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The policy's name.
    pub policy: String,
    /// Mean bad debt per path (USD).
    pub bad_debt_mean: f64,
    /// Mean number of liquidations per path.
    pub liquidations_mean: f64,
}

/// Sums of the outcomes per policy, as the engine hands them over.
struct Sums(Vec<(f64, f64)>);

impl ResultSink for Sums {
    type Error = Infallible;
    fn accept(&mut self, outcome: &PathOutcome) -> Result<(), Infallible> {
        let sum = &mut self.0[outcome.policy];
        sum.0 += outcome.summary.bad_debt;
        sum.1 += outcome.summary.liquidations as f64;
        Ok(())
    }
}

/// Runs the scenario's policies and `drawdown` (its first policy tightened with `k = 1`,
/// `floor = 0.5`) through the engine (`crunch_engine::run`, every core) on the scenario's
/// paths (`paths` replaces the scenario's count): the same paths as `crunch run`, each
/// read by every policy.
pub fn compare(scenario: &Path, paths: Option<u64>) -> Result<Vec<Row>> {
    let overrides = Overrides { seed: None, paths };
    let mut run = prepare(scenario, overrides)?;
    // The inner policy: the first one of a second copy of the scenario.
    let inner = prepare(scenario, overrides)?.scenario.policies.remove(0);
    let name = format!("drawdown({})", inner.name());
    let drawdown = Drawdown {
        name,
        inner,
        k: 1.0,
        floor: 0.5,
    };
    run.scenario.policies.push(Box::new(drawdown));
    let s = &run.scenario;
    let plan = RunPlan {
        frictions: &s.frictions,
        stop: None,
        market: &s.market,
        book: &run.book,
        source: run.source.as_ref(),
        policies: &s.policies,
        seed: s.seed,
        units: crunch_engine::units(0..s.paths, s.policies.len()),
        options: SimOptions::default(),
    };
    let mut sums = Sums(vec![(0.0, 0.0); s.policies.len()]);
    crunch_engine::run(&plan, &mut sums, &|| {})?;
    let n = s.paths as f64;
    Ok(s.policies
        .iter()
        .zip(sums.0)
        .map(|(p, (bad_debt, liquidations))| Row {
            policy: p.name().to_owned(),
            bad_debt_mean: bad_debt / n,
            liquidations_mean: liquidations / n,
        })
        .collect())
}
