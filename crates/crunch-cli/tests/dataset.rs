//! `crunch dataset`: two runs become one hive-partitioned dataset that polars reads back,
//! with hive partitioning, as exactly the runs' summaries; shards and existing scenarios are
//! refused.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use polars::prelude::*;

mod common;
use common::{crunch, ok, refused, run_args};

/// Runs the shipped scenario `name` with `paths` paths and `extra` arguments into `out`.
fn run(name: &str, paths: &str, out: &Path, extra: &[&str]) -> Output {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(format!("{name}.toml"));
    crunch(&run_args(&scenario, out, paths, extra))
}

fn dataset(results: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&OsStr> = vec!["dataset".as_ref()];
    args.extend(results.iter().map(|s| s.as_os_str()));
    args.extend(["--out".as_ref(), out.as_os_str()]);
    args.extend(extra.iter().map(OsStr::new));
    crunch(&args)
}

fn plpath(path: &Path) -> PlRefPath {
    PlRefPath::try_from_path(path).unwrap()
}

/// One table of the dataset, read with hive partitioning (`scenario` and `policy` as
/// strings), with the columns in the order of `columns`.
fn read_table(table: &Path, columns: &[PlSmallStr]) -> DataFrame {
    let hive = Schema::from_iter([
        Field::new("scenario".into(), DataType::String),
        Field::new("policy".into(), DataType::String),
    ]);
    let args = ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(true),
            schema: Some(Arc::new(hive)),
            ..HiveOptions::new_enabled()
        },
        ..Default::default()
    };
    LazyFrame::scan_parquet(plpath(table), args)
        .unwrap()
        .select(columns.iter().map(|c| col(c.clone())).collect::<Vec<_>>())
        .collect()
        .unwrap()
}

/// The files `name` of `dirs`, concatenated in order.
fn concatenated(dirs: &[&Path], name: &str) -> DataFrame {
    let frames = dirs
        .iter()
        .map(|d| LazyFrame::scan_parquet(plpath(&d.join(name)), Default::default()).unwrap())
        .collect::<Vec<_>>();
    concat(frames, UnionArgs::default())
        .unwrap()
        .collect()
        .unwrap()
}

fn sorted(df: DataFrame, by: &[&str]) -> DataFrame {
    df.sort(
        by.to_vec(),
        SortMultipleOptions::default().with_maintain_order(true),
    )
    .unwrap()
}

/// Every file under `dir`, relative, with its bytes, in path order.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = fs::read(&p).unwrap();
                out.push((p.strip_prefix(dir).unwrap().to_owned(), bytes));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn two_runs_read_back_as_one_table_and_clashes_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let quickstart = root.path().join("quickstart");
    let comparison = root.path().join("comparison");
    ok(run("quickstart", "6", &quickstart, &[]));
    ok(run("policy-comparison", "4", &comparison, &[]));
    let runs = [quickstart.as_path(), comparison.as_path()];

    let ds = root.path().join("dataset");
    let stdout = ok(dataset(&runs, &ds, &[]));
    assert!(
        stdout.contains("scenario `quickstart` (2 policies)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("scenario `policy-comparison` (6 policies)"),
        "{stdout}"
    );
    // Names with brackets and `=` are percent-encoded in the directory names.
    assert!(
        ds.join(
            "summary/scenario=policy-comparison/policy=dynamic-70%5Bfloor%3D0.5%5D/part-0.parquet"
        )
        .is_file()
    );

    // The summary table is the two summaries (row order within a partition is the run's).
    let expected = concatenated(&runs, "summary.parquet");
    assert_eq!(expected.height(), 6 * 2 + 4 * 6);
    let columns: Vec<PlSmallStr> = expected.get_column_names_owned();
    let keys = ["scenario", "policy", "path"];
    let got = sorted(read_table(&ds.join("summary"), &columns), &keys);
    let expected = sorted(expected, &keys);
    assert!(got.equals_missing(&expected), "{got}\n{expected}");
    let policies = got.column("policy").unwrap().str().unwrap();
    assert!(
        policies
            .iter()
            .any(|p| p == Some("predictive-70[floor=0.8]"))
    );

    // The quickstart's other tables too (the policy comparison writes none).
    for name in ["timeseries", "health"] {
        let expected = concatenated(&[&quickstart], &format!("{name}.parquet"));
        let columns = expected.get_column_names_owned();
        let keys = ["scenario", "policy", "path", "step"];
        let got = read_table(&ds.join(name), &columns);
        assert_eq!(got.height(), expected.height(), "{name}");
        assert!(
            sorted(got, &keys).equals_missing(&sorted(expected, &keys)),
            "{name}"
        );
    }
    assert!(!ds.join("events").exists());

    // The same runs give the same bytes.
    let again = root.path().join("again");
    ok(dataset(&runs, &again, &[]));
    let files = tree(&ds);
    assert_eq!(files.len(), 3 * 2 + 6);
    assert!(tree(&again) == files, "the datasets differ");

    // A scenario already in the dataset: refused without --force, replaced with it.
    let e = refused(dataset(&[&quickstart], &ds, &[]));
    assert!(
        e.contains(
            "scenario=quickstart/policy=aave-like: the partition of scenario \
                    `quickstart`, policy `aave-like` already exists in the dataset; pass --force"
        ),
        "{e}"
    );
    let stdout = ok(dataset(&[&quickstart], &ds, &["--force"]));
    assert!(
        stdout.contains("(replaced its earlier partitions)"),
        "{stdout}"
    );
    assert!(
        tree(&ds) == files,
        "replacing by the same run changed the dataset"
    );

    // A shard, and two runs of one scenario name with different hashes.
    let shard = root.path().join("shard");
    ok(run("quickstart", "6", &shard, &["--shard", "0/2"]));
    let other = root.path().join("dataset2");
    let e = refused(dataset(&[&comparison, &shard], &other, &[]));
    assert!(
        e.contains(&format!("{}: shard 0/2 of a run", shard.display())),
        "{e}"
    );
    assert!(e.contains("merge the shards first"), "{e}");
    let seed = root.path().join("seed");
    ok(run("quickstart", "6", &seed, &["--seed", "8"]));
    let e = refused(dataset(&[&quickstart, &seed], &other, &[]));
    assert!(
        e.contains(&format!(
            "{}: scenario `quickstart` has scenario hash",
            seed.display()
        )),
        "{e}"
    );
    assert!(!other.exists());
}

/// A run with reputation tiers adds its `tiers` table: one partition per policy, the
/// rows of `tiers.parquet`.
#[test]
fn the_tiers_of_a_reputation_run_are_a_table_of_the_dataset() {
    let root = tempfile::tempdir().unwrap();
    let tiers = root.path().join("tiers");
    ok(run("reputation-tiers", "3", &tiers, &[]));
    let ds = root.path().join("dataset");
    let stdout = ok(dataset(&[&tiers], &ds, &[]));
    assert!(stdout.contains("tiers 18 rows"), "{stdout}");
    let expected = concatenated(&[&tiers], "tiers.parquet");
    let columns = expected.get_column_names_owned();
    let keys = ["scenario", "policy", "path", "tier"];
    let got = read_table(&ds.join("tiers"), &columns);
    assert!(sorted(got, &keys).equals_missing(&sorted(expected, &keys)));
}
