//! Validation of the market overlays `[market.pegs.SYMBOL]`, `[[market.decouple]]` and
//! `[market.rescale.SYMBOL]`. Every problem is recorded with its line and key.

use crate::raw::{RawMarket, SNum};
use crate::validate::{SourceSpec, Validator, finite, non_negative, positive};
use crunch_core::MarketSpec;
use crunch_market::{Decouple, Peg, Rescale, RescaleBy, check_decouple};

/// Largest expected number of jumps per step (`jump_intensity * dt`).
const MAX_JUMPS_PER_STEP: f64 = 10.0;

impl Validator<'_> {
    /// `[market.pegs.SYMBOL]` (every source). A pegged asset is declared stable, is not the
    /// generated book's debt asset and is not rescaled.
    pub(crate) fn pegs(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        debt_asset: Option<&str>,
    ) -> Vec<Peg> {
        let Some(table) = &raw.pegs else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (symbol, p) in table.get_ref() {
            let key = format!("market.pegs.{symbol}");
            let k = |f: &str| format!("{key}.{f}");
            let Some(i) = market.index_of(symbol) else {
                self.issue(
                    table.span(),
                    key,
                    "unknown asset (not declared in [[assets]])",
                );
                continue;
            };
            let asset = &market.assets[i];
            if !asset.is_stable() {
                self.issue(
                    p.kappa.span(),
                    key.clone(),
                    format!(
                        "a pegged asset must be declared stable (sigma = mu = 0 in [[assets]]): \
                         the peg, not `market.source`, moves it; `{symbol}` has sigma = {}, \
                         mu = {}",
                        asset.sigma, asset.mu
                    ),
                );
            }
            if debt_asset == Some(symbol.as_str()) {
                self.issue(
                    p.kappa.span(),
                    key.clone(),
                    "the book's debt asset cannot be pegged: lending-v1 counts debt at 1 USD \
                     a unit whatever its price",
                );
            }
            if raw
                .rescale
                .as_ref()
                .is_some_and(|r| r.get_ref().contains_key(symbol))
            {
                self.issue(
                    p.kappa.span(),
                    key.clone(),
                    "also in `market.rescale`; an asset is pegged or rescaled, not both",
                );
            }
            let peg = match &p.peg {
                Some(x) => self.num(x, &k("peg"), positive, "must be > 0"),
                None => asset.price,
            };
            let kappa = self.num(
                &p.kappa,
                &k("kappa"),
                positive,
                "must be > 0 (mean reversion per year)",
            );
            let sigma = self.num(&p.sigma, &k("sigma"), non_negative, "must be >= 0");
            let opt = |v: &mut Self, x: &Option<SNum>, f: &str, ok: fn(f64) -> bool, rule| {
                x.as_ref().map_or(0.0, |x| v.num(x, &k(f), ok, rule))
            };
            let jump_intensity = opt(
                self,
                &p.jump_intensity,
                "jump_intensity",
                non_negative,
                "must be >= 0",
            );
            if let Some(x) = &p.jump_intensity
                && jump_intensity * market.dt > MAX_JUMPS_PER_STEP
            {
                self.issue(
                    x.span(),
                    k("jump_intensity"),
                    format!(
                        "at most {MAX_JUMPS_PER_STEP} expected jumps per step \
                             (jump_intensity * dt), got {}",
                        jump_intensity * market.dt
                    ),
                );
            }
            let jump_mean = opt(self, &p.jump_mean, "jump_mean", finite, "must be finite");
            let jump_sd = opt(self, &p.jump_sd, "jump_sd", non_negative, "must be >= 0");
            out.push(Peg {
                asset: i,
                peg,
                kappa,
                sigma,
                jump_intensity,
                jump_mean,
                jump_sd,
            });
        }
        out
    }

    /// `[market.rescale.SYMBOL]` (historical source; others were refused already). The
    /// rescaled asset is stable and not read from the file; `from` is read from it.
    pub(crate) fn rescales(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        source: Option<&SourceSpec>,
        debt_asset: Option<&str>,
    ) -> Vec<Rescale> {
        let Some(table) = &raw.rescale else {
            return Vec::new();
        };
        let columns = match source {
            Some(SourceSpec::Historical { columns, .. }) => Some(columns),
            _ => None,
        };
        let from_file = |i: usize| {
            !market.assets[i].is_stable()
                || columns.is_some_and(|c| c.contains_key(&market.assets[i].symbol))
        };
        let mut out = Vec::new();
        for (symbol, r) in table.get_ref() {
            let key = format!("market.rescale.{symbol}");
            let k = |f: &str| format!("{key}.{f}");
            let Some(i) = market.index_of(symbol) else {
                self.issue(
                    table.span(),
                    key,
                    "unknown asset (not declared in [[assets]])",
                );
                continue;
            };
            if from_file(i) {
                self.issue(
                    r.from.span(),
                    key.clone(),
                    "a rescaled asset must be declared stable (sigma = mu = 0 in [[assets]]) \
                     and have no `market.columns` entry: it is not read from the price file",
                );
            }
            if debt_asset == Some(symbol.as_str()) {
                self.issue(
                    r.from.span(),
                    key.clone(),
                    "the book's debt asset cannot be rescaled: lending-v1 counts debt at 1 USD \
                     a unit whatever its price",
                );
            }
            let from = r.from.get_ref();
            let from_index = match market.index_of(from) {
                None => {
                    self.issue(
                        r.from.span(),
                        k("from"),
                        format!("unknown asset `{from}` (not declared in [[assets]])"),
                    );
                    None
                }
                Some(j) if table.get_ref().contains_key(from) => {
                    self.issue(
                        r.from.span(),
                        k("from"),
                        format!("`{from}` is itself rescaled"),
                    );
                    Some(j)
                }
                Some(j) if !from_file(j) => {
                    self.issue(
                        r.from.span(),
                        k("from"),
                        format!(
                            "`{from}` is not read from the price file (a stable asset without \
                             a `market.columns` entry)"
                        ),
                    );
                    Some(j)
                }
                Some(j) => Some(j),
            };
            let by = match (&r.vol_ratio, &r.sigma) {
                (Some(x), None) => {
                    RescaleBy::Ratio(self.num(x, &k("vol_ratio"), positive, "must be > 0"))
                }
                (None, Some(x)) => {
                    RescaleBy::Sigma(self.num(x, &k("sigma"), positive, "must be > 0"))
                }
                (Some(x), Some(_)) => {
                    self.issue(
                        x.span(),
                        k("vol_ratio"),
                        "give `vol_ratio` or `sigma` (a target volatility), not both",
                    );
                    RescaleBy::Ratio(1.0)
                }
                (None, None) => {
                    self.issue(
                        r.from.span(),
                        k("vol_ratio"),
                        "needs `vol_ratio` (the volatility ratio to the source asset) or \
                         `sigma` (a target annualised volatility)",
                    );
                    RescaleBy::Ratio(1.0)
                }
            };
            if let Some(from) = from_index {
                out.push(Rescale {
                    asset: i,
                    from,
                    by,
                    keep_mean: r.keep_mean.as_ref().is_some_and(|b| *b.get_ref()),
                });
            }
        }
        out
    }

    /// `[[market.decouple]]` (diffusion sources; others were refused already). Each
    /// decoupled matrix that occurs must be a valid correlation matrix.
    pub(crate) fn decouple(
        &mut self,
        raw: &RawMarket,
        market: &MarketSpec,
        source: Option<&SourceSpec>,
        steps: Option<usize>,
    ) -> Vec<Decouple> {
        let Some(list) = &raw.decouple else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut clean = true;
        let before = self.issues.len();
        for (n, d) in list.iter().enumerate() {
            let k = |f: &str| format!("market.decouple[{n}].{f}");
            let names = d.assets.get_ref();
            let mut idx = Vec::new();
            if names.len() != 2 {
                self.issue(
                    d.assets.span(),
                    k("assets"),
                    format!("must name exactly two assets, got {}", names.len()),
                );
            } else if names[0] == names[1] {
                self.issue(
                    d.assets.span(),
                    k("assets"),
                    format!("must name two different assets, got `{}` twice", names[0]),
                );
            } else {
                idx = self.moving_assets(&d.assets, &k("assets"), market);
            }
            let start = *d.start.get_ref() as usize;
            let end = *d.end.get_ref() as usize;
            if start < 1 {
                self.issue(d.start.span(), k("start"), "must be >= 1, got 0");
            }
            if end < start {
                self.issue(
                    d.end.span(),
                    k("end"),
                    format!("must be >= market.decouple[{n}].start ({start}), got {end}"),
                );
            } else if let Some(t) = steps.filter(|&t| end > t) {
                self.issue(
                    d.end.span(),
                    k("end"),
                    format!("must be <= steps ({t}), got {end}"),
                );
            }
            let correlation = self.num(
                &d.correlation,
                &k("correlation"),
                |v| v.is_finite() && (-1.0..=1.0).contains(&v),
                "must be in [-1, 1]",
            );
            if let [i, j] = idx[..] {
                out.push(Decouple {
                    assets: [i, j],
                    start,
                    end,
                    correlation,
                });
            } else {
                clean = false;
            }
        }
        clean &= self.issues.len() == before;
        // Only a well-formed list is checked as a whole: overlapping windows of one pair,
        // and the positive semi-definiteness of every decoupled matrix (Cholesky).
        let (Some(steps), true) = (steps, clean) else {
            return out;
        };
        let (bases, names): (Vec<&[Vec<f64>]>, Vec<String>) = match source {
            Some(SourceSpec::Gbm { correlation }) => (vec![correlation], Vec::new()),
            Some(SourceSpec::Parametric(p)) => match &p.regimes {
                Some(rs) => rs
                    .regimes
                    .iter()
                    .map(|g| (g.correlation.as_slice(), format!(" of regime `{}`", g.name)))
                    .unzip(),
                None => (vec![p.correlation.as_slice()], Vec::new()),
            },
            _ => return out,
        };
        let n = market.len();
        if bases
            .iter()
            .any(|m| m.len() != n || m.iter().any(|row| row.len() != n))
        {
            return out; // reported with the matrix
        }
        let moving: Vec<bool> = market.assets.iter().map(|a| !a.is_stable()).collect();
        if let Err(e) = check_decouple(&out, &bases, &names, &moving, steps) {
            // `decouple[k].field`: point at that entry's value.
            let k: usize = e
                .key
                .strip_prefix("decouple[")
                .and_then(|r| r.split(']').next())
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let d = &list[k.min(list.len() - 1)];
            let span = if e.key.ends_with(".start") {
                d.start.span()
            } else {
                d.correlation.span()
            };
            self.issue(span, format!("market.{}", e.key), e.message);
        }
        out
    }
}
