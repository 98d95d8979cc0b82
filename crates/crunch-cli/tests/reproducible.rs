//! Reproducibility of `crunch run`: the same inputs give byte-identical output files for
//! any thread count and on every run; another seed gives other results.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `scenarios/quickstart.toml` with `events.parquet` switched on as well (it has
/// `timeseries.parquet` and `health.parquet`, and no relative paths: its book is
/// generated).
fn quickstart_with_all_outputs(dir: &Path) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/quickstart.toml");
    let text = fs::read_to_string(&shipped).unwrap();
    let text = text
        .lines()
        .filter(|l| !l.starts_with("timeseries =") && !l.starts_with("events ="))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("[output]\n", "[output]\ntimeseries = true\nevents = true\n");
    assert!(
        text.contains("events = true"),
        "quickstart.toml has no [output] table"
    );
    let path = dir.join("quickstart.toml");
    fs::write(&path, text).unwrap();
    path
}

/// Runs the scenario with 40 paths into `out` and returns every output file, by name.
fn run(scenario: &Path, out: &Path, args: &[&str]) -> Vec<(String, Vec<u8>)> {
    let output = Command::new(assert_cmd::cargo::cargo_bin!("crunch"))
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--paths", "40"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn outputs_are_byte_identical_across_threads_and_runs_and_change_with_the_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = quickstart_with_all_outputs(tmp.path());
    let one = run(&scenario, &tmp.path().join("t1"), &["--threads", "1"]);
    let two = run(&scenario, &tmp.path().join("t2"), &["--threads", "2"]);
    let again = run(&scenario, &tmp.path().join("t2-again"), &["--threads", "2"]);
    assert_eq!(
        names(&one),
        [
            "events.parquet",
            "health.parquet",
            "summary.parquet",
            "timeseries.parquet"
        ]
    );
    for (label, other) in [("--threads 2", &two), ("second run", &again)] {
        assert_eq!(names(&one), names(other), "{label}");
        for ((name, a), (_, b)) in one.iter().zip(other.iter()) {
            assert!(a == b, "{name} differs between --threads 1 and {label}");
        }
    }

    let seeded = run(
        &scenario,
        &tmp.path().join("seed8"),
        &["--threads", "2", "--seed", "8"],
    );
    let summary = |files: &[(String, Vec<u8>)]| {
        files
            .iter()
            .find(|(n, _)| n == "summary.parquet")
            .unwrap()
            .1
            .clone()
    };
    assert_ne!(summary(&seeded), summary(&one), "--seed 8 changed nothing");
    // Not only the metadata: the simulated bad debt differs.
    assert_ne!(
        bad_debt(&tmp.path().join("seed8/summary.parquet")),
        bad_debt(&tmp.path().join("t1/summary.parquet")),
        "--seed 8 gave the same bad debt on every path"
    );
}

/// The `bad_debt` column of a summary file.
fn bad_debt(path: &Path) -> Vec<f64> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        fs::File::open(path).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch.column_by_name("bad_debt").expect("a bad_debt column");
        out.extend(
            column
                .as_primitive::<Float64Type>()
                .values()
                .iter()
                .copied(),
        );
    }
    out
}
