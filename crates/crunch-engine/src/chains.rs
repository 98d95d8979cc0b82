//! Bridge-delayed rebalancing between the per-chain sub-accounts of an isolated policy
//! ([`crunch_core::chains`]; `scenarios/README.md`, "Multi-chain margin"). The step loop
//! calls [`Bridge::step`] at every step `t >= 1` once the protocol's prices `o` and the
//! policy's `lt` of the step are known, before the health pass, and [`Bridge::settle`]
//! before the terminal valuation.
//!
//! At step `t`, first every transfer due at `t` is credited to its receiver. Then, group
//! by group (an account's sub-accounts) and within a group in sub-account order, a
//! receiver `r` with debt `D_r > 0` is topped up when
//! `need = target D_r - N_r - P_r > 0`, where `N_r = sum_i c[r][i] o_i lt_i` and `P_r` the
//! credit of its transfers in flight. The sender is the sibling `s` with the largest
//! excess `E_s = N_s - target D_s > 0` whose route to `r` is open at `t` (ties: the first);
//! it sends its largest holding `c[s][k] o_k` (ties: lowest `k`) among the assets with
//! `lt_k > 0` that have a copy `d` on `r`'s chain with `lt_d > 0`, the quantity
//! `q = min(c[s][k], need / (o_k lt_d), E_s / (o_k lt_k))`. It leaves `s` at once and is
//! credited to `r` as `q` of asset `d` at step `t + delay` (credit `q o_k lt_d`).

use crunch_core::{Chains, SubAccounts};

/// One transfer in flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Transfer {
    /// Step at whose start it is credited.
    due: usize,
    /// Receiving sub-account.
    account: u32,
    /// Asset credited (on the receiver's chain).
    asset: u32,
    /// Quantity credited.
    quantity: f64,
    /// `q o_k lt_d` at sending: what it adds to the receiver's health numerator.
    credit: f64,
}

/// One path's bridge state under an isolated policy.
pub(crate) struct Bridge<'s> {
    chains: &'s Chains,
    sub: &'s SubAccounts,
    /// Transfers in flight, in sending order.
    transfers: &'s mut Vec<Transfer>,
    /// Health numerators of the current group (buffer).
    num: Vec<f64>,
}

impl<'s> Bridge<'s> {
    /// The bridge of a run on a split book (`chains.sub_accounts` set), else `None`.
    pub(crate) fn start(
        chains: Option<&'s Chains>,
        transfers: &'s mut Vec<Transfer>,
    ) -> Option<Self> {
        let chains = chains?;
        let sub = chains.sub_accounts.as_ref()?;
        transfers.clear();
        Some(Self {
            chains,
            sub,
            transfers,
            num: Vec::new(),
        })
    }

    /// Step `t >= 1`: arrivals, then sends, at the protocol's prices `o` and the policy's
    /// `lt`. `coll` is asset-major with `n` accounts.
    pub(crate) fn step(&mut self, t: usize, debt: &[f64], coll: &mut [f64], o: &[f64], lt: &[f64]) {
        let n = debt.len();
        self.transfers.retain(|x| {
            if x.due == t {
                coll[x.asset as usize * n + x.account as usize] += x.quantity;
            }
            x.due != t
        });
        let target = self.chains.target_health;
        let mut start = 0;
        while start < n {
            let g = self.sub.group[start];
            let end = (start..n).find(|&j| self.sub.group[j] != g).unwrap_or(n);
            if end - start > 1 {
                self.num.clear();
                self.num.extend((start..end).map(|j| {
                    (0..o.len())
                        .filter(|&i| lt[i] > 0.0)
                        .map(|i| coll[i * n + j] * o[i] * lt[i])
                        .sum::<f64>()
                }));
                for r in start..end {
                    self.top_up(t, r, start..end, debt, coll, o, lt, target);
                }
            }
            start = end;
        }
    }

    /// Tops up sub-account `r` of group `group` if it needs it (module doc).
    #[allow(clippy::too_many_arguments)]
    fn top_up(
        &mut self,
        t: usize,
        r: usize,
        group: std::ops::Range<usize>,
        debt: &[f64],
        coll: &mut [f64],
        o: &[f64],
        lt: &[f64],
        target: f64,
    ) {
        let n = debt.len();
        let first = group.start;
        if debt[r] <= 0.0 {
            return;
        }
        // `need <= gap` (credits are >= 0): the transfers are summed only when it can be > 0.
        let gap = target * debt[r] - self.num[r - first];
        if gap <= 0.0 {
            return;
        }
        let pending: f64 = self
            .transfers
            .iter()
            .filter(|x| x.account as usize == r)
            .map(|x| x.credit)
            .sum();
        let need = gap - pending;
        if need <= 0.0 {
            return;
        }
        let to = self.sub.chain[r] as usize;
        let mut best: Option<(usize, f64)> = None;
        for s in group.filter(|&s| s != r) {
            let from = self.sub.chain[s] as usize;
            let excess = self.num[s - first] - target * debt[s];
            if excess > 0.0
                && self.chains.route_open(from, to, t)
                && best.is_none_or(|(_, e)| excess > e)
            {
                best = Some((s, excess));
            }
        }
        let Some((s, excess)) = best else {
            return;
        };
        let mut pick: Option<(usize, usize, f64)> = None;
        for (k, &ok) in o.iter().enumerate() {
            let held = coll[k * n + s] * ok;
            let Some(d) = self.chains.copy_on(k, to) else {
                continue;
            };
            if held > 0.0 && lt[k] > 0.0 && lt[d] > 0.0 && pick.is_none_or(|(_, _, h)| held > h) {
                pick = Some((k, d, held));
            }
        }
        let Some((k, d, _)) = pick else {
            return;
        };
        let c = &mut coll[k * n + s];
        let q = c.min(need / (o[k] * lt[d])).min(excess / (o[k] * lt[k]));
        *c = if q == *c { 0.0 } else { *c - q };
        self.num[s - first] -= q * o[k] * lt[k];
        self.transfers.push(Transfer {
            due: t + self.chains.delay(self.sub.chain[s] as usize, to),
            account: r as u32,
            asset: d as u32,
            quantity: q,
            credit: q * o[k] * lt[d],
        });
    }

    /// Credits every transfer still in flight to its receiver (before the terminal
    /// valuation at `T`).
    pub(crate) fn settle(&mut self, coll: &mut [f64]) {
        let n = self.sub.group.len();
        for x in self.transfers.drain(..) {
            coll[x.asset as usize * n + x.account as usize] += x.quantity;
        }
    }
}
