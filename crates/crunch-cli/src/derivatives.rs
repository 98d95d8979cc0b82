//! The derivatives side of `crunch run` (`[derivatives]`): the book loaded with the
//! scenario, simulated under every margin mode on the lending run's paths, written to
//! `derivatives.parquet` part by part, and summarised in a table per mode.
//!
//! Each part of a run (a checkpoint of units `[a, b)`, `K` policies per path) writes the
//! rows of the paths whose first unit `p K` lies in it, by path and then by mode, so the
//! parts and the shards of a run join into the rows of the single run, in the same order,
//! as the lending files do; `--resume`, `--shard` and `crunch merge` need nothing more.
//! Path `p` is generated once from `stream_rng(seed, MarketPaths, p)`, as the lending
//! engine generates it, and read by every mode.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use crunch_core::{Domain, PricePath, stream_rng};
use crunch_derivatives::{
    DerivBook, DerivOptions, DerivOutcome, load_deriv_book, simulate_deriv_path,
};
use crunch_engine::RunError;
use crunch_io::{DERIV_FILE, DerivRow, DerivSink, OutputDir, read_deriv_rows};
use crunch_scenario::Scenario;
use rayon::prelude::*;

use crate::prepare::{Prepared, read};
use crate::run::PartError;
use crate::summary::type7_quantile;

/// Paths simulated in parallel before their rows are written (bounds the rows held).
const PATHS_PER_CHUNK: u64 = 256;

/// Loads the book of `[derivatives]`, if any, and adds its bytes to the data files of the
/// scenario hash. Errors name the scenario, the key and, for a bad row, the book file's
/// line and column.
pub(crate) fn load_book(scenario: &Scenario, data: &mut Vec<Vec<u8>>) -> Result<Option<DerivBook>> {
    let Some(spec) = &scenario.derivatives else {
        return Ok(None);
    };
    let key = || format!("{}: `derivatives.book`", scenario.file.display());
    data.push(read(&spec.book).with_context(key)?);
    Ok(Some(
        load_deriv_book(&spec.book, &scenario.market).with_context(key)?,
    ))
}

/// The paths whose rows a part of units `units` writes: those whose first unit `p k`
/// lies in `units` (`k >= 1` policies per path).
pub(crate) fn part_paths(units: &Range<u64>, k: u64) -> Range<u64> {
    units.start.div_ceil(k)..units.end.div_ceil(k)
}

/// Writes the part's `derivatives.parquet` into `out`: every path of
/// [`part_paths`]`(units, k)` under every mode, on the current rayon pool. Nothing is
/// random here and rows are written in (path, mode) order, so the bytes do not depend on
/// the number of threads.
pub(crate) fn write_part(
    out: &OutputDir,
    prepared: &Prepared,
    units: &Range<u64>,
    metadata: &[(String, String)],
    stop: Option<&AtomicBool>,
) -> Result<(), PartError> {
    let s = &prepared.scenario;
    let (Some(spec), Some(book)) = (&s.derivatives, &prepared.deriv_book) else {
        return Ok(());
    };
    let modes = spec.modes(&s.policies);
    let names: Vec<String> = modes.iter().map(|m| m.name()).collect();
    let source = prepared.source.as_ref();
    let paths = part_paths(units, s.policies.len() as u64);
    // With `[output] timeseries`, every mode's per-step series too.
    let options = DerivOptions {
        timeseries: s.output.timeseries,
        ..spec.options
    };
    let mut sink = DerivSink::create(out, &s.name, metadata, s.output.timeseries)?;
    let mut start = paths.start;
    while start < paths.end {
        if stop.is_some_and(|f| f.load(Ordering::Relaxed)) {
            return Err(PartError::Run(RunError::Interrupted { next: units.start }));
        }
        let end = (start + PATHS_PER_CHUNK).min(paths.end);
        let chunk: Vec<Result<Vec<DerivOutcome>, PartError>> = (start..end)
            .into_par_iter()
            .map(|p| {
                let mut path = PricePath::new(source.steps(), source.assets());
                source.fill(&mut stream_rng(s.seed, Domain::MarketPaths, p), &mut path);
                // Assets on remote chains copy their base asset's prices, as in the
                // lending run.
                if let Some(c) = &s.frictions.chains {
                    c.mirror(&mut path);
                }
                modes
                    .iter()
                    .map(|mode| {
                        simulate_deriv_path(&s.market, book, mode, &path, &options).map_err(
                            |cause| PartError::Deriv {
                                path: p,
                                mode: mode.name(),
                                cause,
                            },
                        )
                    })
                    .collect()
            })
            .collect();
        for (p, outcomes) in (start..end).zip(chunk) {
            for (name, o) in names.iter().zip(outcomes?) {
                sink.push(name, p, &o.summary, &o.steps)?;
            }
        }
        start = end;
    }
    sink.finish()?;
    Ok(())
}

/// Per-mode statistics of `derivatives.parquet` over paths.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivStats {
    /// The mode's name.
    pub mode: String,
    /// Mean over paths of bad debt plus socialised loss (USD).
    pub mean_loss: f64,
    /// 99th percentile over paths of bad debt plus socialised loss (USD), Hyndman–Fan
    /// type 7 as in the lending table.
    pub p99_loss: f64,
    /// Mean number of liquidations per path (events).
    pub mean_liquidations: f64,
    /// Gross notional over initial requirement at step 0 (ratio) of the first path; the
    /// same on every path because `p[0]` is fixed.
    pub capital_efficiency: Option<f64>,
    /// Collateral above the initial requirement at step 0 (USD) of the first path; the
    /// same on every path.
    pub idle_collateral: f64,
}

/// The statistics of each mode of `derivatives.parquet` in `out`, modes in the order of
/// their first row (the scenario's order).
pub fn deriv_stats(out: &Path) -> Result<Vec<DerivStats>> {
    let rows = read_deriv_rows(&out.join(DERIV_FILE))?;
    let mut modes: Vec<&str> = Vec::new();
    for r in &rows {
        if !modes.contains(&r.mode.as_str()) {
            modes.push(&r.mode);
        }
    }
    Ok(modes
        .iter()
        .map(|&mode| {
            let mine: Vec<&DerivRow> = rows.iter().filter(|r| r.mode == mode).collect();
            let n = mine.len() as f64;
            let mut loss: Vec<f64> = mine
                .iter()
                .map(|r| r.bad_debt + r.socialised_loss)
                .collect();
            loss.sort_by(f64::total_cmp);
            DerivStats {
                mode: mode.to_owned(),
                mean_loss: loss.iter().sum::<f64>() / n,
                p99_loss: type7_quantile(&loss, 0.99),
                mean_liquidations: mine.iter().map(|r| r.liquidations as f64).sum::<f64>() / n,
                capital_efficiency: mine[0].capital_efficiency,
                idle_collateral: mine[0].idle_collateral,
            }
        })
        .collect())
}

/// A fixed-width text table of the statistics.
pub fn render_deriv_table(stats: &[DerivStats]) -> String {
    let width = stats.iter().map(|s| s.mode.len()).max().unwrap_or(0).max(4);
    let mut out = format!(
        "{:<width$}  {:>16}  {:>16}  {:>17}  {:>10}  {:>15}\n",
        "mode",
        "mean bad+social",
        "p99 bad+social",
        "mean liquidations",
        "cap. eff.",
        "idle collateral"
    );
    for s in stats {
        let efficiency = s
            .capital_efficiency
            .map_or_else(|| "n/a".to_owned(), |e| format!("{e:.2}x"));
        out += &format!(
            "{:<width$}  {:>16.2}  {:>16.2}  {:>17.2}  {:>10}  {:>15.2}\n",
            s.mode, s.mean_loss, s.p99_loss, s.mean_liquidations, efficiency, s.idle_collateral
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_belongs_to_the_part_of_its_first_unit() {
        // Three policies: path p has units 3p, 3p+1, 3p+2. Units 0..7 hold the first
        // units of paths 0, 1 and 2 (unit 6); units 7..9 hold none; 9..10 holds path 3's.
        assert_eq!(part_paths(&(0..7), 3), 0..3);
        assert_eq!(part_paths(&(7..9), 3), 3..3);
        assert_eq!(part_paths(&(9..10), 3), 3..4);
        assert_eq!(part_paths(&(0..12), 3), 0..4);
    }

    #[test]
    fn stats_from_the_file() {
        // 100 paths of mode `cross` with bad debt i - 1 and socialised loss 1 (loss i,
        // i = 1..=100) and i % 2 liquidations: mean loss 50.5, mean liquidations 0.5;
        // h = 99 * 0.99 = 98.01, p99 = x[98] + 0.01 (x[99] - x[98]) = 99.01. Mode
        // `portfolio` has one path without loss.
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("out");
        let out = OutputDir::prepare(&dir, false).unwrap();
        let mut sink = DerivSink::create(&out, "s", &[], false).unwrap();
        for i in 1..=100u64 {
            let s = crunch_derivatives::DerivSummary {
                bad_debt: (i - 1) as f64,
                socialised_loss: 1.0,
                liquidations: i % 2,
                capital_efficiency: Some(5.0),
                idle_collateral: 12.0,
                ..Default::default()
            };
            sink.push("cross", i - 1, &s, &[]).unwrap();
        }
        sink.push("portfolio", 0, &Default::default(), &[]).unwrap();
        sink.finish().unwrap();
        out.commit().unwrap();
        let stats = deriv_stats(&dir).unwrap();
        assert_eq!(stats.len(), 2);
        let cross = &stats[0];
        assert_eq!(cross.mode, "cross");
        assert_eq!(cross.mean_loss, 50.5);
        assert!((cross.p99_loss - 99.01).abs() < 1e-9);
        assert_eq!(cross.mean_liquidations, 0.5);
        assert_eq!(
            (cross.capital_efficiency, cross.idle_collateral),
            (Some(5.0), 12.0)
        );
        assert_eq!(stats[1].mode, "portfolio");
        let table = render_deriv_table(&stats);
        assert!(
            table.contains("99.01") && table.contains("5.00x"),
            "{table}"
        );
        assert!(table.contains("n/a"), "{table}");
    }
}
