//! `[[policies]]`: validation of every policy kind, and the expansion of parameter sweeps
//! (a numeric parameter written as a list) into named policy variants.
//!
//! Naming rule: a policy without a list keeps its `name`. Otherwise each variant is named
//! `NAME[KEY=VALUE,KEY=VALUE,...]`, one `KEY=VALUE` per parameter written as a list (even
//! a one-element list), in the order `close_factor`, `lambda`, `beta`, `floor`, `cap`,
//! `horizon`, then per asset in byte order of the symbol `SYMBOL.ltv`, `SYMBOL.lt`,
//! `SYMBOL.bonus`, `SYMBOL.sigma_ref`, `SYMBOL.sigma_long`, `SYMBOL.alpha`, `SYMBOL.beta`
//! (those the kind uses); `VALUE` is the shortest decimal that reads back as the same float
//! (Rust's `{}` for `f64`: `0.75`, `1`, `0.0001`). Variants follow each other in the order
//! of the cartesian product with the last key varying fastest, each list in file order,
//! right where the policy stands among the scenario's policies.

use crate::error::Issue;
use crate::raw::{ParamValue, RawPolicy, SParam};
use crate::validate::Validator;
use crunch_core::{MarginPolicy, MarketSpec};
use crunch_policy::{
    AssetTerms, Dynamic, DynamicParams, DynamicTerms, PolicyError, Predictive, PredictiveParams,
    PredictiveTerms, StaticLtv,
};
use std::ops::Range;

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

/// The built-in policy kinds.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    StaticLtv,
    Dynamic,
    Predictive,
}

/// The kinds that scale their terms with a volatility (`sigma_ref`, `beta`, `floor`, `cap`).
const SCALED: &[Kind] = &[Kind::Dynamic, Kind::Predictive];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::StaticLtv => "static-ltv",
            Kind::Dynamic => "dynamic",
            Kind::Predictive => "predictive",
        }
    }
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
) -> Result<Box<dyn MarginPolicy>, PolicyError> {
    let get = |key: &str| lookup(slots, pick, key);
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
            Box::new(Dynamic::new(name, market, params, &terms)?)
        }
        Kind::Predictive => {
            let params = PredictiveParams {
                close_factor,
                horizon: get("horizon"),
                beta: get("beta"),
                floor: get("floor"),
                cap: get("cap"),
            };
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
            Box::new(Predictive::new(name, market, params, &terms)?)
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

    /// The validated policies, sweeps expanded, in file order.
    pub(crate) fn policies(
        &mut self,
        raw: &[RawPolicy],
        market: &MarketSpec,
    ) -> Vec<Box<dyn MarginPolicy>> {
        if raw.is_empty() {
            self.issues.push(Issue {
                line: None,
                key: "policies".into(),
                message: "at least one [[policies]] entry is required".into(),
            });
        }
        let mut out: Vec<Box<dyn MarginPolicy>> = Vec::new();
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
            let kind = match p.kind.get_ref().as_str() {
                "static-ltv" => Kind::StaticLtv,
                "dynamic" => Kind::Dynamic,
                "predictive" => Kind::Predictive,
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
            let Some(slots) = self.slots(i, p, kind) else {
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
                match build(kind, &variant, market, &symbols, &slots, &pick) {
                    Ok(policy) => out.push(policy),
                    Err(e) => self.policy_error(i, p, &slots, &pick, e),
                }
                names.push(variant);
                if !next(&mut pick, &slots) {
                    break;
                }
            }
        }
        out
    }

    /// The parameters of policy `i` of this kind, in naming order, with defaults filled
    /// in; `None` (with issues recorded) when they cannot be expanded.
    fn slots(&mut self, i: usize, p: &RawPolicy, kind: Kind) -> Option<Vec<Slot>> {
        let mut slots = vec![Slot::new("close_factor".into(), &p.close_factor)];
        let mut ok = true;
        let dynamic = DynamicParams::with_close_factor(0.0);
        let predictive = PredictiveParams::with_close_factor(0.0);
        let optional: [(&str, &Option<SParam>, f64, &[Kind]); 5] = [
            ("lambda", &p.lambda, dynamic.lambda, &[Kind::Dynamic]),
            ("beta", &p.beta, dynamic.beta, SCALED),
            ("floor", &p.floor, dynamic.floor, SCALED),
            ("cap", &p.cap, dynamic.cap, SCALED),
            (
                "horizon",
                &p.horizon,
                predictive.horizon,
                &[Kind::Predictive],
            ),
        ];
        for (key, raw, default, kinds) in optional {
            match (raw, kinds.contains(&kind)) {
                (Some(x), true) => slots.push(Slot::new(key.into(), x)),
                (None, true) => slots.push(Slot::default(key, default, p.kind.span())),
                (Some(x), false) => {
                    self.issue(
                        x.span(),
                        format!("policies[{i}].{key}"),
                        format!("not used by kind `{}`", kind.name()),
                    );
                    ok = false;
                }
                (None, false) => {}
            }
        }
        for (symbol, t) in p.assets.get_ref() {
            let key = |k: &str| format!("assets.{symbol}.{k}");
            slots.push(Slot::new(key("ltv"), &t.ltv));
            slots.push(Slot::new(key("lt"), &t.lt));
            slots.push(Slot::new(key("bonus"), &t.bonus));
            let required: [(&str, &Option<SParam>, &[Kind]); 4] = [
                ("sigma_ref", &t.sigma_ref, SCALED),
                ("sigma_long", &t.sigma_long, &[Kind::Predictive]),
                ("alpha", &t.alpha, &[Kind::Predictive]),
                ("beta", &t.beta, &[Kind::Predictive]),
            ];
            for (k, raw, kinds) in required {
                match (raw, kinds.contains(&kind)) {
                    (Some(x), true) => slots.push(Slot::new(key(k), x)),
                    (None, true) => {
                        self.issue(
                            p.assets.span(),
                            format!("policies[{i}].{}", key(k)),
                            format!("required for kind `{}`", kind.name()),
                        );
                        ok = false;
                    }
                    (Some(x), false) => {
                        self.issue(
                            x.span(),
                            format!("policies[{i}].{}", key(k)),
                            format!("not used by kind `{}`", kind.name()),
                        );
                        ok = false;
                    }
                    (None, false) => {}
                }
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
                let k = slots
                    .iter()
                    .position(|s| s.key == key)
                    .expect("a known key");
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
