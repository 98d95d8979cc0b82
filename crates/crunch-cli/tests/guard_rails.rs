//! The output-size guard rail: `crunch run` refuses, before writing anything, a run whose
//! estimated output exceeds `--max-output`; `crunch validate` prints the estimate; and
//! the estimate is checked against the files a small run actually writes.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crunch_cli::{Overrides, RunOptions, estimate_run, estimate_time, prepare, run_scenario};
use parquet::file::reader::{FileReader, SerializedFileReader};

/// `scenarios/quickstart.toml` with `events.parquet` switched on as well (it has
/// `timeseries.parquet` and `health.parquet`): every output file.
fn quickstart_with_all_outputs(dir: &Path) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/quickstart.toml");
    let text = fs::read_to_string(shipped)
        .unwrap()
        .replace("[output]\n", "[output]\nevents = true\n");
    assert!(text.contains("events = true") && text.contains("timeseries = true"));
    let path = dir.join("quickstart.toml");
    fs::write(&path, text).unwrap();
    path
}

fn crunch(args: &[&str], dir: &Path) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin!("crunch"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn a_run_over_the_limit_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    quickstart_with_all_outputs(dir.path());
    let args = [
        "run",
        "quickstart.toml",
        "--paths",
        "40",
        "--out",
        "out",
        "--quiet",
    ];
    let refused = crunch(&[&args[..], &["--max-output", "1MB"]].concat(), dir.path());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    for part in [
        "quickstart.toml: the run would write about 20.7 MB (limit 1.0 MB); nothing was \
         written.",
        "  summary.parquet: 80 rows, about 23.0 kB\n",
        "  timeseries.parquet: 29280 rows,",
        "  events.parquet: 224160 rows, about 12.8 MB (estimate; at most 82042560 rows)\n",
        "  health.parquet: 160000 rows,",
        "work: 58400000 account-steps",
        "Pass --max-output with a larger size (for example --max-output 21MB) to run it",
    ] {
        assert!(stderr.contains(part), "missing {part:?} in:\n{stderr}");
    }
    // Nothing was written: the directory holds the scenario only (no output, no staging).
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["quickstart.toml"]);
    // The suggested limit lets it run.
    let ran = crunch(&[&args[..], &["--max-output", "21MB"]].concat(), dir.path());
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(dir.path().join("out/events.parquet").is_file());
    // A malformed size is a usage error.
    let bad = crunch(
        &[&args[..], &["--max-output", "10GiB"]].concat(),
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("unknown unit in `10GiB`"), "{stderr}");
}

#[test]
fn validate_prints_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    quickstart_with_all_outputs(dir.path());
    let out = crunch(
        &["validate", "quickstart.toml", "--threads", "2"],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("estimated time of `crunch run`: about ")
            && stdout.contains(" on 2 thread(s) (a pilot of 2 path(s) took "),
        "{stdout}"
    );
    // 500 paths x 2 policies; 366 steps (0..=365); 2,000 indebted accounts.
    for part in [
        "estimated output of `crunch run` (refused above --max-output, default 10GB):\n",
        "  summary.parquet: 1000 rows, about 207.0 kB\n",
        "  timeseries.parquet: 366000 rows, about 26.4 MB\n",
        "  health.parquet: 2000000 rows, about 72.0 MB\n",
        "  total: about 258.3 MB; work: 730000000 account-steps\n",
    ] {
        assert!(stdout.contains(part), "missing {part:?} in:\n{stdout}");
    }
}

/// Rows are exact for the summary and the time series and bounds for health and events;
/// bytes are at least the file's and at most 5 times it (the estimate counts plain
/// encoding; zstd and dictionaries make the files 1.5 to 4 times smaller here).
#[test]
fn the_estimate_matches_a_small_run() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = quickstart_with_all_outputs(dir.path());
    let paths = 20;
    let prepared = prepare(
        &scenario,
        Overrides {
            paths: Some(paths),
            ..Overrides::default()
        },
    )
    .unwrap();
    let estimate = estimate_run(&prepared, paths * prepared.scenario.policies.len() as u64);
    let out = dir.path().join("out");
    let options = RunOptions::new(out.clone());
    run_scenario(&prepared, &options).unwrap();
    let names: Vec<&str> = estimate.files.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "summary.parquet",
            "timeseries.parquet",
            "events.parquet",
            "health.parquet"
        ]
    );
    for file in &estimate.files {
        let path = out.join(file.name);
        let bytes = fs::metadata(&path).unwrap().len();
        let rows = SerializedFileReader::new(File::open(&path).unwrap())
            .unwrap()
            .metadata()
            .file_metadata()
            .num_rows() as u64;
        match file.name {
            "summary.parquet" => assert_eq!((rows, file.rows), (2 * paths, 2 * paths)),
            "timeseries.parquet" => assert_eq!((rows, file.rows), (2 * paths * 366, rows)),
            "events.parquet" => assert!(rows <= estimate.events_bound.unwrap()),
            _ => assert!(rows <= file.rows, "{rows} > {}", file.rows),
        }
        assert!(
            bytes <= file.bytes && file.bytes <= 5 * bytes,
            "{}: {bytes} bytes written, {} estimated",
            file.name,
            file.bytes
        );
    }
    assert_eq!(estimate.account_steps, 2 * paths * 365 * 2000);
}

/// The time estimate is the pilot's time per path times the paths, over the threads.
#[test]
fn the_time_estimate_scales_the_pilot() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = quickstart_with_all_outputs(dir.path());
    let prepared = prepare(&scenario, Overrides::default()).unwrap();
    let t = estimate_time(&prepared, 500, 3, 4).unwrap();
    assert_eq!((t.pilot_paths, t.threads), (3, 4));
    assert!(t.pilot > std::time::Duration::ZERO);
    let expected = t.pilot.as_secs_f64() * 500.0 / 3.0 / 4.0;
    assert!((t.run.as_secs_f64() - expected).abs() < 1e-6, "{t:?}");
    // The pilot never runs more paths than the run has.
    assert_eq!(estimate_time(&prepared, 1, 3, 1).unwrap().pilot_paths, 1);
}
