//! The accounts worth a health check at a step, found without checking every account.
//!
//! [`crate::ScanMode::Pruned`] computes `H_j(t)` only for accounts that could be
//! liquidatable (`H < 1`) or lower the running minimum health. Accounts with debt are
//! grouped by their *support*, the assets `i` they hold with `lt_i != 0`. A group keeps, for
//! each member, a key `K_j = H_j(P)` computed at the group's reference prices `P` and
//! thresholds `LT`. The numerator of `H` is a sum of non-negative terms `c_i p_i lt_i` over
//! the support, so `H_j(t) >= m(t) K_j` with
//! `m(t) = min_i (p_i(t) / P_i) (lt_i(t) / LT_i)` over the support; the few roundings on
//! either side are covered by [`MARGIN`]. A policy that moves its thresholds (a dynamic
//! one) therefore needs no re-indexing, unless a threshold becomes zero or stops being
//! zero, which changes the supports. Accounts with `K_j >= tau / (m(t) (1 - MARGIN))`
//! therefore have `H_j(t) >= tau` and are skipped.
//!
//! A group's entries are sorted by key, so the accounts that pass are a prefix, found by a
//! binary search. Each entry carries a copy of the account's debt and collateral, so the
//! exact health of a candidate is computed from contiguous memory with the same operations,
//! in the same order, as the full pass ([`crate::lending`]): the results are bit-identical.
//!
//! An account changed by a liquidation gets a fresh entry in its group's unsorted `dirty`
//! list (always scanned) and its old entry is marked stale. A group is re-sorted at the current prices when the entries it scanned in vain
//! (stale, dirty or loosely bounded) since its last sort outnumber its live members
//! [`REBUILD_FACTOR`] times: a multi-asset group's bound loosens as its assets' prices
//! drift apart, and re-basing `P` tightens it again.

/// Relative safety margin of the bound `H(t) >= m(t) K`: each of `K`, `m` and the computed
/// `H(t)` carries at most `(assets + 3)` roundings of relative size `2^-53`, far below this
/// for any realistic number of assets.
const MARGIN: f64 = 1e-12;

/// Key terms or debts below this are not trusted to keep relative accuracy (subnormal
/// range); such accounts get key 0 and are checked at every step.
const TINY: f64 = 1e-250;

/// Re-sort a group when its wasted checks since the last sort exceed this many times its
/// live members (a re-sort costs about as much as a few wasted checks per member). When
/// most of the waste was exact checks of accounts the bound let through but that were
/// healthy (a loose bound), the keys are re-based to the current prices and thresholds;
/// otherwise (stale and dirty entries) the dirty entries are merged into the sorted ones,
/// keys unchanged.
const REBUILD_FACTOR: usize = 4;

/// No group (the account has no debt).
const NONE: u32 = u32::MAX;

/// The account of a stale entry (one superseded by a newer entry of the same account).
const STALE: u32 = u32::MAX;

/// Entries in structure-of-arrays form: key, account, debt and the collateral of every
/// asset (`assets` values per entry).
#[derive(Debug, Clone, Default)]
struct Entries {
    key: Vec<f64>,
    account: Vec<u32>,
    debt: Vec<f64>,
    coll: Vec<f64>,
}

impl Entries {
    fn clear(&mut self) {
        self.key.clear();
        self.account.clear();
        self.debt.clear();
        self.coll.clear();
    }

    fn len(&self) -> usize {
        self.key.len()
    }

    fn push(&mut self, key: f64, account: u32, debt: f64, coll: &[f64]) {
        self.key.push(key);
        self.account.push(account);
        self.debt.push(debt);
        self.coll.extend_from_slice(coll);
    }
}

/// Accounts with one support.
#[derive(Debug, Clone)]
struct Group {
    /// Assets held with `lt != 0`.
    support: Vec<usize>,
    /// Prices the keys were computed at (every asset).
    reference: Vec<f64>,
    /// Thresholds the keys were computed with (every asset).
    reference_lt: Vec<f64>,
    /// Entries sorted by key.
    main: Entries,
    /// Entries added since the last sort, unsorted.
    dirty: Entries,
    /// Live members (entries not stale).
    live: usize,
    /// Entries scanned since the last sort that were not needed.
    waste: usize,
    /// Of those, the ones whose health was computed (the bound let them through).
    loose: usize,
}

/// Where an account's live entry is.
#[derive(Debug, Clone, Copy)]
struct Loc {
    group: u32,
    dirty: bool,
    slot: u32,
}

const NOWHERE: Loc = Loc {
    group: NONE,
    dirty: false,
    slot: 0,
};

/// The candidate index of one path's simulation (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct Screen {
    assets: usize,
    /// The liquidation thresholds at the last full re-index; only which of them are zero
    /// (the supports) matters.
    lt: Vec<f64>,
    groups: Vec<Group>,
    loc: Vec<Loc>,
    /// Buffers of a re-sort.
    spare: Entries,
    by_key: Vec<u32>,
    support: Vec<usize>,
    holding: Vec<f64>,
}

impl Screen {
    /// An empty index for `n` accounts over `assets` assets.
    pub(crate) fn new(n: usize, assets: usize) -> Self {
        Self {
            assets,
            lt: Vec::new(),
            groups: Vec::new(),
            loc: vec![NOWHERE; n],
            spare: Entries::default(),
            by_key: Vec::new(),
            support: Vec::with_capacity(assets),
            holding: vec![0.0; assets],
        }
    }

    /// Indexes every account with debt at prices `p` and thresholds `lt`. `coll` is
    /// asset-major (`coll[i * n + j]`).
    pub(crate) fn rebuild(&mut self, debt: &[f64], coll: &[f64], p: &[f64], lt: &[f64]) {
        let n = debt.len();
        self.lt.clear();
        self.lt.extend_from_slice(lt);
        for g in &mut self.groups {
            g.main.clear();
            g.dirty.clear();
            g.live = 0;
            g.waste = 0;
            g.loose = 0;
        }
        self.loc.fill(NOWHERE);
        for j in 0..n {
            self.update(j, debt, coll, p, lt);
        }
        for g in 0..self.groups.len() {
            self.sort(g, Some((p, lt)));
        }
    }

    /// Refreshes account `j`'s entry after its debt or collateral changed (at prices `p`
    /// and thresholds `lt`, which have the zeros of the last re-index).
    pub(crate) fn update(&mut self, j: usize, debt: &[f64], coll: &[f64], p: &[f64], lt: &[f64]) {
        let n = debt.len();
        // Mark the old entry stale.
        let old = self.loc[j];
        if old.group != NONE {
            let g = &mut self.groups[old.group as usize];
            let part = if old.dirty { &mut g.dirty } else { &mut g.main };
            part.account[old.slot as usize] = STALE;
            g.live -= 1;
            self.loc[j] = NOWHERE;
        }
        let d = debt[j];
        if d <= 0.0 {
            return;
        }
        for (i, h) in self.holding.iter_mut().enumerate() {
            *h = coll[i * n + j];
        }
        self.support.clear();
        let holding = &self.holding;
        self.support
            .extend((0..self.assets).filter(|&i| lt[i] != 0.0 && holding[i] > 0.0));
        let g = match self.groups.iter().position(|g| g.support == self.support) {
            Some(g) => g,
            None => {
                self.groups.push(Group {
                    support: self.support.clone(),
                    reference: p.to_vec(),
                    reference_lt: lt.to_vec(),
                    main: Entries::default(),
                    dirty: Entries::default(),
                    live: 0,
                    waste: 0,
                    loose: 0,
                });
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[g];
        let key = key(
            &self.holding,
            d,
            &group.reference,
            &group.reference_lt,
            &group.support,
        );
        self.loc[j] = Loc {
            group: g as u32,
            dirty: true,
            slot: group.dirty.len() as u32,
        };
        group.dirty.push(key, j as u32, d, &self.holding);
        group.live += 1;
    }

    /// Re-sorts group `g`'s live entries by key: with `rebase = Some((p, lt))` the keys are
    /// recomputed at those prices and thresholds, which become the group's reference;
    /// otherwise they are kept.
    fn sort(&mut self, g: usize, rebase: Option<(&[f64], &[f64])>) {
        let a = self.assets;
        let group = &mut self.groups[g];
        let spare = &mut self.spare;
        spare.clear();
        if let Some((p, lt)) = rebase {
            group.reference.copy_from_slice(p);
            group.reference_lt.copy_from_slice(lt);
        }
        let mut from_main = 0;
        for part in [&group.main, &group.dirty] {
            from_main = spare.len();
            for e in 0..part.len() {
                if part.account[e] == STALE {
                    continue;
                }
                let c = &part.coll[e * a..(e + 1) * a];
                let k = match rebase {
                    Some((p, lt)) => key(c, part.debt[e], p, lt, &group.support),
                    None => part.key[e],
                };
                spare.push(k, part.account[e], part.debt[e], c);
            }
        }
        let by_key = &mut self.by_key;
        by_key.clear();
        by_key.extend(0..spare.len() as u32);
        let by = |x: &u32, y: &u32| spare.key[*x as usize].total_cmp(&spare.key[*y as usize]);
        if rebase.is_some() {
            by_key.sort_unstable_by(by);
        } else {
            // The entries from `main` are already in key order: sort the dirty ones, then
            // merge the two runs (the stable sort finds them and merges in linear time).
            by_key[from_main..].sort_unstable_by(by);
            by_key.sort_by(by);
        }
        let len = spare.len();
        let main = &mut group.main;
        main.clear();
        for (s, &e) in by_key.iter().enumerate() {
            let e = e as usize;
            main.push(
                spare.key[e],
                spare.account[e],
                spare.debt[e],
                &spare.coll[e * a..(e + 1) * a],
            );
            self.loc[spare.account[e] as usize] = Loc {
                group: g as u32,
                dirty: false,
                slot: s as u32,
            };
        }
        group.dirty.clear();
        group.live = len;
        group.waste = 0;
        group.loose = 0;
    }

    /// Computes `H_j = num / D` at prices `p` for every account that may have `H < tau`
    /// (and some others), with the full pass's operations. Each account with `H < 1` is
    /// passed to `visit(j, H, D_j, c_j)` (`c_j`: its collateral, one value per asset), in no
    /// particular order; returns the minimum `H` computed (`+inf` if none), which is the
    /// step's minimum over all indebted accounts whenever that is below `tau`.
    ///
    /// `debt` and `coll` (asset-major) are the current state, used to re-index every
    /// account when a threshold of `lt` became zero or stopped being zero since the last
    /// re-index.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn scan(
        &mut self,
        debt: &[f64],
        coll: &[f64],
        p: &[f64],
        lt: &[f64],
        tau: f64,
        mut visit: impl FnMut(u32, f64, f64, &[f64]),
    ) -> f64 {
        let zeros_moved = lt
            .iter()
            .zip(&self.lt)
            .any(|(&x, &y)| (x == 0.0) != (y == 0.0));
        if self.lt.len() != lt.len() || zeros_moved {
            self.rebuild(debt, coll, p, lt);
        }
        let a = self.assets;
        let mut step_min = f64::INFINITY;
        for g in 0..self.groups.len() {
            let group = &self.groups[g];
            if group.waste > REBUILD_FACTOR * group.live.max(16) {
                if 2 * group.loose > group.waste {
                    self.sort(g, Some((p, lt)));
                } else {
                    self.sort(g, None);
                }
            }
            let group = &mut self.groups[g];
            // m(t) = min over the support of (p_i(t) / P_i) (lt_i(t) / LT_i) (1 with an
            // empty support).
            let m = match group.support.as_slice() {
                [] => 1.0,
                support => support
                    .iter()
                    .map(|&i| (p[i] / group.reference[i]) * (lt[i] / group.reference_lt[i]))
                    .fold(f64::INFINITY, f64::min),
            };
            let threshold = tau / (m * (1.0 - MARGIN));
            let end = group.main.key.partition_point(|&k| k < threshold);
            let mut exact = Exact {
                assets: a,
                support: &group.support,
                p,
                lt,
                tau,
                threshold,
                visit: &mut visit,
                step_min,
                needed: 0,
                computed: 0,
            };
            exact.check(&group.main, end);
            exact.check(&group.dirty, group.dirty.len());
            step_min = exact.step_min;
            let scanned = end + group.dirty.len();
            group.waste += scanned - exact.needed;
            group.loose += exact.computed - exact.needed;
        }
        step_min
    }
}

/// The exact health check of a scan's candidates.
struct Exact<'a, F> {
    assets: usize,
    support: &'a [usize],
    p: &'a [f64],
    lt: &'a [f64],
    tau: f64,
    threshold: f64,
    visit: &'a mut F,
    step_min: f64,
    /// Candidates found with `H < tau`.
    needed: usize,
    /// Candidates whose health was computed.
    computed: usize,
}

impl<F: FnMut(u32, f64, f64, &[f64])> Exact<'_, F> {
    /// Checks the first `len` entries of `part` whose key passes the threshold.
    fn check(&mut self, part: &Entries, len: usize) {
        let a = self.assets;
        for e in 0..len {
            if part.key[e] >= self.threshold || part.account[e] == STALE {
                continue;
            }
            let c = &part.coll[e * a..(e + 1) * a];
            // The full pass's sum over every asset with `lt != 0`, in asset order, without
            // the assets outside the support: their terms are zeros, which leave the sum's
            // bits unchanged.
            let mut num = 0.0;
            for &i in self.support {
                num += c[i] * self.p[i] * self.lt[i];
            }
            let d = part.debt[e];
            let h = num / d;
            self.step_min = self.step_min.min(h);
            self.needed += usize::from(h < self.tau);
            self.computed += 1;
            if h < 1.0 {
                (self.visit)(part.account[e], h, d, c);
            }
        }
    }
}

/// `K = H` at prices `p` of an account with collateral `c` (every asset) and debt `d`, or
/// 0 when a term or the debt is too small for the bound's relative accuracy (or the key is
/// not finite), so that the account is always checked.
fn key(c: &[f64], d: f64, p: &[f64], lt: &[f64], support: &[usize]) -> f64 {
    if d < TINY || support.iter().any(|&i| c[i] * p[i] * lt[i] < TINY) {
        return 0.0;
    }
    let mut num = 0.0;
    for ((&ci, &pi), &lti) in c.iter().zip(p).zip(lt) {
        if lti != 0.0 {
            num += ci * pi * lti;
        }
    }
    let k = num / d;
    if k.is_finite() { k } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: every account with `H < tau` is reported with its exact `H`, across
    /// price moves, liquidation-like updates and re-sorts.
    #[test]
    fn scan_finds_every_account_below_tau() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (n, a) = (500, 3);
        let mut lt = vec![0.8, 0.75, 0.0];
        let mut debt: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..2000.0)).collect();
        debt[3] = 0.0;
        let mut coll = vec![0.0; n * a];
        for j in 0..n {
            for i in 0..a {
                if rng.random_bool(0.6) {
                    coll[i * n + j] = rng.random_range(0.0..2.0);
                }
            }
        }
        let mut p = vec![1000.0, 1500.0, 1.0];
        let mut screen = Screen::new(n, a);
        screen.rebuild(&debt, &coll, &p, &lt);
        let mut health = vec![0.0; n];
        let mut order = Vec::new();
        let mut seen = vec![(0.0, vec![0.0; a]); n];
        for step in 0..300 {
            if step == 150 {
                lt = vec![0.7, 0.0, 0.5]; // New zeros: the index is rebuilt.
            }
            if step > 200 {
                lt[0] = 0.5 + 0.3 * (step as f64 * 0.7).sin().abs(); // Moving thresholds.
            }
            for x in &mut p[..2] {
                *x *= (rng.random_range(-0.05..0.05_f64)).exp();
            }
            let tau = if step % 3 == 0 { 1.0 } else { 1.3 };
            order.clear();
            let min = screen.scan(&debt, &coll, &p, &lt, tau, |j, h, d, c| {
                health[j as usize] = h;
                seen[j as usize] = (d, c.to_vec());
                order.push(j);
            });
            let mut want = Vec::new();
            let mut want_min = f64::INFINITY;
            for j in 0..n {
                if debt[j] > 0.0 {
                    let mut num = 0.0;
                    for i in 0..a {
                        if lt[i] != 0.0 {
                            num += coll[i * n + j] * p[i] * lt[i];
                        }
                    }
                    let h = num / debt[j];
                    want_min = want_min.min(h);
                    if h < 1.0 {
                        want.push(j as u32);
                        assert_eq!(health[j].to_bits(), h.to_bits());
                        let c: Vec<f64> = (0..a).map(|i| coll[i * n + j]).collect();
                        assert_eq!(seen[j], (debt[j], c), "account {j}'s copy");
                    }
                }
            }
            order.sort_unstable();
            assert_eq!(order, want, "step {step}");
            if want_min < tau {
                assert_eq!(min.to_bits(), want_min.to_bits());
            }
            // Change a few accounts as liquidations would.
            for _ in 0..5 {
                let j = rng.random_range(0..n);
                debt[j] *= rng.random_range(0.0..1.0);
                if rng.random_bool(0.1) {
                    debt[j] = 0.0;
                }
                let i = rng.random_range(0..a);
                coll[i * n + j] *= rng.random_range(0.0..1.0);
                if rng.random_bool(0.3) {
                    coll[i * n + j] = 0.0;
                }
                screen.update(j, &debt, &coll, &p, &lt);
            }
        }
    }
}
