//! Things the histogram and line charts share: the series colours and the vertical reference
//! markers (thin dashed lines with a small label above the plot, so a label never covers data).

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::axes::{AxesStyle, Plot};
use super::draw::{polyline, Stroke};
use super::font::text_width;
use super::text::{draw_line, truncate_to_width, Txt};
use super::{Area, EXPECTED, HIGHLIGHT, OBSERVED, TEXT};
use crate::figure::Marker;

/// Series colours in order: the main series in the bar charts' blue, then the expectation's
/// near-black, the highlight orange and distinct hues (Tableau-like, colour-blind aware).
const SERIES: [RGBColor; 12] = [
    OBSERVED,
    EXPECTED,
    HIGHLIGHT,
    RGBColor(89, 161, 79),
    RGBColor(176, 122, 161),
    RGBColor(225, 87, 89),
    RGBColor(156, 117, 95),
    RGBColor(118, 183, 178),
    // Beyond eight: the calibration chart draws every test that reaches 0.8, so more curves
    // than eight must still be told apart.
    RGBColor(237, 201, 72),
    RGBColor(107, 76, 154),
    RGBColor(255, 157, 167),
    RGBColor(140, 140, 140),
];

/// Colour of series `i` (cycling).
pub(super) fn series_color(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Marker labels wider than this are shortened with "…".
const MAX_LABEL_PX: u32 = 180;
/// Rows of marker labels at most (later labels that still overlap share the last row).
const MAX_ROWS: usize = 3;
/// Least horizontal gap (px) between two marker labels in one row.
const LABEL_GAP: i32 = 14;
/// Marker line colour.
const MARKER: RGBColor = RGBColor(60, 60, 60);

/// Marker label font size for a panel's tick size.
fn label_px(style: &AxesStyle) -> f64 {
    (style.tick_px * 0.9).round()
}

/// Height (px) of `rows` rows of marker labels, including the gap to the plot.
pub(super) fn room(rows: usize, style: &AxesStyle) -> i32 {
    if rows == 0 {
        0
    } else {
        rows as i32 * (label_px(style) * 1.25).round() as i32 + 4
    }
}

/// A marker label placed above the plot: centre x, row (0 = nearest the plot), text.
struct Placed {
    x: i32,
    row: usize,
    text: String,
}

/// Places the labels of the markers inside the x range, left to right, each in the first row
/// where one of its positions (centred over the line, left of it, right of it) stays inside
/// the area and clear of the previous label of that row.
fn place(plot: &Plot, markers: &[Marker], style: &AxesStyle, area_w: i32) -> Vec<Placed> {
    let size = label_px(style);
    let mut visible: Vec<(f64, &str)> = markers
        .iter()
        .filter(|m| m.x.is_finite() && m.x >= plot.x.lo && m.x <= plot.x.hi)
        .map(|m| (plot.px(m.x), m.label.as_str()))
        .collect();
    visible.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut row_ends = [i32::MIN; MAX_ROWS];
    let mut out = Vec::new();
    for (px, label) in visible {
        let text = truncate_to_width(label, size, MAX_LABEL_PX);
        let w = text_width(&text, size) as i32;
        let line = px.round() as i32;
        // Label centres: over the line, then ending left of it, then starting right of it.
        let candidates = [line, line - 3 - w / 2, line + 3 + w - w / 2];
        let fits = |centre: i32| centre - w / 2 >= 2 && centre + w - w / 2 <= area_w - 2;
        let free = |row: usize, centre: i32| row_ends[row] + LABEL_GAP <= centre - w / 2;
        let choice = (0..MAX_ROWS).find_map(|row| {
            candidates
                .iter()
                .find(|&&c| fits(c) && free(row, c))
                .map(|&c| (row, c))
        });
        let (row, x) = choice.unwrap_or_else(|| {
            let c = line.clamp(2 + w / 2, (area_w - 2 - w + w / 2).max(2 + w / 2));
            (MAX_ROWS - 1, c)
        });
        row_ends[row] = x + w - w / 2;
        out.push(Placed { x, row, text });
    }
    out
}

/// Rows of labels the markers need on this plot.
pub(super) fn rows_needed(
    plot: &Plot,
    markers: &[Marker],
    style: &AxesStyle,
    area_w: i32,
) -> usize {
    place(plot, markers, style, area_w)
        .iter()
        .map(|p| p.row + 1)
        .max()
        .unwrap_or(0)
}

/// Draws the markers inside the x range: dashed line over the plot height, label above.
pub(super) fn draw(
    area: &Area,
    plot: &Plot,
    markers: &[Marker],
    style: &AxesStyle,
) -> anyhow::Result<()> {
    let size = label_px(style);
    let line_h = (size * 1.25).round() as i32;
    let clip = (plot.left, plot.top, plot.right, plot.bottom);
    let stroke = Stroke {
        color: MARKER,
        width: 1,
        dash: Some((4.0, 3.0)),
    };
    for m in markers {
        if !(m.x.is_finite() && m.x >= plot.x.lo && m.x <= plot.x.hi) {
            continue;
        }
        let x = plot.px(m.x).round();
        let (top, bottom) = (f64::from(plot.top), f64::from(plot.bottom));
        polyline(area, &[(x, bottom), (x, top)], clip, stroke)?;
    }
    let w = area.dim_in_pixel().0 as i32;
    for p in place(plot, markers, style, w) {
        let top = plot.top - 4 - (p.row as i32 + 1) * line_h;
        draw_line(
            area,
            &p.text,
            (p.x, top),
            Txt::new(size, TEXT, HPos::Center),
        )?;
    }
    Ok(())
}

/// Lays out a histogram or line plot with room above it for the marker labels.
pub(super) fn layout_with_markers(
    dim: (u32, u32),
    x_range: (f64, f64),
    y: super::axes::YSpec,
    markers: &[Marker],
    style: &AxesStyle,
) -> Plot {
    let with_rows = |rows: usize| {
        let s = AxesStyle {
            margin_top: style.margin_top + room(rows, style),
            ..style.clone()
        };
        Plot::layout(dim, x_range, y, &s, 0, false)
    };
    let guess = usize::from(!markers.is_empty());
    let first = with_rows(guess);
    let rows = rows_needed(&first, markers, style, dim.0 as i32);
    if rows == guess {
        first
    } else {
        with_rows(rows)
    }
}
