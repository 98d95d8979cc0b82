//! The short table printed at the end of a run.

use crunch_io::SummaryRow;

/// Per-policy statistics over paths.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStats {
    /// Policy name.
    pub policy: String,
    /// Mean bad debt per path (USD).
    pub mean_bad_debt: f64,
    /// 99th percentile of bad debt over paths (USD), interpolated between order
    /// statistics as `crunch report` does (Hyndman–Fan type 7: `h = (n - 1) 0.99`,
    /// `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`).
    pub p99_bad_debt: f64,
    /// Mean number of liquidation events per path.
    pub mean_liquidations: f64,
    /// Capital efficiency (initial debt / initial collateral) of the first path run; it is
    /// the same on every path because `p[0]` is fixed.
    pub capital_efficiency: Option<f64>,
    /// Borrowing capacity (borrowing power / collateral value at step 0) of the first path
    /// run; the same on every path.
    pub borrowing_capacity: Option<f64>,
}

/// Statistics of each policy from its rows of `summary.parquet` (in path order).
pub fn policy_stats(policy: &str, summaries: &[&SummaryRow]) -> PolicyStats {
    let n = summaries.len();
    let mut bad: Vec<f64> = summaries.iter().map(|s| s.bad_debt).collect();
    bad.sort_by(f64::total_cmp);
    PolicyStats {
        policy: policy.to_owned(),
        mean_bad_debt: bad.iter().sum::<f64>() / n as f64,
        p99_bad_debt: type7_quantile(&bad, 0.99),
        mean_liquidations: summaries.iter().map(|s| s.liquidations as f64).sum::<f64>() / n as f64,
        capital_efficiency: summaries.first().and_then(|s| s.capital_efficiency),
        borrowing_capacity: summaries.first().and_then(|s| s.borrowing_capacity),
    }
}

/// Quantile `p` of sorted values, Hyndman–Fan type 7; NaN for no values.
pub(crate) fn type7_quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
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
        "{:<width$}  {:>16}  {:>16}  {:>16}  {:>10}  {:>10}\n",
        "policy", "mean bad debt", "p99 bad debt", "mean liquidations", "cap. eff.", "borrow cap."
    );
    let percent =
        |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), |e| format!("{:.2} %", e * 100.0));
    for s in stats {
        out += &format!(
            "{:<width$}  {:>16.2}  {:>16.2}  {:>16.2}  {:>10}  {:>10}\n",
            s.policy,
            s.mean_bad_debt,
            s.p99_bad_debt,
            s.mean_liquidations,
            percent(s.capital_efficiency),
            percent(s.borrowing_capacity)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_p99_and_means() {
        // 200 paths with bad debt 1..=200: h = 199 * 0.99 = 197.01, so
        // p99 = x[197] + 0.01 (x[198] - x[197]) = 198 + 0.01 = 198.01.
        let s: Vec<SummaryRow> = (1..=200)
            .map(|i| SummaryRow {
                policy: "p".into(),
                bad_debt: i as f64,
                liquidations: 2,
                capital_efficiency: Some(0.5),
                borrowing_capacity: Some(0.8),
            })
            .collect();
        let st = policy_stats("p", &s.iter().collect::<Vec<_>>());
        assert!((st.p99_bad_debt - 198.01).abs() < 1e-9);
        assert_eq!(st.mean_bad_debt, 100.5);
        assert_eq!(st.mean_liquidations, 2.0);
        let table = render_table(&[st]);
        assert!(table.contains("198.01"));
        assert!(table.contains("50.00 %") && table.contains("80.00 %"));
    }
}
