//! Fixtures: small result directories written with polars, shaped like `crunch run`'s.
#![allow(dead_code)]

use polars::prelude::*;
use std::fs::File;
use std::path::Path;

/// A deterministic pseudo-random sequence in [0, 1) (64-bit LCG, top 53 bits).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub fn metadata(scenario: &str, seed: u64, paths: usize) -> Vec<(String, String)> {
    vec![
        ("crunch.scenario_name".into(), scenario.into()),
        ("crunch.seed".into(), seed.to_string()),
        ("crunch.paths".into(), paths.to_string()),
        ("crunch.steps".into(), "30".into()),
    ]
}

pub fn write(df: &mut DataFrame, file: &Path, kv: Vec<(String, String)>) {
    let f = File::create(file).unwrap();
    ParquetWriter::new(f)
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(kv)))
        .finish(df)
        .unwrap();
}

/// Per policy: bad debt, liquidations, repaid, penalty, slippage per path, and the
/// policy's borrowing capacity. The friction columns of a path follow from these (see
/// [`PolicyData::dust`], [`PolicyData::blocked`], [`PolicyData::time_to_liquidate`]).
pub struct PolicyData {
    pub name: String,
    pub borrowing_capacity: f64,
    pub bad_debt: Vec<f64>,
    pub liquidations: Vec<i64>,
    pub repaid: Vec<f64>,
    pub penalty: Vec<f64>,
    pub slippage: Vec<f64>,
}

impl PolicyData {
    /// `dust_bad_debt` of path `i`: a tenth of the bad debt on every third path.
    pub fn dust(&self, i: usize) -> f64 {
        if i.is_multiple_of(3) {
            0.1 * self.bad_debt[i]
        } else {
            0.0
        }
    }

    /// `blocked_liquidity`, `blocked_capacity`, `blocked_outage`, `blocked_gas` of path `i`.
    pub fn blocked(&self, i: usize) -> [i64; 4] {
        let l = self.liquidations[i];
        [l % 5, (i % 4) as i64, l % 3, i64::from(i.is_multiple_of(7))]
    }

    /// `mean_time_to_liquidate` of path `i`: null on paths without a liquidation and on
    /// every fifth path (as if no account were liquidated there).
    pub fn time_to_liquidate(&self, i: usize) -> Option<f64> {
        (self.liquidations[i] > 0 && !i.is_multiple_of(5)).then_some(1.0 + (i % 4) as f64 * 0.75)
    }
}

/// Policies with heavy-tailed bad debt, about 40 % of paths at zero; the second policy's
/// bad debt is correlated with the first's on the same path (common paths).
pub fn policies(n: usize, seed: u64) -> Vec<PolicyData> {
    let mut rng = Lcg(seed);
    let mut base = Vec::with_capacity(n);
    for _ in 0..n {
        let u = rng.next();
        let shock = rng.next();
        base.push(if u < 0.4 {
            0.0
        } else {
            1_000.0 * (1.0 / (1.0 - shock)).powf(2.0)
        });
    }
    let mut out = Vec::new();
    for (k, name) in ["aave-like", "conservative", "tight"].iter().enumerate() {
        let mut bad = Vec::with_capacity(n);
        let mut liq = Vec::with_capacity(n);
        let mut rep = Vec::with_capacity(n);
        let mut pen = Vec::with_capacity(n);
        let mut slip = Vec::with_capacity(n);
        for &b in &base {
            let noise = rng.next();
            let x = if b == 0.0 {
                0.0
            } else {
                (b * (1.0 - 0.3 * k as f64) + 50.0 * noise).max(0.0)
            };
            bad.push(x);
            let l = (rng.next() * 100.0) as i64 + 10 * k as i64;
            liq.push(l);
            rep.push(l as f64 * 1234.5 * (1.0 + noise));
            pen.push(l as f64 * 61.7);
            slip.push(l as f64 * 3.25 * noise);
        }
        out.push(PolicyData {
            name: (*name).into(),
            borrowing_capacity: 0.78 - 0.08 * k as f64,
            bad_debt: bad,
            liquidations: liq,
            repaid: rep,
            penalty: pen,
            slippage: slip,
        });
    }
    out
}

/// Writes `summary.parquet` (and `timeseries.parquet` with `steps` steps) into `dir`, rows
/// in policy-major order like crunch's sink.
pub fn write_run(dir: &Path, scenario: &str, seed: u64, data: &[PolicyData], steps: Option<i64>) {
    std::fs::create_dir_all(dir).unwrap();
    let n = data[0].bad_debt.len();
    let mut sc = vec![];
    let mut pol = vec![];
    let mut path = vec![];
    let mut bad = vec![];
    let mut ins = vec![];
    let mut liq = vec![];
    let mut liq_acc = vec![];
    let mut rep = vec![];
    let mut seized = vec![];
    let mut pen = vec![];
    let mut slip = vec![];
    let mut idebt = vec![];
    let mut icoll = vec![];
    let mut eff: Vec<Option<f64>> = vec![];
    let mut first: Vec<Option<i64>> = vec![];
    let mut minh: Vec<Option<f64>> = vec![];
    let mut power = vec![];
    let mut capacity: Vec<Option<f64>> = vec![];
    let (mut profit, mut gap, mut dust, mut ttl) = (vec![], vec![], vec![], vec![]);
    let mut blocked: [Vec<i64>; 4] = Default::default();
    for p in data {
        for i in 0..n {
            sc.push(scenario.to_owned());
            pol.push(p.name.clone());
            path.push(i as i64);
            bad.push(p.bad_debt[i]);
            ins.push(i64::from(p.bad_debt[i] > 0.0));
            liq.push(p.liquidations[i]);
            liq_acc.push(p.liquidations[i] / 2);
            rep.push(p.repaid[i]);
            seized.push(p.repaid[i] + p.penalty[i]);
            pen.push(p.penalty[i]);
            slip.push(p.slippage[i]);
            idebt.push(4.8e7);
            icoll.push(1.0e8);
            eff.push(Some(0.48));
            first.push(if p.bad_debt[i] > 0.0 { Some(3) } else { None });
            minh.push(Some(0.9));
            power.push(1.0e8 * p.borrowing_capacity);
            capacity.push(Some(p.borrowing_capacity));
            profit.push(p.penalty[i] - p.slippage[i]);
            gap.push(0.0);
            dust.push(p.dust(i));
            for (kind, b) in blocked.iter_mut().zip(p.blocked(i)) {
                kind.push(b);
            }
            ttl.push(p.time_to_liquidate(i));
        }
    }
    let [b_liquidity, b_capacity, b_outage, b_gas] = blocked;
    let mut df = df!(
        "scenario" => sc, "policy" => pol, "path" => path, "bad_debt" => bad,
        "insolvent_accounts" => ins, "liquidations" => liq, "liquidated_accounts" => liq_acc,
        "repaid_debt" => rep, "seized_collateral" => seized, "liquidation_penalty" => pen,
        "slippage_cost" => slip, "initial_debt" => idebt, "initial_collateral" => icoll,
        "capital_efficiency" => eff, "first_bad_debt_step" => first, "min_health" => minh,
        "initial_borrowing_power" => power, "borrowing_capacity" => capacity,
        "liquidator_profit" => profit, "oracle_gap" => gap, "blocked_liquidity" => b_liquidity,
        "blocked_capacity" => b_capacity, "blocked_outage" => b_outage, "blocked_gas" => b_gas,
        "dust_bad_debt" => dust, "mean_time_to_liquidate" => ttl,
    )
    .unwrap();
    write(
        &mut df,
        &dir.join("summary.parquet"),
        metadata(scenario, seed, n),
    );
    if let Some(t) = steps {
        write_timeseries(dir, scenario, seed, data, t);
    }
}

/// Rewrites `dir/summary.parquet` without the borrowing-power columns, as a crunch
/// before them wrote it.
pub fn drop_borrowing_columns(dir: &Path, scenario: &str, seed: u64) {
    drop_columns(
        dir,
        scenario,
        seed,
        &["initial_borrowing_power", "borrowing_capacity"],
    );
}

/// The columns crunch added to the summary after the `lending-v1` specification's.
pub const NEWER_COLUMNS: [&str; 10] = [
    "initial_borrowing_power",
    "borrowing_capacity",
    "liquidator_profit",
    "oracle_gap",
    "blocked_liquidity",
    "blocked_capacity",
    "blocked_outage",
    "blocked_gas",
    "dust_bad_debt",
    "mean_time_to_liquidate",
];

/// Rewrites `dir/summary.parquet` without `columns`, as an older crunch wrote it.
pub fn drop_columns(dir: &Path, scenario: &str, seed: u64, columns: &[&str]) {
    let file = dir.join("summary.parquet");
    let mut df = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&file).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .drop(cols(columns.iter().copied()))
    .collect()
    .unwrap();
    let n = df.column("path").unwrap().n_unique().unwrap();
    write(&mut df, &file, metadata(scenario, seed, n));
}

/// Writes `health.parquet` into `dir`: at `step`, for every path and policy, the health
/// factors of up to `accounts` indebted accounts (about one in ten owes nothing and has
/// no row; the first account of the first policy has debt without collateral, H = 0).
/// Health has a long right tail and falls with the policy index. Returns the values per
/// policy, in file order.
pub fn write_health(
    dir: &Path,
    scenario: &str,
    seed: u64,
    data: &[PolicyData],
    accounts: usize,
    step: i64,
) -> Vec<Vec<f64>> {
    let n = data[0].bad_debt.len();
    let mut rng = Lcg(seed ^ 0x4ea1);
    let (mut sc, mut pol, mut path, mut st, mut acc, mut h) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut per_policy = vec![Vec::new(); data.len()];
    for i in 0..n {
        for (k, p) in data.iter().enumerate() {
            for j in 0..accounts {
                let u = rng.next();
                if rng.next() < 0.1 {
                    continue;
                }
                let x = if k == 0 && j == 0 {
                    0.0
                } else {
                    (0.4 + 0.55 / (1.0 - 0.9 * u)) * (1.0 - 0.08 * k as f64)
                };
                sc.push(scenario.to_owned());
                pol.push(p.name.clone());
                path.push(i as i64);
                st.push(step);
                acc.push(j.to_string());
                h.push(x);
                per_policy[k].push(x);
            }
        }
    }
    let mut df = df!(
        "scenario" => sc, "policy" => pol, "path" => path, "step" => st, "account" => acc,
        "health" => h,
    )
    .unwrap();
    write(
        &mut df,
        &dir.join("health.parquet"),
        metadata(scenario, seed, n),
    );
    per_policy
}

fn write_timeseries(dir: &Path, scenario: &str, seed: u64, data: &[PolicyData], t: i64) {
    let n = data[0].bad_debt.len();
    let mut rng = Lcg(seed ^ 0x5eed);
    let (mut sc, mut pol, mut path, mut step) = (vec![], vec![], vec![], vec![]);
    let (mut debt, mut coll, mut liq, mut rep, mut seized, mut bad) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (k, p) in data.iter().enumerate() {
        for i in 0..n {
            let mut d = 4.8e7;
            for s in 0..=t {
                let crunch = (10..=16).contains(&s);
                let l = if s == 0 {
                    0
                } else if crunch {
                    20 + (rng.next() * 30.0) as i64
                } else {
                    (rng.next() * 4.0) as i64
                };
                let r = l as f64 * 40_000.0 * (1.0 + 0.2 * k as f64);
                d -= r;
                sc.push(scenario.to_owned());
                pol.push(p.name.clone());
                path.push(i as i64);
                step.push(s);
                debt.push(d);
                coll.push(1.0e8 - 1.5 * (4.8e7 - d));
                liq.push(l);
                rep.push(r);
                seized.push(r * 1.05);
                bad.push(0.0);
            }
        }
    }
    let mut df = df!(
        "scenario" => sc, "policy" => pol, "path" => path, "step" => step, "debt" => debt,
        "collateral_value" => coll, "liquidations" => liq, "repaid_debt" => rep,
        "seized_collateral" => seized, "bad_debt_realised" => bad,
    )
    .unwrap();
    write(
        &mut df,
        &dir.join("timeseries.parquet"),
        metadata(scenario, seed, n),
    );
}

/// A long-form paths file: `path, step, asset, price, liquidity, crunch_weight`, with a
/// crunch (prices fall, liquidity dries up) between steps 10 and 16.
pub fn write_paths(file: &Path, scenario: &str, seed: u64, paths: usize, steps: i64) {
    let mut rng = Lcg(seed);
    let (mut path, mut step, mut asset, mut price, mut liq, mut w) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..paths {
        let mut eth = 2000.0;
        let mut btc = 30000.0;
        for s in 0..=steps {
            let weight = if (10..=16).contains(&s) {
                1.0 - ((s - 13) as f64 / 4.0).abs()
            } else {
                0.0
            };
            if s > 0 {
                let z = rng.next() - 0.5;
                eth *= 1.0 + 0.08 * z - 0.06 * weight;
                btc *= 1.0 + 0.06 * z - 0.04 * weight;
            }
            for (a, p) in [("ETH", eth), ("BTC", btc), ("USDC", 1.0)] {
                path.push(i as i64);
                step.push(s);
                asset.push(a.to_owned());
                price.push(p);
                liq.push(1.0 - 0.5 * weight);
                w.push(weight);
            }
        }
    }
    let mut df = df!(
        "path" => path, "step" => step, "asset" => asset, "price" => price,
        "liquidity" => liq, "crunch_weight" => w,
    )
    .unwrap();
    write(&mut df, file, metadata(scenario, seed, paths));
}

/// Type-7 quantile of `x` (sorted ascending inside).
pub fn quantile7(x: &[f64], p: f64) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Mean of the ⌈n/100⌉ largest values.
pub fn es99(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    let k = x.len().div_ceil(100);
    v[..k].iter().sum::<f64>() / k as f64
}

pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation (n − 1).
pub fn sd(x: &[f64]) -> f64 {
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// Relative closeness.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}
