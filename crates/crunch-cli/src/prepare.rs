//! From a scenario file to everything a run needs: the path source, the book, the
//! policies and the scenario hash. `crunch validate` stops here.

use anyhow::{Context, Result, bail};
use crunch_core::MarketSpec;
use crunch_core::{Book, PathSource, ScoreUpdate};
use crunch_engine::{RecordOptions, RunPlan};
use crunch_io::{PriceRequest, PriceTable, load_book, load_owing_book, load_prices};
use crunch_market::{
    Crunch, Decouple, Diffusion, FilteredHistorical, Gbm, Historical, ModelError, Pegged, Shocked,
    StationaryBootstrap, log_returns,
};
use crunch_scenario::{
    BookSpec, ParametricSpec, PriceFileSpec, Scenario, SourceSpec, load_scenario, scenario_hash,
};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::AtomicBool;

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
    /// The derivatives book of `[derivatives]`, if the scenario has one.
    pub deriv_book: Option<crunch_derivatives::DerivBook>,
    /// The scenario hash (scenario text, seed, paths and data files).
    pub hash: String,
}

impl Prepared {
    /// The engine's plan for the units `units` of this scenario, with the outputs the
    /// scenario asks for recorded and the default scan; `stop` interrupts it when raised.
    pub fn plan<'a>(&'a self, units: Range<u64>, stop: Option<&'a AtomicBool>) -> RunPlan<'a> {
        let s = &self.scenario;
        RunPlan {
            frictions: &s.frictions,
            market: &s.market,
            book: &self.book,
            source: self.source.as_ref(),
            policies: &s.policies,
            seed: s.seed,
            units,
            options: RecordOptions {
                timeseries: s.output.timeseries,
                events: s.output.events,
                health_step: s.output.health_step,
            }
            .into(),
            stop,
        }
    }
}

/// Reads, validates and loads everything `file` refers to. Every error names the file and
/// what is wrong in it.
pub fn prepare(file: &Path, overrides: Overrides) -> Result<Prepared> {
    let mut scenario = load_scenario(file)?;
    for warning in &scenario.warnings {
        eprintln!("warning: {}: {warning}", file.display());
    }
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
    // The scenario checked `output.health_step` against `steps`; a historical source
    // without `steps` learns its step count from the file's window only now.
    if let Some(h) = scenario.output.health_step
        && h > source.steps()
    {
        bail!(
            "{}: `output.health_step = {h}` is past the last step: the run has {} steps",
            file.display(),
            source.steps()
        );
    }
    // Likewise for the implied-volatility series of `forecast = "implied"` policies, which
    // count among the data files of the scenario hash.
    for series in &scenario.implied {
        if source.steps() > series.max_steps {
            bail!(
                "{}: policy `{}`: the implied-volatility series of {} cover steps 0..={}, the \
                 run has {} steps",
                file.display(),
                series.policy,
                series.file.display(),
                series.max_steps,
                source.steps()
            );
        }
        data.push(read(&series.file).with_context(|| {
            format!(
                "{}: policy `{}`: `implied_file`",
                file.display(),
                series.policy
            )
        })?);
    }
    let mut book = match &scenario.book {
        BookSpec::File(path) => {
            data.push(read(path).with_context(|| format!("{}: `book.file`", file.display()))?);
            if scenario.frictions.multi_asset_debt {
                load_owing_book(path, &scenario.market)?
            } else {
                load_book(path, &scenario.market)?
            }
        }
        BookSpec::Generator(spec) => {
            let book = crunch_book::generate(spec, &scenario.market, scenario.seed)
                .with_context(|| format!("{}: `book.generator`", file.display()))?;
            match scenario.market.index_of(&spec.debt_asset) {
                Some(i) if scenario.frictions.multi_asset_debt => book.into_owed(i),
                _ => book,
            }
        }
    };
    // The protocol's limits act on the initial book (crunch_book::isolate).
    let limits = |e: crunch_book::LimitError| anyhow::anyhow!("{}: {e}", file.display());
    let frictions = &scenario.frictions;
    crunch_book::isolate(&mut book, &scenario.market, &frictions.isolation).map_err(limits)?;
    crunch_book::check_caps(&book, &scenario.market, &frictions.caps).map_err(limits)?;
    if let Some(r) = &scenario.frictions.reputation {
        check_scores(&book, &r.update, file)?;
    }
    check_isolated_outputs(&scenario)?;
    let deriv_book = crate::derivatives::load_book(&scenario, &mut data)?;
    let slices: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
    let hash = scenario_hash(&scenario.text, scenario.seed, scenario.paths, &slices);
    Ok(Prepared {
        scenario,
        source,
        book,
        deriv_book,
        hash,
    })
}

impl Prepared {
    /// Applies the command line's `--health-step`: record every indebted account's health
    /// factor at `step` (`0 <= step <= T`) in `health.parquet`, replacing the scenario's
    /// `output.health_step`.
    pub fn set_health_step(&mut self, step: usize) -> Result<()> {
        let steps = self.source.steps();
        if step > steps {
            bail!(
                "{}: --health-step {step} is past the last step: the run has {steps} steps",
                self.scenario.file.display()
            );
        }
        self.scenario.output.health_step = Some(step);
        check_isolated_outputs(&self.scenario)
    }
}

/// Isolated `[chains]` policies run on per-chain sub-accounts, which `events.parquet` and
/// `health.parquet` (rows named by the book's accounts) cannot name yet.
fn check_isolated_outputs(s: &Scenario) -> Result<()> {
    let isolated = s
        .frictions
        .chains
        .as_ref()
        .is_some_and(|c| !c.isolated.is_empty());
    if isolated && (s.output.events || s.output.health_step.is_some()) {
        bail!(
            "{}: `chains.isolated` cannot be combined with `output.events` or a health \
             snapshot yet: isolated policies run on per-chain sub-accounts, which those \
             files cannot name",
            s.file.display()
        );
    }
    Ok(())
}

/// `[reputation]` needs every account's score, within the update's bounds.
fn check_scores(book: &Book, update: &ScoreUpdate, file: &Path) -> Result<()> {
    if book.scores.len() != book.len() {
        bail!(
            "{}: `[reputation]` needs a score for every account: a `score` column in the \
             book file or `[[book.generator.scores]]`",
            file.display()
        );
    }
    let outside = |s: &f64| !(update.min..=update.max).contains(s);
    if let Some(j) = book.scores.iter().position(outside) {
        bail!(
            "{}: account `{}` has score {}, outside `reputation.update.bounds` [{}, {}]",
            file.display(),
            book.ids[j],
            book.scores[j],
            update.min,
            update.max
        );
    }
    Ok(())
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
}

/// Builds the path source: the scenario's model, with its crunch and its shocks. For a
/// historical source, the start price of every asset read from the file becomes its first
/// close, so that a generated book is valued at `p[0]`; bootstrap and filtered historical
/// simulation start from the scenario's prices and resample the file's log-returns.
fn build_source(scenario: &mut Scenario, data: &mut Vec<Vec<u8>>) -> Result<Box<dyn PathSource>> {
    let file = scenario.file.clone();
    let model = |e: ModelError| anyhow::anyhow!("{}: {e}", file.display());
    let mut source = model_source(scenario, data)?;
    if !scenario.pegs.is_empty() {
        let pegged = Pegged::new(source, scenario.pegs.clone(), &scenario.market);
        source = Box::new(pegged.map_err(model)?);
    }
    if scenario.shocks.is_empty() {
        return Ok(source);
    }
    let shocked = Shocked::new(source, scenario.shocks.clone(), &scenario.market);
    Ok(Box::new(shocked.map_err(model)?))
}

/// The source of `market.source` with its crunch, before shocks.
fn model_source(scenario: &mut Scenario, data: &mut Vec<Vec<u8>>) -> Result<Box<dyn PathSource>> {
    let file = scenario.file.clone();
    let model = |e: ModelError| anyhow::anyhow!("{}: {e}", file.display());
    let market = &scenario.market;
    let steps = scenario.steps;
    let crunch = scenario.crunch.clone();
    let decouple = &scenario.decouple;
    match &scenario.source {
        SourceSpec::Gbm { correlation } => {
            let steps = steps.expect("validated: gbm has steps");
            if crunch.is_none() && decouple.is_empty() {
                return Ok(Box::new(Gbm::new(market, correlation, steps)?));
            }
            let mut d = Diffusion::new(market, correlation, steps).map_err(model)?;
            if let Some(c) = crunch {
                d = d.with_crunch(c).map_err(model)?;
            }
            Ok(Box::new(d.with_decouple(decouple).map_err(model)?))
        }
        SourceSpec::Parametric(p) => {
            let steps = steps.expect("validated: a parametric source has steps");
            Ok(Box::new(
                parametric(market, p, steps, crunch, decouple).map_err(model)?,
            ))
        }
        SourceSpec::Historical {
            file,
            start,
            end,
            columns,
        } => {
            let prices = PriceFileSpec {
                file: file.clone(),
                start: *start,
                end: *end,
                columns: columns.clone(),
            };
            let (table, from_file) = load_price_file(scenario, &prices, data)?;
            let rows = table.dates.len();
            if let Some(steps) = scenario.steps
                && steps + 1 != rows
            {
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
            let closes = per_asset(&table, &from_file);
            let source = Historical::new(&scenario.market, &closes)
                .with_rescales(&scenario.rescale, &scenario.market)
                .map_err(model)?;
            for (asset, series) in scenario.market.assets.iter_mut().zip(&closes) {
                if let Some(c) = series {
                    asset.price = c[0];
                }
            }
            Ok(Box::new(source))
        }
        SourceSpec::Bootstrap { prices, mean_block } => {
            let mean_block = *mean_block;
            let returns = joint_returns(scenario, prices, data)?;
            let steps = scenario.steps.expect("validated: bootstrap has steps");
            let b = StationaryBootstrap::new(&scenario.market, &returns, mean_block, steps);
            Ok(Box::new(b.map_err(model)?))
        }
        SourceSpec::FilteredHistorical { prices, garch } => {
            let garch = garch.clone();
            let returns = joint_returns(scenario, prices, data)?;
            let steps = scenario.steps.expect("validated: fhs has steps");
            let f = FilteredHistorical::new(&scenario.market, &returns, &garch, steps);
            Ok(Box::new(f.map_err(model)?))
        }
    }
}

/// A parametric source: correlated GBM with the options of `spec` and the crunch.
fn parametric(
    market: &MarketSpec,
    spec: &ParametricSpec,
    steps: usize,
    crunch: Option<Crunch>,
    decouple: &[Decouple],
) -> Result<Diffusion, ModelError> {
    let mut d = Diffusion::new(market, &spec.correlation, steps)?;
    if let Some(dof) = spec.dof {
        d = d.with_student_t(dof)?;
    }
    if let Some(g) = &spec.garch {
        d = d.with_garch(g)?;
    }
    if spec.jumps.is_some() || spec.common_jump.is_some() {
        let none = vec![None; market.len()];
        let per_asset = spec.jumps.as_ref().unwrap_or(&none);
        d = d.with_jumps(per_asset, spec.common_jump.as_ref())?;
    }
    if let Some(r) = &spec.regimes {
        d = d.with_regimes(r)?;
    }
    if let Some(c) = crunch {
        d = d.with_crunch(c)?;
    }
    d.with_decouple(decouple)
}

/// Loads the closes a price-file source reads: every moving asset and any asset mapped
/// in `columns` (other stable assets keep their start price). Returns the table and, per
/// asset, whether it comes from the file.
fn load_price_file(
    scenario: &Scenario,
    prices: &PriceFileSpec,
    data: &mut Vec<Vec<u8>>,
) -> Result<(PriceTable, Vec<bool>)> {
    let market = &scenario.market;
    let from_file: Vec<bool> = market
        .assets
        .iter()
        .map(|a| !a.is_stable() || prices.columns.contains_key(&a.symbol))
        .collect();
    if !from_file.contains(&true) {
        bail!(
            "{}: `market.source = \"{}\"` needs at least one moving asset \
             (sigma or mu not 0) or a `market.columns` entry",
            scenario.file.display(),
            scenario.source.name()
        );
    }
    data.push(
        read(&prices.file)
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
        columns: prices.columns.clone(),
        start: prices.start,
        end: prices.end,
    };
    Ok((load_prices(&prices.file, &request)?, from_file))
}

/// One close series per asset (`None` for an asset not read from the file).
fn per_asset<'t>(table: &'t PriceTable, from_file: &[bool]) -> Vec<Option<&'t [f64]>> {
    let mut series = table.closes.iter();
    from_file
        .iter()
        .map(|&f| {
            f.then(|| {
                series
                    .next()
                    .expect("one series per requested symbol")
                    .as_slice()
            })
        })
        .collect()
}

/// Joint log-return rows of a price file, one entry per asset of the market (0 for an
/// asset not read from the file).
fn joint_returns(
    scenario: &Scenario,
    prices: &PriceFileSpec,
    data: &mut Vec<Vec<u8>>,
) -> Result<Vec<Vec<f64>>> {
    let (table, from_file) = load_price_file(scenario, prices, data)?;
    let closes = per_asset(&table, &from_file);
    let read: Vec<&[f64]> = closes.iter().flatten().copied().collect();
    let returns = log_returns(&read);
    Ok(returns
        .iter()
        .map(|row| {
            let mut it = row.iter();
            closes
                .iter()
                .map(|c| match c {
                    Some(_) => *it.next().expect("one return per series"),
                    None => 0.0,
                })
                .collect()
        })
        .collect())
}
