//! The embedded DejaVu Sans font: registration with plotters, text measurement, and the glyph
//! left-side bearings needed to place glyphs correctly.
//!
//! Charts must render identically on machines without any system fonts, so the TTF file is
//! compiled into the binary and registered once with plotters' `ab_glyph` font table under the
//! family name `"sans-serif"`.
//!
//! plotters 0.3.7's ab_glyph renderer draws every glyph at the pen position *without* its left
//! side bearing, which makes letter spacing visibly uneven ("ob served"). `text.rs` therefore
//! draws text glyph by glyph and adds the bearing, which this file reads from the font's
//! `cmap` (format 12) and `hmtx` tables. If those tables cannot be read, bearings are 0 and
//! text looks exactly as plotters would draw it.

use std::sync::OnceLock;

use anyhow::bail;
use plotters::style::{FontDesc, FontFamily, FontStyle};

/// DejaVu Sans (Bitstream Vera licence, see `assets/fonts/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/fonts/DejaVuSans.ttf"
));

/// The family name every text element of the charts uses.
pub(super) const FAMILY: &str = "sans-serif";

/// Sub-pixel factor for measuring pen positions (plotters truncates widths to whole pixels).
const SUBPIXEL: f64 = 16.0;

/// Registers the embedded font with plotters exactly once (thread-safe).
pub(super) fn ensure_registered() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if !ok {
        bail!("the embedded DejaVu Sans font could not be parsed by ab_glyph");
    }
    Ok(())
}

/// Advance width in pixels of `text` at `size_px` (kerning included), as a float.
fn advance(text: &str, size_px: f64) -> f64 {
    // Measuring needs the font table; registering here makes layout code order-independent.
    let _ = ensure_registered();
    let font = FontDesc::new(
        FontFamily::Name(FAMILY),
        size_px * SUBPIXEL,
        FontStyle::Normal,
    );
    match font.box_size(text) {
        Ok((w, _)) => f64::from(w) / SUBPIXEL,
        Err(_) => text.chars().count() as f64 * size_px * 0.62,
    }
}

/// Width in whole pixels of `text` set at `size_px`.
pub(super) fn text_width(text: &str, size_px: f64) -> u32 {
    advance(text, size_px).ceil() as u32
}

/// Pen x offset (px, from the start of the text) of every character of `text`.
pub(super) fn pen_positions(text: &str, size_px: f64) -> Vec<f64> {
    text.char_indices()
        .map(|(i, _)| advance(&text[..i], size_px))
        .collect()
}

/// Offset in whole pixels from the pen position to where plotters must start drawing the glyph
/// of `c` so that it lands where the font says: floor(left side bearing), as ab_glyph rounds
/// the glyph's pixel box outwards.
pub(super) fn bearing_px(c: char, size_px: f64) -> i32 {
    match metrics() {
        Some(m) => (f64::from(m.lsb_units(c)) * size_px / m.height_units).floor() as i32,
        None => 0,
    }
}

/// The few font tables needed for bearings.
struct Metrics {
    /// ascent − descent in font units: ab_glyph scales so that this equals the pixel size.
    height_units: f64,
    num_h_metrics: usize,
    hmtx: &'static [u8],
    /// cmap format 12 groups: (first char, last char, first glyph id).
    groups: Vec<(u32, u32, u32)>,
}

fn metrics() -> Option<&'static Metrics> {
    static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
    METRICS.get_or_init(|| Metrics::parse(DEJAVU_SANS)).as_ref()
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be_i16(b: &[u8], at: usize) -> Option<i16> {
    Some(i16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Metrics {
    fn parse(font: &'static [u8]) -> Option<Self> {
        let table = |tag: &[u8; 4]| -> Option<&'static [u8]> {
            let count = usize::from(be_u16(font, 4)?);
            (0..count).find_map(|i| {
                let rec = 12 + 16 * i;
                if font.get(rec..rec + 4)? != tag {
                    return None;
                }
                let off = be_u32(font, rec + 8)? as usize;
                let len = be_u32(font, rec + 12)? as usize;
                font.get(off..off + len)
            })
        };
        let hhea = table(b"hhea")?;
        let (mut ascent, mut descent) = (be_i16(hhea, 4)?, be_i16(hhea, 6)?);
        if let Some(os2) = table(b"OS/2") {
            // USE_TYPO_METRICS: ab_glyph (ttf-parser) then uses the typographic metrics.
            if be_u16(os2, 62).is_some_and(|sel| sel & (1 << 7) != 0) {
                ascent = be_i16(os2, 68)?;
                descent = be_i16(os2, 70)?;
            }
        }
        let height_units = f64::from(ascent) - f64::from(descent);
        let cmap = table(b"cmap")?;
        let subtables = usize::from(be_u16(cmap, 2)?);
        let format12 = (0..subtables).find_map(|i| {
            let off = be_u32(cmap, 4 + 8 * i + 4)? as usize;
            (be_u16(cmap, off)? == 12).then_some(off)
        })?;
        let n_groups = be_u32(cmap, format12 + 12)? as usize;
        let groups = (0..n_groups)
            .map(|g| {
                let at = format12 + 16 + 12 * g;
                Some((
                    be_u32(cmap, at)?,
                    be_u32(cmap, at + 4)?,
                    be_u32(cmap, at + 8)?,
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        (height_units > 0.0).then_some(Self {
            height_units,
            num_h_metrics: usize::from(be_u16(hhea, 34)?),
            hmtx: table(b"hmtx")?,
            groups,
        })
    }

    /// Left side bearing of `c` in font units (0 when unknown).
    fn lsb_units(&self, c: char) -> i16 {
        let code = u32::from(c);
        let idx = self.groups.partition_point(|&(_, end, _)| end < code);
        let glyph = match self.groups.get(idx) {
            Some(&(start, _, first)) if start <= code => (first + code - start) as usize,
            _ => 0, // .notdef
        };
        let at = if glyph < self.num_h_metrics {
            4 * glyph + 2
        } else {
            4 * self.num_h_metrics + 2 * (glyph - self.num_h_metrics)
        };
        be_i16(self.hmtx, at).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_twice_without_error() {
        assert!(ensure_registered().is_ok());
        assert!(ensure_registered().is_ok());
        assert!(text_width("share", 15.0) > 10);
    }

    #[test]
    fn bearings_come_from_the_font() {
        let m = metrics().expect("DejaVu tables parse");
        assert_eq!(m.height_units, 2384.0);
        // Stems sit further from the pen than round letters; the space has none.
        assert!(m.lsb_units('b') > m.lsb_units('o'));
        assert!(m.lsb_units('o') > 0);
        assert_eq!(m.lsb_units(' '), 0);
        assert!(bearing_px('H', 100.0) > 5);
    }

    #[test]
    fn pen_positions_increase() {
        let pens = pen_positions("observed", 15.0);
        assert_eq!(pens.len(), 8);
        assert_eq!(pens[0], 0.0);
        assert!(pens.windows(2).all(|w| w[1] > w[0]));
    }
}
