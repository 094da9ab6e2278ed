//! Format-neutral figure specifications.
//!
//! Forensic tests describe *what* to draw (numbers, labels, captions); only `plot/` knows how
//! (plotters, PNG). A figure is referenced from findings by its `file_stem`; the renderer writes
//! `figures/<file_stem>.png`.

pub mod samples;

use serde::Serialize;

/// One figure a test wants drawn.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// File name without extension, already safe for any file system (see `file_stem`).
    pub file_stem: String,
    /// What to draw.
    pub spec: FigureSpec,
}

/// The kinds of chart the renderers know.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FigureSpec {
    /// Observed shares per category as bars, the null expectation as points joined by a line,
    /// and a 95 % band under the null as a shaded interval or error bars around the expectation.
    Bars(BarPanel),
    /// A grid of `Bars` panels sharing axes (e.g. one panel per region), with one title and caption.
    SmallMultiples {
        title: String,
        /// One or two sentences under the chart saying what the reader sees.
        caption: String,
        panels: Vec<BarPanel>,
    },
    /// Counts over equal-width bins of a continuous axis (one or more series on the same bins).
    Histogram(HistogramPanel),
    /// A 2D histogram (e.g. turnout × leader share), colour = count on a log scale.
    Heatmap(HeatmapPanel),
    /// Curves on shared axes (e.g. cumulative votes against turnout).
    Lines(LinePanel),
    /// Several panels of one kind in a grid under one title and caption: regional small
    /// multiples, or an observed fingerprint beside a fitted model's.
    Grid {
        title: String,
        caption: String,
        /// When true, heatmap panels share one colour scale (one colour bar for the grid),
        /// histogram panels one y axis and line panels one y range (the union of theirs).
        shared_scale: bool,
        panels: Vec<Panel>,
    },
}

impl FigureSpec {
    /// The sentence(s) printed under the figure in reports.
    pub fn caption(&self) -> &str {
        match self {
            FigureSpec::Bars(p) => &p.caption,
            FigureSpec::Histogram(p) => &p.caption,
            FigureSpec::Heatmap(p) => &p.caption,
            FigureSpec::Lines(p) => &p.caption,
            FigureSpec::SmallMultiples { caption, .. } | FigureSpec::Grid { caption, .. } => {
                caption
            }
        }
    }
}

/// Which finding a panel shows: its test, subject and region.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRef {
    pub test_id: &'static str,
    pub subject: String,
    pub region: Option<Vec<String>>,
}

/// One panel of a `Grid`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Panel {
    Histogram(HistogramPanel),
    Heatmap(HeatmapPanel),
    Lines(LinePanel),
}

/// A vertical reference line (e.g. 95 % turnout) with a short label.
#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    pub x: f64,
    pub label: String,
}

/// One series of a histogram.
#[derive(Debug, Clone, Serialize)]
pub struct HistSeries {
    /// Legend text.
    pub name: String,
    /// One value per bin (counts of stations, or a weighted count).
    pub counts: Vec<f64>,
}

/// Counts over the bins `[x_min + i·bin_width, x_min + (i+1)·bin_width)`.
#[derive(Debug, Clone, Serialize)]
pub struct HistogramPanel {
    pub title: String,
    /// One or two sentences shown under a stand-alone chart; ignored inside a grid.
    pub caption: String,
    pub x_label: String,
    pub y_label: String,
    pub x_min: f64,
    pub bin_width: f64,
    /// Drawn in order; the first series is the main one (filled), later ones as outlines/lines.
    pub series: Vec<HistSeries>,
    pub markers: Vec<Marker>,
    /// When true the panel's title is drawn in the highlight colour.
    pub highlight: bool,
}

/// A 2D histogram: `counts[row * nx + col]`, row 0 at `y_min` (bottom), col 0 at `x_min` (left).
#[derive(Debug, Clone, Serialize)]
pub struct HeatmapPanel {
    pub title: String,
    pub caption: String,
    pub x_label: String,
    pub y_label: String,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub nx: usize,
    pub ny: usize,
    pub counts: Vec<f64>,
    /// Colour-bar label, e.g. "stations per cell (log scale)".
    pub color_label: String,
    pub highlight: bool,
}

/// One curve.
#[derive(Debug, Clone, Serialize)]
pub struct LineSeries {
    pub name: String,
    /// (x, y) points in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (e.g. a reference or null curve).
    pub dashed: bool,
}

/// Curves on shared axes.
#[derive(Debug, Clone, Serialize)]
pub struct LinePanel {
    pub title: String,
    pub caption: String,
    pub x_label: String,
    pub y_label: String,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub series: Vec<LineSeries>,
    pub markers: Vec<Marker>,
    pub highlight: bool,
}

/// A single bar chart (also one panel of a small-multiples grid).
#[derive(Debug, Clone, Serialize)]
pub struct BarPanel {
    /// Chart title (panel title inside small multiples, e.g. the region name and n).
    pub title: String,
    /// One or two sentences shown under a stand-alone chart; ignored inside small multiples.
    pub caption: String,
    pub x_label: String,
    pub y_label: String,
    /// Category labels, e.g. "0".."9".
    pub categories: Vec<String>,
    /// Observed share per category (0..1).
    pub observed: Vec<f64>,
    /// Expected share per category under the null (0..1).
    pub expected: Vec<f64>,
    /// Lower end of the 95 % band of the observed share under the null, per category.
    pub band_low: Vec<f64>,
    /// Upper end of the 95 % band of the observed share under the null, per category.
    pub band_high: Vec<f64>,
    /// When true the observed bar is drawn in the highlight colour (e.g. the panel deviates).
    pub highlight: bool,
    /// The finding the panel shows: after the multiple-testing adjustment the battery highlights
    /// exactly the panels whose finding deviates and puts p, q and the verdict in their titles.
    #[serde(skip)]
    pub finding: Option<FindingRef>,
    /// Legend text of the dots (what the expectation is, e.g. "Benford's law").
    pub expected_label: String,
    /// Legend text of the grey band.
    pub band_label: String,
}

/// A file stem safe on every file system, built from parts (test id, subject, region...):
/// lower-case ASCII letters, digits and `-`, parts joined by `__`, at most ~90 characters, and a
/// short hash of the original parts so that different names never share a file.
pub fn file_stem(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let slug = |s: &str| {
        let mut out = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        out.trim_matches('-').chars().take(30).collect::<String>()
    };
    let body: Vec<String> = parts
        .iter()
        .map(|p| slug(p))
        .filter(|s| !s.is_empty())
        .collect();
    let digest = Sha256::digest(parts.join("\u{1f}").as_bytes());
    format!("{}__{}", body.join("__"), crate::text::hex(&digest[..3]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe_and_distinct() {
        let a = file_stem(&["last_digit", "Ana Acosta", "../../etc/passwd"]);
        assert!(a.starts_with("last_digit__ana-acosta__etc-passwd__"), "{a}");
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert!(!a.contains(".."));
        assert_ne!(
            file_stem(&["x", "Ana Acosta"]),
            file_stem(&["x", "ana-acosta"])
        );
        assert!(file_stem(&["t", &"é".repeat(500)]).len() < 100);
    }
}
