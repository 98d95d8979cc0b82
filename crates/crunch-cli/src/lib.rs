//! The library side of the `crunch` program: turning a scenario file into a ready run,
//! running it into an output directory, and the end-of-run summary table. `main.rs` only
//! parses the command line.

mod bench;
mod derivatives;
mod estimate;
mod paths;
mod prepare;
mod reporting;
mod run;
mod summary;

pub use bench::{BenchOptions, BenchReport, bench_b1};
pub use derivatives::{DerivStats, deriv_stats, render_deriv_table};
pub use estimate::{FileEstimate, RunEstimate, Size, TimeEstimate, estimate_run, estimate_time};
pub use paths::{PathsOptions, PathsWritten, write_paths};
pub use prepare::{Overrides, Prepared, prepare};
pub use reporting::{ReportOptions, plot_results, report_after_run, report_results};
pub use run::{CHECKPOINT_PATHS, Interrupted, RunOptions, run_scenario};
pub use summary::{PolicyStats, policy_stats, render_table};
