//! `[chains]`: what it parses to, and every refusal with its line and key.

mod common;

use common::scenario;
use crunch_core::{Chain, Chains, Window};
use crunch_scenario::{Scenario, parse_scenario};
use std::path::Path;

fn parse(tail: &str) -> Result<Scenario, String> {
    parse_scenario(Path::new("s.toml"), &scenario(tail)).map_err(|e| e.to_string())
}

/// ETH_ARB (asset 2) and BTC (asset 3) besides the common ETH and USDC.
const ASSETS: &str = r#"
[[assets]]
symbol = "ETH_ARB"
price = 2000.0
sigma = 0.8

[[assets]]
symbol = "BTC"
price = 30000.0
sigma = 0.6
"#;

#[test]
fn the_table_parses_to_the_chains() {
    let s = parse(&format!(
        r#"{ASSETS}
[chains]
home = "ethereum"
isolated = ["static"]
target_health = 1.3

[[chains.remote]]
name = "arbitrum"
bridge_delay = 3
halts = [{{ start = 5, end = 9 }}]
assets = {{ ETH_ARB = "ETH" }}
"#
    ))
    .unwrap();
    assert!(s.frictions.active());
    assert_eq!(
        s.frictions.chains,
        Some(Chains {
            chains: vec![
                Chain {
                    name: "ethereum".into(),
                    bridge_delay: 0,
                    halts: vec![],
                },
                Chain {
                    name: "arbitrum".into(),
                    bridge_delay: 3,
                    halts: vec![Window { start: 5, end: 9 }],
                },
            ],
            chain: vec![0, 0, 1, 0],
            base: vec![0, 1, 0, 3],
            isolated: vec![0],
            target_health: 1.3,
            sub_accounts: None,
        })
    );
    // Defaults: home chain `home`, nothing isolated, target health 1.25.
    let c = parse("[chains]\n").unwrap().frictions.chains.unwrap();
    assert_eq!(c.chains.len(), 1);
    assert_eq!(c.chains[0].name, "home");
    assert!(c.isolated.is_empty());
    assert_eq!(c.target_health, 1.25);
    assert_eq!(c.base, [0, 1]);
}

#[test]
fn every_mistake_is_reported_with_its_line_and_key() {
    let e = parse(&format!(
        r#"{ASSETS}
[chains]
isolated = ["static", "nope"]
target_health = 0.9

[[chains.remote]]
name = "home"
bridge_delay = 0
halts = [{{ start = 0, end = 40 }}]
assets = {{ ETH_ARB = "ETH", BTC = "ETH", X = "ETH" }}

[[chains.remote]]
name = "op"
bridge_delay = 1
assets = {{ ETH = "ETH_ARB" }}
"#
    ))
    .err()
    .expect("refused");
    for want in [
        "line 50, `chains.isolated`: unknown policy `nope` (the scenario's policies: static)",
        "line 51, `chains.target_health`: must be >= 1, got 0.9",
        "line 54, `chains.remote[0].name`: chain `home` is named twice (the home chain included)",
        "line 55, `chains.remote[0].bridge_delay`: must be >= 1 (steps a transfer takes), got 0",
        "line 56, `chains.remote[0].halts[0].start`: must be >= 1, got 0",
        "line 56, `chains.remote[0].halts[0].end`: must be <= steps (30), got 40",
        "line 57, `chains.remote[0].assets.BTC`: `BTC` copies `ETH`'s prices: its start price must \
         be 2000, got 30000",
        "line 57, `chains.remote[0].assets.X`: `X = \"ETH\"` names an asset not declared in [[assets]]",
        "line 62, `chains.remote[1].assets.ETH`: `ETH_ARB` is not a home-chain asset (a copy copies a \
         home asset)",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
    let debt = parse("[protocol]\nmulti_asset_debt = true\n\n[chains]\n")
        .err()
        .expect("refused");
    assert!(
        debt.contains("`chains`: cannot be combined with `protocol.multi_asset_debt` yet"),
        "{debt}"
    );
}
