//! `benford_first_digit`: do the first significant digits of each candidate's per-station counts
//! follow Benford's first-digit law (1BL)?
//!
//! Benford's law P(d) = log10(1 + 1/d), d = 1..9, holds for numbers that span several orders of
//! magnitude and arise from multiplicative or mixture processes (Hill 1995). **Polling-station counts
//! do not**: they are bounded by station size, so their first digits follow the station sizes and
//! the candidate's support (a candidate with 300–600 votes per station has first digits 3, 4 and 5;
//! Deckert, Myagkov & Ordeshook 2011; methods.md §3.3: on Venezuela 2024 1BL "rejects" with
//! χ² ≈ 24,000). The test is in the battery because readers and other tools ask for it (the 2020
//! GitHub episode, cjph8914/2020_benfords), and seeing *why* it fails is instructive.
//!
//! We take the first digit of every count ≥ 1 and always compute Pearson's χ² (df 8), G, the mean
//! absolute deviation (MAD) with Nigrini's first-digit conformity label (0.006 / 0.012 / 0.015;
//! methods §3.2), the excess MAD (Barney & Schulzke 2016) and Nigrini's per-digit Z (conditional
//! continuity correction, methods §8), and the calibrated p-value.
//!
//! **Applicability.** The finding is *not applicable* (statistics still in `details`, no p-value, so
//! it takes no part in multiple testing) when the positive counts span less than two orders of
//! magnitude between their 5th and 95th percentiles (methods §3.3 asks for 3–4 decades; two is a
//! lenient floor), or when fewer than 100 counts are positive.
//!
//! **Calibration.** Where it applies, the p-value is calibrated against the shared leading-digit
//! null (`digits::null`: each station's count redrawn from the normal approximation to Bin(Nᵢ, p*ᵢ)
//! with shrunken shares); the observed χ² is referred to a scaled χ² matched to the null mean and
//! variance (exact, `digits::exact`). The chart's grey band is the null's 95 % range of each share,
//! centred on what honest counting with these station sizes gives, which for station counts is far
//! from Benford's law (the dots).
//!
//! References: Benford, F. (1938), *Proceedings of the American Philosophical Society* 78(4):551–572;
//! Hill, T. (1995), *Statistical Science* 10(4):354–363; Deckert, J., Myagkov, M. & Ordeshook, P.
//! (2011), *Political Analysis* 19(3):245–268; Nigrini, M. (2012), *Benford's Law*, ch. 7; Barney, B.
//! & Schulzke, K. (2016), *Journal of Forensic Accounting Research* 1(1).

use serde_json::json;

use crate::figure::BarPanel;
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::{Battery, Subject, SubjectKind};
use crate::forensics::digits::findings::{self, DigitTestSpec};
use crate::forensics::digits::laws::{benford_first, shares, DigitHist, LawFit, NIGRINI_FIRST};
use crate::forensics::digits::null::{GroupNull, Stat};
use crate::forensics::ForensicTest;
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "benford_first_digit",
    title: "First-digit law (1BL) of each candidate's counts",
    method: "Benford's first-digit law says that in many collections of numbers about 30 % start with 1 and under 5 % with 9. It holds only for numbers that span several orders of magnitude, and polling-station counts do not: they are bounded by the size of the station, so their first digits reflect the station sizes and the candidate's support (a candidate with 300–600 votes per station has first digits 3, 4 and 5), not honesty. Deckert, Myagkov & Ordeshook (2011) show that first-digit tests on station counts flag clean elections and miss fraudulent ones. The test is included because it is often asked for: for each candidate it computes the chi-square (8 degrees of freedom) against the law and the mean absolute deviation (MAD) with Nigrini's conformity label, but it reports the result as not applicable, with no p-value and no verdict, when the middle 90 % of the positive counts span less than two orders of magnitude, which is the rule for polling-station data. The national charts (in the figures folder) show why: the bars follow the range of honest counting (grey), not the law (dots). Also not applicable with fewer than 100 positive counts.",
    references: "Benford (1938), Proc. Am. Philos. Soc. 78(4):551–572; Hill (1995), Statistical Science 10(4):354–363; Deckert, Myagkov & Ordeshook (2011), Political Analysis 19(3):245–268; Nigrini (2012), Benford's Law, ch. 7; Barney & Schulzke (2016), Journal of Forensic Accounting Research 1(1).",
    weight: 0.03,
    run,
};

/// Fewest positive counts for the test.
pub const MIN_N: u64 = 100;
/// Fewest orders of magnitude between the 5th and 95th percentiles of the positive counts.
pub const MIN_SPAN: f64 = 2.0;

/// The analytic first-digit statistics of one histogram.
pub type FirstDigitResult = LawFit<9>;

/// The analytic statistics from the first-digit counts (index 0 = digit 1).
pub fn analyse(digit_counts: &[u64; 9]) -> FirstDigitResult {
    LawFit::new(digit_counts, benford_first(), NIGRINI_FIRST)
}

/// The analytic statistics of a set of counts (first digits of counts ≥ 1).
pub fn compute(values: &[u64]) -> FirstDigitResult {
    let mut h = DigitHist::default();
    for &v in values {
        h.add_leading(v);
    }
    analyse(&h.first_ge1.map(u64::from))
}

/// Orders of magnitude between two positive percentiles (0 when either is 0).
pub fn span_orders(q05: u64, q95: u64) -> f64 {
    if q05 == 0 || q95 == 0 {
        0.0
    } else {
        (q95 as f64 / q05 as f64).log10()
    }
}

/// Why the law does not apply to counts with these percentiles, or `None` when it may.
pub fn span_reason(q05: u64, q95: u64) -> Option<String> {
    let span = span_orders(q05, q95);
    (span < MIN_SPAN).then(|| {
        format!(
            "counts span only {span:.1} orders of magnitude (5th–95th percentile {}–{}); the first-digit law needs data spanning several orders of magnitude and does not hold for polling-station counts, which are bounded by station size (Deckert, Myagkov & Ordeshook 2011)",
            fmt_int(q05),
            fmt_int(q95)
        )
    })
}

fn applicable(g: &GroupNull) -> Result<(), String> {
    let n: u64 = g.observed.first_ge1.iter().map(|&c| c as u64).sum();
    if n < MIN_N {
        return Err(format!(
            "only {n} of {} station counts are positive; the first-digit law needs at least {MIN_N}",
            g.observed.n_all()
        ));
    }
    Ok(())
}

fn finding(subject: &Subject<'_>, g: &GroupNull) -> Finding {
    let r = analyse(&g.observed.first_ge1.map(u64::from));
    let cal = g.calibrated(Stat::FirstChi2);
    let share = r.observed_share();
    let span = span_orders(g.q05_positive, g.q95_positive);
    let reason = span_reason(g.q05_positive, g.q95_positive);
    let where_ = g
        .region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default();
    let stats = format!(
        "first digits of {} positive counts give χ² = {:.1} (df {}) against Benford's first-digit law, MAD = {:.4} ({}); {:.1} % start with 1 (Benford {:.1} %)",
        fmt_int(r.n),
        r.chi_square,
        r.df,
        r.mad,
        r.conformity,
        100.0 * share[0],
        100.0 * r.expected[0],
    );
    let headline = match &reason {
        Some(reason) => format!(
            "Not applicable: {reason}. For reference, {}{where_}: {stats}.",
            subject.name
        ),
        None => format!(
            "{}{where_}: {stats}; the counts span {span:.1} orders of magnitude, and against honest counting with these station sizes the calibrated p = {}.",
            subject.name,
            fmt_p(cal.p),
        ),
    };
    let applies = reason.is_none();
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: r.n,
        statistic: Some(Statistic::new("chi_square", r.chi_square)),
        p_value: applies.then_some(cal.p),
        q_value: None,
        p_value_source: applies.then(|| findings::source(true, g.method)),
        effect_size: Some(Statistic::new("mad", r.mad)),
        verdict: if applies {
            Verdict::Consistent
        } else {
            Verdict::NotApplicable
        },
        reason,
        headline,
        figure: None,
        details: {
            let (simulated, band_low, band_high) = GroupNull::band(&g.band_first);
            let mut d = r.details("Benford's first-digit law");
            d.extend(details([
                ("n_all_counts", json!(g.observed.n_all())),
                ("simulated_share", json!(simulated)),
                ("simulated_band_low", json!(band_low)),
                ("simulated_band_high", json!(band_high)),
                ("q05_positive", json!(g.q05_positive)),
                ("q95_positive", json!(g.q95_positive)),
                ("span_orders_of_magnitude", json!(span)),
                ("min_span_orders_of_magnitude", json!(MIN_SPAN)),
                ("p_value_calibrated", json!(cal.p)),
                ("p_value_empirical", json!(cal.p_empirical)),
                ("simulated_mean", json!(cal.sim_mean)),
                ("simulated_sd", json!(cal.sim_sd)),
            ]));
            d
        },
    }
}

fn panel(g: &GroupNull, title: String) -> BarPanel {
    let (_, band_low, band_high) = GroupNull::band(&g.band_first);
    BarPanel {
        title,
        caption: String::new(),
        x_label: "first digit of the count".into(),
        y_label: "share of counts".into(),
        categories: (1..=9).map(|d| d.to_string()).collect(),
        observed: shares(&g.observed.first_ge1).to_vec(),
        expected: benford_first().to_vec(),
        band_low,
        band_high,
        highlight: false,
        finding: None,
        expected_label: "Benford's first-digit law".into(),
        band_label: "95% range of honest counts".into(),
    }
}

const SPEC: DigitTestSpec = DigitTestSpec {
    id: "benford_first_digit",
    chart: "First digits",
    counts: "positive counts",
    accepts: |s| s.kind == SubjectKind::Candidate,
    applicable,
    finding,
    panel: Some(panel),
    caption: "Bars: share of the positive station counts of {subject} that start with each digit. Dots: Benford's first-digit law, which needs numbers spanning several orders of magnitude. Grey: the range each share takes in 95% of honest counts with these station sizes and vote shares. Station counts are bounded by station size, so honest counts follow the grey range, not the dots: a gap between bars and dots is expected and is not a sign of fraud.",
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    Ok(findings::run(b, &SPEC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::{Candidate, Tally};
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Binomial, Distribution};

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn powers_of_two_methods_vector() {
        // methods.md §10 item 2: first digits of 2^0..2^999. scipy:
        // chisquare(obs, p*1000) -> 0.15855057629204392, p 0.9999984553375978;
        // power_divergence(obs, p*1000, lambda_=0) -> 0.1587068072177933.
        let r = analyse(&[301, 176, 125, 97, 79, 69, 56, 52, 45]);
        assert_eq!(r.n, 1000);
        assert!(close(r.chi_square, 0.15855057629204392, 1e-10));
        assert!(close(r.p_value, 0.9999984553375978, 1e-10));
        assert!(close(r.g, 0.1587068072177933, 1e-10));
        assert!(close(r.mad, 0.000678, 5e-7));
        assert_eq!(r.conformity, "close conformity");
        let want = [
            0.0021, 0.0076, 0.0059, 0.0096, 0.0212, 0.1965, 0.2019, 0.0499, 0.0390,
        ];
        for (d, (z, w)) in r.z.iter().zip(want).enumerate() {
            assert!(close(*z, w, 5e-5), "digit {}: {z}", d + 1);
        }
        assert!(close(r.excess_mad, -0.006748309875080308, 1e-12));
    }

    #[test]
    fn venezuela_methods_numbers() {
        // methods.md §10 item 10 / §7.2: 1BL χ² 24,054.6 / MAD 0.0913 (González), 7,128.0 / 0.0533
        // (Maduro). scipy: chisquare(gonz, p*24532) -> 24054.62269134989 (p 0.0);
        // power_divergence(..., lambda_=0) -> 20882.386882222472.
        let g = analyse(&[3049, 6184, 9957, 3698, 510, 280, 269, 300, 285]);
        assert_eq!(g.n, 24_532);
        assert!(close(g.chi_square, 24054.62269134989, 1e-7));
        assert!(close(g.g, 20882.386882222472, 1e-7));
        assert!(close(g.mad, 0.09127974081252219, 1e-12));
        assert_eq!(g.conformity, "nonconformity");
        assert_eq!(g.p_value, 0.0);
        let m = analyse(&[12672, 3508, 967, 831, 1030, 1203, 1348, 1399, 1574]);
        assert!(close(m.chi_square, 7128.022622650643, 1e-7));
        assert!(close(m.mad, 0.053288545638871435, 1e-12));
    }

    #[test]
    fn first_digits_and_span() {
        let r = compute(&[0, 1, 9, 10, 199, 2000, 0]);
        assert_eq!(r.digit_counts, [3, 1, 0, 0, 0, 0, 0, 0, 1]);
        assert!(close(span_orders(98, 512), 0.718, 1e-3));
        assert_eq!(span_orders(0, 512), 0.0);
        let reason = span_reason(98, 512).unwrap();
        assert!(
            reason.starts_with(
                "counts span only 0.7 orders of magnitude (5th–95th percentile 98–512)"
            ),
            "{reason}"
        );
        assert!(span_reason(3, 4000).is_none());
    }

    /// Stations of `lo..hi` valid votes; "Half" gets about half of them, "Few" a handful of tallies.
    fn tally(seed: u64, lo: f64, hi: f64) -> Tally {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut t = Tally {
            name: "t".into(),
            ..Default::default()
        };
        let (mut half, mut few) = (vec![], vec![]);
        for i in 0..1000 {
            // log-uniform station sizes between lo and hi
            let valid = 10f64.powf(lo + (hi - lo) * rng.random::<f64>()).round() as u64;
            let h = Binomial::new(valid, 0.5).unwrap().sample(&mut rng);
            t.station_keys.push(i.to_string());
            t.valid.push(valid);
            half.push(h);
            few.push(u64::from(i % 20 == 0).min(valid - h));
        }
        let cand = |name: &str, votes| Candidate {
            name: name.into(),
            source: name.to_lowercase(),
            votes,
        };
        t.candidates = vec![cand("Half", half), cand("Few", few)];
        t
    }

    #[test]
    fn station_sized_counts_are_computed_but_not_applicable() {
        let t = tally(3, 2.3, 3.0); // 200–1000 voters per station
        let params = crate::forensics::Params {
            replicates: 50,
            ..Default::default()
        };
        let mut out = run(&Battery::new(&t, &params)).unwrap();
        crate::forensics::apply_fdr(&mut out.findings, params.alpha);
        let half = &out.findings[0];
        assert_eq!(half.verdict, Verdict::NotApplicable);
        assert!(half.p_value.is_none() && half.q_value.is_none());
        assert!(half.statistic.as_ref().unwrap().value > 100.0);
        assert!(half.details["p_value_calibrated"].is_number());
        let reason = half.reason.as_deref().unwrap();
        assert!(
            reason.starts_with("counts span only 0.6 orders"),
            "{reason}"
        );
        assert!(half.figure.is_some(), "the chart shows why");
        let few = &out.findings[1];
        assert_eq!(few.verdict, Verdict::NotApplicable);
        assert!(few.statistic.is_none());
        // one vote in every 20th station: stopped by the battery's digit gate
        let reason = few.reason.as_deref().unwrap();
        assert!(reason.contains("only 0 of 1000"), "{reason}");
    }

    #[test]
    fn counts_spanning_orders_of_magnitude_are_tested() {
        let t = tally(4, 1.0, 5.0); // 10–100,000 voters per station
        let params = crate::forensics::Params {
            replicates: 50,
            ..Default::default()
        };
        let mut out = run(&Battery::new(&t, &params)).unwrap();
        crate::forensics::apply_fdr(&mut out.findings, params.alpha);
        let half = &out.findings[0];
        assert!(half.reason.is_none(), "{:?}", half.reason);
        assert!(half.details["span_orders_of_magnitude"].as_f64().unwrap() > 3.0);
        assert_eq!(half.verdict, Verdict::Consistent, "{}", half.headline);
        assert_eq!(half.effect_size.as_ref().unwrap().name, "mad");
        assert!(half.p_value.unwrap() > 0.01);
    }

    #[test]
    fn fewer_than_100_positive_counts_is_not_applicable() {
        let t = Tally {
            valid: vec![100; 80],
            station_keys: (0..80).map(|i| i.to_string()).collect(),
            candidates: vec![Candidate {
                name: "C".into(),
                source: "c".into(),
                votes: (0..80).map(|i| 20 + i).collect(),
            }],
            ..Default::default()
        };
        let params = crate::forensics::Params {
            replicates: 10,
            ..Default::default()
        };
        let out = run(&Battery::new(&t, &params)).unwrap();
        assert_eq!(out.findings[0].verdict, Verdict::NotApplicable);
        assert!(out.findings[0].statistic.is_none());
        let reason = out.findings[0].reason.as_deref().unwrap();
        assert!(
            reason.contains("only 80 of 80 station counts are positive"),
            "{reason}"
        );
    }
}
