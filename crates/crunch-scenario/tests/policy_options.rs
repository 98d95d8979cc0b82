//! `[[policies]]` options added to `dynamic` and `predictive`: the liquidity term
//! (`liquidity_k`, `position_scale`), `forecast = "regime"` and `forecast = "implied"`
//! (an implied-volatility column of a CSV file), and that a policy without them is the
//! policy it was before, bit for bit.

mod common;

use common::two_asset_head;
use crunch_core::{MarginPolicy, PricePath, Requirements};
use crunch_policy::{Dynamic, DynamicParams, DynamicTerms};
use crunch_scenario::{ScenarioError, parse_scenario};
use std::path::{Path, PathBuf};

/// A scenario file in `scenarios/`, so that `../data/...` is the repository's data.
fn file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/policy-options-test.toml")
}

fn parse(steps: usize, policies: &str) -> Result<crunch_scenario::Scenario, ScenarioError> {
    parse_scenario(&file(), &format!("{}{policies}", two_asset_head(steps)))
}

fn names(policies: &str) -> Vec<String> {
    let s = parse(5, policies).unwrap_or_else(|e| panic!("{e}"));
    s.policies.iter().map(|p| p.name().to_owned()).collect()
}

fn issues(steps: usize, policies: &str) -> Vec<String> {
    match parse(steps, policies) {
        Err(ScenarioError::Invalid { issues, .. }) => {
            issues.iter().map(|i| i.to_string()).collect()
        }
        Err(e) => panic!("not a validation error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

fn line(steps: usize, policies: &str, marker: &str) -> usize {
    two_asset_head(steps).lines().count()
        + policies.lines().position(|l| l.contains(marker)).unwrap()
        + 1
}

/// A rough path over the scenario's three assets, with ETH's depth cut in the middle.
fn path(steps: usize) -> PricePath {
    let mut p = PricePath::new(steps, 3);
    let mut x = 5u64;
    let mut log = [2000f64.ln(), 30000f64.ln()];
    p.row_mut(0).copy_from_slice(&[2000.0, 30000.0, 1.0]);
    for t in 1..=steps {
        for l in &mut log {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *l += 0.1 * ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
        }
        p.row_mut(t)
            .copy_from_slice(&[log[0].exp(), log[1].exp(), 1.0]);
        p.liquidity_row_mut(t)[0] = if (20..40).contains(&t) { 0.2 } else { 1.0 };
    }
    p
}

fn requirements(policy: &dyn MarginPolicy, path: &PricePath) -> Vec<Requirements> {
    let mut state = policy.start_path();
    let mut req = Requirements::zeroed(path.assets());
    (0..=path.steps())
        .map(|t| {
            state.update(path.view_until(t), &mut req);
            req.clone()
        })
        .collect()
}

#[test]
fn without_the_new_keys_dynamic_is_the_policy_it_was() {
    let p = r#"
[[policies]]
name = "d"
kind = "dynamic"
close_factor = 0.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 } }

[[policies]]
name = "dl"
kind = "dynamic"
close_factor = 0.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, position_scale = 100000 } }
"#;
    let s = parse(60, p).unwrap();
    let direct = Dynamic::new(
        "d",
        &s.market,
        DynamicParams::with_close_factor(0.5),
        &[(
            "ETH".into(),
            DynamicTerms {
                ltv: 0.8,
                lt: 0.825,
                bonus: 0.05,
                sigma_ref: 0.8,
            },
        )],
    )
    .unwrap();
    let path = path(60);
    let plain = requirements(s.policies[0].as_ref(), &path);
    assert_eq!(plain, requirements(&direct, &path));
    // With a position scale (k defaults to 1) the terms are lower, most in the crunch:
    // Q / depth = 0.02; m_liq = 1 / (1 + sqrt(0.02)) at l = 1, 1 / (1 + sqrt(0.1)) at 0.2.
    let liquid = requirements(s.policies[1].as_ref(), &path);
    for t in [0, 10, 25] {
        let l = if t == 25 { 0.2 } else { 1.0 };
        let m_liq = 1.0 / (1.0 + (0.02f64 / l).sqrt());
        let m = (plain[t].lt[0] / 0.825 * m_liq).max(0.5);
        assert!((liquid[t].lt[0] - 0.825 * m).abs() < 1e-12, "step {t}");
    }
}

#[test]
fn liquidity_keys_sweep_and_are_checked() {
    let p = r#"
[[policies]]
name = "d"
kind = "dynamic"
close_factor = 0.5
liquidity_k = [0.5, 1]
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, position_scale = [1e5, 1e6] } }
"#;
    assert_eq!(
        names(p),
        [
            "d[liquidity_k=0.5,ETH.position_scale=100000]",
            "d[liquidity_k=0.5,ETH.position_scale=1000000]",
            "d[liquidity_k=1,ETH.position_scale=100000]",
            "d[liquidity_k=1,ETH.position_scale=1000000]",
        ]
    );
    let p = r#"
[[policies]]
name = "d"
kind = "dynamic"
close_factor = 0.5
liquidity_k = -1
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, position_scale = 1e5 }, BTC = { ltv = 0.7, lt = 0.75, bonus = 0.05, sigma_ref = 0.6, position_scale = 1e5 } }

[[policies]]
name = "s"
kind = "static-ltv"
close_factor = 0.5
liquidity_k = 1
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, position_scale = 1e5 } }

[[policies]]
name = "k"
kind = "dynamic"
close_factor = 0.5
liquidity_k = 2
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 } }
"#;
    let at = |m| line(5, p, m);
    assert_eq!(
        issues(5, p),
        [
            format!(
                "line {}, `policies[0].liquidity_k`: must be >= 0, got -1",
                at("liquidity_k = -1")
            ),
            format!(
                "line {}, `policies[1].liquidity_k`: not used by kind `static-ltv`",
                at("liquidity_k = 1")
            ),
            format!(
                "line {}, `policies[1].assets.ETH.position_scale`: not used by kind `static-ltv`",
                at("ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, position_scale")
            ),
            format!(
                "line {}, `policies[2].liquidity_k`: needs `position_scale` on at least one asset, got 2",
                at("liquidity_k = 2")
            ),
        ]
    );
    // BTC has no depth: refused once k is valid.
    let p = p.replace("liquidity_k = -1", "liquidity_k = 1");
    let first = issues(5, &p).remove(0);
    assert!(
        first.contains("`policies[0].assets.BTC.position_scale`: the asset has no `depth`"),
        "{first}"
    );
}

#[test]
fn regime_forecast_keys_sweep_and_are_checked() {
    let p = r#"
[[policies]]
name = "r"
kind = "predictive"
forecast = "regime"
close_factor = 0.5
horizon = 5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, sigma_calm = 0.6, sigma_stress = 1.5, stay_calm = [0.98, 0.99], stay_stress = 0.9 } }
"#;
    assert_eq!(names(p), ["r[ETH.stay_calm=0.98]", "r[ETH.stay_calm=0.99]"]);
    let p = r#"
[[policies]]
name = "r"
kind = "predictive"
forecast = "regime"
close_factor = 0.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, sigma_long = 0.8, sigma_calm = 0.6, sigma_stress = 1.5, stay_calm = 1.5 } }

[[policies]]
name = "x"
kind = "predictive"
forecast = "arima"
close_factor = 0.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 } }

[[policies]]
name = "d"
kind = "dynamic"
forecast = "regime"
close_factor = 0.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 } }
"#;
    let at = |m| line(5, p, m);
    let a = at("sigma_long = 0.8, sigma_calm");
    assert_eq!(
        issues(5, p),
        [
            format!(
                "line {a}, `policies[0].assets.ETH.sigma_long`: not used by kind `predictive` with forecast `regime`"
            ),
            format!(
                "line {a}, `policies[0].assets.ETH.stay_stress`: required for kind `predictive` with forecast `regime`"
            ),
            format!(
                "line {}, `policies[1].forecast`: unknown forecast `arima` (known: garch, regime, implied)",
                at("arima")
            ),
            format!(
                "line {}, `policies[2].forecast`: not used by kind `dynamic`",
                at("kind = \"dynamic\"") + 1
            ),
        ]
    );
}

const IMPLIED: &str = r#"
[[policies]]
name = "iv"
kind = "predictive"
forecast = "implied"
close_factor = 0.5
implied_file = "../data/vix-daily-2014-2019.csv"
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, implied = "vix" } }
"#;

#[test]
fn implied_forecast_reads_the_column_by_step() {
    let s = parse(5, IMPLIED).unwrap();
    assert_eq!(s.implied.len(), 1);
    assert_eq!(s.implied[0].policy, "iv");
    // 1305 data rows, 46 of them holidays (`.`): 1259 values, steps 0..=1258.
    assert_eq!(s.implied[0].max_steps, 1258);
    // VIX 13.76, 13.55, 12.92 (percent) on the first three days: sigma_f = 0.1376, ...
    let req = requirements(s.policies[0].as_ref(), &path(2));
    for (t, vix) in [13.76f64, 13.55, 12.92].into_iter().enumerate() {
        let m = (0.8 / (vix * 0.01)).clamp(0.5, 1.0);
        assert_eq!(req[t].lt[0], 0.825 * m);
    }
    let scaled = IMPLIED.replace("implied_file", "implied_scale = [0.05, 0.1]\nimplied_file");
    let s = parse(5, &scaled).unwrap();
    let names: Vec<&str> = s.policies.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["iv[implied_scale=0.05]", "iv[implied_scale=0.1]"]);
    // 13.76 * 0.1 = 1.376 > 0.8: m = 0.8 / 1.376.
    let req = requirements(s.policies[1].as_ref(), &path(0));
    assert!((req[0].lt[0] - 0.825 * 0.8 / 1.376).abs() < 1e-12);
}

#[test]
fn implied_forecast_refuses_a_longer_path_a_missing_column_and_bad_keys() {
    let at = |steps, m| line(steps, IMPLIED, m);
    let err = issues(1259, IMPLIED);
    assert_eq!(err.len(), 1);
    let prefix = format!(
        "line {}, `policies[0].implied_file`: the series of ",
        at(1259, "implied_file")
    );
    assert!(err[0].starts_with(&prefix), "{}", err[0]);
    assert!(
        err[0].ends_with(
            "vix-daily-2014-2019.csv cover steps 0..=1258 (value t at step t), the scenario has `steps = 1259`"
        ),
        "{}",
        err[0]
    );
    assert!(parse(1258, IMPLIED).is_ok());
    let p = IMPLIED.replace("implied = \"vix\"", "implied = \"VIX\"");
    let err = issues(5, &p);
    assert!(
        err[0].contains("`policies[0].assets.ETH.implied`: ")
            && err[0].ends_with("has no column `VIX` (columns: Date, vix)"),
        "{}",
        err[0]
    );
    let p = IMPLIED.replace(", implied = \"vix\"", "");
    assert_eq!(
        issues(5, &p),
        [format!(
            "line {}, `policies[0].assets.ETH.implied`: required for kind `predictive` with forecast `implied`",
            at(5, "assets")
        )]
    );
    let p = IMPLIED.replace(
        "implied_file",
        "horizon = 5\nimplied_scale = 0\nimplied_file",
    );
    let err = issues(5, &p);
    assert_eq!(err.len(), 2, "{err:?}");
    assert!(
        err[0].ends_with(
            "`policies[0].horizon`: not used by kind `predictive` with forecast `implied`"
        )
    );
    assert!(err[1].ends_with("`policies[0].implied_scale`: must be > 0, got 0"));
}
