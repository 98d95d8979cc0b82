//! Results do not depend on the number of threads: explicit 1-, 2- and 4-thread pools
//! must produce identical outcomes, events and time series included.

use crunch_core::{AssetSpec, Book, MarginPolicy, MarketSpec, PathOutcome, ResultSink};
use crunch_engine::{RecordOptions, RunPlan, ScanMode, SimOptions, run};
use crunch_market::Gbm;
use crunch_policy::{AssetTerms, StaticLtv};
use rand::RngExt;
use std::convert::Infallible;

struct Collect(Vec<PathOutcome>);

impl ResultSink for Collect {
    type Error = Infallible;
    fn accept(&mut self, o: &PathOutcome) -> Result<(), Infallible> {
        self.0.push(o.clone());
        Ok(())
    }
}

fn asset(symbol: &str, price: f64, sigma: f64, depth: Option<f64>) -> AssetSpec {
    AssetSpec {
        symbol: symbol.into(),
        price,
        sigma,
        mu: 0.0,
        depth,
        impact: 1.0,
    }
}

fn run_with(threads: usize, scan: ScanMode) -> Vec<PathOutcome> {
    run_range(threads, scan, 0..600)
}

/// Runs paths `paths` of the workload.
fn run_range(threads: usize, scan: ScanMode, paths: std::ops::Range<u64>) -> Vec<PathOutcome> {
    let market = MarketSpec {
        assets: vec![
            asset("ETH", 2000.0, 0.8, Some(2e5)),
            asset("BTC", 30000.0, 0.6, Some(5e5)),
            asset("USDC", 1.0, 0.0, None),
        ],
        dt: 1.0 / 365.0,
        phi: 0.2,
    };
    // A book of 300 accounts near their limits, built from a fixed stream.
    let mut rng = crunch_core::stream_rng(9, crunch_core::Domain::BookGenerator, 0);
    let mut book = Book::new(3);
    for j in 0..300 {
        let eth: f64 = rng.random_range(0.0..5.0);
        let btc: f64 = rng.random_range(0.0..0.3);
        let power = eth * 2000.0 * 0.8 + btc * 30000.0 * 0.73;
        book.push(
            j.to_string(),
            &[eth, btc, 0.0],
            power * rng.random_range(0.5..1.0),
        );
    }
    let t = |ltv, lt, bonus| AssetTerms { ltv, lt, bonus };
    let terms = [
        ("ETH".to_string(), t(0.8, 0.825, 0.05)),
        ("BTC".to_string(), t(0.73, 0.78, 0.065)),
    ];
    let policies: Vec<Box<dyn MarginPolicy>> = vec![
        Box::new(StaticLtv::new("a", &market, 0.5, &terms).unwrap()),
        Box::new(StaticLtv::new("b", &market, 1.0, &terms).unwrap()),
    ];
    let corr = vec![
        vec![1.0, 0.8, 0.0],
        vec![0.8, 1.0, 0.0],
        vec![0.0, 0.0, 1.0],
    ];
    let gbm = Gbm::new(&market, &corr, 120).unwrap();
    let plan = RunPlan {
        market: &market,
        book: &book,
        source: &gbm,
        policies: &policies,
        seed: 11,
        paths,
        options: SimOptions {
            record: RecordOptions {
                timeseries: true,
                events: true,
                health_step: Some(2),
            },
            scan,
        },
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let mut sink = Collect(Vec::new());
    pool.install(|| run(&plan, &mut sink, &|| {})).unwrap();
    sink.0
}

#[test]
fn identical_outcomes_with_1_2_and_4_threads() {
    let one = run_with(1, ScanMode::Pruned);
    assert_eq!(one.len(), 1200);
    assert!(
        one.iter().any(|o| o.summary.liquidations > 0),
        "the test must exercise liquidations"
    );
    // Delivered in (path, policy) order.
    for (i, o) in one.iter().enumerate() {
        assert_eq!((o.path, o.policy), ((i / 2) as u64, i % 2));
    }
    assert_eq!(one, run_with(2, ScanMode::Pruned));
    assert_eq!(one, run_with(4, ScanMode::Pruned));
}

/// The pruned queues are bit-identical to the exhaustive reference scan on a
/// workload with multi-asset accounts, liquidity gates and price feedback.
#[test]
fn pruned_scan_equals_exhaustive_scan() {
    let pruned = run_with(2, ScanMode::Pruned);
    let exhaustive = run_with(2, ScanMode::Exhaustive);
    assert!(pruned.iter().map(|o| o.summary.liquidations).sum::<u64>() > 1000);
    assert_eq!(pruned, exhaustive);
}

/// Sub-ranges of paths (the shards of `crunch run --shard`) give exactly the outcomes of
/// the whole run for their paths, so that their concatenation is the whole run.
#[test]
fn path_ranges_concatenate_to_the_whole_run() {
    let whole = run_with(2, ScanMode::Pruned);
    let mut parts = run_range(2, ScanMode::Pruned, 0..7);
    parts.extend(run_range(1, ScanMode::Pruned, 7..300));
    parts.extend(run_range(2, ScanMode::Pruned, 300..300));
    parts.extend(run_range(2, ScanMode::Pruned, 300..600));
    assert_eq!(parts, whole);
    let tail = run_range(2, ScanMode::Pruned, 599..600);
    assert_eq!((tail[0].path, tail[1].path), (599, 599));
}
