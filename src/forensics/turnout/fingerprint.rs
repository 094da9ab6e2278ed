//! `fingerprint`: the 2D histogram of turnout (x) against the national leader's share of valid
//! votes (y) per station, on a log colour scale — the "election fingerprint" of Klimek, Yegorov,
//! Hanel & Thurner (2012), "Statistical detection of systematic election irregularities", *PNAS*
//! 109(41):16469–16473. Fair elections show one compact, roughly elliptical blob (or one per
//! regional bloc); ballot stuffing and vote stealing smear it towards (100 %, 100 %) and build a
//! second cluster in that corner ("Churov's beard" in Russia 2011/2012).
//!
//! This is a picture with summary numbers, not a hypothesis test (verdict `descriptive`): the
//! modelled version with parameters and intervals is `klimek_model`, the corner counts against a
//! null are `extreme_stations`. Ratios are dithered (methods.md §5.4) so that small stations make
//! no stripes at simple fractions. Cells: 1 × 1 percentage point.

use crate::figure::{file_stem, Figure, FigureSpec, HeatmapPanel, Panel};
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::turnout::data::{contenders, dithered, rng, Groups};
use crate::forensics::{Battery, ForensicTest};
use crate::text::fmt_int;

pub const TEST: ForensicTest = ForensicTest {
    id: "fingerprint",
    title: "Election fingerprint",
    method: "The 2D histogram of turnout against the leader's share of valid votes per station (1-point cells, dithered ratios, log colour scale), nationally and per region. Fair elections show one compact blob per regional bloc; a smear towards 100 % turnout and 100 % share, or a cluster in that corner, is the pattern ballot stuffing and vote stealing leave. Descriptive: the modelled version is klimek_model, the corner counts are extreme_stations.",
    references: "Klimek, Yegorov, Hanel & Thurner (2012) PNAS 109:16469; Kobak, Shpilkin & Pshenichnikov (2016) Ann. Appl. Stat. 10:54",
    weight: 0.03,
    run,
};

/// Cells per axis (1 percentage point each).
pub const CELLS: usize = 100;
/// Fewest usable stations for a fingerprint.
const MIN_STATIONS: usize = 30;
/// Most regional panels (the regions with most stations).
const MAX_PANELS: usize = 48;

/// Counts of dithered (turnout, share) pairs on `CELLS × CELLS` cells over [0, 1]², row-major
/// with row 0 the lowest share; values at or above 1 go to the last cell.
pub fn fingerprint_cells(points: &[(f64, f64)]) -> Vec<f64> {
    let mut cells = vec![0.0; CELLS * CELLS];
    let cell = |v: f64| ((v * CELLS as f64).floor().clamp(0.0, (CELLS - 1) as f64)) as usize;
    for &(x, y) in points {
        if x.is_finite() && y.is_finite() {
            cells[cell(y) * CELLS + cell(x)] += 1.0;
        }
    }
    cells
}

/// Sum `CELLS × CELLS` cells into blocks of `k × k` (k divides `CELLS`): coarser cells for
/// regions with few stations, whose 1-point fingerprints would be speckle.
pub fn coarsen(cells: &[f64], k: usize) -> Vec<f64> {
    let side = CELLS / k;
    let mut out = vec![0.0; side * side];
    for row in 0..CELLS {
        for col in 0..CELLS {
            out[(row / k) * side + col / k] += cells[row * CELLS + col];
        }
    }
    out
}

/// Cell size (in points) for a grid of regional fingerprints: 5-point cells when the median
/// panel has under 1,000 stations, 2-point under 10,000, else 1-point.
pub fn regional_cell_points(median_stations: f64) -> usize {
    match median_stations {
        n if n < 1_000.0 => 5,
        n if n < 10_000.0 => 2,
        _ => 1,
    }
}

/// The heatmap panel of a set of cells.
pub fn heatmap(title: String, leader: &str, cells: Vec<f64>) -> HeatmapPanel {
    HeatmapPanel {
        title,
        caption: String::new(),
        x_label: "Turnout (%)".into(),
        y_label: format!("{leader}'s share of valid votes (%)"),
        x_range: (0.0, 100.0),
        y_range: (0.0, 100.0),
        nx: CELLS,
        ny: CELLS,
        counts: cells,
        color_label: "stations per cell (log scale)".into(),
        highlight: false,
    }
}

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    let t = b.tally;
    let mut out = TestOutput::default();
    let cands = contenders(b);
    let (Some(reg), Some(leader)) = (&t.registered, cands.first()) else {
        out.findings.push(Finding::not_applicable(
            TEST.id,
            cands.first().map(|c| c.name).unwrap_or("leader"),
            None,
            t.n_stations() as u64,
            "the data have no registered-voters column (or no candidates), so turnout is unknown"
                .into(),
        ));
        return Ok(out);
    };
    let groups = Groups::new(t, b.params.region_depth);
    let mut cells_of = Vec::new();
    for g in 0..groups.regions.len() {
        let mut r = rng(b, 0x6669_6e67, g as u64);
        let points: Vec<(f64, f64)> = groups.members[g]
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| reg[i] > 0 && leader.valid[i] > 0)
            .map(|i| {
                let x = dithered(t.ballots_cast[i], reg[i], &mut r);
                let y = dithered(leader.votes[i], leader.valid[i], &mut r);
                (x, y)
            })
            .collect();
        let region = groups.regions[g].clone();
        let n = points.len();
        if n < MIN_STATIONS {
            out.findings.push(Finding::not_applicable(
                TEST.id,
                leader.name,
                region,
                n as u64,
                format!("only {n} stations have registered voters and valid votes (at least {MIN_STATIONS} are needed)"),
            ));
            cells_of.push(None);
            continue;
        }
        let corner = points.iter().filter(|p| p.0 >= 0.9 && p.1 >= 0.9).count();
        let cells = fingerprint_cells(&points);
        let (mode_x, mode_y) = mode(&cells);
        let headline = format!(
            "The densest part of the fingerprint is at {mode_x:.0} % turnout and {mode_y:.0} % for {}; {} of {} stations ({:.2} %) lie in the corner of ≥ 90 % turnout and ≥ 90 % share.",
            leader.name,
            fmt_int(corner as u64),
            fmt_int(n as u64),
            100.0 * corner as f64 / n as f64
        );
        out.findings.push(Finding {
            test_id: TEST.id,
            subject: leader.name.to_string(),
            region,
            n: n as u64,
            statistic: Some(Statistic::new("corner_share", corner as f64 / n as f64)),
            p_value: None,
            q_value: None,
            p_value_source: None,
            effect_size: None,
            verdict: Verdict::Descriptive,
            reason: None,
            headline,
            figure: None,
            details: details([
                ("mode_turnout", serde_json::json!(mode_x / 100.0)),
                ("mode_share", serde_json::json!(mode_y / 100.0)),
                ("corner_stations", serde_json::json!(corner)),
            ]),
        });
        cells_of.push(Some(cells));
    }
    // National chart.
    let first = out.findings.iter().position(|f| f.region.is_none());
    if let (Some(cells), Some(k)) = (cells_of[0].take(), first) {
        let stem = file_stem(&[TEST.id, leader.name, "national"]);
        let mut p = heatmap(
            format!(
                "Election fingerprint: turnout × {}'s share (national, {} stations)",
                leader.name,
                fmt_int(out.findings[k].n)
            ),
            leader.name,
            cells,
        );
        p.caption = format!("Each cell counts the stations with that turnout and that share of valid votes for {} (1-point cells, ratios dithered). Fair elections show one compact blob per regional bloc; a smear towards the top-right corner (100 % turnout, 100 % share) or a cluster there is the pattern ballot stuffing leaves.", leader.name);
        out.figures.push(Figure {
            file_stem: stem.clone(),
            spec: FigureSpec::Heatmap(p),
        });
        out.findings[k].figure = Some(format!("figures/{stem}.png"));
    }
    // Regional small multiples: the regions with most stations.
    for (level, range) in groups.levels() {
        let mut shown: Vec<usize> = range.clone().filter(|&g| cells_of[g].is_some()).collect();
        if shown.is_empty() {
            continue;
        }
        let total = shown.len();
        shown.sort_by_key(|&g| std::cmp::Reverse(groups.members[g].len()));
        shown.truncate(MAX_PANELS);
        shown.sort_unstable();
        let stem = file_stem(&[TEST.id, leader.name, "by", level]);
        let mut sizes: Vec<f64> = shown
            .iter()
            .map(|&g| cells_of[g].as_ref().map_or(0.0, |c| c.iter().sum()))
            .collect();
        sizes.sort_by(f64::total_cmp);
        let k = regional_cell_points(sizes[sizes.len() / 2]);
        let panels = shown
            .iter()
            .map(|&g| {
                let cells = cells_of[g].clone().unwrap_or_default();
                let n: f64 = cells.iter().sum();
                let mut p = heatmap(
                    format!("{} (n = {})", groups.short_name(g), fmt_int(n as u64)),
                    leader.name,
                    coarsen(&cells, k),
                );
                (p.nx, p.ny) = (CELLS / k, CELLS / k);
                Panel::Heatmap(p)
            })
            .collect();
        let which = if total > MAX_PANELS {
            format!("The {MAX_PANELS} of {total} {level}s with most stations")
        } else {
            format!("One panel per {level}")
        };
        out.figures.push(Figure {
            file_stem: stem.clone(),
            spec: FigureSpec::Grid {
                title: format!("Election fingerprints by {level}: turnout × {}'s share", leader.name),
                caption: format!("{which}, on one shared log colour scale: x is turnout, y the share of valid votes for {} ({k}-point cells, coarser than the national chart's when regions have few stations; dithered). Look for panels whose stations smear towards the top-right corner.", leader.name),
                shared_scale: true,
                panels,
            },
        });
        for f in out.findings.iter_mut() {
            let g = groups.regions.iter().position(|r| *r == f.region);
            if g.is_some_and(|g| shown.contains(&g)) {
                f.figure = Some(format!("figures/{stem}.png"));
            }
        }
    }
    Ok(out)
}

/// Centre (in %) of the fullest cell after 3 × 3 smoothing.
fn mode(cells: &[f64]) -> (f64, f64) {
    let mut best = (0.0, 0usize, 0usize);
    for row in 0..CELLS {
        for col in 0..CELLS {
            let mut s = 0.0;
            for r in row.saturating_sub(1)..(row + 2).min(CELLS) {
                for c in col.saturating_sub(1)..(col + 2).min(CELLS) {
                    s += cells[r * CELLS + c];
                }
            }
            if s > best.0 {
                best = (s, row, col);
            }
        }
    }
    (best.2 as f64 + 0.5, best.1 as f64 + 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_cells_keep_every_station() {
        let points: Vec<(f64, f64)> = (0..500)
            .map(|i| ((i % 97) as f64 / 97.0, (i % 89) as f64 / 89.0))
            .collect();
        let fine = fingerprint_cells(&points);
        let coarse = coarsen(&fine, 5);
        assert_eq!(coarse.len(), 400);
        assert_eq!(coarse.iter().sum::<f64>(), 500.0);
        assert_eq!(
            coarse[0],
            (0..5)
                .flat_map(|r| (0..5).map(move |c| (r, c)))
                .map(|(r, c)| fine[r * CELLS + c])
                .sum::<f64>()
        );
        assert_eq!(
            (
                regional_cell_points(170.0),
                regional_cell_points(5_000.0),
                regional_cell_points(20_000.0)
            ),
            (5, 2, 1)
        );
    }
    use crate::forensics::turnout::data::tests::turnout_tally;
    use crate::forensics::Params;

    #[test]
    fn cells_and_mode() {
        let cells = fingerprint_cells(&[(0.605, 0.553), (0.61, 0.55), (1.0, 1.2), (f64::NAN, 0.1)]);
        assert_eq!(cells.iter().sum::<f64>(), 3.0);
        assert_eq!(cells[55 * CELLS + 60], 1.0);
        assert_eq!(cells[55 * CELLS + 61], 1.0);
        assert_eq!(cells[99 * CELLS + 99], 1.0);
        let t = turnout_tally(2, 3000);
        let out = run(&Battery::new(&t, &Params::default())).unwrap();
        let nat = &out.findings[0];
        assert_eq!(nat.verdict, Verdict::Descriptive);
        let (mx, my) = (
            nat.details["mode_turnout"].as_f64().unwrap(),
            nat.details["mode_share"].as_f64().unwrap(),
        );
        assert!(
            (mx - 0.6).abs() < 0.05 && (my - 0.55).abs() < 0.05,
            "{mx} {my}"
        );
        assert_eq!(out.figures.len(), 2);
        assert_eq!(out.findings.len(), 3);
    }
}
