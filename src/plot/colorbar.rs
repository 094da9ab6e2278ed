//! The log colour scale of heatmaps and its colour bar.
//!
//! The scale runs from one station (half a station for a model's fractional expected counts,
//! see [`ColorScale::for_panels`]) to the largest count through a viridis-like ramp (dark =
//! few, bright = many; perceptually uniform, brightness rising monotonically), so that even
//! single stations stand out against the white of empty cells. The bar has ticks at powers of
//! ten (and at 2× and 5× when it spans less than two decades).

use plotters::prelude::*;
use plotters::style::text_anchor::HPos;

use super::draw::{fill_rect, hline, vline};
use super::font::text_width;
use super::scale::fmt_num;
use super::text::{draw_line, truncate_to_width, Txt};
use super::{Area, AXIS, TEXT};
use crate::figure::HeatmapPanel;

/// The colour scale of small values spans at most this many decades below the largest.
const MAX_DECADES: f64 = 4.0;
/// Gap (px) between a plot and its colour bar.
pub(super) const BAR_GAP: i32 = 18;
/// Width (px) of the bar.
const BAR_W: i32 = 16;

/// Viridis (matplotlib), sampled at 1/8 steps plus the bright end.
const VIRIDIS: [(f64, [u8; 3]); 10] = [
    (0.0, [68, 1, 84]),
    (0.125, [72, 40, 120]),
    (0.25, [62, 74, 137]),
    (0.375, [49, 104, 142]),
    (0.5, [38, 130, 142]),
    (0.625, [31, 158, 137]),
    (0.75, [53, 183, 121]),
    (0.875, [109, 205, 89]),
    (0.9375, [180, 222, 44]),
    (1.0, [253, 231, 37]),
];

/// The ramp colour at `t` in 0..=1 (clamped; NaN gives the low end).
pub(super) fn ramp(t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let k = VIRIDIS
        .partition_point(|&(s, _)| s < t)
        .clamp(1, VIRIDIS.len() - 1);
    let ((s0, c0), (s1, c1)) = (VIRIDIS[k - 1], VIRIDIS[k]);
    let f = if s1 > s0 { (t - s0) / (s1 - s0) } else { 0.0 };
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    RGBColor(mix(c0[0], c1[0]), mix(c0[1], c1[1]), mix(c0[2], c1[2]))
}

/// A log colour scale from `lo` to `hi` (both positive, `lo < hi`).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ColorScale {
    pub lo: f64,
    pub hi: f64,
}

impl ColorScale {
    /// The scale covering the positive finite counts of the panels; `None` when there is none.
    ///
    /// The top is the largest count. The bottom is where a cell stops being empty: for counts
    /// (largest ≥ 10) 1 station, or half a station when some counts are fractional (a model's
    /// expected counts, so that cells expected to hold less than half a station stay white
    /// as they mostly would in data); for small values the power of ten at or below the
    /// smallest one, at most `MAX_DECADES` below the largest.
    pub fn for_panels<'a>(panels: impl IntoIterator<Item = &'a HeatmapPanel>) -> Option<Self> {
        let (min, max) = panels
            .into_iter()
            .flat_map(|p| p.counts.iter().copied())
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold(None, |acc: Option<(f64, f64)>, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })?;
        let lo = if max >= 10.0 {
            if min >= 1.0 {
                1.0
            } else {
                0.5
            }
        } else {
            let decade = 10f64.powf(min.log10().floor());
            decade.max(10f64.powf((max.log10() - MAX_DECADES).floor()))
        };
        let hi = if max > lo { max } else { lo * 10.0 };
        Some(Self { lo, hi })
    }

    /// Position of `v` on the bar, 0..=1 (values below `lo` at 0).
    fn frac(&self, v: f64) -> f64 {
        ((v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())).clamp(0.0, 1.0)
    }

    /// Cell colour; `None` (white) for counts below the scale (empty cells) and NaN.
    pub fn color(&self, v: f64) -> Option<RGBColor> {
        (v >= self.lo).then(|| ramp(self.frac(v)))
    }

    /// Tick values: the powers of ten on the bar, with 2× and 5× steps when there are fewer
    /// than three of them.
    pub fn ticks(&self) -> Vec<f64> {
        let (k0, k1) = (
            (self.lo.log10() - 1e-9).ceil() as i32,
            (self.hi.log10() + 1e-9).floor() as i32,
        );
        let inside = |v: &f64| *v >= self.lo * (1.0 - 1e-9) && *v <= self.hi * (1.0 + 1e-9);
        let mults: &[f64] = if k1 - k0 >= 2 {
            &[1.0]
        } else {
            &[1.0, 2.0, 5.0]
        };
        // Every decade up to 8 of them, then every second, third, ... decade.
        let every = ((k1 - k0 + 1).max(1) as usize).div_ceil(8);
        let mut ticks: Vec<f64> = (k0 - 1..=k1)
            .filter(|k| (k - k0).rem_euclid(every as i32) == 0)
            .flat_map(|k| mults.iter().map(move |m| m * 10f64.powi(k)))
            .filter(inside)
            .collect();
        // Label the bottom end too (e.g. 0.5) when it is not a tick and not crowding one.
        if ticks.first().is_none_or(|&t| self.frac(t) > 0.08) {
            ticks.insert(0, self.lo);
        }
        ticks
    }

    /// A tick label: 1, 10, 1,000, 0.1, ...
    pub fn label(v: f64) -> String {
        let decimals = (-(v.log10() + 1e-9).floor()).max(0.0) as usize;
        fmt_num(v, decimals)
    }

    /// Width (px) the bar, its tick labels and its rotated description need right of a plot.
    pub fn room(&self, tick_px: f64, desc_px: f64) -> i32 {
        let widest = self
            .ticks()
            .iter()
            .map(|&v| text_width(&Self::label(v), tick_px) as i32)
            .max()
            .unwrap_or(0);
        BAR_GAP + BAR_W + 4 + 4 + widest + 8 + desc_px.round() as i32 + 2
    }

    /// Draws the vertical bar from `top` to `bottom` at `x`, its ticks and its description.
    pub fn draw(
        &self,
        area: &Area,
        (x, top, bottom): (i32, i32, i32),
        label: &str,
        (tick_px, desc_px): (f64, f64),
    ) -> anyhow::Result<()> {
        let h = (bottom - top).max(2);
        for row in 0..h {
            let t = 1.0 - f64::from(row) / f64::from(h - 1);
            fill_rect(area, (x, top + row), (x + BAR_W, top + row + 1), ramp(t))?;
        }
        hline(area, x - 1, x + BAR_W, top - 1, AXIS)?;
        hline(area, x - 1, x + BAR_W, top + h, AXIS)?;
        vline(area, x - 1, top - 1, top + h, AXIS)?;
        vline(area, x + BAR_W, top - 1, top + h, AXIS)?;
        let mut widest = 0;
        for v in self.ticks() {
            let y = top + h - 1 - (self.frac(v) * f64::from(h - 1)).round() as i32;
            hline(area, x + BAR_W, x + BAR_W + 4, y, AXIS)?;
            let text = Self::label(v);
            widest = widest.max(text_width(&text, tick_px) as i32);
            let at = (x + BAR_W + 8, y - (0.5 * tick_px).round() as i32);
            draw_line(area, &text, at, Txt::new(tick_px, TEXT, HPos::Left))?;
        }
        let text = truncate_to_width(label, desc_px, h.max(20) as u32);
        let at = (x + BAR_W + 8 + widest + 8, top + h / 2);
        draw_line(
            area,
            &text,
            at,
            Txt::new(desc_px, TEXT, HPos::Center).rotated(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::samples::fingerprint;

    #[test]
    fn ramp_is_monotone_in_brightness() {
        let luma = |c: RGBColor| {
            0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2)
        };
        let steps: Vec<f64> = (0..=50).map(|i| luma(ramp(f64::from(i) / 50.0))).collect();
        assert!(steps.windows(2).all(|w| w[1] >= w[0]), "{steps:?}");
        assert_eq!(ramp(-1.0), ramp(0.0));
        assert_eq!(ramp(f64::NAN), ramp(0.0));
        assert_eq!(ramp(2.0), RGBColor(253, 231, 37));
    }

    #[test]
    fn log_scale_has_decade_ticks() {
        let mut p = fingerprint("t", 20_000.0, true);
        let s = ColorScale::for_panels([&p]).expect("scale");
        assert_eq!(s.lo, 1.0);
        assert_eq!(s.ticks(), vec![1.0, 10.0, 100.0, 1000.0, 10000.0]);
        assert_eq!(ColorScale::label(10000.0), "10,000");
        assert_eq!(ColorScale::label(0.01), "0.01");
        assert!(s.color(0.0).is_none() && s.color(f64::NAN).is_none());
        // Constant counts still get a usable scale with a few ticks.
        p.counts = vec![3.0; 100 * 100];
        let s = ColorScale::for_panels([&p]).expect("scale");
        assert_eq!((s.lo, s.hi), (1.0, 3.0));
        assert_eq!(s.ticks(), vec![1.0, 2.0]);
        // A model's expected counts: cells under half a station stay white.
        p.counts[0] = 1e-9;
        p.counts[1] = 0.7;
        p.counts[2] = 250.0;
        let s = ColorScale::for_panels([&p]).expect("scale");
        assert_eq!((s.lo, s.hi), (0.5, 250.0));
        assert_eq!(s.ticks(), vec![0.5, 1.0, 10.0, 100.0]);
        assert!(s.color(1e-9).is_none() && s.color(0.7).is_some());
        // Small values (shares): decades below the smallest, at most four below the largest.
        p.counts = vec![0.02, 3e-5, 1e-12];
        let s = ColorScale::for_panels([&p]).expect("scale");
        assert_eq!(s.lo, 1e-6);
        assert_eq!(ColorScale::label(1e-6), "0.000001");
        p.counts = vec![0.0; 100 * 100];
        assert!(ColorScale::for_panels([&p]).is_none());
        // Absurd ranges thin the decades out.
        p.counts = vec![1.0, 1e300];
        let s = ColorScale::for_panels([&p]).expect("scale");
        assert!(s.ticks().len() <= 9, "{:?}", s.ticks());
        assert_eq!(s.ticks()[0], 1.0);
    }
}
