//! `crunch calibrate` on the shipped data: the COVID-2020 crunch statistics of the
//! 20-stock S&P file, the 2018 crypto data, the scenario snippet (completed into a
//! scenario that `crunch validate` accepts), bad input, and the two calibrated scenarios
//! shipped in `scenarios/` — including that the COVID scenario's simulated paths
//! reproduce the calibrated crunch statistics.

mod common;
use common::read_parquet;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data(name: &str) -> String {
    repo().join("data").join(name).to_str().unwrap().to_owned()
}

fn crunch(args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin!("crunch"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "crunch failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(out: Output) -> String {
    assert!(!out.status.success(), "crunch should have failed");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).expect("one JSON object")
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

const SP500: &str = "sp500-20-stocks-daily-1990-2022.csv";
const BITSTAMP: &str = "bitstamp-btc-eth-ltc-daily-2014-2020.csv";

#[test]
fn covid_2020_crunch_statistics_of_the_20_stocks() {
    let v = json(crunch(&[
        "calibrate",
        &data(SP500),
        "--from",
        "2019-01-01",
        "--to",
        "2019-12-31",
        "--stress",
        "2020-02-20..2020-03-23",
        "--json",
    ]));
    let assets = v["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 20);
    assert_eq!(assets[0], "AAPL");
    assert_eq!(v["steps_per_year"], 252.0);
    assert_eq!(v["returns"], 251);
    assert_eq!(v["from"], "2019-01-02");
    assert_eq!(v["to"], "2019-12-31");
    let vols = v["annualised_volatility"].as_object().unwrap();
    assert_eq!(vols.len(), 20);
    assert!(
        vols.values().all(|x| (0.1..0.8).contains(&f(x))),
        "{vols:?}"
    );
    let c = v["correlation"].as_array().unwrap();
    assert_eq!(c.len(), 20);
    assert!(c.iter().all(|row| row.as_array().unwrap().len() == 20));
    assert_eq!(c[3][3], 1.0);
    // What the data say (2019: 0.2619; stress: 0.7474; ratio: 3.9255).
    let calm = f(&v["mean_pairwise_correlation"]);
    assert!((calm - 0.26).abs() < 0.03, "calm correlation {calm}");
    let s = &v["stress"];
    assert_eq!(s["from"], "2020-02-20");
    assert_eq!(s["to"], "2020-03-23");
    assert_eq!(s["returns"], 22);
    assert_eq!(s["annualised_volatility"].as_object().unwrap().len(), 20);
    assert_eq!(s["correlation"].as_array().unwrap().len(), 20);
    let stress = f(&s["mean_pairwise_correlation"]);
    assert!((stress - 0.75).abs() < 0.03, "stress correlation {stress}");
    let ratio = f(&s["volatility_ratio"]);
    assert!((ratio - 3.9).abs() < 0.3, "volatility ratio {ratio}");
    let mean_vol = |o: &serde_json::Value| {
        let o = o.as_object().unwrap();
        o.values().map(f).sum::<f64>() / o.len() as f64
    };
    let r = mean_vol(&s["annualised_volatility"]) / mean_vol(&v["annualised_volatility"]);
    assert!((r - ratio).abs() < 1e-12);
    // The model estimates are there, per symbol.
    assert_eq!(v["garch"].as_object().unwrap().len(), 20);
    let g = &v["garch"]["AAPL"];
    assert!(f(&g["alpha"]) >= 0.0 && f(&g["beta"]) >= 0.0 && f(&g["persistence"]) < 1.0);
    assert!(f(&v["student_t"]["pooled"]["dof"]) > 2.0);
    assert_eq!(v["jumps"]["per_asset"].as_object().unwrap().len(), 20);
}

#[test]
fn crypto_2018_calibrates_on_calendar_days() {
    let v = json(crunch(&[
        "calibrate",
        &data(BITSTAMP),
        "--from",
        "2018-01-01",
        "--to",
        "2018-12-31",
        "--json",
    ]));
    // Every `SYM:close` column of the file.
    assert_eq!(v["assets"], serde_json::json!(["BTC", "ETH", "LTC"]));
    assert_eq!(v["steps_per_year"], 365.0);
    assert_eq!(v["returns"], 364);
    let btc = f(&v["annualised_volatility"]["BTC"]);
    let eth = f(&v["annualised_volatility"]["ETH"]);
    assert!((0.5..1.2).contains(&btc) && eth > btc, "{btc} {eth}");
    // A crash year: negative drift.
    assert!(f(&v["annualised_drift"]["BTC"]) < 0.0);
    let rho = f(&v["correlation"][0][1]);
    assert!((0.6..0.95).contains(&rho), "{rho}");
    // Text output with a subset of columns, the numeraire, and a snippet for `garch`.
    let out = ok(crunch(&[
        "calibrate",
        &data(BITSTAMP),
        "--from",
        "2018-01-01",
        "--to",
        "2018-12-31",
        "--columns",
        "BTC,ETH",
        "--source",
        "garch",
    ]));
    for want in [
        "365 steps per year",
        "symbol = \"BTC\"",
        "symbol = \"USDC\"",
        "source = \"garch\"",
        "[market.garch]\nBTC = { alpha = ",
        "# [market.jumps]",
        "dt = 0.0027397260273972603",
    ] {
        assert!(out.contains(want), "missing `{want}` in\n{out}");
    }
}

/// The snippet, completed with a book and a policy, is a scenario `crunch validate` takes.
#[test]
fn the_snippet_completes_into_a_valid_scenario() {
    let out = ok(crunch(&[
        "calibrate",
        &data(SP500),
        "--from",
        "2019-01-01",
        "--to",
        "2019-12-31",
        "--columns",
        "AAPL,JPM,XOM",
        "--stress",
        "2020-02-20..2020-03-23",
        "--source",
        "jump",
    ]));
    let snippet = out
        .split_once("# ---- scenario snippet")
        .map(|(_, s)| s.split_once('\n').unwrap().1)
        .expect("a snippet");
    assert!(
        snippet.contains("[market.crunch]\nstart = 1\nend = 22\n"),
        "{snippet}"
    );
    let scenario = format!(
        "name = \"snippet\"\nmodel = \"lending-v1\"\nseed = 1\npaths = 10\nsteps = 40\n\
         {snippet}\n\
         [book.generator]\naccounts = 10\ndebt_asset = \"USDC\"\nutilisation = [0.3, 0.9]\n\
         [[book.generator.holdings]]\nasset = \"AAPL\"\nprobability = 1.0\n\
         median_value = 1000.0\nlog_sd = 0.5\nltv = 0.5\n\
         [[policies]]\nname = \"p\"\nkind = \"static-ltv\"\nclose_factor = 0.5\n\
         assets = {{ AAPL = {{ ltv = 0.5, lt = 0.6, bonus = 0.05 }} }}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    fs::write(&file, scenario).unwrap();
    let v = ok(crunch(&["validate", file.to_str().unwrap()]));
    assert!(v.contains("ok: scenario `snippet`"), "{v}");
}

#[test]
fn bad_input_is_refused_with_file_and_problem() {
    let sp = data(SP500);
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["calibrate", "no/such/prices.csv"],
            &["no/such/prices.csv", "cannot open the file"],
        ),
        (
            &["calibrate", &sp, "--from", "2030-01-01"],
            &[SP500, "0 usable row(s)", "2030-01-01"],
        ),
        (
            &[
                "calibrate",
                &sp,
                "--from",
                "2019-01-02",
                "--to",
                "2019-01-04",
            ],
            &[SP500, "3 dates, 2 log-returns", "at least 3 returns"],
        ),
        (
            &["calibrate", &sp, "--from", "2019-13-01"],
            &["--from", "`2019-13-01` is not a date (expected YYYY-MM-DD)"],
        ),
        (
            &["calibrate", &sp, "--stress", "2020-03-23..2020-02-20"],
            &["--stress", "start 2020-03-23 is after its end 2020-02-20"],
        ),
        (
            &["calibrate", &sp, "--stress", "2020-02-20"],
            &["--stress", "expected FROM..TO"],
        ),
        (
            &["calibrate", &sp, "--columns", "AAPL,NOPE"],
            &[SP500, "no column for `NOPE`"],
        ),
        (
            &[
                "calibrate",
                &sp,
                "--from",
                "2019-01-01",
                "--to",
                "2019-12-31",
                "--stress",
                "2031-01-01..2031-02-01",
            ],
            &[SP500, "stress window", "0 usable row(s)"],
        ),
        (
            &["calibrate", &sp, "--columns", "AAPL,USDC=AAPL"],
            &["--numeraire USDC", "also a calibrated symbol"],
        ),
    ];
    for (args, want) in cases {
        let err = fails(crunch(args));
        for w in *want {
            assert!(err.contains(w), "{args:?}: missing `{w}` in\n{err}");
        }
    }
}

#[test]
fn short_windows_give_moments_but_no_models() {
    let v = json(crunch(&[
        "calibrate",
        &data(SP500),
        "--from",
        "2020-02-20",
        "--to",
        "2020-03-23",
        "--columns",
        "AAPL,MSFT",
        "--json",
    ]));
    assert_eq!(v["returns"], 22);
    assert!(v["garch"].is_null());
    assert!(
        v["models_not_estimated"]
            .as_str()
            .unwrap()
            .contains("at least 30 returns")
    );
    assert!(f(&v["mean_pairwise_correlation"]) > 0.8);
}

#[test]
fn the_calibrated_scenarios_validate() {
    for (file, name) in [
        ("covid-2020-equity-crunch.toml", "covid-2020-equity-crunch"),
        (
            "crypto-2018-crash-calibrated.toml",
            "crypto-2018-crash-calibrated",
        ),
    ] {
        let path = repo().join("scenarios").join(file);
        let out = ok(crunch(&["validate", path.to_str().unwrap()]));
        assert!(out.contains(&format!("ok: scenario `{name}`")), "{out}");
    }
}

/// The first line of a shipped scenario names the `crunch calibrate` command behind it,
/// and the numbers in the scenario are the ones that command prints today.
#[test]
fn the_covid_scenario_carries_the_numbers_of_its_calibration() {
    let text = fs::read_to_string(repo().join("scenarios/covid-2020-equity-crunch.toml")).unwrap();
    let value = |key: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no `{key}` in the scenario"));
        line.split('=')
            .nth(1)
            .unwrap()
            .split('#')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let v = json(crunch(&[
        "calibrate",
        &data(SP500),
        "--from",
        "2019-01-01",
        "--to",
        "2019-12-31",
        "--stress",
        "2020-02-20..2020-03-23",
        "--json",
    ]));
    assert!(text.contains(
        "crunch calibrate data/sp500-20-stocks-daily-1990-2022.csv --from 2019-01-01 --to \
         2019-12-31 --stress 2020-02-20..2020-03-23"
    ));
    let target = value("target_correlation");
    assert!((target - f(&v["stress"]["mean_pairwise_correlation"])).abs() < 1e-4);
    let k = value("vol_multiplier");
    assert!((k - f(&v["stress"]["volatility_ratio"])).abs() < 1e-3);
}

/// Every column of a Parquet file, concatenated over batches.
struct Table {
    batches: Vec<RecordBatch>,
}

impl Table {
    fn read(path: &Path) -> Table {
        Table {
            batches: read_parquet(path).batches,
        }
    }
    fn col(&self, name: &str) -> Vec<&dyn Array> {
        self.batches
            .iter()
            .map(|b| b.column_by_name(name).unwrap().as_ref())
            .collect()
    }
    fn f64(&self, name: &str) -> Vec<f64> {
        self.col(name)
            .into_iter()
            .flat_map(|a| a.as_primitive::<Float64Type>().iter().collect::<Vec<_>>())
            .map(|x| x.unwrap_or(f64::NAN))
            .collect()
    }
    fn i64(&self, name: &str) -> Vec<i64> {
        self.col(name)
            .into_iter()
            .flat_map(|a| a.as_primitive::<Int64Type>().iter().collect::<Vec<_>>())
            .map(Option::unwrap)
            .collect()
    }
    fn text(&self, name: &str) -> Vec<String> {
        self.col(name)
            .into_iter()
            .flat_map(|a| {
                let a = a.as_string::<i32>();
                (0..a.len())
                    .map(|i| a.value(i).to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// Mean pairwise Pearson correlation and mean volatility (per-step sd) of return rows.
fn stats(rows: &[Vec<f64>]) -> (f64, f64) {
    let a = rows[0].len();
    let n = rows.len() as f64;
    let mean: Vec<f64> = (0..a)
        .map(|i| rows.iter().map(|r| r[i]).sum::<f64>() / n)
        .collect();
    let cov = |i: usize, j: usize| {
        rows.iter()
            .map(|r| (r[i] - mean[i]) * (r[j] - mean[j]))
            .sum::<f64>()
            / (n - 1.0)
    };
    let sd: Vec<f64> = (0..a).map(|i| cov(i, i).sqrt()).collect();
    let mut sum = 0.0;
    for i in 0..a {
        for j in i + 1..a {
            sum += cov(i, j) / (sd[i] * sd[j]);
        }
    }
    (
        sum / (a * (a - 1) / 2) as f64,
        sd.iter().sum::<f64>() / a as f64,
    )
}

/// The COVID scenario's simulated paths reproduce the calibrated statistics: the mean
/// pairwise correlation of the 20 stocks' log-returns inside the crunch window (target
/// 0.7474) and outside it (the 2019 matrix, 0.2619), and the volatility ratio (3.926).
///
/// Monte Carlo error, for `M` pooled returns per asset (paths x steps): the SE of one
/// pairwise correlation is `(1 - rho^2) / sqrt(M)` (normal returns), an upper bound for
/// the SE of the mean over the 190 pairs; the SE of the ratio of mean volatilities is at
/// most `ratio sqrt(1/(2 M_in) + 1/(2 M_out))`. Tolerances: 4 SE.
#[test]
fn the_covid_scenario_reproduces_its_crunch_in_simulation() {
    let scenario = repo().join("scenarios/covid-2020-equity-crunch.toml");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paths.parquet");
    let paths = 300usize;
    ok(crunch(&[
        "paths",
        scenario.to_str().unwrap(),
        "--paths",
        &paths.to_string(),
        "--out",
        file.to_str().unwrap(),
    ]));
    let t = Table::read(&file);
    let (path, step, asset, price, weight) = (
        t.i64("path"),
        t.i64("step"),
        t.text("asset"),
        t.f64("price"),
        t.f64("crunch_weight"),
    );
    let symbols: Vec<&str> = {
        let mut s: Vec<&str> = Vec::new();
        for a in &asset {
            if s.contains(&a.as_str()) {
                break;
            }
            s.push(a);
        }
        s
    };
    let stocks: Vec<usize> = (0..symbols.len())
        .filter(|&i| symbols[i] != "USDC")
        .collect();
    assert_eq!(stocks.len(), 20, "{symbols:?}");
    let a = symbols.len();
    let steps = price.len() / (paths * a) - 1;
    let at = |p: usize, s: usize, i: usize| (p * (steps + 1) + s) * a + i;
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    for p in 0..paths {
        for s in 1..=steps {
            let k = at(p, s, 0);
            assert_eq!((path[k], step[k]), (p as i64, s as i64));
            let r: Vec<f64> = stocks
                .iter()
                .map(|&i| (price[at(p, s, i)] / price[at(p, s - 1, i)]).ln())
                .collect();
            if weight[k] == 1.0 {
                inside.push(r);
            } else if weight[k] == 0.0 {
                outside.push(r);
            }
        }
    }
    let (m_in, m_out) = (inside.len() as f64, outside.len() as f64);
    assert_eq!(inside.len(), paths * 22);
    let (rho_in, vol_in) = stats(&inside);
    let (rho_out, vol_out) = stats(&outside);
    let (target, calm, ratio) = (0.7474, 0.2619, 3.926);
    let se_in = (1.0 - target * target) / m_in.sqrt();
    let se_out = (1.0 - calm * calm) / m_out.sqrt();
    assert!(
        (rho_in - target).abs() < 4.0 * se_in,
        "inside {rho_in}, se {se_in}"
    );
    assert!(
        (rho_out - calm).abs() < 4.0 * se_out,
        "outside {rho_out}, se {se_out}"
    );
    let sim_ratio = vol_in / vol_out;
    let se_ratio = ratio * (1.0 / (2.0 * m_in) + 1.0 / (2.0 * m_out)).sqrt();
    assert!(
        (sim_ratio - ratio).abs() < 4.0 * se_ratio,
        "ratio {sim_ratio}, se {se_ratio}"
    );
}
