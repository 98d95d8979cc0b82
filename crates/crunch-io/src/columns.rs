//! Listing the symbol columns of a price file, for tools that want every asset of a file
//! (such as `crunch calibrate`) rather than the symbols a scenario names.

use std::path::Path;

use crate::error::IoError;
use crate::prices::{PRICE_HEADER, is_date_name};
use crate::table::{self, Cell, Table, cell_number};

/// A symbol a price file holds closes for, and the column they are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolColumn {
    /// The symbol (`BTC` for a column `BTC:close`, the column name for a plain column).
    pub symbol: String,
    /// The column's name in the file.
    pub column: String,
}

/// Lists the symbol columns of a `.csv` or `.parquet` price file, in file order.
///
/// The file is read with the same header rule as [`crate::load_prices`]. Then:
/// 1. Every column `SYM:close` (`close` in any case) is the symbol `SYM`; the other
///    `SYM:field` columns (open, high, low, volume …) are not symbols.
/// 2. Otherwise, when the file has a plain column named `close` (any case) — a single-asset
///    OHLCV file — that column is the only symbol, named `close`.
/// 3. Otherwise every column that is not the date column (the first named
///    `date`/`timestamp`, else an unnamed first column), has no `:` in its name and whose
///    first non-missing value is a number is a symbol named like the column.
///
/// Each entry's `column` can be passed back in [`crate::PriceRequest::columns`], so that
/// loading the listed symbols resolves exactly these columns. An empty list is an error
/// that lists the file's columns.
pub fn price_columns(path: &Path) -> Result<Vec<SymbolColumn>, IoError> {
    let table = table::open(path, &PRICE_HEADER)?;
    list(path, &*table)
}

fn list(path: &Path, table: &dyn Table) -> Result<Vec<SymbolColumn>, IoError> {
    let headers = table.headers();
    let entry = |symbol: &str, column: &str| SymbolColumn {
        symbol: symbol.to_owned(),
        column: column.to_owned(),
    };
    let closes: Vec<SymbolColumn> = headers
        .iter()
        .filter_map(|h| {
            let (sym, field) = h.rsplit_once(':')?;
            (!sym.is_empty() && field.eq_ignore_ascii_case("close")).then(|| entry(sym, h))
        })
        .collect();
    if !closes.is_empty() {
        return Ok(closes);
    }
    if let Some(h) = headers.iter().find(|h| h.eq_ignore_ascii_case("close")) {
        return Ok(vec![entry("close", h)]);
    }
    let date = headers
        .iter()
        .position(|h| is_date_name(h))
        .or_else(|| (headers.first().map(String::as_str) == Some("")).then_some(0));
    let numeric = |col: usize| {
        (0..table.rows())
            .map(|r| table.cell(r, col))
            .find(|c| !matches!(c, Cell::Null | Cell::Text(".")))
            .is_some_and(|c| matches!(cell_number(c), Ok(Some(_))))
    };
    let plain: Vec<SymbolColumn> = headers
        .iter()
        .enumerate()
        .filter(|&(i, h)| Some(i) != date && !h.is_empty() && !h.contains(':') && numeric(i))
        .map(|(_, h)| entry(h, h))
        .collect();
    if plain.is_empty() {
        return Err(IoError::Columns {
            path: path.to_owned(),
            problem: "no price column (a `SYM:close` column, a `close` column or a numeric \
                      column other than the date)"
                .into(),
            columns: table::column_list(headers),
        });
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::MemTable;

    fn run(t: &MemTable) -> Result<Vec<(String, String)>, String> {
        list(Path::new("p.csv"), t)
            .map(|v| v.into_iter().map(|s| (s.symbol, s.column)).collect())
            .map_err(|e| e.to_string())
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn ohlcv_per_symbol_lists_close_columns() {
        let t = MemTable::new(
            &["", "BTC:open", "BTC:close", "ETH:Close", "ETH:volume"],
            vec![vec!["2020-01-01", "1", "2", "", ""]],
        );
        assert_eq!(
            run(&t).unwrap(),
            pairs(&[("BTC", "BTC:close"), ("ETH", "ETH:Close")])
        );
    }

    #[test]
    fn single_asset_ohlcv_lists_close() {
        let t = MemTable::new(
            &["date", "symbol", "open", "close", "volume"],
            vec![vec!["2020-01-01", "BTCUSD", "1", "2", "3"]],
        );
        assert_eq!(run(&t).unwrap(), pairs(&[("close", "close")]));
    }

    #[test]
    fn wide_files_list_numeric_columns() {
        let t = MemTable::new(
            &["Date", "AAPL", "note", "vix"],
            vec![
                vec!["2020-01-01", ".", "x", ""],
                vec!["2020-01-02", "3", "y", "12.5"],
            ],
        );
        assert_eq!(run(&t).unwrap(), pairs(&[("AAPL", "AAPL"), ("vix", "vix")]));
        let t = MemTable::new(&["Date", "note"], vec![vec!["2020-01-01", "x"]]);
        assert_eq!(
            run(&t).unwrap_err(),
            "p.csv: no price column (a `SYM:close` column, a `close` column or a numeric \
             column other than the date); the file has columns \"Date\", \"note\""
        );
    }
}
