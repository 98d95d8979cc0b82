//! Multi-asset debt (`[protocol] multi_asset_debt`) against hand-computed cases: debt owed
//! in a moving asset that rises, a debt-side oracle spike (the Compound DAI case), and the
//! reduction to `lending-v1` when everything is owed in the numeraire. Expected values are
//! derived in the comments. Close factor 0.5; ETH: ltv 0.8, lt 0.825, bonus 0.05; USDC:
//! ltv 0.85, lt 0.9, bonus 0.05; DAI is not collateral.

mod common;

use common::close;
use crunch_core::{
    AssetSpec, Book, Frictions, LiquidatorSpec, MarketSpec, OracleSpec, PathOutcome, PricePath,
    Spike, Window,
};
use crunch_engine::{RecordOptions, ScanMode, Scratch, SimOptions, simulate_path};
use crunch_policy::{AssetTerms, StaticLtv};

const ETH: usize = 0;
const USDC: usize = 1;
const DAI: usize = 2;

fn market() -> MarketSpec {
    MarketSpec {
        assets: vec![
            AssetSpec::new("ETH", 1000.0, 0.5),
            AssetSpec::new("USDC", 1.0, 0.0),
            AssetSpec::new("DAI", 1.0, 0.0),
        ],
        dt: 1.0 / 365.0,
        phi: 0.0,
    }
}

/// Prices by step as (ETH, DAI); USDC is 1.
fn path(rows: &[(f64, f64)]) -> PricePath {
    let mut p = PricePath::new(rows.len() - 1, 3);
    for (t, &(eth, dai)) in rows.iter().enumerate() {
        p.row_mut(t).copy_from_slice(&[eth, 1.0, dai]);
    }
    p
}

/// One account of a multi-asset-debt book: collateral and owed quantities per asset.
fn owing(collateral: [f64; 3], owed: [f64; 3]) -> Book {
    let mut b = Book::with_owed(3);
    b.push_owing("0".into(), &collateral, &owed);
    b
}

fn run(f: &Frictions, b: &Book, p: &PricePath, scan: ScanMode) -> PathOutcome {
    let m = market();
    let terms = |ltv, lt| AssetTerms {
        ltv,
        lt,
        bonus: 0.05,
    };
    let policy = StaticLtv::new(
        "static",
        &m,
        0.5,
        &[
            ("ETH".into(), terms(0.8, 0.825)),
            ("USDC".into(), terms(0.85, 0.9)),
        ],
    )
    .unwrap();
    let options = SimOptions {
        record: RecordOptions {
            timeseries: true,
            events: true,
            health_step: None,
        },
        scan,
    };
    let mut scratch = Scratch::new(b, p.steps());
    simulate_path(&m, f, b, &policy, p, options, &mut scratch, 0, 0).unwrap()
}

/// 1,000 USDC against 0.5 ETH owed; ETH doubles twice: 1000, 2000, 4000.
/// - Step 0: `D = 500`, `H = 900 / 500 = 1.8`.
/// - Step 1: `D = 1000`, `H = 0.9`: `R = 500`, `S = 525` USDC; 475 USDC left and
///   `0.5 * 500 / 1000 = 0.25` ETH owed.
/// - Step 2: `D = 1000`, `H = 475 * 0.9 / 1000 = 0.4275`; `S = 525 > 475`: full seizure,
///   `R = 475 / 1.05 = 452.381`; `D = 547.619` is left on no collateral and realised as
///   bad debt at the market: `0.25 * 547.619 / 1000` ETH times 4000 = 547.619.
#[test]
fn debt_owed_in_a_rising_asset_is_liquidated_and_leaves_bad_debt() {
    let b = owing([0.0, 1000.0, 0.0], [0.5, 0.0, 0.0]);
    let p = path(&[(1000.0, 1.0), (2000.0, 1.0), (4000.0, 1.0)]);
    let f = Frictions {
        multi_asset_debt: true,
        ..Frictions::default()
    };
    let o = run(&f, &b, &p, ScanMode::Pruned);
    assert_eq!(o, run(&f, &b, &p, ScanMode::Exhaustive));
    let s = &o.summary;
    close(s.initial_debt, 500.0);
    close(s.initial_collateral, 1000.0);
    assert_eq!(o.events.len(), 2);
    let (e1, e2) = (o.events[0], o.events[1]);
    assert_eq!(
        (e1.step, e1.asset as usize, e1.full_seizure),
        (1, USDC, false)
    );
    close(e1.repaid, 500.0);
    close(e1.seized, 525.0);
    assert_eq!((e2.step, e2.full_seizure), (2, true));
    close(e2.repaid, 475.0 / 1.05);
    close(e2.seized, 475.0);
    let left = 1000.0 - 475.0 / 1.05;
    close(s.bad_debt, left);
    // Already after step 1 the account owes 500 (0.25 ETH at 2000) against 475 USDC.
    assert_eq!(s.first_bad_debt_step, Some(1));
    close(s.min_health.unwrap(), 0.4275);
    // Debt in the time series is at the market: 500, 1000 - 500 = 500 after step 1
    // (0.25 ETH at 2000), 0 after its realisation at step 2.
    close(o.steps[0].debt, 500.0);
    close(o.steps[1].debt, 500.0);
    close(o.steps[2].debt, 0.0);
    close(o.steps[2].bad_debt_realised, left);
}

/// The Compound DAI case: 1 ETH against 750 DAI; ETH and DAI's market stay at 1000 and 1,
/// but DAI's oracle prints 1.3 at step 1.
/// - Step 1: `D = 750 * 1.3 = 975`, `H = 825 / 975 = 0.846`: `R = 487.5` (at the
///   oracle), `S = 511.875` (0.511875 ETH); half the DAI is repaid, 375 DAI left.
/// - The liquidator buys 375 DAI at 1: profit `511.875 - 375 = 136.875`; the oracle
///   overstated the repayment by `487.5 - 375 = 112.5`, the oracle gap `-112.5`.
/// - Step 2: DAI's oracle is back at 1: `D = 375`, `H = 488.125 * 0.825 / 375 = 1.07`.
///
/// Without the spike nothing happens; liquidators who need a margin still act, since the
/// gate's bonus is `1 - 0.95 / 1.3 = 0.27`.
#[test]
fn a_debt_side_oracle_spike_liquidates_a_solvent_account() {
    let b = owing([1.0, 0.0, 0.0], [0.0, 0.0, 750.0]);
    let p = path(&[(1000.0, 1.0), (1000.0, 1.0), (1000.0, 1.0)]);
    let plain = Frictions {
        multi_asset_debt: true,
        ..Frictions::default()
    };
    let quiet = run(&plain, &b, &p, ScanMode::Exhaustive);
    assert!(quiet.events.is_empty());
    close(quiet.summary.min_health.unwrap(), 825.0 / 750.0);

    let mut oracles = vec![None; 3];
    oracles[DAI] = Some(OracleSpec {
        spikes: vec![Spike {
            window: Window { start: 1, end: 1 },
            factor: 1.3,
        }],
        ..OracleSpec::default()
    });
    let spiked = Frictions {
        oracles,
        ..plain.clone()
    };
    for f in [
        spiked.clone(),
        Frictions {
            liquidators: Some(LiquidatorSpec::default()),
            ..spiked.clone()
        },
    ] {
        let o = run(&f, &b, &p, ScanMode::Exhaustive);
        assert_eq!(o.events.len(), 1);
        let e = o.events[0];
        assert_eq!((e.step, e.asset as usize), (1, ETH));
        close(e.repaid, 487.5);
        close(e.seized, 511.875);
        let s = &o.summary;
        close(s.liquidator_profit, 511.875 - 375.0);
        close(s.oracle_gap, -112.5);
        close(s.bad_debt, 0.0);
        close(s.min_health.unwrap(), 825.0 / 975.0);
        // Debt at the market after step 1: 375 DAI.
        close(o.steps[1].debt, 375.0);
        close(o.steps[2].collateral_value, 1000.0 - 511.875);
    }
}

/// Owing only the numeraire, a multi-asset-debt book gives the outcome of the same
/// `lending-v1` book bit for bit (a quantity of USDC times 1 is the amount).
#[test]
fn owing_the_numeraire_reduces_to_lending_v1() {
    let accounts = [(1.0, 800.0), (2.0, 1500.0), (0.5, 390.0), (3.0, 100.0)];
    let mut plain = Book::new(3);
    let mut owed = Book::with_owed(3);
    for (j, &(eth, debt)) in accounts.iter().enumerate() {
        plain.push(j.to_string(), &[eth, 0.0, 0.0], debt);
        owed.push_owing(j.to_string(), &[eth, 0.0, 0.0], &[0.0, debt, 0.0]);
    }
    let p = path(&[
        (1000.0, 1.0),
        (950.0, 1.0),
        (900.0, 1.0),
        (700.0, 1.0),
        (400.0, 1.0),
    ]);
    let multi = Frictions {
        multi_asset_debt: true,
        ..Frictions::default()
    };
    let want = run(&Frictions::default(), &plain, &p, ScanMode::Pruned);
    assert!(want.summary.liquidations >= 4);
    assert!(want.summary.bad_debt > 0.0);
    assert_eq!(run(&multi, &owed, &p, ScanMode::Pruned), want);
    // The same through the loader's conversion.
    assert_eq!(
        run(&multi, &plain.clone().into_owed(USDC), &p, ScanMode::Pruned),
        want
    );
}
