//! A hive-partitioned Parquet dataset of finished runs (`crunch dataset`), which polars,
//! pyarrow and DuckDB read as one table per output file.
//!
//! Layout: `DATASET/<table>/scenario=<S>/policy=<P>/part-0.parquet`, for `<table>` one of
//! [`DATASET_TABLES`] the run wrote. Each file holds the rows of scenario `S` and policy
//! `P` in the run's row order, without the `scenario` and `policy` columns (readers add
//! them from the path), with the run's key-value metadata. `S` and `P` are written by
//! [`partition_value`].

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ProjectionMask;

use crate::error::{IoError, fs_err};
use crate::output_dir::OutputDir;
use crate::parquet_file::{ParquetFile, Value};
use crate::result_files::{
    column_schema, common_metadata, for_each_row, metadata, parquet_files, reader, value,
};
use crate::shard::SHARD_KEY;

/// The tables of a dataset, one per output file of a run (`<table>.parquet`), in the order
/// they are written.
pub const DATASET_TABLES: [&str; 5] = ["summary", "timeseries", "events", "health", "tiers"];

/// The name of the data file of every partition.
pub const PART_FILE: &str = "part-0.parquet";

/// The value hive readers turn into null; no scenario or policy may be called so.
const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

/// The metadata key of the scenario name.
const SCENARIO_NAME_KEY: &str = "crunch.scenario_name";

/// The metadata key of the scenario hash.
const SCENARIO_HASH_KEY: &str = "crunch.scenario_hash";

/// A partition value as written in a directory name: every byte of the UTF-8 name outside
/// `[A-Za-z0-9._-]` becomes `%XX` (two upper-case hex digits), so that
/// `dynamic-70[floor=0.5,beta=1]` is written `dynamic-70%5Bfloor%3D0.5%2Cbeta%3D1%5D`.
///
/// polars (`hive_partitioning=True`), pyarrow (`partitioning="hive"`, whose default
/// `segment_encoding` is `"uri"`) and DuckDB (`hive_partitioning=true`) all decode it back
/// to the name; `=` and `/` are never left in the value, so the segment splits
/// unambiguously.
pub fn partition_value(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The directory of the partition of `scenario` and `policy` inside a table directory:
/// `scenario=<S>/policy=<P>` with both values written by [`partition_value`].
pub fn partition_dir(scenario: &str, policy: &str) -> PathBuf {
    scenario_dir(scenario).join(format!("policy={}", partition_value(policy)))
}

/// `scenario=<S>`, the directory of every partition of `scenario` inside a table directory.
fn scenario_dir(scenario: &str) -> PathBuf {
    PathBuf::from(format!("scenario={}", partition_value(scenario)))
}

/// What [`add_to_dataset`] added from one result directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedRun {
    /// The result directory.
    pub source: PathBuf,
    /// The scenario name (`crunch.scenario_name`).
    pub scenario: String,
    /// The policies, in the order of their first row in `summary.parquet`.
    pub policies: Vec<String>,
    /// Every table written (in [`DATASET_TABLES`] order) with its number of rows, all
    /// policies together.
    pub tables: Vec<(String, u64)>,
    /// Whether the scenario's earlier partitions were replaced (`force`).
    pub replaced: bool,
}

/// One result directory, read and checked.
struct RunDir {
    dir: PathBuf,
    /// The run's metadata (without the Arrow schema), shared by every file.
    metadata: Vec<(String, String)>,
    scenario: String,
    /// The tables the directory holds, in [`DATASET_TABLES`] order.
    tables: Vec<&'static str>,
    /// The policies of `summary.parquet`, in the order of their first row.
    policies: Vec<String>,
}

fn dataset_err(path: &Path, problem: String) -> IoError {
    IoError::Dataset {
        path: path.to_owned(),
        problem,
    }
}

/// Refuses a scenario or policy name that cannot be a partition value.
fn check_name(path: &Path, what: &str, name: &str) -> Result<(), IoError> {
    if name.is_empty() || name == HIVE_NULL {
        return Err(dataset_err(
            path,
            format!("{what} name `{name}` cannot be a partition value (readers take it for null)"),
        ));
    }
    Ok(())
}

/// Reads and checks one result directory: a `summary.parquet` without `crunch.shard`, with
/// a scenario name, and every table with the same metadata.
fn read_run(dir: &Path) -> Result<RunDir, IoError> {
    let files = parquet_files(dir, "read the result directory")?;
    let tables: Vec<&'static str> = DATASET_TABLES
        .into_iter()
        .filter(|t| files.contains(&format!("{t}.parquet")))
        .collect();
    if tables.first() != Some(&"summary") {
        return Err(dataset_err(
            dir,
            "no summary.parquet: not the output directory of `crunch run` or `crunch merge`".into(),
        ));
    }
    let summary = dir.join("summary.parquet");
    let run_metadata = metadata(&reader(&summary)?);
    if let Some(shard) = value(&run_metadata, SHARD_KEY) {
        return Err(dataset_err(
            dir,
            format!(
                "shard {shard} of a run (summary.parquet carries `{SHARD_KEY}`); merge the \
                 shards first with `crunch merge SHARD_DIR... --out DIR` and add DIR"
            ),
        ));
    }
    let scenario = value(&run_metadata, SCENARIO_NAME_KEY)
        .ok_or_else(|| {
            dataset_err(
                &summary,
                format!(
                    "carries no `{SCENARIO_NAME_KEY}`: not written by `crunch run` or \
                     `crunch merge`"
                ),
            )
        })?
        .to_owned();
    check_name(&summary, "scenario", &scenario)?;
    let files: Vec<String> = tables.iter().map(|t| format!("{t}.parquet")).collect();
    let metadata = common_metadata(dir, &files)?;
    let policies = summary_policies(&summary)?;
    Ok(RunDir {
        dir: dir.to_owned(),
        metadata,
        scenario,
        tables,
        policies,
    })
}

/// The distinct values of the `policy` column of `path`, in the order of their first row.
fn summary_policies(path: &Path) -> Result<Vec<String>, IoError> {
    let builder = reader(path)?;
    let index = key_column(path, &builder.schema().clone(), "policy")?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), [index]);
    let batches = builder
        .with_projection(mask)
        .build()
        .map_err(|source| IoError::Parquet {
            path: path.to_owned(),
            cause: source,
        })?;
    let mut policies: Vec<String> = Vec::new();
    for batch in batches {
        let batch = batch.map_err(|source| IoError::Arrow {
            path: path.to_owned(),
            cause: source,
        })?;
        let column = batch.column(0).as_string::<i32>();
        for policy in column.iter().flatten() {
            if policies.last().map(String::as_str) != Some(policy)
                && !policies.iter().any(|p| p == policy)
            {
                check_name(path, "policy", policy)?;
                policies.push(policy.to_owned());
            }
        }
    }
    Ok(policies)
}

/// The index of the non-null string column `name` of `path`.
fn key_column(path: &Path, schema: &Schema, name: &str) -> Result<usize, IoError> {
    match schema.index_of(name) {
        Ok(i) if schema.field(i).data_type() == &DataType::Utf8 => Ok(i),
        _ => Err(IoError::Columns {
            path: path.to_owned(),
            problem: format!("no string column \"{name}\" to partition by"),
            columns: schema
                .fields()
                .iter()
                .map(|f| format!("\"{}\"", f.name()))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Refuses two result directories of one scenario name: with different scenario hashes
/// they are different runs, with the same one the same run given twice.
fn check_distinct_scenarios(runs: &[RunDir]) -> Result<(), IoError> {
    for (k, run) in runs.iter().enumerate() {
        let Some(first) = runs[..k].iter().find(|r| r.scenario == run.scenario) else {
            continue;
        };
        fn hash(r: &RunDir) -> &str {
            value(&r.metadata, SCENARIO_HASH_KEY).unwrap_or("(none)")
        }
        let (mine, theirs) = (hash(run), hash(first));
        let problem = if mine == theirs {
            format!(
                "scenario `{}` is given twice (also {}, the same scenario hash {mine})",
                run.scenario,
                first.dir.display()
            )
        } else {
            format!(
                "scenario `{}` has scenario hash {mine} here but {theirs} in {}: two runs \
                 of one scenario name cannot share a dataset (rename the scenario of one)",
                run.scenario,
                first.dir.display()
            )
        };
        return Err(dataset_err(&run.dir, problem));
    }
    Ok(())
}

/// The partitions of `run`'s scenario already in `dataset` (in any table), as paths of
/// `scenario=<S>` directories; refuses them unless `force`, naming one (a policy of the
/// run where one collides).
fn existing_partitions(
    dataset: &Path,
    run: &RunDir,
    force: bool,
) -> Result<Vec<(&'static str, PathBuf)>, IoError> {
    let mut existing = Vec::new();
    for table in DATASET_TABLES {
        let dir = dataset.join(table).join(scenario_dir(&run.scenario));
        if fs::symlink_metadata(&dir).is_ok() {
            existing.push((table, dir));
        }
    }
    if force || existing.is_empty() {
        return Ok(existing);
    }
    let collision = existing.iter().find_map(|(table, _)| {
        run.policies.iter().find_map(|p| {
            let dir = dataset.join(table).join(partition_dir(&run.scenario, p));
            dir.exists().then(|| (dir, format!(", policy `{p}`")))
        })
    });
    let (path, policy) = collision.unwrap_or_else(|| (existing[0].1.clone(), String::new()));
    Err(dataset_err(
        &path,
        format!(
            "the partition of scenario `{}`{policy} already exists in the dataset; pass \
             --force to replace every partition of scenario `{}` with those of {}",
            run.scenario,
            run.scenario,
            run.dir.display()
        ),
    ))
}

/// Writes the partitions of one table of `run` under `staging`: one file per policy of the
/// summary (empty where the policy has no row), and returns the number of rows.
fn write_table(run: &RunDir, table: &str, staging: &Path) -> Result<u64, IoError> {
    let src = run.dir.join(format!("{table}.parquet"));
    let schema = column_schema(&src)?;
    let scenario_col = key_column(&src, &schema, "scenario")?;
    let policy_col = key_column(&src, &schema, "policy")?;
    let kept: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| i != scenario_col && i != policy_col)
        .collect();
    let part_schema = std::sync::Arc::new(Schema::new(
        kept.iter()
            .map(|&i| schema.field(i).clone())
            .collect::<Vec<Field>>(),
    ));
    let table_dir = staging.join(table);
    let mut files = Vec::with_capacity(run.policies.len());
    let mut index = HashMap::with_capacity(run.policies.len());
    for (k, policy) in run.policies.iter().enumerate() {
        let dir = table_dir.join(partition_dir(&run.scenario, policy));
        fs::create_dir_all(&dir).map_err(fs_err(&dir, "create the directory"))?;
        files.push(ParquetFile::create(
            dir.join(PART_FILE),
            part_schema.clone(),
            &run.metadata,
        )?);
        index.insert(policy.as_str(), k);
    }
    let rows = for_each_row(&src, &schema, "the same file", |r, row| {
        let (Value::Str(scenario), Value::Str(policy)) = (row[scenario_col], row[policy_col])
        else {
            unreachable!("key columns are strings");
        };
        let at = || format!("row {r} (0-based data row)");
        if scenario != run.scenario {
            return Err(dataset_err(
                &src,
                format!(
                    "{}: scenario `{scenario}` differs from the run's `{SCENARIO_NAME_KEY}` \
                     `{}`",
                    at(),
                    run.scenario
                ),
            ));
        }
        let &k = index.get(policy).ok_or_else(|| {
            dataset_err(
                &src,
                format!("{}: policy `{policy}` has no row in summary.parquet", at()),
            )
        })?;
        files[k].push_values(kept.iter().map(|&i| row[i]))
    })?;
    for file in files {
        file.close()?;
    }
    Ok(rows)
}

/// Adds the runs in the result directories `results` (each the output directory of
/// `crunch run` or `crunch merge`) to the hive-partitioned dataset `dataset`, creating it
/// when missing: for every table the run wrote, one
/// `<table>/scenario=<S>/policy=<P>/part-0.parquet` per policy of its summary, for
/// `<table>` one of [`DATASET_TABLES`]. Identical inputs give identical bytes.
///
/// Refuses, naming the directory at fault and writing nothing: a directory without
/// `summary.parquet` or `crunch.scenario_name`, a shard (`crunch.shard`; merge the shards
/// first), tables whose metadata differ, two directories of one scenario name (different
/// scenario hashes, or the same run twice), and a scenario with partitions already in the
/// dataset unless `force`, which replaces every earlier partition of the scenario (in every
/// table) so that a scenario's partitions always come from one run.
///
/// Every file is written in a staging directory inside `dataset` (hidden, removed when the
/// call fails) as `part-0.parquet.tmp` renamed to `part-0.parquet`; the scenarios'
/// directories are then renamed into place, one rename per table and scenario.
pub fn add_to_dataset(
    results: &[PathBuf],
    dataset: &Path,
    force: bool,
) -> Result<Vec<AddedRun>, IoError> {
    if results.is_empty() {
        return Err(dataset_err(dataset, "no result directory to add".into()));
    }
    let runs = results
        .iter()
        .map(|d| read_run(d))
        .collect::<Result<Vec<_>, _>>()?;
    check_distinct_scenarios(&runs)?;
    let mut replaced = Vec::with_capacity(runs.len());
    for run in &runs {
        replaced.push(existing_partitions(dataset, run, force)?);
    }
    let created = !dataset.exists();
    let added = write_runs(&runs, &replaced, dataset);
    if added.is_err() && created {
        // Removes the dataset directory this call created, when nothing else is in it.
        let _ = fs::remove_dir(dataset);
    }
    Ok(runs
        .into_iter()
        .zip(added?)
        .zip(replaced)
        .map(|((run, tables), old)| AddedRun {
            source: run.dir,
            scenario: run.scenario,
            policies: run.policies,
            tables,
            replaced: !old.is_empty(),
        })
        .collect())
}

/// Writes the partitions of `runs` into a staging directory in `dataset`, then moves the
/// partitions in `replaced` aside and the new ones into place; returns the tables written
/// of every run with their numbers of rows.
fn write_runs(
    runs: &[RunDir],
    replaced: &[Vec<(&'static str, PathBuf)>],
    dataset: &Path,
) -> Result<Vec<Vec<(String, u64)>>, IoError> {
    // Never committed: the partitions are moved out of it one by one, and dropping it
    // removes what is left (the replaced partitions, or everything after an error).
    let staging = OutputDir::prepare(&dataset.join("crunch-dataset"), true)?;
    let mut added = Vec::with_capacity(runs.len());
    for run in runs {
        let mut tables = Vec::with_capacity(run.tables.len());
        for &table in &run.tables {
            tables.push((
                table.to_owned(),
                write_table(run, table, staging.staging())?,
            ));
        }
        added.push(tables);
    }
    let aside = staging.path("replaced");
    for (run, old) in runs.iter().zip(replaced) {
        for (table, dir) in old {
            let to = aside.join(table);
            fs::create_dir_all(&to).map_err(fs_err(&to, "create the directory"))?;
            fs::rename(dir, to.join(scenario_dir(&run.scenario)))
                .map_err(fs_err(dir, "move the replaced partitions aside"))?;
        }
        for &table in &run.tables {
            let from = staging.path(table).join(scenario_dir(&run.scenario));
            if !from.exists() {
                continue; // a run without paths: no partition
            }
            let table_dir = dataset.join(table);
            fs::create_dir_all(&table_dir).map_err(fs_err(&table_dir, "create the directory"))?;
            let to = table_dir.join(scenario_dir(&run.scenario));
            fs::rename(&from, &to).map_err(fs_err(&to, "move the partitions into place"))?;
        }
    }
    drop(staging);
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet_file::schema;
    use arrow_schema::DataType::{Float64, Int64, Utf8};

    /// One row of a test table: scenario, policy, path, then a value.
    type Row<'a> = (&'a str, &'a str, i64, Option<f64>);

    /// Writes `<table>.parquet` into `dir` with the key columns and a nullable `x`.
    fn write(dir: &Path, table: &str, rows: &[Row<'_>], metadata: &[(String, String)]) {
        fs::create_dir_all(dir).unwrap();
        let schema = schema(&[
            ("scenario", Utf8, false),
            ("policy", Utf8, false),
            ("path", Int64, false),
            ("x", Float64, true),
        ]);
        let mut f =
            ParquetFile::create(dir.join(format!("{table}.parquet")), schema, metadata).unwrap();
        for &(s, p, path, x) in rows {
            f.push(&[
                Value::Str(s),
                Value::Str(p),
                Value::I64(Some(path)),
                Value::F64(x),
            ])
            .unwrap();
        }
        f.close().unwrap();
    }

    fn meta(scenario: &str, hash: &str) -> Vec<(String, String)> {
        [
            ("crunch.version", "0.1.0"),
            ("crunch.scenario_name", scenario),
            ("crunch.scenario_hash", hash),
            ("crunch.seed", "7"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec()
    }

    /// A run of scenario `name` with two policies, a summary, a timeseries and events
    /// of only the first policy.
    fn run(root: &Path, dir: &str, name: &str, hash: &str) -> PathBuf {
        let dir = root.join(dir);
        let m = meta(name, hash);
        let (a, b) = ("static-70", "dynamic-70[floor=0.5,beta=1]");
        let summary = [
            (name, a, 0, Some(1.0)),
            (name, b, 0, None),
            (name, a, 1, Some(3.0)),
            (name, b, 1, Some(4.0)),
            (name, a, 2, Some(5.0)),
            (name, b, 2, Some(6.0)),
        ];
        write(&dir, "summary", &summary, &m);
        let timeseries: Vec<Row<'_>> = (0..20)
            .map(|k| (name, [a, b][k % 2], k as i64, Some(k as f64 / 2.0)))
            .collect();
        write(&dir, "timeseries", &timeseries, &m);
        write(&dir, "events", &[(name, a, 2, Some(0.5))], &m);
        dir
    }

    /// A partition file: its column names, rows (path, x) and metadata.
    type Part = (Vec<String>, Vec<(i64, Option<f64>)>, Vec<(String, String)>);

    /// The columns, rows and metadata (without the Arrow schema) of a partition file.
    fn read(path: &Path) -> Part {
        let schema = column_schema(path).unwrap();
        let names = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut rows = Vec::new();
        for_each_row(path, &schema, "", |_, row| {
            let [Value::I64(Some(p)), Value::F64(x)] = row else {
                panic!("{row:?}")
            };
            rows.push((*p, *x));
            Ok(())
        })
        .unwrap();
        (names, rows, metadata(&reader(path).unwrap()))
    }

    /// Every file under `dir`, relative, with its bytes, in path order.
    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else {
                    let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                    out.push((rel, fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
        files.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn partition_values_are_percent_encoded() {
        assert_eq!(
            partition_value("dynamic-70[floor=0.5,beta=1]"),
            "dynamic-70%5Bfloor%3D0.5%2Cbeta%3D1%5D"
        );
        assert_eq!(partition_value("aZ09._-"), "aZ09._-");
        assert_eq!(partition_value("a b/c%d"), "a%20b%2Fc%25d");
        assert_eq!(partition_value("é?*#+:\\"), "%C3%A9%3F%2A%23%2B%3A%5C");
        assert_eq!(
            partition_dir("stress 1", "p=1"),
            Path::new("scenario=stress%201").join("policy=p%3D1")
        );
    }

    #[test]
    fn runs_become_partitions_with_the_rows_of_each_policy() {
        let root = tempfile::tempdir().unwrap();
        let one = run(root.path(), "one", "crunch 1", "h1");
        let two = run(root.path(), "two", "two", "h2");
        fs::remove_file(two.join("events.parquet")).unwrap();
        let ds = root.path().join("ds");
        let added = add_to_dataset(&[one.clone(), two.clone()], &ds, false).unwrap();
        assert_eq!(added.len(), 2);
        assert_eq!(added[0].source, one);
        assert_eq!(added[0].scenario, "crunch 1");
        assert_eq!(
            added[0].policies,
            ["static-70", "dynamic-70[floor=0.5,beta=1]"]
        );
        let tables = |t: &[(&str, u64)]| -> Vec<(String, u64)> {
            t.iter().map(|&(n, r)| (n.to_owned(), r)).collect()
        };
        assert_eq!(
            added[0].tables,
            tables(&[("summary", 6), ("timeseries", 20), ("events", 1)])
        );
        assert_eq!(
            added[1].tables,
            tables(&[("summary", 6), ("timeseries", 20)])
        );
        assert!(!added[0].replaced && !added[1].replaced);

        let files = tree(&ds);
        let (a, b) = (
            "policy=static-70",
            "policy=dynamic-70%5Bfloor%3D0.5%2Cbeta%3D1%5D",
        );
        let mut expected = Vec::new();
        for (table, scenarios) in [
            ("events", &["scenario=crunch%201"][..]),
            ("summary", &["scenario=crunch%201", "scenario=two"]),
            ("timeseries", &["scenario=crunch%201", "scenario=two"]),
        ] {
            for s in scenarios {
                for p in [b, a] {
                    expected.push(format!("{table}/{s}/{p}/part-0.parquet"));
                }
            }
        }
        assert_eq!(names(&files), expected);

        let part = |table: &str, scenario: &str, policy: &str| {
            read(
                &ds.join(table)
                    .join(partition_dir(scenario, policy))
                    .join(PART_FILE),
            )
        };
        let (columns, rows, m) = part("summary", "crunch 1", "dynamic-70[floor=0.5,beta=1]");
        assert_eq!(columns, ["path", "x"]);
        assert_eq!(rows, [(0, None), (1, Some(4.0)), (2, Some(6.0))]);
        assert_eq!(m, meta("crunch 1", "h1"));
        let (_, rows, _) = part("timeseries", "two", "static-70");
        let even: Vec<_> = (0..20)
            .step_by(2)
            .map(|k| (k, Some(k as f64 / 2.0)))
            .collect();
        assert_eq!(rows, even);
        assert_eq!(part("events", "crunch 1", "static-70").1, [(2, Some(0.5))]);
        // A policy without events has an empty partition file.
        let (columns, rows, _) = part("events", "crunch 1", "dynamic-70[floor=0.5,beta=1]");
        assert_eq!((columns.len(), rows.len()), (2, 0));
        // The staging directory is gone.
        let top: Vec<_> = fs::read_dir(&ds)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(top.len(), 3, "{top:?}");

        // The same inputs give the same bytes.
        let again = root.path().join("again");
        add_to_dataset(&[one, two], &again, false).unwrap();
        assert_eq!(tree(&again), files);
    }

    #[test]
    fn existing_scenarios_are_refused_or_replaced_whole() {
        let root = tempfile::tempdir().unwrap();
        let one = run(root.path(), "one", "s", "h1");
        let ds = root.path().join("ds");
        add_to_dataset(std::slice::from_ref(&one), &ds, false).unwrap();
        let before = tree(&ds);

        // Another scenario is added beside it.
        let other = run(root.path(), "other", "t", "h2");
        add_to_dataset(&[other], &ds, false).unwrap();
        assert_eq!(tree(&ds).len(), before.len() * 2);
        let with_other = tree(&ds);

        // The same scenario again: refused, naming a partition, nothing changed.
        let e = add_to_dataset(std::slice::from_ref(&one), &ds, false).unwrap_err();
        let partition = ds.join("summary").join(partition_dir("s", "static-70"));
        assert_eq!(
            e.to_string(),
            format!(
                "{}: the partition of scenario `s`, policy `static-70` already exists in the \
                 dataset; pass --force to replace every partition of scenario `s` with those \
                 of {}",
                partition.display(),
                one.display()
            )
        );
        assert_eq!(tree(&ds), with_other);

        // A rerun without timeseries and events replaces every partition of `s`.
        let rerun = root.path().join("rerun");
        write(
            &rerun,
            "summary",
            &[("s", "only", 0, Some(9.0))],
            &meta("s", "h3"),
        );
        let e = add_to_dataset(std::slice::from_ref(&rerun), &ds, false).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!(
                "{}: the partition of scenario `s` already exists",
                ds.join("summary").join("scenario=s").display()
            )),
            "{e}"
        );
        let added = add_to_dataset(&[rerun], &ds, true).unwrap();
        assert!(added[0].replaced);
        let files = tree(&ds);
        let s: Vec<&str> = names(&files)
            .into_iter()
            .filter(|n| n.contains("scenario=s/"))
            .collect();
        assert_eq!(s, ["summary/scenario=s/policy=only/part-0.parquet"]);
        assert_eq!(files.len(), 1 + before.len());
        let top: Vec<_> = fs::read_dir(&ds)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(top.len(), 3, "{top:?}");
    }

    #[test]
    fn shards_clashing_scenarios_and_foreign_directories_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let ds = root.path().join("ds");
        let refused = |dirs: &[PathBuf]| add_to_dataset(dirs, &ds, false).unwrap_err().to_string();

        let shard = root.path().join("shard");
        let mut m = meta("s", "h1");
        m.push((SHARD_KEY.to_owned(), "1/3".to_owned()));
        write(&shard, "summary", &[("s", "p", 0, None)], &m);
        assert_eq!(
            refused(std::slice::from_ref(&shard)),
            format!(
                "{}: shard 1/3 of a run (summary.parquet carries `crunch.shard`); merge the \
                 shards first with `crunch merge SHARD_DIR... --out DIR` and add DIR",
                shard.display()
            )
        );

        let one = run(root.path(), "one", "s", "h1");
        let same_name = run(root.path(), "same-name", "s", "h2");
        assert_eq!(
            refused(&[one.clone(), same_name.clone()]),
            format!(
                "{}: scenario `s` has scenario hash h2 here but h1 in {}: two runs of one \
                 scenario name cannot share a dataset (rename the scenario of one)",
                same_name.display(),
                one.display()
            )
        );
        let e = refused(&[one.clone(), one.clone()]);
        assert!(e.contains("scenario `s` is given twice"), "{e}");

        let empty = root.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert!(refused(&[one.clone(), empty]).contains("no summary.parquet"));
        let e = refused(&[root.path().join("nowhere")]);
        assert!(e.contains("cannot read the result directory"), "{e}");

        let unnamed = root.path().join("unnamed");
        write(
            &unnamed,
            "summary",
            &[("s", "p", 0, None)],
            &meta("s", "h")[..1],
        );
        assert!(refused(&[unnamed]).contains("carries no `crunch.scenario_name`"));

        let mixed = root.path().join("mixed");
        write(&mixed, "summary", &[("s", "p", 0, None)], &meta("s", "h"));
        write(
            &mixed,
            "timeseries",
            &[("s", "p", 0, None)],
            &meta("s", "other"),
        );
        assert!(refused(&[mixed]).contains("its metadata differs from that of summary.parquet"));

        let stray = root.path().join("stray");
        write(&stray, "summary", &[("s", "p", 0, None)], &meta("s", "h"));
        write(&stray, "events", &[("s", "q", 0, None)], &meta("s", "h"));
        assert_eq!(
            refused(std::slice::from_ref(&stray)),
            format!(
                "{}: row 0 (0-based data row): policy `q` has no row in summary.parquet",
                stray.join("events.parquet").display()
            )
        );
        let foreign = root.path().join("foreign");
        write(&foreign, "summary", &[("t", "p", 0, None)], &meta("s", "h"));
        assert!(refused(&[foreign]).contains("scenario `t` differs from the run's"));

        let null = root.path().join("null");
        write(
            &null,
            "summary",
            &[("s", HIVE_NULL, 0, None)],
            &meta("s", "h"),
        );
        assert!(refused(&[null]).contains("cannot be a partition value"));

        // Refusals write nothing, also after the staging directory was created.
        assert!(!ds.exists());
    }
}
