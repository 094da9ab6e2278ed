//! Grids of continuous panels (`FigureSpec::Grid`): regional small multiples, or an observed
//! fingerprint beside a fitted model's.
//!
//! Columns = the panel count up to 3, else ceil(sqrt(n)) capped at 6; cells shrink from 760 px
//! (one panel; 640 px for heatmaps) to 270 px (six columns) and are square-ish when a heatmap
//! is among them. On top: the title and the legend of the histogram/line series; at the
//! bottom the wrapped caption. When every panel has the same axis descriptions they are drawn once, left of and under the
//! grid; otherwise each panel has its own. With `shared_scale` heatmaps share one colour scale
//! (one colour bar right of the grid) and histograms and line charts share their y axis;
//! without it every panel has its own scale (and every heatmap its own colour bar).
//! Highlighted panels get an orange frame and an orange title, like the bar-chart grids.

use anyhow::bail;
use plotters::style::text_anchor::HPos;

use super::axes::AxesStyle;
use super::colorbar::ColorScale;
use super::grid_cell::{self, heatmaps, labels, legend_items, Scales};
use super::legend::{self, Swatch};
use super::text::{draw_block, draw_line, fit_lines, truncate_to_width, Txt};
use super::{heatmap, histogram, Area, AXIS, SOFT_TEXT, TEXT};
use crate::figure::{HeatmapPanel, Panel};

/// More panels than this would make an unreadably large image; callers should split them.
const MAX_PANELS: usize = 400;
const MAX_COLUMNS: usize = 6;
/// Cell width by column count (index = columns − 1), for grids without and with heatmaps
/// (a square heatmap plot needs less width when alone).
const CELL_W: [u32; MAX_COLUMNS] = [760, 500, 380, 320, 290, 270];
const HEAT_CELL_W: [u32; MAX_COLUMNS] = [640, 500, 380, 320, 290, 270];
/// Left margin holding the shared rotated y description, and the margin without it.
const LEFT_SHARED: i32 = 56;
const LEFT_OWN: i32 = 16;
const RIGHT: i32 = 24;
/// Extra gap between the grid and a shared colour bar (clear of highlight frames).
const BAR_OFFSET: i32 = 10;
const TITLE_PX: f64 = 24.0;
const TITLE_LINE: i32 = 32;
const LEGEND_PX: f64 = 15.0;
const AXIS_DESC_PX: f64 = 16.0;
const CAPTION_PX: f64 = 16.0;
const CAPTION_LINE: i32 = 22;
const MAX_CAPTION_LINES: usize = 12;
const MAX_CAPTION_W: u32 = 1000;

/// Grid geometry, shared scales and pre-wrapped text.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    title: Vec<String>,
    caption: Vec<String>,
    legend: Vec<Vec<(Swatch, String)>>,
    cols: usize,
    rows: usize,
    cell_w: u32,
    cell_h: u32,
    left: i32,
    grid_top: i32,
    width: u32,
    height: u32,
    /// Axis descriptions drawn once for the whole grid.
    shared_desc: bool,
    scales: Scales,
}

/// Tick, panel title and own axis description sizes for the column count.
fn font_px(cols: usize) -> (f64, f64) {
    if cols >= 4 {
        (12.0, 14.0)
    } else {
        (14.0, 16.0)
    }
}

impl Layout {
    pub fn new(
        title: &str,
        caption: &str,
        shared_scale: bool,
        panels: &[Panel],
    ) -> anyhow::Result<Self> {
        let n = panels.len();
        if n > MAX_PANELS {
            bail!("{n} panels are too many for one grid figure (max {MAX_PANELS})");
        }
        for p in panels {
            match p {
                Panel::Histogram(h) => histogram::check(h)?,
                Panel::Heatmap(h) => heatmap::check(h)?,
                Panel::Lines(_) => {}
            }
        }
        let cols = if n <= 3 {
            n.max(1)
        } else {
            ((n as f64).sqrt().ceil() as usize).min(MAX_COLUMNS)
        };
        let rows = n.div_ceil(cols).max(1);
        let shared_desc = panels.windows(2).all(|w| labels(&w[0]) == labels(&w[1]));
        let (tick_px, title_px) = font_px(cols);
        let desc_extra = if shared_desc { 0 } else { 24 };
        let any_heat = heatmaps(panels).next().is_some();
        // Heatmaps with their own colour bar need room for it in every cell.
        let own_bar = if any_heat && !shared_scale {
            heatmaps(panels)
                .filter_map(|h| ColorScale::for_panels([h]))
                .map(|s| s.room(tick_px, tick_px))
                .max()
                .unwrap_or(0)
        } else {
            0
        };
        let base_w = if any_heat { HEAT_CELL_W } else { CELL_W }[cols - 1];
        let cell_w = base_w + own_bar as u32 + desc_extra;
        let title_h = grid_cell::title_height(title_px) as u32;
        let cell_h = if any_heat {
            // A square plot of the base width minus the y labels, plus x labels and title.
            base_w + title_h + desc_extra - 14
        } else {
            ((f64::from(base_w) * 0.72).round() as u32).clamp(230, 420) + desc_extra
        };
        let scales = Scales::new(panels, shared_scale);
        let bar_room = scales
            .color
            .as_ref()
            .map_or(0, |s| s.room(tick_px + 1.0, AXIS_DESC_PX) + BAR_OFFSET);
        let left = if shared_desc { LEFT_SHARED } else { LEFT_OWN };
        let grid_w = cols as u32 * cell_w;
        let width = (left + RIGHT + bar_room) as u32 + grid_w;
        let text_w = width - 2 * RIGHT as u32;
        let title = fit_lines(title, TITLE_PX, text_w, 2);
        let caption = fit_lines(
            caption,
            CAPTION_PX,
            text_w.min(MAX_CAPTION_W),
            MAX_CAPTION_LINES,
        );
        let legend = legend::rows(&legend_items(panels), text_w, LEGEND_PX);
        let grid_top = 14
            + title.len().max(1) as i32 * TITLE_LINE
            + 4
            + legend::rows_height(legend.len(), LEGEND_PX)
            + 10;
        let below = if shared_desc { 30 } else { 12 } + caption.len() as i32 * CAPTION_LINE + 14;
        let height = grid_top as u32 + rows as u32 * cell_h + below as u32;
        Ok(Self {
            title,
            caption,
            legend,
            cols,
            rows,
            cell_w,
            cell_h,
            left,
            grid_top,
            width,
            height,
            shared_desc,
            scales,
        })
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

/// Draws the whole grid figure on `root` (already filled white, sized by `layout`).
pub(super) fn draw(root: &Area, layout: &Layout, panels: &[Panel]) -> anyhow::Result<()> {
    let center = layout.width as i32 / 2;
    let title_txt = Txt::new(TITLE_PX, TEXT, HPos::Center);
    draw_block(root, &layout.title, (center, 14), TITLE_LINE, title_txt)?;
    let legend_top = 14 + layout.title.len().max(1) as i32 * TITLE_LINE + 4;
    legend::draw_rows(root, &layout.legend, center, legend_top, LEGEND_PX)?;

    let grid_w = layout.cols as i32 * layout.cell_w as i32;
    let grid_h = layout.rows as i32 * layout.cell_h as i32;
    let grid_bottom = layout.grid_top + grid_h;
    let (tick_px, title_px) = font_px(layout.cols);
    if panels.is_empty() {
        let note = Txt::new(AXIS_DESC_PX, AXIS, HPos::Center);
        let at = (layout.left + grid_w / 2, layout.grid_top + grid_h / 2);
        draw_line(root, "no panels to show", at, note)?;
    } else if layout.shared_desc {
        let (x_label, y_label) = labels(&panels[0]);
        let x_text = truncate_to_width(x_label, AXIS_DESC_PX, grid_w as u32);
        let x_desc = Txt::new(AXIS_DESC_PX, TEXT, HPos::Center);
        draw_line(
            root,
            &x_text,
            (layout.left + grid_w / 2, grid_bottom + 4),
            x_desc,
        )?;
        let y_text = truncate_to_width(y_label, AXIS_DESC_PX, grid_h.max(40) as u32);
        let y_desc = Txt::new(AXIS_DESC_PX, TEXT, HPos::Center).rotated();
        draw_line(root, &y_text, (10, layout.grid_top + grid_h / 2), y_desc)?;
    }

    let style = AxesStyle {
        tick_px,
        desc_px: (!layout.shared_desc).then_some(tick_px + 1.0),
        margin_top: 6,
        margin_right: 10,
    };
    let title_h = grid_cell::title_height(title_px);
    for (i, panel) in panels.iter().enumerate() {
        let (r, c) = (i / layout.cols, i % layout.cols);
        let x0 = layout.left + c as i32 * layout.cell_w as i32;
        let y0 = layout.grid_top + r as i32 * layout.cell_h as i32;
        let cell = (x0, y0, layout.cell_w as i32, layout.cell_h as i32);
        grid_cell::draw(root, panel, cell, title_px, &layout.scales, &style)?;
    }
    if let (Some(scale), Some(first)) = (&layout.scales.color, heatmaps(panels).next()) {
        draw_shared_bar(root, layout, scale, first, &style, title_h)?;
    }

    let caption_top = grid_bottom + if layout.shared_desc { 30 } else { 12 };
    let caption_txt = Txt::new(CAPTION_PX, SOFT_TEXT, HPos::Left);
    draw_block(
        root,
        &layout.caption,
        (RIGHT, caption_top),
        CAPTION_LINE,
        caption_txt,
    )?;
    Ok(())
}

/// The shared colour bar right of the grid, level with the first row's plots (and reaching
/// a little further down when there are several rows).
fn draw_shared_bar(
    root: &Area,
    layout: &Layout,
    scale: &ColorScale,
    first: &HeatmapPanel,
    style: &AxesStyle,
    title_h: i32,
) -> anyhow::Result<()> {
    let (w, h) = (layout.cell_w as i32, layout.cell_h as i32);
    let cell_dim = ((w - 8) as u32, (h - title_h - 6) as u32);
    let plot = heatmap::layout(cell_dim, first, style, 0);
    let top = layout.grid_top + title_h + plot.top;
    let grid_h = layout.rows as i32 * h;
    let height = if layout.rows == 1 {
        plot.height()
    } else {
        (plot.height() * 3 / 2)
            .max(240)
            .min(grid_h - title_h - plot.top - 20)
    };
    let x = layout.left + layout.cols as i32 * w + BAR_OFFSET;
    let label = &first.color_label;
    scale.draw(
        root,
        (x, top, top + height),
        label,
        (style.tick_px + 1.0, AXIS_DESC_PX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::samples::cumulative_panel;
    use crate::figure::samples::fingerprint;
    use crate::figure::samples::turnout_panel;
    use crate::figure::FigureSpec;
    use crate::plot::render_png;
    use crate::plot::tests::{png_size, TempDir};

    fn grid(panels: Vec<Panel>, shared_scale: bool) -> (FigureSpec, (u32, u32)) {
        let (title, caption) = ("Turnout by region", "Each panel is one region.");
        let size = Layout::new(title, caption, shared_scale, &panels)
            .expect("layout")
            .size();
        let fig = FigureSpec::Grid {
            title: title.into(),
            caption: caption.into(),
            shared_scale,
            panels,
        };
        (fig, size)
    }

    #[test]
    fn columns_grow_with_the_panel_count() {
        let heat = |n: usize| {
            let panels: Vec<Panel> = (0..n)
                .map(|i| Panel::Heatmap(fingerprint(&format!("r{i}"), 10.0, false)))
                .collect();
            Layout::new("t", "c", true, &panels).expect("layout")
        };
        assert_eq!((heat(1).cols, heat(1).rows), (1, 1));
        assert_eq!((heat(2).cols, heat(2).rows), (2, 1));
        assert_eq!((heat(12).cols, heat(12).rows), (4, 3));
        assert_eq!((heat(48).cols, heat(48).rows), (6, 8));
        assert!(heat(48).size().0 < 2000);
        let too_many: Vec<Panel> = (0..MAX_PANELS + 1)
            .map(|_| Panel::Lines(cumulative_panel(2)))
            .collect();
        assert!(Layout::new("t", "c", false, &too_many).is_err());
    }

    #[test]
    fn shared_and_own_scales_render() {
        let dir = TempDir::new("panel-grid");
        for (n, shared) in [(1usize, true), (2, false), (5, true), (48, false)] {
            let panels: Vec<Panel> = (0..n)
                .map(|i| {
                    let mut p = fingerprint(
                        &format!("Región {i} (n = {})", 1000 * i),
                        50.0 * (i + 1) as f64,
                        i % 5 == 1,
                    );
                    p.highlight = i % 7 == 3;
                    Panel::Heatmap(p)
                })
                .collect();
            let (fig, size) = grid(panels, shared);
            let path = dir.join(&format!("g{n}-{shared}.png"));
            render_png(&fig, &path).expect("render");
            assert_eq!(png_size(&path), size);
        }
    }

    #[test]
    fn mixed_and_degenerate_grids_render() {
        let dir = TempDir::new("panel-grid-mixed");
        let mut empty_hist = turnout_panel(10, false);
        empty_hist.series.clear();
        let mut zero_heat = fingerprint("zero", 0.0, false);
        zero_heat.x_range = (1.0, 1.0);
        let cases = [
            vec![],
            vec![
                Panel::Histogram(turnout_panel(1000, true)),
                Panel::Heatmap(fingerprint("fp", 1e4, true)),
                Panel::Lines(cumulative_panel(50)),
                Panel::Histogram(empty_hist),
                Panel::Heatmap(zero_heat),
            ],
            (0..9)
                .map(|i| Panel::Histogram(turnout_panel(100 + i, i == 4)))
                .collect(),
        ];
        for (i, panels) in cases.into_iter().enumerate() {
            for shared in [true, false] {
                let (fig, size) = grid(panels.clone(), shared);
                let path = dir.join(&format!("m{i}-{shared}.png"));
                render_png(&fig, &path).expect("render");
                assert_eq!(png_size(&path), size);
            }
        }
        let mut bad = fingerprint("bad", 1.0, false);
        bad.counts.truncate(10);
        let (fig, _) = grid(vec![Panel::Heatmap(fingerprint("ok", 1.0, false))], true);
        assert!(render_png(&fig, &dir.join("ok.png")).is_ok());
        let err = Layout::new("t", "c", true, &[Panel::Heatmap(bad)]);
        assert!(err.is_err());
    }
}
