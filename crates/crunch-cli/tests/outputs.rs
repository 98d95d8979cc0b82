//! What `crunch run` writes: the summary file's columns, types, row order and metadata;
//! the shipped scenarios; the help texts; and one hand-computed run checked to the value.

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

fn crunch() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin!("crunch"))
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "crunch failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `crunch run SCENARIO --out OUT --quiet ARGS`, which must succeed.
fn run(scenario: &Path, out: &Path, args: &[&str]) -> Output {
    ok(crunch()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap())
}

/// A summary file: its record batches, schema and key-value metadata.
struct Summary {
    /// `(name, data type)` of every column, in order.
    columns: Vec<(String, String)>,
    batches: Vec<RecordBatch>,
    metadata: Vec<(String, String)>,
}

impl Summary {
    fn read(path: &Path) -> Summary {
        let content = read_parquet(path);
        let columns = content
            .schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), format!("{:?}", f.data_type())))
            .collect();
        Summary {
            columns,
            batches: content.batches,
            metadata: content.metadata,
        }
    }

    fn meta(&self, key: &str) -> &str {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no metadata key {key}"))
    }

    fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// The column `name` of every batch, in order.
    fn column(&self, name: &str) -> impl Iterator<Item = &dyn Array> {
        self.batches.iter().map(move |b| {
            b.column_by_name(name)
                .unwrap_or_else(|| panic!("no column {name}"))
                .as_ref()
        })
    }

    fn text(&self, name: &str) -> Vec<String> {
        self.column(name)
            .flat_map(|a| {
                let a = a.as_string::<i32>();
                (0..a.len())
                    .map(|i| a.value(i).to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn int(&self, name: &str) -> Vec<Option<i64>> {
        self.column(name)
            .flat_map(|a| a.as_primitive::<Int64Type>().iter().collect::<Vec<_>>())
            .collect()
    }

    fn float(&self, name: &str) -> Vec<Option<f64>> {
        self.column(name)
            .flat_map(|a| a.as_primitive::<Float64Type>().iter().collect::<Vec<_>>())
            .collect()
    }
}

const COLUMNS: [(&str, &str); 16] = [
    ("scenario", "Utf8"),
    ("policy", "Utf8"),
    ("path", "Int64"),
    ("bad_debt", "Float64"),
    ("insolvent_accounts", "Int64"),
    ("liquidations", "Int64"),
    ("liquidated_accounts", "Int64"),
    ("repaid_debt", "Float64"),
    ("seized_collateral", "Float64"),
    ("liquidation_penalty", "Float64"),
    ("slippage_cost", "Float64"),
    ("initial_debt", "Float64"),
    ("initial_collateral", "Float64"),
    ("capital_efficiency", "Float64"),
    ("first_bad_debt_step", "Int64"),
    ("min_health", "Float64"),
];

#[test]
fn summary_columns_rows_and_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/quickstart.toml");
    let stdout = run(&scenario, &tmp.path().join("out"), &["--paths", "20"]).stdout;
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(stdout.contains("20 paths x 365 steps"), "{stdout}");
    assert!(stdout.contains("aave-like") && stdout.contains("conservative"));

    let s = Summary::read(&tmp.path().join("out/summary.parquet"));
    let expected: Vec<(String, String)> = COLUMNS
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    assert_eq!(s.columns, expected);

    // One row per (path, policy), path-major, policies in file order.
    assert_eq!(s.rows(), 20 * 2);
    let policies = ["aave-like", "conservative"];
    for (r, (path, policy)) in s.int("path").iter().zip(s.text("policy")).enumerate() {
        assert_eq!(*path, Some((r / 2) as i64), "row {r}");
        assert_eq!(policy, policies[r % 2], "row {r}");
    }
    assert!(s.text("scenario").iter().all(|n| n == "quickstart"));

    let text = fs::read_to_string(&scenario).unwrap();
    assert_eq!(s.meta("crunch.seed"), "7");
    assert_eq!(s.meta("crunch.paths"), "20");
    assert_eq!(s.meta("crunch.version"), env!("CARGO_PKG_VERSION"));
    assert_eq!(s.meta("crunch.scenario"), text);
    let hash = s.meta("crunch.scenario_hash");
    assert_eq!(hash.len(), 64, "{hash}");
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");

    // --seed is recorded (and changes the hash).
    run(
        &scenario,
        &tmp.path().join("seed9"),
        &["--paths", "20", "--seed", "9"],
    );
    let s9 = Summary::read(&tmp.path().join("seed9/summary.parquet"));
    assert_eq!(s9.meta("crunch.seed"), "9");
    assert_ne!(s9.meta("crunch.scenario_hash"), hash);
}

#[test]
fn every_shipped_scenario_validates() {
    let mut files: Vec<PathBuf> = fs::read_dir(repo().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let out = ok(crunch().arg("validate").arg(&file).output().unwrap());
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.starts_with("ok: scenario `"),
            "{}: {stdout}",
            file.display()
        );
    }
}

#[test]
fn historical_scenario_runs_one_path() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        &repo().join("scenarios/btc-2018-crash.toml"),
        &tmp.path().join("out"),
        &[],
    );
    let s = Summary::read(&tmp.path().join("out/summary.parquet"));
    assert_eq!(s.rows(), 2);
    assert_eq!(s.text("policy"), ["aave-like", "conservative"]);
    assert_eq!(s.int("path"), [Some(0), Some(0)]);
    assert_eq!(s.meta("crunch.paths"), "1");
    assert_eq!(s.meta("crunch.steps"), "395");
    // A year of falling prices: both policies liquidate.
    assert!(s.int("liquidations").iter().all(|l| l.unwrap() > 0));
}

#[test]
fn help_texts() {
    let help = |args: &[&str]| {
        String::from_utf8(ok(crunch().args(args).output().unwrap()).stdout).unwrap()
    };
    let top = help(&["--help"]);
    for word in ["run", "validate", "--help", "--version"] {
        assert!(top.contains(word), "crunch --help lacks {word}:\n{top}");
    }
    let run = help(&["run", "--help"]);
    for word in [
        "<SCENARIO>",
        "--out",
        "--threads",
        "--paths",
        "--seed",
        "--force",
        "--quiet",
    ] {
        assert!(run.contains(word), "crunch run --help lacks {word}:\n{run}");
    }
    let validate = help(&["validate", "--help"]);
    assert!(validate.contains("<SCENARIO>"), "{validate}");
    assert!(
        !validate.contains("--out"),
        "validate takes no --out:\n{validate}"
    );
}

/// The `lending-v1` rules by hand: one account with 1 ETH and 1300 USDC of debt; ETH
/// closes 2000, 1500, 1500. At step 1, `H = 1500 * 0.825 / 1300 < 1`: one liquidation
/// repays `R = 0.5 * 1300 = 650` and seizes `S = 650 * 1.05 = 682.5` of ETH; at step 2,
/// `H = (1 - 682.5 / 1500) * 1500 * 0.825 / 650 > 1`: nothing more.
#[test]
fn one_liquidation_computed_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(
        dir.join("prices.csv"),
        "date,ETH\n2024-03-01,2000\n2024-03-02,1500\n2024-03-03,1500\n",
    )
    .unwrap();
    fs::write(
        dir.join("book.csv"),
        "account,asset,collateral,debt\n1,ETH,1,0\n1,USDC,0,1300\n",
    )
    .unwrap();
    fs::write(
        dir.join("exact.toml"),
        r#"name = "exact"
model = "lending-v1"
seed = 1
dt = 0.0027397260273972603

[[assets]]
symbol = "ETH"
price = 2000.0
sigma = 0.8

[[assets]]
symbol = "USDC"
price = 1.0
sigma = 0.0
mu = 0.0

[market]
source = "historical"
file = "prices.csv"

[book]
file = "book.csv"

[[policies]]
name = "static"
kind = "static-ltv"
close_factor = 0.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05 } }
"#,
    )
    .unwrap();
    run(&dir.join("exact.toml"), &dir.join("out"), &[]);
    let s = Summary::read(&dir.join("out/summary.parquet"));
    assert_eq!(s.rows(), 1);
    assert_eq!(s.meta("crunch.steps"), "2");

    let int = |name: &str| s.int(name)[0];
    let float = |name: &str| s.float(name)[0].unwrap_or_else(|| panic!("{name} is null"));
    let close = |name: &str, want: f64| {
        let got = float(name);
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1.0),
            "{name}: got {got}, want {want}"
        );
    };
    assert_eq!(int("liquidations"), Some(1));
    assert_eq!(int("liquidated_accounts"), Some(1));
    assert_eq!(int("insolvent_accounts"), Some(0));
    assert_eq!(int("first_bad_debt_step"), None);
    close("repaid_debt", 650.0);
    close("seized_collateral", 682.5);
    close("liquidation_penalty", 32.5);
    close("slippage_cost", 0.0);
    close("bad_debt", 0.0);
    close("initial_debt", 1300.0);
    close("initial_collateral", 2000.0);
    close("capital_efficiency", 0.65);
    close("min_health", 1500.0 * 0.825 / 1300.0);
}
