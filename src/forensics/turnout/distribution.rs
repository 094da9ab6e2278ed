//! The common loop of `turnout_distribution` and `vote_share_distribution`: one ratio per station
//! (turnout, or a candidate's share of valid votes), summarised nationally and per region with
//! moments, the shares of stations near and at 100 %, and Hartigan's dip test of unimodality on the
//! dithered ratios; histograms at 1 % and 0.1 % bins and regional small multiples.
//!
//! The dip test (Hartigan & Hartigan 1985) asks whether the distribution has more than one mode.
//! Several modes arise from regional differences as readily as from manipulation (Canada/Quebec
//! in Klimek et al. 2012; urban and rural stations), so the verdict-driving dip is computed on
//! the ratios centred within strata of comparable stations (`strata`: deepest region with enough
//! stations × size class): a second mode that region or station size explains is not a deviation;
//! one that appears inside the strata (stations pushed to 100 % in every region) still is. The dip
//! of the pooled ratios is reported beside it. A deviation remains a pointer to the fingerprint
//! and the regional panels, not a verdict on its own. The ratios are dithered (methods.md §5.4)
//! before the dip test and the histograms, because exact ratios of small integers pile up on
//! simple fractions.

use rand::seq::SliceRandom;

use crate::figure::{file_stem, Figure, FigureSpec, HistSeries, HistogramPanel, Marker, Panel};
use crate::finding::{details, Finding, Statistic, TestOutput};
use crate::forensics::turnout::data::{dithered, histogram, rng, Groups};
use crate::forensics::turnout::strata;
use crate::forensics::Battery;
use crate::stats::dip::dip_test;
use crate::stats::moments::{median, moments};
use crate::text::{fmt_int, fmt_p};

/// Fewest stations with a ratio for a group to be tested.
pub const MIN_STATIONS: usize = 30;
/// Most panels in a regional chart (those with the lowest p-values).
pub const MAX_PANELS: usize = 48;
/// The dip test is computed on at most this many stations per group (a seeded random subset
/// beyond), because its p-value table does not resolve larger n better and sorting a million
/// values per region is wasted time.
pub const MAX_DIP_N: usize = 200_000;

/// What one distribution test looks at.
pub struct RatioSubject<'a> {
    /// Candidate name, or "turnout".
    pub name: String,
    /// What the ratio is, for captions ("turnout", "share of valid votes for X").
    pub what: String,
    pub num: &'a [u64],
    pub den: &'a [u64],
    /// Seeding stream of this subject within the test.
    pub stream: u64,
}

/// Run the distribution summary of every subject over every group.
pub fn run(b: &Battery<'_>, id: &'static str, subjects: &[RatioSubject<'_>]) -> TestOutput {
    let groups = Groups::new(b.tally, b.params.region_depth);
    let mut out = TestOutput::default();
    for s in subjects {
        let stratum_of = strata::strata(b.tally, s.den);
        let summaries: Vec<GroupSummary> = (0..groups.regions.len())
            .map(|g| summarise(b, s, &groups.members[g], g as u64, &stratum_of))
            .collect();
        let national = &summaries[0];
        let mut f = finding(id, s, &groups, 0, national);
        if national.dithered.len() >= MIN_STATIONS {
            for (bins, label) in [(100, "1"), (1000, "0.1")] {
                let stem = file_stem(&[id, &s.name, "national", label]);
                let panel = hist_panel(
                    s,
                    national,
                    bins,
                    format!("{} (national, {label}-point bins)", title(s)),
                );
                let mut p = panel;
                if bins == 1000 {
                    // Round percentages marked (every 5 %): spikes on whole and round
                    // percentages are what percentages written first leave (Kobak et al. 2016).
                    p.markers.retain(|m| m.x != 95.0);
                    p.markers.extend((1..20).map(|k| crate::figure::Marker {
                        x: 5.0 * k as f64,
                        label: if k % 2 == 0 {
                            format!("{} %", 5 * k)
                        } else {
                            String::new()
                        },
                    }));
                }
                p.caption = format!(
                    "{} per station in {label}-point bins (n = {} stations; numerator and denominator dithered by ±0.5 so small stations make no spikes at simple fractions). Stations at exactly 100 % fall in the last bin. Sharp spikes at whole percentages (on the 0.1-point chart, dashed lines mark every 5 %) are what manipulated percentages leave; smooth bumps usually mean regions that differ.",
                    capitalise(&s.what),
                    fmt_int(national.dithered.len() as u64)
                );
                out.figures.push(Figure {
                    file_stem: stem.clone(),
                    spec: FigureSpec::Histogram(p),
                });
                if bins == 100 {
                    f.figure = Some(format!("figures/{stem}.png"));
                }
            }
        }
        out.findings.push(f);
        for (level, range) in groups.levels() {
            let findings: Vec<Finding> = range
                .clone()
                .map(|g| finding(id, s, &groups, g, &summaries[g]))
                .collect();
            let mut shown: Vec<usize> = (0..findings.len())
                .filter(|&i| findings[i].p_value.is_some())
                .collect();
            let applicable = shown.len();
            if applicable > MAX_PANELS {
                let p = |i: usize| findings[i].p_value.unwrap_or(1.0);
                shown.sort_by(|&a, &b| p(a).total_cmp(&p(b)));
                shown.truncate(MAX_PANELS);
                shown.sort_unstable();
            }
            let stem = file_stem(&[id, &s.name, "by", level]);
            if !shown.is_empty() {
                let panels = shown
                    .iter()
                    .map(|&i| {
                        let g = range.start + i;
                        let mut p = hist_panel(
                            s,
                            &summaries[g],
                            100,
                            format!("{} (n = {})", groups.short_name(g), fmt_int(findings[i].n)),
                        );
                        p.highlight = findings[i]
                            .p_value
                            .is_some_and(|p| p <= crate::stats::dip::DIP_P_VALUE_FLOOR);
                        Panel::Histogram(p)
                    })
                    .collect();
                let which = if applicable > MAX_PANELS {
                    format!("The {MAX_PANELS} of {applicable} {level}s with the lowest dip-test p-values")
                } else {
                    format!("One panel per {level} with at least {MIN_STATIONS} stations")
                };
                out.figures.push(Figure {
                    file_stem: stem.clone(),
                    spec: FigureSpec::Grid {
                        title: format!("{} by {level}", title(s)),
                        caption: format!("{which}: {} per station in 1-point bins (dithered), each panel on its own scale. Orange titles: dip-test p ≤ 0.001 (the table's floor) before multiple-testing correction (more than one mode).", s.what),
                        shared_scale: false,
                        panels,
                    },
                });
            }
            for (i, mut f) in findings.into_iter().enumerate() {
                if shown.contains(&i) {
                    f.figure = Some(format!("figures/{stem}.png"));
                }
                out.findings.push(f);
            }
        }
    }
    out
}

fn title(s: &RatioSubject<'_>) -> String {
    capitalise(&s.what)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Everything the finding and the charts need about one group.
pub struct GroupSummary {
    /// Exact ratios of the stations with a denominator.
    pub exact: Vec<f64>,
    /// Dithered ratios (same stations).
    pub dithered: Vec<f64>,
    /// Stations without a denominator.
    pub no_denominator: u64,
    /// Stations whose numerator exceeds the denominator (ratio above 100 %).
    pub above_100: u64,
    /// Stations at exactly 100 %.
    pub at_100: u64,
    /// Stations at or above 95 % (exact ratio).
    pub at_least_95: u64,
    /// (dip, p-value, n used) on the dithered ratios centred within strata (drives the verdict).
    pub dip: Option<(f64, f64, usize)>,
    /// (dip, p-value) on the pooled dithered ratios (description).
    pub dip_pooled: Option<(f64, f64)>,
    /// Strata among the group's stations.
    pub strata: usize,
}

fn summarise(
    b: &Battery<'_>,
    s: &RatioSubject<'_>,
    members: &[u32],
    g: u64,
    stratum_of: &[u32],
) -> GroupSummary {
    let mut r = rng(b, s.stream, g);
    let mut st: Vec<u32> = Vec::with_capacity(members.len());
    let mut sum = GroupSummary {
        exact: Vec::with_capacity(members.len()),
        dithered: Vec::with_capacity(members.len()),
        no_denominator: 0,
        above_100: 0,
        at_100: 0,
        at_least_95: 0,
        dip: None,
        dip_pooled: None,
        strata: 0,
    };
    for &i in members {
        let (a, d) = (s.num[i as usize], s.den[i as usize]);
        if d == 0 {
            sum.no_denominator += 1;
            continue;
        }
        sum.exact.push(a as f64 / d as f64);
        sum.dithered.push(dithered(a, d, &mut r));
        st.push(stratum_of[i as usize]);
        sum.above_100 += u64::from(a > d);
        sum.at_100 += u64::from(a == d);
        // 95 % in integers: 20·a ≥ 19·d, no rounding at the boundary.
        sum.at_least_95 += u64::from(20 * a as u128 >= 19 * d as u128);
    }
    if sum.dithered.len() >= MIN_STATIONS {
        let ones = vec![1.0; st.len()];
        let within = strata::centred(&sum.dithered, &ones, &st);
        sum.strata = strata::count(&st);
        // One subset for both dips, so they are computed on the same stations.
        let mut pick: Vec<usize> = (0..within.len()).collect();
        if pick.len() > MAX_DIP_N {
            pick.shuffle(&mut r);
            pick.truncate(MAX_DIP_N);
        }
        let d = dip_test(&pick.iter().map(|&k| within[k]).collect::<Vec<_>>());
        sum.dip = Some((d.dip, d.p_value, d.n));
        let pooled = dip_test(&pick.iter().map(|&k| sum.dithered[k]).collect::<Vec<_>>());
        sum.dip_pooled = Some((pooled.dip, pooled.p_value));
    }
    sum
}

fn hist_panel(
    s: &RatioSubject<'_>,
    g: &GroupSummary,
    bins: usize,
    title: String,
) -> HistogramPanel {
    HistogramPanel {
        title,
        caption: String::new(),
        x_label: format!("{} (%)", capitalise(&s.what)),
        y_label: "stations".into(),
        x_min: 0.0,
        bin_width: 100.0 / bins as f64,
        series: vec![HistSeries {
            name: "stations".into(),
            counts: histogram(g.dithered.iter().copied(), 0.0, 1.0, bins),
        }],
        markers: vec![Marker {
            x: 95.0,
            label: "95 %".into(),
        }],
        highlight: false,
    }
}

fn finding(
    id: &'static str,
    s: &RatioSubject<'_>,
    groups: &Groups,
    g: usize,
    sum: &GroupSummary,
) -> Finding {
    let region = groups.regions[g].clone();
    let n = sum.exact.len();
    let Some((dip, p, dip_n)) = sum.dip else {
        return Finding::not_applicable(
            id,
            &s.name,
            region,
            n as u64,
            format!(
                "only {n} stations have a {} (at least {MIN_STATIONS} are needed)",
                s.what
            ),
        );
    };
    let m = moments(&sum.exact);
    let med = median(&sum.exact);
    let share = |k: u64| k as f64 / n as f64;
    let shape = if p <= crate::stats::dip::DIP_P_VALUE_FLOOR {
        "has more than one mode"
    } else {
        "is consistent with one mode"
    };
    let (pooled_dip, pooled_p) = sum.dip_pooled.unwrap_or((f64::NAN, f64::NAN));
    let pooled_text = if pooled_p <= crate::stats::dip::DIP_P_VALUE_FLOOR
        && p > crate::stats::dip::DIP_P_VALUE_FLOOR
    {
        format!("; pooled over strata it has more than one mode (D = {pooled_dip:.4}), which the differences between regions or station sizes explain")
    } else {
        String::new()
    };
    let headline = format!(
        "Within {} strata of comparable stations (region × size), the {} {shape} (dip D = {dip:.4}, p = {}){pooled_text}; mean {:.1} %, median {:.1} %, SD {:.1} points, skewness {:.2}, Pearson kurtosis {:.2}; {:.2} % of stations at or above 95 %, {} at exactly 100 %, {} above 100 %.",
        sum.strata,
        s.what,
        fmt_p(p),
        100.0 * m.mean,
        100.0 * med,
        100.0 * m.sd,
        m.skewness,
        m.kurtosis_pearson,
        100.0 * share(sum.at_least_95),
        fmt_int(sum.at_100),
        fmt_int(sum.above_100),
    );
    let json = |x: f64| serde_json::json!(x);
    Finding {
        test_id: id,
        subject: s.name.clone(),
        region,
        n: n as u64,
        statistic: Some(Statistic::new("dip", dip)),
        p_value: Some(p),
        q_value: None,
        p_value_source: Some(format!("Hartigan dip test on dithered ratios of {dip_n} stations centred within region × size strata; p interpolated in a simulated table of the uniform null (see stats::dip)")),
        effect_size: Some(Statistic::new("dip", dip)),
        verdict: crate::finding::Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("mean", json(m.mean)),
            ("median", json(med)),
            ("sd", json(m.sd)),
            ("skewness", json(m.skewness)),
            ("kurtosis_pearson", json(m.kurtosis_pearson)),
            ("share_at_least_95", json(share(sum.at_least_95))),
            ("stations_at_100", serde_json::json!(sum.at_100)),
            ("stations_above_100", serde_json::json!(sum.above_100)),
            ("stations_without_denominator", serde_json::json!(sum.no_denominator)),
            ("dip_stations", serde_json::json!(dip_n)),
            ("dip_strata", serde_json::json!(sum.strata)),
            ("dip_pooled", json(pooled_dip)),
            ("dip_pooled_p_value", json(pooled_p)),
        ]),
    }
}
