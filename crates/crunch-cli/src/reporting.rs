//! `crunch report`, `crunch plot` and `crunch run --report`: the command-line side of
//! the crunch-report crate.

use anyhow::{Context, Result};
use crunch_report::{PlotOptions, PlotOutcome, build_report, plot, write_report};
use std::path::{Path, PathBuf};

/// Options of `crunch report`.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Baseline policy of the paired differences [default: each scenario's first policy].
    pub baseline: Option<String>,
    /// Output directory [default: `RESULTS/report`].
    pub out: Option<PathBuf>,
    /// Replace existing report files.
    pub force: bool,
}

/// Builds the report of `results`, writes `report.md`, `report.csv` and `report.parquet`
/// and returns the Markdown (which `crunch report` prints) and the directory written.
pub fn report_results(results: &Path, options: &ReportOptions) -> Result<(String, PathBuf)> {
    let report = build_report(results, options.baseline.as_deref())
        .with_context(|| format!("building the report of {}", results.display()))?;
    let dir = options
        .out
        .clone()
        .unwrap_or_else(|| results.join("report"));
    write_report(&report, &dir, options.force)?;
    Ok((report.markdown(), dir))
}

/// Renders the standard charts of `results` and prints what was written and skipped to
/// stderr-friendly lines (returned, one per chart).
pub fn plot_results(results: &Path, options: &PlotOptions) -> Result<(PlotOutcome, Vec<String>)> {
    let outcome = plot(results, options)
        .with_context(|| format!("plotting the results in {}", results.display()))?;
    let mut lines = Vec::new();
    for f in &outcome.files {
        lines.push(format!(
            "{}: {} and {}",
            f.chart,
            f.png.display(),
            f.svg.display()
        ));
    }
    for s in &outcome.skipped {
        lines.push(format!("skipped {}: {}", s.chart, s.reason));
    }
    Ok((outcome, lines))
}

/// `crunch run --report`: the report and the standard charts of a finished run, next to
/// its results (`OUT/report/`, `OUT/charts/`). Returns the lines to print.
pub fn report_after_run(out: &Path) -> Result<Vec<String>> {
    let (markdown, dir) = report_results(out, &ReportOptions::default())?;
    let mut lines = vec![markdown, format!("report in {}", dir.display())];
    let (_, plotted) = plot_results(out, &PlotOptions::default())?;
    lines.extend(plotted);
    Ok(lines)
}
