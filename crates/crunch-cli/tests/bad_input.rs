//! The bad-input corpus in `tests/bad-input/`: every malformed scenario, price file and
//! book there must be refused with a message that names the file, the line or key, and
//! the problem, and a refused run must leave nothing behind. Also: output directories
//! that already exist, and price files that are not sorted by date.

mod common;
use common::read_parquet;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One case of the corpus: `tests/bad-input/<name>.toml`, plus the data files it
/// references, named `<name>.<what>.csv`.
struct Case {
    /// The case name (the scenario file's stem).
    name: &'static str,
    /// Extra arguments after `run SCENARIO --out DIR --quiet`.
    args: &'static [&'static str],
    /// Substrings stderr must contain: the file, the line or key, the problem.
    expect: &'static [&'static str],
}

const fn case(name: &'static str, expect: &'static [&'static str]) -> Case {
    Case {
        name,
        args: &[],
        expect,
    }
}

/// Cases whose scenario file is absent on purpose.
const ABSENT: &[&str] = &["missing-scenario"];

const CASES: &[Case] = &[
    // The scenario file itself.
    case(
        "missing-scenario",
        &["missing-scenario.toml", "cannot read scenario file"],
    ),
    case(
        "invalid-toml",
        &["invalid-toml.toml", "TOML parse error at line 4", "seed ="],
    ),
    case(
        "unknown-key",
        &[
            "unknown-key.toml",
            "line 12",
            "unknown field `sigmaa`",
            "expected one of",
        ],
    ),
    case(
        "unknown-source",
        &[
            "unknown-source.toml",
            "line 19, `market.source`",
            "unknown source `levy`",
        ],
    ),
    case(
        "garch-not-stationary",
        &[
            "garch-not-stationary.toml",
            "line 23, `market.garch.ETH.beta`",
            "alpha + beta must be < 1 (a stationary variance), got 0.15 + 0.85 = 1",
        ],
    ),
    case(
        "unknown-policy-kind",
        &[
            "unknown-policy-kind.toml",
            "line 35, `policies[0].kind`",
            "unknown policy kind `dynamic-ltv`",
        ],
    ),
    case(
        "unknown-policy-asset",
        &[
            "unknown-policy-asset.toml",
            "line 37, `policies[0].assets.DOGE`",
            "unknown asset",
        ],
    ),
    case(
        "ltv-above-lt",
        &[
            "ltv-above-lt.toml",
            "line 37, `policies[0].assets.ETH.ltv`",
            "must be <= lt (0.825), got 0.9",
        ],
    ),
    case(
        "dynamic-lambda",
        &[
            "dynamic-lambda.toml",
            "line 36, `policies[0].lambda`",
            "must be in [0, 1), got 1",
        ],
    ),
    case(
        "predictive-persistence",
        &[
            "predictive-persistence.toml",
            "line 38, `policies[0].assets.ETH.beta`",
            "alpha + beta must be < 1 (alpha 0.1), got 0.9",
        ],
    ),
    case(
        "sweep-element",
        &[
            "sweep-element.toml",
            "line 37, `policies[0].assets.ETH.ltv[1]`",
            "must be <= lt (0.825), got 0.9",
        ],
    ),
    case(
        "zero-paths",
        &[
            "zero-paths.toml",
            "line 5, `paths`",
            "must be at least 1, got 0",
        ],
    ),
    Case {
        name: "zero-paths-cli",
        args: &["--paths", "0"],
        expect: &["zero-paths-cli.toml", "--paths must be at least 1"],
    },
    case(
        "historical-paths",
        &[
            "historical-paths.toml",
            "line 5, `paths`",
            "a historical source replays exactly one path, got 5",
        ],
    ),
    Case {
        name: "historical-paths-cli",
        args: &["--paths", "5"],
        expect: &[
            "historical-paths-cli.toml",
            "--paths 5",
            "a historical source replays exactly one path",
        ],
    },
    case(
        "steps-mismatch",
        &[
            "steps-mismatch.toml",
            "`steps = 10`",
            "steps-mismatch.prices.csv",
            "(2020-01-01 .. 2020-01-04) has 4 rows, i.e. 3 steps",
        ],
    ),
    case(
        "health-step-past-end",
        &[
            "health-step-past-end.toml",
            "line 41, `output.health_step`",
            "must be <= steps (5), got 6",
        ],
    ),
    Case {
        name: "health-step-cli",
        args: &["--health-step", "9"],
        expect: &[
            "health-step-cli.toml",
            "--health-step 9 is past the last step: the run has 5 steps",
        ],
    },
    case(
        "health-step-historical",
        &[
            "health-step-historical.toml",
            "`output.health_step = 5` is past the last step: the run has 3 steps",
        ],
    ),
    case(
        "correlation-not-psd",
        &[
            "correlation-not-psd.toml",
            "line 25, `market.correlation`",
            "not positive semi-definite",
        ],
    ),
    case(
        "correlation-asymmetric",
        &[
            "correlation-asymmetric.toml",
            "line 25, `market.correlation`",
            "not symmetric: [0][1] = 0.5 but [1][0] = 0.3",
        ],
    ),
    case(
        "correlation-wrong-size",
        &[
            "correlation-wrong-size.toml",
            "line 25, `market.correlation`",
            "must be a 3x3 matrix",
            "found 2 rows",
        ],
    ),
    case(
        "several-problems",
        &[
            "several-problems.toml",
            "is invalid:",
            "  - line 3, `model`: unknown model `lending-v2`",
            "  - line 5, `paths`: must be at least 1, got 0",
            "  - line 7, `dt`: must be > 0, got -1",
            "  - line 12, `assets[0].sigma`: must be >= 0, got -0.8",
            "  - line 35, `policies[0].kind`: unknown policy kind `dynamic-ltv`",
        ],
    ),
    // Price files.
    case(
        "missing-prices",
        &[
            "missing-prices.toml",
            "`market.file`",
            "cannot read",
            "missing-prices.prices.csv",
        ],
    ),
    case(
        "missing-price-column",
        &[
            "missing-price-column.prices.csv",
            "no column for `ETH`",
            "the file has columns \"date\", \"BTC\"",
        ],
    ),
    case(
        "nan-price",
        &[
            "nan-price.prices.csv",
            "line 3, column \"ETH\" (2020-01-02)",
            "the close price is NaN",
        ],
    ),
    case(
        "zero-price",
        &[
            "zero-price.prices.csv",
            "line 4, column \"ETH\" (2020-01-03)",
            "close price 0 is not positive",
        ],
    ),
    case(
        "negative-price",
        &[
            "negative-price.prices.csv",
            "line 5, column \"ETH\" (2020-01-04)",
            "close price -1700 is not positive",
        ],
    ),
    case(
        "duplicate-dates",
        &[
            "duplicate-dates.prices.csv",
            "date 2020-01-02 appears twice, at line 3 and at line 5",
        ],
    ),
    // Book files.
    case(
        "missing-book",
        &[
            "missing-book.toml",
            "`book.file`",
            "cannot read",
            "missing-book.book.csv",
        ],
    ),
    case(
        "book-missing-column",
        &["book-missing-column.book.csv", "missing column \"debt\""],
    ),
    case(
        "book-unknown-asset",
        &[
            "book-unknown-asset.book.csv",
            "line 4",
            "account `bob`",
            "unknown asset `DOGE` (the scenario declares ETH, USDC)",
        ],
    ),
    case(
        "book-negative-collateral",
        &[
            "book-negative-collateral.book.csv",
            "line 4",
            "account `bob`, asset `ETH`: negative collateral -2",
        ],
    ),
    case(
        "book-nan-debt",
        &[
            "book-nan-debt.book.csv",
            "line 5",
            "account `bob`, asset `USDC`: non-finite debt NaN",
        ],
    ),
    case(
        "book-score-differs",
        &[
            "book-score-differs.book.csv",
            "line 5",
            "account `bob`: score 0.4 differs from the score 0.5 given at line 4",
        ],
    ),
    case(
        "chains-isolated-events",
        &[
            "chains-isolated-events.toml",
            "`chains.isolated` cannot be combined with `output.events` or a health snapshot \
             yet: isolated policies run on per-chain sub-accounts, which those files cannot \
             name",
        ],
    ),
    case(
        "reputation-without-scores",
        &[
            "reputation-without-scores.toml",
            "`[reputation]` needs a score for every account: a `score` column in the book \
             file or `[[book.generator.scores]]`",
        ],
    ),
    case(
        "book-debt-moving-asset",
        &[
            "book-debt-moving-asset.book.csv",
            "line 2",
            "account `alice`: debt 500 on moving asset `ETH`",
        ],
    ),
    case(
        "book-duplicate-row",
        &[
            "book-duplicate-row.book.csv",
            "line 6",
            "duplicate row for account `bob` and asset `ETH` (first at line 4)",
        ],
    ),
    case(
        "debt-ceiling",
        &[
            "debt-ceiling.toml",
            "`protocol.isolation.ETH.debt_ceiling`",
            "the 2 accounts in isolation on ETH owe 2500 USD at start prices, above the debt \
             ceiling 2000",
        ],
    ),
    // Fails during the simulation, after the output directory has been staged.
    case(
        "feedback-too-strong",
        &[
            "feedback-too-strong.toml",
            "path 0, policy `static`, step 1",
            "price feedback phi * s = 3.16",
            "asset `ETH`",
        ],
    ),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input")
}

fn crunch() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("crunch"))
}

/// The names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Runs `crunch run SCENARIO --out <tmp>/out --quiet ARGS` from inside a fresh temporary
/// directory and returns the output and the entries the run left in that directory.
fn run_in_tmp(scenario: &Path, args: &[&str]) -> (Output, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let out = crunch()
        .current_dir(tmp.path())
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap();
    let left = entries(tmp.path());
    (out, left)
}

/// The standard error of a finished command, as text.
fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_bad_input_is_refused_with_a_precise_message_and_leaves_nothing() {
    let dir = corpus();
    let mut failures = Vec::new();
    for c in CASES {
        let scenario = dir.join(format!("{}.toml", c.name));
        let (out, left) = run_in_tmp(&scenario, c.args);
        let err = stderr(&out);
        if out.status.success() {
            failures.push(format!("{}: accepted (stderr: {err})", c.name));
            continue;
        }
        if !err.starts_with("error: ") {
            failures.push(format!(
                "{}: stderr does not start with `error: `: {err}",
                c.name
            ));
        }
        for piece in c.expect {
            if !err.contains(piece) {
                failures.push(format!("{}: stderr lacks {piece:?}:\n{err}", c.name));
            }
        }
        if !out.stdout.is_empty() {
            failures.push(format!(
                "{}: printed to stdout: {}",
                c.name,
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        if !left.is_empty() {
            failures.push(format!("{}: left behind {left:?}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn validate_refuses_the_same_inputs() {
    // `validate` stops before the simulation: every case that fails while preparing must
    // fail there too, with the same message.
    let dir = corpus();
    for c in CASES.iter().filter(|c| c.args.is_empty()) {
        if c.name == "feedback-too-strong" {
            continue;
        }
        let out = crunch()
            .arg("validate")
            .arg(dir.join(format!("{}.toml", c.name)))
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(!out.status.success(), "{}: validate accepted it", c.name);
        for piece in c.expect {
            assert!(err.contains(piece), "{}: lacks {piece:?}:\n{err}", c.name);
        }
    }
}

#[test]
fn every_corpus_file_belongs_to_a_case_in_the_table() {
    let names: BTreeSet<&str> = CASES.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), CASES.len(), "a case is listed twice");
    let files = entries(&corpus());
    let orphans: Vec<&String> = files
        .iter()
        .filter(|f| {
            !names
                .iter()
                .any(|n| f.as_str() == format!("{n}.toml") || f.starts_with(&format!("{n}.")))
        })
        .collect();
    assert!(
        orphans.is_empty(),
        "files in tests/bad-input/ without a case (and its expected message) in CASES: \
         {orphans:?}"
    );
    for n in &names {
        let present = files.contains(&format!("{n}.toml"));
        let absent = ABSENT.contains(n);
        assert!(
            present != absent,
            "case `{n}`: tests/bad-input/{n}.toml must {}exist",
            if absent { "not " } else { "" }
        );
    }
}

/// Writes a small valid scenario (generated book, two Monte Carlo paths) into `dir`.
fn small_scenario(dir: &Path) -> PathBuf {
    let path = dir.join("small.toml");
    fs::write(
        &path,
        r#"name = "small"
model = "lending-v1"
seed = 3
paths = 2
steps = 5
dt = 0.0027397260273972603

[[assets]]
symbol = "ETH"
price = 2000.0
sigma = 0.8

[[assets]]
symbol = "USDC"
price = 1.0

[market]
source = "gbm"

[book.generator]
accounts = 20
debt_asset = "USDC"
utilisation = [0.3, 0.95]

[[book.generator.holdings]]
asset = "ETH"
probability = 1.0
median_value = 10000.0
log_sd = 1.0
ltv = 0.8

[[policies]]
name = "static"
kind = "static-ltv"
close_factor = 0.5
assets = { ETH = { ltv = 0.80, lt = 0.825, bonus = 0.05 } }
"#,
    )
    .unwrap();
    path
}

#[test]
fn an_existing_output_directory_needs_force() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_scenario(tmp.path());
    let out_dir = tmp.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    fs::write(out_dir.join("old.txt"), "old results").unwrap();
    let run = |force: bool| {
        let mut cmd = crunch();
        cmd.current_dir(tmp.path())
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(&out_dir)
            .arg("--quiet");
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };

    let refused = run(false);
    let err = stderr(&refused);
    assert!(!refused.status.success());
    assert!(
        err.contains(&format!(
            "{}: the output directory exists",
            out_dir.display()
        )),
        "{err}"
    );
    assert!(err.contains("pass --force to replace it"), "{err}");
    assert_eq!(entries(tmp.path()), ["out", "small.toml"]);
    assert_eq!(entries(&out_dir), ["old.txt"]);
    assert_eq!(
        fs::read_to_string(out_dir.join("old.txt")).unwrap(),
        "old results"
    );

    let forced = run(true);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(entries(tmp.path()), ["out", "small.toml"]);
    assert_eq!(entries(&out_dir), ["summary.parquet"]);
}

#[test]
fn an_empty_output_directory_is_used_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = small_scenario(tmp.path());
    let out_dir = tmp.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let out = crunch()
        .current_dir(tmp.path())
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out_dir)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(entries(&out_dir), ["summary.parquet"]);
    assert_eq!(entries(tmp.path()), ["out", "small.toml"]);
}

/// A historical scenario over `prices.csv` beside it: ETH moves, USDC is stable; the
/// generated book is valued at the first close.
const HISTORICAL: &str = r#"name = "unsorted"
model = "lending-v1"
seed = 5
dt = 0.0027397260273972603

[[assets]]
symbol = "ETH"
price = 1.0
sigma = 0.8
depth = 5e6
impact = 1.0

[[assets]]
symbol = "USDC"
price = 1.0

[market]
source = "historical"
file = "prices.csv"
start = "2021-01-03"

[book.generator]
accounts = 200
debt_asset = "USDC"
utilisation = [0.5, 0.99]

[[book.generator.holdings]]
asset = "ETH"
probability = 1.0
median_value = 10000.0
log_sd = 1.0
ltv = 0.8

[[policies]]
name = "static"
kind = "static-ltv"
close_factor = 0.5
assets = { ETH = { ltv = 0.80, lt = 0.825, bonus = 0.05 } }

[output]
timeseries = true
events = true
"#;

#[test]
fn unsorted_price_files_are_sorted_by_date() {
    // 40 days of a falling then recovering ETH close (the window starts on day 3).
    let rows: Vec<String> = (1..=40)
        .map(|d| {
            let close = 2000.0 - 40.0 * f64::from(d) + 3.0 * f64::from((d * 7) % 11);
            format!(
                "2021-{:02}-{:02},{close}",
                1 + (d - 1) / 31,
                1 + (d - 1) % 31
            )
        })
        .collect();
    let mut shuffled = rows.clone();
    // A fixed permutation: stride 17 through 40 rows (17 and 40 are coprime).
    shuffled = (0..rows.len())
        .map(|i| shuffled[(i * 17) % rows.len()].clone())
        .collect();
    let mut newest_first = rows.clone();
    newest_first.reverse();

    let tmp = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for (name, body) in [
        ("sorted", rows),
        ("newest-first", newest_first),
        ("shuffled", shuffled),
    ] {
        let dir = tmp.path().join(name);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("scenario.toml"), HISTORICAL).unwrap();
        fs::write(
            dir.join("prices.csv"),
            format!("date,ETH\n{}\n", body.join("\n")),
        )
        .unwrap();
        let out = crunch()
            .current_dir(&dir)
            .args(["run", "scenario.toml", "--out", "out", "--quiet"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        results.push((name, dir, out.stdout));
    }
    let (_, sorted_dir, sorted_stdout) = &results[0];
    assert!(
        String::from_utf8_lossy(sorted_stdout).contains("1 paths x 37 steps"),
        "{}",
        String::from_utf8_lossy(sorted_stdout)
    );
    for (name, dir, stdout) in &results[1..] {
        // The printed summary is the same, byte for byte.
        assert_eq!(stdout, sorted_stdout, "{name}: printed summary differs");
        for file in ["summary.parquet", "timeseries.parquet", "events.parquet"] {
            let (a, b) = (
                read_parquet(&sorted_dir.join("out").join(file)),
                read_parquet(&dir.join("out").join(file)),
            );
            assert_eq!(a.batches, b.batches, "{name}: {file} data differs");
            // The scenario hash covers the data file's bytes, which differ; everything
            // else in the metadata is the same.
            let strip = |m: &[(String, String)]| -> Vec<(String, String)> {
                m.iter()
                    .filter(|(k, _)| k != "crunch.scenario_hash")
                    .cloned()
                    .collect()
            };
            assert_eq!(
                strip(&a.metadata),
                strip(&b.metadata),
                "{name}: {file} metadata"
            );
            assert_ne!(
                a.metadata, b.metadata,
                "{name}: the hash covers the data bytes"
            );
        }
    }
}
