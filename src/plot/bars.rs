//! One bar panel: observed shares as bars, the null expectation as dark markers joined by a
//! thin line, and the 95 % null band as a translucent grey box around each expectation.
//!
//! The same drawing code serves the stand-alone chart and every cell of a small-multiples grid;
//! only sizes differ (see `PanelStyle`). The y scale is passed in so that grid panels share it.
//! Missing or NaN values are skipped, values are clamped into the visible range, and a panel
//! without any finite value says "no data" instead of failing.

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::font::text_width;
use super::scale::{TickedAxis, YScale};
use super::text::{draw_block, draw_line, fit_lines, truncate_to_width, Txt};
use super::{Area, PlotCtx, AXIS, BAND_EDGE, BAND_FILL, EXPECTED, GRID, HIGHLIGHT, OBSERVED, TEXT};
use crate::figure::BarPanel;

/// Bar width as a fraction of the category slot.
const BAR_WIDTH: f64 = 0.62;
/// Band box width as a fraction of the slot (wider than the bar so its edges stay visible).
const BAND_WIDTH: f64 = 0.82;
/// Below this slot width (px) categories are "dense": the band becomes one continuous
/// unoutlined ribbon and the expectation is shown by its line only, without markers.
const DENSE_SLOT_PX: f64 = 14.0;

/// Sizes (px) of one panel's chart elements.
#[derive(Debug, Clone)]
pub(super) struct PanelStyle {
    /// Tick label font size.
    pub tick_px: f64,
    /// Axis description font size; `None` draws no axis descriptions (grid cells).
    pub axis_desc_px: Option<f64>,
    /// Empty margin above and right of the plot.
    pub margin: u32,
    /// Radius of the expectation marker.
    pub marker_radius: i32,
    /// Category labels longer than this are shortened with "…".
    pub max_label_px: u32,
}

/// Length of the tick marks.
const TICK: i32 = 4;
/// Gap between a tick mark and its label.
const TICK_GAP: i32 = 4;

/// Value `i` of `v`, NaN when missing.
fn at(v: &[f64], i: usize) -> f64 {
    v.get(i).copied().unwrap_or(f64::NAN)
}

/// True when the panel has at least one finite value to draw.
fn has_data(p: &BarPanel) -> bool {
    !p.categories.is_empty()
        && (0..p.categories.len()).any(|i| {
            at(&p.observed, i).is_finite()
                || at(&p.expected, i).is_finite()
                || (at(&p.band_low, i).is_finite() && at(&p.band_high, i).is_finite())
        })
}

/// Category tick labels (each one or two lines) and the labelling step: when a slot is wide
/// enough every category is labelled, wrapped to two lines if needed; otherwise labels are
/// single lines (shortened to `max_px`) and only every `step`-th category is labelled.
fn category_labels(
    categories: &[String],
    slot: f64,
    size: f64,
    max_px: u32,
) -> (Vec<Vec<String>>, usize) {
    let room = (slot - size * 0.6).max(0.0) as u32;
    let fits_one_line = categories
        .iter()
        .all(|c| text_width(c.trim(), size) <= room);
    if fits_one_line || f64::from(room) >= size * 3.5 {
        let labels = categories
            .iter()
            .map(|c| fit_lines(c, size, room, 2))
            .collect();
        return (labels, 1);
    }
    let labels: Vec<Vec<String>> = categories
        .iter()
        .map(|c| vec![truncate_to_width(c, size, max_px)])
        .collect();
    let widest = labels
        .iter()
        .flatten()
        .map(|l| text_width(l, size))
        .max()
        .unwrap_or(0);
    let step = ((f64::from(widest) + size * 0.8) / slot).ceil().max(1.0) as usize;
    (labels, step)
}

/// Draws the panel chart (axes, ticks, bars, band, expectation) filling `area`.
pub(super) fn draw_panel(
    area: &Area,
    panel: &BarPanel,
    y: &YScale,
    style: &PanelStyle,
) -> anyhow::Result<()> {
    let n = panel.categories.len();
    let tick_px = style.tick_px;
    let y_labels: Vec<String> = y.ticks.iter().map(|&t| y.format(t)).collect();
    let widest_y = y_labels
        .iter()
        .map(|l| text_width(l, tick_px))
        .max()
        .unwrap_or(0);
    let desc_room = |px: f64| px.round() as u32 + 10;
    let y_label_area =
        TICK as u32 + TICK_GAP as u32 + widest_y + 4 + style.axis_desc_px.map_or(0, desc_room);

    let (w, _) = area.dim_in_pixel();
    let plot_w = w.saturating_sub(y_label_area + style.margin).max(1);
    let slot = f64::from(plot_w) / n.max(1) as f64;
    let (labels, step) = category_labels(&panel.categories, slot, tick_px, style.max_label_px);
    let x_keys: Vec<f64> = (0..n).step_by(step).map(|i| i as f64).collect();
    let label_lines = labels.iter().map(Vec::len).max().unwrap_or(1).max(1) as u32;
    let line_h = (tick_px * 1.15).round() as i32;
    let x_label_area = TICK as u32
        + TICK_GAP as u32
        + label_lines * line_h as u32
        + style.axis_desc_px.map_or(0, desc_room);
    let x_max = n.max(1) as f64 - 0.5;

    let mut chart = ChartBuilder::on(area)
        .margin_top(style.margin)
        .margin_right(style.margin)
        .x_label_area_size(x_label_area)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(
            TickedAxis {
                range: -0.5..x_max,
                ticks: x_keys.clone(),
            },
            TickedAxis {
                range: 0.0..y.top,
                ticks: y.ticks.clone(),
            },
        )
        .ctx("building the chart coordinates")?;

    // Grid, axes and tick marks from plotters; labels are drawn below with correct spacing.
    let no_label = |_: &f64| String::new();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS.stroke_width(1))
        .set_all_tick_mark_size(TICK)
        .x_label_formatter(&no_label)
        .y_label_formatter(&no_label)
        .draw()
        .ctx("drawing axes")?;

    let base = area.get_base_pixel();
    let rel = |(px, py): (i32, i32)| (px - base.0, py - base.1);
    let tick_txt = |hpos| Txt::new(tick_px, TEXT, hpos);
    for &k in &x_keys {
        let (px, py) = rel(chart.backend_coord(&(k, 0.0)));
        if let Some(lines) = labels.get(k as usize) {
            draw_block(
                area,
                lines,
                (px, py + TICK + TICK_GAP),
                line_h,
                tick_txt(HPos::Center),
            )?;
        }
    }
    for (&t, label) in y.ticks.iter().zip(&y_labels) {
        let (px, py) = rel(chart.backend_coord(&(-0.5, t)));
        let top = py - (0.5 * tick_px).round() as i32;
        draw_line(
            area,
            label,
            (px - TICK - TICK_GAP, top),
            tick_txt(HPos::Right),
        )?;
    }
    if let Some(px) = style.axis_desc_px {
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (x_mid, y_mid) = (
            (xr.start + xr.end) / 2 - base.0,
            (yr.start + yr.end) / 2 - base.1,
        );
        let bottom = yr.end - base.1;
        let x_desc = truncate_to_width(&panel.x_label, px, plot_w);
        let x_top = bottom + TICK + TICK_GAP + label_lines as i32 * line_h + 6;
        draw_line(
            area,
            &x_desc,
            (x_mid, x_top),
            Txt::new(px, TEXT, HPos::Center),
        )?;
        let y_desc = truncate_to_width(&panel.y_label, px, (yr.end - yr.start).max(20) as u32);
        draw_line(
            area,
            &y_desc,
            (2, y_mid),
            Txt::new(px, TEXT, HPos::Center).rotated(),
        )?;
    }

    if !has_data(panel) {
        let (px, py) = rel(chart.backend_coord(&((x_max - 0.5) / 2.0, y.top / 2.0)));
        let note = Txt::new(tick_px * 1.2, AXIS, HPos::Center);
        return draw_line(
            area,
            "no data",
            (px, py - (0.6 * tick_px).round() as i32),
            note,
        );
    }

    let dense = slot < DENSE_SLOT_PX;
    let band_width = if dense { 1.0 } else { BAND_WIDTH };
    let bar_color = if panel.highlight { HIGHLIGHT } else { OBSERVED };
    let bars = (0..n).filter_map(|i| {
        let o = at(&panel.observed, i);
        let x = i as f64;
        o.is_finite().then(|| {
            Rectangle::new(
                [
                    (x - BAR_WIDTH / 2.0, 0.0),
                    (x + BAR_WIDTH / 2.0, y.clamp(o)),
                ],
                bar_color.filled(),
            )
        })
    });
    chart.draw_series(bars).ctx("drawing bars")?;

    let bands: Vec<[(f64, f64); 2]> = (0..n)
        .filter_map(|i| {
            let (lo, hi) = (at(&panel.band_low, i), at(&panel.band_high, i));
            let x = i as f64;
            (lo.is_finite() && hi.is_finite()).then(|| {
                [
                    (x - band_width / 2.0, y.clamp(lo.min(hi))),
                    (x + band_width / 2.0, y.clamp(lo.max(hi))),
                ]
            })
        })
        .collect();
    chart
        .draw_series(bands.iter().map(|r| Rectangle::new(*r, BAND_FILL.filled())))
        .ctx("drawing the null band")?;
    if !dense {
        chart
            .draw_series(
                bands
                    .iter()
                    .map(|r| Rectangle::new(*r, BAND_EDGE.stroke_width(1))),
            )
            .ctx("drawing the null band")?;
    }

    // Expectation: a thin line through consecutive finite points, then the markers.
    let points: Vec<Option<(f64, f64)>> = (0..n)
        .map(|i| {
            let e = at(&panel.expected, i);
            e.is_finite().then(|| (i as f64, y.clamp(e)))
        })
        .collect();
    for run in points.split(|p| p.is_none()).filter(|r| r.len() > 1) {
        chart
            .draw_series(LineSeries::new(
                run.iter().flatten().copied(),
                EXPECTED.mix(if dense { 0.9 } else { 0.55 }).stroke_width(1),
            ))
            .ctx("drawing the expectation line")?;
    }
    // Dense panels only mark points that no line passes through.
    let isolated = |i: usize| {
        let known = |j: Option<usize>| j.and_then(|j| points.get(j)).is_some_and(Option::is_some);
        !known(i.checked_sub(1)) && !known(Some(i + 1))
    };
    let radius = if dense { 2 } else { style.marker_radius };
    let markers = points
        .iter()
        .enumerate()
        .filter(|&(i, _)| !dense || isolated(i))
        .filter_map(|(_, p)| p.map(|p| Circle::new(p, radius, EXPECTED.filled())));
    chart
        .draw_series(markers)
        .ctx("drawing the expectation markers")?;
    Ok(())
}
