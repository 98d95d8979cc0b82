//! Scenario files of crunch: the TOML schema (every key documented in
//! `scenarios/README.md`), validation that collects every problem with its line and key,
//! command-line overrides and the scenario hash.

mod chains;
mod derivatives;
mod error;
mod frictions;
mod hash;
mod models;
mod overlays;
mod policies;
mod raw;
mod reputation;
mod validate;

pub use derivatives::{DERIV_MODES, DerivativesSpec};
pub use error::{Issue, ScenarioError};
pub use hash::scenario_hash;
pub use policies::ImpliedSeries;
pub use validate::{
    BookSpec, OutputSpec, ParametricSpec, PriceFileSpec, Scenario, SourceSpec, parse_scenario,
};

use std::path::Path;

/// Reads and validates a scenario file.
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|cause| ScenarioError::Read {
        path: path.to_owned(),
        cause,
    })?;
    parse_scenario(path, &text)
}
