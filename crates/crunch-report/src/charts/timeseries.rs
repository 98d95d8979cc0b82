//! Liquidation volume and outstanding debt over time, per policy.

use super::data::TimeseriesData;
use super::style::*;
use crate::format::usd_short;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The two-panel time-series chart of one run.
pub(crate) struct TimeseriesChart<'a> {
    pub data: &'a TimeseriesData,
    pub scenario: &'a str,
    pub footnote: &'a str,
    /// A step to mark with a vertical line.
    pub step: Option<i64>,
}

impl TimeseriesChart<'_> {
    pub(crate) fn size(&self) -> (u32, u32) {
        (1100, 900)
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let many = self.data.paths > 1;
        let title = format!(
            "Liquidations and outstanding debt over time — {}",
            self.scenario
        );
        let area = frame(root, &title, self.footnote)?;
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h / 2);
        let t_max = self
            .data
            .policies
            .iter()
            .filter_map(|p| p.steps.last().copied())
            .max()
            .unwrap_or(1)
            .max(1);
        let mean = if many {
            format!("mean over {} paths, ", self.data.paths)
        } else {
            String::new()
        };

        // Top: liquidation volume.
        let v_max = self
            .data
            .policies
            .iter()
            .flat_map(|p| p.liquidated.iter().copied())
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let v_max = if v_max > 0.0 { v_max * 1.1 } else { 1.0 };
        let mut chart = ChartBuilder::on(&top)
            .margin_right(30)
            .margin_bottom(10)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .caption(
                format!("Liquidated debt per step ({mean}USD)"),
                (FONT, LABEL + 2),
            )
            .build_cartesian_2d(0i64..t_max, 0.0..v_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("debt repaid by liquidations (USD)")
            .axis_desc_style((FONT, LABEL))
            .label_style((FONT, TICK))
            .y_label_formatter(&|v| usd_short(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(e)?;
        for (i, p) in self.data.policies.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(
                    p.steps.iter().copied().zip(p.liquidated.iter().copied()),
                    c.stroke_width(2),
                ))
                .map_err(e)?
                .label(p.policy.clone())
                .legend(line_legend(c));
        }
        if let Some(s) = self.step {
            mark_step(&mut chart, s, v_max)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;

        // Bottom: outstanding debt.
        let d_max = self
            .data
            .policies
            .iter()
            .flat_map(|p| p.debt.iter().chain(&p.debt_q95).copied())
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let d_max = if d_max > 0.0 { d_max * 1.1 } else { 1.0 };
        let band = if many {
            ", band: 5–95 % of paths"
        } else {
            ""
        };
        let mut chart = ChartBuilder::on(&bottom)
            .margin_right(30)
            .margin_top(10)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .caption(
                format!("Outstanding debt after each step ({mean}USD{band})"),
                (FONT, LABEL + 2),
            )
            .build_cartesian_2d(0i64..t_max, 0.0..d_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("outstanding debt (USD)")
            .axis_desc_style((FONT, LABEL))
            .label_style((FONT, TICK))
            .y_label_formatter(&|v| usd_short(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(e)?;
        for (i, p) in self.data.policies.iter().enumerate() {
            let c = color(i);
            if many {
                let mut poly: Vec<(i64, f64)> = p
                    .steps
                    .iter()
                    .copied()
                    .zip(p.debt_q95.iter().copied())
                    .collect();
                poly.extend(
                    p.steps
                        .iter()
                        .copied()
                        .zip(p.debt_q05.iter().copied())
                        .rev(),
                );
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.07).filled())))
                    .map_err(e)?;
                for edge in [&p.debt_q05, &p.debt_q95] {
                    chart
                        .draw_series(LineSeries::new(
                            p.steps.iter().copied().zip(edge.iter().copied()),
                            c.mix(0.6).stroke_width(1),
                        ))
                        .map_err(e)?;
                }
            }
            chart
                .draw_series(LineSeries::new(
                    p.steps.iter().copied().zip(p.debt.iter().copied()),
                    c.stroke_width(2),
                ))
                .map_err(e)?
                .label(if many {
                    format!("{} (thin lines: 5 % and 95 % of paths)", p.policy)
                } else {
                    p.policy.clone()
                })
                .legend(line_legend(c));
        }
        if let Some(s) = self.step {
            mark_step(&mut chart, s, d_max)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}

type Chart2d<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordi64, plotters::coord::types::RangedCoordf64>,
>;

/// A dashed vertical line at step `s`, in the legend as "step s".
pub(crate) fn mark_step<DB: DrawingBackend>(
    chart: &mut Chart2d<'_, DB>,
    s: i64,
    y_max: f64,
) -> Result<(), String> {
    let style = BLACK.mix(0.7).stroke_width(1);
    chart
        .draw_series(DashedLineSeries::new([(s, 0.0), (s, y_max)], 6, 4, style))
        .map_err(e)?
        .label(format!("step {s}"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
    Ok(())
}
