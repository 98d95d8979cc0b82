//! Loading long-form books from the shipped B1 file and from Parquet.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};
use crunch_core::{AssetSpec, MarketSpec};
use crunch_io::{load_book, load_owing_book};
use parquet::arrow::ArrowWriter;

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

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(file)
}

#[test]
fn b1_accounts_file() {
    let book = load_book(&data("b1-accounts.csv"), &market()).unwrap();
    assert_eq!(book.len(), 10_000);
    assert_eq!(book.assets(), 3);
    assert_eq!(book.ids[0], "0");
    assert_eq!(book.ids[9_999], "9999");
    assert_eq!(book.collateral[0][0], 8.207870628828097);
    assert_eq!(book.collateral[1][0], 0.0);
    assert_eq!(book.debt[0], 12037.625513417754);
    assert_eq!(book.collateral[0][1], 2.234478928769498);
    assert_eq!(book.collateral[1][9_999], 0.2278046824324419);
    assert_eq!(book.debt[9_999], 2328.167695256792);
    assert!(book.collateral[2].iter().all(|&c| c == 0.0));
    // Every account holds ETH or BTC, as the B1 population was drawn.
    assert!((0..book.len()).all(|j| book.collateral[0][j] > 0.0 || book.collateral[1][j] > 0.0));
}

#[test]
fn b1_refused_when_usdc_is_not_a_numeraire() {
    let mut m = market();
    m.assets[2].price = 1.01;
    let path = data("b1-accounts.csv");
    let e = load_book(&path, &m).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: line 3: account `0`: debt 12037.625513417754 on moving asset `USDC`: debt is \
             accepted only on a stable asset with start price 1 (set `[protocol] \
             multi_asset_debt = true` to owe any asset)",
            path.display()
        )
    );
    // With multi-asset debt the same rows load, as quantities of USDC owed.
    let book = load_owing_book(&path, &m).unwrap();
    assert!(book.has_owed());
    assert_eq!(book.owed[2][0], 12037.625513417754);
    assert!(book.owed[0].iter().chain(&book.owed[1]).all(|&q| q == 0.0));
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    let mut w = ArrowWriter::try_new(File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_book_with_integer_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("book.parquet");
    write_parquet(
        &p,
        vec![
            (
                "asset",
                Arc::new(StringArray::from(vec!["BTC", "USDC", "ETH", "USDC"])),
            ),
            ("account", Arc::new(Int64Array::from(vec![42, 42, 7, 7]))),
            (
                "collateral",
                Arc::new(Float64Array::from(vec![0.5, 0.0, 3.0, 1.0])),
            ),
            ("debt", Arc::new(Int32Array::from(vec![0, 9000, 0, 2500]))),
        ],
    );
    let book = load_book(&p, &market()).unwrap();
    assert_eq!(book.ids, vec!["42", "7"]);
    assert_eq!(
        book.collateral,
        vec![vec![0.0, 3.0], vec![0.5, 0.0], vec![0.0, 1.0]]
    );
    assert_eq!(book.debt, vec![9000.0, 2500.0]);

    let q = dir.path().join("bad.parquet");
    write_parquet(
        &q,
        vec![
            ("account", Arc::new(StringArray::from(vec!["a", "b", "c"]))),
            (
                "asset",
                Arc::new(StringArray::from(vec!["ETH", "ETH", "DOGE"])),
            ),
            (
                "collateral",
                Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])),
            ),
            (
                "debt",
                Arc::new(Float64Array::from(vec![Some(0.0), Some(0.0), None])),
            ),
        ],
    );
    let e = load_book(&q, &market()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: row 2 (0-based data row), column \"debt\": the debt is missing",
            q.display()
        )
    );
}

#[test]
fn csv_book_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("b.csv");
    std::fs::write(&p, "account,asset,collateral,debt\n1,ETH,1,0\n2,DOGE,1,0\n").unwrap();
    let e = load_book(&p, &market()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: line 3: account `2`: unknown asset `DOGE` (the scenario declares ETH, BTC, \
             USDC)",
            p.display()
        )
    );
    std::fs::write(&p, "account,asset,collateral\n1,ETH,1\n").unwrap();
    let e = load_book(&p, &market()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: missing column \"debt\"; the file has columns \"account\", \"asset\", \
             \"collateral\"",
            p.display()
        )
    );
    std::fs::write(&p, "account,asset,collateral,debt\n1,ETH,-1.5,0\n").unwrap();
    let e = load_book(&p, &market()).unwrap_err().to_string();
    assert!(
        e.ends_with(": line 2: account `1`, asset `ETH`: negative collateral -1.5"),
        "{e}"
    );
}
