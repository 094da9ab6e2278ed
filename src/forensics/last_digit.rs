//! `last_digit`: is the last digit of each candidate's per-station counts uniform?
//!
//! People who invent numbers favour some digits and avoid others; honest counts of tens or hundreds
//! of votes end in each digit about equally often (Beber & Scacco 2012). We test the last digit of
//! counts ≥ 10 (Beber–Scacco; `../shared/docs/methods.md` §9) with Pearson's χ² (df 9) and report G,
//! the mean absolute deviation of the digit shares (MAD, an N-independent effect size) and the
//! mean last digit (EFToolkit's `LastC`, null 4.5).
//!
//! **The null is not flat for small counts.** Counts of 10–99 votes (small parties, small stations)
//! come from a sloped count distribution, so low last digits are more common even when every vote
//! is counted honestly; the naive χ² against 0.1 then rejects with p ≈ 0 on clean elections
//! (methods.md §12). The verdict therefore uses the *smooth-count null*: the expected digit
//! distribution of counts drawn from a locally smooth version of the observed count distribution
//! (Gaussian kernel, σ = 5 votes; the kernel keeps exp(−2π²σ²/100) ≈ 0.7 % of any period-10 digit
//! pattern and nothing of a period-5 (0/5) one, so invented digits cannot hide in the null). For
//! counts in the hundreds this null is uniform to within 10⁻⁴. The flat-null χ² is reported too,
//! for parity with other tools (on Venezuela 2024, González: χ² = 8.21, p = 0.51).
//!
//! Not applicable when fewer than 50 counts reach 10 votes (under 5 expected per digit, Cochran's
//! rule for χ²), or when the median count is below 20 votes: the counts of 10+ are then the steep
//! tail of a distribution that falls by orders of magnitude within one decade, where no smooth
//! null is reliable (methods.md: minor candidates' last digits are not applicable; measured: on
//! Venezuela 2024 the minor candidates with medians of 1–3 votes reject any smooth null).
//!
//! References: Beber, B. & Scacco, A. (2012), "What the Numbers Say: A Digit-Based Test for Election
//! Fraud", *Political Analysis* 20(2):211–234. Mebane, W. & Kalinin, K., EFToolkit (`LastC`).
//! Nigrini, M. (2012), *Benford's Law*, ch. 7 (MAD).

use serde_json::json;

use super::{ForensicTest, Params};
use crate::figure::{file_stem, BarPanel, Figure, FigureSpec};
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::stats::goodness_of_fit::fit;
use crate::tally::Tally;

pub(super) const TEST: ForensicTest = ForensicTest {
    id: "last_digit",
    title: "Last digit of each candidate's counts",
    method: "Honest counts of tens or hundreds of votes end in 0, 1, …, 9 about equally often; people who invent numbers do not (they favour round endings and some pet digits). For every candidate, nationally and per region, the test takes the last digit of each station count of at least 10 votes and compares the digit shares with their expectation by a chi-square test (9 degrees of freedom). The expectation is not a flat 10 % for small counts: counts of 10–99 votes come from a sloped distribution, so low digits are slightly more common even in honest counts. The expectation is therefore computed from a smoothed version of the observed count distribution (this 'smooth-count null' is flat for counts in the hundreds and keeps none of a fabricated 0/5 pattern). The flat-null chi-square is also shown for comparison with other tools. Not applicable when fewer than 50 counts reach 10 votes or when the median count is under 20 votes (minor candidates), and weak for candidates whose counts are mostly below 100. A deviation says that digits are unevenly used, not why.",
    references: "Beber & Scacco (2012), Political Analysis 20(2):211–234; Mebane & Kalinin, EFToolkit (LastC); Nigrini (2012), Benford's Law, ch. 7.",
    run,
};

/// Counts below this are left out (Beber & Scacco 2012; methods.md §9).
pub const MIN_COUNT: u64 = 10;
/// Fewest counts ≥ `MIN_COUNT` for the test: 5 expected per digit.
pub const MIN_N: u64 = 50;
/// Smallest median count (over all stations) for which the smooth-count null is reliable.
pub const MIN_MEDIAN: u64 = 20;
/// Bandwidth (votes) of the Gaussian kernel that smooths the count distribution.
const SMOOTH_SIGMA: f64 = 5.0;
/// Counts at or above this are treated as having uniform last digits under the null.
const SMOOTH_CAP: u64 = 5000;

/// The last-digit statistics of one set of counts.
#[derive(Debug, Clone, PartialEq)]
pub struct LastDigitResult {
    /// Counts ≥ `MIN_COUNT`.
    pub n: u64,
    /// All counts, including those under `MIN_COUNT`.
    pub n_all: u64,
    /// How many counts ≥ `MIN_COUNT` end in each digit.
    pub digit_counts: [u64; 10],
    /// Expected share of each digit under the smooth-count null.
    pub expected: [f64; 10],
    /// χ² against the smooth-count null (df 9) and its p-value.
    pub chi_square: f64,
    pub p_value: f64,
    /// G statistic against the smooth-count null and its p-value.
    pub g: f64,
    pub p_value_g: f64,
    /// Mean absolute deviation of the observed digit shares from the expected ones.
    pub mad: f64,
    /// χ² and p-value against the flat null (0.1 per digit), for parity with other tools.
    pub chi_square_uniform: f64,
    pub p_value_uniform: f64,
    /// Mean last digit of counts ≥ `MIN_COUNT` and of all counts (EFToolkit `LastC`; null 4.5).
    pub mean_last_digit: f64,
    pub mean_last_digit_all: f64,
    /// Median of all counts (including those under `MIN_COUNT`).
    pub median_all: u64,
}

impl LastDigitResult {
    pub fn observed_share(&self) -> [f64; 10] {
        let n = self.n.max(1) as f64;
        self.digit_counts.map(|c| c as f64 / n)
    }
}

/// Expected last-digit shares of counts ≥ `min_count` under a locally smooth count distribution.
pub fn smooth_expected(values: &[u64], min_count: u64) -> [f64; 10] {
    let radius = (4.0 * SMOOTH_SIGMA) as u64;
    let top = SMOOTH_CAP + radius;
    let mut hist = vec![0f64; top as usize];
    let (mut n_mid, mut n_big) = (0u64, 0u64);
    for &v in values {
        if v < top {
            hist[v as usize] += 1.0;
        }
        if v >= SMOOTH_CAP {
            n_big += 1;
        } else if v >= min_count {
            n_mid += 1;
        }
    }
    let kernel: Vec<f64> = (0..=2 * radius)
        .map(|i| {
            let x = i as f64 - radius as f64;
            (-x * x / (2.0 * SMOOTH_SIGMA * SMOOTH_SIGMA)).exp()
        })
        .collect();
    let kernel_sum: f64 = kernel.iter().sum();
    let mut smooth_by_digit = [0f64; 10];
    for v in min_count..SMOOTH_CAP {
        let lo = v.saturating_sub(radius);
        let hi = (v + radius).min(top - 1);
        let mut g = 0.0;
        for u in lo..=hi {
            g += hist[u as usize] * kernel[(u + radius - v) as usize];
        }
        smooth_by_digit[(v % 10) as usize] += g / kernel_sum;
    }
    let smooth_total: f64 = smooth_by_digit.iter().sum();
    let total = (n_mid + n_big) as f64;
    let mut expected = [0.1; 10];
    if total > 0.0 && smooth_total > 0.0 {
        for d in 0..10 {
            expected[d] =
                (n_mid as f64 * smooth_by_digit[d] / smooth_total + n_big as f64 * 0.1) / total;
        }
    }
    expected
}

/// Compute the last-digit statistics of a set of counts.
pub fn compute(values: &[u64]) -> LastDigitResult {
    let mut digit_counts = [0u64; 10];
    let (mut sum_digits, mut sum_all) = (0u64, 0u64);
    for &v in values {
        let d = v % 10;
        sum_all += d;
        if v >= MIN_COUNT {
            digit_counts[d as usize] += 1;
            sum_digits += d;
        }
    }
    let n: u64 = digit_counts.iter().sum();
    let median_all = median(values);
    let expected = smooth_expected(values, MIN_COUNT);
    let smooth = fit(&digit_counts, &expected);
    let flat = fit(&digit_counts, &[0.1; 10]);
    LastDigitResult {
        n,
        n_all: values.len() as u64,
        digit_counts,
        expected,
        chi_square: smooth.chi_square,
        p_value: smooth.p_chi_square,
        g: smooth.g,
        p_value_g: smooth.p_g,
        mad: smooth.mad,
        chi_square_uniform: flat.chi_square,
        p_value_uniform: flat.p_chi_square,
        mean_last_digit: sum_digits as f64 / n.max(1) as f64,
        mean_last_digit_all: sum_all as f64 / values.len().max(1) as f64,
        median_all,
    }
}

/// Median (lower middle for even lengths); 0 for no values.
fn median(values: &[u64]) -> u64 {
    if values.is_empty() {
        return 0;
    }
    let mut v = values.to_vec();
    let mid = (v.len() - 1) / 2;
    *v.select_nth_unstable(mid).1
}

/// 95 % band of a digit's observed share under the null (normal approximation to the binomial).
fn band(expected: &[f64; 10], n: u64) -> (Vec<f64>, Vec<f64>) {
    let n = n.max(1) as f64;
    expected
        .iter()
        .map(|&p| {
            let half = 1.959964 * (p * (1.0 - p) / n).sqrt();
            ((p - half).max(0.0), p + half)
        })
        .unzip()
}

fn panel(r: &LastDigitResult, title: String, caption: String) -> BarPanel {
    let (band_low, band_high) = band(&r.expected, r.n);
    BarPanel {
        title,
        caption,
        x_label: "last digit of the count".into(),
        y_label: "share of counts".into(),
        categories: (0..10).map(|d| d.to_string()).collect(),
        observed: r.observed_share().to_vec(),
        expected: r.expected.to_vec(),
        band_low,
        band_high,
        highlight: r.p_value < 0.001,
    }
}

fn finding(
    subject: &str,
    region: Option<Vec<String>>,
    r: &LastDigitResult,
    figure: Option<String>,
) -> Finding {
    if r.n < MIN_N {
        let reason = format!(
            "only {} of {} station counts reach {MIN_COUNT} votes; the test needs at least {MIN_N} (5 expected per digit)",
            r.n, r.n_all
        );
        return Finding::not_applicable(TEST.id, subject, region, r.n, reason);
    }
    if r.median_all < MIN_MEDIAN {
        let reason = format!(
            "the median count is {} votes (under {MIN_MEDIAN}): counts of {MIN_COUNT}+ are the steep tail of small numbers, whose last digits are not uniform even in honest counts",
            r.median_all
        );
        return Finding::not_applicable(TEST.id, subject, region, r.n, reason);
    }
    let share = r.observed_share();
    let worst = (0..10)
        .max_by(|&a, &b| {
            (share[a] - r.expected[a])
                .abs()
                .total_cmp(&(share[b] - r.expected[b]).abs())
        })
        .unwrap_or(0);
    let where_ = region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default();
    let headline = format!(
        "{subject}{where_}: last digits of {} counts give χ² = {:.1} (df 9) against the smooth-count null, p = {}; the largest gap is digit {worst}, {:.1} % observed vs {:.1} % expected (flat-null p = {}).",
        crate::report::fmt_int(r.n),
        r.chi_square,
        crate::report::fmt_p(r.p_value),
        100.0 * share[worst],
        100.0 * r.expected[worst],
        crate::report::fmt_p(r.p_value_uniform),
    );
    Finding {
        test_id: TEST.id,
        subject: subject.to_string(),
        region,
        n: r.n,
        statistic: Some(Statistic::new("chi_square", r.chi_square)),
        p_value: Some(r.p_value),
        q_value: None,
        p_value_source: Some("chi_square_smooth_null".into()),
        effect_size: Some(Statistic::new("mad", r.mad)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure,
        details: details([
            ("min_count", json!(MIN_COUNT)),
            ("n_all_counts", json!(r.n_all)),
            ("digit_counts", json!(r.digit_counts)),
            ("observed_share", json!(share)),
            ("expected_share", json!(r.expected)),
            (
                "expected_method",
                json!(format!(
                    "smooth-count null, Gaussian kernel sigma = {SMOOTH_SIGMA} votes"
                )),
            ),
            ("df", json!(9)),
            ("g", json!(r.g)),
            ("p_value_g", json!(r.p_value_g)),
            ("chi_square_uniform", json!(r.chi_square_uniform)),
            ("p_value_uniform", json!(r.p_value_uniform)),
            ("mean_last_digit", json!(r.mean_last_digit)),
            ("mean_last_digit_all_counts", json!(r.mean_last_digit_all)),
            ("median_count", json!(r.median_all)),
        ]),
    }
}

/// Most panels in one small-multiples chart; beyond this the lowest p-values are shown.
const MAX_PANELS: usize = 48;

/// Small multiples of one candidate's regions (applicable ones; at most `MAX_PANELS`, those with the
/// lowest p-values, in region order). Returns the figure and the indices of the regions shown.
fn regional_figure(
    candidate: &str,
    level: &str,
    paths: &[Vec<String>],
    results: &[LastDigitResult],
) -> Option<(Figure, Vec<usize>)> {
    let mut shown: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].n >= MIN_N && results[i].median_all >= MIN_MEDIAN)
        .collect();
    if shown.is_empty() {
        return None;
    }
    let applicable = shown.len();
    if applicable > MAX_PANELS {
        shown.sort_by(|&a, &b| results[a].p_value.total_cmp(&results[b].p_value));
        shown.truncate(MAX_PANELS);
        shown.sort_unstable();
    }
    let panels = shown
        .iter()
        .map(|&i| {
            let name = paths[i].last().map(String::as_str).unwrap_or("");
            let title = format!("{name} (n = {})", crate::report::fmt_int(results[i].n));
            panel(&results[i], title, String::new())
        })
        .collect();
    let which = if applicable > MAX_PANELS {
        format!("The {MAX_PANELS} of {applicable} {level}s with the lowest p-values")
    } else {
        format!("One panel per {level}")
    };
    let figure = Figure {
        file_stem: file_stem(&[TEST.id, candidate, "by", level]),
        spec: FigureSpec::SmallMultiples {
            title: format!("Last digits of {candidate}'s counts by {level}"),
            caption: format!("{which} with at least {MIN_N} counts of {MIN_COUNT}+ votes: bars are observed digit shares, dots the smooth-count expectation, grey the 95% chance range. Orange panels have p < 0.001 before multiple-testing correction; with many panels a few fall outside the grey range by chance."),
            panels,
        },
    };
    Some((figure, shown))
}

fn run(tally: &Tally, params: &Params) -> anyhow::Result<TestOutput> {
    let mut out = TestOutput::default();
    for cand in &tally.candidates {
        let national = compute(&cand.votes);
        let applicable = national.n >= MIN_N && national.median_all >= MIN_MEDIAN;
        let mut fig = None;
        if applicable {
            let stem = file_stem(&[TEST.id, &cand.name, "national"]);
            let caption = format!(
                "Bars: share of {}'s {} station counts of at least {MIN_COUNT} votes that end in each digit. Dots: the share expected from honest counting (smooth-count null; 10% for large counts); grey: the range a digit's share takes by chance in 95% of honest elections of this size. χ² = {:.1}, p = {}.",
                cand.name,
                crate::report::fmt_int(national.n),
                national.chi_square,
                crate::report::fmt_p(national.p_value)
            );
            let title = format!(
                "Last digits of {}'s counts (national, n = {})",
                cand.name,
                crate::report::fmt_int(national.n)
            );
            out.figures.push(Figure {
                file_stem: stem.clone(),
                spec: FigureSpec::Bars(panel(&national, title, caption)),
            });
            fig = Some(format!("figures/{stem}.png"));
        }
        out.findings.push(finding(&cand.name, None, &national, fig));
        if !applicable {
            continue;
        }
        for level in tally.regions.iter().take(params.region_depth.max(1)) {
            let mut by_region: Vec<Vec<u64>> = vec![Vec::new(); level.paths.len()];
            for (&code, &v) in level.codes.iter().zip(&cand.votes) {
                by_region[code as usize].push(v);
            }
            let results: Vec<LastDigitResult> = by_region.iter().map(|v| compute(v)).collect();
            let figure = regional_figure(&cand.name, &level.name, &level.paths, &results);
            let fig_path = figure
                .as_ref()
                .map(|(f, _)| format!("figures/{}.png", f.file_stem));
            for (i, (r, path)) in results.iter().zip(&level.paths).enumerate() {
                let shown = figure.as_ref().is_some_and(|(_, shown)| shown.contains(&i));
                let fig = if shown { fig_path.clone() } else { None };
                out.findings
                    .push(finding(&cand.name, Some(path.clone()), r, fig));
            }
            out.figures.extend(figure.map(|(f, _)| f));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Binomial, Distribution};

    #[test]
    fn venezuela_vector_flat_null() {
        // methods.md §10 item 10: González's last-digit counts (counts ≥ 10); rebuild values with
        // those digits in the hundreds so the smooth null is flat.
        let digits = [
            2493u64, 2389, 2496, 2461, 2458, 2432, 2497, 2453, 2354, 2472,
        ];
        let values: Vec<u64> = digits
            .iter()
            .enumerate()
            .flat_map(|(d, &k)| (0..k).map(move |i| 300 + 10 * (i % 20) + d as u64))
            .collect();
        let r = compute(&values);
        assert_eq!(r.n, 24505);
        assert_eq!(r.digit_counts, digits);
        assert!((r.chi_square_uniform - 8.2066925117).abs() < 1e-9);
        assert!(
            r.expected.iter().all(|e| (e - 0.1).abs() < 1e-3),
            "{:?}",
            r.expected
        );
        assert!((r.p_value - r.p_value_uniform).abs() < 0.05);
    }

    #[test]
    fn small_counts_have_a_sloped_null_and_honest_counts_pass() {
        // A small party: Binomial(600, 0.04) votes per station, mean 24. Honest counts, but the flat
        // null rejects because low last digits dominate among counts just above 10.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let sizes: Vec<u64> = (0..40_000).map(|_| rng.random_range(300..900)).collect();
        let votes: Vec<u64> = sizes
            .iter()
            .map(|&n| Binomial::new(n, 0.04).unwrap().sample(&mut rng))
            .collect();
        let r = compute(&votes);
        assert!(r.median_all >= MIN_MEDIAN, "median {}", r.median_all);
        assert!(
            r.expected[0] > 0.1 && r.expected[9] < 0.1,
            "{:?}",
            r.expected
        );
        assert!(r.p_value > 0.001, "smooth null p = {}", r.p_value);
    }

    #[test]
    fn invented_digits_are_detected() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let votes: Vec<u64> = (0..3000)
            .map(|_| {
                let base = rng.random_range(100..600u64);
                // a person rounding a third of the counts to 0 or 5
                if rng.random_bool(0.33) {
                    base - base % 5
                } else {
                    base
                }
            })
            .collect();
        let r = compute(&votes);
        assert!(r.p_value < 1e-10, "p = {}", r.p_value);
        assert!(r.mad > 0.02);
    }

    #[test]
    fn too_few_counts_is_not_applicable() {
        let r = compute(&[3, 5, 12, 40, 7]);
        let f = finding("Tiny", None, &r, None);
        assert_eq!(f.verdict, Verdict::NotApplicable);
        assert!(f.reason.unwrap().contains("only 2 of 5"));
    }

    #[test]
    fn false_positive_rate_is_nominal_on_honest_small_and_large_parties() {
        // 200 honest elections of 3,000 stations; a large (45 %) and a small (4 %, median ≈ 25
        // votes) party.
        let mut rejections = [0u32; 2];
        for seed in 0..200u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            for (k, share) in [0.45, 0.04].iter().enumerate() {
                let votes: Vec<u64> = (0..3000)
                    .map(|_| {
                        let n = rng.random_range(200..1200);
                        let p = (share * (1.0 + 0.3 * (rng.random::<f64>() - 0.5))).min(0.99);
                        Binomial::new(n, p).unwrap().sample(&mut rng)
                    })
                    .collect();
                if compute(&votes).p_value < 0.05 {
                    rejections[k] += 1;
                }
            }
        }
        // Nominal 5 %: 10 of 200; allow binomial noise (upper 99.9 % ≈ 22).
        assert!(
            rejections[0] <= 22 && rejections[1] <= 22,
            "rejections at 5 %: {rejections:?} of 200"
        );
    }
}
