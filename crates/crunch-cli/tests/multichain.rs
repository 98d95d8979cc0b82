//! The shipped comparison `scenarios/multichain.toml` at reduced size: unified margin
//! liquidates less than per-chain isolated accounts on the same book and paths, and
//! costs more bad debt when Arbitrum's bridge halts during the crunch (without the halt,
//! about the same); with one chain both reduce to the static policy bit for bit; the
//! outputs do not depend on the thread count.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use common::{read_parquet, run_in_process};
use crunch_cli::PolicyStats;
use std::fs;
use std::path::{Path, PathBuf};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/multichain.toml")
}

const HALT: &str = "halts = [{ start = 60, end = 85 }]\n";

/// Per policy (scenario order): the statistics, and the sums over paths of
/// `liquidation_penalty` and `blocked_outage`.
struct Run {
    stats: Vec<PolicyStats>,
    penalty: Vec<f64>,
    blocked: Vec<i64>,
}

fn run(text: &str, paths: u64) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    let stats = run_in_process(&scenario, paths, &out, None);
    let mut penalty = vec![0.0; stats.len()];
    let mut blocked = vec![0; stats.len()];
    for b in read_parquet(&out.join("summary.parquet")).batches {
        let col = |c: &str| b.column_by_name(c).unwrap().clone();
        let policy = col("policy").as_string::<i32>().clone();
        let p = col("liquidation_penalty")
            .as_primitive::<Float64Type>()
            .clone();
        let o = col("blocked_outage").as_primitive::<Int64Type>().clone();
        for r in 0..b.num_rows() {
            let k = stats
                .iter()
                .position(|s| s.policy == policy.value(r))
                .unwrap();
            penalty[k] += p.value(r);
            blocked[k] += o.value(r);
        }
    }
    Run {
        stats,
        penalty,
        blocked,
    }
}

#[test]
fn unified_margin_liquidates_less_and_loses_more_when_the_bridge_halts() {
    let text = fs::read_to_string(shipped()).unwrap();
    assert!(text.contains(HALT));
    let halted = run(&text, 20);
    let (u, i) = (&halted.stats[0], &halted.stats[1]);
    assert_eq!(
        (u.policy.as_str(), i.policy.as_str()),
        ("unified", "isolated")
    );
    // The same book: the same capital efficiency and borrowing capacity (up to the
    // rounding of sums over sub-accounts).
    let same = |a: Option<f64>, b: Option<f64>| (a.unwrap() - b.unwrap()).abs() < 1e-12;
    assert!(same(u.capital_efficiency, i.capital_efficiency));
    assert!(same(u.borrowing_capacity, i.borrowing_capacity));
    // One health over both chains: fewer liquidations and less penalty paid.
    assert!(u.mean_liquidations < 0.7 * i.mean_liquidations);
    assert!(halted.penalty[0] < halted.penalty[1]);
    // The halt: remote collateral of unified accounts cannot be seized (isolated
    // sub-accounts are liquidated on their own chain), and unified bad debt is higher.
    assert!(halted.blocked[0] > 0);
    assert_eq!(halted.blocked[1], 0);
    assert!(u.mean_bad_debt > 1.5 * i.mean_bad_debt);
    // Without the halt (same paths), the two lose about the same and unified still
    // liquidates less.
    let calm = run(&text.replace(HALT, ""), 20);
    let (cu, ci) = (&calm.stats[0], &calm.stats[1]);
    assert!(cu.mean_bad_debt < 1.1 * ci.mean_bad_debt);
    assert!(u.mean_bad_debt > 1.3 * cu.mean_bad_debt);
    assert!(cu.mean_liquidations < ci.mean_liquidations);
    assert_eq!(calm.blocked, [0, 0]);
}

/// With one chain (no `[[chains.remote]]`), the unified and the isolated policy give the
/// summary of the same scenario without `[chains]`, every column of every row bit for bit
/// (ETH_ARB and USDC_ARB are then ordinary home assets).
#[test]
fn one_chain_gives_the_summary_of_the_static_policy() {
    let text = fs::read_to_string(shipped()).unwrap();
    let table = text.find("\n[chains]\n").unwrap();
    let without = &text[..=table];
    let one = format!("{without}[chains]\nhome = \"ethereum\"\nisolated = [\"isolated\"]\n");
    let dir = tempfile::tempdir().unwrap();
    let summary = |name: &str, text: &str| {
        let scenario = dir.path().join(format!("{name}.toml"));
        fs::write(&scenario, text).unwrap();
        let out = dir.path().join(name);
        let stats = common::run_in_process(&scenario, 4, &out, None);
        assert!(stats.iter().all(|s| s.mean_liquidations > 0.0));
        read_parquet(&out.join("summary.parquet"))
            .batches
            .iter()
            .map(|b| b.columns().to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(summary("one", &one), summary("without", without));
}

/// Transfers and halts draw nothing random: the output files are byte for byte the same
/// on 1 and 2 threads.
#[test]
fn multichain_outputs_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads| common::files_on_threads(&shipped(), 4, dir.path(), threads);
    assert_eq!(run(1), run(2));
}
