//! What `crunch run` writes: the summary file's columns, types, row order and metadata;
//! the health snapshot's rows; the shipped scenarios; the help texts; and hand-computed
//! runs checked to the value.

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

const COLUMNS: [(&str, &str); 26] = [
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
    ("initial_borrowing_power", "Float64"),
    ("borrowing_capacity", "Float64"),
    ("liquidator_profit", "Float64"),
    ("oracle_gap", "Float64"),
    ("blocked_liquidity", "Int64"),
    ("blocked_capacity", "Int64"),
    ("blocked_outage", "Int64"),
    ("blocked_gas", "Int64"),
    ("dust_bad_debt", "Float64"),
    ("mean_time_to_liquidate", "Float64"),
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
    let mut files: Vec<PathBuf> = ["scenarios", "scenarios/incidents"]
        .iter()
        .flat_map(|dir| fs::read_dir(repo().join(dir)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
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
        "--health-step",
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
    // B(0) = 1 ETH * 2000 * ltv 0.8; capacity B(0) / collateral.
    close("initial_borrowing_power", 1600.0);
    close("borrowing_capacity", 0.8);
}

/// A book of four accounts under two policies over ETH closes 2000, 1500, 1500:
/// `a` (1 ETH, owes 1300), `b` (1 ETH, owes nothing), `c` (2 ETH, owes 1000) and `d`
/// (owes 100 with no collateral).
const FOUR_ACCOUNTS: &str = r#"name = "four"
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

[[policies]]
name = "tight"
kind = "static-ltv"
close_factor = 0.5
assets = { ETH = { ltv = 0.7, lt = 0.75, bonus = 0.08 } }

[output]
health_step = 1
"#;

/// One row of a health file: policy, account and health factor.
type HealthRow = (String, String, f64);

/// Every row of a health file, with its steps.
fn health_rows(file: &Path) -> (Vec<HealthRow>, Vec<Option<i64>>) {
    let h = Summary::read(file);
    let names: Vec<&str> = h.columns.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["scenario", "policy", "path", "step", "account", "health"]
    );
    let rows = h
        .text("policy")
        .into_iter()
        .zip(h.text("account"))
        .zip(h.float("health"))
        .map(|((p, a), x)| (p, a, x.unwrap()))
        .collect();
    (rows, h.int("step"))
}

/// The health snapshot by hand: one row per account with debt at the step, before the
/// step's liquidations, per policy, in account order; `--health-step` moves it.
#[test]
fn health_snapshot_computed_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(
        dir.join("prices.csv"),
        "date,ETH\n2024-03-01,2000\n2024-03-02,1500\n2024-03-03,1500\n",
    )
    .unwrap();
    fs::write(
        dir.join("book.csv"),
        "account,asset,collateral,debt\n\
         a,ETH,1,0\na,USDC,0,1300\nb,ETH,1,0\nc,ETH,2,0\nc,USDC,0,1000\nd,USDC,0,100\n",
    )
    .unwrap();
    fs::write(dir.join("four.toml"), FOUR_ACCOUNTS).unwrap();
    run(&dir.join("four.toml"), &dir.join("at1"), &[]);

    let close = |got: &[HealthRow], want: &[(&str, &str, f64)]| {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!((g.0.as_str(), g.1.as_str()), (w.0, w.1), "{got:?}");
            assert!((g.2 - w.2).abs() <= 1e-12 * w.2.max(1.0), "{g:?} vs {w:?}");
        }
    };
    // Step 1, ETH at 1500, before liquidations: H = c p lt / D; `b` owes nothing, `d`
    // has debt without collateral (H = 0, realised as bad debt later in the step).
    let (rows, steps) = health_rows(&dir.join("at1/health.parquet"));
    assert_eq!(steps, [Some(1); 6]);
    close(
        &rows,
        &[
            ("static", "a", 1500.0 * 0.825 / 1300.0),
            ("static", "c", 3000.0 * 0.825 / 1000.0),
            ("static", "d", 0.0),
            ("tight", "a", 1500.0 * 0.75 / 1300.0),
            ("tight", "c", 3000.0 * 0.75 / 1000.0),
            ("tight", "d", 0.0),
        ],
    );
    // Borrowing capacity depends on the policy: 4 ETH at 2000 lent against at its ltv.
    let s = Summary::read(&dir.join("at1/summary.parquet"));
    let near = |got: Vec<Option<f64>>, want: [f64; 2]| {
        for (g, w) in got.iter().zip(want) {
            assert!((g.unwrap() - w).abs() <= 1e-12 * w, "{got:?} vs {want:?}");
        }
    };
    near(s.float("initial_borrowing_power"), [6400.0, 5600.0]);
    near(s.float("borrowing_capacity"), [0.8, 0.7]);
    near(s.float("capital_efficiency"), [2400.0 / 8000.0; 2]);

    // Step 2 from the command line: `a` was liquidated at step 1 (R = 650, S = 650 (1 +
    // bonus) of ETH at 1500), `d`'s debt was realised; `c` is untouched.
    run(
        &dir.join("four.toml"),
        &dir.join("at2"),
        &["--health-step", "2"],
    );
    let (rows, steps) = health_rows(&dir.join("at2/health.parquet"));
    assert_eq!(steps, [Some(2); 4]);
    let left = |bonus: f64| 1.0 - 650.0 * (1.0 + bonus) / 1500.0;
    close(
        &rows,
        &[
            ("static", "a", left(0.05) * 1500.0 * 0.825 / 650.0),
            ("static", "c", 3000.0 * 0.825 / 1000.0),
            ("tight", "a", left(0.08) * 1500.0 * 0.75 / 650.0),
            ("tight", "c", 3000.0 * 0.75 / 1000.0),
        ],
    );
}

/// On the quickstart: at step 0 every generated account owes something, so the snapshot
/// has exactly accounts x paths x policies rows, no lower than each path's `min_health`;
/// at the scenario's own step the rows of each (path, policy) are in account order.
#[test]
fn health_snapshot_of_the_quickstart() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/quickstart.toml");
    let out = tmp.path().join("step0");
    run(&scenario, &out, &["--paths", "2", "--health-step", "0"]);
    let h = Summary::read(&out.join("health.parquet"));
    assert_eq!(h.rows(), 2000 * 2 * 2);
    assert_eq!(h.meta("crunch.scenario_name"), "quickstart");
    let s = Summary::read(&out.join("summary.parquet"));
    let (policy, path, health) = (h.text("policy"), h.int("path"), h.float("health"));
    for (r, min_health) in s.float("min_health").iter().enumerate() {
        let group = &health[r * 2000..(r + 1) * 2000];
        assert!(
            policy[r * 2000..(r + 1) * 2000]
                .iter()
                .all(|p| *p == s.text("policy")[r])
        );
        assert!(
            path[r * 2000..(r + 1) * 2000]
                .iter()
                .all(|p| *p == s.int("path")[r])
        );
        let lowest = group
            .iter()
            .map(|x| x.unwrap())
            .fold(f64::INFINITY, f64::min);
        assert!(lowest >= min_health.unwrap(), "row {r}");
    }

    let text = fs::read_to_string(&scenario).unwrap();
    let step: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("health_step = "))
        .expect("quickstart.toml sets [output] health_step")
        .split('#')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let out = tmp.path().join("own");
    run(&scenario, &out, &["--paths", "3"]);
    let h = Summary::read(&out.join("health.parquet"));
    assert!(h.int("step").iter().all(|t| *t == Some(step)));
    let keys: Vec<(i64, String, usize)> = h
        .int("path")
        .into_iter()
        .zip(h.text("policy"))
        .zip(h.text("account"))
        .map(|((p, pol), a)| (p.unwrap(), pol, a.parse().unwrap()))
        .collect();
    assert!(
        keys.len() > 3 * 2 * 1000 && keys.len() <= 3 * 2 * 2000,
        "{}",
        keys.len()
    );
    // Path-major, policies in file order, accounts ascending within each.
    let order = |k: &(i64, String, usize)| (k.0, k.1 == "conservative", k.2);
    assert!(keys.windows(2).all(|w| order(&w[0]) < order(&w[1])));
}
