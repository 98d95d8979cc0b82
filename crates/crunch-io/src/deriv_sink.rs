//! `derivatives.parquet`: one row per (path, margin mode) of a scenario's derivatives
//! book (`[derivatives]`), and with `[output] timeseries` `derivatives_timeseries.parquet`,
//! one row per (path, mode, step); written like the other output files (temporary name,
//! then a rename at [`DerivSink::finish`]), and read back for the end-of-run table.

use std::path::Path;

use arrow_array::Array;
use arrow_schema::DataType::{self, Float64, Int64, Utf8};
use crunch_derivatives::{DerivStep, DerivSummary};

use crate::error::IoError;
use crate::output_dir::OutputDir;
use crate::parquet_file::{ParquetFile, Value, schema};
use crate::result_files::for_each_batch;

/// The file name of the derivatives results.
pub const DERIV_FILE: &str = "derivatives.parquet";

/// The columns: `scenario`, `mode` (Utf8), `path` (Int64), then every field of
/// [`DerivSummary`] in declaration order, named like the field; `Option` fields are
/// nullable.
const COLUMNS: [(&str, DataType, bool); 23] = [
    ("scenario", Utf8, false),
    ("mode", Utf8, false),
    ("path", Int64, false),
    ("initial_requirement", Float64, false),
    ("maintenance_requirement", Float64, false),
    ("initial_equity", Float64, false),
    ("gross_notional", Float64, false),
    ("capital_efficiency", Float64, true),
    ("mean_capital_efficiency", Float64, true),
    ("idle_collateral", Float64, false),
    ("liquidations", Int64, false),
    ("closed_notional", Float64, false),
    ("liquidation_penalty", Float64, false),
    ("slippage_cost", Float64, false),
    ("funding", Float64, false),
    ("settlement", Float64, false),
    ("insurance_fund", Float64, false),
    ("insurance_drawdown", Float64, false),
    ("insurance_depletion_step", Int64, true),
    ("insurance_paid", Float64, false),
    ("socialised_loss", Float64, false),
    ("bad_debt", Float64, false),
    ("final_equity", Float64, false),
];

/// The file name of the derivatives time series.
pub const DERIV_STEPS_FILE: &str = "derivatives_timeseries.parquet";

/// The time-series columns: `scenario`, `mode`, `path`, `step`, then every field of
/// [`DerivStep`] after `step` in declaration order, named like the field.
const STEP_COLUMNS: [(&str, DataType, bool); 14] = [
    ("scenario", Utf8, false),
    ("mode", Utf8, false),
    ("path", Int64, false),
    ("step", Int64, false),
    ("initial_requirement", Float64, false),
    ("maintenance_requirement", Float64, false),
    ("equity", Float64, false),
    ("gross_notional", Float64, false),
    ("liquidations", Int64, false),
    ("closed_notional", Float64, false),
    ("deficit", Float64, false),
    ("insurance_fund", Float64, false),
    ("socialised_loss", Float64, false),
    ("bad_debt", Float64, false),
];

/// Writes `derivatives.parquet` and, when asked, `derivatives_timeseries.parquet` (ZSTD,
/// the fixed writer properties of every output file: identical rows give identical bytes).
/// Rows are written in the order given; `crunch run` gives them by path, then by mode in
/// the scenario's order (then by step).
pub struct DerivSink {
    scenario: String,
    file: ParquetFile,
    steps: Option<ParquetFile>,
}

impl DerivSink {
    /// Creates `derivatives.parquet` in `out` for scenario `scenario`, and with
    /// `timeseries` also `derivatives_timeseries.parquet`, with `metadata` as their
    /// key-value metadata (that of the run's other files).
    pub fn create(
        out: &OutputDir,
        scenario: &str,
        metadata: &[(String, String)],
        timeseries: bool,
    ) -> Result<Self, IoError> {
        let steps = timeseries
            .then(|| {
                ParquetFile::create(out.path(DERIV_STEPS_FILE), schema(&STEP_COLUMNS), metadata)
            })
            .transpose()?;
        Ok(Self {
            scenario: scenario.to_owned(),
            file: ParquetFile::create(out.path(DERIV_FILE), schema(&COLUMNS), metadata)?,
            steps,
        })
    }

    /// Appends the row of `path` under mode `mode`, and its per-step rows `steps` to the
    /// time series when the sink writes one.
    pub fn push(
        &mut self,
        mode: &str,
        path: u64,
        s: &DerivSummary,
        steps: &[DerivStep],
    ) -> Result<(), IoError> {
        if let Some(file) = &mut self.steps {
            for d in steps {
                push_step(file, &self.scenario, mode, path, d)?;
            }
        }
        // Destructured so that a new field of `DerivSummary` fails to compile here until
        // it has a column.
        let DerivSummary {
            initial_requirement,
            maintenance_requirement,
            initial_equity,
            gross_notional,
            capital_efficiency,
            mean_capital_efficiency,
            idle_collateral,
            liquidations,
            closed_notional,
            liquidation_penalty,
            slippage_cost,
            funding,
            settlement,
            insurance_fund,
            insurance_drawdown,
            insurance_depletion_step,
            insurance_paid,
            socialised_loss,
            bad_debt,
            final_equity,
        } = *s;
        let f = |x: f64| Value::F64(Some(x));
        let i = |x: u64| Value::I64(Some(i64::try_from(x).unwrap_or(i64::MAX)));
        self.file.push(&[
            Value::Str(&self.scenario),
            Value::Str(mode),
            i(path),
            f(initial_requirement),
            f(maintenance_requirement),
            f(initial_equity),
            f(gross_notional),
            Value::F64(capital_efficiency),
            Value::F64(mean_capital_efficiency),
            f(idle_collateral),
            i(liquidations),
            f(closed_notional),
            f(liquidation_penalty),
            f(slippage_cost),
            f(funding),
            f(settlement),
            f(insurance_fund),
            f(insurance_drawdown),
            Value::I64(insurance_depletion_step.map(|s| s as i64)),
            f(insurance_paid),
            f(socialised_loss),
            f(bad_debt),
            f(final_equity),
        ])
    }

    /// Writes the footers and renames the files into place (in the staging directory).
    pub fn finish(self) -> Result<(), IoError> {
        if let Some(steps) = self.steps {
            steps.close()?;
        }
        self.file.close()
    }
}

/// One time-series row.
fn push_step(
    file: &mut ParquetFile,
    scenario: &str,
    mode: &str,
    path: u64,
    d: &DerivStep,
) -> Result<(), IoError> {
    // Destructured so that a new field of `DerivStep` fails to compile here until it has
    // a column.
    let DerivStep {
        step,
        initial_requirement,
        maintenance_requirement,
        equity,
        gross_notional,
        liquidations,
        closed_notional,
        deficit,
        insurance_fund,
        socialised_loss,
        bad_debt,
    } = *d;
    let f = |x: f64| Value::F64(Some(x));
    let i = |x: u64| Value::I64(Some(i64::try_from(x).unwrap_or(i64::MAX)));
    file.push(&[
        Value::Str(scenario),
        Value::Str(mode),
        i(path),
        i(step as u64),
        f(initial_requirement),
        f(maintenance_requirement),
        f(equity),
        f(gross_notional),
        i(liquidations),
        f(closed_notional),
        f(deficit),
        f(insurance_fund),
        f(socialised_loss),
        f(bad_debt),
    ])
}

/// The columns of one `derivatives.parquet` row that the end-of-run table needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivRow {
    /// The `mode` column.
    pub mode: String,
    /// The `bad_debt` column (USD).
    pub bad_debt: f64,
    /// The `socialised_loss` column (USD).
    pub socialised_loss: f64,
    /// The `liquidations` column (events).
    pub liquidations: i64,
    /// The `capital_efficiency` column (ratio), null as `None`.
    pub capital_efficiency: Option<f64>,
    /// The `idle_collateral` column (USD).
    pub idle_collateral: f64,
}

/// The rows of the derivatives file `path`, in file order.
pub fn read_deriv_rows(path: &Path) -> Result<Vec<DerivRow>, IoError> {
    let mut rows = Vec::new();
    for_each_batch(path, |c| {
        let mode = c.strings("mode")?;
        let liquidations = c.ints("liquidations")?;
        let (bad, social, efficiency, idle) = (
            c.floats("bad_debt")?,
            c.floats("socialised_loss")?,
            c.floats("capital_efficiency")?,
            c.floats("idle_collateral")?,
        );
        for r in 0..c.rows() {
            rows.push(DerivRow {
                mode: mode.value(r).to_owned(),
                bad_debt: bad.value(r),
                socialised_loss: social.value(r),
                liquidations: liquidations.value(r),
                capital_efficiency: efficiency.is_valid(r).then(|| efficiency.value(r)),
                idle_collateral: idle.value(r),
            });
        }
        Ok(())
    })?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let root = tempfile::tempdir().unwrap();
        let out = OutputDir::prepare(&root.path().join("out"), false).unwrap();
        let mut sink = DerivSink::create(&out, "s", &[], false).unwrap();
        let s = DerivSummary {
            bad_debt: 3.5,
            socialised_loss: 1.25,
            liquidations: 2,
            capital_efficiency: Some(4.0),
            idle_collateral: 10.0,
            insurance_depletion_step: Some(7),
            ..DerivSummary::default()
        };
        sink.push("cross", 0, &s, &[]).unwrap();
        sink.push("portfolio", 0, &DerivSummary::default(), &[])
            .unwrap();
        sink.finish().unwrap();
        out.commit().unwrap();
        let rows = read_deriv_rows(&root.path().join("out").join(DERIV_FILE)).unwrap();
        assert_eq!(
            rows,
            [
                DerivRow {
                    mode: "cross".into(),
                    bad_debt: 3.5,
                    socialised_loss: 1.25,
                    liquidations: 2,
                    capital_efficiency: Some(4.0),
                    idle_collateral: 10.0,
                },
                DerivRow {
                    mode: "portfolio".into(),
                    bad_debt: 0.0,
                    socialised_loss: 0.0,
                    liquidations: 0,
                    capital_efficiency: None,
                    idle_collateral: 0.0,
                }
            ]
        );
    }
}
