//! Loading a derivatives book from a long-form CSV file.
//!
//! One row per collateral amount or position; the columns, in any order, named exactly
//! so (the first line is the header):
//!
//! | column           | required | rows              | meaning                                        |
//! |------------------|----------|-------------------|------------------------------------------------|
//! | `account`        | yes      | all               | account identifier (text)                      |
//! | `kind`           | yes      | all               | `collateral`, `perp`, `call` or `put`          |
//! | `asset`          | yes      | all               | a symbol of the market (`collateral`: empty or a numeraire asset) |
//! | `size`           | yes      | all               | collateral: amount `>= 0`; position: signed units, non-zero (`< 0` short) |
//! | `entry_price`    | no       | `perp`            | entry price `> 0` (required on a perp row)     |
//! | `funding_rate`   | no       | `perp`            | funding per step paid by longs (empty: none)   |
//! | `strike`         | no       | `call`, `put`     | strike `> 0` (required on an option row)       |
//! | `expiry_step`    | no       | `call`, `put`     | expiry as a step of the path, a whole number `>= 0` (required); the option's expiry in years is `expiry_step dt` |
//! | `premium`        | no       | `call`, `put`     | premium per unit paid or received at entry `>= 0` (empty: 0) |
//! | `isolated_margin`| no       | `perp`, `call`, `put` | collateral set aside for the position `>= 0` (empty: 0) |
//!
//! An account's collateral is its one `collateral` row (none: 0). A value in a column that
//! does not apply to the row's kind is an error (a strike on a perp row is a mistake, not
//! something to ignore), as are an unknown or repeated column, an unknown kind or asset, a
//! number that does not parse or is out of range, and a second collateral row. Account
//! order is order of first appearance. Every error names the file, and for a value the
//! 1-based line and the column; the account-level rules of [`Account::new`] (isolated
//! margins within the collateral) name the account's first line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crunch_core::MarketSpec;
use thiserror::Error;

use crate::black76::OptionKind;
use crate::book::{Account, DerivBook, Position};
use crate::error::DerivError;

/// Why a derivatives book file was refused; every message starts with the file.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file cannot be opened or read.
    #[error("{}: cannot read the file: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        cause: std::io::Error,
    },
    /// The CSV itself is malformed (for example a row with another number of fields).
    #[error("{}: {cause}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV reader's error (it names the line).
        cause: csv::Error,
    },
    /// A required column is missing, or a column is unknown or repeated.
    #[error("{}: {problem}; the file has columns {columns}", path.display())]
    Columns {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
        /// The file's columns, quoted and comma-separated.
        columns: String,
    },
    /// A value cannot be used.
    #[error("{}: line {line}, column \"{column}\": {problem}", path.display())]
    Value {
        /// The file.
        path: PathBuf,
        /// 1-based line of the row.
        line: u64,
        /// The column.
        column: &'static str,
        /// What is wrong with the value.
        problem: String,
    },
    /// An account breaks a rule of [`Account::new`].
    #[error("{}: line {line}: {cause}", path.display())]
    Account {
        /// The file.
        path: PathBuf,
        /// 1-based line of the account's first row.
        line: u64,
        /// The rule broken.
        cause: DerivError,
    },
}

/// The columns, required ones first.
const COLUMNS: [&str; 10] = [
    "account",
    "kind",
    "asset",
    "size",
    "entry_price",
    "funding_rate",
    "strike",
    "expiry_step",
    "premium",
    "isolated_margin",
];
const REQUIRED: usize = 4;
const ACCOUNT: usize = 0;
const KIND: usize = 1;
const ASSET: usize = 2;
const SIZE: usize = 3;
const ENTRY: usize = 4;
const FUNDING: usize = 5;
const STRIKE: usize = 6;
const EXPIRY: usize = 7;
const PREMIUM: usize = 8;
const ISOLATED: usize = 9;

/// What a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Collateral,
    Perp,
    Option(OptionKind),
}

/// One account as it is read: first line, collateral (and its line), positions.
struct Draft {
    id: String,
    line: u64,
    collateral: Option<f64>,
    positions: Vec<Position>,
}

/// One row with its columns resolved.
struct Row<'a> {
    path: &'a Path,
    line: u64,
    record: &'a csv::StringRecord,
    cols: &'a [Option<usize>; 10],
}

impl Row<'_> {
    fn err(&self, c: usize, problem: impl Into<String>) -> LoadError {
        LoadError::Value {
            path: self.path.to_owned(),
            line: self.line,
            column: COLUMNS[c],
            problem: problem.into(),
        }
    }

    /// The trimmed text of column `c`, `None` when the column is absent or the cell empty.
    fn text(&self, c: usize) -> Option<&str> {
        let i = self.cols[c]?;
        let t = self.record.get(i)?.trim();
        (!t.is_empty()).then_some(t)
    }

    /// The number in column `c`, if any, checked by `ok` (`rule` says what it requires).
    fn number(
        &self,
        c: usize,
        ok: impl Fn(f64) -> bool,
        rule: &str,
    ) -> Result<Option<f64>, LoadError> {
        let Some(t) = self.text(c) else {
            return Ok(None);
        };
        let v: f64 = t
            .parse()
            .map_err(|_| self.err(c, format!("\"{t}\" is not a number")))?;
        if !ok(v) {
            return Err(self.err(c, format!("{t} {rule}")));
        }
        Ok(Some(v))
    }

    /// Like [`Row::number`], and an error when the cell is empty.
    fn required(&self, c: usize, ok: impl Fn(f64) -> bool, rule: &str) -> Result<f64, LoadError> {
        self.number(c, ok, rule)?
            .ok_or_else(|| self.err(c, "required here, but empty"))
    }

    /// An error if any of `cols` holds a value (they do not apply to `kind`).
    fn none_of(&self, cols: &[usize], kind: &str) -> Result<(), LoadError> {
        match cols.iter().find(|&&c| self.text(c).is_some()) {
            Some(&c) => Err(self.err(c, format!("does not apply to a {kind} row; leave it empty"))),
            None => Ok(()),
        }
    }
}

/// Finds the columns; an unknown or repeated column, or a missing required one, is an
/// error.
fn resolve(path: &Path, headers: &csv::StringRecord) -> Result<[Option<usize>; 10], LoadError> {
    let columns = headers
        .iter()
        .map(|h| format!("\"{}\"", h.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let err = |problem: String| LoadError::Columns {
        path: path.to_owned(),
        problem,
        columns: columns.clone(),
    };
    let mut found = [None; 10];
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        let k = COLUMNS
            .iter()
            .position(|c| *c == h)
            .ok_or_else(|| err(format!("unknown column \"{h}\"")))?;
        if found[k].replace(i).is_some() {
            return Err(err(format!("column \"{h}\" appears twice")));
        }
    }
    if let Some(k) = (0..REQUIRED).find(|&k| found[k].is_none()) {
        return Err(err(format!("missing column \"{}\"", COLUMNS[k])));
    }
    Ok(found)
}

/// Reads one row into `draft` (module documentation).
fn read_row(row: &Row<'_>, market: &MarketSpec, draft: &mut Draft) -> Result<(), LoadError> {
    let kind_text = row.text(KIND).unwrap_or("");
    let kind = match kind_text {
        "collateral" => Kind::Collateral,
        "perp" => Kind::Perp,
        "call" => Kind::Option(OptionKind::Call),
        "put" => Kind::Option(OptionKind::Put),
        _ => {
            return Err(row.err(
                KIND,
                format!("\"{kind_text}\" is not one of collateral, perp, call, put"),
            ));
        }
    };
    let asset = match row.text(ASSET) {
        None => None,
        Some(sym) => Some(market.index_of(sym).ok_or_else(|| {
            let known: Vec<&str> = market.assets.iter().map(|a| a.symbol.as_str()).collect();
            row.err(
                ASSET,
                format!(
                    "unknown asset \"{sym}\" (the market has {})",
                    known.join(", ")
                ),
            )
        })?),
    };
    let nonneg = |v: f64| v.is_finite() && v >= 0.0;
    let positive = |v: f64| v.is_finite() && v > 0.0;
    if kind == Kind::Collateral {
        row.none_of(
            &[ENTRY, FUNDING, STRIKE, EXPIRY, PREMIUM, ISOLATED],
            kind_text,
        )?;
        if let Some(i) = asset
            && !market.assets[i].is_numeraire()
        {
            return Err(row.err(
                ASSET,
                "collateral is held in the numeraire: leave it empty or name a stable asset \
                 priced 1",
            ));
        }
        let amount = row.required(SIZE, nonneg, "must be finite and >= 0")?;
        if draft.collateral.replace(amount).is_some() {
            return Err(row.err(
                KIND,
                format!("a second collateral row for account \"{}\"", draft.id),
            ));
        }
        return Ok(());
    }
    let asset = asset.ok_or_else(|| row.err(ASSET, "required here, but empty"))?;
    let size = row.required(
        SIZE,
        |v| v.is_finite() && v != 0.0,
        "must be finite and non-zero",
    )?;
    let isolated = row
        .number(ISOLATED, nonneg, "must be finite and >= 0")?
        .unwrap_or(0.0);
    let position = match kind {
        Kind::Perp => {
            row.none_of(&[STRIKE, EXPIRY, PREMIUM], kind_text)?;
            let entry = row.required(ENTRY, positive, "must be finite and > 0")?;
            let p = Position::perp(asset, size, entry);
            match row.number(FUNDING, f64::is_finite, "must be finite")? {
                Some(f) => p.with_funding(f),
                None => p,
            }
        }
        Kind::Option(option) => {
            row.none_of(&[ENTRY, FUNDING], kind_text)?;
            let strike = row.required(STRIKE, positive, "must be finite and > 0")?;
            let step = row.required(
                EXPIRY,
                |v| v >= 0.0 && v.fract() == 0.0 && v <= 1e15,
                "must be a whole number >= 0",
            )?;
            let premium = row
                .number(PREMIUM, nonneg, "must be finite and >= 0")?
                .unwrap_or(0.0);
            // The options' clock is the path's: step u is u dt years (crate::sim).
            Position::option(asset, size, option, strike, step * market.dt, premium)
        }
        Kind::Collateral => unreachable!("handled above"),
    };
    draft
        .positions
        .push(position.with_isolated_margin(isolated));
    Ok(())
}

/// Loads a derivatives book for the assets of `market` from the CSV file at `path`
/// (module documentation).
pub fn load_deriv_book(path: &Path, market: &MarketSpec) -> Result<DerivBook, LoadError> {
    let file = std::fs::File::open(path).map_err(|cause| LoadError::Io {
        path: path.to_owned(),
        cause,
    })?;
    let csv_err = |cause| LoadError::Csv {
        path: path.to_owned(),
        cause,
    };
    let mut reader = csv::ReaderBuilder::new().from_reader(file);
    let headers = reader.headers().map_err(csv_err)?.clone();
    let cols = resolve(path, &headers)?;
    let mut drafts: Vec<Draft> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_err)? {
        let line = record.position().map_or(0, csv::Position::line);
        let row = Row {
            path,
            line,
            record: &record,
            cols: &cols,
        };
        let id = row
            .text(ACCOUNT)
            .ok_or_else(|| row.err(ACCOUNT, "required, but empty"))?;
        // Accounts stay in first-appearance order in `drafts`; `index` only finds them.
        let k = *index.entry(id.to_owned()).or_insert_with(|| {
            drafts.push(Draft {
                id: id.to_owned(),
                line,
                collateral: None,
                positions: Vec::new(),
            });
            drafts.len() - 1
        });
        read_row(&row, market, &mut drafts[k])?;
    }
    let accounts = drafts
        .into_iter()
        .map(|d| {
            Account::new(&d.id, d.collateral.unwrap_or(0.0), d.positions).map_err(|cause| {
                LoadError::Account {
                    path: path.to_owned(),
                    line: d.line,
                    cause,
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DerivBook::new(accounts).expect("rows are merged by account, so identifiers are distinct"))
}
