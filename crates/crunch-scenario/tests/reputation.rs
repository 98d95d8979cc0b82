//! `[reputation]` and `[[book.generator.scores]]`: what they parse to, and every refusal
//! with its line and key.

mod common;

use common::scenario;
use crunch_book::ScoreGroup;
use crunch_core::{Reputation, ScoreUpdate, Tier};
use crunch_scenario::{BookSpec, Scenario, parse_scenario};
use std::path::Path;

fn parse(tail: &str) -> Result<Scenario, String> {
    parse_scenario(Path::new("s.toml"), &scenario(tail)).map_err(|e| e.to_string())
}

fn refused(tail: &str) -> String {
    parse(tail).err().expect("the scenario must be refused")
}

const UPDATE: &str = "
[reputation.update]
healthy_gain = 0.01
liquidation_loss = 0.5
near_health = 1.05
near_loss = 0.1
";

#[test]
fn the_tables_parse_to_the_model_and_the_groups() {
    let s = parse(&format!(
        r#"
[[book.generator.scores]]
share = 0.7
score = 0.4

[[book.generator.scores]]
share = 0.3
score = 0.9
utilisation = [0.95, 1.0]

[reputation]
policies = ["static"]
tiers = [
  {{ min_score = 0.0, ltv = -0.05, lt = -0.05 }},
  {{ min_score = 0.8, ltv = 0.05, lt = 0.03, bonus = -0.01 }},
]
{UPDATE}"#
    ))
    .unwrap();
    assert!(s.frictions.active());
    assert_eq!(
        s.frictions.reputation,
        Some(Reputation {
            tiers: vec![
                Tier {
                    min_score: 0.0,
                    ltv: -0.05,
                    lt: -0.05,
                    bonus: 0.0
                },
                Tier {
                    min_score: 0.8,
                    ltv: 0.05,
                    lt: 0.03,
                    bonus: -0.01
                },
            ],
            update: ScoreUpdate {
                healthy_gain: 0.01,
                liquidation_loss: 0.5,
                near_health: 1.05,
                near_loss: 0.1,
                min: 0.0,
                max: 1.0,
            },
            max_lt: 0.95,
            policies: vec![0],
        })
    );
    let BookSpec::Generator(g) = &s.book else {
        panic!("a generated book")
    };
    assert_eq!(
        g.scores,
        [
            ScoreGroup {
                share: 0.7,
                score: 0.4,
                utilisation: None
            },
            ScoreGroup {
                share: 0.3,
                score: 0.9,
                utilisation: Some((0.95, 1.0))
            },
        ]
    );
}

#[test]
fn bad_tables_are_refused_with_line_and_key() {
    let e = refused(
        r#"
[protocol.emode]
assets = ["ETH"]
ltv = 0.9
lt = 0.92
bonus = 0.02

[reputation]
policies = ["static", "nope"]
max_lt = 1.0
tiers = [
  { min_score = 1.5, ltv = 1.5 },
  { min_score = 0.1 },
]

[reputation.update]
healthy_gain = -0.01
liquidation_loss = 0.5
near_health = 0.9
near_loss = 0.1
bounds = [1.0, 0.0]
"#,
    );
    for want in [
        "line 45, `reputation`: cannot be combined with [protocol.emode] yet",
        "line 46, `reputation.policies`: unknown policy `nope` (the scenario's policies: \
         static)",
        "line 47, `reputation.max_lt`: must be in (0, 1), got 1",
        "line 49, `reputation.tiers[0].min_score`: the first tier must start at or below the \
         lowest score (1), got 1.5",
        "line 49, `reputation.tiers[0].ltv`: must be in [-1, 1], got 1.5",
        "line 50, `reputation.tiers[1].min_score`: tiers must be sorted by increasing \
         min_score: 0.1 is not above 1.5",
        "line 54, `reputation.update.healthy_gain`: must be >= 0, got -0.01",
        "line 56, `reputation.update.near_health`: must be >= 1 (a health factor), got 0.9",
        "line 58, `reputation.update.bounds`: must be [lo, hi] with lo < hi (finite), got \
         [1, 0]",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
    let empty = refused(&format!(
        "[reputation]\npolicies = []\ntiers = []\n{UPDATE}"
    ));
    assert!(
        empty.contains("`reputation.tiers`: needs at least one tier"),
        "{empty}"
    );

    let isolated = refused(&format!(
        "[protocol.isolation.ETH]\ndebt_ceiling = 1e6\n\n[reputation]\npolicies = []\n\
         tiers = [{{ min_score = 0.0 }}]\n{UPDATE}"
    ));
    assert!(
        isolated.contains("`reputation`: cannot be combined with [protocol.isolation] yet"),
        "{isolated}"
    );
}
