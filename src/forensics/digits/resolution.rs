//! Can the digit nulls be trusted at this size? A cheap self-check of the smooth-count idea on the
//! data's own counts.
//!
//! The last-digit nulls assume that the counts' distribution is smooth over a few votes (a
//! Gaussian kernel of σ = 5 votes, `laws::SMOOTH_SIGMA`); the leading-digit null resamples counts
//! binomially, which blurs them over a similar width. Where the counts are small and their
//! distribution is steep or lumpy at that scale (a 7 % party whose median count is 20), the
//! blurred expectation is itself off by a small amount — invisible at 3,000 stations, decisive at
//! a million: on a clean 1,000,000-station election the mean last digit of such a party was 4.168
//! against 4.204 simulated (z ≈ 11).
//!
//! The check: each further smoothing of the count histogram by a kernel of variance σ² moves a
//! digit functional by about as much as the null's own smoothing moved it away from the truth (the
//! kernel's bias is (σ²/2)·f″ to first order, and every added σ² adds the same again; the
//! "twicing" estimate of a smoother's bias, Tukey 1977, *Exploratory Data Analysis*, ch. 16;
//! Stuetzle & Mittal 1979). The shift is measured between variances 2σ² and 3σ², not σ² and 2σ²,
//! so that fine structure of period 10 or less — invented digits, the very signal of the tests —
//! is already smoothed away on both sides and does not make a manipulated election "unresolvable".
//! For the second digit only counts under 100 are smoothed (there the second digit is the units
//! digit); larger counts enter as they are, because a pile-up every 50 or 100 votes is what the
//! second-digit law looks for, not a limit of its null. That shift, in units of the statistic's
//! sampling SD at the group's number of counts, is the bias z. Where it exceeds `MAX_BIAS_Z` the test's null cannot
//! resolve the data at this size: the findings are not applicable with the reason, never
//! `deviates`. The check costs one pass over the distinct counts per group, no simulation.
//!
//! What it cannot see: fine structure that the twice-smoothed histogram shares with the once-
//! smoothed one (a lattice the data repeat at every scale), and the binomial null's own shape
//! beyond its width.

use crate::forensics::digits::laws::{second_digit, SMOOTH_SIGMA};

/// Largest bias z (shift of the expectation over the statistic's SD) a test may carry.
pub const MAX_BIAS_Z: f64 = 0.5;
/// Counts at or above this are taken as they are (their digits are not affected by a few votes).
const CAP: u64 = 5000;

/// The worst bias z of each family in one group.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Resolution {
    /// Last digit of counts ≥ 10: the mean, the 0/5 share and the χ² (as noncentrality over its
    /// SD). Pair shares are left out: they depend on the tens digit, so counts piled every 50
    /// votes — invented numbers — would move them and read as a limit of the null.
    pub last: f64,
    /// Second digit of counts ≥ 10: the mean and the χ².
    pub second: f64,
}

/// Digit functionals of a (possibly smoothed) histogram of counts ≥ 10.
#[derive(Debug, Clone, Copy, Default)]
struct Functionals {
    last: [f64; 10],
    second: [f64; 10],
    n: f64,
}

impl Functionals {
    fn add(&mut self, v: u64, w: f64) {
        if v < 10 || w == 0.0 {
            return;
        }
        self.last[(v % 10) as usize] += w;
        self.second[second_digit(v) as usize] += w;
        self.n += w;
    }

    fn normalised(mut self) -> Functionals {
        if self.n > 0.0 {
            let n = self.n;
            self.last = self.last.map(|x| x / n);
            self.second = self.second.map(|x| x / n);
        }
        self
    }
}

/// The functionals of the `distinct` counts (value, multiplicity) smoothed with a Gaussian of `sigma`
/// votes below `cap`, exact above.
fn smoothed(distinct: &[(u64, f64)], sigma: f64, cap: u64) -> Functionals {
    let radius = (4.0 * sigma).ceil() as u64;
    let kernel: Vec<f64> = (0..=2 * radius)
        .map(|i| {
            let x = i as f64 - radius as f64;
            (-x * x / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let total: f64 = kernel.iter().sum();
    let mut f = Functionals::default();
    for &(u, m) in distinct {
        if u >= cap {
            f.add(u, m);
            continue;
        }
        for (j, w) in kernel.iter().enumerate() {
            // Reflected at 0, as the null's jitter is.
            let v = (u as i64 + j as i64 - radius as i64).unsigned_abs();
            f.add(v, m * w / total);
        }
    }
    f.normalised()
}

/// Bias z of one share p̂ moved by `d` at n counts.
fn share_z(p: f64, d: f64, n: f64) -> f64 {
    let var = p * (1.0 - p) / n;
    if var > 0.0 {
        d.abs() / var.sqrt()
    } else {
        0.0
    }
}

/// Bias z of a digit distribution moved from `p` to `q` at n counts: the worst of the mean's
/// shift and the χ² noncentrality n·Σ(p − q)²/p over the χ²'s SD √(2·df).
fn digits_z(p: &[f64; 10], q: &[f64; 10], n: f64) -> f64 {
    let mean = |x: &[f64; 10]| (0..10).map(|d| d as f64 * x[d]).sum::<f64>();
    let m = mean(p);
    let var = (0..10).map(|d| (d as f64 - m).powi(2) * p[d]).sum::<f64>() / n;
    let z_mean = if var > 0.0 {
        (mean(p) - mean(q)).abs() / var.sqrt()
    } else {
        0.0
    };
    let lambda: f64 = n
        * (0..10)
            .filter(|&d| p[d] > 0.0)
            .map(|d| (p[d] - q[d]).powi(2) / p[d])
            .sum::<f64>();
    z_mean.max(lambda / (2.0 * 9.0f64).sqrt())
}

/// The resolution check of one group's counts.
pub fn check(counts: &[u64]) -> Resolution {
    let mut sorted: Vec<u64> = counts.to_vec();
    sorted.sort_unstable();
    let mut distinct: Vec<(u64, f64)> = Vec::new();
    for v in sorted {
        match distinct.last_mut() {
            Some((u, m)) if *u == v => *m += 1.0,
            _ => distinct.push((v, 1.0)),
        }
    }
    let n = counts.iter().filter(|&&c| c >= 10).count() as f64;
    if n < 1.0 {
        return Resolution::default();
    }
    let (s2, s3) = (SMOOTH_SIGMA * 2f64.sqrt(), SMOOTH_SIGMA * 3f64.sqrt());
    let once = smoothed(&distinct, s2, CAP);
    let twice = smoothed(&distinct, s3, CAP);
    // Second digits: only the counts whose smoothing stays below 100 (a spike at 100, 150, ... is
    // what the second-digit law looks for; it must not leak into the check).
    let small_cap = 100 - (4.0 * s3).ceil() as u64;
    let (once2, twice2) = (
        smoothed(&distinct, s2, small_cap),
        smoothed(&distinct, s3, small_cap),
    );
    let c05 = |f: &Functionals| f.last[0] + f.last[5];
    let last =
        digits_z(&once.last, &twice.last, n).max(share_z(c05(&once), c05(&once) - c05(&twice), n));
    Resolution {
        last,
        second: digits_z(&once2.second, &twice2.second, n),
    }
}

/// The reason a test of `family` ("last-digit" or "second-digit") cannot be calibrated here.
pub fn reason(what: &str, z: f64, n: u64) -> String {
    format!(
        "{what}at {} counts the smooth-count null cannot resolve these data: smoothing the counts over a few more votes moves the expected statistic by {z:.1} times its sampling SD (the limit is {MAX_BIAS_Z}), so the null itself would be off by about that much — small counts with a steep or lumpy distribution, which honest elections produce; the same test applies at fewer counts (the regions) or to larger counts",
        crate::text::fmt_int(n)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widely_spread_counts_pass_and_small_steep_counts_at_scale_do_not() {
        // Counts spread evenly over 100..=1,099: smoothing changes nothing (up to the edges).
        let wide: Vec<u64> = (0..20_000).map(|i| 100 + i % 1000).collect();
        let r = check(&wide);
        assert!(r.last < 0.2 && r.second < 0.2, "{r:?}");
        // Invented counts, all multiples of 10 or 50: the pattern the tests look for is not
        // read as a limit of the null.
        let invented: Vec<u64> = (0..5_000)
            .map(|i| {
                if i % 3 == 0 {
                    10 * (3 + i % 7)
                } else {
                    100 + 50 * (i % 17)
                }
            })
            .collect();
        let r = check(&invented);
        assert!(r.last < MAX_BIAS_Z && r.second < MAX_BIAS_Z, "{r:?}");
        // A steep exponential fall from 10 (scale 4 votes): further smoothing visibly shifts the
        // last digits of the smallest counts; at a million counts that is many SDs.
        let steep = |n: usize| -> Vec<u64> {
            (0..n)
                .map(|i| 10 + ((-(1.0 - (i as f64 + 0.5) / n as f64).ln()) * 4.0) as u64)
                .collect()
        };
        let big = check(&steep(1_000_000));
        assert!(big.last > MAX_BIAS_Z && big.second > MAX_BIAS_Z, "{big:?}");
        // The bias z grows as √n: a thousandth of the counts gives about a thirtieth of it.
        let small = check(&steep(1_000));
        assert!(small.last < big.last / 20.0, "{small:?} {big:?}");
    }

    #[test]
    fn shares_and_digit_shifts_are_scaled_by_their_sd() {
        // p = 0.2 moved by 0.01 at n = 1,600: SD 0.01, z = 1.
        assert!((share_z(0.2, 0.01, 1600.0) - 1.0).abs() < 1e-12);
        let p = [0.1; 10];
        assert_eq!(digits_z(&p, &p, 1000.0), 0.0);
    }
}
