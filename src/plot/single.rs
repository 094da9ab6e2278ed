//! The stand-alone bar chart (`FigureSpec::Bars`): 1000 px wide, normally 620 px tall.
//!
//! From top to bottom: title (24 px, up to two lines), legend row, the chart with axis
//! descriptions, and the caption (16 px) wrapped to the width. The canvas grows taller only
//! when the title needs a second line or the caption more than three lines, so the chart
//! itself never gets squeezed by long text.

use plotters::style::text_anchor::HPos;

use super::bars::{self, PanelStyle};
use super::legend;
use super::scale::YScale;
use super::text::{draw_block, fit_lines, Txt};
use super::{Area, SOFT_TEXT, TEXT};
use crate::figure::BarPanel;

const WIDTH: u32 = 1000;
const BASE_HEIGHT: u32 = 620;
const MARGIN: i32 = 24;
const TITLE_PX: f64 = 24.0;
const TITLE_LINE: i32 = 32;
const MAX_TITLE_LINES: usize = 2;
const LEGEND_PX: f64 = 15.0;
const CAPTION_PX: f64 = 16.0;
const CAPTION_LINE: i32 = 22;
/// Caption lines that fit in the base height.
const BASE_CAPTION_LINES: usize = 3;
const MAX_CAPTION_LINES: usize = 12;

/// Pre-computed text lines and canvas size.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    title: Vec<String>,
    caption: Vec<String>,
    height: u32,
}

impl Layout {
    pub fn new(panel: &BarPanel) -> Self {
        let text_w = (WIDTH as i32 - 2 * MARGIN) as u32;
        let title = fit_lines(&panel.title, TITLE_PX, text_w, MAX_TITLE_LINES);
        let caption = fit_lines(&panel.caption, CAPTION_PX, text_w, MAX_CAPTION_LINES);
        let extra = title.len().saturating_sub(1) as i32 * TITLE_LINE
            + caption.len().saturating_sub(BASE_CAPTION_LINES) as i32 * CAPTION_LINE;
        Self {
            title,
            caption,
            height: BASE_HEIGHT + extra as u32,
        }
    }

    pub fn size(&self) -> (u32, u32) {
        (WIDTH, self.height)
    }
}

/// Draws the whole figure on `root` (already filled white, sized by `layout`).
pub(super) fn draw(root: &Area, layout: &Layout, panel: &BarPanel) -> anyhow::Result<()> {
    let center = WIDTH as i32 / 2;
    let title_txt = Txt::new(TITLE_PX, TEXT, HPos::Center);
    let mut y = draw_block(root, &layout.title, (center, 14), TITLE_LINE, title_txt)?;
    if layout.title.is_empty() {
        y += TITLE_LINE / 2;
    }

    let items = legend::items(
        !panel.highlight,
        panel.highlight,
        "deviates (after the multiple-testing adjustment)",
        &panel.expected_label,
        &panel.band_label,
    );
    legend::draw(root, &items, center, y + 4, LEGEND_PX)?;
    let chart_top = y + 4 + LEGEND_PX as i32 + 10;

    let caption_h = layout.caption.len() as i32 * CAPTION_LINE;
    let caption_top = layout.height as i32 - 14 - caption_h.max(CAPTION_LINE);
    let chart_bottom = caption_top - 10;

    let chart_area = root.clone().shrink(
        (MARGIN / 2, chart_top),
        (
            (WIDTH as i32 - MARGIN / 2 - MARGIN / 2) as u32,
            (chart_bottom - chart_top).max(50) as u32,
        ),
    );
    let style = PanelStyle {
        tick_px: 15.0,
        axis_desc_px: Some(18.0),
        margin: 14,
        marker_radius: 5,
        max_label_px: 150,
    };
    let y_scale = YScale::for_panels([panel], 7);
    bars::draw_panel(&chart_area, panel, &y_scale, &style)?;

    let caption_txt = Txt::new(CAPTION_PX, SOFT_TEXT, HPos::Left);
    draw_block(
        root,
        &layout.caption,
        (MARGIN, caption_top),
        CAPTION_LINE,
        caption_txt,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::FigureSpec;
    use crate::plot::tests::{digit_panel, png_size, TempDir};

    #[test]
    fn short_text_keeps_base_size() {
        let layout = Layout::new(&digit_panel("Last digit", 0, false));
        assert_eq!(layout.size(), (WIDTH, BASE_HEIGHT));
    }

    #[test]
    fn long_title_and_caption_grow_the_canvas() {
        let dir = TempDir::new("single-long");
        let mut p = digit_panel(&"Very long title about a region ".repeat(8), 3, true);
        p.caption = "A long caption sentence that keeps going. ".repeat(12);
        let layout = Layout::new(&p);
        assert!(layout.size().1 > BASE_HEIGHT);
        assert!(layout.title.len() <= MAX_TITLE_LINES);
        let path = dir.join("long.png");
        crate::plot::render_png(&FigureSpec::Bars(p), &path).expect("render");
        assert_eq!(png_size(&path), layout.size());
    }
}
