//! `zero_five_endings`: do counts, or rounded vote percentages, end in 0 or 5 too often?
//!
//! People who invent numbers round them: counts ending in 0 or 5 become more common than the 20 %
//! that honest counting gives. Two statistics of the Election Forensics Toolkit, one finding each
//! per subject and group (distinguished by `statistic.name`):
//!
//! - **`c05_share`** (EFToolkit `C05s`): share of counts ≥ 10 whose last digit is 0 or 5, null 0.2
//!   for large counts; the exact centre is the smooth-count expectation smooth[0] + smooth[5]
//!   (`digits::smooth_expected`, σ = 5 votes; see `last_digit`), reported with 0.2. The all-counts
//!   share (EFToolkit includes counts 0–9) is in the details for parity. Candidates and the
//!   registered-voter column. Applicability as `last_digit`: at least 50 counts ≥ 10 and a median
//!   count ≥ 20.
//! - **`p05_share`** (EFToolkit `P05s`): share of stations whose percentage 100·votes/valid,
//!   rounded half-to-even (R's `round`, methods.md §8), ends in 0 or 5. Candidates only. Its null is
//!   **not** 0.2 with small denominators: with 20 valid votes every percentage is a multiple of 5,
//!   so P05s = 1 under any honest count (methods.md §2). Only stations with at least 100 valid
//!   votes and a share between 2.5 % and 97.5 % enter, and the expectation is exact from each
//!   station's denominator (`percent_grid`: the share of the counts in that window whose
//!   percentage ends in 0 or 5), with variance Σ Eᵢ(1 − Eᵢ). The previous null (counts jittered by
//!   N(0, 5²) votes) failed on honest data in both directions: it smeared the 0 % lump of small and
//!   overdispersed parties (P05 "deviated" at p ≈ 10⁻²¹ on clean elections with a 9 % party) and
//!   was off by half a point at a million stations. 0.2 and the z against it are reported for
//!   parity only. Applicable with at least 50 stations in the window.
//!
//! Statistic: the share with a Wilson 95 % interval; analytic z against 0.2 with the binomial SE
//! √(0.2·0.8/n) in the details. Effect size: share − expected (N-independent). Calibration: the
//! observed share is referred to a normal with the null mean and SD (`digits::null`), two-sided.
//!
//! References: Hicken, A. & Mebane, W. (2015/2017), *A Guide to Election Forensics* (USAID);
//! Kalinin, K. & Mebane, W., EFToolkit (`C05s`, `P05s`); Beber, B. & Scacco, A. (2012), *Political
//! Analysis* 20(2):211–234; Wilson, E. B. (1927), *JASA* 22(158):209–212.

use serde_json::json;

use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::{Battery, Subject, SubjectKind};
use crate::forensics::digits::findings::{self, DigitTestSpec};
use crate::forensics::digits::last_digit::MIN_COUNT;
use crate::forensics::digits::last_digit_mean::applicable_last_family;
use crate::forensics::digits::laws::{DigitHist, SMOOTH_SIGMA};
use crate::forensics::digits::null::{normal_sf, GroupNull, Stat};
use crate::forensics::ForensicTest;
use crate::stats::proportions::{binomial_z, wilson};
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "zero_five_endings",
    title: "Counts and percentages ending in 0 or 5 (C05s, P05s)",
    method: "People who make numbers up round them, so counts or vote percentages ending in 0 or 5 become more common than the one in five that honest counting gives. Two shares are tested for every candidate, nationally and per region (statistic c05_share and p05_share). c05_share: the share of station counts of at least 10 that end in 0 or 5 (the Election Forensics Toolkit's C05s; also for the registered-voter counts; the Toolkit's all-counts value is shown too); the honest expectation is 20% for large counts and is computed from a smoothed version of the observed counts for counts under 100. Not applicable when fewer than 50 counts reach 10 or the median count is under 20. p05_share: the share of stations where the candidate's percentage of the valid votes, rounded to a whole number (halves to even, as R does), ends in 0 or 5 (the Toolkit's P05s). Its honest expectation is not 20% at small stations (with 20 valid votes every percentage is a multiple of 5), so only stations with at least 100 valid votes and a share between 2.5% and 97.5% enter (0% and 100% end in 0 without anyone choosing them), and the expectation is computed exactly from each station's number of valid votes; not applicable with fewer than 50 such stations. The c05_share p-value is calibrated against counts redrawn around each count and the p05_share one against the rounded percentages' honest rate, both from exact means and variances; each share comes with a 95% Wilson interval. A deviation says that round endings are over- or under-used, not why.",
    references: "Hicken & Mebane (2015), A Guide to Election Forensics (USAID); Kalinin & Mebane, EFToolkit (C05s, P05s); Beber & Scacco (2012), Political Analysis 20(2):211–234; Wilson (1927), JASA 22:209–212.",
    weight: 0.03,
    run,
};

/// Share of endings 0 or 5 when last digits are uniform (EFToolkit's null for C05s and P05s).
pub const NULL_SHARE: f64 = 0.2;
/// Fewest stations in the rounded-percentage window (`percent_grid::in_window`) for `p05_share`.
pub const MIN_STATIONS_P05: u64 = 50;

/// A share of units with some property.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub hits: u64,
    pub n: u64,
    pub share: f64,
    pub ci: (f64, f64),
    /// z against 0.2 with the binomial SE.
    pub z_null: f64,
}

impl Share {
    pub fn new(hits: u64, n: u64) -> Share {
        let share = hits as f64 / n.max(1) as f64;
        Share {
            hits,
            n,
            share,
            ci: wilson(hits, n),
            z_null: binomial_z(share, NULL_SHARE, n),
        }
    }
}

/// C05s of counts ≥ 10 and of all counts.
pub fn c05(h: &DigitHist) -> (Share, Share) {
    let ge10 = Share::new(u64::from(h.last_ge10[0] + h.last_ge10[5]), h.n_ge10());
    let all = Share::new(u64::from(h.last_all[0] + h.last_all[5]), h.n_all());
    (ge10, all)
}

/// P05s: stations with valid > 0 whose rounded percentage ends in 0 or 5.
pub fn p05(h: &DigitHist) -> Share {
    Share::new(u64::from(h.p05_hits), u64::from(h.p05_n))
}

fn where_(g: &GroupNull) -> String {
    g.region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default()
}

fn c05_finding(subject: &Subject<'_>, g: &GroupNull) -> Finding {
    let (s, all) = c05(&g.observed);
    let expected = g.smooth_last[0] + g.smooth_last[5];
    let cal = g.calibrated(Stat::C05Ge10);
    let cal_all = g.calibrated(Stat::C05All);
    let headline = format!(
        "{}{}: {:.1}% of {} counts of at least {MIN_COUNT} end in 0 or 5 (95% CI {:.1}–{:.1}%), against {:.1}% expected from honest counting; calibrated p = {}.",
        subject.name,
        where_(g),
        100.0 * s.share,
        fmt_int(s.n),
        100.0 * s.ci.0,
        100.0 * s.ci.1,
        100.0 * expected,
        fmt_p(cal.p),
    );
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: s.n,
        statistic: Some(Statistic::new("c05_share", s.share)),
        p_value: Some(cal.p),
        q_value: None,
        p_value_source: Some(findings::source(false, g.method)),
        effect_size: Some(Statistic::new("share_minus_expected", s.share - expected)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("min_count", json!(MIN_COUNT)),
            ("hits", json!(s.hits)),
            ("ci95", json!([s.ci.0, s.ci.1])),
            ("ci_method", json!("Wilson score")),
            ("expected_share", json!(expected)),
            (
                "expected_method",
                json!(format!(
                    "smooth-count null, Gaussian kernel sigma = {SMOOTH_SIGMA} votes"
                )),
            ),
            ("null_large_counts", json!(NULL_SHARE)),
            ("z_vs_0_2", json!(s.z_null)),
            ("p_value_vs_0_2", json!(2.0 * normal_sf(s.z_null.abs()))),
            ("simulated_mean", json!(cal.sim_mean)),
            ("simulated_sd", json!(cal.sim_sd)),
            ("n_all_counts", json!(all.n)),
            ("c05_share_all_counts", json!(all.share)),
            ("ci95_all_counts", json!([all.ci.0, all.ci.1])),
            ("p_value_all_counts_calibrated", json!(cal_all.p)),
            ("median_count", json!(g.median_all)),
        ]),
    }
}

fn p05_applicable(g: &GroupNull) -> Result<(), String> {
    let n = u64::from(g.observed.p05_n);
    if n < MIN_STATIONS_P05 {
        return Err(format!(
            "rounded percentages (p05_share): only {n} stations have at least {} valid votes and a share between 2.5 and 97.5 % (shares at the edges pile up on 0 % and 100 %, which end in 0 without anyone choosing them); the test needs at least {MIN_STATIONS_P05}",
            crate::forensics::digits::percent_grid::MIN_TOTAL
        ));
    }
    // The share's spread must smooth the period-5 pattern away at this size (`percent_grid`).
    let e = g.observed.p05_expected / n as f64;
    let sd = (e * (1.0 - e) / n as f64).sqrt();
    let z = if sd > 0.0 { g.p05_bound / sd } else { 0.0 };
    if z > crate::forensics::digits::resolution::MAX_BIAS_Z {
        return Err(format!(
            "rounded percentages (p05_share): the candidate's shares are too concentrated for the test at {} stations: within comparable regions their spread can leave up to {:.2} points of the 0-or-5 pattern by itself, {z:.1} times the share's sampling SD (the limit is {}); whether 0 or 5 is common is then a fact of where the candidate's share sits, not of counting",
            fmt_int(n),
            100.0 * g.p05_bound,
            crate::forensics::digits::resolution::MAX_BIAS_Z
        ));
    }
    Ok(())
}

fn p05_finding(subject: &Subject<'_>, g: &GroupNull) -> Finding {
    let s = p05(&g.observed);
    let h = &g.observed;
    let n = f64::from(h.p05_n.max(1));
    let expected = h.p05_expected / n;
    let sd = h.p05_var.sqrt() / n;
    let p = if h.p05_var > 0.0 {
        2.0 * normal_sf((f64::from(h.p05_hits) - h.p05_expected).abs() / h.p05_var.sqrt())
    } else if (f64::from(h.p05_hits) - h.p05_expected).abs() < 1e-9 {
        1.0
    } else {
        0.0
    };
    let headline = format!(
        "{}{}: at {:.1}% of {} stations (with at least 100 valid votes and a share between 2.5 and 97.5 %) the candidate's rounded percentage ends in 0 or 5 (95% CI {:.1}–{:.1}%), against {:.2}% expected exactly from the stations' numbers of valid votes (20% only at large stations); p = {}.",
        subject.name,
        where_(g),
        100.0 * s.share,
        fmt_int(s.n),
        100.0 * s.ci.0,
        100.0 * s.ci.1,
        100.0 * expected,
        fmt_p(p),
    );
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: s.n,
        statistic: Some(Statistic::new("p05_share", s.share)),
        p_value: Some(p),
        q_value: None,
        p_value_source: Some(
            "two-sided normal tail with the exact mean and variance of independent stations (percent_grid)".into(),
        ),
        effect_size: Some(Statistic::new("share_minus_expected", s.share - expected)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("hits", json!(s.hits)),
            ("ci95", json!([s.ci.0, s.ci.1])),
            ("ci_method", json!("Wilson score")),
            ("expected_share", json!(expected)),
            (
                "expected_method",
                json!("exact: for each station, the share of counts with a share in [2.5 %, 97.5 %) of its valid votes whose rounded percentage ends in 0 or 5"),
            ),
            ("expected_sd", json!(sd)),
            ("percentage", json!("100 · votes / valid votes, rounded half to even")),
            ("nominal_null", json!(NULL_SHARE)),
            (
                "p05_share_all_stations",
                json!(f64::from(h.p05_all_hits) / f64::from(h.p05_all_n.max(1))),
            ),
            ("n_all_stations", json!(h.p05_all_n)),
            ("z_vs_0_2", json!(s.z_null)),
            ("p_value_vs_0_2", json!(2.0 * normal_sf(s.z_null.abs()))),
            ("median_count", json!(g.median_all)),
        ]),
    }
}

const C05: DigitTestSpec = DigitTestSpec {
    id: "zero_five_endings",
    chart: "Counts ending in 0 or 5",
    counts: "counts ≥ 10",
    accepts: |_| true,
    applicable: |g| applicable_last_family(g, "counts ending in 0 or 5 (c05_share): "),
    finding: c05_finding,
    panel: None,
    caption: "",
};

const P05: DigitTestSpec = DigitTestSpec {
    id: "zero_five_endings",
    chart: "Rounded percentages ending in 0 or 5",
    counts: "stations with valid votes",
    accepts: |s| s.kind == SubjectKind::Candidate,
    applicable: p05_applicable,
    finding: p05_finding,
    panel: None,
    caption: "",
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    Ok(findings::run_all(b, &[&C05, &P05]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::digits::last_digit_mean::synthetic_tally;
    use rand::RngExt;

    #[test]
    fn venezuela_c05_matches_methods() {
        // methods.md §10 item 10 last digits (counts ≥ 10); §7.2 C05s ≥ 10: 0.2010 / 0.1990.
        for (last, want) in [
            (
                [2493, 2389, 2496, 2461, 2458, 2432, 2497, 2453, 2354, 2472],
                0.2010,
            ),
            (
                [2490, 2518, 2421, 2480, 2511, 2387, 2430, 2387, 2382, 2496],
                0.1990,
            ),
        ] {
            let h = DigitHist {
                last_ge10: last,
                last_all: last,
                ..Default::default()
            };
            let (s, _) = c05(&h);
            assert!((s.share - want).abs() < 5e-5, "{} vs {want}", s.share);
            assert!((s.z_null - (s.share - 0.2) / (0.16 / s.n as f64).sqrt()).abs() < 1e-12);
        }
    }

    #[test]
    fn hand_computed_shares_and_half_to_even_percentages() {
        let mut h = DigitHist::default();
        // counts: 5 (all only), 10, 15, 23, 40 → ≥ 10: 3 of 4 end in 0/5; all: 4 of 5.
        for v in [5u64, 10, 15, 23, 40] {
            h.add(v, 200);
        }
        let (s, all) = c05(&h);
        assert_eq!((s.hits, s.n, all.hits, all.n), (3, 4, 4, 5));
        // Percentages with halves round to even: 1/8 = 12.5 % → 12 (not 13); 1/40 = 2.5 % → 2;
        // 9/40 = 22.5 % → 22; 1/4 = 25 %; 3/20 = 15 %. Where the rule matters: 9/200 = 4.5 % → 4
        // (half away from zero: 5, a hit); 1/200 = 0.5 % → 0 (a hit; half away from zero: 1).
        use crate::forensics::digits::laws::percent_ends_in_0_or_5 as ends;
        for (v, t, hit) in [
            (1u64, 8u64, false),
            (1, 40, false),
            (9, 40, false),
            (1, 4, true),
            (3, 20, true),
            (9, 200, false),
            (1, 200, true),
        ] {
            assert_eq!(ends(v, t), hit, "{v}/{t}");
        }
        // Only stations with at least 100 valid votes and a share in [2.5 %, 97.5 %) enter:
        // 50/200 (25 %, a hit) and 9/200 (4.5 % → 4); not 1/200 (0.5 %), 3/20 (20 valid votes),
        // 200/200 (100 %) or a station without valid votes.
        let mut h = DigitHist::default();
        for (v, t) in [
            (50u64, 200u64),
            (9, 200),
            (1, 200),
            (3, 20),
            (200, 200),
            (0, 0),
        ] {
            h.add(v, t);
        }
        let p = p05(&h);
        assert_eq!((p.hits, p.n), (1, 2));
        let e = crate::forensics::digits::percent_grid::expected(200);
        assert!((h.p05_expected - 2.0 * e).abs() < 1e-12);
        assert!((h.p05_var - 2.0 * e * (1.0 - e)).abs() < 1e-12);
        // 37.5 % → 38 (half to even), 62.5 % → 62: neither ends in 0 or 5.
        assert!(!crate::forensics::digits::laws::percent_ends_in_0_or_5(
            3, 8
        ));
        assert!(!crate::forensics::digits::laws::percent_ends_in_0_or_5(
            5, 8
        ));
    }

    #[test]
    fn small_parties_are_not_applicable_for_both_shares() {
        // A party with a median of about 15 votes and a share just under 2.5 % everywhere: past
        // the battery's gate (median ≥ 10), but neither share has a reliable null (its rounded
        // percentages all sit at the 0 % edge, outside the p05 window).
        let mut t = synthetic_tally(22, 600, |_, c, _| c);
        t.candidates[1].votes = t.valid.iter().map(|&v| (v as f64 * 0.025) as u64).collect();
        let params = crate::forensics::Params {
            replicates: 20,
            ..Default::default()
        };
        let out = run(&Battery::new(&t, &params)).unwrap();
        let na: Vec<&str> = out
            .findings
            .iter()
            .filter(|f| f.subject == "Mid" && f.region.is_none())
            .map(|f| {
                assert_eq!(f.verdict, Verdict::NotApplicable);
                f.reason.as_deref().unwrap()
            })
            .collect();
        assert_eq!(na.len(), 2, "{na:?}");
        assert!(na[0].starts_with("counts ending in 0 or 5 (c05_share): the median count is"));
        assert!(
            na[1].starts_with("rounded percentages (p05_share): only "),
            "{}",
            na[1]
        );
    }

    #[test]
    fn end_to_end_flags_rounded_counts_and_round_percentages() {
        let params = crate::forensics::Params {
            replicates: 100,
            ..Default::default()
        };
        let honest = synthetic_tally(21, 3000, |_, c, _| c);
        let out = run(&Battery::new(&honest, &params)).unwrap();
        // c05: 3 subjects × 3 groups; p05: 2 candidates × 3 groups.
        assert_eq!(out.findings.len(), 15);
        assert_eq!(
            out.findings[0].statistic.as_ref().unwrap().name,
            "c05_share"
        );
        assert_eq!(
            out.findings[3].statistic.as_ref().unwrap().name,
            "p05_share"
        );
        assert_eq!(out.findings[3].subject, "Big");
        for f in &out.findings {
            assert!(f.p_value.unwrap() > 0.001, "{}", f.headline);
        }
        // A person rounds a third of the South counts to 0 or 5.
        let rounded = synthetic_tally(21, 3000, |rng, c, _| {
            if rng.random_bool(1.0 / 3.0) {
                5 * ((c + 2) / 5)
            } else {
                c
            }
        });
        let out = run(&Battery::new(&rounded, &params)).unwrap();
        let get = |stat: &str, region: &str| {
            out.findings
                .iter()
                .find(|f| {
                    f.subject == "Big"
                        && f.statistic.as_ref().unwrap().name == stat
                        && f.region_label() == region
                })
                .unwrap()
        };
        let f = get("c05_share", "South");
        assert!(f.p_value.unwrap() < 1e-10, "{}", f.headline);
        assert!(
            f.effect_size.as_ref().unwrap().value > 0.2,
            "{}",
            f.headline
        );
        assert!(get("c05_share", "North").p_value.unwrap() > 0.001);
        // A person writes a third of the South counts so that the percentage is a multiple of 5.
        let round_pct = synthetic_tally(21, 3000, |rng, c, valid| {
            if rng.random_bool(1.0 / 3.0) {
                let pct = (20.0 * c as f64 / valid as f64).round() * 5.0;
                (pct * valid as f64 / 100.0).round() as u64
            } else {
                c
            }
        });
        let out = run(&Battery::new(&round_pct, &params)).unwrap();
        let f = out
            .findings
            .iter()
            .find(|f| {
                f.subject == "Big"
                    && f.statistic.as_ref().unwrap().name == "p05_share"
                    && f.region_label() == "South"
            })
            .unwrap();
        assert!(f.p_value.unwrap() < 1e-10, "{}", f.headline);
    }
}
