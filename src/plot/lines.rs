//! Line charts (`FigureSpec::Lines`, also grid panels): curves on shared axes, e.g. the
//! cumulative share of the leader's votes as stations are sorted by turnout.
//!
//! Each series is a 2 px polyline in the series colours (dashed when asked), clipped to the
//! plot; non-finite points break a line. Long series (one point per station) are reduced to
//! the pixels they touch before drawing. The axes are the spec's ranges; an unusable range is
//! replaced by the data's extent.

use super::axes::{AxesStyle, YSpec};
use super::draw::{polyline, Stroke};
use super::legend::Swatch;
use super::marks::{self, series_color};
use super::page::Page;
use super::scale::{finite_extent, sane_range};
use super::Area;
use crate::figure::LinePanel;

/// Stand-alone page size and axes.
const PAGE: (u32, u32) = (1000, 620);
pub(super) const STANDALONE: AxesStyle = AxesStyle {
    tick_px: 15.0,
    desc_px: Some(18.0),
    margin_top: 14,
    margin_right: 18,
};
/// Dash and gap lengths (px) of dashed series.
const DASH: (f64, f64) = (8.0, 5.0);

/// The x range: the spec's, else the points' and markers' extent.
fn x_range(p: &LinePanel) -> (f64, f64) {
    let xs = p.series.iter().flat_map(|s| s.points.iter().map(|q| q.0));
    let data = finite_extent(xs.chain(p.markers.iter().map(|m| m.x)));
    sane_range(p.x_range, data)
}

/// The y range: the spec's, else the points' extent.
pub(super) fn y_range(p: &LinePanel) -> (f64, f64) {
    let data = finite_extent(p.series.iter().flat_map(|s| s.points.iter().map(|q| q.1)));
    sane_range(p.y_range, data)
}

/// Legend entries of the named series.
pub(super) fn legend_items(p: &LinePanel) -> Vec<(Swatch, &str)> {
    p.series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.name.trim().is_empty())
        .map(|(i, s)| (Swatch::Line(series_color(i), s.dashed), s.name.as_str()))
        .collect()
}

/// The stand-alone page of a line chart.
pub(super) fn page(p: &LinePanel) -> Page {
    Page::new(PAGE, &p.title, &p.caption, &legend_items(p), p.highlight)
}

/// Draws the panel filling `area` on the y range `y` (the panel's own or a shared one).
pub(super) fn draw_panel(
    area: &Area,
    p: &LinePanel,
    y: (f64, f64),
    style: &AxesStyle,
) -> anyhow::Result<()> {
    let plot = marks::layout_with_markers(
        area.dim_in_pixel(),
        x_range(p),
        YSpec::Range(y.0, y.1),
        &p.markers,
        style,
    );
    plot.draw_grid(area, true, true)?;
    let clip = (plot.left, plot.top, plot.right, plot.bottom);
    let mut any = false;
    for (i, s) in p.series.iter().enumerate() {
        let mut px: Vec<(f64, f64)> = Vec::with_capacity(s.points.len().min(4 * 4096));
        for &(x, y) in &s.points {
            let q = if x.is_finite() && y.is_finite() {
                any = true;
                (plot.px(x), plot.py(y))
            } else {
                (f64::NAN, f64::NAN)
            };
            // Keep a point only when it moves to another pixel (or breaks the line).
            let same_pixel = px.last().is_some_and(|l: &(f64, f64)| {
                l.0.round() == q.0.round() && l.1.round() == q.1.round()
            });
            if !same_pixel {
                px.push(q);
            }
        }
        let stroke = Stroke {
            color: series_color(i),
            width: 2,
            dash: s.dashed.then_some(DASH),
        };
        polyline(area, &px, clip, stroke)?;
    }
    marks::draw(area, &plot, &p.markers, style)?;
    plot.draw_axes(area, style, (&p.x_label, &p.y_label), false)?;
    if !any {
        plot.draw_no_data(area, style)?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::figure::samples::cumulative_panel;
    use crate::figure::FigureSpec;
    use crate::plot::render_png;
    use crate::plot::tests::{png_size, TempDir};

    #[test]
    fn renders_at_page_size_even_with_many_points() {
        let dir = TempDir::new("lines");
        let path = dir.join("l.png");
        let start = std::time::Instant::now();
        render_png(&FigureSpec::Lines(cumulative_panel(100_000)), &path).expect("render");
        assert!(start.elapsed().as_secs_f64() < 5.0, "{:?}", start.elapsed());
        assert_eq!(png_size(&path), PAGE);
    }

    #[test]
    fn degenerate_lines_render_without_panic() {
        let dir = TempDir::new("lines-degenerate");
        let mut cases = Vec::new();
        let mut empty = cumulative_panel(3);
        empty.series.clear();
        empty.x_range = (5.0, 5.0);
        cases.push(empty);
        let mut nan = cumulative_panel(10);
        nan.series[0].points[3] = (f64::NAN, 1.0);
        nan.series[1].points = vec![(50.0, 50.0)];
        nan.series[2].points.clear();
        nan.y_range = (f64::NAN, f64::INFINITY);
        nan.title = "Participación y votos acumulados — ".repeat(8);
        nan.highlight = true;
        cases.push(nan);
        let mut outside = cumulative_panel(10);
        outside.y_range = (40.0, 50.0); // most points outside: clipped
        outside.series[0].name = "a very long series name ".repeat(12);
        cases.push(outside);
        let mut all_nan = cumulative_panel(2);
        for s in &mut all_nan.series {
            s.points = vec![(f64::NAN, f64::NAN); 3];
        }
        all_nan.x_range = (f64::NAN, f64::NAN);
        cases.push(all_nan);
        let mut huge = cumulative_panel(5);
        huge.series[0].points = vec![(-1e308, 1e308), (1e308, -1e308), (50.0, 1e300)];
        huge.x_range = (-1e308, 1e308);
        huge.y_range = (f64::MIN, f64::MAX);
        cases.push(huge);
        for (i, p) in cases.into_iter().enumerate() {
            let path = dir.join(&format!("d{i}.png"));
            render_png(&FigureSpec::Lines(p), &path).expect("render");
            assert!(png_size(&path).1 >= PAGE.1);
        }
    }

    #[test]
    fn ranges_fall_back_to_the_data() {
        let mut p = cumulative_panel(10);
        assert_eq!(x_range(&p), (30.0, 100.0));
        p.x_range = (f64::NAN, 0.0);
        p.y_range = (1.0, 1.0);
        assert_eq!(x_range(&p), (30.0, 100.0));
        let (lo, hi) = y_range(&p);
        assert!(lo < 1.0 && hi > 99.0, "{lo}..{hi}");
        p.series.clear();
        assert_eq!(y_range(&p), (0.99, 1.01));
    }
}
