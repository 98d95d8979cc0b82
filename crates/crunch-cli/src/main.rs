//! `crunch`: stress-test lending-protocol margin policies on price paths.

use anyhow::Result;
use clap::{Parser, Subcommand};
use crunch_cli::{Overrides, RunOptions, prepare, render_table, run_scenario};
use std::path::PathBuf;
use std::process::ExitCode;

/// Stress-test margin and collateral policies of lending protocols on Monte Carlo and
/// historical price paths, and write solvency, liquidation and capital-efficiency metrics
/// to Parquet.
#[derive(Parser)]
#[command(name = "crunch", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write its results (summary.parquet, and optionally
    /// timeseries.parquet and events.parquet) into an output directory.
    Run {
        /// Scenario file (TOML; see scenarios/README.md).
        scenario: PathBuf,
        /// Output directory [default: results/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads [default: every core]. Results are identical for any value.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        threads: Option<u32>,
        /// Number of paths, replacing the scenario's `paths`.
        #[arg(long)]
        paths: Option<u64>,
        /// Seed, replacing the scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Replace an existing, non-empty output directory.
        #[arg(long)]
        force: bool,
        /// Do not show the progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Check a scenario and load its data and book, without simulating.
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
}

fn main() -> ExitCode {
    match dispatch(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            scenario,
            out,
            threads,
            paths,
            seed,
            force,
            quiet,
        } => {
            let prepared = prepare(&scenario, Overrides { seed, paths })?;
            let out = out.unwrap_or_else(|| PathBuf::from("results").join(&prepared.scenario.name));
            let options = RunOptions {
                out: out.clone(),
                threads: threads.map(|t| t as usize),
                force,
                progress: !quiet,
            };
            let stats = run_scenario(&prepared, &options)?;
            let s = &prepared.scenario;
            println!(
                "scenario `{}`: {} paths x {} steps, {} accounts, seed {}",
                s.name,
                s.paths,
                prepared.source.steps(),
                prepared.book.len(),
                s.seed
            );
            print!("{}", render_table(&stats));
            println!("results in {}", out.join("summary.parquet").display());
            Ok(())
        }
        Command::Validate { scenario } => {
            let p = prepare(&scenario, Overrides::default())?;
            let s = &p.scenario;
            println!(
                "ok: scenario `{}` ({}): {} assets, {} accounts, {} policies, {} paths x {} steps",
                s.name,
                scenario.display(),
                s.market.len(),
                p.book.len(),
                s.policies.len(),
                s.paths,
                p.source.steps()
            );
            Ok(())
        }
    }
}
