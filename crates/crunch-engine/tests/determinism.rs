//! Results do not depend on the number of threads: explicit 1-, 2- and 4-thread pools
//! must produce identical outcomes, events and time series included.

use crunch_core::{AssetSpec, Book, MarginPolicy, MarketSpec, PathOutcome, ResultSink};
use crunch_engine::{RecordOptions, RunError, RunPlan, ScanMode, SimOptions, run};
use crunch_market::Gbm;
use crunch_policy::{AssetTerms, StaticLtv};
use rand::RngExt;
use std::convert::Infallible;
use std::sync::atomic::AtomicBool;

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
    run_units(threads, scan, 0..1200)
}

/// Runs units `units` ((path, policy) pairs, 2 policies per path) of the workload.
fn run_units(threads: usize, scan: ScanMode, units: std::ops::Range<u64>) -> Vec<PathOutcome> {
    try_units(threads, scan, units, None).unwrap()
}

/// [`run_units`] with an optional stop flag, returning the driver's error.
fn try_units(
    threads: usize,
    scan: ScanMode,
    units: std::ops::Range<u64>,
    stop: Option<&AtomicBool>,
) -> Result<Vec<PathOutcome>, RunError<Infallible>> {
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
        stop,
        frictions: &crunch_core::Frictions::default(),
        market: &market,
        book: &book,
        source: &gbm,
        policies: &policies,
        seed: 11,
        units,
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
    pool.install(|| run(&plan, &mut sink, &|| {}))?;
    Ok(sink.0)
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

/// Sub-ranges of units (the shards of `crunch run --shard` and its checkpoints) give
/// exactly the outcomes of the whole run for their units, also when a range starts or
/// ends between the two policies of a path, so that their concatenation is the whole run.
#[test]
fn unit_ranges_concatenate_to_the_whole_run() {
    let whole = run_with(2, ScanMode::Pruned);
    let mut parts = run_units(2, ScanMode::Pruned, 0..7);
    parts.extend(run_units(1, ScanMode::Pruned, 7..300));
    parts.extend(run_units(2, ScanMode::Pruned, 300..300));
    parts.extend(run_units(2, ScanMode::Pruned, 300..1199));
    parts.extend(run_units(2, ScanMode::Pruned, 1199..1200));
    assert_eq!(parts, whole);
    let odd = run_units(2, ScanMode::Pruned, 3..6);
    let keys: Vec<_> = odd.iter().map(|o| (o.path, o.policy)).collect();
    assert_eq!(keys, [(1, 1), (2, 0), (2, 1)]);
}

/// A raised stop flag skips every path not yet started: nothing is delivered and the
/// error names the first unit not delivered.
#[test]
fn a_raised_stop_flag_interrupts_the_run() {
    let stop = AtomicBool::new(true);
    match try_units(2, ScanMode::Pruned, 5..40, Some(&stop)) {
        Err(RunError::Interrupted { next }) => assert_eq!(next, 5),
        other => panic!("expected an interruption, got {other:?}"),
    }
}
