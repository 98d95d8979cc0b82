//! Fan chart of generated price paths: median and quantile bands per asset, the crunch
//! window shaded.

use super::data::FanData;
use super::style::*;
use crate::format::usd_short;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The fan chart of one paths file.
pub(crate) struct FanChart<'a> {
    pub data: &'a FanData,
    pub scenario: &'a str,
    pub footnote: &'a str,
    /// A step to mark with a vertical line.
    pub step: Option<i64>,
}

/// Neutral grey for the crunch window, so that it never reads as one of the assets.
const CRUNCH: RGBColor = RGBColor(110, 110, 110);

/// Asset colours: the palette without vermillion (too close to a warning shade).
const ASSET_COLORS: [usize; 4] = [0, 2, 3, 5];

impl FanChart<'_> {
    pub(crate) fn size(&self) -> (u32, u32) {
        (1100, 140 + 380 * self.data.assets.len() as u32)
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let title = format!(
            "Generated price paths — {} ({} paths)",
            self.scenario, self.data.paths
        );
        let area = frame(root, &title, self.footnote)?;
        let panels = area.split_evenly((self.data.assets.len(), 1));
        for (k, (panel, a)) in panels.iter().zip(&self.data.assets).enumerate() {
            let c = color(ASSET_COLORS[k % ASSET_COLORS.len()]);
            let t_min = a.steps.first().copied().unwrap_or(0);
            let t_max = a.steps.last().copied().unwrap_or(1).max(t_min + 1);
            let [q05, q25, q50, q75, q95] = &a.quantiles;
            let lo = q05.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = q95.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let pad = 0.05 * (hi - lo).max(hi.abs() * 1e-3);
            let (y_lo, y_hi) = ((lo - pad).max(0.0), hi + pad);
            let mut chart = ChartBuilder::on(panel)
                .margin_right(30)
                .margin_top(6)
                .x_label_area_size(50)
                .y_label_area_size(80)
                .caption(format!("{} price", a.asset), (FONT, LABEL + 2))
                .build_cartesian_2d(t_min..t_max, y_lo..y_hi)
                .map_err(e)?;
            chart
                .configure_mesh()
                .x_desc("step")
                .y_desc(format!("{} price (USD)", a.asset))
                .axis_desc_style((FONT, LABEL))
                .label_style((FONT, TICK))
                .y_label_formatter(&|v| usd_short(*v))
                .light_line_style(RGBColor(235, 235, 235))
                .bold_line_style(RGBColor(215, 215, 215))
                .draw()
                .map_err(e)?;
            if let Some(w) = &self.data.crunch {
                // Shade each step by the share of paths in the crunch (mean weight).
                let rects = a
                    .steps
                    .iter()
                    .zip(w)
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(&t, &w)| {
                        Rectangle::new(
                            [(t, y_lo), ((t + 1).min(t_max), y_hi)],
                            CRUNCH.mix(0.30 * w.clamp(0.0, 1.0)).filled(),
                        )
                    });
                chart
                    .draw_series(rects)
                    .map_err(e)?
                    .label("crunch window (shade ∝ mean crunch weight)")
                    .legend(band_legend(CRUNCH.mix(0.3).filled()));
            }
            let band = |upper: &[f64], lower: &[f64]| {
                let mut poly: Vec<(i64, f64)> =
                    a.steps.iter().copied().zip(upper.iter().copied()).collect();
                poly.extend(a.steps.iter().copied().zip(lower.iter().copied()).rev());
                poly
            };
            let outer = c.mix(0.18).filled();
            let inner = c.mix(0.38).filled();
            chart
                .draw_series(std::iter::once(Polygon::new(band(q95, q05), outer)))
                .map_err(e)?
                .label("5–95 % of paths")
                .legend(band_legend(outer));
            chart
                .draw_series(std::iter::once(Polygon::new(band(q75, q25), inner)))
                .map_err(e)?
                .label("25–75 % of paths")
                .legend(band_legend(inner));
            chart
                .draw_series(LineSeries::new(
                    a.steps.iter().copied().zip(q50.iter().copied()),
                    c.stroke_width(3),
                ))
                .map_err(e)?
                .label("median")
                .legend(line_legend(c));
            if let Some(s) = self.step {
                let style = BLACK.mix(0.7).stroke_width(1);
                chart
                    .draw_series(DashedLineSeries::new([(s, y_lo), (s, y_hi)], 6, 4, style))
                    .map_err(e)?
                    .label(format!("step {s}"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
            }
            draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        }
        Ok(())
    }
}
