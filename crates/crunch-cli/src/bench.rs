//! `crunch bench b1`: workload B1 of the specification at a chosen size, timed end to end
//! (loading, simulation and Parquet writing), reported in account-steps per second.

use crate::prepare::{Overrides, prepare};
use crate::run::{RunOptions, run_scenario};
use anyhow::{Result, bail};
use crunch_book::{GeneratorSpec, HoldingSpec, generate};
use std::path::PathBuf;
use std::time::Instant;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The B1 scenario file (`scenarios/b1.toml`).
    pub scenario: PathBuf,
    /// Paths [default: the scenario's 1,000].
    pub paths: Option<u64>,
    /// Accounts [default: the 10,000 of `data/b1-accounts.csv`]; another count draws a
    /// book of that size from the B1 population (`crunch_book::generate`).
    pub accounts: Option<usize>,
    /// Worker threads [default: every core].
    pub threads: Option<usize>,
}

/// The measured figures.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// Paths run.
    pub paths: u64,
    /// Accounts in the book.
    pub accounts: usize,
    /// Steps per path.
    pub steps: usize,
    /// Policies compared.
    pub policies: usize,
    /// Worker threads used.
    pub threads: usize,
    /// Cores the machine reports.
    pub cores: usize,
    /// Wall seconds, from reading the scenario to the published output.
    pub seconds: f64,
    /// `accounts x steps x paths x policies / seconds`.
    pub account_steps_per_s: f64,
}

impl BenchReport {
    /// The report as one line of JSON.
    pub fn json(&self) -> String {
        format!(
            "{{\"workload\":\"b1\",\"paths\":{},\"accounts\":{},\"steps\":{},\"policies\":{},\
             \"threads\":{},\"cores\":{},\"seconds\":{:.6},\"account_steps_per_s\":{:.0}}}",
            self.paths,
            self.accounts,
            self.steps,
            self.policies,
            self.threads,
            self.cores,
            self.seconds,
            self.account_steps_per_s
        )
    }
}

/// The B1 account population of `docs/lending-v1.md` with `accounts` accounts.
fn b1_population(accounts: usize) -> GeneratorSpec {
    let holding = |asset: &str, probability, ltv| HoldingSpec {
        asset: asset.into(),
        probability,
        median_value: 10_000.0,
        log_sd: 1.5,
        ltv,
    };
    GeneratorSpec {
        accounts,
        debt_asset: "USDC".into(),
        utilisation: (0.3, 0.95),
        holdings: vec![holding("ETH", 0.7, 0.80), holding("BTC", 0.5, 0.73)],
        scores: Vec::new(),
    }
}

/// Runs B1 into a temporary directory (removed afterwards) and measures it.
pub fn bench_b1(options: &BenchOptions) -> Result<BenchReport> {
    let threads = options.threads.unwrap_or_else(rayon::current_num_threads);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let out = std::env::temp_dir().join(format!("crunch-bench-{}", std::process::id()));
    if out.exists() {
        bail!("{} exists; remove it first", out.display());
    }
    let started = Instant::now();
    let mut prepared = prepare(
        &options.scenario,
        Overrides {
            seed: None,
            paths: options.paths,
        },
    )?;
    if let Some(n) = options.accounts {
        let market = &prepared.scenario.market;
        prepared.book = generate(&b1_population(n), market, prepared.scenario.seed)?;
    }
    let run = RunOptions {
        threads: Some(threads),
        ..RunOptions::new(out.clone())
    };
    let result = run_scenario(&prepared, &run);
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&out);
    result?;
    let s = &prepared.scenario;
    let (accounts, steps) = (prepared.book.len(), prepared.source.steps());
    let work = accounts as f64 * steps as f64 * s.paths as f64 * s.policies.len() as f64;
    Ok(BenchReport {
        paths: s.paths,
        accounts,
        steps,
        policies: s.policies.len(),
        threads,
        cores,
        seconds,
        account_steps_per_s: work / seconds,
    })
}
