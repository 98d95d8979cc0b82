//! The short table printed at the end of a run.

use crunch_core::PathSummary;

/// Per-policy statistics over paths.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStats {
    /// Policy name.
    pub policy: String,
    /// Mean bad debt per path (USD).
    pub mean_bad_debt: f64,
    /// 99th percentile of bad debt over paths, nearest-rank definition: the
    /// `ceil(0.99 n)`-th smallest value (USD).
    pub p99_bad_debt: f64,
    /// Mean number of liquidation events per path.
    pub mean_liquidations: f64,
    /// Capital efficiency (initial debt / initial collateral) of the first path; it is the
    /// same on every path because `p[0]` is fixed.
    pub capital_efficiency: Option<f64>,
}

/// Statistics of each policy from its summaries (in path order).
pub fn policy_stats(policy: &str, summaries: &[PathSummary]) -> PolicyStats {
    let n = summaries.len();
    let mut bad: Vec<f64> = summaries.iter().map(|s| s.bad_debt).collect();
    bad.sort_by(f64::total_cmp);
    let rank = ((0.99 * n as f64).ceil() as usize).clamp(1, n.max(1));
    PolicyStats {
        policy: policy.to_owned(),
        mean_bad_debt: bad.iter().sum::<f64>() / n as f64,
        p99_bad_debt: bad.get(rank - 1).copied().unwrap_or(f64::NAN),
        mean_liquidations: summaries.iter().map(|s| s.liquidations as f64).sum::<f64>() / n as f64,
        capital_efficiency: summaries.first().and_then(|s| s.capital_efficiency),
    }
}

/// A fixed-width text table of the statistics.
pub fn render_table(stats: &[PolicyStats]) -> String {
    let width = stats
        .iter()
        .map(|s| s.policy.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!(
        "{:<width$}  {:>16}  {:>16}  {:>16}  {:>10}\n",
        "policy", "mean bad debt", "p99 bad debt", "mean liquidations", "cap. eff."
    );
    for s in stats {
        let eff = s
            .capital_efficiency
            .map_or_else(|| "n/a".to_owned(), |e| format!("{:.2} %", e * 100.0));
        out += &format!(
            "{:<width$}  {:>16.2}  {:>16.2}  {:>16.2}  {:>10}\n",
            s.policy, s.mean_bad_debt, s.p99_bad_debt, s.mean_liquidations, eff
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_p99_and_means() {
        // 200 paths with bad debt 1..=200: ceil(0.99 * 200) = 198th smallest = 198.
        let s: Vec<PathSummary> = (1..=200)
            .map(|i| PathSummary {
                bad_debt: i as f64,
                liquidations: 2,
                capital_efficiency: Some(0.5),
                ..Default::default()
            })
            .collect();
        let st = policy_stats("p", &s);
        assert_eq!(st.p99_bad_debt, 198.0);
        assert_eq!(st.mean_bad_debt, 100.5);
        assert_eq!(st.mean_liquidations, 2.0);
        let table = render_table(&[st]);
        assert!(table.contains("198.00"));
        assert!(table.contains("50.00 %"));
    }
}
