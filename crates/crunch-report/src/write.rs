//! Writing a report as Markdown, CSV and Parquet, atomically.

use crate::error::ReportError;
use crate::format::{percent, usd};
use crate::report::{Report, ReportRow};
use polars::prelude::*;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files a report was written to.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    /// `report.md`.
    pub markdown: PathBuf,
    /// `report.csv`.
    pub csv: PathBuf,
    /// `report.parquet`.
    pub parquet: PathBuf,
}

/// Column names of the CSV and Parquet files, in order.
const COLUMNS: [&str; 27] = [
    "run",
    "scenario",
    "policy",
    "paths",
    "bad_debt_mean",
    "bad_debt_median",
    "bad_debt_p95",
    "bad_debt_p99",
    "bad_debt_es99",
    "p_bad_debt",
    "liquidations_mean",
    "repaid_debt_mean",
    "lar95",
    "liquidation_penalty_mean",
    "slippage_cost_mean",
    "dust_bad_debt_mean",
    "blocked_mean",
    "time_to_liquidate_mean",
    "capital_efficiency",
    "borrowing_capacity",
    "borrowing_power",
    "borrow_usage",
    "baseline",
    "diff_bad_debt_mean",
    "diff_ci_low",
    "diff_ci_high",
    "seed",
];

impl Report {
    /// The seed of a run (from its metadata), or an empty string.
    fn seed_of(&self, run: &str) -> String {
        self.runs
            .iter()
            .find(|r| r.label == run)
            .and_then(|r| r.meta.seed.clone())
            .unwrap_or_default()
    }

    /// The report as a Markdown document: a short header and one table.
    pub fn markdown(&self) -> String {
        let batch = self.runs.len() > 1;
        let mut out = String::from("# crunch report\n\n");
        for run in &self.runs {
            out.push_str(&format!(
                "- run `{}`: scenario `{}`, seed {}, {} paths, horizon {} steps\n",
                run.label,
                run.meta.scenario_name.as_deref().unwrap_or("?"),
                run.meta.seed.as_deref().unwrap_or("?"),
                run.meta.paths.as_deref().unwrap_or("?"),
                run.meta.steps.as_deref().unwrap_or("?"),
            ));
        }
        out.push_str(
            "\nBad debt and money columns in USD, means per path over the run's horizon \
             (its steps). Quantiles interpolate linearly between order statistics (type \
             7): VaR95 and EVaR99 are the 95th and 99th percentiles of bad debt; ES99 is \
             the mean of the worst ⌈n/100⌉ paths; LaR95, liquidations at risk, is the 95th \
             percentile of the collateral value seized by liquidations. Dust bad debt is \
             owed by accounts gas kept from liquidation; blocked counts the liquidatable \
             account-steps left unliquidated (liquidity, capacity, outage, gas); time to \
             liq. is the mean steps from liquidatable to liquidated, over paths with a \
             liquidation. Cap. eff. is initial debt / initial collateral value (the \
             book's, the same under every policy); borrowing cap. is the share of \
             collateral value the policy lends against (Σ c·p·ltv / Σ c·p at step 0); \
             borrowing power is Σ c·p·ltv at step 0 and borrow usage initial debt / \
             borrowing power. n/a: not in results of an older crunch. Δ is the paired \
             difference of bad debt against the baseline on the same paths, mean [95 % CI \
             = mean ± 1.96·sd/√n].\n\n",
        );
        let mut header = vec![];
        if batch {
            header.push("run");
        }
        header.extend([
            "scenario",
            "policy",
            "paths",
            "mean bad debt",
            "median",
            "VaR95 (p95)",
            "EVaR99 (p99)",
            "ES99",
            "P(bad debt > 0)",
            "liquidations",
            "liquidated debt",
            "LaR95",
            "penalty",
            "slippage",
            "dust bad debt",
            "blocked",
            "time to liq.",
            "cap. eff.",
            "borrowing cap.",
            "borrowing power",
            "borrow usage",
            "baseline",
            "Δ mean bad debt [95 % CI]",
        ]);
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        let align: Vec<&str> = header
            .iter()
            .map(|h| match *h {
                "run" | "scenario" | "policy" | "baseline" => "---",
                _ => "---:",
            })
            .collect();
        out.push_str(&format!("|{}|\n", align.join("|")));
        for r in &self.rows {
            let mut cells = vec![];
            if batch {
                cells.push(r.run.clone());
            }
            cells.extend([
                r.scenario.clone(),
                r.policy.clone(),
                r.paths.to_string(),
                usd(r.bad_debt_mean),
                usd(r.bad_debt_median),
                usd(r.bad_debt_p95),
                usd(r.bad_debt_p99),
                usd(r.bad_debt_es99),
                percent(r.p_bad_debt),
                format!("{:.1}", r.liquidations_mean),
                usd(r.repaid_debt_mean),
                usd(r.lar95),
                usd(r.liquidation_penalty_mean),
                usd(r.slippage_cost_mean),
                r.dust_bad_debt_mean.map_or("n/a".into(), usd),
                r.blocked_mean.map_or("n/a".into(), |x| format!("{x:.1}")),
                r.time_to_liquidate_mean
                    .map_or("n/a".into(), |x| format!("{x:.1}")),
                r.capital_efficiency.map_or("n/a".into(), percent),
                r.borrowing_capacity.map_or("n/a".into(), percent),
                r.borrowing_power.map_or("n/a".into(), usd),
                r.borrow_usage.map_or("n/a".into(), percent),
                r.baseline.clone(),
                diff_cell(r),
            ]);
            let cells: Vec<String> = cells.into_iter().map(|c| c.replace('|', "\\|")).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out
    }

    /// The report as CSV (columns as in [`Report::dataframe`], full precision).
    pub fn csv(&self) -> String {
        let mut out = COLUMNS.join(",");
        out.push('\n');
        for r in &self.rows {
            let f = |x: f64| {
                if x.is_finite() {
                    format!("{x}")
                } else {
                    String::new()
                }
            };
            let o = |x: Option<f64>| x.map(f).unwrap_or_default();
            let fields = [
                csv_field(&r.run),
                csv_field(&r.scenario),
                csv_field(&r.policy),
                r.paths.to_string(),
                f(r.bad_debt_mean),
                f(r.bad_debt_median),
                f(r.bad_debt_p95),
                f(r.bad_debt_p99),
                f(r.bad_debt_es99),
                f(r.p_bad_debt),
                f(r.liquidations_mean),
                f(r.repaid_debt_mean),
                f(r.lar95),
                f(r.liquidation_penalty_mean),
                f(r.slippage_cost_mean),
                o(r.dust_bad_debt_mean),
                o(r.blocked_mean),
                o(r.time_to_liquidate_mean),
                o(r.capital_efficiency),
                o(r.borrowing_capacity),
                o(r.borrowing_power),
                o(r.borrow_usage),
                csv_field(&r.baseline),
                f(r.diff_bad_debt_mean),
                o(r.diff_ci_low),
                o(r.diff_ci_high),
                csv_field(&self.seed_of(&r.run)),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        }
        out
    }

    /// The report as a polars DataFrame, one row per [`ReportRow`].
    pub fn dataframe(&self) -> PolarsResult<DataFrame> {
        let rows = &self.rows;
        let s = |f: fn(&ReportRow) -> String| rows.iter().map(f).collect::<Vec<_>>();
        let x = |f: fn(&ReportRow) -> f64| rows.iter().map(f).collect::<Vec<_>>();
        let o = |f: fn(&ReportRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<_>>();
        let seeds: Vec<String> = rows.iter().map(|r| self.seed_of(&r.run)).collect();
        df!(
            COLUMNS[0] => s(|r| r.run.clone()),
            COLUMNS[1] => s(|r| r.scenario.clone()),
            COLUMNS[2] => s(|r| r.policy.clone()),
            COLUMNS[3] => rows.iter().map(|r| r.paths).collect::<Vec<_>>(),
            COLUMNS[4] => x(|r| r.bad_debt_mean),
            COLUMNS[5] => x(|r| r.bad_debt_median),
            COLUMNS[6] => x(|r| r.bad_debt_p95),
            COLUMNS[7] => x(|r| r.bad_debt_p99),
            COLUMNS[8] => x(|r| r.bad_debt_es99),
            COLUMNS[9] => x(|r| r.p_bad_debt),
            COLUMNS[10] => x(|r| r.liquidations_mean),
            COLUMNS[11] => x(|r| r.repaid_debt_mean),
            COLUMNS[12] => x(|r| r.lar95),
            COLUMNS[13] => x(|r| r.liquidation_penalty_mean),
            COLUMNS[14] => x(|r| r.slippage_cost_mean),
            COLUMNS[15] => o(|r| r.dust_bad_debt_mean),
            COLUMNS[16] => o(|r| r.blocked_mean),
            COLUMNS[17] => o(|r| r.time_to_liquidate_mean),
            COLUMNS[18] => o(|r| r.capital_efficiency),
            COLUMNS[19] => o(|r| r.borrowing_capacity),
            COLUMNS[20] => o(|r| r.borrowing_power),
            COLUMNS[21] => o(|r| r.borrow_usage),
            COLUMNS[22] => s(|r| r.baseline.clone()),
            COLUMNS[23] => x(|r| r.diff_bad_debt_mean),
            COLUMNS[24] => o(|r| r.diff_ci_low),
            COLUMNS[25] => o(|r| r.diff_ci_high),
            COLUMNS[26] => seeds,
        )
    }
}

fn diff_cell(r: &ReportRow) -> String {
    if r.policy == r.baseline {
        return "(baseline)".into();
    }
    match (r.diff_ci_low, r.diff_ci_high) {
        (Some(lo), Some(hi)) => format!("{} [{}, {}]", usd(r.diff_bad_debt_mean), usd(lo), usd(hi)),
        _ => format!("{} (one path: no CI)", usd(r.diff_bad_debt_mean)),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut fs::File) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp).map_err(ReportError::fs(&tmp, "create"))?;
        write(&mut file)?;
        file.sync_all().map_err(ReportError::fs(&tmp, "write"))?;
        drop(file);
        fs::rename(&tmp, path).map_err(ReportError::fs(path, "move into place"))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Refuses when any of `files` exists and `force` is not set.
pub(crate) fn check_free(files: &[&Path], force: bool) -> Result<(), ReportError> {
    if force {
        return Ok(());
    }
    match files.iter().find(|f| f.exists()) {
        Some(f) => Err(ReportError::Exists {
            path: f.to_path_buf(),
        }),
        None => Ok(()),
    }
}

/// Writes `report.md`, `report.csv` and `report.parquet` into `dir` (created if missing).
/// Each file is written under a temporary name and renamed into place. Existing files are
/// refused unless `force`.
pub fn write_report(report: &Report, dir: &Path, force: bool) -> Result<ReportFiles, ReportError> {
    let files = ReportFiles {
        markdown: dir.join("report.md"),
        csv: dir.join("report.csv"),
        parquet: dir.join("report.parquet"),
    };
    check_free(&[&files.markdown, &files.csv, &files.parquet], force)?;
    fs::create_dir_all(dir).map_err(ReportError::fs(dir, "create"))?;
    let mut df = report
        .dataframe()
        .map_err(ReportError::polars(&files.parquet))?;
    let mut metadata = vec![(
        "crunch.report".to_owned(),
        "summary statistics per (run, scenario, policy)".to_owned(),
    )];
    if let [run] = report.runs.as_slice() {
        let m = &run.meta;
        for (k, v) in [
            ("crunch.scenario_name", &m.scenario_name),
            ("crunch.seed", &m.seed),
            ("crunch.paths", &m.paths),
        ] {
            if let Some(v) = v {
                metadata.push((k.to_owned(), v.clone()));
            }
        }
    }
    write_atomic(&files.parquet, |f| {
        ParquetWriter::new(f)
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(metadata)))
            .finish(&mut df)
            .map(|_| ())
            .map_err(ReportError::polars(&files.parquet))
    })?;
    let csv = report.csv();
    write_atomic(&files.csv, |f| {
        f.write_all(csv.as_bytes())
            .map_err(ReportError::fs(&files.csv, "write"))
    })?;
    let md = report.markdown();
    write_atomic(&files.markdown, |f| {
        f.write_all(md.as_bytes())
            .map_err(ReportError::fs(&files.markdown, "write"))
    })?;
    Ok(files)
}
