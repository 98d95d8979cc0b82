//! Reading back the columns of `summary.parquet` that the end-of-run table needs.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};

use crate::error::IoError;
use crate::result_files::reader;

/// One row of `summary.parquet`: a (path, policy) unit's headline figures.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// The `policy` column.
    pub policy: String,
    /// The `bad_debt` column (USD).
    pub bad_debt: f64,
    /// The `liquidations` column (events).
    pub liquidations: i64,
    /// The `capital_efficiency` column (ratio), null as `None`.
    pub capital_efficiency: Option<f64>,
    /// The `borrowing_capacity` column (ratio), null as `None`.
    pub borrowing_capacity: Option<f64>,
}

/// The rows of the summary file `path`, in file order.
pub fn read_summary_rows(path: &Path) -> Result<Vec<SummaryRow>, IoError> {
    let layout = |problem: String| IoError::Layout {
        path: path.to_owned(),
        problem,
    };
    let batches = reader(path)?.build().map_err(|cause| IoError::Parquet {
        path: path.to_owned(),
        cause,
    })?;
    let mut rows = Vec::new();
    for batch in batches {
        let batch: RecordBatch = batch.map_err(|cause| IoError::Arrow {
            path: path.to_owned(),
            cause,
        })?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| layout(format!("no column \"{name}\"")))
        };
        let policy = column("policy")?
            .as_string_opt::<i32>()
            .ok_or_else(|| layout("column \"policy\" is not a string column".into()))?;
        let bad_debt = column("bad_debt")?
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| layout("column \"bad_debt\" is not a float64 column".into()))?;
        let liquidations = column("liquidations")?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| layout("column \"liquidations\" is not an int64 column".into()))?;
        let efficiency = column("capital_efficiency")?
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| {
                layout("column \"capital_efficiency\" is not a float64 column".into())
            })?;
        let capacity = column("borrowing_capacity")?
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| {
                layout("column \"borrowing_capacity\" is not a float64 column".into())
            })?;
        for r in 0..batch.num_rows() {
            rows.push(SummaryRow {
                policy: policy.value(r).to_owned(),
                bad_debt: bad_debt.value(r),
                liquidations: liquidations.value(r),
                capital_efficiency: efficiency.is_valid(r).then(|| efficiency.value(r)),
                borrowing_capacity: capacity.is_valid(r).then(|| capacity.value(r)),
            });
        }
    }
    Ok(rows)
}
