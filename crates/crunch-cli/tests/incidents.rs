//! The incident scenarios of `scenarios/incidents/` run at reduced size and show the
//! outcome their text describes.

use crunch_cli::{Overrides, PolicyStats, RunOptions, prepare, run_scenario};
use crunch_core::{Domain, PricePath, stream_rng};
use std::fs;
use std::path::{Path, PathBuf};

fn incident(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../scenarios/incidents/{name}"))
}

/// Runs `scenario` with `paths` paths (all of a historical source's when `None`) and
/// returns the per-policy statistics.
fn run(scenario: &Path, paths: Option<u64>) -> Vec<PolicyStats> {
    let dir = tempfile::tempdir().unwrap();
    let prepared = prepare(
        scenario,
        Overrides {
            paths,
            ..Overrides::default()
        },
    )
    .unwrap();
    run_scenario(&prepared, &RunOptions::new(dir.path().join("out"))).unwrap()
}

/// Black Thursday: bad debt is large with the liquidator outage, and almost all of it
/// disappears when only the outage is switched off; the lagging oracle adds to it.
#[test]
fn black_thursday_bad_debt_comes_from_the_outage() {
    let text = fs::read_to_string(incident("black-thursday.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let variant = |name: &str, text: String| {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        run(&path, Some(20))[0].mean_bad_debt
    };
    let outage = "outages = [{ start = 40, end = 52 }]\n";
    assert!(text.contains(outage) && text.contains("[oracle.ETH]\nlag = 1\n"));
    let full = variant("full.toml", text.clone());
    let no_outage = variant(
        "no-outage.toml",
        text.replace(outage, "")
            .replace("recovery_half_life = 3.0\n", ""),
    );
    let no_lag = variant("no-lag.toml", text.replace("[oracle.ETH]\nlag = 1\n", ""));
    assert!(full > 1e6, "bad debt with the outage: {full}");
    assert!(no_outage < 0.01 * full, "{no_outage} vs {full}");
    assert!(no_lag < full, "{no_lag} vs {full}");
}

/// November 2018: the replayed window has the published falls, and both policies end
/// with bad debt, the dynamic one less.
#[test]
fn november_2018_replays_the_published_falls() {
    let scenario = incident("nov-2018-crunch.toml");
    let p = prepare(&scenario, Overrides::default()).unwrap();
    let mut path = PricePath::new(p.source.steps(), p.source.assets());
    p.source.fill(
        &mut stream_rng(p.scenario.seed, Domain::MarketPaths, 0),
        &mut path,
    );
    let fall = |i: usize| 1.0 - path.row(p.source.steps())[i] / path.row(0)[i];
    // BTC 6,405.49 -> 3,727.34, ETH 210.14 -> 106.82, LTC 52.00 -> 29.09.
    for (i, want) in [(0, 0.418), (1, 0.492), (2, 0.441)] {
        assert!((fall(i) - want).abs() < 0.001, "asset {i}: {}", fall(i));
    }
    let stats = run(&scenario, None);
    let (stat, dynamic) = (&stats[0], &stats[1]);
    assert_eq!(
        (stat.policy.as_str(), dynamic.policy.as_str()),
        ("aave-like", "dynamic")
    );
    assert!(stat.mean_bad_debt > 0.0 && dynamic.mean_bad_debt > 0.0);
    assert!(dynamic.mean_bad_debt < stat.mean_bad_debt);
}

/// Runs `text` (an incident scenario edited by a test, written into a temporary
/// directory: its data paths must not be relative) with `paths` paths.
fn run_text(text: &str, paths: u64) -> Vec<PolicyStats> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.toml");
    fs::write(&path, text).unwrap();
    run(&path, Some(paths))
}

/// The CRV whale: in a 50 M USD market no liquidation of the whale passes the gate and
/// the fall leaves bad debt; in a 10 billion USD market the same paths leave none.
#[test]
fn the_crv_whale_is_too_large_for_its_market() {
    let text = fs::read_to_string(incident("crv-whale.toml")).unwrap();
    let thin = &run_text(&text, 10)[0];
    assert_eq!(thin.mean_liquidations, 0.0);
    assert!(thin.mean_bad_debt > 1e6, "{}", thin.mean_bad_debt);
    let depth = "depth = 50e6";
    assert!(text.contains(depth));
    let deep = &run_text(&text.replacen(depth, "depth = 1e10", 1), 10)[0];
    assert!(deep.mean_liquidations > 0.0);
    assert_eq!(deep.mean_bad_debt, 0.0);
}

/// The USDC depeg: valued at the market, the dip liquidates the book and leaves bad
/// debt; with an oracle floor at 0.99 nobody is liquidated or insolvent.
#[test]
fn the_usdc_depeg_liquidates_unless_the_oracle_pins_usdc() {
    let text = fs::read_to_string(incident("usdc-depeg.toml")).unwrap();
    let market = &run_text(&text, 5)[0];
    assert!(
        market.mean_liquidations > 100.0,
        "{}",
        market.mean_liquidations
    );
    assert!(market.mean_bad_debt > 0.0);
    let pinned = &run_text(&format!("{text}\n[oracle.USDC]\nfloor = 0.99\n"), 5)[0];
    assert_eq!(pinned.mean_liquidations, 0.0);
    assert_eq!(pinned.mean_bad_debt, 0.0);
}

/// The Compound DAI spike: DAI's oracle at 1.30 for one step liquidates far more than
/// the same paths without it (more than tenfold) and leaves no bad debt: the loss falls on
/// the borrowers.
#[test]
fn the_dai_oracle_spike_liquidates_solvent_borrowers() {
    let text = fs::read_to_string(incident("compound-dai.toml")).unwrap();
    let spike = "[oracle.DAI]\nspikes = [{ start = 20, end = 20, factor = 1.3 }]";
    assert!(text.contains(spike));
    let spiked = &run_text(&text, 5)[0];
    let quiet = &run_text(&text.replace(spike, ""), 5)[0];
    assert!(
        spiked.mean_liquidations > 10.0 * quiet.mean_liquidations.max(1.0),
        "{} vs {}",
        spiked.mean_liquidations,
        quiet.mean_liquidations
    );
    assert_eq!(spiked.mean_bad_debt, 0.0);
}
