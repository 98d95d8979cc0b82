//! The library side of the `crunch` program: turning a scenario file into a ready run,
//! running it into an output directory, and the end-of-run summary table. `main.rs` only
//! parses the command line.

mod prepare;
mod run;
mod summary;

pub use prepare::{Overrides, Prepared, prepare};
pub use run::{RunOptions, run_scenario};
pub use summary::{PolicyStats, policy_stats, render_table};
