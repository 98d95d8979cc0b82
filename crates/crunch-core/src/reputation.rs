//! Reputation-tiered requirements (`[reputation]`, `scenarios/README.md`, "Reputation
//! tiers"): every account carries a score that moves along the path with its own record,
//! and a policy maps score tiers to bounded adjustments of its per-asset `ltv`, `lt` and
//! `bonus`. A score uses only the past: the terms of step `t` are set by the score after
//! step `t - 1`.

/// One tier: the accounts with `min_score <= score` (below the next tier's `min_score`)
/// and the additive adjustments of the policy's terms they get.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    /// Lowest score of the tier.
    pub min_score: f64,
    /// Added to each asset's `ltv`.
    pub ltv: f64,
    /// Added to each asset's `lt`.
    pub lt: f64,
    /// Added to each asset's `bonus`.
    pub bonus: f64,
}

impl Tier {
    /// Whether the tier leaves the policy's terms as they are.
    pub fn neutral(&self) -> bool {
        self.ltv == 0.0 && self.lt == 0.0 && self.bonus == 0.0
    }

    /// The tier's `lt` for an asset the policy gives `lt`: `clamp(lt + dlt, 0, max_lt)`;
    /// unchanged when `dlt = 0` or `lt = 0` (an adjustment never makes an asset the
    /// policy does not accept into collateral).
    pub fn lt(&self, lt: f64, max_lt: f64) -> f64 {
        if self.lt == 0.0 || lt == 0.0 {
            lt
        } else {
            (lt + self.lt).clamp(0.0, max_lt.max(lt))
        }
    }

    /// The tier's `ltv` for an asset with policy `ltv` and tier-adjusted `lt` (from
    /// [`lt`](Self::lt)): `min(max(ltv + dltv, 0), lt)`, so that `0 <= ltv <= lt`;
    /// `min(ltv, lt)` when `dltv = 0`.
    pub fn ltv(&self, ltv: f64, lt: f64) -> f64 {
        if self.ltv == 0.0 {
            ltv.min(lt)
        } else {
            (ltv + self.ltv).max(0.0).min(lt)
        }
    }

    /// The tier's bonus for an asset with policy `bonus`: `max(0, bonus + dbonus)`.
    pub fn bonus(&self, bonus: f64) -> f64 {
        if self.bonus == 0.0 {
            bonus
        } else {
            (bonus + self.bonus).max(0.0)
        }
    }
}

/// How a score moves at each step `t >= 1`, from that step's own record only:
///
/// `s(t) = clamp(s(t-1) + gain 1[healthy] - liquidation_loss 1[liquidated]
///              - near_loss 1[near miss], min, max)`
///
/// where, with `H(t)` the account's health factor at step `t` before the step's
/// liquidations (under its own tier's terms; `+inf` without debt): *liquidated* means a
/// liquidator acted on the account at step `t`; *near miss* means not liquidated and
/// `H(t) < near_health`; *healthy* means neither.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreUpdate {
    /// Added at a healthy step.
    pub healthy_gain: f64,
    /// Subtracted at a step the account is liquidated.
    pub liquidation_loss: f64,
    /// Health below which a step that is not a liquidation is a near miss (`>= 1`).
    pub near_health: f64,
    /// Subtracted at a near miss.
    pub near_loss: f64,
    /// Lowest score.
    pub min: f64,
    /// Highest score.
    pub max: f64,
}

impl ScoreUpdate {
    /// The score after a step with health `health` (before the step's liquidations) at
    /// which the account was or was not `liquidated`, from the score `score` before it.
    pub fn next(&self, score: f64, health: f64, liquidated: bool) -> f64 {
        let change = if liquidated {
            -self.liquidation_loss
        } else if health < self.near_health {
            -self.near_loss
        } else {
            self.healthy_gain
        };
        (score + change).clamp(self.min, self.max)
    }
}

/// A scenario's reputation model: tiers sorted by `min_score` (the first at or below
/// the lowest score), the score dynamics, and the policies whose terms the tiers adjust.
/// Every policy tracks scores and reports per-tier metrics; only the listed ones apply
/// the adjustments. Scores at step 0 are the book's ([`crate::Book::scores`]); the engine
/// starts the accounts of a book without scores at `update.min`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reputation {
    /// Tiers in increasing `min_score`.
    pub tiers: Vec<Tier>,
    /// Score dynamics.
    pub update: ScoreUpdate,
    /// Highest `lt` a raise may reach (`< 1`).
    pub max_lt: f64,
    /// Indices (scenario order) of the policies that apply the tiers' adjustments.
    pub policies: Vec<usize>,
}

impl Reputation {
    /// The tier of `score`: the last tier whose `min_score <= score` (the first tier for
    /// a score below every `min_score`).
    pub fn tier(&self, score: f64) -> usize {
        self.tiers
            .iter()
            .rposition(|t| t.min_score <= score)
            .unwrap_or(0)
    }

    /// Whether policy `policy` (scenario order) applies the adjustments.
    pub fn applies(&self, policy: usize) -> bool {
        self.policies.contains(&policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Reputation {
        let tier = |min_score, ltv, lt, bonus| Tier {
            min_score,
            ltv,
            lt,
            bonus,
        };
        Reputation {
            tiers: vec![
                tier(0.0, -0.05, -0.05, 0.02),
                tier(0.5, 0.0, 0.0, 0.0),
                tier(0.8, 0.05, 0.03, -0.01),
            ],
            update: ScoreUpdate {
                healthy_gain: 0.01,
                liquidation_loss: 0.5,
                near_health: 1.05,
                near_loss: 0.1,
                min: 0.0,
                max: 1.0,
            },
            max_lt: 0.9,
            policies: vec![1],
        }
    }

    #[test]
    fn tiers_map_scores_by_hand() {
        let r = model();
        // [0, 0.5) -> 0, [0.5, 0.8) -> 1, [0.8, 1] -> 2; the bounds belong to the upper
        // tier.
        let tiers: Vec<usize> = [0.0, 0.49, 0.5, 0.79, 0.8, 1.0]
            .iter()
            .map(|&s| r.tier(s))
            .collect();
        assert_eq!(tiers, [0, 0, 1, 1, 2, 2]);
        assert_eq!(r.tier(-1.0), 0);
        assert!(r.applies(1) && !r.applies(0));
        assert!(r.tiers[1].neutral() && !r.tiers[0].neutral());
    }

    #[test]
    fn adjustments_are_bounded_by_hand() {
        let [low, mid, high] = [model().tiers[0], model().tiers[1], model().tiers[2]];
        // Policy ETH: ltv 0.80, lt 0.825, bonus 0.05.
        // Low: lt 0.825 - 0.05 = 0.775, ltv 0.80 - 0.05 = 0.75, bonus 0.07.
        assert!((low.lt(0.825, 0.9) - 0.775).abs() < 1e-15);
        assert!((low.ltv(0.80, 0.775) - 0.75).abs() < 1e-15);
        assert!((low.bonus(0.05) - 0.07).abs() < 1e-15);
        // High: lt 0.855, ltv 0.85, bonus 0.04.
        assert!((high.lt(0.825, 0.9) - 0.855).abs() < 1e-15);
        assert!((high.ltv(0.80, 0.855) - 0.85).abs() < 1e-15);
        assert!((high.bonus(0.05) - 0.04).abs() < 1e-15);
        // Caps: lt 0.89 + 0.03 stops at max_lt 0.9; ltv 0.88 + 0.05 stops at that lt;
        // a bonus of 0.005 - 0.01 stops at 0; lt 0.03 - 0.05 stops at 0.
        assert_eq!(high.lt(0.89, 0.9), 0.9);
        assert_eq!(high.ltv(0.88, 0.9), 0.9);
        assert_eq!(high.bonus(0.005), 0.0);
        assert_eq!(low.lt(0.03, 0.9), 0.0);
        assert_eq!(low.ltv(0.02, 0.0), 0.0);
        // An asset the policy does not accept (lt 0) stays out; a raise never lowers an
        // lt already above max_lt.
        assert_eq!(high.lt(0.0, 0.9), 0.0);
        assert_eq!(high.lt(0.95, 0.9), 0.95);
        // The neutral tier is the identity, bit for bit.
        for x in [0.0, 0.1, 0.3, 0.8, 0.825, 0.95] {
            assert_eq!(mid.lt(x, 0.9).to_bits(), x.to_bits());
            assert_eq!(mid.ltv(x, 0.99).to_bits(), x.to_bits());
            assert_eq!(mid.bonus(x).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn scores_move_by_hand() {
        let u = model().update;
        // Healthy (H 1.2): 0.5 + 0.01 = 0.51; at the top, 1.0 stays 1.0.
        assert!((u.next(0.5, 1.2, false) - 0.51).abs() < 1e-15);
        assert_eq!(u.next(1.0, 1.2, false), 1.0);
        // Near miss (H 1.04 < 1.05): 0.5 - 0.1 = 0.4; H 1.05 exactly is healthy.
        assert!((u.next(0.5, 1.04, false) - 0.4).abs() < 1e-15);
        assert!((u.next(0.5, 1.05, false) - 0.51).abs() < 1e-15);
        // Liquidatable but not liquidated (H 0.9): a near miss.
        assert!((u.next(0.5, 0.9, false) - 0.4).abs() < 1e-15);
        // Liquidated: 0.9 - 0.5 = 0.4; 0.3 - 0.5 stops at 0.
        assert!((u.next(0.9, 0.9, true) - 0.4).abs() < 1e-15);
        assert_eq!(u.next(0.3, 0.9, true), 0.0);
        // No debt: H = +inf is healthy.
        assert!((u.next(0.2, f64::INFINITY, false) - 0.21).abs() < 1e-15);
    }
}
