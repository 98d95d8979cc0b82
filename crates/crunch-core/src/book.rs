//! The account book in structure-of-arrays form.

/// Accounts `j = 0..N` with collateral quantities `c[j][i]` and debt: a numeraire debt
/// `D_j` (`lending-v1`) or, with multi-asset debt, quantities `d[j][i]` owed in each asset.
///
/// Collateral is stored asset-major (`collateral[i][j]`), so that the health of every
/// account is a few contiguous multiply-adds per asset; owed quantities likewise.
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    /// Account identifiers in account order (order of first appearance in the book file).
    pub ids: Vec<String>,
    /// `collateral[i][j]`: quantity of asset `i` held by account `j` (>= 0, finite).
    pub collateral: Vec<Vec<f64>>,
    /// `debt[j]`: debt of account `j` in numeraire units (>= 0, finite); zero for every
    /// account of a multi-asset-debt book.
    pub debt: Vec<f64>,
    /// `owed[i][j]`: quantity of asset `i` owed by account `j` (>= 0, finite), valued at
    /// the protocol's price of asset `i` at every step. Empty (no columns) unless the book
    /// has multi-asset debt; then one column per asset.
    pub owed: Vec<Vec<f64>>,
    /// `scores[j]`: reputation score of account `j` at step 0 (finite). Empty unless the
    /// book has scores (a `score` column, or the generator's score groups).
    pub scores: Vec<f64>,
}

impl Book {
    /// An empty book over `assets` assets.
    pub fn new(assets: usize) -> Self {
        Self {
            ids: Vec::new(),
            collateral: vec![Vec::new(); assets],
            debt: Vec::new(),
            owed: Vec::new(),
            scores: Vec::new(),
        }
    }

    /// An empty multi-asset-debt book over `assets` assets: debts are quantities owed per
    /// asset ([`owed`](Self::owed)).
    pub fn with_owed(assets: usize) -> Self {
        Self {
            owed: vec![Vec::new(); assets],
            ..Self::new(assets)
        }
    }

    /// The same accounts with each numeraire debt owed as a quantity of asset `asset`
    /// (meant for a numeraire, whose unit is worth one unit of debt): the form of a book
    /// under multi-asset debt. A book that already has owed quantities is returned as is.
    pub fn into_owed(mut self, asset: usize) -> Self {
        if self.has_owed() {
            return self;
        }
        let n = self.len();
        self.owed = vec![vec![0.0; n]; self.assets()];
        self.owed[asset] = std::mem::replace(&mut self.debt, vec![0.0; n]);
        self
    }

    /// Whether debts are quantities owed per asset rather than numeraire amounts.
    pub fn has_owed(&self) -> bool {
        !self.owed.is_empty()
    }

    /// Whether account `j` owes anything.
    pub fn indebted(&self, j: usize) -> bool {
        self.debt[j] > 0.0 || self.owed.iter().any(|column| column[j] > 0.0)
    }

    /// Number of accounts `N`.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the book has no accounts.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Number of assets `A` the book is laid out for.
    pub fn assets(&self) -> usize {
        self.collateral.len()
    }

    /// Appends an account with the given collateral quantities (one per asset) and
    /// numeraire debt (owing nothing per asset in a multi-asset-debt book).
    pub fn push(&mut self, id: String, collateral: &[f64], debt: f64) {
        assert_eq!(collateral.len(), self.assets(), "one quantity per asset");
        self.ids.push(id);
        for (column, &q) in self.collateral.iter_mut().zip(collateral) {
            column.push(q);
        }
        self.debt.push(debt);
        for column in &mut self.owed {
            column.push(0.0);
        }
    }

    /// Appends an account of a multi-asset-debt book with collateral and owed quantities
    /// (one of each per asset). Panics on a book without multi-asset debt.
    pub fn push_owing(&mut self, id: String, collateral: &[f64], owed: &[f64]) {
        assert!(self.has_owed(), "a multi-asset-debt book");
        assert_eq!(owed.len(), self.assets(), "one owed quantity per asset");
        self.push(id, collateral, 0.0);
        for (column, &q) in self.owed.iter_mut().zip(owed) {
            *column.last_mut().expect("pushed above") = q;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owed_books() {
        let mut b = Book::new(2);
        b.push("a".into(), &[1.0, 0.0], 50.0);
        b.push("b".into(), &[2.0, 0.0], 0.0);
        assert!(!b.has_owed());
        let b = b.into_owed(1);
        assert_eq!(b.debt, vec![0.0, 0.0]);
        assert_eq!(b.owed, vec![vec![0.0, 0.0], vec![50.0, 0.0]]);
        assert!(b.indebted(0) && !b.indebted(1));
        let mut c = Book::with_owed(2);
        c.push_owing("c".into(), &[0.0, 3.0], &[0.5, 0.0]);
        c.push("d".into(), &[1.0, 1.0], 0.0);
        assert_eq!(c.owed, vec![vec![0.5, 0.0], vec![0.0, 0.0]]);
        assert_eq!(c.debt, vec![0.0, 0.0]);
    }
}
