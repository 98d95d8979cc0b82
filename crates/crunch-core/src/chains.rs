//! Multi-chain collateral (`[chains]`, `scenarios/README.md`, "Multi-chain margin"): each
//! asset lives on one chain; an asset on a remote chain is a copy of a home-chain asset
//! (its price path is the base asset's, exactly). The debt lives on the home chain.
//!
//! A policy runs in one of two modes. **Unified**: one health over every chain's
//! collateral; seizing collateral on a remote chain needs the bridge to carry the
//! settlement home, so while that chain's bridge is halted its collateral cannot be
//! seized. **Isolated**: each account is split into per-chain sub-accounts
//! ([`Chains::split`]), each liquidated on its own chain; sibling sub-accounts rebalance
//! collateral through the bridges with a delay.

use crate::{Book, Window};

/// One chain: its bridge to the home chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// The chain's name.
    pub name: String,
    /// Steps a transfer over this chain's bridge takes (0 for the home chain).
    pub bridge_delay: usize,
    /// Windows during which this chain's bridge carries nothing.
    pub halts: Vec<Window>,
}

impl Chain {
    /// Whether the chain's bridge is halted at step `t`.
    pub fn halted(&self, t: usize) -> bool {
        self.halts.iter().any(|w| w.contains(t))
    }
}

/// A scenario's chains, which chain each asset is on, and which policies run isolated.
#[derive(Debug, Clone, PartialEq)]
pub struct Chains {
    /// The chains; index 0 is the home chain (no delay, never halted).
    pub chains: Vec<Chain>,
    /// `chain[i]`: the chain of asset `i`.
    pub chain: Vec<usize>,
    /// `base[i]`: the home-chain asset whose price path asset `i` copies (`i` itself for
    /// a home-chain asset).
    pub base: Vec<usize>,
    /// Indices (scenario order) of the policies run as per-chain isolated accounts; the
    /// others run unified.
    pub isolated: Vec<usize>,
    /// Isolated mode: a sub-account whose health falls below this (`>= 1`) is topped up
    /// from a sibling.
    pub target_health: f64,
    /// Set on the copy [`Chains::split`] returns: the sub-accounts of the split book.
    pub sub_accounts: Option<SubAccounts>,
}

/// The per-chain sub-accounts of a split book, in book order: the sub-accounts of one
/// account are consecutive, in chain order.
#[derive(Debug, Clone, PartialEq)]
pub struct SubAccounts {
    /// `group[j]`: the index (original book order) of sub-account `j`'s account.
    pub group: Vec<u32>,
    /// `chain[j]`: the chain of sub-account `j`.
    pub chain: Vec<u32>,
}

impl Chains {
    /// Whether policy `policy` (scenario order) runs isolated.
    pub fn isolates(&self, policy: usize) -> bool {
        self.isolated.contains(&policy)
    }

    /// Whether nothing can be seized at step `t` from asset `k` of a unified account: its
    /// chain's bridge is halted. Always false on a split book (sub-accounts are liquidated
    /// on their own chain).
    pub fn seizure_halted(&self, k: usize, t: usize) -> bool {
        self.sub_accounts.is_none() && self.chains[self.chain[k]].halted(t)
    }

    /// Whether a transfer between chains `a` and `b` can leave at step `t`: neither
    /// bridge is halted (a transfer between two remote chains goes through the home
    /// chain).
    pub fn route_open(&self, a: usize, b: usize, t: usize) -> bool {
        !self.chains[a].halted(t) && !self.chains[b].halted(t)
    }

    /// Steps a transfer between chains `a` and `b` takes: the sum of their bridge delays
    /// (`a == b` never transfers).
    pub fn delay(&self, a: usize, b: usize) -> usize {
        self.chains[a].bridge_delay + self.chains[b].bridge_delay
    }

    /// The asset on chain `c` that copies the same home asset as asset `i`, if any.
    pub fn copy_on(&self, i: usize, c: usize) -> Option<usize> {
        let b = self.base[i];
        (0..self.chain.len()).find(|&k| self.base[k] == b && self.chain[k] == c)
    }

    /// Overwrites every remote asset's prices with its base asset's (an exact copy).
    pub fn mirror(&self, path: &mut crate::PricePath) {
        for t in 0..=path.steps() {
            let row = path.row_mut(t);
            for (i, &b) in self.base.iter().enumerate() {
                if b != i {
                    row[i] = row[b];
                }
            }
        }
    }

    /// The book split into per-chain sub-accounts, and these chains marked with them.
    ///
    /// Account `j` with collateral on chains `c_1 < ... < c_m` (`m >= 1`) becomes `m`
    /// sub-accounts `id@chain`, sub-account `c` holding `j`'s collateral on chain `c`
    /// and the debt `D_j V_c / V_j`, where `V_c = sum_{i on c} c[j][i] price_i` at the
    /// assets' start prices `prices` and `V_j` its sum over chains; the last sub-account
    /// takes `max(0, D_j - sum of the others)`, so that one chain keeps `D_j` exactly. An
    /// account without collateral stays one sub-account on the home chain. Scores are
    /// copied to every sub-account. A multi-asset-debt book is not split (the scenario
    /// refuses `[chains]` with it).
    pub fn split(&self, book: &Book, prices: &[f64]) -> (Book, Chains) {
        let a = book.assets();
        let mut out = Book::new(a);
        let mut group = Vec::new();
        let mut chain = Vec::new();
        let mut row = vec![0.0; a];
        for j in 0..book.len() {
            let value = |c: usize| -> f64 {
                (0..a)
                    .filter(|&i| self.chain[i] == c)
                    .map(|i| book.collateral[i][j] * prices[i])
                    .sum()
            };
            let on: Vec<usize> = (0..self.chains.len())
                .filter(|&c| (0..a).any(|i| self.chain[i] == c && book.collateral[i][j] > 0.0))
                .collect();
            let on = if on.is_empty() { vec![0] } else { on };
            let total: f64 = on.iter().map(|&c| value(c)).sum();
            let mut assigned = 0.0;
            for (x, &c) in on.iter().enumerate() {
                for (i, q) in row.iter_mut().enumerate() {
                    *q = if self.chain[i] == c {
                        book.collateral[i][j]
                    } else {
                        0.0
                    };
                }
                let debt = if x + 1 == on.len() {
                    (book.debt[j] - assigned).max(0.0)
                } else {
                    book.debt[j] * value(c) / total
                };
                assigned += debt;
                out.push(
                    format!("{}@{}", book.ids[j], self.chains[c].name),
                    &row,
                    debt,
                );
                if !book.scores.is_empty() {
                    out.scores.push(book.scores[j]);
                }
                group.push(j as u32);
                chain.push(c as u32);
            }
        }
        let marked = Chains {
            sub_accounts: Some(SubAccounts { group, chain }),
            ..self.clone()
        };
        (out, marked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Home: ETH (0), USDC (1); arbitrum: ETH_ARB (2) copying ETH, halted 5..=7.
    fn two() -> Chains {
        Chains {
            chains: vec![
                Chain {
                    name: "home".into(),
                    bridge_delay: 0,
                    halts: vec![],
                },
                Chain {
                    name: "arb".into(),
                    bridge_delay: 3,
                    halts: vec![Window { start: 5, end: 7 }],
                },
            ],
            chain: vec![0, 0, 1],
            base: vec![0, 1, 0],
            isolated: vec![1],
            target_health: 1.2,
            sub_accounts: None,
        }
    }

    #[test]
    fn split_by_hand() {
        let c = two();
        let mut book = Book::new(3);
        // a: 1 ETH home (2000) + 3 ETH on arb (6000), debt 4000: shares 1/4 and 3/4.
        book.push("a".into(), &[1.0, 0.0, 3.0], 4000.0);
        // b: only arb collateral; c: no collateral at all.
        book.push("b".into(), &[0.0, 0.0, 2.0], 1000.0);
        book.push("c".into(), &[0.0, 0.0, 0.0], 10.0);
        let (s, marked) = c.split(&book, &[2000.0, 1.0, 2000.0]);
        assert_eq!(s.ids, ["a@home", "a@arb", "b@arb", "c@home"]);
        assert_eq!(s.debt, [1000.0, 3000.0, 1000.0, 10.0]);
        assert_eq!(s.collateral[0], [1.0, 0.0, 0.0, 0.0]);
        assert_eq!(s.collateral[2], [0.0, 3.0, 2.0, 0.0]);
        let sub = marked.sub_accounts.as_ref().expect("marked");
        assert_eq!(sub.group, [0, 0, 1, 2]);
        assert_eq!(sub.chain, [0, 1, 1, 0]);
        assert!(marked.isolates(1) && !marked.isolates(0));
    }

    #[test]
    fn routes_and_copies_by_hand() {
        let c = two();
        assert_eq!(c.delay(0, 1), 3);
        assert!(c.route_open(0, 1, 4) && !c.route_open(1, 0, 5) && c.route_open(0, 1, 8));
        assert_eq!(c.copy_on(0, 1), Some(2));
        assert_eq!(c.copy_on(2, 0), Some(0));
        assert_eq!(c.copy_on(1, 1), None);
        // Unified: ETH_ARB cannot be seized during the halt; home assets always can.
        assert!(c.seizure_halted(2, 6) && !c.seizure_halted(2, 8) && !c.seizure_halted(0, 6));
        let mut path = crate::PricePath::new(1, 3);
        path.row_mut(0).copy_from_slice(&[2000.0, 1.0, 7.0]);
        path.row_mut(1).copy_from_slice(&[1900.0, 1.0, 7.0]);
        c.mirror(&mut path);
        assert_eq!(path.row(1), [1900.0, 1.0, 1900.0]);
        assert_eq!(path.row(0), [2000.0, 1.0, 2000.0]);
    }
}
