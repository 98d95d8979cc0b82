//! Malformed price files and account books, generated: random mutations of a small valid
//! CSV file (fields replaced by empty, non-numeric, negative, zero, NaN, infinite, huge
//! and malformed values; lines deleted, duplicated and swapped, so dates come unsorted
//! or twice and book rows repeat; a column dropped or added; the file truncated, emptied
//! or overwritten with random bytes), and of a small valid Parquet file (truncated, bytes
//! overwritten, random bytes), fed to [`load_prices`] and [`load_book`].
//!
//! Properties, on every generated file: the loader never panics, returns within two
//! seconds, and every rejection names the file and — for CSV — a line, a column or the
//! part of the file at fault (the header search, the usable rows). Fixed seeds, no failure
//! persistence; each test prints how many files it tried and how many were refused.

use std::cell::Cell;
use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use crunch_core::{AssetSpec, MarketSpec};
use crunch_io::{IoError, PriceRequest, load_book, load_prices};
use parquet::arrow::ArrowWriter;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRunner};

/// Generated files per CSV property.
const CSV_CASES: u32 = 10_000;
/// Generated files per Parquet property.
const PARQUET_CASES: u32 = 5_000;

const PRICES: &str = "date,ETH,BTC\n\
    2020-01-01,2000.5,30000\n\
    2020-01-02,1990,30100.25\n\
    2020-01-03,2010,29900\n\
    2020-01-06,2050,31000\n\
    2020-01-07,2075.75,31500\n";

const BOOK: &str = "account,asset,collateral,debt\n\
    1,ETH,2.5,0\n\
    1,USDC,0,1000\n\
    2,BTC,0.1,0\n\
    2,USDC,0,1500.5\n\
    alice,ETH,10,0\n";

/// Values that replace a CSV field.
const FIELDS: &[&str] = &[
    "",
    "abc",
    "-1",
    "0",
    "-0",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e999",
    "-1e999",
    "1e-320",
    ".",
    "2020-13-45",
    "1/2/2020",
    "2020-01-01",
    "ETH",
    "USDC",
    "\"",
    "\"a,b\"",
    "𝄞",
    " 7 ",
    "99999999999999999999",
];

/// One mutation of a CSV text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace field `f` of line `i` with `FIELDS[v]`.
    Field(usize, usize, usize),
    /// Delete line `i`.
    Delete(usize),
    /// Repeat line `i`.
    Duplicate(usize),
    /// Swap lines `i` and `j`.
    Swap(usize, usize),
    /// Drop column `f` from every line.
    DropColumn(usize),
    /// Add a field to line `i`.
    ExtraField(usize),
    /// Keep the first `n` per mille of the bytes.
    Truncate(u16),
    /// Overwrite bytes at per mille `at` with `bytes`.
    Bytes(u16, Vec<u8>),
    /// Replace the whole file with `bytes` (possibly none).
    Replace(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let idx = any::<usize>;
    prop_oneof![
        8 => (idx(), idx(), 0..FIELDS.len()).prop_map(|(i, f, v)| Mutation::Field(i, f, v)),
        1 => idx().prop_map(Mutation::Delete),
        1 => idx().prop_map(Mutation::Duplicate),
        2 => (idx(), idx()).prop_map(|(i, j)| Mutation::Swap(i, j)),
        1 => idx().prop_map(Mutation::DropColumn),
        1 => idx().prop_map(Mutation::ExtraField),
        1 => (0u16..1000).prop_map(Mutation::Truncate),
        1 => (0u16..1000, prop::collection::vec(any::<u8>(), 1..12))
            .prop_map(|(at, b)| Mutation::Bytes(at, b)),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Mutation::Replace),
    ]
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let n = lines.len().max(1);
    match m {
        Mutation::Field(i, f, v) => {
            if let Some(line) = lines.get_mut(i % n) {
                let k = f % line.len();
                line[k] = FIELDS[*v].to_owned();
            }
        }
        Mutation::Delete(i) if !lines.is_empty() => {
            lines.remove(i % n);
        }
        Mutation::Duplicate(i) if !lines.is_empty() => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::Swap(i, j) if !lines.is_empty() => lines.swap(i % n, j % n),
        Mutation::DropColumn(f) => {
            for line in &mut lines {
                if line.len() > 1 {
                    let k = f % line.len();
                    line.remove(k);
                }
            }
        }
        Mutation::ExtraField(i) => {
            if let Some(line) = lines.get_mut(i % n) {
                line.push("extra".to_owned());
            }
        }
        Mutation::Truncate(per_mille) => {
            return bytes[..bytes.len() * usize::from(*per_mille) / 1000].to_vec();
        }
        Mutation::Bytes(at, new) => return overwrite(bytes, *at, new),
        Mutation::Replace(new) => return new.clone(),
        _ => {}
    }
    let joined: Vec<String> = lines.iter().map(|l| l.join(",")).collect();
    (joined.join("\n") + "\n").into_bytes()
}

/// `bytes` with `new` written over it from per mille `at`.
fn overwrite(bytes: &[u8], at: u16, new: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let start = b.len() * usize::from(at) / 1000;
    let end = (start + new.len()).min(b.len());
    b.splice(start..end, new.iter().copied());
    b
}

fn market() -> MarketSpec {
    let a = AssetSpec::new;
    MarketSpec {
        assets: vec![
            a("ETH", 2000.0, 0.8),
            a("BTC", 30000.0, 0.6),
            a("USDC", 1.0, 0.0),
        ],
        dt: 1.0 / 365.0,
        phi: 0.0,
    }
}

fn request() -> PriceRequest {
    PriceRequest {
        symbols: vec!["ETH".into(), "BTC".into()],
        ..PriceRequest::default()
    }
}

fn runner(seed: u64, cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 256,
        ..Config::default()
    })
}

/// Whether a CSV rejection points at a place: a line, a column, or the part of the file
/// that is at fault when no single line is (the header search, the count of usable rows).
fn names_place(msg: &str) -> bool {
    ["line ", "column", "the first 10 lines", "usable row(s)"]
        .iter()
        .any(|p| msg.contains(p))
}

/// Writes each generated file to `name` in a temporary directory, loads it with `load`
/// and checks the properties; returns (tried, refused).
fn check<S: Strategy>(
    runner: &mut TestRunner,
    strategy: S,
    name: &str,
    file: impl Fn(&S::Value) -> Vec<u8>,
    load: impl Fn(&Path) -> Result<(), IoError>,
) -> (u32, u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let csv = name.ends_with(".csv");
    let (tried, refused) = (Cell::new(0), Cell::new(0));
    let result = runner.run(&strategy, |value| {
        let bytes = file(&value);
        std::fs::write(&path, &bytes).unwrap();
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| load(&path)));
        let elapsed = start.elapsed();
        tried.set(tried.get() + 1);
        let Ok(outcome) = outcome else {
            return Err(TestCaseError::fail(format!(
                "panicked on {:?}",
                String::from_utf8_lossy(&bytes)
            )));
        };
        prop_assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
        if let Err(e) = outcome {
            refused.set(refused.get() + 1);
            let msg = e.to_string();
            prop_assert!(msg.contains(name), "the file is not named: {msg}");
            prop_assert!(!csv || names_place(&msg), "no line or column: {msg}");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    (tried.get(), refused.get())
}

fn mutated_csv(base: &'static str) -> impl Fn(&Vec<Mutation>) -> Vec<u8> {
    move |mutations| {
        mutations
            .iter()
            .fold(base.as_bytes().to_vec(), |b, m| apply(&b, m))
    }
}

fn report(what: &str, (tried, refused): (u32, u32), cases: u32) {
    eprintln!("{what}: {tried} files tried, {refused} refused");
    assert_eq!(tried, cases);
    assert!(
        refused > cases / 2 && refused < cases,
        "{refused} of {cases}"
    );
}

#[test]
fn mutated_price_csv_is_refused_clearly() {
    let counts = check(
        &mut runner(0x7072_6963_6573, CSV_CASES),
        prop::collection::vec(mutation(), 1..4),
        "fuzzed-prices.csv",
        mutated_csv(PRICES),
        |p| load_prices(p, &request()).map(drop),
    );
    report("price CSV fuzz", counts, CSV_CASES);
}

#[test]
fn mutated_book_csv_is_refused_clearly() {
    let counts = check(
        &mut runner(0x626f_6f6b, CSV_CASES),
        prop::collection::vec(mutation(), 1..4),
        "fuzzed-book.csv",
        mutated_csv(BOOK),
        |p| load_book(p, &market()).map(drop),
    );
    report("book CSV fuzz", counts, CSV_CASES);
}

/// The valid Parquet file of `columns` (all strings but `float` ones, which are floats).
fn parquet(columns: &[(&str, Vec<&str>)], floats: &[&str]) -> Vec<u8> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, _)| {
            let t = if floats.contains(n) {
                DataType::Float64
            } else {
                DataType::Utf8
            };
            Field::new(*n, t, true)
        })
        .collect();
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|(n, v)| -> ArrayRef {
            if floats.contains(n) {
                Arc::new(Float64Array::from_iter_values(
                    v.iter().map(|x| x.parse::<f64>().unwrap()),
                ))
            } else {
                Arc::new(StringArray::from(v.clone()))
            }
        })
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("valid.parquet");
    let mut w = ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    std::fs::read(&path).unwrap()
}

/// One corruption of a Parquet file.
fn corruption() -> impl Strategy<Value = (u8, u16, Vec<u8>)> {
    (
        0u8..3,
        0u16..1000,
        prop::collection::vec(any::<u8>(), 1..24),
    )
}

fn corrupt(valid: &[u8], (kind, at, bytes): &(u8, u16, Vec<u8>)) -> Vec<u8> {
    match kind {
        0 => valid[..valid.len() * usize::from(*at) / 1000].to_vec(),
        1 => overwrite(valid, *at, bytes),
        _ => [b"PAR1".as_slice(), bytes, b"PAR1"].concat(),
    }
}

#[test]
fn corrupt_price_parquet_is_refused_clearly() {
    let valid = parquet(
        &[
            ("date", vec!["2020-01-01", "2020-01-02", "2020-01-03"]),
            ("ETH", vec!["2000", "2010", "1990.5"]),
            ("BTC", vec!["30000", "30100", "29900"]),
        ],
        &["ETH", "BTC"],
    );
    let counts = check(
        &mut runner(0x0070_6172_7175_6574, PARQUET_CASES),
        corruption(),
        "fuzzed-prices.parquet",
        |c| corrupt(&valid, c),
        |p| load_prices(p, &request()).map(drop),
    );
    report("price Parquet fuzz", counts, PARQUET_CASES);
}

#[test]
fn corrupt_book_parquet_is_refused_clearly() {
    let valid = parquet(
        &[
            ("account", vec!["1", "1", "2"]),
            ("asset", vec!["ETH", "USDC", "BTC"]),
            ("collateral", vec!["2.5", "0", "0.1"]),
            ("debt", vec!["0", "1000", "0"]),
        ],
        &["collateral", "debt"],
    );
    let counts = check(
        &mut runner(0x6270_6172_7175_6574, PARQUET_CASES),
        corruption(),
        "fuzzed-book.parquet",
        |c| corrupt(&valid, c),
        |p| load_book(p, &market()).map(drop),
    );
    report("book Parquet fuzz", counts, PARQUET_CASES);
}
