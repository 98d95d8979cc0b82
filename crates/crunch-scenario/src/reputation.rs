//! Validation of `[reputation]` (reputation-tiered requirements), every problem recorded
//! with its line and key; the book generator's `[[book.generator.scores]]`.

use crate::raw::{RawReputation, RawScoreGroup, SNum};
use crate::validate::{Validator, finite, non_negative};
use crunch_book::ScoreGroup;
use crunch_core::{Frictions, MarginPolicy, Reputation, RuleSet, ScoreUpdate, Tier};
use toml::Spanned;

/// `max_lt` when `[reputation]` does not set it.
const MAX_LT: f64 = 0.95;

/// An adjustment: a finite number in `[-1, 1]`.
fn adjustment(v: f64) -> bool {
    v.is_finite() && v.abs() <= 1.0
}

impl Validator<'_> {
    /// `[reputation]`: tiers sorted by `min_score` with the first at or below the lowest
    /// score, adjustments in `[-1, 1]`, `0 < max_lt < 1`, non-negative gains and losses,
    /// `near_health >= 1`, bounds `lo < hi`, known policy names; not combined with an
    /// e-mode category, isolation mode or Compound v3 absorption.
    pub(crate) fn reputation(
        &mut self,
        raw: &Spanned<RawReputation>,
        policies: &[Box<dyn MarginPolicy>],
        frictions: &Frictions,
    ) -> Reputation {
        let r = raw.get_ref();
        if frictions.emode.is_some() {
            self.issue(
                raw.span(),
                "reputation",
                "cannot be combined with [protocol.emode] yet (both set per-account terms)",
            );
        }
        if matches!(frictions.rules, RuleSet::CompoundV3(_)) {
            self.issue(
                raw.span(),
                "reputation",
                "cannot be combined with `protocol.rules = \"compound-v3\"` (absorption \
                 has no per-account terms)",
            );
        }
        if !frictions.isolation.is_empty() {
            self.issue(
                raw.span(),
                "reputation",
                "cannot be combined with [protocol.isolation] yet (the tiers' borrowing power \
                 would not count the debt ceilings)",
            );
        }
        let update = self.score_update(&r.update);
        let max_lt = r.max_lt.as_ref().map_or(MAX_LT, |x| {
            self.num(
                x,
                "reputation.max_lt",
                |v| v > 0.0 && v < 1.0,
                "must be in (0, 1)",
            )
        });
        let mut tiers: Vec<Tier> = Vec::new();
        if r.tiers.get_ref().is_empty() {
            self.issue(
                r.tiers.span(),
                "reputation.tiers",
                "needs at least one tier",
            );
        }
        for (k, raw_tier) in r.tiers.get_ref().iter().enumerate() {
            let key = |f: &str| format!("reputation.tiers[{k}].{f}");
            let t = raw_tier.get_ref();
            let min_score = self.num(&t.min_score, &key("min_score"), finite, "must be finite");
            match tiers.last() {
                None if min_score > update.min => self.issue(
                    t.min_score.span(),
                    key("min_score"),
                    format!(
                        "the first tier must start at or below the lowest score ({}), got \
                         {min_score}",
                        update.min
                    ),
                ),
                Some(prev) if min_score <= prev.min_score => self.issue(
                    t.min_score.span(),
                    key("min_score"),
                    format!(
                        "tiers must be sorted by increasing min_score: {min_score} is not \
                         above {}",
                        prev.min_score
                    ),
                ),
                _ => {}
            }
            let mut adj = |x: &Option<SNum>, f: &str| {
                x.as_ref().map_or(0.0, |x| {
                    self.num(x, &key(f), adjustment, "must be in [-1, 1]")
                })
            };
            tiers.push(Tier {
                min_score,
                ltv: adj(&t.ltv, "ltv"),
                lt: adj(&t.lt, "lt"),
                bonus: adj(&t.bonus, "bonus"),
            });
        }
        let applying = self.policy_list(&r.policies, "reputation.policies", policies);
        Reputation {
            tiers,
            update,
            max_lt,
            policies: applying,
        }
    }

    /// `[reputation.update]`.
    fn score_update(&mut self, raw: &Spanned<crate::raw::RawScoreUpdate>) -> ScoreUpdate {
        let u = raw.get_ref();
        let key = |f: &str| format!("reputation.update.{f}");
        let mut amount = |x: &SNum, f: &str| self.num(x, &key(f), non_negative, "must be >= 0");
        let healthy_gain = amount(&u.healthy_gain, "healthy_gain");
        let liquidation_loss = amount(&u.liquidation_loss, "liquidation_loss");
        let near_loss = amount(&u.near_loss, "near_loss");
        let near_health = self.num(
            &u.near_health,
            &key("near_health"),
            |v| v.is_finite() && v >= 1.0,
            "must be >= 1 (a health factor)",
        );
        let (min, max) = match &u.bounds {
            Some(b) => {
                let [lo, hi] = *b.get_ref();
                if !(lo.0.is_finite() && hi.0.is_finite() && lo.0 < hi.0) {
                    self.issue(
                        b.span(),
                        key("bounds"),
                        format!(
                            "must be [lo, hi] with lo < hi (finite), got [{}, {}]",
                            lo.0, hi.0
                        ),
                    );
                }
                (lo.0, hi.0)
            }
            None => (0.0, 1.0),
        };
        ScoreUpdate {
            healthy_gain,
            liquidation_loss,
            near_health,
            near_loss,
            min,
            max,
        }
    }
}

/// `[[book.generator.scores]]` as the generator's groups (which it checks).
pub(crate) fn score_groups(raw: &[RawScoreGroup]) -> Vec<ScoreGroup> {
    raw.iter()
        .map(|x| ScoreGroup {
            share: x.share.get_ref().0,
            score: x.score.get_ref().0,
            utilisation: x.utilisation.as_ref().map(|u| {
                let [lo, hi] = *u.get_ref();
                (lo.0, hi.0)
            }),
        })
        .collect()
}
