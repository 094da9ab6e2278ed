//! `clean_core_excess`: how many of the leader's votes lie beyond what the "clean core" of the
//! election predicts — Shpilkin's estimate of anomalous votes, with a self-null, an interval and a
//! leave-one-region-out sensitivity.
//!
//! Method (`estimator`): stations are binned by turnout (1 point); the clean peak is the bin with
//! most votes at or below the overall turnout (5-bin triangular smoothing), the clean core the 5
//! points around it, and r₀ the leader's votes per vote for the others there. Above the core the
//! others' votes are taken as counted and the leader's clean votes as r₀ × the others' votes, so
//! the raw excess is E = Σ_{turnout above the core} (W − r₀ O). Shpilkin's assumption is that
//! manipulation adds the leader's votes and raises turnout while the others' votes are genuine.
//!
//! Why a self-null: on honest elections E is not zero — a region that votes more and prefers the
//! leader gives a positive E, one that votes more and prefers the opposition a negative E (the
//! known failure: EFToolkit's 2D version returns −15.7 million votes for Russia 2000). The same
//! estimator on clean elections of the same shape (`resample::self_null`: every station keeps its
//! size and valid/ballots ratio and takes the turnout of one of its 20 nearest neighbours in size
//! within its deepest region and the share of another) measures that bias, m₀; the **anomalous votes** are A = max(0, E − m₀), with a
//! 95 % stratified-bootstrap percentile interval (`resample::bootstrap`) shifted by m₀ and cut at
//! 0, and the p-value is the self-null's exceedance of E. Never negative: an E below m₀ is
//! reported as 0 with that reason.
//!
//! Nationally, per top-level region (its own core and its own self-null), and nationally without
//! each region; the share of the national excess in regions whose own excess is distinguishable
//! from zero (Benjamini–Hochberg across the regions at the battery's α) is reported beside it, as
//! EFToolkit reports a significant-only share.
//!
//! **Why descriptive.** The verdict is `descriptive` (an estimate with its interval and its
//! self-null p-value in the details, outside the battery's multiple testing): on the clean panel's
//! town-and-country elections (urban and rural stations that differ in turnout and vote, the
//! station type not in the file) the self-null gave p < 0.05 in 10 of 10 elections, whatever the
//! neighbourhood (size quintiles or the 7, 21 nearest in size), because station types that
//! overlap in size carry their turnout–share relation past any null built from what the file
//! says. No turnout–share method can tell such types from stuffing; the number is what
//! Shpilkin's method gives beyond what place and size explain, to be read with the other tests.
//!
//! What it cannot tell apart: honest structure *inside* a stratum where turnout and support for
//! the leader rise together (strongholds that mobilise, a polarized town), which the self-null
//! does not contain; and manipulation that moves the whole core (then r₀ is inflated and E too
//! small). Vote switching above the core counts (1 + r₀) times per vote moved.
//!
//! References: Shpilkin's method as described in Kobak, Shpilkin & Pshenichnikov (2016),
//! "Statistical fingerprints of electoral fraud?", *Significance* 13(4):20–23, and (2018) "Putin's
//! peaks: Russian election data revisited", *Significance* 15(3):8–9; EFToolkit (Kalinin & Mebane),
//! `ComputeShpilkinMethod`; Klimek et al. (2012) PNAS 109:16469 for the independent clean
//! component of the self-null.

pub mod estimator;
pub mod resample;

use crate::figure::{file_stem, Figure, FigureSpec, LinePanel, LineSeries, Marker};
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::turnout::data::{contenders, seeded_rng as seeded, Contender};
use crate::forensics::turnout::strata::{deepest_regions, strata};
use crate::forensics::{Battery, ForensicTest};
use crate::stats::moments::quantile_sorted as quantile;
use crate::stats::multiple_testing::benjamini_hochberg;
use crate::text::{fmt_int, fmt_p};
use estimator::{estimate, BinSums, Estimate, BINS, CORE_HALF};
use resample::{column, Station};

pub const TEST: ForensicTest = ForensicTest {
    id: "clean_core_excess",
    title: "Shpilkin clean-core excess",
    method: "Bins stations by turnout (1 point) and takes the clean core to be the 5 points around the turnout with most votes at or below the overall turnout; above the core the other candidates' votes are taken as counted and the leader's as the core's ratio to them, so the leader's votes beyond that are the raw excess (Shpilkin's estimate). Honest elections give an excess too (regions that vote more and prefer the leader), so the same estimator runs on clean elections of the same shape — each station keeps its size and valid/ballots ratio and takes the turnout of one of its nearest neighbours in size within its region and the share of another — and only the excess beyond their mean is reported as anomalous votes, with a stratified-bootstrap 95 % interval, the self-null's p-value, the estimate without each region and the share of the excess in regions where it is distinguishable from zero. Descriptive (an estimate, not a test): honest turnout and support rising together in stations of a kind the file does not name (town and country of overlapping sizes) also count, so the self-null's p-value is reported but no verdict is drawn from it.",
    references: "Kobak, Shpilkin & Pshenichnikov (2016) Significance 13(4):20; (2018) Significance 15(3):8; EFToolkit (Kalinin & Mebane) ComputeShpilkinMethod; Klimek et al. (2012) PNAS 109:16469",
    weight: 0.25,
    run,
};

/// Fewest usable stations for an estimate (a region's own estimate included).
pub const MIN_STATIONS: usize = 300;
/// Most self-null replicates and most bootstrap replicates (both also under the draw budget).
const MAX_NULL: u32 = 500;
const MAX_BOOTSTRAP: u32 = 300;
/// Random streams.
const STREAM_NULL: u64 = 0x636c_6e75;
const STREAM_BOOT: u64 = 0x636c_6273;

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
    let (stations, region_names) = usable(b, reg, leader);
    let n = stations.len();
    if n < MIN_STATIONS {
        out.findings.push(Finding::not_applicable(
            TEST.id,
            leader.name,
            None,
            n as u64,
            format!("only {n} stations have registered voters, ballots and valid votes (at least {MIN_STATIONS} are needed)"),
        ));
        return Ok(out);
    }
    let regions = region_names.len().max(1);
    let sums = resample::observed(&stations, regions);
    let national = BinSums::total(sums.iter());
    let est = match estimate(&national) {
        Ok(e) => e,
        Err(reason) => {
            out.findings.push(Finding::not_applicable(
                TEST.id,
                leader.name,
                None,
                n as u64,
                reason,
            ));
            return Ok(out);
        }
    };
    let observed = resample::evaluate(&sums);
    let replicates = b.params.replicates_for(n).min(MAX_NULL);
    let boot_reps = replicates.min(MAX_BOOTSTRAP);
    let seed = b.params.seed;
    let null = resample::self_null(&stations, regions, replicates, |r| {
        seeded(seed, STREAM_NULL, r)
    });
    let boot = resample::bootstrap(&stations, regions, boot_reps, |r| {
        seeded(seed, STREAM_BOOT, r)
    });
    let summary = |j: usize| Summary::new(observed[j], &column(&null, j), &column(&boot, j));

    // Regions: each alone (its own core), and the nation without each.
    let mut region_sums: Vec<(usize, Summary)> = Vec::new();
    let mut out_regional = Vec::new();
    let counts = station_counts(&stations, regions);
    if !region_names.is_empty() {
        for (r, name) in region_names.iter().enumerate() {
            if counts[r] < MIN_STATIONS {
                continue;
            }
            let path = Some(name.clone());
            match estimate(&sums[r]) {
                Err(reason) => out_regional.push(Finding::not_applicable(
                    TEST.id,
                    leader.name,
                    path,
                    counts[r] as u64,
                    reason,
                )),
                Ok(e) => {
                    let s = summary(1 + r);
                    out_regional.push(finding(leader.name, path, counts[r], &e, &s, None));
                    region_sums.push((r, s));
                }
            }
        }
    }
    let context = National::new(
        &region_names,
        &region_sums,
        &observed,
        &null,
        b.params.alpha,
    );
    let s = summary(0);
    let mut national_finding = finding(leader.name, None, n, &est, &s, Some(&context));
    let stem = file_stem(&[TEST.id, leader.name, "national"]);
    out.figures.push(Figure {
        file_stem: stem.clone(),
        spec: figure(leader.name, &national, &est, &s),
    });
    national_finding.figure = Some(format!("figures/{stem}.png"));
    out.findings.push(national_finding);
    out.findings.extend(out_regional);
    Ok(out)
}

/// The stations with a turnout and a share, and the names of the top-level regions.
fn usable(
    b: &Battery<'_>,
    reg: &[u64],
    leader: &Contender<'_>,
) -> (Vec<Station>, Vec<Vec<String>>) {
    let t = b.tally;
    let stratum = strata(t, reg);
    let locality = deepest_regions(t);
    let level = t.regions.first();
    let stations = (0..t.n_stations())
        .filter(|&i| reg[i] > 0 && t.ballots_cast[i] > 0 && leader.valid[i] > 0)
        .map(|i| Station {
            registered: reg[i] as f64,
            ballots: t.ballots_cast[i] as f64,
            valid: leader.valid[i] as f64,
            leader: leader.votes[i].min(leader.valid[i]) as f64,
            region: level.map_or(0, |l| l.codes[i]),
            stratum: stratum[i],
            locality: locality[i],
        })
        .collect();
    (stations, level.map_or_else(Vec::new, |l| l.paths.clone()))
}

fn station_counts(stations: &[Station], regions: usize) -> Vec<usize> {
    let mut c = vec![0; regions];
    for s in stations {
        c[s.region as usize] += 1;
    }
    c
}

/// The raw excess against its self-null and its bootstrap.
#[derive(Debug, Clone)]
struct Summary {
    excess: f64,
    null_mean: f64,
    null_sd: f64,
    null_q95: f64,
    null_used: usize,
    exceed: usize,
    /// Anomalous votes max(0, E − m₀) and their interval.
    anomalous: f64,
    interval: (f64, f64),
    boot_used: usize,
}

impl Summary {
    fn new(excess: f64, null: &[f64], boot: &[f64]) -> Summary {
        let mut sorted = null.to_vec();
        sorted.sort_by(f64::total_cmp);
        let null_mean = if null.is_empty() {
            0.0
        } else {
            null.iter().sum::<f64>() / null.len() as f64
        };
        let null_sd = if null.len() > 1 {
            (null.iter().map(|v| (v - null_mean).powi(2)).sum::<f64>() / (null.len() - 1) as f64)
                .sqrt()
        } else {
            0.0
        };
        let mut bs = boot.to_vec();
        bs.sort_by(f64::total_cmp);
        let shift = |v: f64| {
            if v.is_finite() {
                (v - null_mean).max(0.0)
            } else {
                0.0
            }
        };
        Summary {
            excess,
            null_mean,
            null_sd,
            null_q95: quantile(&sorted, 0.95),
            null_used: null.len(),
            exceed: null.iter().filter(|&&v| v >= excess).count(),
            anomalous: shift(excess),
            interval: (shift(quantile(&bs, 0.025)), shift(quantile(&bs, 0.975))),
            boot_used: boot.len(),
        }
    }

    /// (1 + exceed) / (replicates + 1); beyond every clean election, the normal tail with the
    /// self-null's mean and SD when that is smaller (as `klimek_model`), so that a strong excess
    /// is not capped at 1 / (replicates + 1) among hundreds of findings.
    fn p_value(&self) -> f64 {
        let empirical = (1 + self.exceed) as f64 / (1 + self.null_used) as f64;
        if self.exceed > 0 || self.null_sd <= 0.0 {
            return empirical;
        }
        let z = (self.excess - self.null_mean) / self.null_sd;
        crate::forensics::digits::null::normal_sf(z).min(empirical)
    }
}

/// What only the national finding carries: the regions' view.
struct National {
    /// Anomalous votes without each region: the smallest and largest, and the region whose
    /// removal changes the estimate most.
    loo: Option<(f64, f64, String)>,
    /// Regions whose own excess is distinguishable from zero, and their anomalous votes against
    /// the regions' total.
    significant: Vec<String>,
    significant_votes: f64,
    regional_votes: f64,
    tested: usize,
}

impl National {
    fn new(
        names: &[Vec<String>],
        regional: &[(usize, Summary)],
        observed: &[f64],
        null: &[Vec<f64>],
        alpha: f64,
    ) -> National {
        let r_all = names.len();
        let national_a = {
            let c = column(null, 0);
            (observed[0] - c.iter().sum::<f64>() / c.len().max(1) as f64).max(0.0)
        };
        let mut loo: Option<(f64, f64, String)> = None;
        let mut worst = -1.0;
        if r_all >= 2 {
            for (r, name) in names.iter().enumerate() {
                let j = 1 + r_all + r;
                let c = column(null, j);
                if !observed[j].is_finite() || c.is_empty() {
                    continue;
                }
                let a = (observed[j] - c.iter().sum::<f64>() / c.len() as f64).max(0.0);
                let (lo, hi, who) = loo.get_or_insert((a, a, String::new()));
                *lo = lo.min(a);
                *hi = hi.max(a);
                if (a - national_a).abs() > worst {
                    worst = (a - national_a).abs();
                    *who = name.join(" > ");
                }
            }
        }
        let p: Vec<f64> = regional.iter().map(|(_, s)| s.p_value()).collect();
        let q = benjamini_hochberg(&p);
        let mut significant = Vec::new();
        let mut significant_votes = 0.0;
        for ((r, s), q) in regional.iter().zip(q) {
            if q <= alpha && s.anomalous > 0.0 {
                significant.push(names[*r].join(" > "));
                significant_votes += s.anomalous;
            }
        }
        National {
            loo,
            significant,
            significant_votes,
            regional_votes: regional.iter().map(|(_, s)| s.anomalous).sum(),
            tested: regional.len(),
        }
    }
}

fn finding(
    leader: &str,
    region: Option<Vec<String>>,
    n: usize,
    e: &Estimate,
    s: &Summary,
    national: Option<&National>,
) -> Finding {
    let pct = |x: f64| format!("{:.1} %", 100.0 * x);
    let share = if e.leader_votes > 0.0 {
        s.anomalous / e.leader_votes
    } else {
        0.0
    };
    let verdict_text = if s.excess <= s.null_mean {
        format!(
            "no more than clean elections of this shape give ({} on average), so the anomalous votes are 0",
            fmt_signed(s.null_mean)
        )
    } else {
        format!(
            "clean elections of this shape give {} on average ({} at the 95th percentile), so the anomalous votes are {} [{}, {}], {} of the leader's votes",
            fmt_signed(s.null_mean),
            fmt_signed(s.null_q95),
            fmt_int(s.anomalous.round() as u64),
            fmt_int(s.interval.0.round() as u64),
            fmt_int(s.interval.1.round() as u64),
            pct(share)
        )
    };
    let mut headline = format!(
        "Above the clean core at {} % turnout ({} of the valid votes for {leader} there), {leader} has {} votes beyond the core's ratio to the other candidates; {verdict_text} (self-null p = {}, {} clean elections).",
        e.peak,
        pct(e.core_share),
        fmt_signed(s.excess),
        fmt_p(s.p_value()),
        s.null_used
    );
    let json = |x: f64| serde_json::json!(x);
    let mut d = details([
        ("raw_excess", json(s.excess)),
        ("anomalous_votes", json(s.anomalous)),
        (
            "anomalous_interval",
            serde_json::json!([s.interval.0, s.interval.1]),
        ),
        ("anomalous_share_of_leader", json(share)),
        ("leader_votes", json(e.leader_votes)),
        ("clean_peak_turnout", json(e.peak as f64 / 100.0)),
        ("overall_turnout", json(e.overall_turnout)),
        ("core_leader_share", json(e.core_share)),
        ("core_ratio", json(e.ratio)),
        ("core_stations", json(e.core_stations as f64)),
        ("core_vote_share", json(e.core_vote_share)),
        ("self_null_replicates", json(s.null_used as f64)),
        ("self_null_mean", json(s.null_mean)),
        ("self_null_sd", json(s.null_sd)),
        ("self_null_p_value", json(s.p_value())),
        ("self_null_q95", json(s.null_q95)),
        ("bootstrap_replicates", json(s.boot_used as f64)),
    ]);
    if let Some(nat) = national {
        if let Some((lo, hi, who)) = &nat.loo {
            headline.push_str(&format!(
                " Without any one region the anomalous votes are {}–{} (most changed without {who}).",
                fmt_int(lo.round() as u64),
                fmt_int(hi.round() as u64)
            ));
            d.insert(
                "leave_one_region_out".into(),
                serde_json::json!({"min": lo, "max": hi, "most_influential": who}),
            );
        }
        if nat.tested > 0 {
            let frac = if nat.regional_votes > 0.0 {
                nat.significant_votes / nat.regional_votes
            } else {
                0.0
            };
            headline.push_str(&format!(
                " {} of the {} regions estimated have anomalous votes distinguishable from zero, holding {} of the regions' anomalous votes.",
                nat.significant.len(),
                nat.tested,
                pct(frac)
            ));
            d.insert("regions_estimated".into(), json(nat.tested as f64));
            d.insert(
                "significant_regions".into(),
                serde_json::json!(nat.significant),
            );
            d.insert(
                "significant_region_votes".into(),
                json(nat.significant_votes),
            );
            d.insert("significant_region_share".into(), json(frac));
        }
    }
    Finding {
        test_id: TEST.id,
        subject: leader.to_string(),
        region,
        n: n as u64,
        statistic: Some(Statistic::new("anomalous_votes", s.anomalous)),
        // An estimate, not a test (see the module doc, "Why descriptive"): the self-null's p is
        // in the details, the battery's multiple testing does not count it.
        p_value: None,
        q_value: None,
        p_value_source: None,
        effect_size: Some(Statistic::new("anomalous_share_of_leader", share)),
        verdict: Verdict::Descriptive,
        reason: None,
        headline,
        figure: None,
        details: d,
    }
}

/// A signed whole number ("−1,234").
fn fmt_signed(x: f64) -> String {
    let v = x.round();
    if v < 0.0 {
        format!("−{}", fmt_int((-v) as u64))
    } else {
        fmt_int(v as u64)
    }
}

fn figure(leader: &str, h: &BinSums, e: &Estimate, s: &Summary) -> FigureSpec {
    let x = |k: usize| k as f64 + 0.5;
    let series = |name: String, f: &dyn Fn(usize) -> f64, from: usize, dashed: bool| LineSeries {
        name,
        points: (from..BINS).map(|k| (x(k), f(k))).collect(),
        dashed,
    };
    let top = (0..BINS)
        .map(|k| h.leader[k].max(h.others[k]))
        .fold(0.0, f64::max)
        .max(1.0);
    let core_start = e.peak.saturating_sub(CORE_HALF);
    FigureSpec::Lines(LinePanel {
        title: format!(
            "Votes by turnout: {leader} against the clean core's ratio (anomalous votes {} [{}, {}])",
            fmt_int(s.anomalous.round() as u64),
            fmt_int(s.interval.0.round() as u64),
            fmt_int(s.interval.1.round() as u64)
        ),
        caption: format!(
            "Valid votes per 1-point turnout bin: {leader} (solid), the other candidates together (solid) and {leader}'s votes predicted by the clean core's ratio r₀ = {:.3} to the others (dashed, from the core on). The gap between {leader}'s curve and the dashed one to the right of the core is the raw excess ({}); clean elections of this shape give {} on average, which is subtracted.",
            e.ratio,
            fmt_signed(s.excess),
            fmt_signed(s.null_mean)
        ),
        x_label: "Turnout (%)".into(),
        y_label: "Valid votes per 1-point bin".into(),
        x_range: (0.0, 101.0),
        y_range: (0.0, top * 1.08),
        series: vec![
            series(leader.to_string(), &|k| h.leader[k], 0, false),
            series("other candidates".into(), &|k| h.others[k], 0, false),
            series(format!("{leader} at the core's ratio"), &|k| e.ratio * h.others[k], core_start, true),
        ],
        markers: vec![
            Marker { x: x(e.peak), label: format!("clean peak {} %", e.peak) },
            Marker { x: 100.0 * e.overall_turnout, label: format!("overall {:.1} %", 100.0 * e.overall_turnout) },
        ],
        highlight: false,
    })
}
