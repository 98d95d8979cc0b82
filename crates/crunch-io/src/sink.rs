//! The Parquet result sink: `summary.parquet`, and optionally `timeseries.parquet`,
//! `events.parquet`, `health.parquet` and `tiers.parquet`, written into an [`OutputDir`].

use arrow_schema::DataType::{Boolean, Float64, Int64, Utf8};
use crunch_core::{PathOutcome, ResultSink};

use crate::error::IoError;
use crate::output_dir::OutputDir;
use crate::parquet_file::{ParquetFile, Value, schema};

/// What the sink writes and the names it writes outcomes with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SinkLayout {
    /// Scenario name, the `scenario` column of every file.
    pub scenario: String,
    /// Policy names by policy index (`PathOutcome::policy`), the `policy` column.
    pub policies: Vec<String>,
    /// Account ids by account index (the book's `ids`), the `account` column of events
    /// and health factors.
    pub account_ids: Vec<String>,
    /// Asset symbols by asset index, the `asset` column of events.
    pub symbols: Vec<String>,
    /// Key-value metadata of every file (for example seed, scenario hash, version).
    pub metadata: Vec<(String, String)>,
    /// Whether to write `timeseries.parquet` from `PathOutcome::steps`.
    pub timeseries: bool,
    /// Whether to write `events.parquet` from `PathOutcome::events`.
    pub events: bool,
    /// `min_score` of each reputation tier, in tier order: with tiers, `tiers.parquet` is
    /// written from `PathOutcome::tiers` and `health.parquet` has a `score` column; empty
    /// (no `[reputation]`): neither.
    pub tiers: Vec<f64>,
}

/// Writes outcomes as Parquet files (ZSTD, fixed writer properties: identical outcomes
/// give identical bytes), buffering at most 65,536 rows per file before a record batch
/// is written.
///
/// - `summary.parquet`: `scenario`, `policy` (Utf8), `path` (Int64), then the metrics of
///   `lending-v1` in spec order: `bad_debt` (f64), `insolvent_accounts`, `liquidations`,
///   `liquidated_accounts` (i64), `repaid_debt`, `seized_collateral`,
///   `liquidation_penalty`, `slippage_cost`, `initial_debt`, `initial_collateral` (f64),
///   `capital_efficiency` (nullable f64), `first_bad_debt_step` (nullable i64),
///   `min_health` (nullable f64); then `initial_borrowing_power` (f64),
///   `borrowing_capacity` (nullable f64), `liquidator_profit`, `oracle_gap` (f64),
///   `blocked_liquidity`, `blocked_capacity`, `blocked_outage`, `blocked_gas` (i64),
///   `dust_bad_debt` (f64) and `mean_time_to_liquidate` (nullable f64).
/// - `timeseries.parquet` (if requested): `scenario, policy, path, step` (i64), `debt`,
///   `collateral_value` (f64), `liquidations` (i64), `repaid_debt`, `seized_collateral`,
///   `bad_debt_realised` (f64); row `k` of an outcome's `steps` is step `k`.
/// - `events.parquet` (if requested): `scenario, policy, path, step` (i64), `account`
///   (Utf8, the book id), `asset` (Utf8, the symbol), `repaid`, `seized`, `slippage`
///   (f64), `full_seizure` (bool).
/// - `health.parquet` (if requested with [`with_health`](Self::with_health)):
///   `scenario, policy, path, step` (i64), `account` (Utf8, the book id), `health` (f64),
///   with tiers also `score` (f64, from `PathOutcome::scores`); one row per health
///   sample, in the outcome's (account) order.
/// - `tiers.parquet` (with tiers): `scenario, policy, path, tier` (i64), `min_score`
///   (f64), `accounts` (i64), `initial_debt`, `initial_collateral`,
///   `initial_borrowing_power`, `flat_borrowing_power` (f64), `liquidations`,
///   `liquidated_accounts` (i64), `bad_debt` (f64), `final_accounts` (i64); one row per
///   tier of each outcome.
///
/// Files are written as `name.tmp` in the output directory's staging area and renamed by
/// [`finish`](Self::finish); a sink dropped before that leaves only temporary files,
/// which the uncommitted [`OutputDir`] removes.
pub struct ParquetSink {
    layout: SinkLayout,
    summary: ParquetFile,
    timeseries: Option<ParquetFile>,
    events: Option<ParquetFile>,
    /// `health.parquet` and the snapshot step written in its `step` column.
    health: Option<(ParquetFile, i64)>,
    tiers: Option<ParquetFile>,
}

const KEYS: [(&str, arrow_schema::DataType, bool); 3] = [
    ("scenario", Utf8, false),
    ("policy", Utf8, false),
    ("path", Int64, false),
];

/// Creates `name` in `out` with the key columns, then `cols`.
fn open(
    out: &OutputDir,
    name: &str,
    cols: &[(&str, arrow_schema::DataType, bool)],
    metadata: &[(String, String)],
) -> Result<ParquetFile, IoError> {
    let fields: Vec<_> = KEYS.iter().cloned().chain(cols.iter().cloned()).collect();
    ParquetFile::create(out.path(name), schema(&fields), metadata)
}

impl ParquetSink {
    /// Creates the files of `layout` in `out`.
    pub fn create(out: &OutputDir, layout: SinkLayout) -> Result<Self, IoError> {
        let file = |name: &str, cols: &[(&str, arrow_schema::DataType, bool)]| {
            open(out, name, cols, &layout.metadata)
        };
        let summary = file(
            "summary.parquet",
            &[
                ("bad_debt", Float64, false),
                ("insolvent_accounts", Int64, false),
                ("liquidations", Int64, false),
                ("liquidated_accounts", Int64, false),
                ("repaid_debt", Float64, false),
                ("seized_collateral", Float64, false),
                ("liquidation_penalty", Float64, false),
                ("slippage_cost", Float64, false),
                ("initial_debt", Float64, false),
                ("initial_collateral", Float64, false),
                ("capital_efficiency", Float64, true),
                ("first_bad_debt_step", Int64, true),
                ("min_health", Float64, true),
                ("initial_borrowing_power", Float64, false),
                ("borrowing_capacity", Float64, true),
                ("liquidator_profit", Float64, false),
                ("oracle_gap", Float64, false),
                ("blocked_liquidity", Int64, false),
                ("blocked_capacity", Int64, false),
                ("blocked_outage", Int64, false),
                ("blocked_gas", Int64, false),
                ("dust_bad_debt", Float64, false),
                ("mean_time_to_liquidate", Float64, true),
            ],
        )?;
        let timeseries = layout
            .timeseries
            .then(|| {
                file(
                    "timeseries.parquet",
                    &[
                        ("step", Int64, false),
                        ("debt", Float64, false),
                        ("collateral_value", Float64, false),
                        ("liquidations", Int64, false),
                        ("repaid_debt", Float64, false),
                        ("seized_collateral", Float64, false),
                        ("bad_debt_realised", Float64, false),
                    ],
                )
            })
            .transpose()?;
        let events = layout
            .events
            .then(|| {
                file(
                    "events.parquet",
                    &[
                        ("step", Int64, false),
                        ("account", Utf8, false),
                        ("asset", Utf8, false),
                        ("repaid", Float64, false),
                        ("seized", Float64, false),
                        ("slippage", Float64, false),
                        ("full_seizure", Boolean, false),
                    ],
                )
            })
            .transpose()?;
        let tiers = (!layout.tiers.is_empty())
            .then(|| {
                file(
                    "tiers.parquet",
                    &[
                        ("tier", Int64, false),
                        ("min_score", Float64, false),
                        ("accounts", Int64, false),
                        ("initial_debt", Float64, false),
                        ("initial_collateral", Float64, false),
                        ("initial_borrowing_power", Float64, false),
                        ("flat_borrowing_power", Float64, false),
                        ("liquidations", Int64, false),
                        ("liquidated_accounts", Int64, false),
                        ("bad_debt", Float64, false),
                        ("final_accounts", Int64, false),
                    ],
                )
            })
            .transpose()?;
        Ok(Self {
            layout,
            summary,
            timeseries,
            events,
            health: None,
            tiers,
        })
    }

    /// Also writes `health.parquet` in `out` from `PathOutcome::health`, with `step` (the
    /// step of the snapshot the engine recorded) in its `step` column.
    pub fn with_health(mut self, out: &OutputDir, step: usize) -> Result<Self, IoError> {
        let cols = [
            ("step", Int64, false),
            ("account", Utf8, false),
            ("health", Float64, false),
            ("score", Float64, false),
        ];
        let scored = !self.layout.tiers.is_empty();
        let cols = &cols[..if scored { 4 } else { 3 }];
        let file = open(out, "health.parquet", cols, &self.layout.metadata)?;
        let step = int(&file, "step", step as u64)?;
        self.health = Some((file, step));
        Ok(self)
    }

    /// Writes what is buffered, closes every file and gives it its final name.
    pub fn finish(self) -> Result<(), IoError> {
        self.summary.close()?;
        if let Some(f) = self.timeseries {
            f.close()?;
        }
        if let Some(f) = self.events {
            f.close()?;
        }
        if let Some((f, _)) = self.health {
            f.close()?;
        }
        if let Some(f) = self.tiers {
            f.close()?;
        }
        Ok(())
    }
}

/// `x` as an Int64 value; values above `i64::MAX` are refused.
fn int(file: &ParquetFile, what: &str, x: u64) -> Result<i64, IoError> {
    i64::try_from(x).map_err(|_| IoError::Layout {
        path: file.dest().to_owned(),
        problem: format!("{what} {x} does not fit a 64-bit signed integer"),
    })
}

/// The name at `index` of `names`, or a layout error.
fn name<'a>(
    file: &ParquetFile,
    names: &'a [String],
    what: &str,
    index: usize,
) -> Result<&'a str, IoError> {
    names
        .get(index)
        .map(String::as_str)
        .ok_or_else(|| IoError::Layout {
            path: file.dest().to_owned(),
            problem: format!(
                "{what} index {index} is out of range (the layout names {})",
                names.len()
            ),
        })
}

impl ResultSink for ParquetSink {
    type Error = IoError;

    fn accept(&mut self, o: &PathOutcome) -> Result<(), IoError> {
        let l = &self.layout;
        // Check the events' and health samples' indices first, so that a refused outcome
        // writes nothing.
        if let Some(f) = &self.events {
            for e in &o.events {
                name(f, &l.account_ids, "account", e.account as usize)?;
                name(f, &l.symbols, "asset", e.asset as usize)?;
            }
        }
        if let Some((f, _)) = &self.health {
            for h in &o.health {
                name(f, &l.account_ids, "account", h.account as usize)?;
                if !l.tiers.is_empty() && o.scores.len() <= h.account as usize {
                    return Err(IoError::Layout {
                        path: f.dest().to_owned(),
                        problem: format!("no score for account index {}", h.account),
                    });
                }
            }
        }
        if let Some(f) = &self.tiers
            && o.tiers.len() != l.tiers.len()
        {
            return Err(IoError::Layout {
                path: f.dest().to_owned(),
                problem: format!(
                    "{} tier outcomes (the layout names {} tiers)",
                    o.tiers.len(),
                    l.tiers.len()
                ),
            });
        }
        let f = &mut self.summary;
        let policy = name(f, &l.policies, "policy", o.policy)?;
        let path = int(f, "path", o.path)?;
        let s = &o.summary;
        let first_bad = s
            .first_bad_debt_step
            .map(|t| int(f, "first_bad_debt_step", t))
            .transpose()?;
        let key = [
            Value::Str(&l.scenario),
            Value::Str(policy),
            Value::I64(Some(path)),
        ];
        let row = [
            Value::F64(Some(s.bad_debt)),
            Value::I64(Some(int(f, "insolvent_accounts", s.insolvent_accounts)?)),
            Value::I64(Some(int(f, "liquidations", s.liquidations)?)),
            Value::I64(Some(int(f, "liquidated_accounts", s.liquidated_accounts)?)),
            Value::F64(Some(s.repaid_debt)),
            Value::F64(Some(s.seized_collateral)),
            Value::F64(Some(s.liquidation_penalty)),
            Value::F64(Some(s.slippage_cost)),
            Value::F64(Some(s.initial_debt)),
            Value::F64(Some(s.initial_collateral)),
            Value::F64(s.capital_efficiency),
            Value::I64(first_bad),
            Value::F64(s.min_health),
            Value::F64(Some(s.initial_borrowing_power)),
            Value::F64(s.borrowing_capacity),
            Value::F64(Some(s.liquidator_profit)),
            Value::F64(Some(s.oracle_gap)),
            Value::I64(Some(int(f, "blocked_liquidity", s.blocked_liquidity)?)),
            Value::I64(Some(int(f, "blocked_capacity", s.blocked_capacity)?)),
            Value::I64(Some(int(f, "blocked_outage", s.blocked_outage)?)),
            Value::I64(Some(int(f, "blocked_gas", s.blocked_gas)?)),
            Value::F64(Some(s.dust_bad_debt)),
            Value::F64(s.mean_time_to_liquidate),
        ];
        f.push(&[&key[..], &row[..]].concat())?;

        if let Some(f) = &mut self.timeseries {
            for (k, a) in o.steps.iter().enumerate() {
                let row = [
                    Value::I64(Some(k as i64)),
                    Value::F64(Some(a.debt)),
                    Value::F64(Some(a.collateral_value)),
                    Value::I64(Some(int(f, "liquidations", a.liquidations)?)),
                    Value::F64(Some(a.repaid_debt)),
                    Value::F64(Some(a.seized_collateral)),
                    Value::F64(Some(a.bad_debt_realised)),
                ];
                f.push(&[&key[..], &row[..]].concat())?;
            }
        }

        if let Some(f) = &mut self.events {
            for e in &o.events {
                let account = name(f, &l.account_ids, "account", e.account as usize)?;
                let asset = name(f, &l.symbols, "asset", e.asset as usize)?;
                let row = [
                    Value::I64(Some(e.step.into())),
                    Value::Str(account),
                    Value::Str(asset),
                    Value::F64(Some(e.repaid)),
                    Value::F64(Some(e.seized)),
                    Value::F64(Some(e.slippage)),
                    Value::Bool(e.full_seizure),
                ];
                f.push(&[&key[..], &row[..]].concat())?;
            }
        }

        if let Some((f, step)) = &mut self.health {
            let step = *step;
            for h in &o.health {
                let account = name(f, &l.account_ids, "account", h.account as usize)?;
                let row = [
                    Value::I64(Some(step)),
                    Value::Str(account),
                    Value::F64(Some(h.health)),
                    Value::F64(o.scores.get(h.account as usize).copied()),
                ];
                let row = &row[..if l.tiers.is_empty() { 3 } else { 4 }];
                f.push(&[&key[..], row].concat())?;
            }
        }

        if let Some(f) = &mut self.tiers {
            for (k, (x, &min_score)) in o.tiers.iter().zip(&l.tiers).enumerate() {
                let row = [
                    Value::I64(Some(k as i64)),
                    Value::F64(Some(min_score)),
                    Value::I64(Some(int(f, "accounts", x.accounts)?)),
                    Value::F64(Some(x.initial_debt)),
                    Value::F64(Some(x.initial_collateral)),
                    Value::F64(Some(x.initial_borrowing_power)),
                    Value::F64(Some(x.flat_borrowing_power)),
                    Value::I64(Some(int(f, "liquidations", x.liquidations)?)),
                    Value::I64(Some(int(f, "liquidated_accounts", x.liquidated_accounts)?)),
                    Value::F64(Some(x.bad_debt)),
                    Value::I64(Some(int(f, "final_accounts", x.final_accounts)?)),
                ];
                f.push(&[&key[..], &row[..]].concat())?;
            }
        }
        Ok(())
    }
}
