//! Every chart type rendered to PNG and SVG into a temporary directory: the files must be
//! valid, of the planned size, and carry their text and drawing.

mod common;

use common::*;
use crunch_report::{
    CdfSeries, ChartFile, FrontierPoint, HealthData, HealthSeries, PlotOptions, load_fan,
    load_health, load_timeseries, plot, render_bad_debt_cdf, render_fan, render_frontier,
    render_health, render_timeseries,
};
use std::path::Path;

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(file: &Path) -> (u32, u32) {
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: PNG signature",
        file.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR", "{}: IHDR first", file.display());
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

/// Share of pixels that are not white.
fn ink(file: &Path) -> f64 {
    let img = image::open(file).unwrap().to_rgb8();
    let inked = img.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    inked as f64 / (img.width() * img.height()) as f64
}

fn check(file: &ChartFile, texts: &[&str]) {
    let (w, h) = png_size(&file.png);
    assert!(
        (800..=2000).contains(&w) && (500..=3000).contains(&h),
        "{}: {w} x {h}",
        file.png.display()
    );
    let size = std::fs::metadata(&file.png).unwrap().len();
    assert!(size > 20_000, "{}: only {size} bytes", file.png.display());
    let ink = ink(&file.png);
    assert!(
        (0.02..0.8).contains(&ink),
        "{}: {:.1} % of pixels drawn",
        file.png.display(),
        100.0 * ink
    );
    let svg = std::fs::read_to_string(&file.svg).unwrap();
    assert!(
        svg.trim_start().starts_with("<svg") || svg.contains("<svg "),
        "{}",
        file.svg.display()
    );
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "{}: closed",
        file.svg.display()
    );
    assert!(
        svg.matches("<text").count() >= 10,
        "{}: text elements",
        file.svg.display()
    );
    assert_eq!(
        svg.matches('<').count(),
        svg.matches('>').count(),
        "{}: balanced tags",
        file.svg.display()
    );
    assert!(
        svg.contains(&format!("width=\"{w}\"")),
        "{}: same size as the PNG",
        file.svg.display()
    );
    for t in texts {
        let escaped = t
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            svg.contains(&escaped),
            "{}: missing text {t:?}",
            file.svg.display()
        );
    }
}

fn cdf_series(spread: f64) -> Vec<CdfSeries> {
    let data = policies(400, 3);
    data.into_iter()
        .map(|p| CdfSeries {
            policy: p.name,
            values: p.bad_debt.iter().map(|x| x * spread).collect(),
        })
        .collect()
}

#[test]
fn bad_debt_cdf_log_linear_and_all_zero() {
    let tmp = tempfile::tempdir().unwrap();
    // Heavy tail over several decades: log axis.
    let f = render_bad_debt_cdf(
        &cdf_series(1.0),
        "fixture",
        "scenario fixture, seed 3",
        tmp.path(),
        "log",
    )
    .unwrap();
    check(
        &f,
        &[
            "Bad debt per path — fixture",
            "log scale",
            "scenario fixture, seed 3",
            "aave-like",
            "99 % of paths",
        ],
    );
    // Narrow range: linear axis.
    let narrow: Vec<CdfSeries> = (0..2)
        .map(|k| CdfSeries {
            policy: format!("p{k}"),
            values: (0..50)
                .map(|i| 1000.0 + 10.0 * i as f64 + 100.0 * k as f64)
                .collect(),
        })
        .collect();
    let f = render_bad_debt_cdf(
        &narrow,
        "narrow",
        "scenario narrow, seed 1",
        tmp.path(),
        "linear",
    )
    .unwrap();
    check(&f, &["bad debt per path (USD)", "p1"]);
    // No bad debt anywhere.
    let zero = vec![CdfSeries {
        policy: "safe".into(),
        values: vec![0.0; 20],
    }];
    let f =
        render_bad_debt_cdf(&zero, "calm", "scenario calm, seed 1", tmp.path(), "zero").unwrap();
    check(&f, &["safe: no bad debt on any of 20 paths"]);
}

#[test]
fn frontier() {
    let tmp = tempfile::tempdir().unwrap();
    let points = vec![
        FrontierPoint {
            label: "aggressive".into(),
            borrowing_capacity: 0.62,
            p99_bad_debt: 9.0e6,
        },
        FrontierPoint {
            label: "aave-like".into(),
            borrowing_capacity: 0.55,
            p99_bad_debt: 4.0e6,
        },
        FrontierPoint {
            label: "dominated".into(),
            borrowing_capacity: 0.50,
            p99_bad_debt: 6.0e6,
        },
        FrontierPoint {
            label: "conservative".into(),
            borrowing_capacity: 0.45,
            p99_bad_debt: 1.0e6,
        },
    ];
    let f = render_frontier(
        &points,
        "sweep",
        "scenario sweep, seed 7",
        tmp.path(),
        "frontier",
    )
    .unwrap();
    check(
        &f,
        &[
            "Efficiency–solvency frontier — sweep",
            "borrowing capacity: share of collateral value the policy lends against",
            "p99 bad debt",
            "Pareto front (3 of 4 points",
            "dominated",
            "scenario sweep, seed 7",
        ],
    );
    // Degenerate: one borrowing capacity for every policy.
    let same = vec![
        FrontierPoint {
            label: "a".into(),
            borrowing_capacity: 0.4859,
            p99_bad_debt: 8.0e6,
        },
        FrontierPoint {
            label: "b".into(),
            borrowing_capacity: 0.4859,
            p99_bad_debt: 2.5e6,
        },
    ];
    let f = render_frontier(
        &same,
        "quickstart",
        "scenario quickstart, seed 7",
        tmp.path(),
        "same",
    )
    .unwrap();
    check(
        &f,
        &[
            "All points share one borrowing capacity",
            "Pareto front (1 of 2 points",
        ],
    );
}

#[test]
fn timeseries_and_fan_from_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    write_run(&run, "fixture", 11, &policies(20, 11), Some(30));
    let data = load_timeseries(&run.join("timeseries.parquet")).unwrap();
    assert_eq!(data.paths, 20);
    assert_eq!(data.policies.len(), 3);
    assert_eq!(data.policies[0].steps, (0..=30).collect::<Vec<i64>>());
    let f = render_timeseries(
        &data,
        "fixture",
        "scenario fixture, seed 11",
        Some(13),
        tmp.path(),
        "ts",
    )
    .unwrap();
    check(
        &f,
        &[
            "Liquidated debt per step",
            "Outstanding debt",
            "step 13",
            "conservative",
            "USD",
        ],
    );

    let paths = tmp.path().join("paths.parquet");
    write_paths(&paths, "crunchy", 5, 60, 30);
    let fan = load_fan(&paths).unwrap();
    assert_eq!(fan.paths, 60);
    let names: Vec<&str> = fan.assets.iter().map(|a| a.asset.as_str()).collect();
    assert_eq!(names, ["ETH", "BTC"]);
    assert_eq!(fan.constant, ["USDC"]);
    let w = fan.crunch.as_ref().expect("crunch weight column found");
    assert_eq!(w[13], 1.0);
    assert_eq!(w[5], 0.0);
    // Quantiles are ordered at every step.
    for a in &fan.assets {
        for t in 0..a.steps.len() {
            let q: Vec<f64> = a.quantiles.iter().map(|q| q[t]).collect();
            assert!(
                q.windows(2).all(|w| w[0] <= w[1]),
                "{} step {t}: {q:?}",
                a.asset
            );
        }
    }
    let f = render_fan(
        &fan,
        "crunchy",
        "scenario crunchy, seed 5",
        None,
        tmp.path(),
        "fan",
    )
    .unwrap();
    check(
        &f,
        &[
            "Generated price paths — crunchy (60 paths)",
            "ETH price (USD)",
            "BTC price",
            "crunch window",
            "5–95 % of paths",
            "median",
        ],
    );
}

#[test]
fn health_distribution_from_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let data = policies(40, 5);
    write_run(&run, "fixture", 5, &data, None);
    let written = write_health(&run, "fixture", 5, &data, 300, 30);
    let health = load_health(&run.join("health.parquet")).unwrap();
    assert_eq!(health.step, 30);
    assert_eq!(health.paths, 40);
    let names: Vec<&str> = health.policies.iter().map(|p| p.policy.as_str()).collect();
    assert_eq!(names, ["aave-like", "conservative", "tight"], "file order");
    // Every value comes back, sorted.
    for (series, mut want) in health.policies.iter().zip(written) {
        want.sort_by(f64::total_cmp);
        assert_eq!(series.values, want, "{}", series.policy);
    }
    // Health falls with the policy index: more accounts below H = 1.
    let below = |p: &HealthSeries| p.values.iter().filter(|&&h| h < 1.0).count();
    assert!(below(&health.policies[0]) < below(&health.policies[2]));
    let f = render_health(
        &health,
        "fixture",
        "scenario fixture, seed 5",
        tmp.path(),
        "health",
    )
    .unwrap();
    check(
        &f,
        &[
            "Health factors at step 30 — fixture",
            "health factor H = Σ c·p·lt / D (ratio)",
            "share of indebted accounts with H ≤ x, 40 paths pooled",
            "H < 1: liquidatable",
            "H = 1: the liquidation threshold",
            "aave-like: ",
            " below H = 1, ",
            "tight",
            "scenario fixture, seed 5; H before the liquidations of step 30; x axis cut at H = ",
        ],
    );

    // One path, one policy, a tight distribution: the axis keeps room right of H = 1.
    let one = HealthData {
        step: 0,
        paths: 1,
        policies: vec![HealthSeries {
            policy: "only".into(),
            values: (0..200).map(|i| 0.9 + i as f64 / 1000.0).collect(),
        }],
    };
    let f = render_health(&one, "one", "scenario one, seed 1", tmp.path(), "one").unwrap();
    check(
        &f,
        &[
            "Health factors at step 0 — one",
            "only: 50.00 % below H = 1, 0.00 % beyond H = 1.5 (n = 200)",
        ],
    );

    // A file with two steps is not a snapshot; an empty one has nothing to draw.
    let bad = |steps: Vec<i64>| {
        let n = steps.len();
        let mut df = polars::df!(
            "scenario" => vec!["s"; n], "policy" => vec!["p"; n], "path" => vec![0i64; n],
            "step" => steps, "account" => vec!["a"; n], "health" => vec![1.5; n],
        )
        .unwrap();
        let file = tmp.path().join(format!("bad-{n}.parquet"));
        write(&mut df, &file, metadata("s", 1, 1));
        load_health(&file).unwrap_err().to_string()
    };
    let err = bad(vec![3, 4]);
    assert!(
        err.contains("holds several steps (3 .. 4): a health snapshot has one step"),
        "{err}"
    );
    let err = bad(vec![]);
    assert!(
        err.contains("no rows: no account had debt at the snapshot step"),
        "{err}"
    );
}

#[test]
fn plot_draws_every_chart_it_has_data_for_and_explains_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let data = policies(50, 11);
    write_run(&run, "fixture", 11, &data, Some(20));
    write_paths(&run.join("paths.parquet"), "fixture", 11, 30, 20);
    write_health(&run, "fixture", 11, &data, 100, 12);
    let out = plot(
        &run,
        &PlotOptions {
            step: Some(12),
            ..Default::default()
        },
    )
    .unwrap();
    let charts: Vec<&str> = out.files.iter().map(|f| f.chart.as_str()).collect();
    assert_eq!(
        charts,
        [
            "bad-debt distribution",
            "liquidations and debt over time",
            "price-path fan chart",
            "health-factor distribution",
            "efficiency–solvency frontier"
        ]
    );
    for f in &out.files {
        assert!(f.png.starts_with(run.join("charts")), "{}", f.png.display());
        check(f, &["scenario fixture, seed 11"]);
    }
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let health = std::fs::read_to_string(run.join("charts/health.svg")).unwrap();
    assert!(health.contains("Health factors at step 12"));
    // Existing charts are refused without force.
    let err = plot(&run, &PlotOptions::default()).unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    plot(
        &run,
        &PlotOptions {
            force: true,
            ..Default::default()
        },
    )
    .unwrap();
    // No temporary files left.
    assert!(
        std::fs::read_dir(run.join("charts")).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('.'))
    );
}

#[test]
fn plot_on_a_batch_names_charts_by_run() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(&tmp.path().join("one"), "alpha", 1, &policies(30, 1), None);
    write_run(&tmp.path().join("two"), "beta", 2, &policies(30, 2), None);
    let out = plot(tmp.path(), &PlotOptions::default()).unwrap();
    let stems: Vec<String> = out
        .files
        .iter()
        .map(|f| f.png.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stems, ["bad-debt-cdf-one", "bad-debt-cdf-two", "frontier"]);
    let svg = std::fs::read_to_string(&out.files[2].svg).unwrap();
    assert!(svg.contains("one · aave-like"), "batch labels");
    // Per run: the timeseries, the fan chart and the health chart skipped.
    assert_eq!(out.skipped.len(), 6);
    let health: Vec<&str> = out
        .skipped
        .iter()
        .filter(|s| s.chart.starts_with("health-factor distribution"))
        .map(|s| s.reason.as_str())
        .collect();
    assert_eq!(health.len(), 2);
    assert!(
        health[0].contains("[output] health_step = N") && health[0].contains("--health-step N"),
        "{}",
        health[0]
    );
}

#[test]
fn frontier_is_skipped_for_results_without_borrowing_capacity() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), "old", 3, &policies(30, 3), None);
    drop_borrowing_columns(tmp.path(), "old", 3);
    let out = plot(tmp.path(), &PlotOptions::default()).unwrap();
    let charts: Vec<&str> = out.files.iter().map(|f| f.chart.as_str()).collect();
    assert_eq!(charts, ["bad-debt distribution"]);
    let frontier = out
        .skipped
        .iter()
        .find(|s| s.chart == "efficiency–solvency frontier")
        .expect("the frontier is skipped");
    assert!(
        frontier.reason.contains("run the scenario again"),
        "{}",
        frontier.reason
    );
}
