//! Statistical and reproducibility checks of the synthetic book generator.

use crunch_book::{GeneratorSpec, HoldingSpec, generate};
use crunch_core::{AssetSpec, MarketSpec};

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

/// The B1 population of `docs/lending-v1.md`.
fn b1(accounts: usize) -> GeneratorSpec {
    let h = |asset: &str, probability, ltv| HoldingSpec {
        asset: asset.into(),
        probability,
        median_value: 10_000.0,
        log_sd: 1.5,
        ltv,
    };
    GeneratorSpec {
        accounts,
        debt_asset: "USDC".into(),
        utilisation: (0.3, 0.95),
        holdings: vec![h("ETH", 0.7, 0.8), h("BTC", 0.5, 0.73)],
        scores: Vec::new(),
    }
}

#[test]
fn same_seed_same_book_other_seed_other_book() {
    let m = market();
    let a = generate(&b1(2_000), &m, 7).unwrap();
    let b = generate(&b1(2_000), &m, 7).unwrap();
    let c = generate(&b1(2_000), &m, 8).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.ids, c.ids);
    assert_ne!(a.debt, c.debt);
    assert_ne!(a.collateral, c.collateral);
    // A prefix of a longer book is the shorter book: accounts are drawn one after another.
    let long = generate(&b1(3_000), &m, 7).unwrap();
    assert_eq!(&long.debt[..2_000], &a.debt[..]);
}

/// Pins the draws: a change of draw order or of the RNG/normal sampler fails here.
#[test]
fn first_accounts_are_pinned() {
    let book = generate(&b1(3), &market(), 1).unwrap();
    let got: Vec<[f64; 3]> = (0..3)
        .map(|j| [book.collateral[0][j], book.collateral[1][j], book.debt[j]])
        .collect();
    assert_eq!(got, GOLDEN);
}

const GOLDEN: [[f64; 3]; 3] = [
    [0.0, 2.5738896471496857, 27630.872305601337],
    [1.6728376609388125, 1.607443856458789, 12951.178036424923],
    [8.32004218403551, 0.0, 12140.275396356421],
];

#[test]
fn population_statistics_match_their_expectations() {
    let n = 100_000;
    let book = generate(&b1(n), &market(), 2024).unwrap();
    assert_eq!(book.len(), n);

    // Holding indicators. Accounts are independent draws from the Bernoulli pair
    // conditioned on "not neither" (redrawing until one is held samples exactly that
    // conditional law), so the share holding ETH is a mean of n iid Bernoulli(pi) with
    // pi = P(ETH | not neither) = p / (1 - (1 - p)(1 - q)), and its standard error is
    // sqrt(pi (1 - pi) / n). Same for BTC with q.
    let (p, q) = (0.7, 0.5);
    let both_absent = (1.0 - p) * (1.0 - q);
    let nf = n as f64;
    let eth_holders = book.collateral[0].iter().filter(|&&c| c > 0.0).count();
    let btc_holders = book.collateral[1].iter().filter(|&&c| c > 0.0).count();
    for (holders, prob) in [(eth_holders, p), (btc_holders, q)] {
        let pi = prob / (1.0 - both_absent);
        let se = (pi * (1.0 - pi) / nf).sqrt();
        let share = holders as f64 / nf;
        assert!(
            (share - pi).abs() < 4.0 * se,
            "share {share}, expected {pi} +- 4 * {se}"
        );
    }
    let neither = (0..n)
        .filter(|&j| book.collateral[0][j] == 0.0 && book.collateral[1][j] == 0.0)
        .count();
    assert_eq!(neither, 0);

    // Holding values. ln(value / median) = log_sd * z with z standard normal, so the
    // sample median of ln(value) estimates ln(median). The sample median of m iid draws
    // with density f at the median has asymptotic standard error 1 / (2 f sqrt(m)); for
    // N(mu, s^2), f = 1 / (s sqrt(2 pi)), so SE = s sqrt(pi / 2) / sqrt(m). Tolerance 4 SE.
    let s = 1.5;
    for (i, price) in [(0, 2000.0), (1, 30000.0)] {
        let mut logs: Vec<f64> = book.collateral[i]
            .iter()
            .filter(|&&c| c > 0.0)
            .map(|&c| (c * price).ln())
            .collect();
        logs.sort_by(f64::total_cmp);
        let m = logs.len();
        let median = if m % 2 == 1 {
            logs[m / 2]
        } else {
            0.5 * (logs[m / 2 - 1] + logs[m / 2])
        };
        let se = s * (std::f64::consts::PI / 2.0).sqrt() / (m as f64).sqrt();
        let target = 10_000f64.ln();
        assert!(
            (median - target).abs() < 4.0 * se,
            "asset {i}: median log value {median}, expected {target} +- 4 * {se}"
        );
    }

    // Utilisation u = debt / borrowing power is uniform on [0.3, 0.95): every u lies
    // there, and the mean has standard error (hi - lo) / sqrt(12 n).
    let mut sum = 0.0;
    for j in 0..n {
        let power = book.collateral[0][j] * 2000.0 * 0.8 + book.collateral[1][j] * 30000.0 * 0.73;
        let u = book.debt[j] / power;
        assert!((0.3 - 1e-12..0.95 + 1e-12).contains(&u), "u = {u}");
        sum += u;
    }
    let mean = sum / nf;
    let se = 0.65 / (12.0 * nf).sqrt();
    assert!((mean - 0.625).abs() < 4.0 * se, "mean utilisation {mean}");
}
