//! Realistic demo figures of the turnout battery, for looking at the charts:
//! `cargo test --test plot_demo -- --ignored` writes them to /tmp/plot-demo.
//!
//! The synthetic election: ~90,000 stations with turnout around 60 % and the leader's share
//! around 55 %, 9 % of stations stuffed (turnout and share pushed towards 100 %: the comet)
//! and 6 % reporting a turnout of exactly a whole percent (the spikes of "Churov's saw").

use std::path::Path;

use election_forensics::figure::{
    FigureSpec, HeatmapPanel, HistSeries, HistogramPanel, LinePanel, LineSeries, Marker, Panel,
};
use election_forensics::plot::render_png;

/// A small deterministic generator (xorshift64*), enough for demo data.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// One station: turnout and leader's share (fractions), registered voters.
#[derive(Clone, Copy)]
struct Station {
    turnout: f64,
    share: f64,
    voters: f64,
}

fn election(n: usize, seed: u64, stuffing: f64) -> Vec<Station> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    (0..n)
        .map(|_| {
            let mut t = (0.60 + 0.08 * rng.normal()).clamp(0.05, 1.0);
            let mut s = (0.55 + 0.3 * (t - 0.6) + 0.06 * rng.normal()).clamp(0.0, 1.0);
            if rng.uniform() < stuffing {
                let f = rng.uniform().powf(0.7) * 0.95;
                t += f * (1.0 - t);
                s += f * (1.0 - s);
            }
            if rng.uniform() < 0.06 && t > 0.5 {
                t = (t * 100.0).round() / 100.0;
            }
            if rng.uniform() < 0.003 {
                t = 1.0 + 0.08 * rng.uniform();
            }
            let voters = 400.0 + 2600.0 * rng.uniform();
            Station {
                turnout: t,
                share: s,
                voters,
            }
        })
        .collect()
}

fn hist(stations: &[Station], x_max: f64, bin: f64) -> Vec<f64> {
    let n = (x_max / bin).round() as usize;
    let mut counts = vec![0.0; n];
    for st in stations {
        let i = ((st.turnout * 100.0 + 1e-9) / bin).floor() as usize;
        if let Some(c) = counts.get_mut(i) {
            *c += 1.0;
        }
    }
    counts
}

fn fingerprint(title: &str, stations: &[Station]) -> HeatmapPanel {
    let mut counts = vec![0.0; 100 * 100];
    // Stations above 100 % turnout (register errors) are left out of the fingerprint.
    for st in stations.iter().filter(|s| s.turnout <= 1.0) {
        let col = ((st.turnout * 100.0).floor() as usize).min(99);
        let row = ((st.share * 100.0).floor() as usize).min(99);
        counts[row * 100 + col] += 1.0;
    }
    HeatmapPanel {
        title: title.into(),
        caption: "Each cell counts the polling stations with that turnout (1 % wide) and that \
                  share of the vote for the leader (1 % high). A clean election shows one \
                  round blob; ballot stuffing drags stations towards 100 % turnout and 100 % \
                  for the leader (the comet in the upper right)."
            .into(),
        x_label: "turnout (%)".into(),
        y_label: "leader's share of the vote (%)".into(),
        x_range: (0.0, 100.0),
        y_range: (0.0, 100.0),
        nx: 100,
        ny: 100,
        counts,
        color_label: "polling stations per cell (log scale)".into(),
        highlight: false,
    }
}

/// The fitted model's expected fingerprint: a smooth blob plus a smooth comet (fractional).
fn fitted(title: &str, n: f64) -> HeatmapPanel {
    let mut counts = vec![0.0; 100 * 100];
    let mut total = 0.0;
    for row in 0..100 {
        for col in 0..100 {
            let (x, y) = ((col as f64 + 0.5) / 100.0, (row as f64 + 0.5) / 100.0);
            let (dx, dy) = ((x - 0.6) / 0.08, (y - 0.55 - 0.3 * (x - 0.6)) / 0.06);
            let blob = (-(dx * dx + dy * dy) / 2.0).exp();
            let f = ((x - 0.6) / 0.4).clamp(0.0, 1.0);
            let along = (y - (0.55 + f * 0.45)).abs() / (0.03 + 0.05 * (1.0 - f));
            let comet = if x > 0.6 {
                0.02 * (-along * along).exp()
            } else {
                0.0
            };
            counts[row * 100 + col] = blob + comet;
            total += blob + comet;
        }
    }
    counts.iter_mut().for_each(|c| *c *= n / total);
    HeatmapPanel {
        counts,
        ..fingerprint(title, &[])
    }
}

fn turnout_hist(title: &str, stations: &[Station], bin: f64, x_max: f64) -> HistogramPanel {
    HistogramPanel {
        title: title.into(),
        caption: String::new(),
        x_label: "turnout (%)".into(),
        y_label: "polling stations".into(),
        x_min: 0.0,
        bin_width: bin,
        series: vec![HistSeries {
            name: "polling stations".into(),
            counts: hist(stations, x_max, bin),
        }],
        markers: vec![],
        highlight: false,
    }
}

pub(crate) fn render(dir: &Path, name: &str, fig: &FigureSpec) {
    let start = std::time::Instant::now();
    render_png(fig, &dir.join(name)).expect("render");
    eprintln!("{name}: {:?}", start.elapsed());
}

#[test]
#[ignore = "writes demo images to /tmp/plot-demo for visual review"]
fn write_demo_figures() {
    let dir = Path::new("/tmp/plot-demo");
    std::fs::create_dir_all(dir).expect("create /tmp/plot-demo");
    let stations = election(90_000, 7, 0.09);

    let fp = fingerprint("Election fingerprint: turnout × leader's share", &stations);
    render(dir, "fingerprint.png", &FigureSpec::Heatmap(fp.clone()));

    let mut fine = turnout_hist(
        "Turnout per polling station, 0.1 % bins",
        &stations,
        0.1,
        100.0,
    );
    fine.caption = "Number of polling stations per 0.1 % of turnout. The spikes at whole \
                    percentages (71 %, 72 %, …) are stations whose reported turnout is a round \
                    number far more often than chance allows (\"Churov's saw\")."
        .into();
    render(dir, "turnout_0.1pct.png", &FigureSpec::Histogram(fine));

    let mut coarse = turnout_hist(
        "Turnout per polling station, 1 % bins",
        &stations,
        1.0,
        110.0,
    );
    coarse.caption = "Number of polling stations per 1 % of turnout. The dark line is the \
                      distribution expected from the clean part of the election (a normal \
                      curve fitted below 70 %)."
        .into();
    let n = stations.len() as f64;
    let expected: Vec<f64> = (0..110)
        .map(|i| {
            let z = (i as f64 + 0.5 - 60.0) / 8.0;
            n * 0.9 * (-z * z / 2.0).exp() / (8.0 * (std::f64::consts::TAU).sqrt())
        })
        .collect();
    coarse.series.push(HistSeries {
        name: "expected without stuffing".into(),
        counts: expected,
    });
    coarse.markers = vec![
        Marker {
            x: 95.0,
            label: "95 %".into(),
        },
        Marker {
            x: 100.0,
            label: "100 %".into(),
        },
    ];
    render(dir, "turnout_1pct.png", &FigureSpec::Histogram(coarse));

    render(
        dir,
        "cumulative.png",
        &FigureSpec::Lines(cumulative(&stations)),
    );

    let names = [
        "Москва",
        "Санкт-Петербург",
        "Чеченская Республика",
        "Республика Дагестан",
        "Кемеровская область — Кузбасс",
        "Región Metropolitana de Santiago",
        "Ñuble",
        "Ciudad Autónoma de Buenos Aires",
        "Краснодарский край",
        "Республика Татарстан",
        "Свердловская область",
        "Ямало-Ненецкий автономный округ",
    ];
    let regional: Vec<Panel> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let stuffing = [
                0.02, 0.03, 0.6, 0.45, 0.2, 0.0, 0.01, 0.0, 0.15, 0.35, 0.04, 0.25,
            ][i];
            let st = election(1500 + 700 * i, 100 + i as u64, stuffing);
            let mut p = fingerprint(&format!("{name} (n = {})", st.len()), &st);
            p.highlight = stuffing > 0.3;
            Panel::Heatmap(p)
        })
        .collect();
    render(
        dir,
        "regions_grid.png",
        &FigureSpec::Grid {
            title: "Election fingerprints by region".into(),
            caption: "One fingerprint per region, all on the same colour scale. Orange panels \
                      are regions where the comet towards 100 % turnout and 100 % for the \
                      leader holds more stations than the model allows."
                .into(),
            shared_scale: true,
            panels: regional,
        },
    );

    render(
        dir,
        "observed_vs_fitted.png",
        &FigureSpec::Grid {
            title: "Observed fingerprint and the fitted model's".into(),
            caption: "Left: the observed stations. Right: the counts expected under the fitted \
                      model (normal blob plus ballot-stuffing comet). Both share one colour scale."
                .into(),
            shared_scale: true,
            panels: vec![
                Panel::Heatmap(HeatmapPanel {
                    title: "observed".into(),
                    ..fp
                }),
                Panel::Heatmap(fitted("fitted model", n)),
            ],
        },
    );

    let many: Vec<Panel> = (0..48)
        .map(|i| {
            let st = election(
                800 + 90 * i,
                500 + i as u64,
                if i % 9 == 4 { 0.4 } else { 0.03 },
            );
            let mut p = turnout_hist(
                &format!("Region number {i} (n = {})", st.len()),
                &st,
                1.0,
                105.0,
            );
            p.highlight = i % 9 == 4;
            Panel::Histogram(p)
        })
        .collect();
    render(
        dir,
        "regions_48_histograms.png",
        &FigureSpec::Grid {
            title: "Turnout by region (48 regions, shared y axis)".into(),
            caption: "Polling stations per 1 % of turnout in each region.".into(),
            shared_scale: true,
            panels: many,
        },
    );
}

/// Cumulative shares of the leader's and the other votes as stations are added in order of
/// turnout, with the expectation without stuffing dashed.
fn cumulative(stations: &[Station]) -> LinePanel {
    let mut sorted = stations.to_vec();
    sorted.sort_by(|a, b| a.turnout.total_cmp(&b.turnout));
    let votes = |s: &Station| s.voters * s.turnout;
    let leader_total: f64 = sorted.iter().map(|s| votes(s) * s.share).sum();
    let other_total: f64 = sorted.iter().map(|s| votes(s) * (1.0 - s.share)).sum();
    let (mut leader, mut other) = (0.0, 0.0);
    let (mut lp, mut op) = (Vec::new(), Vec::new());
    for s in &sorted {
        leader += votes(s) * s.share;
        other += votes(s) * (1.0 - s.share);
        lp.push((s.turnout * 100.0, 100.0 * leader / leader_total));
        op.push((s.turnout * 100.0, 100.0 * other / other_total));
    }
    let expected = op
        .iter()
        .map(|&(x, y)| (x, (y * 1.02).min(100.0)))
        .collect();
    LinePanel {
        title: "Cumulative votes as stations are added in order of turnout".into(),
        caption: "Share of each side's national votes cast at stations up to a given turnout. \
                  Without stuffing the curves would run together; the leader's curve lagging \
                  and then climbing steeply above 80 % means his votes pile up where turnout \
                  is implausibly high."
            .into(),
        x_label: "turnout (%)".into(),
        y_label: "cumulative share of votes (%)".into(),
        x_range: (0.0, 110.0),
        y_range: (0.0, 100.0),
        series: vec![
            LineSeries {
                name: "leader".into(),
                points: lp,
                dashed: false,
            },
            LineSeries {
                name: "all other candidates".into(),
                points: op,
                dashed: false,
            },
            LineSeries {
                name: "leader, expected without stuffing".into(),
                points: expected,
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
