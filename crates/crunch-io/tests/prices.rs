//! Loading the shipped price files and hand-made CSV/Parquet price files.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray,
};
use arrow_schema::{Field, Schema};
use chrono::NaiveDate;
use crunch_io::{PriceRequest, load_prices};
use parquet::arrow::ArrowWriter;

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(file)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn req(symbols: &[&str]) -> PriceRequest {
    PriceRequest {
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        ..PriceRequest::default()
    }
}

#[test]
fn bitstamp_wide_file_starts_when_every_symbol_has_a_close() {
    let path = data("bitstamp-btc-eth-ltc-daily-2014-2020.csv");
    let t = load_prices(&path, &req(&["ETH", "BTC"])).unwrap();
    // ETH starts 2017-11-09 (line 1079); the file ends 2020-01-17; 12 dates are missing.
    assert_eq!(t.dates.len(), 788);
    assert_eq!(t.dates[0], d("2017-11-09"));
    assert_eq!(*t.dates.last().unwrap(), d("2020-01-17"));
    assert_eq!(t.symbols, vec!["ETH", "BTC"]);
    assert_eq!(t.closes[0][0], 321.32);
    assert_eq!(t.closes[1][0], 7148.0);
    assert_eq!(*t.closes[0].last().unwrap(), 164.52);
    // The gap is not filled: 2019-03-19 is followed by 2019-04-01.
    let i = t.dates.iter().position(|&x| x == d("2019-03-19")).unwrap();
    assert_eq!(t.dates[i + 1], d("2019-04-01"));
    assert!(t.dates.windows(2).all(|w| w[0] < w[1]));

    // BTC alone covers the whole file.
    let btc = load_prices(&path, &req(&["BTC"])).unwrap();
    assert_eq!(btc.dates.len(), 1865);
    assert_eq!(btc.dates[0], d("2014-11-28"));
    assert_eq!(btc.closes[0][0], 376.28);
}

#[test]
fn coinbase_banner_newest_first_and_column_override() {
    let path = data("coinbase-btcusd-daily-2014-2019.csv");
    let mut r = req(&["BTC"]);
    r.columns = BTreeMap::from([("BTC".to_string(), "close".to_string())]);
    let t = load_prices(&path, &r).unwrap();
    assert_eq!(t.dates.len(), 1770);
    assert_eq!(t.dates[0], d("2014-12-01"));
    assert_eq!(t.closes[0][0], 370.0);
    assert_eq!(*t.dates.last().unwrap(), d("2019-10-17"));
    assert_eq!(*t.closes[0].last().unwrap(), 8034.32);

    // Without the override the error lists the columns.
    let e = load_prices(&path, &req(&["BTC"])).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: no column for `BTC` (looked for \"BTC\" and \"BTC:close\"; name one with \
             columns = {{ BTC = \"...\" }}); the file has columns \"date\", \"symbol\", \
             \"open\", \"high\", \"low\", \"close\", \"volume_btc\", \"volume\"",
            path.display()
        )
    );
}

#[test]
fn sp500_window_and_vix_us_dates() {
    let mut r = req(&["AAPL", "JPM"]);
    r.start = Some(d("2008-01-01"));
    r.end = Some(d("2008-12-31"));
    let t = load_prices(&data("sp500-20-stocks-daily-1990-2022.csv"), &r).unwrap();
    assert_eq!(t.dates.len(), 253);
    assert_eq!(t.dates[0], d("2008-01-02"));
    assert_eq!(t.closes[1][0], 28.301);
    assert_eq!(*t.dates.last().unwrap(), d("2008-12-31"));
    assert_eq!(*t.closes[0].last().unwrap(), 2.591);

    let idx = load_prices(&data("sp500-index-daily-1990-2022.csv"), &req(&["SP500"])).unwrap();
    assert_eq!(idx.dates.len(), 8313);
    assert_eq!(idx.closes[0][..2], [359.69, 358.76]);

    // 1,305 data rows, 46 of them holidays with the close `.`, which are dropped.
    let vix = load_prices(&data("vix-daily-2014-2019.csv"), &req(&["vix"])).unwrap();
    assert_eq!(vix.dates.len(), 1259);
    let i = vix
        .dates
        .iter()
        .position(|&x| x == d("2014-01-17"))
        .unwrap();
    assert_eq!(vix.dates[i + 1], d("2014-01-21"));
    assert_eq!(vix.dates[0], d("2014-01-03"));
    assert_eq!(vix.closes[0][0], 13.76);
    assert_eq!(*vix.dates.last().unwrap(), d("2019-01-03"));
    assert_eq!(*vix.closes[0].last().unwrap(), 25.45);
}

fn csv_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn csv_errors_name_file_line_column_and_date() {
    let dir = tempfile::tempdir().unwrap();
    let p = csv_file(
        dir.path(),
        "x.csv",
        "# exported\ndate,ETH:close\n2018-02-01,10\n2018-02-02,11\n2018-02-03,-3\n",
    );
    let e = load_prices(&p, &req(&["ETH"])).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: line 5, column \"ETH:close\" (2018-02-03): close price -3 is not positive",
            p.display()
        )
    );
    // A missing value after the series started is an error, not a gap.
    let p = csv_file(
        dir.path(),
        "y.csv",
        "Date,A,B\n1/1/2020,1,\n1/2/2020,1,2\n1/3/2020,,2\n1/4/2020,1,2\n",
    );
    let e = load_prices(&p, &req(&["A", "B"])).unwrap_err().to_string();
    assert!(
        e.ends_with(": line 4, column \"A\" (2020-01-03): the close price is missing"),
        "{e}"
    );
    let p = csv_file(dir.path(), "z.txt", "date,A\n");
    let e = load_prices(&p, &req(&["A"])).unwrap_err().to_string();
    assert!(e.ends_with(": unsupported file type; expected a `.csv` or `.parquet` file"));
    let e = load_prices(&dir.path().join("none.csv"), &req(&["A"]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("none.csv: cannot open the file: "), "{e}");
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

/// Days since 1970-01-01 of a date.
fn days(s: &str) -> i32 {
    (d(s) - d("1970-01-01")).num_days() as i32
}

#[test]
fn parquet_typed_columns_with_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.parquet");
    write_parquet(
        &p,
        vec![
            (
                "Date",
                Arc::new(Date32Array::from(vec![
                    days("2020-01-03"),
                    days("2020-01-01"),
                    days("2020-01-02"),
                    days("2020-01-06"),
                ])),
            ),
            (
                "ETH",
                Arc::new(Float64Array::from(vec![
                    Some(3.5),
                    None,
                    Some(2.5),
                    Some(4.0),
                ])),
            ),
            ("BTC", Arc::new(Int64Array::from(vec![30, 10, 20, 40]))),
            (
                "LTC",
                Arc::new(Float32Array::from(vec![0.5, 0.25, 0.75, 1.0])),
            ),
        ],
    );
    let t = load_prices(&p, &req(&["BTC", "ETH", "LTC"])).unwrap();
    assert_eq!(
        t.dates,
        vec![d("2020-01-02"), d("2020-01-03"), d("2020-01-06")]
    );
    assert_eq!(
        t.closes,
        vec![
            vec![20.0, 30.0, 40.0],
            vec![2.5, 3.5, 4.0],
            vec![0.75, 0.5, 1.0]
        ]
    );

    // A non-positive value is reported by 0-based data row.
    let q = dir.path().join("q.parquet");
    write_parquet(
        &q,
        vec![
            (
                "timestamp",
                Arc::new(
                    TimestampMillisecondArray::from(vec![
                        i64::from(days("2020-01-01")) * 86_400_000 + 3_600_000,
                        i64::from(days("2020-01-02")) * 86_400_000,
                        i64::from(days("2020-01-03")) * 86_400_000 + 1,
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            ("A", Arc::new(Float64Array::from(vec![1.0, 0.0, 2.0]))),
        ],
    );
    let e = load_prices(&q, &req(&["A"])).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: row 1 (0-based data row), column \"A\" (2020-01-02): close price 0 is not \
             positive",
            q.display()
        )
    );

    // Text dates and an unsupported price type.
    let s = dir.path().join("s.parquet");
    write_parquet(
        &s,
        vec![
            (
                "date",
                Arc::new(StringArray::from(vec!["1/2/2020", "2020-01-01 00:00:00"])),
            ),
            ("A", Arc::new(StringArray::from(vec!["1.5", "2"]))),
            (
                "B",
                Arc::new(arrow_array::BooleanArray::from(vec![true, false])),
            ),
        ],
    );
    let t = load_prices(&s, &req(&["A"])).unwrap();
    assert_eq!(t.dates, vec![d("2020-01-01"), d("2020-01-02")]);
    assert_eq!(t.closes, vec![vec![2.0, 1.5]]);
    let e = load_prices(&s, &req(&["B"])).unwrap_err().to_string();
    assert!(
        e.ends_with(
            ": row 1 (0-based data row), column \"B\" (2020-01-01): a value of unsupported \
             type Boolean is not a number"
        ),
        "{e}"
    );
}
