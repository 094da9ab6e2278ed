//! `last_digit_mean`: is the mean last digit of each candidate's per-station counts 4.5?
//!
//! EFToolkit's `LastC` (Hicken & Mebane 2015): the mean of the last digit of the counts, 4.5 when
//! every digit is equally likely. It is a one-number summary of the last-digit distribution that
//! reacts to a shift towards low or high endings (a person rounding down to 0 or 5, or favouring
//! 7s) and ignores patterns that keep the mean (too many 0s and 9s together). We use counts ≥ 10
//! (Beber & Scacco 2012; methods.md (external, not shipped) §8–9) and report the all-counts mean for
//! EFToolkit parity (EFToolkit includes counts 0–9, which makes minor candidates look anomalous).
//!
//! **Null.** 4.5 holds for counts in the hundreds. Counts of 10–99 come from a sloped count
//! distribution, so low last digits are slightly more common in honest counts; the exact centre is
//! the smooth-count expectation Σ d·E[share of d] (`digits::smooth_expected`, Gaussian kernel σ = 5
//! votes; see `last_digit`). Both are reported; the effect size is the observed mean minus the
//! smooth-count expectation (in digits, N-independent). The 95 % interval is mean ± 1.96 s/√n, s
//! the sample SD of the last digits; the analytic z against 4.5 uses the uniform SE √(8.25/n).
//!
//! **Calibration.** The verdict's p-value is calibrated against the smooth-count null
//! (`digits::null`: each count jittered by N(0, 5²) votes; its mean and SD exact, `digits::exact`):
//! the observed mean is referred to a normal with the null mean and SD, two-sided.
//!
//! Applicability: as `last_digit` — at least 50 counts ≥ 10 and a median count ≥ 20 (below that the
//! counts of 10+ are the steep tail of small numbers, where no smooth null is reliable).
//!
//! References: Hicken, A. & Mebane, W. (2015/2017), *A Guide to Election Forensics* (USAID);
//! Kalinin, K. & Mebane, W., EFToolkit (`LastC`); Beber, B. & Scacco, A. (2012), *Political
//! Analysis* 20(2):211–234.

use serde_json::json;

use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::forensics::battery::{Battery, Subject};
use crate::forensics::digits::findings::{self, DigitTestSpec};
use crate::forensics::digits::last_digit::{MIN_COUNT, MIN_MEDIAN, MIN_N};
use crate::forensics::digits::laws::{hist_mean, DigitHist, SMOOTH_SIGMA};
use crate::forensics::digits::null::{normal_sf, GroupNull, Stat};
use crate::forensics::ForensicTest;
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "last_digit_mean",
    title: "Mean last digit of each candidate's counts (LastC)",
    method: "The average last digit of honest counts of tens or hundreds of votes is 4.5, because every ending 0–9 is equally likely; a person who rounds numbers down to 0 or 5, or who favours some endings, moves it. For every candidate (and the registered-voter counts), nationally and per region, the test takes the mean last digit of the station counts of at least 10 (the Election Forensics Toolkit's LastC; the all-counts value the Toolkit uses is shown too) with a 95% interval. For counts under 100 the honest expectation is slightly below 4.5 (low endings are more common just above 10 because small counts are more frequent), so the expectation is computed from a smoothed version of the observed counts and the p-value is calibrated against honest counts of the same size (redrawn around each count; mean and variance computed exactly). Not applicable when fewer than 50 counts reach 10 or the median count is under 20. The mean summarises the last-digit distribution in one number: it misses patterns that keep it at 4.5, which the last-digit test catches.",
    references: "Hicken & Mebane (2015), A Guide to Election Forensics (USAID); Kalinin & Mebane, EFToolkit (LastC); Beber & Scacco (2012), Political Analysis 20(2):211–234.",
    weight: 0.03,
    run,
};

/// Mean last digit of uniform digits, and its variance (Σ (d − 4.5)² / 10).
pub const UNIFORM_MEAN: f64 = 4.5;
pub const UNIFORM_VAR: f64 = 8.25;
/// Two-sided 95 % normal quantile.
const Z95: f64 = 1.959964;

/// The analytic mean-last-digit statistics of one histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct LastMeanResult {
    /// Counts ≥ `MIN_COUNT`, and all counts.
    pub n: u64,
    pub n_all: u64,
    /// Mean last digit of counts ≥ `MIN_COUNT`, its sample SD and 95 % interval.
    pub mean: f64,
    pub sd: f64,
    pub ci: (f64, f64),
    /// Smooth-count expectation of the mean (the exact null centre; 4.5 for large counts).
    pub expected: f64,
    /// z and two-sided p against 4.5 with the uniform SE √(8.25/n) (EFToolkit-style check).
    pub z_uniform: f64,
    pub p_uniform: f64,
    /// Mean last digit of all counts (EFToolkit `LastC` parity) and its 95 % interval.
    pub mean_all: f64,
    pub ci_all: (f64, f64),
}

/// Mean, sample SD and 95 % interval of the digits of a last-digit histogram.
pub fn mean_sd_ci(h: &[u32; 10]) -> (f64, f64, (f64, f64)) {
    let n: u64 = h.iter().map(|&c| c as u64).sum();
    let mean = hist_mean(h, 0);
    let ss: f64 = h
        .iter()
        .enumerate()
        .map(|(d, &c)| c as f64 * (d as f64 - mean).powi(2))
        .sum();
    let sd = if n > 1 {
        (ss / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let half = Z95 * sd / (n.max(1) as f64).sqrt();
    (mean, sd, (mean - half, mean + half))
}

/// The analytic statistics from a digit histogram and its smooth-count last-digit expectation.
pub fn analyse(h: &DigitHist, smooth_last: &[f64; 10]) -> LastMeanResult {
    let n = h.n_ge10();
    let (mean, sd, ci) = mean_sd_ci(&h.last_ge10);
    let (mean_all, _, ci_all) = mean_sd_ci(&h.last_all);
    let expected = smooth_last
        .iter()
        .enumerate()
        .map(|(d, p)| d as f64 * p)
        .sum();
    let z_uniform = (mean - UNIFORM_MEAN) / (UNIFORM_VAR / n.max(1) as f64).sqrt();
    LastMeanResult {
        n,
        n_all: h.n_all(),
        mean,
        sd,
        ci,
        expected,
        z_uniform,
        p_uniform: 2.0 * normal_sf(z_uniform.abs()),
        mean_all,
        ci_all,
    }
}

/// The applicability rule of the last-digit family (as `last_digit`): at least `MIN_N` counts
/// ≥ `MIN_COUNT` and a median count ≥ `MIN_MEDIAN`. `what` prefixes the reason (may be empty).
pub(super) fn applicable_last_family(g: &GroupNull, what: &str) -> Result<(), String> {
    let n = g.observed.n_ge10();
    if n < MIN_N {
        return Err(format!(
            "{what}only {n} of {} station counts reach {MIN_COUNT}; the test needs at least {MIN_N}",
            g.observed.n_all()
        ));
    }
    if g.median_all < MIN_MEDIAN {
        return Err(format!(
            "{what}the median count is {} (under {MIN_MEDIAN}): counts of {MIN_COUNT}+ are the steep tail of small numbers, whose last digits are not uniform even in honest counts",
            g.median_all
        ));
    }
    let z = g.resolution.last;
    if z > crate::forensics::digits::resolution::MAX_BIAS_Z {
        return Err(crate::forensics::digits::resolution::reason(what, z, n));
    }
    Ok(())
}

fn applicable(g: &GroupNull) -> Result<(), String> {
    applicable_last_family(g, "")
}

fn finding(subject: &Subject<'_>, g: &GroupNull) -> Finding {
    let r = analyse(&g.observed, &g.smooth_last);
    let cal = g.calibrated(Stat::LastMeanGe10);
    let cal_all = g.calibrated(Stat::LastMeanAll);
    let where_ = g
        .region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default();
    let headline = format!(
        "{}{where_}: the mean last digit of {} counts of at least {MIN_COUNT} is {:.3} (95% CI {:.3}–{:.3}), against {:.3} expected from honest counting (4.5 for large counts); calibrated p = {}.",
        subject.name,
        fmt_int(r.n),
        r.mean,
        r.ci.0,
        r.ci.1,
        r.expected,
        fmt_p(cal.p),
    );
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: r.n,
        statistic: Some(Statistic::new("mean_last_digit", r.mean)),
        p_value: Some(cal.p),
        q_value: None,
        p_value_source: Some(findings::source(false, g.method)),
        effect_size: Some(Statistic::new("mean_minus_expected", r.mean - r.expected)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("min_count", json!(MIN_COUNT)),
            ("mean_last_digit", json!(r.mean)),
            ("sd_last_digit", json!(r.sd)),
            ("ci95", json!([r.ci.0, r.ci.1])),
            ("ci_method", json!("mean ± 1.96·s/√n")),
            ("expected_mean", json!(r.expected)),
            (
                "expected_method",
                json!(format!(
                    "smooth-count null, Gaussian kernel sigma = {SMOOTH_SIGMA} votes"
                )),
            ),
            ("null_large_counts", json!(UNIFORM_MEAN)),
            ("z_vs_4_5", json!(r.z_uniform)),
            ("p_value_vs_4_5", json!(r.p_uniform)),
            ("simulated_mean", json!(cal.sim_mean)),
            ("simulated_sd", json!(cal.sim_sd)),
            ("n_all_counts", json!(r.n_all)),
            ("mean_last_digit_all_counts", json!(r.mean_all)),
            ("ci95_all_counts", json!([r.ci_all.0, r.ci_all.1])),
            ("p_value_all_counts_calibrated", json!(cal_all.p)),
            ("median_count", json!(g.median_all)),
        ]),
    }
}

const SPEC: DigitTestSpec = DigitTestSpec {
    id: "last_digit_mean",
    chart: "Mean last digit",
    counts: "counts ≥ 10",
    accepts: |_| true,
    applicable,
    finding,
    panel: None,
    caption: "",
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    Ok(findings::run(b, &SPEC))
}

/// A small synthetic tally for the end-to-end tests of the last-digit family: `stations` stations
/// in regions "North" and "South", a large and a mid-sized party, and registered voters. `tamper`
/// rewrites each candidate count of the South region (it decides itself how many to touch).
#[cfg(test)]
pub(crate) fn synthetic_tally(
    seed: u64,
    stations: usize,
    tamper: fn(&mut rand_chacha::ChaCha8Rng, u64, u64) -> u64,
) -> crate::tally::Tally {
    use crate::tally::{Candidate, RegionLevel, Tally};
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Binomial, Distribution};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut t = Tally {
        name: "synthetic".into(),
        ..Default::default()
    };
    let (mut big, mut mid, mut reg, mut codes) = (vec![], vec![], vec![], vec![]);
    for i in 0..stations {
        let valid: u64 = rng.random_range(200..1100);
        let share = 0.5 + 0.1 * (rng.random::<f64>() - 0.5);
        let mut b = Binomial::new(valid, share).unwrap().sample(&mut rng);
        let mut m = Binomial::new(valid - b, 0.6).unwrap().sample(&mut rng);
        let south = i % 2 == 1;
        if south {
            b = tamper(&mut rng, b, valid).min(valid);
            m = tamper(&mut rng, m, valid).min(valid - b);
        }
        t.station_keys.push(i.to_string());
        t.valid.push(valid);
        t.ballots_cast.push(valid);
        reg.push(valid + rng.random_range(100..900));
        big.push(b);
        mid.push(m);
        codes.push(u32::from(south));
    }
    let cand = |name: &str, votes| Candidate {
        name: name.into(),
        source: name.to_lowercase(),
        votes,
    };
    t.candidates = vec![cand("Big", big), cand("Mid", mid)];
    t.registered = Some(reg);
    t.regions = vec![RegionLevel {
        source_codes: None,
        name: "region".into(),
        codes,
        paths: vec![vec!["North".into()], vec!["South".into()]],
    }];
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn hist_with_last(last: [u32; 10]) -> DigitHist {
        let mut h = DigitHist::default();
        for (d, &k) in last.iter().enumerate() {
            for i in 0..k {
                h.add(300 + 10 * u64::from(i % 20) + d as u64, 1000);
            }
        }
        h
    }

    #[test]
    fn venezuela_means_match_methods() {
        // methods.md §10 item 10 digit counts (counts ≥ 10); §7.2: LastC ≥ 10 4.4884 / 4.4726.
        let gonzalez = hist_with_last([2493, 2389, 2496, 2461, 2458, 2432, 2497, 2453, 2354, 2472]);
        let maduro = hist_with_last([2490, 2518, 2421, 2480, 2511, 2387, 2430, 2387, 2382, 2496]);
        let r = analyse(&gonzalez, &[0.1; 10]);
        assert_eq!(r.n, 24505);
        assert!((r.mean - 4.4884).abs() < 5e-5, "{}", r.mean);
        assert!((r.expected - 4.5).abs() < 1e-12);
        // z = (4.48843 − 4.5) / √(8.25 / 24505)
        assert!((r.z_uniform - (r.mean - 4.5) / (8.25f64 / 24505.0).sqrt()).abs() < 1e-12);
        assert!(r.ci.0 < r.mean && r.mean < r.ci.1 && r.ci.0 < 4.5 && 4.5 < r.ci.1);
        let m = analyse(&maduro, &[0.1; 10]);
        assert!((m.mean - 4.4726).abs() < 5e-5, "{}", m.mean);
    }

    #[test]
    fn hand_computed_histogram() {
        // Digits 0, 0, 5, 9: mean 3.5, SD √((12.25·2 + 2.25 + 30.25)/3) = √19 = 4.3589.
        let mut h = [0u32; 10];
        h[0] = 2;
        h[5] = 1;
        h[9] = 1;
        let (mean, sd, ci) = mean_sd_ci(&h);
        assert!((mean - 3.5).abs() < 1e-12);
        assert!((sd - 19f64.sqrt()).abs() < 1e-12);
        assert!((ci.1 - (3.5 + 1.959964 * 19f64.sqrt() / 2.0)).abs() < 1e-9);
        // A sloped smooth expectation moves the centre below 4.5.
        let sloped: [f64; 10] = std::array::from_fn(|d| 0.145 - 0.01 * d as f64);
        let r = analyse(&hist_with_last([1; 10]), &sloped);
        assert!((r.expected - (0..10).map(|d| d as f64 * sloped[d]).sum::<f64>()).abs() < 1e-12);
        assert!(r.expected < 4.5);
    }

    #[test]
    fn all_counts_mean_is_reported_separately() {
        let mut h = DigitHist::default();
        for v in [3u64, 7, 12, 25] {
            h.add(v, 100);
        }
        let r = analyse(&h, &[0.1; 10]);
        assert_eq!((r.n, r.n_all), (2, 4));
        assert!((r.mean - 3.5).abs() < 1e-12); // 2 and 5
        assert!((r.mean_all - 4.25).abs() < 1e-12); // 3, 7, 2, 5
    }

    #[test]
    fn end_to_end_flags_rounding_to_0_or_5() {
        let params = crate::forensics::Params {
            replicates: 100,
            ..Default::default()
        };
        let honest = synthetic_tally(11, 3000, |_, c, _| c);
        let out = run(&Battery::new(&honest, &params)).unwrap();
        // Big and Mid and registered voters, national + 2 regions each.
        assert_eq!(out.findings.len(), 9);
        assert!(out.figures.is_empty());
        for f in &out.findings {
            // Registered voters are administrative counts: descriptive, never tested.
            let want = if f.subject == "registered voters" {
                Verdict::Descriptive
            } else {
                Verdict::Consistent
            };
            assert_eq!(f.verdict, want, "{}", f.headline);
            assert!(f.p_value.unwrap() > 0.001, "{}", f.headline);
        }
        // A person rounds a third of the South counts down to 0 or 5.
        let tampered = synthetic_tally(11, 3000, |rng, c, _| {
            if rng.random_bool(1.0 / 3.0) {
                c - c % 5
            } else {
                c
            }
        });
        let out = run(&Battery::new(&tampered, &params)).unwrap();
        let south = |s: &str| {
            out.findings
                .iter()
                .find(|f| f.subject == s && f.region == Some(vec!["South".to_string()]))
                .unwrap()
        };
        for s in ["Big", "Mid"] {
            let f = south(s);
            assert!(f.p_value.unwrap() < 1e-6, "{}", f.headline);
            assert!(
                f.effect_size.as_ref().unwrap().value < -0.4,
                "{}",
                f.headline
            );
        }
        let north = out
            .findings
            .iter()
            .find(|f| f.subject == "Big" && f.region == Some(vec!["North".to_string()]))
            .unwrap();
        assert!(north.p_value.unwrap() > 0.001, "{}", north.headline);
    }
}
