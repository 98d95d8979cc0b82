//! The example policy builds, behaves as documented, and runs in a shipped scenario.

use crunch_core::{MarginPolicy, MarketView, PolicyState, PricePath, Requirements};
use custom_policy::{Drawdown, compare};
use std::path::Path;

/// A constant policy: `ltv = 0.5`, `lt = 0.8` on asset 0.
struct Fixed;

impl MarginPolicy for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }
    fn start_path(&self) -> Box<dyn PolicyState + '_> {
        Box::new(Fixed)
    }
}

impl PolicyState for Fixed {
    fn update(&mut self, _market: MarketView<'_>, r: &mut Requirements) {
        r.ltv[0] = 0.5;
        r.lt[0] = 0.8;
    }
}

#[test]
fn terms_shrink_with_the_drawdown_from_the_peak() {
    let policy = Drawdown {
        name: "dd".into(),
        inner: Box::new(Fixed),
        k: 2.0,
        floor: 0.5,
    };
    let mut path = PricePath::new(3, 1);
    for (t, p) in [100.0, 125.0, 100.0, 50.0].into_iter().enumerate() {
        path.row_mut(t)[0] = p;
    }
    let mut state = policy.start_path();
    let mut req = Requirements::zeroed(1);
    let mut lt = Vec::new();
    for t in 0..=3 {
        state.update(path.view_until(t), &mut req);
        lt.push(req.lt[0]);
    }
    // Peak 125 from step 1: drawdown 20 % at step 2 (m = 0.6), 60 % at step 3 (floor 0.5).
    for (got, want) in lt.iter().zip([0.8, 0.8, 0.8 * 0.6, 0.8 * 0.5]) {
        assert!((got - want).abs() < 1e-12, "{lt:?}");
    }
    assert_eq!(req.ltv[0], 0.25);
}

#[test]
fn runs_next_to_the_scenarios_policies_on_a_shipped_scenario() {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/quickstart.toml");
    let rows = compare(&scenario, Some(3)).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.policy.as_str()).collect();
    assert_eq!(names, ["aave-like", "conservative", "drawdown(aave-like)"]);
    for r in &rows {
        assert!(r.bad_debt_mean.is_finite() && r.bad_debt_mean >= 0.0);
        assert!(r.liquidations_mean.is_finite());
    }
}
