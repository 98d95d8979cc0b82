//! Shared look of every chart: bundled font, palette, title and footnote.

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use std::fmt::Display;
use std::sync::Once;

/// Font family under which DejaVu Sans is registered with plotters' ab_glyph backend.
pub(crate) const FONT: &str = "sans-serif";

/// Registers the bundled DejaVu Sans (regular and bold) once per process.
pub(crate) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the `dejavu` crate: registering
        // them cannot fail short of a corrupt build.
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| ())
            .expect("DejaVu Sans parses");
        plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .map_err(|_| ())
            .expect("DejaVu Sans Bold parses");
    });
}

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];

/// Colour of series `i`.
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Dark grey for secondary text.
pub(crate) const GREY: RGBColor = RGBColor(90, 90, 90);

/// Turns a backend error into text.
pub(crate) fn e<E: Display>(err: E) -> String {
    err.to_string()
}

/// Font sizes.
pub(crate) const TITLE: u32 = 26;
pub(crate) const LABEL: u32 = 18;
pub(crate) const TICK: u32 = 15;
pub(crate) const LEGEND: u32 = 16;
pub(crate) const NOTE: u32 = 14;

/// Fills `root` white, writes `footnote` along its bottom edge and `title` on top, and
/// returns the area in between.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    footnote: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(e)?;
    let (_, h) = root.dim_in_pixel();
    let (body, foot) = root.split_vertically(h - 30);
    foot.draw_text(
        footnote,
        &TextStyle::from((FONT, NOTE).into_font()).color(&GREY),
        (14, 8),
    )
    .map_err(e)?;
    let body = body
        .margin(12, 0, 0, 0)
        .titled(title, (FONT, TITLE).into_font().style(FontStyle::Bold))
        .map_err(e)?;
    Ok(body.margin(4, 0, 8, 24))
}

/// Draws the legend of `chart`'s labelled series at `position`, in the house style (white,
/// slightly transparent box with a grey border).
pub(crate) fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, LEGEND))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(180, 180, 180))
        .draw()
        .map_err(e)
}

/// A legend box for a line series.
pub(crate) fn line_legend(c: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
}

/// A legend box for a filled band.
pub(crate) fn band_legend(style: ShapeStyle) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], style)
}
