//! The friction tables `[oracle.SYMBOL]` and `[liquidators]`: what they parse to, and
//! every refusal with its line and key.

mod common;

use common::scenario;
use crunch_core::{
    Caps, Comet, EMode, Frictions, Isolation, LiquidatorSpec, OracleSpec, RuleSet, Spike, Window,
};
use crunch_scenario::parse_scenario;
use std::path::Path;

fn parse(tail: &str) -> Result<Frictions, String> {
    parse_scenario(Path::new("s.toml"), &scenario(tail))
        .map(|s| s.frictions)
        .map_err(|e| e.to_string())
}

#[test]
fn without_the_tables_there_are_no_frictions() {
    let f = parse("").unwrap();
    assert!(!f.active());
    assert_eq!(f.oracles, [None, None]);
}

#[test]
fn the_tables_parse_to_their_specs() {
    let f = parse(
        r#"
[oracle.ETH]
lag = 2
heartbeat = 24
deviation = 0.005
floor = 100
ceiling = 10000.0
spikes = [{ start = 3, end = 4, factor = 1.3 }]

[liquidators]
capacity = 20e6
gas = 20
outages = [{ start = 5, end = 7 }]
recovery_half_life = 3
"#,
    )
    .unwrap();
    assert!(f.active());
    assert_eq!(
        f.oracles[0],
        Some(OracleSpec {
            lag: 2,
            heartbeat: Some(24),
            deviation: Some(0.005),
            floor: Some(100.0),
            ceiling: Some(10000.0),
            spikes: vec![Spike {
                window: Window { start: 3, end: 4 },
                factor: 1.3
            }],
        })
    );
    assert_eq!(f.oracles[1], None);
    assert_eq!(
        f.liquidators,
        Some(LiquidatorSpec {
            capacity: Some(20e6),
            gas: 20.0,
            outages: vec![Window { start: 5, end: 7 }],
            recovery_half_life: Some(3.0),
        })
    );
    // An empty [liquidators] table: liquidators who need a profit, nothing else.
    assert_eq!(
        parse("[liquidators]\n").unwrap().liquidators,
        Some(LiquidatorSpec::default())
    );
}

#[test]
fn bad_values_are_refused_with_line_and_key() {
    let cases = [
        (
            "[oracle.BTC]\nlag = 1\n",
            "`oracle.BTC`: unknown asset (not declared in [[assets]])",
        ),
        (
            "[oracle.ETH]\nlag = 31\n",
            "`oracle.ETH.lag`: must be <= steps (30), got 31",
        ),
        (
            "[oracle.ETH]\nheartbeat = 0\n",
            "`oracle.ETH.heartbeat`: must be >= 1 step, got 0",
        ),
        (
            "[oracle.ETH]\ndeviation = 1.5\n",
            "`oracle.ETH.deviation`: must be in (0, 1) (a fraction of the last published price), got 1.5",
        ),
        (
            "[oracle.ETH]\nfloor = 100\nceiling = 50\n",
            "`oracle.ETH.ceiling`: must be above floor (100), got 50",
        ),
        (
            "[oracle.ETH]\nspikes = [{ start = 5, end = 4, factor = 2 }]\n",
            "`oracle.ETH.spikes[0].end`: must be >= start (5), got 4",
        ),
        (
            "[oracle.ETH]\nspikes = [{ start = 1, end = 2, factor = 0 }]\n",
            "`oracle.ETH.spikes[0].factor`: must be > 0 (a multiplier of the market price), got 0",
        ),
        (
            "[liquidators]\ncapacity = -1\n",
            "`liquidators.capacity`: must be > 0 (USD of seized collateral per step), got -1",
        ),
        (
            "[liquidators]\ngas = nan\n",
            "`liquidators.gas`: must be >= 0 (USD per liquidation), got NaN",
        ),
        (
            "[liquidators]\noutages = [{ start = 0, end = 3 }]\n",
            "`liquidators.outages[0].start`: must be >= 1, got 0",
        ),
        (
            "[liquidators]\noutages = [{ start = 3, end = 40 }]\n",
            "`liquidators.outages[0].end`: must be <= steps (30), got 40",
        ),
        (
            "[liquidators]\nrecovery_half_life = 2\n",
            "`liquidators.recovery_half_life`: needs `capacity` and at least one entry of `outages`",
        ),
        ("[liquidators]\nspeed = 2\n", "unknown field `speed`"),
    ];
    for (tail, want) in cases {
        let e = parse(tail).unwrap_err();
        assert!(e.contains(want), "{tail}:\n{e}");
        assert!(e.contains("line "), "{tail}: no line in\n{e}");
    }
}

#[test]
fn protocol_rule_sets_parse_with_defaults_and_refuse_foreign_keys() {
    let rules = |tail: &str| parse(tail).map(|f| f.rules);
    assert_eq!(rules("").unwrap(), RuleSet::LendingV1);
    assert_eq!(
        rules("[protocol]\nrules = \"aave-v3.3\"\n").unwrap(),
        RuleSet::AaveV33 {
            full_close_health: 0.95,
            full_close_below: 2000.0,
            min_leftover: 1000.0
        }
    );
    assert_eq!(
        rules("[protocol]\nrules = \"euler-v2\"\nmax_discount = 0.15\n").unwrap(),
        RuleSet::EulerV2 { max_discount: 0.15 }
    );
    assert_eq!(
        rules("[protocol]\nrules = \"morpho-blue\"\n").unwrap(),
        RuleSet::MorphoBlue
    );
    assert_eq!(
        rules("[protocol]\nrules = \"compound-v3\"\ntarget_reserves = 5e6\n").unwrap(),
        RuleSet::CompoundV3(Comet {
            liquidation_factor: 0.93,
            store_front_factor: 0.5,
            target_reserves: 5e6,
            reserves: 0.0,
        })
    );
    let f = parse("[protocol]\nmulti_asset_debt = true\n").unwrap();
    assert!(f.multi_asset_debt && f.active());
    assert!(!parse("").unwrap().multi_asset_debt);
    for (tail, want) in [
        (
            "[protocol]\nrules = \"compound\"\n",
            "`protocol.rules`: unknown rule-set `compound` (known: lending-v1, aave-v3.3, morpho-blue, euler-v2, compound-v3)",
        ),
        (
            "[protocol]\nrules = \"compound-v3\"\nliquidation_factor = 1.2\n",
            "`protocol.liquidation_factor`: must be in (0, 1], got 1.2",
        ),
        (
            "[protocol]\nrules = \"aave-v3.3\"\ntarget_reserves = 5\n",
            "`protocol.target_reserves`: not a parameter of rule-set `aave-v3.3`",
        ),
        ("[protocol]\nmulti_asset_debt = 1\n", "multi_asset_debt"),
        (
            "[protocol]\nrules = \"morpho-blue\"\nmax_discount = 0.1\n",
            "`protocol.max_discount`: not a parameter of rule-set `morpho-blue`",
        ),
        (
            "[protocol]\nrules = \"aave-v3.3\"\nfull_close_health = 1.5\n",
            "`protocol.full_close_health`: must be in (0, 1], got 1.5",
        ),
    ] {
        let e = rules(tail).unwrap_err();
        assert!(e.contains(want) && e.contains("line "), "{tail}:\n{e}");
    }
}

#[test]
fn an_emode_category_parses_and_is_checked() {
    let f = parse("[protocol.emode]\nassets = [\"USDC\"]\nltv = 0.97\nlt = 0.975\nbonus = 0.01\n")
        .unwrap();
    assert_eq!(f.rules, RuleSet::LendingV1);
    assert_eq!(
        f.emode,
        Some(EMode {
            assets: vec![1],
            ltv: 0.97,
            lt: 0.975,
            bonus: 0.01
        })
    );
    let e = parse("[protocol.emode]\nassets = [\"DOGE\"]\nltv = 0.98\nlt = 0.975\nbonus = 0.01\n")
        .unwrap_err();
    assert!(
        e.contains("`protocol.emode.assets`: unknown asset `DOGE`")
            && e.contains("`protocol.emode.ltv`: must be <= lt (0.975), got 0.98"),
        "{e}"
    );
}

#[test]
fn isolation_and_caps_parse_and_are_checked() {
    let f = parse(
        "[protocol]\nmulti_asset_debt = true\n\n[protocol.isolation.ETH]\ndebt_ceiling = 5e6\n\n\
         [protocol.caps.ETH]\nsupply = 1000\n\n[protocol.caps.USDC]\nborrow = 2e6\n",
    )
    .unwrap();
    assert_eq!(
        f.isolation,
        vec![Isolation {
            asset: 0,
            debt_ceiling: 5e6
        }]
    );
    assert_eq!(
        f.caps,
        vec![
            Caps {
                asset: 0,
                supply: Some(1000.0),
                borrow: None
            },
            Caps {
                asset: 1,
                supply: None,
                borrow: Some(2e6)
            }
        ]
    );
    let cases = [
        (
            "[protocol.isolation.DOGE]\ndebt_ceiling = 1\n",
            "`protocol.isolation.DOGE`: unknown asset (not declared in [[assets]])",
        ),
        (
            "[protocol.isolation.ETH]\ndebt_ceiling = -1\n",
            "`protocol.isolation.ETH.debt_ceiling`: must be >= 0 (USD), got -1",
        ),
        (
            "[protocol.caps.ETH]\nsupply = -2\n",
            "`protocol.caps.ETH.supply`: must be >= 0 (a quantity of the asset), got -2",
        ),
        (
            "[protocol.caps.USDC]\nborrow = 10\n",
            "`protocol.caps.USDC.borrow`: a borrow cap needs debts owed per asset: set \
             `[protocol] multi_asset_debt = true`",
        ),
        ("[protocol.caps.ETH]\nsuply = 2\n", "unknown field `suply`"),
    ];
    for (tail, want) in cases {
        let e = parse(tail).unwrap_err();
        assert!(e.contains(want), "{tail}: {e}");
    }
}
