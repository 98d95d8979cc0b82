//! Loading historical closes from CSV or Parquet into a [`PriceTable`].

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;

use crate::error::IoError;
use crate::table::{self, Cell, HeaderRule, Table, cell_date, cell_number, column_list};

/// Which closes to load from a price file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceRequest {
    /// Symbols to load, in the order of [`PriceTable::symbols`].
    pub symbols: Vec<String>,
    /// Explicit column for a symbol (`symbol -> column name`), overriding the defaults.
    pub columns: BTreeMap<String, String>,
    /// First date of the window (inclusive); `None` for the start of the file.
    pub start: Option<NaiveDate>,
    /// Last date of the window (inclusive); `None` for the end of the file.
    pub end: Option<NaiveDate>,
}

/// Closes of the requested symbols on consecutive steps.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    /// Dates of the steps, strictly ascending; step `t` is `dates[t]` (gaps not filled).
    pub dates: Vec<NaiveDate>,
    /// The requested symbols, in request order.
    pub symbols: Vec<String>,
    /// `closes[s][t]`: close of `symbols[s]` at step `t` (finite, > 0).
    pub closes: Vec<Vec<f64>>,
}

/// Names (case-insensitive) that mark the date column.
const DATE_NAMES: [&str; 2] = ["date", "timestamp"];

pub(crate) fn is_date_name(name: &str) -> bool {
    DATE_NAMES.iter().any(|n| name.eq_ignore_ascii_case(n))
}

/// A price header has a column named `date`/`timestamp` or an empty first name.
pub(crate) const PRICE_HEADER: HeaderRule = HeaderRule {
    matches: |fields| fields.first() == Some(&"") || fields.iter().any(|f| is_date_name(f)),
    expected: "a line with a column named `date` or `timestamp` (any case), or an empty first \
               column name",
};

/// Loads closes of `request.symbols` from a `.csv` or `.parquet` file.
///
/// At least one symbol must be requested. Rules, applied in this order:
/// 1. **Header (CSV).** The header is the first of the first 10 lines that has a field
///    named `date` or `timestamp` (any case) or an empty first field; lines before it
///    (banners) are skipped. Fields are trimmed; every later line must have as many
///    fields as the header.
/// 2. **Columns.** The date column is the first column named `date`/`timestamp` (any
///    case), else an unnamed first column. A symbol's column is the override in
///    `request.columns` if given, else a column named exactly the symbol, else
///    `SYMBOL:close` (symbol case-sensitive, `close` any case); otherwise an error lists
///    the file's columns. An override for a symbol that is not requested is an error.
/// 3. **Dates.** `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` (the date part is used) or `M/D/YYYY`;
///    in Parquet also Date32, Date64 and timestamps of any unit (their UTC date).
/// 4. **Order.** Rows are sorted by date ascending (newest-first files are fine); two
///    rows with the same date are an error naming both.
/// 5. **Window.** Rows outside the inclusive `[start, end]` are dropped.
/// 6. **Missing values.** A value is missing when its field is empty or `.` (the
///    holiday marker of FRED exports such as the shipped VIX file), or null in Parquet.
///    Rows where *every* requested symbol is missing (non-trading days) are dropped
///    wherever they are, like missing dates. Then leading rows where *any* requested
///    symbol is missing are dropped: the series starts at the first date on which every
///    requested symbol has a close (an asset that starts later).
/// 7. **Values.** After that, a missing value, a value that is not a number, NaN, an
///    infinity or a close `<= 0` is an error naming the file, the line (CSV: 1-based
///    physical line) or row (Parquet: 0-based data row), the column and the date.
///    Parquet price columns may be floats or integers.
/// 8. **Length.** Fewer than 2 rows left is an error that names the window.
///
/// Dates are consecutive steps as they are: missing dates (weekends, gaps) are not
/// filled in.
pub fn load_prices(path: &Path, request: &PriceRequest) -> Result<PriceTable, IoError> {
    let table = table::open(path, &PRICE_HEADER)?;
    select(path, &*table, request)
}

/// Resolves the columns of `request` in `headers`: the date column, then one per symbol.
fn resolve(
    path: &Path,
    headers: &[String],
    request: &PriceRequest,
) -> Result<(usize, Vec<usize>), IoError> {
    let columns_err = |problem: String| IoError::Columns {
        path: path.to_owned(),
        problem,
        columns: column_list(headers),
    };
    let date = headers
        .iter()
        .position(|h| is_date_name(h))
        .or_else(|| (headers.first().map(String::as_str) == Some("")).then_some(0))
        .ok_or_else(|| {
            columns_err(
                "no date column (a column named `date` or `timestamp`, or an unnamed first \
                 column)"
                    .into(),
            )
        })?;
    if request.symbols.is_empty() {
        return Err(IoError::Request {
            path: path.to_owned(),
            problem: "no symbols requested".into(),
        });
    }
    if let Some(extra) = request
        .columns
        .keys()
        .find(|s| !request.symbols.contains(s))
    {
        return Err(IoError::Request {
            path: path.to_owned(),
            problem: format!("a column is given for `{extra}`, which is not a requested symbol"),
        });
    }
    let mut cols = Vec::with_capacity(request.symbols.len());
    for sym in &request.symbols {
        let col = if let Some(name) = request.columns.get(sym) {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                columns_err(format!(
                    "column \"{name}\" given for `{sym}` is not in the file"
                ))
            })?
        } else {
            let is_close = |h: &str| {
                h.strip_prefix(sym.as_str())
                    .and_then(|r| r.strip_prefix(':'))
                    .is_some_and(|r| r.eq_ignore_ascii_case("close"))
            };
            headers
                .iter()
                .position(|h| h == sym)
                .or_else(|| headers.iter().position(|h| is_close(h)))
                .ok_or_else(|| {
                    columns_err(format!(
                        "no column for `{sym}` (looked for \"{sym}\" and \"{sym}:close\"; name \
                         one with columns = {{ {sym} = \"...\" }})"
                    ))
                })?
        };
        cols.push(col);
    }
    Ok((date, cols))
}

fn select(path: &Path, table: &dyn Table, request: &PriceRequest) -> Result<PriceTable, IoError> {
    let headers = table.headers();
    let (date_col, cols) = resolve(path, headers, request)?;
    let value_err =
        |row: usize, col: usize, date: Option<NaiveDate>, problem: String| IoError::Value {
            path: path.to_owned(),
            at: table.location(row),
            column: headers[col].clone(),
            date: date.map(|d| d.to_string()),
            problem,
        };

    // 3. Dates of all rows, then 4. sorted (stable: equal dates stay in file order).
    let mut rows: Vec<(NaiveDate, usize)> = (0..table.rows())
        .map(|r| {
            cell_date(table.cell(r, date_col))
                .map(|d| (d, r))
                .map_err(|p| value_err(r, date_col, None, p))
        })
        .collect::<Result<_, _>>()?;
    rows.sort_by_key(|&(d, _)| d);
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(IoError::DuplicateDate {
            path: path.to_owned(),
            date: w[0].0.to_string(),
            first: table.location(w[0].1),
            second: table.location(w[1].1),
        });
    }
    let span = match (rows.first(), rows.last()) {
        (Some(a), Some(b)) => format!("the file covers {} .. {}", a.0, b.0),
        _ => "the file has no data rows".to_owned(),
    };

    // 5. The window.
    if let (Some(s), Some(e)) = (request.start, request.end)
        && s > e
    {
        return Err(IoError::Request {
            path: path.to_owned(),
            problem: format!("the window start {s} is after its end {e}"),
        });
    }
    rows.retain(|&(d, _)| {
        request.start.is_none_or(|s| d >= s) && request.end.is_none_or(|e| d <= e)
    });

    // 6. Rows without any close, then leading rows where some symbol has no value yet.
    let missing = |r: usize, c: usize| matches!(table.cell(r, c), Cell::Null | Cell::Text("."));
    rows.retain(|&(_, r)| !cols.iter().all(|&c| missing(r, c)));
    let first_full = rows
        .iter()
        .position(|&(_, r)| !cols.iter().any(|&c| missing(r, c)))
        .unwrap_or(rows.len());
    rows.drain(..first_full);

    // 7. Values.
    let mut closes = vec![Vec::with_capacity(rows.len()); cols.len()];
    for &(date, r) in &rows {
        for (series, &c) in closes.iter_mut().zip(&cols) {
            let cell = if missing(r, c) {
                Cell::Null
            } else {
                table.cell(r, c)
            };
            let x = cell_number(cell)
                .and_then(|x| x.ok_or_else(|| "the close price is missing".to_owned()))
                .and_then(|x| {
                    if x.is_nan() {
                        Err("the close price is NaN".to_owned())
                    } else if x.is_infinite() {
                        Err(format!("close price {x} is not finite"))
                    } else if x <= 0.0 {
                        Err(format!("close price {x} is not positive"))
                    } else {
                        Ok(x)
                    }
                })
                .map_err(|p| value_err(r, c, Some(date), p))?;
            series.push(x);
        }
    }

    // 8. Length.
    if rows.len() < 2 {
        let bound = |d: Option<NaiveDate>, open: &str| d.map_or(open.to_owned(), |d| d.to_string());
        return Err(IoError::TooFewRows {
            path: path.to_owned(),
            rows: rows.len(),
            window: format!(
                "the window {} .. {} ({span})",
                bound(request.start, "start of file"),
                bound(request.end, "end of file")
            ),
        });
    }
    Ok(PriceTable {
        dates: rows.iter().map(|&(d, _)| d).collect(),
        symbols: request.symbols.clone(),
        closes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::MemTable;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn req(symbols: &[&str]) -> PriceRequest {
        PriceRequest {
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            ..PriceRequest::default()
        }
    }

    fn run(t: &MemTable, r: &PriceRequest) -> Result<PriceTable, String> {
        select(Path::new("p.csv"), t, r).map_err(|e| e.to_string())
    }

    #[test]
    fn column_resolution_order() {
        let h = ["", "ETH:Close", "BTC:close", "BTC", "x"];
        let t = MemTable::new(&h, vec![vec!["2020-01-01", "1", "2", "3", "4"]; 1]);
        let p = Path::new("p.csv");
        let (date, cols) = resolve(p, &t.headers, &req(&["BTC", "ETH"])).unwrap();
        assert_eq!((date, cols), (0, vec![3, 1]));
        let mut r = req(&["BTC"]);
        r.columns.insert("BTC".into(), "x".into());
        assert_eq!(resolve(p, &t.headers, &r).unwrap().1, vec![4]);
        // `eth` does not match `ETH:Close`: symbols are case-sensitive.
        let e = resolve(p, &t.headers, &req(&["eth"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "p.csv: no column for `eth` (looked for \"eth\" and \"eth:close\"; name one with \
             columns = { eth = \"...\" }); the file has columns \"\", \"ETH:Close\", \
             \"BTC:close\", \"BTC\", \"x\""
        );
        r.columns.insert("LTC".into(), "x".into());
        let e = resolve(p, &t.headers, &r).unwrap_err().to_string();
        assert_eq!(
            e,
            "p.csv: a column is given for `LTC`, which is not a requested symbol"
        );
        let mut r = req(&["BTC"]);
        r.columns.insert("BTC".into(), "close".into());
        let e = resolve(p, &t.headers, &r).unwrap_err().to_string();
        assert!(e.starts_with("p.csv: column \"close\" given for `BTC` is not in the file;"));
        let hs: Vec<String> = ["Timestamp", "Date", "A"].map(String::from).to_vec();
        assert_eq!(resolve(p, &hs, &req(&["A"])).unwrap(), (0, vec![2]));
        let hs: Vec<String> = ["day", "A"].map(String::from).to_vec();
        let e = resolve(p, &hs, &req(&["A"])).unwrap_err().to_string();
        assert!(e.starts_with("p.csv: no date column"), "{e}");
    }

    #[test]
    fn sorted_windowed_and_late_starters_dropped() {
        let t = MemTable::new(
            &["date", "A", "B"],
            vec![
                vec!["2020-01-05", "5", "50"],
                vec!["2020-01-04", "4", "40"],
                vec!["2020-01-02", "2", ""],
                vec!["2020-01-03", "3", "30"],
                vec!["2020-01-01", "1", ""],
            ],
        );
        let all = run(&t, &req(&["B", "A"])).unwrap();
        assert_eq!(
            all.dates,
            vec![d("2020-01-03"), d("2020-01-04"), d("2020-01-05")]
        );
        assert_eq!(all.symbols, vec!["B", "A"]);
        assert_eq!(
            all.closes,
            vec![vec![30.0, 40.0, 50.0], vec![3.0, 4.0, 5.0]]
        );
        let only_a = run(&t, &req(&["A"])).unwrap();
        assert_eq!(only_a.closes, vec![vec![1.0, 2.0, 3.0, 4.0, 5.0]]);
        let mut r = req(&["A"]);
        r.start = Some(d("2020-01-02"));
        r.end = Some(d("2020-01-03"));
        assert_eq!(run(&t, &r).unwrap().closes, vec![vec![2.0, 3.0]]);
        r.end = Some(d("2020-01-02"));
        assert_eq!(
            run(&t, &r).unwrap_err(),
            "p.csv: 1 usable row(s) in the window 2020-01-02 .. 2020-01-02 (the file covers \
             2020-01-01 .. 2020-01-05); at least 2 dates with a close for every requested \
             symbol are needed"
        );
        r.start = Some(d("2020-01-04"));
        assert_eq!(
            run(&t, &r).unwrap_err(),
            "p.csv: the window start 2020-01-04 is after its end 2020-01-02"
        );
    }

    #[test]
    fn bad_values_name_line_column_and_date() {
        let rows = |b3: &'static str| {
            MemTable::new(
                &["Date", "A", "B"],
                vec![
                    vec!["2020-01-01", "1", "10"],
                    vec!["2020-01-02", "2", "20"],
                    vec!["2020-01-03", "3", b3],
                ],
            )
        };
        let cases = [
            ("", "the close price is missing"),
            ("-3", "close price -3 is not positive"),
            ("0", "close price 0 is not positive"),
            ("NaN", "the close price is NaN"),
            ("inf", "close price inf is not finite"),
            ("n/a", "`n/a` is not a number"),
        ];
        for (value, problem) in cases {
            assert_eq!(
                run(&rows(value), &req(&["A", "B"])).unwrap_err(),
                format!("p.csv: line 4, column \"B\" (2020-01-03): {problem}")
            );
        }
        let t = MemTable::new(
            &["date", "A"],
            vec![vec!["2020-01-01", "1"], vec!["01.02.2020", "2"]],
        );
        assert_eq!(
            run(&t, &req(&["A"])).unwrap_err(),
            "p.csv: line 3, column \"date\": `01.02.2020` is not a date (expected \
             YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or M/D/YYYY)"
        );
    }

    #[test]
    fn rows_without_any_close_are_dropped_anywhere() {
        let t = MemTable::new(
            &["date", "A", "B"],
            vec![
                vec!["2020-01-01", ".", ""],
                vec!["2020-01-02", "2", "."],
                vec!["2020-01-03", "3", "30"],
                vec!["2020-01-04", ".", "."],
                vec!["2020-01-05", "5", "50"],
                vec!["2020-01-06", "6", "."],
            ],
        );
        let a = run(&t, &req(&["A"])).unwrap();
        assert_eq!(
            a.dates,
            vec![
                d("2020-01-02"),
                d("2020-01-03"),
                d("2020-01-05"),
                d("2020-01-06")
            ]
        );
        assert_eq!(a.closes, vec![vec![2.0, 3.0, 5.0, 6.0]]);
        assert_eq!(
            run(&t, &req(&["A", "B"])).unwrap_err(),
            "p.csv: line 7, column \"B\" (2020-01-06): the close price is missing"
        );
        assert_eq!(
            run(&t, &PriceRequest::default()).unwrap_err(),
            "p.csv: no symbols requested"
        );
    }

    #[test]
    fn duplicate_dates_name_both_lines() {
        let t = MemTable::new(
            &["date", "A"],
            vec![
                vec!["2020-01-02", "1"],
                vec!["2020-01-01", "1"],
                vec!["2020-01-02 12:00:00", "2"],
            ],
        );
        assert_eq!(
            run(&t, &req(&["A"])).unwrap_err(),
            "p.csv: date 2020-01-02 appears twice, at line 2 and at line 4"
        );
    }
}
