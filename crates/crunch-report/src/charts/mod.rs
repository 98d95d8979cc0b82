//! Charts: PNG and SVG with plotters and the bundled DejaVu Sans.

mod cdf;
pub(crate) mod data;
mod fan;
mod frontier;
mod health;
mod style;
mod timeseries;

use crate::discover::{RunDir, RunMeta, discover_runs};
use crate::error::ReportError;
use crate::report::build_report;
use crate::write::check_free;
use cdf::CdfChart;
use data::{
    CdfSeries, FanData, FrontierPoint, HealthData, TimeseriesData, load_cdf, load_fan, load_health,
    load_timeseries,
};
use fan::FanChart;
use frontier::FrontierChart;
use health::HealthChart;
use plotters::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use style::{e, register_fonts};
use timeseries::TimeseriesChart;

/// A chart written as PNG and SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// What it shows, e.g. "bad-debt distribution".
    pub chart: String,
    /// The PNG file.
    pub png: PathBuf,
    /// The SVG file.
    pub svg: PathBuf,
}

/// A chart that was not drawn, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// Which chart.
    pub chart: String,
    /// Why, and what data it needs.
    pub reason: String,
}

/// Options of [`plot`].
#[derive(Debug, Clone, Default)]
pub struct PlotOptions {
    /// Output directory [default: `RESULTS/charts`].
    pub out: Option<PathBuf>,
    /// A step to mark on the time charts.
    pub step: Option<u64>,
    /// A long-form paths file (`path, step, asset, price, …`) for the fan chart; by
    /// default `paths.parquet` in the run directory, if there is one.
    pub paths: Option<PathBuf>,
    /// Replace existing chart files.
    pub force: bool,
}

/// What [`plot`] drew and skipped.
#[derive(Debug, Clone, Default)]
pub struct PlotOutcome {
    /// The charts written.
    pub files: Vec<ChartFile>,
    /// The charts not drawn.
    pub skipped: Vec<Skipped>,
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn temp(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    dir.join(format!(".{stem}.tmp-{}.{ext}", std::process::id()))
}

/// Draws into temporary files and renames them into `dir/stem.{png,svg}`.
fn render_files(
    dir: &Path,
    stem: &str,
    chart: &str,
    png: impl FnOnce(&Path) -> Result<(), String>,
    svg: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<ChartFile, ReportError> {
    register_fonts();
    fs::create_dir_all(dir).map_err(ReportError::fs(dir, "create"))?;
    let file = ChartFile {
        chart: chart.to_owned(),
        png: dir.join(format!("{stem}.png")),
        svg: dir.join(format!("{stem}.svg")),
    };
    place(dir, stem, "png", &file.png, png)?;
    place(dir, stem, "svg", &file.svg, svg)?;
    Ok(file)
}

/// Runs `draw` on a temporary file and renames it to `target`; removes it on failure.
fn place(
    dir: &Path,
    stem: &str,
    ext: &str,
    target: &Path,
    draw: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), ReportError> {
    let tmp = temp(dir, stem, ext);
    let done = draw(&tmp)
        .map_err(|cause| ReportError::Draw {
            path: target.to_owned(),
            cause,
        })
        .and_then(|()| {
            fs::rename(&tmp, target).map_err(ReportError::fs(target, "move into place"))
        });
    if done.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    done
}

macro_rules! render {
    ($chart:expr, $dir:expr, $stem:expr, $name:expr) => {{
        let chart = &$chart;
        let size = chart.size();
        render_files(
            $dir,
            $stem,
            $name,
            |p| {
                let root = BitMapBackend::new(p, size).into_drawing_area();
                chart.draw(&root)?;
                root.present().map_err(e)
            },
            |p| {
                let root = SVGBackend::new(p, size).into_drawing_area();
                chart.draw(&root)?;
                root.present().map_err(e)
            },
        )
    }};
}

/// Renders the empirical CDF of bad debt per policy to `dir/stem.png` and `.svg`.
pub fn render_bad_debt_cdf(
    series: &[CdfSeries],
    scenario: &str,
    footnote: &str,
    dir: &Path,
    stem: &str,
) -> Result<ChartFile, ReportError> {
    let chart = CdfChart {
        series,
        scenario,
        footnote,
    };
    render!(chart, dir, stem, "bad-debt distribution")
}

/// Renders the efficiency–solvency frontier (borrowing capacity against p99 bad debt,
/// Pareto front drawn) to `dir/stem.png` and `.svg`.
pub fn render_frontier(
    points: &[FrontierPoint],
    subtitle: &str,
    footnote: &str,
    dir: &Path,
    stem: &str,
) -> Result<ChartFile, ReportError> {
    let chart = FrontierChart {
        points,
        subtitle,
        footnote,
    };
    render!(chart, dir, stem, "efficiency–solvency frontier")
}

/// Renders liquidation volume and outstanding debt per step and policy.
pub fn render_timeseries(
    data: &TimeseriesData,
    scenario: &str,
    footnote: &str,
    step: Option<u64>,
    dir: &Path,
    stem: &str,
) -> Result<ChartFile, ReportError> {
    let chart = TimeseriesChart {
        data,
        scenario,
        footnote,
        step: step.map(|s| s as i64),
    };
    render!(chart, dir, stem, "liquidations and debt over time")
}

/// Renders the fan chart of generated price paths.
pub fn render_fan(
    data: &FanData,
    scenario: &str,
    footnote: &str,
    step: Option<u64>,
    dir: &Path,
    stem: &str,
) -> Result<ChartFile, ReportError> {
    let chart = FanChart {
        data,
        scenario,
        footnote,
        step: step.map(|s| s as i64),
    };
    render!(chart, dir, stem, "price-path fan chart")
}

/// Renders the distribution of health factors at the snapshot step of `data` per policy
/// (empirical CDF, liquidation line `H = 1`) to `dir/stem.png` and `.svg`.
pub fn render_health(
    data: &HealthData,
    scenario: &str,
    footnote: &str,
    dir: &Path,
    stem: &str,
) -> Result<ChartFile, ReportError> {
    let chart = HealthChart {
        data,
        scenario,
        footnote,
    };
    render!(chart, dir, stem, "health-factor distribution")
}

fn scenario_of(run: &RunDir) -> String {
    run.meta
        .scenario_name
        .clone()
        .unwrap_or_else(|| run.label.clone())
}

/// Renders the standard charts of `results` (a run directory or a directory of them)
/// into `options.out` (default `results/charts`).
///
/// Per run: the bad-debt distribution (`bad-debt-cdf`), liquidations and debt over time
/// (`timeseries`, with `timeseries.parquet`), the price fan chart (`price-fan`, with a
/// paths file) and the health-factor distribution (`health`, with `health.parquet`);
/// once: the efficiency–solvency frontier (`frontier`). In a batch the per-run charts get
/// the run's name as a suffix. Charts whose data are missing are listed in
/// [`PlotOutcome::skipped`] with the reason.
pub fn plot(results: &Path, options: &PlotOptions) -> Result<PlotOutcome, ReportError> {
    let runs = discover_runs(results)?;
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| results.join("charts"));
    let batch = runs.len() > 1;
    let suffix = |run: &RunDir| {
        if batch {
            format!("-{}", sanitize(&run.label))
        } else {
            String::new()
        }
    };

    // Plan the file names first, so that nothing is drawn when one would be refused.
    let mut stems = vec!["frontier".to_owned()];
    for run in &runs {
        let s = suffix(run);
        stems.push(format!("bad-debt-cdf{s}"));
        stems.push(format!("timeseries{s}"));
        stems.push(format!("price-fan{s}"));
        stems.push(format!("health{s}"));
    }
    let targets: Vec<PathBuf> = stems
        .iter()
        .flat_map(|s| [out.join(format!("{s}.png")), out.join(format!("{s}.svg"))])
        .collect();
    let refs: Vec<&Path> = targets.iter().map(PathBuf::as_path).collect();
    check_free(&refs, options.force)?;

    let mut outcome = PlotOutcome::default();
    for run in &runs {
        let s = suffix(run);
        let scenario = scenario_of(run);
        let footnote = run.meta.footnote();
        let series = load_cdf(&run.file("summary.parquet"))?;
        outcome.files.push(render_bad_debt_cdf(
            &series,
            &scenario,
            &footnote,
            &out,
            &format!("bad-debt-cdf{s}"),
        )?);

        let ts = run.file("timeseries.parquet");
        if ts.is_file() {
            let data = load_timeseries(&ts)?;
            outcome.files.push(render_timeseries(
                &data,
                &scenario,
                &footnote,
                options.step,
                &out,
                &format!("timeseries{s}"),
            )?);
        } else {
            outcome.skipped.push(Skipped {
                chart: format!("liquidations and debt over time ({})", run.label),
                reason: "no timeseries.parquet: set `[output] timeseries = true` in the scenario"
                    .into(),
            });
        }

        let paths = match &options.paths {
            Some(p) if !batch => Some(p.clone()),
            _ => Some(run.file("paths.parquet")).filter(|p| p.is_file()),
        };
        match paths {
            Some(p) => {
                let data = load_fan(&p)?;
                let meta = RunMeta::read(&p)?;
                let foot = if meta.scenario_name.is_some() || meta.seed.is_some() {
                    meta.footnote()
                } else {
                    footnote.clone()
                };
                let foot = if data.constant.is_empty() {
                    foot
                } else {
                    format!(
                        "{foot}; constant price, not drawn: {}",
                        data.constant.join(", ")
                    )
                };
                outcome.files.push(render_fan(
                    &data,
                    meta.scenario_name.as_deref().unwrap_or(&scenario),
                    &foot,
                    options.step,
                    &out,
                    &format!("price-fan{s}"),
                )?);
            }
            None => outcome.skipped.push(Skipped {
                chart: format!("price-path fan chart ({})", run.label),
                reason: "no paths file: put the long-form generated paths (path, step, asset, \
                         price, …) in paths.parquet next to the results or pass --paths FILE"
                    .into(),
            }),
        }

        let health = run.file("health.parquet");
        if health.is_file() {
            let data = load_health(&health)?;
            outcome.files.push(render_health(
                &data,
                &scenario,
                &footnote,
                &out,
                &format!("health{s}"),
            )?);
        } else {
            outcome.skipped.push(Skipped {
                chart: format!("health-factor distribution ({})", run.label),
                reason: "no health.parquet: set `[output] health_step = N` in the scenario or \
                         run it with --health-step N"
                    .into(),
            });
        }
    }

    let report = build_report(results, None)?;
    let points: Vec<FrontierPoint> = report
        .rows
        .iter()
        .map(|r| FrontierPoint {
            label: if batch {
                format!("{} · {}", r.run, r.policy)
            } else {
                r.policy.clone()
            },
            borrowing_capacity: r.borrowing_capacity.unwrap_or(f64::NAN),
            p99_bad_debt: r.bad_debt_p99,
        })
        .collect();
    if !points.iter().any(|p| p.borrowing_capacity.is_finite()) {
        outcome.skipped.push(Skipped {
            chart: "efficiency–solvency frontier".into(),
            reason: "no borrowing_capacity in summary.parquet (results of an older crunch): \
                     run the scenario again"
                .into(),
        });
        return Ok(outcome);
    }
    let (subtitle, footnote) = if batch {
        let list: Vec<String> = runs.iter().map(|r| r.meta.footnote()).collect();
        (format!("{} runs", runs.len()), list.join("; "))
    } else {
        (scenario_of(&runs[0]), runs[0].meta.footnote())
    };
    outcome.files.push(render_frontier(
        &points, &subtitle, &footnote, &out, "frontier",
    )?);
    Ok(outcome)
}
