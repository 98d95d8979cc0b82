//! From the raw TOML to a validated [`Scenario`], collecting every problem.

use crate::derivatives::DerivativesSpec;
use crate::error::{Issue, ScenarioError};
use crate::policies::ImpliedSeries;
use crate::raw::{RawAsset, RawBook, RawOutput, RawScenario, SNum};
use chrono::NaiveDate;
use crunch_book::{GeneratorSpec, HoldingSpec};
use crunch_core::{AssetSpec, Frictions, MarginPolicy, MarketSpec};
use crunch_market::{
    CommonJump, Crunch, Decouple, GarchSpec, JumpSize, Peg, RegimeSwitching, Rescale, Shock,
};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where price paths come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    /// Correlated geometric Brownian motion with this correlation matrix (`A x A`).
    Gbm {
        /// The correlation matrix, already checked to be valid.
        correlation: Vec<Vec<f64>>,
    },
    /// Historical replay of one price file.
    Historical {
        /// Price file, resolved relative to the scenario file.
        file: PathBuf,
        /// First date of the window (inclusive).
        start: Option<NaiveDate>,
        /// Last date of the window (inclusive).
        end: Option<NaiveDate>,
        /// Explicit column per symbol (symbol -> column name).
        columns: BTreeMap<String, String>,
    },
    /// A parametric model beyond plain GBM: `student-t`, `garch`, `jump` or `regime`.
    Parametric(ParametricSpec),
    /// Stationary block bootstrap of the joint log-returns of a price file.
    Bootstrap {
        /// The price file and window, read as for a historical source.
        prices: PriceFileSpec,
        /// Mean block length `L >= 1` in steps.
        mean_block: f64,
    },
    /// Filtered historical simulation on the log-returns of a price file.
    FilteredHistorical {
        /// The price file and window, read as for a historical source.
        prices: PriceFileSpec,
        /// GARCH(1,1) parameters per asset (`None` for assets not read from the file);
        /// without `omega`, variance targeting to the sample variance.
        garch: Vec<Option<GarchSpec>>,
    },
}

impl SourceSpec {
    /// The `market.source` name of the source.
    pub fn name(&self) -> &'static str {
        match self {
            SourceSpec::Gbm { .. } => "gbm",
            SourceSpec::Historical { .. } => "historical",
            SourceSpec::Parametric(p) => p.source,
            SourceSpec::Bootstrap { .. } => "bootstrap",
            SourceSpec::FilteredHistorical { .. } => "fhs",
        }
    }
}

/// A price file and window, with the keys and reading rules of a historical source.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceFileSpec {
    /// Price file, resolved relative to the scenario file.
    pub file: PathBuf,
    /// First date of the window (inclusive).
    pub start: Option<NaiveDate>,
    /// Last date of the window (inclusive).
    pub end: Option<NaiveDate>,
    /// Explicit column per symbol (symbol -> column name).
    pub columns: BTreeMap<String, String>,
}

/// The options of a parametric source on top of correlated GBM (`docs/path-models.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParametricSpec {
    /// `student-t`, `garch`, `jump` or `regime`.
    pub source: &'static str,
    /// Correlation matrix of the innovations (`A x A`, checked).
    pub correlation: Vec<Vec<f64>>,
    /// Student-t degrees of freedom (`> 2`); `None` for normal innovations.
    pub dof: Option<f64>,
    /// GARCH(1,1) per asset (`None` for stable assets), for the `garch` source.
    pub garch: Option<Vec<Option<GarchSpec>>>,
    /// Per-asset jumps (`None` for none) for the `jump` source.
    pub jumps: Option<Vec<Option<JumpSize>>>,
    /// The common jump of the `jump` source.
    pub common_jump: Option<CommonJump>,
    /// Regimes of the `regime` source.
    pub regimes: Option<RegimeSwitching>,
}

/// Where the account book comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum BookSpec {
    /// A long-form book file (CSV or Parquet), resolved relative to the scenario file.
    File(PathBuf),
    /// The synthetic generator.
    Generator(GeneratorSpec),
}

/// Optional outputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputSpec {
    /// Write `timeseries.parquet`.
    pub timeseries: bool,
    /// Write `events.parquet`.
    pub events: bool,
    /// Write `health.parquet`: every indebted account's health factor at this step,
    /// before its liquidations (`0 <= step <= steps`).
    pub health_step: Option<usize>,
}

/// A validated scenario.
pub struct Scenario {
    /// The scenario file.
    pub file: PathBuf,
    /// Its text, as read.
    pub text: String,
    /// `name`.
    pub name: String,
    /// `seed` (possibly overridden).
    pub seed: u64,
    /// Number of paths (possibly overridden); 1 for a historical source.
    pub paths: u64,
    /// `steps`, when given (required for GBM; a check for historical replay).
    pub steps: Option<usize>,
    /// Assets, `dt` and `phi`.
    pub market: MarketSpec,
    /// The path source.
    pub source: SourceSpec,
    /// The correlation crunch (`[market.crunch]`), for the parametric sources and GBM.
    pub crunch: Option<Crunch>,
    /// Deterministic shocks (`[[market.shocks]]`) applied on top of the source (after
    /// the pegs).
    pub shocks: Vec<Shock>,
    /// Pegged assets (`[market.pegs.SYMBOL]`), any source: wrap the model's source in
    /// [`crunch_market::Pegged`], before the shocks.
    pub pegs: Vec<Peg>,
    /// Pair decouplings (`[[market.decouple]]`), diffusion sources (`gbm` included):
    /// [`crunch_market::Diffusion::with_decouple`].
    pub decouple: Vec<Decouple>,
    /// Rescaled assets (`[market.rescale.SYMBOL]`), historical source:
    /// [`crunch_market::Historical::with_rescales`].
    pub rescale: Vec<Rescale>,
    /// The account book.
    pub book: BookSpec,
    /// The policies to compare, in file order.
    pub policies: Vec<Box<dyn MarginPolicy>>,
    /// The implied-volatility series the policies read (`forecast = "implied"`): a run's
    /// `steps` must not exceed any `max_steps`, and the files belong in the scenario hash.
    pub implied: Vec<ImpliedSeries>,
    /// Optional outputs.
    pub output: OutputSpec,
    /// Oracles (`[oracle.SYMBOL]`) and liquidator frictions (`[liquidators]`); the default
    /// (neither table) is `lending-v1`.
    pub frictions: Frictions,
    /// Warnings to show the user (for example a repaired correlation matrix).
    pub warnings: Vec<String>,
    /// The derivatives book and the margin modes to compare on the same paths
    /// (`[derivatives]`), if any.
    pub derivatives: Option<DerivativesSpec>,
}

impl Scenario {
    /// Applies the command line's `--seed`.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Applies the command line's `--paths`; zero paths, or more than one path of a
    /// historical source, are refused.
    pub fn set_paths(&mut self, paths: u64) -> Result<(), String> {
        if paths == 0 {
            return Err("--paths must be at least 1".into());
        }
        if matches!(self.source, SourceSpec::Historical { .. }) && paths != 1 {
            return Err(format!(
                "--paths {paths}: a historical source replays exactly one path"
            ));
        }
        self.paths = paths;
        Ok(())
    }
}

/// Parses and validates scenario `text` read from `file` (used to resolve relative paths
/// and in messages).
pub fn parse_scenario(file: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
        path: file.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let mut v = Validator {
        text,
        issues: Vec::new(),
        warnings: Vec::new(),
    };
    let base = file.parent().unwrap_or(Path::new("."));
    let scenario = v.scenario(raw, file, base);
    if v.issues.is_empty() {
        let mut scenario = scenario.expect("no issues means a scenario");
        scenario.warnings = v.warnings;
        Ok(scenario)
    } else {
        // In file order; problems without a line (a missing key) come last.
        v.issues.sort_by_key(|i| i.line.unwrap_or(usize::MAX));
        Err(ScenarioError::Invalid {
            path: file.to_owned(),
            issues: v.issues,
        })
    }
}

pub(crate) struct Validator<'t> {
    pub(crate) text: &'t str,
    pub(crate) issues: Vec<Issue>,
    /// Things changed on the scenario's request that the user must be told about.
    pub(crate) warnings: Vec<String>,
}

/// Value rules for [`Validator::num`]: a finite number.
pub(crate) fn finite(v: f64) -> bool {
    v.is_finite()
}

/// A finite number `>= 0`.
pub(crate) fn non_negative(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

/// A finite number `> 0`.
pub(crate) fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

impl Validator<'_> {
    pub(crate) fn line(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    pub(crate) fn issue(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        let line = Some(self.line(span));
        self.issues.push(Issue {
            line,
            key: key.into(),
            message: message.into(),
        });
    }

    /// The indices (scenario order) of the policies named in `list` (key `key`), each
    /// known and listed once; an unknown or repeated name is an issue.
    pub(crate) fn policy_list(
        &mut self,
        list: &toml::Spanned<Vec<String>>,
        key: &str,
        policies: &[Box<dyn MarginPolicy>],
    ) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for name in list.get_ref() {
            match policies.iter().position(|p| p.name() == name) {
                Some(i) if out.contains(&i) => {
                    self.issue(list.span(), key, format!("policy `{name}` is listed twice"))
                }
                Some(i) => out.push(i),
                None => self.issue(
                    list.span(),
                    key,
                    format!(
                        "unknown policy `{name}` (the scenario's policies: {})",
                        policies
                            .iter()
                            .map(|p| p.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            }
        }
        out
    }

    /// The value if `ok(value)`, else records `rule` and returns the value anyway (so
    /// that later checks still run and report their own problems).
    pub(crate) fn num(&mut self, x: &SNum, key: &str, ok: fn(f64) -> bool, rule: &str) -> f64 {
        let v = x.get_ref().0;
        if !ok(v) {
            self.issue(x.span(), key, format!("{rule}, got {v}"));
        }
        v
    }

    fn scenario(&mut self, raw: RawScenario, file: &Path, base: &Path) -> Option<Scenario> {
        if raw.model.get_ref() != "lending-v1" {
            self.issue(
                raw.model.span(),
                "model",
                format!(
                    "unknown model `{}` (known: lending-v1)",
                    raw.model.get_ref()
                ),
            );
        }
        if raw.name.get_ref().trim().is_empty() {
            self.issue(raw.name.span(), "name", "must not be empty");
        }
        let dt = self.num(&raw.dt, "dt", |v| v.is_finite() && v > 0.0, "must be > 0");
        let assets = self.assets(&raw.assets);
        let phi = match &raw.market.phi {
            Some(p) => self.num(
                p,
                "market.phi",
                |v| v.is_finite() && v >= 0.0,
                "must be >= 0",
            ),
            None => 0.0,
        };
        let market = MarketSpec { assets, dt, phi };
        let (paths, steps) = self.paths_and_steps(&raw, raw.market.source.get_ref());
        let source = self.source(&raw.market, &market, base);
        let crunch = self.crunch(&raw.market, &market, source.as_ref(), steps);
        let debt_asset = raw
            .book
            .generator
            .as_ref()
            .map(|g| g.get_ref().debt_asset.get_ref().as_str());
        let pegs = self.pegs(&raw.market, &market, debt_asset);
        let rescale = self.rescales(&raw.market, &market, source.as_ref(), debt_asset);
        let decouple = self.decouple(&raw.market, &market, source.as_ref(), steps);
        let overlaid: Vec<usize> = pegs
            .iter()
            .map(|p| p.asset)
            .chain(rescale.iter().map(|r| r.asset))
            .collect();
        let shocks = self.shocks(&raw.market, &market, steps, &overlaid);
        let book = self.book(&raw.book, base);
        let (policies, implied) = self.policies(&raw.policies, &market, base, steps);
        let output = self.output(raw.output.unwrap_or_default(), steps);
        let mut frictions = self.frictions(
            raw.oracle.as_ref(),
            raw.liquidators.as_ref(),
            raw.protocol.as_ref(),
            &market,
            steps,
        );
        frictions.reputation = raw
            .reputation
            .as_ref()
            .map(|r| self.reputation(r, &policies, &frictions));
        frictions.chains = raw
            .chains
            .as_ref()
            .map(|c| self.chains(c, &policies, &frictions, &market, steps));
        let derivatives = raw
            .derivatives
            .as_ref()
            .and_then(|d| self.derivatives(d, &policies, base, market.dt));
        Some(Scenario {
            file: file.to_owned(),
            text: self.text.to_owned(),
            name: raw.name.into_inner(),
            seed: *raw.seed.get_ref(),
            paths,
            steps,
            market,
            source: source?,
            crunch,
            shocks,
            pegs,
            decouple,
            rescale,
            book: book?,
            policies,
            implied,
            output,
            frictions,
            warnings: Vec::new(),
            derivatives,
        })
    }

    /// The optional outputs; `health_step` must lie in `0..=steps` (for a historical
    /// source without `steps`, the run checks it against the file's window).
    fn output(&mut self, raw: RawOutput, steps: Option<usize>) -> OutputSpec {
        let health_step = raw.health_step.map(|h| {
            let step = *h.get_ref();
            if let Some(t) = steps.filter(|&t| step > t as u64) {
                self.issue(
                    h.span(),
                    "output.health_step",
                    format!("must be <= steps ({t}), got {step}"),
                );
            }
            step as usize
        });
        OutputSpec {
            timeseries: raw.timeseries,
            events: raw.events,
            health_step,
        }
    }

    fn assets(&mut self, raw: &[RawAsset]) -> Vec<AssetSpec> {
        let mut out: Vec<AssetSpec> = Vec::new();
        if raw.is_empty() {
            self.issues.push(Issue {
                line: None,
                key: "assets".into(),
                message: "at least one [[assets]] entry is required".into(),
            });
        }
        for (i, a) in raw.iter().enumerate() {
            let key = |k: &str| format!("assets[{i}].{k}");
            let symbol = a.symbol.get_ref().clone();
            if symbol.trim().is_empty() {
                self.issue(a.symbol.span(), key("symbol"), "must not be empty");
            } else if out.iter().any(|o| o.symbol == symbol) {
                self.issue(
                    a.symbol.span(),
                    key("symbol"),
                    format!("duplicate symbol `{symbol}`"),
                );
            }
            let positive = |v: f64| v.is_finite() && v > 0.0;
            let non_negative = |v: f64| v.is_finite() && v >= 0.0;
            let price = self.num(&a.price, &key("price"), positive, "must be > 0");
            let sigma = match &a.sigma {
                Some(s) => self.num(s, &key("sigma"), non_negative, "must be >= 0"),
                None => 0.0,
            };
            let mu = match &a.mu {
                Some(s) => self.num(s, &key("mu"), f64::is_finite, "must be finite"),
                None => 0.0,
            };
            let depth = a
                .depth
                .as_ref()
                .map(|d| self.num(d, &key("depth"), positive, "must be > 0"));
            let impact = match &a.impact {
                Some(s) => self.num(s, &key("impact"), non_negative, "must be >= 0"),
                None => 1.0,
            };
            out.push(AssetSpec {
                symbol,
                price,
                sigma,
                mu,
                depth,
                impact,
            });
        }
        out
    }

    fn paths_and_steps(&mut self, raw: &RawScenario, source: &str) -> (u64, Option<usize>) {
        let historical = source == "historical";
        let paths = match (&raw.paths, historical) {
            (Some(p), true) if *p.get_ref() != 1 => {
                self.issue(
                    p.span(),
                    "paths",
                    format!(
                        "a historical source replays exactly one path, got {}",
                        p.get_ref()
                    ),
                );
                1
            }
            (Some(p), _) if *p.get_ref() == 0 => {
                self.issue(p.span(), "paths", "must be at least 1, got 0");
                0
            }
            (Some(p), _) => *p.get_ref(),
            (None, true) => 1,
            (None, false) => {
                self.issues.push(Issue {
                    line: None,
                    key: "paths".into(),
                    message: format!("required for a {source} source"),
                });
                0
            }
        };
        let steps = match &raw.steps {
            Some(s) if *s.get_ref() == 0 => {
                self.issue(s.span(), "steps", "must be at least 1, got 0");
                None
            }
            Some(s) => Some(*s.get_ref() as usize),
            None if !historical => {
                self.issues.push(Issue {
                    line: None,
                    key: "steps".into(),
                    message: format!("required for a {source} source"),
                });
                None
            }
            None => None,
        };
        (paths, steps)
    }

    fn book(&mut self, raw: &RawBook, base: &Path) -> Option<BookSpec> {
        match (&raw.file, &raw.generator) {
            (Some(f), None) => Some(BookSpec::File(base.join(f.get_ref()))),
            (None, Some(g)) => {
                let spec = g.get_ref();
                let [lo, hi] = *spec.utilisation.get_ref();
                Some(BookSpec::Generator(GeneratorSpec {
                    accounts: *spec.accounts.get_ref() as usize,
                    debt_asset: spec.debt_asset.get_ref().clone(),
                    utilisation: (lo.0, hi.0),
                    holdings: spec
                        .holdings
                        .iter()
                        .map(|h| HoldingSpec {
                            asset: h.asset.get_ref().clone(),
                            probability: h.probability.get_ref().0,
                            median_value: h.median_value.get_ref().0,
                            log_sd: h.log_sd.get_ref().0,
                            ltv: h.ltv.get_ref().0,
                        })
                        .collect(),
                    scores: crate::reputation::score_groups(spec.scores.as_deref().unwrap_or(&[])),
                }))
            }
            (Some(f), Some(_)) => {
                self.issue(
                    f.span(),
                    "book",
                    "give either `file` or `[book.generator]`, not both",
                );
                None
            }
            (None, None) => {
                self.issues.push(Issue {
                    line: None,
                    key: "book".into(),
                    message: "needs `file` or `[book.generator]`".into(),
                });
                None
            }
        }
    }
}
