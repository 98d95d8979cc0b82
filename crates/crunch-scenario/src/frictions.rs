//! Validation of the friction tables `[oracle.SYMBOL]` and `[liquidators]`. Every problem
//! is recorded with its line and key.

use crate::raw::{RawLiquidators, RawOracle, RawWindow};
use crate::validate::Validator;
use crunch_core::{Frictions, LiquidatorSpec, MarketSpec, OracleSpec, Spike, Window};
use std::collections::BTreeMap;
use toml::Spanned;

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

fn non_negative(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

impl Validator<'_> {
    /// `[oracle.SYMBOL]` and `[liquidators]`; `steps` bounds the windows when known.
    pub(crate) fn frictions(
        &mut self,
        oracle: Option<&Spanned<BTreeMap<String, RawOracle>>>,
        liquidators: Option<&Spanned<RawLiquidators>>,
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
        Frictions {
            oracles,
            liquidators: liquidators.map(|l| self.liquidators(l, steps)),
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
    fn window(
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
