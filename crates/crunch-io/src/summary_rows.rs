//! Reading back the columns of `summary.parquet` that the end-of-run table needs.

use std::path::Path;

use arrow_array::Array;

use crate::error::IoError;
use crate::result_files::for_each_batch;

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
    let mut rows = Vec::new();
    for_each_batch(path, |c| {
        let policy = c.strings("policy")?;
        let bad_debt = c.floats("bad_debt")?;
        let liquidations = c.ints("liquidations")?;
        let efficiency = c.floats("capital_efficiency")?;
        let capacity = c.floats("borrowing_capacity")?;
        for r in 0..c.rows() {
            rows.push(SummaryRow {
                policy: policy.value(r).to_owned(),
                bad_debt: bad_debt.value(r),
                liquidations: liquidations.value(r),
                capital_efficiency: efficiency.is_valid(r).then(|| efficiency.value(r)),
                borrowing_capacity: capacity.is_valid(r).then(|| capacity.value(r)),
            });
        }
        Ok(())
    })?;
    Ok(rows)
}
