//! The frame of a stand-alone continuous chart (histogram, heatmap, lines), like the bar chart's
//! (`single.rs`): title (24 px, up to two lines, orange when highlighted), legend row(s), the
//! chart, and the caption (16 px) wrapped to the width. The canvas grows taller only for a
//! second title line, extra legend rows or more than three caption lines, so the chart itself
//! never gets squeezed by long text.

use plotters::style::text_anchor::HPos;

use super::legend::{self, Swatch};
use super::text::{draw_block, fit_lines, Txt};
use super::{Area, HIGHLIGHT_TEXT, SOFT_TEXT, TEXT};

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
/// Widest caption line (px), about 120 characters.
const MAX_CAPTION_W: u32 = 1000;

/// Pre-computed text lines, legend rows and canvas size.
#[derive(Debug, Clone)]
pub(super) struct Page {
    width: u32,
    height: u32,
    title: Vec<String>,
    caption: Vec<String>,
    legend: Vec<Vec<(Swatch, String)>>,
    highlight: bool,
}

impl Page {
    /// A page `width` px wide whose chart gets the room it has in a `base_height` page with a
    /// one-line title, at most one legend row and three caption lines.
    pub fn new(
        (width, base_height): (u32, u32),
        title: &str,
        caption: &str,
        legend_items: &[(Swatch, &str)],
        highlight: bool,
    ) -> Self {
        let text_w = width - 2 * MARGIN as u32;
        let title = fit_lines(title, TITLE_PX, text_w, MAX_TITLE_LINES);
        let caption = fit_lines(
            caption,
            CAPTION_PX,
            text_w.min(MAX_CAPTION_W),
            MAX_CAPTION_LINES,
        );
        let legend = legend::rows(legend_items, text_w, LEGEND_PX);
        let extra = title.len().saturating_sub(1) as i32 * TITLE_LINE
            + legend::rows_height(legend.len().saturating_sub(1), LEGEND_PX)
            + caption.len().saturating_sub(BASE_CAPTION_LINES) as i32 * CAPTION_LINE;
        Self {
            width,
            height: base_height + extra.max(0) as u32,
            title,
            caption,
            legend,
            highlight,
        }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Draws title, legend and caption on `root` and returns the area left for the chart.
    pub fn draw<'a>(&self, root: &Area<'a>) -> anyhow::Result<Area<'a>> {
        let center = self.width as i32 / 2;
        let color = if self.highlight { HIGHLIGHT_TEXT } else { TEXT };
        let title_txt = Txt::new(TITLE_PX, color, HPos::Center);
        let mut y = draw_block(root, &self.title, (center, 14), TITLE_LINE, title_txt)?;
        if self.title.is_empty() {
            y += TITLE_LINE / 2;
        }
        let chart_top = if self.legend.is_empty() {
            y + 8
        } else {
            legend::draw_rows(root, &self.legend, center, y + 4, LEGEND_PX)? + 4
        };

        let caption_h = self.caption.len() as i32 * CAPTION_LINE;
        let caption_top = self.height as i32 - 14 - caption_h.max(CAPTION_LINE);
        let chart_bottom = caption_top - 10;
        let caption_txt = Txt::new(CAPTION_PX, SOFT_TEXT, HPos::Left);
        draw_block(
            root,
            &self.caption,
            (MARGIN, caption_top),
            CAPTION_LINE,
            caption_txt,
        )?;

        Ok(root.clone().shrink(
            (MARGIN / 2, chart_top),
            (
                (self.width as i32 - MARGIN) as u32,
                (chart_bottom - chart_top).max(50) as u32,
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_grows_the_page() {
        let short = Page::new((1000, 620), "t", "c", &[], false);
        assert_eq!(short.size(), (1000, 620));
        let long = "Un título muy largo sobre la participación electoral ".repeat(6);
        let tall = Page::new((1000, 620), &long, &long.repeat(3), &[], true);
        assert!(tall.size().1 > 620);
        assert_eq!(tall.title.len(), MAX_TITLE_LINES);
    }
}
