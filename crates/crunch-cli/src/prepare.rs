//! From a scenario file to everything a run needs: the path source, the book, the
//! policies and the scenario hash. `crunch validate` stops here.

use anyhow::{Context, Result, bail};
use crunch_core::{Book, PathSource};
use crunch_io::{PriceRequest, load_book, load_prices};
use crunch_market::{Gbm, Historical};
use crunch_scenario::{BookSpec, Scenario, SourceSpec, load_scenario, scenario_hash};
use std::path::Path;

/// Command-line values that replace the scenario file's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--paths`.
    pub paths: Option<u64>,
}

/// A scenario with its data loaded, ready to run.
pub struct Prepared {
    /// The validated scenario (overrides applied).
    pub scenario: Scenario,
    /// The price-path source.
    pub source: Box<dyn PathSource>,
    /// The initial account book.
    pub book: Book,
    /// The scenario hash (scenario text, seed, paths and data files).
    pub hash: String,
}

/// Reads, validates and loads everything `file` refers to. Every error names the file and
/// what is wrong in it.
pub fn prepare(file: &Path, overrides: Overrides) -> Result<Prepared> {
    let mut scenario = load_scenario(file)?;
    if let Some(seed) = overrides.seed {
        scenario.set_seed(seed);
    }
    if let Some(paths) = overrides.paths {
        scenario
            .set_paths(paths)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    }
    let mut data: Vec<Vec<u8>> = Vec::new();
    let source = build_source(&mut scenario, &mut data)?;
    let book = match &scenario.book {
        BookSpec::File(path) => {
            data.push(read(path).with_context(|| format!("{}: `book.file`", file.display()))?);
            load_book(path, &scenario.market)?
        }
        BookSpec::Generator(spec) => {
            crunch_book::generate(spec, &scenario.market, scenario.seed)
                .with_context(|| format!("{}: `book.generator`", file.display()))?
        }
    };
    let slices: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    let hash = scenario_hash(&scenario.text, scenario.seed, scenario.paths, &slices);
    Ok(Prepared {
        scenario,
        source,
        book,
        hash,
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// Builds the path source. For a historical source, the start price of every asset read
/// from the file becomes its first close, so that a generated book is valued at `p[0]`.
fn build_source(scenario: &mut Scenario, data: &mut Vec<Vec<u8>>) -> Result<Box<dyn PathSource>> {
    let market = &scenario.market;
    match &scenario.source {
        SourceSpec::Gbm { correlation } => {
            let steps = scenario.steps.expect("validated: gbm has steps");
            Ok(Box::new(Gbm::new(market, correlation, steps)?))
        }
        SourceSpec::Historical {
            file,
            start,
            end,
            columns,
        } => {
            // Moving assets, and any asset mapped in `columns`, come from the file; other
            // stable assets keep their start price.
            let from_file: Vec<bool> = market
                .assets
                .iter()
                .map(|a| !a.is_stable() || columns.contains_key(&a.symbol))
                .collect();
            if !from_file.contains(&true) {
                bail!(
                    "{}: `market.source = \"historical\"` needs at least one moving asset \
                     (sigma or mu not 0) or a `market.columns` entry",
                    scenario.file.display()
                );
            }
            data.push(
                read(file)
                    .with_context(|| format!("{}: `market.file`", scenario.file.display()))?,
            );
            let request = PriceRequest {
                symbols: market
                    .assets
                    .iter()
                    .zip(&from_file)
                    .filter(|(_, f)| **f)
                    .map(|(a, _)| a.symbol.clone())
                    .collect(),
                columns: columns.clone(),
                start: *start,
                end: *end,
            };
            let table = load_prices(file, &request)?;
            let rows = table.dates.len();
            if let Some(steps) = scenario.steps {
                if steps + 1 != rows {
                    bail!(
                        "{}: `steps = {steps}` but the selected window of `{}` ({} .. {}) has \
                         {rows} rows, i.e. {} steps; remove `steps` or change the window",
                        scenario.file.display(),
                        file.display(),
                        table.dates[0],
                        table.dates[rows - 1],
                        rows - 1
                    );
                }
            }
            let mut series = table.closes.iter();
            let closes: Vec<Option<&[f64]>> = from_file
                .iter()
                .map(|&f| {
                    f.then(|| {
                        series
                            .next()
                            .expect("one series per requested symbol")
                            .as_slice()
                    })
                })
                .collect();
            let source = Historical::new(market, &closes);
            for (asset, series) in scenario.market.assets.iter_mut().zip(&closes) {
                if let Some(c) = series {
                    asset.price = c[0];
                }
            }
            Ok(Box::new(source))
        }
    }
}
