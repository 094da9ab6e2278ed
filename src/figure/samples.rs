//! Synthetic figure specs: a fingerprint with a comet, a turnout histogram with whole-percent
//! spikes, cumulative vote curves. Renderer unit tests draw them, and the demo images
//! (`tests/plot_demo`, run with `--ignored`) start from them; no test of the battery uses them.
//! They are data, not drawing, so they live beside the specs rather than among the renderers.

use super::{HeatmapPanel, HistSeries, HistogramPanel, LinePanel, LineSeries, Marker};

/// A 100 × 100 fingerprint: a blob around (60 %, 55 %) of up to ~`peak` stations per cell,
/// plus a thin comet towards (100 %, 100 %).
pub fn fingerprint(title: &str, peak: f64, comet: bool) -> HeatmapPanel {
    let mut counts = vec![0.0; 100 * 100];
    for row in 0..100 {
        for col in 0..100 {
            let (x, y) = (col as f64 + 0.5, row as f64 + 0.5);
            let (dx, dy) = ((x - 60.0) / 7.0, (y - 55.0) / 6.0);
            let blob = peak * (-(dx * dx + dy * dy - 1.2 * dx * dy) / 2.0).exp();
            // The comet: along the line from the blob to (100, 100), thinning out.
            let t = (x - 60.0) / 40.0;
            let on_line = (y - (55.0 + 45.0 * t)).abs();
            let tail = if comet && t > 0.0 && on_line < 3.0 {
                40.0 * (1.0 - t).max(0.02) * (-on_line).exp()
            } else {
                0.0
            };
            counts[row * 100 + col] = (blob + tail).floor();
        }
    }
    HeatmapPanel {
        title: title.into(),
        caption: "Polling stations by turnout and the leader's share of the vote.".into(),
        x_label: "turnout (%)".into(),
        y_label: "leader's share (%)".into(),
        x_range: (0.0, 100.0),
        y_range: (0.0, 100.0),
        nx: 100,
        ny: 100,
        counts,
        color_label: "stations per cell (log scale)".into(),
        highlight: false,
    }
}

/// A turnout histogram with `bins` bins over 0..100 %: a bell around 60 % with spikes at
/// whole percentages when `spikes`.
pub fn turnout_panel(bins: usize, spikes: bool) -> HistogramPanel {
    let width = 100.0 / bins as f64;
    let counts: Vec<f64> = (0..bins)
        .map(|i| {
            let x = (i as f64 + 0.5) * width;
            let bell = 2000.0 * width * (-((x - 60.0) / 9.0).powi(2) / 2.0).exp();
            let on_whole = (x - x.round()).abs() < width / 2.0 + 1e-9 && x > 70.0;
            (bell + if spikes && on_whole { 30.0 } else { 0.0 }).round()
        })
        .collect();
    let expected = counts.iter().map(|c| c * 0.9).collect();
    HistogramPanel {
        title: "Turnout per polling station".into(),
        caption: "Number of polling stations per turnout bin.".into(),
        x_label: "turnout (%)".into(),
        y_label: "polling stations".into(),
        x_min: 0.0,
        bin_width: width,
        series: vec![
            HistSeries {
                name: "observed".into(),
                counts,
            },
            HistSeries {
                name: "expected".into(),
                counts: expected,
            },
        ],
        markers: vec![Marker {
            x: 95.0,
            label: "95 %".into(),
        }],
        highlight: false,
    }
}

/// Cumulative vote shares against turnout: a leader whose curve climbs late, a flat
/// reference and a dashed expectation.
pub fn cumulative_panel(points: usize) -> LinePanel {
    let curve = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
        (0..=points)
            .map(|i| {
                let x = 30.0 + 70.0 * i as f64 / points as f64;
                (x, f(x))
            })
            .collect()
    };
    let logistic = |x: f64, mid: f64| 100.0 / (1.0 + (-(x - mid) / 6.0).exp());
    LinePanel {
        title: "Cumulative votes by turnout".into(),
        caption: "Share of all votes counted at stations up to each turnout.".into(),
        x_label: "turnout (%)".into(),
        y_label: "cumulative share of votes (%)".into(),
        x_range: (30.0, 100.0),
        y_range: (0.0, 100.0),
        series: vec![
            LineSeries {
                name: "leader".into(),
                points: curve(&|x| logistic(x, 70.0)),
                dashed: false,
            },
            LineSeries {
                name: "all other candidates".into(),
                points: curve(&|x| logistic(x, 60.0)),
                dashed: false,
            },
            LineSeries {
                name: "expected without fraud".into(),
                points: curve(&|x| logistic(x, 62.0)),
                dashed: true,
            },
        ],
        markers: vec![Marker {
            x: 95.0,
            label: "95 %".into(),
        }],
        highlight: false,
    }
}
