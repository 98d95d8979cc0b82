//! Chart data read from result files with polars.

use crate::error::ReportError;
use crate::report::scan;
use polars::prelude::*;
use std::path::Path;

/// The bad debt of every path under one policy.
#[derive(Debug, Clone, PartialEq)]
pub struct CdfSeries {
    /// Policy name.
    pub policy: String,
    /// Bad debt per path, USD.
    pub values: Vec<f64>,
}

/// One point of the efficiency–solvency frontier.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontierPoint {
    /// Label drawn next to the point (policy, or run and policy in a batch).
    pub label: String,
    /// Borrowing capacity: the share of collateral value the policy lends against
    /// (initial borrowing power / initial collateral value), a ratio in [0, 1]; NaN when
    /// unknown (such a point is not drawn).
    pub borrowing_capacity: f64,
    /// 99th percentile of bad debt, USD.
    pub p99_bad_debt: f64,
}

/// Time series of one policy, averaged over paths.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesPolicy {
    /// Policy name.
    pub policy: String,
    /// Steps, ascending.
    pub steps: Vec<i64>,
    /// Mean debt repaid by liquidations at each step (liquidation volume), USD.
    pub liquidated: Vec<f64>,
    /// Mean outstanding debt after the step, USD.
    pub debt: Vec<f64>,
    /// 5 % quantile across paths of the outstanding debt, USD.
    pub debt_q05: Vec<f64>,
    /// 95 % quantile across paths of the outstanding debt, USD.
    pub debt_q95: Vec<f64>,
}

/// `timeseries.parquet` reduced to per-step means.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeseriesData {
    /// One entry per policy, in file order.
    pub policies: Vec<TimeseriesPolicy>,
    /// Number of paths averaged.
    pub paths: u64,
}

/// The health factors of one policy's indebted accounts at the snapshot step, pooled
/// over paths.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSeries {
    /// Policy name.
    pub policy: String,
    /// Health factor of every (path, indebted account), sorted ascending (ratio).
    pub values: Vec<f64>,
}

/// `health.parquet`: the health factors of every indebted account at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthData {
    /// The snapshot step.
    pub step: i64,
    /// Number of paths: the most of any policy (paths without an indebted account at the
    /// step have no rows).
    pub paths: u64,
    /// One entry per policy with indebted accounts, in file order.
    pub policies: Vec<HealthSeries>,
}

/// Price quantiles of one asset per step.
#[derive(Debug, Clone, PartialEq)]
pub struct FanAsset {
    /// Asset symbol.
    pub asset: String,
    /// Steps, ascending.
    pub steps: Vec<i64>,
    /// Quantiles 5, 25, 50, 75 and 95 % across paths of the price at each step, USD.
    pub quantiles: [Vec<f64>; 5],
}

/// Long-form generated paths reduced to quantile bands.
#[derive(Debug, Clone, PartialEq)]
pub struct FanData {
    /// Moving assets (assets whose price never changes are left out).
    pub assets: Vec<FanAsset>,
    /// Assets left out because their price is constant.
    pub constant: Vec<String>,
    /// Mean crunch weight across paths per step (`steps` of the first asset), when the
    /// file has a crunch-weight column.
    pub crunch: Option<Vec<f64>>,
    /// Number of paths.
    pub paths: u64,
}

fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .cast(&DataType::String)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_owned())
        .collect())
}

fn floats(df: &DataFrame, name: &str) -> PolarsResult<Vec<f64>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// Bad debt per path of every policy in `summary` (policies in file order).
pub(crate) fn load_cdf(summary: &Path) -> Result<Vec<CdfSeries>, ReportError> {
    let df = scan(summary)?
        .select([col("policy"), col("bad_debt")])
        .collect()
        .map_err(ReportError::polars(summary))?;
    let policy = strings(&df, "policy").map_err(ReportError::polars(summary))?;
    let bad = floats(&df, "bad_debt").map_err(ReportError::polars(summary))?;
    let mut out: Vec<CdfSeries> = Vec::new();
    for (p, x) in policy.into_iter().zip(bad) {
        match out.iter_mut().find(|s| s.policy == p) {
            Some(s) => s.values.push(x),
            None => out.push(CdfSeries {
                policy: p,
                values: vec![x],
            }),
        }
    }
    Ok(out)
}

/// Per-step means (and 5–95 % debt band) of `timeseries.parquet`, per policy.
pub fn load_timeseries(file: &Path) -> Result<TimeseriesData, ReportError> {
    let err = || ReportError::polars(file);
    let df = scan(file)?
        .group_by_stable([col("policy"), col("step")])
        .agg([
            col("repaid_debt").mean().alias("liquidated"),
            col("debt").mean().alias("debt"),
            col("debt")
                .quantile(lit(0.05), QuantileMethod::Linear)
                .alias("debt_q05"),
            col("debt")
                .quantile(lit(0.95), QuantileMethod::Linear)
                .alias("debt_q95"),
            col("path").n_unique().alias("paths"),
        ])
        .collect()
        .map_err(err())?;
    let policy = strings(&df, "policy").map_err(err())?;
    let step = ints(&df, "step").map_err(err())?;
    let liquidated = floats(&df, "liquidated").map_err(err())?;
    let debt = floats(&df, "debt").map_err(err())?;
    let q05 = floats(&df, "debt_q05").map_err(err())?;
    let q95 = floats(&df, "debt_q95").map_err(err())?;
    let paths = ints(&df, "paths").map_err(err())?;
    let mut policies: Vec<TimeseriesPolicy> = Vec::new();
    let mut order: Vec<Vec<usize>> = Vec::new();
    for (i, p) in policy.iter().enumerate() {
        match policies.iter().position(|s| &s.policy == p) {
            Some(k) => order[k].push(i),
            None => {
                policies.push(TimeseriesPolicy {
                    policy: p.clone(),
                    steps: vec![],
                    liquidated: vec![],
                    debt: vec![],
                    debt_q05: vec![],
                    debt_q95: vec![],
                });
                order.push(vec![i]);
            }
        }
    }
    for (s, mut idx) in policies.iter_mut().zip(order) {
        idx.sort_by_key(|&i| step[i]);
        s.steps = idx.iter().map(|&i| step[i]).collect();
        s.liquidated = idx.iter().map(|&i| liquidated[i]).collect();
        s.debt = idx.iter().map(|&i| debt[i]).collect();
        s.debt_q05 = idx.iter().map(|&i| q05[i]).collect();
        s.debt_q95 = idx.iter().map(|&i| q95[i]).collect();
    }
    if policies.is_empty() {
        return Err(ReportError::Data {
            path: file.to_owned(),
            problem: "no rows".into(),
        });
    }
    Ok(TimeseriesData {
        policies,
        paths: paths.iter().copied().max().unwrap_or(0) as u64,
    })
}

/// The health factors of `health.parquet` per policy (policies in file order), sorted.
/// The file must hold one snapshot step and at least one row.
pub fn load_health(file: &Path) -> Result<HealthData, ReportError> {
    let err = || ReportError::polars(file);
    let groups = scan(file)?
        .group_by_stable([col("policy")])
        .agg([
            col("path").n_unique().alias("paths"),
            col("step").min().alias("first"),
            col("step").max().alias("last"),
        ])
        .collect()
        .map_err(err())?;
    let names = strings(&groups, "policy").map_err(err())?;
    let paths = ints(&groups, "paths").map_err(err())?;
    let first = ints(&groups, "first").map_err(err())?;
    let last = ints(&groups, "last").map_err(err())?;
    let data_error = |problem: String| ReportError::Data {
        path: file.to_owned(),
        problem,
    };
    let step = *first
        .first()
        .ok_or_else(|| data_error("no rows: no account had debt at the snapshot step".into()))?;
    if first.iter().chain(&last).any(|&t| t != step) {
        return Err(data_error(format!(
            "holds several steps ({} .. {}): a health snapshot has one step",
            first.iter().min().unwrap_or(&step),
            last.iter().max().unwrap_or(&step)
        )));
    }
    let mut policies = Vec::with_capacity(names.len());
    for policy in names {
        let df = scan(file)?
            .filter(col("policy").eq(lit(policy.as_str())))
            .select([col("health")])
            .collect()
            .map_err(err())?;
        let mut values = floats(&df, "health").map_err(err())?;
        values.sort_by(f64::total_cmp);
        policies.push(HealthSeries { policy, values });
    }
    Ok(HealthData {
        step,
        paths: paths.iter().copied().max().unwrap_or(0) as u64,
        policies,
    })
}

/// The crunch-weight column of a paths file: `crunch_weight`, else the first other
/// column whose name contains "crunch".
fn crunch_column(schema: &Schema) -> Option<String> {
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    names
        .iter()
        .find(|n| *n == "crunch_weight")
        .or_else(|| names.iter().find(|n| n.to_lowercase().contains("crunch")))
        .cloned()
}

/// Quantile bands of a long-form paths file (`path, step, asset, price`, optionally a
/// crunch-weight column).
pub fn load_fan(file: &Path) -> Result<FanData, ReportError> {
    let err = || ReportError::polars(file);
    let mut lf = scan(file)?;
    let schema = lf.collect_schema().map_err(err())?;
    for needed in ["path", "step", "asset", "price"] {
        if schema.get(needed).is_none() {
            return Err(ReportError::Data {
                path: file.to_owned(),
                problem: format!(
                    "no `{needed}` column: a paths file has the columns path, step, asset, \
                     price (and optionally liquidity and a crunch weight)"
                ),
            });
        }
    }
    let crunch = crunch_column(&schema);
    let q = |p: f64, name: &str| {
        col("price")
            .quantile(lit(p), QuantileMethod::Linear)
            .alias(name)
    };
    let mut aggs = vec![
        q(0.05, "q05"),
        q(0.25, "q25"),
        q(0.5, "q50"),
        q(0.75, "q75"),
        q(0.95, "q95"),
        col("price").min().alias("min"),
        col("price").max().alias("max"),
        col("path").n_unique().alias("paths"),
    ];
    if let Some(c) = &crunch {
        aggs.push(
            col(c.as_str())
                .cast(DataType::Float64)
                .mean()
                .alias("crunch"),
        );
    }
    let df = lf
        .group_by_stable([col("asset"), col("step")])
        .agg(aggs)
        .collect()
        .map_err(err())?;
    let asset = strings(&df, "asset").map_err(err())?;
    let step = ints(&df, "step").map_err(err())?;
    let qs: Vec<Vec<f64>> = ["q05", "q25", "q50", "q75", "q95"]
        .iter()
        .map(|n| floats(&df, n))
        .collect::<Result<_, _>>()
        .map_err(err())?;
    let min = floats(&df, "min").map_err(err())?;
    let max = floats(&df, "max").map_err(err())?;
    let paths = ints(&df, "paths").map_err(err())?;
    let weight = match crunch {
        Some(_) => Some(floats(&df, "crunch").map_err(err())?),
        None => None,
    };
    let mut names: Vec<String> = Vec::new();
    for a in &asset {
        if !names.contains(a) {
            names.push(a.clone());
        }
    }
    let mut data = FanData {
        assets: vec![],
        constant: vec![],
        crunch: None,
        paths: paths.iter().copied().max().unwrap_or(0) as u64,
    };
    for name in names {
        let mut idx: Vec<usize> = (0..asset.len()).filter(|&i| asset[i] == name).collect();
        idx.sort_by_key(|&i| step[i]);
        let lo = idx.iter().map(|&i| min[i]).fold(f64::INFINITY, f64::min);
        let hi = idx
            .iter()
            .map(|&i| max[i])
            .fold(f64::NEG_INFINITY, f64::max);
        if let (Some(w), None) = (&weight, &data.crunch) {
            data.crunch = Some(idx.iter().map(|&i| w[i]).collect());
        }
        if hi - lo <= 1e-12 * hi.abs().max(1.0) {
            data.constant.push(name);
            continue;
        }
        data.assets.push(FanAsset {
            asset: name,
            steps: idx.iter().map(|&i| step[i]).collect(),
            quantiles: std::array::from_fn(|k| idx.iter().map(|&i| qs[k][i]).collect()),
        });
    }
    if data.assets.is_empty() {
        return Err(ReportError::Data {
            path: file.to_owned(),
            problem: "no asset's price moves: nothing to draw".into(),
        });
    }
    Ok(data)
}
