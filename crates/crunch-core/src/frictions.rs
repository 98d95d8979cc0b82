//! How DeFi liquidations really fail, as scenario switches beyond `lending-v1`: the
//! protocol values collateral at an oracle price that can lag, update only on a heartbeat
//! or a deviation, be clamped by a circuit breaker or print a spike; and liquidators have
//! a capacity per step, gas costs, and outage windows. With no switch set the engine is
//! `lending-v1` exactly.

/// A window of steps `start..=end` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First step of the window.
    pub start: usize,
    /// Last step of the window.
    pub end: usize,
}

impl Window {
    /// Whether step `t` lies in the window.
    pub fn contains(&self, t: usize) -> bool {
        self.start <= t && t <= self.end
    }
}

/// A manipulated or illiquid oracle source: the oracle's input is the market price times
/// `factor` during `window`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// Steps of the spike.
    pub window: Window,
    /// Multiplier of the source price (`> 0`; 1.5 prints 50 % above the market).
    pub factor: f64,
}

/// The oracle of one asset: what the protocol believes the asset is worth at each step.
///
/// At step `t` the feed's input is `m[t] = p[max(0, t - lag)]`, times a spike's factor
/// inside its window. With `heartbeat` or `deviation` the feed publishes `m[t]` only when
/// `|m[t] / o - 1| >= deviation` or `t - u >= heartbeat` (`o` the last published value,
/// `u` its step; step 0 always publishes); otherwise it publishes every step. The
/// published value is clamped to `[floor, ceiling]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OracleSpec {
    /// Steps the input lags the market (0: the current price).
    pub lag: usize,
    /// Publish at least every `heartbeat` steps.
    pub heartbeat: Option<usize>,
    /// Publish when the input moved by at least this fraction since the last publication.
    pub deviation: Option<f64>,
    /// Lowest value the feed reports (a circuit breaker stuck at its floor).
    pub floor: Option<f64>,
    /// Highest value the feed reports.
    pub ceiling: Option<f64>,
    /// Manipulated or illiquid input windows.
    pub spikes: Vec<Spike>,
}

/// Liquidators: who buys seized collateral, how much, at what cost and when.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiquidatorSpec {
    /// Market value (USD) of seized collateral liquidators absorb per step, over every
    /// asset; `None`: unlimited.
    pub capacity: Option<f64>,
    /// Cost of one liquidation (USD): a liquidator acts only if its profit exceeds it.
    pub gas: f64,
    /// Steps at which nobody liquidates.
    pub outages: Vec<Window>,
    /// After an outage, capacity returns as `1 - 2^(-(t - end) / h)` of itself, `h` this
    /// half-life in steps; `None`: at once.
    pub recovery_half_life: Option<f64>,
}

impl LiquidatorSpec {
    /// Whether nobody liquidates at step `t`.
    pub fn out(&self, t: usize) -> bool {
        self.outages.iter().any(|w| w.contains(t))
    }

    /// Liquidator capacity at step `t` (USD): `capacity`, scaled down after the latest
    /// outage that ended before `t` while liquidity recovers.
    pub fn capacity_at(&self, t: usize) -> f64 {
        let Some(c) = self.capacity else {
            return f64::INFINITY;
        };
        let Some(h) = self.recovery_half_life else {
            return c;
        };
        match self
            .outages
            .iter()
            .filter(|w| w.end < t)
            .map(|w| w.end)
            .max()
        {
            Some(end) => c * (1.0 - (-((t - end) as f64) / h).exp2()),
            None => c,
        }
    }
}

/// Every friction of a scenario. The default has none: the engine runs `lending-v1`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frictions {
    /// Oracle per asset index (`None`: the protocol sees the market price). Empty or
    /// shorter than the asset list means no oracle for the remaining assets.
    pub oracles: Vec<Option<OracleSpec>>,
    /// Liquidators; `None`: `lending-v1`'s (always there, no cost, no capacity limit).
    pub liquidators: Option<LiquidatorSpec>,
}

impl Frictions {
    /// Whether any friction is set (otherwise the engine is exactly `lending-v1`).
    pub fn active(&self) -> bool {
        self.oracles.iter().any(Option::is_some) || self.liquidators.is_some()
    }

    /// The oracle of asset `i`, if it has one.
    pub fn oracle(&self, i: usize) -> Option<&OracleSpec> {
        self.oracles.get(i).and_then(Option::as_ref)
    }
}

/// One path's oracle feed of one asset: the last published value and its step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OracleFeed {
    published: f64,
    at: usize,
}

impl OracleFeed {
    /// The value the feed reports at step `t` (called for `t = 0, 1, ...` in order), given
    /// the market price at step `lag` steps back, `lagged = p[max(0, t - lag)]`.
    pub fn advance(&mut self, spec: &OracleSpec, t: usize, lagged: f64) -> f64 {
        let spike = spec
            .spikes
            .iter()
            .filter(|s| s.window.contains(t))
            .fold(1.0, |f, s| f * s.factor);
        let input = lagged * spike;
        let publish = t == 0
            || (spec.heartbeat.is_none() && spec.deviation.is_none())
            || spec.heartbeat.is_some_and(|h| t - self.at >= h)
            || spec
                .deviation
                .is_some_and(|d| (input / self.published - 1.0).abs() >= d);
        if publish {
            self.published = input;
            self.at = t;
        }
        let mut o = self.published;
        if let Some(f) = spec.floor {
            o = o.max(f);
        }
        if let Some(c) = spec.ceiling {
            o = o.min(c);
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(spec: &OracleSpec, market: &[f64]) -> Vec<f64> {
        let mut f = OracleFeed::default();
        (0..market.len())
            .map(|t| f.advance(spec, t, market[t.saturating_sub(spec.lag)]))
            .collect()
    }

    #[test]
    fn lag_heartbeat_deviation_floor_and_spike_by_hand() {
        let market = [100.0, 98.0, 90.0, 89.0, 60.0, 55.0, 50.0];
        // A lag of 2 steps: p[0], p[0], p[0], p[1], p[2], ...
        let lag = OracleSpec {
            lag: 2,
            ..OracleSpec::default()
        };
        assert_eq!(
            feed(&lag, &market),
            [100.0, 100.0, 100.0, 98.0, 90.0, 89.0, 60.0]
        );
        // Deviation 5 %: 98 (-2 %) is not published, 90 (-10 %) is, 89 (-1.1 % of 90) is
        // not, 60 is, 55 (-8.3 %) is, 50 (-9.1 %) is.
        let dev = OracleSpec {
            deviation: Some(0.05),
            ..OracleSpec::default()
        };
        assert_eq!(
            feed(&dev, &market),
            [100.0, 100.0, 90.0, 90.0, 60.0, 55.0, 50.0]
        );
        // Heartbeat 3 with deviation 50 %: publications at 0, 3, 6 only (no move of 50 %
        // since the last publication: 60 is -32.6 % of 89).
        let hb = OracleSpec {
            heartbeat: Some(3),
            deviation: Some(0.5),
            ..OracleSpec::default()
        };
        assert_eq!(
            feed(&hb, &market),
            [100.0, 100.0, 100.0, 89.0, 89.0, 89.0, 50.0]
        );
        // A floor of 80 holds while the market falls through it; a spike of x1.5 at steps
        // 1..=2 is published as is.
        let floor = OracleSpec {
            floor: Some(80.0),
            spikes: vec![Spike {
                window: Window { start: 1, end: 2 },
                factor: 1.5,
            }],
            ..OracleSpec::default()
        };
        assert_eq!(
            feed(&floor, &market),
            [100.0, 147.0, 135.0, 89.0, 80.0, 80.0, 80.0]
        );
    }

    #[test]
    fn outages_and_capacity_recovery() {
        let l = LiquidatorSpec {
            capacity: Some(1000.0),
            gas: 0.0,
            outages: vec![Window { start: 3, end: 4 }],
            recovery_half_life: Some(2.0),
        };
        assert!(!l.out(2) && l.out(3) && l.out(4) && !l.out(5));
        assert_eq!(l.capacity_at(2), 1000.0);
        // One half-life after the outage: half; two: three quarters.
        assert_eq!(l.capacity_at(6), 500.0);
        assert_eq!(l.capacity_at(8), 750.0);
        let unlimited = LiquidatorSpec::default();
        assert_eq!(unlimited.capacity_at(5), f64::INFINITY);
    }
}
