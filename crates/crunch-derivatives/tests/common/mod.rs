//! Helpers shared by the simulation tests.

#![allow(dead_code)]

use crunch_core::{AssetSpec, MarketSpec, PricePath};
use crunch_derivatives::{Account, DerivBook, MarginMode, Position, RuleParams};

/// An asset priced 100 with volatility 0.5, no drift, no liquidity model.
pub fn asset(symbol: &str) -> AssetSpec {
    AssetSpec {
        symbol: symbol.into(),
        price: 100.0,
        sigma: 0.5,
        mu: 0.0,
        depth: None,
        impact: 0.0,
    }
}

/// A market of the given assets with step `dt` years.
pub fn market(assets: Vec<AssetSpec>, dt: f64) -> MarketSpec {
    MarketSpec {
        assets,
        dt,
        phi: 0.0,
    }
}

/// A path with these rows of prices.
pub fn path(rows: &[&[f64]]) -> PricePath {
    let mut p = PricePath::new(rows.len() - 1, rows[0].len());
    for (t, r) in rows.iter().enumerate() {
        p.row_mut(t).copy_from_slice(r);
    }
    p
}

/// An account, checked.
pub fn account(id: &str, collateral: f64, positions: Vec<Position>) -> Account {
    Account::new(id, collateral, positions).unwrap()
}

/// A book, checked.
pub fn book(accounts: Vec<Account>) -> DerivBook {
    DerivBook::new(accounts).unwrap()
}

/// Rule-based rates: perpetuals at `perp_rate`, short options at 20 % / 10 %.
pub fn rules(perp_rate: f64) -> RuleParams {
    RuleParams::new(perp_rate, 0.2, 0.1).unwrap()
}

/// Cross margin with initial perpetual rate `initial` and maintenance `maintenance`.
pub fn cross(initial: f64, maintenance: f64) -> MarginMode<'static> {
    MarginMode::Cross {
        initial: rules(initial),
        maintenance: rules(maintenance),
    }
}

/// Isolated margin with initial perpetual rate `initial` and maintenance `maintenance`.
pub fn isolated(initial: f64, maintenance: f64) -> MarginMode<'static> {
    MarginMode::Isolated {
        initial: rules(initial),
        maintenance: rules(maintenance),
    }
}
