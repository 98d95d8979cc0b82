//! The pruned liquidation walk (the default) is bit-identical to the exhaustive reference
//! scan on the shipped scenarios: B1 as the specification ships it, the Monte Carlo
//! quickstart, the synthetic correlation crunch and the historical 2018 crash (outcomes compared with `==`, events and time
//! series included).

use crunch_cli::{Overrides, prepare};
use crunch_core::{PathOutcome, ResultSink};
use crunch_engine::{RecordOptions, RunPlan, ScanMode, SimOptions, run};
use std::convert::Infallible;
use std::path::Path;

struct Collect(Vec<PathOutcome>);

impl ResultSink for Collect {
    type Error = Infallible;
    fn accept(&mut self, o: &PathOutcome) -> Result<(), Infallible> {
        self.0.push(o.clone());
        Ok(())
    }
}

fn outcomes(scenario: &str, paths: Option<u64>, scan: ScanMode) -> Vec<PathOutcome> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(scenario);
    let p = prepare(&file, Overrides { seed: None, paths }).unwrap();
    let s = &p.scenario;
    let plan = RunPlan {
        options: SimOptions {
            record: RecordOptions {
                timeseries: true,
                events: true,
                health_step: Some(3),
            },
            scan,
        },
        ..p.plan(crunch_engine::units(0..s.paths, s.policies.len()), None)
    };
    let mut sink = Collect(Vec::new());
    run(&plan, &mut sink, &|| {}).unwrap();
    sink.0
}

fn check(scenario: &str, paths: Option<u64>) {
    let pruned = outcomes(scenario, paths, ScanMode::Pruned);
    let events: usize = pruned.iter().map(|o| o.events.len()).sum();
    assert!(
        events > 100,
        "{scenario}: the comparison must exercise liquidations"
    );
    assert!(
        pruned == outcomes(scenario, paths, ScanMode::Exhaustive),
        "{scenario}: scans differ"
    );
}

#[test]
fn b1_pruned_equals_exhaustive() {
    check("b1.toml", Some(6));
}

#[test]
fn quickstart_pruned_equals_exhaustive() {
    check("quickstart.toml", Some(24));
}

#[test]
fn synthetic_crunch_pruned_equals_exhaustive() {
    // Depth divided inside the crunch window: the gate's capacity varies by step.
    check("crunch-synthetic.toml", Some(24));
}

#[test]
fn historical_crash_pruned_equals_exhaustive() {
    check("btc-2018-crash.toml", None);
}

#[test]
fn policy_comparison_pruned_equals_exhaustive() {
    // The dynamic policy changes `lt` at every step: the screen is rebuilt each time.
    check("policy-comparison.toml", Some(4));
}
