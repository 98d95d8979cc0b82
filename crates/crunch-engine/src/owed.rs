//! Multi-asset debt (`[protocol] multi_asset_debt`, `scenarios/README.md`): account `j`
//! owes quantities `q[j][i]` of assets `i`, so its debt moves with their prices. The
//! protocol values it at its own prices `o` (the oracles'), `D_j = sum_i q[j][i] o_i`,
//! and liquidators buy what they repay at the market, `sum_i q[j][i] p_i`. A repayment
//! of `R` (at `o`) reduces every owed quantity in the same proportion `1 - R / D_j`, as
//! if the liquidator repaid a slice of each debt.
//!
//! Owed quantities are stored asset-major (`owed[i * N + j]`), like collateral; a book
//! without multi-asset debt has none (`owed` empty) and its numeraire debt is used as is.

/// `sum_i q[j][i] x_i`, evaluated left to right: account `j`'s debt at prices `x`.
pub(crate) fn value(owed: &[f64], n: usize, j: usize, x: &[f64]) -> f64 {
    x.iter()
        .enumerate()
        .map(|(i, &xi)| owed[i * n + j] * xi)
        .sum()
}

/// Account `j`'s debt at the market prices `p`: the numeraire debt `debt[j]` of a book
/// without multi-asset debt, else its owed quantities valued at `p`.
pub(crate) fn at_market(debt: &[f64], owed: &[f64], j: usize, p: &[f64]) -> f64 {
    if owed.is_empty() {
        debt[j]
    } else {
        value(owed, debt.len(), j, p)
    }
}

/// Sets every account's debt to its value at the protocol's prices `o`.
pub(crate) fn revalue(owed: &[f64], o: &[f64], debt: &mut [f64]) {
    let n = debt.len();
    for (j, d) in debt.iter_mut().enumerate() {
        *d = value(owed, n, j, o);
    }
}

/// After a repayment took account `j`'s debt from `before > 0` to `after` (at the
/// protocol's prices), scales each owed quantity by `after / before` (zero when nothing
/// is left).
pub(crate) fn repay(owed: &mut [f64], n: usize, j: usize, before: f64, after: f64) {
    let keep = if after > 0.0 { after / before } else { 0.0 };
    for q in owed.iter_mut().skip(j).step_by(n) {
        *q *= keep;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_repayments_by_hand() {
        // Two accounts over ETH, DAI: a owes 0.5 ETH and 100 DAI; b owes 300 DAI.
        let mut owed = vec![0.5, 0.0, 100.0, 300.0];
        let o = [2000.0, 1.3];
        let mut debt = vec![0.0; 2];
        revalue(&owed, &o, &mut debt);
        assert_eq!(debt, vec![1000.0 + 130.0, 390.0]);
        assert_eq!(at_market(&debt, &owed, 1, &[2000.0, 1.0]), 300.0);
        assert_eq!(at_market(&[7.0], &[], 0, &[2000.0]), 7.0);
        // a repays 565 of 1,130: half of each quantity is left.
        repay(&mut owed, 2, 0, 1130.0, 565.0);
        assert_eq!(owed, vec![0.25, 0.0, 50.0, 300.0]);
        repay(&mut owed, 2, 1, 390.0, 0.0);
        assert_eq!(owed, vec![0.25, 0.0, 50.0, 0.0]);
    }
}
