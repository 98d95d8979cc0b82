//! `crunch run --shard I/N` and `crunch merge`: the merged shards are the single run, byte
//! for byte, and sets of shards that are not one whole run are refused.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Output;

use parquet::file::reader::{FileReader, SerializedFileReader};

mod common;
use common::{crunch, files, ok, refused, run_args};

/// Paths of every run here: enough for `health.parquet` to span several record batches
/// (65,536 rows each) and for the batches to straddle shard boundaries.
const PATHS: &str = "40";

/// `scenarios/quickstart.toml` with `events.parquet` switched on as well (it has
/// `timeseries.parquet` and `health.parquet`).
fn quickstart_with_all_outputs(dir: &Path) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/quickstart.toml");
    let text = fs::read_to_string(&shipped)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("timeseries =") && !l.starts_with("events ="))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("[output]\n", "[output]\ntimeseries = true\nevents = true\n");
    assert!(text.contains("events = true"));
    let path = dir.join("quickstart.toml");
    fs::write(&path, text).unwrap();
    path
}

/// Runs `scenario` with `PATHS` paths and `extra` arguments into `out`.
fn run(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    run_paths(scenario, out, PATHS, extra)
}

/// Runs `scenario` with `paths` paths and `extra` arguments into `out`.
fn run_paths(scenario: &Path, out: &Path, paths: &str, extra: &[&str]) -> Output {
    crunch(&run_args(scenario, out, paths, extra))
}

fn merge(shards: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&OsStr> = vec!["merge".as_ref()];
    args.extend(shards.iter().map(|s| s.as_os_str()));
    args.extend(["--out".as_ref(), out.as_os_str()]);
    args.extend(extra.iter().map(OsStr::new));
    crunch(&args)
}

/// The key-value metadata of a Parquet file.
fn metadata(path: &Path) -> Vec<(String, String)> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect()
}

fn value<'a>(metadata: &'a [(String, String)], key: &str) -> Option<&'a str> {
    metadata
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn three_merged_shards_are_the_single_run_and_bad_sets_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let scenario = quickstart_with_all_outputs(root.path());
    let whole = root.path().join("whole");
    ok(run(&scenario, &whole, &["--threads", "2"]));
    let shard = |i: usize| root.path().join(format!("shard{i}"));
    for i in 0..3 {
        let stdout = ok(run(&scenario, &shard(i), &["--shard", &format!("{i}/3")]));
        // 40 paths x 2 policies = 80 units; shard 1 ends and shard 2 starts between
        // the two policies of path 26.
        let expected = [
            "shard 0/3: units 0..26 of 80 (40 paths x 2 policies), paths 0..13",
            "shard 1/3: units 26..53 of 80 (40 paths x 2 policies), paths 13..27",
            "shard 2/3: units 53..80 of 80 (40 paths x 2 policies), paths 26..40",
        ][i];
        assert!(stdout.contains(expected), "{stdout}");
    }

    // Shard files carry the run's metadata and their shard.
    let whole_meta = metadata(&whole.join("summary.parquet"));
    for name in [
        "summary.parquet",
        "timeseries.parquet",
        "events.parquet",
        "health.parquet",
    ] {
        let m = metadata(&shard(1).join(name));
        assert_eq!(value(&m, "crunch.shard"), Some("1/3"), "{name}");
        for key in [
            "crunch.scenario_hash",
            "crunch.seed",
            "crunch.version",
            "crunch.paths",
        ] {
            assert_eq!(value(&m, key), value(&whole_meta, key), "{name} {key}");
        }
    }
    assert_eq!(value(&whole_meta, "crunch.shard"), None);

    // Merged in any order: byte for byte the single run.
    let merged = root.path().join("merged");
    let stdout = ok(merge(&[&shard(2), &shard(0), &shard(1)], &merged, &[]));
    assert!(stdout.contains("merged 3 shards"), "{stdout}");
    let (a, b) = (files(&whole), files(&merged));
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "events.parquet",
            "health.parquet",
            "summary.parquet",
            "timeseries.parquet"
        ]
    );
    assert!(a[0].1.len() > 1000, "the run must have liquidation events");
    for ((name, x), (other, y)) in a.iter().zip(&b) {
        assert_eq!(name, other);
        assert!(
            x == y,
            "{name} differs between the single run and the merged shards"
        );
    }
    assert_eq!(a.len(), b.len());

    // The output directory is not replaced without --force.
    let e = refused(merge(&[&shard(0), &shard(1), &shard(2)], &merged, &[]));
    assert!(e.contains("pass --force"), "{e}");
    ok(merge(
        &[&shard(0), &shard(1), &shard(2)],
        &merged,
        &["--force"],
    ));
    assert_eq!(files(&merged), a);

    // Incomplete and duplicated sets.
    let out = root.path().join("refused");
    let e = refused(merge(&[&shard(0), &shard(2)], &out, &[]));
    assert!(
        e.contains("incomplete set of shards: 1/3 missing (2 of 3 given)"),
        "{e}"
    );
    let e = refused(merge(
        &[&shard(0), &shard(1), &shard(1), &shard(2)],
        &out,
        &[],
    ));
    assert!(
        e.contains(&format!("{}: shard 1/3 is given twice", shard(1).display())),
        "{e}"
    );

    // Shards of another seed, another scenario, another count; a directory that is no
    // shard.
    let other = |name: &str, args: &[&str]| {
        let dir = root.path().join(name);
        ok(run(&scenario, &dir, args));
        dir
    };
    let seed = other("seed", &["--shard", "1/3", "--seed", "8"]);
    let e = refused(merge(&[&shard(0), &seed, &shard(2)], &out, &[]));
    assert!(
        e.contains(&format!("{}: scenario hash", seed.display())),
        "{e}"
    );
    assert!(e.contains("the shards are not from the same run"), "{e}");
    let text = fs::read_to_string(&scenario).unwrap();
    let changed = root.path().join("changed.toml");
    fs::write(
        &changed,
        text.replace("name = \"aave-like\"", "name = \"aave\""),
    )
    .unwrap();
    let hash = root.path().join("hash");
    ok(run(&changed, &hash, &["--shard", "2/3"]));
    let e = refused(merge(&[&shard(0), &shard(1), &hash], &out, &[]));
    assert!(
        e.contains(&format!("{}: scenario hash", hash.display())),
        "{e}"
    );
    let four = other("four", &["--shard", "1/4"]);
    let e = refused(merge(&[&shard(0), &four, &shard(2)], &out, &[]));
    assert!(
        e.contains(&format!(
            "{}: shard 1/4 is one of 4 shards, but shard 0/3",
            four.display()
        )),
        "{e}"
    );
    let health = other("health", &["--shard", "1/3", "--health-step", "10"]);
    let e = refused(merge(&[&shard(0), &health, &shard(2)], &out, &[]));
    assert!(
        e.contains(&format!(
            "{}: its health.parquet is at step 10, that of {} at step 30",
            health.display(),
            shard(0).display()
        )),
        "{e}"
    );
    let e = refused(merge(&[&shard(0), &whole], &out, &[]));
    assert!(
        e.contains(&format!("{}: not a shard", whole.display())),
        "{e}"
    );
    let e = refused(merge(&[&shard(0), &root.path().join("nowhere")], &out, &[]));
    assert!(e.contains("cannot read the shard directory"), "{e}");
    // Nothing was written by a refused merge.
    assert!(!out.exists());
}

#[test]
fn bad_shard_values_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let scenario = quickstart_with_all_outputs(root.path());
    let out = root.path().join("out");
    for (arg, message) in [
        (
            "3/3",
            "the shard index must be below the number of shards (0 to 2)",
        ),
        ("0/0", "the number of shards must be at least 1"),
        ("1", "expected INDEX/COUNT"),
        ("a/2", "expected INDEX/COUNT"),
        ("1/2/3", "expected INDEX/COUNT"),
    ] {
        let e = refused(run(&scenario, &out, &["--shard", arg]));
        assert!(e.contains(message), "{arg}: {e}");
        assert!(e.contains("--shard"), "{arg}: {e}");
    }
    assert!(!out.exists());
}

/// One path of two policies over three shards: shard 0 is empty, shards 1 and 2 each run
/// one policy of path 0 (a shard splits sweep variants as well as paths).
#[test]
fn empty_shards_and_split_policies_merge_too() {
    let root = tempfile::tempdir().unwrap();
    let scenario = quickstart_with_all_outputs(root.path());
    let whole = root.path().join("whole");
    ok(run_paths(&scenario, &whole, "1", &[]));
    let shards: Vec<PathBuf> = (0..3).map(|i| root.path().join(format!("s{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        let stdout = ok(run_paths(
            &scenario,
            dir,
            "1",
            &["--shard", &format!("{i}/3")],
        ));
        let expected = ["units 0..0 of 2", "units 0..1 of 2", "units 1..2 of 2"];
        assert!(stdout.contains(expected[i]), "{stdout}");
        let rows = common::read_parquet(&dir.join("summary.parquet"))
            .batches
            .iter()
            .map(|b| b.num_rows())
            .sum::<usize>();
        assert_eq!(rows, [0, 1, 1][i]);
    }
    let merged = root.path().join("merged");
    let dirs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    ok(merge(&dirs, &merged, &[]));
    assert_eq!(files(&merged), files(&whole));
}
