//! `[derivatives]`: a derivatives book simulated under several margin modes on the
//! scenario's paths (`scenarios/README.md`, "Derivatives"). Every problem is recorded with
//! its line and key; the ranges are those of `crunch-derivatives`, whose constructors do
//! the checking.

use crate::raw::SNum;
use crate::validate::Validator;
use crunch_core::MarginPolicy;
use crunch_derivatives::{
    DerivError, DerivOptions, MarginMode, Revaluation, RuleParams, ScanGrid, SimulatedMoves,
    TailMeasure,
};
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The rule-based and portfolio modes compared when `modes` is not given, in order.
pub const DERIV_MODES: [&str; 4] = ["isolated", "cross", "portfolio", "portfolio-dgv"];

/// Every mode `modes` may name: the default ones and the simulated-moves modes.
const KNOWN_MODES: [&str; 6] = [
    "isolated",
    "cross",
    "portfolio",
    "portfolio-dgv",
    "var",
    "es",
];

/// `[derivatives]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDerivatives {
    book: Spanned<String>,
    modes: Option<Spanned<Vec<Spanned<String>>>>,
    ewma_lambda: Option<SNum>,
    rate: Option<SNum>,
    penalty: Option<SNum>,
    liquidation_buffer: Option<SNum>,
    insurance_fund: Option<SNum>,
    rules: Option<Spanned<RawLevels<RawRules>>>,
    scan: Option<Spanned<RawLevels<RawScan>>>,
    simulated: Option<Spanned<RawSimulated>>,
}

/// `[derivatives.simulated]`: the modes `var` and `es`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulated {
    draws: Option<Spanned<u64>>,
    horizon: Option<SNum>,
    correlation: Option<SNum>,
    initial: Option<SNum>,
    maintenance: Option<SNum>,
}

/// `[derivatives.rules]` or `[derivatives.scan]`: one table per margin level.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevels<T> {
    initial: Option<Spanned<T>>,
    maintenance: Option<Spanned<T>>,
}

/// `[derivatives.rules.LEVEL]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    perp_rate: Option<SNum>,
    option_base: Option<SNum>,
    option_min: Option<SNum>,
}

/// `[derivatives.scan.LEVEL]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScan {
    price_range: Option<SNum>,
    steps: Option<Spanned<u64>>,
    vol_range: Option<SNum>,
    extreme_multiple: Option<SNum>,
    extreme_fraction: Option<SNum>,
    short_option_minimum: Option<SNum>,
}

/// A validated `[derivatives]` section.
#[derive(Debug, Clone)]
pub struct DerivativesSpec {
    /// The derivatives book file (`book`), resolved against the scenario's directory.
    pub book: PathBuf,
    /// The rule-based and portfolio modes (`modes`), in file order; the scenario's
    /// policies are compared after them ([`DerivativesSpec::modes`]).
    pub modes: Vec<MarginMode<'static>>,
    /// `ewma_lambda`, `rate`, `penalty`, `liquidation_buffer` and `insurance_fund`
    /// (neither per-step series nor events are recorded).
    pub options: DerivOptions,
}

impl DerivativesSpec {
    /// Every mode a run compares: `modes` in file order, then each of `policies` (the
    /// scenario's `[[policies]]`, sweep variants included) applied to delta notionals.
    pub fn modes<'p>(&self, policies: &'p [Box<dyn MarginPolicy>]) -> Vec<MarginMode<'p>> {
        self.modes
            .iter()
            .copied()
            .chain(policies.iter().map(|p| MarginMode::Policy(p.as_ref())))
            .collect()
    }
}

/// Default rates of the rule-based modes: (perp_rate, option_base, option_min).
const RULES_INITIAL: (f64, f64, f64) = (0.10, 0.20, 0.10);
const RULES_MAINTENANCE: (f64, f64, f64) = (0.05, 0.15, 0.075);
/// Default price scan ranges of portfolio margin: initial, maintenance.
const SCAN_INITIAL: f64 = 0.15;
const SCAN_MAINTENANCE: f64 = 0.10;
/// Default price steps per side, volatility range, extreme multiple and fraction, and
/// short option minimum of both scan grids.
const SCAN_STEPS: u64 = 3;
const SCAN_VOL: f64 = 0.10;
const SCAN_EXTREME: (f64, f64) = (2.0, 0.35);
const SCAN_SHORT_MIN: f64 = 0.0;
/// Defaults of the simulated-moves modes: draws, horizon (steps), correlation, and the
/// confidence of the initial and maintenance requirements.
const SIM_DRAWS: u64 = 500;
const SIM_HORIZON: f64 = 1.0;
const SIM_CORRELATION: f64 = 0.8;
const SIM_CONFIDENCE: (f64, f64) = (0.995, 0.99);

/// Sets one field of the options.
type SetOption = fn(&mut DerivOptions, f64);

/// The value of an optional number, or `default`.
fn or(x: &Option<SNum>, default: f64) -> f64 {
    x.as_ref().map_or(default, |n| n.get_ref().0)
}

/// The span of an optional value, or of its table when the value is absent.
fn span_or<T>(x: &Option<Spanned<T>>, table: Range<usize>) -> Range<usize> {
    x.as_ref().map_or(table, Spanned::span)
}

impl Validator<'_> {
    /// `[derivatives]`; `policies` are the scenario's, whose names must not be those of a
    /// mode; `base` resolves `book`; `dt` (years per step) converts the simulated horizon.
    pub(crate) fn derivatives(
        &mut self,
        raw: &Spanned<RawDerivatives>,
        policies: &[Box<dyn MarginPolicy>],
        base: &Path,
        dt: f64,
    ) -> Option<DerivativesSpec> {
        let table = raw.span();
        let raw = raw.get_ref();
        let before = self.issues.len();
        if raw.book.get_ref().trim().is_empty() {
            self.issue(raw.book.span(), "derivatives.book", "must not be empty");
        }
        let options = DerivOptions {
            ewma_lambda: or(&raw.ewma_lambda, DerivOptions::default().ewma_lambda),
            rate: or(&raw.rate, 0.0),
            penalty: or(&raw.penalty, 0.0),
            liquidation_buffer: or(&raw.liquidation_buffer, 0.0),
            insurance_fund: or(&raw.insurance_fund, 0.0),
            ..DerivOptions::default()
        };
        // One option at a time, so that every bad option is reported.
        let one = |f: SetOption, v: f64| {
            let mut o = DerivOptions::default();
            f(&mut o, v);
            o.check()
        };
        let checks: [(&str, &Option<SNum>, SetOption); 5] = [
            ("ewma_lambda", &raw.ewma_lambda, |o, v| o.ewma_lambda = v),
            ("rate", &raw.rate, |o, v| o.rate = v),
            ("penalty", &raw.penalty, |o, v| o.penalty = v),
            ("liquidation_buffer", &raw.liquidation_buffer, |o, v| {
                o.liquidation_buffer = v
            }),
            ("insurance_fund", &raw.insurance_fund, |o, v| {
                o.insurance_fund = v
            }),
        ];
        for (key, value, set) in checks {
            if let Some(v) = value
                && let Err(e) = one(set, v.get_ref().0)
            {
                self.deriv_issue(v.span(), &format!("derivatives.{key}"), e);
            }
        }
        let rules = |level: &str| -> Option<&Spanned<RawRules>> {
            raw.rules.as_ref().and_then(|r| match level {
                "initial" => r.get_ref().initial.as_ref(),
                _ => r.get_ref().maintenance.as_ref(),
            })
        };
        let scan = |level: &str| -> Option<&Spanned<RawScan>> {
            raw.scan.as_ref().and_then(|r| match level {
                "initial" => r.get_ref().initial.as_ref(),
                _ => r.get_ref().maintenance.as_ref(),
            })
        };
        let rule_initial =
            self.deriv_rules(rules("initial"), "initial", RULES_INITIAL, table.clone());
        let rule_maintenance = self.deriv_rules(
            rules("maintenance"),
            "maintenance",
            RULES_MAINTENANCE,
            table.clone(),
        );
        let scan_initial = self.deriv_scan(scan("initial"), "initial", SCAN_INITIAL, table.clone());
        let scan_maintenance =
            self.deriv_scan(scan("maintenance"), "maintenance", SCAN_MAINTENANCE, table);
        let simulated = self.deriv_simulated(raw.simulated.as_ref(), dt);
        let names: Vec<Spanned<String>> = match &raw.modes {
            Some(m) => m.get_ref().clone(),
            None => Vec::new(),
        };
        let mut modes = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let listed = raw.modes.is_some();
        let defaults: Vec<&str> = if listed {
            names.iter().map(|n| n.get_ref().as_str()).collect()
        } else {
            DERIV_MODES.to_vec()
        };
        for (i, name) in defaults.iter().enumerate() {
            let span = || names[i].span();
            let key = format!("derivatives.modes[{i}]");
            if seen.contains(name) {
                self.issue(span(), key, format!("mode `{name}` is listed twice"));
                continue;
            }
            seen.push(name);
            if policies.iter().any(|p| p.name() == *name) {
                let span = if listed { span() } else { raw.book.span() };
                self.issue(
                    span,
                    &key,
                    format!(
                        "mode `{name}` has the name of a [[policies]] entry, which is compared \
                         as a mode of its own; rename the policy"
                    ),
                );
            }
            if !KNOWN_MODES.contains(name) {
                self.issue(
                    span(),
                    key,
                    format!(
                        "unknown mode `{name}` (known: {}; the scenario's [[policies]] are \
                         compared without being listed)",
                        KNOWN_MODES.join(", ")
                    ),
                );
                continue;
            }
            if let ("var" | "es", Some((draws, horizon, correlation, initial, maintenance))) =
                (*name, simulated)
            {
                let measure = if *name == "var" {
                    TailMeasure::Var
                } else {
                    TailMeasure::Es
                };
                if let Ok(moves) = SimulatedMoves::new(draws, horizon, correlation, measure) {
                    modes.push(MarginMode::Simulated {
                        moves,
                        initial,
                        maintenance,
                    });
                }
                continue;
            }
            // A bad rate, grid or sample is reported by its own table.
            let (Some(ri), Some(rm), Some(si), Some(sm)) = (
                rule_initial,
                rule_maintenance,
                scan_initial,
                scan_maintenance,
            ) else {
                continue;
            };
            let portfolio = |revaluation| MarginMode::Portfolio {
                initial: si,
                maintenance: sm,
                revaluation,
            };
            modes.push(match *name {
                "isolated" => MarginMode::Isolated {
                    initial: ri,
                    maintenance: rm,
                },
                "cross" => MarginMode::Cross {
                    initial: ri,
                    maintenance: rm,
                },
                "portfolio" => portfolio(Revaluation::Full),
                "portfolio-dgv" => portfolio(Revaluation::DeltaGammaVega),
                _ => continue, // `var` or `es` with a bad [derivatives.simulated].
            });
        }
        (self.issues.len() == before).then(|| DerivativesSpec {
            book: base.join(raw.book.get_ref()),
            modes,
            options,
        })
    }

    /// `[derivatives.rules.LEVEL]` (`level`), with `default` rates.
    fn deriv_rules(
        &mut self,
        raw: Option<&Spanned<RawRules>>,
        level: &str,
        default: (f64, f64, f64),
        table: Range<usize>,
    ) -> Option<RuleParams> {
        let table = raw.map_or(table, Spanned::span);
        let r = raw.map(Spanned::get_ref);
        let get = |f: fn(&RawRules) -> &Option<SNum>, d: f64| r.map_or(d, |r| or(f(r), d));
        let built = RuleParams::new(
            get(|r| &r.perp_rate, default.0),
            get(|r| &r.option_base, default.1),
            get(|r| &r.option_min, default.2),
        );
        built
            .map_err(|e| {
                let span = |f: fn(&RawRules) -> &Option<SNum>| {
                    r.map_or(table.clone(), |r| span_or(f(r), table.clone()))
                };
                let span = match &e {
                    DerivError::OutOfRange { what, .. } if what == "option_base" => {
                        span(|r| &r.option_base)
                    }
                    DerivError::OutOfRange { what, .. } if what == "option_min" => {
                        span(|r| &r.option_min)
                    }
                    _ => span(|r| &r.perp_rate),
                };
                self.deriv_issue(span, &format!("derivatives.rules.{level}"), e);
            })
            .ok()
    }

    /// `[derivatives.scan.LEVEL]`, with the default price range `price_range`.
    fn deriv_scan(
        &mut self,
        raw: Option<&Spanned<RawScan>>,
        level: &str,
        price_range: f64,
        table: Range<usize>,
    ) -> Option<ScanGrid> {
        let table = raw.map_or(table, Spanned::span);
        let r = raw.map(Spanned::get_ref);
        let get = |f: fn(&RawScan) -> &Option<SNum>, d: f64| r.map_or(d, |r| or(f(r), d));
        let steps = r
            .and_then(|r| r.steps.as_ref())
            .map_or(SCAN_STEPS, |s| *s.get_ref());
        let built = ScanGrid::with_moves(
            get(|r| &r.price_range, price_range),
            usize::try_from(steps).unwrap_or(usize::MAX),
            get(|r| &r.vol_range, SCAN_VOL),
            get(|r| &r.extreme_multiple, SCAN_EXTREME.0),
            get(|r| &r.extreme_fraction, SCAN_EXTREME.1),
        )
        .and_then(|g| {
            g.with_short_option_minimum(get(|r| &r.short_option_minimum, SCAN_SHORT_MIN))
        });
        built
            .map_err(|e| {
                let of = |f: fn(&RawScan) -> &Option<SNum>| {
                    r.map_or(table.clone(), |r| span_or(f(r), table.clone()))
                };
                let what = match &e {
                    DerivError::OutOfRange { what, .. } => what.as_str(),
                    _ => "",
                };
                let span = match what {
                    "steps" => r.map_or(table.clone(), |r| span_or(&r.steps, table.clone())),
                    "vol_range" => of(|r| &r.vol_range),
                    "extreme_multiple" => of(|r| &r.extreme_multiple),
                    "extreme_fraction" => of(|r| &r.extreme_fraction),
                    "short_option_minimum" => of(|r| &r.short_option_minimum),
                    _ => of(|r| &r.price_range),
                };
                self.deriv_issue(span, &format!("derivatives.scan.{level}"), e);
            })
            .ok()
    }

    /// `[derivatives.simulated]`: `(draws, horizon in years, correlation, initial and
    /// maintenance confidence)`, or `None` after recording every bad value.
    fn deriv_simulated(
        &mut self,
        raw: Option<&Spanned<RawSimulated>>,
        dt: f64,
    ) -> Option<(usize, f64, f64, f64, f64)> {
        let r = raw.map(Spanned::get_ref);
        let before = self.issues.len();
        let key = |f: &str| format!("derivatives.simulated.{f}");
        let draws = r.and_then(|r| r.draws.as_ref()).map_or(SIM_DRAWS, |d| {
            if *d.get_ref() == 0 {
                self.issue(d.span(), key("draws"), "must be >= 1, got 0");
            }
            *d.get_ref()
        });
        let mut num = |f: fn(&RawSimulated) -> &Option<SNum>,
                       name: &str,
                       default: f64,
                       ok: fn(f64) -> bool,
                       rule: &str| {
            match r.and_then(|r| f(r).as_ref()) {
                Some(x) => self.num(x, &key(name), ok, rule),
                None => default,
            }
        };
        let unit = |v: f64| v > 0.0 && v < 1.0;
        let horizon = num(
            |r| &r.horizon,
            "horizon",
            SIM_HORIZON,
            |v| v.is_finite() && v > 0.0,
            "must be > 0 (steps)",
        );
        let correlation = num(
            |r| &r.correlation,
            "correlation",
            SIM_CORRELATION,
            |v| (0.0..=1.0).contains(&v),
            "must be in [0, 1]",
        );
        let initial = num(
            |r| &r.initial,
            "initial",
            SIM_CONFIDENCE.0,
            unit,
            "must be in (0, 1) (a confidence level)",
        );
        let maintenance = num(
            |r| &r.maintenance,
            "maintenance",
            SIM_CONFIDENCE.1,
            unit,
            "must be in (0, 1) (a confidence level)",
        );
        (self.issues.len() == before).then(|| {
            let draws = usize::try_from(draws).unwrap_or(usize::MAX);
            (draws, horizon * dt, correlation, initial, maintenance)
        })
    }

    /// Records a `crunch-derivatives` refusal: an out-of-range value as `KEY.FIELD` with
    /// its rule and value, anything else as `table`'s issue.
    fn deriv_issue(&mut self, span: Range<usize>, table: &str, e: DerivError) {
        match e {
            DerivError::OutOfRange { what, value, rule } => {
                let key = if table.ends_with(&format!(".{what}")) {
                    table.to_owned()
                } else {
                    format!("{table}.{what}")
                };
                self.issue(span, key, format!("{rule}, got {value}"));
            }
            other => self.issue(span, table, other.to_string()),
        }
    }
}
