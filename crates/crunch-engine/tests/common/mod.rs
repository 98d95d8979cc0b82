//! Helpers shared by the engine's integration tests.

// Each test file uses some of them.
#![allow(dead_code)]

use crunch_core::PricePath;

/// Asserts `got` equals `want` to a relative 1e-9 (absolute below 1).
#[track_caller]
pub fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "got {got}, want {want}"
    );
}

/// A path with ETH at `eth[t]` at step `t` and the other assets as `row(ETH price)` gives
/// them.
pub fn eth_path<const A: usize>(eth: &[f64], row: impl Fn(f64) -> [f64; A]) -> PricePath {
    let mut p = PricePath::new(eth.len() - 1, A);
    for (t, &x) in eth.iter().enumerate() {
        p.row_mut(t).copy_from_slice(&row(x));
    }
    p
}
