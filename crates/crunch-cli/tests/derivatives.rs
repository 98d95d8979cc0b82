//! `[derivatives]` in `crunch run`: the shipped comparison scenario shows the trade-off
//! between losses and capital efficiency, `derivatives.parquet` is the same bytes for any
//! thread count, checkpoint size or sharding, a scenario without the section writes what
//! it always wrote, and a bad derivatives book is refused naming the file and line.

mod common;
use common::{crunch, files, finished_parts, ok, read_parquet, refused, run_args};

use arrow_array::cast::AsArray;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `scenarios/margin-comparison.toml` copied into `dir` with its book copied beside it
/// (replaced by `book` when given), so that a test can break either.
fn comparison(dir: &Path, book: Option<&str>) -> PathBuf {
    let text = fs::read_to_string(repo().join("scenarios/margin-comparison.toml")).unwrap();
    let shipped = "book = \"../data/deriv-book-margin-comparison.csv\"";
    assert!(text.contains(shipped));
    let text = text.replace(shipped, "book = \"deriv.csv\"");
    let csv = match book {
        Some(b) => b.to_owned(),
        None => fs::read_to_string(repo().join("data/deriv-book-margin-comparison.csv")).unwrap(),
    };
    fs::write(dir.join("deriv.csv"), csv).unwrap();
    let path = dir.join("margin-comparison.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_comparison_scenario_shows_the_trade_off() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let scenario = repo().join("scenarios/margin-comparison.toml");
    let stdout = ok(crunch(&run_args(&scenario, &out, "20", &[])));
    assert!(
        stdout.contains("derivatives book, per margin mode"),
        "{stdout}"
    );
    let content = read_parquet(&out.join("derivatives.parquet"));
    let columns: Vec<&str> = content
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "scenario",
            "mode",
            "path",
            "initial_requirement",
            "maintenance_requirement",
            "initial_equity",
            "gross_notional",
            "capital_efficiency",
            "mean_capital_efficiency",
            "idle_collateral",
            "liquidations",
            "closed_notional",
            "liquidation_penalty",
            "slippage_cost",
            "funding",
            "settlement",
            "insurance_fund",
            "insurance_drawdown",
            "insurance_depletion_step",
            "insurance_paid",
            "socialised_loss",
            "bad_debt",
            "final_equity",
        ]
    );
    let rows: usize = content.batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 20 * 8);
    // The per-step series (`[output] timeseries`): 91 steps of every (path, mode), in the
    // same order; its step-0 requirements are the summary's.
    let series = read_parquet(&out.join("derivatives_timeseries.parquet"));
    let steps: usize = series.batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(steps, 20 * 8 * 91);
    let floats = |c: &common::ParquetContent, name: &str| -> Vec<f64> {
        c.batches
            .iter()
            .flat_map(|b| {
                let i = b.schema().index_of(name).unwrap();
                let a = b
                    .column(i)
                    .as_primitive::<arrow_array::types::Float64Type>();
                a.values().to_vec()
            })
            .collect()
    };
    let at_step_0: Vec<f64> = floats(&series, "initial_requirement")
        .chunks(91)
        .map(|c| c[0])
        .collect();
    assert_eq!(at_step_0, floats(&content, "initial_requirement"));
    let summary = read_parquet(&out.join("summary.parquet"));
    // The run's key-value metadata (scenario, hash, seed...), as in every other file.
    let run_keys = |m: &[(String, String)]| -> Vec<(String, String)> {
        m.iter()
            .filter(|(k, _)| k != "ARROW:schema")
            .cloned()
            .collect()
    };
    assert!(run_keys(&content.metadata) == run_keys(&summary.metadata));
    assert!(
        content
            .metadata
            .iter()
            .any(|(k, _)| k == "crunch.scenario_hash")
    );

    let stats = crunch_cli::deriv_stats(&out).unwrap();
    let names: Vec<&str> = stats.iter().map(|s| s.mode.as_str()).collect();
    assert_eq!(
        names,
        [
            "isolated",
            "cross",
            "portfolio",
            "portfolio-dgv",
            "es",
            "static-ltv",
            "dynamic",
            "predictive"
        ]
    );
    let by = |m: &str| stats.iter().find(|s| s.mode == m).unwrap();
    let eff = |m: &str| by(m).capital_efficiency.unwrap();
    // Capital efficiency at step 0 does not depend on the path: portfolio margin nets the
    // hedged accounts (18.6x), the rules do not (10.2x), the lending haircuts on delta
    // notionals need the most (5.8x).
    assert!(eff("portfolio") > 1.5 * eff("isolated"), "{stats:?}");
    // Expected shortfall over simulated one-day moves nets as portfolio margin does.
    assert!(eff("es") > 1.5 * eff("isolated"), "{stats:?}");
    // The same rules, summed per position or per account (to rounding).
    assert!((eff("isolated") - eff("cross")).abs() < 1e-9 * eff("cross"));
    for policy in ["static-ltv", "dynamic", "predictive"] {
        assert!(eff(policy) < 0.75 * eff("isolated"), "{stats:?}");
    }
    // Losses (bad debt + socialised loss), observed at 20 paths: isolated 1,548 USD a
    // path, cross 368, portfolio 504, the policies 0; checked with a margin of 2 on the
    // first ordering. The policies buy their safety with liquidations (68..78 a path
    // against 32 for portfolio margin, 40 for isolated and cross).
    let loss = |m: &str| by(m).mean_loss;
    assert!(
        loss("isolated") > 2.0 * loss("cross").max(loss("portfolio")),
        "{stats:?}"
    );
    for policy in ["static-ltv", "dynamic", "predictive"] {
        assert!(
            loss(policy) < 0.5 * loss("cross").min(loss("portfolio")),
            "{stats:?}"
        );
        assert!(
            by(policy).mean_liquidations > 1.5 * by("portfolio").mean_liquidations,
            "{stats:?}"
        );
    }
    assert!(
        by("portfolio").mean_liquidations < by("cross").mean_liquidations,
        "{stats:?}"
    );
}

#[test]
fn derivatives_bytes_do_not_depend_on_threads_checkpoints_or_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/margin-comparison.toml");
    let dir = |name: &str| tmp.path().join(name);
    let run =
        |name: &str, extra: &[&str]| ok(crunch(&run_args(&scenario, &dir(name), "20", extra)));
    run("t1", &["--threads", "1"]);
    run("t2", &["--threads", "2"]);
    run("t4", &["--threads", "4"]);
    // Parts of 3 paths (9 units of 3 policies; 7 parts) are joined at the end.
    run("parts", &["--threads", "2", "--checkpoint-paths", "3"]);
    // 60 units in 7 shards of 8 or 9 units: most shards split a path's policies, and a
    // path's derivatives rows go with the shard of its first unit.
    let shards: Vec<PathBuf> = (0..7).map(|i| dir(&format!("shard{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        ok(crunch(&run_args(
            &scenario,
            d,
            "20",
            &["--shard", &format!("{i}/7")],
        )));
    }
    let merged = dir("merged");
    let mut merge: Vec<&OsStr> = vec!["merge".as_ref()];
    merge.extend(shards.iter().map(|d| d.as_os_str()));
    merge.extend(["--out".as_ref(), merged.as_os_str()]);
    ok(crunch(&merge));
    let one = files(&dir("t1"));
    let names: Vec<&str> = one.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "derivatives.parquet",
            "derivatives_timeseries.parquet",
            "summary.parquet",
            "timeseries.parquet"
        ]
    );
    for other in ["t2", "t4", "parts", "merged"] {
        assert!(
            files(&dir(other)) == one,
            "{other} differs from --threads 1"
        );
    }
}

#[test]
fn a_scenario_without_derivatives_writes_the_files_it_always_wrote() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let scenario = repo().join("scenarios/quickstart.toml");
    let stdout = ok(crunch(&run_args(&scenario, &out, "4", &[])));
    assert!(!stdout.contains("derivatives"), "{stdout}");
    let names: Vec<String> = files(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["health.parquet", "summary.parquet", "timeseries.parquet"]
    );
}

/// Runs `crunch run` and `crunch validate` on the comparison scenario with derivatives
/// book `book` (`None`: no book file) and returns both error messages; nothing may be
/// written.
fn refusals(book: Option<&str>) -> (PathBuf, [String; 2]) {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = comparison(tmp.path(), Some(book.unwrap_or("")));
    if book.is_none() {
        fs::remove_file(tmp.path().join("deriv.csv")).unwrap();
    }
    let out = tmp.path().join("out");
    let run = refused(crunch(&run_args(&scenario, &out, "2", &[])));
    let validate = refused(crunch(&["validate".as_ref(), scenario.as_os_str()]));
    let mut left: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut expected = vec!["margin-comparison.toml".to_owned()];
    if book.is_some() {
        expected.insert(0, "deriv.csv".to_owned());
    }
    assert_eq!(left, expected, "a refused run left files behind");
    (tmp.path().to_owned(), [run, validate])
}

#[test]
fn a_missing_book_file_is_refused_naming_it() {
    let (dir, messages) = refusals(None);
    for m in messages {
        assert!(
            m.contains("margin-comparison.toml: `derivatives.book`"),
            "{m}"
        );
        assert!(m.contains("deriv.csv"), "{m}");
        assert!(
            m.contains(&dir.file_name().unwrap().to_string_lossy().into_owned()),
            "{m}"
        );
    }
}

#[test]
fn a_bad_book_row_is_refused_naming_the_file_line_and_column() {
    let book = "account,kind,asset,size,entry_price,strike,expiry_step\n\
                a,collateral,,100,,,\n\
                a,perp,BTC,1,3693.3,,\n\
                a,perp,ETH,-2,130.67,150,\n";
    let (_, messages) = refusals(Some(book));
    for m in messages {
        assert!(
            m.contains("margin-comparison.toml: `derivatives.book`"),
            "{m}"
        );
        assert!(m.contains("deriv.csv: line 4, column \"strike\""), "{m}");
    }
}

#[test]
fn a_killed_run_with_derivatives_is_resumed_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios/margin-comparison.toml");
    let whole = tmp.path().join("whole");
    ok(crunch(&run_args(&scenario, &whole, "100", &[])));
    let out = tmp.path().join("out");
    // One path per part: 100 parts, each published with its derivatives rows.
    let parts = ["--threads", "1", "--checkpoint-paths", "1"];
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("crunch"))
        .args(run_args(&scenario, &out, "100", &parts))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while finished_parts(&out) < 2 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be interrupted"
        );
        assert!(start.elapsed().as_secs() < 120, "no part after 2 min");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let kept = finished_parts(&out);
    assert!((2..100).contains(&kept), "{kept} parts");
    assert!(!out.exists());
    let resume = ["--threads", "2", "--checkpoint-paths", "1", "--resume"];
    ok(crunch(&run_args(&scenario, &out, "100", &resume)));
    assert!(files(&out) == files(&whole), "the resumed run differs");
}
