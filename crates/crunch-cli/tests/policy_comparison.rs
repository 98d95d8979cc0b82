//! The shipped `scenarios/policy-comparison.toml` runs at reduced size: its summary has a
//! row per path for every policy and every variant of its sweep, in the documented order,
//! and the run's table lists them all.

mod common;
use common::read_parquet;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use std::path::Path;
use std::process::Command;

const POLICIES: [&str; 6] = [
    "reg-t-50",
    "aggressive-70",
    "dynamic-70[floor=0.5]",
    "dynamic-70[floor=0.8]",
    "predictive-70[floor=0.5]",
    "predictive-70[floor=0.8]",
];

#[test]
fn every_variant_runs_on_the_same_paths() {
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/policy-comparison.toml");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = Command::new(assert_cmd::cargo::cargo_bin!("crunch"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(["--paths", "3"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for p in POLICIES {
        assert!(
            stdout.lines().any(|l| l.starts_with(p)),
            "{p} not in\n{stdout}"
        );
    }

    let summary = read_parquet(&out.join("summary.parquet"));
    let column = |name: &str| {
        summary
            .batches
            .iter()
            .map(|b| b.column_by_name(name).unwrap().clone())
            .collect::<Vec<_>>()
    };
    let policies: Vec<String> = column("policy")
        .iter()
        .flat_map(|a| {
            let a = a.as_string::<i32>();
            (0..a.len())
                .map(|i| a.value(i).to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    // Rows in path order, then policy order.
    let expected: Vec<String> = (0..3)
        .flat_map(|_| POLICIES.iter().map(|p| p.to_string()))
        .collect();
    assert_eq!(policies, expected);
    // At step 0 the dynamic and predictive policies have their base terms: the aggressive
    // policy's capacity.
    let capacity: Vec<f64> = column("borrowing_capacity")
        .iter()
        .flat_map(|a| a.as_primitive::<Float64Type>().values().to_vec())
        .collect();
    for row in capacity.chunks(POLICIES.len()) {
        assert!(row[0] < row[1]);
        for adaptive in &row[2..] {
            assert_eq!(row[1], *adaptive);
        }
    }
}
