//! Histograms (`FigureSpec::Histogram`, also grid panels): counts over equal-width bins.
//!
//! The first series is filled in the bar charts' blue. Bins are drawn as pixel columns without
//! gaps between them (a thin white gap only when a bin is at least `GAP_MIN_PX` wide), and a
//! bin narrower than a pixel shares its column with its neighbours, the tallest showing: at
//! 0.1 % bins (1,000 bins on ~900 px) the histogram reads as a filled area whose single-bin
//! spikes (e.g. at whole percentages) stay visible. A non-zero bin is at least one pixel tall.
//! Later series are step outlines (2 px) in the series colours; markers are dashed verticals.
//! The y axis starts at 0 and labels counts with thousands separators.

use anyhow::bail;

use super::axes::{AxesStyle, Plot, YSpec};
use super::draw::{fill_rect, polyline, Stroke};
use super::legend::Swatch;
use super::marks::{self, series_color};
use super::page::Page;
use super::scale::{finite_extent, sane_range};
use super::{Area, OBSERVED};
use crate::figure::HistogramPanel;

/// More bins than this are refused (a spec bug, and a waste of memory).
const MAX_BINS: usize = 10_000_000;
/// Bins at least this wide (px) are separated by a one-pixel white gap, like bars.
const GAP_MIN_PX: i32 = 6;

/// Stand-alone page size and axes.
const PAGE: (u32, u32) = (1000, 620);
pub(super) const STANDALONE: AxesStyle = AxesStyle {
    tick_px: 15.0,
    desc_px: Some(18.0),
    margin_top: 14,
    margin_right: 18,
};

/// Refuses specs that cannot be drawn: bins without a finite start and positive width.
pub(super) fn check(p: &HistogramPanel) -> anyhow::Result<()> {
    let n = bins(p);
    if n > MAX_BINS {
        bail!(
            "histogram \"{}\" has {n} bins (at most {MAX_BINS})",
            p.title
        );
    }
    if n > 0 && !(p.x_min.is_finite() && p.bin_width.is_finite() && p.bin_width > 0.0) {
        bail!(
            "histogram \"{}\": bins start at {} with width {}; both must be finite and the width positive",
            p.title,
            p.x_min,
            p.bin_width
        );
    }
    Ok(())
}

/// Number of bins (the longest series).
fn bins(p: &HistogramPanel) -> usize {
    p.series.iter().map(|s| s.counts.len()).max().unwrap_or(0)
}

/// Largest finite count of all panels (the shared or own y scale), 0 when none.
pub(super) fn y_max<'a>(panels: impl IntoIterator<Item = &'a HistogramPanel>) -> f64 {
    panels
        .into_iter()
        .flat_map(|p| p.series.iter().flat_map(|s| s.counts.iter().copied()))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// The x range: the bins; without bins 0..100 (percentages, the usual case) widened to the
/// markers.
fn x_range(p: &HistogramPanel) -> (f64, f64) {
    let n = bins(p);
    if n == 0 {
        let xs = p.markers.iter().map(|m| m.x).chain([0.0, 100.0]);
        return sane_range(finite_extent(xs).unwrap_or((0.0, 100.0)), None);
    }
    sane_range((p.x_min, p.x_min + n as f64 * p.bin_width), None)
}

/// Legend entries of the named series.
pub(super) fn legend_items(p: &HistogramPanel) -> Vec<(Swatch, &str)> {
    p.series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.name.trim().is_empty())
        .map(|(i, s)| {
            let swatch = if i == 0 {
                Swatch::Bar(OBSERVED)
            } else {
                Swatch::Line(series_color(i), false)
            };
            (swatch, s.name.as_str())
        })
        .collect()
}

/// The stand-alone page of a histogram.
pub(super) fn page(p: &HistogramPanel) -> Page {
    Page::new(PAGE, &p.title, &p.caption, &legend_items(p), p.highlight)
}

/// Draws the panel (axes, bins, outlines, markers) filling `area`, on a 0-based y axis
/// reaching a little above `y_max`.
pub(super) fn draw_panel(
    area: &Area,
    p: &HistogramPanel,
    y_max: f64,
    style: &AxesStyle,
) -> anyhow::Result<()> {
    let plot = marks::layout_with_markers(
        area.dim_in_pixel(),
        x_range(p),
        YSpec::FromZero(y_max),
        &p.markers,
        style,
    );
    plot.draw_grid(area, true, false)?;
    let has_data = p
        .series
        .iter()
        .any(|s| s.counts.iter().any(|c| c.is_finite() && *c > 0.0));
    if has_data {
        // Bin edges in pixels, shared by all series.
        let n = bins(p);
        let edges: Vec<i32> = (0..=n)
            .map(|i| plot.px(p.x_min + i as f64 * p.bin_width).round() as i32)
            .collect();
        if let Some(main) = p.series.first() {
            draw_filled(area, &plot, &main.counts, &edges)?;
        }
        for (i, s) in p.series.iter().enumerate().skip(1) {
            draw_outline(area, &plot, &s.counts, &edges, series_color(i))?;
        }
    }
    marks::draw(area, &plot, &p.markers, style)?;
    plot.draw_axes(area, style, (&p.x_label, &p.y_label), false)?;
    if !has_data {
        plot.draw_no_data(area, style)?;
    }
    Ok(())
}

/// The main series: one pixel column range per bin, filled from 0 to the count.
fn draw_filled(area: &Area, plot: &Plot, counts: &[f64], edges: &[i32]) -> anyhow::Result<()> {
    for (i, &c) in counts.iter().enumerate() {
        if !(c.is_finite() && c > 0.0) {
            continue;
        }
        let x0 = edges[i].clamp(plot.left, plot.right);
        let mut x1 = edges[i + 1].clamp(plot.left, plot.right);
        if x1 - x0 >= GAP_MIN_PX {
            x1 -= 1;
        }
        let x1 = x1.max(x0 + 1).min(plot.right);
        let top = plot.py_clamped(c).min(plot.bottom - 1);
        fill_rect(area, (x0, top), (x1, plot.bottom), OBSERVED)?;
    }
    Ok(())
}

/// A later series: the step outline through its bin tops (breaks at non-finite counts).
fn draw_outline(
    area: &Area,
    plot: &Plot,
    counts: &[f64],
    edges: &[i32],
    color: plotters::style::RGBColor,
) -> anyhow::Result<()> {
    let mut points = Vec::with_capacity(2 * counts.len());
    for (i, &c) in counts.iter().enumerate() {
        if c.is_finite() {
            let y = f64::from(plot.py_clamped(c.max(0.0)));
            points.push((f64::from(edges[i]), y));
            points.push((f64::from(edges[i + 1]), y));
        } else {
            points.push((f64::NAN, f64::NAN));
        }
    }
    let clip = (plot.left, plot.top, plot.right, plot.bottom);
    let stroke = Stroke {
        color,
        width: 2,
        dash: None,
    };
    polyline(area, &points, clip, stroke)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::figure::samples::turnout_panel;
    use crate::figure::{FigureSpec, Marker};
    use crate::plot::render_png;
    use crate::plot::tests::{png_size, TempDir};

    #[test]
    fn renders_100_and_1000_bins_at_page_size() {
        let dir = TempDir::new("hist");
        for bins in [100, 1000] {
            let path = dir.join(&format!("h{bins}.png"));
            let start = std::time::Instant::now();
            render_png(&FigureSpec::Histogram(turnout_panel(bins, true)), &path).expect("render");
            assert!(start.elapsed().as_secs_f64() < 5.0, "{:?}", start.elapsed());
            assert_eq!(png_size(&path), PAGE);
        }
    }

    #[test]
    fn degenerate_histograms_render_without_panic() {
        let dir = TempDir::new("hist-degenerate");
        let mut cases = Vec::new();
        let mut empty = turnout_panel(10, false);
        empty.series.clear();
        empty.title = "Участки: явка избирателей ".repeat(4);
        cases.push(empty);
        let mut zeros = turnout_panel(10, false);
        zeros.series[0].counts = vec![0.0; 10];
        zeros.series[1].counts.clear();
        cases.push(zeros);
        let mut weird = turnout_panel(50, false);
        weird.series[0].counts[3] = f64::NAN;
        weird.series[0].counts[4] = f64::INFINITY;
        weird.series[0].counts[5] = -7.0;
        weird.series[1].counts[2] = f64::NAN;
        weird.markers.push(Marker {
            x: f64::NAN,
            label: "nan".into(),
        });
        weird.markers.push(Marker {
            x: 1e9,
            label: "far away".into(),
        });
        weird.markers.push(Marker {
            x: 95.2,
            label: "a second label close to the first".into(),
        });
        cases.push(weird);
        let mut huge = turnout_panel(20, false);
        huge.series[0].counts[7] = 1e308;
        huge.series[1].counts[3] = -1e308;
        huge.x_min = -1e300;
        huge.bin_width = 1e299;
        cases.push(huge);
        let mut one = turnout_panel(1, false);
        one.highlight = true;
        cases.push(one);
        for (i, p) in cases.into_iter().enumerate() {
            let path = dir.join(&format!("d{i}.png"));
            render_png(&FigureSpec::Histogram(p), &path).expect("render");
            assert!(png_size(&path).1 >= PAGE.1);
        }
    }

    #[test]
    fn invalid_bins_are_an_error() {
        let dir = TempDir::new("hist-invalid");
        for (x_min, width) in [
            (0.0, 0.0),
            (0.0, -1.0),
            (f64::NAN, 1.0),
            (0.0, f64::INFINITY),
        ] {
            let mut p = turnout_panel(10, false);
            p.x_min = x_min;
            p.bin_width = width;
            let err = render_png(&FigureSpec::Histogram(p), &dir.join("x.png"));
            assert!(format!("{:#}", err.expect_err("invalid")).contains("width"));
        }
    }

    #[test]
    fn y_max_ignores_non_finite_counts() {
        let mut p = turnout_panel(10, false);
        p.series[0].counts = vec![1.0, f64::INFINITY, 7.0, f64::NAN];
        p.series[1].counts = vec![3.0];
        assert_eq!(y_max([&p]), 7.0);
        assert_eq!(x_range(&p), (0.0, 40.0));
    }
}
