//! Report figures against values computed here, in plain Rust, from the same data the
//! Parquet fixture was written from (read back through a second, independent path: the
//! raw vectors, not the report code).

mod common;

use common::*;
use crunch_report::{ReportError, Z95, build_report, write_report};
use polars::prelude::{LazyFrame, PlRefPath, ScanArgsParquet};

fn check_policy(row: &crunch_report::ReportRow, p: &PolicyData, base: &PolicyData) {
    let n = p.bad_debt.len();
    let x = &p.bad_debt;
    assert_eq!(row.paths as usize, n);
    assert!(close(row.bad_debt_mean, mean(x)), "{} mean", row.policy);
    assert!(
        close(row.bad_debt_median, quantile7(x, 0.5)),
        "{} median",
        row.policy
    );
    assert!(
        close(row.bad_debt_p95, quantile7(x, 0.95)),
        "{} p95",
        row.policy
    );
    assert!(
        close(row.bad_debt_p99, quantile7(x, 0.99)),
        "{} p99",
        row.policy
    );
    assert!(
        close(row.bad_debt_es99, es99(x)),
        "{} es99 {} vs {}",
        row.policy,
        row.bad_debt_es99,
        es99(x)
    );
    let p_bad = x.iter().filter(|v| **v > 0.0).count() as f64 / n as f64;
    assert!(close(row.p_bad_debt, p_bad));
    let liq: Vec<f64> = p.liquidations.iter().map(|&l| l as f64).collect();
    assert!(close(row.liquidations_mean, mean(&liq)));
    assert!(close(row.repaid_debt_mean, mean(&p.repaid)));
    assert!(close(row.liquidation_penalty_mean, mean(&p.penalty)));
    assert!(close(row.slippage_cost_mean, mean(&p.slippage)));
    assert!(close(row.capital_efficiency.unwrap(), 0.48));
    // The policy's own borrowing capacity, as the fixture wrote it on every path.
    assert!(
        close(row.borrowing_capacity.unwrap(), p.borrowing_capacity),
        "{} borrowing capacity",
        row.policy
    );
    // Paired difference against the baseline on the same paths.
    let d: Vec<f64> = x.iter().zip(&base.bad_debt).map(|(a, b)| a - b).collect();
    let (m, s) = (mean(&d), sd(&d));
    let half = 1.96 * s / (n as f64).sqrt();
    assert!(close(row.diff_bad_debt_mean, m), "{} diff", row.policy);
    let lo = row.diff_ci_low.unwrap();
    let hi = row.diff_ci_high.unwrap();
    // 1.96 vs 1.959964: a relative gap of 2e-5 in the half-width.
    assert!(
        (lo - (m - half)).abs() <= 1e-4 * half.max(1.0),
        "{} ci low",
        row.policy
    );
    assert!(
        (hi - (m + half)).abs() <= 1e-4 * half.max(1.0),
        "{} ci high",
        row.policy
    );
    assert!(close(hi - lo, 2.0 * Z95 * s / (n as f64).sqrt()));
}

#[test]
fn figures_match_an_independent_computation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    // 250 paths: not a multiple of 100, so ES99 averages the ⌈2.5⌉ = 3 worst paths.
    let data = policies(250, 42);
    write_run(&dir, "fixture", 42, &data, None);
    let report = build_report(&dir, None).unwrap();
    assert_eq!(report.rows.len(), 3);
    let names: Vec<&str> = report.rows.iter().map(|r| r.policy.as_str()).collect();
    assert_eq!(names, ["aave-like", "conservative", "tight"], "file order");
    for (row, p) in report.rows.iter().zip(&data) {
        assert_eq!(row.baseline, "aave-like");
        assert_eq!(row.scenario, "fixture");
        assert_eq!(row.run, "run");
        check_policy(row, p, &data[0]);
    }
    // The baseline against itself: zero, with a zero-width interval.
    assert_eq!(report.rows[0].diff_bad_debt_mean, 0.0);
    assert_eq!(report.rows[0].diff_ci_low, Some(0.0));
}

#[test]
fn es99_counts_the_worst_ceil_n_over_100_paths() {
    let tmp = tempfile::tempdir().unwrap();
    for (n, k) in [(100usize, 1usize), (101, 2), (500, 5), (7, 1)] {
        let dir = tmp.path().join(format!("n{n}"));
        let mut data = policies(n, n as u64);
        // Bad debt 1..=n on the first policy: the worst k are n-k+1..=n.
        data[0].bad_debt = (1..=n).map(|v| v as f64).collect();
        write_run(&dir, "es", 1, &data, None);
        let report = build_report(&dir, None).unwrap();
        let expected = (n - k + 1..=n).map(|v| v as f64).sum::<f64>() / k as f64;
        assert!(
            close(report.rows[0].bad_debt_es99, expected),
            "n = {n}: {} vs {expected}",
            report.rows[0].bad_debt_es99
        );
    }
}

#[test]
fn chosen_baseline_and_batch_of_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let a = policies(120, 1);
    let b = policies(80, 2);
    write_run(&tmp.path().join("a-run"), "alpha", 1, &a, None);
    write_run(&tmp.path().join("b-run"), "beta", 2, &b, None);
    std::fs::create_dir_all(tmp.path().join("not-a-run")).unwrap();
    let report = build_report(tmp.path(), Some("conservative")).unwrap();
    assert_eq!(report.runs.len(), 2);
    assert_eq!(report.rows.len(), 6);
    for (rows, data, run) in [
        (&report.rows[..3], &a, "a-run"),
        (&report.rows[3..], &b, "b-run"),
    ] {
        for (row, p) in rows.iter().zip(data.iter()) {
            assert_eq!(row.run, run);
            assert_eq!(row.baseline, "conservative");
            check_policy(row, p, &data[1]);
        }
    }
    let err = build_report(tmp.path(), Some("nope")).unwrap_err();
    assert!(matches!(err, ReportError::UnknownBaseline { .. }), "{err}");
    assert!(
        err.to_string().contains("aave-like, conservative, tight"),
        "{err}"
    );
}

#[test]
fn one_path_has_no_interval() {
    let tmp = tempfile::tempdir().unwrap();
    let data = policies(1, 9);
    write_run(tmp.path(), "hist", 1, &data, None);
    let report = build_report(tmp.path(), None).unwrap();
    assert_eq!(report.rows[1].diff_ci_low, None);
    assert!(report.markdown().contains("one path: no CI"));
}

#[test]
fn written_files_agree_and_refuse_to_be_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let data = policies(300, 5);
    write_run(tmp.path(), "fixture", 5, &data, None);
    let report = build_report(tmp.path(), None).unwrap();
    let out = tmp.path().join("report");
    let files = write_report(&report, &out, false).unwrap();
    // Markdown: a header, the alignment row and one row per policy.
    let md = std::fs::read_to_string(&files.markdown).unwrap();
    assert_eq!(md, report.markdown());
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| fixture |")).count(),
        3
    );
    assert!(md.contains("(baseline)"));
    // CSV: full precision values.
    let csv = std::fs::read_to_string(&files.csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("run,scenario,policy,paths,bad_debt_mean,"));
    assert!(
        lines[0].contains(",capital_efficiency,borrowing_capacity,baseline,"),
        "{}",
        lines[0]
    );
    let fields: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(fields[2], "conservative");
    assert!(close(
        fields[7].parse().unwrap(),
        quantile7(&data[1].bad_debt, 0.99)
    ));
    assert_eq!(*fields.last().unwrap(), "5", "seed from the metadata");
    // Parquet: readable, same numbers, and the run's metadata.
    let df = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&files.parquet).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    assert_eq!(df.height(), 3);
    let es = df
        .column("bad_debt_es99")
        .unwrap()
        .f64()
        .unwrap()
        .get(2)
        .unwrap();
    assert!(close(es, es99(&data[2].bad_debt)));
    let capacity = df.column("borrowing_capacity").unwrap().f64().unwrap();
    for (k, p) in data.iter().enumerate() {
        assert!(close(capacity.get(k).unwrap(), p.borrowing_capacity));
        // CSV column 15 (0-based), Markdown as a percentage.
        let fields: Vec<&str> = lines[k + 1].split(',').collect();
        assert!(close(fields[15].parse().unwrap(), p.borrowing_capacity));
        let pct = format!("{:.2} %", 100.0 * p.borrowing_capacity);
        let start = format!("| fixture | {} |", p.name);
        let row = md.lines().find(|l| l.starts_with(&start)).unwrap();
        assert!(row.contains(&pct), "{row} lacks {pct}");
    }
    let kv = crunch_report::read_kv_metadata(&files.parquet).unwrap();
    assert_eq!(
        kv.get("crunch.scenario_name").map(String::as_str),
        Some("fixture")
    );
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    // Refused without force, accepted with it.
    let err = write_report(&report, &out, false).unwrap_err();
    assert!(matches!(err, ReportError::Exists { .. }), "{err}");
    write_report(&report, &out, true).unwrap();
}

#[test]
fn no_results_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = build_report(tmp.path(), None).unwrap_err();
    assert!(err.to_string().contains("no results"), "{err}");
}

#[test]
fn results_without_borrowing_capacity_report_it_as_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let data = policies(40, 8);
    write_run(tmp.path(), "old", 8, &data, None);
    drop_borrowing_columns(tmp.path(), "old", 8);
    let report = build_report(tmp.path(), None).unwrap();
    assert_eq!(report.rows.len(), 3);
    for (row, p) in report.rows.iter().zip(&data) {
        assert_eq!(row.borrowing_capacity, None);
        check_policy_without_capacity(row, p);
    }
    assert!(
        report
            .csv()
            .lines()
            .nth(1)
            .unwrap()
            .contains(",0.48,,aave-like,")
    );
}

/// The figures that do not depend on the borrowing capacity.
fn check_policy_without_capacity(row: &crunch_report::ReportRow, p: &PolicyData) {
    assert!(close(row.bad_debt_mean, mean(&p.bad_debt)));
    assert!(close(row.bad_debt_p99, quantile7(&p.bad_debt, 0.99)));
    assert!(close(row.capital_efficiency.unwrap(), 0.48));
}
