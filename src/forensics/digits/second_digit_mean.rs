//! `second_digit_mean`: is the mean second significant digit of each candidate's per-station
//! counts 4.187, as Benford's second-digit law implies (EFToolkit's `_2BL`)?
//!
//! Mebane (2011) stresses that his test is the *mean* of the second digit, not the whole
//! distribution: one number per candidate and region, comparable across elections. We take the
//! second significant digit of every count ≥ 10 (EFToolkit drops counts < 10;
//! methods.md (external, not shipped) §2, §9) and report its mean with a 95 % interval
//! mean ± 1.96 · s/√n (s the sample SD of the digits), where EFToolkit uses a basic bootstrap (the
//! two agree to the third decimal at these sample sizes; methods §7.2: González 4.3807
//! [4.350, 4.416]). The expectation E[D₂] = Σ d·P(d) = 4.18739 is computed from the law, not
//! typed in. The analytic z = (mean − 4.18739) / (2.87294/√n) against the law (SD of the law,
//! methods §3.1) is reported for parity with other tools.
//!
//! **The law is not the null.** As for the 2BL distribution (`benford_second_digit`), the second
//! digits of honest counts bounded by station size need not average 4.187, and Mebane shows that
//! the mean moves with strategic voting and mobilisation; on Venezuela 2024 González's mean is
//! above 4.187 and Maduro's below, by 10 standard errors each, with no sign of fraud in the other
//! tests (methods §7.2). A deviation is an anomaly, not evidence of fraud.
//!
//! **Calibration.** The verdict's p-value is two-sided against a normal with the mean and SD of the
//! mean second digit in honest counting (`digits::null`: each station's count redrawn from
//! the normal approximation to Bin(Nᵢ, p*ᵢ) with shrunken shares), so it asks whether the mean
//! differs from what these station sizes and vote shares give, not from 4.187. The null keeps
//! the smooth shape of the observed count distribution (per-station noise of 5–15 votes against a
//! 100-vote second-digit period; see `benford_second_digit`), so it detects sharp digit preferences
//! rather than smooth shifts. On Venezuela 2024 it gives 4.397 ± 0.014 for González (observed
//! 4.381) and 4.006 ± 0.015 for Maduro (observed 4.002): both means are what their count
//! distributions imply.
//!
//! Not applicable when fewer than 100 counts reach 10. No chart: the digit distribution is drawn
//! by `benford_second_digit`.
//!
//! References: Mebane, W. (2011), "Comment on 'Benford's Law and the Detection of Election Fraud'",
//! *Political Analysis* 19(3):269–272; Hicken, A. & Mebane, W. (2017), *A Guide to Election
//! Forensics* (USAID); Kalinin, K. & Mebane, W., EFToolkit (`_2BL`); Hill, T. (1995), *Statistical
//! Science* 10(4):354–363.

use serde_json::json;

use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::{Battery, Subject, SubjectKind};
use crate::forensics::digits::findings::{self, DigitTestSpec};
use crate::forensics::digits::laws::{benford_second, mean_digit, var_digit};
use crate::forensics::digits::null::{normal_sf, GroupNull, Stat};
use crate::forensics::ForensicTest;
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "second_digit_mean",
    title: "Mean second digit of each candidate's counts (EFToolkit _2BL)",
    method: "The mean of the second significant digit of each candidate's station counts of at least 10, the statistic Walter Mebane's Election Forensics Toolkit reports as _2BL. Under Benford's second-digit law the mean is 4.187; the table shows the observed mean with a 95 % interval (mean ± 1.96 standard errors) and, for comparison with other tools, the z-score against 4.187. The p-value, however, compares the observed mean with honest counting (each station's count redrawn from a binomial model with the candidate's observed vote shares and the station sizes), because honest counts bounded by station size need not average 4.187. Mebane shows that the mean moves with strategic voting, regional mobilisation and other political structure, and two candidates can deviate in opposite directions in a clean election: a deviation is an anomaly worth a look, not evidence of fraud. Not applicable with fewer than 100 counts of at least 10.",
    references: "Mebane (2011), Political Analysis 19(3):269–272; Hicken & Mebane (2017), A Guide to Election Forensics (USAID); Kalinin & Mebane, EFToolkit (_2BL); Hill (1995), Statistical Science 10(4):354–363.",
    weight: 0.03,
    run,
};

/// Counts below this have no second digit.
pub const MIN_COUNT: u64 = 10;
/// Fewest counts ≥ `MIN_COUNT` for the test.
pub const MIN_N: u64 = 100;
/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959964;

/// Mean and SD of the second digit under Benford's law (4.18739, 2.87294).
pub fn benford_mean_sd() -> (f64, f64) {
    let p = benford_second();
    (mean_digit(&p, 0), var_digit(&p, 0).sqrt())
}

/// The analytic statistics of the mean second digit.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondMeanResult {
    /// Counts ≥ `MIN_COUNT`.
    pub n: u64,
    pub mean: f64,
    /// Sample SD of the digits (n − 1 denominator).
    pub sd: f64,
    /// 95 % interval mean ± 1.96 · sd/√n.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Benford's expectation and mean − expectation.
    pub expected: f64,
    pub difference: f64,
    /// Analytic z against Benford (SE = SD of the law / √n) and its two-sided p-value.
    pub se_benford: f64,
    pub z: f64,
    pub p_value: f64,
}

/// The statistics from the second-digit counts (digits 0..9).
pub fn analyse(digit_counts: &[u64; 10]) -> SecondMeanResult {
    let n: u64 = digit_counts.iter().sum();
    let nf = n.max(1) as f64;
    let mean = digit_counts
        .iter()
        .enumerate()
        .map(|(d, &c)| d as f64 * c as f64)
        .sum::<f64>()
        / nf;
    let ss: f64 = digit_counts
        .iter()
        .enumerate()
        .map(|(d, &c)| (d as f64 - mean).powi(2) * c as f64)
        .sum();
    let sd = if n > 1 {
        (ss / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let half = Z95 * sd / nf.sqrt();
    let (expected, sd_law) = benford_mean_sd();
    let se_benford = sd_law / nf.sqrt();
    let z = (mean - expected) / se_benford;
    SecondMeanResult {
        n,
        mean,
        sd,
        ci_low: mean - half,
        ci_high: mean + half,
        expected,
        difference: mean - expected,
        se_benford,
        z,
        p_value: 2.0 * normal_sf(z.abs()),
    }
}

fn applicable(g: &GroupNull) -> Result<(), String> {
    let n: u64 = g.observed.second_ge10.iter().map(|&c| c as u64).sum();
    if n < MIN_N {
        return Err(format!(
            "only {n} of {} station counts reach {MIN_COUNT}; the mean second digit needs at least {MIN_N} counts with two or more digits",
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
    let cal = g.calibrated(Stat::SecondMean);
    let where_ = g
        .region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default();
    let headline = format!(
        "{}{where_}: the mean second digit of {} counts is {:.3} (95 % CI {:.3}–{:.3}) against {:.3} under Benford's law (z = {:.1}); honest counting with these station sizes gives {:.3} ± {:.3}, calibrated p = {}.",
        subject.name,
        fmt_int(r.n),
        r.mean,
        r.ci_low,
        r.ci_high,
        r.expected,
        r.z,
        cal.sim_mean,
        cal.sim_sd,
        fmt_p(cal.p),
    );
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: r.n,
        statistic: Some(Statistic::new("mean_second_digit", r.mean)),
        p_value: Some(cal.p),
        q_value: None,
        p_value_source: Some(findings::source(false, g.method)),
        effect_size: Some(Statistic::new("difference_from_benford", r.difference)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("min_count", json!(MIN_COUNT)),
            ("n_all_counts", json!(g.observed.n_all())),
            ("digit_counts", json!(g.observed.second_ge10)),
            ("mean_second_digit", json!(r.mean)),
            ("sd_second_digit", json!(r.sd)),
            ("ci95_low", json!(r.ci_low)),
            ("ci95_high", json!(r.ci_high)),
            ("ci_method", json!("mean ± 1.96 · s/√n")),
            ("expected_mean", json!(r.expected)),
            ("se_benford", json!(r.se_benford)),
            ("z_benford", json!(r.z)),
            ("p_value_benford", json!(r.p_value)),
            ("simulated_mean", json!(cal.sim_mean)),
            ("simulated_sd", json!(cal.sim_sd)),
        ]),
    }
}

const SPEC: DigitTestSpec = DigitTestSpec {
    id: "second_digit_mean",
    chart: "Mean second digit",
    counts: "counts ≥ 10",
    accepts: |s| s.kind == SubjectKind::Candidate,
    applicable,
    finding,
    panel: None,
    caption: "",
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
    fn expectation_is_computed_from_the_law() {
        let (m, s) = benford_mean_sd();
        assert!(close(m, 4.18738970693, 1e-10) && close(s, 2.87293902185, 1e-10));
    }

    #[test]
    fn powers_of_two_methods_vector() {
        // methods.md §10 item 2: second digits of 2^n ≥ 10, N = 996, mean 4.1767.
        // numpy/scipy: mean 4.176706827309237, sd (ddof=1) 2.872307495750463,
        // z = (mean − 4.18738970693)/(2.87293902185/√996) = -0.11735229725211423,
        // 2*norm.sf(|z|) = 0.9065808840716081.
        let r = analyse(&[120, 112, 109, 108, 98, 95, 94, 91, 83, 86]);
        assert_eq!(r.n, 996);
        assert!(close(r.mean, 4.176706827309237, 1e-12));
        assert!(close(r.sd, 2.872307495750463, 1e-12));
        assert!(close(r.z, -0.11735229725211423, 1e-9));
        assert!(close(r.p_value, 0.9065808840716081, 1e-9));
    }

    #[test]
    fn venezuela_methods_numbers() {
        // methods.md §7.2: González 4.3807 (bootstrap [4.350, 4.416]), Maduro 4.0018 ([3.967, 4.036]).
        // numpy/scipy: González sd 2.877134324169602, CI [4.34471488, 4.41676237],
        // z = 10.535197726538783, 2*norm.sf(z) = 5.945819394596301e-26.
        let g = analyse(&[2629, 2591, 2519, 2539, 2415, 2374, 2434, 2390, 2286, 2328]);
        assert_eq!(g.n, 24_505);
        assert!(close(g.mean, 4.380738624770455, 1e-12));
        assert!(
            close(g.ci_low, 4.3447148800714945, 1e-6) && close(g.ci_high, 4.416762369469415, 1e-6)
        );
        assert!(close(g.z, 10.535197726538783, 1e-8));
        assert!(
            (g.p_value / 5.945819394596301e-26 - 1.0).abs() < 1e-6,
            "{}",
            g.p_value
        );
        assert!(close(g.difference, 4.3807 - 4.18739, 1e-4));
        // Maduro: mean 4.00183658476859, z = -10.109801437356838, p = 4.9985480471704956e-24.
        let m = analyse(&[3218, 2902, 2804, 2696, 2477, 2361, 2209, 2008, 2011, 1816]);
        assert_eq!(m.n, 24_502);
        assert!(close(m.mean, 4.00183658476859, 1e-12));
        assert!(
            close(m.ci_low, 3.9662084044317893, 1e-6) && close(m.ci_high, 4.0374647651053905, 1e-6)
        );
        assert!(close(m.z, -10.109801437356838, 1e-8));
        assert!(
            (m.p_value / 4.9985480471704956e-24 - 1.0).abs() < 1e-6,
            "{}",
            m.p_value
        );
    }

    #[test]
    fn end_to_end_verdicts_and_not_applicable() {
        // "Big" honest binomial counts; "Fake" invented with second digit mostly 8 or 9; "Tiny"
        // single-digit counts.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut t = Tally {
            name: "t".into(),
            ..Default::default()
        };
        let (mut big, mut fake, mut tiny) = (vec![], vec![], vec![]);
        for i in 0..1200 {
            let valid: u64 = rng.random_range(150..1100);
            let b = Binomial::new(valid, 0.5).unwrap().sample(&mut rng);
            let f = (valid - b) / 2;
            let f = if f >= 100 {
                f - f % 100 + 85
            } else {
                f - f % 10 + 8
            }
            .min(valid - b);
            t.station_keys.push(i.to_string());
            t.valid.push(valid);
            big.push(b);
            fake.push(f);
            tiny.push(rng.random_range(0..10));
        }
        let cand = |name: &str, votes| Candidate {
            name: name.into(),
            source: name.to_lowercase(),
            votes,
        };
        t.candidates = vec![cand("Big", big), cand("Fake", fake), cand("Tiny", tiny)];
        let params = crate::forensics::Params {
            replicates: 50,
            ..Default::default()
        };
        let mut out = run(&Battery::new(&t, &params)).unwrap();
        crate::forensics::apply_fdr(&mut out.findings, params.alpha);
        assert_eq!(out.findings.len(), 3);
        assert!(out.figures.is_empty());
        assert_eq!(
            out.findings[0].verdict,
            Verdict::Consistent,
            "{}",
            out.findings[0].headline
        );
        assert_eq!(
            out.findings[1].verdict,
            Verdict::Deviates,
            "{}",
            out.findings[1].headline
        );
        assert!(out.findings[1].effect_size.as_ref().unwrap().value > 2.0);
        assert_eq!(out.findings[2].verdict, Verdict::NotApplicable);
        let reason = out.findings[2].reason.as_deref().unwrap();
        assert!(reason.contains("only 0 of 1200"), "{reason}");
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
