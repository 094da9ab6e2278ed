//! The exact honest expectation of rounded percentages ending in 0 or 5 (`p05_share`), from each
//! station's own denominator: no simulation, no model of the count distribution.
//!
//! For a station with n valid votes, the candidate's rounded percentage P = round(100·c/n)
//! (halves to even) ends in 0 or 5 when 100·c/n lies within ±0.5 of a multiple of 5: a window of
//! 1 point in every 5. Where the candidate's share has a smooth distribution across stations (any
//! spread wider than a few points), the share's position inside that 5-point period is uniform
//! to within the period's Fourier coefficient of the density, e^{−2π²σ²/25} for a normal spread of
//! σ points (< 10⁻³ for σ ≥ 3; Diaconis 1977 on the equidistribution of digits of smooth
//! variables; Beber & Scacco 2012 use the same uniformity for last digits). What remains is the
//! lattice: c is an integer, so with n = 40 the percentages step by 2.5 points and exactly half of
//! them end in 0 or 5. The expectation of station i is therefore the share of the integers c in
//! its window whose rounded percentage ends in 0 or 5, computed exactly for its n.
//!
//! Two things break the uniformity and are left out on purpose:
//! - **The edges.** Shares pile up at 0 % (a party with no votes at a station, overdispersed small
//!   parties, parties that do not stand everywhere) and at 100 %, and 0 and 100 both end in 0: on
//!   clean elections with a 9 % party whose median count is 20, P05 "deviated" at p ≈ 10⁻²¹ under
//!   the previous smooth-count null. Only stations with 2.5 % ≤ c/n < 97.5 % enter: the cut
//!   points are midway between hit windows, where a cut adds no first-order bias (the zero-mean
//!   primitive of the hit indicator vanishes there).
//! - **Coarse lattices.** Below `MIN_TOTAL` valid votes the lattice is coarser than one point and
//!   the hit pattern's period (in c) is so short that the local shape of the count distribution
//!   matters; such stations do not enter.
//!
//! The uniformity itself is checked, not assumed (`SmoothnessBound`): a small party whose share
//! sits at 4 ± 1.5 % in a region has most of its percentages at 3–6, and whether 5 is common
//! there is a fact of that region, not of counting (on a clean million-station election such
//! regions gave P05 between 11 % and 22 %). Within each comparison group (the deepest region
//! level whose regions have a median of at least 30 stations), a normal spread of σ points keeps
//! at most 0.37·e^{−2π²σ²/25} of the hit pattern's first harmonic (0.37 = its Fourier coefficient,
//! 2 sin(π/5)/π); a mixture keeps at most the weighted sum over its components. Where that bound,
//! in units of the share's sampling SD at the group's size, exceeds `resolution::MAX_BIAS_Z`, the
//! test is not applicable with the reason.
//!
//! The count of hits is then a sum of independent Bernoulli(E_i): mean Σ E_i, variance
//! Σ E_i (1 − E_i), and the p-value is the two-sided normal tail (exact moments: at a million
//! stations a null off by half a point, as the simulated one was, is decisive; this one is not
//! off). What it cannot tell apart: honest percentages that are themselves chosen (a rule that
//! allocates seats or votes in round percentages) and invented ones.

use std::collections::HashMap;

use crate::forensics::digits::laws::percent_ends_in_0_or_5;

/// Fewest valid votes of a station whose rounded percentage enters `p05_share`.
pub const MIN_TOTAL: u64 = 100;

/// Whether a count out of `total` enters `p05_share`: total ≥ `MIN_TOTAL` and
/// 2.5 % ≤ votes/total < 97.5 % (in integers: total ≤ 40·votes < 39·total).
#[inline]
pub fn in_window(votes: u64, total: u64) -> bool {
    let (v, t) = (u128::from(votes), u128::from(total));
    total >= MIN_TOTAL && t <= 40 * v && 40 * v < 39 * t
}

/// The share of the counts c in the window of `total` whose rounded percentage ends in 0 or 5.
pub fn expected(total: u64) -> f64 {
    let lo = total.div_ceil(40);
    let (mut hits, mut all) = (0u64, 0u64);
    let mut c = lo;
    while in_window(c, total) {
        all += 1;
        hits += u64::from(percent_ends_in_0_or_5(c, total));
        c += 1;
    }
    if all == 0 {
        0.0
    } else {
        hits as f64 / all as f64
    }
}

/// First Fourier coefficient of the hit pattern (1 point in every 5): 2·sin(π/5)/π.
pub const HARMONIC: f64 = 0.374_195_3;

/// Accumulates, per comparison group, the spread of the shares in the window, and bounds how much
/// of the hit pattern a smooth share distribution of that spread can carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spread {
    n: f64,
    sum: f64,
    sum2: f64,
}

impl Spread {
    /// Add one share (a fraction).
    pub fn add(&mut self, share: f64) {
        let x = 100.0 * share;
        self.n += 1.0;
        self.sum += x;
        self.sum2 += x * x;
    }

    /// Stations added.
    pub fn n(&self) -> f64 {
        self.n
    }

    /// The bound 0.37·e^{−2π²σ²/25} for this component's SD σ (points); 0.37 (no smoothing)
    /// below 2 stations.
    pub fn bound(&self) -> f64 {
        if self.n < 2.0 {
            return HARMONIC;
        }
        let var = ((self.sum2 - self.sum * self.sum / self.n) / (self.n - 1.0)).max(0.0);
        HARMONIC * (-2.0 * std::f64::consts::PI.powi(2) * var / 25.0).exp()
    }
}

/// `expected` with a cache by denominator (stations share a few thousand distinct totals).
#[derive(Debug, Default)]
pub struct Expectations {
    cache: HashMap<u64, f64>,
}

impl Expectations {
    pub fn get(&mut self, total: u64) -> f64 {
        *self.cache.entry(total).or_insert_with(|| expected(total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_exact_in_integers() {
        assert!(in_window(10, 400)); // 2.5 %
        assert!(!in_window(9, 400));
        assert!(in_window(389, 400)); // 97.25 %
        assert!(!in_window(390, 400)); // 97.5 %
        assert!(!in_window(50, 99)); // too few valid votes
    }

    #[test]
    fn expectations_follow_the_lattice() {
        // n = 100: percentages are the counts themselves; c = 3..=97, hits at 5, 10, ..., 95:
        // 19 of 95.
        assert!((expected(100) - 19.0 / 95.0).abs() < 1e-15);
        // Other denominators against a brute-force count over every c in the window.
        let brute = |n: u64| {
            let cs: Vec<u64> = (0..=n).filter(|&c| in_window(c, n)).collect();
            let h = cs.iter().filter(|&&c| percent_ends_in_0_or_5(c, n)).count();
            h as f64 / cs.len() as f64
        };
        for n in [100, 137, 200, 250, 999, 1000, 4321] {
            assert_eq!(expected(n), brute(n), "n = {n}");
        }
        // Large n: the lattice is fine and the share tends to 1/5.
        assert!((expected(100_000) - 0.2).abs() < 1e-3);
        let mut e = Expectations::default();
        assert_eq!(e.get(137), expected(137));
    }

    #[test]
    fn the_harmonic_bound_shrinks_with_the_spread() {
        assert!(
            (HARMONIC - 2.0 * (std::f64::consts::PI / 5.0).sin() / std::f64::consts::PI).abs()
                < 1e-6
        );
        // Shares 10 ± 0 %: no smoothing at all.
        let mut s = Spread::default();
        for _ in 0..10 {
            s.add(0.10);
        }
        assert!((s.bound() - HARMONIC).abs() < 1e-12);
        // SD 3 points (shares 7 and 13 alternating, n even: sample SD = 3·√(n/(n−1))).
        let mut s = Spread::default();
        for i in 0..1000 {
            s.add(if i % 2 == 0 { 0.07 } else { 0.13 });
        }
        let var = 9.0 * 1000.0 / 999.0;
        let want = HARMONIC * (-2.0 * std::f64::consts::PI.powi(2) * var / 25.0).exp();
        assert!((s.bound() - want).abs() < 1e-12, "{}", s.bound());
        assert!(s.bound() < 1e-3);
    }
}
