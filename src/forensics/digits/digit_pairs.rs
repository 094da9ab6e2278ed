//! `digit_pairs`: are repeated and adjacent final digit pairs as common as honest counting makes them?
//!
//! Beber & Scacco (2012) tests 2 and 3. For each count ≥ 10 take its last two digits, a = tens digit
//! and b = units digit. People who invent numbers write too few repeated pairs (a = b: 33, 77) and
//! too many adjacent ones (|a − b| = 1: 34, 65). Two findings per subject and group, distinguished
//! by `statistic.name`:
//!
//! - **`repeated_share`**: share of counts with a = b, null 0.10.
//! - **`adjacent_share`**: share with |a − b| = 1, **linear** adjacency (0 and 9 are not adjacent),
//!   null 0.18. Beber & Scacco count 0 next to 9 (circular, null 0.20); methods.md §4 and §8 say
//!   pick one and document it, and the project picked linear (it is what `DigitHist::pairs` counts,
//!   and it does not mix the 09/90 endings, which are not neighbours on a keypad or in writing,
//!   into the statistic). The circular share, its z against 0.20 and its calibrated p are reported
//!   in the details.
//!
//! Counts ≥ 10 (as in methods.md §7.2; a count of 10–99 has its tens digit as a). Statistic: the
//! share with a Wilson 95 % interval; the analytic z against 0.10 / 0.18 with the binomial SE
//! √(p₀(1 − p₀)/n) is in the details. The verdict's p-value is calibrated against the
//! smooth-count null (`digits::null`: counts jittered by N(0, 5²) votes, which keeps the slope of
//! small counts — 11 is more common than 99 among counts of 10–99 — and none of a fabricated pair
//! pattern): the observed share is referred to a normal with the null mean and SD, two-sided. The
//! expected share is the null mean (0.10 / 0.18 for large counts); effect size = share − expected.
//!
//! Applicability: as `last_digit` — at least 50 counts ≥ 10 and a median count ≥ 20.
//!
//! References: Beber, B. & Scacco, A. (2012), "What the Numbers Say: A Digit-Based Test for Election
//! Fraud", *Political Analysis* 20(2):211–234; Wilson, E. B. (1927), *JASA* 22(158):209–212.

use serde_json::json;

use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::{Battery, Subject};
use crate::forensics::digits::findings::{self, DigitTestSpec};
use crate::forensics::digits::last_digit::MIN_COUNT;
use crate::forensics::digits::last_digit_mean::applicable_last_family;
use crate::forensics::digits::laws::DigitHist;
use crate::forensics::digits::null::{normal_sf, Calibrated, GroupNull, Stat};
use crate::forensics::ForensicTest;
use crate::stats::proportions::{binomial_z, wilson};
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "digit_pairs",
    title: "Repeated and adjacent final digit pairs (Beber & Scacco)",
    method: "People who invent numbers avoid writing the same digit twice at the end (33, 77) and like neighbouring digits (34, 65). In honest counts of tens or hundreds of votes, 10% of counts end in a repeated pair and 18% in an adjacent pair (digits differing by one, 0 and 9 not counted as neighbours; with 0 next to 9, as in Beber and Scacco's paper, the share is 20% and is shown in the details). For every candidate (and the registered-voter counts), nationally and per region, the test takes the last two digits of every station count of at least 10 and reports both shares (statistic repeated_share and adjacent_share) with 95% Wilson intervals. The p-values are calibrated against honest counts of the same size (redrawn around each count; mean and variance computed exactly), which also accounts for counts under 100, where small tens digits are more common. Not applicable when fewer than 50 counts reach 10 or the median count is under 20. A deviation says that digit pairs are unevenly used, not why.",
    references: "Beber & Scacco (2012), Political Analysis 20(2):211–234; Wilson (1927), JASA 22:209–212.",
    weight: 0.03,
    run,
};

/// Shares under uniform last two digits.
pub const NULL_REPEATED: f64 = 0.10;
pub const NULL_ADJACENT_LINEAR: f64 = 0.18;
pub const NULL_ADJACENT_CIRCULAR: f64 = 0.20;

/// Pair counts among counts ≥ 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairCounts {
    pub n: u64,
    pub repeated: u64,
    /// |a − b| = 1.
    pub adjacent_linear: u64,
    /// |a − b| = 1 or {a, b} = {0, 9}.
    pub adjacent_circular: u64,
}

/// The pair counts of a histogram.
pub fn pair_counts(h: &DigitHist) -> PairCounts {
    let (repeated, adjacent_linear, n) = h.pairs();
    let wrap = u64::from(h.last2_ge10[9]) + u64::from(h.last2_ge10[90]);
    PairCounts {
        n,
        repeated,
        adjacent_linear,
        adjacent_circular: adjacent_linear + wrap,
    }
}

/// One tested share: observed, nominal null, Wilson interval and analytic z.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairShare {
    pub hits: u64,
    pub n: u64,
    pub share: f64,
    pub ci: (f64, f64),
    pub null: f64,
    pub z: f64,
}

impl PairShare {
    pub fn new(hits: u64, n: u64, null: f64) -> PairShare {
        let share = hits as f64 / n.max(1) as f64;
        PairShare {
            hits,
            n,
            share,
            ci: wilson(hits, n),
            null,
            z: binomial_z(share, null, n),
        }
    }
}

fn applicable(g: &GroupNull) -> Result<(), String> {
    applicable_last_family(g, "digit pairs: ")
}

fn base_finding(
    subject: &Subject<'_>,
    g: &GroupNull,
    name: &str,
    what: &str,
    s: PairShare,
    cal: Calibrated,
) -> Finding {
    let where_ = g
        .region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default();
    let headline = format!(
        "{}{where_}: {:.1}% of {} counts of at least {MIN_COUNT} end in {what} (95% CI {:.1}–{:.1}%), against {:.1}% expected from honest counting ({:.0}% for large counts); calibrated p = {}.",
        subject.name,
        100.0 * s.share,
        fmt_int(s.n),
        100.0 * s.ci.0,
        100.0 * s.ci.1,
        100.0 * cal.sim_mean,
        100.0 * s.null,
        fmt_p(cal.p),
    );
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: s.n,
        statistic: Some(Statistic::new(name, s.share)),
        p_value: Some(cal.p),
        q_value: None,
        p_value_source: Some(findings::source(false, g.method)),
        effect_size: Some(Statistic::new(
            "share_minus_expected",
            s.share - cal.sim_mean,
        )),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("min_count", json!(MIN_COUNT)),
            ("hits", json!(s.hits)),
            ("ci95", json!([s.ci.0, s.ci.1])),
            ("ci_method", json!("Wilson score")),
            ("expected_share", json!(cal.sim_mean)),
            ("expected_method", json!("mean under the smooth-count null")),
            ("simulated_sd", json!(cal.sim_sd)),
            ("null_large_counts", json!(s.null)),
            ("z_vs_null", json!(s.z)),
            ("p_value_vs_null", json!(2.0 * normal_sf(s.z.abs()))),
            ("median_count", json!(g.median_all)),
        ]),
    }
}

fn repeated_finding(subject: &Subject<'_>, g: &GroupNull) -> Finding {
    let c = pair_counts(&g.observed);
    let s = PairShare::new(c.repeated, c.n, NULL_REPEATED);
    let cal = g.calibrated(Stat::Repeated);
    base_finding(
        subject,
        g,
        "repeated_share",
        "a repeated digit pair (00, 11, …, 99)",
        s,
        cal,
    )
}

fn adjacent_finding(subject: &Subject<'_>, g: &GroupNull) -> Finding {
    let c = pair_counts(&g.observed);
    let s = PairShare::new(c.adjacent_linear, c.n, NULL_ADJACENT_LINEAR);
    let cal = g.calibrated(Stat::AdjacentLinear);
    let mut f = base_finding(
        subject,
        g,
        "adjacent_share",
        "an adjacent digit pair (01, 10, 12, …, 89, 98)",
        s,
        cal,
    );
    let circ = PairShare::new(c.adjacent_circular, c.n, NULL_ADJACENT_CIRCULAR);
    let cal_circ = g.calibrated(Stat::AdjacentCircular);
    f.details
        .insert("adjacency".into(), json!("linear (0 and 9 not adjacent)"));
    for (k, v) in [
        ("adjacent_circular_share", json!(circ.share)),
        ("adjacent_circular_ci95", json!([circ.ci.0, circ.ci.1])),
        ("adjacent_circular_z_vs_0_2", json!(circ.z)),
        ("adjacent_circular_expected", json!(cal_circ.sim_mean)),
        ("adjacent_circular_p_value_calibrated", json!(cal_circ.p)),
    ] {
        f.details.insert(k.into(), v);
    }
    f
}

const REPEATED: DigitTestSpec = DigitTestSpec {
    id: "digit_pairs",
    chart: "Repeated final digit pairs",
    counts: "counts ≥ 10",
    accepts: |_| true,
    applicable,
    finding: repeated_finding,
    panel: None,
    caption: "",
};

const ADJACENT: DigitTestSpec = DigitTestSpec {
    id: "digit_pairs",
    chart: "Adjacent final digit pairs",
    counts: "counts ≥ 10",
    accepts: |_| true,
    applicable,
    finding: adjacent_finding,
    panel: None,
    caption: "",
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    Ok(findings::run_all(b, &[&REPEATED, &ADJACENT]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::digits::last_digit_mean::synthetic_tally;
    use rand::RngExt;

    /// A histogram with `n` counts ≥ 10 of which `rep` repeated, `adj` linear-adjacent and `wrap`
    /// ending in 09 or 90.
    fn hist(n: u32, rep: u32, adj: u32, wrap: u32) -> DigitHist {
        let mut h = DigitHist::default();
        h.last2_ge10[33] = rep;
        h.last2_ge10[34] = adj;
        h.last2_ge10[90] = wrap;
        h.last2_ge10[27] = n - rep - adj - wrap;
        h
    }

    #[test]
    fn venezuela_pairs_match_methods() {
        // methods.md §7.2, counts ≥ 10 of the V1 file (pair counts computed from the file):
        // González n 24,505, repeated 2,383, linear adjacent 4,480, circular 4,965.
        let c = pair_counts(&hist(24505, 2383, 4480, 485));
        assert_eq!(c.adjacent_circular, 4965);
        let rep = PairShare::new(c.repeated, c.n, NULL_REPEATED);
        let lin = PairShare::new(c.adjacent_linear, c.n, NULL_ADJACENT_LINEAR);
        let circ = PairShare::new(c.adjacent_circular, c.n, NULL_ADJACENT_CIRCULAR);
        assert!((rep.share - 0.0972).abs() < 5e-5 && (rep.z + 1.44).abs() < 5e-3);
        assert!((circ.share - 0.2026).abs() < 5e-5 && (circ.z - 1.02).abs() < 5e-3);
        assert!((lin.share - 0.1828).abs() < 5e-5);
        // Maduro n 24,502, repeated 2,490, linear 4,393, circular 4,890.
        let c = pair_counts(&hist(24502, 2490, 4393, 497));
        let rep = PairShare::new(c.repeated, c.n, NULL_REPEATED);
        let lin = PairShare::new(c.adjacent_linear, c.n, NULL_ADJACENT_LINEAR);
        let circ = PairShare::new(c.adjacent_circular, c.n, NULL_ADJACENT_CIRCULAR);
        assert!((rep.share - 0.1016).abs() < 5e-5 && (rep.z - 0.85).abs() < 5e-3);
        assert!((circ.share - 0.1996).abs() < 5e-5 && (circ.z + 0.17).abs() < 5e-3);
        assert!((lin.share - 0.1793).abs() < 5e-5);
    }

    #[test]
    fn hand_computed_pairs() {
        // 11 rep; 12, 21, 98 linear adjacent; 109 (09) and 90 only circular; 55 rep; 7 excluded.
        let mut h = DigitHist::default();
        for v in [11u64, 12, 21, 98, 109, 90, 155, 7, 40] {
            h.add(v, 1000);
        }
        let c = pair_counts(&h);
        assert_eq!(
            c,
            PairCounts {
                n: 8,
                repeated: 2,
                adjacent_linear: 3,
                adjacent_circular: 5
            }
        );
        // Uniform last two digits: exactly 10 / 18 / 20 of 100 endings.
        let u = DigitHist {
            last2_ge10: [1; 100],
            ..Default::default()
        };
        let c = pair_counts(&u);
        assert_eq!(
            (c.repeated, c.adjacent_linear, c.adjacent_circular),
            (10, 18, 20)
        );
    }

    #[test]
    fn end_to_end_flags_too_few_repeated_pairs() {
        let params = crate::forensics::Params {
            replicates: 100,
            ..Default::default()
        };
        let honest = synthetic_tally(31, 3000, |_, c, _| c);
        let out = run(&Battery::new(&honest, &params)).unwrap();
        // 3 subjects × 2 statistics × (national + 2 regions).
        assert_eq!(out.findings.len(), 18);
        assert_eq!(
            out.findings[3].statistic.as_ref().unwrap().name,
            "adjacent_share"
        );
        assert_eq!(out.findings[3].subject, "Big");
        for f in &out.findings {
            assert!(f.p_value.unwrap() > 0.001, "{}", f.headline);
        }
        // A person rewriting a third of the South counts avoids repeated final pairs: 33 → 34.
        let tampered = synthetic_tally(31, 3000, |rng, c, _| {
            let (a, b) = ((c / 10) % 10, c % 10);
            if c >= 10 && a == b && a < 9 && rng.random_bool(2.0 / 3.0) {
                c + 1
            } else {
                c
            }
        });
        let out = run(&Battery::new(&tampered, &params)).unwrap();
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
        let f = get("repeated_share", "South");
        assert!(f.p_value.unwrap() < 1e-6, "{}", f.headline);
        assert!(
            f.effect_size.as_ref().unwrap().value < -0.04,
            "{}",
            f.headline
        );
        let f = get("adjacent_share", "South");
        assert!(f.p_value.unwrap() < 1e-3, "{}", f.headline);
        assert!(get("repeated_share", "North").p_value.unwrap() > 0.001);
    }
}
