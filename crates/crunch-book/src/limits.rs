//! A protocol's limits on the initial book: Aave v3's isolation mode and its supply and
//! borrow caps (Aave v3 technical paper, "Isolation mode" and "Supply and borrow caps").
//!
//! crunch's accounts neither supply nor borrow along a path, so these limits act once,
//! on the book the run starts from:
//! - **Isolation.** An account holding collateral in an isolated asset is in isolation on
//!   it (on the isolated asset of largest start value if it holds several; ties to the
//!   lowest index). Its other holdings are supplied but not collateral: they are removed
//!   from the book the protocol sees (they count in no health, cannot be seized and are
//!   not in `initial_collateral`). The debt of the accounts in isolation on an asset, at
//!   start prices, must not exceed its debt ceiling.
//! - **Caps.** The book's total collateral quantity of an asset must not exceed its
//!   supply cap, and the total quantity owed in it (multi-asset debt) its borrow cap.
//!
//! A book beyond a limit is refused with the limit's key and both figures.

use crunch_core::{Book, Caps, Isolation, MarketSpec};
use thiserror::Error;

/// Why a book exceeds a protocol limit. The message names the scenario key.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LimitError {
    /// The accounts in isolation on an asset owe more than its debt ceiling.
    #[error(
        "`protocol.isolation.{asset}.debt_ceiling`: the {accounts} accounts in isolation on \
         {asset} owe {debt} USD at start prices, above the debt ceiling {ceiling}"
    )]
    DebtCeiling {
        /// The isolated asset's symbol.
        asset: String,
        /// Accounts in isolation on it.
        accounts: usize,
        /// Their debt (USD at start prices).
        debt: f64,
        /// The ceiling.
        ceiling: f64,
    },
    /// The book supplies or owes more of an asset than its cap.
    #[error(
        "`protocol.caps.{asset}.{cap}`: the book {verb} {total} {asset}, above the cap {limit}"
    )]
    Cap {
        /// The asset's symbol.
        asset: String,
        /// `supply` or `borrow`.
        cap: &'static str,
        /// `supplies` or `owes`.
        verb: &'static str,
        /// The book's total quantity.
        total: f64,
        /// The cap.
        limit: f64,
    },
}

/// Puts the accounts holding an isolated asset in isolation (module documentation) and
/// checks the debt ceilings; returns how many accounts are in isolation on each entry of
/// `isolation`.
pub fn isolate(
    book: &mut Book,
    market: &MarketSpec,
    isolation: &[Isolation],
) -> Result<Vec<usize>, LimitError> {
    let mut accounts = vec![0; isolation.len()];
    let mut debt = vec![0.0; isolation.len()];
    let start = |i: usize| market.assets[i].price;
    for j in 0..book.len() {
        let value = |k: usize| book.collateral[isolation[k].asset][j] * start(isolation[k].asset);
        let held = (0..isolation.len()).filter(|&k| value(k) > 0.0);
        // The largest isolated holding; `max_by` keeps the last of equals, so compare
        // (value, then the lower asset index).
        let Some(k) = held.max_by(|&a, &b| {
            value(a)
                .total_cmp(&value(b))
                .then(isolation[b].asset.cmp(&isolation[a].asset))
        }) else {
            continue;
        };
        let keep = isolation[k].asset;
        for (i, column) in book.collateral.iter_mut().enumerate() {
            if i != keep {
                column[j] = 0.0;
            }
        }
        accounts[k] += 1;
        debt[k] += book.debt[j]
            + book
                .owed
                .iter()
                .enumerate()
                .map(|(i, c)| c[j] * start(i))
                .sum::<f64>();
    }
    for (k, iso) in isolation.iter().enumerate() {
        if debt[k] > iso.debt_ceiling {
            return Err(LimitError::DebtCeiling {
                asset: market.assets[iso.asset].symbol.clone(),
                accounts: accounts[k],
                debt: debt[k],
                ceiling: iso.debt_ceiling,
            });
        }
    }
    Ok(accounts)
}

/// Checks the book against the supply and borrow caps.
pub fn check_caps(book: &Book, market: &MarketSpec, caps: &[Caps]) -> Result<(), LimitError> {
    for c in caps {
        let asset = || market.assets[c.asset].symbol.clone();
        let supplied: f64 = book.collateral[c.asset].iter().sum();
        if let Some(limit) = c.supply.filter(|&l| supplied > l) {
            return Err(LimitError::Cap {
                asset: asset(),
                cap: "supply",
                verb: "supplies",
                total: supplied,
                limit,
            });
        }
        let owed: f64 = book.owed.get(c.asset).map_or(0.0, |o| o.iter().sum());
        if let Some(limit) = c.borrow.filter(|&l| owed > l) {
            return Err(LimitError::Cap {
                asset: asset(),
                cap: "borrow",
                verb: "owes",
                total: owed,
                limit,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crunch_core::AssetSpec;

    /// ETH at 2,000, CRV at 0.5, USDC at 1.
    fn market() -> MarketSpec {
        let a = |s: &str, price: f64| AssetSpec {
            symbol: s.into(),
            price,
            sigma: 0.0,
            mu: 0.0,
            depth: None,
            impact: 0.0,
        };
        MarketSpec {
            assets: vec![a("ETH", 2000.0), a("CRV", 0.5), a("USDC", 1.0)],
            dt: 1.0,
            phi: 0.0,
        }
    }

    fn crv(ceiling: f64) -> Vec<Isolation> {
        vec![Isolation {
            asset: 1,
            debt_ceiling: ceiling,
        }]
    }

    /// Account 0 holds 1 ETH and 10,000 CRV (5,000 USD) and owes 3,000: in isolation on
    /// CRV, its ETH is not collateral. Account 1 holds ETH only (not isolated). Account 2
    /// holds 1,000 CRV and owes 200. Isolated debt: 3,200 USD.
    #[test]
    fn accounts_holding_an_isolated_asset_keep_only_it() {
        let mut b = Book::new(3);
        b.push("0".into(), &[1.0, 10_000.0, 0.0], 3000.0);
        b.push("1".into(), &[1.0, 0.0, 5.0], 1000.0);
        b.push("2".into(), &[0.0, 1000.0, 0.0], 200.0);
        let mut at_ceiling = b.clone();
        assert_eq!(
            isolate(&mut at_ceiling, &market(), &crv(3200.0)),
            Ok(vec![2])
        );
        assert_eq!(at_ceiling.collateral[0], vec![0.0, 1.0, 0.0]);
        assert_eq!(at_ceiling.collateral[1], vec![10_000.0, 0.0, 1000.0]);
        assert_eq!(at_ceiling.collateral[2], vec![0.0, 5.0, 0.0]);
        assert_eq!(
            isolate(&mut b, &market(), &crv(3199.0))
                .unwrap_err()
                .to_string(),
            "`protocol.isolation.CRV.debt_ceiling`: the 2 accounts in isolation on CRV owe \
             3200 USD at start prices, above the debt ceiling 3199"
        );
    }

    /// Two isolated assets held: the account is in isolation on the larger holding
    /// (2 ETH = 4,000 USD against 5,000 CRV = 2,500 USD), and on the lower index on a tie.
    #[test]
    fn the_largest_isolated_holding_wins() {
        let both = [
            Isolation {
                asset: 0,
                debt_ceiling: 1e9,
            },
            Isolation {
                asset: 1,
                debt_ceiling: 1e9,
            },
        ];
        let mut b = Book::new(3);
        b.push("0".into(), &[2.0, 5000.0, 0.0], 0.0);
        b.push("1".into(), &[1.0, 4000.0, 0.0], 0.0);
        assert_eq!(isolate(&mut b, &market(), &both), Ok(vec![2, 0]));
        assert_eq!(b.collateral[1], vec![0.0, 0.0]);
    }

    /// Owed quantities count at start prices toward the ceiling.
    #[test]
    fn owed_debt_counts_at_start_prices() {
        let mut b = Book::with_owed(3);
        b.push_owing("0".into(), &[0.0, 10_000.0, 0.0], &[1.0, 0.0, 100.0]);
        let e = isolate(&mut b, &market(), &crv(2000.0)).unwrap_err();
        assert!(matches!(e, LimitError::DebtCeiling { debt, .. } if debt == 2100.0));
    }

    #[test]
    fn caps_bound_supply_and_owed_quantities() {
        let mut b = Book::with_owed(3);
        b.push_owing("0".into(), &[1.5, 0.0, 0.0], &[0.0, 0.0, 600.0]);
        b.push_owing("1".into(), &[1.0, 0.0, 0.0], &[0.0, 0.0, 500.0]);
        let cap = |asset, supply, borrow| {
            vec![Caps {
                asset,
                supply,
                borrow,
            }]
        };
        let m = market();
        assert_eq!(check_caps(&b, &m, &cap(0, Some(2.5), None)), Ok(()));
        assert_eq!(
            check_caps(&b, &m, &cap(0, Some(2.0), None))
                .unwrap_err()
                .to_string(),
            "`protocol.caps.ETH.supply`: the book supplies 2.5 ETH, above the cap 2"
        );
        assert_eq!(check_caps(&b, &m, &cap(2, None, Some(1100.0))), Ok(()));
        assert_eq!(
            check_caps(&b, &m, &cap(2, None, Some(1000.0)))
                .unwrap_err()
                .to_string(),
            "`protocol.caps.USDC.borrow`: the book owes 1100 USDC, above the cap 1000"
        );
    }
}
