//! Validation of `[market]`: the source and its model keys, `[market.crunch]` and
//! `[[market.shocks]]`. Every problem is recorded with its line and key.

use crate::raw::{Num, RawMarket, RawRegimes, SNum};
use crate::validate::{
    ParametricSpec, PriceFileSpec, SourceSpec, Validator, finite, non_negative, positive,
};
use chrono::NaiveDate;
use crunch_core::MarketSpec;
use crunch_market::{
    CommonJump, CorrelationError, Crunch, GarchSpec, JumpSize, Regime, RegimeSwitching, Shock,
    ShockKind, average_pairwise_correlation, cholesky_psd, nearest_correlation,
};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// Every source, in the order of the error message.
const SOURCES: &str = "gbm, student-t, garch, jump, regime, bootstrap, fhs, historical";

/// Sources that step log-prices with the shared diffusion (and accept a crunch).
const DIFFUSION: &[&str] = &["gbm", "student-t", "garch", "jump", "regime"];
/// Sources that read a price file.
const FILE: &[&str] = &["historical", "bootstrap", "fhs"];

/// Largest expected number of jumps per step (`intensity * dt`).
const MAX_JUMPS_PER_STEP: f64 = 10.0;

/// Tolerance on the sum of a transition row.
const ROW_TOL: f64 = 1e-9;

/// Which sources use an optional `[market]` key.
fn users(key: &str) -> &'static [&'static str] {
    match key {
        "correlation" | "repair_correlation" | "crunch" => DIFFUSION,
        "file" | "start" | "end" | "columns" => FILE,
        "dof" => &["student-t", "garch", "jump", "regime"],
        "mean_block" => &["bootstrap"],
        "garch" => &["garch", "fhs"],
        "jumps" | "common_jump" => &["jump"],
        "regimes" => &["regime"],
        "decouple" => DIFFUSION,
        "rescale" => &["historical"],
        _ => &[],
    }
}

fn matrix(m: &[Vec<Num>]) -> Vec<Vec<f64>> {
    m.iter()
        .map(|row| row.iter().map(|x| x.0).collect())
        .collect()
}

fn identity(n: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect()
}

impl Validator<'_> {
    /// The source and its model keys.
    pub(crate) fn source(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        base: &Path,
    ) -> Option<SourceSpec> {
        let source = raw.source.get_ref().as_str();
        let known = DIFFUSION.contains(&source) || FILE.contains(&source);
        if !known {
            self.issue(
                raw.source.span(),
                "market.source",
                format!("unknown source `{source}` (known: {SOURCES})"),
            );
            return None;
        }
        let present: [(&str, Option<Range<usize>>); 16] = [
            ("correlation", raw.correlation.as_ref().map(|x| x.span())),
            (
                "repair_correlation",
                raw.repair_correlation.as_ref().map(|x| x.span()),
            ),
            ("file", raw.file.as_ref().map(|x| x.span())),
            ("start", raw.start.as_ref().map(|x| x.span())),
            ("end", raw.end.as_ref().map(|x| x.span())),
            ("columns", raw.columns.as_ref().map(|x| x.span())),
            ("dof", raw.dof.as_ref().map(|x| x.span())),
            ("mean_block", raw.mean_block.as_ref().map(|x| x.span())),
            ("garch", raw.garch.as_ref().map(|x| x.span())),
            ("jumps", raw.jumps.as_ref().map(|x| x.span())),
            ("common_jump", raw.common_jump.as_ref().map(|x| x.span())),
            ("regimes", raw.regimes.as_ref().map(|x| x.span())),
            ("crunch", raw.crunch.as_ref().map(|x| x.span())),
            ("shocks", None),
            (
                "decouple",
                raw.decouple
                    .as_ref()
                    .and_then(|d| d.first())
                    .map(|d| d.assets.span()),
            ),
            ("rescale", raw.rescale.as_ref().map(|x| x.span())),
        ];
        for (key, span) in present {
            if let Some(span) = span
                && !users(key).contains(&source)
            {
                self.issue(
                    span,
                    format!("market.{key}"),
                    format!("not used by source `{source}`"),
                );
            }
        }
        match source {
            "historical" => {
                let p = self.price_file(raw, market, base, source)?;
                Some(SourceSpec::Historical {
                    file: p.file,
                    start: p.start,
                    end: p.end,
                    columns: p.columns,
                })
            }
            "bootstrap" => {
                let prices = self.price_file(raw, market, base, source);
                let mean_block = match &raw.mean_block {
                    Some(b) => self.num(
                        b,
                        "market.mean_block",
                        |v| v.is_finite() && v >= 1.0,
                        "must be >= 1",
                    ),
                    None => {
                        self.issue(
                            raw.source.span(),
                            "market.mean_block",
                            "a bootstrap source needs a mean block length in steps (1 for \
                             the iid bootstrap)",
                        );
                        1.0
                    }
                };
                Some(SourceSpec::Bootstrap {
                    prices: prices?,
                    mean_block,
                })
            }
            "fhs" => {
                let prices = self.price_file(raw, market, base, source);
                let from_file: Vec<bool> = market
                    .assets
                    .iter()
                    .map(|a| {
                        !a.is_stable()
                            || prices
                                .as_ref()
                                .is_some_and(|p| p.columns.contains_key(&a.symbol))
                    })
                    .collect();
                let garch = self.garch(raw, market, &from_file, source, false)?;
                Some(SourceSpec::FilteredHistorical {
                    prices: prices?,
                    garch,
                })
            }
            _ => self.parametric(raw, market, source),
        }
    }

    fn correlation(&mut self, raw: &RawMarket, market: &MarketSpec) -> Vec<Vec<f64>> {
        let n = market.len();
        let mut correlation = match &raw.correlation {
            Some(c) => matrix(c.get_ref()),
            None => identity(n),
        };
        let repair = raw
            .repair_correlation
            .as_ref()
            .is_some_and(|r| *r.get_ref());
        if let (Err(CorrelationError::NotPsd { min_eigenvalue, .. }), true, Some(c)) =
            (cholesky_psd(&correlation, n), repair, &raw.correlation)
        {
            // Asked for: replace it by the nearest correlation matrix, and say how far it
            // moved.
            let (nearest, distance) = nearest_correlation(&correlation);
            let line = self.line(c.span());
            self.warnings.push(format!(
                "line {line}, `market.correlation`: not positive semi-definite (smallest \
                 eigenvalue {min_eigenvalue:.6}); replaced by the nearest correlation matrix \
                 (Higham 2002), which differs by {distance:.6} in Frobenius norm and by at \
                 most {:.6} in any entry",
                nearest
                    .iter()
                    .flatten()
                    .zip(correlation.iter().flatten())
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            ));
            correlation = nearest;
        }
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
        correlation
    }

    fn parametric(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        source: &str,
    ) -> Option<SourceSpec> {
        let correlation = self.correlation(raw, market);
        if source == "gbm" {
            return Some(SourceSpec::Gbm { correlation });
        }
        let source: &'static str = DIFFUSION.iter().find(|s| **s == source)?;
        let dof = raw.dof.as_ref().map(|d| {
            self.num(
                d,
                "market.dof",
                |v| v.is_finite() && v > 2.0,
                "must be > 2 (finite variance)",
            )
        });
        if source == "student-t" && dof.is_none() {
            self.issue(
                raw.source.span(),
                "market.dof",
                "a student-t source needs the degrees of freedom `dof` (> 2)",
            );
        }
        let moving: Vec<bool> = market.assets.iter().map(|a| !a.is_stable()).collect();
        let garch = if source == "garch" {
            Some(self.garch(raw, market, &moving, source, true)?)
        } else {
            None
        };
        let (jumps, common_jump) = if source == "jump" {
            self.jumps(raw, market)
        } else {
            (None, None)
        };
        let regimes = match (&raw.regimes, source) {
            (Some(r), "regime") => self.regimes(r, market, &correlation),
            (None, "regime") => {
                self.issue(
                    raw.source.span(),
                    "market.regimes",
                    "a regime source needs `[market.regimes]` with `start`, `transition` and \
                     `[[market.regimes.states]]`",
                );
                None
            }
            _ => None,
        };
        Some(SourceSpec::Parametric(ParametricSpec {
            source,
            correlation,
            dof,
            garch,
            jumps,
            common_jump,
            regimes,
        }))
    }

    fn price_file(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        base: &Path,
        source: &str,
    ) -> Option<PriceFileSpec> {
        let date = |v: &mut Self, d: &Option<Spanned<String>>, key: &str| {
            d.as_ref().and_then(
                |s| match NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d") {
                    Ok(x) => Some(x),
                    Err(_) => {
                        v.issue(
                            s.span(),
                            format!("market.{key}"),
                            format!("`{}` is not a date in YYYY-MM-DD form", s.get_ref()),
                        );
                        None
                    }
                },
            )
        };
        let start = date(self, &raw.start, "start");
        let end = date(self, &raw.end, "end");
        if let (Some(s), Some(e), Some(span)) = (start, end, raw.end.as_ref().map(|x| x.span()))
            && e < s
        {
            self.issue(
                span,
                "market.end",
                format!("{e} is before market.start {s}"),
            );
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
            Some(f) => Some(PriceFileSpec {
                file: base.join(f.get_ref()),
                start,
                end,
                columns,
            }),
            None => {
                self.issue(
                    raw.source.span(),
                    "market.file",
                    format!("a {source} source needs a price file"),
                );
                None
            }
        }
    }

    /// `[market.garch.SYMBOL]` for every asset in `needed`, no other. With `targeting`
    /// (the `garch` source), omitting `omega` needs the asset's `sigma > 0`.
    fn garch(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        needed: &[bool],
        source: &str,
        targeting: bool,
    ) -> Option<Vec<Option<GarchSpec>>> {
        let empty = BTreeMap::new();
        let table = raw.garch.as_ref().map_or(&empty, |g| g.get_ref());
        let span = raw.garch.as_ref().map_or(raw.source.span(), |g| g.span());
        let mut out = vec![None; market.len()];
        for symbol in table.keys() {
            match market.index_of(symbol) {
                None => self.issue(
                    span.clone(),
                    format!("market.garch.{symbol}"),
                    "unknown asset (not declared in [[assets]])",
                ),
                Some(i) if !needed[i] => self.issue(
                    span.clone(),
                    format!("market.garch.{symbol}"),
                    if source == "fhs" {
                        "not read from the price file (a stable asset without a \
                         `market.columns` entry)"
                    } else {
                        "a stable asset (sigma = mu = 0) has no GARCH variance"
                    },
                ),
                Some(_) => {}
            }
        }
        let dt = market.dt;
        for (i, asset) in market.assets.iter().enumerate() {
            if !needed[i] {
                continue;
            }
            let key = format!("market.garch.{}", asset.symbol);
            let Some(g) = table.get(&asset.symbol) else {
                self.issue(
                    span.clone(),
                    key,
                    format!(
                        "missing: a {source} source needs GARCH(1,1) parameters (alpha, beta) \
                         for every {} asset",
                        if source == "fhs" {
                            "price-file"
                        } else {
                            "moving"
                        }
                    ),
                );
                continue;
            };
            let k = |f: &str| format!("{key}.{f}");
            let alpha = self.num(&g.alpha, &k("alpha"), non_negative, "must be >= 0");
            let beta = self.num(&g.beta, &k("beta"), non_negative, "must be >= 0");
            if alpha + beta >= 1.0 {
                self.issue(
                    g.beta.span(),
                    k("beta"),
                    format!(
                        "alpha + beta must be < 1 (a stationary variance), got {alpha} + {beta} \
                         = {}",
                        alpha + beta
                    ),
                );
            }
            let omega = g
                .omega
                .as_ref()
                .map(|o| self.num(o, &k("omega"), positive, "must be > 0"));
            if omega.is_none() && targeting && asset.sigma == 0.0 {
                self.issue(
                    g.alpha.span(),
                    k("omega"),
                    "required when the asset's sigma is 0 (variance targeting needs sigma > 0)",
                );
            }
            let start_sigma = g
                .start_sigma
                .as_ref()
                .map(|s| self.num(s, &k("start_sigma"), positive, "must be > 0"));
            out[i] = Some(GarchSpec {
                alpha,
                beta,
                omega,
                start_variance: start_sigma.map(|s| s * s * dt),
            });
        }
        Some(out)
    }

    fn jump_size(
        &mut self,
        key: &str,
        intensity: &SNum,
        mean: &SNum,
        sd: &SNum,
        dt: f64,
    ) -> JumpSize {
        let k = |f: &str| format!("{key}.{f}");
        let intensity_v = self.num(intensity, &k("intensity"), non_negative, "must be >= 0");
        if intensity_v * dt > MAX_JUMPS_PER_STEP {
            self.issue(
                intensity.span(),
                k("intensity"),
                format!(
                    "at most {MAX_JUMPS_PER_STEP} expected jumps per step (intensity * dt), got \
                     {}",
                    intensity_v * dt
                ),
            );
        }
        JumpSize {
            intensity: intensity_v,
            mean: self.num(mean, &k("mean"), finite, "must be finite"),
            sd: self.num(sd, &k("sd"), non_negative, "must be >= 0"),
        }
    }

    /// A list of asset symbols: each known and moving.
    pub(crate) fn moving_assets(
        &mut self,
        list: &Spanned<Vec<String>>,
        key: &str,
        market: &MarketSpec,
    ) -> Vec<usize> {
        self.moved_assets(list, key, market, &[])
    }

    /// A list of asset symbols: each known, and moving or in `also` (stable assets that
    /// an overlay moves: pegged or rescaled).
    pub(crate) fn moved_assets(
        &mut self,
        list: &Spanned<Vec<String>>,
        key: &str,
        market: &MarketSpec,
        also: &[usize],
    ) -> Vec<usize> {
        let mut out = Vec::new();
        for symbol in list.get_ref() {
            match market.index_of(symbol) {
                None => self.issue(
                    list.span(),
                    key,
                    format!("unknown asset `{symbol}` (not declared in [[assets]])"),
                ),
                Some(i) if market.assets[i].is_stable() && !also.contains(&i) => self.issue(
                    list.span(),
                    key,
                    format!("`{symbol}` is a stable asset (sigma = mu = 0) and keeps its price"),
                ),
                Some(i) if out.contains(&i) => {
                    self.issue(list.span(), key, format!("`{symbol}` is listed twice"))
                }
                Some(i) => out.push(i),
            }
        }
        out
    }

    fn jumps(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
    ) -> (Option<Vec<Option<JumpSize>>>, Option<CommonJump>) {
        let dt = market.dt;
        let mut per_asset = vec![None; market.len()];
        if let Some(table) = &raw.jumps {
            for (symbol, j) in table.get_ref() {
                let key = format!("market.jumps.{symbol}");
                match market.index_of(symbol) {
                    None => self.issue(
                        table.span(),
                        key,
                        "unknown asset (not declared in [[assets]])",
                    ),
                    Some(i) if market.assets[i].is_stable() => self.issue(
                        table.span(),
                        key,
                        "a stable asset (sigma = mu = 0) cannot jump",
                    ),
                    Some(i) => {
                        per_asset[i] = Some(self.jump_size(&key, &j.intensity, &j.mean, &j.sd, dt))
                    }
                }
            }
        }
        let common = raw.common_jump.as_ref().map(|c| {
            let c = c.get_ref();
            let size = self.jump_size("market.common_jump", &c.intensity, &c.mean, &c.sd, dt);
            let assets = c
                .assets
                .as_ref()
                .map(|a| self.moving_assets(a, "market.common_jump.assets", market))
                .unwrap_or_default();
            CommonJump { size, assets }
        });
        if raw.jumps.is_none() && common.is_none() {
            self.issue(
                raw.source.span(),
                "market.jumps",
                "a jump source needs `[market.jumps.SYMBOL]` tables or `[market.common_jump]`",
            );
        }
        (Some(per_asset), common)
    }

    fn regimes(
        &mut self,
        raw: &Spanned<RawRegimes>,
        market: &MarketSpec,
        correlation: &[Vec<f64>],
    ) -> Option<RegimeSwitching> {
        let r = raw.get_ref();
        let n = market.len();
        let mut regimes: Vec<Regime> = Vec::new();
        if r.states.is_empty() {
            self.issue(
                raw.span(),
                "market.regimes.states",
                "at least one [[market.regimes.states]] entry is required",
            );
        }
        for (k, state) in r.states.iter().enumerate() {
            let key = |f: &str| format!("market.regimes.states[{k}].{f}");
            let name = state.name.get_ref().clone();
            if name.trim().is_empty() {
                self.issue(state.name.span(), key("name"), "must not be empty");
            } else if regimes.iter().any(|g| g.name == name) {
                self.issue(
                    state.name.span(),
                    key("name"),
                    format!("duplicate regime name `{name}`"),
                );
            }
            let per_asset = |v: &mut Self,
                             map: &Option<Spanned<BTreeMap<String, Num>>>,
                             field: &str,
                             default: fn(&crunch_core::AssetSpec) -> f64,
                             ok: fn(f64) -> bool,
                             rule: &str| {
                let mut out: Vec<f64> = market.assets.iter().map(default).collect();
                if let Some(m) = map {
                    for (symbol, x) in m.get_ref() {
                        let k = format!("{}.{symbol}", key(field));
                        match market.index_of(symbol) {
                            None => {
                                v.issue(m.span(), k, "unknown asset (not declared in [[assets]])")
                            }
                            Some(i) if market.assets[i].is_stable() => v.issue(
                                m.span(),
                                k,
                                "a stable asset (sigma = mu = 0 in [[assets]]) cannot move in a \
                                 regime",
                            ),
                            Some(_) if !ok(x.0) => {
                                v.issue(m.span(), k, format!("{rule}, got {}", x.0))
                            }
                            Some(i) => out[i] = x.0,
                        }
                    }
                }
                out
            };
            let mu = per_asset(self, &state.mu, "mu", |a| a.mu, finite, "must be finite");
            let sigma = per_asset(
                self,
                &state.sigma,
                "sigma",
                |a| a.sigma,
                non_negative,
                "must be >= 0",
            );
            let corr = match &state.correlation {
                Some(c) => {
                    let m = matrix(c.get_ref());
                    if let Err(e) = cholesky_psd(&m, n) {
                        self.issue(
                            c.span(),
                            key("correlation"),
                            format!("not a valid correlation matrix: {e}"),
                        );
                    }
                    m
                }
                None => correlation.to_vec(),
            };
            regimes.push(Regime {
                name,
                mu,
                sigma,
                correlation: corr,
            });
        }
        let start = regimes.iter().position(|g| &g.name == r.start.get_ref());
        if start.is_none() {
            let names: Vec<&str> = regimes.iter().map(|g| g.name.as_str()).collect();
            self.issue(
                r.start.span(),
                "market.regimes.start",
                format!(
                    "unknown regime `{}` (regimes: {})",
                    r.start.get_ref(),
                    names.join(", ")
                ),
            );
        }
        let transition = matrix(r.transition.get_ref());
        self.transition(&transition, regimes.len(), r.transition.span());
        Some(RegimeSwitching {
            regimes,
            transition,
            start: start?,
        })
    }

    fn transition(&mut self, p: &[Vec<f64>], k: usize, span: Range<usize>) {
        let key = "market.regimes.transition";
        if p.len() != k || p.iter().any(|row| row.len() != k) {
            self.issue(
                span,
                key,
                format!(
                    "must be a {k}x{k} matrix (one row and column per regime, in the order of \
                     [[market.regimes.states]])"
                ),
            );
            return;
        }
        for (a, row) in p.iter().enumerate() {
            if let Some((b, x)) = row
                .iter()
                .enumerate()
                .find(|(_, x)| !(x.is_finite() && (0.0..=1.0).contains(*x)))
            {
                self.issue(
                    span.clone(),
                    key,
                    format!("entry [{a}][{b}] = {x} is not a probability in [0, 1]"),
                );
                continue;
            }
            let sum: f64 = row.iter().sum();
            if (sum - 1.0).abs() > ROW_TOL {
                self.issue(span.clone(), key, format!("row {a} sums to {sum}, not 1"));
            }
        }
    }

    /// `[market.crunch]`, for the sources that use it (others were refused already).
    pub(crate) fn crunch(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        source: Option<&SourceSpec>,
        steps: Option<usize>,
    ) -> Option<Crunch> {
        let c = raw.crunch.as_ref()?;
        let r = c.get_ref();
        let k = |f: &str| format!("market.crunch.{f}");
        let start = *r.start.get_ref() as usize;
        let end = *r.end.get_ref() as usize;
        let ramp_in = r.ramp_in.as_ref().map_or(0, |x| *x.get_ref() as usize);
        let ramp_out = r.ramp_out.as_ref().map_or(0, |x| *x.get_ref() as usize);
        if start < 1 {
            self.issue(r.start.span(), k("start"), "must be >= 1, got 0");
        }
        if end < start {
            self.issue(
                r.end.span(),
                k("end"),
                format!("must be >= market.crunch.start ({start}), got {end}"),
            );
        } else if let Some(steps) = steps.filter(|&s| end > s) {
            self.issue(
                r.end.span(),
                k("end"),
                format!("must be <= steps ({steps}), got {end}"),
            );
        } else if ramp_in + ramp_out > end - start {
            let span = r
                .ramp_in
                .as_ref()
                .or(r.ramp_out.as_ref())
                .map_or(c.span(), |x| x.span());
            self.issue(
                span,
                k("ramp_in"),
                format!(
                    "ramp_in + ramp_out must be <= end - start ({}) so that the window reaches \
                     full weight, got {ramp_in} + {ramp_out}",
                    end - start
                ),
            );
        }
        let target = match &r.target_correlation {
            Some(t) => self.num(
                t,
                &k("target_correlation"),
                |v| v.is_finite() && (-1.0..=1.0).contains(&v),
                "must be in [-1, 1]",
            ),
            None => 1.0,
        };
        let vol_multiplier = match &r.vol_multiplier {
            Some(x) => self.num(x, &k("vol_multiplier"), positive, "must be > 0"),
            None => 1.0,
        };
        let depth_divisor = match &r.depth_divisor {
            Some(x) => self.num(x, &k("depth_divisor"), positive, "must be > 0"),
            None => 1.0,
        };
        let crunch = Crunch {
            start,
            end,
            ramp_in,
            ramp_out,
            target_correlation: target,
            vol_multiplier,
            depth_divisor,
        };
        // The target may not lie below the model's own average pairwise correlation (of
        // every regime's matrix for a regime source).
        let moving: Vec<usize> = (0..market.len())
            .filter(|&i| !market.assets[i].is_stable())
            .collect();
        let matrices: Vec<(String, &Vec<Vec<f64>>)> = match source {
            Some(SourceSpec::Gbm { correlation }) => vec![(String::new(), correlation)],
            Some(SourceSpec::Parametric(p)) => match &p.regimes {
                Some(rs) => rs
                    .regimes
                    .iter()
                    .map(|g| (format!(" of regime `{}`", g.name), &g.correlation))
                    .collect(),
                None => vec![(String::new(), &p.correlation)],
            },
            _ => Vec::new(),
        };
        let span = r.target_correlation.as_ref().map_or(c.span(), |t| t.span());
        for (what, m) in matrices {
            if m.len() != market.len() || m.iter().any(|row| row.len() != market.len()) {
                continue; // reported with the matrix
            }
            if let Some(avg) = average_pairwise_correlation(m, &moving)
                && target < avg - 1e-12
            {
                self.issue(
                    span.clone(),
                    k("target_correlation"),
                    format!(
                        "{target} is below the average pairwise correlation{what} \
                             ({avg:.4}); a crunch can only raise correlations"
                    ),
                );
            }
        }
        Some(crunch)
    }

    /// `[[market.shocks]]`; `overlaid` are the stable assets a peg or a rescale moves,
    /// which a shock may list.
    pub(crate) fn shocks(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        steps: Option<usize>,
        overlaid: &[usize],
    ) -> Vec<Shock> {
        let mut out = Vec::new();
        for (n, s) in raw.shocks.iter().flatten().enumerate() {
            let k = |f: &str| format!("market.shocks[{n}].{f}");
            let step = *s.step.get_ref() as usize;
            if step < 1 {
                self.issue(s.step.span(), k("step"), "must be >= 1, got 0");
            } else if let Some(t) = steps.filter(|&t| step > t) {
                self.issue(
                    s.step.span(),
                    k("step"),
                    format!("must be <= steps ({t}), got {step}"),
                );
            }
            let size = self.num(
                &s.size,
                &k("size"),
                |v| v.is_finite() && v < 1.0,
                "must be < 1 (the fraction of the price lost; prices stay positive)",
            );
            let length = match (s.kind.get_ref().as_str(), &s.steps) {
                ("drop", Some(x)) => {
                    self.issue(x.span(), k("steps"), "not used by a `drop` (it is instant)");
                    0
                }
                ("drop", None) => 0,
                ("slide" | "v", Some(x)) if *x.get_ref() == 0 => {
                    self.issue(x.span(), k("steps"), "must be >= 1, got 0");
                    1
                }
                ("slide" | "v", Some(x)) => *x.get_ref() as usize,
                (kind @ ("slide" | "v"), None) => {
                    self.issue(
                        s.kind.span(),
                        k("steps"),
                        format!("a `{kind}` shock needs `steps` (its length, >= 1)"),
                    );
                    1
                }
                (other, _) => {
                    self.issue(
                        s.kind.span(),
                        k("kind"),
                        format!("unknown shock kind `{other}` (known: drop, slide, v)"),
                    );
                    continue;
                }
            };
            let kind = match s.kind.get_ref().as_str() {
                "drop" => ShockKind::Drop,
                "slide" => ShockKind::Slide { steps: length },
                _ => ShockKind::V { steps: length },
            };
            let assets = s
                .assets
                .as_ref()
                .map(|a| self.moved_assets(a, &k("assets"), market, overlaid))
                .unwrap_or_default();
            out.push(Shock {
                kind,
                step,
                size,
                assets,
            });
        }
        out
    }
}
