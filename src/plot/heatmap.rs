//! Heatmaps (`FigureSpec::Heatmap`, also grid panels): a 2D histogram such as the election
//! fingerprint (turnout × leader's share), colour = count on a log scale, empty cells white.
//!
//! The plot is square. Cells are pixel rectangles tiling it exactly; when a panel has more
//! cells than pixels, cells sharing a pixel are merged and the largest count shows. Colours
//! and the colour bar beside the plot come from `colorbar.rs`.

use anyhow::bail;

use super::axes::{AxesStyle, Plot, YSpec};
use super::colorbar::{ColorScale, BAR_GAP};
use super::draw::fill_rect;
use super::page::Page;
use super::scale::sane_range;
use super::Area;
use crate::figure::HeatmapPanel;

/// More cells than this are refused.
const MAX_CELLS: usize = 16_000_000;

/// Stand-alone page size and axes.
const PAGE: (u32, u32) = (900, 860);
pub(super) const STANDALONE: AxesStyle = AxesStyle {
    tick_px: 15.0,
    desc_px: Some(18.0),
    margin_top: 10,
    margin_right: 8,
};

/// Refuses specs whose counts do not fill the nx × ny grid.
pub(super) fn check(p: &HeatmapPanel) -> anyhow::Result<()> {
    match p.nx.checked_mul(p.ny) {
        Some(cells) if cells == p.counts.len() && cells <= MAX_CELLS => Ok(()),
        Some(cells) if cells > MAX_CELLS => {
            bail!("heatmap \"{}\" has {cells} cells (at most {MAX_CELLS})", p.title)
        }
        _ => bail!(
            "heatmap \"{}\" has {} counts for {} × {} cells (counts must have nx·ny entries, row by row)",
            p.title,
            p.counts.len(),
            p.nx,
            p.ny
        ),
    }
}

/// The stand-alone page of a heatmap (no legend: the colour bar explains the colours).
pub(super) fn page(p: &HeatmapPanel) -> Page {
    Page::new(PAGE, &p.title, &p.caption, &[], p.highlight)
}

/// The panel's value ranges (the cell indices when a range is unusable).
fn ranges(p: &HeatmapPanel) -> ((f64, f64), (f64, f64)) {
    (
        sane_range(p.x_range, Some((0.0, p.nx as f64))),
        sane_range(p.y_range, Some((0.0, p.ny as f64))),
    )
}

/// Lays out the square plot of a panel, keeping `reserve` px free on the right.
pub(super) fn layout(
    area_dim: (u32, u32),
    p: &HeatmapPanel,
    style: &AxesStyle,
    reserve: i32,
) -> Plot {
    let (xr, yr) = ranges(p);
    Plot::layout(area_dim, xr, YSpec::Range(yr.0, yr.1), style, reserve, true)
}

/// Draws the panel filling `area` with colours from `scale` (`None`: nothing to colour); with
/// `own_bar` the colour bar is drawn right of the plot.
pub(super) fn draw_panel(
    area: &Area,
    p: &HeatmapPanel,
    scale: Option<&ColorScale>,
    style: &AxesStyle,
    own_bar: bool,
) -> anyhow::Result<()> {
    check(p)?;
    let desc_px = style.desc_px.unwrap_or(style.tick_px);
    let reserve = match scale {
        Some(s) if own_bar => s.room(style.tick_px, desc_px),
        _ => 0,
    };
    let plot = layout(area.dim_in_pixel(), p, style, reserve);
    plot.draw_grid(area, true, true)?;
    if let Some(scale) = scale {
        draw_cells(area, &plot, p, scale)?;
        if own_bar {
            let at = (plot.right + BAR_GAP, plot.top, plot.bottom);
            scale.draw(area, at, &p.color_label, (style.tick_px, desc_px))?;
        }
    }
    plot.draw_axes(area, style, (&p.x_label, &p.y_label), true)?;
    if scale.is_none() {
        plot.draw_no_data(area, style)?;
    }
    Ok(())
}

/// Fills the non-empty cells, merging cells that share a pixel (largest count shows).
fn draw_cells(
    area: &Area,
    plot: &Plot,
    p: &HeatmapPanel,
    scale: &ColorScale,
) -> anyhow::Result<()> {
    let (w, h) = (plot.width().max(1) as usize, plot.height().max(1) as usize);
    let (dnx, dny) = (p.nx.min(w), p.ny.min(h));
    if dnx == 0 || dny == 0 {
        return Ok(());
    }
    let mut shown = vec![f64::NAN; dnx * dny];
    for (i, &v) in p.counts.iter().enumerate() {
        if !(v.is_finite() && v > 0.0) {
            continue;
        }
        let (row, col) = (i / p.nx, i % p.nx);
        let at = (row * dny / p.ny) * dnx + col * dnx / p.nx;
        if shown[at].is_nan() || shown[at] < v {
            shown[at] = v;
        }
    }
    let x_edge = |c: usize| plot.left + (c * w / dnx) as i32;
    let y_edge = |r: usize| plot.bottom - (r * h / dny) as i32;
    for (i, &v) in shown.iter().enumerate() {
        if let Some(color) = scale.color(v) {
            let (row, col) = (i / dnx, i % dnx);
            fill_rect(
                area,
                (x_edge(col), y_edge(row + 1)),
                (x_edge(col + 1), y_edge(row)),
                color,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::figure::samples::fingerprint;
    use crate::figure::FigureSpec;
    use crate::plot::render_png;
    use crate::plot::tests::{png_size, TempDir};

    #[test]
    fn fingerprint_renders_fast_and_square() {
        let dir = TempDir::new("heat");
        let path = dir.join("fp.png");
        let start = std::time::Instant::now();
        render_png(
            &FigureSpec::Heatmap(fingerprint("Fingerprint", 20_000.0, true)),
            &path,
        )
        .expect("render");
        assert!(start.elapsed().as_secs_f64() < 5.0, "{:?}", start.elapsed());
        assert_eq!(png_size(&path), PAGE);
    }

    #[test]
    fn wrong_cell_count_is_an_error() {
        let dir = TempDir::new("heat-bad");
        let mut p = fingerprint("bad", 10.0, false);
        p.counts.pop();
        let err = render_png(&FigureSpec::Heatmap(p.clone()), &dir.join("x.png"));
        assert!(format!("{:#}", err.expect_err("bad")).contains("9999 counts"));
        p.nx = usize::MAX;
        p.ny = 3;
        assert!(render_png(&FigureSpec::Heatmap(p), &dir.join("x.png")).is_err());
    }

    #[test]
    fn degenerate_heatmaps_render_without_panic() {
        let dir = TempDir::new("heat-degenerate");
        let mut cases = Vec::new();
        let mut zeros = fingerprint("all zero", 0.0, false);
        zeros.x_range = (50.0, 50.0);
        zeros.y_range = (f64::NAN, 1.0);
        cases.push(zeros);
        let mut empty = fingerprint("", 1.0, false);
        (empty.nx, empty.ny, empty.counts) = (0, 0, vec![]);
        cases.push(empty);
        let mut nan = fingerprint(&"Región Metropolitana de Santiago ".repeat(5), 5e4, true);
        nan.counts[0] = f64::NAN;
        nan.counts[1] = f64::INFINITY;
        nan.counts[2] = -3.0;
        nan.counts[3] = 1e-30;
        nan.counts[4] = 1e300;
        nan.x_range = (-1e308, 1e308);
        nan.highlight = true;
        cases.push(nan);
        let mut huge = fingerprint("many cells", 1.0, false);
        (huge.nx, huge.ny) = (2000, 5);
        cases.push(huge);
        for (i, p) in cases.into_iter().enumerate() {
            let path = dir.join(&format!("d{i}.png"));
            render_png(&FigureSpec::Heatmap(p), &path).expect("render");
            assert!(png_size(&path).1 >= PAGE.1);
        }
    }
}
