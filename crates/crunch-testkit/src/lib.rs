//! Test kit of crunch: an independent scalar reference of the `lending-v1` model
//! ([`reference::reference_lending_v1`]), written from `docs/lending-v1.md` alone, and
//! helpers that compare the production engine's [`PathOutcome`] against it.
//!
//! # Tolerances
//!
//! The specification (point 13) allows sums in any order and asks for agreement to a
//! relative `1e-9`. A purely relative test fails for values that are mathematically
//! near 0 but computed by cancellation: `bad_debt` includes `max(0, D - V)`, a partial
//! seizure leaves `c - S/p`, and both may be a few ulps of the *book's* money scale
//! rather than of themselves. [`assert_outcome_matches`] therefore accepts
//! `|got - want| <= 1e-9 * max(|got|, |want|) + floor`, where for money amounts the floor
//! is `1e-9` times the largest money amount of the path (`max_t` of outstanding debt plus
//! collateral value, from the reference's step series, initial book included) and for
//! dimensionless rates (health, slippage, capital efficiency) it is `1e-12`. Rounding
//! differences are about `1e-16` of that scale per operation, so the floor leaves a wide
//! margin while any real rule difference (a missed liquidation, a wrong asset, a wrong
//! cap) moves money by far more than a billionth of the book.
//!
//! Counts, `first_bad_debt_step`, event steps, accounts, assets and `full_seizure` must
//! agree exactly.

pub mod reference;

pub use reference::{
    ReferenceAssetTerms, ReferenceOutcome, ReferenceTerms, borrowing_power, reference_lending_v1,
};

use crunch_core::{LiquidationEvent, PathOutcome};

/// Relative tolerance of every floating-point comparison (spec point 13).
pub const REL_TOL: f64 = 1e-9;

/// Absolute floor for dimensionless rates (health factors, slippage, ratios).
pub const RATE_FLOOR: f64 = 1e-12;

/// Whether `got` and `want` agree to `rel` relative to the larger magnitude, or within
/// the absolute `floor`. Equal values (infinities included) always agree; a NaN never does.
pub fn close(got: f64, want: f64, rel: f64, floor: f64) -> bool {
    if got == want {
        return true;
    }
    let diff = (got - want).abs();
    diff <= rel * got.abs().max(want.abs()) + floor
}

/// Panics unless `got` agrees with `want` to the relative tolerance `rel` (relative to the
/// larger magnitude; exactly equal values, zeros included, always pass).
pub fn assert_close(got: f64, want: f64, rel: f64, what: &str) {
    assert_close_abs(got, want, rel, 0.0, what);
}

/// Like [`assert_close`], with an absolute `floor` added to the allowed difference for
/// values near 0.
pub fn assert_close_abs(got: f64, want: f64, rel: f64, floor: f64, what: &str) {
    assert!(
        close(got, want, rel, floor),
        "{what}: engine {got:e} != reference {want:e} (diff {:e}, rel {rel:e}, floor {floor:e})",
        (got - want).abs()
    );
}

fn assert_close_opt(got: Option<f64>, want: Option<f64>, floor: f64, what: &str) {
    match (got, want) {
        (None, None) => {}
        (Some(g), Some(w)) => assert_close_abs(g, w, REL_TOL, floor, what),
        _ => panic!("{what}: engine {got:?} != reference {want:?}"),
    }
}

/// The money scale of a reference outcome: the largest outstanding debt plus collateral
/// value over steps `0..=T` (USD). The absolute floor for money amounts is
/// [`REL_TOL`] times this.
pub fn money_scale(reference: &ReferenceOutcome) -> f64 {
    let mut scale = reference.summary.initial_debt + reference.summary.initial_collateral;
    for s in &reference.steps {
        scale = scale.max(s.debt + s.collateral_value);
    }
    scale
}

fn assert_event_matches(
    got: &LiquidationEvent,
    want: &LiquidationEvent,
    money_floor: f64,
    what: &str,
) {
    assert_eq!(
        (got.step, got.account, got.asset, got.full_seizure),
        (want.step, want.account, want.asset, want.full_seizure),
        "{what}: (step, account, asset, full_seizure) differ\n engine    {got:?}\n reference {want:?}"
    );
    assert_close_abs(
        got.repaid,
        want.repaid,
        REL_TOL,
        money_floor,
        &format!("{what}.repaid"),
    );
    assert_close_abs(
        got.seized,
        want.seized,
        REL_TOL,
        money_floor,
        &format!("{what}.seized"),
    );
    assert_close_abs(
        got.slippage,
        want.slippage,
        REL_TOL,
        RATE_FLOOR,
        &format!("{what}.slippage"),
    );
}

/// Panics unless the engine's outcome matches the reference's.
///
/// - Summary: counts and `first_bad_debt_step` exactly; money amounts and rates as
///   described in the crate docs (relative `1e-9` plus a floor); optional fields must be
///   both `None` or both `Some` and close.
/// - Steps: the engine must have recorded `T + 1` aggregates; each is compared
///   element-wise (liquidation counts exactly).
/// - Events: one-to-one. Events must appear in step order; within a step, point 3 lets an
///   engine order liquidations per seized asset as long as each asset's liquidations are
///   worst first, so the events of each (step, asset) are compared in order, which is
///   exactly the order the specification fixes.
pub fn assert_outcome_matches(engine: &PathOutcome, reference: &ReferenceOutcome) {
    let money = REL_TOL * money_scale(reference);
    let g = &engine.summary;
    let w = &reference.summary;

    assert_eq!(g.liquidations, w.liquidations, "summary.liquidations");
    assert_eq!(
        g.liquidated_accounts, w.liquidated_accounts,
        "summary.liquidated_accounts"
    );
    assert_eq!(
        g.insolvent_accounts, w.insolvent_accounts,
        "summary.insolvent_accounts"
    );
    assert_eq!(
        g.first_bad_debt_step, w.first_bad_debt_step,
        "summary.first_bad_debt_step"
    );
    let money_fields = [
        ("bad_debt", g.bad_debt, w.bad_debt),
        ("repaid_debt", g.repaid_debt, w.repaid_debt),
        (
            "seized_collateral",
            g.seized_collateral,
            w.seized_collateral,
        ),
        (
            "liquidation_penalty",
            g.liquidation_penalty,
            w.liquidation_penalty,
        ),
        ("slippage_cost", g.slippage_cost, w.slippage_cost),
        ("initial_debt", g.initial_debt, w.initial_debt),
        (
            "initial_collateral",
            g.initial_collateral,
            w.initial_collateral,
        ),
        (
            "initial_borrowing_power",
            g.initial_borrowing_power,
            w.initial_borrowing_power,
        ),
        (
            "liquidator_profit",
            g.liquidator_profit,
            w.liquidator_profit,
        ),
    ];
    for (name, got, want) in money_fields {
        assert_close_abs(got, want, REL_TOL, money, &format!("summary.{name}"));
    }
    assert_close_opt(
        g.capital_efficiency,
        w.capital_efficiency,
        RATE_FLOOR,
        "summary.capital_efficiency",
    );
    assert_close_opt(
        g.borrowing_capacity,
        w.borrowing_capacity,
        RATE_FLOOR,
        "summary.borrowing_capacity",
    );
    assert_close_opt(g.min_health, w.min_health, RATE_FLOOR, "summary.min_health");
    assert_eq!(
        g.blocked_liquidity, w.blocked_liquidity,
        "summary.blocked_liquidity"
    );
    assert_close_opt(
        g.mean_time_to_liquidate,
        w.mean_time_to_liquidate,
        RATE_FLOOR,
        "summary.mean_time_to_liquidate",
    );
    // Without frictions nothing else is blocked, and the oracle is the market.
    assert_eq!(
        (g.blocked_capacity, g.blocked_outage, g.blocked_gas),
        (0, 0, 0),
        "summary.blocked_*"
    );
    assert_eq!(
        (g.oracle_gap, g.dust_bad_debt),
        (0.0, 0.0),
        "summary.oracle_gap"
    );

    assert_eq!(
        engine.steps.len(),
        reference.steps.len(),
        "number of step aggregates"
    );
    for (t, (gs, ws)) in engine.steps.iter().zip(&reference.steps).enumerate() {
        assert_eq!(
            gs.liquidations, ws.liquidations,
            "steps[{t}].liquidations\n engine    {gs:?}\n reference {ws:?}"
        );
        let fields = [
            ("debt", gs.debt, ws.debt),
            ("collateral_value", gs.collateral_value, ws.collateral_value),
            ("repaid_debt", gs.repaid_debt, ws.repaid_debt),
            (
                "seized_collateral",
                gs.seized_collateral,
                ws.seized_collateral,
            ),
            (
                "bad_debt_realised",
                gs.bad_debt_realised,
                ws.bad_debt_realised,
            ),
        ];
        for (name, got, want) in fields {
            assert_close_abs(got, want, REL_TOL, money, &format!("steps[{t}].{name}"));
        }
    }

    assert_eq!(
        engine.events.len(),
        reference.events.len(),
        "number of events\n engine    {:?}\n reference {:?}",
        engine.events,
        reference.events
    );
    for pair in engine.events.windows(2) {
        assert!(
            pair[0].step <= pair[1].step,
            "engine events out of step order: {:?} before {:?}",
            pair[0],
            pair[1]
        );
    }
    let key = |e: &LiquidationEvent| (e.step, e.asset);
    let mut keys: Vec<(u32, u32)> = reference.events.iter().map(key).collect();
    keys.sort_unstable();
    keys.dedup();
    for (step, asset) in keys {
        let got: Vec<&LiquidationEvent> = engine
            .events
            .iter()
            .filter(|e| key(e) == (step, asset))
            .collect();
        let want: Vec<&LiquidationEvent> = reference
            .events
            .iter()
            .filter(|e| key(e) == (step, asset))
            .collect();
        assert_eq!(
            got.len(),
            want.len(),
            "events at step {step} on asset {asset}\n engine    {got:?}\n reference {want:?}"
        );
        for (n, (ge, we)) in got.iter().zip(&want).enumerate() {
            assert_event_matches(
                ge,
                we,
                money,
                &format!("event {n} of step {step}, asset {asset}"),
            );
        }
    }
}

/// Small builders for tests: assets, markets, paths and books from plain rows.
pub mod build {
    use crunch_core::{AssetSpec, Book, MarketSpec, PricePath};

    /// A stable numeraire asset (price 1, `sigma = mu = 0`, liquidity off).
    pub fn numeraire(symbol: &str) -> AssetSpec {
        AssetSpec {
            symbol: symbol.into(),
            price: 1.0,
            sigma: 0.0,
            mu: 0.0,
            depth: None,
            impact: 0.0,
        }
    }

    /// A moving asset with start price `price`, optional `depth` and `impact`.
    pub fn moving(symbol: &str, price: f64, depth: Option<f64>, impact: f64) -> AssetSpec {
        AssetSpec {
            symbol: symbol.into(),
            price,
            sigma: 0.5,
            mu: 0.0,
            depth,
            impact,
        }
    }

    /// A market of daily steps with price-feedback coefficient `phi`.
    pub fn market(assets: Vec<AssetSpec>, phi: f64) -> MarketSpec {
        MarketSpec {
            assets,
            dt: 1.0 / 365.0,
            phi,
        }
    }

    /// A path from rows `p[0..=T]`, one price per asset each.
    pub fn path(rows: &[Vec<f64>]) -> PricePath {
        assert!(!rows.is_empty(), "a path has at least step 0");
        let mut p = PricePath::new(rows.len() - 1, rows[0].len());
        for (t, row) in rows.iter().enumerate() {
            p.row_mut(t).copy_from_slice(row);
        }
        p
    }

    /// A book from `(collateral quantities per asset, debt)` rows; ids are `a0`, `a1`, ...
    pub fn book(assets: usize, accounts: &[(Vec<f64>, f64)]) -> Book {
        let mut b = Book::new(assets);
        for (j, (c, d)) in accounts.iter().enumerate() {
            b.push(format!("a{j}"), c, *d);
        }
        b
    }
}
