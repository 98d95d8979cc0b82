//! `[[policies]]`: validation of every policy kind, and the expansion of parameter sweeps
//! (a numeric parameter written as a list) into named policy variants.
//!
//! Naming rule: a policy without a list keeps its `name`. Otherwise each variant is named
//! `NAME[KEY=VALUE,KEY=VALUE,...]`, one `KEY=VALUE` per parameter written as a list (even
//! a one-element list), in the order `close_factor`, `lambda`, `beta`, `floor`, `cap`,
//! `horizon`, `liquidity_k`, `implied_scale`, then per asset in byte order of the symbol
//! `SYMBOL.ltv`, `SYMBOL.lt`, `SYMBOL.bonus`, `SYMBOL.sigma_ref`, `SYMBOL.sigma_long`,
//! `SYMBOL.alpha`, `SYMBOL.beta`, `SYMBOL.sigma_calm`, `SYMBOL.sigma_stress`,
//! `SYMBOL.stay_calm`, `SYMBOL.stay_stress`, `SYMBOL.position_scale` (those the kind uses); `VALUE` is the shortest decimal that reads back as the same float
//! (Rust's `{}` for `f64`: `0.75`, `1`, `0.0001`). Variants follow each other in the order
//! of the cartesian product with the last key varying fastest, each list in file order,
//! right where the policy stands among the scenario's policies.

use crate::error::Issue;
use crate::raw::{ParamValue, RawPolicy, SParam};
use crate::validate::Validator;
use crunch_core::{MarginPolicy, MarketSpec};
use crunch_policy::{
    AssetTerms, Dynamic, DynamicParams, DynamicTerms, ImpliedTerms, Liquidity, PolicyError,
    Predictive, PredictiveParams, PredictiveTerms, RegimeTerms, StaticLtv,
};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The most variants one `[[policies]]` entry may expand into.
pub(crate) const MAX_VARIANTS: usize = 1000;

/// One numeric parameter of a policy: its key as the policy constructors name it
/// (`close_factor`, `assets.ETH.ltv`), its values with their spans, and whether it was
/// written as a list.
struct Slot {
    key: String,
    span: Range<usize>,
    values: Vec<(f64, Range<usize>)>,
    list: bool,
}

impl Slot {
    fn new(key: String, p: &SParam) -> Self {
        let (values, list) = match p.get_ref() {
            ParamValue::One(n) => (vec![(n.0, p.span())], false),
            ParamValue::Many(v) => (v.iter().map(|x| (x.get_ref().0, x.span())).collect(), true),
        };
        Slot {
            key,
            span: p.span(),
            values,
            list,
        }
    }

    /// A parameter left out of the file, at its default.
    fn default(key: &str, value: f64, span: Range<usize>) -> Self {
        Slot {
            key: key.to_owned(),
            span: span.clone(),
            values: vec![(value, span)],
            list: false,
        }
    }

    /// The key in a variant's name: `close_factor`, `ETH.ltv`.
    fn label(&self) -> &str {
        self.key.strip_prefix("assets.").unwrap_or(&self.key)
    }
}

/// The forecasts of `predictive`.
#[derive(Clone, Copy, PartialEq)]
enum Forecast {
    Garch,
    Regime,
    Implied,
}

/// The built-in policy kinds.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    StaticLtv,
    Dynamic,
    Predictive(Forecast),
}

/// Which kinds use a key.
type Uses = fn(Kind) -> bool;

/// The kinds that scale their terms with a volatility (`sigma_ref`, `beta`, `floor`, `cap`,
/// the liquidity term).
const SCALED: Uses = |k| k != Kind::StaticLtv;
const DYNAMIC: Uses = |k| k == Kind::Dynamic;
const PREDICTIVE: Uses = |k| matches!(k, Kind::Predictive(_));
const GARCH: Uses = |k| k == Kind::Predictive(Forecast::Garch);
const REGIME: Uses = |k| k == Kind::Predictive(Forecast::Regime);
const IMPLIED: Uses = |k| k == Kind::Predictive(Forecast::Implied);

impl Kind {
    /// How messages name the kind: `kind `dynamic``, `kind `predictive` with forecast
    /// `regime`` (the default forecast is not named).
    fn describe(self) -> String {
        let forecast = match self {
            Kind::StaticLtv => return "kind `static-ltv`".into(),
            Kind::Dynamic => return "kind `dynamic`".into(),
            Kind::Predictive(Forecast::Garch) => return "kind `predictive`".into(),
            Kind::Predictive(Forecast::Regime) => "regime",
            Kind::Predictive(Forecast::Implied) => "implied",
        };
        format!("kind `predictive` with forecast `{forecast}`")
    }
}

/// An implied-volatility series a policy read from a file: the policy's name, the file,
/// and the longest path it covers (`steps` at most this).
#[derive(Debug, Clone, PartialEq)]
pub struct ImpliedSeries {
    /// The policy (before sweep expansion).
    pub policy: String,
    /// The file, resolved relative to the scenario file.
    pub file: PathBuf,
    /// The shortest series of the policy has `max_steps + 1` values (steps `0..=max_steps`).
    pub max_steps: usize,
}

/// Per symbol: the raw values of its implied-volatility column, and `FILE column COL`.
type SeriesBySymbol = BTreeMap<String, (Vec<f64>, String)>;

/// Reads column `column` of the CSV file `path` (header row first, `,`-separated): every
/// data row's value, in file order; rows where it is missing (empty or `.`) are dropped.
fn read_column(path: &Path, column: &str) -> Result<Vec<f64>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let clean = |f: &str| f.trim().trim_matches('"').to_owned();
    let header: Vec<String> = match lines.next() {
        Some((_, h)) => h.split(',').map(clean).collect(),
        None => return Err(format!("{} is empty", path.display())),
    };
    let Some(col) = header.iter().position(|h| h == column) else {
        return Err(format!(
            "{} has no column `{column}` (columns: {})",
            path.display(),
            header.join(", ")
        ));
    };
    let mut out = Vec::new();
    for (n, l) in lines {
        let field = l.split(',').nth(col).map(clean).unwrap_or_default();
        if field.is_empty() || field == "." {
            continue; // missing (a holiday): the row is absent, as in price files
        }
        match field.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => out.push(v),
            _ => {
                return Err(format!(
                    "{} line {}, column `{column}`: `{field}` is not a number > 0",
                    path.display(),
                    n + 1
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(format!("{} has no data rows", path.display()));
    }
    Ok(out)
}

/// The value of `key` in a variant (`pick[k]` is the element chosen for `slots[k]`).
fn lookup(slots: &[Slot], pick: &[usize], key: &str) -> f64 {
    let k = slots
        .iter()
        .position(|s| s.key == key)
        .expect("a known key");
    slots[k].values[pick[k]].0
}

/// Builds one variant of a policy whose slots are complete.
fn build(
    kind: Kind,
    name: &str,
    market: &MarketSpec,
    symbols: &[&String],
    slots: &[Slot],
    pick: &[usize],
    series: &SeriesBySymbol,
) -> Result<Box<dyn MarginPolicy>, PolicyError> {
    let get = |key: &str| lookup(slots, pick, key);
    let has = |key: &str| slots.iter().any(|s| s.key == key);
    // The liquidity term, when the policy has a `liquidity_k` slot (given or defaulted
    // because an asset has a `position_scale`).
    let liquidity = has("liquidity_k").then(|| Liquidity {
        k: get("liquidity_k"),
        position_scale: symbols
            .iter()
            .filter(|s| has(&format!("assets.{s}.position_scale")))
            .map(|s| ((*s).clone(), get(&format!("assets.{s}.position_scale"))))
            .collect(),
    });
    let asset = |s: &str, k: &str| get(&format!("assets.{s}.{k}"));
    let close_factor = get("close_factor");
    let scaled_terms = |s: &str| DynamicTerms {
        ltv: asset(s, "ltv"),
        lt: asset(s, "lt"),
        bonus: asset(s, "bonus"),
        sigma_ref: asset(s, "sigma_ref"),
    };
    Ok(match kind {
        Kind::StaticLtv => {
            let terms: Vec<(String, AssetTerms)> = symbols
                .iter()
                .map(|s| {
                    let t = AssetTerms {
                        ltv: asset(s, "ltv"),
                        lt: asset(s, "lt"),
                        bonus: asset(s, "bonus"),
                    };
                    ((*s).clone(), t)
                })
                .collect();
            Box::new(StaticLtv::new(name, market, close_factor, &terms)?)
        }
        Kind::Dynamic => {
            let params = DynamicParams {
                close_factor,
                lambda: get("lambda"),
                beta: get("beta"),
                floor: get("floor"),
                cap: get("cap"),
            };
            let terms: Vec<(String, DynamicTerms)> = symbols
                .iter()
                .map(|s| ((*s).clone(), scaled_terms(s)))
                .collect();
            let policy = Dynamic::new(name, market, params, &terms)?;
            match &liquidity {
                Some(l) => Box::new(policy.with_liquidity(market, l)?),
                None => Box::new(policy),
            }
        }
        Kind::Predictive(forecast) => {
            let params = PredictiveParams {
                close_factor,
                horizon: if has("horizon") { get("horizon") } else { 1.0 },
                beta: get("beta"),
                floor: get("floor"),
                cap: get("cap"),
            };
            let policy = match forecast {
                Forecast::Garch => {
                    let terms: Vec<(String, PredictiveTerms)> = symbols
                        .iter()
                        .map(|s| {
                            let t = PredictiveTerms {
                                base: scaled_terms(s),
                                sigma_long: asset(s, "sigma_long"),
                                alpha: asset(s, "alpha"),
                                beta: asset(s, "beta"),
                            };
                            ((*s).clone(), t)
                        })
                        .collect();
                    Predictive::new(name, market, params, &terms)?
                }
                Forecast::Regime => {
                    let terms: Vec<(String, RegimeTerms)> = symbols
                        .iter()
                        .map(|s| {
                            let t = RegimeTerms {
                                base: scaled_terms(s),
                                sigma_calm: asset(s, "sigma_calm"),
                                sigma_stress: asset(s, "sigma_stress"),
                                stay_calm: asset(s, "stay_calm"),
                                stay_stress: asset(s, "stay_stress"),
                            };
                            ((*s).clone(), t)
                        })
                        .collect();
                    Predictive::regime(name, market, params, &terms)?
                }
                Forecast::Implied => {
                    let scale = get("implied_scale");
                    let terms: Vec<(String, ImpliedTerms)> = symbols
                        .iter()
                        .map(|s| {
                            let (values, source) = &series[s.as_str()];
                            let t = ImpliedTerms {
                                base: scaled_terms(s),
                                series: values.iter().map(|v| v * scale).collect(),
                                source: source.clone(),
                            };
                            ((*s).clone(), t)
                        })
                        .collect();
                    Predictive::implied(name, market, params, &terms)?
                }
            };
            match &liquidity {
                Some(l) => Box::new(policy.with_liquidity(market, l)?),
                None => Box::new(policy),
            }
        }
    })
}

/// The name of the variant `pick` of policy `name`.
fn variant_name(name: &str, slots: &[Slot], pick: &[usize]) -> String {
    let swept: Vec<String> = slots
        .iter()
        .zip(pick)
        .filter(|(s, _)| s.list)
        .map(|(s, &j)| format!("{}={}", s.label(), s.values[j].0))
        .collect();
    if swept.is_empty() {
        name.to_owned()
    } else {
        format!("{name}[{}]", swept.join(","))
    }
}

/// Advances `pick` to the next element of the cartesian product (last slot fastest);
/// false once every combination was visited.
fn next(pick: &mut [usize], slots: &[Slot]) -> bool {
    for k in (0..pick.len()).rev() {
        pick[k] += 1;
        if pick[k] < slots[k].values.len() {
            return true;
        }
        pick[k] = 0;
    }
    false
}

impl Validator<'_> {
    /// Records an issue unless the same one is already recorded (a bad element shows up in
    /// many variants).
    fn issue_once(&mut self, span: Range<usize>, key: String, message: String) {
        let issue = Issue {
            line: Some(self.line(span)),
            key,
            message,
        };
        if !self.issues.contains(&issue) {
            self.issues.push(issue);
        }
    }

    /// The validated policies, sweeps expanded, in file order, and the implied-volatility
    /// series they read (`base`: the scenario file's folder; `steps`: the scenario's, when
    /// given, which every series must cover).
    pub(crate) fn policies(
        &mut self,
        raw: &[RawPolicy],
        market: &MarketSpec,
        base: &Path,
        steps: Option<usize>,
    ) -> (Vec<Box<dyn MarginPolicy>>, Vec<ImpliedSeries>) {
        if raw.is_empty() {
            self.issues.push(Issue {
                line: None,
                key: "policies".into(),
                message: "at least one [[policies]] entry is required".into(),
            });
        }
        let mut out: Vec<Box<dyn MarginPolicy>> = Vec::new();
        let mut implied: Vec<ImpliedSeries> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for (i, p) in raw.iter().enumerate() {
            let name = p.name.get_ref();
            if name.trim().is_empty() {
                self.issue(
                    p.name.span(),
                    format!("policies[{i}].name"),
                    "must not be empty",
                );
            }
            let forecast = match p
                .forecast
                .as_ref()
                .map(|f| (f.get_ref().as_str(), f.span()))
            {
                None | Some(("garch", _)) => Forecast::Garch,
                Some(("regime", _)) => Forecast::Regime,
                Some(("implied", _)) => Forecast::Implied,
                Some((other, span)) => {
                    self.issue(
                        span,
                        format!("policies[{i}].forecast"),
                        format!("unknown forecast `{other}` (known: garch, regime, implied)"),
                    );
                    names.push(name.clone());
                    continue;
                }
            };
            let kind = match p.kind.get_ref().as_str() {
                "static-ltv" => Kind::StaticLtv,
                "dynamic" => Kind::Dynamic,
                "predictive" => Kind::Predictive(forecast),
                other => {
                    self.issue(
                        p.kind.span(),
                        format!("policies[{i}].kind"),
                        format!(
                            "unknown policy kind `{other}` (known: static-ltv, dynamic, predictive)"
                        ),
                    );
                    names.push(name.clone());
                    continue;
                }
            };
            if let Some(f) = &p.forecast
                && !PREDICTIVE(kind)
            {
                self.issue(
                    f.span(),
                    format!("policies[{i}].forecast"),
                    format!("not used by {}", kind.describe()),
                );
            }
            let series = self.implied_series(i, p, kind, base, steps, &mut implied);
            let (Some(slots), Some(series)) = (self.slots(i, p, kind), series) else {
                names.push(name.clone());
                continue;
            };
            let symbols: Vec<&String> = p.assets.get_ref().keys().collect();
            let mut pick = vec![0; slots.len()];
            loop {
                let variant = variant_name(name, &slots, &pick);
                if names.contains(&variant) {
                    self.issue_once(
                        p.name.span(),
                        format!("policies[{i}].name"),
                        format!("duplicate policy name `{variant}`"),
                    );
                }
                match build(kind, &variant, market, &symbols, &slots, &pick, &series) {
                    Ok(policy) => out.push(policy),
                    Err(e) => self.policy_error(i, p, &slots, &pick, e),
                }
                names.push(variant);
                if !next(&mut pick, &slots) {
                    break;
                }
            }
        }
        (out, implied)
    }

    /// The implied-volatility columns of policy `i` (empty unless its forecast is
    /// `implied`), read from `implied_file`; `None` with issues recorded when they cannot
    /// be read or are shorter than `steps + 1`.
    fn implied_series(
        &mut self,
        i: usize,
        p: &RawPolicy,
        kind: Kind,
        base: &Path,
        steps: Option<usize>,
        implied: &mut Vec<ImpliedSeries>,
    ) -> Option<SeriesBySymbol> {
        let mut out = SeriesBySymbol::new();
        let file = match (&p.implied_file, IMPLIED(kind)) {
            (Some(f), true) => f,
            (None, true) => {
                self.issue(
                    p.kind.span(),
                    format!("policies[{i}].implied_file"),
                    format!("required for {}", kind.describe()),
                );
                return None;
            }
            (Some(f), false) => {
                self.issue(
                    f.span(),
                    format!("policies[{i}].implied_file"),
                    format!("not used by {}", kind.describe()),
                );
                return None;
            }
            (None, false) => return Some(out),
        };
        let path = base.join(file.get_ref());
        let key = format!("policies[{i}].implied_file");
        let mut ok = true;
        for (symbol, t) in p.assets.get_ref() {
            let Some(column) = &t.implied else {
                continue; // reported by `slots`
            };
            match read_column(&path, column.get_ref()) {
                Ok(values) => {
                    let source = format!("{} column `{}`", path.display(), column.get_ref());
                    out.insert(symbol.clone(), (values, source));
                }
                Err(e) => {
                    self.issue(
                        column.span(),
                        format!("policies[{i}].assets.{symbol}.implied"),
                        e,
                    );
                    ok = false;
                }
            }
        }
        let Some(max_steps) = out.values().map(|(v, _)| v.len() - 1).min() else {
            return ok.then_some(out);
        };
        if let Some(s) = steps
            && s > max_steps
        {
            self.issue(
                file.span(),
                key,
                format!(
                    "the series of {} cover steps 0..={max_steps} (value t at step t), the scenario has `steps = {s}`",
                    path.display()
                ),
            );
            ok = false;
        }
        implied.push(ImpliedSeries {
            policy: p.name.get_ref().clone(),
            file: path,
            max_steps,
        });
        ok.then_some(out)
    }

    /// The parameters of policy `i` of this kind, in naming order, with defaults filled
    /// in; `None` (with issues recorded) when they cannot be expanded.
    fn slots(&mut self, i: usize, p: &RawPolicy, kind: Kind) -> Option<Vec<Slot>> {
        let mut slots = vec![Slot::new("close_factor".into(), &p.close_factor)];
        let mut ok = true;
        let dynamic = DynamicParams::with_close_factor(0.0);
        let predictive = PredictiveParams::with_close_factor(0.0);
        let liquid = p
            .assets
            .get_ref()
            .values()
            .any(|t| t.position_scale.is_some());
        // (key, value, default, kinds that use it, whether a default applies).
        let optional: [(&str, &Option<SParam>, f64, Uses, bool); 7] = [
            ("lambda", &p.lambda, dynamic.lambda, DYNAMIC, true),
            ("beta", &p.beta, dynamic.beta, SCALED, true),
            ("floor", &p.floor, dynamic.floor, SCALED, true),
            ("cap", &p.cap, dynamic.cap, SCALED, true),
            (
                "horizon",
                &p.horizon,
                predictive.horizon,
                |k| GARCH(k) || REGIME(k),
                true,
            ),
            ("liquidity_k", &p.liquidity_k, 1.0, SCALED, liquid),
            ("implied_scale", &p.implied_scale, 0.01, IMPLIED, true),
        ];
        for (key, raw, default, uses, defaulted) in optional {
            match (raw, uses(kind)) {
                (Some(x), true) => slots.push(Slot::new(key.into(), x)),
                (None, true) if defaulted => slots.push(Slot::default(key, default, p.kind.span())),
                (None, true) => {}
                (Some(x), false) => {
                    self.issue(
                        x.span(),
                        format!("policies[{i}].{key}"),
                        format!("not used by {}", kind.describe()),
                    );
                    ok = false;
                }
                (None, false) => {}
            }
        }
        if let Some(x) = &p.implied_scale {
            let bad = match x.get_ref() {
                ParamValue::One(n) => vec![(n.0, x.span(), None)],
                ParamValue::Many(v) => v
                    .iter()
                    .enumerate()
                    .map(|(j, n)| (n.get_ref().0, n.span(), Some(j)))
                    .collect(),
            };
            for (v, span, j) in bad {
                if !(v.is_finite() && v > 0.0) {
                    let index = j.map(|j| format!("[{j}]")).unwrap_or_default();
                    self.issue(
                        span,
                        format!("policies[{i}].implied_scale{index}"),
                        format!("must be > 0, got {v}"),
                    );
                    ok = false;
                }
            }
        }
        for (symbol, t) in p.assets.get_ref() {
            let key = |k: &str| format!("assets.{symbol}.{k}");
            slots.push(Slot::new(key("ltv"), &t.ltv));
            slots.push(Slot::new(key("lt"), &t.lt));
            slots.push(Slot::new(key("bonus"), &t.bonus));
            // (key, value, kinds that use it, whether it is required there).
            let per_asset: [(&str, &Option<SParam>, Uses, bool); 9] = [
                ("sigma_ref", &t.sigma_ref, SCALED, true),
                ("sigma_long", &t.sigma_long, GARCH, true),
                ("alpha", &t.alpha, GARCH, true),
                ("beta", &t.beta, GARCH, true),
                ("sigma_calm", &t.sigma_calm, REGIME, true),
                ("sigma_stress", &t.sigma_stress, REGIME, true),
                ("stay_calm", &t.stay_calm, REGIME, true),
                ("stay_stress", &t.stay_stress, REGIME, true),
                ("position_scale", &t.position_scale, SCALED, false),
            ];
            for (k, raw, uses, required) in per_asset {
                match (raw, uses(kind)) {
                    (Some(x), true) => slots.push(Slot::new(key(k), x)),
                    (None, true) if required => {
                        self.issue(
                            p.assets.span(),
                            format!("policies[{i}].{}", key(k)),
                            format!("required for {}", kind.describe()),
                        );
                        ok = false;
                    }
                    (None, true) => {}
                    (Some(x), false) => {
                        self.issue(
                            x.span(),
                            format!("policies[{i}].{}", key(k)),
                            format!("not used by {}", kind.describe()),
                        );
                        ok = false;
                    }
                    (None, false) => {}
                }
            }
            match (&t.implied, IMPLIED(kind)) {
                (None, true) => {
                    self.issue(
                        p.assets.span(),
                        format!("policies[{i}].{}", key("implied")),
                        format!("required for {}", kind.describe()),
                    );
                    ok = false;
                }
                (Some(x), false) => {
                    self.issue(
                        x.span(),
                        format!("policies[{i}].{}", key("implied")),
                        format!("not used by {}", kind.describe()),
                    );
                    ok = false;
                }
                _ => {}
            }
        }
        let mut variants: usize = 1;
        for s in &slots {
            if s.values.is_empty() {
                self.issue(
                    s.span.clone(),
                    format!("policies[{i}].{}", s.key),
                    "a list needs at least one value",
                );
                ok = false;
            }
            for (j, (v, span)) in s.values.iter().enumerate() {
                if s.values[..j].iter().any(|(w, _)| w == v) {
                    self.issue(
                        span.clone(),
                        format!("policies[{i}].{}[{j}]", s.key),
                        format!("duplicate value {v} in the list"),
                    );
                    ok = false;
                }
            }
            variants = variants.saturating_mul(s.values.len());
        }
        if variants > MAX_VARIANTS {
            self.issue(
                p.name.span(),
                format!("policies[{i}]"),
                format!("the lists expand into {variants} variants, more than {MAX_VARIANTS}"),
            );
            ok = false;
        }
        ok.then_some(slots)
    }

    /// Records why variant `pick` of policy `i` was refused, naming the list element.
    fn policy_error(
        &mut self,
        i: usize,
        p: &RawPolicy,
        slots: &[Slot],
        pick: &[usize],
        e: PolicyError,
    ) {
        match e {
            PolicyError::OutOfRange { key, value, rule } => {
                let Some(k) = slots.iter().position(|s| s.key == key) else {
                    // Not a numeric parameter of the file (a value of a data series).
                    self.issue_once(
                        p.name.span(),
                        format!("policies[{i}].{key}"),
                        format!("{rule}, got {value}"),
                    );
                    return;
                };
                let (slot, j) = (&slots[k], pick[k]);
                let full = if slot.list {
                    format!("policies[{i}].{key}[{j}]")
                } else {
                    format!("policies[{i}].{key}")
                };
                // A rule between two values: show the other.
                let other = if rule.ends_with("<= lt") {
                    let lt = key.strip_suffix(".ltv").map(|k| format!("{k}.lt"));
                    lt.map(|lt| format!(" ({})", lookup(slots, pick, &lt)))
                } else if rule.starts_with("alpha + beta") {
                    let alpha = key.strip_suffix(".beta").map(|k| format!("{k}.alpha"));
                    alpha.map(|a| format!(" (alpha {})", lookup(slots, pick, &a)))
                } else if rule.contains("cap") {
                    Some(format!(" (cap {})", lookup(slots, pick, "cap")))
                } else {
                    None
                };
                let other = other.unwrap_or_default();
                self.issue_once(
                    slot.values[j].1.clone(),
                    full,
                    format!("{rule}{other}, got {value}"),
                );
            }
            PolicyError::UnknownAsset(symbol) => self.issue_once(
                p.assets.span(),
                format!("policies[{i}].assets.{symbol}"),
                "unknown asset (not declared in [[assets]])".into(),
            ),
        }
    }
}
