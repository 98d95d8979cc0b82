//! `crunch paths`: the long-form file it writes (read back), that its paths are the ones
//! `crunch run` simulates, `--force`, and the shipped crunch scenario; also the
//! price-file models (bootstrap, FHS) and shocks on a historical replay, end to end.

mod common;
use common::read_parquet;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use crunch_cli::{Overrides, prepare};
use crunch_core::{Domain, PathState, PricePath, stream_rng};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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

/// Every column of a Parquet file, concatenated over batches, by name.
struct Table {
    names: Vec<String>,
    batches: Vec<RecordBatch>,
    metadata: Vec<(String, String)>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let content = read_parquet(path);
        let names = content
            .schema
            .fields()
            .iter()
            .map(|f| format!("{}:{}", f.name(), f.data_type()))
            .collect();
        Table {
            names,
            batches: content.batches,
            metadata: content.metadata,
        }
    }

    fn col(&self, name: &str) -> Vec<&dyn Array> {
        self.batches
            .iter()
            .map(|b| b.column_by_name(name).unwrap().as_ref())
            .collect()
    }

    fn f64(&self, name: &str) -> Vec<Option<f64>> {
        self.col(name)
            .into_iter()
            .flat_map(|a| a.as_primitive::<Float64Type>().iter().collect::<Vec<_>>())
            .collect()
    }

    fn i64(&self, name: &str) -> Vec<Option<i64>> {
        self.col(name)
            .into_iter()
            .flat_map(|a| a.as_primitive::<Int64Type>().iter().collect::<Vec<_>>())
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

    fn meta(&self, key: &str) -> &str {
        &self.metadata.iter().find(|(k, _)| k == key).unwrap().1
    }
}

#[test]
fn the_shipped_crunch_scenario_validates() {
    let scenario = repo().join("scenarios/crunch-synthetic.toml");
    let out = ok(crunch(&["validate", scenario.to_str().unwrap()]));
    assert!(
        out.contains("ok: scenario `crunch-synthetic`") && out.contains("200 paths x 180 steps"),
        "{out}"
    );
}

#[test]
fn paths_writes_prices_liquidity_and_state_of_the_run() {
    let scenario = repo().join("scenarios/crunch-synthetic.toml");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sub/paths.parquet");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "paths",
            scenario.to_str().unwrap(),
            "--paths",
            "3",
            "--out",
            file.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let stdout = ok(crunch(
        &args(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(
        stdout.contains("3 paths x 180 steps x 4 assets, 2172 rows"),
        "{stdout}"
    );
    let t = Table::read(&file);
    assert_eq!(
        t.names,
        [
            "path:Int64",
            "step:Int64",
            "asset:Utf8",
            "price:Float64",
            "liquidity:Float64",
            "crunch_weight:Float64",
            "regime:Int64",
            "volatility:Float64"
        ]
    );
    assert_eq!(t.meta("crunch.source"), "student-t");
    assert_eq!(t.meta("crunch.paths"), "3");
    let (path, step, asset) = (t.i64("path"), t.i64("step"), t.text("asset"));
    let (price, liq, w, regime, vol) = (
        t.f64("price"),
        t.f64("liquidity"),
        t.f64("crunch_weight"),
        t.i64("regime"),
        t.f64("volatility"),
    );
    assert_eq!(price.len(), 3 * 181 * 4);
    let symbols = ["ETH", "BTC", "GOV", "USDC"];
    // The paths of `crunch run`: same source, same streams.
    let p = prepare(&scenario, Overrides::default()).unwrap();
    for k in 0..price.len() {
        let (pth, t_, i) = (k / (181 * 4), (k / 4) % 181, k % 4);
        assert_eq!(path[k], Some(pth as i64));
        assert_eq!(step[k], Some(t_ as i64));
        assert_eq!(asset[k], symbols[i]);
        assert!(regime[k].is_none(), "no regimes in this model");
        // Window 60..=99, ramps of 10: full weight on 70..=89.
        let want_w = match t_ {
            70..=89 => 1.0,
            0..=59 | 100.. => 0.0,
            _ => w[k].unwrap(),
        };
        assert_eq!(w[k], Some(want_w), "step {t_}");
        assert_eq!(liq[k], Some(1.0 / (1.0 + want_w * 4.0)));
        match (t_, i) {
            (_, 3) => {
                assert_eq!(price[k], Some(1.0));
                assert!(vol[k].is_none());
            }
            (0, _) => assert!(vol[k].is_none()),
            (80, 0) => assert!((vol[k].unwrap() - 2.1).abs() < 1e-12, "ETH 0.7 x 3"),
            (10, 1) => assert!((vol[k].unwrap() - 0.55).abs() < 1e-12),
            _ => {}
        }
    }
    for pth in 0..3u64 {
        let mut buf = PricePath::new(180, 4);
        let mut state = PathState::default();
        p.source.fill_with_state(
            &mut stream_rng(p.scenario.seed, Domain::MarketPaths, pth),
            &mut buf,
            &mut state,
        );
        let rows = &price[pth as usize * 724..(pth as usize + 1) * 724];
        let got: Vec<f64> = rows.iter().map(|x| x.unwrap()).collect();
        assert_eq!(got, buf.as_slice());
    }
    // An existing file needs --force.
    let refused = crunch(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("the output file exists; pass --force"),
        "{err}"
    );
    ok(crunch(
        &args(&["--force", "--seed", "5"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    assert_eq!(Table::read(&file).meta("crunch.seed"), "5");
    let left: Vec<_> = fs::read_dir(dir.path().join("sub")).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left behind");
}

/// A scenario over the shipped Bitstamp file with `[market]` replaced by `market`.
fn bitstamp_scenario(dir: &Path, name: &str, market: &str) -> PathBuf {
    let data = repo().join("data/bitstamp-btc-eth-ltc-daily-2014-2020.csv");
    let text = format!(
        r#"name = "{name}"
model = "lending-v1"
seed = 3
steps = 30
dt = 0.0027397260273972603

[[assets]]
symbol = "BTC"
price = 10000.0
sigma = 0.7

[[assets]]
symbol = "ETH"
price = 500.0
sigma = 0.9

[[assets]]
symbol = "USD"
price = 1.0

[market]
file = "{}"
start = "2017-01-01"
end = "2018-12-31"
{market}

[book.generator]
accounts = 50
debt_asset = "USD"
utilisation = [0.3, 0.9]

[[book.generator.holdings]]
asset = "BTC"
probability = 1.0
median_value = 10000.0
log_sd = 1.0
ltv = 0.7

[[policies]]
name = "static"
kind = "static-ltv"
close_factor = 0.5
assets = {{ BTC = {{ ltv = 0.7, lt = 0.75, bonus = 0.05 }} }}
"#,
        data.display()
    );
    let path = dir.join(format!("{name}.toml"));
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn bootstrap_and_fhs_resample_the_price_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, market) in [
        (
            "bootstrap",
            "source = \"bootstrap\"\nmean_block = 5\npaths = 4",
        ),
        (
            "fhs",
            "source = \"fhs\"\npaths = 4\n[market.garch]\nBTC = { alpha = 0.1, beta = 0.85 }\nETH = { alpha = 0.1, beta = 0.85 }",
        ),
    ] {
        // `paths` belongs at the top level: move it there.
        let market = market.replace("\npaths = 4", "");
        let s = bitstamp_scenario(dir.path(), name, &market);
        let text = fs::read_to_string(&s)
            .unwrap()
            .replace("seed = 3\n", "seed = 3\npaths = 4\n");
        fs::write(&s, text).unwrap();
        let out = dir.path().join(format!("{name}.parquet"));
        ok(crunch(&[
            "paths",
            s.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]));
        let t = Table::read(&out);
        let price = t.f64("price");
        assert_eq!(price.len(), 4 * 31 * 3, "{name}");
        // Paths start at the scenario's prices; USD is held; every price is positive.
        assert_eq!(
            &price[..3],
            &[Some(10000.0), Some(500.0), Some(1.0)],
            "{name}"
        );
        assert!(price.iter().all(|p| p.unwrap() > 0.0), "{name}");
        assert!(
            price.chunks(3).all(|r| r[2] == Some(1.0)),
            "{name}: USD keeps its price"
        );
        if name == "fhs" {
            let (vol, step, asset) = (t.f64("volatility"), t.i64("step"), t.text("asset"));
            for k in 0..vol.len() {
                let moving = step[k] != Some(0) && asset[k] != "USD";
                assert_eq!(vol[k].is_some_and(|v| v > 0.0), moving, "row {k}");
            }
        }
        // And the full run works on it.
        let run = dir.path().join(format!("{name}-run"));
        ok(crunch(&[
            "run",
            s.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
            "--quiet",
        ]));
    }
}

#[test]
fn shocks_replay_on_a_historical_path() {
    let dir = tempfile::tempdir().unwrap();
    let plain = bitstamp_scenario(dir.path(), "plain", "source = \"historical\"");
    let text = fs::read_to_string(&plain)
        .unwrap()
        .replace("steps = 30\n", "");
    fs::write(&plain, &text).unwrap();
    let shocked = dir.path().join("shocked.toml");
    fs::write(
        &shocked,
        text.replace("name = \"plain\"", "name = \"shocked\"").replace(
            "\n[book.generator]",
            "\n[[market.shocks]]\nkind = \"drop\"\nstep = 10\nsize = 0.5\nassets = [\"ETH\"]\n\n[book.generator]",
        ),
    )
    .unwrap();
    let read = |s: &Path, name: &str| {
        let out = dir.path().join(format!("{name}.parquet"));
        ok(crunch(&[
            "paths",
            s.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]));
        Table::read(&out).f64("price")
    };
    let (a, b) = (read(&plain, "plain"), read(&shocked, "shocked"));
    assert_eq!(a.len(), b.len());
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        let (t, i) = (k / 3, k % 3);
        let factor = if t >= 10 && i == 1 { 0.5 } else { 1.0 };
        assert_eq!(x.unwrap() * factor, y.unwrap(), "step {t} asset {i}");
    }
    // A shock beyond the replayed window is refused when the file is read.
    let late = dir.path().join("late.toml");
    fs::write(
        &late,
        fs::read_to_string(&shocked)
            .unwrap()
            .replace("step = 10", "step = 1000"),
    )
    .unwrap();
    let out = crunch(&["validate", late.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("late.toml") && err.contains("`market.shocks[0].step`: must be in 1..="),
        "{err}"
    );
}

/// Path 0 of `text` (a scenario written into `dir` as `name`), as the run generates it.
fn first_path(dir: &Path, name: &str, text: &str) -> PricePath {
    let file = dir.join(name);
    fs::write(&file, text).unwrap();
    let p = prepare(&file, Overrides::default()).unwrap();
    let mut path = PricePath::new(p.source.steps(), p.source.assets());
    let mut rng = stream_rng(p.scenario.seed, Domain::MarketPaths, 0);
    p.source.fill(&mut rng, &mut path);
    path
}

/// `text` without the last TOML table that starts with the line `header` (up to the next
/// blank line).
fn without_table(text: &str, header: &str) -> String {
    let start = text.rfind(&format!("\n{header}\n")).unwrap() + 1;
    let end = start + text[start..].find("\n\n").unwrap() + 1;
    format!("{}{}", &text[..start], &text[end..])
}

/// The shipped `lst-depeg.toml` reaches the run's path source with its peg and its
/// decoupled pair: removing `[market.pegs.DAI]` (and the DAI shock, which needs the peg)
/// leaves DAI at 1, and removing `[[market.decouple]]` changes the path only from the
/// window's first step on.
#[test]
fn lst_depeg_applies_its_peg_and_its_decoupled_pair() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(repo().join("scenarios/lst-depeg.toml")).unwrap();
    let full = first_path(dir.path(), "full.toml", &text);
    let (eth, steth, dai) = (0, 1, 2);
    let steps = full.steps();

    let unpegged = without_table(&text, "[market.pegs.DAI]");
    let unpegged = without_table(&unpegged, "[[market.shocks]]");
    assert!(unpegged.contains("assets = [\"STETH\"]") && !unpegged.contains("[\"DAI\"]"));
    let unpegged = first_path(dir.path(), "unpegged.toml", &unpegged);
    // Without the peg DAI is stable.
    assert!((0..=steps).all(|t| unpegged.row(t)[dai] == 1.0));
    // With it, DAI moves every step and stays near its peg (stationary sd 0.2 %; a jump of
    // about -3 % a year) before the shock.
    assert!((1..70).all(|t| full.row(t)[dai] != full.row(t - 1)[dai]));
    assert!((0..70).all(|t| (full.row(t)[dai] - 1.0).abs() < 0.1));
    // The other assets do not see the peg (its draws come after the model's).
    assert!((0..=steps).all(|t| full.row(t)[eth] == unpegged.row(t)[eth]));

    let coupled = first_path(
        dir.path(),
        "coupled.toml",
        &without_table(&text, "[[market.decouple]]"),
    );
    assert!((0..60).all(|t| full.row(t) == coupled.row(t)));
    assert!((60..=89).any(|t| full.row(t)[steth] != coupled.row(t)[steth]));
}
