//! Continuous axes shared by the histogram, heatmap and line charts: tick choice, the pixel
//! geometry of one plot rectangle, and the drawing of grid lines, axis lines, ticks, tick
//! labels (thousands separators, see `scale::fmt_num`) and axis descriptions.
//!
//! Unlike the bar charts (which use plotters' mesh), these charts map values to pixels
//! themselves: cells, bins and line segments are drawn as pixel rectangles and paths, which is
//! fast for 10,000 heatmap cells and lets every element be clipped to the plot rectangle.

use plotters::style::text_anchor::HPos;

use plotters::style::colors::WHITE;

use super::draw::{fill_rect, hline, vline};
use super::font::text_width;
use super::scale::{decimals_for, fmt_num, nice_step, YScale};
use super::text::{draw_line, truncate_to_width, Txt};
use super::{Area, AXIS, GRID, TEXT};

/// Length of the tick marks.
const TICK: i32 = 4;
/// Gap between a tick mark and its label.
const TICK_GAP: i32 = 4;
/// Most tick steps on any axis.
const MAX_INTERVALS: usize = 12;

/// A linear axis: the value range mapped to the plot edges and the ticks to label.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    /// Decimals printed in tick labels.
    pub decimals: usize,
}

impl Axis {
    /// Ticks at multiples of a nice step (1, 2, 5 × 10^k) inside `lo..=hi`, with at most
    /// `max_intervals` steps. `lo < hi` must hold (see [`sane_range`]).
    pub fn nice(lo: f64, hi: f64, max_intervals: usize) -> Self {
        let max_intervals = max_intervals.clamp(1, MAX_INTERVALS);
        let span = hi - lo;
        let mut step = nice_step(span / max_intervals as f64);
        for _ in 0..8 {
            let first = (lo / step - 1e-9).ceil();
            let last = (hi / step + 1e-9).floor();
            if last - first <= max_intervals as f64 {
                break;
            }
            step = nice_step(step * 1.5);
        }
        let (first, last) = ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor());
        // Absurd ranges (e.g. ±1e308, or a tiny span far from 0) get no ticks rather than
        // millions of them.
        let count = if span.is_finite() && last - first <= 4.0 * MAX_INTERVALS as f64 {
            (last - first).max(-1.0) as i64 + 1
        } else {
            0
        };
        let ticks = (0..count)
            .map(|k| (first + k as f64) * step)
            .filter(|t| *t >= lo - span * 1e-9 && *t <= hi + span * 1e-9)
            .map(|t| if t.abs() < step * 1e-9 { 0.0 } else { t })
            .collect();
        Self {
            lo,
            hi,
            ticks,
            decimals: decimals_for(step),
        }
    }

    /// An axis from 0 to a little above `max` (counts: honest, 0-based), nice ticks.
    pub fn from_zero(max: f64, max_intervals: usize) -> Self {
        let s = YScale::up_to(max, max_intervals.clamp(1, MAX_INTERVALS));
        let step = s.ticks.get(1).copied().unwrap_or(s.top);
        Self {
            lo: 0.0,
            hi: s.top,
            ticks: s.ticks,
            decimals: decimals_for(step),
        }
    }

    pub fn label(&self, v: f64) -> String {
        fmt_num(v, self.decimals)
    }

    /// Position of `v` between the ends, 0.0 at `lo` and 1.0 at `hi` (NaN stays NaN).
    pub fn frac(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }
}

/// How the y axis of a panel is chosen.
#[derive(Debug, Clone, Copy)]
pub(super) enum YSpec {
    /// 0 to a little above the maximum (counts).
    FromZero(f64),
    /// Exactly this range (already sane).
    Range(f64, f64),
}

/// Sizes (px) of one panel's axes.
#[derive(Debug, Clone)]
pub(super) struct AxesStyle {
    pub tick_px: f64,
    /// Axis description size; `None` draws none (grid cells with shared descriptions).
    pub desc_px: Option<f64>,
    /// Free space above the plot (marker labels go there).
    pub margin_top: i32,
    pub margin_right: i32,
}

impl AxesStyle {
    fn desc_room(&self) -> i32 {
        self.desc_px.map_or(0, |px| px.round() as i32 + 10)
    }
}

/// A plot rectangle inside its drawing area (pixels, relative to the area) and its axes.
#[derive(Debug, Clone)]
pub(super) struct Plot {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub x: Axis,
    pub y: Axis,
}

impl Plot {
    /// Lays out a plot in an area of `dim` pixels: room for tick labels and descriptions on
    /// the left and below, `right_reserve` px kept free right of the plot (colour bar). A
    /// `square` plot is as large as fits and centred horizontally.
    pub fn layout(
        dim: (u32, u32),
        x_range: (f64, f64),
        y: YSpec,
        style: &AxesStyle,
        right_reserve: i32,
        square: bool,
    ) -> Self {
        let (w, h) = (dim.0 as i32, dim.1 as i32);
        let line_h = (style.tick_px * 1.15).round() as i32;
        let below = TICK + TICK_GAP + line_h + style.desc_room();
        let plot_h = (h - style.margin_top - below).max(10);
        let y_axis = |plot_h: i32| {
            let intervals = (f64::from(plot_h) / (style.tick_px * 3.2)).floor() as usize;
            match y {
                YSpec::FromZero(max) => Axis::from_zero(max, intervals.clamp(2, 8)),
                YSpec::Range(lo, hi) => Axis::nice(lo, hi, intervals.clamp(2, 8)),
            }
        };
        let mut y_axis_v = y_axis(plot_h);
        let widest = |a: &Axis| {
            a.ticks
                .iter()
                .map(|&t| text_width(&a.label(t), style.tick_px) as i32)
                .max()
                .unwrap_or(0)
        };
        let left_room = TICK + TICK_GAP + widest(&y_axis_v) + 4 + style.desc_room();
        let mut plot_w = (w - left_room - style.margin_right - right_reserve).max(10);
        let mut plot_h = plot_h;
        let mut left = left_room;
        if square {
            let side = plot_w.min(plot_h);
            left += (plot_w - side) / 2;
            plot_w = side;
            plot_h = side;
            y_axis_v = y_axis(plot_h);
        }
        let x_probe = Axis::nice(x_range.0, x_range.1, MAX_INTERVALS);
        let label_w = widest(&x_probe).max(1);
        let fit = f64::from(plot_w) / (f64::from(label_w) + style.tick_px * 1.6);
        let x_axis = Axis::nice(x_range.0, x_range.1, (fit.floor() as usize).max(1));
        Self {
            left,
            top: style.margin_top,
            right: left + plot_w,
            bottom: style.margin_top + plot_h,
            x: x_axis,
            y: y_axis_v,
        }
    }

    /// Pixel x of value `v` (not clamped; NaN stays NaN).
    pub fn px(&self, v: f64) -> f64 {
        f64::from(self.left) + self.x.frac(v) * f64::from(self.right - self.left)
    }

    /// Pixel y of value `v` (not clamped).
    pub fn py(&self, v: f64) -> f64 {
        f64::from(self.bottom) - self.y.frac(v) * f64::from(self.bottom - self.top)
    }

    /// Pixel y of `v` clamped into the plot.
    pub fn py_clamped(&self, v: f64) -> i32 {
        let p = self.py(v);
        if p.is_nan() {
            return self.bottom;
        }
        p.round().clamp(f64::from(self.top), f64::from(self.bottom)) as i32
    }

    pub fn width(&self) -> i32 {
        self.right - self.left
    }

    pub fn height(&self) -> i32 {
        self.bottom - self.top
    }

    /// Light grid lines at the y ticks (`horizontal`) and x ticks (`vertical`).
    pub fn draw_grid(&self, area: &Area, horizontal: bool, vertical: bool) -> anyhow::Result<()> {
        if horizontal {
            for &t in &self.y.ticks {
                let y = self.py(t).round() as i32;
                if y > self.top && y < self.bottom {
                    hline(area, self.left, self.right, y, GRID)?;
                }
            }
        }
        if vertical {
            for &t in &self.x.ticks {
                let x = self.px(t).round() as i32;
                if x > self.left && x < self.right {
                    vline(area, x, self.top, self.bottom, GRID)?;
                }
            }
        }
        Ok(())
    }

    /// Axis lines (a full frame when `boxed`), tick marks, tick labels and, when the style
    /// asks for them, the axis descriptions.
    pub fn draw_axes(
        &self,
        area: &Area,
        style: &AxesStyle,
        (x_desc, y_desc): (&str, &str),
        boxed: bool,
    ) -> anyhow::Result<()> {
        let (l, r, t, b) = (self.left, self.right, self.top, self.bottom);
        hline(area, l - 1, r, b, AXIS)?;
        vline(area, l - 1, t, b, AXIS)?;
        if boxed {
            hline(area, l - 1, r, t - 1, AXIS)?;
            vline(area, r, t - 1, b, AXIS)?;
        }
        let txt = |hpos| Txt::new(style.tick_px, TEXT, hpos);
        for &v in &self.x.ticks {
            let x = self.px(v).round() as i32;
            vline(area, x, b, b + TICK, AXIS)?;
            draw_line(
                area,
                &self.x.label(v),
                (x, b + TICK + TICK_GAP),
                txt(HPos::Center),
            )?;
        }
        for &v in &self.y.ticks {
            let y = self.py(v).round() as i32;
            hline(area, l - 1 - TICK, l - 1, y, AXIS)?;
            let top = y - (0.5 * style.tick_px).round() as i32;
            draw_line(
                area,
                &self.y.label(v),
                (l - 1 - TICK - TICK_GAP, top),
                txt(HPos::Right),
            )?;
        }
        if let Some(px) = style.desc_px {
            let line_h = (style.tick_px * 1.15).round() as i32;
            let x_text = truncate_to_width(x_desc, px, self.width().max(20) as u32);
            let top = b + TICK + TICK_GAP + line_h + 6;
            let centre = (l + r) / 2;
            draw_line(
                area,
                &x_text,
                (centre, top),
                Txt::new(px, TEXT, HPos::Center),
            )?;
            let y_text = truncate_to_width(y_desc, px, self.height().max(20) as u32);
            let widest = self
                .y
                .ticks
                .iter()
                .map(|&v| text_width(&self.y.label(v), style.tick_px) as i32)
                .max()
                .unwrap_or(0);
            let x = (l - 1 - TICK - TICK_GAP - widest - 8 - px.round() as i32).max(0);
            let mid = (t + b) / 2;
            draw_line(
                area,
                &y_text,
                (x, mid),
                Txt::new(px, TEXT, HPos::Center).rotated(),
            )?;
        }
        Ok(())
    }

    /// "no data" on a white patch in the middle of the plot.
    pub fn draw_no_data(&self, area: &Area, style: &AxesStyle) -> anyhow::Result<()> {
        let size = style.tick_px * 1.2;
        let text = "no data";
        let half = text_width(text, size) as i32 / 2 + 6;
        let (cx, cy) = ((self.left + self.right) / 2, (self.top + self.bottom) / 2);
        let h = size.round() as i32;
        fill_rect(area, (cx - half, cy - h), (cx + half, cy + h), WHITE)?;
        draw_line(
            area,
            text,
            (cx, cy - h / 2),
            Txt::new(size, AXIS, HPos::Center),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_stay_inside_the_range() {
        let a = Axis::nice(0.0, 100.0, 10);
        assert_eq!(a.ticks.len(), 11);
        assert_eq!(a.label(a.ticks[3]), "30");
        let a = Axis::nice(0.0, 110.0, 6);
        assert_eq!(a.ticks, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let a = Axis::nice(-3.7, 12.2, 4);
        assert!(a.ticks.iter().all(|&t| (-3.7..=12.2).contains(&t)), "{a:?}");
        assert!(a.ticks.len() <= 5 && a.ticks.len() >= 2, "{a:?}");
        let a = Axis::nice(0.5, 0.52, 4);
        assert!(a.decimals >= 2, "{a:?}");
        // Absurd ranges give few or no ticks, quickly.
        assert!(Axis::nice(-1e308, 1e308, 10).ticks.len() <= 13);
        assert!(Axis::nice(1e15, 1e15 + 1e-5, 10).ticks.len() <= 13);
        assert!(Axis::from_zero(1e308, 6).ticks.len() <= 13);
    }

    #[test]
    fn counts_axis_starts_at_zero() {
        let a = Axis::from_zero(23_456.0, 6);
        assert_eq!(a.lo, 0.0);
        assert!(a.hi >= 23_456.0);
        assert_eq!(a.decimals, 0);
        assert_eq!(a.label(20_000.0), "20,000");
    }

    #[test]
    fn layout_fits_inside_the_area() {
        let style = AxesStyle {
            tick_px: 14.0,
            desc_px: Some(16.0),
            margin_top: 10,
            margin_right: 10,
        };
        let p = Plot::layout(
            (600, 400),
            (0.0, 100.0),
            YSpec::FromZero(10.0),
            &style,
            0,
            false,
        );
        assert!(p.left > 0 && p.right <= 590 && p.top == 10 && p.bottom < 400);
        assert_eq!(p.px(0.0), f64::from(p.left));
        assert_eq!(p.py(0.0), f64::from(p.bottom));
        let sq = Plot::layout(
            (600, 400),
            (0.0, 1.0),
            YSpec::Range(0.0, 1.0),
            &style,
            80,
            true,
        );
        assert_eq!(sq.width(), sq.height());
        assert!(sq.right <= 600 - 80);
        // A tiny area still gives a valid plot.
        let tiny = Plot::layout((5, 5), (0.0, 1.0), YSpec::FromZero(0.0), &style, 0, true);
        assert!(tiny.width() >= 10 && tiny.height() >= 10);
    }
}
