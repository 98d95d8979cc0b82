//! The path-model keys of `[market]`: each source parses into its spec, and every bad
//! value is reported with its line, its key and the exact problem.

use crunch_market::{Decouple, Peg, Rescale, RescaleBy, Shock, ShockKind};
use crunch_scenario::{ScenarioError, SourceSpec, parse_scenario};
use std::path::Path;

/// A valid scenario around a `[market]` section (ETH, BTC moving; USDC stable).
fn scenario(market: &str) -> String {
    format!(
        r#"name = "t"
model = "lending-v1"
seed = 1
paths = 10
steps = 100
dt = 0.0027397260273972603

[[assets]]
symbol = "ETH"
price = 2000.0
sigma = 0.8

[[assets]]
symbol = "BTC"
price = 30000.0
sigma = 0.6

[[assets]]
symbol = "USDC"
price = 1.0

[book.generator]
accounts = 10
debt_asset = "USDC"
utilisation = [0.3, 0.95]

[[book.generator.holdings]]
asset = "ETH"
probability = 1.0
median_value = 10000.0
log_sd = 1.0
ltv = 0.8

[[policies]]
name = "static"
kind = "static-ltv"
close_factor = 0.5
assets = {{ ETH = {{ ltv = 0.80, lt = 0.825, bonus = 0.05 }} }}

{market}
"#
    )
}

/// 1-based line of the first line of `text` containing `marker`.
fn line(text: &str, marker: &str) -> usize {
    text.lines()
        .position(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with {marker}"))
        + 1
}

fn ok(market: &str) -> crunch_scenario::Scenario {
    let text = scenario(market);
    parse_scenario(Path::new("s.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}\n--- scenario ---\n{text}"))
}

/// The issues, as `line L, `key`: message`.
fn issues(market: &str) -> (String, Vec<String>) {
    let text = scenario(market);
    match parse_scenario(Path::new("s.toml"), &text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(ScenarioError::Invalid { issues, .. }) => {
            (text, issues.iter().map(|i| i.to_string()).collect())
        }
        Err(e) => panic!("not a validation error: {e}"),
    }
}

/// Exactly one issue, at the line of `marker`, with this key and message.
fn one_issue(market: &str, marker: &str, key: &str, message: &str) {
    let (text, got) = issues(market);
    let want = format!("line {}, `{key}`: {message}", line(&text, marker));
    assert_eq!(got, vec![want]);
}

#[test]
fn every_source_parses_into_its_spec() {
    let s = ok("[market]\nsource = \"student-t\"\ndof = 5");
    let SourceSpec::Parametric(p) = &s.source else {
        panic!()
    };
    assert_eq!((p.source, p.dof), ("student-t", Some(5.0)));

    let s = ok(r#"[market]
source = "garch"
dof = 8
[market.garch.ETH]
alpha = 0.1
beta = 0.85
[market.garch.BTC]
alpha = 0.05
beta = 0.9
omega = 1e-5
start_sigma = 1.0"#);
    let SourceSpec::Parametric(p) = &s.source else {
        panic!()
    };
    let g = p.garch.as_ref().unwrap();
    assert_eq!(g[0].unwrap().alpha, 0.1);
    assert_eq!(g[0].unwrap().omega, None);
    assert_eq!(g[1].unwrap().omega, Some(1e-5));
    assert!((g[1].unwrap().start_variance.unwrap() - 1.0 / 365.0).abs() < 1e-15);
    assert!(g[2].is_none());

    let s = ok(r#"[market]
source = "jump"
[market.jumps]
ETH = { intensity = 4, mean = -0.05, sd = 0.1 }
[market.common_jump]
intensity = 1.0
mean = -0.1
sd = 0.05
assets = ["BTC"]"#);
    let SourceSpec::Parametric(p) = &s.source else {
        panic!()
    };
    assert_eq!(p.jumps.as_ref().unwrap()[0].unwrap().intensity, 4.0);
    assert!(p.jumps.as_ref().unwrap()[1].is_none());
    assert_eq!(p.common_jump.as_ref().unwrap().assets, vec![1]);

    let s = ok(r#"[market]
source = "regime"
correlation = [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]]
[market.regimes]
start = "calm"
transition = [[0.99, 0.01], [0.05, 0.95]]
[[market.regimes.states]]
name = "calm"
[[market.regimes.states]]
name = "crisis"
mu = { ETH = -0.5 }
sigma = { ETH = 2.0, BTC = 1.5 }
correlation = [[1, 0.9, 0], [0.9, 1, 0], [0, 0, 1]]"#);
    let SourceSpec::Parametric(p) = &s.source else {
        panic!()
    };
    let r = p.regimes.as_ref().unwrap();
    assert_eq!(r.start, 0);
    assert_eq!(
        r.regimes[0].sigma,
        vec![0.8, 0.6, 0.0],
        "defaults: the assets'"
    );
    assert_eq!(
        r.regimes[0].correlation[0][1], 0.5,
        "default: market.correlation"
    );
    assert_eq!(r.regimes[1].mu, vec![-0.5, 0.0, 0.0]);
    assert_eq!(r.regimes[1].sigma, vec![2.0, 1.5, 0.0]);
    assert_eq!(r.regimes[1].correlation[0][1], 0.9);

    let s = ok(
        "[market]\nsource = \"bootstrap\"\nfile = \"p.csv\"\nmean_block = 5\nstart = \"2018-01-01\"",
    );
    let SourceSpec::Bootstrap { prices, mean_block } = &s.source else {
        panic!()
    };
    assert_eq!(
        (prices.file.as_path(), *mean_block),
        (Path::new("p.csv"), 5.0)
    );
    assert_eq!(prices.start.unwrap().to_string(), "2018-01-01");

    let s = ok(r#"[market]
source = "fhs"
file = "p.csv"
[market.garch]
ETH = { alpha = 0.1, beta = 0.85 }
BTC = { alpha = 0.1, beta = 0.85 }"#);
    let SourceSpec::FilteredHistorical { garch, .. } = &s.source else {
        panic!()
    };
    assert_eq!(garch.iter().filter(|g| g.is_some()).count(), 2);
    assert_eq!(s.source.name(), "fhs");
}

#[test]
fn crunch_and_shocks_parse() {
    let s = ok(r#"[market]
source = "gbm"
correlation = [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]]
[market.crunch]
start = 10
end = 40
ramp_in = 5
ramp_out = 5
target_correlation = 0.9
vol_multiplier = 3
depth_divisor = 5
[[market.shocks]]
kind = "drop"
step = 20
size = 0.3
[[market.shocks]]
kind = "v"
step = 50
size = 0.2
steps = 10
assets = ["BTC"]
[[market.shocks]]
kind = "slide"
step = 60
size = -0.1
steps = 3"#);
    assert!(matches!(s.source, SourceSpec::Gbm { .. }));
    let c = s.crunch.unwrap();
    assert_eq!((c.start, c.end, c.ramp_in, c.ramp_out), (10, 40, 5, 5));
    assert_eq!(
        (c.target_correlation, c.vol_multiplier, c.depth_divisor),
        (0.9, 3.0, 5.0)
    );
    assert_eq!(
        s.shocks,
        vec![
            Shock {
                kind: ShockKind::Drop,
                step: 20,
                size: 0.3,
                assets: vec![]
            },
            Shock {
                kind: ShockKind::V { steps: 10 },
                step: 50,
                size: 0.2,
                assets: vec![1]
            },
            Shock {
                kind: ShockKind::Slide { steps: 3 },
                step: 60,
                size: -0.1,
                assets: vec![]
            },
        ]
    );
    // Defaults: no ramps, target 1, multipliers 1.
    let s = ok("[market]\nsource = \"student-t\"\ndof = 4\n[market.crunch]\nstart = 1\nend = 100");
    let c = s.crunch.unwrap();
    assert_eq!((c.ramp_in, c.ramp_out), (0, 0));
    assert_eq!(
        (c.target_correlation, c.vol_multiplier, c.depth_divisor),
        (1.0, 1.0, 1.0)
    );
}

#[test]
fn the_shipped_lending_v1_forms_still_parse() {
    let s = ok("[market]\nsource = \"gbm\"\nphi = 0.1");
    assert!(s.crunch.is_none() && s.shocks.is_empty());
    assert!(matches!(s.source, SourceSpec::Gbm { .. }));
}

#[test]
fn unknown_source_lists_every_source() {
    one_issue(
        "[market]\nsource = \"levy\"",
        "source = \"levy\"",
        "market.source",
        "unknown source `levy` (known: gbm, student-t, garch, jump, regime, bootstrap, fhs, \
         historical)",
    );
}

#[test]
fn keys_of_other_sources_are_refused() {
    one_issue(
        "[market]\nsource = \"gbm\"\ndof = 5",
        "dof = 5",
        "market.dof",
        "not used by source `gbm`",
    );
    one_issue(
        "[market]\nsource = \"bootstrap\"\nfile = \"p.csv\"\nmean_block = 2\n[market.crunch]\nstart = 1\nend = 5",
        "[market.crunch]",
        "market.crunch",
        "not used by source `bootstrap`",
    );
    one_issue(
        "[market]\nsource = \"student-t\"\ndof = 5\nmean_block = 3",
        "mean_block = 3",
        "market.mean_block",
        "not used by source `student-t`",
    );
}

#[test]
fn unknown_model_keys_are_parse_errors() {
    let text =
        scenario("[market]\nsource = \"gbm\"\n[market.crunch]\nstart = 1\nend = 5\nvol_mult = 3");
    let e = parse_scenario(Path::new("s.toml"), &text).err().unwrap();
    let msg = e.to_string();
    assert!(msg.contains("unknown field `vol_mult`"), "{msg}");
    assert!(
        msg.contains(&format!("line {}", line(&text, "vol_mult"))),
        "{msg}"
    );
}

#[test]
fn student_t_dof() {
    one_issue(
        "[market]\nsource = \"student-t\"\ndof = 2",
        "dof = 2",
        "market.dof",
        "must be > 2 (finite variance), got 2",
    );
    one_issue(
        "[market]\nsource = \"student-t\"",
        "source = \"student-t\"",
        "market.dof",
        "a student-t source needs the degrees of freedom `dof` (> 2)",
    );
}

#[test]
fn garch_parameters() {
    one_issue(
        "[market]\nsource = \"garch\"\n[market.garch]\nETH = { alpha = 0.1, beta = 0.85 }\nBTC = { alpha = 0.2, beta = 0.8 }",
        "BTC = {",
        "market.garch.BTC.beta",
        "alpha + beta must be < 1 (a stationary variance), got 0.2 + 0.8 = 1",
    );
    one_issue(
        "[market]\nsource = \"garch\"\n[market.garch]\nETH = { alpha = 0.1, beta = 0.85 }",
        "[market.garch]",
        "market.garch.BTC",
        "missing: a garch source needs GARCH(1,1) parameters (alpha, beta) for every moving \
         asset",
    );
    one_issue(
        "[market]\nsource = \"garch\"\n[market.garch]\nETH = { alpha = 0.1, beta = 0.85 }\nBTC = { alpha = 0.1, beta = 0.85 }\nUSDC = { alpha = 0.1, beta = 0.8 }",
        "[market.garch]",
        "market.garch.USDC",
        "a stable asset (sigma = mu = 0) has no GARCH variance",
    );
}

#[test]
fn garch_value_ranges() {
    let (text, got) = issues(
        "[market]\nsource = \"garch\"\n[market.garch]\nETH = { alpha = -0.1, beta = 0.85 }\nBTC = { alpha = 0.1, beta = 0.85, omega = 0 }",
    );
    let (eth, btc) = (line(&text, "ETH = { alpha"), line(&text, "BTC = { alpha"));
    assert_eq!(
        got,
        vec![
            format!("line {eth}, `market.garch.ETH.alpha`: must be >= 0, got -0.1"),
            format!("line {btc}, `market.garch.BTC.omega`: must be > 0, got 0"),
        ]
    );
}

#[test]
fn jump_parameters() {
    one_issue(
        "[market]\nsource = \"jump\"\n[market.jumps]\nETH = { intensity = -1, mean = 0, sd = 0.1 }",
        "ETH = { intensity",
        "market.jumps.ETH.intensity",
        "must be >= 0, got -1",
    );
    one_issue(
        "[market]\nsource = \"jump\"\n[market.jumps]\nDOGE = { intensity = 1, mean = 0, sd = 0.1 }",
        "[market.jumps]",
        "market.jumps.DOGE",
        "unknown asset (not declared in [[assets]])",
    );
    one_issue(
        "[market]\nsource = \"jump\"\n[market.common_jump]\nintensity = 1\nmean = 0\nsd = 0.1\nassets = [\"USDC\"]",
        "assets = [\"USDC\"]",
        "market.common_jump.assets",
        "`USDC` is a stable asset (sigma = mu = 0) and keeps its price",
    );
    one_issue(
        "[market]\nsource = \"jump\"",
        "source = \"jump\"",
        "market.jumps",
        "a jump source needs `[market.jumps.SYMBOL]` tables or `[market.common_jump]`",
    );
}

#[test]
fn regime_parameters() {
    let states =
        "[[market.regimes.states]]\nname = \"calm\"\n[[market.regimes.states]]\nname = \"crisis\"";
    one_issue(
        &format!(
            "[market]\nsource = \"regime\"\n[market.regimes]\nstart = \"calm\"\ntransition = [[0.99, 0.01], [0.2, 0.9]]\n{states}"
        ),
        "transition =",
        "market.regimes.transition",
        "row 1 sums to 1.1, not 1",
    );
    one_issue(
        &format!(
            "[market]\nsource = \"regime\"\n[market.regimes]\nstart = \"boom\"\ntransition = [[0.99, 0.01], [0.1, 0.9]]\n{states}"
        ),
        "start = \"boom\"",
        "market.regimes.start",
        "unknown regime `boom` (regimes: calm, crisis)",
    );
    one_issue(
        &format!(
            "[market]\nsource = \"regime\"\n[market.regimes]\nstart = \"calm\"\ntransition = [[1.0]]\n{states}"
        ),
        "transition =",
        "market.regimes.transition",
        "must be a 2x2 matrix (one row and column per regime, in the order of \
         [[market.regimes.states]])",
    );
    one_issue(
        "[market]\nsource = \"regime\"\n[market.regimes]\nstart = \"calm\"\ntransition = [[1.0]]\n[[market.regimes.states]]\nname = \"calm\"\nsigma = { USDC = 0.1 }",
        "sigma = { USDC",
        "market.regimes.states[0].sigma.USDC",
        "a stable asset (sigma = mu = 0 in [[assets]]) cannot move in a regime",
    );
    one_issue(
        "[market]\nsource = \"regime\"\n[market.regimes]\nstart = \"calm\"\ntransition = [[1.0]]\n[[market.regimes.states]]\nname = \"calm\"\ncorrelation = [[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]]",
        "correlation = [[1, 0.5",
        "market.regimes.states[0].correlation",
        "not a valid correlation matrix: not symmetric: [0][1] = 0.5 but [1][0] = 0.4",
    );
}

#[test]
fn crunch_window_and_target() {
    one_issue(
        "[market]\nsource = \"gbm\"\n[market.crunch]\nstart = 50\nend = 120",
        "end = 120",
        "market.crunch.end",
        "must be <= steps (100), got 120",
    );
    one_issue(
        "[market]\nsource = \"gbm\"\n[market.crunch]\nstart = 50\nend = 40",
        "end = 40",
        "market.crunch.end",
        "must be >= market.crunch.start (50), got 40",
    );
    one_issue(
        "[market]\nsource = \"gbm\"\n[market.crunch]\nstart = 50\nend = 60\nramp_in = 6\nramp_out = 5",
        "ramp_in = 6",
        "market.crunch.ramp_in",
        "ramp_in + ramp_out must be <= end - start (10) so that the window reaches full \
         weight, got 6 + 5",
    );
    one_issue(
        "[market]\nsource = \"gbm\"\ncorrelation = [[1, 0.8, 0], [0.8, 1, 0], [0, 0, 1]]\n[market.crunch]\nstart = 1\nend = 10\ntarget_correlation = 0.5",
        "target_correlation",
        "market.crunch.target_correlation",
        "0.5 is below the average pairwise correlation (0.8000); a crunch can only raise \
         correlations",
    );
    one_issue(
        "[market]\nsource = \"gbm\"\n[market.crunch]\nstart = 1\nend = 10\ndepth_divisor = 0",
        "depth_divisor",
        "market.crunch.depth_divisor",
        "must be > 0, got 0",
    );
    one_issue(
        "[market]\nsource = \"gbm\"\n[market.crunch]\nstart = 0\nend = 10",
        "start = 0",
        "market.crunch.start",
        "must be >= 1, got 0",
    );
}

#[test]
fn shock_parameters() {
    let shock = |body: &str| format!("[market]\nsource = \"gbm\"\n[[market.shocks]]\n{body}");
    one_issue(
        &shock("kind = \"crash\"\nstep = 5\nsize = 0.3"),
        "kind = \"crash\"",
        "market.shocks[0].kind",
        "unknown shock kind `crash` (known: drop, slide, v)",
    );
    one_issue(
        &shock("kind = \"slide\"\nstep = 5\nsize = 0.3"),
        "kind = \"slide\"",
        "market.shocks[0].steps",
        "a `slide` shock needs `steps` (its length, >= 1)",
    );
    one_issue(
        &shock("kind = \"drop\"\nstep = 5\nsize = 0.3\nsteps = 4"),
        "steps = 4",
        "market.shocks[0].steps",
        "not used by a `drop` (it is instant)",
    );
    one_issue(
        &shock("kind = \"drop\"\nstep = 5\nsize = 1.0"),
        "size = 1.0",
        "market.shocks[0].size",
        "must be < 1 (the fraction of the price lost; prices stay positive), got 1",
    );
    one_issue(
        &shock("kind = \"v\"\nstep = 101\nsize = 0.5\nsteps = 3"),
        "step = 101",
        "market.shocks[0].step",
        "must be <= steps (100), got 101",
    );
    one_issue(
        &shock("kind = \"drop\"\nstep = 5\nsize = 0.3\nassets = [\"DOGE\"]"),
        "assets = [\"DOGE\"]",
        "market.shocks[0].assets",
        "unknown asset `DOGE` (not declared in [[assets]])",
    );
}

#[test]
fn price_file_sources_need_a_file_and_their_keys() {
    let (_, got) = issues("[market]\nsource = \"bootstrap\"");
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].ends_with("`market.file`: a bootstrap source needs a price file"));
    assert!(got[1].ends_with(
        "`market.mean_block`: a bootstrap source needs a mean block length in steps (1 for \
         the iid bootstrap)"
    ));
    one_issue(
        "[market]\nsource = \"bootstrap\"\nfile = \"p.csv\"\nmean_block = 0.5",
        "mean_block",
        "market.mean_block",
        "must be >= 1, got 0.5",
    );
    one_issue(
        "[market]\nsource = \"fhs\"\nfile = \"p.csv\"\n[market.garch]\nETH = { alpha = 0.1, beta = 0.85 }",
        "[market.garch]",
        "market.garch.BTC",
        "missing: a fhs source needs GARCH(1,1) parameters (alpha, beta) for every \
         price-file asset",
    );
}

#[test]
fn steps_and_paths_are_required_beyond_gbm() {
    let text = scenario("[market]\nsource = \"student-t\"\ndof = 5")
        .replace("paths = 10\n", "")
        .replace("steps = 100\n", "");
    let Err(ScenarioError::Invalid { issues, .. }) = parse_scenario(Path::new("s.toml"), &text)
    else {
        panic!()
    };
    let got: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        got,
        vec![
            "`paths`: required for a student-t source",
            "`steps`: required for a student-t source"
        ]
    );
}

#[test]
fn a_matrix_that_is_not_psd_is_refused_with_its_eigenvalue_or_repaired_on_request() {
    // [[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]] has eigenvalues 1.9, 1.9, -0.8.
    let corr = "correlation = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]";
    let refused = scenario(&format!("[market]\nsource = \"gbm\"\n{corr}"));
    let Err(ScenarioError::Invalid { issues, .. }) = parse_scenario(Path::new("s.toml"), &refused)
    else {
        panic!("must be refused")
    };
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].key, "market.correlation");
    assert!(
        issues[0]
            .message
            .contains("smallest eigenvalue is -0.800000"),
        "{}",
        issues[0].message
    );

    let text = scenario(&format!(
        "[market]\nsource = \"gbm\"\nrepair_correlation = true\n{corr}"
    ));
    let s = parse_scenario(Path::new("s.toml"), &text).unwrap();
    let SourceSpec::Gbm { correlation } = &s.source else {
        panic!("gbm")
    };
    assert!(crunch_market::cholesky_psd(correlation, 3).is_ok());
    assert_eq!(s.warnings.len(), 1);
    let w = &s.warnings[0];
    assert!(
        w.starts_with(&format!(
            "line {}, `market.correlation`",
            line(&text, "correlation = [[")
        )),
        "{w}"
    );
    assert!(
        w.contains("smallest eigenvalue -0.800000") && w.contains("Frobenius"),
        "{w}"
    );
    // A valid matrix is never touched, repair or not.
    let ok = scenario(
        "[market]\nsource = \"gbm\"\nrepair_correlation = true\ncorrelation = [[1.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]",
    );
    let s = parse_scenario(Path::new("s.toml"), &ok).unwrap();
    assert!(s.warnings.is_empty());
}

// -------------------------------------------- pegs, decoupled pairs, rescaled history ----

/// A second stable asset, DAI, to peg or rescale (USDC is the generated book's debt).
const DAI: &str = "\n[[assets]]\nsymbol = \"DAI\"\nprice = 0.99\n";

#[test]
fn pegs_parse_with_defaults_and_work_with_every_source() {
    let s = ok(&format!(
        "[market]\nsource = \"gbm\"\n[market.pegs.DAI]\nkappa = 20\nsigma = 0.05\n{DAI}"
    ));
    assert_eq!(
        s.pegs,
        vec![Peg {
            asset: 3,
            peg: 0.99,
            kappa: 20.0,
            sigma: 0.05,
            jump_intensity: 0.0,
            jump_mean: 0.0,
            jump_sd: 0.0,
        }]
    );
    let s = ok(&format!(
        "[market]\nsource = \"bootstrap\"\nfile = \"p.csv\"\nmean_block = 5\n\
         [market.pegs.DAI]\npeg = 1\nkappa = 20\nsigma = 0.05\njump_intensity = 2\n\
         jump_mean = -0.05\njump_sd = 0.02\n\
         [[market.shocks]]\nkind = \"v\"\nstep = 10\nsize = 0.1\nsteps = 5\nassets = [\"DAI\"]\n{DAI}"
    ));
    let p = &s.pegs[0];
    assert_eq!(
        (p.peg, p.jump_intensity, p.jump_mean, p.jump_sd),
        (1.0, 2.0, -0.05, 0.02)
    );
    // A shock may list a pegged asset (a deterministic depeg window).
    assert_eq!(s.shocks[0].assets, vec![3]);
}

#[test]
fn peg_errors_name_line_and_key() {
    let peg = |symbol: &str, body: &str| {
        format!("[market]\nsource = \"gbm\"\n[market.pegs.{symbol}]\n{body}\n{DAI}")
    };
    one_issue(
        &peg("DAI", "kappa = 0\nsigma = 0.05"),
        "kappa = 0",
        "market.pegs.DAI.kappa",
        "must be > 0 (mean reversion per year), got 0",
    );
    one_issue(
        &peg("DAI", "kappa = 5\nsigma = 0.05\njump_sd = -0.1"),
        "jump_sd",
        "market.pegs.DAI.jump_sd",
        "must be >= 0, got -0.1",
    );
    one_issue(
        &peg("DAI", "kappa = 5\nsigma = 0.05\njump_intensity = 5000"),
        "jump_intensity",
        "market.pegs.DAI.jump_intensity",
        "at most 10 expected jumps per step (jump_intensity * dt), got 13.698630136986301",
    );
    one_issue(
        &peg("ETH", "kappa = 5\nsigma = 0.05"),
        "kappa = 5",
        "market.pegs.ETH",
        "a pegged asset must be declared stable (sigma = mu = 0 in [[assets]]): the peg, not \
         `market.source`, moves it; `ETH` has sigma = 0.8, mu = 0",
    );
    one_issue(
        &peg("USDC", "kappa = 5\nsigma = 0.05"),
        "kappa = 5",
        "market.pegs.USDC",
        "the book's debt asset cannot be pegged: lending-v1 counts debt at 1 USD a unit \
         whatever its price",
    );
    one_issue(
        &peg("DOGE", "kappa = 5\nsigma = 0.05"),
        "[market.pegs.DOGE]",
        "market.pegs.DOGE",
        "unknown asset (not declared in [[assets]])",
    );
    let text = scenario(&peg("DAI", "kappa = 5\nsigma = 0.05\nspeed = 3"));
    let e = parse_scenario(Path::new("s.toml"), &text).err().unwrap();
    assert!(e.to_string().contains("unknown field `speed`"), "{e}");
}

#[test]
fn decouple_parses_and_checks_its_pair_window_and_matrix() {
    let gbm = "[market]\nsource = \"gbm\"\ncorrelation = [[1, 0.9, 0], [0.9, 1, 0], [0, 0, 1]]\n";
    let s = ok(&format!(
        "{gbm}[[market.decouple]]\nassets = [\"ETH\", \"BTC\"]\nstart = 10\nend = 30\ncorrelation = 0.1"
    ));
    assert_eq!(
        s.decouple,
        vec![Decouple {
            assets: [0, 1],
            start: 10,
            end: 30,
            correlation: 0.1
        }]
    );
    let d = |body: &str| format!("{gbm}[[market.decouple]]\n{body}");
    one_issue(
        &d("assets = [\"ETH\"]\nstart = 1\nend = 2\ncorrelation = 0"),
        "assets = [\"ETH\"]",
        "market.decouple[0].assets",
        "must name exactly two assets, got 1",
    );
    one_issue(
        &d("assets = [\"ETH\", \"USDC\"]\nstart = 1\nend = 2\ncorrelation = 0"),
        "assets = [\"ETH\", \"USDC\"]",
        "market.decouple[0].assets",
        "`USDC` is a stable asset (sigma = mu = 0) and keeps its price",
    );
    one_issue(
        &d("assets = [\"ETH\", \"BTC\"]\nstart = 1\nend = 101\ncorrelation = 0"),
        "end = 101",
        "market.decouple[0].end",
        "must be <= steps (100), got 101",
    );
    one_issue(
        &d("assets = [\"ETH\", \"BTC\"]\nstart = 1\nend = 10\ncorrelation = -1.5"),
        "correlation = -1.5",
        "market.decouple[0].correlation",
        "must be in [-1, 1], got -1.5",
    );
    // Two decouplings of one pair at overlapping steps.
    one_issue(
        &d(
            "assets = [\"ETH\", \"BTC\"]\nstart = 1\nend = 10\ncorrelation = 0\n\
            [[market.decouple]]\nassets = [\"BTC\", \"ETH\"]\nstart = 10\nend = 20\ncorrelation = 0.5",
        ),
        "start = 10",
        "market.decouple[1].start",
        "the same pair is decoupled by decouple[0] at overlapping steps",
    );
    // Not positive semi-definite: ETH-GOV and BTC-GOV 0.9, ETH-BTC 0 (smallest eigenvalue
    // 1 - 0.9 sqrt(2) = -0.272792).
    let three = "[market]\nsource = \"student-t\"\ndof = 5\n\
        correlation = [[1, 0.9, 0, 0.9], [0.9, 1, 0, 0.9], [0, 0, 1, 0], [0.9, 0.9, 0, 1]]\n\
        [[market.decouple]]\nassets = [\"ETH\", \"BTC\"]\nstart = 5\nend = 9\ncorrelation = 0\n\
        [[assets]]\nsymbol = \"GOV\"\nprice = 5\nsigma = 1.2\n";
    let (text, got) = issues(three);
    assert_eq!(got.len(), 1, "{got:?}");
    let want = format!(
        "line {}, `market.decouple[0].correlation`: at step 5 the correlation matrix with \
         decouple[0] applied is not a valid correlation matrix: not positive semi-definite: \
         its smallest eigenvalue is -0.272792",
        line(&text, "correlation = 0")
    );
    assert!(got[0].starts_with(&want), "{}\n{want}", got[0]);
    // Only the diffusion sources take it.
    let (_, got) = issues(
        "[market]\nsource = \"bootstrap\"\nfile = \"p.csv\"\nmean_block = 2\n[[market.decouple]]\n\
         assets = [\"ETH\", \"BTC\"]\nstart = 1\nend = 2\ncorrelation = 0",
    );
    assert!(
        got.iter()
            .any(|g| g.ends_with("`market.decouple`: not used by source `bootstrap`")),
        "{got:?}"
    );
}

/// A historical scenario (one path, steps from the file) around a `[market]` section.
fn historical(market: &str) -> String {
    scenario(market).replace("paths = 10\nsteps = 100\n", "")
}

#[test]
fn rescale_parses_on_a_historical_source() {
    let text = historical(&format!(
        "[market]\nsource = \"historical\"\nfile = \"p.csv\"\n[market.rescale.DAI]\nfrom = \"ETH\"\n\
         vol_ratio = 1.6\n[[market.shocks]]\nkind = \"drop\"\nstep = 3\nsize = 0.2\n\
         assets = [\"DAI\"]\n{DAI}"
    ));
    let s = parse_scenario(Path::new("s.toml"), &text).unwrap();
    assert_eq!(
        s.rescale,
        vec![Rescale {
            asset: 3,
            from: 0,
            by: RescaleBy::Ratio(1.6),
            keep_mean: false
        }]
    );
    let text = historical(&format!(
        "[market]\nsource = \"historical\"\nfile = \"p.csv\"\n[market.rescale.DAI]\nfrom = \"BTC\"\n\
         sigma = 1.2\nkeep_mean = true\n{DAI}"
    ));
    let s = parse_scenario(Path::new("s.toml"), &text).unwrap();
    assert_eq!(s.rescale[0].by, RescaleBy::Sigma(1.2));
    assert!(s.rescale[0].keep_mean);
}

#[test]
fn rescale_errors_name_line_and_key() {
    let check = |body: &str, marker: &str, key: &str, message: &str| {
        let text = historical(&format!(
            "[market]\nsource = \"historical\"\nfile = \"p.csv\"\n{body}\n{DAI}"
        ));
        let Err(ScenarioError::Invalid { issues, .. }) = parse_scenario(Path::new("s.toml"), &text)
        else {
            panic!("accepted:\n{text}")
        };
        let got: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            got,
            vec![format!("line {}, `{key}`: {message}", line(&text, marker))]
        );
    };
    check(
        "[market.rescale.DAI]\nfrom = \"ETH\"",
        "from = \"ETH\"",
        "market.rescale.DAI.vol_ratio",
        "needs `vol_ratio` (the volatility ratio to the source asset) or `sigma` (a target \
         annualised volatility)",
    );
    check(
        "[market.rescale.DAI]\nfrom = \"ETH\"\nvol_ratio = 2\nsigma = 1",
        "vol_ratio = 2",
        "market.rescale.DAI.vol_ratio",
        "give `vol_ratio` or `sigma` (a target volatility), not both",
    );
    check(
        "[market.rescale.DAI]\nfrom = \"ETH\"\nvol_ratio = -2",
        "vol_ratio = -2",
        "market.rescale.DAI.vol_ratio",
        "must be > 0, got -2",
    );
    check(
        "[market.rescale.DAI]\nfrom = \"USDC\"\nvol_ratio = 2",
        "from = \"USDC\"",
        "market.rescale.DAI.from",
        "`USDC` is not read from the price file (a stable asset without a `market.columns` \
         entry)",
    );
    check(
        "[market.rescale.DAI]\nfrom = \"LUNA\"\nvol_ratio = 2",
        "from = \"LUNA\"",
        "market.rescale.DAI.from",
        "unknown asset `LUNA` (not declared in [[assets]])",
    );
    check(
        "[market.rescale.BTC]\nfrom = \"ETH\"\nvol_ratio = 2",
        "from = \"ETH\"",
        "market.rescale.BTC",
        "a rescaled asset must be declared stable (sigma = mu = 0 in [[assets]]) and have no \
         `market.columns` entry: it is not read from the price file",
    );
    check(
        "[market.pegs.DAI]\nkappa = 5\nsigma = 0.1\n[market.rescale.DAI]\nfrom = \"ETH\"\nvol_ratio = 2",
        "kappa = 5",
        "market.pegs.DAI",
        "also in `market.rescale`; an asset is pegged or rescaled, not both",
    );
    // Only the historical source takes it.
    let (_, got) = issues(&format!(
        "[market]\nsource = \"gbm\"\n[market.rescale.DAI]\nfrom = \"ETH\"\nvol_ratio = 2\n{DAI}"
    ));
    assert!(
        got.iter()
            .any(|g| g.ends_with("`market.rescale`: not used by source `gbm`")),
        "{got:?}"
    );
}
