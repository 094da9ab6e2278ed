//! Small multiples (`FigureSpec::SmallMultiples`): a grid of bar panels on one shared y scale.
//!
//! Columns = ceil(sqrt(n)) capped at 5, each cell about 320×230 px (wider and taller when there
//! are few columns, so a one-panel figure is still readable). Overall title and one legend row
//! on top, shared axis descriptions on the left and under the grid, the wrapped caption at the
//! bottom. Highlighted panels get orange bars, an orange frame and an orange title.

use anyhow::bail;
use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::bars::{self, PanelStyle};
use super::legend;
use super::scale::YScale;
use super::text::{draw_block, draw_line, fit_lines, truncate_to_width, Txt};
use super::{Area, PlotCtx, HIGHLIGHT, HIGHLIGHT_TEXT, SOFT_TEXT, TEXT};
use crate::figure::BarPanel;

const MAX_COLUMNS: usize = 5;
/// More panels than this would make an unreadably tall image; callers should split them.
const MAX_PANELS: usize = 400;
const CELL_W: u32 = 320;
const CELL_MIN_H: u32 = 230;
const CELL_MAX_H: u32 = 340;
/// Minimum width of the grid itself, so titles and legend fit even with one column.
const MIN_GRID_W: u32 = 800;
/// Left margin; holds the shared, rotated y description.
const LEFT: i32 = 56;
const RIGHT: i32 = 24;
const TITLE_PX: f64 = 24.0;
const TITLE_LINE: i32 = 32;
const LEGEND_PX: f64 = 15.0;
const AXIS_DESC_PX: f64 = 16.0;
/// Panel title and tick label sizes for dense grids (4–5 columns) and for roomier ones.
const DENSE_PX: (f64, f64) = (14.0, 12.0);
const ROOMY_PX: (f64, f64) = (16.0, 14.0);
const CAPTION_PX: f64 = 16.0;
const CAPTION_LINE: i32 = 22;
const MAX_CAPTION_LINES: usize = 12;
/// Widest caption line (px), about 120 characters.
const MAX_CAPTION_W: u32 = 1000;

/// Grid geometry and pre-wrapped text.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    title: Vec<String>,
    caption: Vec<String>,
    cols: usize,
    rows: usize,
    cell_w: u32,
    cell_h: u32,
    grid_top: i32,
    width: u32,
    height: u32,
}

impl Layout {
    pub fn new(title: &str, caption: &str, panels: &[BarPanel]) -> anyhow::Result<Self> {
        let n = panels.len();
        if n > MAX_PANELS {
            bail!("{n} panels are too many for one small-multiples figure (max {MAX_PANELS})");
        }
        let cols = ((n as f64).sqrt().ceil() as usize).clamp(1, MAX_COLUMNS);
        let rows = n.div_ceil(cols).max(1);
        let cell_w = CELL_W.max(MIN_GRID_W.div_ceil(cols as u32));
        let cell_h = ((f64::from(cell_w) * 0.72).round() as u32).clamp(CELL_MIN_H, CELL_MAX_H);
        let width = LEFT as u32 + cols as u32 * cell_w + RIGHT as u32;
        let text_w = width - 2 * RIGHT as u32;
        let title = fit_lines(title, TITLE_PX, text_w, 2);
        // Very long lines are hard to read: wide grids keep the caption to a readable measure.
        let caption_w = text_w.min(MAX_CAPTION_W);
        let caption = fit_lines(caption, CAPTION_PX, caption_w, MAX_CAPTION_LINES);
        let grid_top = 14 + title.len().max(1) as i32 * TITLE_LINE + 4 + LEGEND_PX as i32 + 14;
        let below_grid = 30 + caption.len() as i32 * CAPTION_LINE + 14;
        let height = grid_top as u32 + rows as u32 * cell_h + below_grid as u32;
        Ok(Self {
            title,
            caption,
            cols,
            rows,
            cell_w,
            cell_h,
            grid_top,
            width,
            height,
        })
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// (panel title, tick label) font sizes.
    fn font_px(&self) -> (f64, f64) {
        if self.cols >= 4 {
            DENSE_PX
        } else {
            ROOMY_PX
        }
    }
}

/// Draws the whole grid figure on `root` (already filled white, sized by `layout`).
pub(super) fn draw(root: &Area, layout: &Layout, panels: &[BarPanel]) -> anyhow::Result<()> {
    let center = layout.width as i32 / 2;
    let title_txt = Txt::new(TITLE_PX, TEXT, HPos::Center);
    draw_block(root, &layout.title, (center, 14), TITLE_LINE, title_txt)?;
    let legend_top = 14 + layout.title.len().max(1) as i32 * TITLE_LINE + 4;
    let any_hi = panels.iter().any(|p| p.highlight);
    let any_plain = panels.iter().any(|p| !p.highlight);
    // Panels of one figure share their null, so the first panel's labels speak for all.
    let (expected_text, band_text) = panels
        .first()
        .map(|p| (p.expected_label.as_str(), p.band_label.as_str()))
        .unwrap_or(("expected under null", "95% band under null"));
    let items = legend::items(
        any_plain,
        any_hi,
        "deviates (after the multiple-testing adjustment)",
        expected_text,
        band_text,
    );
    legend::draw(root, &items, center, legend_top, LEGEND_PX)?;

    let grid_w = layout.cols as i32 * layout.cell_w as i32;
    let grid_h = layout.rows as i32 * layout.cell_h as i32;
    let grid_bottom = layout.grid_top + grid_h;
    if panels.is_empty() {
        let note = Txt::new(AXIS_DESC_PX, super::AXIS, HPos::Center);
        draw_line(
            root,
            "no panels to show",
            (LEFT + grid_w / 2, layout.grid_top + grid_h / 2),
            note,
        )?;
    } else {
        draw_axis_descriptions(root, layout, &panels[0], (grid_w, grid_bottom))?;
    }

    let y_scale = YScale::for_panels(panels, 7);
    let style = PanelStyle {
        tick_px: layout.font_px().1,
        axis_desc_px: None,
        margin: 8,
        marker_radius: 3,
        max_label_px: 60,
    };
    for (i, panel) in panels.iter().enumerate() {
        let (r, c) = (i / layout.cols, i % layout.cols);
        let x0 = LEFT + c as i32 * layout.cell_w as i32;
        let y0 = layout.grid_top + r as i32 * layout.cell_h as i32;
        draw_cell(root, layout, panel, (x0, y0), &y_scale, &style)?;
    }

    let caption_top = grid_bottom + 30;
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

/// Shared x description under the grid and rotated y description left of it, taken from
/// the first panel (all panels of a grid show the same quantities).
fn draw_axis_descriptions(
    root: &Area,
    layout: &Layout,
    first: &BarPanel,
    (grid_w, grid_bottom): (i32, i32),
) -> anyhow::Result<()> {
    let x_desc = Txt::new(AXIS_DESC_PX, TEXT, HPos::Center);
    let x_label = truncate_to_width(&first.x_label, AXIS_DESC_PX, grid_w as u32);
    draw_line(root, &x_label, (LEFT + grid_w / 2, grid_bottom + 4), x_desc)?;

    let grid_h = layout.rows as i32 * layout.cell_h as i32;
    let y_label = truncate_to_width(&first.y_label, AXIS_DESC_PX, grid_h.max(40) as u32);
    let y_desc = Txt::new(AXIS_DESC_PX, TEXT, HPos::Center).rotated();
    draw_line(root, &y_label, (10, layout.grid_top + grid_h / 2), y_desc)
}

/// One grid cell: small title (truncated with "…") above the panel chart.
fn draw_cell(
    root: &Area,
    layout: &Layout,
    panel: &BarPanel,
    (x0, y0): (i32, i32),
    y_scale: &YScale,
    style: &PanelStyle,
) -> anyhow::Result<()> {
    let (w, h) = (layout.cell_w as i32, layout.cell_h as i32);
    if panel.highlight {
        root.draw(&Rectangle::new(
            [(x0 + 2, y0 + 2), (x0 + w - 3, y0 + h - 3)],
            HIGHLIGHT.stroke_width(2),
        ))
        .ctx("drawing the highlight frame")?;
    }
    let color = if panel.highlight {
        HIGHLIGHT_TEXT
    } else {
        TEXT
    };
    let title_px = layout.font_px().0;
    // "Costa Norte (n = 765) · p 3.6e-7, q 9.0e-6, deviates": the finding's numbers go on a
    // second, smaller line so that neither is cut.
    let (main, numbers) = match panel.title.split_once(" · ") {
        Some((a, b)) => (a, Some(b)),
        None => (panel.title.as_str(), None),
    };
    let title = truncate_to_width(main, title_px, (w - 16) as u32);
    let txt = Txt::new(title_px, color, HPos::Center);
    draw_line(root, &title, (x0 + w / 2, y0 + 6), txt)?;
    let mut top = 12 + title_px.round() as i32;
    if let Some(numbers) = numbers {
        let small = (title_px * 0.85).round();
        let line = truncate_to_width(numbers, small, (w - 16) as u32);
        draw_line(
            root,
            &line,
            (x0 + w / 2, y0 + top - 4),
            Txt::new(small, color, HPos::Center),
        )?;
        top += small as i32 + 2;
    }
    let area = root
        .clone()
        .shrink((x0 + 4, y0 + top), ((w - 8) as u32, (h - top - 6) as u32));
    bars::draw_panel(&area, panel, y_scale, style)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::FigureSpec;
    use crate::plot::tests::{digit_panel, png_size, TempDir};

    fn layout_for(n: usize) -> Layout {
        let panels: Vec<BarPanel> = (0..n).map(|i| digit_panel("p", i as u64, false)).collect();
        Layout::new("t", "c", &panels).expect("layout")
    }

    #[test]
    fn columns_follow_sqrt_capped_at_five() {
        let l = layout_for(24);
        assert_eq!((l.cols, l.rows), (5, 5));
        assert_eq!((l.cell_w, l.cell_h), (320, 230));
        assert_eq!((layout_for(1).cols, layout_for(1).rows), (1, 1));
        assert_eq!((layout_for(60).cols, layout_for(60).rows), (5, 12));
        assert_eq!((layout_for(5).cols, layout_for(5).rows), (3, 2));
        assert!(Layout::new("t", "c", &vec![digit_panel("p", 0, false); MAX_PANELS + 1]).is_err());
    }

    #[test]
    fn one_and_sixty_panels_render() {
        let dir = TempDir::new("grid-sizes");
        for n in [1usize, 60] {
            let panels: Vec<BarPanel> = (0..n)
                .map(|i| {
                    digit_panel(
                        &format!("A rather long region name number {i} (n = 12345)"),
                        i as u64,
                        i % 9 == 0,
                    )
                })
                .collect();
            let layout = Layout::new("title", "caption", &panels).expect("layout");
            let fig = FigureSpec::SmallMultiples {
                title: "title".into(),
                caption: "caption".into(),
                panels,
            };
            let path = dir.join(&format!("grid-{n}.png"));
            crate::plot::render_png(&fig, &path).expect("render");
            assert_eq!(png_size(&path), layout.size());
        }
    }
}
