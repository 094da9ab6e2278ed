//! Edge-case figures for looking at degenerate inputs (run with `--ignored`), written to
//! /tmp/plot-demo/edge-cases: empty series with long Unicode text, all-zero counts with a
//! degenerate range, NaN gaps and clipped lines, a one-panel grid, mixed panels on own scales.

use std::path::Path;

use crate::figures::render;
use election_forensics::figure::{FigureSpec, LineSeries, Marker, Panel};

#[test]
#[ignore = "writes edge-case images to /tmp/plot-demo/edge-cases for visual review"]
fn write_edge_case_figures() {
    use election_forensics::figure::samples::cumulative_panel;
    use election_forensics::figure::samples::fingerprint as synthetic;
    use election_forensics::figure::samples::turnout_panel;
    let dir = Path::new("/tmp/plot-demo/edge-cases");
    std::fs::create_dir_all(dir).expect("create folder");
    let long = "Участковые избирательные комиссии: явка по данным ЦИК, región de Ñuble ".repeat(3);

    let mut empty = turnout_panel(100, false);
    empty.series.clear();
    empty.title = long.clone();
    empty.caption = long.repeat(3);
    render(
        dir,
        "hist_empty_long_text.png",
        &FigureSpec::Histogram(empty),
    );

    let mut zero = synthetic("All counts zero, x range 50..50", 0.0, false);
    zero.x_range = (50.0, 50.0);
    render(dir, "heat_zero.png", &FigureSpec::Heatmap(zero));

    let mut nan = cumulative_panel(200);
    nan.title = long.clone();
    nan.highlight = true;
    for i in 50..60 {
        nan.series[0].points[i].1 = f64::NAN;
    }
    nan.series[1].points = vec![(60.0, 50.0)];
    nan.series.push(LineSeries {
        name: "a fourth series with a rather long legend name".into(),
        points: vec![(30.0, 120.0), (100.0, -20.0)],
        dashed: true,
    });
    nan.markers.push(Marker {
        x: 96.0,
        label: "a long marker label that collides".into(),
    });
    render(dir, "lines_nan_clipped.png", &FigureSpec::Lines(nan));

    let one = vec![Panel::Heatmap(synthetic("the only region", 3000.0, true))];
    render(
        dir,
        "grid_one_panel.png",
        &FigureSpec::Grid {
            title: "One panel".into(),
            caption: "A grid with a single panel.".into(),
            shared_scale: true,
            panels: one,
        },
    );

    let mixed = vec![
        Panel::Histogram(turnout_panel(1000, true)),
        Panel::Heatmap(synthetic("fingerprint", 5000.0, true)),
        Panel::Lines(cumulative_panel(100)),
        Panel::Heatmap(synthetic("small counts", 4.0, false)),
    ];
    render(
        dir,
        "grid_mixed_own_scales.png",
        &FigureSpec::Grid {
            title: "Mixed panels, own scales".into(),
            caption: "Panels of different kinds, each with its own axis descriptions and scale."
                .into(),
            shared_scale: false,
            panels: mixed,
        },
    );
}
