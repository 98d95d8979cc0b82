//! The efficiency–solvency frontier: borrowing capacity against p99 bad debt.

use super::data::FrontierPoint;
use super::style::*;
use crate::format::usd_short;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The frontier chart of a run or batch.
pub(crate) struct FrontierChart<'a> {
    pub points: &'a [FrontierPoint],
    pub subtitle: &'a str,
    pub footnote: &'a str,
}

/// Indices of the points no other point dominates (at least as much borrowing capacity
/// and at most as much p99 bad debt, better in one), sorted by borrowing capacity.
pub(crate) fn pareto_front(points: &[FrontierPoint]) -> Vec<usize> {
    let dominated = |i: usize| {
        let a = &points[i];
        points.iter().any(|b| {
            b.borrowing_capacity >= a.borrowing_capacity
                && b.p99_bad_debt <= a.p99_bad_debt
                && (b.borrowing_capacity > a.borrowing_capacity || b.p99_bad_debt < a.p99_bad_debt)
        })
    };
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| !dominated(i) && points[i].borrowing_capacity.is_finite())
        .collect();
    front.sort_by(|&a, &b| {
        points[a]
            .borrowing_capacity
            .total_cmp(&points[b].borrowing_capacity)
            .then(points[a].p99_bad_debt.total_cmp(&points[b].p99_bad_debt))
    });
    front
}

impl FrontierChart<'_> {
    pub(crate) fn size(&self) -> (u32, u32) {
        (1100, 700)
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let title = format!("Efficiency–solvency frontier — {}", self.subtitle);
        let area = frame(root, &title, self.footnote)?;
        let pts: Vec<&FrontierPoint> = self
            .points
            .iter()
            .filter(|p| p.borrowing_capacity.is_finite() && p.p99_bad_debt.is_finite())
            .collect();
        let xs = pts.iter().map(|p| 100.0 * p.borrowing_capacity);
        let x_min = xs.clone().fold(f64::INFINITY, f64::min);
        let x_max = xs.fold(f64::NEG_INFINITY, f64::max);
        let (x_min, x_max) = if x_min.is_finite() {
            (x_min, x_max)
        } else {
            (0.0, 100.0)
        };
        let pad = (0.15 * (x_max - x_min)).max(2.0);
        let y_max = pts.iter().map(|p| p.p99_bad_debt).fold(0.0, f64::max);
        let y_max = if y_max > 0.0 { y_max * 1.18 } else { 1.0 };
        let mut chart = ChartBuilder::on(&area)
            .margin_right(30)
            .x_label_area_size(56)
            .y_label_area_size(80)
            .build_cartesian_2d((x_min - pad)..(x_max + pad), 0.0..y_max)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(
                "borrowing capacity: share of collateral value the policy lends against \
                 (Σ c·p·ltv / Σ c·p at step 0, %)",
            )
            .y_desc("p99 bad debt per path (USD)")
            .axis_desc_style((FONT, LABEL))
            .label_style((FONT, TICK))
            .x_label_formatter(&|v| format!("{v:.1} %"))
            .y_label_formatter(&|v| usd_short(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(e)?;

        let owned: Vec<FrontierPoint> = pts.iter().map(|p| (*p).clone()).collect();
        let front = pareto_front(&owned);
        let front_pts: Vec<(f64, f64)> = front
            .iter()
            .map(|&i| (100.0 * owned[i].borrowing_capacity, owned[i].p99_bad_debt))
            .collect();
        let front_color = RGBColor(60, 60, 60);
        let front_label = format!(
            "Pareto front ({} of {} points: no other point has more capacity and less bad debt)",
            front.len(),
            owned.len()
        );
        if front_pts.len() >= 2 {
            chart
                .draw_series(LineSeries::new(
                    front_pts.clone(),
                    front_color.stroke_width(2),
                ))
                .map_err(e)?
                .label(front_label)
                .legend(line_legend(front_color));
        } else {
            // One non-dominated point: the front is that point, drawn as a ring.
            chart
                .draw_series(
                    front_pts
                        .iter()
                        .map(|&p| Circle::new(p, 13, front_color.stroke_width(2))),
                )
                .map_err(e)?
                .label(front_label)
                .legend(move |(x, y)| Circle::new((x + 12, y), 7, front_color.stroke_width(2)));
        }
        for (i, p) in owned.iter().enumerate() {
            let c = color(i);
            let xy = (100.0 * p.borrowing_capacity, p.p99_bad_debt);
            let on_front = front.contains(&i);
            let name = format!(
                "{} — p99 {}{}",
                p.label,
                usd_short(p.p99_bad_debt),
                if on_front { " (on the front)" } else { "" }
            );
            let style = TextStyle::from((FONT, LEGEND).into_font()).color(&c).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Left,
                    plotters::style::text_anchor::VPos::Center,
                ),
            );
            let marker = EmptyElement::at(xy)
                + Circle::new((0, 0), 8, c.filled())
                + Text::new(p.label.clone(), (20, 0), style);
            chart
                .draw_series(std::iter::once(marker))
                .map_err(e)?
                .label(name)
                .legend(move |(x, y)| Circle::new((x + 12, y), 6, c.filled()));
        }
        if owned.len() > 1 && x_max - x_min < 1e-9 {
            let note = "All points share one borrowing capacity: the policies lend against the same share of collateral value.";
            area.draw_text(
                note,
                &TextStyle::from((FONT, NOTE).into_font()).color(&GREY),
                (100, 8),
            )
            .map_err(e)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(label: &str, x: f64, y: f64) -> FrontierPoint {
        FrontierPoint {
            label: label.into(),
            borrowing_capacity: x,
            p99_bad_debt: y,
        }
    }

    #[test]
    fn pareto_front_keeps_the_non_dominated_points_in_capacity_order() {
        let pts = [
            p("a", 0.5, 100.0),
            p("b", 0.6, 300.0),
            p("c", 0.55, 400.0), // dominated by b (less capacity, more bad debt)
            p("d", 0.4, 50.0),
            p("e", 0.4, 80.0), // dominated by d (same capacity, more bad debt)
        ];
        let front: Vec<&str> = pareto_front(&pts)
            .iter()
            .map(|&i| pts[i].label.as_str())
            .collect();
        assert_eq!(front, ["d", "a", "b"]);
    }

    #[test]
    fn equal_capacity_keeps_only_the_safest() {
        let pts = [p("a", 0.48, 8e6), p("b", 0.48, 2e6)];
        assert_eq!(pareto_front(&pts), [1]);
    }
}
