//! Loading a long-form account book from CSV or Parquet.

use std::path::Path;

use crunch_book::BookBuilder;
use crunch_core::{Book, MarketSpec};

use crate::error::IoError;
use crate::table::{self, HeaderRule, Table, cell_number, cell_text, column_list};

/// The columns of a long-form book, in any order; the last, `score`, is optional.
const COLUMNS: [&str; 5] = ["account", "asset", "collateral", "debt", "score"];

/// A book header has a column named `account`.
const BOOK_HEADER: HeaderRule = HeaderRule {
    matches: |fields| fields.contains(&"account"),
    expected: "a line with a column named `account`",
};

/// Loads a long-form book (`account`, `asset`, `collateral`, `debt`) for the assets of
/// `market` from a `.csv` or `.parquet` file.
///
/// - The four columns are required, in any order, named exactly so, and a fifth, `score`
///   (the account's reputation score at step 0, a number, the same on each of its rows),
///   is optional; another column, a missing one or a repeated one is an error naming it. In CSV the header is the first
///   of the first 10 lines with a field `account` (earlier lines are skipped).
/// - `account` is text or an integer (written in decimal); `asset` is a symbol of the
///   market; `collateral` and `debt` are numbers (Parquet: floats or integers). An empty
///   field or null is an error (a missing *row* means zero, a missing *value* does not).
/// - The rows then follow the rules of [`crunch_book::BookBuilder`]: account order is
///   order of first appearance, a duplicate `(account, asset)` row, an unknown asset, a
///   negative or non-finite quantity or debt on a non-numeraire asset is an error.
///
/// Every error names the file and the line (CSV, 1-based physical line) or row (Parquet,
/// 0-based data row).
pub fn load_book(path: &Path, market: &MarketSpec) -> Result<Book, IoError> {
    let table = table::open(path, &BOOK_HEADER)?;
    build(
        path,
        &*table,
        BookBuilder::with_locator(market, table.locator()),
    )
}

/// Like [`load_book`], for a protocol with multi-asset debt: each row's `debt` is the
/// quantity of its asset owed, on any asset ([`Book::owed`]).
pub fn load_owing_book(path: &Path, market: &MarketSpec) -> Result<Book, IoError> {
    let table = table::open(path, &BOOK_HEADER)?;
    let builder = BookBuilder::with_locator(market, table.locator()).multi_asset_debt();
    build(path, &*table, builder)
}

/// Finds the four columns and the optional `score`; every other column is an error.
fn resolve(path: &Path, headers: &[String]) -> Result<([usize; 4], Option<usize>), IoError> {
    let err = |problem: String| IoError::Columns {
        path: path.to_owned(),
        problem,
        columns: column_list(headers),
    };
    let mut found: [Option<usize>; 5] = [None; 5];
    for (c, h) in headers.iter().enumerate() {
        let Some(k) = COLUMNS.iter().position(|n| n == h) else {
            return Err(err(format!(
                "unexpected column \"{h}\" (a book has the columns account, asset, \
                 collateral, debt and optionally score)"
            )));
        };
        if found[k].replace(c).is_some() {
            return Err(err(format!("column \"{h}\" appears twice")));
        }
    }
    let mut cols = [0; 4];
    for (k, slot) in found[..4].iter().enumerate() {
        cols[k] = slot.ok_or_else(|| err(format!("missing column \"{}\"", COLUMNS[k])))?;
    }
    Ok((cols, found[4]))
}

fn build(path: &Path, table: &dyn Table, mut builder: BookBuilder) -> Result<Book, IoError> {
    let headers = table.headers();
    let ([account, asset, collateral, debt], score) = resolve(path, headers)?;
    for r in 0..table.rows() {
        let at = table.location(r);
        let value_err = |col: usize, problem: String| IoError::Value {
            path: path.to_owned(),
            at,
            column: headers[col].clone(),
            date: None,
            problem,
        };
        let text = |col: usize| {
            cell_text(table.cell(r, col))
                .and_then(|s| s.ok_or_else(|| format!("the {} is missing", headers[col])))
                .map_err(|p| value_err(col, p))
        };
        let number = |col: usize| {
            cell_number(table.cell(r, col))
                .and_then(|x| x.ok_or_else(|| format!("the {} is missing", headers[col])))
                .map_err(|p| value_err(col, p))
        };
        let (id, sym) = (text(account)?, text(asset)?);
        let (c, d) = (number(collateral)?, number(debt)?);
        let book_err = |source| IoError::Book {
            path: path.to_owned(),
            at,
            cause: source,
        };
        builder
            .add_at(at.number(), &id, &sym, c, d)
            .map_err(book_err)?;
        if let Some(col) = score {
            builder
                .score_at(at.number(), &id, number(col)?)
                .map_err(book_err)?;
        }
    }
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::MemTable;
    use crunch_core::AssetSpec;

    fn market() -> MarketSpec {
        let a = AssetSpec::new;
        MarketSpec {
            assets: vec![a("ETH", 2000.0, 0.8), a("USDC", 1.0, 0.0)],
            dt: 1.0 / 365.0,
            phi: 0.0,
        }
    }

    fn run(t: &MemTable) -> Result<Book, String> {
        let market = market();
        let builder = BookBuilder::with_locator(&market, t.locator());
        build(Path::new("b.csv"), t, builder).map_err(|e| e.to_string())
    }

    #[test]
    fn columns_in_any_order() {
        let t = MemTable::new(
            &["debt", "asset", "account", "collateral"],
            vec![
                vec!["0", "ETH", "b", "2.5"],
                vec!["100", "USDC", "a", "0"],
                vec!["1e2", "USDC", "b", "3"],
            ],
        );
        let book = run(&t).unwrap();
        assert_eq!(book.ids, vec!["b", "a"]);
        assert_eq!(book.collateral, vec![vec![2.5, 0.0], vec![3.0, 0.0]]);
        assert_eq!(book.debt, vec![100.0, 100.0]);
    }

    #[test]
    fn column_errors_name_the_column() {
        let h = |hs: &[&str]| run(&MemTable::new(hs, vec![])).unwrap_err();
        let all = "the file has columns";
        assert_eq!(
            h(&["account", "asset", "collateral"]),
            format!("b.csv: missing column \"debt\"; {all} \"account\", \"asset\", \"collateral\"")
        );
        assert!(
            h(&["account", "asset", "collateral", "debt", "note"]).starts_with(
                "b.csv: unexpected column \"note\" (a book has the columns account, asset, \
                 collateral, debt and optionally score);"
            )
        );
        assert!(
            h(&["account", "asset", "debt", "collateral", "debt"])
                .starts_with("b.csv: column \"debt\" appears twice;")
        );
    }

    #[test]
    fn row_errors_name_the_line() {
        let one = |row: Vec<&'static str>| {
            run(&MemTable::new(
                &["account", "asset", "collateral", "debt"],
                vec![row],
            ))
            .unwrap_err()
        };
        assert_eq!(
            one(vec!["1", "ETH", "", "0"]),
            "b.csv: line 2, column \"collateral\": the collateral is missing"
        );
        assert_eq!(
            one(vec!["1", "ETH", "x", "0"]),
            "b.csv: line 2, column \"collateral\": `x` is not a number"
        );
        assert_eq!(
            one(vec!["", "ETH", "1", "0"]),
            "b.csv: line 2, column \"account\": the account is missing"
        );
        assert_eq!(
            one(vec!["1", "ETH", "1", "5"]),
            "b.csv: line 2: account `1`: debt 5 on moving asset `ETH`: debt is accepted \
             only on a stable asset with start price 1 (set `[protocol] multi_asset_debt = \
             true` to owe any asset)"
        );
        let t = MemTable::new(
            &["account", "asset", "collateral", "debt"],
            vec![vec!["7", "ETH", "1", "0"], vec!["7", "ETH", "1", "0"]],
        );
        assert_eq!(
            run(&t).unwrap_err(),
            "b.csv: line 3: duplicate row for account `7` and asset `ETH` (first at line 2)"
        );
    }

    #[test]
    fn an_optional_score_column_gives_each_account_its_score() {
        let t = MemTable::new(
            &["account", "score", "asset", "collateral", "debt"],
            vec![
                vec!["b", "0.9", "ETH", "2.5", "0"],
                vec!["a", "0.25", "USDC", "0", "100"],
                vec!["b", "0.9", "USDC", "3", "50"],
            ],
        );
        let book = run(&t).unwrap();
        assert_eq!(book.ids, vec!["b", "a"]);
        assert_eq!(book.scores, vec![0.9, 0.25]);
        let plain = MemTable::new(
            &["account", "asset", "collateral", "debt"],
            vec![vec!["a", "ETH", "1", "0"]],
        );
        assert!(run(&plain).unwrap().scores.is_empty());
        let differs = MemTable::new(
            &["account", "asset", "collateral", "debt", "score"],
            vec![
                vec!["a", "ETH", "1", "0", "0.5"],
                vec!["a", "USDC", "0", "9", "0.6"],
            ],
        );
        assert_eq!(
            run(&differs).unwrap_err(),
            "b.csv: line 3: account `a`: score 0.6 differs from the score 0.5 given at line 2 \
             (one score per account, the same on each of its rows)"
        );
        let missing = MemTable::new(
            &["account", "asset", "collateral", "debt", "score"],
            vec![vec!["a", "ETH", "1", "0", ""]],
        );
        assert_eq!(
            run(&missing).unwrap_err(),
            "b.csv: line 2, column \"score\": the score is missing"
        );
    }
}
