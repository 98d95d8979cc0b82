//! `crunch paths`: the price paths a scenario's market generates, with the model state,
//! written in long form for inspection (charts, notebooks).

use crate::prepare::{Overrides, prepare};
use anyhow::{Context, Result};
use crunch_core::{Domain, PathState, PricePath, stream_rng};
use crunch_io::PathsFile;
use std::path::{Path, PathBuf};

/// What `crunch paths` writes.
#[derive(Debug, Clone)]
pub struct PathsOptions {
    /// The Parquet file to write.
    pub out: PathBuf,
    /// Number of paths, replacing the scenario's `paths`.
    pub paths: Option<u64>,
    /// Seed, replacing the scenario's `seed`.
    pub seed: Option<u64>,
    /// Replace an existing file.
    pub force: bool,
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct PathsWritten {
    /// The scenario's name.
    pub scenario: String,
    /// The `market.source` name.
    pub source: String,
    /// Number of paths.
    pub paths: u64,
    /// Steps per path.
    pub steps: usize,
    /// Number of assets.
    pub assets: usize,
    /// Rows written: paths x (steps + 1) x assets.
    pub rows: u64,
}

/// Generates paths `0..N` of the scenario's market exactly as `crunch run` does (path
/// `i` from the stream `(seed, market, i)`, the same source, crunch and shocks) and
/// writes them to `options.out` with the columns of [`PathsFile`]; the file appears whole
/// or not at all. The book is loaded and checked too, so a scenario that `crunch run`
/// would refuse is refused here.
pub fn write_paths(scenario: &Path, options: &PathsOptions) -> Result<PathsWritten> {
    let prepared = prepare(
        scenario,
        Overrides {
            seed: options.seed,
            paths: options.paths,
        },
    )?;
    let s = &prepared.scenario;
    let source = prepared.source.as_ref();
    let symbols: Vec<String> = s.market.assets.iter().map(|a| a.symbol.clone()).collect();
    let metadata: Vec<(String, String)> = [
        ("crunch.version", env!("CARGO_PKG_VERSION").to_owned()),
        ("crunch.model", "lending-v1".to_owned()),
        ("crunch.scenario_name", s.name.clone()),
        ("crunch.scenario_hash", prepared.hash.clone()),
        ("crunch.source", s.source.name().to_owned()),
        ("crunch.seed", s.seed.to_string()),
        ("crunch.paths", s.paths.to_string()),
        ("crunch.steps", source.steps().to_string()),
        ("crunch.scenario", s.text.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut file = PathsFile::create(&options.out, symbols, &metadata, options.force)?;
    let mut buffer = PricePath::new(source.steps(), source.assets());
    let mut state = PathState::default();
    for path in 0..s.paths {
        let mut rng = stream_rng(s.seed, Domain::MarketPaths, path);
        state.clear();
        source.fill_with_state(&mut rng, &mut buffer, &mut state);
        // Assets on remote chains copy their base asset's prices, as in `crunch run`.
        if let Some(c) = &s.frictions.chains {
            c.mirror(&mut buffer);
        }
        file.push(path, &buffer, &state)?;
    }
    file.finish()
        .with_context(|| format!("writing {}", options.out.display()))?;
    Ok(PathsWritten {
        scenario: s.name.clone(),
        source: s.source.name().to_owned(),
        paths: s.paths,
        steps: source.steps(),
        assets: source.assets(),
        rows: s.paths * (source.steps() as u64 + 1) * source.assets() as u64,
    })
}
