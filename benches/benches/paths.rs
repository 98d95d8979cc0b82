//! Throughput of every path model: one path of 365 daily steps over a 4-asset market
//! (ETH, BTC, a governance token and USDC), single thread. Criterion's `elem/s` is
//! path-steps x assets per second (365 x 4 = 1,460 elements per path).
//!
//! Run: `cargo bench -p crunch-benches --bench paths`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crunch_core::{AssetSpec, Domain, MarketSpec, PathSource, PricePath, stream_rng};
use crunch_market::{
    CommonJump, Crunch, Diffusion, FilteredHistorical, GarchSpec, Gbm, JumpSize, Regime,
    RegimeSwitching, Shock, ShockKind, Shocked, StationaryBootstrap,
};
use rand::RngExt;
use rand_distr::StandardNormal;
use std::hint::black_box;

const STEPS: usize = 365;

fn market() -> (MarketSpec, Vec<Vec<f64>>) {
    let asset = |symbol: &str, price, sigma| AssetSpec {
        symbol: symbol.into(),
        price,
        sigma,
        mu: 0.0,
        depth: Some(50e6),
        impact: 1.0,
    };
    let m = MarketSpec {
        assets: vec![
            asset("ETH", 2000.0, 0.8),
            asset("BTC", 30000.0, 0.6),
            asset("GOV", 5.0, 1.2),
            asset("USDC", 1.0, 0.0),
        ],
        dt: 1.0 / 365.0,
        phi: 0.0,
    };
    let r = vec![
        vec![1.0, 0.7, 0.4, 0.0],
        vec![0.7, 1.0, 0.3, 0.0],
        vec![0.4, 0.3, 1.0, 0.0],
        vec![0.0, 0.0, 0.0, 1.0],
    ];
    (m, r)
}

/// Four years of synthetic joint daily returns for the resampling models.
fn returns() -> Vec<Vec<f64>> {
    let mut rng = stream_rng(5, Domain::BookGenerator, 0);
    (0..1460)
        .map(|_| {
            let z: f64 = rng.sample(StandardNormal);
            let e: [f64; 3] = [
                rng.sample(StandardNormal),
                rng.sample(StandardNormal),
                rng.sample(StandardNormal),
            ];
            vec![
                0.04 * (0.8 * z + 0.6 * e[0]),
                0.03 * (0.8 * z + 0.6 * e[1]),
                0.06 * (0.5 * z + 0.866 * e[2]),
                0.0,
            ]
        })
        .collect()
}

fn models() -> Vec<(&'static str, Box<dyn PathSource>)> {
    let (m, r) = market();
    let base = || Diffusion::new(&m, &r, STEPS).unwrap();
    let g = Some(GarchSpec {
        alpha: 0.08,
        beta: 0.9,
        omega: None,
        start_variance: None,
    });
    let jump = Some(JumpSize {
        intensity: 10.0,
        mean: -0.05,
        sd: 0.05,
    });
    let common = CommonJump {
        size: JumpSize {
            intensity: 3.0,
            mean: -0.1,
            sd: 0.03,
        },
        assets: vec![],
    };
    let regime = |name: &str, k: f64| Regime {
        name: name.into(),
        mu: vec![0.0; 4],
        sigma: vec![0.8 * k, 0.6 * k, 1.2 * k, 0.0],
        correlation: r.clone(),
    };
    let regimes = RegimeSwitching {
        regimes: vec![regime("calm", 1.0), regime("crisis", 2.5)],
        transition: vec![vec![0.98, 0.02], vec![0.1, 0.9]],
        start: 0,
    };
    let crunch = Crunch {
        start: 100,
        end: 200,
        ramp_in: 20,
        ramp_out: 20,
        target_correlation: 1.0,
        vol_multiplier: 3.0,
        depth_divisor: 5.0,
    };
    let data = returns();
    let fhs_spec = Some(GarchSpec {
        alpha: 0.1,
        beta: 0.85,
        omega: None,
        start_variance: None,
    });
    let shocks = vec![Shock {
        kind: ShockKind::V { steps: 30 },
        step: 100,
        size: 0.4,
        assets: vec![],
    }];
    vec![
        ("gbm", Box::new(Gbm::new(&m, &r, STEPS).unwrap())),
        ("student_t", Box::new(base().with_student_t(5.0).unwrap())),
        (
            "garch",
            Box::new(base().with_garch(&[g, g, g, None]).unwrap()),
        ),
        (
            "jump",
            Box::new(
                base()
                    .with_jumps(&[jump, jump, jump, None], Some(&common))
                    .unwrap(),
            ),
        ),
        ("regime", Box::new(base().with_regimes(&regimes).unwrap())),
        (
            "gbm_crunch",
            Box::new(base().with_crunch(crunch.clone()).unwrap()),
        ),
        (
            "student_t_crunch",
            Box::new(
                base()
                    .with_student_t(5.0)
                    .unwrap()
                    .with_crunch(crunch)
                    .unwrap(),
            ),
        ),
        (
            "bootstrap",
            Box::new(StationaryBootstrap::new(&m, &data, 10.0, STEPS).unwrap()),
        ),
        (
            "fhs",
            Box::new(
                FilteredHistorical::new(&m, &data, &[fhs_spec, fhs_spec, fhs_spec, None], STEPS)
                    .unwrap(),
            ),
        ),
        (
            "gbm_shocked",
            Box::new(Shocked::new(Box::new(Gbm::new(&m, &r, STEPS).unwrap()), shocks, &m).unwrap()),
        ),
    ]
}

fn paths(c: &mut Criterion) {
    let mut g = c.benchmark_group("paths");
    for (name, src) in models() {
        let mut out = PricePath::new(src.steps(), src.assets());
        g.throughput(Throughput::Elements((src.steps() * src.assets()) as u64));
        let mut path = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut rng = stream_rng(1, Domain::MarketPaths, path);
                path += 1;
                src.fill(&mut rng, &mut out);
                black_box(out.row(STEPS)[0])
            })
        });
    }
    g.finish();
}

criterion_group!(benches, paths);
criterion_main!(benches);
