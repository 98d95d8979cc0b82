//! From the raw TOML to a validated [`Scenario`], collecting every problem.

use crate::error::{Issue, ScenarioError};
use crate::raw::{Num, RawAsset, RawBook, RawMarket, RawPolicy, RawScenario, SNum};
use chrono::NaiveDate;
use crunch_book::{GeneratorSpec, HoldingSpec};
use crunch_core::{AssetSpec, MarginPolicy, MarketSpec};
use crunch_market::cholesky_psd;
use crunch_policy::{AssetTerms, PolicyError, StaticLtv};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

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
    /// The account book.
    pub book: BookSpec,
    /// The policies to compare, in file order.
    pub policies: Vec<Box<dyn MarginPolicy>>,
    /// Optional outputs.
    pub output: OutputSpec,
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
    };
    let base = file.parent().unwrap_or(Path::new("."));
    let scenario = v.scenario(raw, file, base);
    if v.issues.is_empty() {
        Ok(scenario.expect("no issues means a scenario"))
    } else {
        // In file order; problems without a line (a missing key) come last.
        v.issues.sort_by_key(|i| i.line.unwrap_or(usize::MAX));
        Err(ScenarioError::Invalid {
            path: file.to_owned(),
            issues: v.issues,
        })
    }
}

struct Validator<'t> {
    text: &'t str,
    issues: Vec<Issue>,
}

impl Validator<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    fn issue(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let line = Some(self.line(span));
        self.issues.push(Issue {
            line,
            key: key.into(),
            message: message.into(),
        });
    }

    /// The value if `ok(value)`, else records `rule` and returns the value anyway (so
    /// that later checks still run and report their own problems).
    fn num(&mut self, x: &SNum, key: &str, ok: fn(f64) -> bool, rule: &str) -> f64 {
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
        let historical = raw.market.source.get_ref() == "historical";
        let source = self.source(&raw.market, &market, base);
        let (paths, steps) = self.paths_and_steps(&raw, historical);
        let book = self.book(&raw.book, base);
        let policies = self.policies(&raw.policies, &market);
        let output = raw.output.unwrap_or_default();
        Some(Scenario {
            file: file.to_owned(),
            text: self.text.to_owned(),
            name: raw.name.into_inner(),
            seed: *raw.seed.get_ref(),
            paths,
            steps,
            market,
            source: source?,
            book: book?,
            policies,
            output: OutputSpec {
                timeseries: output.timeseries,
                events: output.events,
            },
        })
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

    fn source(&mut self, raw: &RawMarket, market: &MarketSpec, base: &Path) -> Option<SourceSpec> {
        let forbid = |v: &mut Self, present: Option<Range<usize>>, key: &str, source: &str| {
            if let Some(span) = present {
                v.issue(
                    span,
                    format!("market.{key}"),
                    format!("not used by source `{source}`"),
                );
            }
        };
        match raw.source.get_ref().as_str() {
            "gbm" => {
                forbid(self, raw.file.as_ref().map(|x| x.span()), "file", "gbm");
                forbid(self, raw.start.as_ref().map(|x| x.span()), "start", "gbm");
                forbid(self, raw.end.as_ref().map(|x| x.span()), "end", "gbm");
                forbid(
                    self,
                    raw.columns.as_ref().map(|x| x.span()),
                    "columns",
                    "gbm",
                );
                let n = market.len();
                let correlation: Vec<Vec<f64>> = match &raw.correlation {
                    Some(c) => c
                        .get_ref()
                        .iter()
                        .map(|row| row.iter().map(|x: &Num| x.0).collect())
                        .collect(),
                    None => (0..n)
                        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
                        .collect(),
                };
                if let Err(e) = cholesky_psd(&correlation, n) {
                    let span = raw
                        .correlation
                        .as_ref()
                        .map_or(raw.source.span(), |c| c.span());
                    self.issue(
                        span,
                        "market.correlation",
                        format!("not a valid correlation matrix: {e}"),
                    );
                }
                Some(SourceSpec::Gbm { correlation })
            }
            "historical" => {
                forbid(
                    self,
                    raw.correlation.as_ref().map(|x| x.span()),
                    "correlation",
                    "historical",
                );
                let date = |v: &mut Self, d: &Option<Spanned<String>>, key: &str| {
                    d.as_ref().and_then(|s| {
                        match NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d") {
                            Ok(x) => Some(x),
                            Err(_) => {
                                v.issue(
                                    s.span(),
                                    format!("market.{key}"),
                                    format!("`{}` is not a date in YYYY-MM-DD form", s.get_ref()),
                                );
                                None
                            }
                        }
                    })
                };
                let start = date(self, &raw.start, "start");
                let end = date(self, &raw.end, "end");
                if let (Some(s), Some(e), Some(span)) =
                    (start, end, raw.end.as_ref().map(|x| x.span()))
                {
                    if e < s {
                        self.issue(
                            span,
                            "market.end",
                            format!("{e} is before market.start {s}"),
                        );
                    }
                }
                let columns = raw
                    .columns
                    .as_ref()
                    .map(|c| c.get_ref().clone())
                    .unwrap_or_default();
                if let Some(c) = &raw.columns {
                    for symbol in c.get_ref().keys() {
                        if market.index_of(symbol).is_none() {
                            self.issue(
                                c.span(),
                                format!("market.columns.{symbol}"),
                                "unknown asset (not declared in [[assets]])",
                            );
                        }
                    }
                }
                match &raw.file {
                    Some(f) => Some(SourceSpec::Historical {
                        file: base.join(f.get_ref()),
                        start,
                        end,
                        columns,
                    }),
                    None => {
                        self.issue(
                            raw.source.span(),
                            "market.file",
                            "a historical source needs a price file",
                        );
                        None
                    }
                }
            }
            other => {
                self.issue(
                    raw.source.span(),
                    "market.source",
                    format!("unknown source `{other}` (known: gbm, historical)"),
                );
                None
            }
        }
    }

    fn paths_and_steps(&mut self, raw: &RawScenario, historical: bool) -> (u64, Option<usize>) {
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
                    message: "required for a gbm source".into(),
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
                    message: "required for a gbm source".into(),
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

    fn policies(&mut self, raw: &[RawPolicy], market: &MarketSpec) -> Vec<Box<dyn MarginPolicy>> {
        if raw.is_empty() {
            self.issues.push(Issue {
                line: None,
                key: "policies".into(),
                message: "at least one [[policies]] entry is required".into(),
            });
        }
        let mut out: Vec<Box<dyn MarginPolicy>> = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for (i, p) in raw.iter().enumerate() {
            let name = p.name.get_ref();
            if name.trim().is_empty() {
                self.issue(
                    p.name.span(),
                    format!("policies[{i}].name"),
                    "must not be empty",
                );
            } else if names.contains(&name.as_str()) {
                self.issue(
                    p.name.span(),
                    format!("policies[{i}].name"),
                    format!("duplicate policy name `{name}`"),
                );
            }
            names.push(name);
            if p.kind.get_ref() != "static-ltv" {
                self.issue(
                    p.kind.span(),
                    format!("policies[{i}].kind"),
                    format!(
                        "unknown policy kind `{}` (known: static-ltv)",
                        p.kind.get_ref()
                    ),
                );
                continue;
            }
            let terms: Vec<(String, AssetTerms)> = p
                .assets
                .get_ref()
                .iter()
                .map(|(s, t)| {
                    (
                        s.clone(),
                        AssetTerms {
                            ltv: t.ltv.0,
                            lt: t.lt.0,
                            bonus: t.bonus.0,
                        },
                    )
                })
                .collect();
            match StaticLtv::new(name, market, p.close_factor.get_ref().0, &terms) {
                Ok(policy) => out.push(Box::new(policy)),
                Err(PolicyError::OutOfRange { key, value, rule }) => {
                    let span = if key == "close_factor" {
                        p.close_factor.span()
                    } else {
                        p.assets.span()
                    };
                    // `ltv <= lt` is the one rule between two values: show the other.
                    let lt = key
                        .strip_prefix("assets.")
                        .and_then(|k| k.strip_suffix(".ltv"))
                        .and_then(|symbol| p.assets.get_ref().get(symbol))
                        .filter(|_| rule.ends_with("<= lt"))
                        .map(|t| format!(" ({})", t.lt.0))
                        .unwrap_or_default();
                    self.issue(
                        span,
                        format!("policies[{i}].{key}"),
                        format!("{rule}{lt}, got {value}"),
                    );
                }
                Err(PolicyError::UnknownAsset(symbol)) => {
                    self.issue(
                        p.assets.span(),
                        format!("policies[{i}].assets.{symbol}"),
                        "unknown asset (not declared in [[assets]])",
                    );
                }
            }
        }
        out
    }
}
