//! `crunch`: stress-test lending-protocol margin policies on price paths.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use crunch_cli::{
    BenchOptions, Interrupted, Overrides, RunOptions, Size, bench_b1, estimate_run, estimate_time,
    prepare, render_table, run_scenario,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Writes to standard output. When the reader has gone (`crunch validate s.toml | head`)
/// the program ends quietly with success, as `print!` would instead panic.
fn write_out(args: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        panic!("failed printing to stdout: {e}");
    }
}

/// `print!` through [`write_out`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::write_out(format_args!($($arg)*)) };
}

/// `println!` through [`write_out`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

mod calibrate;

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
    /// Estimate drift, volatility, correlation, Student-t tails, GARCH(1,1), jumps and the
    /// crunch statistics of a stress window from a price file, and print a scenario
    /// snippet (or, with --json, one JSON object). See docs/calibration.md.
    Calibrate(calibrate::CalibrateArgs),
    /// Run a scenario and write its results (summary.parquet, and optionally
    /// timeseries.parquet, events.parquet and health.parquet) into an output directory.
    Run {
        /// Scenario file (TOML; see scenarios/README.md).
        scenario: PathBuf,
        /// Output directory [default: results/SCENARIO-NAME].
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
        /// Write health.parquet: every indebted account's health factor at step N (0 to
        /// the last step), before its liquidations; replaces `[output] health_step`.
        #[arg(long, value_name = "N")]
        health_step: Option<usize>,
        /// Replace an existing, non-empty output directory, and discard the finished parts
        /// of an interrupted run into it.
        #[arg(long)]
        force: bool,
        /// Finish an interrupted run (Ctrl-C, killed, disk full) into the same output
        /// directory: keep its finished parts and simulate only the missing ones. The
        /// result has the bytes of an uninterrupted run. Refused when the interrupted run
        /// had a different scenario, data, seed, paths, shard or outputs.
        #[arg(long)]
        resume: bool,
        /// Paths per checkpoint: the run is written in parts of this many paths (all
        /// their policies), and an interrupted run keeps its finished parts. It does not
        /// change the results.
        #[arg(long, value_name = "N", default_value_t = crunch_cli::CHECKPOINT_PATHS,
              value_parser = clap::value_parser!(u64).range(1..))]
        checkpoint_paths: u64,
        /// Do not show the progress bar.
        #[arg(long)]
        quiet: bool,
        /// After the run, write the report (OUT/report/) and the standard charts
        /// (OUT/charts/) next to the results.
        #[arg(long)]
        report: bool,
        /// Run only shard I of N (0 <= I < N): the I-th of N contiguous, near-equal ranges
        /// of the run's (path, policy) units in output order (so sweep variants are split
        /// too), with the same per-path random streams as the whole run. Its files carry
        /// `crunch.shard = "I/N"`; `crunch merge` joins the N shard directories.
        /// [default OUT: results/SCENARIO-NAME.shard-I-of-N]
        #[arg(long, value_name = "I/N")]
        shard: Option<crunch_io::Shard>,
        /// Refuse to start when the estimated output (every Parquet file; `crunch validate`
        /// prints the estimate) exceeds SIZE: bytes with an optional unit B, kB, MB, GB or
        /// TB (decimal), for example 800MB or 2TB.
        #[arg(long, value_name = "SIZE", default_value = "10GB")]
        max_output: Size,
    },
    /// Join the output directories of the N shards of a run (`crunch run --shard I/N`)
    /// into the directory the whole run writes, byte for byte. Every shard must be given
    /// exactly once, all from the same scenario hash, seed, version and N.
    Merge {
        /// The shard directories, in any order.
        #[arg(required = true, value_name = "SHARD_DIR")]
        shards: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing, non-empty output directory.
        #[arg(long)]
        force: bool,
    },
    /// Add finished runs (output directories of `crunch run` or `crunch merge`) to a
    /// hive-partitioned Parquet dataset, DATASET/TABLE/scenario=S/policy=P/part-0.parquet
    /// (percent-encoded names), which polars, pyarrow and DuckDB read as one table per output
    /// file. Shards must be merged first.
    Dataset {
        /// The result directories, each of one scenario.
        #[arg(required = true, value_name = "RESULT_DIR")]
        results: Vec<PathBuf>,
        /// The dataset directory; created when missing, and the partitions of other
        /// scenarios in it are kept.
        #[arg(long, value_name = "DATASET")]
        out: PathBuf,
        /// Replace every partition of a scenario the dataset already holds (otherwise
        /// refused).
        #[arg(long)]
        force: bool,
    },
    /// Summarise results per scenario and policy (bad-debt quantiles, expected shortfall,
    /// liquidations, paired differences against a baseline): Markdown to stdout, and
    /// report.md, report.csv and report.parquet into RESULTS/report/.
    Report {
        /// A run directory (with summary.parquet) or a directory of run directories.
        results: PathBuf,
        /// Baseline policy of the paired differences [default: each scenario's first
        /// policy in file order].
        #[arg(long)]
        baseline: Option<String>,
        /// Output directory [default: RESULTS/report].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace existing report files.
        #[arg(long)]
        force: bool,
    },
    /// Draw the standard charts of results as PNG and SVG into RESULTS/charts/.
    Plot {
        /// A run directory (with summary.parquet) or a directory of run directories.
        results: PathBuf,
        /// Output directory [default: RESULTS/charts].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Step marked on the time charts.
        #[arg(long)]
        step: Option<u64>,
        /// Long-form generated paths (path, step, asset, price, ...) for the fan chart
        /// [default: RESULTS/paths.parquet when present].
        #[arg(long)]
        paths: Option<PathBuf>,
        /// Replace existing chart files.
        #[arg(long)]
        force: bool,
    },
    /// Generate a scenario's price paths (with the crunch weight, regime and volatility
    /// of its model) and write them in long form to a Parquet file, without simulating
    /// the book.
    Paths {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Output Parquet file (path, step, asset, price, liquidity, crunch_weight,
        /// regime, volatility).
        #[arg(long)]
        out: PathBuf,
        /// Number of paths [default: the scenario's `paths`].
        #[arg(long)]
        paths: Option<u64>,
        /// Seed, replacing the scenario's `seed`.
        #[arg(long)]
        seed: Option<u64>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Check a scenario and load its data and book, then estimate what `crunch run` will
    /// write and, from a timed pilot of its first paths, how long it will take.
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Paths of the timed pilot (each under every policy, on one thread); 0 skips it.
        #[arg(long, value_name = "N", default_value_t = 2)]
        pilot_paths: u64,
        /// Threads the time estimate assumes [default: every core].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        threads: Option<u32>,
    },
    /// Time workload B1 of the specification end to end and print account-steps per
    /// second; the last line is one JSON object.
    Bench {
        /// The workload; only `b1` exists.
        #[arg(value_parser = ["b1"])]
        workload: String,
        /// The B1 scenario file.
        #[arg(long, default_value = "scenarios/b1.toml")]
        scenario: PathBuf,
        /// Number of paths [default: 1,000].
        #[arg(long)]
        paths: Option<u64>,
        /// Number of accounts [default: the 10,000 of data/b1-accounts.csv]; another count
        /// draws a book of that size from the B1 population.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        accounts: Option<u64>,
        /// Worker threads [default: every core].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        threads: Option<u32>,
    },
}

/// Raised by the first Ctrl-C (SIGINT), SIGTERM or SIGHUP: `crunch run` stops after the paths in
/// progress and keeps its finished parts.
static STOP: AtomicBool = AtomicBool::new(false);

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: u8 = 130;

/// Makes the first Ctrl-C raise [`STOP`] and a second one exit at once (what is finished
/// stays kept either way: parts are published whole).
fn install_stop_handler() {
    let handler = || {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED.into());
        }
        eprintln!("\nstopping: finishing the paths in progress (Ctrl-C again to quit at once)");
    };
    if let Err(e) = ctrlc::set_handler(handler) {
        eprintln!("warning: Ctrl-C will not stop the run cleanly: {e}");
    }
}

fn main() -> ExitCode {
    match dispatch(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.is::<Interrupted>() {
                ExitCode::from(EXIT_INTERRUPTED)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Calibrate(args) => calibrate::run(&args),
        Command::Run {
            scenario,
            out,
            threads,
            paths,
            seed,
            health_step,
            force,
            resume,
            checkpoint_paths,
            quiet,
            report,
            shard,
            max_output,
        } => {
            let mut prepared = prepare(&scenario, Overrides { seed, paths })?;
            if let Some(step) = health_step {
                prepared.set_health_step(step)?;
            }
            let out = out.unwrap_or_else(|| {
                let name = &prepared.scenario.name;
                PathBuf::from("results").join(match shard {
                    Some(k) => format!("{name}.shard-{}-of-{}", k.index(), k.count()),
                    None => name.clone(),
                })
            });
            install_stop_handler();
            let options = RunOptions {
                threads: threads.map(|t| t as usize),
                force,
                progress: !quiet,
                shard,
                max_output: Some(max_output),
                resume,
                checkpoint_paths,
                stop: Some(&STOP),
                ..RunOptions::new(out.clone())
            };
            let stats = run_scenario(&prepared, &options)?;
            let s = &prepared.scenario;
            outln!(
                "scenario `{}`: {} paths x {} steps, {} accounts, seed {}",
                s.name,
                s.paths,
                prepared.source.steps(),
                prepared.book.len(),
                s.seed
            );
            if let Some(k) = shard {
                let policies = s.policies.len() as u64;
                let r = k.units(s.paths * policies);
                outln!(
                    "shard {k}: units {}..{} of {} ({} paths x {} policies), paths {}..{}",
                    r.start,
                    r.end,
                    s.paths * policies,
                    s.paths,
                    policies,
                    r.start / policies,
                    r.end.div_ceil(policies)
                );
            }
            out!("{}", render_table(&stats));
            if s.derivatives.is_some() {
                outln!(
                    "derivatives book, per margin mode (USD; cap. eff. = gross notional / initial requirement):"
                );
                out!(
                    "{}",
                    crunch_cli::render_deriv_table(&crunch_cli::deriv_stats(&out)?)
                );
            }
            outln!("results in {}", out.join("summary.parquet").display());
            if report {
                for line in crunch_cli::report_after_run(&out)? {
                    outln!("{line}");
                }
            }
            Ok(())
        }
        Command::Merge { shards, out, force } => {
            let merged = crunch_io::merge_shards(&shards, &out, force)?;
            outln!("merged {} shards into {}:", merged.shards, out.display());
            for (name, rows) in &merged.files {
                outln!("  {name}: {rows} rows");
            }
            Ok(())
        }
        Command::Dataset {
            results,
            out,
            force,
        } => {
            let added = crunch_io::add_to_dataset(&results, &out, force)?;
            outln!("dataset {}:", out.display());
            for run in &added {
                let tables: Vec<String> = run
                    .tables
                    .iter()
                    .map(|(table, rows)| format!("{table} {rows} rows"))
                    .collect();
                outln!(
                    "  scenario `{}` ({} policies) from {}: {}{}",
                    run.scenario,
                    run.policies.len(),
                    run.source.display(),
                    tables.join(", "),
                    if run.replaced {
                        " (replaced its earlier partitions)"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        Command::Report {
            results,
            baseline,
            out,
            force,
        } => {
            let options = crunch_cli::ReportOptions {
                baseline,
                out,
                force,
            };
            let (markdown, dir) = crunch_cli::report_results(&results, &options)?;
            out!("{markdown}");
            eprintln!("report in {}", dir.display());
            Ok(())
        }
        Command::Plot {
            results,
            out,
            step,
            paths,
            force,
        } => {
            let options = crunch_report::PlotOptions {
                out,
                step,
                paths,
                force,
            };
            for line in crunch_cli::plot_results(&results, &options)?.1 {
                outln!("{line}");
            }
            Ok(())
        }
        Command::Bench {
            workload: _,
            scenario,
            paths,
            accounts,
            threads,
        } => {
            let report = bench_b1(&BenchOptions {
                scenario,
                paths,
                accounts: accounts.map(|n| n as usize),
                threads: threads.map(|t| t as usize),
            })?;
            outln!(
                "b1: {} paths x {} steps x {} accounts x {} policies in {:.3} s on {} threads \
                 ({} cores): {:.3e} account-steps/s",
                report.paths,
                report.steps,
                report.accounts,
                report.policies,
                report.seconds,
                report.threads,
                report.cores,
                report.account_steps_per_s
            );
            outln!("{}", report.json());
            Ok(())
        }
        Command::Paths {
            scenario,
            out,
            paths,
            seed,
            force,
        } => {
            let options = crunch_cli::PathsOptions {
                out,
                paths,
                seed,
                force,
            };
            let w = crunch_cli::write_paths(&scenario, &options)?;
            outln!(
                "scenario `{}` ({} source): {} paths x {} steps x {} assets, {} rows in {}",
                w.scenario,
                w.source,
                w.paths,
                w.steps,
                w.assets,
                w.rows,
                options.out.display()
            );
            Ok(())
        }
        Command::Validate {
            scenario,
            pilot_paths,
            threads,
        } => {
            let p = prepare(&scenario, Overrides::default())?;
            let s = &p.scenario;
            outln!(
                "ok: scenario `{}` ({}): {} assets, {} accounts, {} policies, {} paths x {} steps",
                s.name,
                scenario.display(),
                s.market.len(),
                p.book.len(),
                s.policies.len(),
                s.paths,
                p.source.steps()
            );
            if let (Some(d), Some(book)) = (&s.derivatives, &p.deriv_book) {
                let modes: Vec<String> = d.modes(&s.policies).iter().map(|m| m.name()).collect();
                outln!(
                    "derivatives: {} accounts under {} modes ({})",
                    book.accounts().len(),
                    modes.len(),
                    modes.join(", ")
                );
            }
            let estimate = estimate_run(&p, s.paths * s.policies.len() as u64);
            out!(
                "estimated output of `crunch run` (refused above --max-output, default 10GB):\n{estimate}"
            );
            if pilot_paths > 0 {
                let threads = threads.map_or_else(rayon::current_num_threads, |t| t as usize);
                let time = estimate_time(&p, s.paths, pilot_paths, threads)
                    .with_context(|| format!("the timed pilot of {}", scenario.display()))?;
                outln!("estimated time of `crunch run`: {time}");
            }
            Ok(())
        }
    }
}
