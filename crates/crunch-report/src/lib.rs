//! Reports and charts from crunch result directories.
//!
//! A *result directory* is what `crunch run` writes: `summary.parquet` and optionally
//! `timeseries.parquet`, `events.parquet`, `health.parquet` (and, when a path generator
//! wrote it, `paths.parquet`). A *batch* is a directory whose immediate subdirectories are result
//! directories. Both are accepted everywhere.
//!
//! - [`build_report`] aggregates every `summary.parquet` with lazy polars scans into one row
//!   per (run, scenario, policy): bad-debt statistics, liquidation metrics and the paired
//!   difference of bad debt against a baseline policy. [`write_report`] writes it as
//!   Markdown, CSV and Parquet.
//! - [`plot`] renders the standard charts as PNG and SVG with plotters and a bundled font
//!   (DejaVu Sans through ab_glyph: no system font library is needed).
//!
//! # Definitions
//!
//! For the `n` paths of a (scenario, policy) with bad debt values `x`, sorted ascending
//! `x(0) <= … <= x(n-1)`:
//!
//! - **Quantile** `q_p` (median `p = 0.5`, p95, p99): linear interpolation between order
//!   statistics (Hyndman–Fan type 7, the default of R and NumPy): `h = (n - 1) p`,
//!   `q_p = x(⌊h⌋) + (h - ⌊h⌋) (x(⌊h⌋ + 1) - x(⌊h⌋))` (just `x(⌊h⌋)` when `⌊h⌋ = n - 1`).
//! - **Expected shortfall at 99 %** (ES99): the mean of the worst 1 % of paths, that is of
//!   the `k = ⌈n / 100⌉` largest values (at least one path; 5 of 500, 10 of 1,000, 1 of 1
//!   to 100). With `n` a multiple of 100 this is the usual discrete expected shortfall.
//! - **VaR95** and **EVaR99** (value at risk at 95 %, "extreme" value at risk at 99 %):
//!   the quantiles `q_0.95` and `q_0.99` of bad debt (`bad_debt_p95`, `bad_debt_p99`; one
//!   column each, not duplicated). Bad debt is per path, over the run's horizon of `T`
//!   steps, so these are `T`-step figures in USD.
//! - **LaR95** (liquidations at risk, `lar95`): `q_0.95` of `seized_collateral`, the
//!   collateral value liquidated on a path over the `T` steps, USD.
//! - **Borrowing power** (`borrowing_power`): the mean of `initial_borrowing_power`,
//!   `Σ c p ltv` at step 0, USD; **borrow usage** (`borrow_usage`): mean `initial_debt` /
//!   that power at step 0 (both are the same on every path), null when the power is 0.
//! - Frictions, means over paths: `dust_bad_debt_mean` (USD), `blocked_mean` (the four
//!   `blocked_*` account-step counts summed) and `time_to_liquidate_mean` (steps; the mean
//!   of `mean_time_to_liquidate` over the paths that have one).
//! - Columns that results of an older crunch lack (`initial_borrowing_power` and every
//!   later one) are read as null: the figures built on them are null (`None`, empty in
//!   CSV, `n/a` in Markdown).
//! - **P(bad debt > 0)**: the share of paths with `bad_debt > 0`.
//! - **Paired difference** against the baseline policy: `d_i = x_i - b_i` on each path `i`
//!   (all policies of a scenario run on the same paths), reported as the mean `d̄` with
//!   the 95 % confidence interval `d̄ ± 1.959964 s / √n`, where `s` is the sample standard
//!   deviation of the `d_i` (denominator `n - 1`): the normal approximation, fine for the
//!   hundreds of paths of a Monte Carlo run. With one path there is no interval.

mod charts;
mod discover;
mod error;
mod format;
mod report;
mod write;

pub use charts::data::{
    CdfSeries, FanAsset, FanData, FrontierPoint, HealthData, HealthSeries, TimeseriesData,
    TimeseriesPolicy, load_fan, load_health, load_timeseries,
};
pub use charts::{
    ChartFile, PlotOptions, PlotOutcome, Skipped, plot, render_bad_debt_cdf, render_fan,
    render_frontier, render_health, render_timeseries,
};
pub use discover::{RunDir, RunMeta, discover_runs, read_kv_metadata};
pub use error::ReportError;
pub use report::{Report, ReportRow, build_report};
pub use write::{ReportFiles, write_report};

/// z value of a two-sided 95 % normal confidence interval.
pub const Z95: f64 = 1.959_963_984_540_054;
