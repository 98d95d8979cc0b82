//! A seeded synthetic account-book generator (the `lending-v1` B1 population is one
//! configuration of it).

use crunch_core::{Book, Domain, MarketSpec, stream_rng};
use rand::RngExt;
use rand_distr::StandardNormal;

use crate::error::BookError;

/// One asset an account may hold, with the distribution of the holding's USD value.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldingSpec {
    /// Symbol of the asset (must be declared by the market).
    pub asset: String,
    /// Probability that an account holds the asset, in `[0, 1]`.
    pub probability: f64,
    /// Median USD value of a holding (> 0).
    pub median_value: f64,
    /// Standard deviation of the log of the holding's value (>= 0).
    pub log_sd: f64,
    /// Loan-to-value used to compute borrowing power, in `[0, 1]`.
    pub ltv: f64,
}

/// A group of generated accounts sharing a reputation score, drawn with probability
/// `share`; a group with its own `utilisation` range draws its debt from it instead (for
/// example high-score accounts that have since borrowed more: a score that lags).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreGroup {
    /// Probability that an account is in the group, in `[0, 1]` (the groups' add up to 1).
    pub share: f64,
    /// The score of the group's accounts at step 0.
    pub score: f64,
    /// Utilisation range `[lo, hi)` replacing the population's, `0 <= lo <= hi`.
    pub utilisation: Option<(f64, f64)>,
}

/// A synthetic population of accounts.
///
/// B1 of `docs/lending-v1.md` is: 10,000 accounts, debt asset `USDC`, utilisation
/// `(0.3, 0.95)`, holdings ETH (`p = 0.7`, median 10,000, log-sd 1.5, ltv 0.80) and BTC
/// (`p = 0.5`, median 10,000, log-sd 1.5, ltv 0.73).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorSpec {
    /// Number of accounts (> 0).
    pub accounts: usize,
    /// Numeraire asset the debt is owed in.
    pub debt_asset: String,
    /// Utilisation range `[lo, hi)` of borrowing power, `0 <= lo <= hi`.
    pub utilisation: (f64, f64),
    /// Assets an account may hold, in draw order; each asset at most once.
    pub holdings: Vec<HoldingSpec>,
    /// Reputation score groups; empty: the book has no scores.
    pub scores: Vec<ScoreGroup>,
}

/// Generates a book from `spec` for the assets of `market`, drawing only from
/// `stream_rng(seed, Domain::BookGenerator, 0)`.
///
/// Account `j` (id: `j` in decimal) is drawn so, one account after the other, and the
/// order of these draws is part of the reproducibility contract:
/// 1. for each holding in `holdings` order, one `f64` uniform in `[0, 1)`
///    (`RngExt::random::<f64>()`); the account holds the asset when it is `< probability`.
///    If it holds none, step 1 is repeated, all holdings again;
/// 2. for each held asset in `holdings` order, one `rand_distr::StandardNormal` sample
///    `z` (always drawn, also when `log_sd = 0`); the holding's USD value is
///    `median_value * exp(log_sd * z)` and its quantity `value / price` with the asset's
///    start price in `market`;
/// 3. one `f64` uniform `v` in `[0, 1)`; the utilisation is `u = lo + (hi - lo) * v` and
///    the debt, in `debt_asset`, is `u * sum(value * ltv)` over the held assets.
///
/// With score groups, each account then draws two uniforms `g`, `w` in `[0, 1)` from a
/// second stream, `stream_rng(seed, Domain::BookGenerator, 1)` (so the draws above are
/// those of the same population without scores, and group membership does not depend on
/// the groups' utilisation ranges): the account joins the first group whose cumulative
/// share exceeds `g` (the last group if rounding leaves none) and takes its score; in a
/// group with its own utilisation range `[lo', hi')` its debt becomes
/// `(lo' + (hi' - lo') w) * sum(value * ltv)`.
///
/// Errors: an unknown asset, a debt asset that is not a numeraire, a holding asset listed
/// twice or with a start price that is not positive and finite, a probability outside
/// `[0, 1]` or all zero, a median that is not positive, a negative log-sd, an ltv outside
/// `[0, 1]`, a utilisation range not `0 <= lo <= hi` (finite), zero accounts, or score
/// groups whose shares are not in `[0, 1]` or do not add up to 1, with a score that is not
/// finite or a utilisation range not `0 <= lo <= hi`.
pub fn generate(spec: &GeneratorSpec, market: &MarketSpec, seed: u64) -> Result<Book, BookError> {
    let plan = validate(spec, market)?;
    let (lo, hi) = spec.utilisation;
    let mut rng = stream_rng(seed, Domain::BookGenerator, 0);
    let mut groups_rng = stream_rng(seed, Domain::BookGenerator, 1);
    let mut book = Book::new(market.len());
    let mut held = vec![false; spec.holdings.len()];
    let mut quantities = vec![0.0; market.len()];
    for j in 0..spec.accounts {
        loop {
            for (flag, h) in held.iter_mut().zip(&spec.holdings) {
                *flag = rng.random::<f64>() < h.probability;
            }
            if held.contains(&true) {
                break;
            }
        }
        quantities.fill(0.0);
        let mut power = 0.0;
        for ((&flag, h), &(i, price)) in held.iter().zip(&spec.holdings).zip(&plan) {
            if flag {
                let z: f64 = rng.sample(StandardNormal);
                let value = h.median_value * (h.log_sd * z).exp();
                quantities[i] = value / price;
                power += value * h.ltv;
            }
        }
        let mut u = lo + (hi - lo) * rng.random::<f64>();
        if !spec.scores.is_empty() {
            let (g, w) = (groups_rng.random::<f64>(), groups_rng.random::<f64>());
            let mut cumulative = 0.0;
            let group = spec
                .scores
                .iter()
                .find(|x| {
                    cumulative += x.share;
                    g < cumulative
                })
                .unwrap_or(&spec.scores[spec.scores.len() - 1]);
            if let Some((lo, hi)) = group.utilisation {
                u = lo + (hi - lo) * w;
            }
            book.scores.push(group.score);
        }
        book.push(j.to_string(), &quantities, u * power);
    }
    Ok(book)
}

/// Checks `spec` against `market`; returns `(asset index, start price)` per holding.
fn validate(spec: &GeneratorSpec, market: &MarketSpec) -> Result<Vec<(usize, f64)>, BookError> {
    let bad = |msg: String| Err(BookError::InvalidGenerator(msg));
    let declared = || {
        let v: Vec<&str> = market.assets.iter().map(|a| &*a.symbol).collect();
        v.join(", ")
    };
    if spec.accounts == 0 {
        return bad("accounts must be at least 1".into());
    }
    let (lo, hi) = spec.utilisation;
    if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi) {
        return bad(format!(
            "utilisation range ({lo}, {hi}) must satisfy 0 <= lo <= hi"
        ));
    }
    match market.index_of(&spec.debt_asset) {
        None => {
            return bad(format!(
                "unknown debt asset `{}` (the scenario declares {})",
                spec.debt_asset,
                declared()
            ));
        }
        Some(i) if !market.assets[i].is_numeraire() => {
            return bad(format!(
                "debt asset `{}` is not a stable asset with start price 1",
                spec.debt_asset
            ));
        }
        Some(_) => {}
    }
    if spec.holdings.iter().all(|h| h.probability == 0.0) {
        return bad("at least one holding needs a probability above 0".into());
    }
    let mut plan: Vec<(usize, f64)> = Vec::with_capacity(spec.holdings.len());
    for h in &spec.holdings {
        let a = &h.asset;
        let Some(i) = market.index_of(a) else {
            return bad(format!(
                "unknown asset `{a}` (the scenario declares {})",
                declared()
            ));
        };
        if plan.iter().any(|&(k, _)| k == i) {
            return bad(format!("asset `{a}` is listed twice in holdings"));
        }
        let price = market.assets[i].price;
        if !(price.is_finite() && price > 0.0) {
            return bad(format!("asset `{a}` has start price {price}, not positive"));
        }
        if !(0.0..=1.0).contains(&h.probability) {
            return bad(format!(
                "probability {} of `{a}` is not in [0, 1]",
                h.probability
            ));
        }
        if !(h.median_value.is_finite() && h.median_value > 0.0) {
            return bad(format!(
                "median value {} of `{a}` is not positive",
                h.median_value
            ));
        }
        if !(h.log_sd.is_finite() && h.log_sd >= 0.0) {
            return bad(format!("log-sd {} of `{a}` is negative", h.log_sd));
        }
        if !(0.0..=1.0).contains(&h.ltv) {
            return bad(format!("ltv {} of `{a}` is not in [0, 1]", h.ltv));
        }
        plan.push((i, price));
    }
    let mut total = 0.0;
    for (g, x) in spec.scores.iter().enumerate() {
        if !(0.0..=1.0).contains(&x.share) || !x.score.is_finite() {
            return bad(format!(
                "score group {g}: share {} must be in [0, 1] and score {} finite",
                x.share, x.score
            ));
        }
        if let Some((lo, hi)) = x.utilisation
            && !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi)
        {
            return bad(format!(
                "score group {g}: utilisation range ({lo}, {hi}) must satisfy 0 <= lo <= hi"
            ));
        }
        total += x.share;
    }
    if !spec.scores.is_empty() && (total - 1.0).abs() > 1e-9 {
        return bad(format!("the score groups' shares add up to {total}, not 1"));
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::AssetSpec;

    fn market() -> MarketSpec {
        let a = AssetSpec::new;
        MarketSpec {
            assets: vec![
                a("ETH", 2000.0, 0.8),
                a("BTC", 30000.0, 0.6),
                a("USDC", 1.0, 0.0),
            ],
            dt: 1.0 / 365.0,
            phi: 0.0,
        }
    }

    fn spec() -> GeneratorSpec {
        let h = |asset: &str, probability, ltv| HoldingSpec {
            asset: asset.into(),
            probability,
            median_value: 10_000.0,
            log_sd: 1.5,
            ltv,
        };
        GeneratorSpec {
            accounts: 50,
            debt_asset: "USDC".into(),
            utilisation: (0.3, 0.95),
            holdings: vec![h("ETH", 0.7, 0.8), h("BTC", 0.5, 0.73)],
            scores: Vec::new(),
        }
    }

    fn err(spec: &GeneratorSpec) -> String {
        generate(spec, &market(), 1).unwrap_err().to_string()
    }

    #[test]
    fn debt_is_utilisation_times_borrowing_power() {
        let m = market();
        let book = generate(&spec(), &m, 3).unwrap();
        assert_eq!(book.len(), 50);
        assert_eq!(book.ids[0], "0");
        assert_eq!(book.ids[49], "49");
        for j in 0..book.len() {
            let eth = book.collateral[0][j] * 2000.0;
            let btc = book.collateral[1][j] * 30000.0;
            assert!(eth > 0.0 || btc > 0.0, "account {j} holds nothing");
            assert_eq!(book.collateral[2][j], 0.0);
            let u = book.debt[j] / (eth * 0.8 + btc * 0.73);
            assert!((0.3..0.95).contains(&u), "utilisation {u}");
        }
    }

    #[test]
    fn certain_holdings_and_zero_spread() {
        let m = market();
        let mut s = spec();
        s.holdings[0].probability = 1.0;
        s.holdings[0].log_sd = 0.0;
        s.holdings[1].probability = 0.0;
        s.utilisation = (0.5, 0.5);
        let book = generate(&s, &m, 9).unwrap();
        for j in 0..book.len() {
            assert_eq!(book.collateral[0][j], 5.0);
            assert_eq!(book.collateral[1][j], 0.0);
            assert_eq!(book.debt[j], 0.5 * 10_000.0 * 0.8);
        }
    }

    #[test]
    fn score_groups_keep_the_population_and_set_scores_and_debt() {
        let m = market();
        let plain = generate(&spec(), &m, 3).unwrap();
        let mut s = spec();
        s.scores = vec![
            ScoreGroup {
                share: 0.6,
                score: 0.2,
                utilisation: None,
            },
            ScoreGroup {
                share: 0.4,
                score: 0.9,
                utilisation: Some((1.0, 1.0)),
            },
        ];
        let scored = generate(&s, &m, 3).unwrap();
        // The same holdings; debts of the first group unchanged, of the second exactly
        // the borrowing power (utilisation 1).
        assert_eq!(scored.collateral, plain.collateral);
        assert!(scored.scores.contains(&0.2) && scored.scores.contains(&0.9));
        for j in 0..scored.len() {
            let power =
                scored.collateral[0][j] * 2000.0 * 0.8 + scored.collateral[1][j] * 30000.0 * 0.73;
            if scored.scores[j] == 0.2 {
                assert_eq!(scored.debt[j], plain.debt[j]);
            } else {
                assert!((scored.debt[j] - power).abs() <= 1e-9 * power);
            }
        }
        // Membership does not depend on the groups' utilisation ranges.
        s.scores[1].utilisation = None;
        assert_eq!(generate(&s, &m, 3).unwrap().scores, scored.scores);
        s.scores[1].share = 0.5;
        assert_eq!(
            err(&s),
            "book generator: the score groups' shares add up to 1.1, not 1"
        );
    }

    #[test]
    fn invalid_specs_are_refused_with_reasons() {
        let mut s = spec();
        s.accounts = 0;
        assert_eq!(err(&s), "book generator: accounts must be at least 1");
        let mut s = spec();
        s.utilisation = (0.9, 0.3);
        assert_eq!(
            err(&s),
            "book generator: utilisation range (0.9, 0.3) must satisfy 0 <= lo <= hi"
        );
        let mut s = spec();
        s.debt_asset = "ETH".into();
        assert_eq!(
            err(&s),
            "book generator: debt asset `ETH` is not a stable asset with start price 1"
        );
        let mut s = spec();
        s.holdings[1].asset = "DOGE".into();
        assert_eq!(
            err(&s),
            "book generator: unknown asset `DOGE` (the scenario declares ETH, BTC, USDC)"
        );
        let mut s = spec();
        s.holdings[1].asset = "ETH".into();
        assert_eq!(
            err(&s),
            "book generator: asset `ETH` is listed twice in holdings"
        );
        let mut s = spec();
        s.holdings[0].probability = 1.2;
        assert_eq!(
            err(&s),
            "book generator: probability 1.2 of `ETH` is not in [0, 1]"
        );
        let mut s = spec();
        s.holdings[0].probability = 0.0;
        s.holdings[1].probability = 0.0;
        assert_eq!(
            err(&s),
            "book generator: at least one holding needs a probability above 0"
        );
        let mut s = spec();
        s.holdings[0].median_value = 0.0;
        assert_eq!(
            err(&s),
            "book generator: median value 0 of `ETH` is not positive"
        );
        let mut s = spec();
        s.holdings[1].log_sd = -1.0;
        assert_eq!(err(&s), "book generator: log-sd -1 of `BTC` is negative");
    }
}
