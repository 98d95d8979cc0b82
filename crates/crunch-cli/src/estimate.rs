//! Before a run: how many rows and bytes it will write, how much work it is and (from a
//! timed pilot) about how long it will take, so that `crunch run` can refuse a run that
//! would write more than `--max-output` and `crunch validate` can say what a run costs.

use crate::prepare::Prepared;
use crunch_core::{PathOutcome, ResultSink};
use crunch_engine::{EngineError, RunError};
use std::convert::Infallible;
use std::fmt;
use std::time::{Duration, Instant};

/// Bytes per row of each file as plain Parquet encoding would store it: 8 per int64 or
/// float64 column, 1 per bool, 4 per dictionary-encoded string (its index). zstd and
/// dictionary encoding usually make the files smaller, so the estimate errs on the large
/// side.
const SUMMARY_ROW: u64 = 2 * 4 + 8 + 23 * 8;
/// See [`SUMMARY_ROW`]: scenario, policy, path, step and six values.
const TIMESERIES_ROW: u64 = 2 * 4 + 8 + 8 + 6 * 8;
/// See [`SUMMARY_ROW`]: scenario, policy, path, step, account, asset, three values and a
/// bool.
const EVENTS_ROW: u64 = 2 * 4 + 8 + 8 + 4 + 4 + 3 * 8 + 1;
/// See [`SUMMARY_ROW`]: scenario, policy, path, step, account and the health factor.
const HEALTH_ROW: u64 = 2 * 4 + 8 + 8 + 4 + 8;
/// See [`SUMMARY_ROW`]: scenario, policy, path, tier and ten values.
const TIERS_ROW: u64 = 2 * 4 + 8 + 8 + 10 * 8;
/// See [`SUMMARY_ROW`]: scenario, mode, path and twenty values.
const DERIVATIVES_ROW: u64 = 2 * 4 + 8 + 20 * 8;
/// See [`SUMMARY_ROW`]: scenario, mode, path, step and ten values.
const DERIVATIVES_STEP_ROW: u64 = 2 * 4 + 8 + 8 + 10 * 8;
/// Fixed bytes per file besides the scenario text it carries twice (in the key-value
/// metadata and in the embedded Arrow schema): footer, schema, statistics.
const FILE_OVERHEAD: u64 = 4096;

/// The estimate of one output file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileEstimate {
    /// File name, for example `summary.parquet`.
    pub name: &'static str,
    /// Rows: exact for the summary and time series, an upper bound for health, an
    /// estimate for events (see [`RunEstimate::events_bound`]).
    pub rows: u64,
    /// Bytes: `rows` times the plain width of a row plus a fixed overhead per file.
    pub bytes: u64,
}

/// What a run will write and compute, from its paths, policies, steps and book.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEstimate {
    /// The files the run writes, in the order they are listed.
    pub files: Vec<FileEstimate>,
    /// With `events.parquet`: the most rows it can have, one per liquidated position
    /// (account, collateral asset) per step, path and policy; the engine acts on a
    /// position at most once per step.
    pub events_bound: Option<u64>,
    /// Account-steps simulated: paths x policies x steps x accounts (the unit of
    /// `crunch bench`).
    pub account_steps: u64,
}

impl RunEstimate {
    /// Estimated bytes of every file together.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

/// Estimates a run of `units` (path, policy) units of `prepared` (paths x policies for the
/// whole run, fewer for a shard).
///
/// Rows: `derivatives.parquet` (with `[derivatives]`) has one row per path and mode, paths
/// counted as units over policies, rounded up. `summary.parquet` has one row per unit and `timeseries.parquet` units x
/// (steps + 1), exactly. `health.parquet` has at most units x accounts with debt at step
/// 0 (debt never grows). `events.parquet` is estimated at one
/// liquidation per position (an indebted account's collateral asset) per path and policy;
/// it is not a bound: a position can be liquidated again at every step, which
/// [`RunEstimate::events_bound`] counts.
pub fn estimate_run(prepared: &Prepared, units: u64) -> RunEstimate {
    let s = &prepared.scenario;
    let runs = units;
    let steps = prepared.source.steps() as u64;
    let book = &prepared.book;
    let indebted: Vec<usize> = (0..book.len()).filter(|&j| book.indebted(j)).collect();
    let positions: u64 = book
        .collateral
        .iter()
        .map(|c| indebted.iter().filter(|&&j| c[j] > 0.0).count() as u64)
        .sum();
    let overhead = FILE_OVERHEAD + 2 * s.text.len() as u64;
    let file = |name, rows: u64, width: u64| FileEstimate {
        name,
        rows,
        bytes: rows.saturating_mul(width).saturating_add(overhead),
    };
    let mut files = vec![file("summary.parquet", runs, SUMMARY_ROW)];
    if s.output.timeseries {
        files.push(file(
            "timeseries.parquet",
            runs.saturating_mul(steps + 1),
            TIMESERIES_ROW,
        ));
    }
    if s.output.events {
        files.push(file(
            "events.parquet",
            runs.saturating_mul(positions),
            EVENTS_ROW,
        ));
    }
    if let Some(r) = &s.frictions.reputation {
        let rows = runs.saturating_mul(r.tiers.len() as u64);
        files.push(file("tiers.parquet", rows, TIERS_ROW));
    }
    if s.output.health_step.is_some() {
        files.push(file(
            "health.parquet",
            runs.saturating_mul(indebted.len() as u64),
            // With reputation tiers, each row also has the account's score.
            HEALTH_ROW + 8 * u64::from(s.frictions.reputation.is_some()),
        ));
    }
    if let Some(d) = &s.derivatives {
        let k = s.policies.len().max(1) as u64;
        let rows = runs
            .div_ceil(k)
            .saturating_mul((d.modes.len() + s.policies.len()) as u64);
        files.push(file(crunch_io::DERIV_FILE, rows, DERIVATIVES_ROW));
        if s.output.timeseries {
            files.push(file(
                crunch_io::DERIV_STEPS_FILE,
                rows.saturating_mul(steps + 1),
                DERIVATIVES_STEP_ROW,
            ));
        }
    }
    RunEstimate {
        files,
        events_bound: s
            .output
            .events
            .then(|| runs.saturating_mul(positions).saturating_mul(steps + 1)),
        account_steps: runs.saturating_mul(steps).saturating_mul(book.len() as u64),
    }
}

impl fmt::Display for RunEstimate {
    /// One line per file and a line of work, for example
    /// `  summary.parquet: 1,000 rows, about 140.1 kB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            write!(
                f,
                "  {}: {} rows, about {}",
                file.name,
                file.rows,
                Size(file.bytes)
            )?;
            if let (Some(bound), "events.parquet") = (self.events_bound, file.name) {
                write!(f, " (estimate; at most {bound} rows)")?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "  total: about {}; work: {} account-steps",
            Size(self.bytes()),
            self.account_steps
        )
    }
}

/// A run-time estimate from a timed pilot: the first paths of the run, every policy, on one
/// thread.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeEstimate {
    /// Paths the pilot simulated (each under every policy).
    pub pilot_paths: u64,
    /// Wall time of the pilot.
    pub pilot: Duration,
    /// The whole run's estimated wall time on `threads` threads: the pilot's time per
    /// path, times the paths, divided by the threads (paths run in parallel with little
    /// else shared; the README's B1 figures give the 2-thread factor).
    pub run: Duration,
    /// Threads assumed for [`run`](Self::run).
    pub threads: usize,
}

/// A sink that keeps nothing (the pilot only times the simulation).
struct Discard;

impl ResultSink for Discard {
    type Error = Infallible;
    fn accept(&mut self, _: &PathOutcome) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Times the first `pilot_paths` paths (at most the run's) of `prepared` under every
/// policy on one thread, with the run's outputs recorded, and extrapolates to the run's
/// `paths` paths on `threads` threads. Paths are independent and identically
/// distributed, so the first ones are a fair sample of a path's cost; the pilot's own
/// time is small against any run it is worth estimating. Fails as the run would (a model
/// error in the pilot's paths).
pub fn estimate_time(
    prepared: &Prepared,
    paths: u64,
    pilot_paths: u64,
    threads: usize,
) -> Result<TimeEstimate, EngineError> {
    let s = &prepared.scenario;
    let pilot_paths = pilot_paths.min(paths).max(1);
    let plan = prepared.plan(crunch_engine::units(0..pilot_paths, s.policies.len()), None);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let started = Instant::now();
    pool.install(|| crunch_engine::run(&plan, &mut Discard, &|| {}))
        .map_err(|e| match e {
            RunError::Engine(e) => e,
            RunError::Sink(never) => match never {},
            RunError::Interrupted { .. } => unreachable!("the pilot has no stop flag"),
        })?;
    let pilot = started.elapsed();
    let threads = threads.max(1);
    let run = pilot.mul_f64(paths as f64 / pilot_paths as f64 / threads as f64);
    Ok(TimeEstimate {
        pilot_paths,
        pilot,
        run,
        threads,
    })
}

impl fmt::Display for TimeEstimate {
    /// For example `about 1 min 5 s on 2 threads (a pilot of 2 paths took 0.26 s on 1
    /// thread)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.run.as_secs_f64();
        let human = if secs < 60.0 {
            format!("{secs:.1} s")
        } else if secs < 3600.0 {
            format!("{} min {} s", (secs / 60.0).floor(), (secs % 60.0).round())
        } else {
            format!("{:.1} h", secs / 3600.0)
        };
        write!(
            f,
            "about {human} on {} thread(s) (a pilot of {} path(s) took {:.2} s on 1 thread)",
            self.threads,
            self.pilot_paths,
            self.pilot.as_secs_f64()
        )
    }
}

/// A byte count in decimal units (`kB`, `MB`, `GB`, `TB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(pub u64);

impl Size {
    /// The smallest `--max-output` argument of whole decimal units at least this large,
    /// for example `13GB` for 12.3 GB.
    pub fn argument(self) -> String {
        let mut unit = 1u64;
        for name in ["B", "kB", "MB", "GB"] {
            if self.0 < unit.saturating_mul(1000) {
                return format!("{}{name}", self.0.div_ceil(unit));
            }
            unit *= 1000;
        }
        format!("{}TB", self.0.div_ceil(unit))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
        if self.0 < 1000 {
            return write!(f, "{} B", self.0);
        }
        let mut x = self.0 as f64 / 1000.0;
        let mut unit = 0;
        while x >= 1000.0 && unit + 1 < UNITS.len() {
            x /= 1000.0;
            unit += 1;
        }
        write!(f, "{x:.1} {}", UNITS[unit])
    }
}

impl std::str::FromStr for Size {
    type Err = String;

    /// A number of bytes with an optional decimal unit: `500`, `800MB`, `10GB`, `1.5TB`
    /// (`B`, `kB`/`KB`, `MB`, `GB`, `TB`, any case).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let factor = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "kb" => 1e3,
            "mb" => 1e6,
            "gb" => 1e9,
            "tb" => 1e12,
            _ => return Err(format!("unknown unit in `{s}`; use B, kB, MB, GB or TB")),
        };
        let x: f64 = number
            .parse()
            .map_err(|_| format!("`{s}` is not a size such as 800MB or 10GB"))?;
        Ok(Size((x * factor).round() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!("10GB".parse(), Ok(Size(10_000_000_000)));
        assert_eq!("1.5 tb".parse(), Ok(Size(1_500_000_000_000)));
        assert_eq!("800".parse(), Ok(Size(800)));
        assert_eq!("64kB".parse(), Ok(Size(64_000)));
        assert!("ten GB".parse::<Size>().is_err());
        assert!("10 GiB".parse::<Size>().is_err());
        assert_eq!(Size(999).to_string(), "999 B");
        assert_eq!(Size(140_100).to_string(), "140.1 kB");
        assert_eq!(Size(12_345_678_901).to_string(), "12.3 GB");
        assert_eq!(Size(12_345_678_901).argument(), "13GB");
        assert_eq!(Size(1_000_000).argument(), "1MB");
        assert_eq!(Size(999).argument(), "999B");
        assert!("13GB".parse::<Size>().unwrap() >= Size(12_345_678_901));
    }
}
