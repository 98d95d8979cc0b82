//! Validating construction of a [`Book`] from long-form rows.

use std::collections::HashMap;

use crunch_core::{Book, MarketSpec};

use crate::error::BookError;

/// Turns a location number into the words used in a duplicate-row message.
pub type Locator = fn(usize) -> String;

fn row_number(location: usize) -> String {
    format!("row {location}")
}

/// Builds a [`Book`] from long-form rows `(account, asset, collateral, debt)`, one row per
/// `(account, asset)`, checking every `lending-v1` rule as rows arrive.
///
/// Accounts are numbered in order of first appearance. Rows that are never added count as
/// zero. Debts on numeraire assets (see [`crunch_core::AssetSpec::is_numeraire`]) add up
/// into the account's single debt; debt above zero on any other asset is refused, unless
/// the builder was switched to [`multi_asset_debt`](Self::multi_asset_debt): then every
/// debt is kept as the quantity owed in its asset ([`Book::owed`]).
///
/// ```
/// # use crunch_core::{AssetSpec, MarketSpec};
/// # use crunch_book::BookBuilder;
/// let market = MarketSpec {
///     assets: vec![AssetSpec::new("ETH", 2000.0, 0.8), AssetSpec::new("USDC", 1.0, 0.0)],
///     dt: 1.0 / 365.0,
///     phi: 0.0,
/// };
/// let mut b = BookBuilder::new(&market);
/// b.add("alice", "ETH", 2.0, 0.0)?;
/// b.add("alice", "USDC", 0.0, 1500.0)?;
/// let book = b.finish();
/// assert_eq!(book.debt, vec![1500.0]);
/// assert_eq!(book.collateral[0], vec![2.0]);
/// # Ok::<(), crunch_book::BookError>(())
/// ```
#[derive(Debug)]
pub struct BookBuilder<'m> {
    market: &'m MarketSpec,
    locate: Locator,
    calls: usize,
    index: HashMap<String, usize>,
    book: Book,
    /// `first[j * A + i]`: location of the row that set `(j, i)`.
    first: Vec<Option<usize>>,
    /// `scores[j]`: account `j`'s score and the location of the row that first gave it.
    scores: Vec<Option<(f64, usize)>>,
}

impl<'m> BookBuilder<'m> {
    /// An empty builder for the assets of `market`; duplicate rows are reported as
    /// `row N`, `N` the 1-based number of the [`add`](Self::add) call that first gave the
    /// pair.
    pub fn new(market: &'m MarketSpec) -> Self {
        Self::with_locator(market, row_number)
    }

    /// An empty builder whose duplicate-row messages describe the location passed to
    /// [`add_at`](Self::add_at) with `locate` (for example `|n| format!("line {n}")`).
    pub fn with_locator(market: &'m MarketSpec, locate: Locator) -> Self {
        Self {
            market,
            locate,
            calls: 0,
            index: HashMap::new(),
            book: Book::new(market.len()),
            first: Vec::new(),
            scores: Vec::new(),
        }
    }

    /// Switches the builder to multi-asset debt: a row's debt is the quantity of its asset
    /// owed ([`Book::owed`]), on any asset. Call it before the first row.
    pub fn multi_asset_debt(mut self) -> Self {
        assert_eq!(self.calls, 0, "switch before the first row");
        self.book = Book::with_owed(self.market.len());
        self
    }

    /// Adds one row; its location is the 1-based number of this call.
    pub fn add(
        &mut self,
        account: &str,
        asset: &str,
        collateral: f64,
        debt: f64,
    ) -> Result<(), BookError> {
        let location = self.calls + 1;
        self.add_at(location, account, asset, collateral, debt)
    }

    /// Adds one row that came from `location` (an opaque number for messages, such as the
    /// 1-based line of a CSV file). Nothing is changed when the row is refused.
    pub fn add_at(
        &mut self,
        location: usize,
        account: &str,
        asset: &str,
        collateral: f64,
        debt: f64,
    ) -> Result<(), BookError> {
        self.calls += 1;
        let i = self.check(account, asset, collateral, debt)?;
        let assets = self.market.len();
        let j = match self.index.get(account) {
            Some(&j) => {
                if let Some(first) = self.first[j * assets + i] {
                    return Err(BookError::DuplicateRow {
                        account: account.to_owned(),
                        asset: asset.to_owned(),
                        first: (self.locate)(first),
                    });
                }
                j
            }
            None => {
                let j = self.book.len();
                self.index.insert(account.to_owned(), j);
                self.book.ids.push(account.to_owned());
                for column in self.book.collateral.iter_mut().chain(&mut self.book.owed) {
                    column.push(0.0);
                }
                self.book.debt.push(0.0);
                self.first.resize(self.first.len() + assets, None);
                j
            }
        };
        self.first[j * assets + i] = Some(location);
        self.book.collateral[i][j] = collateral;
        if self.book.has_owed() {
            self.book.owed[i][j] = debt;
        } else {
            self.book.debt[j] += debt;
        }
        Ok(())
    }

    /// Validates one row and returns its asset index.
    fn check(
        &self,
        account: &str,
        asset: &str,
        collateral: f64,
        debt: f64,
    ) -> Result<usize, BookError> {
        if account.is_empty() {
            return Err(BookError::EmptyAccount {
                asset: asset.to_owned(),
            });
        }
        let Some(i) = self.market.index_of(asset) else {
            let declared: Vec<&str> = self.market.assets.iter().map(|a| &*a.symbol).collect();
            return Err(BookError::UnknownAsset {
                account: account.to_owned(),
                asset: asset.to_owned(),
                declared: declared.join(", "),
            });
        };
        for (field, value) in [("collateral", collateral), ("debt", debt)] {
            if !value.is_finite() {
                return Err(BookError::NonFinite {
                    account: account.to_owned(),
                    asset: asset.to_owned(),
                    field,
                    value,
                });
            }
            if value < 0.0 {
                return Err(BookError::Negative {
                    account: account.to_owned(),
                    asset: asset.to_owned(),
                    field,
                    value,
                });
            }
        }
        if debt > 0.0 && !self.book.has_owed() && !self.market.assets[i].is_numeraire() {
            return Err(BookError::DebtOnMovingAsset {
                account: account.to_owned(),
                asset: asset.to_owned(),
                value: debt,
            });
        }
        Ok(i)
    }

    /// Gives the account of a row already added its reputation score, from `location`
    /// (as for [`add_at`](Self::add_at)): one score per account, the same on each of its
    /// rows. A book with scores needs one from every row ([`finish`](Self::finish) gives
    /// an account without one a NaN score, which a run refuses).
    pub fn score_at(
        &mut self,
        location: usize,
        account: &str,
        score: f64,
    ) -> Result<(), BookError> {
        let j = *self
            .index
            .get(account)
            .expect("score_at follows add_at of the same row");
        if !score.is_finite() {
            return Err(BookError::NonFiniteScore {
                account: account.to_owned(),
                value: score,
            });
        }
        if self.scores.len() <= j {
            self.scores.resize(j + 1, None);
        }
        match self.scores[j] {
            Some((first, at)) if first != score => Err(BookError::ScoreDiffers {
                account: account.to_owned(),
                value: score,
                first,
                at: (self.locate)(at),
            }),
            Some(_) => Ok(()),
            None => {
                self.scores[j] = Some((score, location));
                Ok(())
            }
        }
    }

    /// Number of accounts seen so far.
    pub fn accounts(&self) -> usize {
        self.book.len()
    }

    /// The finished book, accounts in order of first appearance.
    pub fn finish(mut self) -> Book {
        if !self.scores.is_empty() {
            let n = self.book.len();
            self.scores.resize(n, None);
            self.book.scores = self
                .scores
                .iter()
                .map(|s| s.map_or(f64::NAN, |s| s.0))
                .collect();
        }
        self.book
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::AssetSpec;

    fn market() -> MarketSpec {
        MarketSpec {
            assets: vec![
                AssetSpec::new("ETH", 2000.0, 0.8),
                AssetSpec::new("BTC", 30000.0, 0.6),
                AssetSpec::new("USDC", 1.0, 0.0),
                AssetSpec::new("DAI", 1.0, 0.0),
                AssetSpec::new("EURS", 1.1, 0.0),
            ],
            dt: 1.0 / 365.0,
            phi: 0.0,
        }
    }

    #[test]
    fn accounts_in_order_of_first_appearance_and_missing_rows_are_zero() {
        let m = market();
        let mut b = BookBuilder::new(&m);
        b.add("7", "ETH", 1.5, 0.0).unwrap();
        b.add("3", "BTC", 0.25, 0.0).unwrap();
        b.add("7", "USDC", 10.0, 100.0).unwrap();
        b.add("3", "DAI", 0.0, 40.0).unwrap();
        b.add("3", "USDC", 0.0, 2.5).unwrap();
        assert_eq!(b.accounts(), 2);
        let book = b.finish();
        assert_eq!(book.ids, vec!["7", "3"]);
        assert_eq!(book.collateral[0], vec![1.5, 0.0]);
        assert_eq!(book.collateral[1], vec![0.0, 0.25]);
        assert_eq!(book.collateral[2], vec![10.0, 0.0]);
        assert_eq!(book.collateral[3], vec![0.0, 0.0]);
        assert_eq!(book.collateral[4], vec![0.0, 0.0]);
        // Debts on several numeraire assets add up.
        assert_eq!(book.debt, vec![100.0, 42.5]);
    }

    #[test]
    fn unknown_asset_lists_the_declared_ones() {
        let m = market();
        let err = BookBuilder::new(&m).add("1", "DOGE", 1.0, 0.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "account `1`: unknown asset `DOGE` (the scenario declares ETH, BTC, USDC, DAI, EURS)"
        );
    }

    #[test]
    fn negative_and_non_finite_quantities_are_refused() {
        let m = market();
        let mut b = BookBuilder::new(&m);
        let e = b.add("1", "ETH", -1.5, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "account `1`, asset `ETH`: negative collateral -1.5"
        );
        let e = b.add("1", "USDC", 0.0, -2.0).unwrap_err();
        assert!(matches!(e, BookError::Negative { field: "debt", value, .. } if value == -2.0));
        let e = b.add("1", "ETH", f64::NAN, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "account `1`, asset `ETH`: non-finite collateral NaN"
        );
        let e = b.add("1", "USDC", 0.0, f64::INFINITY).unwrap_err();
        assert_eq!(
            e.to_string(),
            "account `1`, asset `USDC`: non-finite debt inf"
        );
        // Refused rows change nothing.
        assert_eq!(b.accounts(), 0);
        b.add("1", "ETH", 0.0, 0.0).unwrap();
        assert_eq!(b.finish().collateral[0], vec![0.0]);
    }

    #[test]
    fn debt_only_on_numeraire_assets() {
        let m = market();
        let mut b = BookBuilder::new(&m);
        let e = b.add("1", "ETH", 1.0, 100.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "account `1`: debt 100 on moving asset `ETH`: debt is accepted only on a stable \
             asset with start price 1 (set `[protocol] multi_asset_debt = true` to owe any \
             asset)"
        );
        // Stable but priced 1.1: not a numeraire.
        assert!(matches!(
            b.add("1", "EURS", 0.0, 5.0),
            Err(BookError::DebtOnMovingAsset { value, .. }) if value == 5.0
        ));
        // Zero debt on a moving asset is fine.
        b.add("1", "ETH", 1.0, 0.0).unwrap();
        b.add("1", "EURS", 3.0, 0.0).unwrap();
        let book = b.finish();
        assert_eq!(book.debt, vec![0.0]);
        assert_eq!(book.collateral[4], vec![3.0]);
    }

    #[test]
    fn multi_asset_debt_keeps_quantities_owed_per_asset() {
        let m = market();
        let mut b = BookBuilder::new(&m).multi_asset_debt();
        b.add("1", "ETH", 1.0, 0.0).unwrap();
        b.add("1", "BTC", 0.0, 0.25).unwrap();
        b.add("2", "USDC", 500.0, 0.0).unwrap();
        b.add("2", "ETH", 0.0, 0.1).unwrap();
        b.add("1", "USDC", 0.0, 300.0).unwrap();
        let book = b.finish();
        assert!(book.has_owed());
        assert_eq!(book.debt, vec![0.0, 0.0]);
        let i = |s| m.index_of(s).unwrap();
        assert_eq!(book.owed[i("ETH")], vec![0.0, 0.1]);
        assert_eq!(book.owed[i("BTC")], vec![0.25, 0.0]);
        assert_eq!(book.owed[i("USDC")], vec![300.0, 0.0]);
        assert!(book.indebted(0) && book.indebted(1));
        // Still refused: negative debt.
        let mut b = BookBuilder::new(&m).multi_asset_debt();
        assert!(b.add("1", "ETH", 0.0, -1.0).is_err());
    }

    #[test]
    fn duplicate_row_names_the_first_location() {
        let m = market();
        let mut b = BookBuilder::new(&m);
        b.add("7", "ETH", 1.0, 0.0).unwrap();
        b.add("8", "ETH", 1.0, 0.0).unwrap();
        let e = b.add("7", "ETH", 2.0, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "duplicate row for account `7` and asset `ETH` (first at row 1)"
        );
        let mut b = BookBuilder::with_locator(&m, |n| format!("line {n}"));
        b.add_at(12, "7", "ETH", 1.0, 0.0).unwrap();
        b.add_at(13, "7", "USDC", 0.0, 1.0).unwrap();
        let e = b.add_at(40, "7", "ETH", 1.0, 0.0).unwrap_err();
        assert_eq!(
            e,
            BookError::DuplicateRow {
                account: "7".into(),
                asset: "ETH".into(),
                first: "line 12".into()
            }
        );
        assert_eq!(b.finish().collateral[0], vec![1.0]);
    }

    #[test]
    fn empty_account_id_is_refused() {
        let m = market();
        let e = BookBuilder::new(&m).add("", "ETH", 1.0, 0.0).unwrap_err();
        assert_eq!(e.to_string(), "empty account id (asset `ETH`)");
    }
}
