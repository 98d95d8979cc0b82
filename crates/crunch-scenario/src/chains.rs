//! Validation of `[chains]` (multi-chain collateral), every problem recorded with its line
//! and key.

use crate::raw::{RawChains, RawWindow};
use crate::validate::Validator;
use crunch_core::{Chain, Chains, Frictions, MarginPolicy, MarketSpec, RuleSet};
use toml::Spanned;

/// `target_health` when `[chains]` does not set it.
const TARGET_HEALTH: f64 = 1.25;

impl Validator<'_> {
    /// `[chains]`: distinct chain names; each remote chain with `bridge_delay >= 1`, halt
    /// windows within `1..=steps`, and assets mapped to home-chain assets of the same start
    /// price, each asset on one chain; known, distinct isolated policies;
    /// `target_health >= 1`; not with multi-asset debt or Compound v3 absorption.
    pub(crate) fn chains(
        &mut self,
        raw: &Spanned<RawChains>,
        policies: &[Box<dyn MarginPolicy>],
        frictions: &Frictions,
        market: &MarketSpec,
        steps: Option<usize>,
    ) -> Chains {
        let c = raw.get_ref();
        if frictions.multi_asset_debt {
            self.issue(
                raw.span(),
                "chains",
                "cannot be combined with `protocol.multi_asset_debt` yet (debt lives on the \
                 home chain, in the numeraire)",
            );
        }
        if matches!(frictions.rules, RuleSet::CompoundV3(_)) {
            self.issue(
                raw.span(),
                "chains",
                "cannot be combined with `protocol.rules = \"compound-v3\"` (absorption does \
                 not go through a chain's bridge)",
            );
        }
        let home = c
            .home
            .as_ref()
            .map_or_else(|| "home".to_owned(), |h| h.get_ref().clone());
        let mut chains = vec![Chain {
            name: home,
            bridge_delay: 0,
            halts: Vec::new(),
        }];
        let a = market.len();
        let mut chain = vec![0; a];
        let mut base: Vec<usize> = (0..a).collect();
        for (x, remote) in c.remote.iter().flatten().enumerate() {
            let r = remote.get_ref();
            let key = |f: &str| format!("chains.remote[{x}].{f}");
            let name = r.name.get_ref().clone();
            if chains.iter().any(|ch| ch.name == name) {
                self.issue(
                    r.name.span(),
                    key("name"),
                    format!("chain `{name}` is named twice (the home chain included)"),
                );
            }
            let delay = *r.bridge_delay.get_ref() as usize;
            if delay == 0 {
                self.issue(
                    r.bridge_delay.span(),
                    key("bridge_delay"),
                    "must be >= 1 (steps a transfer takes), got 0",
                );
            }
            let halts = r
                .halts
                .iter()
                .flatten()
                .enumerate()
                .map(|(h, w)| {
                    let RawWindow { start, end } = w.get_ref();
                    self.window(start, end, &key(&format!("halts[{h}]")), 1, steps)
                })
                .collect();
            let index = chains.len();
            for (symbol, of) in r.assets.get_ref() {
                let akey = key(&format!("assets.{symbol}"));
                let span = r.assets.span();
                let (Some(i), Some(b)) = (market.index_of(symbol), market.index_of(of)) else {
                    self.issue(
                        span,
                        akey,
                        format!("`{symbol} = \"{of}\"` names an asset not declared in [[assets]]"),
                    );
                    continue;
                };
                if chain[i] != 0 || i == b {
                    self.issue(span, akey, "an asset is on one chain only");
                    continue;
                }
                if chain[b] != 0 || base[b] != b {
                    self.issue(
                        span,
                        akey,
                        format!("`{of}` is not a home-chain asset (a copy copies a home asset)"),
                    );
                    continue;
                }
                if market.assets[i].price != market.assets[b].price {
                    self.issue(
                        span,
                        akey,
                        format!(
                            "`{symbol}` copies `{of}`'s prices: its start price must be {}, \
                             got {}",
                            market.assets[b].price, market.assets[i].price
                        ),
                    );
                }
                chain[i] = index;
                base[i] = b;
            }
            chains.push(Chain {
                name,
                bridge_delay: delay,
                halts,
            });
        }
        // An asset named as a base after being made a copy.
        for i in 0..a {
            if base[base[i]] != base[i] {
                self.issue(
                    raw.span(),
                    "chains",
                    format!(
                        "`{}` is a copy on another chain and cannot be copied",
                        market.assets[base[i]].symbol
                    ),
                );
            }
        }
        let isolated = c.isolated.as_ref().map_or_else(Vec::new, |list| {
            self.policy_list(list, "chains.isolated", policies)
        });
        let target_health = c.target_health.as_ref().map_or(TARGET_HEALTH, |x| {
            self.num(
                x,
                "chains.target_health",
                |v| v.is_finite() && v >= 1.0,
                "must be >= 1",
            )
        });
        Chains {
            chains,
            chain,
            base,
            isolated,
            target_health,
            sub_accounts: None,
        }
    }
}
