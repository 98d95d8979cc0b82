//! Helpers shared by the integration tests of the `crunch` binary. Each test binary
//! compiles this module on its own and not every one uses every item.
#![allow(dead_code)]

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the `crunch` binary with `args`.
pub fn crunch(args: &[&OsStr]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin!("crunch"))
        .args(args)
        .output()
        .unwrap()
}

/// The standard output of a command that must have succeeded.
pub fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The error message of a command that must have failed.
pub fn refused(output: Output) -> String {
    assert!(!output.status.success(), "the command succeeded");
    String::from_utf8(output.stderr).unwrap()
}

/// The arguments of `crunch run SCENARIO --out OUT --quiet --paths PATHS`, then `extra`.
pub fn run_args<'a>(
    scenario: &'a Path,
    out: &'a Path,
    paths: &'a str,
    extra: &'a [&'a str],
) -> Vec<&'a OsStr> {
    let mut args: Vec<&OsStr> = vec![
        "run".as_ref(),
        scenario.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
        "--paths".as_ref(),
        paths.as_ref(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    args
}

/// Runs `scenario` in process with `paths` paths into `out` (on `threads` threads when
/// given) and returns the per-policy statistics.
pub fn run_in_process(
    scenario: &Path,
    paths: u64,
    out: &Path,
    threads: Option<usize>,
) -> Vec<crunch_cli::PolicyStats> {
    let prepared = crunch_cli::prepare(
        scenario,
        crunch_cli::Overrides {
            paths: Some(paths),
            ..crunch_cli::Overrides::default()
        },
    )
    .unwrap();
    let mut options = crunch_cli::RunOptions::new(out.to_owned());
    options.threads = threads;
    crunch_cli::run_scenario(&prepared, &options).unwrap()
}

/// Runs `scenario` with `paths` paths on `threads` threads (in process) into
/// `dir/t{threads}`, and returns the files it wrote.
pub fn files_on_threads(
    scenario: &Path,
    paths: u64,
    dir: &Path,
    threads: usize,
) -> Vec<(String, Vec<u8>)> {
    let out = dir.join(format!("t{threads}"));
    run_in_process(scenario, paths, &out, Some(threads));
    files(&out)
}

/// Every file of `dir`, by name (sorted), with its bytes.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// The contents of a Parquet file: schema, record batches and key-value metadata.
pub struct ParquetContent {
    /// The Arrow schema.
    pub schema: SchemaRef,
    /// Every record batch, in order.
    pub batches: Vec<RecordBatch>,
    /// The key-value metadata, in file order.
    pub metadata: Vec<(String, String)>,
}

/// Reads a whole Parquet file with the arrow reader.
pub fn read_parquet(path: &Path) -> ParquetContent {
    let file = fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let metadata = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let schema = builder.schema().clone();
    let batches = builder
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    ParquetContent {
        schema,
        batches,
        metadata,
    }
}

/// The finished parts in the work directory of the run into `out`.
pub fn finished_parts(out: &Path) -> usize {
    let work = out.with_file_name(format!(
        ".{}.checkpoints",
        out.file_name().unwrap().to_string_lossy()
    ));
    fs::read_dir(work.join("parts")).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("units-")
        })
        .count()
    })
}
