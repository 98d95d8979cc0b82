//! Benchmarks of the `lending-v1` B1 workload (`scenarios/b1.toml`: 10,000 accounts,
//! ETH / BTC / USDC, 365 daily steps, static LTV with liquidity) and its kernels.
//!
//! Workloads:
//! - `b1/end_to_end/P`: `P` paths of B1 through the engine on every core, results
//!   collected in memory; throughput in account-steps (accounts x steps x paths x
//!   policies) per second, which criterion prints as `elem/s`.
//! - `kernels/gbm_path`: generating one 365-step, 3-asset GBM path.
//! - `kernels/simulate_path`: one policy on one pre-generated path (health factors,
//!   worst-first liquidations behind the liquidity gate), single thread;
//!   `kernels/simulate_path_exhaustive`: the same with the reference scan (every account's
//!   health every step, a full sort of the liquidatable ones).
//! - `kernels/parquet_summary`: writing 10,000 summary rows to Parquet.
//!
//! Run: `cargo bench -p crunch-benches` (all) or `cargo bench -p crunch-benches -- b1/`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crunch_cli::{Overrides, Prepared, prepare};
use crunch_core::{Domain, PathOutcome, PricePath, ResultSink, stream_rng};
use crunch_engine::{RunPlan, ScanMode, Scratch, SimOptions, run, simulate_path};
use crunch_io::{OutputDir, ParquetSink, SinkLayout};
use std::convert::Infallible;
use std::hint::black_box;
use std::path::Path;

fn b1(paths: u64) -> Prepared {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/b1.toml");
    prepare(
        &file,
        Overrides {
            seed: None,
            paths: Some(paths),
        },
    )
    .expect("scenarios/b1.toml loads")
}

struct Discard(u64);

impl ResultSink for Discard {
    type Error = Infallible;
    fn accept(&mut self, o: &PathOutcome) -> Result<(), Infallible> {
        self.0 += o.summary.liquidations;
        Ok(())
    }
}

fn end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("b1/end_to_end");
    g.sample_size(10);
    for paths in [16u64, 64] {
        let p = b1(paths);
        let s = &p.scenario;
        let account_steps =
            p.book.len() as u64 * p.source.steps() as u64 * paths * s.policies.len() as u64;
        g.throughput(Throughput::Elements(account_steps));
        g.bench_function(paths.to_string(), |b| {
            b.iter(|| {
                let plan = RunPlan {
                    options: SimOptions::default(),
                    ..p.plan(crunch_engine::units(0..paths, s.policies.len()), None)
                };
                let mut sink = Discard(0);
                run(&plan, &mut sink, &|| {}).unwrap();
                black_box(sink.0)
            })
        });
    }
    g.finish();
}

fn kernels(c: &mut Criterion) {
    let p = b1(1);
    let s = &p.scenario;
    let steps = p.source.steps();
    let mut g = c.benchmark_group("kernels");
    let mut raw = PricePath::new(steps, s.market.len());
    g.bench_function("gbm_path", |b| {
        b.iter(|| {
            let mut rng = stream_rng(1, Domain::MarketPaths, 0);
            p.source.fill(&mut rng, &mut raw);
            black_box(raw.row(steps)[0])
        })
    });
    p.source
        .fill(&mut stream_rng(1, Domain::MarketPaths, 0), &mut raw);
    let mut scratch = Scratch::new(&p.book, steps);
    g.throughput(Throughput::Elements((p.book.len() * steps) as u64));
    for (name, scan) in [
        ("simulate_path", ScanMode::Pruned),
        ("simulate_path_exhaustive", ScanMode::Exhaustive),
    ] {
        let options = SimOptions {
            scan,
            ..SimOptions::default()
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let o = simulate_path(
                    &s.market,
                    &s.frictions,
                    &p.book,
                    s.policies[0].as_ref(),
                    &raw,
                    options,
                    &mut scratch,
                    0,
                    0,
                )
                .unwrap();
                black_box(o.summary.bad_debt)
            })
        });
    }
    let outcome = simulate_path(
        &s.market,
        &s.frictions,
        &p.book,
        s.policies[0].as_ref(),
        &raw,
        SimOptions::default(),
        &mut scratch,
        0,
        0,
    )
    .unwrap();
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("parquet_summary", |b| {
        b.iter(|| {
            let tmp = tempfile::tempdir().unwrap();
            let out = OutputDir::prepare(&tmp.path().join("out"), false).unwrap();
            let layout = SinkLayout {
                scenario: "b1".into(),
                policies: vec!["static".into()],
                account_ids: Vec::new(),
                symbols: Vec::new(),
                metadata: Vec::new(),
                timeseries: false,
                events: false,
                tiers: Vec::new(),
            };
            let mut sink = ParquetSink::create(&out, layout).unwrap();
            for path in 0..10_000 {
                let o = PathOutcome {
                    path,
                    ..outcome.clone()
                };
                sink.accept(&o).unwrap();
            }
            sink.finish().unwrap();
            out.commit().unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, end_to_end, kernels);
criterion_main!(benches);
