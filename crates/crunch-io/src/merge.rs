//! Merging the shards of a run (`crunch run --shard i/n`) into the output directory of
//! the single run, byte for byte.

use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_schema::SchemaRef;
use parquet::arrow::ProjectionMask;

use crate::error::IoError;
use crate::output_dir::OutputDir;
use crate::parquet_file::ParquetFile;
use crate::result_files::{
    column_schema, common_metadata, for_each_row, metadata, parquet_files, reader, value,
};
use crate::shard::{SHARD_KEY, Shard};

/// Metadata every shard must share, with the words used in messages.
const SHARED: [(&str, &str); 5] = [
    ("crunch.scenario_hash", "scenario hash"),
    ("crunch.seed", "seed"),
    ("crunch.version", "crunch version"),
    ("crunch.paths", "path count"),
    ("crunch.scenario_name", "scenario name"),
];

/// What [`merge_shards`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Number of shards merged.
    pub shards: u64,
    /// Every file written (by name, in name order) with its number of rows.
    pub files: Vec<(String, u64)>,
}

/// One shard directory, read and checked.
struct ShardDir {
    dir: PathBuf,
    shard: Shard,
    /// The run's metadata (without the Arrow schema), `crunch.shard` included.
    metadata: Vec<(String, String)>,
    /// The `.parquet` files of the directory, in name order.
    files: Vec<String>,
}

fn shards_err(path: &Path, problem: String) -> IoError {
    IoError::Shards {
        path: path.to_owned(),
        problem,
    }
}

/// Reads and checks one shard directory: a `summary.parquet` carrying `crunch.shard`, and
/// every file with the same metadata.
fn read_shard(dir: &Path) -> Result<ShardDir, IoError> {
    let files = parquet_files(dir, "read the shard directory")?;
    if !files.iter().any(|f| f == "summary.parquet") {
        return Err(shards_err(
            dir,
            "no summary.parquet: not the output directory of `crunch run --shard`".into(),
        ));
    }
    let metadata = metadata(&reader(&dir.join("summary.parquet"))?);
    let shard = value(&metadata, SHARD_KEY).ok_or_else(|| {
        shards_err(
            dir,
            format!(
                "not a shard: summary.parquet carries no `{SHARD_KEY}` (it was not written \
                 by `crunch run --shard`)"
            ),
        )
    })?;
    let shard: Shard = shard
        .parse()
        .map_err(|e| shards_err(dir, format!("invalid `{SHARD_KEY}` {e}")))?;
    let metadata = common_metadata(dir, &files)?;
    Ok(ShardDir {
        dir: dir.to_owned(),
        shard,
        metadata,
        files,
    })
}

/// Checks that `s` belongs to the same run as `first`.
fn check_same_run(first: &ShardDir, s: &ShardDir) -> Result<(), IoError> {
    let other = first.dir.display();
    if s.shard.count() != first.shard.count() {
        return Err(shards_err(
            &s.dir,
            format!(
                "shard {} is one of {} shards, but shard {} in {other} is one of {}",
                s.shard,
                s.shard.count(),
                first.shard,
                first.shard.count()
            ),
        ));
    }
    for (key, words) in SHARED {
        let (mine, theirs) = (value(&s.metadata, key), value(&first.metadata, key));
        if mine != theirs {
            return Err(shards_err(
                &s.dir,
                format!(
                    "{words} {} differs from {} in {other}; the shards are not from the same run",
                    mine.unwrap_or("(none)"),
                    theirs.unwrap_or("(none)")
                ),
            ));
        }
    }
    let unshared = |m: &[(String, String)]| -> Vec<(String, String)> {
        m.iter().filter(|(k, _)| k != SHARD_KEY).cloned().collect()
    };
    if unshared(&s.metadata) != unshared(&first.metadata) {
        let keys: Vec<&str> = s
            .metadata
            .iter()
            .chain(&first.metadata)
            .map(|(k, _)| k.as_str())
            .filter(|&k| k != SHARD_KEY && value(&s.metadata, k) != value(&first.metadata, k))
            .collect();
        return Err(shards_err(
            &s.dir,
            format!(
                "metadata {} differs from {other}; the shards are not from the same run",
                keys.first()
                    .map_or("order".to_owned(), |k| format!("`{k}`"))
            ),
        ));
    }
    if s.files != first.files {
        return Err(shards_err(
            &s.dir,
            format!(
                "has the files {}, but {other} has {}",
                s.files.join(", "),
                first.files.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Reads the shard directories `dirs` (in any order) and writes, into `out`, the files of
/// the single run they were split from: every file's rows in shard order, the shards'
/// metadata without `crunch.shard`, through the same writer as `crunch run`, so that the
/// bytes are those of the single run.
///
/// Refuses, naming the offending directory, a directory that is not a shard, shards of
/// different runs (scenario hash, seed, version, path count, any other metadata, the set
/// of files, or the step of `health.parquet`), of different shard counts, a shard given
/// twice and an incomplete set.
/// `out` is written like a run's output directory: whole or not at all, and an existing
/// non-empty `out` only with `force`.
pub fn merge_shards(dirs: &[PathBuf], out: &Path, force: bool) -> Result<Merged, IoError> {
    let mut shards = dirs
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, _>>()?;
    let first = shards
        .first()
        .ok_or_else(|| shards_err(out, "no shard directory to merge".into()))?;
    for s in &shards[1..] {
        check_same_run(first, s)?;
    }
    let count = first.shard.count();
    let mut slots: Vec<Option<usize>> = vec![None; count as usize];
    for (k, s) in shards.iter().enumerate() {
        let slot = &mut slots[s.shard.index() as usize];
        if let Some(j) = *slot {
            return Err(shards_err(
                &s.dir,
                format!(
                    "shard {} is given twice (also {})",
                    s.shard,
                    shards[j].dir.display()
                ),
            ));
        }
        *slot = Some(k);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&i| slots[i as usize].is_none())
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(shards_err(
            out,
            format!(
                "incomplete set of shards: {} missing ({} of {count} given)",
                missing.join(", "),
                shards.len()
            ),
        ));
    }
    shards.sort_by_key(|s| s.shard.index());
    check_health_steps(&shards)?;
    let metadata: Vec<(String, String)> = shards[0]
        .metadata
        .iter()
        .filter(|(k, _)| k != SHARD_KEY)
        .cloned()
        .collect();
    let target = OutputDir::prepare(out, force)?;
    let mut files = Vec::new();
    for name in &shards[0].files {
        let schema = column_schema(&shards[0].dir.join(name))?;
        let mut dest = ParquetFile::create(target.path(name), schema.clone(), &metadata)?;
        let mut rows = 0;
        for s in &shards {
            rows += copy_rows(&s.dir.join(name), &schema, &mut dest)?;
        }
        dest.close()?;
        files.push((name.clone(), rows));
    }
    target.commit()?;
    Ok(Merged {
        shards: count,
        files,
    })
}

/// Checks that every shard's `health.parquet` (when written) samples the same step: the
/// step can be chosen on the command line (`--health-step`) without changing the metadata.
fn check_health_steps(shards: &[ShardDir]) -> Result<(), IoError> {
    const HEALTH: &str = "health.parquet";
    let mut seen: Option<(i64, &Path)> = None;
    for s in shards
        .iter()
        .filter(|s| s.files.iter().any(|f| f == HEALTH))
    {
        let path = s.dir.join(HEALTH);
        let builder = reader(&path)?;
        let Some(index) = builder.schema().index_of("step").ok() else {
            continue;
        };
        let mask = ProjectionMask::roots(builder.parquet_schema(), [index]);
        let batches = builder
            .with_projection(mask)
            .build()
            .map_err(|source| IoError::Parquet {
                path: path.clone(),
                cause: source,
            })?;
        for batch in batches {
            let batch = batch.map_err(|source| IoError::Arrow {
                path: path.clone(),
                cause: source,
            })?;
            for step in batch.column(0).as_primitive::<Int64Type>().iter().flatten() {
                match seen {
                    None => seen = Some((step, &s.dir)),
                    Some((first, _)) if first == step => {}
                    Some((first, dir)) => {
                        return Err(shards_err(
                            &s.dir,
                            format!(
                                "its health.parquet is at step {step}, that of {} at step \
                                 {first}; run every shard with the same --health-step",
                                dir.display()
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Appends every row of `src` to `dest`; `src` must have the columns of `expected`.
pub(crate) fn copy_rows(
    src: &Path,
    expected: &SchemaRef,
    dest: &mut ParquetFile,
) -> Result<u64, IoError> {
    for_each_row(
        src,
        expected,
        "the same file in the first shard",
        |_, row| dest.push(row),
    )
}
