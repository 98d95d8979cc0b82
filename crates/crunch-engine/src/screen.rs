//! The accounts worth a health check at a step, and the liquidatable accounts that need
//! none, found without checking every account.
//!
//! [`crate::ScanMode::Pruned`] computes `H_j(t)` only for accounts whose health a bound
//! cannot decide. Accounts with debt are grouped by their *support*, the assets `i` they
//! hold with `lt_i != 0`, and their *tag*, the asset of their largest holding value at the
//! *index prices* `P0` (the prices of the last full re-index: rule 3's seized asset then).
//! A group keeps, for each member, a key
//! `K_j = H_j(P)` computed at the group's reference prices `P` and thresholds `LT`. The
//! numerator of `H` is a sum of non-negative terms `c_i p_i lt_i` over the support, so
//! `m(t) K_j <= H_j(t) <= M(t) K_j` with `m(t)` and `M(t)` the least and the largest of
//! `r_i(t) = (p_i(t) / P_i) (lt_i(t) / LT_i)` over the support; the few roundings on either
//! side are covered by [`MARGIN`]. With two assets in the support, the groups are also
//! split by the members' *mix* `w0` (the first asset's share of the numerator at `P0` and
//! the thresholds of then), and `m(t)` and `M(t)` are the least and the largest of
//! `w r_1(t) + (1 - w) r_2(t)` over the group's range of the mix `w` at `P`, much closer
//! together ([`MIXES`]). That range is the image of the group's range of `w0`, since the
//! odds `w / (1 - w)` of every member scale by the same factor from `P0` to `P`
//! ([`remix`]): an account changes groups only when its holdings change, never at a
//! re-base. A policy that moves its thresholds (a dynamic one) therefore needs no
//! re-indexing, unless a threshold becomes zero or stops being zero, which changes the
//! supports.
//!
//! A group's entries are sorted by key, and each step splits them into
//!
//! - the *zero* prefix (key 0: debts or terms too small for the bound, or an empty
//!   support), always checked;
//! - the *sure* region, keys `K < 1 / (M (1 + MARGIN))`: surely liquidatable (`H < 1`),
//!   not checked at the census ([`Screen::scan`]); they are counted, their first
//!   liquidatable step recorded, and their health computed only when they may lower the
//!   running minimum, may have to act ([`Screen::frontier`], [`Screen::materialize`]) or
//!   may be underwater ([`Screen::any_sure`]);
//! - the *band*, up to `K < tau / (m (1 - MARGIN))`, checked;
//! - the rest, `H >= tau`, skipped.
//!
//! Each entry carries a copy of the account's debt and collateral (of the assets up to the
//! last one any account holds: USDC, never collateral in B1, is left out), so the exact
//! health of an account is computed from contiguous memory with the same operations, in
//! the same order, as the full pass ([`crate::lending`]): the results are bit-identical.
//!
//! A liquidation walk of one asset takes the sure accounts lazily, in key order: the next
//! unchecked entry of a group has `H >= m K (1 - MARGIN)`, so an account whose health is
//! known and below every group's next bound comes before all the unchecked ones. A
//! tree over each group's sorted entries (per node: least debt, least and largest holding
//! of each asset) bounds from below the seizure of every account of a subtree whose
//! seized asset can be the walk's, so the walk skips the entries the gate refuses at the
//! current `Q` (hence for the rest of the step) or that belong to another asset's walk in
//! `O(log n)`. The tree also keeps each asset's largest *share* `c_k P_k / max_i c_i P_i`,
//! which bounds how far prices must have moved for an account of a group with another
//! tag to have `k` as its seized asset, so a walk skips the other tags' groups but for
//! their near ties (while prices stay near the index prices). The bounds of a leaf are
//! those of the entries live when the tree was built; a leaf that a search finds has no
//! passing entry is recomputed from the live ones (the accounts liquidated since, whose
//! small seizures kept it open, are gone from it).
//!
//! An account changed by a liquidation gets an entry in its group's `dirty` list (its old
//! dirty entry is rewritten in place when it stays in the group; a sorted one is marked
//! stale). The dirty entries are also kept in key order (`order`, brought up to date once
//! per census by one merge, so that an update shifts nothing), and split into the same
//! regions: their zero prefix and band are checked, their sure region is counted and
//! walked lazily like the sorted one, entry by entry (it is short). A group is re-sorted
//! when the work a re-sort would have spared (the dirty entries of those regions, the
//! band, zero-key entries that were not needed) since its last sort outnumbers its live
//! members [`REBUILD_FACTOR`] times: a multi-asset group's band widens as its assets'
//! prices drift apart, and re-basing `P` narrows it again.

use crate::lending::seized_asset;

/// Relative safety margin of the bounds `m(t) K <= H(t) <= M(t) K`: each of `K`, `m`, `M`
/// and the computed `H(t)` carries at most `(assets + 3)` roundings of relative size
/// `2^-53`, far below this for any realistic number of assets.
const MARGIN: f64 = 1e-12;

/// Key terms or debts below this are not trusted to keep relative accuracy (subnormal
/// range); such accounts get key 0 and are checked at every step.
const TINY: f64 = 1e-250;

/// Re-sort a group when its wasted work since the last sort exceeds this many times its
/// live members (a re-sort costs about as much as a few wasted checks per member). When
/// most of the waste was exact checks the bound could have spared with keys at the current
/// prices (the band, and accounts it let through that were healthy: a loose bound), the
/// keys are re-based to the current prices and thresholds; otherwise (dirty entries) the
/// dirty entries are merged into the sorted ones, keys unchanged.
const REBUILD_FACTOR: usize = 2;

/// [`REBUILD_FACTOR`] for the groups with two assets in their support: their bound loosens
/// as the two prices drift apart, which also makes the walks take their accounts long
/// before their turn, work the waste does not count (measured on B1: about 2 % of its time
/// against the same factor as the others).
const REBUILD_FACTOR_MIXED: usize = 1;

/// Groups of accounts with two assets in their support are split by the mix `w`, the
/// first asset's share of the key's numerator, into this many ranges of equal width: `H /
/// K = w r_1 + (1 - w) r_2` (`r_i` the price-and-threshold ratios), so a narrow range of
/// `w` bounds it much closer than `min(r_1, r_2)` and `max(r_1, r_2)` do.
const MIXES: usize = 8;

/// No group (the account has no debt).
const NONE: u32 = u32::MAX;

/// The account of a stale entry (one superseded by a newer entry of the same account).
const STALE: u32 = u32::MAX;

/// No candidate found yet (a walk cursor's `next`).
const UNKNOWN: usize = usize::MAX;

/// `Clone` for a struct whose `clone_from` reuses every field's buffers (a derived one
/// allocates them anew): the index is copied at the start of every path.
macro_rules! clone_reusing {
    ($t:ident, [$($f:ident),* $(,)?]) => {
        impl Clone for $t {
            fn clone(&self) -> Self {
                Self { $($f: self.$f.clone()),* }
            }

            fn clone_from(&mut self, source: &Self) {
                $(self.$f.clone_from(&source.$f);)*
            }
        }
    };
}

/// Evaluates `$body` with `$a`, a number of assets, bound to `$n` as a constant for the
/// common counts (one to three), so that loops over the assets in `$body` (with the
/// functions it calls inlined) are unrolled; the general case otherwise.
macro_rules! by_assets {
    ($a:expr, |$n:ident| $body:expr) => {
        match $a {
            1 => {
                let $n = 1;
                $body
            }
            2 => {
                let $n = 2;
                $body
            }
            3 => {
                let $n = 3;
                $body
            }
            $n => $body,
        }
    };
}

clone_reusing!(Entries, [key, account, debt, coll, share]);
clone_reusing!(Floors, [size, nodes, live]);
clone_reusing!(
    Group,
    [
        tag,
        support,
        mix,
        reference_mix,
        reference,
        reference_lt,
        main,
        spare,
        floors,
        dirty,
        order,
        incoming,
        leaving,
        dirty_share,
        live,
        waste,
        loose,
        zeros,
        zero,
        sure,
        dirty_zero,
        dirty_sure,
        floor,
        recorded
    ]
);
clone_reusing!(
    Screen,
    [
        assets,
        lt,
        index_prices,
        groups,
        loc,
        cursors,
        active,
        walk_asset,
        by_key,
        run,
        support,
        holding
    ]
);

/// Entries in structure-of-arrays form: key, account, debt, and the collateral and the
/// share ([`Floors`]) of every asset (`assets` values per entry each).
#[derive(Debug, Default)]
struct Entries {
    key: Vec<f64>,
    account: Vec<u32>,
    debt: Vec<f64>,
    coll: Vec<f64>,
    share: Vec<f64>,
}

impl Entries {
    fn clear(&mut self) {
        self.key.clear();
        self.account.clear();
        self.debt.clear();
        self.coll.clear();
        self.share.clear();
    }

    fn len(&self) -> usize {
        self.key.len()
    }

    /// Appends an entry, its shares taken at the reference prices `reference`.
    fn push(&mut self, key: f64, account: u32, debt: f64, coll: &[f64], reference: &[f64]) {
        self.key.push(key);
        self.account.push(account);
        self.debt.push(debt);
        // Element by element: `extend_from_slice` of a few values is a library call.
        for &c in coll {
            self.coll.push(c);
            self.share.push(0.0);
        }
        let at = self.share.len() - coll.len();
        shares(coll, reference, &mut self.share[at..]);
    }

    /// Rewrites entry `e` (same account) with key `key`, debt `debt` and holdings `coll`,
    /// its shares taken at the reference prices `reference`.
    fn set_from(&mut self, e: usize, key: f64, debt: f64, coll: &[f64], reference: &[f64]) {
        let a = coll.len();
        self.key[e] = key;
        self.debt[e] = debt;
        for (x, &c) in self.coll[e * a..(e + 1) * a].iter_mut().zip(coll) {
            *x = c;
        }
        shares(coll, reference, &mut self.share[e * a..(e + 1) * a]);
    }

    /// Resizes to `n` entries (`a` assets), the new ones zeros.
    fn resize(&mut self, n: usize, a: usize) {
        // Room for an eighth more when it must grow, not twice: a group's size varies
        // from path to path, and doubling buffers would raise the memory with the paths.
        if n > self.key.capacity() {
            let room = n + n / 8;
            self.key.reserve_exact(room - self.key.len());
            self.account.reserve_exact(room - self.account.len());
            self.debt.reserve_exact(room - self.debt.len());
            self.coll.reserve_exact(room * a - self.coll.len());
            self.share.reserve_exact(room * a - self.share.len());
        }
        self.key.resize(n, 0.0);
        self.account.resize(n, 0);
        self.debt.resize(n, 0.0);
        self.coll.resize(n * a, 0.0);
        self.share.resize(n * a, 0.0);
    }

    /// Sets slot `s` to entry `e` of `from` (`a` assets).
    #[inline(always)]
    fn set(&mut self, s: usize, from: &Entries, e: usize, a: usize) {
        self.key[s] = from.key[e];
        self.account[s] = from.account[e];
        self.debt[s] = from.debt[e];
        // Element by element: `copy_from_slice` of a few values is a library call.
        for i in 0..a {
            self.coll[s * a + i] = from.coll[e * a + i];
            self.share[s * a + i] = from.share[e * a + i];
        }
    }

    /// Whether entry `e` is live and passes a search test, `quick` and then `pass`
    /// ([`Floors::find`]) with its holdings as both bounds.
    #[inline(always)]
    fn passes(
        &self,
        e: usize,
        a: usize,
        quick: &Quick,
        pass: &impl Fn(f64, &[f64], &[f64]) -> bool,
    ) -> bool {
        let k = e * a + quick.k;
        self.account[e] != STALE
            && quick.admits(self.debt[e], self.coll[k], self.share[k])
            && pass(
                self.debt[e],
                &self.coll[e * a..(e + 1) * a],
                &self.coll[e * a..(e + 1) * a],
            )
    }

    /// Entry `e`'s key at prices `p` and thresholds `lt` ([`key`]), as bits.
    #[inline(always)]
    fn key_at(&self, e: usize, a: usize, (p, lt): (&[f64], &[f64]), support: &[usize]) -> u64 {
        key(&self.coll[e * a..(e + 1) * a], self.debt[e], p, lt, support).to_bits()
    }

    /// Recomputes every entry's shares at the reference prices `reference`.
    fn reshare(&mut self, reference: &[f64], a: usize) {
        for (c, share) in self
            .coll
            .chunks_exact(a)
            .zip(self.share.chunks_exact_mut(a))
        {
            shares(c, reference, share);
        }
    }
}

/// What a seizure below a walk's refusal threshold needs ([`Screen::frontier`]): a debt
/// below `debt` or a holding of the walk's asset below `holding` (rule 3's seizure is the
/// lesser of a multiple of the debt and the holding's value).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeizureBelow {
    pub(crate) debt: f64,
    pub(crate) holding: f64,
}

/// A necessary condition of a walk's search test (of asset `k`), checked first on a few
/// values: a largest share of `k` of at least `share`, and a least debt or a least holding
/// of `k` as `below` requires.
#[derive(Debug, Clone, Copy)]
struct Quick {
    k: usize,
    share: f64,
    below: SeizureBelow,
}

impl Quick {
    /// Whether a node or an entry with these least debt and holding of `k` and largest
    /// share of `k` passes.
    #[inline(always)]
    fn admits(&self, debt: f64, holding: f64, share: f64) -> bool {
        share >= self.share && (debt < self.below.debt || holding < self.below.holding)
    }
}

/// Entries per leaf of a [`Floors`] tree.
const BUCKET: usize = 32;

/// Relative margin of the share test of a [`Floors`] node, far above its roundings.
const SHARE_MARGIN: f64 = 1e-9;

/// A segment tree over a group's sorted entries, whose leaves are buckets of [`BUCKET`]
/// consecutive slots (a power of two of leaves, node 1 the root, leaf `size + bucket`):
/// per node, the least debt, the least and the largest holding of each asset, and the
/// largest share of each asset over the entries that were live when it was built (`+inf`,
/// `+inf`, 0 and 0 when there were none; an entry that became stale since only loosens
/// them), and how many entries are live now. An entry's share of asset `k` is
/// `c_k P_k / max_i c_i P_i` at the group's reference prices `P`: an account whose
/// largest holding value at prices `p` is asset `k`'s has a share of at least
/// `r / (p_k / P_k)`, `r = min_i p_i / P_i`.
#[derive(Debug, Default)]
struct Floors {
    size: usize,
    /// Per node, together (one or two cache lines): `[least debt, least holding of each
    /// asset, largest holding of each asset, largest share of each asset]`.
    nodes: Vec<f64>,
    live: Vec<u32>,
}

/// The values per node of a [`Floors`] tree over `a` assets.
const fn stride(a: usize) -> usize {
    1 + 3 * a
}

impl Floors {
    /// The tree of `main`'s live entries.
    fn build(&mut self, main: &Entries, a: usize) {
        let buckets = main.len().div_ceil(BUCKET);
        let size = buckets.next_power_of_two();
        self.size = size;
        self.nodes.clear();
        self.nodes.resize(2 * size * stride(a), 0.0);
        self.live.clear();
        self.live.resize(2 * size, 0);
        for b in 0..size {
            self.leaf(b, main, a); // Past the entries: an empty leaf.
        }
        for node in (1..size).rev() {
            self.pull(node, a);
        }
    }

    /// Recomputes bucket `b`'s leaf from `main`.
    fn leaf(&mut self, b: usize, main: &Entries, a: usize) {
        by_assets!(a, |a| self.leaf_with(b, main, a));
    }

    /// [`Floors::leaf`], inlined where `a` is a constant.
    #[inline(always)]
    fn leaf_with(&mut self, b: usize, main: &Entries, a: usize) {
        let node = self.size + b;
        let x = &mut self.nodes[node * stride(a)..(node + 1) * stride(a)];
        let (debt, rest) = x.split_first_mut().expect("a node");
        let (low, rest) = rest.split_at_mut(a);
        let (high, share) = rest.split_at_mut(a);
        let mut live = 0;
        *debt = f64::INFINITY;
        for i in 0..a {
            (low[i], high[i], share[i]) = (f64::INFINITY, 0.0, 0.0);
        }
        let slots = (b * BUCKET).min(main.len())..((b + 1) * BUCKET).min(main.len());
        let coll = main.coll[slots.start * a..slots.end * a].chunks_exact(a);
        let shares = main.share[slots.start * a..slots.end * a].chunks_exact(a);
        let entries = main.account[slots.clone()].iter().zip(&main.debt[slots]);
        for ((&j, &d), (c, s)) in entries.zip(coll.zip(shares)) {
            if j == STALE {
                continue;
            }
            *debt = lesser(*debt, d);
            for i in 0..a {
                low[i] = lesser(low[i], c[i]);
                high[i] = greater(high[i], c[i]);
                share[i] = greater(share[i], s[i]);
            }
            live += 1;
        }
        self.live[node] = live;
    }

    /// Computes `node` from its children.
    fn pull(&mut self, node: usize, a: usize) {
        let w = stride(a);
        let (parents, children) = self.nodes.split_at_mut(2 * node * w);
        let x = &mut parents[node * w..(node + 1) * w];
        let (l, r) = children[..2 * w].split_at(w);
        x[0] = lesser(l[0], r[0]);
        for i in 1..1 + a {
            x[i] = lesser(l[i], r[i]);
        }
        for i in 1 + a..w {
            x[i] = greater(l[i], r[i]);
        }
        self.live[node] = self.live[2 * node] + self.live[2 * node + 1];
    }

    /// The largest share of asset `k` over the tree (0 when empty).
    fn largest_share(&self, k: usize, a: usize) -> f64 {
        let root = stride(a) + 1 + 2 * a + k;
        self.nodes.get(root).copied().unwrap_or(0.0)
    }

    /// Updates the live counts after the entry at `slot` became stale. The bounds keep
    /// covering it until the next build: they stay bounds of the live entries, only looser.
    fn kill(&mut self, slot: usize) {
        let mut node = self.size + slot / BUCKET;
        while node >= 1 {
            self.live[node] -= 1;
            node /= 2;
        }
    }

    /// Live entries of `main` in slots `lo..hi`.
    fn live_in(&self, lo: usize, hi: usize, main: &Entries) -> u64 {
        let live = |e: &usize| main.account[*e] != STALE;
        // Whole buckets from the tree, the ends from the entries.
        let (first, last) = (lo.div_ceil(BUCKET), hi / BUCKET);
        if first >= last {
            return (lo..hi).filter(live).count() as u64;
        }
        let ends = (lo..first * BUCKET)
            .chain(last * BUCKET..hi)
            .filter(live)
            .count() as u64;
        let (mut l, mut r) = (first + self.size, last + self.size);
        let mut sum = ends;
        while l < r {
            if l & 1 == 1 {
                sum += u64::from(self.live[l]);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                sum += u64::from(self.live[r]);
            }
            l /= 2;
            r /= 2;
        }
        sum
    }

    /// Recomputes bucket `b`'s leaf from `main`'s live entries, and its ancestors: the
    /// bounds no longer cover the entries that became stale since.
    fn refresh(&mut self, b: usize, main: &Entries, a: usize) {
        self.leaf(b, main, a);
        let mut node = (self.size + b) / 2;
        while node >= 1 {
            self.pull(node, a);
            node /= 2;
        }
    }

    /// The first live slot of `main` in `from..end` that passes `quick` and `pass(least
    /// debt, least holdings, largest holdings)` ([`Entries::passes`]), a monotone test: a
    /// node passes whenever one of its entries does.
    /// The search climbs from `from`'s bucket to the subtrees on its right, so a slot near
    /// `from` costs a few nodes. A bucket whose leaf passes but none of whose entries does
    /// is refreshed ([`Floors::refresh`]): its leaf's bounds usually still cover accounts
    /// liquidated since the tree was built (they passed the gate: their seizures are
    /// small), which would draw every later search into the bucket.
    fn find(
        &mut self,
        from: usize,
        end: usize,
        main: &Entries,
        a: usize,
        quick: &Quick,
        pass: &impl Fn(f64, &[f64], &[f64]) -> bool,
    ) -> Option<usize> {
        let passes = |floors: &Self, node: usize| {
            let x = &floors.nodes[node * stride(a)..(node + 1) * stride(a)];
            floors.live[node] > 0
                && quick.admits(x[0], x[1 + quick.k], x[1 + 2 * a + quick.k])
                && pass(x[0], &x[1..1 + a], &x[1 + a..1 + 2 * a])
        };
        // The first passing entry of bucket `b` from slot `lo`, and whether the search
        // goes on past the bucket.
        let in_bucket = |b: usize, lo: usize| {
            let hi = ((b + 1) * BUCKET).min(end);
            let found = (lo..hi).find(|&e| main.passes(e, a, quick, pass));
            (found, hi < end)
        };
        if from >= end {
            return None;
        }
        // The first bucket, from `from`, unless its leaf fails (then none of it passes).
        let first = from / BUCKET;
        if passes(self, self.size + first) {
            let (found, more) = in_bucket(first, from);
            if found.is_some() || !more {
                return found;
            }
        } else if ((first + 1) * BUCKET).min(end) >= end {
            return None;
        }
        // `node` covers the buckets `node * width - size ..` (`width` of them).
        let (mut node, mut width) = (self.size + from / BUCKET, 1);
        loop {
            // The next subtree to the right: climb while a right child.
            while node & 1 == 1 {
                node >>= 1;
                width <<= 1;
            }
            if node == 0 {
                return None;
            }
            node += 1;
            if (node * width - self.size) * BUCKET >= end {
                return None;
            }
            if !passes(self, node) {
                continue;
            }
            // Its first passing entry, if any (a node may pass while none of its entries
            // does): depth first, left child first.
            let mut stack = [0; 64];
            stack[0] = node;
            let mut top = 1;
            while top > 0 {
                top -= 1;
                let x = stack[top];
                if x != node && !passes(self, x) {
                    continue;
                }
                if x >= self.size {
                    let b = x - self.size;
                    match in_bucket(b, b * BUCKET) {
                        (Some(e), _) => return Some(e),
                        (None, more) => {
                            self.refresh(b, main, a);
                            if !more {
                                return None;
                            }
                            continue;
                        }
                    }
                }
                stack[top] = 2 * x + 1;
                stack[top + 1] = 2 * x;
                top += 2;
            }
        }
    }
}

/// A re-sort's buffer: a copy of the index has its own, empty.
#[derive(Debug, Default)]
struct Spare(Entries);

impl Clone for Spare {
    fn clone(&self) -> Self {
        Self::default()
    }

    fn clone_from(&mut self, _: &Self) {}
}

/// Accounts with one support.
#[derive(Debug)]
struct Group {
    /// The asset of the largest holding value of the members at the index prices
    /// (`assets`: none): a walk of another asset meets few of them while prices stay near.
    tag: usize,
    /// Assets held with `lt != 0`.
    support: Vec<usize>,
    /// With two assets in the support, the range of the members' mix at the index prices
    /// and thresholds ([`Screen::index_prices`]), by its number ([`mix_range`]): it changes
    /// only when the holdings do, not at a re-base ([`MIXES`]).
    mix: Option<usize>,
    /// The range `mix` at the reference prices and thresholds ([`remix`]).
    reference_mix: Option<(f64, f64)>,
    /// Prices the keys were computed at (every asset).
    reference: Vec<f64>,
    /// Thresholds the keys were computed with (every asset).
    reference_lt: Vec<f64>,
    /// Entries sorted by key.
    main: Entries,
    /// The buffer a re-sort writes the sorted entries to, then swaps with `main`: the
    /// group's own, so that no group takes over a larger group's buffer.
    spare: Spare,
    /// `main`'s seizure floors and live counts.
    floors: Floors,
    /// Entries added since the last sort, in the order they came (stale ones included).
    dirty: Entries,
    /// The live `dirty` slots sorted by key, with the keys' bits, `(key bits, slot)`, as
    /// of the last census: only a census changes it ([`Group::settle`]).
    order: Vec<(u64, u32)>,
    /// The `(key bits, slot)` pairs written since, and those gone since (stale, or
    /// rewritten with another key), in no order. A pair that came and went is dropped; none
    /// comes back after it went (within a step, every update of an account is to the same
    /// state).
    incoming: Vec<(u64, u32)>,
    leaving: Vec<(u64, u32)>,
    /// The largest share of each asset ([`Floors`]) over the dirty entries.
    dirty_share: Vec<f64>,
    /// Live members (entries not stale).
    live: usize,
    /// Entries checked since the last sort that were not needed.
    waste: usize,
    /// Of those, the ones a re-based key would have spared.
    loose: usize,
    /// The length of `main`'s prefix of zero keys (keys change only at a sort).
    zeros: usize,
    /// The sure region of the last census: `main` slots `zero..sure`.
    zero: usize,
    sure: usize,
    /// The sure region of the last census in `order`: positions `dirty_zero..dirty_sure`.
    dirty_zero: usize,
    dirty_sure: usize,
    /// `m (1 - MARGIN)` at the last census: `floor * K` bounds a sure entry's `H` below.
    floor: f64,
    /// The `main` slots below this (and above `zero`) have had their first liquidatable
    /// step recorded since the last sort.
    recorded: usize,
}

impl Group {
    /// An empty group of support `support`, tag `tag` and mix range number `mix` (at the
    /// index prices and thresholds `index`), its reference prices `p` and thresholds `lt`,
    /// for entries of `assets` assets.
    fn new(
        tag: usize,
        support: &[usize],
        mix: Option<usize>,
        index: (&[f64], &[f64]),
        (p, lt): (&[f64], &[f64]),
        assets: usize,
    ) -> Self {
        Self {
            tag,
            support: support.to_vec(),
            mix,
            reference_mix: mix.map(|b| remix(mix_range(b), support, index, (p, lt))),
            reference: p.to_vec(),
            reference_lt: lt.to_vec(),
            main: Entries::default(),
            spare: Spare::default(),
            floors: Floors::default(),
            dirty: Entries::default(),
            order: Vec::new(),
            incoming: Vec::new(),
            leaving: Vec::new(),
            dirty_share: vec![0.0; assets],
            live: 0,
            waste: 0,
            loose: 0,
            zeros: 0,
            zero: 0,
            sure: 0,
            dirty_zero: 0,
            dirty_sure: 0,
            floor: 0.0,
            recorded: 0,
        }
    }

    /// Empties the dirty entries, their order and their shares.
    fn clear_dirty(&mut self) {
        self.dirty.clear();
        self.order.clear();
        self.incoming.clear();
        self.leaving.clear();
        self.dirty_share.fill(0.0);
    }

    /// The entry at position `x` of a region: a slot of `main`, or (`dirty`) a position of
    /// `order`.
    fn at(&self, dirty: bool, x: usize) -> (&Entries, usize) {
        match dirty {
            false => (&self.main, x),
            true => (&self.dirty, self.order[x].1 as usize),
        }
    }

    /// Adds dirty slot `slot`'s shares to `dirty_share`.
    fn widen(&mut self, slot: u32) {
        let a = self.dirty_share.len();
        let share = &self.dirty.share[slot as usize * a..(slot as usize + 1) * a];
        for (x, &s) in self.dirty_share.iter_mut().zip(share) {
            *x = greater(*x, s);
        }
    }

    /// Notes dirty slot `slot`, just written with key `key`, for `order` (at the next
    /// [`Group::settle`]) and adds its shares to `dirty_share`.
    fn arrived(&mut self, key: f64, slot: u32) {
        self.widen(slot);
        self.incoming.push((key.to_bits(), slot));
    }

    /// Brings `order` up to date: drops the `leaving` pairs and merges in the `incoming`
    /// ones, in place, from the back; both lists are sorted first (they are short). An
    /// update costs no shifting of `order`, however long.
    fn settle(&mut self) {
        if self.incoming.is_empty() && self.leaving.is_empty() {
            return;
        }
        self.leaving.sort_unstable_by_key(|&x| packed(x));
        self.incoming.sort_unstable_by_key(|&x| packed(x));
        let leaving = &self.leaving;
        // Whether a pair (visited in order) leaves: a cursor over `leaving`.
        let gone = || {
            let mut at = 0;
            move |x: &(u64, u32)| {
                while at < leaving.len() && packed(leaving[at]) < packed(*x) {
                    at += 1;
                }
                leaving.get(at) == Some(x)
            }
        };
        let mut left = gone();
        self.order.retain(|x| !left(x));
        let mut left = gone();
        self.incoming.retain(|x| !left(x));
        // The merge, from the back: the pairs of `order` after each incoming one's place
        // move up by one block copy (no pair comes twice).
        let (order, incoming) = (&mut self.order, &self.incoming);
        let (mut i, mut j) = (order.len(), incoming.len());
        order.resize(i + j, (0, 0));
        while j > 0 {
            let x = incoming[j - 1];
            let at = order[..i].partition_point(|&y| packed(y) < packed(x));
            order.copy_within(at..i, at + j);
            order[at + j - 1] = x;
            i = at;
            j -= 1;
        }
        self.incoming.clear();
        self.leaving.clear();
    }
}

/// The order of `(key bits, slot)` pairs as one integer: one comparison, no branch.
#[inline(always)]
fn packed((key, slot): (u64, u32)) -> u128 {
    (u128::from(key) << 32) | u128::from(slot)
}

/// Where an account's live entry is: its group, and its slot of `main`, or of `dirty`
/// with the top bit set (eight bytes: one is read at every update).
#[derive(Debug, Clone, Copy)]
struct Loc {
    group: u32,
    place: u32,
}

/// The top bit of [`Loc::place`]: a slot of `dirty`.
const DIRTY: u32 = 1 << 31;

impl Loc {
    /// Slot `slot` of group `group`'s `dirty` entries, or else of its `main` ones.
    fn new(group: usize, dirty: bool, slot: usize) -> Self {
        debug_assert!(slot < DIRTY as usize);
        Self {
            group: group as u32,
            place: slot as u32 | if dirty { DIRTY } else { 0 },
        }
    }

    /// Whether the slot is one of `dirty`.
    fn dirty(self) -> bool {
        self.place & DIRTY != 0
    }

    /// The slot, of `main` or of `dirty`.
    fn slot(self) -> u32 {
        self.place & !DIRTY
    }
}

const NOWHERE: Loc = Loc {
    group: NONE,
    place: 0,
};

/// A walk's position in one region (sorted or dirty) of a group's sure accounts.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// The group.
    group: u32,
    /// Whether it walks the group's `order` (the dirty entries), else `main`.
    dirty: bool,
    /// The first position not yet taken or skipped (a slot of `main`, or of `order`).
    from: usize,
    /// The end of the sure region.
    end: usize,
    /// The next candidate at or after `from` ([`UNKNOWN`]: not searched yet).
    next: usize,
    /// The lower bound of `H` of `next`.
    bound: f64,
    /// The refusal threshold `next` was searched with.
    hi: f64,
    /// The seizure bound of `next` (`seizure(D, c, c)`, [`Screen::frontier`]): it passes a
    /// lower threshold while this is below it.
    seizure: f64,
    /// The least share of the walk's asset an account of that asset can have in this
    /// group ([`Floors`]), less [`SHARE_MARGIN`].
    share: f64,
}

/// What a census found beyond the accounts it passed on one by one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Census {
    /// The least `H` computed; with the running minimum `min_health` given to
    /// [`Screen::scan`], `min(min_health, least)` is the minimum over every step so far.
    pub(crate) least: f64,
    /// Accounts of the sure regions (liquidatable, with collateral), not passed on.
    pub(crate) sure: u64,
}

/// The candidate index of one path's simulation (see the module documentation).
#[derive(Debug)]
pub(crate) struct Screen {
    /// The assets the index holds for each entry: the first `assets` of the market's, up
    /// to the last one any account held at the last full re-index. The rest hold no
    /// collateral, and no collateral is added in a run the index serves (a liquidation
    /// only takes some), so they stay at zero.
    assets: usize,
    /// The liquidation thresholds at the last full re-index: which of them are zero (the
    /// supports), and with `index_prices` the mixes and tags that split the groups.
    lt: Vec<f64>,
    /// The prices at the last full re-index. The groups are split by the members' tag and
    /// mix at these prices and `lt`, so a re-base moves no account to another group.
    index_prices: Vec<f64>,
    groups: Vec<Group>,
    loc: Vec<Loc>,
    /// The current walk's positions in the sure regions, and its asset.
    cursors: Vec<Cursor>,
    /// The cursors not yet exhausted, by the bound of their next candidate.
    active: Vec<u32>,
    walk_asset: usize,
    /// The keys with the entries' places, a re-sort's buffer.
    by_key: Vec<(u64, u32)>,
    /// The second run of a re-base's keys ([`merge_runs`]).
    run: Vec<(u64, u32)>,
    support: Vec<usize>,
    holding: Vec<f64>,
}

impl Screen {
    /// An empty index for `n` accounts.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            assets: 0,
            lt: Vec::new(),
            index_prices: Vec::new(),
            groups: Vec::new(),
            loc: vec![NOWHERE; n],
            cursors: Vec::new(),
            active: Vec::new(),
            walk_asset: 0,
            by_key: Vec::new(),
            run: Vec::new(),
            support: Vec::new(),
            holding: Vec::new(),
        }
    }

    /// Indexes every account with debt at prices `p` and thresholds `lt`. `coll` is
    /// asset-major (`coll[i * n + j]`).
    pub(crate) fn rebuild(&mut self, debt: &[f64], coll: &[f64], p: &[f64], lt: &[f64]) {
        let n = debt.len();
        let held = |i: usize| coll[i * n..(i + 1) * n].iter().any(|&c| c > 0.0);
        // At least one (a book without collateral still has entries, each of one zero).
        let last = (0..p.len()).rposition(held).unwrap_or(0);
        self.assets = (last + 1).min(p.len());
        self.holding.resize(self.assets, 0.0);
        self.lt.clear();
        self.lt.extend_from_slice(lt);
        self.index_prices.clear();
        self.index_prices.extend_from_slice(p);
        self.groups.clear(); // Their tags and mixes were taken at the old index prices.
        self.loc.fill(NOWHERE);
        for j in 0..n {
            self.update(j, debt, coll, p, lt);
        }
        for g in 0..self.groups.len() {
            self.sort(g, Some((p, lt)));
        }
        // Every member went through the dirty entries: their buffers are let go, not kept
        // at the size of the whole group. The re-sort buffer gets that size at once, so a
        // run's memory does not rise when a later path first re-sorts the group.
        let a = self.assets;
        for g in &mut self.groups {
            (g.dirty, g.order, g.incoming) = Default::default();
            g.spare.0.resize(g.live, a);
        }
    }

    /// Refreshes account `j`'s entry after its debt or collateral changed (at prices `p`
    /// and thresholds `lt`, which have the zeros of the last re-index). A dirty entry that
    /// stays in its group is rewritten in place; otherwise the old entry is marked stale
    /// and the account gets a new dirty entry. Besides the full re-index (which sorts every
    /// entry at once), only an account liquidatable at the last census is to be updated
    /// (one just liquidated, or left without debt): its first liquidatable step is then
    /// recorded already, which [`Screen::record`] relies on.
    pub(crate) fn update(&mut self, j: usize, debt: &[f64], coll: &[f64], p: &[f64], lt: &[f64]) {
        let n = debt.len();
        let old = self.loc[j];
        let d = debt[j];
        debug_assert!((self.assets..p.len()).all(|i| coll[i * n + j] == 0.0));
        let target = (d > 0.0).then(|| {
            for (i, h) in self.holding.iter_mut().enumerate() {
                *h = coll[i * n + j];
            }
            self.group_of(p, lt, old.group)
        });
        if old.group != NONE {
            let g = &mut self.groups[old.group as usize];
            let slot = old.slot() as usize;
            if old.dirty() && target == Some(old.group as usize) {
                let before = g.dirty.key[slot].to_bits();
                let k = key(&self.holding, d, &g.reference, &g.reference_lt, &g.support);
                g.dirty.set_from(slot, k, d, &self.holding, &g.reference);
                if k.to_bits() != before {
                    g.leaving.push((before, old.slot()));
                    g.arrived(k, old.slot());
                } else {
                    g.widen(old.slot()); // Same place in `order`.
                }
                return;
            }
            if old.dirty() {
                g.dirty.account[slot] = STALE;
                g.leaving.push((g.dirty.key[slot].to_bits(), old.slot()));
            } else {
                g.main.account[slot] = STALE;
                g.floors.kill(slot);
            }
            g.live -= 1;
            self.loc[j] = NOWHERE;
        }
        if let Some(g) = target {
            self.push_dirty(g, j, d);
        }
    }

    /// The group of the support of holdings `self.holding`, of their largest holding value
    /// and of their mix at the index prices, created (with reference prices `p` and
    /// thresholds `lt`) if there is none. Group `hint` (the account's last, or [`NONE`]) is
    /// tried first.
    fn group_of(&mut self, p: &[f64], lt: &[f64], hint: u32) -> usize {
        self.support.clear();
        let holding = &self.holding;
        self.support
            .extend((0..self.assets).filter(|&i| lt[i] != 0.0 && holding[i] > 0.0));
        let index = (&self.index_prices[..], &self.lt[..]);
        let tag = largest(holding, index.0);
        let support = &self.support;
        let mix = (support.len() == 2).then(|| mix_bin(holding, index.0, index.1, support));
        // The supports compared element by element: a slice comparison is a library call.
        let fits = |g: &Group| {
            g.tag == tag
                && g.mix == mix
                && g.support.len() == support.len()
                && g.support.iter().zip(support).all(|(x, y)| x == y)
        };
        if let Some(g) = self.groups.get(hint as usize)
            && fits(g)
        {
            return hint as usize;
        }
        if let Some(g) = self.groups.iter().position(fits) {
            return g;
        }
        self.groups
            .push(Group::new(tag, support, mix, index, (p, lt), self.assets));
        self.groups.len() - 1
    }

    /// Gives account `j` (debt `d > 0`, collateral `self.holding`) a dirty entry in group
    /// `g`.
    fn push_dirty(&mut self, g: usize, j: usize, d: f64) {
        let group = &mut self.groups[g];
        let key = key(
            &self.holding,
            d,
            &group.reference,
            &group.reference_lt,
            &group.support,
        );
        let slot = group.dirty.len() as u32;
        self.loc[j] = Loc::new(g, true, slot as usize);
        group
            .dirty
            .push(key, j as u32, d, &self.holding, &group.reference);
        group.arrived(key, slot);
        group.live += 1;
    }

    /// Re-sorts group `g`'s live entries by key: with `rebase = Some((p, lt))` the keys are
    /// recomputed at those prices and thresholds, which become the group's reference;
    /// otherwise they are kept. The group's census is emptied.
    fn sort(&mut self, g: usize, rebase: Option<(&[f64], &[f64])>) {
        let a = self.assets;
        let group = &mut self.groups[g];
        if let Some((p, lt)) = rebase {
            group.reference.copy_from_slice(p);
            group.reference_lt.copy_from_slice(lt);
            let index = (&self.index_prices[..], &self.lt[..]);
            group.reference_mix = group
                .mix
                .map(|b| remix(mix_range(b), &group.support, index, (p, lt)));
        }
        // The live entries in key order, as places: a slot of `main`, or `base` plus a slot
        // of `dirty`. Keys are never negative, so their bits sort as they do.
        let by_key = &mut self.by_key;
        by_key.clear();
        let base = group.main.len() as u32;
        group.settle();
        if let Some((p, lt)) = rebase {
            // Every live entry with its key at the new reference (its group is the same),
            // `main`'s and then `order`'s, each in the order of the old keys: the new keys
            // come in two runs that are each nearly sorted (the keys move by the same factor
            // but for the spread of the group's mixes): each is sorted by insertion, then
            // the two are merged.
            let (main, dirty) = (&group.main, &group.dirty);
            for e in (0..main.len()).filter(|&e| main.account[e] != STALE) {
                by_key.push((main.key_at(e, a, (p, lt), &group.support), e as u32));
            }
            for &(_, e) in &group.order {
                by_key.push((
                    dirty.key_at(e as usize, a, (p, lt), &group.support),
                    base + e,
                ));
            }
            let split = by_key.len() - group.order.len();
            insertion_sort(&mut by_key[..split]);
            insertion_sort(&mut by_key[split..]);
            merge_runs(by_key, split, &mut self.run);
        } else {
            // The live entries of `main` and `order` are in key order: merge the two
            // sequences in one pass (`main`'s first among equal keys).
            let dirty = &group.dirty;
            by_key.extend(group.order.iter().map(|&(k, e)| (k, base + e)));
            let (main, spare) = (&group.main, &mut group.spare.0);
            spare.resize(group.live, a);
            let mut out = 0;
            let mut next = by_key.iter().peekable();
            for e in (0..main.len()).filter(|&e| main.account[e] != STALE) {
                let k = main.key[e].to_bits();
                while let Some(&&(x, d)) = next.peek()
                    && x < k
                {
                    spare.set(out, dirty, (d - base) as usize, a);
                    out += 1;
                    next.next();
                }
                spare.set(out, main, e, a);
                out += 1;
            }
            for &(_, d) in next {
                spare.set(out, dirty, (d - base) as usize, a);
                out += 1;
            }
            debug_assert_eq!(out, group.live);
        }
        let spare = &mut group.spare.0;
        if rebase.is_some() {
            spare.resize(by_key.len(), a);
            for (s, &(_, x)) in by_key.iter().enumerate() {
                let (part, e) = match x.checked_sub(base) {
                    Some(e) => (&group.dirty, e as usize),
                    None => (&group.main, x as usize),
                };
                spare.set(s, part, e, a);
            }
            for (k, x) in spare.key.iter_mut().zip(by_key.iter()) {
                *k = f64::from_bits(x.0);
            }
            spare.reshare(&group.reference, a);
        }
        std::mem::swap(&mut group.main, spare);
        let len = group.main.len();
        for (slot, &j) in group.main.account.iter().enumerate() {
            self.loc[j as usize] = Loc::new(g, false, slot);
        }
        group.floors.build(&group.main, a);
        group.zeros = group.main.key.partition_point(|&k| k <= 0.0);
        group.clear_dirty();
        group.live = len;
        group.waste = 0;
        group.loose = 0;
        group.zero = 0;
        group.sure = 0;
        group.dirty_zero = 0;
        group.dirty_sure = 0;
        group.recorded = 0;
    }

    /// The census of step `t` at prices `p` and thresholds `lt`, given the running minimum
    /// health `min_health`: computes `H_j = num / D` with the full pass's operations for
    /// every account that may have `H < max(min_health, 1)` (and some others), except
    /// the sure ones (see the module documentation). Each checked account with `H < 1` is
    /// passed to `visit(j, H, D_j, c_j)` (`c_j`: its collateral of the first `c_j.len()`
    /// assets, the others holding none), in no particular order.
    ///
    /// `debt` and `coll` (asset-major) are the current state, used to re-index every
    /// account when a threshold of `lt` became zero or stopped being zero since the last
    /// re-index.
    pub(crate) fn scan(
        &mut self,
        debt: &[f64],
        coll: &[f64],
        p: &[f64],
        lt: &[f64],
        min_health: f64,
        mut visit: impl FnMut(u32, f64, f64, &[f64]),
    ) -> Census {
        let zeros_moved = lt
            .iter()
            .zip(&self.lt)
            .any(|(&x, &y)| (x == 0.0) != (y == 0.0));
        if self.lt.len() != lt.len() || zeros_moved {
            self.rebuild(debt, coll, p, lt);
        }
        let a = self.assets;
        let tau = min_health.max(1.0);
        let mut census = Census {
            least: f64::INFINITY,
            sure: 0,
        };
        // Re-sorts first.
        for g in 0..self.groups.len() {
            let group = &self.groups[g];
            let factor = match group.mix {
                Some(_) => REBUILD_FACTOR_MIXED,
                None => REBUILD_FACTOR,
            };
            if group.waste > factor * group.live.max(16) {
                if 2 * group.loose > group.waste {
                    self.sort(g, Some((p, lt)));
                } else {
                    self.sort(g, None);
                }
            }
        }
        for group in &mut self.groups {
            group.settle();
            // m(t) and M(t): the least and largest of (p_i(t) / P_i) (lt_i(t) / LT_i) over
            // the support (1 with an empty support).
            let ratio = |i: usize| (p[i] / group.reference[i]) * (lt[i] / group.reference_lt[i]);
            let (m, big) = match (group.support.as_slice(), group.reference_mix) {
                ([], _) => (1.0, 1.0),
                (&[i, k], Some((lo, hi))) => {
                    // `w r_1 + (1 - w) r_2` is linear in `w`: its extremes over the range
                    // (widened far beyond the roundings of `w`) are at the ends.
                    let (lo, hi) = ((lo - 1e-9).max(0.0), (hi + 1e-9).min(1.0));
                    let (r_i, r_k) = (ratio(i), ratio(k));
                    let (x, y) = (lo * r_i + (1.0 - lo) * r_k, hi * r_i + (1.0 - hi) * r_k);
                    (x.min(y), x.max(y))
                }
                (support, _) => support
                    .iter()
                    .map(|&i| ratio(i))
                    .fold((f64::INFINITY, 0.0_f64), |(m, big), r| {
                        (m.min(r), big.max(r))
                    }),
            };
            let keys = &group.main.key;
            let threshold = tau / (m * (1.0 - MARGIN));
            let below = 1.0 / (big * (1.0 + MARGIN));
            // The sure region's end moves little from step to step: it is searched from
            // the last one. The band is short: its end is found from its start.
            let zero = group.zeros;
            let last = group.sure.max(zero) - zero;
            let sure = zero + partition_near(&keys[zero..], last, |&k| k < below);
            let end = sure + keys[sure..].iter().take_while(|&&k| k < threshold).count();
            // The same regions of the dirty entries, by `order` (keys are never negative).
            let order = &group.order;
            let key_of = |x: &(u64, u32)| f64::from_bits(x.0);
            let dirty_zero = order.iter().take_while(|x| x.0 == 0).count();
            let dirty_sure =
                dirty_zero + order[dirty_zero..].partition_point(|x| key_of(x) < below);
            let dirty_end = dirty_sure
                + order[dirty_sure..]
                    .iter()
                    .take_while(|x| key_of(x) < threshold)
                    .count();
            let slots = |range: std::ops::Range<usize>| order[range].iter().map(|x| x.1 as usize);
            let mut exact = Exact {
                assets: a,
                support: &group.support,
                p,
                lt,
                tau,
                visit: &mut visit,
                least: census.least,
                needed: 0,
                computed: 0,
            };
            exact.check(&group.main, 0..zero);
            group.waste += zero - exact.needed;
            group.loose += exact.computed - exact.needed;
            // The dirty entries' zero prefix and band are checked, and their sure region is
            // taken lazily by the walks; a merge would have spared all of it.
            exact.check(&group.dirty, slots(0..dirty_zero));
            exact.check(&group.dirty, slots(dirty_sure..dirty_end));
            group.waste += dirty_end;
            // The band is checked in full; a key re-based at the current prices would
            // have spared each of its checks.
            exact.check(&group.main, sure..end);
            group.waste += end - sure;
            group.loose += end - sure;
            // The sure regions: counted, recorded, and checked only where their lower bound
            // is below the running minimum (the front of each).
            let floor = m * (1.0 - MARGIN);
            exact.front(&group.main, zero..sure, floor, min_health);
            exact.front(
                &group.dirty,
                slots(dirty_zero..dirty_sure),
                floor,
                min_health,
            );
            census.least = exact.least;
            census.sure += group.floors.live_in(zero, sure, &group.main);
            census.sure += (dirty_sure - dirty_zero) as u64;
            group.zero = zero;
            group.sure = sure;
            group.dirty_zero = dirty_zero;
            group.dirty_sure = dirty_sure;
            group.floor = floor;
        }
        census
    }

    /// Sets `first[j] = t` for each sure account `j` of the last census (step `t`) that is
    /// not yet recorded since its group's last sort, unless already set. The sure dirty
    /// entries need nothing: only accounts liquidatable at an earlier census, hence
    /// recorded, have one ([`Screen::update`]).
    pub(crate) fn record(&mut self, t: u32, first: &mut [u32]) {
        for group in &mut self.groups {
            for e in group.recorded.max(group.zero)..group.sure {
                let j = group.main.account[e];
                if j != STALE && first[j as usize] == u32::MAX {
                    first[j as usize] = t;
                }
            }
            group.recorded = group.recorded.max(group.sure);
            debug_assert!(
                group.order[group.dirty_zero..group.dirty_sure]
                    .iter()
                    .all(|&(_, e)| first[group.dirty.account[e as usize] as usize] != u32::MAX),
                "a sure dirty entry of an account never recorded"
            );
        }
    }

    /// Starts a walk of asset `k`'s accounts over the sure regions of the last census (a
    /// cursor for each region that may hold one), at prices `p`; whether there is any.
    pub(crate) fn start_walk(&mut self, k: usize, p: &[f64]) -> bool {
        self.walk_asset = k;
        self.cursors.clear();
        let a = self.assets;
        if k >= a {
            return false; // No account holds `k`.
        }
        for (g, group) in self.groups.iter().enumerate() {
            // The regions and the largest share of `k` in each; one whose entries all hold
            // no `k` is left out at once (most groups, for an asset few accounts hold).
            let regions = [
                (
                    false,
                    group.zero,
                    group.sure,
                    group.floors.largest_share(k, a),
                ),
                (
                    true,
                    group.dirty_zero,
                    group.dirty_sure,
                    group.dirty_share[k],
                ),
            ];
            if regions
                .iter()
                .all(|&(_, from, end, largest)| from == end || largest == 0.0)
            {
                continue;
            }
            let ratio = |i: usize| p[i] / group.reference[i];
            let r = (0..a).map(ratio).fold(f64::INFINITY, f64::min);
            let share = r / ratio(k) * (1.0 - SHARE_MARGIN);
            // A region none of whose entries can be of asset `k` is left out.
            for (dirty, from, end, largest) in regions {
                if from < end && largest >= share {
                    self.cursors.push(Cursor {
                        group: g as u32,
                        dirty,
                        from,
                        end,
                        next: UNKNOWN,
                        bound: f64::NEG_INFINITY, // Until the first search.
                        hi: f64::NAN,
                        seizure: f64::NAN,
                        share,
                    });
                }
            }
        }
        self.active.clear();
        self.active.extend(0..self.cursors.len() as u32);
        !self.cursors.is_empty()
    }

    /// The least lower bound of `H` over the walk's next candidates, and the cursor that
    /// holds it (`None` when no candidate is left). A candidate is a sure entry not yet
    /// taken whose subtree may hold an account of the walk's asset (by the shares) and
    /// passes `seizure(least debt, least holdings, largest holdings) < hi` (holdings of the
    /// first assets, as [`Screen::scan`] passes them on): `seizure` must
    /// bound below the seizure of any account of the walk's asset with at least that debt
    /// and holdings between those bounds (`+inf` when none can be of that asset), and
    /// every seizure `>= hi` must be refused from now to the end of the walk (an entry
    /// skipped is never visited again). `seizure(d, low, high) < hi` must imply `d <
    /// below.debt` or `low[k] < below.holding` (`k` the walk's asset): that cheaper test is
    /// done first.
    pub(crate) fn frontier(
        &mut self,
        hi: f64,
        below: SeizureBelow,
        seizure: &impl Fn(f64, &[f64], &[f64]) -> f64,
    ) -> Option<(f64, usize)> {
        let a = self.assets;
        let k = self.walk_asset;
        let pass = |d: f64, low: &[f64], high: &[f64]| seizure(d, low, high) < hi;
        let quick = |share: f64| Quick { k, share, below };
        // The loop over the groups touches only the cursors but for a search.
        let (groups, cursors, active) = (&mut self.groups, &mut self.cursors, &mut self.active);
        // A search of `order`, whose sure region is short, goes entry by entry.
        let search = |groups: &mut [Group], cursor: &mut Cursor, from: usize| {
            let group = &mut groups[cursor.group as usize];
            let quick = quick(cursor.share);
            let found = if !cursor.dirty {
                group
                    .floors
                    .find(from, cursor.end, &group.main, a, &quick, &pass)
            } else {
                (from..cursor.end).find(|&x| {
                    group
                        .dirty
                        .passes(group.order[x].1 as usize, a, &quick, &pass)
                })
            };
            match found {
                Some(x) => {
                    cursor.next = x;
                    let (part, e) = group.at(cursor.dirty, x);
                    cursor.bound = group.floor * part.key[e];
                    cursor.hi = hi;
                    let c = &part.coll[e * a..(e + 1) * a];
                    cursor.seizure = seizure(part.debt[e], c, c);
                    true
                }
                None => {
                    cursor.from = cursor.end; // Exhausted for the rest of the walk.
                    false
                }
            }
        };
        // `active` is sorted by bound. The front's bound is the least lower bound of every
        // cursor's next candidate: a candidate found at an earlier threshold is at or before
        // the current one (the entries between were refused then), and a taken one's
        // successor comes after it, so neither bound is larger. Only the front is refreshed;
        // a refresh only raises its bound, and the cursor moves back to its place.
        loop {
            let &c = active.first()?;
            let c = c as usize;
            let cursor = &mut cursors[c];
            if cursor.next != UNKNOWN && cursor.hi == hi {
                return Some((cursor.bound, c));
            }
            let from = match cursor.next {
                UNKNOWN => cursor.from,
                next => {
                    // The candidate found at a higher threshold usually passes at this one
                    // (its test, `pass`, is the seizure's; the quick test and the shares
                    // passed already): then it stays, with its bound and place.
                    if cursor.seizure < hi {
                        cursor.hi = hi;
                        return Some((cursor.bound, c));
                    }
                    next + 1
                }
            };
            if !search(groups, cursor, from) {
                active.remove(0); // Exhausted for the rest of the walk.
                continue;
            }
            let bound = cursor.bound;
            let mut i = 0;
            while i + 1 < active.len() && cursors[active[i + 1] as usize].bound < bound {
                active.swap(i, i + 1);
                i += 1;
            }
        }
    }

    /// Takes cursor `c`'s next candidate (found by [`Screen::frontier`]): its account,
    /// exact `H` at prices `p` and thresholds `lt` (the census's), debt and collateral (of
    /// the first assets, as [`Screen::scan`] passes it on).
    pub(crate) fn materialize(
        &mut self,
        c: usize,
        p: &[f64],
        lt: &[f64],
    ) -> (u32, f64, f64, &[f64]) {
        let a = self.assets;
        let cursor = &mut self.cursors[c];
        let x = cursor.next;
        cursor.from = x + 1;
        cursor.next = UNKNOWN;
        let group = &self.groups[cursor.group as usize];
        let (part, e) = group.at(cursor.dirty, x);
        let coll = &part.coll[e * a..(e + 1) * a];
        let d = part.debt[e];
        (
            part.account[e],
            health(coll, d, &group.support, p, lt),
            d,
            coll,
        )
    }

    /// Whether `f(j)` holds for a live sure account `j` of the last census whose `H` may be
    /// below `below`.
    pub(crate) fn any_sure(&self, below: f64, mut f: impl FnMut(u32) -> bool) -> bool {
        self.groups.iter().any(|group| {
            // `order` is the census's; an entry updated since has the same account, or is
            // stale (its account moved to another group).
            let (main, dirty) = (&group.main, &group.dirty);
            (group.zero..group.sure)
                .take_while(|&e| group.floor * main.key[e] < below)
                .any(|e| main.account[e] != STALE && f(main.account[e]))
                || group.order[group.dirty_zero..group.dirty_sure]
                    .iter()
                    .take_while(|x| group.floor * f64::from_bits(x.0) < below)
                    .map(|x| dirty.account[x.1 as usize])
                    .any(|j| j != STALE && f(j))
        })
    }
}

/// The exact health check of a census's candidates.
struct Exact<'a, F> {
    assets: usize,
    support: &'a [usize],
    p: &'a [f64],
    lt: &'a [f64],
    tau: f64,
    visit: &'a mut F,
    least: f64,
    /// Candidates found with `H < tau`.
    needed: usize,
    /// Candidates whose health was computed.
    computed: usize,
}

impl<F: FnMut(u32, f64, f64, &[f64])> Exact<'_, F> {
    /// Checks the live entries `entries` of `part`.
    fn check(&mut self, part: &Entries, entries: impl Iterator<Item = usize>) {
        let a = self.assets;
        for e in entries {
            if part.account[e] == STALE {
                continue;
            }
            let c = &part.coll[e * a..(e + 1) * a];
            let d = part.debt[e];
            let h = health(c, d, self.support, self.p, self.lt);
            self.least = self.least.min(h);
            self.needed += usize::from(h < self.tau);
            self.computed += 1;
            if h < 1.0 {
                (self.visit)(part.account[e], h, d, c);
            }
        }
    }

    /// Lowers `least` to the exact `H` of the live entries `entries` of `part` (sure ones,
    /// in key order) whose lower bound `floor * K` is below `least` and `min_health`.
    fn front(
        &mut self,
        part: &Entries,
        entries: impl Iterator<Item = usize>,
        floor: f64,
        min_health: f64,
    ) {
        let a = self.assets;
        for e in entries {
            if part.account[e] == STALE {
                continue;
            }
            if floor * part.key[e] >= self.least.min(min_health) {
                break;
            }
            let c = &part.coll[e * a..(e + 1) * a];
            self.least = self
                .least
                .min(health(c, part.debt[e], self.support, self.p, self.lt));
        }
    }
}

/// Sorts `xs` by key (the first of each pair) by insertion: fast on nearly sorted keys.
fn insertion_sort(xs: &mut [(u64, u32)]) {
    for i in 1..xs.len() {
        let x = xs[i];
        let mut j = i;
        while j > 0 && xs[j - 1].0 > x.0 {
            xs[j] = xs[j - 1];
            j -= 1;
        }
        xs[j] = x;
    }
}

/// Merges the runs `xs[..split]` and `xs[split..]`, each sorted by key, into one (the first
/// run's first among equal keys), from the back, with `run` as the buffer of the second.
fn merge_runs(xs: &mut [(u64, u32)], split: usize, run: &mut Vec<(u64, u32)>) {
    run.clear();
    run.extend_from_slice(&xs[split..]);
    let (mut i, mut j) = (split, run.len());
    while j > 0 {
        let w = i + j - 1;
        if i > 0 && xs[i - 1].0 > run[j - 1].0 {
            xs[w] = xs[i - 1];
            i -= 1;
        } else {
            xs[w] = run[j - 1];
            j -= 1;
        }
    }
}

/// `xs.partition_point(pred)` (`pred` true on a prefix), searched outwards from `near`
/// with steps that double, then by bisection: a few probes when the answer is close.
fn partition_near<T>(xs: &[T], near: usize, pred: impl Fn(&T) -> bool) -> usize {
    let near = near.min(xs.len());
    let (mut lo, mut hi) = (0, xs.len());
    let mut step = 1;
    if near < xs.len() && pred(&xs[near]) {
        lo = near + 1;
        while lo + step <= xs.len() {
            let at = lo + step - 1;
            if !pred(&xs[at]) {
                hi = at;
                break;
            }
            lo = at + 1;
            step *= 2;
        }
    } else {
        hi = near;
        while step <= hi {
            let at = hi - step;
            if pred(&xs[at]) {
                lo = at + 1;
                break;
            }
            hi = at;
            step *= 2;
        }
    }
    lo + xs[lo..hi].partition_point(pred)
}

/// The lesser of `x` and `y`, for bounds (one instruction; unlike `f64::min`, no case for
/// NaN, which the index never holds).
#[inline(always)]
pub(crate) fn lesser(x: f64, y: f64) -> f64 {
    if y < x { y } else { x }
}

/// The greater of `x` and `y`, for bounds (see [`lesser`]).
#[inline(always)]
pub(crate) fn greater(x: f64, y: f64) -> f64 {
    if y > x { y } else { x }
}

/// `share[i] = c_i P_i / max_j c_j P_j` of holdings `c` at reference prices `P`
/// (`reference`), all 0 without collateral ([`Floors`]).
fn shares(c: &[f64], reference: &[f64], share: &mut [f64]) {
    let top = c
        .iter()
        .zip(reference)
        .fold(0.0, |x: f64, (&c, &p)| x.max(c * p));
    for ((s, &c), &p) in share.iter_mut().zip(c).zip(reference) {
        *s = if top > 0.0 { c * p / top } else { 0.0 };
    }
}

/// `H = num / d` of an account with collateral `c` (every asset) and debt `d` at prices
/// `p` and thresholds `lt`: the full pass's sum over every asset with `lt != 0`, in asset
/// order, without the assets outside the support `support`: their terms are zeros, which
/// leave the sum's bits unchanged.
fn health(c: &[f64], d: f64, support: &[usize], p: &[f64], lt: &[f64]) -> f64 {
    let mut num = 0.0;
    for &i in support {
        num += c[i] * p[i] * lt[i];
    }
    num / d
}

/// The terms `c_i p_i lt_i` of holdings `c` at prices `p` and thresholds `lt` for a
/// support of two assets (zeros for another support).
fn terms(c: &[f64], p: &[f64], lt: &[f64], support: &[usize]) -> (f64, f64) {
    let [i, k] = support else { return (0.0, 0.0) };
    (c[*i] * p[*i] * lt[*i], c[*k] * p[*k] * lt[*k])
}

/// Range `b` of the [`MIXES`] ranges `[b / MIXES, (b + 1) / MIXES]` of the mix that split
/// the groups of two-asset accounts.
fn mix_range(b: usize) -> (f64, f64) {
    (b as f64 / MIXES as f64, (b + 1) as f64 / MIXES as f64)
}

/// The range ([`mix_range`]) holding the mix of holdings `c` at prices `p` and thresholds
/// `lt` (for a support of two assets: the first's share `x / (x + y)` of `sum_i c_i p_i
/// lt_i`, 0 when the sum is 0): the number of inner bounds `hi` with `x >= hi (x + y)`,
/// tested by products (no division: this runs at every update); it may differ from the
/// quotient's test by a few roundings, far inside the census's widening of the range.
fn mix_bin(c: &[f64], p: &[f64], lt: &[f64], support: &[usize]) -> usize {
    let (x, y) = terms(c, p, lt, support);
    let sum = x + y;
    if sum > 0.0 {
        (0..MIXES - 1)
            .filter(|&b| x >= mix_range(b).1 * sum)
            .count()
    } else {
        0
    }
}

/// The range of mixes at the reference `(P, LT)` of the accounts whose mix at the index
/// `(P0, LT0)` is in `range` (a support `[i, k]` of two assets). The odds `w / (1 - w)` of
/// a mix are `c_i P_i LT_i / (c_k P_k LT_k)`, so they scale by the same `rho = (P_i LT_i /
/// (P0_i LT0_i)) / (P_k LT_k / (P0_k LT0_k))` for every account: `w' = w rho / (w rho + 1 -
/// w)`, increasing in `w`. Its few roundings are far inside the census's widening.
fn remix(
    (lo, hi): (f64, f64),
    support: &[usize],
    (p0, lt0): (&[f64], &[f64]),
    (p, lt): (&[f64], &[f64]),
) -> (f64, f64) {
    let &[i, k] = support else {
        return (lo, hi);
    };
    let rho = (p[i] * lt[i] / (p0[i] * lt0[i])) / (p[k] * lt[k] / (p0[k] * lt0[k]));
    let at = |w: f64| {
        if w >= 1.0 {
            1.0
        } else {
            w * rho / (w * rho + (1.0 - w))
        }
    };
    (at(lo), at(hi))
}

/// Rule 3's seized asset for holdings `c` of the first `c.len()` assets (the others hold
/// none) at prices `p` ([`seized_asset`]), or `c.len()` without collateral.
fn largest(c: &[f64], p: &[f64]) -> usize {
    seized_asset(&p[..c.len()], |i| c[i]).map_or(c.len(), |(k, _)| k)
}

/// `K = H` at prices `p` of an account with collateral `c` (of the index's assets) and debt
/// `d`, or 0 when a term or the debt is too small for the bound's relative accuracy (or the
/// key is not finite), so that the account is always checked.
fn key(c: &[f64], d: f64, p: &[f64], lt: &[f64], support: &[usize]) -> f64 {
    if d < TINY {
        return 0.0;
    }
    // The full pass's sum without the zero terms outside the support ([`health`]).
    let mut num = 0.0;
    for &i in support {
        let term = c[i] * p[i] * lt[i];
        if term < TINY {
            return 0.0;
        }
        num += term;
    }
    let k = num / d;
    if k.is_finite() { k } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `partition_near` agrees with `partition_point` from every starting place.
    #[test]
    fn partition_near_agrees_with_partition_point() {
        for n in 0..40 {
            let xs: Vec<usize> = (0..n).collect();
            for cut in 0..=n {
                for near in 0..=n + 2 {
                    let got = partition_near(&xs, near, |&x| x < cut);
                    assert_eq!(got, cut, "n {n} cut {cut} near {near}");
                }
            }
        }
    }

    /// Two runs sorted by insertion and merged give the keys in order, the first run's
    /// pairs first among equal keys.
    #[test]
    fn runs_sort_and_merge() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut run = Vec::new();
        for n in 0..60 {
            let split = rng.random_range(0..=n);
            // Few distinct keys, so that ties are common; the slot says which run.
            let mut xs: Vec<(u64, u32)> = (0..n)
                .map(|i| (rng.random_range(0..8), u32::from(i >= split)))
                .collect();
            let mut want = xs.clone();
            want.sort_by_key(|x| x.0); // Stable: the first run's pairs first.
            insertion_sort(&mut xs[..split]);
            insertion_sort(&mut xs[split..]);
            merge_runs(&mut xs, split, &mut run);
            assert_eq!(xs, want, "n {n} split {split}");
        }
    }

    /// A refreshed leaf, and every node above it, has the bounds a tree built afresh over
    /// the live entries has.
    #[test]
    fn refresh_gives_the_bounds_of_the_live_entries() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let (n, a) = (300, 2);
        let reference = [2000.0, 30000.0];
        let mut main = Entries::default();
        for j in 0..n {
            let c = [rng.random_range(0.0..5.0), rng.random_range(0.0..0.3)];
            main.push(j as f64, j, rng.random_range(1.0..1e4), &c, &reference);
        }
        let mut floors = Floors::default();
        floors.build(&main, a);
        for _ in 0..100 {
            let e = rng.random_range(0..n as usize);
            if main.account[e] != STALE {
                main.account[e] = STALE;
                floors.kill(e);
            }
        }
        for b in 0..n as usize / BUCKET + 1 {
            floors.refresh(b, &main, a);
        }
        let mut fresh = Floors::default();
        fresh.build(&main, a);
        assert_eq!(floors.nodes, fresh.nodes);
        assert_eq!(floors.live, fresh.live);
        assert_ne!(
            floors.nodes[stride(a)],
            f64::INFINITY,
            "the root covers live entries"
        );
    }

    /// An account whose mix at the index prices is in a range has its mix at other prices
    /// and thresholds in the range's image by `remix`, to far inside the census's widening.
    #[test]
    fn remix_maps_the_mix_ranges() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let support = [0, 2];
        let mix = |c: &[f64], p: &[f64], lt: &[f64]| {
            let (x, y) = terms(c, p, lt, &support);
            x / (x + y)
        };
        for _ in 0..10_000 {
            let mut draw = |r: std::ops::Range<f64>| [0, 1, 2].map(|_| rng.random_range(r.clone()));
            let (c, p0, p) = (draw(0.0..1e3), draw(1.0..1e4), draw(1.0..1e4));
            let (lt0, lt) = (draw(0.1..0.95), draw(0.1..0.95));
            let w0 = mix(&c, &p0, &lt0);
            let range = mix_range(mix_bin(&c, &p0, &lt0, &support));
            assert!(range.0 - 1e-12 <= w0 && w0 <= range.1 + 1e-12);
            let (lo, hi) = remix(range, &support, (&p0, &lt0), (&p, &lt));
            let w = mix(&c, &p, &lt);
            assert!(
                lo - 1e-12 <= w && w <= hi + 1e-12,
                "{w} not in [{lo}, {hi}]"
            );
        }
    }

    /// Brute force, across price moves, liquidation-like updates and re-sorts: every
    /// account with `H < 1` is either passed on with its exact `H` or in a sure region
    /// (counted, recorded once), and the minimum is exact where it matters; a walk with a
    /// shrinking gate threshold takes sure accounts in exact `(H, account)` order, never
    /// skips one the threshold still admits, and `any_sure` offers every sure account
    /// below its bound. The last asset, which no account holds, is left out of the index.
    #[test]
    fn census_and_walk_agree_with_brute_force() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (n, a) = (500, 4);
        let mut lt = vec![0.8, 0.75, 0.0, 0.6];
        let mut debt: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..2000.0)).collect();
        debt[3] = 0.0;
        let mut coll = vec![0.0; n * a];
        for j in 0..n {
            for i in 0..a - 1 {
                if rng.random_bool(0.6) {
                    coll[i * n + j] = rng.random_range(0.0..2.0);
                }
            }
        }
        let mut p = vec![1000.0, 1500.0, 1.0, 3.0];
        let mut screen = Screen::new(n);
        screen.rebuild(&debt, &coll, &p, &lt);
        let mut health = vec![0.0; n];
        let mut order = Vec::new();
        let mut seen = vec![(0.0, vec![0.0; a - 1]); n];
        let mut first = vec![u32::MAX; n];
        let mut want_first = vec![u32::MAX; n];
        let mut pending: Vec<(f64, u32)> = Vec::new();
        // Sure accounts, those taken by walks and those skipped, over all steps.
        let (mut sure_total, mut taken_total, mut skipped_total) = (0, 0, 0);
        for step in 0..300u32 {
            if step == 150 {
                lt = vec![0.7, 0.0, 0.5, 0.6]; // New zeros: the index is rebuilt.
            }
            if step > 200 {
                lt[0] = 0.5 + 0.3 * (f64::from(step) * 0.7).sin().abs(); // Moving thresholds.
            }
            for x in &mut p[..2] {
                *x *= (rng.random_range(-0.05..0.05_f64)).exp();
            }
            let min_health = if step % 3 == 0 { 0.9 } else { 1.3 };
            order.clear();
            let census = screen.scan(&debt, &coll, &p, &lt, min_health, |j, h, d, c| {
                health[j as usize] = h;
                seen[j as usize] = (d, c.to_vec());
                order.push(j);
            });
            let exact = |j: usize| {
                let mut num = 0.0;
                for i in 0..a {
                    if lt[i] != 0.0 {
                        num += coll[i * n + j] * p[i] * lt[i];
                    }
                }
                num / debt[j]
            };
            // The index holds the assets but the last (no account holds it).
            let copy = |j: usize| {
                (
                    debt[j],
                    (0..a - 1).map(|i| coll[i * n + j]).collect::<Vec<_>>(),
                )
            };
            let mut sure = Vec::new();
            for g in &screen.groups {
                let live = (g.zero..g.sure).map(|e| g.main.account[e]);
                sure.extend(live.filter(|&j| j != STALE));
                let order = &g.order[g.dirty_zero..g.dirty_sure];
                sure.extend(order.iter().map(|x| g.dirty.account[x.1 as usize]));
            }
            assert_eq!(census.sure, sure.len() as u64, "step {step}");
            // Each group's `order` is its live dirty entries, sorted, once settled.
            for g in &screen.groups {
                let dirty = &g.dirty;
                let mut live: Vec<(u64, u32)> = (0..dirty.len())
                    .filter(|&e| dirty.account[e] != STALE)
                    .map(|e| (dirty.key[e].to_bits(), e as u32))
                    .collect();
                live.sort_unstable();
                assert_eq!(g.order, live, "step {step}: order");
            }
            let mut want = Vec::new();
            let mut want_min = f64::INFINITY;
            for j in (0..n).filter(|&j| debt[j] > 0.0) {
                let h = exact(j);
                want_min = want_min.min(h);
                if h < 1.0 {
                    want.push(j as u32);
                    if !sure.contains(&(j as u32)) {
                        assert_eq!(health[j].to_bits(), h.to_bits());
                        assert_eq!(seen[j], copy(j), "account {j}'s copy");
                    }
                    if want_first[j] == u32::MAX {
                        want_first[j] = step;
                    }
                }
            }
            let mut found: Vec<u32> = order.iter().chain(&sure).copied().collect();
            found.sort_unstable();
            assert_eq!(found, want, "step {step}");
            assert_eq!(
                census.least.min(min_health).to_bits(),
                want_min.min(min_health).to_bits()
            );
            // The census records the sure accounts; the caller, the others.
            screen.record(step, &mut first);
            for &j in &order {
                if first[j as usize] == u32::MAX {
                    first[j as usize] = step;
                }
            }
            assert_eq!(first, want_first, "step {step}");

            // A walk of asset 0 or 1: an account of the asset is one whose holding value
            // c_i p_i is the largest, and its seizure is min(0.525 D, c_i p_i); the gate's
            // threshold starts near the median seizure and shrinks after each account taken.
            let k = (step % 2) as usize;
            let held = |c: &[f64]| c.iter().zip(&p).fold(0.0, |x: f64, (&c, &p)| x.max(c * p));
            let least = |d: f64, low: &[f64], high: &[f64]| {
                let top = high[k] * p[k];
                if top > 0.0 && top >= held(low) {
                    (0.5 * d * 1.05).min(held(low))
                } else {
                    f64::INFINITY
                }
            };
            let of_k = |c: &[f64]| c[k] * p[k] > 0.0 && c[k] * p[k] >= held(c);
            let mut hi = rng.random_range(0.0..1500.0);
            let mut taken: Vec<(f64, u32)> = Vec::new();
            assert!(
                !screen.start_walk(a - 1, &p),
                "no account holds the last asset"
            );
            screen.start_walk(k, &p);
            pending.clear();
            loop {
                // min(0.525 D, c_k p_k) < hi needs D < hi / 0.525 or c_k < hi / p_k (with
                // room for the roundings).
                let below = SeizureBelow {
                    debt: hi / 0.525 * (1.0 + 1e-9),
                    holding: hi / p[k] * (1.0 + 1e-9),
                };
                let frontier = screen.frontier(hi, below, &least);
                let bound = frontier.map_or(f64::INFINITY, |(b, _)| b);
                match (pending.last(), frontier) {
                    (Some(&(h, j)), _) if h < bound => {
                        pending.pop();
                        taken.push((h, j));
                        hi *= rng.random_range(0.8..1.0);
                    }
                    (_, Some((_, g))) => {
                        let (j, h, d, c) = screen.materialize(g, &p, &lt);
                        assert!(sure.contains(&j));
                        assert_eq!(h.to_bits(), exact(j as usize).to_bits());
                        assert_eq!((d, c.to_vec()), copy(j as usize));
                        if of_k(c) {
                            let at = pending.partition_point(|&(x, y)| (x, y) > (h, j));
                            pending.insert(at, (h, j));
                        }
                    }
                    (_, None) => break,
                }
            }
            assert!(taken.windows(2).all(|w| w[0] < w[1]), "step {step}: order");
            sure_total += sure.len();
            taken_total += taken.len();
            skipped_total += sure
                .iter()
                .filter(|&&j| !taken.iter().any(|x| x.1 == j))
                .count();
            for &j in &sure {
                let (d, c) = copy(j as usize);
                let is_taken = taken.iter().any(|x| x.1 == j);
                if of_k(&c) && least(d, &c, &c) < hi {
                    assert!(is_taken, "step {step}: {j} skipped");
                }
                if !of_k(&c) {
                    assert!(!is_taken, "step {step}: {j} is not of asset {k}");
                }
            }
            // Every sure account below the bound is offered.
            let mut offered = Vec::new();
            screen.any_sure(0.6, |j| {
                offered.push(j);
                false
            });
            for &j in &sure {
                assert!(exact(j as usize) >= 0.6 || offered.contains(&j));
            }
            assert!(offered.iter().all(|j| sure.contains(j)));

            // Change a few liquidatable accounts as liquidations would (only those are
            // updated, [`Screen::update`]).
            for _ in 0..5 {
                if want.is_empty() {
                    break;
                }
                let j = want[rng.random_range(0..want.len())] as usize;
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
        assert!(sure_total > 1000 && taken_total > 100 && skipped_total > 100);
    }
}
