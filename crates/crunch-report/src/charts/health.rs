//! The distribution of health factors at one step: an empirical CDF per policy, with the
//! liquidation line `H = 1`.

use super::data::{HealthData, HealthSeries};
use super::style::*;
use crate::format::{count, percent};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The health-factor chart of one run.
pub(crate) struct HealthChart<'a> {
    pub data: &'a HealthData,
    pub scenario: &'a str,
    pub footnote: &'a str,
}

/// Points at which each CDF is evaluated across the axis.
const GRID: usize = 600;

/// The health factors have a long right tail (accounts that borrow little): the axis is
/// cut at the 99th percentile of all policies' values pooled, rounded up to a multiple
/// of 0.5, and at least at 1.5 so that the liquidation line has room on both sides.
pub(crate) fn axis_cut(policies: &[HealthSeries]) -> f64 {
    let mut all: Vec<f64> = policies
        .iter()
        .flat_map(|p| p.values.iter().copied())
        .collect();
    all.sort_by(f64::total_cmp);
    let p99 = match all.len() {
        0 => 0.0,
        n => all[((n - 1) as f64 * 0.99).round() as usize],
    };
    ((p99 * 2.0).ceil() / 2.0).max(1.5)
}

/// Share of the sorted `values` at or below `x`.
fn share_at_or_below(values: &[f64], x: f64) -> f64 {
    values.partition_point(|&v| v <= x) as f64 / values.len() as f64
}

/// Share of the sorted `values` strictly below `x`.
fn share_below(values: &[f64], x: f64) -> f64 {
    values.partition_point(|&v| v < x) as f64 / values.len() as f64
}

impl HealthChart<'_> {
    pub(crate) fn size(&self) -> (u32, u32) {
        (1100, 650)
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let d = self.data;
        let title = format!("Health factors at step {} — {}", d.step, self.scenario);
        let cut = axis_cut(&d.policies);
        let footnote = format!(
            "{}; H before the liquidations of step {}; x axis cut at H = {cut}, the pooled \
             99th percentile",
            self.footnote, d.step
        );
        let area = frame(root, &title, &footnote)?;
        let mut chart = ChartBuilder::on(&area)
            .margin_right(30)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..cut, 0.0..1.02)
            .map_err(e)?;
        let pooled = if d.paths > 1 {
            format!(", {} paths pooled", d.paths)
        } else {
            String::new()
        };
        chart
            .configure_mesh()
            .x_desc("health factor H = Σ c·p·lt / D (ratio)")
            .y_desc(format!("share of indebted accounts with H ≤ x{pooled}"))
            .axis_desc_style((FONT, LABEL))
            .label_style((FONT, TICK))
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(e)?;

        // The liquidation zone H < 1 and its edge.
        let zone = RGBColor(213, 94, 0);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, 0.0), (1.0, 1.02)],
                zone.mix(0.08).filled(),
            )))
            .map_err(e)?
            .label("H < 1: liquidatable")
            .legend(band_legend(zone.mix(0.15).filled()));
        let edge = BLACK.mix(0.7).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new([(1.0, 0.0), (1.0, 1.02)], 6, 4, edge))
            .map_err(e)?
            .label("H = 1: the liquidation threshold")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], edge));

        for (i, p) in d.policies.iter().enumerate() {
            let c = color(i);
            let pts: Vec<(f64, f64)> = (0..=GRID)
                .map(|k| {
                    let x = cut * k as f64 / GRID as f64;
                    (x, share_at_or_below(&p.values, x))
                })
                .collect();
            let label = format!(
                "{}: {} below H = 1, {} beyond H = {cut} (n = {})",
                p.policy,
                percent(share_below(&p.values, 1.0)),
                percent(1.0 - share_at_or_below(&p.values, cut)),
                count(p.values.len())
            );
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(3)))
                .map_err(e)?
                .label(label)
                .legend(line_legend(c));
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: Vec<f64>) -> HealthSeries {
        HealthSeries {
            policy: "p".into(),
            values,
        }
    }

    #[test]
    fn the_axis_is_cut_at_the_pooled_99th_percentile_in_halves() {
        // 0.01, 0.02, …, 10.00: the 99th percentile is 9.9 (index 989.01 → 989).
        let many = series((1..=1000).map(|i| i as f64 / 100.0).collect());
        assert_eq!(axis_cut(std::slice::from_ref(&many)), 10.0);
        // A tight distribution keeps room right of H = 1.
        assert_eq!(axis_cut(&[series(vec![0.9, 1.0, 1.1])]), 1.5);
        assert_eq!(axis_cut(&[series(vec![])]), 1.5);
    }

    #[test]
    fn shares_below_and_at_or_below() {
        let v = [0.0, 0.5, 1.0, 1.0, 2.0];
        assert_eq!(share_below(&v, 1.0), 0.4);
        assert_eq!(share_at_or_below(&v, 1.0), 0.8);
        assert_eq!(share_at_or_below(&v, 3.0), 1.0);
    }
}
