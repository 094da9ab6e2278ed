//! Hartigans' dip test of unimodality.
//!
//! The dip of a distribution F is its sup-distance to the nearest unimodal distribution,
//! D(F) = inf_{G unimodal} sup_x |F(x) − G(x)| (Hartigan & Hartigan 1985, "The dip test of
//! unimodality", *Ann. Statist.* 13(1):70–84). [`dip_statistic`] returns D_n = D(F_n) of the
//! empirical distribution F_n of a sorted sample, [`dip_p_value`] its p-value under the uniform
//! null, and [`dip_test`] both for unsorted data.
//!
//! # Algorithm
//!
//! Our own implementation of the algorithm of P. M. Hartigan (1985), "Algorithm AS 217:
//! Computation of the dip statistic to test for unimodality", *Applied Statistics* 34:320–325,
//! written from the published description (no code from the GPL R or Python `diptest` packages):
//! it fits the greatest convex minorant (GCM) of the lower and the least concave majorant (LCM)
//! of the upper empirical CDF points, locates the largest GCM–LCM gap to shrink a candidate modal
//! interval [low, high], takes the largest deviation of the CDF from the GCM left of it and from
//! the LCM right of it, and repeats until the interval stops shrinking. Work is done in counts
//! (n·CDF), and D_n is half the largest deviation, divided by n. Hull pointers are built once,
//! so the cost after sorting is O(n): about 40 ms for 10⁶ values in a release build. The
//! comparisons and their order follow AS 217 with the corrections R and Python carry (the 1994
//! stop when the interval no longer changes; the 2003 parenthesis fix in the GCM-vertex gap,
//! which made the statistic symmetric under x → −x), so ties are treated exactly as there.
//!
//! # Convention for the minimum
//!
//! Implementations disagree at the bottom of the range (`../shared/docs/methods.md` §10 item 8):
//! R `diptest` returns D_n ≥ 1/(2n) always (since 2011); Python `diptest` 0.12 (default
//! `allow_zero=True`) returns 0.0 whenever its GCM and LCM are single segments, i.e. when all
//! values are equal or are distinct and exactly equally spaced (any two distinct values; the
//! uniform grid 1..100 gives 0.0). We follow the definition instead of either package:
//!
//! - At least two distinct values: F_n jumps by ≥ 1/n at some point other than the mode, where
//!   no unimodal G can jump, so D_n ≥ 1/(2n). The grid 1..100 has D_n = 1/200 = 0.005 exactly
//!   (the continuous uniform through the mid-steps attains it), as R says. Python's 0.0 there is
//!   wrong on theory and discontinuous: moving one grid point by 10⁻¹⁰ gives 1/(2n) in Python too.
//! - All values equal: F_n is a point mass, which is unimodal, so D_n = 0, as Python says (R
//!   returns 1/(2n) for continuity). An empty sample also gives 0.
//! - n = 2 or 3 with distinct values: D_n = 1/(2n) exactly; no test is possible, and the p-value
//!   is 1 for n < 4 (as Python `diptest`).
//!
//! On all other samples the three agree: on 39,889 random, tied, skewed and multimodal samples
//! (n = 2 … 200,000, Python `diptest.dipstat(x, allow_zero=False)`) the largest difference was
//! 5.6e-17.
//!
//! # p-values
//!
//! p = P(D_n ≥ d) for n i.i.d. U(0, 1) values, the null Hartigan & Hartigan recommend (the
//! asymptotically least favourable unimodal distribution), read from our own table of quantiles
//! of √n·D_n (not R's `qDiptab`):
//!
//! - made by the `#[ignore]`d test `regenerate_table` below, which prints the table as Rust
//!   source: `cargo test --release --lib regenerate_table -- --ignored --nocapture` (std only,
//!   deterministic for any thread count);
//! - 100,000 simulated samples for each of the 33 sample sizes in [`TABLE_N`] (4 … 50,000);
//!   the sample for size n comes from a splitmix64 stream seeded with `TABLE_SEED ^ (n << 32)`,
//!   drawn as sorted uniforms by cumulative exponential spacings (the dip is affine invariant,
//!   so the normalisation by the total is skipped);
//! - each row holds the type-1 empirical quantiles of √n·D_n at upper-tail probabilities
//!   [`TABLE_TAIL_P`] (0.99 … 0.001, dense around 0.05), rounded to 5 decimals; the exact
//!   minimum √n/(2n), where P(D_n ≥ d) = 1, anchors p = 1.
//!
//! Lookup: the quantile rows are interpolated linearly in 1/√n between tabulated sizes (√n·D_n
//! converges at about that rate), then p linearly between the two quantiles that bracket √n·d.
//! For n above 50,000 the 50,000 row is used (its 5 % point differs from the limit by about
//! 0.002 on the √n·D scale, under 0.003 in p). Monte Carlo error of the table is about ±0.0007
//! (1 s.e.) in p at p = 0.05 and ±0.0001 at p = 0.001. p below the smallest tabulated tail
//! probability is returned as [`DIP_P_VALUE_FLOOR`] = 0.001, meaning "p < 0.001", never 0.
//! Against Python `diptest` 0.12's table p-values the difference is at most 0.01 where those lie
//! in [0.01, 0.99] (see the tests). Checked off-table with fresh null samples (another seed) at
//! n = 35, 400, 2,500, 7,000 (20,000 each), 35,000 and 100,000 (5,000 each): the share with
//! p ≤ 0.05 was 0.046–0.050, with p ≤ 0.01 0.009–0.011.
//!
//! # Data
//!
//! The null model is continuous: tied values (e.g. ratios of small counts) enlarge jumps of
//! F_n and can inflate D_n. Jittering is the caller's decision (`../shared/docs/methods.md`).

/// Seed of the simulation behind [`TABLE_Q`].
pub const TABLE_SEED: u64 = 0x4449_5054_4142_4C45; // "DIPTABLE" in ASCII

/// Smallest p-value [`dip_p_value`] reports: the table's smallest tail probability. A returned
/// value equal to this means p < 0.001.
pub const DIP_P_VALUE_FLOOR: f64 = 0.001;

/// Outcome of [`dip_test`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DipResult {
    /// Number of finite values the statistic was computed on.
    pub n: usize,
    /// The dip D_n, in [0, 1/4].
    pub dip: f64,
    /// P(D_n ≥ dip) under the uniform null; see [`dip_p_value`].
    pub p_value: f64,
}

/// Dip test of `values` in any order: non-finite values (NaN, ±∞) are dropped, the rest is
/// copied and sorted (`f64::total_cmp`); returns n, D_n and its p-value.
pub fn dip_test(values: &[f64]) -> DipResult {
    let mut x: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    x.sort_unstable_by(f64::total_cmp);
    let dip = dip_statistic(&x);
    DipResult {
        n: x.len(),
        dip,
        p_value: dip_p_value(dip, x.len()),
    }
}

/// The dip D_n of the empirical distribution of `sorted`.
///
/// Precondition: `sorted` is ascending and finite. If it is not, the result is NaN (checked in
/// O(n); use [`dip_test`] for raw data). Returns 0 for an empty sample or when all values are
/// equal, otherwise a value in [1/(2n), 1/4] (see the module doc for this convention).
pub fn dip_statistic(sorted: &[f64]) -> f64 {
    let (Some(&first), Some(&last)) = (sorted.first(), sorted.last()) else {
        return 0.0;
    };
    // Sorted with finite ends means every value is finite; NaN fails `is_sorted`.
    if !(first.is_finite() && last.is_finite() && sorted.is_sorted()) {
        return f64::NAN;
    }
    if first == last {
        return 0.0;
    }
    twice_n_dip(sorted) / (2.0 * sorted.len() as f64)
}

fn fi(i: usize) -> f64 {
    i as f64
}

/// 2n·D_n of sorted data with at least two distinct values, by AS 217.
///
/// Point i (0-based) of the empirical CDF, in counts, runs from i (lower, just before x[i]) to
/// i + 1 (upper). Hull slopes are compared in the cross-multiplied form of AS 217, and the
/// expressions keep its evaluation order, so results match R / Python to rounding.
fn twice_n_dip(x: &[f64]) -> f64 {
    let n = x.len();
    let last = n - 1;

    // minorant_prev[j]: the vertex before j on the GCM of points 0..=j. Walking these pointers
    // from any j lists that GCM; each point is popped at most once, so building is O(n).
    let mut minorant_prev = vec![0usize; n];
    for j in 1..n {
        let mut v = j - 1;
        while v > 0 {
            let u = minorant_prev[v];
            // Keep v if the slope (counts per unit x) rises at v:
            // (v−u)/(x_v−x_u) < (j−v)/(x_j−x_v).
            if (x[j] - x[v]) * fi(v - u) < (x[v] - x[u]) * fi(j - v) {
                break;
            }
            v = u;
        }
        minorant_prev[j] = v;
    }

    // majorant_next[k]: the vertex after k on the LCM of points k..n (mirror image of the above).
    let mut majorant_next = vec![last; n];
    for k in (0..last).rev() {
        let mut v = k + 1;
        while v < last {
            let w = majorant_next[v];
            // Keep v if the slope falls at v: (v−k)/(x_v−x_k) > (w−v)/(x_w−x_v).
            if (x[v] - x[k]) * fi(w - v) < (x[w] - x[v]) * fi(v - k) {
                break;
            }
            v = w;
        }
        majorant_next[k] = v;
    }

    // Starting at 1 count (D = 1/(2n)) is the theoretical floor; it also ends the search at once
    // when GCM and LCM are single segments (equally spaced data).
    let mut dip = 1.0_f64;
    let (mut low, mut high) = (0usize, last);
    let mut g: Vec<usize> = Vec::new(); // GCM vertices from `high` down to `low`
    let mut l: Vec<usize> = Vec::new(); // LCM vertices from `low` up to `high`
    loop {
        g.clear();
        g.push(high);
        while let Some(&v) = g.last() {
            if v <= low {
                break;
            }
            g.push(minorant_prev[v]);
        }
        l.clear();
        l.push(low);
        while let Some(&v) = l.last() {
            if v >= high {
                break;
            }
            l.push(majorant_next[v]);
        }
        let (lg, ll) = (g.len(), l.len());
        // `low` stays a GCM vertex and `high` an LCM vertex from round to round (a hull vertex
        // stays a vertex of any subset's hull), so both chains end exactly there and have two
        // or more points; this guard only protects against a broken invariant.
        if lg < 2 || ll < 2 {
            debug_assert!(false, "modal interval collapsed: low {low}, high {high}");
            break;
        }
        // Positions in g / l of the new modal interval's ends, [g[ig], l[ih]].
        let (mut ig, mut ih) = (lg - 1, ll - 1);

        // Largest vertical gap between LCM and GCM over [low, high], measured at the vertices of
        // either hull while walking both from left to right.
        let d = if lg != 2 || ll != 2 {
            let mut d = 0.0_f64;
            let (mut ix, mut iv) = (lg - 2, 1usize);
            let mut met = false;
            // Each step moves ix down or iv up until they meet, so lg + ll steps always suffice.
            for _ in 0..lg + ll {
                let (gx, lv) = (g[ix], l[iv]);
                if gx > lv {
                    // LCM vertex lv lies inside the GCM segment g[ix + 1]..g[ix].
                    let g1 = g[ix + 1];
                    let dx =
                        (fi(lv) - fi(g1) + 1.0) - (x[lv] - x[g1]) * fi(gx - g1) / (x[gx] - x[g1]);
                    if dx >= d {
                        d = dx;
                        ig = ix + 1;
                        ih = iv;
                    }
                    iv = (iv + 1).min(ll - 1);
                } else {
                    // GCM vertex gx lies inside the LCM segment l[iv − 1]..l[iv].
                    let l1 = l[iv - 1];
                    let dx =
                        (x[gx] - x[l1]) * fi(lv - l1) / (x[lv] - x[l1]) - (fi(gx) - fi(l1) - 1.0);
                    if dx >= d {
                        d = dx;
                        ig = ix;
                        ih = iv;
                    }
                    ix = ix.saturating_sub(1);
                }
                if g[ix] == l[iv] {
                    met = true;
                    break;
                }
            }
            debug_assert!(met, "GCM/LCM walk did not meet");
            d
        } else {
            1.0
        };
        // A gap below the current dip cannot raise it: the modal interval is final.
        if d < dip {
            break;
        }

        // Largest rise of the upper CDF above the GCM on [x[low_hull_end], x[new low]] and of
        // the LCM above the lower CDF on [x[new high], x[high]]; a segment without interior
        // points still carries its 1-count jump.
        let mut dip_l = 0.0_f64;
        for p in ig..lg - 1 {
            let (start, end) = (g[p + 1], g[p]);
            let mut worst = 1.0_f64;
            if end - start > 1 && x[end] != x[start] {
                let c = fi(end - start) / (x[end] - x[start]);
                for (jj, &xj) in x.iter().enumerate().take(end + 1).skip(start) {
                    worst = worst.max(fi(jj - start + 1) - (xj - x[start]) * c);
                }
            }
            dip_l = dip_l.max(worst);
        }
        let mut dip_u = 0.0_f64;
        for p in ih..ll - 1 {
            let (start, end) = (l[p], l[p + 1]);
            let mut worst = 1.0_f64;
            if end - start > 1 && x[end] != x[start] {
                let c = fi(end - start) / (x[end] - x[start]);
                for (jj, &xj) in x.iter().enumerate().take(end + 1).skip(start) {
                    worst = worst.max((xj - x[start]) * c - (fi(jj - start) - 1.0));
                }
            }
            dip_u = dip_u.max(worst);
        }
        dip = dip.max(dip_l.max(dip_u));

        let (new_low, new_high) = (g[ig], l[ih]);
        if new_low == low && new_high == high {
            break;
        }
        low = new_low;
        high = new_high;
    }
    dip
}

/// p-value of an observed dip for sample size `n`: P(D_n ≥ dip) for n i.i.d. uniforms,
/// interpolated from [`TABLE_Q`] (see the module doc).
///
/// Returns 1 for n < 4 (no test possible) and for dip ≤ 1/(2n); [`DIP_P_VALUE_FLOOR`] (0.001)
/// when the dip is beyond the table's 0.001 quantile, to be read as "p < 0.001"; NaN for a NaN
/// dip. Never returns 0.
pub fn dip_p_value(dip: f64, n: usize) -> f64 {
    if dip.is_nan() {
        return f64::NAN;
    }
    if n < 4 {
        return 1.0;
    }
    let root = (n as f64).sqrt();
    let s = root * dip;
    // The exact minimum √n·D_n = 1/(2√n) has P(D_n ≥ it) = 1; the relative slack absorbs the
    // rounding of √n · (1/(2n)) versus 1/(2√n).
    let floor = 0.5 / root;
    if s <= floor * (1.0 + 1e-9) {
        return 1.0;
    }
    let row = quantile_row(n);
    let mut prev_q = floor;
    let mut prev_p = 1.0;
    for (&q, &p) in row.iter().zip(TABLE_TAIL_P.iter()) {
        // Rounded table entries may fall just below the exact minimum.
        let q = q.max(floor);
        // s > prev_q here, so s <= q implies q > prev_q: no division by zero at atoms (plateaus
        // of equal quantiles at small n), and p is continuous and non-increasing in s.
        if s <= q {
            return prev_p + (p - prev_p) * (s - prev_q) / (q - prev_q);
        }
        prev_q = q;
        prev_p = p;
    }
    DIP_P_VALUE_FLOOR
}

/// Quantiles of √n·D_n at [`TABLE_TAIL_P`] for `n`, interpolated linearly in 1/√n between the
/// tabulated sizes; the first and last rows beyond the table's range.
fn quantile_row(n: usize) -> [f64; TABLE_TAIL_P.len()] {
    let upper = TABLE_N.partition_point(|&m| m <= n);
    if upper == 0 {
        return TABLE_Q[0];
    }
    if upper == TABLE_N.len() {
        return TABLE_Q[TABLE_N.len() - 1];
    }
    let (n0, n1) = (TABLE_N[upper - 1], TABLE_N[upper]);
    let inv = |m: usize| 1.0 / (m as f64).sqrt();
    let t = (inv(n0) - inv(n)) / (inv(n0) - inv(n1));
    let (r0, r1) = (&TABLE_Q[upper - 1], &TABLE_Q[upper]);
    std::array::from_fn(|j| r0[j] + t * (r1[j] - r0[j]))
}

/// Upper-tail probabilities of the columns of [`TABLE_Q`]: column j holds the (1 − p_j) quantile.
pub const TABLE_TAIL_P: [f64; 33] = [
    0.99, 0.98, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.09, 0.08,
    0.07, 0.06, 0.05, 0.045, 0.04, 0.035, 0.03, 0.025, 0.02, 0.015, 0.01, 0.007, 0.005, 0.003,
    0.002, 0.001,
];

/// Sample sizes of the rows of [`TABLE_Q`].
pub const TABLE_N: [usize; 33] = [
    4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 20, 25, 30, 40, 50, 70, 100, 150, 200, 300, 500,
    700, 1000, 1500, 2000, 3000, 5000, 10_000, 20_000, 50_000,
];

// TABLE_BEGIN
/// Quantiles of √n·D_n under U(0, 1): row i for n = `TABLE_N[i]`, column j at upper-tail
/// probability `TABLE_TAIL_P[j]`. Generated by `regenerate_table` (100000 samples per n,
/// seed `TABLE_SEED`); do not edit by hand.
#[rustfmt::skip]
#[allow(clippy::approx_constant)] // simulated quantiles; 0.30102 is not log10(2)
pub const TABLE_Q: [[f64; 33]; 33] = [
    // n = 4
    [
        0.25000, 0.25000, 0.25000, 0.25000, 0.25000, 0.25000, 0.25000, 0.25000, 0.25000, 0.26440, 0.28806,
        0.31354, 0.34168, 0.36049, 0.37390, 0.38136, 0.38847, 0.39652, 0.40482, 0.41435, 0.41899, 0.42415,
        0.42927, 0.43476, 0.44094, 0.44747, 0.45477, 0.46344, 0.46995, 0.47429, 0.48004, 0.48367, 0.48875,
    ],
    // n = 5
    [
        0.22361, 0.22361, 0.22361, 0.22361, 0.22361, 0.22361, 0.24373, 0.27243, 0.30102, 0.33017, 0.34499,
        0.36061, 0.37758, 0.38810, 0.39577, 0.39969, 0.40378, 0.40814, 0.41248, 0.41707, 0.41949, 0.42182,
        0.42464, 0.42724, 0.43024, 0.43316, 0.43628, 0.43975, 0.44185, 0.44325, 0.44483, 0.44566, 0.44639,
    ],
    // n = 6
    [
        0.20412, 0.20412, 0.20412, 0.20412, 0.22615, 0.25417, 0.27873, 0.30134, 0.32244, 0.34390, 0.35488,
        0.36602, 0.37771, 0.38482, 0.38989, 0.39250, 0.39512, 0.39778, 0.40050, 0.40325, 0.40480, 0.40634,
        0.40788, 0.41514, 0.42631, 0.43841, 0.45167, 0.46833, 0.48084, 0.49291, 0.50891, 0.51913, 0.53559,
    ],
    // n = 7
    [
        0.18898, 0.18898, 0.19344, 0.21739, 0.24974, 0.27379, 0.29393, 0.31194, 0.32865, 0.34504, 0.35308,
        0.36127, 0.36991, 0.37511, 0.38098, 0.38858, 0.39585, 0.40423, 0.41358, 0.42359, 0.42878, 0.43467,
        0.44074, 0.44748, 0.45514, 0.46366, 0.47385, 0.48666, 0.49657, 0.50488, 0.51409, 0.52247, 0.53291,
    ],
    // n = 8
    [
        0.17678, 0.18568, 0.20920, 0.23200, 0.26153, 0.28241, 0.29935, 0.31432, 0.32793, 0.34091, 0.34739,
        0.35476, 0.37592, 0.39026, 0.40136, 0.40731, 0.41367, 0.42040, 0.42754, 0.43580, 0.44048, 0.44494,
        0.45015, 0.45559, 0.46231, 0.46961, 0.47858, 0.48981, 0.49915, 0.50681, 0.51803, 0.52945, 0.54913,
    ],
    // n = 9
    [
        0.18345, 0.19703, 0.21950, 0.24086, 0.26702, 0.28516, 0.29963, 0.31229, 0.32386, 0.33780, 0.35249,
        0.36857, 0.38706, 0.39971, 0.40926, 0.41421, 0.41963, 0.42582, 0.43232, 0.43999, 0.44407, 0.44851,
        0.45336, 0.45813, 0.46419, 0.47098, 0.47967, 0.49330, 0.50663, 0.51892, 0.53589, 0.54839, 0.56661,
    ],
    // n = 10
    [
        0.19324, 0.20649, 0.22756, 0.24667, 0.26982, 0.28557, 0.29821, 0.30908, 0.32278, 0.34736, 0.36067,
        0.37532, 0.39180, 0.40339, 0.41227, 0.41682, 0.42236, 0.42799, 0.43437, 0.44120, 0.44527, 0.44975,
        0.45486, 0.46052, 0.46762, 0.47759, 0.48918, 0.50466, 0.51602, 0.52662, 0.53978, 0.55077, 0.56865,
    ],
    // n = 11
    [
        0.19963, 0.21164, 0.23174, 0.24937, 0.27033, 0.28433, 0.29544, 0.30993, 0.33121, 0.35362, 0.36642,
        0.37969, 0.39506, 0.40600, 0.41456, 0.41930, 0.42468, 0.43049, 0.43731, 0.44553, 0.45011, 0.45589,
        0.46277, 0.46959, 0.47731, 0.48671, 0.49755, 0.51146, 0.52358, 0.53466, 0.55011, 0.56243, 0.58293,
    ],
    // n = 12
    [
        0.20396, 0.21661, 0.23445, 0.25063, 0.26952, 0.28227, 0.29593, 0.31557, 0.33525, 0.35667, 0.36859,
        0.38142, 0.39647, 0.40736, 0.41622, 0.42100, 0.42666, 0.43392, 0.44183, 0.44997, 0.45526, 0.46107,
        0.46725, 0.47364, 0.48108, 0.48968, 0.50045, 0.51502, 0.52783, 0.53863, 0.55422, 0.56739, 0.58872,
    ],
    // n = 13
    [
        0.20752, 0.21881, 0.23574, 0.25051, 0.26780, 0.28137, 0.30094, 0.31967, 0.33840, 0.35884, 0.37005,
        0.38254, 0.39782, 0.40974, 0.41985, 0.42549, 0.43192, 0.43851, 0.44616, 0.45439, 0.45891, 0.46435,
        0.47003, 0.47645, 0.48387, 0.49297, 0.50265, 0.51811, 0.53123, 0.54382, 0.56053, 0.57376, 0.59589,
    ],
    // n = 14
    [
        0.21020, 0.22046, 0.23617, 0.25003, 0.26536, 0.28536, 0.30419, 0.32226, 0.34028, 0.35998, 0.37103,
        0.38375, 0.40042, 0.41346, 0.42352, 0.42898, 0.43505, 0.44179, 0.44936, 0.45785, 0.46230, 0.46703,
        0.47242, 0.47872, 0.48648, 0.49536, 0.50597, 0.52151, 0.53544, 0.54671, 0.56322, 0.57630, 0.59593,
    ],
    // n = 15
    [
        0.21048, 0.22097, 0.23598, 0.24864, 0.26782, 0.28828, 0.30614, 0.32329, 0.34076, 0.36046, 0.37181,
        0.38567, 0.40324, 0.41590, 0.42535, 0.43062, 0.43636, 0.44270, 0.45012, 0.45825, 0.46302, 0.46814,
        0.47378, 0.48078, 0.48822, 0.49815, 0.50991, 0.52539, 0.53922, 0.54981, 0.56564, 0.57857, 0.59984,
    ],
    // n = 17
    [
        0.21306, 0.22158, 0.23456, 0.24852, 0.27383, 0.29300, 0.30952, 0.32605, 0.34332, 0.36357, 0.37657,
        0.39061, 0.40782, 0.42002, 0.42931, 0.43452, 0.44021, 0.44666, 0.45406, 0.46277, 0.46733, 0.47305,
        0.47922, 0.48628, 0.49454, 0.50373, 0.51617, 0.53101, 0.54504, 0.55813, 0.57853, 0.58904, 0.61223,
    ],
    // n = 20
    [
        0.21212, 0.21968, 0.23602, 0.25418, 0.27743, 0.29526, 0.31146, 0.32803, 0.34701, 0.36916, 0.38151,
        0.39560, 0.41225, 0.42532, 0.43521, 0.44082, 0.44722, 0.45429, 0.46158, 0.46999, 0.47515, 0.48076,
        0.48714, 0.49392, 0.50201, 0.51128, 0.52330, 0.53838, 0.55304, 0.56459, 0.58091, 0.59436, 0.61930,
    ],
    // n = 25
    [
        0.21349, 0.22391, 0.24163, 0.25808, 0.27997, 0.29839, 0.31637, 0.33413, 0.35314, 0.37411, 0.38628,
        0.40071, 0.41803, 0.43087, 0.44112, 0.44700, 0.45362, 0.46095, 0.46934, 0.47863, 0.48401, 0.48985,
        0.49592, 0.50326, 0.51124, 0.52096, 0.53434, 0.55080, 0.56473, 0.57832, 0.59653, 0.61066, 0.63196,
    ],
    // n = 30
    [
        0.21640, 0.22667, 0.24314, 0.25923, 0.28257, 0.30153, 0.31938, 0.33681, 0.35601, 0.37791, 0.39059,
        0.40511, 0.42299, 0.43620, 0.44641, 0.45217, 0.45838, 0.46566, 0.47374, 0.48252, 0.48782, 0.49392,
        0.50027, 0.50775, 0.51618, 0.52587, 0.53865, 0.55647, 0.57029, 0.58408, 0.60314, 0.61728, 0.64139,
    ],
    // n = 40
    [
        0.21906, 0.22942, 0.24692, 0.26431, 0.28796, 0.30694, 0.32454, 0.34252, 0.36168, 0.38387, 0.39693,
        0.41195, 0.43033, 0.44412, 0.45509, 0.46117, 0.46772, 0.47478, 0.48342, 0.49262, 0.49790, 0.50357,
        0.50994, 0.51707, 0.52642, 0.53652, 0.54929, 0.56760, 0.58086, 0.59435, 0.61665, 0.63173, 0.65703,
    ],
    // n = 50
    [
        0.22170, 0.23225, 0.24932, 0.26643, 0.29007, 0.30930, 0.32711, 0.34505, 0.36450, 0.38720, 0.40033,
        0.41589, 0.43432, 0.44779, 0.45816, 0.46428, 0.47101, 0.47787, 0.48616, 0.49641, 0.50225, 0.50815,
        0.51497, 0.52290, 0.53140, 0.54204, 0.55544, 0.57227, 0.58924, 0.60463, 0.62428, 0.63739, 0.66307,
    ],
    // n = 70
    [
        0.22510, 0.23579, 0.25337, 0.27055, 0.29432, 0.31356, 0.33188, 0.35020, 0.37001, 0.39289, 0.40634,
        0.42181, 0.44063, 0.45476, 0.46511, 0.47141, 0.47783, 0.48486, 0.49329, 0.50324, 0.50845, 0.51405,
        0.52099, 0.52860, 0.53737, 0.54901, 0.56262, 0.58047, 0.59616, 0.61099, 0.63338, 0.65177, 0.67832,
    ],
    // n = 100
    [
        0.22884, 0.23915, 0.25625, 0.27424, 0.29826, 0.31814, 0.33615, 0.35462, 0.37456, 0.39735, 0.41065,
        0.42635, 0.44507, 0.45879, 0.47016, 0.47641, 0.48349, 0.49075, 0.49996, 0.51016, 0.51582, 0.52222,
        0.52914, 0.53666, 0.54536, 0.55580, 0.56865, 0.58725, 0.60297, 0.61725, 0.63706, 0.65374, 0.68574,
    ],
    // n = 150
    [
        0.23203, 0.24278, 0.26013, 0.27804, 0.30229, 0.32218, 0.34075, 0.35959, 0.37972, 0.40300, 0.41672,
        0.43260, 0.45204, 0.46654, 0.47777, 0.48453, 0.49093, 0.49865, 0.50732, 0.51738, 0.52268, 0.52960,
        0.53683, 0.54461, 0.55384, 0.56560, 0.57938, 0.59853, 0.61529, 0.63328, 0.65412, 0.67138, 0.70014,
    ],
    // n = 200
    [
        0.23328, 0.24384, 0.26156, 0.27937, 0.30390, 0.32375, 0.34243, 0.36140, 0.38190, 0.40496, 0.41841,
        0.43415, 0.45416, 0.46873, 0.47988, 0.48621, 0.49338, 0.50059, 0.50946, 0.51962, 0.52550, 0.53189,
        0.53877, 0.54705, 0.55656, 0.56801, 0.58162, 0.60130, 0.61810, 0.63321, 0.65766, 0.67422, 0.70078,
    ],
    // n = 300
    [
        0.23532, 0.24617, 0.26388, 0.28163, 0.30645, 0.32663, 0.34584, 0.36506, 0.38567, 0.40967, 0.42348,
        0.43944, 0.45940, 0.47375, 0.48504, 0.49166, 0.49881, 0.50673, 0.51613, 0.52635, 0.53241, 0.53858,
        0.54509, 0.55335, 0.56234, 0.57399, 0.58909, 0.60805, 0.62325, 0.63664, 0.65925, 0.67757, 0.70417,
    ],
    // n = 500
    [
        0.23847, 0.24921, 0.26701, 0.28488, 0.30967, 0.33005, 0.34870, 0.36796, 0.38872, 0.41281, 0.42684,
        0.44319, 0.46299, 0.47773, 0.48912, 0.49564, 0.50280, 0.51011, 0.51917, 0.52946, 0.53527, 0.54199,
        0.55008, 0.55834, 0.56825, 0.58028, 0.59591, 0.61602, 0.63314, 0.64879, 0.67079, 0.68763, 0.71531,
    ],
    // n = 700
    [
        0.23941, 0.25021, 0.26836, 0.28619, 0.31107, 0.33131, 0.35039, 0.36992, 0.39068, 0.41455, 0.42854,
        0.44489, 0.46494, 0.47937, 0.49119, 0.49770, 0.50448, 0.51294, 0.52162, 0.53173, 0.53787, 0.54412,
        0.55187, 0.56025, 0.56988, 0.58239, 0.59697, 0.61841, 0.63502, 0.65234, 0.67581, 0.69408, 0.72078,
    ],
    // n = 1000
    [
        0.24118, 0.25170, 0.26972, 0.28770, 0.31261, 0.33311, 0.35211, 0.37191, 0.39276, 0.41683, 0.43087,
        0.44719, 0.46741, 0.48226, 0.49393, 0.50018, 0.50778, 0.51586, 0.52454, 0.53482, 0.54067, 0.54749,
        0.55484, 0.56331, 0.57281, 0.58371, 0.59963, 0.62062, 0.63795, 0.65278, 0.67833, 0.69552, 0.72430,
    ],
    // n = 1500
    [
        0.24186, 0.25260, 0.27063, 0.28933, 0.31420, 0.33433, 0.35377, 0.37295, 0.39383, 0.41819, 0.43247,
        0.44917, 0.46930, 0.48469, 0.49629, 0.50305, 0.51037, 0.51871, 0.52776, 0.53794, 0.54407, 0.55085,
        0.55799, 0.56584, 0.57545, 0.58742, 0.60247, 0.62272, 0.63941, 0.65636, 0.67740, 0.69580, 0.72764,
    ],
    // n = 2000
    [
        0.24178, 0.25272, 0.27123, 0.28930, 0.31457, 0.33487, 0.35400, 0.37371, 0.39483, 0.41921, 0.43386,
        0.45071, 0.47101, 0.48573, 0.49695, 0.50351, 0.51134, 0.51955, 0.52834, 0.53914, 0.54496, 0.55149,
        0.55868, 0.56659, 0.57662, 0.58831, 0.60372, 0.62445, 0.64191, 0.65736, 0.67897, 0.69700, 0.72932,
    ],
    // n = 3000
    [
        0.24358, 0.25471, 0.27261, 0.29049, 0.31560, 0.33629, 0.35537, 0.37486, 0.39594, 0.42044, 0.43455,
        0.45118, 0.47154, 0.48654, 0.49833, 0.50490, 0.51210, 0.52032, 0.52995, 0.54039, 0.54642, 0.55275,
        0.55987, 0.56784, 0.57705, 0.58880, 0.60446, 0.62505, 0.64212, 0.65752, 0.67846, 0.69598, 0.72322,
    ],
    // n = 5000
    [
        0.24415, 0.25572, 0.27354, 0.29196, 0.31707, 0.33766, 0.35652, 0.37583, 0.39735, 0.42207, 0.43626,
        0.45271, 0.47319, 0.48805, 0.49938, 0.50559, 0.51312, 0.52168, 0.53107, 0.54121, 0.54710, 0.55418,
        0.56128, 0.56936, 0.57905, 0.58998, 0.60565, 0.62642, 0.64330, 0.65911, 0.68185, 0.70066, 0.72563,
    ],
    // n = 10000
    [
        0.24471, 0.25584, 0.27408, 0.29213, 0.31757, 0.33810, 0.35730, 0.37655, 0.39756, 0.42217, 0.43672,
        0.45346, 0.47339, 0.48829, 0.49968, 0.50677, 0.51427, 0.52242, 0.53244, 0.54319, 0.54939, 0.55648,
        0.56393, 0.57291, 0.58303, 0.59425, 0.60957, 0.63147, 0.64683, 0.66285, 0.68352, 0.70207, 0.73076,
    ],
    // n = 20000
    [
        0.24492, 0.25603, 0.27436, 0.29289, 0.31835, 0.33909, 0.35838, 0.37771, 0.39894, 0.42333, 0.43780,
        0.45415, 0.47446, 0.48974, 0.50142, 0.50840, 0.51559, 0.52403, 0.53320, 0.54392, 0.54974, 0.55646,
        0.56388, 0.57288, 0.58231, 0.59485, 0.61065, 0.63139, 0.64973, 0.66732, 0.69022, 0.70873, 0.73848,
    ],
    // n = 50000
    [
        0.24550, 0.25639, 0.27493, 0.29356, 0.31862, 0.33945, 0.35871, 0.37849, 0.39984, 0.42392, 0.43825,
        0.45462, 0.47492, 0.49007, 0.50171, 0.50844, 0.51593, 0.52393, 0.53316, 0.54358, 0.54987, 0.55651,
        0.56375, 0.57211, 0.58278, 0.59515, 0.61117, 0.63269, 0.65051, 0.66710, 0.69129, 0.70917, 0.73667,
    ],
];
// TABLE_END

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// splitmix64 (Steele, Lea & Flood 2014): small, std-only, easy to reproduce in Python.
    struct SplitMix64(u64);

    impl SplitMix64 {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform on [0, 1) with 53 random bits (exact in both Rust and Python).
        fn uniform(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
        }

        /// Exp(1) as −ln u with u on (0, 1].
        fn exponential(&mut self) -> f64 {
            -(((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)).ln()
        }
    }

    /// Test data built with only +, ×, floor, so Python reproduces it bit for bit: value i is
    /// centres[i % len] + width·(u1 + u2 + u3 + u4 − 2) (Irwin–Hall, nearly normal), optionally
    /// floored to a grid of 1/step.
    fn mixture(seed: u64, n: usize, centres: &[f64], width: f64, step: Option<f64>) -> Vec<f64> {
        let mut rng = SplitMix64(seed);
        (0..n)
            .map(|i| {
                let c = centres[i % centres.len()];
                let v = c + width
                    * (rng.uniform() + rng.uniform() + rng.uniform() + rng.uniform() - 2.0);
                match step {
                    Some(s) => (v * s).floor() / s,
                    None => v,
                }
            })
            .collect()
    }

    /// Right-skewed: product of three uniforms.
    fn product3(seed: u64, n: usize) -> Vec<f64> {
        let mut rng = SplitMix64(seed);
        (0..n)
            .map(|_| rng.uniform() * rng.uniform() * rng.uniform())
            .collect()
    }

    fn uniform(seed: u64, n: usize) -> Vec<f64> {
        let mut rng = SplitMix64(seed);
        (0..n).map(|_| rng.uniform()).collect()
    }

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_unstable_by(f64::total_cmp);
        v
    }

    /// Relative path from the crate root to the team's shared data sets.
    fn shared_data(rel: &str) -> Option<PathBuf> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data")
            .join(rel);
        if path.exists() {
            Some(path)
        } else {
            eprintln!("note: {} is absent; skipping", path.display());
            None
        }
    }

    /// The first `k` fields of a CSV line as raw slices; commas inside double quotes do not
    /// split (RU `tik` names such as "22 Улан-Удэ, Железнодорожная").
    fn csv_prefix(line: &str, k: usize) -> Vec<&str> {
        let mut fields = Vec::with_capacity(k);
        let (mut start, mut quoted) = (0, false);
        for (i, b) in line.bytes().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    fields.push(&line[start..i]);
                    if fields.len() == k {
                        return fields;
                    }
                    start = i + 1;
                }
                _ => {}
            }
        }
        fields.push(&line[start..]);
        fields
    }

    fn int(field: &str) -> u64 {
        field
            .parse()
            .unwrap_or_else(|e| panic!("not an integer: {field:?} ({e})"))
    }

    /// Asserts `dip_statistic` against a Python `diptest` value.
    fn assert_dip(name: &str, data: &[f64], expected: f64) -> f64 {
        let d = dip_statistic(data);
        assert!(
            (d - expected).abs() <= 1e-9,
            "{name}: D = {d:e}, Python diptest {expected:e}"
        );
        d
    }

    #[test]
    fn two_equal_point_masses_give_the_maximum_quarter() {
        // methods.md §10 item 8 and R's documentation: {0, 0, 1, 1} → D = 1/4, the largest dip.
        assert_eq!(dip_statistic(&[0.0, 0.0, 1.0, 1.0]), 0.25);
        // R and Python report p = 0 (beyond their tables); ours is the resolution bound.
        let r = dip_test(&[1.0, 0.0, 1.0, 0.0]);
        assert_eq!((r.n, r.dip, r.p_value), (4, 0.25, DIP_P_VALUE_FLOOR));
    }

    #[test]
    fn uniform_grid_has_the_theoretical_minimum() {
        // Convention pin (module doc): 1..100 → 1/(2n) = 0.005; Python diptest 0.12 returns 0.0
        // (`diptest.diptest(np.arange(1, 101.))` → (0.0, 1.0)), R returns 0.005.
        let grid: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(dip_statistic(&grid), 0.005);
        assert_eq!(dip_p_value(0.005, 100), 1.0);
        // Continuity that Python lacks: nudging one point keeps 1/(2n).
        let mut nudged = grid.clone();
        nudged[0] = 0.999_999_999_9;
        assert!((dip_statistic(&nudged) - 0.005).abs() < 1e-12);
    }

    #[test]
    fn small_and_degenerate_samples() {
        assert_eq!(dip_statistic(&[]), 0.0);
        assert_eq!(dip_statistic(&[3.5]), 0.0);
        // All values equal: a point mass is unimodal, D = 0 (Python 0.0; R 1/(2n)).
        assert_eq!(dip_statistic(&[2.0; 8]), 0.0);
        // Two or three points with two or more distinct values: exactly 1/(2n).
        assert_eq!(dip_statistic(&[0.0, 1.0]), 0.25);
        assert_eq!(dip_statistic(&[0.0, 1.0, 3.0]), 1.0 / 6.0);
        assert_eq!(dip_statistic(&[0.0, 0.0, 1.0]), 1.0 / 6.0);
        assert_eq!(dip_statistic(&[-1.0, 5.0, 5.0]), 1.0 / 6.0);
        for n in 0..4 {
            let r = dip_test(&uniform(99, n));
            assert_eq!(r.p_value, 1.0, "n = {n}");
        }
        let empty = dip_test(&[]);
        assert_eq!((empty.n, empty.dip, empty.p_value), (0, 0.0, 1.0));
    }

    #[test]
    fn unsorted_or_non_finite_input_gives_nan() {
        assert!(dip_statistic(&[0.0, 2.0, 1.0, 3.0]).is_nan());
        assert!(dip_statistic(&[0.0, f64::NAN, 1.0, 3.0]).is_nan());
        assert!(dip_statistic(&[0.0, 1.0, 2.0, f64::INFINITY]).is_nan());
        assert!(dip_p_value(f64::NAN, 100).is_nan());
        // dip_test drops non-finite values and sorts.
        let r = dip_test(&[
            1.0,
            f64::NAN,
            0.0,
            f64::NEG_INFINITY,
            1.0,
            0.0,
            f64::INFINITY,
        ]);
        assert_eq!((r.n, r.dip), (4, 0.25));
    }

    /// Expected values from Python `diptest` 0.12.0 (`diptest.diptest(np.array(x))`, default
    /// table p-value) on the same data, generated by the identical splitmix64 recipe in Python.
    #[test]
    fn matches_python_diptest() {
        let cases: [(&str, Vec<f64>, f64, f64); 12] = [
            (
                "n5",
                mixture(5, 5, &[0.0], 1.0, None),
                0.12835929182354816,
                0.4467234064450938,
            ),
            (
                "n50_bimodal_a",
                mixture(3, 50, &[0.0, 1.2], 0.6, None),
                0.07096081779529788,
                0.04679746116430883,
            ),
            (
                "n50_bimodal_b",
                mixture(2, 50, &[0.0, 1.4], 0.6, None),
                0.07628544868612767,
                0.021977096226806547,
            ),
            (
                "n100_uniform",
                uniform(13, 100),
                0.04196369936382029,
                0.22615411476724123,
            ),
            (
                "n200_weak",
                mixture(1, 200, &[0.0, 1.2], 0.6, None),
                0.02704723963186822,
                0.3986785171969033,
            ),
            (
                "n200_bimodal",
                mixture(3, 200, &[0.0, 1.4], 0.6, None),
                0.0436647250861512,
                0.007847625807579584,
            ),
            (
                "n1000_skewed",
                product3(6, 1000),
                0.006028541005208442,
                0.9972009166334843,
            ),
            (
                "n1000_ties",
                mixture(7, 1000, &[0.0, 0.0, 3.0], 1.0, Some(4.0)),
                0.060409090909090905,
                0.0,
            ),
            (
                "n1000_two_close",
                mixture(2, 1000, &[0.0, 1.0], 0.6, None),
                0.011519723663658311,
                0.5366525337197231,
            ),
            (
                "n2000_two_close",
                mixture(1, 2000, &[0.0, 1.0], 0.6, None),
                0.011398525191703356,
                0.08415843216438867,
            ),
            (
                "n20000_trimodal",
                mixture(11, 20000, &[0.0, 2.5, 5.0], 0.8, None),
                0.053408032598586556,
                0.0,
            ),
            (
                "n20000_unimodal",
                mixture(12, 20000, &[0.0], 1.0, None),
                0.0013812519030805617,
                0.9965417607917647,
            ),
        ];
        for (name, data, d_py, p_py) in cases {
            let r = dip_test(&data);
            assert_eq!(r.n, data.len());
            assert_dip(name, &sorted(data), d_py);
            eprintln!(
                "{name}: |D - D_py| = {:.1e}, p = {:.4} (Python {p_py:.4})",
                (r.dip - d_py).abs(),
                r.p_value
            );
            assert!(r.p_value >= DIP_P_VALUE_FLOOR && r.p_value <= 1.0, "{name}");
            if (0.01..=0.99).contains(&p_py) {
                assert!(
                    (r.p_value - p_py).abs() <= P_TOLERANCE,
                    "{name}: p = {}, Python {p_py}",
                    r.p_value
                );
            } else if p_py < 0.01 {
                assert!(r.p_value < 0.02, "{name}: p = {}", r.p_value);
            } else {
                assert!(r.p_value > 0.98, "{name}: p = {}", r.p_value);
            }
        }
    }

    /// Largest accepted |p − p_Python| where Python's p is in [0.01, 0.99]. Both are tables
    /// interpolated linearly; they differ by our Monte Carlo error (±0.0007 at p = 0.05,
    /// ±0.0016 at p = 0.5), by Python's coarser probability grid (0.02, 0.05, 0.1, 0.2, …) and
    /// by its interpolation linear in n rather than 1/√n. The largest difference on the grid
    /// below is 0.0094, at n = 100, √n·D = 0.45: ours 0.139, Python 0.149, while 200,000 fresh
    /// simulations give 0.141 (Python interpolates linearly between its 0.1 and 0.2 columns).
    const P_TOLERANCE: f64 = 0.01;

    #[test]
    fn p_value_matches_python_table() {
        // Python diptest 0.12.0 `diptest.consts.Consts.compute_pval_interpolation(n, s / sqrt(n))`
        // for s = 0.30, 0.35, …, 0.70.
        let grid: [(usize, [f64; 9]); 8] = [
            (
                10,
                [
                    0.58449, 0.29191, 0.13418, 0.04289, 0.01180, 0.00255, 0.00027, 0.00002, 0.00000,
                ],
            ),
            (
                30,
                [
                    0.70965, 0.42930, 0.21788, 0.09492, 0.03814, 0.01196, 0.00353, 0.00082, 0.00018,
                ],
            ),
            (
                100,
                [
                    0.79038, 0.52492, 0.29332, 0.14866, 0.06419, 0.02515, 0.00838, 0.00264, 0.00069,
                ],
            ),
            (
                300,
                [
                    0.82509, 0.57277, 0.33393, 0.17383, 0.07981, 0.03411, 0.01207, 0.00419, 0.00126,
                ],
            ),
            (
                1000,
                [
                    0.85084, 0.61069, 0.36803, 0.19374, 0.09255, 0.04129, 0.01579, 0.00545, 0.00178,
                ],
            ),
            (
                5000,
                [
                    0.86575, 0.63215, 0.38619, 0.20616, 0.09871, 0.04467, 0.01764, 0.00656, 0.00217,
                ],
            ),
            (
                24532,
                [
                    0.87265, 0.64181, 0.39478, 0.21358, 0.10284, 0.04635, 0.01854, 0.00713, 0.00247,
                ],
            ),
            (
                72000,
                [
                    0.87547, 0.64618, 0.39852, 0.21675, 0.10548, 0.04719, 0.01907, 0.00743, 0.00263,
                ],
            ),
        ];
        let mut worst = 0.0_f64;
        for (n, ps) in grid {
            for (k, p_py) in ps.into_iter().enumerate() {
                let s = 0.30 + 0.05 * k as f64;
                let p = dip_p_value(s / (n as f64).sqrt(), n);
                if (0.01..=0.99).contains(&p_py) {
                    worst = worst.max((p - p_py).abs());
                    assert!(
                        (p - p_py).abs() <= P_TOLERANCE,
                        "n {n} s {s}: {p} vs {p_py}"
                    );
                } else {
                    // Below Python's 1 %: ours is small too, and never below the floor.
                    assert!((DIP_P_VALUE_FLOOR..0.02).contains(&p), "n {n} s {s}: {p}");
                }
            }
        }
        eprintln!("max |p - p_python| on the grid: {worst:.4}");
    }

    #[test]
    fn p_value_semantics() {
        for n in [4, 5, 9, 16, 60, 150, 777, 24_532, 50_000, 1_000_000] {
            let mut prev = 1.0;
            // From the exact minimum to the maximum 1/4: non-increasing, within [floor, 1].
            for k in 0..=400 {
                let d = 0.5 / n as f64 + (0.25 - 0.5 / n as f64) * k as f64 / 400.0;
                let p = dip_p_value(d, n);
                assert!((DIP_P_VALUE_FLOOR..=1.0).contains(&p), "n {n} d {d}: {p}");
                assert!(p <= prev + 1e-15, "n {n} d {d}: {p} > {prev}");
                prev = p;
            }
            assert_eq!(dip_p_value(0.5 / n as f64, n), 1.0, "n {n}");
            assert_eq!(dip_p_value(0.25, n), DIP_P_VALUE_FLOOR, "n {n}");
        }
        // Beyond the largest tabulated n the last row is used: √n·D is what matters.
        let s = 0.5;
        let p_big = dip_p_value(s / 1e3, 1_000_000);
        assert_eq!(p_big, dip_p_value(s / 50_000f64.sqrt(), 50_000));
    }

    #[test]
    fn table_is_well_formed() {
        assert!(TABLE_N.windows(2).all(|w| w[0] < w[1]) && TABLE_N[0] == 4);
        assert!(TABLE_TAIL_P.windows(2).all(|w| w[0] > w[1]));
        assert_eq!(TABLE_TAIL_P[TABLE_TAIL_P.len() - 1], DIP_P_VALUE_FLOOR);
        for (n, row) in TABLE_N.iter().zip(TABLE_Q.iter()) {
            let floor = 0.5 / (*n as f64).sqrt();
            assert!(row[0] >= floor - 5e-6, "n {n}: {} < {floor}", row[0]);
            assert!(row.windows(2).all(|w| w[0] <= w[1]), "n {n} not monotone");
            assert!(row[row.len() - 1] <= 0.25 * (*n as f64).sqrt(), "n {n}");
        }
    }

    /// End to end: under the null, p ≤ α about α of the time (n = 60 sits between table rows).
    #[test]
    fn p_value_is_calibrated_under_the_uniform_null() {
        let (n, sims) = (60, 4000);
        let mut rng = SplitMix64(0x5EED_0060);
        let mut at_05 = 0;
        let mut at_50 = 0;
        for _ in 0..sims {
            let x = sorted((0..n).map(|_| rng.uniform()).collect());
            let p = dip_p_value(dip_statistic(&x), n);
            at_05 += usize::from(p <= 0.05);
            at_50 += usize::from(p <= 0.5);
        }
        let (f05, f50) = (at_05 as f64 / sims as f64, at_50 as f64 / sims as f64);
        // Binomial s.e. 0.0034 and 0.0079: these bounds are about 4 s.e.
        assert!((f05 - 0.05).abs() < 0.014, "P(p ≤ 0.05) = {f05}");
        assert!((f50 - 0.5).abs() < 0.032, "P(p ≤ 0.5) = {f50}");
    }

    #[test]
    fn mirror_and_affine_invariance() {
        for data in [
            mixture(21, 300, &[0.0, 0.0, 2.0], 0.7, None),
            product3(22, 500),
            mixture(23, 400, &[0.0, 1.0, 5.0], 1.0, Some(2.0)),
        ] {
            let x = sorted(data);
            let d = dip_statistic(&x);
            let mirrored: Vec<f64> = x.iter().rev().map(|v| -v).collect();
            assert!((dip_statistic(&mirrored) - d).abs() < 1e-12);
            let scaled: Vec<f64> = x.iter().map(|v| 4.0 * v - 3.0).collect();
            assert!((dip_statistic(&scaled) - d).abs() < 1e-9);
        }
    }

    /// Venezuela 2024 (`../shared/data/ve2024-actas`, see its PROVENANCE.md): per-table turnout
    /// (VOTOS_VALIDOS + VOTOS_NULOS) / RE on all 24,532 actas. methods.md §7.2 reports Python
    /// diptest D = 0.00153, p = 0.991; exactly:
    /// `diptest.diptest(t)` → (0.0015258602715305222, 0.9908404285916624).
    #[test]
    fn venezuela_2024_turnout_matches_python() {
        let Some(path) = shared_data("ve2024-actas/RESULTADOS_2024_CSV_V1.csv") else {
            return;
        };
        let text = std::fs::read_to_string(&path).expect("readable CSV");
        let mut lines = text.trim_start_matches('\u{feff}').lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
        let (re, valid, null) = (col("RE"), col("VOTOS_VALIDOS"), col("VOTOS_NULOS"));
        let turnout: Vec<f64> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (int(f[valid]) + int(f[null])) as f64 / int(f[re]) as f64
            })
            .collect();
        let r = dip_test(&turnout);
        eprintln!("VE: n = {}, D = {:e}, p = {:.4}", r.n, r.dip, r.p_value);
        assert_eq!(r.n, 24_532);
        assert_dip("VE turnout", &sorted(turnout), 0.0015258602715305222);
        assert!(
            (r.p_value - 0.9908404285916624).abs() <= P_TOLERANCE,
            "{}",
            r.p_value
        );
    }

    /// Russia 2011 / 2012 (`../shared/data/ru-federal`, see its PROVENANCE.md): per-station
    /// turnout = ballots issued (columns 6 + 7 + 8) / registered (column 4), all stations with
    /// registered > 0. Python diptest: 2011 (n = 95,225) D = 0.024342494992187547, 2012
    /// (n = 95,414) D = 0.018067943887560365, both p = 0.0 (beyond its table).
    #[test]
    fn russia_2011_2012_turnout_matches_python() {
        for (file, n, d_py) in [
            ("ru_2011.csv.gz", 95_225, 0.024342494992187547),
            ("ru_2012.csv.gz", 95_414, 0.018067943887560365),
        ] {
            let Some(path) = shared_data(&format!("ru-federal/{file}")) else {
                return;
            };
            // std has no gzip decoder; the system's gzip is, and without it the test skips.
            let out = match std::process::Command::new("gzip")
                .arg("-dc")
                .arg(&path)
                .output()
            {
                Ok(out) if out.status.success() => out.stdout,
                _ => {
                    eprintln!("note: `gzip -dc {}` failed; skipping", path.display());
                    return;
                }
            };
            let text = String::from_utf8(out).expect("UTF-8 CSV");
            let turnout: Vec<f64> = text
                .lines()
                .skip(1)
                .filter(|l| !l.is_empty())
                .filter_map(|l| {
                    let f = csv_prefix(l, 8);
                    let registered = int(f[3]);
                    let issued = int(f[5]) + int(f[6]) + int(f[7]);
                    (registered > 0).then(|| issued as f64 / registered as f64)
                })
                .collect();
            let r = dip_test(&turnout);
            eprintln!("{file}: n = {}, D = {:e}, p = {}", r.n, r.dip, r.p_value);
            assert_eq!(r.n, n, "{file}");
            assert_dip(file, &sorted(turnout), d_py);
            assert_eq!(r.p_value, DIP_P_VALUE_FLOOR, "{file}");
        }
    }

    /// Simulated quantiles of √n·D_n at `TABLE_TAIL_P` for sample size `n`.
    fn simulate_row(n: usize, sims: usize) -> Vec<f64> {
        let mut rng = SplitMix64(TABLE_SEED ^ ((n as u64) << 32));
        let mut x = vec![0.0; n];
        let root = (n as f64).sqrt();
        let mut stats: Vec<f64> = (0..sims)
            .map(|_| {
                // Cumulative Exp(1) spacings are uniform order statistics up to a common scale.
                let mut acc = 0.0;
                for v in x.iter_mut() {
                    acc += rng.exponential();
                    *v = acc;
                }
                root * dip_statistic(&x)
            })
            .collect();
        stats.sort_unstable_by(f64::total_cmp);
        TABLE_TAIL_P
            .iter()
            .map(|&p| {
                // Type-1 quantile: the smallest value with at least a (1 − p) share at or below.
                let k = ((1.0 - p) * sims as f64 - 1e-6).ceil() as usize;
                stats[k.clamp(1, sims) - 1]
            })
            .collect()
    }

    /// Regenerates `TABLE_Q` and prints it as Rust source. About 8 CPU-minutes:
    /// `cargo test --release --lib regenerate_table -- --ignored --nocapture`
    /// Env `DIP_TABLE_SIMS` overrides the 100,000 samples per n; `DIP_TABLE_MAX_N=1000` keeps
    /// only the rows up to n = 1000 (under a minute), which must equal those in `TABLE_Q`.
    #[test]
    #[ignore = "minutes of CPU; prints the p-value table"]
    fn regenerate_table() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Mutex;
        let sims: usize = std::env::var("DIP_TABLE_SIMS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(100_000);
        let max_n: usize = std::env::var("DIP_TABLE_MAX_N")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(usize::MAX);
        let sizes: Vec<usize> = TABLE_N.iter().copied().filter(|&n| n <= max_n).collect();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        let rows: Mutex<Vec<Option<Vec<f64>>>> = Mutex::new(vec![None; sizes.len()]);
        // Largest n first, so the long rows do not end up last on one thread.
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= sizes.len() {
                        break;
                    }
                    let i = sizes.len() - 1 - k;
                    let row = simulate_row(sizes[i], sims);
                    rows.lock().unwrap()[i] = Some(row);
                });
            }
        });
        let rows = rows.into_inner().unwrap();
        println!("// TABLE_BEGIN");
        println!(
            "/// Quantiles of √n·D_n under U(0, 1): row i for n = `TABLE_N[i]`, column j at \
             upper-tail"
        );
        println!(
            "/// probability `TABLE_TAIL_P[j]`. Generated by `regenerate_table` ({sims} samples \
             per n,"
        );
        println!("/// seed `TABLE_SEED`); do not edit by hand.");
        println!("#[rustfmt::skip]");
        println!(
            "#[allow(clippy::approx_constant)] // simulated quantiles; 0.30102 is not log10(2)"
        );
        println!(
            "pub const TABLE_Q: [[f64; {}]; {}] = [",
            TABLE_TAIL_P.len(),
            TABLE_N.len()
        );
        for (n, row) in sizes.iter().zip(rows) {
            let cells: Vec<String> = row.unwrap().iter().map(|q| format!("{q:.5}")).collect();
            println!("    // n = {n}");
            println!("    [");
            for chunk in cells.chunks(11) {
                println!("        {},", chunk.join(", "));
            }
            println!("    ],");
        }
        println!("];");
        println!("// TABLE_END");
    }
}
