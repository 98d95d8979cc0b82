//! `crunch report`, `crunch plot` and `crunch run --report` on small runs of the shipped
//! scenarios.

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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A 24-path quickstart run (with timeseries and the health snapshot) in `out`.
fn quickstart(out: &Path, extra: &[&str]) -> Output {
    ok(crunch()
        .arg("run")
        .arg(repo().join("scenarios/quickstart.toml"))
        .args(["--paths", "24", "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap())
}

fn is_png(file: &Path) -> bool {
    fs::read(file).is_ok_and(|b| b.len() > 20_000 && b.starts_with(b"\x89PNG\r\n\x1a\n"))
}

fn is_svg(file: &Path) -> bool {
    fs::read_to_string(file)
        .is_ok_and(|s| s.contains("<svg") && s.contains("<text") && s.contains("seed 7"))
}

#[test]
fn run_with_report_writes_report_and_charts_next_to_the_results() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    let run = quickstart(&out, &["--report"]);
    let text = stdout(&run);
    assert!(text.contains("| quickstart | aave-like | 24 |"), "{text}");
    assert!(
        text.contains("| quickstart | conservative | 24 |"),
        "{text}"
    );
    assert!(text.contains("| borrowing cap. |"), "{text}");
    for f in ["report.md", "report.csv", "report.parquet"] {
        assert!(out.join("report").join(f).is_file(), "{f}");
    }
    for stem in ["bad-debt-cdf", "timeseries", "health", "frontier"] {
        assert!(
            is_png(&out.join("charts").join(format!("{stem}.png"))),
            "{stem}.png"
        );
        assert!(
            is_svg(&out.join("charts").join(format!("{stem}.svg"))),
            "{stem}.svg"
        );
    }
    // No paths file: no fan chart, and the reason is printed; nothing else is skipped.
    assert!(!out.join("charts/price-fan.png").exists());
    assert!(text.contains("skipped price-path fan chart"), "{text}");
    assert_eq!(text.matches("skipped").count(), 1, "{text}");
    let health = fs::read_to_string(out.join("charts/health.svg")).unwrap();
    assert!(health.contains("Health factors at step 30 — quickstart"));
    // The two policies lend against different shares of the book's collateral: the
    // frontier has two distinct points.
    let frontier = fs::read_to_string(out.join("charts/frontier.svg")).unwrap();
    assert!(
        frontier.contains("Pareto front (2 of 2 points"),
        "two points"
    );
    assert!(!frontier.contains("All points share one borrowing capacity"));
}

#[test]
fn report_prints_markdown_writes_files_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("qs");
    quickstart(&out, &[]);
    let first = ok(crunch().arg("report").arg(&out).output().unwrap());
    let md = stdout(&first);
    assert_eq!(
        md,
        fs::read_to_string(out.join("report/report.md")).unwrap()
    );
    assert!(md.contains("ES99"), "{md}");
    assert!(md.contains("(baseline)"), "{md}");
    // The risk team's names, and the horizon they are taken over.
    assert!(md.contains("| VaR95 (p95) | EVaR99 (p99) | ES99 |"), "{md}");
    assert!(
        md.contains("| LaR95 |") && md.contains("| borrow usage |"),
        "{md}"
    );
    assert!(md.contains("24 paths, horizon 365 steps"), "{md}");
    let csv = fs::read_to_string(out.join("report/report.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let header = csv.lines().next().unwrap();
    for column in [
        "bad_debt_p95",
        "bad_debt_p99",
        "lar95",
        "dust_bad_debt_mean",
        "blocked_mean",
        "time_to_liquidate_mean",
        "borrowing_power",
        "borrow_usage",
    ] {
        assert!(header.split(',').any(|c| c == column), "{column}: {header}");
    }
    // Results of this crunch have every column: borrowing power and usage are known.
    let k = header.split(',').position(|c| c == "borrow_usage").unwrap();
    for line in csv.lines().skip(1) {
        let usage: f64 = line.split(',').nth(k).unwrap().parse().unwrap();
        assert!(usage > 0.0 && usage.is_finite(), "{line}");
    }

    let again = crunch().arg("report").arg(&out).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    ok(crunch()
        .arg("report")
        .arg(&out)
        .arg("--force")
        .output()
        .unwrap());

    // Another baseline and another output directory.
    let other = tmp.path().join("elsewhere");
    let by = ok(crunch()
        .arg("report")
        .arg(&out)
        .args(["--baseline", "conservative", "--out"])
        .arg(&other)
        .output()
        .unwrap());
    let md = stdout(&by);
    let row = md
        .lines()
        .find(|l| l.contains("| quickstart | conservative |"))
        .unwrap();
    assert!(row.contains("(baseline)"), "{row}");
    assert!(other.join("report.parquet").is_file());

    let bad = crunch()
        .arg("report")
        .arg(&out)
        .args(["--baseline", "nope"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("`nope`") && err.contains("aave-like, conservative"),
        "{err}"
    );
}

#[test]
fn plot_and_report_on_a_batch_and_a_historical_run() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch");
    quickstart(&batch.join("quickstart"), &[]);
    ok(crunch()
        .arg("run")
        .arg(repo().join("scenarios/btc-2018-crash.toml"))
        .args(["--quiet", "--out"])
        .arg(batch.join("btc"))
        .output()
        .unwrap());

    let report = ok(crunch().arg("report").arg(&batch).output().unwrap());
    let md = stdout(&report);
    assert!(
        md.contains("| btc | btc-2018-crash | aave-like | 1 |"),
        "{md}"
    );
    assert!(
        md.contains("| quickstart | quickstart | conservative | 24 |"),
        "{md}"
    );
    assert!(md.contains("one path: no CI"), "{md}");

    let charts = tmp.path().join("charts");
    let plot = ok(crunch()
        .arg("plot")
        .arg(&batch)
        .args(["--step", "200", "--out"])
        .arg(&charts)
        .output()
        .unwrap());
    let text = stdout(&plot);
    for stem in [
        "bad-debt-cdf-btc",
        "bad-debt-cdf-quickstart",
        "timeseries-btc",
        "timeseries-quickstart",
        "health-quickstart",
        "frontier",
    ] {
        assert!(
            is_png(&charts.join(format!("{stem}.png"))),
            "{stem}: {text}"
        );
    }
    // --step marks the time charts.
    let ts = fs::read_to_string(charts.join("timeseries-quickstart.svg")).unwrap();
    assert!(ts.contains("step 200"), "the step is marked");
    // The 2018 replay has no health snapshot.
    assert!(
        text.contains("skipped health-factor distribution (btc): no health.parquet"),
        "{text}"
    );

    let missing = crunch()
        .arg("plot")
        .arg(tmp.path().join("nothing"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no results"));
}
