//! The crunch simulation engine: the `lending-v1` step loop (health factors, worst-first
//! liquidations behind a liquidity gate, bad-debt realisation, price feedback), its
//! metrics, and the parallel, reproducible driver over paths.
//!
//! The engine knows policies, path sources and sinks only through the traits of
//! `crunch-core`.

mod absorb;
mod chains;
mod driver;
mod lending;
mod owed;
mod queue;
mod reputation;
mod scratch;
mod screen;
mod start;

pub use driver::{RunError, RunPlan, run, units};
pub use lending::{EngineError, RecordOptions, SimOptions, simulate_path};
pub use queue::ScanMode;
pub use scratch::Scratch;
