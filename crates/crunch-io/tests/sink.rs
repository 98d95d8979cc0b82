//! Writing outcomes with the Parquet sink and reading them back.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use crunch_core::{
    HealthSample, LiquidationEvent, PathOutcome, PathSummary, ResultSink, StepAggregate,
    TierOutcome,
};
use crunch_io::{IoError, OutputDir, ParquetSink, SinkLayout};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn layout(timeseries: bool, events: bool) -> SinkLayout {
    SinkLayout {
        scenario: "b1".into(),
        policies: vec!["static".into(), "tight".into()],
        account_ids: vec!["alice".into(), "bob".into()],
        symbols: vec!["ETH".into(), "USDC".into()],
        metadata: vec![
            ("crunch.seed".into(), "1".into()),
            ("crunch.scenario_hash".into(), "abc123".into()),
        ],
        timeseries,
        events,
        tiers: Vec::new(),
    }
}

fn outcome(path: u64, policy: usize) -> PathOutcome {
    let x = path as f64 + policy as f64 / 10.0;
    PathOutcome {
        path,
        policy,
        summary: PathSummary {
            bad_debt: 1.5 * x,
            insolvent_accounts: path,
            liquidations: 2 * path,
            liquidated_accounts: 1,
            repaid_debt: 100.0 + x,
            seized_collateral: 105.0 + x,
            liquidation_penalty: 5.0,
            slippage_cost: 0.25,
            initial_debt: 1000.0,
            initial_collateral: if path == 1 { 0.0 } else { 2000.0 },
            capital_efficiency: (path != 1).then_some(0.5),
            initial_borrowing_power: 1500.0 - 100.0 * policy as f64,
            borrowing_capacity: (path != 1).then_some(0.75 - 0.05 * policy as f64),
            first_bad_debt_step: (path == 2).then_some(17),
            min_health: (path != 3).then_some(0.9 - x / 100.0),
            liquidator_profit: 2.5 + x,
            oracle_gap: -0.5 * x,
            blocked_liquidity: path + 3,
            blocked_capacity: 2,
            blocked_outage: policy as u64,
            blocked_gas: 1,
            dust_bad_debt: 0.125,
            mean_time_to_liquidate: (path != 2).then_some(1.5),
        },
        steps: (0..3)
            .map(|k| StepAggregate {
                debt: 1000.0 - k as f64,
                collateral_value: 2000.0 + x,
                liquidations: k,
                repaid_debt: k as f64,
                seized_collateral: 1.05 * k as f64,
                bad_debt_realised: 0.0,
            })
            .collect(),
        events: vec![LiquidationEvent {
            step: 4,
            account: (path % 2) as u32,
            asset: 0,
            repaid: 10.0,
            seized: 10.5,
            slippage: 0.01,
            full_seizure: path == 2,
        }],
        // Path 3 has no indebted account at the snapshot's step; the others one or two.
        health: (0..2u32)
            .filter(|&j| path != 3 && (j == 0 || path.is_multiple_of(2)))
            .map(|j| HealthSample {
                account: j,
                health: 1.25 - x / 10.0 + j as f64,
            })
            .collect(),
        tiers: Vec::new(),
        scores: Vec::new(),
    }
}

/// Writes paths `0..paths` for both policies into `dir` and commits.
fn write(dir: &Path, layout: SinkLayout, paths: u64) {
    write_with_health(dir, layout, None, paths);
}

/// Like [`write`], with `health.parquet` at `health_step` when it is set.
fn write_with_health(dir: &Path, layout: SinkLayout, health_step: Option<usize>, paths: u64) {
    let out = OutputDir::prepare(dir, false).unwrap();
    let mut sink = ParquetSink::create(&out, layout).unwrap();
    if let Some(step) = health_step {
        sink = sink.with_health(&out, step).unwrap();
    }
    for p in 0..paths {
        for k in 0..2 {
            sink.accept(&outcome(p, k)).unwrap();
        }
    }
    sink.finish().unwrap();
    out.commit().unwrap();
}

fn read(path: &Path) -> (RecordBatch, Vec<(String, Option<String>)>) {
    let b = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let kv = b
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .unwrap()
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.clone()))
        .collect();
    let mut batches: Vec<RecordBatch> = b.build().unwrap().map(Result::unwrap).collect();
    assert_eq!(batches.len(), 1, "small test files come back as one batch");
    (batches.remove(0), kv)
}

fn names(b: &RecordBatch) -> Vec<String> {
    b.schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

fn f64s(b: &RecordBatch, col: &str) -> Vec<Option<f64>> {
    b[col].as_primitive::<Float64Type>().iter().collect()
}

fn i64s(b: &RecordBatch, col: &str) -> Vec<Option<i64>> {
    b[col].as_primitive::<Int64Type>().iter().collect()
}

fn strs(b: &RecordBatch, col: &str) -> Vec<String> {
    b[col]
        .as_string::<i32>()
        .iter()
        .map(|s| s.unwrap().to_owned())
        .collect()
}

#[test]
fn summary_timeseries_and_events_read_back() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    write(&dir, layout(true, true), 4);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["events.parquet", "summary.parquet", "timeseries.parquet"]
    );

    let (s, kv) = read(&dir.join("summary.parquet"));
    assert_eq!(
        names(&s),
        [
            "scenario",
            "policy",
            "path",
            "bad_debt",
            "insolvent_accounts",
            "liquidations",
            "liquidated_accounts",
            "repaid_debt",
            "seized_collateral",
            "liquidation_penalty",
            "slippage_cost",
            "initial_debt",
            "initial_collateral",
            "capital_efficiency",
            "first_bad_debt_step",
            "min_health",
            "initial_borrowing_power",
            "borrowing_capacity",
            "liquidator_profit",
            "oracle_gap",
            "blocked_liquidity",
            "blocked_capacity",
            "blocked_outage",
            "blocked_gas",
            "dust_bad_debt",
            "mean_time_to_liquidate",
        ]
    );
    assert_eq!(
        &kv[..2],
        [
            ("crunch.seed".to_string(), Some("1".to_string())),
            (
                "crunch.scenario_hash".to_string(),
                Some("abc123".to_string())
            ),
        ]
    );
    assert_eq!(s.num_rows(), 8);
    assert_eq!(strs(&s, "scenario"), ["b1"; 8]);
    assert_eq!(
        strs(&s, "policy"),
        [
            "static", "tight", "static", "tight", "static", "tight", "static", "tight"
        ]
    );
    assert_eq!(i64s(&s, "path"), [0, 0, 1, 1, 2, 2, 3, 3].map(Some));
    assert_eq!(f64s(&s, "bad_debt")[3], Some(1.5 * 1.1));
    assert_eq!(i64s(&s, "liquidations")[6], Some(6));
    assert_eq!(f64s(&s, "repaid_debt")[5], Some(102.1));
    assert_eq!(f64s(&s, "initial_collateral")[2], Some(0.0));
    let ce = f64s(&s, "capital_efficiency");
    assert_eq!(
        ce,
        [
            Some(0.5),
            Some(0.5),
            None,
            None,
            Some(0.5),
            Some(0.5),
            Some(0.5),
            Some(0.5)
        ]
    );
    assert_eq!(
        i64s(&s, "first_bad_debt_step"),
        [None, None, None, None, Some(17), Some(17), None, None]
    );
    let mh = f64s(&s, "min_health");
    assert_eq!(mh[0], Some(0.9));
    assert_eq!(mh[6], None);
    assert_eq!(s["min_health"].null_count(), 2);
    assert_eq!(
        f64s(&s, "initial_borrowing_power")[..2],
        [Some(1500.0), Some(1400.0)]
    );
    assert_eq!(
        f64s(&s, "borrowing_capacity")[..4],
        [Some(0.75), Some(0.7), None, None]
    );
    assert_eq!(f64s(&s, "liquidator_profit")[3], Some(2.5 + 1.1));
    assert_eq!(f64s(&s, "oracle_gap")[3], Some(-0.55));
    assert_eq!(i64s(&s, "blocked_liquidity")[6], Some(6));
    assert_eq!(i64s(&s, "blocked_capacity")[0], Some(2));
    assert_eq!(i64s(&s, "blocked_outage")[..2], [Some(0), Some(1)]);
    assert_eq!(i64s(&s, "blocked_gas")[7], Some(1));
    assert_eq!(f64s(&s, "dust_bad_debt")[1], Some(0.125));
    assert_eq!(
        f64s(&s, "mean_time_to_liquidate")[3..6],
        [Some(1.5), None, None]
    );
    assert!(
        s.schema()
            .field_with_name("borrowing_capacity")
            .unwrap()
            .is_nullable()
    );
    assert!(
        !s.schema()
            .field_with_name("bad_debt")
            .unwrap()
            .is_nullable()
    );
    assert!(
        s.schema()
            .field_with_name("min_health")
            .unwrap()
            .is_nullable()
    );

    let (t, kv) = read(&dir.join("timeseries.parquet"));
    assert_eq!(kv[0].0, "crunch.seed");
    assert_eq!(
        names(&t),
        [
            "scenario",
            "policy",
            "path",
            "step",
            "debt",
            "collateral_value",
            "liquidations",
            "repaid_debt",
            "seized_collateral",
            "bad_debt_realised",
        ]
    );
    assert_eq!(t.num_rows(), 24);
    assert_eq!(i64s(&t, "step")[..6], [0, 1, 2, 0, 1, 2].map(Some));
    assert_eq!(
        f64s(&t, "debt")[..3],
        [Some(1000.0), Some(999.0), Some(998.0)]
    );
    assert_eq!(f64s(&t, "collateral_value")[4], Some(2000.1));
    assert_eq!(i64s(&t, "liquidations")[2], Some(2));

    let (e, _) = read(&dir.join("events.parquet"));
    assert_eq!(
        names(&e),
        [
            "scenario",
            "policy",
            "path",
            "step",
            "account",
            "asset",
            "repaid",
            "seized",
            "slippage",
            "full_seizure",
        ]
    );
    assert_eq!(e.num_rows(), 8);
    assert_eq!(strs(&e, "account")[..4], ["alice", "alice", "bob", "bob"]);
    assert_eq!(strs(&e, "asset"), ["ETH"; 8]);
    assert_eq!(i64s(&e, "step"), [Some(4); 8]);
    let full: Vec<bool> = e["full_seizure"]
        .as_boolean()
        .iter()
        .map(Option::unwrap)
        .collect();
    assert_eq!(full, [false, false, false, false, true, true, false, false]);
    assert_eq!(f64s(&e, "seized")[0], Some(10.5));
}

#[test]
fn identical_input_gives_identical_bytes_across_batches() {
    let root = tempfile::tempdir().unwrap();
    // 40,000 paths x 2 policies: more than one 65,536-row batch in the summary file.
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    write(&a, layout(false, false), 40_000);
    write(&b, layout(false, false), 40_000);
    let bytes = |d: &Path| std::fs::read(d.join("summary.parquet")).unwrap();
    assert_eq!(bytes(&a), bytes(&b));
    assert!(!a.join("timeseries.parquet").exists());
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(File::open(a.join("summary.parquet")).unwrap())
            .unwrap();
    assert_eq!(reader.metadata().file_metadata().num_rows(), 80_000);
    let compression = reader.metadata().row_group(0).column(0).compression();
    assert!(matches!(compression, parquet::basic::Compression::ZSTD(_)));
}

#[test]
fn failed_run_leaves_no_trace() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    {
        let out = OutputDir::prepare(&dir, false).unwrap();
        let mut sink = ParquetSink::create(&out, layout(true, true)).unwrap();
        sink.accept(&outcome(0, 0)).unwrap();
        // An outcome naming a policy the layout does not have is refused.
        let e = sink.accept(&outcome(0, 5)).unwrap_err();
        assert!(matches!(e, IoError::Layout { .. }));
        assert!(
            e.to_string()
                .ends_with("summary.parquet: policy index 5 is out of range (the layout names 2)"),
            "{e}"
        );
        let staged = out.staging().to_owned();
        assert!(staged.join("summary.parquet.tmp").exists());
        drop(sink);
        drop(out);
        assert!(!staged.exists());
    }
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
}

#[test]
fn prepare_refuses_a_non_empty_directory_and_leaves_it_untouched() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    write(&dir, layout(false, false), 2);
    let before = std::fs::read(dir.join("summary.parquet")).unwrap();
    let e = OutputDir::prepare(&dir, false).unwrap_err();
    assert!(matches!(e, IoError::OutputExists { .. }));
    assert!(e.to_string().contains("pass --force"));
    assert_eq!(std::fs::read(dir.join("summary.parquet")).unwrap(), before);
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);

    // With force the old results are replaced at commit.
    let out = OutputDir::prepare(&dir, true).unwrap();
    let mut sink = ParquetSink::create(&out, layout(false, false)).unwrap();
    sink.accept(&outcome(9, 1)).unwrap();
    sink.finish().unwrap();
    out.commit().unwrap();
    let (s, _) = read(&dir.join("summary.parquet"));
    assert_eq!(s.num_rows(), 1);
    assert_eq!(i64s(&s, "path"), [Some(9)]);
    assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
}

#[test]
fn health_snapshot_has_one_row_per_indebted_account() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    write_with_health(&dir, layout(false, false), Some(30), 4);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["health.parquet", "summary.parquet"]);

    let (h, kv) = read(&dir.join("health.parquet"));
    assert_eq!(kv[0].0, "crunch.seed", "the run's metadata");
    assert_eq!(
        names(&h),
        ["scenario", "policy", "path", "step", "account", "health"]
    );
    for (name, t) in [
        ("path", "Int64"),
        ("step", "Int64"),
        ("account", "Utf8"),
        ("health", "Float64"),
    ] {
        let field = h.schema().field_with_name(name).unwrap().clone();
        assert_eq!(format!("{:?}", field.data_type()), t, "{name}");
        assert!(!field.is_nullable(), "{name}");
    }
    // Per (path, policy): paths 0 and 2 have two indebted accounts, path 1 one, path 3
    // none; in (path, policy, account) order.
    assert_eq!(h.num_rows(), 2 * (2 + 1 + 2));
    assert_eq!(i64s(&h, "step"), [Some(30); 10]);
    assert_eq!(i64s(&h, "path"), [0, 0, 0, 0, 1, 1, 2, 2, 2, 2].map(Some));
    assert_eq!(
        strs(&h, "policy")[..5],
        ["static", "static", "tight", "tight", "static"]
    );
    assert_eq!(
        strs(&h, "account"),
        [
            "alice", "bob", "alice", "bob", "alice", "alice", "alice", "bob", "alice", "bob"
        ]
    );
    assert_eq!(strs(&h, "scenario"), ["b1"; 10]);
    let health = f64s(&h, "health");
    assert_eq!(
        health[..4],
        [Some(1.25), Some(2.25), Some(1.24), Some(2.24)]
    );
    assert_eq!(health[5], Some(1.25 - 0.11));
}

#[test]
fn a_health_sample_of_an_unknown_account_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let out = OutputDir::prepare(&root.path().join("run"), false).unwrap();
    let mut sink = ParquetSink::create(&out, layout(false, false))
        .unwrap()
        .with_health(&out, 1)
        .unwrap();
    let mut o = outcome(0, 0);
    o.health.push(HealthSample {
        account: 7,
        health: 1.0,
    });
    let e = sink.accept(&o).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("health.parquet: account index 7 is out of range (the layout names 2)"),
        "{e}"
    );
}

/// With reputation tiers: `tiers.parquet` has one row per tier of each outcome, in tier
/// order, and `health.parquet` each sampled account's score; an outcome with the wrong
/// number of tiers is refused.
#[test]
fn tiers_and_scores_read_back() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("run");
    let out = OutputDir::prepare(&dir, false).unwrap();
    let layout = SinkLayout {
        tiers: vec![0.0, 0.8],
        ..layout(false, false)
    };
    let mut sink = ParquetSink::create(&out, layout)
        .unwrap()
        .with_health(&out, 3)
        .unwrap();
    let tier = |k: u64| TierOutcome {
        accounts: 1 + k,
        initial_debt: 100.0 * k as f64,
        initial_collateral: 200.0,
        initial_borrowing_power: 150.0 + k as f64,
        flat_borrowing_power: 150.0,
        liquidations: 2 * k,
        liquidated_accounts: k,
        bad_debt: 0.5 * k as f64,
        final_accounts: 2 - k,
    };
    let mut o = outcome(0, 1);
    o.tiers = vec![tier(0), tier(1)];
    o.scores = vec![0.25, 0.75];
    sink.accept(&o).unwrap();
    let mut wrong = outcome(1, 0);
    wrong.tiers = vec![tier(0)];
    wrong.scores = vec![0.5, 0.5];
    let e = sink.accept(&wrong).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("tiers.parquet: 1 tier outcomes (the layout names 2 tiers)"),
        "{e}"
    );
    sink.finish().unwrap();
    out.commit().unwrap();

    let (t, _) = read(&dir.join("tiers.parquet"));
    assert_eq!(
        names(&t),
        [
            "scenario",
            "policy",
            "path",
            "tier",
            "min_score",
            "accounts",
            "initial_debt",
            "initial_collateral",
            "initial_borrowing_power",
            "flat_borrowing_power",
            "liquidations",
            "liquidated_accounts",
            "bad_debt",
            "final_accounts"
        ]
    );
    assert_eq!(strs(&t, "policy"), ["tight", "tight"]);
    assert_eq!(i64s(&t, "tier"), [Some(0), Some(1)]);
    assert_eq!(f64s(&t, "min_score"), [Some(0.0), Some(0.8)]);
    assert_eq!(i64s(&t, "accounts"), [Some(1), Some(2)]);
    assert_eq!(
        f64s(&t, "initial_borrowing_power"),
        [Some(150.0), Some(151.0)]
    );
    assert_eq!(i64s(&t, "liquidations"), [Some(0), Some(2)]);
    assert_eq!(f64s(&t, "bad_debt"), [Some(0.0), Some(0.5)]);
    assert_eq!(i64s(&t, "final_accounts"), [Some(2), Some(1)]);
    let (h, _) = read(&dir.join("health.parquet"));
    // Path 0: both accounts sampled.
    assert_eq!(f64s(&h, "score"), [Some(0.25), Some(0.75)]);
}
