//! Digit extraction, digit laws and digit statistics shared by the digit tests.
//!
//! - Benford's first-digit law P(d) = log10(1 + 1/d), d = 1..9, and second-digit law
//!   P(d) = Σ_{k=1..9} log10(1 + 1/(10k + d)), d = 0..9 (Benford 1938; Hill 1995), computed from
//!   the formulas (methods.md §3.1: never hard-code rounded tables). E[D2] = 4.18738970693.
//! - Nigrini's MAD conformity bands (Nigrini 2012, *Benford's Law*, Table 7.1; benford_py constants):
//!   first digit 0.006 / 0.012 / 0.015, second digit 0.008 / 0.010 / 0.012.
//! - Excess MAD (Barney & Schulzke 2016): MAD − E(MAD), E(MAD) = 1/√(C·N),
//!   C = πK² / (2 (Σ √(p_k(1 − p_k)))²): 18.131 (1BL), 17.518 (2BL), 17.453 (uniform, 10 digits).
//! - Per-digit Z (Nigrini): Z = (|p̂ − p| − 1/(2N)) / √(p(1 − p)/N), the continuity correction
//!   applied only when 1/(2N) < |p̂ − p| (benford_py and benford.analysis always subtract it, which
//!   gives negative Z; methods.md §8 and §10 item 2).
//! - `DigitHist`: every digit count the digit tests need, from one pass over a set of counts.

/// Benford first-digit probabilities, d = 1..9 (index 0 is digit 1).
pub fn benford_first() -> [f64; 9] {
    std::array::from_fn(|i| (1.0 + 1.0 / (i as f64 + 1.0)).log10())
}

/// Benford second-digit probabilities, d = 0..9.
pub fn benford_second() -> [f64; 10] {
    std::array::from_fn(|d| {
        (1..=9)
            .map(|k| (1.0 + 1.0 / (10.0 * k as f64 + d as f64)).log10())
            .sum()
    })
}

/// Mean of a digit distribution over digits `first..`.
pub fn mean_digit(p: &[f64], first: usize) -> f64 {
    p.iter()
        .enumerate()
        .map(|(i, p)| (i + first) as f64 * p)
        .sum()
}

/// Variance of a digit distribution over digits `first..`.
pub fn var_digit(p: &[f64], first: usize) -> f64 {
    let m = mean_digit(p, first);
    p.iter()
        .enumerate()
        .map(|(i, p)| ((i + first) as f64 - m).powi(2) * p)
        .sum()
}

/// Nigrini's conformity label for a MAD value.
pub fn nigrini_conformity(mad: f64, bands: [f64; 3]) -> &'static str {
    if mad <= bands[0] {
        "close conformity"
    } else if mad <= bands[1] {
        "acceptable conformity"
    } else if mad <= bands[2] {
        "marginally acceptable conformity"
    } else {
        "nonconformity"
    }
}

/// Nigrini's bands for the first digit and the second digit.
pub const NIGRINI_FIRST: [f64; 3] = [0.006, 0.012, 0.015];
pub const NIGRINI_SECOND: [f64; 3] = [0.008, 0.010, 0.012];

/// Barney & Schulzke's constant C for expected proportions `p`.
pub fn excess_mad_constant(p: &[f64]) -> f64 {
    let s: f64 = p.iter().map(|p| (p * (1.0 - p)).sqrt()).sum();
    std::f64::consts::PI * (p.len() as f64).powi(2) / (2.0 * s * s)
}

/// Excess MAD = MAD − 1/√(C·N).
pub fn excess_mad(mad: f64, p: &[f64], n: u64) -> f64 {
    mad - 1.0 / (excess_mad_constant(p) * n.max(1) as f64).sqrt()
}

/// Nigrini's per-digit Z with the conditional continuity correction.
pub fn nigrini_z(observed_share: f64, expected: f64, n: u64) -> f64 {
    let n = n.max(1) as f64;
    let diff = (observed_share - expected).abs();
    let cc = 1.0 / (2.0 * n);
    let num = if cc < diff { diff - cc } else { diff };
    num / (expected * (1.0 - expected) / n).sqrt()
}

/// The analytic fit of observed digit counts to a digit law (Benford's first- or second-digit law):
/// Pearson χ² and G with their asymptotic p-values, MAD with Nigrini's label, excess MAD and the
/// per-digit Z. Shared by `benford_first_digit` and `benford_second_digit`.
#[derive(Debug, Clone, PartialEq)]
pub struct LawFit<const K: usize> {
    /// Counts used.
    pub n: u64,
    /// How many counts have each digit.
    pub digit_counts: [u64; K],
    /// The law's probabilities.
    pub expected: [f64; K],
    /// Pearson χ² and its asymptotic p-value, with df = K − 1 unless sparse digits were pooled.
    pub chi_square: f64,
    pub df: usize,
    pub p_value: f64,
    /// G statistic and its asymptotic p-value.
    pub g: f64,
    pub p_value_g: f64,
    /// Mean absolute deviation of the shares, Nigrini's label, and the excess MAD.
    pub mad: f64,
    pub conformity: &'static str,
    pub excess_mad: f64,
    /// Nigrini's per-digit Z (conditional continuity correction).
    pub z: [f64; K],
}

impl<const K: usize> LawFit<K> {
    /// Fit digit counts to a law with Nigrini's `bands`.
    pub fn new(digit_counts: &[u64; K], expected: [f64; K], bands: [f64; 3]) -> LawFit<K> {
        let f = crate::stats::goodness_of_fit::fit(digit_counts, &expected);
        let n = f.n;
        let share = digit_counts.map(|c| c as f64 / n.max(1) as f64);
        LawFit {
            n,
            digit_counts: *digit_counts,
            expected,
            chi_square: f.chi_square,
            df: f.cells.saturating_sub(1),
            p_value: f.p_chi_square,
            g: f.g,
            p_value_g: f.p_g,
            mad: f.mad,
            conformity: nigrini_conformity(f.mad, bands),
            excess_mad: excess_mad(f.mad, &expected, n),
            z: std::array::from_fn(|d| nigrini_z(share[d], expected[d], n)),
        }
    }

    pub fn observed_share(&self) -> [f64; K] {
        let n = self.n.max(1) as f64;
        self.digit_counts.map(|c| c as f64 / n)
    }

    /// The fit's fields for a finding's `details`, in results.json order.
    pub fn details(&self, law: &str) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        crate::finding::details([
            ("digit_counts", json!(self.digit_counts.as_slice())),
            ("observed_share", json!(self.observed_share().as_slice())),
            ("expected_share", json!(self.expected.as_slice())),
            ("expected_method", json!(law)),
            ("df", json!(self.df)),
            ("p_value_asymptotic", json!(self.p_value)),
            ("g", json!(self.g)),
            ("p_value_g", json!(self.p_value_g)),
            ("mad", json!(self.mad)),
            ("nigrini_conformity", json!(self.conformity)),
            ("excess_mad", json!(self.excess_mad)),
            ("nigrini_z", json!(self.z.as_slice())),
        ])
    }
}

/// First significant digit (1..9) of a positive count.
pub fn first_digit(mut v: u64) -> u64 {
    while v >= 10 {
        v /= 10;
    }
    v
}

/// First digit × 16 + second digit of every count below 10,000 (second digit 0 below 10), for
/// the simulation's inner loop.
static LEADING: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    (0..10_000u64)
        .map(|v| {
            let first = if v >= 1 { first_digit(v) } else { 0 };
            let second = if v >= 10 { second_digit(v) } else { 0 };
            (first * 16 + second) as u8
        })
        .collect()
});

/// Second significant digit (0..9) of a count ≥ 10.
pub fn second_digit(mut v: u64) -> u64 {
    while v >= 100 {
        v /= 10;
    }
    v % 10
}

/// Round half to even (R's and Python's `round`), for rounded percentages (methods.md §8).
pub fn round_half_even(x: f64) -> f64 {
    x.round_ties_even()
}

/// Whether the percentage 100·votes/total, rounded half-to-even to an integer, ends in 0 or 5.
/// Integer arithmetic: exact at the ties (12.5 % → 12) where floating point could err.
pub fn percent_ends_in_0_or_5(votes: u64, total: u64) -> bool {
    rounded_percent(votes, total).is_multiple_of(5)
}

/// 100·votes/total rounded half-to-even, exactly. The hot loop of the simulated nulls calls this
/// for every station and replicate, so the quotient is guessed in floating point and corrected
/// with integer arithmetic (no 64-bit division); huge totals take the plain division path.
#[inline]
pub fn rounded_percent(votes: u64, total: u64) -> u64 {
    if total == 0 {
        return 0;
    }
    if votes > (1 << 40) || total > (1 << 40) {
        let num = votes.saturating_mul(100);
        let (q, r) = (num / total, num % total);
        return match (2 * r).cmp(&total) {
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal => q + (q & 1),
            std::cmp::Ordering::Less => q,
        };
    }
    let (x, t) = (200 * votes as i64, total as i64);
    let mut q = ((100 * votes) as f64 / total as f64 + 0.5) as i64;
    // Now |x − 2qt| should be at most t; fix the rare off-by-one of the floating-point guess.
    while x - 2 * q * t > t {
        q += 1;
    }
    while x - 2 * q * t < -t {
        q -= 1;
    }
    let d = x - 2 * q * t;
    if d == t && q % 2 == 1 {
        q += 1; // tie between q and q + 1: the even one
    } else if d == -t && q % 2 == 1 {
        q -= 1; // tie between q − 1 and q: the even one
    }
    q.max(0) as u64
}

/// Every digit count the digit tests need, for one set of counts.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitHist {
    /// Last digit of counts ≥ 10.
    pub last_ge10: [u32; 10],
    /// Last digit of all counts (EFToolkit `LastC`, `C05s` "all").
    pub last_all: [u32; 10],
    /// Last two digits of counts ≥ 10 (tens digit × 10 + units), for the pair tests.
    pub last2_ge10: [u32; 100],
    /// Last two digits of counts ≥ 100.
    pub last2_ge100: [u32; 100],
    /// Counts 80..=119, one by one: the counts whose smoothed mass straddles 100 (`smooth_last2`).
    pub near100: [u32; 40],
    /// Second significant digit of counts ≥ 10.
    pub second_ge10: [u32; 10],
    /// First significant digit of counts ≥ 1 (index 0 = digit 1).
    pub first_ge1: [u32; 9],
    /// Stations in the rounded-percentage window (`percent_grid::in_window`) whose rounded
    /// percentage ends in 0 or 5, and such stations.
    pub p05_hits: u32,
    pub p05_n: u32,
    /// Exact honest mean and variance of `p05_hits` (Σ Eᵢ, Σ Eᵢ(1 − Eᵢ); `percent_grid`).
    pub p05_expected: f64,
    pub p05_var: f64,
    /// EFToolkit's P05s over every station with valid votes (no window), for parity.
    pub p05_all_hits: u32,
    pub p05_all_n: u32,
    /// Smallest and largest positive count (for the first-digit applicability rule).
    pub min_positive: u64,
    pub max: u64,
}

impl Default for DigitHist {
    fn default() -> Self {
        DigitHist {
            last_ge10: [0; 10],
            last_all: [0; 10],
            last2_ge10: [0; 100],
            last2_ge100: [0; 100],
            near100: [0; 40],
            second_ge10: [0; 10],
            first_ge1: [0; 9],
            p05_hits: 0,
            p05_n: 0,
            p05_expected: 0.0,
            p05_var: 0.0,
            p05_all_hits: 0,
            p05_all_n: 0,
            min_positive: u64::MAX,
            max: 0,
        }
    }
}

impl DigitHist {
    /// Add the last-digit family contribution of one count.
    #[inline]
    pub fn add_last(&mut self, v: u64) {
        let d = (v % 10) as usize;
        self.last_all[d] += 1;
        if v >= 10 {
            self.last_ge10[d] += 1;
            self.last2_ge10[(v % 100) as usize] += 1;
        }
    }

    /// Add a count to the last-two-digits histograms (counts ≥ 80 only).
    #[inline]
    pub fn add_last2(&mut self, v: u64) {
        if v >= 100 {
            self.last2_ge100[(v % 100) as usize] += 1;
        }
        if (NEAR100_LOW..NEAR100_HIGH).contains(&v) {
            self.near100[(v - NEAR100_LOW) as usize] += 1;
        }
    }

    /// Add the leading-digit contribution of one count.
    #[inline]
    pub fn add_leading(&mut self, v: u64) {
        if let Some(&d) = LEADING.get(v as usize) {
            // Station counts are nearly always below the table's end: one load, no divisions.
            if v >= 1 {
                self.first_ge1[(d >> 4) as usize - 1] += 1;
                self.min_positive = self.min_positive.min(v);
            }
            if v >= 10 {
                self.second_ge10[(d & 15) as usize] += 1;
            }
            self.max = self.max.max(v);
            return;
        }
        if v >= 1 {
            self.first_ge1[(first_digit(v) - 1) as usize] += 1;
            self.min_positive = self.min_positive.min(v);
        }
        if v >= 10 {
            self.second_ge10[second_digit(v) as usize] += 1;
        }
        self.max = self.max.max(v);
    }

    /// Add the rounded-percentage contribution of one count with its station total, where
    /// `expected` is `percent_grid::expected(total)` (looked up by the caller, who caches it).
    #[inline]
    pub fn add_percent(&mut self, v: u64, total: u64, expected: f64) {
        if total > 0 {
            self.p05_all_n += 1;
            self.p05_all_hits += u32::from(percent_ends_in_0_or_5(v.min(total), total));
        }
        if crate::forensics::digits::percent_grid::in_window(v, total) {
            self.p05_n += 1;
            self.p05_expected += expected;
            self.p05_var += expected * (1.0 - expected);
            if percent_ends_in_0_or_5(v, total) {
                self.p05_hits += 1;
            }
        }
    }

    /// Add every contribution of one observed count.
    pub fn add(&mut self, v: u64, total: u64) {
        self.add_last(v);
        self.add_last2(v);
        self.add_leading(v);
        let e = if crate::forensics::digits::percent_grid::in_window(v, total) {
            crate::forensics::digits::percent_grid::expected(total)
        } else {
            0.0
        };
        self.add_percent(v, total, e);
    }

    /// Add another histogram's counts (for rolling regions up into their parents).
    pub fn merge(&mut self, o: &DigitHist) {
        fn add<const K: usize>(a: &mut [u32; K], b: &[u32; K]) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        add(&mut self.last_ge10, &o.last_ge10);
        add(&mut self.last_all, &o.last_all);
        add(&mut self.last2_ge10, &o.last2_ge10);
        add(&mut self.last2_ge100, &o.last2_ge100);
        add(&mut self.near100, &o.near100);
        add(&mut self.second_ge10, &o.second_ge10);
        add(&mut self.first_ge1, &o.first_ge1);
        self.p05_hits += o.p05_hits;
        self.p05_n += o.p05_n;
        self.p05_expected += o.p05_expected;
        self.p05_var += o.p05_var;
        self.p05_all_hits += o.p05_all_hits;
        self.p05_all_n += o.p05_all_n;
        self.min_positive = self.min_positive.min(o.min_positive);
        self.max = self.max.max(o.max);
    }

    pub fn n_ge10(&self) -> u64 {
        self.last_ge10.iter().map(|&c| c as u64).sum()
    }

    pub fn n_all(&self) -> u64 {
        self.last_all.iter().map(|&c| c as u64).sum()
    }

    /// Repeated (a = b) and adjacent (|a − b| = 1, linear: 0 and 9 are not adjacent) last-two-digit
    /// pairs among counts ≥ 10, and the number of such counts.
    pub fn pairs(&self) -> (u64, u64, u64) {
        let (mut rep, mut adj, mut n) = (0u64, 0u64, 0u64);
        for (k, &c) in self.last2_ge10.iter().enumerate() {
            let (a, b) = (k / 10, k % 10);
            let c = c as u64;
            n += c;
            if a == b {
                rep += c;
            } else if a.abs_diff(b) == 1 {
                adj += c;
            }
        }
        (rep, adj, n)
    }
}

/// Bandwidth (votes) of the Gaussian kernel of the smooth-count null (see `last_digit`): it keeps
/// exp(−2π²σ²/100) ≈ 0.7 % of a period-10 digit pattern and none of a period-5 one.
pub const SMOOTH_SIGMA: f64 = 5.0;
/// Counts at or above this are treated as having uniform last digits under the null.
const SMOOTH_CAP: u64 = 5000;

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

/// Radius (votes) of the discrete Gaussian kernel of the smooth-count nulls (4σ).
pub(crate) const SMOOTH_RADIUS: usize = 20;
/// Lowest count whose smoothed mass can reach 100, the threshold of the last-two-digit test.
pub const NEAR100_LOW: u64 = 100 - SMOOTH_RADIUS as u64;
/// Counts from this one up have all their smoothed mass at 100 or more.
pub const NEAR100_HIGH: u64 = 100 + SMOOTH_RADIUS as u64;

/// The discrete Gaussian kernel (σ = `SMOOTH_SIGMA`) at offsets −20..=20, summing to 1.
pub(crate) fn smooth_kernel() -> &'static [f64; 2 * SMOOTH_RADIUS + 1] {
    static KERNEL: std::sync::LazyLock<[f64; 2 * SMOOTH_RADIUS + 1]> =
        std::sync::LazyLock::new(|| {
            let w: [f64; 2 * SMOOTH_RADIUS + 1] = std::array::from_fn(|i| {
                let x = i as f64 - SMOOTH_RADIUS as f64;
                (-x * x / (2.0 * SMOOTH_SIGMA * SMOOTH_SIGMA)).exp()
            });
            let total: f64 = w.iter().sum();
            w.map(|x| x / total)
        });
    &KERNEL
}

/// Expected shares of the endings 00..99 of the counts ≥ 100 in `h` under the smooth-count null:
/// the counts' histogram convolved with the Gaussian kernel (σ = 5 votes), restricted to counts
/// ≥ 100 and summed over centuries. The kernel follows any count distribution that is smooth over
/// a few votes — a steep tail, a hump, a steady decline up to a station-size cap — while a pattern
/// of period 10 or less (favourite final digits, 0/5, repeated pairs) keeps under 2 % of its
/// amplitude; a single favourite ending is spread over ±10 endings and keeps about 92 % of its
/// excess. Counts ≥ 120 put all their smoothed mass at 100 or more, so their part is a circular
/// convolution of their endings; counts 80–119 (`DigitHist::near100`) are added one by one, with
/// only the mass that lands at 100 or more. Uniform for an empty histogram.
pub fn smooth_last2(h: &DigitHist) -> [f64; 100] {
    let k = smooth_kernel();
    let r = SMOOTH_RADIUS;
    // Endings of counts ≥ 120: all counts ≥ 100 minus those of 100..119.
    let mut far: [f64; 100] = h.last2_ge100.map(f64::from);
    for v in 100..NEAR100_HIGH as usize {
        far[v - 100] -= f64::from(h.near100[v - NEAR100_LOW as usize]);
    }
    let mut e = [0f64; 100];
    for (ending, &c) in far.iter().enumerate() {
        if c > 0.0 {
            for (i, w) in k.iter().enumerate() {
                e[(ending + 100 + i - r) % 100] += c * w;
            }
        }
    }
    for (i, &c) in h.near100.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let u = NEAR100_LOW as usize + i;
        for v in (u - r).max(100)..=u + r {
            e[v % 100] += f64::from(c) * k[v + r - u];
        }
    }
    let total: f64 = e.iter().sum();
    if total > 0.0 {
        e.map(|x| x / total)
    } else {
        [0.01; 100]
    }
}

/// Shares of a histogram (0 for an empty one).
pub fn shares<const K: usize>(h: &[u32; K]) -> [f64; K] {
    let n: u64 = h.iter().map(|&c| c as u64).sum();
    let n = n.max(1) as f64;
    h.map(|c| c as f64 / n)
}

/// Mean digit of a histogram whose index is the digit plus `first`.
pub fn hist_mean(h: &[u32], first: usize) -> f64 {
    let n: u64 = h.iter().map(|&c| c as u64).sum();
    let s: u64 = h
        .iter()
        .enumerate()
        .map(|(i, &c)| (i + first) as u64 * c as u64)
        .sum();
    s as f64 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_digit_table_agrees_with_the_divisions() {
        for v in (0..12_000u64).chain([99_999, 123_456, u64::MAX]) {
            let mut h = DigitHist::default();
            h.add_leading(v);
            let mut first = [0u32; 9];
            let mut second = [0u32; 10];
            if v >= 1 {
                first[(first_digit(v) - 1) as usize] = 1;
            }
            if v >= 10 {
                second[second_digit(v) as usize] = 1;
            }
            assert_eq!(
                (h.first_ge1, h.second_ge10, h.max),
                (first, second, v),
                "{v}"
            );
        }
    }

    #[test]
    fn benford_laws_match_methods_tables() {
        // methods.md §3.1 (percent, 10 decimals).
        let f = benford_first();
        assert!((f[0] * 100.0 - 30.1029995664).abs() < 1e-9);
        assert!((f[8] * 100.0 - 4.5757490561).abs() < 1e-9);
        let s = benford_second();
        let want = [
            11.9679268597,
            11.3890103408,
            10.8821499006,
            10.4329560231,
            10.0308202268,
            9.6677235802,
            9.3374735783,
            9.0351989270,
            8.7570053579,
            8.4997352058,
        ];
        for (a, b) in s.iter().zip(want) {
            assert!((a * 100.0 - b).abs() < 1e-9, "{a} vs {b}");
        }
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((mean_digit(&s, 0) - 4.18738970693).abs() < 1e-10);
        assert!((var_digit(&s, 0).sqrt() - 2.87293902185).abs() < 1e-10);
        assert!((mean_digit(&f, 1) - 3.44024).abs() < 1e-5);
    }

    #[test]
    fn excess_mad_constants_match_methods() {
        // methods.md §3.2: 18.131 (1BL), 17.518 (2BL), 17.453 (uniform 10 digits).
        assert!((excess_mad_constant(&benford_first()) - 18.131).abs() < 5e-4);
        assert!((excess_mad_constant(&benford_second()) - 17.518).abs() < 5e-4);
        assert!((excess_mad_constant(&[0.1; 10]) - 17.453).abs() < 5e-4);
        // E(MAD) at N = 1000 for 1BL is 0.00743.
        assert!((1.0 / (18.131f64 * 1000.0).sqrt() - 0.00743).abs() < 5e-6);
    }

    #[test]
    fn nigrini_z_on_powers_of_two() {
        // methods.md §10 item 2: first digits of 2^0..2^999, Nigrini-rule Z.
        let counts = [301u64, 176, 125, 97, 79, 69, 56, 52, 45];
        let want = [
            0.0021, 0.0076, 0.0059, 0.0096, 0.0212, 0.1965, 0.2019, 0.0499, 0.0390,
        ];
        let p = benford_first();
        for d in 0..9 {
            let z = nigrini_z(counts[d] as f64 / 1000.0, p[d], 1000);
            assert!(
                (z - want[d]).abs() < 5e-5,
                "digit {}: {z} vs {}",
                d + 1,
                want[d]
            );
        }
    }

    #[test]
    fn powers_of_two_and_fibonacci_digit_extraction() {
        // Exact big-integer first digits of 2^n, n = 0..999, and F_1..F_1000 (methods.md §10).
        fn first_digits(numbers: impl Iterator<Item = Vec<u32>>) -> [u32; 9] {
            let mut h = [0u32; 9];
            for n in numbers {
                h[*n.last().unwrap() as usize - 1] += 1;
            }
            h
        }
        // Little-endian base-10 big integers.
        let mut x = vec![1u32];
        let powers = (0..1000).map(|_| {
            let out = x.clone();
            let mut carry = 0;
            for d in x.iter_mut() {
                let v = *d * 2 + carry;
                *d = v % 10;
                carry = v / 10;
            }
            if carry > 0 {
                x.push(carry);
            }
            out
        });
        assert_eq!(
            first_digits(powers),
            [301, 176, 125, 97, 79, 69, 56, 52, 45]
        );
        let (mut a, mut b) = (vec![1u32], vec![1u32]);
        let fib = (0..1000).map(|_| {
            let out = a.clone();
            let mut c = Vec::with_capacity(b.len() + 1);
            let mut carry = 0;
            for (i, &bi) in b.iter().enumerate() {
                let v = bi + a.get(i).copied().unwrap_or(0) + carry;
                c.push(v % 10);
                carry = v / 10;
            }
            if carry > 0 {
                c.push(carry);
            }
            a = std::mem::replace(&mut b, c);
            out
        });
        assert_eq!(first_digits(fib), [301, 177, 125, 96, 80, 67, 56, 53, 45]);
    }

    /// The smooth-count expectation computed the slow way: every count's kernel in count space,
    /// kept at counts ≥ 100, summed by ending.
    fn smooth_last2_brute(values: &[u64]) -> [f64; 100] {
        let k = smooth_kernel();
        let mut e = [0f64; 100];
        for &u in values {
            for (i, w) in k.iter().enumerate() {
                let v = u as i64 + i as i64 - SMOOTH_RADIUS as i64;
                if v >= 100 {
                    e[(v % 100) as usize] += w;
                }
            }
        }
        let total: f64 = e.iter().sum();
        e.map(|x| x / total)
    }

    #[test]
    fn smooth_last2_is_the_kernel_smoothed_count_distribution() {
        let values: Vec<u64> = (0..20_000u64).map(|i| (i * i * 7 + i * 13) % 420).collect();
        let mut h = DigitHist::default();
        for &v in &values {
            h.add(v, 1000);
        }
        let fast = smooth_last2(&h);
        let slow = smooth_last2_brute(&values);
        for e in 0..100 {
            assert!((fast[e] - slow[e]).abs() < 1e-12, "ending {e}");
        }
        assert!((fast.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Merging two halves gives the same histograms as adding every count.
        let (mut a, mut b) = (DigitHist::default(), DigitHist::default());
        for (i, &v) in values.iter().enumerate() {
            if i % 2 == 0 {
                a.add(v, 1000)
            } else {
                b.add(v, 1000)
            }
        }
        a.merge(&b);
        // The exact P05 moments are sums of floats, equal up to the order of addition.
        assert!((a.p05_expected - h.p05_expected).abs() < 1e-9 * h.p05_expected);
        assert!((a.p05_var - h.p05_var).abs() < 1e-9 * h.p05_var);
        (a.p05_expected, a.p05_var) = (h.p05_expected, h.p05_var);
        assert_eq!(a, h);
        assert_eq!(smooth_last2(&DigitHist::default()), [0.01; 100]);
    }

    #[test]
    fn smooth_last2_is_flat_for_flat_counts_and_follows_a_decline_to_a_cap() {
        // Flat counts 0..=9999: endings uniform (but for the top edge, where half the kernel
        // of the counts 9980–9999 lands on 10,000–10,020 and so on endings 00–20).
        let mut h = DigitHist::default();
        for i in 0..200_000u64 {
            h.add_last2(i % 10_000);
        }
        assert!(smooth_last2(&h).iter().all(|p| (p - 0.01).abs() < 1e-4));
        // Counts falling steadily from 100 to a cap at 190 (as a candidate's counts at tables of
        // at most ~230 voters): the expectation falls with them and is ~0 beyond the cap, where a
        // slope across the endings (or a quadratic through century totals) cannot follow.
        let mut h = DigitHist::default();
        for v in 60..190u64 {
            for _ in 0..(190 - v) {
                h.add_last2(v);
            }
        }
        let e = smooth_last2(&h);
        let observed = shares(&h.last2_ge100);
        for ending in 5..85 {
            assert!(
                (e[ending] - observed[ending]).abs() < 0.0005,
                "ending {ending}: {} vs {}",
                e[ending],
                observed[ending]
            );
        }
        assert!(e[97] < 1e-4 && e[0] > 0.018);
    }

    #[test]
    fn digits_and_pairs() {
        assert_eq!((first_digit(4567), second_digit(4567)), (4, 5));
        assert_eq!(second_digit(10), 0);
        let mut h = DigitHist::default();
        for v in [11, 12, 54, 100, 7, 990, 1009] {
            h.add(v, 1000);
        }
        let (rep, adj, n) = h.pairs();
        assert_eq!((rep, adj, n), (2, 2, 6)); // 11, 100(00) repeated; 12, 54 adjacent
        assert_eq!(h.n_ge10(), 6);
        assert_eq!(h.last2_ge100.iter().sum::<u32>(), 3);
    }

    #[test]
    fn fast_rounded_percent_equals_exact_division() {
        let exact = |v: u64, t: u64| {
            let (q, r) = (100 * v / t, 100 * v % t);
            match (2 * r).cmp(&t) {
                std::cmp::Ordering::Greater => q + 1,
                std::cmp::Ordering::Equal => q + (q & 1),
                std::cmp::Ordering::Less => q,
            }
        };
        for t in 1..=600u64 {
            for v in 0..=t {
                assert_eq!(rounded_percent(v, t), exact(v, t), "{v}/{t}");
            }
        }
        assert_eq!(rounded_percent(1 << 50, 1 << 51), 50);
    }

    #[test]
    fn rounding_is_half_to_even() {
        assert_eq!(round_half_even(12.5), 12.0);
        assert_eq!(round_half_even(13.5), 14.0);
        assert!(!percent_ends_in_0_or_5(1, 8)); // 12.5 % → 12
        assert!(percent_ends_in_0_or_5(3, 20)); // 15 %
        assert!(!percent_ends_in_0_or_5(1, 40)); // 2.5 % → 2
        assert!(!percent_ends_in_0_or_5(9, 40)); // 22.5 % → 22
        assert!(percent_ends_in_0_or_5(1, 4)); // 25 %
    }
}
