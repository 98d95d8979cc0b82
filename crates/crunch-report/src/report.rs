//! The report: per (run, scenario, policy) statistics of `summary.parquet`, computed with
//! lazy polars scans.

use crate::Z95;
use crate::discover::{RunDir, discover_runs};
use crate::error::ReportError;
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// One line of the report: a policy in a scenario of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    /// The result directory's name.
    pub run: String,
    /// The `scenario` column.
    pub scenario: String,
    /// The `policy` column.
    pub policy: String,
    /// Number of paths.
    pub paths: u64,
    /// Mean bad debt, USD.
    pub bad_debt_mean: f64,
    /// Median bad debt, USD (type-7 quantile, see the crate docs).
    pub bad_debt_median: f64,
    /// 95th percentile of bad debt over the run's horizon, USD: the value at risk at 95 %
    /// (VaR95).
    pub bad_debt_p95: f64,
    /// 99th percentile of bad debt over the run's horizon, USD: the extreme value at risk
    /// (EVaR99, VaR at 99 %).
    pub bad_debt_p99: f64,
    /// Expected shortfall at 99 %: mean of the `⌈n/100⌉` largest bad debts, USD.
    pub bad_debt_es99: f64,
    /// Share of paths with bad debt > 0.
    pub p_bad_debt: f64,
    /// Mean number of liquidations per path.
    pub liquidations_mean: f64,
    /// Mean debt repaid by liquidations per path (liquidated debt), USD.
    pub repaid_debt_mean: f64,
    /// Liquidations at risk: the 95th percentile (type 7) over paths of the collateral
    /// value seized by liquidations over the run's horizon (`seized_collateral`), USD.
    pub lar95: f64,
    /// Mean liquidation penalty paid by borrowers per path, USD.
    pub liquidation_penalty_mean: f64,
    /// Mean slippage cost per path, USD.
    pub slippage_cost_mean: f64,
    /// Mean bad debt per path owed by accounts gas kept from being liquidated
    /// (`dust_bad_debt`), USD; `None` for results written before the column existed.
    pub dust_bad_debt_mean: Option<f64>,
    /// Mean per path of the liquidatable account-steps left unliquidated, all causes
    /// (`blocked_liquidity + blocked_capacity + blocked_outage + blocked_gas`);
    /// `None` for results written before the columns existed.
    pub blocked_mean: Option<f64>,
    /// Mean of `mean_time_to_liquidate` over the paths that liquidated an account (paths
    /// without a liquidation, null there, are left out), steps; `None` when no path
    /// liquidated or for results written before the column existed.
    pub time_to_liquidate_mean: Option<f64>,
    /// Capital efficiency, initial debt / initial collateral value (mean of the column;
    /// it is the same on every path and, the book being fixed, under every policy).
    pub capital_efficiency: Option<f64>,
    /// Borrowing capacity, initial borrowing power / initial collateral value: the share
    /// of collateral value the policy lends against (mean of the column, the same on
    /// every path); `None` for results written before the column existed.
    pub borrowing_capacity: Option<f64>,
    /// Borrowing power, what the policy lets the book borrow at step 0
    /// (`initial_borrowing_power`, mean of the column, the same on every path), USD; `None`
    /// for results written before the column existed.
    pub borrowing_power: Option<f64>,
    /// Borrow usage, the share of the borrowing power the book uses at step 0: mean
    /// `initial_debt` / mean `initial_borrowing_power` (both the same on every path);
    /// `None` when the power is 0 or unknown.
    pub borrow_usage: Option<f64>,
    /// The baseline policy of the paired difference.
    pub baseline: String,
    /// Mean of the per-path differences `bad_debt - baseline bad_debt`, USD.
    pub diff_bad_debt_mean: f64,
    /// Lower end of the 95 % confidence interval of that mean (`None` with one path).
    pub diff_ci_low: Option<f64>,
    /// Upper end of the 95 % confidence interval.
    pub diff_ci_high: Option<f64>,
}

/// The report of a run or a batch.
#[derive(Debug, Clone)]
pub struct Report {
    /// The result directories read, in order.
    pub runs: Vec<RunDir>,
    /// One row per (run, scenario, policy), runs in name order, scenarios and policies in
    /// file order.
    pub rows: Vec<ReportRow>,
}

const SUMMARY: &str = "summary.parquet";

/// The columns of `summary.parquet` the report reads that every version of crunch wrote
/// (those of the `lending-v1` specification).
const READ: [&str; 11] = [
    "scenario",
    "policy",
    "path",
    "bad_debt",
    "liquidations",
    "repaid_debt",
    "seized_collateral",
    "liquidation_penalty",
    "slippage_cost",
    "initial_debt",
    "capital_efficiency",
];

/// The newer columns of `summary.parquet` the report reads, with their types: results
/// written before a column existed lack it, and the report reads it as null.
fn optional_columns() -> [(&'static str, DataType); 8] {
    [
        ("initial_borrowing_power", DataType::Float64),
        ("borrowing_capacity", DataType::Float64),
        ("dust_bad_debt", DataType::Float64),
        ("blocked_liquidity", DataType::Int64),
        ("blocked_capacity", DataType::Int64),
        ("blocked_outage", DataType::Int64),
        ("blocked_gas", DataType::Int64),
        ("mean_time_to_liquidate", DataType::Float64),
    ]
}

/// Lazy scan of the columns the report reads of every run's `summary.parquet`, with a
/// `run` column naming its directory. A file without one of the [`optional_columns`]
/// (written before the column existed) reads it as null.
pub(crate) fn scan_summaries(runs: &[RunDir]) -> Result<LazyFrame, ReportError> {
    let optional_columns = optional_columns();
    let frames = runs
        .iter()
        .map(|run| {
            let file = run.file(SUMMARY);
            let mut lf = scan(&file)?;
            let schema = lf.collect_schema().map_err(ReportError::polars(&file))?;
            // Cast to one type so that the runs of a batch concatenate.
            let optional = optional_columns
                .iter()
                .map(|(name, dtype)| match schema.get(name) {
                    Some(_) => col(*name).cast(dtype.clone()),
                    None => lit(NULL).cast(dtype.clone()).alias(*name),
                });
            let columns = READ
                .iter()
                .map(|c| col(*c))
                .chain(optional)
                .chain([lit(run.label.as_str()).alias("run")])
                .collect::<Vec<_>>();
            Ok(lf.select(columns))
        })
        .collect::<Result<Vec<_>, _>>()?;
    concat(
        frames,
        UnionArgs {
            maintain_order: true,
            ..Default::default()
        },
    )
    .map_err(ReportError::polars(
        runs[0].dir.parent().unwrap_or(Path::new(".")),
    ))
}

/// Lazy scan of one Parquet file.
pub(crate) fn scan(file: &Path) -> Result<LazyFrame, ReportError> {
    let path = PlRefPath::try_from_path(file).map_err(ReportError::polars(file))?;
    LazyFrame::scan_parquet(path, ScanArgsParquet::default()).map_err(ReportError::polars(file))
}

fn quantile(column: &str, p: f64) -> Expr {
    col(column).quantile(lit(p), QuantileMethod::Linear)
}

/// Mean of the `⌈n/100⌉` largest values of `column` in each group.
fn expected_shortfall_99(column: &str) -> Expr {
    // k = ⌊(n + 99) / 100⌋ = ⌈n / 100⌉; the float division is exact enough (the fraction is
    // 0 or at least 0.01) and the cast truncates. (`floor_div` would need polars'
    // `round_series` feature.)
    let k = ((len().cast(DataType::Int64) + lit(99i64)).cast(DataType::Float64) / lit(100.0))
        .cast(DataType::Int64);
    col(column)
        .sort(SortOptions::default().with_order_descending(true))
        .slice(lit(0i64), k)
        .mean()
}

fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_owned())
        .collect())
}

fn floats(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

/// Builds the report of `results` (a run directory or a directory of them).
///
/// `baseline` names the policy every other is compared with; `None` takes the first policy
/// of each scenario in file order.
pub fn build_report(results: &Path, baseline: Option<&str>) -> Result<Report, ReportError> {
    let runs = discover_runs(results)?;
    let err = ReportError::polars(results);
    let summaries = scan_summaries(&runs)?;
    let keys = [col("run"), col("scenario"), col("policy")];
    let stats = summaries
        .clone()
        .group_by_stable(keys.clone())
        .agg([
            len().alias("paths"),
            col("bad_debt").mean().alias("bad_debt_mean"),
            quantile("bad_debt", 0.5).alias("bad_debt_median"),
            quantile("bad_debt", 0.95).alias("bad_debt_p95"),
            quantile("bad_debt", 0.99).alias("bad_debt_p99"),
            expected_shortfall_99("bad_debt").alias("bad_debt_es99"),
            col("bad_debt")
                .gt(lit(0.0))
                .cast(DataType::Float64)
                .mean()
                .alias("p_bad_debt"),
            col("liquidations")
                .cast(DataType::Float64)
                .mean()
                .alias("liquidations_mean"),
            col("repaid_debt").mean().alias("repaid_debt_mean"),
            quantile("seized_collateral", 0.95).alias("lar95"),
            col("liquidation_penalty")
                .mean()
                .alias("liquidation_penalty_mean"),
            col("slippage_cost").mean().alias("slippage_cost_mean"),
            col("capital_efficiency").mean().alias("capital_efficiency"),
            col("borrowing_capacity").mean().alias("borrowing_capacity"),
            col("initial_borrowing_power")
                .mean()
                .alias("borrowing_power"),
            col("initial_debt").mean().alias("initial_debt_mean"),
            col("dust_bad_debt").mean().alias("dust_bad_debt_mean"),
            // Null on every row when a kind is missing: the sum is then unknown.
            [
                "blocked_liquidity",
                "blocked_capacity",
                "blocked_outage",
                "blocked_gas",
            ]
            .into_iter()
            .map(|c| col(c).cast(DataType::Float64))
            .reduce(|a, b| a + b)
            .expect("four kinds")
            .mean()
            .alias("blocked_mean"),
            // `mean` skips nulls: paths without a liquidation do not count.
            col("mean_time_to_liquidate")
                .mean()
                .alias("time_to_liquidate_mean"),
        ])
        .collect()
        .map_err(err)?;

    let err = || ReportError::polars(results);
    let run = strings(&stats, "run").map_err(err())?;
    let scenario = strings(&stats, "scenario").map_err(err())?;
    let policy = strings(&stats, "policy").map_err(err())?;

    // The baseline of each (run, scenario).
    let mut groups: Vec<(String, String, Vec<String>)> = Vec::new();
    for i in 0..stats.height() {
        match groups
            .iter_mut()
            .find(|(r, s, _)| *r == run[i] && *s == scenario[i])
        {
            Some(g) => g.2.push(policy[i].clone()),
            None => groups.push((run[i].clone(), scenario[i].clone(), vec![policy[i].clone()])),
        }
    }
    let mut baselines = Vec::new();
    for (r, s, policies) in &groups {
        let b = match baseline {
            Some(b) if policies.iter().any(|p| p == b) => b.to_owned(),
            Some(b) => {
                return Err(ReportError::UnknownBaseline {
                    baseline: b.to_owned(),
                    scenario: s.clone(),
                    policies: policies.join(", "),
                });
            }
            None => policies[0].clone(),
        };
        baselines.push((r.clone(), s.clone(), b));
    }
    let is_baseline = baselines
        .iter()
        .map(|(r, s, b)| {
            col("run")
                .eq(lit(r.as_str()))
                .and(col("scenario").eq(lit(s.as_str())))
                .and(col("policy").eq(lit(b.as_str())))
        })
        .reduce(|a, b| a.or(b))
        .expect("at least one scenario");
    let base = summaries.clone().filter(is_baseline).select([
        col("run"),
        col("scenario"),
        col("path"),
        col("bad_debt").alias("baseline_bad_debt"),
    ]);
    let path_keys = [col("run"), col("scenario"), col("path")];
    let diffs = summaries
        .join(
            base,
            path_keys.clone(),
            path_keys,
            JoinArgs::new(JoinType::Inner),
        )
        .with_column((col("bad_debt") - col("baseline_bad_debt")).alias("diff"))
        .group_by_stable(keys)
        .agg([
            len().alias("pairs"),
            col("diff").mean().alias("diff_mean"),
            col("diff").std(1).alias("diff_sd"),
        ])
        .collect()
        .map_err(err())?;
    let d_run = strings(&diffs, "run").map_err(err())?;
    let d_scenario = strings(&diffs, "scenario").map_err(err())?;
    let d_policy = strings(&diffs, "policy").map_err(err())?;
    let d_pairs = floats(&diffs, "pairs").map_err(err())?;
    let d_mean = floats(&diffs, "diff_mean").map_err(err())?;
    let d_sd = floats(&diffs, "diff_sd").map_err(err())?;

    let column = |name| floats(&stats, name).map_err(err());
    let paths = column("paths")?;
    let mean = column("bad_debt_mean")?;
    let median = column("bad_debt_median")?;
    let p95 = column("bad_debt_p95")?;
    let p99 = column("bad_debt_p99")?;
    let es99 = column("bad_debt_es99")?;
    let p_bad = column("p_bad_debt")?;
    let liq = column("liquidations_mean")?;
    let repaid = column("repaid_debt_mean")?;
    let penalty = column("liquidation_penalty_mean")?;
    let slippage = column("slippage_cost_mean")?;
    let efficiency = column("capital_efficiency")?;
    let capacity = column("borrowing_capacity")?;
    let lar95 = column("lar95")?;
    let power = column("borrowing_power")?;
    let debt = column("initial_debt_mean")?;
    let dust = column("dust_bad_debt_mean")?;
    let blocked = column("blocked_mean")?;
    let ttl = column("time_to_liquidate_mean")?;

    let mut rows = Vec::with_capacity(stats.height());
    for i in 0..stats.height() {
        let (_, _, b) = baselines
            .iter()
            .find(|(r, s, _)| *r == run[i] && *s == scenario[i])
            .expect("every group has a baseline");
        let n = paths[i].unwrap_or(0.0);
        let j = (0..diffs.height()).find(|&j| {
            d_run[j] == run[i] && d_scenario[j] == scenario[i] && d_policy[j] == policy[i]
        });
        let (pairs, dm, sd) = match j {
            Some(j) => (d_pairs[j].unwrap_or(0.0), d_mean[j], d_sd[j]),
            None => (0.0, None, None),
        };
        if pairs != n {
            return Err(ReportError::Data {
                path: runs
                    .iter()
                    .find(|r| r.label == run[i])
                    .map(|r| r.file(SUMMARY))
                    .unwrap_or_else(|| PathBuf::from(SUMMARY)),
                problem: format!(
                    "policy `{}` of scenario `{}` has {} paths but only {} of them were run \
                     under the baseline `{}`: the paired difference needs the same paths",
                    policy[i], scenario[i], n, pairs, b
                ),
            });
        }
        let dm = dm.unwrap_or(f64::NAN);
        let half = sd
            .filter(|s| s.is_finite() && n >= 2.0)
            .map(|s| Z95 * s / n.sqrt());
        rows.push(ReportRow {
            run: run[i].clone(),
            scenario: scenario[i].clone(),
            policy: policy[i].clone(),
            paths: n as u64,
            bad_debt_mean: mean[i].unwrap_or(f64::NAN),
            bad_debt_median: median[i].unwrap_or(f64::NAN),
            bad_debt_p95: p95[i].unwrap_or(f64::NAN),
            bad_debt_p99: p99[i].unwrap_or(f64::NAN),
            bad_debt_es99: es99[i].unwrap_or(f64::NAN),
            p_bad_debt: p_bad[i].unwrap_or(f64::NAN),
            liquidations_mean: liq[i].unwrap_or(f64::NAN),
            repaid_debt_mean: repaid[i].unwrap_or(f64::NAN),
            lar95: lar95[i].unwrap_or(f64::NAN),
            liquidation_penalty_mean: penalty[i].unwrap_or(f64::NAN),
            slippage_cost_mean: slippage[i].unwrap_or(f64::NAN),
            dust_bad_debt_mean: dust[i],
            blocked_mean: blocked[i],
            time_to_liquidate_mean: ttl[i],
            capital_efficiency: efficiency[i],
            borrowing_capacity: capacity[i],
            borrowing_power: power[i],
            borrow_usage: match (debt[i], power[i]) {
                (Some(d), Some(p)) if p > 0.0 && d.is_finite() && p.is_finite() => Some(d / p),
                _ => None,
            },
            baseline: b.clone(),
            diff_bad_debt_mean: dm,
            diff_ci_low: half.map(|h| dm - h),
            diff_ci_high: half.map(|h| dm + h),
        });
    }
    Ok(Report { runs, rows })
}
