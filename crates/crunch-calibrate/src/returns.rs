//! Log-returns from closes, and the number of steps in a year.

/// Log-returns `r[s][t] = ln(closes[s][t + 1] / closes[s][t])`, one column per asset.
///
/// Closes are expected finite and positive (as `crunch_io::load_prices` delivers them).
pub fn log_returns(closes: &[Vec<f64>]) -> Vec<Vec<f64>> {
    closes
        .iter()
        .map(|c| c.windows(2).map(|w| (w[1] / w[0]).ln()).collect())
        .collect()
}

/// Steps per year of a series observed on the given days (day numbers, ascending, e.g.
/// days since an epoch), used to annualise per-step estimates.
///
/// The raw rate is the number of steps per calendar year of the span,
/// `(n - 1) * 365.25 / (last - first)`. It is snapped to the nearest of the conventional
/// rates 365 (crypto: calendar days), 252 (equities: trading days), 52 (weekly) and 12
/// (monthly) when within 15 % of it, and returned as it is otherwise.
///
/// Why not the median spacing of dates: daily equity data has a median spacing of one
/// day, like calendar-day crypto data (weekends make only 2 of 7 spacings longer), so it
/// cannot tell 252 from 365; the count of observations per year can (about 251 for a
/// stock year, 365 for a crypto year). Gaps such as the Bitstamp outage of 2019-03-20 ..
/// 2019-03-31 lower the raw rate by a few per cent and are absorbed by the snapping.
///
/// `None` for fewer than two days or a span of zero days.
pub fn steps_per_year(days: &[i64]) -> Option<f64> {
    let (&first, &last) = (days.first()?, days.last()?);
    if days.len() < 2 || last <= first {
        return None;
    }
    let raw = (days.len() - 1) as f64 * 365.25 / (last - first) as f64;
    Some(
        [365.0, 252.0, 52.0, 12.0]
            .into_iter()
            .find(|&c| (raw / c - 1.0).abs() <= 0.15)
            .unwrap_or(raw),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_returns_of_closes() {
        let r = log_returns(&[vec![1.0, 2.0, 1.0], vec![5.0, 5.0, 5.0]]);
        assert_eq!(r[0], vec![2f64.ln(), 0.5f64.ln()]);
        assert_eq!(r[1], vec![0.0, 0.0]);
    }

    #[test]
    fn rates_of_trading_and_calendar_days() {
        let calendar: Vec<i64> = (0..366).collect();
        assert_eq!(steps_per_year(&calendar), Some(365.0));
        // Monday to Friday over a year: 261 weekdays (holidays make it about 252).
        let weekdays: Vec<i64> = (0..365).filter(|d| d % 7 < 5).collect();
        assert_eq!(steps_per_year(&weekdays), Some(252.0));
        let weekly: Vec<i64> = (0..53).map(|w| 7 * w).collect();
        assert_eq!(steps_per_year(&weekly), Some(52.0));
        let every_3_days: Vec<i64> = (0..100).map(|d| 3 * d).collect();
        assert!((steps_per_year(&every_3_days).unwrap() - 121.75).abs() < 1e-9);
        assert_eq!(steps_per_year(&[4]), None);
        assert_eq!(steps_per_year(&[4, 4]), None);
    }
}
