//! Is a rate the same in every group? Pearson's χ² test of homogeneity of a 2 × G table (groups ×
//! {has the property, has not}) with a permutation p-value.
//!
//! X² = Σ_g (x_g − n_g·p̂)² / (n_g·p̂·(1 − p̂)), p̂ = Σx / Σn, df = G − 1 (Pearson 1900; Agresti,
//! *Categorical Data Analysis*, 3rd ed. 2013, §3.2, where this is the 2 × G form of the test of
//! independence). The χ² approximation fails when expected counts are small (Cochran 1954), which
//! is the usual case here: differing tables are rare. The p-value is therefore the permutation
//! p-value (Good, *Permutation, Parametric and Bootstrap Tests of Hypotheses*, 3rd ed. 2005, §6;
//! Agresti §3.5.3): the D units with the property are redistributed at random among all N units
//! (every set of D equally likely, as when the labels are permuted), `replicates` times, and
//! p = (1 + #{X²* ≥ X²}) / (replicates + 1). The same draws give each group's 95 % band of its rate
//! under homogeneity. The asymptotic χ² p-value is reported beside it. Effect size: Cramér's
//! V = √(X² / N) (Cramér 1946), 0 for equal rates, 1 when the property is confined to some groups
//! and fills them.
//!
//! Test vector: scipy.stats.chi2_contingency([[10, 90], [20, 80], [30, 70]]) → χ² = 12.5, df = 2,
//! p = e^(−6.25) = 0.0019304541.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::goodness_of_fit::chi_square_sf;

/// The test of equal rates across groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Homogeneity {
    pub chi_square: f64,
    pub df: f64,
    /// Asymptotic χ² p-value (unreliable with small expected counts; reported for reference).
    pub p_asymptotic: f64,
    /// Permutation p-value (the one to use).
    pub p_permutation: f64,
    pub replicates: u32,
    pub cramers_v: f64,
    /// Per group: the 95 % band of its rate when the property is spread at random.
    pub bands: Vec<(f64, f64)>,
}

/// Pearson X² of `hits` out of `sizes` per group (0 when no unit or every unit has the property).
pub fn chi_square(hits: &[u64], sizes: &[u64]) -> f64 {
    let (d, n): (u64, u64) = (hits.iter().sum(), sizes.iter().sum());
    if d == 0 || d == n {
        return 0.0;
    }
    let p = d as f64 / n as f64;
    hits.iter()
        .zip(sizes)
        .filter(|(_, &s)| s > 0)
        .map(|(&x, &s)| {
            let e = s as f64 * p;
            (x as f64 - e).powi(2) / (e * (1.0 - p))
        })
        .sum()
}

/// Test equal rates of `hits` among `sizes` across groups (at least two non-empty groups and one
/// hit; otherwise `None`).
pub fn homogeneity(hits: &[u64], sizes: &[u64], replicates: u32, seed: u64) -> Option<Homogeneity> {
    let groups = sizes.iter().filter(|&&s| s > 0).count();
    let (d, n): (u64, u64) = (hits.iter().sum(), sizes.iter().sum());
    if groups < 2 || d == 0 || d == n {
        return None;
    }
    let observed = chi_square(hits, sizes);
    // Unit index → group, by cumulative group sizes.
    let ends: Vec<u64> = sizes
        .iter()
        .scan(0u64, |acc, &s| {
            *acc += s;
            Some(*acc)
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut per_group: Vec<Vec<u64>> = vec![Vec::with_capacity(replicates as usize); sizes.len()];
    let mut counts = vec![0u64; sizes.len()];
    let mut extreme = 0u32;
    for _ in 0..replicates {
        counts.iter_mut().for_each(|c| *c = 0);
        for unit in rand::seq::index::sample(&mut rng, n as usize, d as usize) {
            counts[ends.partition_point(|&e| e <= unit as u64)] += 1;
        }
        // A relative tolerance keeps ties with the observed table ties despite rounding.
        if chi_square(&counts, sizes) >= observed * (1.0 - 1e-12) {
            extreme += 1;
        }
        for (g, &c) in counts.iter().enumerate() {
            per_group[g].push(c);
        }
    }
    let bands = per_group
        .iter_mut()
        .zip(sizes)
        .map(|(v, &s)| {
            v.sort_unstable();
            let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize] as f64 / s as f64;
            if s == 0 || v.is_empty() {
                (f64::NAN, f64::NAN)
            } else {
                (q(0.025), q(0.975))
            }
        })
        .collect();
    let df = (groups - 1) as f64;
    Some(Homogeneity {
        chi_square: observed,
        df,
        p_asymptotic: chi_square_sf(observed, df),
        p_permutation: (1 + extreme) as f64 / (replicates as f64 + 1.0),
        replicates,
        cramers_v: (observed / n as f64).sqrt(),
        bands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi_square_matches_scipy_chi2_contingency() {
        let h = homogeneity(&[10, 20, 30], &[100, 100, 100], 4000, 1).unwrap();
        assert!((h.chi_square - 12.5).abs() < 1e-12);
        assert_eq!(h.df, 2.0);
        assert!((h.p_asymptotic - 0.0019304541).abs() < 1e-9);
        // With expected counts this large the permutation p agrees with the χ² one.
        assert!(h.p_permutation < 0.006, "{h:?}");
        assert!((h.cramers_v - (12.5f64 / 300.0).sqrt()).abs() < 1e-12);
        // Bands straddle the common rate 0.2.
        for (lo, hi) in &h.bands {
            assert!(
                *lo < 0.2 && *hi > 0.2 && *lo >= 0.1 && *hi <= 0.3,
                "{lo} {hi}"
            );
        }
    }

    #[test]
    fn equal_rates_are_not_significant_and_degenerate_tables_are_none() {
        let h = homogeneity(&[5, 5, 5, 5], &[100, 100, 100, 100], 999, 2).unwrap();
        assert_eq!(h.chi_square, 0.0);
        assert_eq!(h.p_permutation, 1.0);
        assert_eq!(
            h,
            homogeneity(&[5, 5, 5, 5], &[100, 100, 100, 100], 999, 2).unwrap()
        );
        assert!(homogeneity(&[0, 0], &[10, 10], 99, 1).is_none());
        assert!(homogeneity(&[3], &[10], 99, 1).is_none());
        assert!(homogeneity(&[3, 0], &[10, 0], 99, 1).is_none());
    }

    #[test]
    fn small_expected_counts_use_the_permutation_null() {
        // 6 differing tables, all in one of 5 regions of 200 tables each: expected 1.2 per region.
        let h = homogeneity(&[6, 0, 0, 0, 0], &[200; 5], 1999, 3).unwrap();
        // Exact: P(all 6 in one region) ≈ 5·(1/5)^6 ≈ 0.00032 (as drawing without replacement:
        // 5·C(200,6)/C(1000,6) = 0.000314).
        assert!(h.p_permutation < 0.003, "{h:?}");
        let spread = homogeneity(&[2, 1, 1, 1, 1], &[200; 5], 1999, 3).unwrap();
        assert!(spread.p_permutation > 0.5, "{spread:?}");
    }
}
