//! Report figures against values computed here, in plain Rust, from the same data the
//! Parquet fixture was written from (read back through a second, independent path: the
//! raw vectors, not the report code).

mod common;

use common::*;
use crunch_report::{ReportError, Z95, build_report, write_report};
use polars::prelude::{DataFrame, LazyFrame, PlRefPath, ScanArgsParquet, df};

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
    // LaR95: the fixture seizes repaid + penalty on each path.
    let seized: Vec<f64> = p
        .repaid
        .iter()
        .zip(&p.penalty)
        .map(|(r, q)| r + q)
        .collect();
    assert!(
        close(row.lar95, quantile7(&seized, 0.95)),
        "{} lar95",
        row.policy
    );
    // Frictions.
    let dust: Vec<f64> = (0..n).map(|i| p.dust(i)).collect();
    assert!(close(row.dust_bad_debt_mean.unwrap(), mean(&dust)));
    let blocked: Vec<f64> = (0..n)
        .map(|i| p.blocked(i).iter().sum::<i64>() as f64)
        .collect();
    assert!(close(row.blocked_mean.unwrap(), mean(&blocked)));
    let ttl: Vec<f64> = (0..n).filter_map(|i| p.time_to_liquidate(i)).collect();
    match row.time_to_liquidate_mean {
        Some(t) => assert!(close(t, mean(&ttl)), "{} time to liquidate", row.policy),
        None => assert!(ttl.is_empty()),
    }
    assert!(close(row.capital_efficiency.unwrap(), 0.48));
    // The policy's own borrowing capacity, as the fixture wrote it on every path.
    assert!(
        close(row.borrowing_capacity.unwrap(), p.borrowing_capacity),
        "{} borrowing capacity",
        row.policy
    );
    // Borrowing power 1e8 · capacity, initial debt 4.8e7 on every path.
    let power = 1.0e8 * p.borrowing_capacity;
    assert!(close(row.borrowing_power.unwrap(), power));
    assert!(close(row.borrow_usage.unwrap(), 4.8e7 / power));
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
        lines[0].contains(
            ",repaid_debt_mean,lar95,liquidation_penalty_mean,slippage_cost_mean,\
             dust_bad_debt_mean,blocked_mean,time_to_liquidate_mean,capital_efficiency,\
             borrowing_capacity,borrowing_power,borrow_usage,baseline,"
        ),
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
        // CSV column 19 (0-based), Markdown as a percentage.
        let fields: Vec<&str> = lines[k + 1].split(',').collect();
        assert!(close(fields[19].parse().unwrap(), p.borrowing_capacity));
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
        assert_eq!(row.borrowing_power, None);
        assert_eq!(row.borrow_usage, None);
        check_policy_without_capacity(row, p);
    }
    assert!(
        report
            .csv()
            .lines()
            .nth(1)
            .unwrap()
            .contains(",0.48,,,,aave-like,")
    );
}

/// The figures that do not depend on the borrowing capacity.
fn check_policy_without_capacity(row: &crunch_report::ReportRow, p: &PolicyData) {
    assert!(close(row.bad_debt_mean, mean(&p.bad_debt)));
    assert!(close(row.bad_debt_p99, quantile7(&p.bad_debt, 0.99)));
    assert!(close(row.capital_efficiency.unwrap(), 0.48));
}

/// The field of `column` in CSV line `line` (no quoted fields in these fixtures).
fn csv_value<'a>(csv: &'a str, line: usize, column: &str) -> &'a str {
    let lines: Vec<&str> = csv.lines().collect();
    let k = lines[0]
        .split(',')
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    lines[line].split(',').nth(k).unwrap()
}

/// 20 paths, two policies, every value chosen so that the risk metrics can be worked out
/// by hand.
///
/// `lend`: bad debt 0 on 12 paths and 100, 200, …, 600, 10,000, 20,000 on the others,
/// scattered over the paths; seized collateral 1,000 · i on path i, except 90,000 on
/// path 3 and 50,000 on path 10; initial debt 6M against a borrowing power of 8M.
/// `idle`: nothing happens, and its borrowing power is 0.
fn hand_computed_summary() -> DataFrame {
    let n = 20;
    let lend_bad = [
        0.0, 500.0, 0.0, 20_000.0, 0.0, 100.0, 0.0, 0.0, 300.0, 0.0, 10_000.0, 0.0, 600.0, 0.0,
        200.0, 0.0, 0.0, 400.0, 0.0, 0.0,
    ];
    let lend_seized: Vec<f64> = (0..n)
        .map(|i| match i {
            3 => 90_000.0,
            10 => 50_000.0,
            _ => 1_000.0 * i as f64,
        })
        .collect();
    let mut policy = vec![];
    let mut path = vec![];
    let (mut bad, mut seized, mut power, mut dust) = (vec![], vec![], vec![], vec![]);
    let mut blocked: [Vec<i64>; 4] = Default::default();
    let mut ttl: Vec<Option<f64>> = vec![];
    for (name, k) in [("lend", 0), ("idle", 1)] {
        for i in 0..n {
            policy.push(name.to_owned());
            path.push(i as i64);
            let lend = k == 0;
            bad.push(if lend { lend_bad[i] } else { 0.0 });
            seized.push(if lend { lend_seized[i] } else { 0.0 });
            power.push(if lend { 8.0e6 } else { 0.0 });
            dust.push(match (lend, i) {
                (true, 3) => 2_000.0,
                (true, 10) => 1_000.0,
                _ => 0.0,
            });
            let b = match (lend, i) {
                (true, 3) => [2, 1, 3, 4],
                (true, 10) => [0, 5, 0, 0],
                _ => [0; 4],
            };
            for (kind, v) in blocked.iter_mut().zip(b) {
                kind.push(v);
            }
            ttl.push(match (lend, i) {
                (true, 0) => Some(1.5),
                (true, 3) => Some(2.0),
                (true, 10) => Some(5.0),
                _ => None,
            });
        }
    }
    let rows = 2 * n;
    let [b_liquidity, b_capacity, b_outage, b_gas] = blocked;
    df!(
        "scenario" => vec!["hand"; rows], "policy" => policy, "path" => path,
        "bad_debt" => bad, "insolvent_accounts" => vec![0i64; rows],
        "liquidations" => vec![1i64; rows], "liquidated_accounts" => vec![1i64; rows],
        "repaid_debt" => seized.iter().map(|s| s / 1.05).collect::<Vec<_>>(),
        "seized_collateral" => seized.clone(),
        "liquidation_penalty" => seized.iter().map(|s| s - s / 1.05).collect::<Vec<_>>(),
        "slippage_cost" => vec![0.0; rows], "initial_debt" => vec![6.0e6; rows],
        "initial_collateral" => vec![1.0e7; rows], "capital_efficiency" => vec![0.6; rows],
        "first_bad_debt_step" => vec![None::<i64>; rows], "min_health" => vec![Some(0.9); rows],
        "initial_borrowing_power" => power, "borrowing_capacity" => vec![0.8; rows],
        "liquidator_profit" => vec![0.0; rows], "oracle_gap" => vec![0.0; rows],
        "blocked_liquidity" => b_liquidity, "blocked_capacity" => b_capacity,
        "blocked_outage" => b_outage, "blocked_gas" => b_gas, "dust_bad_debt" => dust,
        "mean_time_to_liquidate" => ttl,
    )
    .unwrap()
}

#[test]
fn risk_metrics_match_hand_computed_values() {
    let tmp = tempfile::tempdir().unwrap();
    let mut df = hand_computed_summary();
    write(
        &mut df,
        &tmp.path().join("summary.parquet"),
        metadata("hand", 3, 20),
    );
    let report = build_report(tmp.path(), None).unwrap();
    let [lend, idle] = &report.rows[..] else {
        panic!("two rows: {:?}", report.rows);
    };

    // Type 7 with n = 20 sorted bad debts, x(18) = 10,000 and x(19) = 20,000:
    // VaR95: h = 19 · 0.95 = 18.05, 10,000 + 0.05 · 10,000 = 10,500.
    // EVaR99: h = 19 · 0.99 = 18.81, 10,000 + 0.81 · 10,000 = 18,100.
    assert!(close(lend.bad_debt_p95, 10_500.0), "{}", lend.bad_debt_p95);
    assert!(close(lend.bad_debt_p99, 18_100.0), "{}", lend.bad_debt_p99);
    // ES99: the ⌈20/100⌉ = 1 worst path; the mean is 32,100 / 20.
    assert!(close(lend.bad_debt_es99, 20_000.0));
    assert!(close(lend.bad_debt_mean, 1_605.0));
    assert!(close(lend.p_bad_debt, 0.4));
    // LaR95: sorted seized values end 18,000, 19,000, 50,000, 90,000: x(18) = 50,000,
    // x(19) = 90,000, 50,000 + 0.05 · 40,000 = 52,000.
    assert!(close(lend.lar95, 52_000.0), "{}", lend.lar95);
    // Borrowing power 8M, usage 6M / 8M.
    assert_eq!(lend.borrowing_power, Some(8.0e6));
    assert!(close(lend.borrow_usage.unwrap(), 0.75));
    // Frictions: dust (2,000 + 1,000) / 20; blocked (10 + 5) / 20; time to liquidate over
    // the three paths that have one, (1.5 + 2 + 5) / 3.
    assert!(close(lend.dust_bad_debt_mean.unwrap(), 150.0));
    assert!(close(lend.blocked_mean.unwrap(), 0.75));
    assert!(close(lend.time_to_liquidate_mean.unwrap(), 8.5 / 3.0));

    // No power: usage is unknown, not infinite; no path liquidated: no time.
    assert_eq!(idle.borrowing_power, Some(0.0));
    assert_eq!(idle.borrow_usage, None);
    assert_eq!(idle.time_to_liquidate_mean, None);
    assert_eq!(idle.blocked_mean, Some(0.0));
    assert_eq!(idle.lar95, 0.0);
    assert_eq!(idle.bad_debt_p95, 0.0);

    // The tables: Markdown with the industry names, CSV at full precision.
    let md = report.markdown();
    assert!(md.contains("| VaR95 (p95) | EVaR99 (p99) | ES99 |"), "{md}");
    assert!(
        md.contains("| LaR95 |") && md.contains("| borrow usage |"),
        "{md}"
    );
    assert!(md.contains("20 paths, horizon 30 steps"), "{md}");
    let row = md
        .lines()
        .find(|l| l.starts_with("| hand | lend |"))
        .unwrap();
    for cell in [
        "| 10,500 | 18,100 | 20,000 |",
        "| 52,000 |",
        "| 150 | 0.8 | 2.8 |",
        "| 8,000,000 | 75.00 % |",
    ] {
        assert!(row.contains(cell), "{row} lacks {cell}");
    }
    let row = md
        .lines()
        .find(|l| l.starts_with("| hand | idle |"))
        .unwrap();
    assert!(
        row.contains("| 0 | 0.0 | n/a | 60.00 % | 80.00 % | 0 | n/a |"),
        "{row}"
    );
    let csv = report.csv();
    let number = |line, column| csv_value(&csv, line, column).parse::<f64>().unwrap();
    assert!(close(number(1, "bad_debt_p95"), 10_500.0));
    assert!(close(number(1, "bad_debt_p99"), 18_100.0));
    assert!(close(number(1, "lar95"), 52_000.0));
    assert_eq!(csv_value(&csv, 1, "borrowing_power"), "8000000");
    assert_eq!(csv_value(&csv, 1, "borrow_usage"), "0.75");
    assert_eq!(csv_value(&csv, 1, "blocked_mean"), "0.75");
    assert_eq!(csv_value(&csv, 2, "borrow_usage"), "");
    assert_eq!(csv_value(&csv, 2, "time_to_liquidate_mean"), "");
    // No second column for the same quantile.
    assert!(!csv.contains("var95") && !csv.contains("evar99"));
}

#[test]
fn results_without_the_newer_columns_report_them_as_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let new = policies(30, 4);
    let old = policies(40, 8);
    write_run(&tmp.path().join("a-new"), "new", 4, &new, None);
    let old_dir = tmp.path().join("b-old");
    write_run(&old_dir, "old", 8, &old, None);
    drop_columns(&old_dir, "old", 8, &NEWER_COLUMNS);

    // The old run alone.
    let report = build_report(&old_dir, None).unwrap();
    assert_eq!(report.rows.len(), 3);
    for (row, p) in report.rows.iter().zip(&old) {
        check_policy_without_capacity(row, p);
        // `seized_collateral` is a `lending-v1` column: LaR95 is always there.
        let seized: Vec<f64> = p
            .repaid
            .iter()
            .zip(&p.penalty)
            .map(|(r, q)| r + q)
            .collect();
        assert!(close(row.lar95, quantile7(&seized, 0.95)));
        assert_eq!(row.borrowing_capacity, None);
        assert_eq!(row.borrowing_power, None);
        assert_eq!(row.borrow_usage, None);
        assert_eq!(row.dust_bad_debt_mean, None);
        assert_eq!(row.blocked_mean, None);
        assert_eq!(row.time_to_liquidate_mean, None);
    }
    let csv = report.csv();
    for column in [
        "dust_bad_debt_mean",
        "blocked_mean",
        "time_to_liquidate_mean",
        "borrowing_capacity",
        "borrowing_power",
        "borrow_usage",
    ] {
        assert_eq!(csv_value(&csv, 1, column), "", "{column}");
    }
    let md = report.markdown();
    let row = md
        .lines()
        .find(|l| l.starts_with("| old | aave-like |"))
        .unwrap();
    assert_eq!(row.matches("| n/a ").count(), 6, "{row}");
    // The written Parquet file holds nulls there.
    let files = write_report(&report, &tmp.path().join("report-old"), false).unwrap();
    let df = LazyFrame::scan_parquet(
        PlRefPath::try_from_path(&files.parquet).unwrap(),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    for column in ["blocked_mean", "borrow_usage", "time_to_liquidate_mean"] {
        assert_eq!(df.column(column).unwrap().null_count(), 3, "{column}");
    }

    // A batch of a new and an old run: each keeps its own figures.
    let report = build_report(tmp.path(), None).unwrap();
    assert_eq!(report.rows.len(), 6);
    for (row, p) in report.rows[..3].iter().zip(&new) {
        assert_eq!(row.run, "a-new");
        check_policy(row, p, &new[0]);
    }
    for row in &report.rows[3..] {
        assert_eq!(row.run, "b-old");
        assert_eq!(row.blocked_mean, None);
        assert_eq!(row.borrowing_power, None);
    }
}
