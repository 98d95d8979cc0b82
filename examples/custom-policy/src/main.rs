//! Runs the `drawdown` example policy next to a scenario's own policies, on the same price
//! paths, and prints mean bad debt and liquidations per policy.
//!
//! ```sh
//! cargo run --release -p custom-policy -- scenarios/quickstart.toml 100
//! ```

use anyhow::{Context, Result};
use custom_policy::compare;
use std::path::PathBuf;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let scenario = PathBuf::from(args.next().unwrap_or("scenarios/quickstart.toml".into()));
    let paths = args
        .next()
        .map(|p| p.parse())
        .transpose()
        .context("PATHS")?;
    for row in compare(&scenario, paths)? {
        println!(
            "{:<28} bad debt mean {:>14.2} USD   liquidations mean {:>8.1}",
            row.policy, row.bad_debt_mean, row.liquidations_mean
        );
    }
    Ok(())
}
