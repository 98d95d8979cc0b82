//! `[derivatives]`: defaults, every key, the modes compared (the listed ones, then every
//! policy), and each refusal naming its line and key.

mod common;

use common::scenario;
use crunch_derivatives::{
    DerivOptions, MarginMode, Revaluation, RuleParams, ScanGrid, SimulatedMoves, TailMeasure,
};
use crunch_scenario::{DERIV_MODES, ScenarioError, parse_scenario};
use std::path::Path;

fn parse(tail: &str) -> crunch_scenario::Scenario {
    parse_scenario(Path::new("dir/s.toml"), &scenario(tail)).unwrap_or_else(|e| panic!("{e}"))
}

fn issues(tail: &str) -> Vec<String> {
    match parse_scenario(Path::new("s.toml"), &scenario(tail)) {
        Err(ScenarioError::Invalid { issues, .. }) => {
            issues.iter().map(|i| i.to_string()).collect()
        }
        Err(e) => panic!("not a validation error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

/// 1-based line, in the whole file, of the tail's line containing `marker`.
fn line(tail: &str, marker: &str) -> usize {
    let text = scenario(tail);
    text.lines().position(|l| l.contains(marker)).unwrap() + 1
}

fn names(modes: &[MarginMode<'_>]) -> Vec<String> {
    modes.iter().map(MarginMode::name).collect()
}

#[test]
fn a_scenario_without_the_section_has_no_derivatives() {
    assert!(parse("").derivatives.is_none());
}

#[test]
fn defaults_compare_every_mode_then_every_policy() {
    let s = parse("[derivatives]\nbook = \"deriv.csv\"\n");
    let d = s.derivatives.as_ref().unwrap();
    assert_eq!(d.book, Path::new("dir").join("deriv.csv"));
    assert_eq!(d.options, DerivOptions::default());
    assert_eq!(names(&d.modes), DERIV_MODES);
    assert_eq!(
        names(&d.modes(&s.policies)),
        ["isolated", "cross", "portfolio", "portfolio-dgv", "static"]
    );
    // The documented defaults.
    let rules = |p, b, m| RuleParams::new(p, b, m).unwrap();
    match d.modes[0] {
        MarginMode::Isolated {
            initial,
            maintenance,
        } => {
            assert_eq!(initial, rules(0.10, 0.20, 0.10));
            assert_eq!(maintenance, rules(0.05, 0.15, 0.075));
        }
        other => panic!("{other:?}"),
    }
    match d.modes[2] {
        MarginMode::Portfolio {
            initial,
            maintenance,
            revaluation,
        } => {
            assert_eq!(initial, ScanGrid::new(0.15, 3, 0.10).unwrap());
            assert_eq!(maintenance, ScanGrid::new(0.10, 3, 0.10).unwrap());
            assert_eq!(revaluation, Revaluation::Full);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_key_is_read() {
    let s = parse(
        r#"[derivatives]
book = "d.csv"
modes = ["portfolio-dgv", "cross"]
ewma_lambda = 0.9
rate = 0.02
penalty = 0.01
liquidation_buffer = 0.1
insurance_fund = 500

[derivatives.rules.initial]
perp_rate = 0.2
option_base = 0.25
option_min = 0.12

[derivatives.rules.maintenance]
perp_rate = 0.1

[derivatives.scan.initial]
price_range = 0.2
steps = 4
vol_range = 0.05
extreme_multiple = 3
extreme_fraction = 0.5
short_option_minimum = 0.02

[derivatives.scan.maintenance]
price_range = 0.12
"#,
    );
    let d = s.derivatives.unwrap();
    assert_eq!(
        d.options,
        DerivOptions {
            ewma_lambda: 0.9,
            rate: 0.02,
            penalty: 0.01,
            liquidation_buffer: 0.1,
            insurance_fund: 500.0,
            ..DerivOptions::default()
        }
    );
    assert_eq!(names(&d.modes), ["portfolio-dgv", "cross"]);
    match d.modes[0] {
        MarginMode::Portfolio {
            initial,
            maintenance,
            revaluation,
        } => {
            let grid = ScanGrid::new(0.2, 4, 0.05)
                .unwrap()
                .with_extreme(3.0, 0.5)
                .unwrap()
                .with_short_option_minimum(0.02)
                .unwrap();
            assert_eq!(initial, grid);
            // Unlisted keys keep their defaults.
            assert_eq!(maintenance, ScanGrid::new(0.12, 3, 0.10).unwrap());
            assert_eq!(revaluation, Revaluation::DeltaGammaVega);
        }
        other => panic!("{other:?}"),
    }
    match d.modes[1] {
        MarginMode::Cross {
            initial,
            maintenance,
        } => {
            assert_eq!(initial, RuleParams::new(0.2, 0.25, 0.12).unwrap());
            assert_eq!(maintenance, RuleParams::new(0.1, 0.15, 0.075).unwrap());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_mode_list_compares_the_policies_only() {
    let s = parse("[derivatives]\nbook = \"d.csv\"\nmodes = []\n");
    let d = s.derivatives.as_ref().unwrap();
    assert_eq!(names(&d.modes(&s.policies)), ["static"]);
}

#[test]
fn unknown_and_repeated_modes_are_refused_with_their_line() {
    let tail = "[derivatives]\nbook = \"d.csv\"\nmodes = [\"cross\",\n  \"span\",\n  \"cross\"]\n";
    assert_eq!(
        issues(tail),
        [
            format!(
                "line {}, `derivatives.modes[1]`: unknown mode `span` (known: isolated, cross, \
                 portfolio, portfolio-dgv, var, es; the scenario's [[policies]] are compared without \
                 being listed)",
                line(tail, "\"span\"")
            ),
            format!(
                "line {}, `derivatives.modes[2]`: mode `cross` is listed twice",
                line(tail, "\"cross\"]")
            ),
        ]
    );
}

#[test]
fn a_policy_named_like_a_mode_is_refused() {
    let tail = "[derivatives]\nbook = \"d.csv\"\nmodes = [\"static\"]\n";
    let got = issues(tail);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[0].starts_with(&format!(
            "line {}, `derivatives.modes[0]`: mode `static` has the name of a [[policies]] entry",
            line(tail, "modes")
        )),
        "{got:?}"
    );
    assert!(got[1].contains("unknown mode `static`"), "{got:?}");
}

#[test]
fn bad_parameters_name_their_key_and_line_all_at_once() {
    let tail = r#"[derivatives]
book = "d.csv"
penalty = 1.5
ewma_lambda = 1
insurance_fund = -1

[derivatives.rules.maintenance]
option_min = 2

[derivatives.scan.initial]
price_range = 0.5
extreme_multiple = 3
"#;
    assert_eq!(
        issues(tail),
        [
            format!(
                "line {}, `derivatives.penalty`: must be in [0, 1], got 1.5",
                line(tail, "penalty")
            ),
            format!(
                "line {}, `derivatives.ewma_lambda`: must be in [0, 1), got 1",
                line(tail, "ewma_lambda")
            ),
            format!(
                "line {}, `derivatives.insurance_fund`: must be finite and >= 0, got -1",
                line(tail, "insurance_fund")
            ),
            format!(
                "line {}, `derivatives.rules.maintenance.option_min`: must be in [0, 1], got 2",
                line(tail, "option_min")
            ),
            format!(
                "line {}, `derivatives.scan.initial.extreme_multiple`: must be >= 1 and below \
                 1 / price_range, got 3",
                line(tail, "extreme_multiple")
            ),
        ]
    );
}

#[test]
fn missing_book_and_unknown_keys_are_parse_errors() {
    for (tail, expect) in [
        (
            "[derivatives]\nmodes = [\"cross\"]\n",
            "missing field `book`",
        ),
        (
            "[derivatives]\nbook = \"d.csv\"\npenalties = 0.1\n",
            "unknown field `penalties`",
        ),
        (
            "[derivatives]\nbook = \"d.csv\"\n[derivatives.rules.initial]\nperp = 0.1\n",
            "unknown field `perp`",
        ),
    ] {
        match parse_scenario(Path::new("s.toml"), &scenario(tail)) {
            Err(ScenarioError::Parse { message, .. }) => {
                assert!(message.contains(expect), "{message}");
                assert!(message.contains("line"), "{message}");
            }
            other => panic!("{tail}: {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn a_wide_price_range_with_a_small_extreme_multiple_is_accepted() {
    // 0.6 x 1.5 = 0.9 < 1; the default multiple 2 alone would not fit.
    let s = parse(
        "[derivatives]\nbook = \"d.csv\"\nmodes = [\"portfolio\"]\n\
         [derivatives.scan.initial]\nprice_range = 0.6\nextreme_multiple = 1.5\n",
    );
    match s.derivatives.unwrap().modes[0] {
        MarginMode::Portfolio { initial, .. } => assert_eq!(
            initial,
            ScanGrid::with_moves(0.6, 3, 0.10, 1.5, 0.35).unwrap()
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unknown_mode_is_reported_beside_a_bad_rate() {
    let tail = "[derivatives]\nbook = \"d.csv\"\nmodes = [\"spam\"]\n\
                [derivatives.rules.initial]\nperp_rate = 2\n";
    assert_eq!(
        issues(tail),
        [
            format!(
                "line {}, `derivatives.modes[0]`: unknown mode `spam` (known: isolated, \
                 cross, portfolio, portfolio-dgv, var, es; the scenario's [[policies]] are compared \
                 without being listed)",
                line(tail, "modes")
            ),
            format!(
                "line {}, `derivatives.rules.initial.perp_rate`: must be in [0, 1], got 2",
                line(tail, "perp_rate")
            ),
        ]
    );
}

/// `var` and `es` with `[derivatives.simulated]`: defaults, every key, the horizon in
/// steps converted to years with the scenario's `dt`, and each refusal with its line.
#[test]
fn the_simulated_modes_parse_and_are_checked() {
    let d = parse("[derivatives]\nbook = \"d.csv\"\nmodes = [\"var\", \"es\"]\n")
        .derivatives
        .unwrap();
    assert_eq!(names(&d.modes), ["var", "es"]);
    let dt = 0.0027397260273972603;
    let want = |measure| MarginMode::Simulated {
        moves: SimulatedMoves::new(500, dt, 0.8, measure).unwrap(),
        initial: 0.995,
        maintenance: 0.99,
    };
    assert_eq!(
        format!("{:?}", d.modes[1]),
        format!("{:?}", want(TailMeasure::Es))
    );
    let tail = "[derivatives]\nbook = \"d.csv\"\nmodes = [\"es\"]\n\n\
                [derivatives.simulated]\ndraws = 100\nhorizon = 5\ncorrelation = 0.5\n\
                initial = 0.99\nmaintenance = 0.975\n";
    match parse(tail).derivatives.unwrap().modes[0] {
        MarginMode::Simulated {
            moves,
            initial,
            maintenance,
        } => {
            assert_eq!(
                moves,
                SimulatedMoves::new(100, 5.0 * dt, 0.5, TailMeasure::Es).unwrap()
            );
            assert_eq!((initial, maintenance), (0.99, 0.975));
        }
        ref other => panic!("{other:?}"),
    }
    let bad = "[derivatives]\nbook = \"d.csv\"\nmodes = [\"es\"]\n\n\
               [derivatives.simulated]\ndraws = 0\nhorizon = -1\ncorrelation = 2\n\
               initial = 1\n";
    let got = issues(bad);
    for want in [
        "`derivatives.simulated.draws`: must be >= 1, got 0",
        "`derivatives.simulated.horizon`: must be > 0 (steps), got -1",
        "`derivatives.simulated.correlation`: must be in [0, 1], got 2",
        "`derivatives.simulated.initial`: must be in (0, 1) (a confidence level), got 1",
    ] {
        assert!(got.iter().any(|g| g.contains(want)), "{want}: {got:?}");
    }
}
