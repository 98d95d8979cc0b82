//! VaR / expected-shortfall margin over simulated moves: the requirement is a tail
//! measure of the account's loss over a fixed sample of joint price moves, the
//! simulation variant of portfolio margin (the risk-based "VaR / ES" margin models of
//! CCPs such as Eurex Prisma and of crypto venues' portfolio margin).
//!
//! The sample: `n` draws `k` of correlated standard normals over the `A` assets, one
//! common factor and one idiosyncratic term each (a one-factor model with pairwise
//! correlation `rho`):
//!
//! ```text
//! z_ki = sqrt(rho) f_k + sqrt(1 - rho) e_ki,        f_k, e_ki ~ N(0, 1) independent
//! ```
//!
//! drawn once from crunch's stream for `Domain::MarginScenarios` (seed 0), so every run,
//! path and step uses the same sample, as a published scenario grid would be. At a market
//! state with prices `P_i` and implied volatilities `sigma_i`, scenario `k` moves every
//! price at once over the horizon `h` (years), lognormally and without drift:
//!
//! ```text
//! P_ki = P_i exp(sigma_i sqrt(h) z_ki - sigma_i^2 h / 2)
//! ```
//!
//! with volatilities, rate and time unchanged (no time decay over the horizon). The
//! account's P&L in scenario `k` is its equity there minus its equity now; the requirement
//! at confidence `alpha` is `max(0, VaR_alpha)` or `max(0, ES_alpha)` of that sample
//! ([`crate::tail`], Acerbi–Tasche). Both are positively homogeneous in position size, as
//! the liquidation's partial close needs. The volatilities are the path's EWMA estimates
//! up to the current step, so the requirement sees no future prices.

use crunch_core::{Domain, stream_rng};
use rand::RngExt;
use rand_distr::StandardNormal;

use crate::book::{Account, MarketState};
use crate::error::{DerivError, check};
use crate::tail::var_es;

/// Which tail measure of the simulated losses is the requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailMeasure {
    /// Value at risk: the `alpha`-quantile of the loss.
    Var,
    /// Expected shortfall: the mean loss beyond it.
    Es,
}

/// The parameters of a requirement over simulated moves (module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulatedMoves {
    draws: usize,
    horizon: f64,
    correlation: f64,
    measure: TailMeasure,
}

impl SimulatedMoves {
    /// `draws >= 1` scenarios over a horizon of `horizon > 0` years with pairwise
    /// correlation `correlation` in `[0, 1]`, measured by `measure`.
    pub fn new(
        draws: usize,
        horizon: f64,
        correlation: f64,
        measure: TailMeasure,
    ) -> Result<Self, DerivError> {
        check(|| "draws".into(), draws as f64, draws >= 1, "must be >= 1")?;
        check(
            || "horizon".into(),
            horizon,
            horizon.is_finite() && horizon > 0.0,
            "must be finite and > 0 (years)",
        )?;
        check(
            || "correlation".into(),
            correlation,
            (0.0..=1.0).contains(&correlation),
            "must be in [0, 1]",
        )?;
        Ok(Self {
            draws,
            horizon,
            correlation,
            measure,
        })
    }

    /// The tail measure.
    pub fn measure(&self) -> TailMeasure {
        self.measure
    }

    /// The sample `z` (`draws` rows of `assets` values, row-major): the same for every
    /// call with the same parameters and asset count.
    pub fn shocks(&self, assets: usize) -> Vec<f64> {
        let mut rng = stream_rng(0, Domain::MarginScenarios, 0);
        let (common, own) = (self.correlation.sqrt(), (1.0 - self.correlation).sqrt());
        let mut z = Vec::with_capacity(self.draws * assets);
        for _ in 0..self.draws {
            let f: f64 = rng.sample(StandardNormal);
            for _ in 0..assets {
                let e: f64 = rng.sample(StandardNormal);
                z.push(common * f + own * e);
            }
        }
        z
    }

    /// The market states of the sample's scenarios at `m` (`shocks` from
    /// [`SimulatedMoves::shocks`] for `m`'s asset count).
    pub fn states(&self, m: &MarketState, shocks: &[f64]) -> Vec<MarketState> {
        let mut states = Vec::new();
        self.move_states(m, shocks, &mut states);
        states
    }

    /// [`SimulatedMoves::states`] into `states`, reusing its buffers (a simulation calls
    /// it at every step).
    pub(crate) fn move_states(
        &self,
        m: &MarketState,
        shocks: &[f64],
        states: &mut Vec<MarketState>,
    ) {
        let a = m.assets();
        states.resize_with(shocks.len() / a, || m.clone());
        // Per asset `sigma sqrt(h)` and the drift correction `sigma^2 h / 2`, once a step.
        let scale: Vec<(f64, f64)> = m
            .vols()
            .iter()
            .map(|&s| (s * self.horizon.sqrt(), 0.5 * s * s * self.horizon))
            .collect();
        for (state, z) in states.iter_mut().zip(shocks.chunks_exact(a)) {
            state.move_from(m, |i| {
                m.prices()[i] * (scale[i].0 * z[i] - scale[i].1).exp()
            });
        }
    }

    /// The requirements of `account` at `m` at each confidence of `alphas` (in `(0, 1)`),
    /// from one P&L sample over the scenario `states` of [`SimulatedMoves::states`] at `m`.
    pub fn requirements<const K: usize>(
        &self,
        account: &Account,
        m: &MarketState,
        states: &[MarketState],
        alphas: [f64; K],
    ) -> Result<[f64; K], DerivError> {
        let now = account.value(m)?.equity;
        let pnl = states
            .iter()
            .map(|s| Ok(account.value(s)?.equity - now))
            .collect::<Result<Vec<f64>, DerivError>>()?;
        let mut out = [0.0; K];
        for (r, alpha) in out.iter_mut().zip(alphas) {
            let tail = var_es(&pnl, alpha)?;
            *r = match self.measure {
                TailMeasure::Var => tail.var,
                TailMeasure::Es => tail.es,
            }
            .max(0.0);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::Position;

    fn market() -> MarketState {
        MarketState::new(vec![100.0, 50.0], vec![0.8, 0.4], 0.0, 0.0).unwrap()
    }

    #[test]
    fn the_sample_is_fixed_and_correlated_as_asked() {
        let moves = SimulatedMoves::new(20_000, 1.0 / 365.0, 0.64, TailMeasure::Es).unwrap();
        let z = moves.shocks(2);
        assert_eq!(z, moves.shocks(2));
        // Sample moments of 20,000 draws: standard errors about 0.007 for the variance
        // and the correlation (sqrt((1 + rho^2) / n) for rho = 0.64), so 0.03 is over four
        // of them.
        let n = 20_000.0;
        let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
        for r in z.chunks_exact(2) {
            sxx += r[0] * r[0];
            syy += r[1] * r[1];
            sxy += r[0] * r[1];
        }
        assert!((sxx / n - 1.0).abs() < 0.03 && (syy / n - 1.0).abs() < 0.03);
        assert!((sxy / (sxx * syy).sqrt() - 0.64).abs() < 0.03);
    }

    /// One long perpetual of size 2 on asset 0 at 100 (vol 0.8), correlation 1: every
    /// draw moves the price by `exp(0.8 sqrt(h) z - 0.32 h)`, so the loss is
    /// `200 (1 - exp(...))`, increasing as `z` falls; VaR at 0.99 is that loss at the
    /// draws' 1 % quantile, computed here from the same sample.
    #[test]
    fn a_perpetual_s_requirement_by_hand() {
        let h = 1.0 / 365.0;
        let moves = SimulatedMoves::new(1000, h, 1.0, TailMeasure::Var).unwrap();
        let m = market();
        let a = Account::new("a", 1000.0, vec![Position::perp(0, 2.0, 100.0)]).unwrap();
        let z = moves.shocks(2);
        let mut losses: Vec<f64> = z
            .chunks_exact(2)
            .map(|r| 200.0 - 200.0 * (0.8 * h.sqrt() * r[0] - 0.32 * h).exp())
            .collect();
        losses.sort_unstable_by(f64::total_cmp);
        let want = losses[989]; // k = ceil(1000 * 0.99) = 990: the 990th smallest.
        let states = moves.states(&m, &z);
        let got = moves.requirements(&a, &m, &states, [0.99]).unwrap()[0];
        assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        // ES at the same level is at least VaR; twice the size needs twice the margin.
        let es = SimulatedMoves::new(1000, h, 1.0, TailMeasure::Es).unwrap();
        let es_req = es.requirements(&a, &m, &states, [0.99]).unwrap()[0];
        assert!(es_req >= got);
        let b = Account::new("b", 1000.0, vec![Position::perp(0, 4.0, 100.0)]).unwrap();
        let twice = moves.requirements(&b, &m, &states, [0.99]).unwrap()[0];
        assert!((twice - 2.0 * got).abs() < 1e-9 * got);
    }

    /// A long and a short perpetual on perfectly correlated moves of the same asset net
    /// to nothing; on two assets with correlation below 1 they do not.
    #[test]
    fn a_hedge_nets_only_as_far_as_the_moves_are_correlated() {
        let m = market();
        let hedged = Account::new(
            "h",
            0.0,
            vec![
                Position::perp(0, 1.0, 100.0),
                Position::perp(0, -1.0, 100.0),
            ],
        )
        .unwrap();
        let moves = SimulatedMoves::new(500, 1.0 / 365.0, 0.5, TailMeasure::Es).unwrap();
        let z = moves.shocks(2);
        let states = moves.states(&m, &z);
        assert_eq!(
            moves.requirements(&hedged, &m, &states, [0.99]).unwrap()[0],
            0.0
        );
        // Long asset 0 against short asset 1 of equal notional and equal volatility.
        let m2 = MarketState::new(vec![100.0, 100.0], vec![0.5, 0.5], 0.0, 0.0).unwrap();
        let pair = |rho| {
            let moves = SimulatedMoves::new(500, 1.0 / 365.0, rho, TailMeasure::Es).unwrap();
            let states = moves.states(&m2, &moves.shocks(2));
            let a = Account::new(
                "p",
                0.0,
                vec![
                    Position::perp(0, 1.0, 100.0),
                    Position::perp(1, -1.0, 100.0),
                ],
            )
            .unwrap();
            moves.requirements(&a, &m2, &states, [0.99]).unwrap()[0]
        };
        assert!(
            pair(0.9) < 0.5 * pair(0.0),
            "{} vs {}",
            pair(0.9),
            pair(0.0)
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        let e = |r: Result<SimulatedMoves, DerivError>| r.unwrap_err().to_string();
        assert_eq!(
            e(SimulatedMoves::new(0, 1.0, 0.5, TailMeasure::Var)),
            "`draws` = 0: must be >= 1"
        );
        assert_eq!(
            e(SimulatedMoves::new(10, 0.0, 0.5, TailMeasure::Var)),
            "`horizon` = 0: must be finite and > 0 (years)"
        );
        assert_eq!(
            e(SimulatedMoves::new(10, 1.0, 1.5, TailMeasure::Var)),
            "`correlation` = 1.5: must be in [0, 1]"
        );
    }
}
