//! The `[output]` table: which optional files a run writes, and `health_step`'s range.

mod common;

use common::scenario;
use crunch_scenario::{OutputSpec, ScenarioError, parse_scenario};
use std::path::Path;

fn parse(output: &str) -> Result<crunch_scenario::Scenario, ScenarioError> {
    parse_scenario(Path::new("s.toml"), &scenario(output))
}

#[test]
fn outputs_default_to_the_summary_only() {
    assert_eq!(parse("").unwrap().output, OutputSpec::default());
    let s = parse("[output]\ntimeseries = true\nhealth_step = 30").unwrap();
    assert_eq!(
        s.output,
        OutputSpec {
            timeseries: true,
            events: false,
            health_step: Some(30),
        }
    );
    assert_eq!(
        parse("[output]\nhealth_step = 0")
            .unwrap()
            .output
            .health_step,
        Some(0)
    );
}

#[test]
fn health_step_past_the_last_step_names_line_and_key() {
    let text = scenario("[output]\nevents = true\nhealth_step = 31");
    let line = text
        .lines()
        .position(|l| l.starts_with("health_step"))
        .unwrap()
        + 1;
    match parse_scenario(Path::new("s.toml"), &text) {
        Err(ScenarioError::Invalid { issues, .. }) => {
            let got: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
            assert_eq!(
                got,
                [format!(
                    "line {line}, `output.health_step`: must be <= steps (30), got 31"
                )]
            );
        }
        Err(e) => panic!("not a validation error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn health_step_must_be_a_non_negative_integer() {
    for (value, problem) in [
        ("-1", "invalid value: integer `-1`, expected u64"),
        ("2.5", "invalid type: floating point `2.5`, expected u64"),
    ] {
        let text = scenario(&format!("[output]\nhealth_step = {value}"));
        let line = text
            .lines()
            .position(|l| l.starts_with("health_step"))
            .unwrap()
            + 1;
        let e = parse_scenario(Path::new("s.toml"), &text)
            .err()
            .unwrap_or_else(|| panic!("{value} accepted"));
        let msg = e.to_string();
        assert!(matches!(e, ScenarioError::Parse { .. }), "{msg}");
        for piece in [
            "scenario file `s.toml`",
            &format!("at line {line}"),
            &format!("health_step = {value}"),
            problem,
        ] {
            assert!(msg.contains(piece), "lacks {piece:?}: {msg}");
        }
    }
}
