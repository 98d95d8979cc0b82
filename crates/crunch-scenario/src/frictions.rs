//! Validation of the friction tables `[oracle.SYMBOL]`, `[liquidators]` and `[protocol]`.
//! Every problem is recorded with its line and key.

use crate::raw::{
    RawCaps, RawEMode, RawIsolation, RawLiquidators, RawOracle, RawProtocol, RawWindow, SNum,
};
use crate::validate::{Validator, non_negative, positive};
use crunch_core::{
    Caps, Comet, EMode, Frictions, Isolation, LiquidatorSpec, MarketSpec, OracleSpec, RuleSet,
    Spike, Window,
};
use std::collections::BTreeMap;
use toml::Spanned;

impl Validator<'_> {
    /// `[oracle.SYMBOL]`, `[liquidators]` and `[protocol]`; `steps` bounds the windows
    /// when known.
    pub(crate) fn frictions(
        &mut self,
        oracle: Option<&Spanned<BTreeMap<String, RawOracle>>>,
        liquidators: Option<&Spanned<RawLiquidators>>,
        protocol: Option<&Spanned<RawProtocol>>,
        market: &MarketSpec,
        steps: Option<usize>,
    ) -> Frictions {
        let mut oracles = vec![None; market.len()];
        if let Some(table) = oracle {
            for (symbol, raw) in table.get_ref() {
                let key = format!("oracle.{symbol}");
                match market.index_of(symbol) {
                    Some(i) => oracles[i] = Some(self.oracle(raw, &key, steps)),
                    None => self.issue(
                        table.span(),
                        key,
                        "unknown asset (not declared in [[assets]])",
                    ),
                }
            }
        }
        let emode = protocol
            .and_then(|p| p.get_ref().emode.as_ref())
            .map(|e| self.emode(e, market));
        let multi_asset_debt = protocol.is_some_and(|p| p.get_ref().multi_asset_debt == Some(true));
        let isolation = protocol
            .and_then(|p| p.get_ref().isolation.as_ref())
            .map_or_else(Vec::new, |t| self.isolation(t, market));
        let caps = protocol
            .and_then(|p| p.get_ref().caps.as_ref())
            .map_or_else(Vec::new, |t| self.caps(t, market, multi_asset_debt));
        Frictions {
            rules: protocol.map_or(RuleSet::LendingV1, |p| self.rules(p.get_ref())),
            emode,
            oracles,
            liquidators: liquidators.map(|l| self.liquidators(l, steps)),
            multi_asset_debt,
            isolation,
            caps,
            reputation: None,
            chains: None,
        }
    }

    /// The asset index of `symbol` in a per-asset table `key`, or an issue.
    fn asset_key(
        &mut self,
        span: std::ops::Range<usize>,
        key: &str,
        market: &MarketSpec,
    ) -> Option<usize> {
        let symbol = key.rsplit('.').next().unwrap_or(key);
        let i = market.index_of(symbol);
        if i.is_none() {
            self.issue(span, key, "unknown asset (not declared in [[assets]])");
        }
        i
    }

    /// `[protocol.isolation.SYMBOL]`: known assets, `debt_ceiling >= 0` (USD).
    fn isolation(
        &mut self,
        table: &Spanned<BTreeMap<String, RawIsolation>>,
        market: &MarketSpec,
    ) -> Vec<Isolation> {
        let mut out = Vec::new();
        for (symbol, raw) in table.get_ref() {
            let key = format!("protocol.isolation.{symbol}");
            let debt_ceiling = self.num(
                &raw.debt_ceiling,
                &format!("{key}.debt_ceiling"),
                non_negative,
                "must be >= 0 (USD)",
            );
            if let Some(asset) = self.asset_key(table.span(), &key, market) {
                out.push(Isolation {
                    asset,
                    debt_ceiling,
                });
            }
        }
        out
    }

    /// `[protocol.caps.SYMBOL]`: known assets, caps `>= 0` (quantities); a borrow cap needs
    /// multi-asset debt (a numeraire debt is not owed in one asset).
    fn caps(
        &mut self,
        table: &Spanned<BTreeMap<String, RawCaps>>,
        market: &MarketSpec,
        multi_asset_debt: bool,
    ) -> Vec<Caps> {
        let mut out = Vec::new();
        for (symbol, raw) in table.get_ref() {
            let key = format!("protocol.caps.{symbol}");
            let mut cap = |x: &Option<SNum>, name: &str| {
                x.as_ref().map(|x| {
                    self.num(
                        x,
                        &format!("{key}.{name}"),
                        non_negative,
                        "must be >= 0 (a quantity of the asset)",
                    )
                })
            };
            let supply = cap(&raw.supply, "supply");
            let borrow = cap(&raw.borrow, "borrow");
            if let (Some(b), false) = (&raw.borrow, multi_asset_debt) {
                self.issue(
                    b.span(),
                    format!("{key}.borrow"),
                    "a borrow cap needs debts owed per asset: set `[protocol] multi_asset_debt = true`",
                );
            }
            if let Some(asset) = self.asset_key(table.span(), &key, market) {
                out.push(Caps {
                    asset,
                    supply,
                    borrow,
                });
            }
        }
        out
    }

    /// `[protocol]`: the rule-set and its parameters; a parameter of another rule-set is
    /// refused.
    fn rules(&mut self, raw: &RawProtocol) -> RuleSet {
        let name = raw
            .rules
            .as_ref()
            .map_or("lending-v1", |r| r.get_ref().as_str());
        let params: [(&str, &Option<SNum>); 8] = [
            ("full_close_health", &raw.full_close_health),
            ("full_close_below", &raw.full_close_below),
            ("min_leftover", &raw.min_leftover),
            ("max_discount", &raw.max_discount),
            ("liquidation_factor", &raw.liquidation_factor),
            ("store_front_factor", &raw.store_front_factor),
            ("target_reserves", &raw.target_reserves),
            ("reserves", &raw.reserves),
        ];
        let own: &[&str] = match name {
            "aave-v3.3" => &["full_close_health", "full_close_below", "min_leftover"],
            "euler-v2" => &["max_discount"],
            "compound-v3" => &[
                "liquidation_factor",
                "store_front_factor",
                "target_reserves",
                "reserves",
            ],
            "lending-v1" | "morpho-blue" => &[],
            other => {
                self.issue(
                    raw.rules.as_ref().map_or(0..0, |r| r.span()),
                    "protocol.rules",
                    format!(
                        "unknown rule-set `{other}` (known: lending-v1, aave-v3.3, \
                         morpho-blue, euler-v2, compound-v3)"
                    ),
                );
                return RuleSet::LendingV1;
            }
        };
        for (key, value) in params {
            if let Some(v) = value
                && !own.contains(&key)
            {
                self.issue(
                    v.span(),
                    format!("protocol.{key}"),
                    format!("not a parameter of rule-set `{name}`"),
                );
            }
        }
        let mut num = |x: &Option<SNum>, key: &str, default: f64, ok: fn(f64) -> bool, rule| {
            x.as_ref().map_or(default, |x| {
                self.num(x, &format!("protocol.{key}"), ok, rule)
            })
        };
        match name {
            "aave-v3.3" => RuleSet::AaveV33 {
                full_close_health: num(
                    &raw.full_close_health,
                    "full_close_health",
                    0.95,
                    |v| v > 0.0 && v <= 1.0,
                    "must be in (0, 1]",
                ),
                full_close_below: num(
                    &raw.full_close_below,
                    "full_close_below",
                    2000.0,
                    non_negative,
                    "must be >= 0 (USD)",
                ),
                min_leftover: num(
                    &raw.min_leftover,
                    "min_leftover",
                    1000.0,
                    non_negative,
                    "must be >= 0 (USD)",
                ),
            },
            "morpho-blue" => RuleSet::MorphoBlue,
            "euler-v2" => RuleSet::EulerV2 {
                max_discount: num(
                    &raw.max_discount,
                    "max_discount",
                    0.2,
                    |v| v > 0.0 && v < 1.0,
                    "must be in (0, 1)",
                ),
            },
            // Defaults: Compound III's WETH market on Ethereum (liquidationFactor 0.93,
            // storeFrontPriceFactor 0.5); reserves start at their target of 0.
            "compound-v3" => RuleSet::CompoundV3(Comet {
                liquidation_factor: num(
                    &raw.liquidation_factor,
                    "liquidation_factor",
                    0.93,
                    |v| v > 0.0 && v <= 1.0,
                    "must be in (0, 1]",
                ),
                store_front_factor: num(
                    &raw.store_front_factor,
                    "store_front_factor",
                    0.5,
                    |v| (0.0..=1.0).contains(&v),
                    "must be in [0, 1]",
                ),
                target_reserves: num(
                    &raw.target_reserves,
                    "target_reserves",
                    0.0,
                    non_negative,
                    "must be >= 0 (USD)",
                ),
                reserves: num(
                    &raw.reserves,
                    "reserves",
                    0.0,
                    non_negative,
                    "must be >= 0 (USD)",
                ),
            }),
            _ => RuleSet::LendingV1,
        }
    }

    /// `[protocol.emode]`: known assets, `0 <= ltv <= lt < 1`, `bonus >= 0`.
    fn emode(&mut self, raw: &Spanned<RawEMode>, market: &MarketSpec) -> EMode {
        let e = raw.get_ref();
        let mut assets = Vec::new();
        for symbol in e.assets.get_ref() {
            match market.index_of(symbol) {
                Some(i) => assets.push(i),
                None => self.issue(
                    e.assets.span(),
                    "protocol.emode.assets",
                    format!("unknown asset `{symbol}` (not declared in [[assets]])"),
                ),
            }
        }
        if assets.is_empty() {
            self.issue(
                e.assets.span(),
                "protocol.emode.assets",
                "must name at least one asset",
            );
        }
        let unit = |v: f64| (0.0..1.0).contains(&v);
        let ltv = self.num(&e.ltv, "protocol.emode.ltv", unit, "must be in [0, 1)");
        let lt = self.num(&e.lt, "protocol.emode.lt", unit, "must be in [0, 1)");
        if ltv > lt {
            self.issue(
                e.ltv.span(),
                "protocol.emode.ltv",
                format!("must be <= lt ({lt}), got {ltv}"),
            );
        }
        let bonus = self.num(
            &e.bonus,
            "protocol.emode.bonus",
            non_negative,
            "must be >= 0",
        );
        EMode {
            assets,
            ltv,
            lt,
            bonus,
        }
    }

    fn oracle(&mut self, raw: &RawOracle, key: &str, steps: Option<usize>) -> OracleSpec {
        let k = |f: &str| format!("{key}.{f}");
        let lag = raw.lag.as_ref().map_or(0, |l| {
            let lag = *l.get_ref() as usize;
            if let Some(t) = steps.filter(|&t| lag > t) {
                self.issue(
                    l.span(),
                    k("lag"),
                    format!("must be <= steps ({t}), got {lag}"),
                );
            }
            lag
        });
        let heartbeat = raw.heartbeat.as_ref().map(|h| {
            if *h.get_ref() == 0 {
                self.issue(h.span(), k("heartbeat"), "must be >= 1 step, got 0");
            }
            *h.get_ref() as usize
        });
        let deviation = raw.deviation.as_ref().map(|d| {
            self.num(
                d,
                &k("deviation"),
                |v| v > 0.0 && v < 1.0,
                "must be in (0, 1) (a fraction of the last published price)",
            )
        });
        let floor = raw
            .floor
            .as_ref()
            .map(|x| self.num(x, &k("floor"), positive, "must be > 0"));
        let ceiling = raw
            .ceiling
            .as_ref()
            .map(|x| self.num(x, &k("ceiling"), positive, "must be > 0"));
        if let (Some(f), Some(c), Some(x)) = (floor, ceiling, raw.ceiling.as_ref())
            && f >= c
        {
            self.issue(
                x.span(),
                k("ceiling"),
                format!("must be above floor ({f}), got {c}"),
            );
        }
        let spikes = raw
            .spikes
            .iter()
            .flatten()
            .enumerate()
            .map(|(n, sp)| {
                let key = format!("{key}.spikes[{n}]");
                let s = sp.get_ref();
                let window = self.window(&s.start, &s.end, &key, 0, steps);
                let factor = self.num(
                    &s.factor,
                    &format!("{key}.factor"),
                    positive,
                    "must be > 0 (a multiplier of the market price)",
                );
                Spike { window, factor }
            })
            .collect();
        OracleSpec {
            lag,
            heartbeat,
            deviation,
            floor,
            ceiling,
            spikes,
        }
    }

    fn liquidators(
        &mut self,
        raw: &Spanned<RawLiquidators>,
        steps: Option<usize>,
    ) -> LiquidatorSpec {
        let l = raw.get_ref();
        let capacity = l.capacity.as_ref().map(|x| {
            self.num(
                x,
                "liquidators.capacity",
                positive,
                "must be > 0 (USD of seized collateral per step)",
            )
        });
        let gas = l.gas.as_ref().map_or(0.0, |x| {
            self.num(
                x,
                "liquidators.gas",
                non_negative,
                "must be >= 0 (USD per liquidation)",
            )
        });
        let outages: Vec<Window> = l
            .outages
            .iter()
            .flatten()
            .enumerate()
            .map(|(n, w)| {
                let RawWindow { start, end } = w.get_ref();
                self.window(start, end, &format!("liquidators.outages[{n}]"), 1, steps)
            })
            .collect();
        let recovery_half_life = l.recovery_half_life.as_ref().map(|x| {
            let h = self.num(
                x,
                "liquidators.recovery_half_life",
                positive,
                "must be > 0 (steps)",
            );
            if capacity.is_none() || outages.is_empty() {
                self.issue(
                    x.span(),
                    "liquidators.recovery_half_life",
                    "needs `capacity` and at least one entry of `outages`: it is how capacity \
                     returns after an outage",
                );
            }
            h
        });
        LiquidatorSpec {
            capacity,
            gas,
            outages,
            recovery_half_life,
        }
    }

    /// A window `start..=end` of steps, `start >= first`, `end <= steps` when known.
    pub(crate) fn window(
        &mut self,
        start: &Spanned<u64>,
        end: &Spanned<u64>,
        key: &str,
        first: usize,
        steps: Option<usize>,
    ) -> Window {
        let (s, e) = (*start.get_ref() as usize, *end.get_ref() as usize);
        if s < first {
            self.issue(
                start.span(),
                format!("{key}.start"),
                format!("must be >= {first}, got {s}"),
            );
        }
        if e < s {
            self.issue(
                end.span(),
                format!("{key}.end"),
                format!("must be >= start ({s}), got {e}"),
            );
        } else if let Some(t) = steps.filter(|&t| e > t) {
            self.issue(
                end.span(),
                format!("{key}.end"),
                format!("must be <= steps ({t}), got {e}"),
            );
        }
        Window { start: s, end: e }
    }
}
