//! `last_two_digits`: are the last two digits of each candidate's larger counts uniform (00–99)?
//!
//! Honest counts of hundreds of votes end in each of the 100 two-digit endings about equally often
//! (1 % each); invented numbers do not (round endings like 00 and 50, repeated-digit avoidance,
//! favourite endings). The pair structure that the last-digit test cannot see (e.g. a person who
//! writes 47 often but 74 rarely) shows here. We test the last two digits of counts ≥ 100
//! (methods.md §8–9: ≥ 100; benford_py's last-two-digits test uses ≥ 1000, which would leave
//! almost no polling-station counts — station counts rarely reach 1000 — so we use ≥ 100, where the
//! ending is still two of at least three digits; the tilt this brings is handled below).
//!
//! **Calibration and the tilt of counts just above 100.** Counts of 100–199 often come from a
//! steep part of the count distribution (a candidate with a median of 124 votes has about twice as
//! many counts of 100–119 as of 180–199), so low endings are more common even in honest counts:
//! on Venezuela 2024, Maduro's endings 00–09 hold 15 % of his counts ≥ 100 and 90–99 hold 5 %,
//! χ² = 1552 against 1 % each. Two p-values are computed, and the verdict uses the larger:
//!
//! 1. *Simulation-calibrated*: the χ² of the endings against the expectation of the shared
//!    last-two-digit null (`digit_null`), referred to a scaled χ² matched to the simulated mean and
//!    variance (one-sided). A null rebuilt from the counts of the whole dataset can miss the tilt of
//!    one group: measured on Venezuela 2024, a N(0, 50²) jitter gave Maduro a simulated mean χ² of
//!    912 against 1552 observed (p ≈ 10⁻¹⁷), and a within-century model fitted to the national
//!    counts gave p ≈ 10⁻¹² in Zulia and 10⁻⁷ in Sucre, where the flat-null χ² is 92 (p = 0.68).
//! 2. *Trend-adjusted*: the expected count of ending e is a smooth log-quadratic tilt
//!    exp(b₀ + b₁x + b₂x²), x = (e − 49.5)/100, fitted by Poisson maximum likelihood (a truncated
//!    exponential count tail gives exactly a log-linear tilt), and the χ² against it has df 97.
//!    Invented endings (spikes at 00, 50 or multiples of 5, favourite or avoided endings) are not
//!    smooth in e and stay in this χ²; a tilt does not (Maduro: χ² = 120.7, p = 0.05).
//!
//! The larger of two p-values is valid when either null is right (P(max ≤ α) ≤ α). The effect size
//! is the excess MAD against the fitted tilt (Barney & Schulzke 2016: MAD − E(MAD),
//! E(MAD) = 1/√(C·n), C = 158.67 for 100 equal cells), N-independent where the raw MAD of 100
//! cells is dominated by noise; χ², G, MAD and asymptotic p against a flat 1 % are in the details.
//! The chart shows the fitted tilt as the expectation and the simulated 95 % range around it.
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
use super::ForensicTest;
use crate::figure::BarPanel;
use crate::finding::{details, Finding, Statistic, TestOutput, Verdict};
use crate::report::{fmt_int, fmt_p};
use crate::stats::goodness_of_fit::{chi_square_sf, fit};
use crate::stats::proportions::wilson;

pub(super) const TEST: ForensicTest = ForensicTest {
    id: "last_two_digits",
    title: "Last two digits of each candidate's counts",
    method: "Honest counts of hundreds of votes end in each of the 100 endings 00, 01, …, 99 about equally often (1% each); numbers made up by people do not (round endings such as 00 and 50, avoided repeats, favourite endings). For every candidate (and the registered-voter counts), nationally and per region, the test takes the last two digits of every station count of at least 100 (benford_py uses 1000, which polling-station counts rarely reach) and compares the 100 shares with their expectation by a chi-square test. Honest counts of 100–199 often tilt the endings towards low values, because counts just above 100 are more frequent than counts just below 200 for mid-sized candidates; a smooth tilt across the endings is therefore fitted and discounted, while spikes and gaps (what invented numbers produce) are not. The verdict needs both this tilt-adjusted chi-square and a chi-square calibrated by simulating honest counts to reject. Not applicable below 500 counts of at least 100 (5 expected per ending) or when the median count is under 20. A deviation says that endings are unevenly used, not why.",
    references: "Beber & Scacco (2012), Political Analysis 20(2):211–234; Nigrini (2012), Benford's Law, ch. 8; Barney & Schulzke (2016), Journal of Forensic Accounting Research (excess MAD).",
    run,
};

/// Counts below this are left out (methods.md §9; benford_py uses 1000).
pub const MIN_COUNT: u64 = 100;
/// Fewest counts ≥ `MIN_COUNT`: 5 expected per ending.
pub const MIN_N: u64 = 500;
/// Degrees of freedom of the χ² against the fitted tilt (100 cells − 3 parameters).
pub const DF_TREND: f64 = 97.0;
const UNIFORM: [f64; 100] = [0.01; 100];

/// Expected counts of the 100 endings under a log-quadratic tilt exp(b₀ + b₁x + b₂x²),
/// x = (e − 49.5)/100, fitted by Poisson maximum likelihood (iteratively reweighted least squares;
/// the fitted counts sum to n). All zeros for an empty histogram.
pub fn trend_fit(counts: &[u64; 100]) -> [f64; 100] {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return [0.0; 100];
    }
    let x = |e: usize| (e as f64 - 49.5) / 100.0;
    let row = |e: usize| [1.0, x(e), x(e) * x(e)];
    let mut beta = [(n as f64 / 100.0).ln(), 0.0, 0.0];
    let eta = |b: &[f64; 3], e: usize| b[0] + b[1] * x(e) + b[2] * x(e) * x(e);
    for _ in 0..100 {
        // Normal equations (Xᵀ W X) β' = Xᵀ W z with W = μ, z = η + (y − μ)/μ.
        let (mut a, mut r) = ([[0.0f64; 3]; 3], [0.0f64; 3]);
        for (e, &y) in counts.iter().enumerate() {
            let (v, xe) = (eta(&beta, e), row(e));
            let mu = v.exp();
            let z = v + (y as f64 - mu) / mu;
            for i in 0..3 {
                r[i] += mu * xe[i] * z;
                for j in 0..3 {
                    a[i][j] += mu * xe[i] * xe[j];
                }
            }
        }
        let Some(next) = solve3(a, r) else { break };
        let change = (0..3)
            .map(|i| (next[i] - beta[i]).abs())
            .fold(0.0, f64::max);
        beta = next;
        if change < 1e-12 {
            break;
        }
    }
    std::array::from_fn(|e| eta(&beta, e).exp())
}

/// Solve a 3×3 linear system by Gaussian elimination with partial pivoting.
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for c in 0..3 {
        let p = (c..3).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..3 {
            let (pivot, f) = (a[c], a[r][c] / a[c][c]);
            for (x, p) in a[r].iter_mut().zip(pivot).skip(c) {
                *x -= f * p;
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; 3];
    for c in (0..3).rev() {
        x[c] = (b[c] - (c + 1..3).map(|k| a[c][k] * x[k]).sum::<f64>()) / a[c][c];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The analytic last-two-digit statistics of one histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct LastTwoResult {
    pub n: u64,
    pub counts: [u64; 100],
    /// Against 1 % each (df 99): χ², asymptotic p, G and its p, MAD.
    pub chi_square: f64,
    pub p_value: f64,
    pub g: f64,
    pub p_value_g: f64,
    pub mad: f64,
    /// Expected shares under the fitted tilt; χ² against them (df 97) and its p-value.
    pub trend: [f64; 100],
    pub chi_square_trend: f64,
    pub p_value_trend: f64,
    /// MAD and excess MAD of the observed shares against the fitted tilt (the effect size).
    pub mad_trend: f64,
    pub excess_mad_trend: f64,
    /// The ending furthest from the fitted tilt (lowest ending on ties) and its share, Wilson CI.
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
    let mu = trend_fit(&counts);
    let trend = mu.map(|m| m / nf);
    let chi_square_trend: f64 = counts
        .iter()
        .zip(&mu)
        .filter(|(_, &m)| m > 0.0)
        .map(|(&o, &m)| (o as f64 - m).powi(2) / m)
        .sum();
    let gap = |k: usize| (counts[k] as f64 / nf - trend[k]).abs();
    let mad_trend = (0..100).map(gap).sum::<f64>() / 100.0;
    let worst = (0..100)
        .max_by(|&a, &b| gap(a).total_cmp(&gap(b)).then(b.cmp(&a)))
        .unwrap_or(0);
    LastTwoResult {
        n,
        counts,
        chi_square: f.chi_square,
        p_value: f.p_chi_square,
        g: f.g,
        p_value_g: f.p_g,
        mad: f.mad,
        trend,
        chi_square_trend,
        p_value_trend: chi_square_sf(chi_square_trend, DF_TREND),
        mad_trend,
        excess_mad_trend: excess_mad(mad_trend, &UNIFORM, n),
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
    let p = cal.p.max(r.p_value_trend);
    let where_ = g
        .region
        .as_ref()
        .map(|p| format!(" in {}", p.join(" > ")))
        .unwrap_or_default();
    let headline = format!(
        "{}{where_}: the last two digits of {} counts of at least {MIN_COUNT} give χ² = {:.1} (df 97) around a smooth tilt across the endings, p = {}, and a simulation-calibrated p = {} (the verdict uses the larger); the ending furthest from expectation is \"{:02}\" at {:.2}% (95% CI {:.2}–{:.2}%) against {:.2}% expected (flat-null χ² = {:.1}, df 99).",
        subject.name,
        fmt_int(r.n),
        r.chi_square_trend,
        fmt_p(r.p_value_trend),
        fmt_p(cal.p),
        r.worst,
        100.0 * r.worst_share,
        100.0 * r.worst_ci.0,
        100.0 * r.worst_ci.1,
        100.0 * r.trend[r.worst],
        r.chi_square,
    );
    Finding {
        test_id: TEST.id,
        subject: subject.name.clone(),
        region: g.region.clone(),
        n: r.n,
        statistic: Some(Statistic::new("chi_square_trend", r.chi_square_trend)),
        p_value: Some(p),
        q_value: None,
        p_value_source: Some(format!(
            "larger of: chi-square against a fitted log-quadratic tilt across the endings (asymptotic, df 97), and {}",
            digit_findings::source(true, g.replicates)
        )),
        effect_size: Some(Statistic::new("excess_mad_vs_trend", r.excess_mad_trend)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("min_count", json!(MIN_COUNT)),
            ("ending_counts", json!(r.counts.to_vec())),
            ("expected_share_trend", json!(r.trend.to_vec())),
            ("df_trend", json!(DF_TREND)),
            ("p_value_trend", json!(r.p_value_trend)),
            ("p_value_calibrated", json!(cal.p)),
            ("p_value_empirical", json!(cal.p_empirical)),
            ("chi_square_calibrated", json!(g.stat(Stat::Last2Chi2))),
            ("simulated_mean", json!(cal.sim_mean)),
            ("simulated_sd", json!(cal.sim_sd)),
            ("chi_square_uniform", json!(r.chi_square)),
            ("df_uniform", json!(99)),
            ("p_value_uniform_asymptotic", json!(r.p_value)),
            ("g_uniform", json!(r.g)),
            ("p_value_g_uniform", json!(r.p_value_g)),
            ("mad_uniform", json!(r.mad)),
            ("mad_trend", json!(r.mad_trend)),
            ("worst_ending", json!(format!("{:02}", r.worst))),
            ("worst_ending_share", json!(r.worst_share)),
            ("worst_ending_ci95", json!([r.worst_ci.0, r.worst_ci.1])),
            ("share_00_or_50", json!(r.round_share)),
            ("median_count", json!(g.median_all)),
        ]),
    }
}

fn panel(g: &GroupNull, title: String) -> BarPanel {
    let trend = analyse(&g.observed).trend;
    let sd: Vec<f64> = g.band_last2.iter().map(|m| 1.959964 * m.sd()).collect();
    BarPanel {
        title,
        caption: String::new(),
        x_label: "last two digits of the count".into(),
        y_label: "share of counts".into(),
        categories: (0..100).map(|k| format!("{k:02}")).collect(),
        observed: shares(&g.observed.last2_ge100).to_vec(),
        expected: trend.to_vec(),
        band_low: trend
            .iter()
            .zip(&sd)
            .map(|(t, s)| (t - s).max(0.0))
            .collect(),
        band_high: trend.iter().zip(&sd).map(|(t, s)| t + s).collect(),
        highlight: false,
        expected_label: "expected (smooth trend across endings)".into(),
        band_label: "95% range of simulated honest counts".into(),
    }
}

const SPEC: DigitTestSpec = DigitTestSpec {
    id: "last_two_digits",
    chart: "Last two digits",
    accepts: |_| true,
    applicable,
    finding,
    panel: Some(panel),
    caption: "Bars: share of {subject}'s station counts of at least 100 that end in each two-digit ending 00–99. Dots: the share expected from honest counting, 1% tilted smoothly where counts just above 100 are more frequent than counts just below 200; grey: the range an ending's share takes in 95% of simulated honest elections of this size. Spikes and gaps, not the tilt, are what invented numbers leave.",
};

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    Ok(digit_findings::run(b, &SPEC))
}

#[cfg(test)]
mod tests {
    use super::super::last_digit_mean::synthetic_tally;
    use super::*;
    use rand::{RngExt, SeedableRng};

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
        // MAD = (0.09 + 99·(0.01 − 10/1100)) / 100.
        let mad = (0.09 + 99.0 * (0.01 - 10.0 / 1100.0)) / 100.0;
        assert!((r.mad - mad).abs() < 1e-12);
        // A spike is not a smooth tilt: it stays in the trend-adjusted χ² (at the edge ending 00
        // the quadratic bends towards it and absorbs about half; value checked with numpy IRLS).
        assert_eq!(r.worst, 0);
        assert!((r.worst_share - 0.1).abs() < 1e-12);
        assert!(
            (r.chi_square_trend - 459.5451728568).abs() < 1e-6,
            "{}",
            r.chi_square_trend
        );
        assert!(r.p_value_trend < 1e-40);
        assert!((r.round_share - 120.0 / 1100.0).abs() < 1e-12);
        // Counts below 100 are not in the histogram.
        let mut h = DigitHist::default();
        h.add(99, 1000);
        h.add(100, 1000);
        assert_eq!(analyse(&h).n, 1);
    }

    #[test]
    fn trend_fit_recovers_a_log_quadratic_tilt_exactly() {
        let x = |e: usize| (e as f64 - 49.5) / 100.0;
        let want: [f64; 100] =
            std::array::from_fn(|e| (5.0 - 1.2 * x(e) + 0.4 * x(e) * x(e)).exp());
        // Counts scaled ×1000 and rounded: the fit returns the tilt to rounding precision.
        let counts = want.map(|w| (1000.0 * w).round() as u64);
        let mu = trend_fit(&counts);
        for e in 0..100 {
            assert!((mu[e] / (1000.0 * want[e]) - 1.0).abs() < 1e-4, "{e}");
        }
        let total: f64 = mu.iter().sum();
        assert!((total - counts.iter().sum::<u64>() as f64).abs() < 1e-6);
        // Uniform endings: flat fit, zero χ², excess MAD below zero.
        let h = DigitHist {
            last2_ge100: [7; 100],
            ..Default::default()
        };
        let r = analyse(&h);
        assert!(r.chi_square == 0.0 && r.chi_square_trend < 1e-12);
        assert!(r.trend.iter().all(|t| (t - 0.01).abs() < 1e-12));
        assert!(r.excess_mad_trend < 0.0);
        assert_eq!(trend_fit(&[0; 100]), [0.0; 100]);
    }

    #[test]
    fn a_steep_honest_tail_is_a_tilt_not_a_deviation() {
        // Counts ≥ 100 from a geometric tail with a decay length of 60 votes (like a candidate
        // whose counts peak around 100): endings 00–09 are far more common than 90–99.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut h = DigitHist::default();
        while h.last2_ge100.iter().sum::<u32>() < 15_000 {
            let u: f64 = rng.random();
            h.add_last2(100 + (-60.0 * u.ln()) as u64);
        }
        let r = analyse(&h);
        assert!(r.p_value < 1e-50, "flat-null p {}", r.p_value);
        assert!(r.p_value_trend > 0.001, "trend p {}", r.p_value_trend);
        assert!(r.excess_mad_trend.abs() < 0.0005, "{}", r.excess_mad_trend);
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
        let get = |region: &str| {
            out.findings
                .iter()
                .find(|f| f.subject == "Big" && f.region_label() == region)
                .unwrap()
        };
        assert!(
            get("South").p_value.unwrap() < 1e-6,
            "{}",
            get("South").headline
        );
        assert!(
            get("North").p_value.unwrap() > 0.001,
            "{}",
            get("North").headline
        );
    }
}
