//! `benford_second_digit`: do the second significant digits of each candidate's per-station counts
//! follow Benford's second-digit law (Mebane's 2BL test)?
//!
//! Mebane (2006) argues that polling-station counts arising from "roughly equal division with
//! leftovers" have second digits close to Benford's second-digit law
//! P(d) = Σ_{k=1..9} log10(1 + 1/(10k + d)), d = 0..9, and proposed the deviation from it as an
//! election-forensics indicator. We take the second significant digit of every candidate count
//! ≥ 10 (EFToolkit drops counts < 10; methods.md (external, not shipped) §9) and compare the digit shares
//! with the law by Pearson's χ² (df 9). Details: G and its p-value, the asymptotic χ² p-value, the
//! mean absolute deviation (MAD, an N-independent effect size) with Nigrini's second-digit
//! conformity label (0.008 / 0.010 / 0.012; methods §3.2), the excess MAD of Barney & Schulzke
//! (2016), and Nigrini's per-digit Z with the continuity correction applied only when it is
//! smaller than the gap (methods §8).
//!
//! **The law is not the null.** Honest counts need not follow Benford: the second digits of counts
//! bounded by station size depend on the station sizes and on the candidate's support, and Mebane
//! himself shows that 2BL reacts to strategic voting, gerrymanders and mobilisation (Mebane 2010,
//! 2011, 2013; Deckert, Myagkov & Ordeshook 2011). A deviation is an anomaly, not evidence of fraud.
//! With N ≈ 25,000 the asymptotic χ² rejects on almost anything (Venezuela 2024: χ² = 116 for
//! González while MAD = 0.0058 is "close conformity"; methods §7.2).
//!
//! **Calibration.** The verdict uses the shared leading-digit null (`digits::null`): each station's
//! count redrawn from the normal approximation to Bin(Nᵢ, p*ᵢ), with the candidate's share shrunk
//! towards the regional mean so that the redrawn shares have the observed spread (Kobak et al.
//! 2016; Rozenas 2017). The χ² against Benford of such counts has its mean and variance computed
//! exactly from each station's digit probabilities (`digits::exact`), and the observed χ² is
//! referred to a scaled χ² matched to them. The chart's grey band is the null's 95 % range of each
//! share: it is centred on what honest counting with these station sizes gives, which may differ
//! from Benford's law (the dots).
//!
//! What this null can and cannot see: the per-station noise (binomial SD, about 5–15 votes for
//! counts in the hundreds) is small next to the 100-vote period of the second digit of such counts,
//! so the simulation keeps the smooth shape of the observed count distribution, and with it most
//! of any broad second-digit pattern (a Gaussian of SD 10 keeps exp(−2π²·10²/100²) ≈ 82 % of the
//! first harmonic). The calibrated test flags sharp digit preferences (invented counts), not smooth
//! shifts of the count distribution. Measured on Venezuela 2024: jittering González's counts by
//! N(0, σ²) with σ = 10–80 votes leaves his mean second digit at 4.40–4.42, so his 2BL deviation
//! (4.38 vs 4.187) comes from the shape of his count distribution, and the simulation reproduces it.
//!
//! Not applicable when fewer than 100 counts reach 10 (Mebane: hundreds of units at least;
//! 10 expected per digit).
//!
//! References: Mebane, W. (2006), "Election Forensics: Vote Counts and Benford's Law", Political
//! Methodology Society; Mebane (2011), "Comment on 'Benford's Law and the Detection of Election
//! Fraud'", *Political Analysis* 19(3):269–272; Deckert, J., Myagkov, M. & Ordeshook, P. (2011),
//! *Political Analysis* 19(3):245–268; Hill, T. (1995), *Statistical Science* 10(4):354–363;
//! Nigrini, M. (2012), *Benford's Law*, ch. 7; Barney, B. & Schulzke, K. (2016), *Journal of Forensic
//! Accounting Research* 1(1):A39–A55.

use serde_json::json;

use crate::figure::BarPanel;
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::{Battery, Subject, SubjectKind};
use crate::forensics::digits::findings::{self, DigitTestSpec};
use crate::forensics::digits::laws::{benford_second, shares, DigitHist, LawFit, NIGRINI_SECOND};
use crate::forensics::digits::null::{GroupNull, Stat};
use crate::forensics::ForensicTest;
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "benford_second_digit",
    title: "Second-digit law (2BL) of each candidate's counts",
    method: "Walter Mebane's second-digit test (2BL): the second significant digit of vote counts produced by many voters choosing independently is expected to follow Benford's second-digit law, in which 0 is the most common second digit (12.0 %) and 9 the rarest (8.5 %). For every candidate, nationally and per region, the test takes the second digit of each station count of at least 10 and compares the digit shares with the law by a chi-square test (9 degrees of freedom); it also reports the mean absolute deviation (MAD) with Nigrini's conformity label, an effect size that does not grow with the number of stations. Honest counts need not follow the law: the second digits of counts bounded by station size depend on the station sizes and on the candidate's support. The p-value is therefore calibrated against honest counting (each station's count redrawn from a binomial model with the candidate's observed vote shares and the station sizes, whose chi-square mean and variance are computed exactly) by asking how often such counting gives a chi-square as large; the chart's grey band shows that range, which can sit away from Benford's law. Mebane himself shows that 2BL deviations arise from strategic voting, regional mobilisation and other political structure: a deviation is an anomaly worth a look, not evidence of fraud. Not applicable with fewer than 100 counts of at least 10.",
    references: "Mebane (2006), Election Forensics: Vote Counts and Benford's Law; Mebane (2011), Political Analysis 19(3):269–272; Deckert, Myagkov & Ordeshook (2011), Political Analysis 19(3):245–268; Hill (1995), Statistical Science 10(4):354–363; Nigrini (2012), Benford's Law, ch. 7; Barney & Schulzke (2016), Journal of Forensic Accounting Research 1(1).",
    weight: 0.21,
    run,
};

/// Counts below this have no second digit.
pub const MIN_COUNT: u64 = 10;
/// Fewest counts ≥ `MIN_COUNT` for the test (hundreds of units; 10 expected per digit).
pub const MIN_N: u64 = 100;

/// The analytic second-digit statistics of one histogram.
pub type SecondDigitResult = LawFit<10>;

/// The analytic statistics from the second-digit counts (digits 0..9).
pub fn analyse(digit_counts: &[u64; 10]) -> SecondDigitResult {
    LawFit::new(digit_counts, benford_second(), NIGRINI_SECOND)
}

/// The analytic statistics of a set of counts (second digits of counts ≥ 10).
pub fn compute(values: &[u64]) -> SecondDigitResult {
    let mut h = DigitHist::default();
    for &v in values {
        h.add_leading(v);
    }
    analyse(&h.second_ge10.map(u64::from))
}

fn applicable(g: &GroupNull) -> Result<(), String> {
    let n: u64 = g.observed.second_ge10.iter().map(|&c| c as u64).sum();
    if n < MIN_N {
        return Err(format!(
            "only {n} of {} station counts reach {MIN_COUNT}; the second-digit law needs at least {MIN_N} counts with two or more digits",
            g.observed.n_all()
        ));
    }
    let z = g.resolution.second;
    if z > crate::forensics::digits::resolution::MAX_BIAS_Z {
        return Err(crate::forensics::digits::resolution::reason("", z, n));
    }
    Ok(())
}

fn finding(subject: &Subject<'_>, g: &GroupNull) -> Finding {
    let r = analyse(&g.observed.second_ge10.map(u64::from));
    let cal = g.calibrated(Stat::SecondChi2);
    let share = r.observed_share();
    let (simulated, band_low, band_high) = GroupNull::band(&g.band_second);
    let worst = (0..10)
        .max_by(|&a, &b| r.z[a].total_cmp(&r.z[b]))
        .unwrap_or(0);
    let where_ = g
        .region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default();
    let headline = format!(
        "{}{where_}: second digits of {} counts give χ² = {:.1} (df {}) against Benford's second-digit law, MAD = {:.4} ({}); honest counting with these station sizes gives χ² ≈ {:.1} ± {:.1}, calibrated p = {}. The largest gap is digit {worst}: {:.1} % observed vs {:.1} % Benford ({:.1} % in honest counting).",
        subject.name,
        fmt_int(r.n),
        r.chi_square,
        r.df,
        r.mad,
        r.conformity,
        cal.sim_mean,
        cal.sim_sd,
        fmt_p(cal.p),
        100.0 * share[worst],
        100.0 * r.expected[worst],
        100.0 * simulated.get(worst).copied().unwrap_or(f64::NAN),
    );
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: r.n,
        statistic: Some(Statistic::new("chi_square", r.chi_square)),
        p_value: Some(cal.p),
        q_value: None,
        p_value_source: Some(findings::source(true, g.method)),
        effect_size: Some(Statistic::new("mad", r.mad)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: {
            let mut d = r.details("Benford's second-digit law");
            d.extend(details([
                ("min_count", json!(MIN_COUNT)),
                ("n_all_counts", json!(g.observed.n_all())),
                ("simulated_share", json!(simulated)),
                ("simulated_band_low", json!(band_low)),
                ("simulated_band_high", json!(band_high)),
                ("p_value_empirical", json!(cal.p_empirical)),
                ("simulated_mean", json!(cal.sim_mean)),
                ("simulated_sd", json!(cal.sim_sd)),
            ]));
            d
        },
    }
}

fn panel(g: &GroupNull, title: String) -> BarPanel {
    let (_, band_low, band_high) = GroupNull::band(&g.band_second);
    BarPanel {
        title,
        caption: String::new(),
        x_label: "second digit of the count".into(),
        y_label: "share of counts".into(),
        categories: (0..10).map(|d| d.to_string()).collect(),
        observed: shares(&g.observed.second_ge10).to_vec(),
        expected: benford_second().to_vec(),
        band_low,
        band_high,
        highlight: false,
        finding: None,
        expected_label: "Benford's second-digit law".into(),
        band_label: "95% range of honest counts".into(),
    }
}

const SPEC: DigitTestSpec = DigitTestSpec {
    id: "benford_second_digit",
    chart: "Second digits",
    counts: "counts ≥ 10",
    accepts: |s| s.kind == SubjectKind::Candidate,
    applicable,
    finding,
    panel: Some(panel),
    caption: "Bars: share of the station counts of at least 10 of {subject} with each second digit. Dots: Benford's second-digit law. Grey: the range each share takes in 95% of honest counts with these station sizes and vote shares, which need not match Benford; the p-value compares with that range. 2BL reacts to political structure (strategic voting, regional mobilisation): a deviation is an anomaly, not evidence of fraud.",
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    Ok(findings::run(b, &SPEC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::{Candidate, RegionLevel, Tally};
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Binomial, Distribution};

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn powers_of_two_methods_vector() {
        // methods.md §10 item 2: second digits of 2^n ≥ 10, n = 0..999 (N = 996).
        // scipy: chisquare(obs, p*996) -> 0.4889801789072031, p 0.9999723468257435;
        // power_divergence(..., lambda_=0) -> 0.49046464524122113.
        let r = analyse(&[120, 112, 109, 108, 98, 95, 94, 91, 83, 86]);
        assert_eq!(r.n, 996);
        assert!(
            close(r.chi_square, 0.4889801789072031, 1e-10),
            "{}",
            r.chi_square
        );
        assert!(close(r.p_value, 0.9999723468257435, 1e-10), "{}", r.p_value);
        assert!(close(r.g, 0.49046464524122113, 1e-10), "{}", r.g);
        assert!(close(r.mad, 0.001777, 5e-7), "{}", r.mad);
        assert_eq!(r.conformity, "close conformity");
        // Nigrini-rule Z (numpy, same formula as digits::nigrini_z).
        let want = [
            0.0292, 0.0932, 0.0116, 0.3719, 0.1484, 0.0848, 0.0543, 0.0563, 0.4170, 0.0957,
        ];
        for (d, (z, w)) in r.z.iter().zip(want).enumerate() {
            assert!(close(*z, w, 5e-5), "digit {d}: {z}");
        }
        assert!(close(r.excess_mad, -0.005793162530647681, 1e-12));
    }

    #[test]
    fn venezuela_methods_numbers() {
        // methods.md §10 item 10 / §7.2. scipy:
        // chisquare(gonz, p*24505) -> 116.10882872287308, p 8.347972504403898e-21;
        // power_divergence(gonz, p*24505, lambda_=0) -> 115.9592723464284, p 8.956373748594356e-21.
        let g = analyse(&[2629, 2591, 2519, 2539, 2415, 2374, 2434, 2390, 2286, 2328]);
        assert_eq!(g.n, 24_505);
        assert!(
            close(g.chi_square, 116.10882872287308, 1e-8),
            "{}",
            g.chi_square
        );
        assert!(
            (g.p_value / 8.347972504403898e-21 - 1.0).abs() < 1e-6,
            "{}",
            g.p_value
        );
        assert!(close(g.g, 115.9592723464284, 1e-8));
        assert!((g.p_value_g / 8.956373748594356e-21 - 1.0).abs() < 1e-6);
        assert!(close(g.mad, 0.005810542045504248, 1e-12));
        assert_eq!(g.conformity, "close conformity");
        assert!(close(g.excess_mad, 0.004284260611311741, 1e-9));
        assert!(close(g.z[0], 5.9680, 5e-5) && close(g.z[9], 5.6038, 5e-5));
        // scipy: chisquare(maduro, p*24502) -> 111.62114377625002, p 6.874374274048092e-20.
        let m = analyse(&[3218, 2902, 2804, 2696, 2477, 2361, 2209, 2008, 2011, 1816]);
        assert_eq!(m.n, 24_502);
        assert!(close(m.chi_square, 111.62114377625002, 1e-8));
        assert!((m.p_value / 6.874374274048092e-20 - 1.0).abs() < 1e-6);
        assert!(close(m.mad, 0.005662430999715269, 1e-12));
        assert_eq!(m.conformity, "close conformity");
    }

    #[test]
    fn second_digits_are_extracted_from_counts_of_ten_or_more() {
        let r = compute(&[5, 10, 105, 1234, 99, 0, 9]);
        assert_eq!(r.n, 4);
        assert_eq!(r.digit_counts, [2, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    }

    /// Two regions of stations; "Big" honest, "Fake" with invented second digits, "Tiny" with
    /// single-digit counts.
    fn tally(seed: u64, stations: usize) -> Tally {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut t = Tally {
            name: "t".into(),
            ..Default::default()
        };
        let (mut big, mut fake, mut tiny, mut codes) = (vec![], vec![], vec![], vec![]);
        for i in 0..stations {
            let valid: u64 = rng.random_range(150..1100);
            let share = 0.45 + 0.1 * (rng.random::<f64>() - 0.5);
            let b = Binomial::new(valid, share).unwrap().sample(&mut rng);
            // invented: a count in the same range whose second digit is always 0 or 5
            let f = (valid - b) / 2;
            let f = if f >= 100 {
                f - f % 100 + 50 * (f % 2)
            } else {
                f - f % 10
            };
            t.station_keys.push(i.to_string());
            t.valid.push(valid);
            t.ballots_cast.push(valid);
            big.push(b);
            fake.push(f);
            tiny.push((valid - b - f).min(9));
            codes.push((i % 2) as u32);
        }
        let cand = |name: &str, votes| Candidate {
            name: name.into(),
            source: name.to_lowercase(),
            votes,
        };
        t.candidates = vec![cand("Big", big), cand("Fake", fake), cand("Tiny", tiny)];
        t.regions = vec![RegionLevel {
            source_codes: None,
            name: "region".into(),
            codes,
            paths: vec![vec!["A".into()], vec!["B".into()]],
        }];
        t.registered = Some(t.valid.iter().map(|v| v + 100).collect());
        t
    }

    #[test]
    fn end_to_end_verdicts_and_not_applicable() {
        let t = tally(11, 1500);
        let params = crate::forensics::Params {
            replicates: 50,
            ..Default::default()
        };
        let mut out = run(&Battery::new(&t, &params)).unwrap();
        crate::forensics::apply_fdr(&mut out.findings, params.alpha);
        // 3 candidates × (national + 2 regions); registered voters are not a subject here.
        assert_eq!(out.findings.len(), 7, "{:?}", out.findings);
        assert!(out
            .findings
            .iter()
            .all(|f| f.subject != "registered voters"));
        let find = |s: &str| {
            out.findings
                .iter()
                .find(|f| f.subject == s && f.region.is_none())
                .unwrap()
        };
        let big = find("Big");
        assert_eq!(big.verdict, Verdict::Consistent, "{}", big.headline);
        assert!(big.figure.is_some());
        // The chart's band is in the JSON: mean inside, a real width, the invented digits outside.
        let arr = |f: &Finding, k: &str| -> Vec<f64> {
            serde_json::from_value(f.details[k].clone()).unwrap()
        };
        let (lo, sim, hi) = (
            arr(big, "simulated_band_low"),
            arr(big, "simulated_share"),
            arr(big, "simulated_band_high"),
        );
        assert!((0..10).all(|d| lo[d] <= sim[d] && sim[d] <= hi[d] && hi[d] - lo[d] > 1e-3));
        let fake = find("Fake");
        assert_eq!(fake.verdict, Verdict::Deviates, "{}", fake.headline);
        let (obs, lo, hi) = (
            arr(fake, "observed_share"),
            arr(fake, "simulated_band_low"),
            arr(fake, "simulated_band_high"),
        );
        assert!((0..10).any(|d| obs[d] < lo[d] || obs[d] > hi[d]));
        assert!(fake.p_value.unwrap() < 1e-6);
        let tiny = find("Tiny");
        assert_eq!(tiny.verdict, Verdict::NotApplicable);
        let reason = tiny.reason.as_deref().unwrap();
        assert!(reason.contains("only 0 of 1500"), "{reason}");
        // a national and a regional chart for each applicable candidate
        assert_eq!(out.figures.len(), 4);
    }

    #[test]
    fn fewer_than_100_two_digit_counts_is_not_applicable() {
        // 80 counts of 20 and 70 of 5 pass the battery's digit gate (≥ 50 counts ≥ 10, median 20)
        // and are stopped by this test's own rule.
        let votes: Vec<u64> = (0..150).map(|i| if i < 80 { 20 } else { 5 }).collect();
        let t = Tally {
            valid: vec![100; 150],
            station_keys: (0..150).map(|i| i.to_string()).collect(),
            candidates: vec![Candidate {
                name: "C".into(),
                source: "c".into(),
                votes,
            }],
            ..Default::default()
        };
        let params = crate::forensics::Params {
            replicates: 10,
            ..Default::default()
        };
        let out = run(&Battery::new(&t, &params)).unwrap();
        assert_eq!(out.findings[0].verdict, Verdict::NotApplicable);
        let reason = out.findings[0].reason.as_deref().unwrap();
        assert!(
            reason.contains("only 80 of 150") && reason.contains("at least 100"),
            "{reason}"
        );
    }
}
