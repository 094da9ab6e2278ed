//! Pixel drawing primitives for the continuous charts: half-open filled rectangles, hairlines,
//! and polylines clipped to the plot rectangle, optionally dashed and two pixels wide.
//!
//! plotters fills rectangles as `[x0, x1) × [y0, y1)` and strokes wide paths by filling one
//! polygon around the whole path, which goes wrong for self-overlapping step outlines; wide
//! lines are therefore drawn as the one-pixel path repeated at small offsets.

use plotters::prelude::*;

use super::{Area, PlotCtx};

/// Clip rectangle in pixels: (left, top, right, bottom), inclusive.
pub(super) type Clip = (i32, i32, i32, i32);

/// Fills `[x0, x1) × [y0, y1)` (corners in any order).
pub(super) fn fill_rect(
    area: &Area,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    color: RGBColor,
) -> anyhow::Result<()> {
    if x0 == x1 || y0 == y1 {
        return Ok(());
    }
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled()))
        .ctx("filling a rectangle")
}

/// A one-pixel horizontal line from `x0` to `x1` inclusive.
pub(super) fn hline(area: &Area, x0: i32, x1: i32, y: i32, color: RGBColor) -> anyhow::Result<()> {
    fill_rect(area, (x0.min(x1), y), (x0.max(x1) + 1, y + 1), color)
}

/// A one-pixel vertical line from `y0` to `y1` inclusive.
pub(super) fn vline(area: &Area, x: i32, y0: i32, y1: i32, color: RGBColor) -> anyhow::Result<()> {
    fill_rect(area, (x, y0.min(y1)), (x + 1, y0.max(y1) + 1), color)
}

/// How a polyline is stroked.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stroke {
    pub color: RGBColor,
    /// 1 or 2 px.
    pub width: u32,
    /// (dash, gap) lengths in px for a dashed line.
    pub dash: Option<(f64, f64)>,
}

/// Draws the polyline through `points` (pixel coordinates; a non-finite point breaks the line)
/// clipped to `clip`.
pub(super) fn polyline(
    area: &Area,
    points: &[(f64, f64)],
    clip: Clip,
    stroke: Stroke,
) -> anyhow::Result<()> {
    for run in clipped_runs(points, clip) {
        let pieces = match stroke.dash {
            Some((on, off)) => dashes(&run, on, off),
            None => vec![run],
        };
        for piece in pieces {
            draw_run(area, &piece, stroke)?;
        }
    }
    Ok(())
}

/// Strokes one continuous run, rounding to pixels and dropping repeated points.
fn draw_run(area: &Area, run: &[(f64, f64)], stroke: Stroke) -> anyhow::Result<()> {
    let mut px: Vec<(i32, i32)> = Vec::with_capacity(run.len());
    for &(x, y) in run {
        let p = (x.round() as i32, y.round() as i32);
        if px.last() != Some(&p) {
            px.push(p);
        }
    }
    if px.len() == 1 {
        px.push(px[0]);
    }
    if px.is_empty() {
        return Ok(());
    }
    let offsets: &[(i32, i32)] = if stroke.width >= 2 {
        &[(0, 0), (1, 0), (0, 1), (1, 1)]
    } else {
        &[(0, 0)]
    };
    for &(dx, dy) in offsets {
        let path: Vec<(i32, i32)> = px.iter().map(|&(x, y)| (x + dx, y + dy)).collect();
        area.draw(&PathElement::new(path, stroke.color.stroke_width(1)))
            .ctx("drawing a line")?;
    }
    Ok(())
}

/// The parts of the polyline inside `clip`, as continuous runs.
fn clipped_runs(points: &[(f64, f64)], clip: Clip) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    if let [only] = points {
        if finite(only) && clip_segment(*only, *only, clip).is_some() {
            runs.push(vec![*only]);
        }
        return runs;
    }
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let seg = if finite(&a) && finite(&b) {
            clip_segment(a, b, clip)
        } else {
            None
        };
        match seg {
            Some((ca, cb)) => {
                if current.last() != Some(&ca) {
                    if !current.is_empty() {
                        runs.push(std::mem::take(&mut current));
                    }
                    current.push(ca);
                }
                current.push(cb);
            }
            None => {
                if !current.is_empty() {
                    runs.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// Liang–Barsky clipping of the segment `a`–`b` to `clip`.
fn clip_segment(a: (f64, f64), b: (f64, f64), clip: Clip) -> Option<((f64, f64), (f64, f64))> {
    let (l, t, r, bm) = (
        f64::from(clip.0),
        f64::from(clip.1),
        f64::from(clip.2),
        f64::from(clip.3),
    );
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.0 - l),
        (dx, r - a.0),
        (-dy, a.1 - t),
        (dy, bm - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let u = q / p;
            if p < 0.0 {
                t0 = t0.max(u);
            } else {
                t1 = t1.min(u);
            }
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// Splits a run into dashes of length `on` separated by gaps of length `off`.
fn dashes(run: &[(f64, f64)], on: f64, off: f64) -> Vec<Vec<(f64, f64)>> {
    let (on, off) = (on.max(1.0), off.max(1.0));
    let mut out = Vec::new();
    let mut piece: Vec<(f64, f64)> = Vec::new();
    let mut drawing = true;
    let mut left = on; // length left in the current dash or gap
    if let Some(&first) = run.first() {
        piece.push(first);
    }
    for w in run.windows(2) {
        let (mut a, b) = (w[0], w[1]);
        let mut len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        while len > left {
            let f = left / len;
            let mid = (a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1));
            if drawing {
                piece.push(mid);
                out.push(std::mem::take(&mut piece));
            } else {
                piece.push(mid);
            }
            len -= left;
            a = mid;
            drawing = !drawing;
            left = if drawing { on } else { off };
        }
        left -= len;
        if drawing {
            piece.push(b);
        } else {
            piece.clear();
            piece.push(b);
        }
    }
    if drawing && piece.len() > 1 {
        out.push(piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_clipped() {
        let clip = (0, 0, 10, 10);
        let s = clip_segment((-5.0, 5.0), (15.0, 5.0), clip).expect("crosses");
        assert_eq!(s, ((0.0, 5.0), (10.0, 5.0)));
        assert!(clip_segment((-5.0, -5.0), (-1.0, 20.0), clip).is_none());
        let runs = clipped_runs(
            &[
                (1.0, 1.0),
                (5.0, 5.0),
                (f64::NAN, 1.0),
                (2.0, 2.0),
                (3.0, 3.0),
            ],
            clip,
        );
        assert_eq!(runs.len(), 2);
        assert_eq!(clipped_runs(&[(50.0, 50.0)], clip).len(), 0);
        assert_eq!(clipped_runs(&[], clip).len(), 0);
    }

    #[test]
    fn dashes_alternate() {
        let d = dashes(&[(0.0, 0.0), (20.0, 0.0)], 4.0, 4.0);
        assert_eq!(d.len(), 3);
        assert_eq!(d[0], vec![(0.0, 0.0), (4.0, 0.0)]);
        assert_eq!(d[1], vec![(8.0, 0.0), (12.0, 0.0)]);
        // A corner inside a dash keeps the dash continuous.
        let d = dashes(&[(0.0, 0.0), (2.0, 0.0), (2.0, 2.0)], 6.0, 2.0);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].len(), 3);
    }
}
