//! `last_two_digits`: are the last two digits of each candidate's larger counts uniform (00–99)?
//!
//! Honest counts of hundreds of votes end in each of the 100 two-digit endings about equally often
//! (1 % each); invented numbers do not (round endings like 00 and 50, repeated-digit avoidance,
//! favourite endings). The pair structure that the last-digit test cannot see (e.g. a person who
//! writes 47 often but 74 rarely) shows here. We test the last two digits of counts ≥ 100
//! (methods.md §8–9: ≥ 100; benford_py's last-two-digits test uses ≥ 1000, which would leave
//! almost no polling-station counts — station counts rarely reach 1000 — so we use ≥ 100, where the
//! ending is still two of at least three digits and the smooth-count null below handles the slope).
//! Statistics: Pearson χ² (df 99) against 0.01, G, MAD and the asymptotic p; the effect size is
//! the excess MAD (Barney & Schulzke 2016: MAD − E(MAD), E(MAD) = 1/√(C·n), C = 158.67 for 100
//! equal cells), N-independent where the raw MAD of 100 cells is dominated by noise at these n.
//!
//! **Calibration.** Counts of 100–199 can come from a sloped distribution (a candidate with a
//! median of 120 votes has many more counts of 100–120 than of 180–199), so low endings are more
//! common even in honest counts and the asymptotic p is anti-conservative. The verdict's p-value
//! uses the smooth-count null (`digit_null`): each count is jittered by N(0, 50²) votes (the
//! pattern period is 100, so σ = 50 keeps exp(−2π²·50²/100²) ≈ 0.7 % of any two-digit pattern, as
//! σ = 5 does for the last digit, and the shape of the count distribution on scales beyond about
//! 100 votes), the same χ² is computed on every replicate and the observed χ² is referred to
//! a scaled χ² matched to the simulated mean and variance (one-sided); the chart's grey band is the
//! simulated 95 % range of each ending's share.
//!
//! Not applicable below 500 counts ≥ 100: 5 expected counts per cell (Cochran's rule for χ²
//! across 100 cells); and, as `last_digit`, when the median count is under 20.
//!
//! References: Beber, B. & Scacco, A. (2012), *Political Analysis* 20(2):211–234; Nigrini, M.
//! (2012), *Benford's Law*, ch. 8 (last-two-digits test; benford_py `last_two_digits`, counts
//! ≥ 1000); Barney, B. & Schulzke, K. (2016), *Journal of Forensic Accounting Research* (excess
//! MAD).

use serde_json::json;

use super::battery::{Battery, Subject};
use super::digit_findings::{self, DigitTestSpec};
use super::digit_null::{GroupNull, Stat};
use super::digits::{excess_mad, shares, DigitHist};
use super::last_digit::MIN_MEDIAN;
use super::zero_five_endings::wilson;
use super::ForensicTest;
use crate::figure::BarPanel;
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::report::{fmt_int, fmt_p};
use crate::stats::goodness_of_fit::fit;

pub(super) const TEST: ForensicTest = ForensicTest {
    id: "last_two_digits",
    title: "Last two digits of each candidate's counts",
    method: "Honest counts of hundreds of votes end in each of the 100 endings 00, 01, …, 99 about equally often (1% each); numbers made up by people do not (round endings such as 00 and 50, avoided repeats, favourite endings). For every candidate (and the registered-voter counts), nationally and per region, the test takes the last two digits of every station count of at least 100 and compares the 100 shares with 1% by a chi-square test (99 degrees of freedom). Counts of 100–199 can have low endings more often even when honest (small counts are more frequent), so the p-value is calibrated by simulating the counts under a smooth-count null that keeps their spread but no digit pattern. Counts of at least 100 are used (benford_py uses 1000, which polling-station counts rarely reach). Not applicable below 500 counts of at least 100 (5 expected per ending) or when the median count is under 20. A deviation says that endings are unevenly used, not why.",
    references: "Beber & Scacco (2012), Political Analysis 20(2):211–234; Nigrini (2012), Benford's Law, ch. 8; Barney & Schulzke (2016), Journal of Forensic Accounting Research (excess MAD).",
    run,
};

/// Counts below this are left out (methods.md §9; benford_py uses 1000).
pub const MIN_COUNT: u64 = 100;
/// Fewest counts ≥ `MIN_COUNT`: 5 expected per ending.
pub const MIN_N: u64 = 500;
/// Jitter of the simulated null (votes), see `digit_null`.
pub const JITTER: f64 = 50.0;
const UNIFORM: [f64; 100] = [0.01; 100];

/// The analytic last-two-digit statistics of one histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct LastTwoResult {
    pub n: u64,
    pub counts: [u64; 100],
    pub chi_square: f64,
    pub p_value: f64,
    pub g: f64,
    pub p_value_g: f64,
    pub mad: f64,
    pub excess_mad: f64,
    /// The ending furthest from 1 % (lowest ending on ties) and its share with a Wilson 95 % CI.
    pub worst: usize,
    pub worst_share: f64,
    pub worst_ci: (f64, f64),
    /// Share of the round endings 00 and 50 (0.02 expected).
    pub round_share: f64,
}

/// The analytic statistics of the last two digits of counts ≥ `MIN_COUNT`.
pub fn analyse(h: &DigitHist) -> LastTwoResult {
    let counts = h.last2_ge100.map(u64::from);
    let f = fit(&counts, &UNIFORM);
    let n = f.n;
    let nf = n.max(1) as f64;
    let worst = (0..100)
        .max_by(|&a, &b| {
            let d = |k: usize| (counts[k] as f64 / nf - 0.01).abs();
            d(a).total_cmp(&d(b)).then(b.cmp(&a))
        })
        .unwrap_or(0);
    LastTwoResult {
        n,
        counts,
        chi_square: f.chi_square,
        p_value: f.p_chi_square,
        g: f.g,
        p_value_g: f.p_g,
        mad: f.mad,
        excess_mad: excess_mad(f.mad, &UNIFORM, n),
        worst,
        worst_share: counts[worst] as f64 / nf,
        worst_ci: wilson(counts[worst], n),
        round_share: (counts[0] + counts[50]) as f64 / nf,
    }
}

fn applicable(g: &GroupNull) -> Result<(), String> {
    let n: u64 = g.observed.last2_ge100.iter().map(|&c| u64::from(c)).sum();
    if n < MIN_N {
        return Err(format!(
            "only {n} of {} station counts reach {MIN_COUNT}; the test needs at least {MIN_N} (5 expected per two-digit ending)",
            g.observed.n_all()
        ));
    }
    if g.median_all < MIN_MEDIAN {
        return Err(format!(
            "the median count is {} (under {MIN_MEDIAN}): counts of {MIN_COUNT}+ are the far tail of small numbers, whose endings are not uniform even in honest counts",
            g.median_all
        ));
    }
    Ok(())
}

fn finding(subject: &Subject<'_>, g: &GroupNull) -> Finding {
    let r = analyse(&g.observed);
    let cal = g.calibrated(Stat::Last2Chi2);
    let where_ = g
        .region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default();
    let headline = format!(
        "{}{where_}: the last two digits of {} counts of at least {MIN_COUNT} give χ² = {:.1} (df 99; about {:.0} expected from honest counting), calibrated p = {}; the ending furthest from 1% is \"{:02}\" at {:.2}% (95% CI {:.2}–{:.2}%).",
        subject.name,
        fmt_int(r.n),
        r.chi_square,
        cal.sim_mean,
        fmt_p(cal.p),
        r.worst,
        100.0 * r.worst_share,
        100.0 * r.worst_ci.0,
        100.0 * r.worst_ci.1,
    );
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: r.n,
        statistic: Some(Statistic::new("chi_square", r.chi_square)),
        p_value: Some(cal.p),
        q_value: None,
        p_value_source: Some(digit_findings::source(true, g.replicates)),
        effect_size: Some(Statistic::new("excess_mad", r.excess_mad)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("min_count", json!(MIN_COUNT)),
            ("ending_counts", json!(r.counts.to_vec())),
            ("expected_share", json!(0.01)),
            ("df", json!(99)),
            ("p_value_asymptotic", json!(r.p_value)),
            ("p_value_empirical", json!(cal.p_empirical)),
            ("simulated_mean", json!(cal.sim_mean)),
            ("simulated_sd", json!(cal.sim_sd)),
            (
                "null_method",
                json!(format!(
                    "smooth-count null, counts jittered by N(0, {JITTER}²) votes"
                )),
            ),
            ("g", json!(r.g)),
            ("p_value_g", json!(r.p_value_g)),
            ("mad", json!(r.mad)),
            ("excess_mad", json!(r.excess_mad)),
            ("worst_ending", json!(format!("{:02}", r.worst))),
            ("worst_ending_share", json!(r.worst_share)),
            ("worst_ending_ci95", json!([r.worst_ci.0, r.worst_ci.1])),
            ("share_00_or_50", json!(r.round_share)),
            ("median_count", json!(g.median_all)),
        ]),
    }
}

fn panel(g: &GroupNull, title: String) -> BarPanel {
    let (_, band_low, band_high) = GroupNull::band(&g.band_last2);
    BarPanel {
        title,
        caption: String::new(),
        x_label: "last two digits of the count".into(),
        y_label: "share of counts".into(),
        categories: (0..100).map(|k| format!("{k:02}")).collect(),
        observed: shares(&g.observed.last2_ge100).to_vec(),
        expected: UNIFORM.to_vec(),
        band_low,
        band_high,
        highlight: false,
    }
}

const SPEC: DigitTestSpec = DigitTestSpec {
    id: "last_two_digits",
    chart: "Last two digits",
    accepts: |_| true,
    applicable,
    finding,
    panel: Some(panel),
    caption: "Bars: share of {subject}'s station counts of at least 100 that end in each two-digit ending 00–99. Dots: 1%, the share expected from honest counting; grey: the range an ending's share takes in 95% of simulated honest elections of this size (wider and tilted where counts of 100–199 are common).",
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    Ok(digit_findings::run(b, &SPEC))
}

#[cfg(test)]
mod tests {
    use super::super::last_digit_mean::synthetic_tally;
    use super::*;
    use rand::RngExt;

    #[test]
    fn hand_computed_histogram() {
        // 10 counts per ending, plus 100 extra ending in 00: n = 1100, E = 11 per ending.
        let mut h = DigitHist::default();
        for k in 0..100u64 {
            for j in 0..10 {
                h.add_last2(100 * (j + 1) + k);
            }
        }
        for _ in 0..100 {
            h.add_last2(300);
        }
        let r = analyse(&h);
        assert_eq!(r.n, 1100);
        // χ² = (110 − 11)²/11 + 99·(10 − 11)²/11 = 891 + 9 = 900.
        assert!((r.chi_square - 900.0).abs() < 1e-9, "{}", r.chi_square);
        assert_eq!(r.worst, 0);
        assert!((r.worst_share - 0.1).abs() < 1e-12);
        assert!((r.round_share - 120.0 / 1100.0).abs() < 1e-12);
        // MAD = (0.09 + 99·(0.01 − 10/1100)) / 100.
        let mad = (0.09 + 99.0 * (0.01 - 10.0 / 1100.0)) / 100.0;
        assert!((r.mad - mad).abs() < 1e-12);
        assert!((r.excess_mad - (mad - 1.0 / (158.67f64 * 1100.0).sqrt())).abs() < 1e-6);
        // Counts below 100 are not in the histogram.
        let mut h = DigitHist::default();
        h.add(99, 1000);
        h.add(100, 1000);
        assert_eq!(analyse(&h).n, 1);
    }

    #[test]
    fn uniform_endings_fit_perfectly() {
        let mut h = DigitHist::default();
        h.last2_ge100 = [7; 100];
        let r = analyse(&h);
        assert_eq!(r.chi_square, 0.0);
        assert!((r.p_value - 1.0).abs() < 1e-12);
        assert!(r.excess_mad < 0.0);
    }

    #[test]
    fn end_to_end_flags_rounded_counts_and_draws_a_chart() {
        let params = super::super::Params {
            replicates: 100,
            ..Default::default()
        };
        let honest = synthetic_tally(41, 3000, |_, c, _| c);
        let out = run(&Battery::new(&honest, &params)).unwrap();
        assert_eq!(out.findings.len(), 9);
        for f in &out.findings {
            assert!(f.p_value.unwrap() > 0.001, "{}", f.headline);
        }
        // One national chart and one regional small multiple per subject.
        assert_eq!(out.figures.len(), 6);
        match &out.figures[0].spec {
            crate::figure::FigureSpec::Bars(p) => {
                assert_eq!(p.categories.len(), 100);
                assert_eq!(
                    (p.categories[0].as_str(), p.categories[99].as_str()),
                    ("00", "99")
                );
                assert!(p.band_low.iter().zip(&p.band_high).all(|(l, h)| l < h));
            }
            other => panic!("expected bars, got {other:?}"),
        }
        // A person rounds a third of the South counts to 0 or 5.
        let tampered = synthetic_tally(41, 3000, |rng, c, _| {
            if rng.random_bool(1.0 / 3.0) {
                5 * ((c + 2) / 5)
            } else {
                c
            }
        });
        let out = run(&Battery::new(&tampered, &params)).unwrap();
        let south = out
            .findings
            .iter()
            .find(|f| f.subject == "Big" && f.region_label() == "South")
            .unwrap();
        assert!(south.p_value.unwrap() < 1e-6, "{}", south.headline);
        let north = out
            .findings
            .iter()
            .find(|f| f.subject == "Big" && f.region_label() == "North")
            .unwrap();
        assert!(north.p_value.unwrap() > 0.001, "{}", north.headline);
    }
}
