//! The account book in structure-of-arrays form.

/// Accounts `j = 0..N` with collateral quantities `c[j][i]` and a numeraire debt `D_j`.
///
/// Collateral is stored asset-major (`collateral[i][j]`), so that the health of every
/// account is a few contiguous multiply-adds per asset.
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    /// Account identifiers in account order (order of first appearance in the book file).
    pub ids: Vec<String>,
    /// `collateral[i][j]`: quantity of asset `i` held by account `j` (>= 0, finite).
    pub collateral: Vec<Vec<f64>>,
    /// `debt[j]`: debt of account `j` in numeraire units (>= 0, finite).
    pub debt: Vec<f64>,
}

impl Book {
    /// An empty book over `assets` assets.
    pub fn new(assets: usize) -> Self {
        Self {
            ids: Vec::new(),
            collateral: vec![Vec::new(); assets],
            debt: Vec::new(),
        }
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

    /// Appends an account with the given collateral quantities (one per asset) and debt.
    pub fn push(&mut self, id: String, collateral: &[f64], debt: f64) {
        assert_eq!(collateral.len(), self.assets(), "one quantity per asset");
        self.ids.push(id);
        for (column, &q) in self.collateral.iter_mut().zip(collateral) {
            column.push(q);
        }
        self.debt.push(debt);
    }
}
