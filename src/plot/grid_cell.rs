//! One cell of a continuous-panel grid (`panel_grid.rs`): what the grid needs to know about a
//! `Panel` (descriptions, legend entries, kinds), the scales the panels share, and the drawing
//! of one cell: orange frame and title when highlighted, then the panel itself.

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::axes::AxesStyle;
use super::colorbar::ColorScale;
use super::legend::Swatch;
use super::scale::{finite_extent, sane_range};
use super::text::{draw_line, truncate_to_width, Txt};
use super::{heatmap, histogram, lines, Area, PlotCtx, HIGHLIGHT, HIGHLIGHT_TEXT, TEXT};
use crate::figure::{HeatmapPanel, HistogramPanel, LinePanel, Panel};

/// Most legend entries (panels with differently named series would otherwise flood it).
const MAX_LEGEND: usize = 12;

pub(super) fn labels(p: &Panel) -> (&str, &str) {
    match p {
        Panel::Histogram(h) => (&h.x_label, &h.y_label),
        Panel::Heatmap(h) => (&h.x_label, &h.y_label),
        Panel::Lines(l) => (&l.x_label, &l.y_label),
    }
}

pub(super) fn heatmaps(panels: &[Panel]) -> impl Iterator<Item = &HeatmapPanel> {
    panels.iter().filter_map(|p| match p {
        Panel::Heatmap(h) => Some(h),
        _ => None,
    })
}

fn histograms(panels: &[Panel]) -> impl Iterator<Item = &HistogramPanel> {
    panels.iter().filter_map(|p| match p {
        Panel::Histogram(h) => Some(h),
        _ => None,
    })
}

fn line_panels(panels: &[Panel]) -> impl Iterator<Item = &LinePanel> {
    panels.iter().filter_map(|p| match p {
        Panel::Lines(l) => Some(l),
        _ => None,
    })
}

/// Distinct legend entries of all histogram and line panels, in order of appearance.
pub(super) fn legend_items(panels: &[Panel]) -> Vec<(Swatch, &str)> {
    let mut out: Vec<(Swatch, &str)> = Vec::new();
    for p in panels {
        let items = match p {
            Panel::Histogram(h) => histogram::legend_items(h),
            Panel::Lines(l) => lines::legend_items(l),
            Panel::Heatmap(_) => Vec::new(),
        };
        for item in items {
            if out.len() < MAX_LEGEND && !out.contains(&item) {
                out.push(item);
            }
        }
    }
    out
}

/// Title and highlight flag of a panel.
fn title(p: &Panel) -> (&str, bool) {
    match p {
        Panel::Histogram(h) => (&h.title, h.highlight),
        Panel::Heatmap(h) => (&h.title, h.highlight),
        Panel::Lines(l) => (&l.title, l.highlight),
    }
}

/// The scales of a grid: shared ones when `shared`, otherwise each panel uses its own.
#[derive(Debug, Clone)]
pub(super) struct Scales {
    shared: bool,
    /// The heatmaps' colour scale (shared grids only).
    pub color: Option<ColorScale>,
    hist_max: f64,
    line_y: (f64, f64),
}

impl Scales {
    pub fn new(panels: &[Panel], shared: bool) -> Self {
        let line_ranges = line_panels(panels).map(lines::y_range);
        let line_y = finite_extent(line_ranges.flat_map(|(a, b)| [a, b])).unwrap_or((0.0, 1.0));
        Self {
            shared,
            color: if shared {
                ColorScale::for_panels(heatmaps(panels))
            } else {
                None
            },
            hist_max: histogram::y_max(histograms(panels)),
            line_y: sane_range(line_y, None),
        }
    }
}

/// Draws one cell at `(x0, y0)` of size `w × h`: frame and title, then the panel.
pub(super) fn draw(
    root: &Area,
    panel: &Panel,
    (x0, y0, w, h): (i32, i32, i32, i32),
    title_px: f64,
    scales: &Scales,
    style: &AxesStyle,
) -> anyhow::Result<()> {
    let (title, highlight) = title(panel);
    if highlight {
        root.draw(&Rectangle::new(
            [(x0 + 2, y0 + 2), (x0 + w - 3, y0 + h - 3)],
            HIGHLIGHT.stroke_width(2),
        ))
        .ctx("drawing the highlight frame")?;
    }
    let color = if highlight { HIGHLIGHT_TEXT } else { TEXT };
    let text = truncate_to_width(title, title_px, (w - 16).max(8) as u32);
    let txt = Txt::new(title_px, color, HPos::Center);
    draw_line(root, &text, (x0 + w / 2, y0 + 6), txt)?;
    let top = title_height(title_px);
    let area = root.clone().shrink(
        (x0 + 4, y0 + top),
        ((w - 8).max(10) as u32, (h - top - 6).max(10) as u32),
    );
    match panel {
        Panel::Histogram(p) => {
            let max = if scales.shared {
                scales.hist_max
            } else {
                histogram::y_max([p])
            };
            histogram::draw_panel(&area, p, max, style)
        }
        Panel::Lines(p) => {
            let y = if scales.shared {
                scales.line_y
            } else {
                lines::y_range(p)
            };
            lines::draw_panel(&area, p, y, style)
        }
        Panel::Heatmap(p) => {
            if scales.shared {
                heatmap::draw_panel(&area, p, scales.color.as_ref(), style, false)
            } else {
                let own = ColorScale::for_panels([p]);
                heatmap::draw_panel(&area, p, own.as_ref(), style, true)
            }
        }
    }
}

/// Height (px) of a cell's title row.
pub(super) fn title_height(title_px: f64) -> i32 {
    12 + title_px.round() as i32
}
