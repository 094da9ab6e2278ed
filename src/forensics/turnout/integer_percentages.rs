//! `integer_percentages`: stations whose turnout or leader share is a whole percentage, against a
//! Monte Carlo null of per-station binomial resampling ("Churov's saw").
//!
//! Reference: Kobak, Shpilkin & Pshenichnikov (2016), "Integer percentages as electoral
//! falsification fingerprints", *Ann. Appl. Stat.* 10(1):54–73, and their code (`dkobak/elections`):
//! - stations with registered voters ≥ 100, ballots > 0, turnout ≤ 99 % and leader share ≤ 99 %;
//! - turnout p₂ = 100·ballots / registered; leader result p₁ = 100·leader votes / ballots (ballots
//!   in the box, not valid votes, as Kobak et al.); a value is *integer* when it lies within
//!   ±0.05 points of a whole number (decided in exact integer arithmetic: |2000a − 20kd| ≤ d);
//! - a station is counted when p₁ or p₂ is integer (both are also reported separately);
//! - null: each replicate redraws ballots ~ Bin(registered, ballots/registered) and leader ~
//!   Bin(ballots, leader/ballots) independently per station and recounts; reported: observed,
//!   the replicates' mean and SD, excess = observed − mean, z = excess / SD, and p = the upper
//!   normal tail of z (one-sided: only an excess is the signature of written-in percentages), with
//!   the share of replicates reaching the observed count beside it.
//!
//! Binomial draws with variance ≥ 25 use the normal approximation with continuity rounding (the
//! integer windows are spaced d/100 counts apart, so only the smoothness of the draw distribution
//! at that scale matters); smaller variances draw exactly. Replicates are seeded per replicate and
//! run in parallel; their number follows `Params::replicates_for` (recorded).

use rand_distr::{Binomial, Distribution, StandardNormal};
use rayon::prelude::*;

use crate::figure::{file_stem, Figure, FigureSpec, HistSeries, HistogramPanel, Marker};
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::digits::null::normal_sf;
use crate::forensics::turnout::data::{contenders, rng, Groups};
use crate::forensics::{Battery, ForensicTest};
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "integer_percentages",
    title: "Integer percentages",
    method: "Counts the stations (registered ≥ 100, ballots > 0, turnout and leader share ≤ 99 %) whose turnout or leader share of ballots lies within ±0.05 points of a whole percentage, and compares the count with a Monte Carlo null that redraws every station's ballots and leader votes binomially (Kobak, Shpilkin & Pshenichnikov 2016). An excess far beyond the null's SD is the signature of results written as round percentages.",
    references: "Kobak, Shpilkin & Pshenichnikov (2016) Ann. Appl. Stat. 10:54; Kobak, Shpilkin & Pshenichnikov (2016) Significance 13(4):20",
    weight: 0.93,
    run,
};

/// Smallest number of registered voters for a station to be counted (Kobak et al.).
pub const MIN_REGISTERED: u64 = 100;
/// Fewest eligible stations for a group to be tested.
const MIN_STATIONS: usize = 100;
/// Bins of the distance-to-whole-percentage chart (0.1 point each, −0.5 to 0.5).
const DIST_BINS: usize = 10;

/// Whether 100·a/d lies within ±0.05 of a whole number (d > 0), exactly.
pub fn is_integer_percent(a: u64, d: u64) -> bool {
    // The same arithmetic in u64 when nothing can overflow (any real count): a 128-bit division
    // costs several times a 64-bit one, and this runs twice per station and replicate.
    if a < 1 << 40 && d < 1 << 40 {
        let k = (200 * a + d) / (2 * d);
        return (2000 * a).abs_diff(20 * k * d) <= d;
    }
    let (a, d) = (a as u128, d as u128);
    let k = (200 * a + d) / (2 * d); // nearest whole percentage
    let x = 2000 * a;
    let y = 20 * k * d;
    x.abs_diff(y) <= d
}

/// Bin of the signed distance of 100·a/d from the nearest whole percentage: 0.1-point bins
/// centred on −0.4, −0.3, …, 0.5, so the middle bin (index 4) is [−0.05, 0.05) and the last bin
/// holds both ends (±0.5 are the same place between two whole numbers). Exact integer arithmetic:
/// t = 20·(100a − kd) is the distance in units of 1/(20d) points.
fn distance_bin(a: u64, d: u64) -> usize {
    let (a, d) = (a as i128, d as i128);
    let k = (200 * a + d) / (2 * d);
    let mut t = 20 * (100 * a - k * d);
    if t < -9 * d {
        t += 20 * d;
    }
    (((t + 9 * d) / (2 * d)).clamp(0, DIST_BINS as i128 - 1)) as usize
}

/// One eligible station: (registered, ballots, leader votes) and its group at each level.
struct Station {
    reg: u64,
    ballots: u64,
    leader: u64,
    groups: Vec<u32>,
}

/// Counts of one group: [turnout integer, share integer, either].
type Counts = [u32; 3];

fn count(st: &Station, ballots: u64, leader: u64) -> [bool; 3] {
    let t = is_integer_percent(ballots, st.reg);
    let s = ballots > 0 && is_integer_percent(leader, ballots.max(1));
    [t, s, t || s]
}

/// Binomial(n, p) as the replicates draw it: the normal approximation (rounded, clamped) when the
/// variance is at least 25, the exact binomial otherwise. The station's mean, SD and choice are
/// computed once, not on every replicate.
struct Draw {
    n: u64,
    p: f64,
    mean: f64,
    sd: f64,
    normal: bool,
}

/// `y.floor().clamp(0.0, n as f64) as u64` without `f64::floor` (a library call on x86-64
/// without SSE4.1, 7 % of the test's time): below 0 the clamp gives 0, and for y ≥ 0 floor is the
/// truncation a cast does.
#[inline]
fn floor_clamped(y: f64, n: u64) -> u64 {
    if y < 0.0 {
        0
    } else {
        (y as u64).min(n)
    }
}

impl Draw {
    fn new(n: u64, p: f64) -> Draw {
        let var = n as f64 * p * (1.0 - p);
        Draw {
            n,
            p,
            mean: n as f64 * p,
            sd: var.sqrt(),
            normal: var >= 25.0,
        }
    }

    #[inline]
    fn sample(&self, r: &mut rand_chacha::ChaCha8Rng) -> u64 {
        if self.normal {
            let z: f64 = StandardNormal.sample(r);
            floor_clamped(self.mean + self.sd * z + 0.5, self.n)
        } else {
            Binomial::new(self.n, self.p.clamp(0.0, 1.0)).map_or(0, |b| b.sample(r))
        }
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
    let of = groups.station_group(t.n_stations());
    let n_groups = groups.regions.len();
    let stations: Vec<Station> = (0..t.n_stations())
        .filter(|&i| {
            let (n, bl, w) = (reg[i], t.ballots_cast[i], leader.votes[i]);
            // Stations where the leader does not stand (`candidacy`) would be a 0 % share.
            let stands = leader.valid[i] > 0 || t.valid[i] == 0;
            stands && n >= MIN_REGISTERED && bl > 0 && 100 * bl <= 99 * n && 100 * w <= 99 * bl
        })
        .map(|i| Station {
            reg: reg[i],
            ballots: t.ballots_cast[i],
            leader: leader.votes[i],
            groups: of.iter().map(|level| level[i]).collect(),
        })
        .collect();
    let tally_counts = |draw: &dyn Fn(&Station) -> [bool; 3], hist: Option<&mut [Vec<f64>; 2]>| {
        let mut c = vec![[0u32; 3]; n_groups];
        let mut hist = hist;
        for st in &stations {
            let hit = draw(st);
            for k in 0..3 {
                if hit[k] {
                    c[0][k] += 1;
                    for &g in &st.groups {
                        c[g as usize][k] += 1;
                    }
                }
            }
            if let Some(h) = hist.as_deref_mut() {
                h[0][distance_bin(st.ballots, st.reg)] += 1.0;
                h[1][distance_bin(st.leader, st.ballots)] += 1.0;
            }
        }
        c
    };
    let mut observed_hist = [vec![0.0; DIST_BINS], vec![0.0; DIST_BINS]];
    let observed = tally_counts(
        &|st| count(st, st.ballots, st.leader),
        Some(&mut observed_hist),
    );
    let replicates = b.params.replicates_for(2 * stations.len().max(1));
    let draws: Vec<(Draw, Draw)> = stations
        .iter()
        .map(|st| {
            (
                Draw::new(st.reg, st.ballots as f64 / st.reg as f64),
                Draw::new(st.ballots, st.leader as f64 / st.ballots as f64),
            )
        })
        .collect();
    let sims: Vec<Vec<Counts>> = (0..replicates)
        .into_par_iter()
        .map(|rep| {
            let mut r = rng(b, 0x696e_7467, u64::from(rep));
            let mut c = vec![[0u32; 3]; n_groups];
            for (st, (turnout, share)) in stations.iter().zip(&draws) {
                let bl = turnout.sample(&mut r);
                let w = share.sample(&mut r);
                let hit = count(st, bl, w);
                for k in 0..3 {
                    if hit[k] {
                        c[0][k] += 1;
                        for &g in &st.groups {
                            c[g as usize][k] += 1;
                        }
                    }
                }
            }
            c
        })
        .collect();
    let mut eligible = vec![0u64; n_groups];
    for st in &stations {
        eligible[0] += 1;
        for &g in &st.groups {
            eligible[g as usize] += 1;
        }
    }
    for g in 0..n_groups {
        let region = groups.regions[g].clone();
        if (eligible[g] as usize) < MIN_STATIONS {
            out.findings.push(Finding::not_applicable(
                TEST.id,
                leader.name,
                region,
                eligible[g],
                format!("only {} stations have at least {MIN_REGISTERED} registered voters, ballots, and turnout and leader share ≤ 99 % (at least {MIN_STATIONS} are needed)", eligible[g]),
            ));
            continue;
        }
        let mut f = finding(
            leader.name,
            region,
            eligible[g],
            &observed[g],
            &sims,
            g,
            replicates,
        );
        if g == 0 {
            let stem = file_stem(&[TEST.id, leader.name, "national"]);
            out.figures.push(Figure {
                file_stem: stem.clone(),
                spec: FigureSpec::Histogram(distance_panel(
                    leader.name,
                    &observed_hist,
                    eligible[0],
                    &f,
                )),
            });
            f.figure = Some(format!("figures/{stem}.png"));
        }
        out.findings.push(f);
    }
    Ok(out)
}

/// Observed, mean, SD, excess, z, p and exceedance share of one count across replicates.
fn summary(observed: u32, sims: &[Vec<Counts>], g: usize, k: usize) -> [f64; 7] {
    let r = sims.len() as f64;
    let mean = sims.iter().map(|s| f64::from(s[g][k])).sum::<f64>() / r;
    let var = sims
        .iter()
        .map(|s| (f64::from(s[g][k]) - mean).powi(2))
        .sum::<f64>()
        / (r - 1.0).max(1.0);
    let sd = var.sqrt();
    let excess = f64::from(observed) - mean;
    let z = if sd > 0.0 { excess / sd } else { 0.0 };
    let p = if sd > 0.0 {
        normal_sf(z)
    } else if excess > 0.0 {
        1.0 / (r + 1.0)
    } else {
        1.0
    };
    let reach = sims.iter().filter(|s| s[g][k] >= observed).count() as f64;
    [
        f64::from(observed),
        mean,
        sd,
        excess,
        z,
        p,
        (reach + 1.0) / (r + 1.0),
    ]
}

fn finding(
    leader: &str,
    region: Option<Vec<String>>,
    n: u64,
    observed: &Counts,
    sims: &[Vec<Counts>],
    g: usize,
    replicates: u32,
) -> Finding {
    let parts: Vec<[f64; 7]> = (0..3).map(|k| summary(observed[k], sims, g, k)).collect();
    let [obs, mean, sd, excess, z, p, reach] = parts[2];
    let headline = format!(
        "{} of {} stations have a whole-percentage turnout or {leader} share, against {:.1} ± {:.1} expected from binomial chance: excess {:+.0} stations ({:+.1} %), z = {:.1}, p = {}.",
        fmt_int(obs as u64),
        fmt_int(n),
        mean,
        sd,
        excess,
        if mean > 0.0 { 100.0 * excess / mean } else { 0.0 },
        z,
        fmt_p(p),
    );
    let part = |k: usize| {
        let [o, m, s, e, z, p, reach] = parts[k];
        serde_json::json!({"observed": o, "expected": m, "sd": s, "excess": e, "z": z, "p_value": p, "share_of_replicates_reaching_observed": reach})
    };
    Finding {
        test_id: TEST.id,
        subject: leader.to_string(),
        region,
        n,
        statistic: Some(Statistic::new("z", z)),
        p_value: Some(p),
        q_value: None,
        p_value_source: Some(format!("Monte Carlo per-station binomial resampling ({replicates} replicates), one-sided normal tail of z")),
        effect_size: Some(Statistic::new("relative_excess", if mean > 0.0 { excess / mean } else { 0.0 })),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("observed", serde_json::json!(obs)),
            ("expected", serde_json::json!(mean)),
            ("sd", serde_json::json!(sd)),
            ("excess", serde_json::json!(excess)),
            ("share_of_replicates_reaching_observed", serde_json::json!(reach)),
            ("turnout", part(0)),
            ("leader_share", part(1)),
            ("tolerance_points", serde_json::json!(0.05)),
            ("replicates", serde_json::json!(replicates)),
        ]),
    }
}

fn distance_panel(leader: &str, hist: &[Vec<f64>; 2], n: u64, f: &Finding) -> HistogramPanel {
    HistogramPanel {
        title: format!("Distance of turnout and {leader}'s share from the nearest whole percentage ({} stations)", fmt_int(n)),
        caption: format!("Stations by how far their turnout and {leader}'s share of ballots lie from a whole percentage, in 0.1-point bins (the last bin holds both ±0.5); the bin at 0 holds the 'integer' stations. Chance spreads stations evenly over the bins (about a tenth in each); a tall middle bin means more round percentages than counting produces. {}", f.headline),
        x_label: "Distance from the nearest whole percentage (points)".into(),
        y_label: "stations".into(),
        x_min: -0.45,
        bin_width: 0.1,
        series: vec![
            HistSeries { name: "turnout".into(), counts: hist[0].clone() },
            HistSeries { name: format!("{leader}'s share"), counts: hist[1].clone() },
        ],
        markers: vec![Marker { x: 0.0, label: "whole %".into() }],
        highlight: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::turnout::data::tests::turnout_tally;
    use crate::forensics::Params;

    #[test]
    fn floor_clamped_is_floor_then_clamp() {
        for n in [0u64, 1, 7, 500, 1 << 40] {
            for k in -4000i32..4000 {
                let y = f64::from(k) * 0.37 + [0.0, 0.5, 1e-12][k.rem_euclid(3) as usize];
                let want = y.floor().clamp(0.0, n as f64) as u64;
                assert_eq!(floor_clamped(y, n), want, "y {y} n {n}");
            }
            assert_eq!(
                floor_clamped(f64::NAN, n),
                f64::NAN.floor().clamp(0.0, n as f64) as u64
            );
            assert_eq!(floor_clamped(1e30, n), n);
        }
    }

    #[test]
    fn integer_percent_is_exact_at_the_window_edges() {
        assert!(is_integer_percent(50, 100));
        assert!(is_integer_percent(1, 2000)); // 0.05 exactly: inside
        assert!(!is_integer_percent(1, 1999)); // 0.050025: outside
        assert!(is_integer_percent(1999, 2000)); // 99.95 → 100 within 0.05
        assert!(!is_integer_percent(333, 1000)); // 33.3
        assert!(!is_integer_percent(6661, 10000)); // 66.61
        assert!(is_integer_percent(6604, 10000)); // 66.04 within 0.05 of 66
        assert_eq!(distance_bin(50, 100), 4);
        assert_eq!(distance_bin(333, 1000), 7); // 33.3 → +0.3
        assert_eq!(distance_bin(667, 1000), 1); // 66.7 → −0.3
        assert_eq!(distance_bin(1, 200), 9); // 0.5 → the ±0.5 bin
        assert_eq!(distance_bin(1, 2000), 5); // +0.05 → the next bin up
                                              // The u64 fast path agrees with the 128-bit arithmetic, including beyond the threshold.
        let wide = |a: u64, d: u64| {
            let (a, d) = (a as u128, d as u128);
            let k = (200 * a + d) / (2 * d);
            (2000 * a).abs_diff(20 * k * d) <= d
        };
        for d in 1..600u64 {
            for a in 0..=d + 3 {
                assert_eq!(is_integer_percent(a, d), wide(a, d), "{a}/{d}");
            }
        }
        for (a, d) in [
            (1 << 40, 3),
            ((1 << 40) - 1, (1 << 40) - 1),
            (7, (1 << 41) + 5),
        ] {
            assert_eq!(is_integer_percent(a, d), wide(a, d), "{a}/{d}");
        }
    }

    #[test]
    fn honest_data_are_near_zero_and_written_percentages_are_found() {
        let mut t = turnout_tally(21, 4000);
        let params = Params {
            replicates: 200,
            ..Params::default()
        };
        let out = run(&Battery::new(&t, &params)).unwrap();
        let nat = &out.findings[0];
        let z = nat.statistic.as_ref().unwrap().value;
        assert!(z.abs() < 3.0, "{}", nat.headline);
        // Rewrite turnout to a whole percentage in 10 % of stations.
        let reg = t.registered.clone().unwrap();
        for i in (0..t.n_stations()).step_by(10) {
            let pct = (100 * t.ballots_cast[i] + reg[i] / 2) / reg[i];
            let ballots = (pct * reg[i] + 50) / 100;
            let delta = ballots as i64 - t.ballots_cast[i] as i64;
            t.ballots_cast[i] = ballots;
            t.valid[i] = (t.valid[i] as i64 + delta) as u64;
            t.candidates[1].votes[i] = (t.candidates[1].votes[i] as i64 + delta).max(0) as u64;
        }
        let out = run(&Battery::new(&t, &params)).unwrap();
        let nat = &out.findings[0];
        assert!(
            nat.statistic.as_ref().unwrap().value > 8.0,
            "{}",
            nat.headline
        );
        assert!(nat.p_value.unwrap() < 1e-10);
        assert_eq!(out.figures.len(), 1);
        // Deterministic for a seed.
        let again = run(&Battery::new(&t, &params)).unwrap();
        assert_eq!(again.findings[0].headline, nat.headline);
    }
}
