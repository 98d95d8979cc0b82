//! Scenario texts shared by the integration tests of crunch-scenario. Each test binary
//! compiles this module on its own and not every one uses every function.
#![allow(dead_code)]

/// A valid 30-step Monte Carlo scenario (ETH against USDC, one static policy) ending in
/// `tail` (more tables, or nothing).
pub fn scenario(tail: &str) -> String {
    format!(
        r#"name = "t"
model = "lending-v1"
seed = 1
paths = 2
steps = 30
dt = 0.0027397260273972603

[[assets]]
symbol = "ETH"
price = 2000.0
sigma = 0.8

[[assets]]
symbol = "USDC"
price = 1.0

[market]
source = "gbm"

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

{tail}
"#
    )
}

/// The head of a Monte Carlo scenario of `steps` steps with ETH (depth 5 M USD), BTC and
/// USDC and a generated book, without policies: a test appends its `[[policies]]`.
pub fn two_asset_head(steps: usize) -> String {
    format!(
        r#"name = "p"
model = "lending-v1"
seed = 1
paths = 2
steps = {steps}
dt = 0.0027397260273972603

[[assets]]
symbol = "ETH"
price = 2000.0
sigma = 0.8
depth = 5000000.0
impact = 1.0

[[assets]]
symbol = "BTC"
price = 30000.0
sigma = 0.6

[[assets]]
symbol = "USDC"
price = 1.0

[market]
source = "gbm"

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
"#
    )
}
