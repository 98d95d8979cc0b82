//! How DeFi liquidations really fail, as scenario switches beyond `lending-v1`: the
//! protocol values collateral at an oracle price that can lag, update only on a heartbeat
//! or a deviation, be clamped by a circuit breaker or print a spike; and liquidators have
//! a capacity per step, gas costs, and outage windows; and real protocols' liquidation
//! rules size liquidations from the account's state. With no switch set the engine is
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

/// A protocol's liquidation rules: how much of an account's debt one liquidation repays
/// and at what bonus, from the account's state at the step. The policy still sets `ltv`,
/// `lt` and (except where a rule-set replaces it) `bonus`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum RuleSet {
    /// `lending-v1` rule 3: the policy's close factor and bonus.
    #[default]
    LendingV1,
    /// Aave v3.3 (`LiquidationLogic`): the policy's close factor (Aave: 0.5), raised to 1
    /// when `H <= full_close_health` (0.95) or when the position's debt or its collateral
    /// in the seized asset is worth less than `full_close_below` (2,000 USD); and a partial liquidation that would leave
    /// less than `min_leftover` (1,000 USD) of debt or of the seized collateral is made a
    /// full one.
    AaveV33 {
        /// Health at or below which the whole debt may be repaid.
        full_close_health: f64,
        /// Debt or collateral value (USD) below which the whole debt may be repaid.
        full_close_below: f64,
        /// Smallest debt or seized-collateral value (USD) a partial liquidation may leave.
        min_leftover: f64,
    },
    /// Morpho Blue: the whole debt may be repaid, at the liquidation incentive factor
    /// `min(1.15, 1 / (1 - 0.3 (1 - LLTV)))` of the market, `LLTV` being the seized
    /// asset's `lt`; the policy's bonus is not used.
    MorphoBlue,
    /// Euler v2 style Dutch liquidation: the whole debt may be repaid, and collateral is
    /// sold at the discount `min(1 - H, max_discount)`, i.e. a bonus of `discount /
    /// (1 - discount)`; the policy's bonus is not used.
    EulerV2 {
        /// Largest discount.
        max_discount: f64,
    },
    /// Compound v3 (Comet): borrowing uses the policy's `ltv` (the borrow collateral
    /// factor) and liquidation its `lt` (the liquidate collateral factor). A liquidatable
    /// account is absorbed whole by the protocol (no liquidator bonus, no close factor,
    /// no liquidity gate); the protocol then sells the absorbed collateral at its
    /// store-front discount while its reserves are below target (the engine's `absorb`
    /// module).
    CompoundV3(Comet),
}

/// The parameters of Compound v3's absorb and store front (Compound III documentation,
/// "Liquidation": `absorb`, `buyCollateral`, `quoteCollateral`, `targetReserves`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comet {
    /// `liquidationFactor` in `(0, 1]`: an absorbed account is credited this share of its
    /// collateral's value (the rest is the liquidation penalty).
    pub liquidation_factor: f64,
    /// `storeFrontPriceFactor` in `[0, 1]`: the store front sells collateral at the
    /// discount `store_front_factor * (1 - liquidation_factor)` below its price.
    pub store_front_factor: f64,
    /// `targetReserves` (USD): collateral is for sale only while reserves are below it.
    pub target_reserves: f64,
    /// Reserves at step 0 (USD).
    pub reserves: f64,
}

impl Comet {
    /// The store front's discount `store_front_factor * (1 - liquidation_factor)`.
    pub fn discount(&self) -> f64 {
        self.store_front_factor * (1.0 - self.liquidation_factor)
    }
}

/// Close factor and bonus of one liquidation under a [`RuleSet`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationTerms {
    /// Share of the debt repaid (before the cap by the seized asset's holding).
    pub close_factor: f64,
    /// Bonus on the seized collateral.
    pub bonus: f64,
}

impl RuleSet {
    /// The terms of a liquidation of an account with health `h`, debt `debt` and value
    /// `held` of the seized asset (at the protocol's prices), when the policy sets close
    /// factor `close_factor` and the seized asset's `bonus` and `lt`.
    pub fn terms(
        &self,
        h: f64,
        debt: f64,
        held: f64,
        close_factor: f64,
        bonus: f64,
        lt: f64,
    ) -> LiquidationTerms {
        match *self {
            RuleSet::LendingV1 => LiquidationTerms {
                close_factor,
                bonus,
            },
            RuleSet::AaveV33 {
                full_close_health,
                full_close_below,
                min_leftover,
            } => {
                let full = h <= full_close_health
                    || debt < full_close_below
                    || held < full_close_below
                    || {
                        let repaid = close_factor * debt;
                        let seized = repaid * (1.0 + bonus);
                        debt - repaid < min_leftover
                            || (held > seized && held - seized < min_leftover)
                    };
                LiquidationTerms {
                    close_factor: if full { 1.0 } else { close_factor },
                    bonus,
                }
            }
            RuleSet::MorphoBlue => LiquidationTerms {
                close_factor: 1.0,
                bonus: (1.0 / (1.0 - 0.3 * (1.0 - lt))).min(1.15) - 1.0,
            },
            RuleSet::EulerV2 { max_discount } => {
                let discount = (1.0 - h).clamp(0.0, max_discount);
                LiquidationTerms {
                    close_factor: 1.0,
                    bonus: discount / (1.0 - discount),
                }
            }
            // Absorption takes everything; the terms only order the engine's queues.
            RuleSet::CompoundV3(_) => LiquidationTerms {
                close_factor: 1.0,
                bonus,
            },
        }
    }
}

/// An efficiency-mode category (Aave v3 e-mode): an account whose collateral is all in
/// the category's assets borrows and is liquidated at the category's terms, for every
/// one of its assets, instead of the policy's. Membership is decided on the initial book.
#[derive(Debug, Clone, PartialEq)]
pub struct EMode {
    /// The category's asset indices.
    pub assets: Vec<usize>,
    /// Loan-to-value of the category.
    pub ltv: f64,
    /// Liquidation threshold of the category.
    pub lt: f64,
    /// Liquidation bonus of the category.
    pub bonus: f64,
}

impl EMode {
    /// Whether an account holding `collateral(i)` of asset `i` (`assets` assets) is in the
    /// category: it holds some collateral, all of it in the category's assets.
    pub fn admits(&self, assets: usize, collateral: impl Fn(usize) -> f64) -> bool {
        let mut any = false;
        for i in 0..assets {
            if collateral(i) > 0.0 {
                if !self.assets.contains(&i) {
                    return false;
                }
                any = true;
            }
        }
        any
    }
}

/// Every friction of a scenario. The default has none: the engine runs `lending-v1`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frictions {
    /// The protocol's liquidation rules.
    pub rules: RuleSet,
    /// An e-mode category, if the protocol has one.
    pub emode: Option<EMode>,
    /// Oracle per asset index (`None`: the protocol sees the market price). Empty or
    /// shorter than the asset list means no oracle for the remaining assets.
    pub oracles: Vec<Option<OracleSpec>>,
    /// Liquidators; `None`: `lending-v1`'s (always there, no cost, no capacity limit).
    pub liquidators: Option<LiquidatorSpec>,
    /// Whether debt may be owed in any asset (`[protocol] multi_asset_debt`): the book is
    /// then loaded with quantities owed per asset ([`crate::Book::owed`]), valued at the
    /// protocol's price at every step.
    pub multi_asset_debt: bool,
    /// Reputation-tiered requirements (`[reputation]`), if any.
    pub reputation: Option<crate::Reputation>,
    /// Assets in Aave-style isolation mode, with their debt ceilings.
    pub isolation: Vec<Isolation>,
    /// Supply and borrow caps per asset.
    pub caps: Vec<Caps>,
    /// Multi-chain collateral (`[chains]`), if any.
    pub chains: Option<crate::Chains>,
}

/// Aave v3's isolation mode for one asset (`[protocol.isolation.SYMBOL]`; Aave v3
/// technical paper, "Isolation mode"): an account using the asset as collateral may use
/// no other collateral, and the debt of all such accounts together may not exceed the
/// asset's debt ceiling. Nothing borrows along a path, so both bind the initial book.
#[derive(Debug, Clone, PartialEq)]
pub struct Isolation {
    /// The isolated asset's index.
    pub asset: usize,
    /// Most debt (USD at start prices) that accounts in isolation on the asset may owe.
    pub debt_ceiling: f64,
}

/// Aave v3's supply and borrow caps of one asset (`[protocol.caps.SYMBOL]`), in
/// quantities of the asset: the book may not supply or owe more of it. They bind the
/// initial book (nothing is supplied or borrowed along a path).
#[derive(Debug, Clone, PartialEq)]
pub struct Caps {
    /// The asset's index.
    pub asset: usize,
    /// Most collateral quantity of the asset over all accounts.
    pub supply: Option<f64>,
    /// Most quantity of the asset owed over all accounts (multi-asset debt only).
    pub borrow: Option<f64>,
}

impl Frictions {
    /// Whether any friction is set (otherwise the engine is exactly `lending-v1`).
    pub fn active(&self) -> bool {
        self.oracles.iter().any(Option::is_some)
            || self.liquidators.is_some()
            || self.emode.is_some()
            || self.rules != RuleSet::LendingV1
            || self.multi_asset_debt
            || self.reputation.is_some()
            || self.chains.is_some()
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

    const AAVE: RuleSet = RuleSet::AaveV33 {
        full_close_health: 0.95,
        full_close_below: 2000.0,
        min_leftover: 1000.0,
    };

    #[test]
    fn rule_sets_by_hand() {
        let t = |r: RuleSet, h, debt, held, lt| r.terms(h, debt, held, 0.5, 0.05, lt);
        // lending-v1: the policy's terms.
        let v1 = t(RuleSet::LendingV1, 0.5, 1e4, 1e4, 0.8);
        assert_eq!((v1.close_factor, v1.bonus), (0.5, 0.05));
        // Aave: H 0.96 with 10,000 of debt and 20,000 of collateral: half.
        assert_eq!(t(AAVE, 0.96, 1e4, 2e4, 0.8).close_factor, 0.5);
        // H 0.95 exactly, or 0.94: all.
        assert_eq!(t(AAVE, 0.95, 1e4, 2e4, 0.8).close_factor, 1.0);
        assert_eq!(t(AAVE, 0.94, 1e4, 2e4, 0.8).close_factor, 1.0);
        // Debt of 1,999 or a seized holding of 1,999 USD: all.
        assert_eq!(t(AAVE, 0.99, 1999.0, 3000.0, 0.8).close_factor, 1.0);
        assert_eq!(t(AAVE, 0.99, 2000.0, 1999.0, 0.8).close_factor, 1.0);
        // Leftover: debt 3,000 (R = 1,500, S = 1,575) against 2,500 of ETH leaves 925 of
        // ETH < 1,000: all; against 2,600, 1,025 is left: half.
        assert_eq!(t(AAVE, 0.99, 3000.0, 2500.0, 0.8).close_factor, 1.0);
        assert_eq!(t(AAVE, 0.99, 3000.0, 2600.0, 0.8).close_factor, 0.5);
        // Morpho Blue: LLTV 0.86 gives 1 / (1 - 0.3 * 0.14) = 1.04384; LLTV 0.5, 1.15 (cap).
        let m = t(RuleSet::MorphoBlue, 0.9, 1e4, 1e4, 0.86);
        assert_eq!(m.close_factor, 1.0);
        assert!((m.bonus - (1.0 / 0.958 - 1.0)).abs() < 1e-15);
        assert!((t(RuleSet::MorphoBlue, 0.9, 1e4, 1e4, 0.5).bonus - 0.15).abs() < 1e-15);
        // Euler: H 0.9 gives a 10 % discount, a bonus of 0.1 / 0.9; H 0.5, the 20 % cap.
        let euler = RuleSet::EulerV2 { max_discount: 0.2 };
        assert!((t(euler, 0.9, 1e4, 1e4, 0.8).bonus - 0.1 / 0.9).abs() < 1e-15);
        assert!((t(euler, 0.5, 1e4, 1e4, 0.8).bonus - 0.25).abs() < 1e-15);
    }

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
