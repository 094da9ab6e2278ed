//! Exact null moments of the digit statistics: the mean and variance that a simulation of the
//! digit null (`simulated`) estimates from its replicates, computed from each station's digit
//! probabilities instead. The default; `--simulate-digit-nulls` draws them instead.
//!
//! **The null model is the simulation's.** Each count c is redrawn as v = round(|c + σZ|), σ = 5
//! votes, for the last-digit family (the smooth-count null), and as v = min(N, round₊(μ + sZ)) with
//! the shrunken-share binomial parameters for the leading-digit family (`null` module doc).
//! Stations are independent, so every digit histogram H of a group is a sum of independent
//! categorical vectors: E[H] = μ = Σᵢ pᵢ and Cov(H) = Σ = Σᵢ (diag pᵢ − pᵢpᵢᵀ), exactly.
//! - For the last-digit family pᵢ depends only on the count: counts of 200 or more are redrawn to
//!   160 or more (8σ), where every statistic reads v mod 100 only, so such a station's
//!   probabilities depend on c mod 100. A group is summarised by how many of its stations have
//!   each count below 200 and each residue mod 100 above; its μ and Σ follow from those 300
//!   numbers whatever the number of stations.
//! - For the leading-digit family pᵢ is read off the normal CDF at the boundaries of v's
//!   first/second-digit blocks (one evaluation per block within 7 SD, beyond which the mass is under
//!   3 · 10⁻¹²).
//!
//! **Statistics.** Shares, means and pair shares are ratios R = a·H / b·H: E ≈ a·μ / b·μ and
//! Var ≈ gᵀΣg with g = (a − R b) / b·μ (the delta method; the neglected terms are O(1/n)).
//! Pearson χ² statistics are quadratic forms Q = YᵀWY of a residual Y = AH, W = diag(1/(n̄ eₚ))
//! over the cells pooled as `goodness_of_fit::fit` pools them (n̄ = E[n]). For a fixed law
//! (last digit against the smooth-count expectation, the Benford laws) Y is linear in H; for the
//! last two digits, whose expectation is each histogram's own kernel smoothing
//! (`laws::smooth_last2`, linear in H and normalised), Y is linearised at μ, which keeps both the
//! noise the smoothing absorbs and the smoothing's own bias (m = Y(μ) ≠ 0 on steep shapes). With
//! S = Cov(Y) = AΣAᵀ: E[Q] = tr(WS) + mᵀWm and Var[Q] = 2 tr((WS)²) + 4 mᵀWSWm (Mathai &
//! Provost 1992, *Quadratic Forms in Random Variables*, Thm 3.2b.2; the Gaussian form — the
//! fourth-cumulant term is O(1/n) against the leading 2(k − 1)).
//!
//! The p-values are then formed exactly as from simulated moments (a scaled χ² matched to the mean
//! and variance, Satterthwaite 1946; a normal for the others). The moments no longer carry
//! Monte Carlo error (about 10 % on the SD at 200 replicates), and the cost is one pass over the
//! stations plus about 10⁶–10⁷ operations per group, whatever `--replicates` is. What is lost: the
//! empirical exceedance p-value, which needs draws.

use rayon::prelude::*;
use statrs::function::erf::erfc;

use crate::forensics::digits::laws::{
    benford_first, benford_second, first_digit, second_digit, smooth_kernel, DigitHist,
    SMOOTH_RADIUS, SMOOTH_SIGMA,
};
use crate::forensics::digits::null::{GroupMoments, NullMoments, Setup, Stat, N_STATS};
use crate::stats::goodness_of_fit::MIN_EXPECTED;

/// Reach of the jitter (votes) beyond which its mass (under 10⁻¹⁵) is dropped: 8σ.
const REACH: u64 = 40;
/// Counts below this are their own type; from here up, only the residue mod 100 matters.
const SMALL: usize = 200;
/// Categories of a redrawn count v: v itself below 120, then 120 + v mod 100.
const N_CAT: usize = 220;
/// Reach (SDs) of the leading-digit redraw's blocks.
const LEAD_REACH: f64 = 7.0;
/// Stations per chunk of the parallel pass (fixed, so sums do not depend on the threads), and
/// chunks per wave folded before the next is computed.
const CHUNK: usize = 16_384;
const WAVE: usize = 32;

/// The standard normal CDF.
fn phi(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Nodes per unit of the tabulated normal CDF (`fast_phi`), and its half-width (beyond it the tail
/// mass, under 10⁻¹⁸, is dropped).
const PHI_STEPS: f64 = 256.0;
const PHI_REACH: f64 = 9.0;

/// Φ and the density, times the node spacing, at the nodes −9, −9 + 1/256, …, 9.
static PHI_TABLE: std::sync::LazyLock<Vec<(f64, f64)>> = std::sync::LazyLock::new(|| {
    let n = (2.0 * PHI_REACH * PHI_STEPS) as usize + 2;
    (0..n)
        .map(|i| {
            let x = i as f64 / PHI_STEPS - PHI_REACH;
            let density = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
            (phi(x), density / PHI_STEPS)
        })
        .collect()
});

/// Φ(x) by cubic Hermite interpolation of `PHI_TABLE` (values and slopes at the nodes): the error
/// is under 10⁻¹¹ for h = 1/256 (h⁴/384 · max|Φ⁗|), at a few nanoseconds instead of an `erfc`,
/// which was a third of the exact moments' time on 10⁷ station-subjects.
fn fast_phi(x: f64) -> f64 {
    if x <= -PHI_REACH {
        return 0.0;
    }
    if x >= PHI_REACH {
        return 1.0;
    }
    let t = (x + PHI_REACH) * PHI_STEPS;
    let i = t as usize;
    let u = t - i as f64;
    let table = &*PHI_TABLE;
    let ((f0, d0), (f1, d1)) = (table[i], table[i + 1]);
    let (u2, u3) = (u * u, u * u * u);
    (2.0 * u3 - 3.0 * u2 + 1.0) * f0
        + (u3 - 2.0 * u2 + u) * d0
        + (-2.0 * u3 + 3.0 * u2) * f1
        + (u3 - u2) * d1
}

/// Category of a redrawn count (see `N_CAT`): every last-digit-family statistic is a function of it.
fn category(v: u64) -> usize {
    if v < 120 {
        v as usize
    } else {
        120 + (v % 100) as usize
    }
}

/// The value a category stands for (for its digits; any v ≥ 120 with the same ending will do).
fn category_value(c: usize) -> u64 {
    if c < 120 {
        c as u64
    } else {
        (c - 120) as u64 + 200
    }
}

/// Distribution of the category of round(|c + σZ|) for each type: counts 0..SMALL, then residues.
static TYPES: std::sync::LazyLock<Vec<Vec<(usize, f64)>>> = std::sync::LazyLock::new(|| {
    let s = SMOOTH_SIGMA;
    let mass = |lo: f64, hi: f64| phi(hi / s) - phi(lo / s);
    let mut types = Vec::with_capacity(SMALL + 100);
    for c in 0..SMALL as u64 {
        let cf = c as f64;
        let mut d = Vec::new();
        for v in c.saturating_sub(REACH)..=c + REACH {
            let vf = v as f64;
            // |c + σZ| rounds to v: c + σZ near v, or near −v (the reflection at 0).
            let p = if v == 0 {
                mass(-0.5 - cf, 0.5 - cf)
            } else {
                mass(vf - 0.5 - cf, vf + 0.5 - cf) + mass(-vf - 0.5 - cf, -vf + 0.5 - cf)
            };
            d.push((category(v), p));
        }
        // The reflected mass lands on 0..=REACH − c, inside the loop's range.
        types.push(d);
    }
    for r in 0..100i64 {
        let d = (-(REACH as i64)..=REACH as i64)
            .map(|k| {
                let kf = k as f64;
                (
                    120 + (r + k).rem_euclid(100) as usize,
                    mass(kf - 0.5, kf + 0.5),
                )
            })
            .collect();
        types.push(d);
    }
    types
});

/// The type of a count (index into `TYPES`).
fn type_of(c: u64) -> usize {
    if c < SMALL as u64 {
        c as usize
    } else {
        SMALL + (c % 100) as usize
    }
}

/// Sums over a group's stations of the leading-digit probabilities and their outer products.
#[derive(Clone)]
struct Leading {
    mu2: [f64; 10],
    s2: [f64; 100],
    mu1: [f64; 9],
    s1: [f64; 81],
}

impl Default for Leading {
    fn default() -> Self {
        Leading {
            mu2: [0.0; 10],
            s2: [0.0; 100],
            mu1: [0.0; 9],
            s1: [0.0; 81],
        }
    }
}

impl Leading {
    fn add(&mut self, p2: &[f64; 10], p1: &[f64; 9]) {
        add_categorical(&mut self.mu2, &mut self.s2, p2);
        add_categorical(&mut self.mu1, &mut self.s1, p1);
    }

    fn merge(&mut self, o: &Leading) {
        let add = |x: &mut [f64], y: &[f64]| x.iter_mut().zip(y).for_each(|(a, b)| *a += b);
        add(&mut self.mu2, &o.mu2);
        add(&mut self.s2, &o.s2);
        add(&mut self.mu1, &o.mu1);
        add(&mut self.s1, &o.s1);
    }
}

/// Add one station's cell probabilities p to the sums of p (`mu`) and of diag p − ppᵀ (`s`, k × k).
fn add_categorical<const K: usize>(mu: &mut [f64; K], s: &mut [f64], p: &[f64; K]) {
    for a in 0..K {
        if p[a] == 0.0 {
            continue;
        }
        mu[a] += p[a];
        s[a * K + a] += p[a];
        for b in 0..K {
            s[a * K + b] -= p[a] * p[b];
        }
    }
}

/// First- and second-digit probabilities of v = min(total, round₊(mu + sd·Z)) (the leading-digit
/// redraw of `simulated`): mass of each block of v sharing both digits, from the normal CDF.
fn leading_probs(mu: f64, sd: f64, total: u64, p2: &mut [f64; 10], p1: &mut [f64; 9]) {
    *p2 = [0.0; 10];
    *p1 = [0.0; 9];
    let mut put = |v: u64, p: f64| {
        if v >= 1 {
            p1[(first_digit(v) - 1) as usize] += p;
        }
        if v >= 10 {
            p2[second_digit(v) as usize] += p;
        }
    };
    if sd.is_nan() || sd <= 0.0 {
        let v = if mu <= 0.0 { 0 } else { (mu + 0.5) as u64 };
        put(v.min(total), 1.0);
        return;
    }
    // P(v < b): round₊ maps x to b or more from x ≥ b − ½; the cap puts the upper tail on total.
    let cdf = |b: u64| -> f64 {
        if b == 0 {
            0.0
        } else if b > total {
            1.0
        } else {
            fast_phi((b as f64 - 0.5 - mu) / sd)
        }
    };
    // Within 7 SD (the mass beyond, under 3 · 10⁻¹², is dropped): 7 − 8.5 SD cost a fifth more
    // CDF evaluations for nothing measurable.
    // Clamped at 0 first, the cast's truncation is the floor.
    let lo = ((mu - LEAD_REACH * sd).max(0.0) as u64).min(total);
    let hi = ((mu + LEAD_REACH * sd).ceil().max(0.0) as u64).min(total);
    let (mut b, mut f) = (lo, cdf(lo));
    if lo > 0 {
        f = 0.0; // the mass below lo goes to lo's block
    }
    while b <= hi {
        let end = block_end(b).min(hi + 1);
        let f_end = cdf(end); // 1 past the cap: the upper tail sits on total
        put(b, f_end - f);
        f = f_end;
        b = end;
    }
}

/// First value after `b` whose first or second digit differs from b's.
fn block_end(b: u64) -> u64 {
    if b < 100 {
        return b + 1;
    }
    let mut w = 1u64;
    while b / w >= 100 {
        w *= 10;
    }
    (b / w + 1) * w
}

/// What a group's null moments are computed from.
#[derive(Clone)]
struct GroupSums {
    types: Vec<u32>,
    leading: Leading,
}

impl GroupSums {
    fn new() -> Self {
        GroupSums {
            types: vec![0; SMALL + 100],
            leading: Leading::default(),
        }
    }

    fn merge(&mut self, o: &GroupSums) {
        for (a, b) in self.types.iter_mut().zip(&o.types) {
            *a += b;
        }
        self.leading.merge(&o.leading);
    }
}

/// The exact null moments of every group of `setup`.
pub fn moments(setup: &Setup) -> Vec<GroupMoments> {
    let n_groups = setup.n_groups;
    // One pass over the stations, in fixed chunks folded in order, into the finest groups. A chunk
    // keeps sums only for the groups it touches (stations of a region are usually together), and
    // chunks are folded in waves, so memory does not grow with chunks × groups (10⁷ stations in
    // 3,000 regions would otherwise hold gigabytes of mostly empty sums). Groups a chunk does not
    // touch added nothing before either: the sums are the same, in the same order.
    let mut sums = vec![GroupSums::new(); n_groups];
    for (w, wave) in setup.stations.chunks(CHUNK * WAVE).enumerate() {
        let chunks: Vec<std::collections::BTreeMap<u32, GroupSums>> = wave
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(k, chunk)| {
                let first = (w * WAVE + k) * CHUNK;
                let mut touched = std::collections::BTreeMap::new();
                let (mut p2, mut p1) = ([0.0; 10], [0.0; 9]);
                for (j, st) in chunk.iter().enumerate() {
                    let g: &mut GroupSums = touched
                        .entry(setup.fine[first + j])
                        .or_insert_with(GroupSums::new);
                    g.types[type_of(st.count as u64)] += 1;
                    leading_probs(st.mu, st.sd, st.total, &mut p2, &mut p1);
                    g.leading.add(&p2, &p1);
                }
                touched
            })
            .collect();
        for chunk in &chunks {
            for (&g, c) in chunk {
                sums[g as usize].merge(c);
            }
        }
    }
    for &(child, parent) in &setup.rollup {
        let c = sums[child].clone();
        sums[parent].merge(&c);
    }
    (0..n_groups)
        .into_par_iter()
        .map(|g| {
            let h = &setup.observed[g];
            let count = |x: &[u32]| x.iter().map(|&c| f64::from(c)).sum::<f64>();
            let scale = |e: &[f64], n: f64| e.iter().map(|x| x * n).collect::<Vec<f64>>();
            let pools = Pools {
                last: scale(&setup.smooth[g], count(&h.last_ge10)),
                second: scale(&benford_second(), count(&h.second_ge10)),
                first: scale(&benford_first(), count(&h.first_ge1)),
                last2: scale(&setup.expected_last2[g], count(&h.last2_ge100)),
            };
            group_moments(&sums[g], &setup.smooth[g], setup.wants_last2[g], &pools, h)
        })
        .collect()
}

/// The observed expected counts of each χ² (observed n × expected shares), which decide how its
/// cells are pooled.
struct Pools {
    last: Vec<f64>,
    second: Vec<f64>,
    first: Vec<f64>,
    last2: Vec<f64>,
}

/// μ and Σ of a group's last-digit-family categories.
fn category_moments(types: &[u32]) -> (Vec<f64>, Vec<f64>) {
    let mut mu = vec![0.0; N_CAT];
    let mut sigma = vec![0.0; N_CAT * N_CAT];
    for (t, &n) in types.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let n = f64::from(n);
        let dist = &TYPES[t];
        for &(a, pa) in dist {
            mu[a] += n * pa;
            sigma[a * N_CAT + a] += n * pa;
            let row = &mut sigma[a * N_CAT..(a + 1) * N_CAT];
            let npa = n * pa;
            for &(b, pb) in dist {
                row[b] -= npa * pb;
            }
        }
    }
    (mu, sigma)
}

/// μ and Σ of cells that are sums of categories (`map[c]` = the cell of category c, if any).
fn project(mu: &[f64], sigma: &[f64], map: &[Option<usize>], k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = vec![0.0; k];
    let mut s = vec![0.0; k * k];
    for a in 0..N_CAT {
        let Some(ca) = map[a] else { continue };
        m[ca] += mu[a];
        for b in 0..N_CAT {
            if let Some(cb) = map[b] {
                s[ca * k + cb] += sigma[a * N_CAT + b];
            }
        }
    }
    (m, s)
}

/// Moments of the ratio a·H / b·H by the delta method; 0 when b·H has no mass (as a statistic of
/// an empty histogram is 0).
fn ratio(mu: &[f64], cov: &[f64], a: &[f64], b: &[f64]) -> NullMoments {
    let k = mu.len();
    let num: f64 = a.iter().zip(mu).map(|(x, m)| x * m).sum();
    let den: f64 = b.iter().zip(mu).map(|(x, m)| x * m).sum();
    if den <= 0.0 {
        return NullMoments::constant(0.0);
    }
    let r = num / den;
    let g: Vec<f64> = (0..k).map(|i| (a[i] - r * b[i]) / den).collect();
    NullMoments {
        mean: r,
        var: quad(&g, cov, &g).max(0.0),
    }
}

/// xᵀ C y for a k × k row-major C.
fn quad(x: &[f64], c: &[f64], y: &[f64]) -> f64 {
    let k = x.len();
    (0..k)
        .map(|i| x[i] * (0..k).map(|j| c[i * k + j] * y[j]).sum::<f64>())
        .sum()
}

/// Moments of Pearson's χ² of cells with mean μ and covariance C against fixed shares `e`:
/// residual Y = O − e·n (n = Σ O), so m = μ − e n̄ and S = (I − e1ᵀ) C (I − 1eᵀ).
fn pearson(mu: &[f64], cov: &[f64], e: &[f64], pool_by: &[f64]) -> NullMoments {
    let k = mu.len();
    let n: f64 = mu.iter().sum();
    let m: Vec<f64> = (0..k).map(|d| mu[d] - e[d] * n).collect();
    let row: Vec<f64> = (0..k)
        .map(|j| (0..k).map(|i| cov[i * k + j]).sum())
        .collect(); // 1ᵀC
    let col: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| cov[i * k + j]).sum())
        .collect(); // C1
    let total: f64 = row.iter().sum();
    let mut s = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            s[i * k + j] = cov[i * k + j] - e[i] * row[j] - col[i] * e[j] + e[i] * e[j] * total;
        }
    }
    let expected: Vec<f64> = e.iter().map(|x| x * n).collect();
    quadratic_form(&m, &s, &expected, pool_by)
}

/// Moments of Σₚ Yₚ² / Eₚ for Y with mean m and covariance S: E = tr(WS) + mᵀWm,
/// Var = 2 tr((WS)²) + 4 mᵀWSWm. The cells are pooled as `goodness_of_fit::fit` pools the observed
/// statistic's (contiguous cells until the expected count `pool_by` reaches `MIN_EXPECTED`, a
/// remainder joining the last pool): the moments are those of the statistic the observed value is
/// one draw of. (A simulation pools each replicate by its own expected counts, which near the
/// threshold mixes statistics of different numbers of cells.)
fn quadratic_form(m: &[f64], s: &[f64], expected: &[f64], pool_by: &[f64]) -> NullMoments {
    let k = m.len();
    let mut pool = vec![0usize; k];
    let mut n_pools = 0usize;
    let mut open = 0.0;
    let mut open_cells = Vec::new();
    for (d, &e) in pool_by.iter().enumerate() {
        open += e;
        open_cells.push(d);
        if open >= MIN_EXPECTED {
            for &c in &open_cells {
                pool[c] = n_pools;
            }
            n_pools += 1;
            open = 0.0;
            open_cells.clear();
        }
    }
    if !open_cells.is_empty() {
        let last = n_pools.saturating_sub(1);
        for &c in &open_cells {
            pool[c] = last;
        }
        n_pools = n_pools.max(1);
    }
    if n_pools < 2 {
        return NullMoments::constant(0.0);
    }
    let mut mp = vec![0.0; n_pools];
    let mut ep = vec![0.0; n_pools];
    let mut sp = vec![0.0; n_pools * n_pools];
    for i in 0..k {
        mp[pool[i]] += m[i];
        ep[pool[i]] += expected[i];
        for j in 0..k {
            sp[pool[i] * n_pools + pool[j]] += s[i * k + j];
        }
    }
    let w: Vec<f64> = ep
        .iter()
        .map(|&e| if e > 0.0 { 1.0 / e } else { 0.0 })
        .collect();
    let (mut mean, mut var) = (0.0, 0.0);
    for p in 0..n_pools {
        mean += w[p] * (sp[p * n_pools + p] + mp[p] * mp[p]);
        for q in 0..n_pools {
            let spq = sp[p * n_pools + q];
            var += 2.0 * w[p] * w[q] * spq * spq + 4.0 * mp[p] * w[p] * spq * w[q] * mp[q];
        }
    }
    NullMoments {
        mean,
        var: var.max(0.0),
    }
}

/// Moments of the last-two-digit χ² of counts ≥ 100 against the histogram's own smoothing
/// (`laws::smooth_last2`), linearised at μ: Y(H) = O − n(H) K H / (tᵀH) with K the smoothing
/// (endings of counts ≥ 120 convolved circularly, counts 80–119 placed one by one), t = 1ᵀK.
fn last2_chi2(mu: &[f64], sigma: &[f64], pool_by: &[f64]) -> NullMoments {
    let kernel = smooth_kernel();
    let r = SMOOTH_RADIUS;
    // K as 100 × N_CAT, row-major.
    let mut kmat = vec![0.0; 100 * N_CAT];
    for c in 80..N_CAT {
        if c >= 120 {
            let ending = c - 120;
            for (i, w) in kernel.iter().enumerate() {
                kmat[((ending + 100 + i - r) % 100) * N_CAT + c] += w;
            }
        } else {
            for v in (c - r).max(100)..=c + r {
                kmat[(v % 100) * N_CAT + c] += kernel[v + r - c];
            }
        }
    }
    let t: Vec<f64> = (0..N_CAT)
        .map(|c| (0..100).map(|d| kmat[d * N_CAT + c]).sum())
        .collect();
    let ge100 = |c: usize| c >= 100;
    let ending = |c: usize| if c >= 120 { c - 120 } else { c - 100 };
    let n: f64 = (100..N_CAT).map(|c| mu[c]).sum();
    let total: f64 = t.iter().zip(mu).map(|(a, b)| a * b).sum();
    if total <= 0.0 || n <= 0.0 {
        return NullMoments::constant(f64::NAN);
    }
    let s: Vec<f64> = (0..100)
        .map(|d| (0..N_CAT).map(|c| kmat[d * N_CAT + c] * mu[c]).sum())
        .collect();
    let mut o = vec![0.0; 100];
    for c in 100..N_CAT {
        o[ending(c)] += mu[c];
    }
    let m: Vec<f64> = (0..100).map(|d| o[d] - n * s[d] / total).collect();
    // A = ∂Y/∂H at μ, 100 × N_CAT.
    let mut a = vec![0.0; 100 * N_CAT];
    for d in 0..100 {
        for c in 0..N_CAT {
            let b = if ge100(c) { 1.0 } else { 0.0 };
            let od = if ge100(c) && ending(c) == d { 1.0 } else { 0.0 };
            a[d * N_CAT + c] = od - b * s[d] / total - n * kmat[d * N_CAT + c] / total
                + n * s[d] * t[c] / (total * total);
        }
    }
    // S = A Σ Aᵀ.
    let mut a_sigma = vec![0.0; 100 * N_CAT];
    for d in 0..100 {
        let ar = &a[d * N_CAT..(d + 1) * N_CAT];
        let out = &mut a_sigma[d * N_CAT..(d + 1) * N_CAT];
        for (c, &x) in ar.iter().enumerate() {
            if x != 0.0 {
                let row = &sigma[c * N_CAT..(c + 1) * N_CAT];
                out.iter_mut().zip(row).for_each(|(o, v)| *o += x * v);
            }
        }
    }
    let mut cov = vec![0.0; 100 * 100];
    for d in 0..100 {
        for e in 0..100 {
            cov[d * 100 + e] = a_sigma[d * N_CAT..(d + 1) * N_CAT]
                .iter()
                .zip(&a[e * N_CAT..(e + 1) * N_CAT])
                .map(|(x, y)| x * y)
                .sum();
        }
    }
    let expected: Vec<f64> = s.iter().map(|x| n * x / total).collect();
    quadratic_form(&m, &cov, &expected, pool_by)
}

/// Every moment of one group.
fn group_moments(
    sums: &GroupSums,
    smooth: &[f64; 10],
    last2: bool,
    pools: &Pools,
    observed: &DigitHist,
) -> GroupMoments {
    let (mu, sigma) = category_moments(&sums.types);
    let digits = |f: &dyn Fn(u64) -> Option<usize>| -> Vec<Option<usize>> {
        (0..N_CAT).map(|c| f(category_value(c))).collect()
    };
    let (m10, c10) = project(
        &mu,
        &sigma,
        &digits(&|v| (v >= 10).then_some((v % 10) as usize)),
        10,
    );
    let (mall, call) = project(&mu, &sigma, &digits(&|v| Some((v % 10) as usize)), 10);
    let pair = |v: u64| {
        let k = v % 100;
        let (a, b) = (k / 10, k % 10);
        (v >= 10).then_some(if a == b {
            0
        } else if a.abs_diff(b) == 1 {
            1
        } else if k == 9 || k == 90 {
            2
        } else {
            3
        })
    };
    let (mpair, cpair) = project(&mu, &sigma, &digits(&pair), 4);
    let ending_map: Vec<Option<usize>> = (0..N_CAT)
        .map(|c| match c {
            100..120 => Some(c - 100),
            120.. => Some(c - 120),
            _ => None,
        })
        .collect();
    let (m100, c100) = project(&mu, &sigma, &ending_map, 100);

    let ones10 = [1.0; 10];
    let digit10: Vec<f64> = (0..10).map(f64::from).collect();
    let c05 = [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    let unit =
        |k: usize, i: usize| -> Vec<f64> { (0..k).map(|j| f64::from(u8::from(i == j))).collect() };
    let shares = |m: &[f64], c: &[f64], k: usize| -> Vec<NullMoments> {
        (0..k)
            .map(|i| ratio(m, c, &unit(k, i), &vec![1.0; k]))
            .collect()
    };
    let (second, first) = (benford_second(), benford_first());
    let l = &sums.leading;
    let mut stats = [NullMoments::constant(f64::NAN); N_STATS];
    stats[Stat::LastChi2 as usize] = pearson(&m10, &c10, smooth, &pools.last);
    stats[Stat::LastMeanGe10 as usize] = ratio(&m10, &c10, &digit10, &ones10);
    stats[Stat::LastMeanAll as usize] = ratio(&mall, &call, &digit10, &ones10);
    stats[Stat::C05Ge10 as usize] = ratio(&m10, &c10, &c05, &ones10);
    stats[Stat::C05All as usize] = ratio(&mall, &call, &c05, &ones10);
    // Rounded percentages ending in 0 or 5: the exact sums `percent_grid` accumulated with the
    // observed histogram (Σ Eᵢ and Σ Eᵢ(1 − Eᵢ) over the stations in the window).
    let n05 = f64::from(observed.p05_n.max(1));
    stats[Stat::P05 as usize] = NullMoments {
        mean: observed.p05_expected / n05,
        var: observed.p05_var / (n05 * n05),
    };
    let ones4 = [1.0; 4];
    stats[Stat::Repeated as usize] = ratio(&mpair, &cpair, &[1.0, 0.0, 0.0, 0.0], &ones4);
    stats[Stat::AdjacentLinear as usize] = ratio(&mpair, &cpair, &[0.0, 1.0, 0.0, 0.0], &ones4);
    stats[Stat::AdjacentCircular as usize] = ratio(&mpair, &cpair, &[0.0, 1.0, 1.0, 0.0], &ones4);
    if last2 {
        stats[Stat::Last2Chi2 as usize] = last2_chi2(&mu, &sigma, &pools.last2);
    }
    stats[Stat::SecondChi2 as usize] = pearson(&l.mu2, &l.s2, &second, &pools.second);
    stats[Stat::SecondMean as usize] = ratio(&l.mu2, &l.s2, &digit10, &ones10);
    stats[Stat::FirstChi2 as usize] = pearson(&l.mu1, &l.s1, &first, &pools.first);
    GroupMoments {
        stats,
        last: shares(&m10, &c10, 10).try_into().expect("10 digits"),
        second: shares(&l.mu2, &l.s2, 10).try_into().expect("10 digits"),
        first: shares(&l.mu1, &l.s1, 9).try_into().expect("9 digits"),
        last2: shares(&m100, &c100, 100),
        exceed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_types_are_distributions() {
        for (t, d) in TYPES.iter().enumerate() {
            let total: f64 = d.iter().map(|x| x.1).sum();
            assert!((total - 1.0).abs() < 1e-12, "type {t}: {total}");
        }
        // Count 0: |5Z| rounds to 0 with probability P(|Z| < 0.1) = 0.0797.
        let p0: f64 = TYPES[0].iter().filter(|x| x.0 == 0).map(|x| x.1).sum();
        assert!((p0 - 0.079_655_674_554).abs() < 1e-9, "{p0}");
    }

    #[test]
    fn leading_probabilities_sum_to_the_digit_shares() {
        let (mut p2, mut p1) = ([0.0; 10], [0.0; 9]);
        // Far from 0 and from the cap: all mass on first digits, and second digits when ≥ 10.
        leading_probs(300.0, 15.0, 1000, &mut p2, &mut p1);
        assert!((p1.iter().sum::<f64>() - 1.0).abs() < 1e-10);
        assert!((p2.iter().sum::<f64>() - 1.0).abs() < 1e-10);
        // P(second digit 0) for N(300, 15²): v in 300..310 (x in [299.5, 309.5)), and the far
        // blocks 200..210 and 400..410.
        let block = |lo: f64| phi((lo + 9.5 - 300.0) / 15.0) - phi((lo - 0.5 - 300.0) / 15.0);
        let want = block(200.0) + block(300.0) + block(400.0);
        assert!((p2[0] - want).abs() < 1e-10, "{} vs {want}", p2[0]);
        // A count capped at its total: all the mass above total − ½ sits on total (= 100: 1, 0).
        leading_probs(100.0, 10.0, 100, &mut p2, &mut p1);
        let at_total = 1.0 - phi(-0.5 / 10.0);
        assert!(p1[0] >= at_total - 1e-10 && p2[0] >= at_total - 1e-10);
        assert!((p1.iter().sum::<f64>() - 1.0).abs() < 1e-10);
        // No spread: the count itself.
        leading_probs(47.0, 0.0, 100, &mut p2, &mut p1);
        assert_eq!((p1[3], p2[7]), (1.0, 1.0));
    }

    #[test]
    fn tabulated_normal_cdf_is_the_exact_one() {
        let mut worst = 0f64;
        for k in -100_000..=100_000 {
            let x = f64::from(k) * 9.5e-5;
            worst = worst.max((fast_phi(x) - phi(x)).abs());
        }
        // statrs' erfc switches approximations at 0.5, with a step of 2.4 · 10⁻¹¹ there
        // (x = −1/√2); the table interpolates across it.
        assert!(worst < 5e-11, "{worst}");
        // Known values (R: pnorm).
        assert!((fast_phi(1.959963984540054) - 0.975).abs() < 1e-11);
        assert!((fast_phi(-3.0) - 0.001_349_898_031_630_095).abs() < 1e-12);
        assert_eq!((fast_phi(-12.0), fast_phi(12.0)), (0.0, 1.0));
    }

    #[test]
    fn block_ends_keep_both_leading_digits() {
        assert_eq!(block_end(9), 10);
        assert_eq!(block_end(57), 58);
        assert_eq!(block_end(100), 110);
        assert_eq!(block_end(1234), 1300);
        assert_eq!(block_end(99_999), 100_000);
        for b in [100u64, 150, 999, 1000, 4321, 120_000] {
            let e = block_end(b);
            assert_eq!(
                (first_digit(b), second_digit(b)),
                (first_digit(e - 1), second_digit(e - 1))
            );
            assert_ne!(
                (first_digit(b), second_digit(b)),
                (first_digit(e), second_digit(e))
            );
        }
    }

    #[test]
    fn multinomial_chi2_moments_are_the_textbook_ones() {
        // n counts uniform over k cells: E χ² = k − 1, Var = 2(k − 1)(1 − 1/n) (exact:
        // 2(k−1) + (Σ1/e − k² − 2k + 2)/n = 18 − 18/n for k = 10); the Gaussian form gives 2(k − 1).
        let n = 1000.0;
        let k = 10;
        let e = vec![0.1; k];
        let mu: Vec<f64> = e.iter().map(|p| p * n).collect();
        let mut cov = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                cov[i * k + j] = n * (if i == j { e[i] } else { 0.0 } - e[i] * e[j]);
            }
        }
        let m = pearson(&mu, &cov, &e, &mu);
        assert!((m.mean - 9.0).abs() < 1e-9, "{}", m.mean);
        assert!((m.var - 18.0).abs() < 1e-9, "{}", m.var);
        // Shares: p(1 − p)/n.
        let r = ratio(
            &mu,
            &cov,
            &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &[1.0; 10],
        );
        assert!((r.mean - 0.1).abs() < 1e-12 && (r.var - 0.09 / n).abs() < 1e-12);
    }
}
