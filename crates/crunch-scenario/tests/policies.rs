//! `[[policies]]`: the `dynamic` and `predictive` kinds, parameter sweeps expanded into named variants in a
//! fixed order, and errors that name the line, the key and the list element.

mod common;

use common::two_asset_head;
use crunch_core::{PricePath, Requirements};
use crunch_scenario::{ScenarioError, parse_scenario};
use std::path::Path;

fn names(policies: &str) -> Vec<String> {
    let text = format!("{}{policies}", two_asset_head(5));
    let s = parse_scenario(Path::new("s.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    s.policies.iter().map(|p| p.name().to_owned()).collect()
}

fn issues(policies: &str) -> Vec<String> {
    let text = format!("{}{policies}", two_asset_head(5));
    match parse_scenario(Path::new("s.toml"), &text) {
        Err(ScenarioError::Invalid { issues, .. }) => {
            issues.iter().map(|i| i.to_string()).collect()
        }
        Err(e) => panic!("not a validation error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

/// 1-based line of the policies text's line containing `marker`, in the whole file.
fn line(policies: &str, marker: &str) -> usize {
    two_asset_head(5).lines().count()
        + policies.lines().position(|l| l.contains(marker)).unwrap()
        + 1
}

#[test]
fn a_policy_without_lists_keeps_its_name() {
    let p = r#"
[[policies]]
name = "static"
kind = "static-ltv"
close_factor = 0.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05 } }

[[policies]]
name = "dyn"
kind = "dynamic"
close_factor = 0.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 } }
"#;
    assert_eq!(names(p), ["static", "dyn"]);
}

#[test]
fn lists_expand_into_the_cartesian_product_last_key_fastest() {
    let p = r#"
[[policies]]
name = "static"
kind = "static-ltv"
close_factor = [0.5, 1]
assets = { ETH = { ltv = [0.75, 0.7], lt = 0.825, bonus = 0.05 }, BTC = { ltv = 0.7, lt = 0.75, bonus = [0.05] } }

[[policies]]
name = "dyn"
kind = "dynamic"
close_factor = 0.5
lambda = [0.94, 0.97]
cap = 1.1
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 } }
"#;
    assert_eq!(
        names(p),
        [
            "static[close_factor=0.5,BTC.bonus=0.05,ETH.ltv=0.75]",
            "static[close_factor=0.5,BTC.bonus=0.05,ETH.ltv=0.7]",
            "static[close_factor=1,BTC.bonus=0.05,ETH.ltv=0.75]",
            "static[close_factor=1,BTC.bonus=0.05,ETH.ltv=0.7]",
            "dyn[lambda=0.94]",
            "dyn[lambda=0.97]",
        ]
    );
}

#[test]
fn each_variant_gets_its_own_values() {
    let p = r#"
[[policies]]
name = "s"
kind = "static-ltv"
close_factor = 0.5
assets = { ETH = { ltv = [0.75, 0.7], lt = 0.825, bonus = 0.05 } }
"#;
    let text = format!("{}{p}", two_asset_head(5));
    let s = parse_scenario(Path::new("s.toml"), &text).unwrap();
    let path = PricePath::new(1, 3);
    let ltv: Vec<f64> = s
        .policies
        .iter()
        .map(|p| {
            let mut req = Requirements::zeroed(3);
            p.start_path().update(path.view_until(0), &mut req);
            req.ltv[0]
        })
        .collect();
    assert_eq!(ltv, [0.75, 0.7]);
}

#[test]
fn list_elements_are_validated_like_scalars_and_named_by_index() {
    let p = r#"
[[policies]]
name = "s"
kind = "static-ltv"
close_factor = [0.5, 1.5]
assets = { ETH = { ltv = [0.8, 0.9], lt = 0.825, bonus = 0.05 } }
"#;
    let cf = line(p, "close_factor");
    let ltv = line(p, "assets");
    assert_eq!(
        issues(p),
        [
            format!("line {cf}, `policies[0].close_factor[1]`: must be in (0, 1], got 1.5"),
            format!("line {ltv}, `policies[0].assets.ETH.ltv[1]`: must be <= lt (0.825), got 0.9"),
        ]
    );
}

#[test]
fn empty_and_duplicate_lists_and_too_many_variants_are_refused() {
    let p = r#"
[[policies]]
name = "s"
kind = "static-ltv"
close_factor = []
assets = { ETH = { ltv = [0.7, 0.7], lt = 0.825, bonus = 0.05 } }
"#;
    assert_eq!(
        issues(p),
        [
            format!(
                "line {}, `policies[0].close_factor`: a list needs at least one value",
                line(p, "close_factor")
            ),
            format!(
                "line {}, `policies[0].assets.ETH.ltv[1]`: duplicate value 0.7 in the list",
                line(p, "assets")
            ),
        ]
    );
    let many: Vec<String> = (1..=40).map(|k| format!("{}", k as f64 / 100.0)).collect();
    let p = format!(
        r#"
[[policies]]
name = "s"
kind = "static-ltv"
close_factor = 0.5
assets = {{ ETH = {{ ltv = [{0}], lt = 0.825, bonus = [{0}] }} }}
"#,
        many.join(", ")
    );
    assert_eq!(
        issues(&p),
        [format!(
            "line {}, `policies[0]`: the lists expand into 1600 variants, more than 1000",
            line(&p, "name")
        )]
    );
}

#[test]
fn dynamic_keys_are_checked_with_line_and_key() {
    let p = r#"
[[policies]]
name = "d"
kind = "dynamic"
close_factor = 0.5
lambda = [0.94, 1.0]
beta = -1
floor = 0
cap = 1.25
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 }, BTC = { ltv = 0.7, lt = 0.75, bonus = 0.05 } }

[[policies]]
name = "s"
kind = "static-ltv"
close_factor = 0.5
lambda = 0.9
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 } }
"#;
    let at = |m| line(p, m);
    assert_eq!(
        issues(p),
        [
            format!(
                "line {}, `policies[0].assets.BTC.sigma_ref`: required for kind `dynamic`",
                at(
                    "assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 }, BTC"
                )
            ),
            format!(
                "line {}, `policies[1].lambda`: not used by kind `static-ltv`",
                at("lambda = 0.9")
            ),
            format!(
                "line {}, `policies[1].assets.ETH.sigma_ref`: not used by kind `static-ltv`",
                two_asset_head(5).lines().count() + p.lines().count()
            ),
        ]
    );
    let p = r#"
[[policies]]
name = "d"
kind = "dynamic"
close_factor = 0.5
lambda = [0.94, 1.0]
cap = 1.25
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8 } }
"#;
    assert_eq!(
        issues(p),
        [
            format!(
                "line {}, `policies[0].lambda[1]`: must be in [0, 1), got 1",
                line(p, "lambda")
            ),
            format!(
                "line {}, `policies[0].assets.ETH.lt`: lt * cap must be < 1 (cap 1.25), got 0.825",
                line(p, "assets")
            ),
        ]
    );
}

#[test]
fn predictive_sweeps_and_keys_are_checked_with_line_and_key() {
    let p = r#"
[[policies]]
name = "p"
kind = "predictive"
close_factor = 0.5
horizon = [1, 10]
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, sigma_long = 0.8, alpha = 0.1, beta = [0.8, 0.85] } }
"#;
    assert_eq!(
        names(p),
        [
            "p[horizon=1,ETH.beta=0.8]",
            "p[horizon=1,ETH.beta=0.85]",
            "p[horizon=10,ETH.beta=0.8]",
            "p[horizon=10,ETH.beta=0.85]",
        ]
    );
    let p = r#"
[[policies]]
name = "p"
kind = "predictive"
close_factor = 0.5
lambda = 0.94
horizon = 2.5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, alpha = 0.1, beta = 0.8 } }

[[policies]]
name = "d"
kind = "dynamic"
close_factor = 0.5
horizon = 5
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, alpha = 0.1 } }
"#;
    let at = |m| line(p, m);
    assert_eq!(
        issues(p),
        [
            format!(
                "line {}, `policies[0].lambda`: not used by kind `predictive`",
                at("lambda")
            ),
            format!(
                "line {}, `policies[0].assets.ETH.sigma_long`: required for kind `predictive`",
                at("alpha = 0.1, beta = 0.8")
            ),
            format!(
                "line {}, `policies[1].horizon`: not used by kind `dynamic`",
                at("horizon = 5")
            ),
            format!(
                "line {}, `policies[1].assets.ETH.alpha`: not used by kind `dynamic`",
                two_asset_head(5).lines().count() + p.lines().count()
            ),
        ]
    );
    let p = r#"
[[policies]]
name = "p"
kind = "predictive"
close_factor = 0.5
horizon = [2.5, 3]
assets = { ETH = { ltv = 0.8, lt = 0.825, bonus = 0.05, sigma_ref = 0.8, sigma_long = 0.8, alpha = 0.2, beta = [0.7, 0.8] } }
"#;
    assert_eq!(
        issues(p),
        [
            format!(
                "line {}, `policies[0].horizon[0]`: must be a whole number >= 1, got 2.5",
                line(p, "horizon")
            ),
            format!(
                "line {}, `policies[0].assets.ETH.beta[1]`: alpha + beta must be < 1 (alpha 0.2), got 0.8",
                line(p, "assets")
            ),
        ]
    );
}
