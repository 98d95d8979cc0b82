//! Empirical CDF of bad debt per policy.

use super::data::CdfSeries;
use super::style::*;
use crate::format::{percent, usd_short};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// The bad-debt CDF chart of one scenario.
pub(crate) struct CdfChart<'a> {
    pub series: &'a [CdfSeries],
    pub scenario: &'a str,
    pub footnote: &'a str,
}

/// Bad debt at or below this is counted as zero.
const ZERO: f64 = 0.0;

struct Prepared {
    /// Per series: sorted positive values and the share of zero paths.
    positives: Vec<Vec<f64>>,
    zero_share: Vec<f64>,
    n: Vec<usize>,
    min_positive: f64,
    max: f64,
}

fn prepare(series: &[CdfSeries]) -> Prepared {
    let mut positives = Vec::new();
    let mut zero_share = Vec::new();
    let mut n = Vec::new();
    let mut min_positive = f64::INFINITY;
    let mut max: f64 = 0.0;
    for s in series {
        let mut pos: Vec<f64> = s.values.iter().copied().filter(|x| *x > ZERO).collect();
        pos.sort_by(f64::total_cmp);
        let zeros = s.values.len() - pos.len();
        zero_share.push(if s.values.is_empty() {
            f64::NAN
        } else {
            zeros as f64 / s.values.len() as f64
        });
        if let Some(&first) = pos.first() {
            min_positive = min_positive.min(first);
        }
        if let Some(&last) = pos.last() {
            max = max.max(last);
        }
        n.push(s.values.len());
        positives.push(pos);
    }
    Prepared {
        positives,
        zero_share,
        n,
        min_positive,
        max,
    }
}

/// Step points of the CDF from `x_lo` (height: zero share) through every positive value
/// to `x_hi` (height 1).
fn steps(pos: &[f64], zero_share: f64, n: usize, x_lo: f64, x_hi: f64) -> Vec<(f64, f64)> {
    let mut pts = vec![(x_lo, zero_share)];
    let mut f = zero_share;
    let mut i = 0;
    while i < pos.len() {
        let v = pos[i];
        let mut j = i;
        while j < pos.len() && pos[j] == v {
            j += 1;
        }
        pts.push((v, f));
        f = zero_share + j as f64 / n as f64;
        pts.push((v, f));
        i = j;
    }
    pts.push((x_hi, f));
    pts
}

impl CdfChart<'_> {
    pub(crate) fn size(&self) -> (u32, u32) {
        (1100, 650)
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let title = format!("Bad debt per path — {}", self.scenario);
        let area = frame(root, &title, self.footnote)?;
        let p = prepare(self.series);
        if p.max <= ZERO {
            // No bad debt on any path under any policy: a linear axis with every curve at 1.
            return self.draw_in(&area, &p, 0.0..1.0, 0.0, 1.0, "bad debt per path (USD)");
        }
        let log = p.max / p.min_positive >= 100.0;
        if log {
            let lo = p.min_positive / 1.6;
            let hi = p.max * 1.6;
            self.draw_in(
                &area,
                &p,
                (lo..hi).log_scale(),
                lo,
                hi,
                "bad debt per path (USD, log scale; zero-bad-debt paths form the step at the left edge)",
            )
        } else {
            let hi = p.max * 1.05;
            self.draw_in(&area, &p, 0.0..hi, 0.0, hi, "bad debt per path (USD)")
        }
    }

    fn draw_in<DB: DrawingBackend, X>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &Prepared,
        x_range: X,
        lo: f64,
        hi: f64,
        x_desc: &str,
    ) -> Result<(), String>
    where
        X: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(area)
            .margin_right(30)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d(x_range, 0.0..1.02)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("share of paths with bad debt ≤ x")
            .axis_desc_style((FONT, LABEL))
            .label_style((FONT, TICK))
            .x_label_formatter(&|v| usd_short(*v))
            .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(e)?;
        // The 99 % level, where the p99 of each curve is read off.
        chart
            .draw_series(LineSeries::new(
                [(lo, 0.99), (hi, 0.99)],
                GREY.mix(0.6).stroke_width(1),
            ))
            .map_err(e)?
            .label("99 % of paths")
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], GREY.mix(0.6).stroke_width(1))
            });
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i);
            let label = if p.n[i] == 0 {
                format!("{} (no paths)", s.policy)
            } else if p.positives[i].is_empty() {
                format!("{}: no bad debt on any of {} paths", s.policy, p.n[i])
            } else {
                format!(
                    "{}: no bad debt on {} of {} paths",
                    s.policy,
                    percent(p.zero_share[i]),
                    p.n[i]
                )
            };
            let pts = if p.n[i] == 0 {
                vec![]
            } else {
                steps(&p.positives[i], p.zero_share[i], p.n[i], lo, hi)
            };
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
