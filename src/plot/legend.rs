//! The figure legend: centred rows of swatches and labels, drawn in pixel coordinates
//! between the title and the chart(s) so that it can never cover a bar. Bar charts use one
//! row (`draw`); the continuous charts may have many series and wrap to several (`draw_rows`).

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::draw::{polyline, Stroke};
use super::font::text_width;
use super::text::{draw_line, truncate_to_width, Txt};
use super::{Area, PlotCtx, BAND_EDGE, BAND_FILL, EXPECTED, HIGHLIGHT, OBSERVED};

/// What a legend entry shows next to its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Swatch {
    /// A filled bar in the given colour.
    Bar(RGBColor),
    /// The grey 95 % band box.
    Band,
    /// The dark expectation marker on a short line.
    Expected,
    /// A short line (2 px) in the given colour, solid or dashed.
    Line(RGBColor, bool),
}

/// Legend entries; the highlight entry only appears when something is highlighted.
pub(super) fn items<'a>(
    any_plain: bool,
    any_highlight: bool,
    highlight_text: &'a str,
    expected_text: &'a str,
    band_text: &'a str,
) -> Vec<(Swatch, &'a str)> {
    let mut items = Vec::new();
    if any_plain || !any_highlight {
        items.push((Swatch::Bar(OBSERVED), "observed share"));
    }
    if any_highlight {
        items.push((Swatch::Bar(HIGHLIGHT), highlight_text));
    }
    items.push((Swatch::Expected, expected_text));
    items.push((Swatch::Band, band_text));
    items
}

/// Width (px) of the legend row at font size `size`.
fn row_width(items: &[(Swatch, &str)], size: f64) -> i32 {
    let sw = (size * 1.6).round() as i32;
    let gap = (size * 0.5).round() as i32;
    let spacing = (size * 1.8).round() as i32;
    items
        .iter()
        .map(|(_, t)| sw + gap + text_width(t, size) as i32)
        .sum::<i32>()
        + spacing * (items.len() as i32 - 1).max(0)
}

/// The font size at which the row fits in `width` px: `size`, or smaller (never under 10 px) when
/// long labels would otherwise run off both edges of the image.
fn fitting_size(items: &[(Swatch, &str)], size: f64, width: i32) -> f64 {
    let mut s = size;
    while s > 10.0 && row_width(items, s) > width {
        s -= 0.5;
    }
    s
}

/// Draws the legend as one centred row whose line box starts at `top`, shrunk to fit the area.
pub(super) fn draw(
    area: &Area,
    items: &[(Swatch, &str)],
    center_x: i32,
    top: i32,
    size: f64,
) -> anyhow::Result<()> {
    let (w, _) = area.dim_in_pixel();
    let size = fitting_size(items, size, w as i32 - 16);
    let sw = (size * 1.6).round() as i32; // swatch width
    let gap = (size * 0.5).round() as i32; // swatch to text
    let spacing = (size * 1.8).round() as i32; // between entries
    let widths: Vec<i32> = items
        .iter()
        .map(|(_, t)| sw + gap + text_width(t, size) as i32)
        .collect();
    let total: i32 = widths.iter().sum::<i32>() + spacing * (items.len() as i32 - 1).max(0);
    let mut x = center_x - total / 2;
    let mid = top + (0.5 * size).round() as i32; // vertical centre of lower-case letters
    let half = (size * 0.42).round() as i32;
    for ((swatch, text), w) in items.iter().zip(&widths) {
        match swatch {
            Swatch::Bar(color) => {
                area.draw(&Rectangle::new(
                    [(x + sw / 4, mid - half), (x + sw - sw / 4, mid + half)],
                    color.filled(),
                ))
                .ctx("drawing legend")?;
            }
            Swatch::Band => {
                let r = [(x, mid - half), (x + sw, mid + half)];
                area.draw(&Rectangle::new(r, BAND_FILL.filled()))
                    .ctx("drawing legend")?;
                area.draw(&Rectangle::new(r, BAND_EDGE.stroke_width(1)))
                    .ctx("drawing legend")?;
            }
            Swatch::Expected => {
                area.draw(&PathElement::new(
                    vec![(x, mid), (x + sw, mid)],
                    EXPECTED.mix(0.7).stroke_width(1),
                ))
                .ctx("drawing legend")?;
                area.draw(&Circle::new(
                    (x + sw / 2, mid),
                    (size * 0.28).round() as i32,
                    EXPECTED.filled(),
                ))
                .ctx("drawing legend")?;
            }
            Swatch::Line(color, dashed) => {
                let stroke = Stroke {
                    color: *color,
                    width: 2,
                    dash: dashed.then_some((5.0, 3.0)),
                };
                let (x0, x1) = (f64::from(x), f64::from(x + sw));
                let clip = (x, mid - 2, x + sw, mid + 2);
                polyline(
                    area,
                    &[(x0, f64::from(mid)), (x1, f64::from(mid))],
                    clip,
                    stroke,
                )?;
            }
        }
        draw_line(
            area,
            text,
            (x + sw + gap, top),
            Txt::new(size, super::TEXT, HPos::Left),
        )?;
        x += w + spacing;
    }
    Ok(())
}

/// Width in px of one entry and the spacing after it.
fn entry_width(text: &str, size: f64) -> (i32, i32) {
    let sw = (size * 1.6).round() as i32;
    let gap = (size * 0.5).round() as i32;
    let spacing = (size * 1.8).round() as i32;
    (sw + gap + text_width(text, size) as i32, spacing)
}

/// Splits entries into rows no wider than `max_w` (an entry's text is shortened with "…" when
/// it alone is too wide).
pub(super) fn rows(items: &[(Swatch, &str)], max_w: u32, size: f64) -> Vec<Vec<(Swatch, String)>> {
    let max_w = max_w as i32;
    let text_room = (max_w - (size * 2.1).round() as i32).max(20) as u32;
    let mut rows: Vec<Vec<(Swatch, String)>> = Vec::new();
    let mut used = 0;
    for (swatch, text) in items {
        let text = truncate_to_width(text, size, text_room);
        let (w, spacing) = entry_width(&text, size);
        match rows.last_mut() {
            Some(row) if used + spacing + w <= max_w => {
                row.push((*swatch, text));
                used += spacing + w;
            }
            _ => {
                rows.push(vec![(*swatch, text)]);
                used = w;
            }
        }
    }
    rows
}

/// Height in px of `n` legend rows.
pub(super) fn rows_height(n: usize, size: f64) -> i32 {
    n as i32 * (size * 1.5).round() as i32
}

/// Draws the rows from [`rows`] centred on `center_x` from `top`; returns the y below them.
pub(super) fn draw_rows(
    area: &Area,
    rows: &[Vec<(Swatch, String)>],
    center_x: i32,
    top: i32,
    size: f64,
) -> anyhow::Result<i32> {
    let mut y = top;
    for row in rows {
        let items: Vec<(Swatch, &str)> = row.iter().map(|(s, t)| (*s, t.as_str())).collect();
        draw(area, &items, center_x, y, size)?;
        y += rows_height(1, size);
    }
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_entry_only_when_needed() {
        let plain = items(true, false, "flagged", "e", "b");
        assert_eq!(plain.len(), 3);
        assert!(plain.iter().all(|(_, t)| *t != "flagged"));
        let mixed = items(true, true, "flagged", "e", "b");
        assert_eq!(mixed.len(), 4);
        let only = items(false, true, "flagged", "e", "b");
        assert_eq!(only.len(), 3);
        assert_eq!(only[0].1, "flagged");
        // Nothing at all (empty grid): still explain the marks.
        assert_eq!(items(false, false, "flagged", "e", "b").len(), 3);
    }

    #[test]
    fn long_legends_wrap_into_rows() {
        let red = Swatch::Line(RGBColor(200, 0, 0), false);
        let names = [
            "first series",
            "second series",
            "third",
            "a fourth series name",
        ];
        let items: Vec<(Swatch, &str)> = names.iter().map(|n| (red, *n)).collect();
        assert_eq!(rows(&items, 2000, 15.0).len(), 1);
        let narrow = rows(&items, 300, 15.0);
        assert!(narrow.len() >= 2);
        assert_eq!(narrow.iter().map(Vec::len).sum::<usize>(), 4);
        let long = "a very long series name ".repeat(20);
        let one = rows(&[(red, long.as_str())], 300, 15.0);
        assert!(one[0][0].1.ends_with('…'));
        assert!(rows(&[], 300, 15.0).is_empty());
    }

    #[test]
    fn long_legends_shrink_to_fit() {
        let long = items(
            true,
            true,
            "p < 0.001 (uncorrected)",
            "expected under the smooth-count null",
            "95% range of the simulated honest counts",
        );
        let wide = row_width(&long, 15.0);
        assert_eq!(fitting_size(&long, 15.0, wide + 10), 15.0);
        let s = fitting_size(&long, 15.0, wide - 100);
        assert!(s < 15.0 && row_width(&long, s) <= wide - 100, "{s}");
    }
}
