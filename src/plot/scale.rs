//! The y axis ("share") scale shared by a stand-alone chart or by all panels of a grid.
//!
//! Bars encode magnitude, so the axis always starts at 0 and ends a little above the largest
//! finite value among observed shares and the null band/expectation. Ticks are placed at
//! "nice" steps (1, 2, 5 × 10^k) and printed as percentages with just enough decimals.
//!
//! Also the number helpers of the continuous charts: `fmt_num` (thousands separators),
//! `sane_range` (usable ranges from degenerate specs) and `finite_extent`.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

use crate::figure::BarPanel;

/// Headroom above the largest value, as a fraction of it.
const HEADROOM: f64 = 0.05;
/// Fewest tick steps an axis gets (unless even the finest step gives fewer).
const MIN_INTERVALS: usize = 3;

/// A y range `0..top` with explicit tick positions.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct YScale {
    /// Upper end of the axis (a multiple of the tick step).
    pub top: f64,
    /// Tick positions from 0 to `top`.
    pub ticks: Vec<f64>,
    /// Decimals shown after the percentage point.
    pub decimals: usize,
}

impl YScale {
    /// Scale covering every finite value of every panel, with at most `max_intervals` steps.
    /// Values beyond a panel's category count are not drawn and are ignored.
    pub fn for_panels<'a>(
        panels: impl IntoIterator<Item = &'a BarPanel>,
        max_intervals: usize,
    ) -> Self {
        let max = panels
            .into_iter()
            .flat_map(|p| {
                let n = p.categories.len();
                let take = |v: &'a Vec<f64>| v.iter().take(n);
                take(&p.observed)
                    .chain(take(&p.expected))
                    .chain(take(&p.band_low))
                    .chain(take(&p.band_high))
            })
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        Self::up_to(max, max_intervals)
    }

    /// Scale from 0 to a little above `max`, using the nice step that wastes the least room
    /// with `MIN_INTERVALS..=max_intervals` steps. Without any positive value the whole share range
    /// 0..100 % is shown.
    pub fn up_to(max: f64, max_intervals: usize) -> Self {
        let wanted = if max > 0.0 && (max * (1.0 + HEADROOM)).is_finite() {
            max * (1.0 + HEADROOM)
        } else {
            1.0
        };
        // Shares stop at 100 %: the headroom never pushes a share axis past it.
        let wanted = if max <= 1.0 { wanted.min(1.0) } else { wanted };
        // Try the three nice steps that give at most `max_intervals` steps; keep the one with
        // the lowest top (at least MIN_INTERVALS steps, so the axis keeps enough labels).
        let mut step = nice_step(wanted / max_intervals.max(MIN_INTERVALS) as f64);
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..3 {
            let n = (wanted / step - 1e-9).ceil().max(1.0) as usize;
            let better = best.is_none_or(|(s, m)| n as f64 * step < s * m as f64 - 1e-12);
            if better && (n >= MIN_INTERVALS || best.is_none()) {
                best = Some((step, n));
            }
            step = nice_step(step * 1.5);
        }
        let (step, n) = best.unwrap_or((1.0, 1));
        let ticks: Vec<f64> = (0..=n).map(|k| k as f64 * step).collect();
        Self {
            top: n as f64 * step,
            ticks,
            decimals: decimals_for(step * 100.0),
        }
    }

    /// A share printed as a percentage, e.g. `0.1` → `"10%"`.
    pub fn format(&self, share: f64) -> String {
        format!("{:.*}%", self.decimals, share * 100.0)
    }

    /// `v` clamped into the visible range (NaN stays NaN).
    pub fn clamp(&self, v: f64) -> f64 {
        v.clamp(0.0, self.top)
    }
}

/// A linear `f64` axis whose ticks are exactly `ticks` (plotters' own `f64` axis picks its own
/// ticks, and its `WithKeyPoints` wrapper cannot take a custom label formatter).
#[derive(Debug, Clone)]
pub(super) struct TickedAxis {
    pub range: Range<f64>,
    pub ticks: Vec<f64>,
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span.abs() < f64::EPSILON || !value.is_finite() {
            return (limit.0 + limit.1) / 2;
        }
        let t = (value - self.range.start) / span;
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new() // no light mesh lines
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Smallest value of the form {1, 2, 5} × 10^k that is ≥ `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        let step = m * magnitude;
        if step >= raw * (1.0 - 1e-9) {
            return step;
        }
    }
    10.0 * magnitude
}

/// Number of decimals needed to print multiples of `step_pct` exactly (at most 4).
pub(super) fn decimals_for(step_pct: f64) -> usize {
    (0..4)
        .find(|&d| {
            let scaled = step_pct * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(4)
}

/// `v` with `decimals` decimals, thousands grouped with commas and a true minus sign,
/// e.g. `12000.0` → `"12,000"`.
pub(super) fn fmt_num(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_at(text.find('.').unwrap_or(text.len()));
    let mut out = String::new();
    if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

/// A usable `lo < hi` range: `r` sorted when both ends are finite and distinct, otherwise
/// `fallback` when it is, otherwise the finite one of them widened by ±1 (or ±1 % of the
/// value), otherwise `0..1`.
pub(super) fn sane_range(r: (f64, f64), fallback: Option<(f64, f64)>) -> (f64, f64) {
    let proper = |(a, b): (f64, f64)| a.is_finite() && b.is_finite() && a != b;
    let finite = |(a, b): (f64, f64)| a.is_finite() && b.is_finite();
    match [Some(r), fallback]
        .into_iter()
        .flatten()
        .find(|&x| proper(x))
    {
        Some((a, b)) => (a.min(b), a.max(b)),
        None => match [Some(r), fallback]
            .into_iter()
            .flatten()
            .find(|&x| finite(x))
        {
            Some((a, _)) => {
                let pad = if a == 0.0 { 1.0 } else { a.abs() * 0.01 };
                (a - pad, a + pad)
            }
            None => (0.0, 1.0),
        },
    }
}

/// Smallest and largest finite value, if any.
pub(super) fn finite_extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_shares_get_whole_percent_ticks() {
        let s = YScale::up_to(0.106, 6);
        assert!(s.top >= 0.106 * 1.05 - 1e-12);
        assert_eq!(s.ticks[0], 0.0);
        assert_eq!(s.decimals, 0);
        assert_eq!(s.format(0.1), "10%");
        assert!(s.ticks.len() >= 4 && s.ticks.len() <= 9, "{:?}", s.ticks);
    }

    #[test]
    fn picks_the_step_with_least_wasted_room() {
        // 0.117 * 1.05 = 0.123: 2 % steps reach 14 %, 5 % steps would need 15 %.
        let s = YScale::up_to(0.117, 7);
        assert!((s.top - 0.14).abs() < 1e-12, "{s:?}");
        assert_eq!(s.ticks.len(), 8);
        let s = YScale::up_to(0.9, 6);
        assert!((s.top - 1.0).abs() < 1e-12, "{s:?}");
        // A share near or at 100 % gets an axis that stops at 100 %, not 120 %.
        for max in [0.98, 1.0] {
            let s = YScale::up_to(max, 6);
            assert!((s.top - 1.0).abs() < 1e-12, "{max}: {s:?}");
        }
    }

    #[test]
    fn small_values_get_decimals() {
        let s = YScale::up_to(0.004, 5);
        assert!(s.decimals >= 1);
        assert!(s.top > 0.004);
    }

    #[test]
    fn ticked_axis_maps_linearly() {
        let a = TickedAxis {
            range: 0.0..1.0,
            ticks: vec![0.0, 0.5],
        };
        assert_eq!(a.map(&0.5, (0, 100)), 50);
        assert_eq!(a.map(&1.0, (100, 0)), 0);
        assert_eq!(a.map(&f64::NAN, (0, 100)), 50);
    }

    #[test]
    fn degenerate_input_shows_full_range() {
        for m in [0.0, f64::NAN, f64::INFINITY, -1.0] {
            let s = YScale::up_to(m, 5);
            assert!((s.top - 1.0).abs() < 1e-12, "{m}: {s:?}");
            assert!(!s.ticks.is_empty());
        }
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(fmt_num(12000.0, 0), "12,000");
        assert_eq!(fmt_num(1234567.25, 2), "1,234,567.25");
        assert_eq!(fmt_num(999.0, 0), "999");
        assert_eq!(fmt_num(-1500.0, 0), "−1,500");
        assert_eq!(fmt_num(-0.0001, 1), "0.0");
        assert_eq!(fmt_num(0.05, 2), "0.05");
        assert_eq!(fmt_num(f64::NAN, 0), "");
    }

    #[test]
    fn degenerate_ranges_become_usable() {
        assert_eq!(sane_range((5.0, 5.0), None), (4.95, 5.05));
        assert_eq!(sane_range((5.0, 5.0), Some((1.0, 2.0))), (1.0, 2.0));
        assert_eq!(sane_range((5.0, 5.0), Some((1.0, 1.0))), (4.95, 5.05));
        assert_eq!(sane_range((0.0, 0.0), None), (-1.0, 1.0));
        assert_eq!(sane_range((3.0, 1.0), None), (1.0, 3.0));
        assert_eq!(sane_range((f64::NAN, 1.0), Some((2.0, 4.0))), (2.0, 4.0));
        assert_eq!(sane_range((f64::INFINITY, 1.0), None), (0.0, 1.0));
        assert_eq!(finite_extent([f64::NAN, 2.0, -1.0]), Some((-1.0, 2.0)));
        assert_eq!(finite_extent([f64::NAN]), None);
    }
}
