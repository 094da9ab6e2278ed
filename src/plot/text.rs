//! Text layout and drawing: wrapping by character count, truncation with "…", and drawing a
//! line of text glyph by glyph (horizontal or rotated) with correct letter spacing.
//!
//! Every text element of the charts (titles, legend, tick labels, axis descriptions, captions)
//! goes through `draw_line`, which places each glyph at its kerned pen position plus its left
//! side bearing (see `font.rs` for why plotters' own text drawing cannot be used directly).
//! Positions use a "line box": a line of size `s` occupies `top .. top + s`, with the baseline
//! at `top + 0.8 s`.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::font::{bearing_px, pen_positions, text_width, FAMILY};
use super::{Area, PlotCtx};

/// Ellipsis appended to truncated text.
const ELLIPSIS: char = '…';

/// How a piece of text is set: size in px, colour, horizontal anchor, orientation.
#[derive(Clone, Copy)]
pub(super) struct Txt {
    pub size: f64,
    pub color: RGBColor,
    pub hpos: HPos,
    /// Reads bottom-to-top (y axis descriptions). The "line box top" is then its left edge.
    pub rotated: bool,
}

impl Txt {
    pub fn new(size: f64, color: RGBColor, hpos: HPos) -> Self {
        Self {
            size,
            color,
            hpos,
            rotated: false,
        }
    }

    pub fn rotated(self) -> Self {
        Self {
            rotated: true,
            ..self
        }
    }
}

/// Draws one line of text. Horizontal text: anchored at `x` (per `hpos`), line box starting
/// at `top`. Rotated text: anchored at `top` along the vertical (per `hpos`, Left = bottom end)
/// with its line box starting at `x`.
pub(super) fn draw_line(
    area: &Area,
    text: &str,
    (x, top): (i32, i32),
    txt: Txt,
) -> anyhow::Result<()> {
    let text = text.trim_end();
    if text.is_empty() {
        return Ok(());
    }
    let width = f64::from(text_width(text, txt.size));
    let start = match txt.hpos {
        HPos::Left => 0.0,
        HPos::Center => -width / 2.0,
        HPos::Right => -width,
    };
    // plotters puts the baseline half a font size below the anchor.
    let baseline_shift = (0.3 * txt.size).round() as i32;
    let transform = if txt.rotated {
        FontTransform::Rotate270
    } else {
        FontTransform::None
    };
    let style = TextStyle::from((FAMILY, txt.size).into_font())
        .color(&txt.color)
        .transform(transform)
        .pos(Pos::new(HPos::Left, VPos::Top));
    for ((_, c), pen) in text.char_indices().zip(pen_positions(text, txt.size)) {
        if c.is_whitespace() {
            continue;
        }
        let along = (start + pen).round() as i32 + bearing_px(c, txt.size);
        let at = if txt.rotated {
            (x + baseline_shift, top - along)
        } else {
            (x + along, top + baseline_shift)
        };
        area.draw(&Text::new(c.to_string(), at, style.clone()))
            .ctx("drawing text")?;
    }
    Ok(())
}

/// Draws `lines` one under another, `line_h` apart, starting at `(x, top)`; returns the y
/// below the last line.
pub(super) fn draw_block(
    area: &Area,
    lines: &[String],
    (x, top): (i32, i32),
    line_h: i32,
    txt: Txt,
) -> anyhow::Result<i32> {
    let mut y = top;
    for line in lines {
        draw_line(area, line, (x, y), txt)?;
        y += line_h;
    }
    Ok(y)
}

/// Greedy word wrap to at most `max_chars` characters per line. Explicit newlines start a
/// new line; words longer than a line are split hard.
pub(super) fn wrap_by_chars(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        let mut line_len = 0usize;
        // Break at ordinary spaces only: a no-break space keeps "p 0.384" on one line.
        for word in paragraph.split([' ', '\t']).filter(|w| !w.is_empty()) {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let sep = usize::from(line_len > 0);
                if line_len + sep + word.len() <= max_chars {
                    if sep == 1 {
                        line.push(' ');
                    }
                    line.extend(word.iter());
                    line_len += sep + word.len();
                    break;
                }
                if line_len > 0 {
                    lines.push(std::mem::take(&mut line));
                    line_len = 0;
                    continue;
                }
                // The word alone is longer than a line: split it.
                let rest = word.split_off(max_chars);
                lines.push(word.iter().collect());
                word = rest;
            }
        }
        if line_len > 0 {
            lines.push(line);
        }
    }
    lines
}

/// Wraps `text` so that every line fits in `max_width_px` at `size_px`, with at most
/// `max_lines` lines (the last one ends in "…" when text had to be dropped).
///
/// Wrapping is by character count; the count starts from a small average glyph width and is
/// reduced until the measured width of every line fits.
pub(super) fn fit_lines(
    text: &str,
    size_px: f64,
    max_width_px: u32,
    max_lines: usize,
) -> Vec<String> {
    let avg_char_px = size_px * 0.45;
    let mut max_chars = ((f64::from(max_width_px) / avg_char_px).floor() as usize).max(4);
    let mut lines = wrap_by_chars(text, max_chars);
    while max_chars > 4 && lines.iter().any(|l| text_width(l, size_px) > max_width_px) {
        max_chars -= (max_chars / 40).max(1);
        lines = wrap_by_chars(text, max_chars);
    }
    let max_lines = max_lines.max(1);
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let mut s = std::mem::take(last);
            s.push(ELLIPSIS);
            *last = truncate_to_width(&s, size_px, max_width_px);
        }
    }
    lines
}

/// Shortens `text` (ending it with "…") until it fits in `max_width_px` at `size_px`.
pub(super) fn truncate_to_width(text: &str, size_px: f64, max_width_px: u32) -> String {
    let text = text.trim();
    if text_width(text, size_px) <= max_width_px {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    if chars.last() == Some(&ELLIPSIS) {
        chars.pop();
    }
    while !chars.is_empty() {
        chars.pop();
        while chars.last().is_some_and(|c| c.is_whitespace()) {
            chars.pop();
        }
        let candidate: String = chars.iter().chain(std::iter::once(&ELLIPSIS)).collect();
        if text_width(&candidate, size_px) <= max_width_px {
            return candidate;
        }
    }
    ELLIPSIS.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_by_character_count() {
        let lines = wrap_by_chars("aa bb cc dd ee", 5);
        assert_eq!(lines, ["aa bb", "cc dd", "ee"]);
        let long = wrap_by_chars("abcdefghij", 4);
        assert_eq!(long, ["abcd", "efgh", "ij"]);
        assert!(wrap_by_chars("", 10).is_empty());
        assert_eq!(wrap_by_chars("one\ntwo", 80), ["one", "two"]);
    }

    #[test]
    fn fitted_lines_fit_and_are_capped() {
        let text = "word ".repeat(200);
        let lines = fit_lines(&text, 16.0, 300, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| text_width(l, 16.0) <= 300));
        assert!(lines[2].ends_with('…'));
    }

    #[test]
    fn truncation_adds_ellipsis() {
        let t = truncate_to_width("A very long region name indeed", 14.0, 80);
        assert!(t.ends_with('…'));
        assert!(text_width(&t, 14.0) <= 80);
        assert_eq!(truncate_to_width("short", 14.0, 200), "short");
        assert_eq!(truncate_to_width("WWWW", 14.0, 1), "…");
    }
}
