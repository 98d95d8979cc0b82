//! Reputation-tiered requirements along one path ([`crunch_core::reputation`];
//! `scenarios/README.md`, "Reputation tiers"): each account's score and tier, the
//! tier-adjusted terms of the policy in force, the scores' end-of-step updates and the
//! per-tier metrics. The step loop calls into it at fixed points:
//!
//! 1. after the policy's requirements of step `t` are known: [`Tiers::set_terms`];
//! 2. after the health numerators: [`Tiers::numerators`] (accounts of an adjusting tier
//!    get their tier's `lt`), then [`Tiers::observe`] (each account's `H(t)`);
//! 3. when a liquidatable account's terms are set: [`Tiers::terms`];
//! 4. after the step's liquidations and bad debt: [`Tiers::liquidated`],
//!    [`Tiers::bad_debt`], then [`Tiers::end_step`] (the score update, which sets the
//!    tiers of step `t + 1`).
//!
//! Scores therefore use only steps `<= t` and terms at step `t` only steps `< t`.

use crunch_core::{Book, Reputation, Requirements, TierOutcome};

/// Per-worker buffers of the reputation state, reused across paths.
#[derive(Debug, Clone, Default)]
pub(crate) struct Track {
    /// `s_j`: each account's score in force (updated at the end of each step).
    scores: Vec<f64>,
    /// Each account's tier in force at the current step.
    tier: Vec<u32>,
    /// Each account's tier at step 0 (the cohort its metrics count in).
    cohort: Vec<u32>,
    /// `H_j(t)` before the current step's liquidations (`+inf` without debt).
    health: Vec<f64>,
    /// Whether a liquidator acted on each account at the current step.
    hit: Vec<bool>,
    /// `lt[k * A + i]`: tier `k`'s `lt` of asset `i` at the current step.
    lt: Vec<f64>,
    /// `bonus[k * A + i]`: tier `k`'s bonus of asset `i` at the current step.
    bonus: Vec<f64>,
    /// Per-tier metrics of the path.
    out: Vec<TierOutcome>,
}

/// One path's reputation state under one policy.
pub(crate) struct Tiers<'s> {
    model: &'s Reputation,
    track: &'s mut Track,
    /// Whether the policy applies the tiers' adjustments and some tier adjusts.
    adjust: bool,
    assets: usize,
}

impl<'s> Tiers<'s> {
    /// Starts a path: scores from the book (the lowest score for a book without scores),
    /// tiers and cohorts from them, metrics at zero. `policy` is the policy's index.
    pub(crate) fn start(
        model: &'s Reputation,
        track: &'s mut Track,
        book: &Book,
        policy: usize,
    ) -> Self {
        let (n, a, k) = (book.len(), book.assets(), model.tiers.len());
        track.scores.clear();
        if book.scores.len() == n {
            track.scores.extend_from_slice(&book.scores);
        } else {
            track.scores.resize(n, model.update.min);
        }
        track.tier.clear();
        track
            .tier
            .extend(track.scores.iter().map(|&s| model.tier(s) as u32));
        track.cohort.clone_from(&track.tier);
        track.health.clear();
        track.health.resize(n, f64::INFINITY);
        track.hit.clear();
        track.hit.resize(n, false);
        track.lt.clear();
        track.lt.resize(k * a, 0.0);
        track.bonus.clear();
        track.bonus.resize(k * a, 0.0);
        track.out.clear();
        track.out.resize(k, TierOutcome::default());
        for &t in &track.cohort {
            track.out[t as usize].accounts += 1;
        }
        let adjust = model.applies(policy) && model.tiers.iter().any(|t| !t.neutral());
        Self {
            model,
            track,
            adjust,
            assets: a,
        }
    }

    /// Whether some account may get terms other than the policy's (the per-account terms
    /// route of the step loop is then needed).
    pub(crate) fn adjusts(&self) -> bool {
        self.adjust
    }

    /// The tier account `j` is in at the current step, if it adjusts the policy's terms.
    fn adjusting(&self, j: usize) -> Option<usize> {
        let k = self.track.tier[j] as usize;
        (self.adjust && !self.model.tiers[k].neutral()).then_some(k)
    }

    /// Each tier's `lt` and bonus per asset from the policy's requirements of the step.
    pub(crate) fn set_terms(&mut self, req: &Requirements) {
        if !self.adjust {
            return;
        }
        let a = self.assets;
        for (k, tier) in self.model.tiers.iter().enumerate() {
            for i in 0..a {
                self.track.lt[k * a + i] = tier.lt(req.lt[i], self.model.max_lt);
                self.track.bonus[k * a + i] = tier.bonus(req.bonus[i]);
            }
        }
    }

    /// `num[j] = sum_i c[j][i] p[i] lt_i(k)` with tier `k`'s `lt` for every account of an
    /// adjusting tier; the others keep the policy's numerator.
    pub(crate) fn numerators(&self, coll: &[f64], n: usize, p: &[f64], num: &mut [f64]) {
        if !self.adjust {
            return;
        }
        let a = self.assets;
        for (j, x) in num.iter_mut().enumerate() {
            if let Some(k) = self.adjusting(j) {
                let lt = &self.track.lt[k * a..(k + 1) * a];
                *x = (0..a).map(|i| coll[i * n + j] * p[i] * lt[i]).sum();
            }
        }
    }

    /// The (bonus, lt) of asset `k` for account `j`: its tier's, or the policy's `bonus`
    /// and `lt` given.
    pub(crate) fn terms(&self, j: usize, k: usize, bonus: f64, lt: f64) -> (f64, f64) {
        match self.adjusting(j) {
            Some(t) => {
                let x = t * self.assets + k;
                (self.track.bonus[x], self.track.lt[x])
            }
            None => (bonus, lt),
        }
    }

    /// Account `j`'s `ltv` of asset `i` at step 0 for the policy's `ltv` (its tier's,
    /// bounded by its tier's `lt`).
    pub(crate) fn ltv(&self, j: usize, i: usize, ltv: f64) -> f64 {
        match self.adjusting(j) {
            Some(k) => self.model.tiers[k].ltv(ltv, self.track.lt[k * self.assets + i]),
            None => ltv,
        }
    }

    /// Adds account `j`'s step-0 debt, collateral value and borrowing power (as applied,
    /// and with the policy's `ltv`) to its cohort.
    pub(crate) fn initial(&mut self, j: usize, debt: f64, value: f64, power: f64, flat: f64) {
        let o = &mut self.track.out[self.track.cohort[j] as usize];
        o.initial_debt += debt;
        o.initial_collateral += value;
        o.initial_borrowing_power += power;
        o.flat_borrowing_power += flat;
    }

    /// Records `H_j(t) = num[j] / D_j` before the step's liquidations (`+inf` without
    /// debt).
    pub(crate) fn observe(&mut self, debt: &[f64], num: &[f64]) {
        for ((h, &d), &x) in self.track.health.iter_mut().zip(debt).zip(num) {
            *h = if d > 0.0 { x / d } else { f64::INFINITY };
        }
    }

    /// Records the accounts a liquidator acted on at the step (each at most once).
    pub(crate) fn liquidated(&mut self, acted: &[u32]) {
        for &j in acted {
            let j = j as usize;
            self.track.hit[j] = true;
            self.track.out[self.track.cohort[j] as usize].liquidations += 1;
        }
    }

    /// Adds bad debt `x` (realised, or open at `T`) of account `j` to its cohort.
    pub(crate) fn bad_debt(&mut self, j: usize, x: f64) {
        self.track.out[self.track.cohort[j] as usize].bad_debt += x;
    }

    /// The end of a step `t >= 1`: every score moves by the step's own record
    /// ([`crunch_core::ScoreUpdate::next`]) and sets the tier of step `t + 1`.
    pub(crate) fn end_step(&mut self) {
        let t = &mut *self.track;
        for j in 0..t.scores.len() {
            t.scores[j] = self.model.update.next(t.scores[j], t.health[j], t.hit[j]);
            t.tier[j] = self.model.tier(t.scores[j]) as u32;
            t.hit[j] = false;
        }
    }

    /// Every account's score in force.
    pub(crate) fn scores(&self) -> &[f64] {
        &self.track.scores
    }

    /// The path's per-tier metrics; `liquidated[j]`: whether account `j` was liquidated
    /// at least once.
    pub(crate) fn finish(self, liquidated: &[bool]) -> Vec<TierOutcome> {
        let t = self.track;
        for (j, &hit) in liquidated.iter().enumerate() {
            if hit {
                t.out[t.cohort[j] as usize].liquidated_accounts += 1;
            }
            t.out[t.tier[j] as usize].final_accounts += 1;
        }
        t.out.clone()
    }
}
