//! Goodness of fit of observed category counts to expected proportions.
//!
//! - Pearson χ² = Σ (O − E)² / E, df = K − 1 (Pearson 1900); p from the χ² survival function.
//! - G = 2 Σ O ln(O / E), same df (Sokal & Rohlf, *Biometry*; McDonald, *Handbook of Biological
//!   Statistics*).
//! - MAD = (1/K) Σ |p̂ − p| (Nigrini 2012, *Benford's Law*, ch. 7), an N-independent effect size.
//!
//! **Sparse cells are pooled.** χ² and G divide by the expected counts, so a cell expected ~0 times
//! but observed once adds ~1/E (on Bolivia 2019's registered voters, before this rule, χ² reached
//! 10⁷–10¹⁴). Following Cochran (1954, *Biometrics* 10:417–451; the usual rule of at least 5
//! expected per cell), cells expected fewer than `MIN_EXPECTED` = 5 times are pooled with their
//! neighbours in category order: a pool is closed as soon as it expects at least 5, and a last
//! pool expecting fewer joins the one before it. χ², G and df = pools − 1 use the pools; MAD uses
//! the original categories. With fewer than two pools there is nothing to test (χ² = G = 0, p NaN).
//! Cells that are never pooled (every cell expects ≥ 5) give the textbook values.
//!
//! Test vectors: methods.md (external, not shipped) §10 (powers of two: χ² = 0.1586, G = 0.1587,
//! MAD = 0.000678) and scipy (`scipy.stats.chisquare`, `scipy.stats.power_divergence(lambda_=0)`).

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Result of a goodness-of-fit test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub n: u64,
    pub chi_square: f64,
    pub g: f64,
    pub df: f64,
    /// Cells after pooling (`observed.len()` when no cell expects fewer than 5).
    pub cells: usize,
    pub p_chi_square: f64,
    pub p_g: f64,
    pub mad: f64,
}

/// Upper-tail probability of χ² with `df` degrees of freedom.
pub fn chi_square_sf(x: f64, df: f64) -> f64 {
    if !x.is_finite() || df <= 0.0 {
        return f64::NAN;
    }
    match ChiSquared::new(df) {
        Ok(d) => d.sf(x),
        Err(_) => f64::NAN,
    }
}

/// Fewest expected counts per cell before it is pooled with its neighbours (Cochran 1954).
pub const MIN_EXPECTED: f64 = 5.0;

/// Compare observed counts with expected proportions (which must sum to 1), pooling sparse cells.
pub fn fit(observed: &[u64], expected: &[f64]) -> Fit {
    assert_eq!(
        observed.len(),
        expected.len(),
        "one expected proportion per category"
    );
    let n: u64 = observed.iter().sum();
    let nf = n as f64;
    let mut mad = 0.0;
    // Pools of (observed, expected) counts in category order.
    let mut pools: Vec<(f64, f64)> = Vec::with_capacity(observed.len());
    let mut open = (0.0, 0.0);
    for (&o, &p) in observed.iter().zip(expected) {
        if n > 0 {
            mad += (o as f64 / nf - p).abs();
        }
        open = (open.0 + o as f64, open.1 + nf * p);
        if open.1 >= MIN_EXPECTED {
            pools.push(open);
            open = (0.0, 0.0);
        }
    }
    if open != (0.0, 0.0) {
        match pools.last_mut() {
            Some(last) => *last = (last.0 + open.0, last.1 + open.1),
            None => pools.push(open),
        }
    }
    let (mut chi, mut g) = (0.0, 0.0);
    for &(o, e) in &pools {
        if e > 0.0 {
            chi += (o - e) * (o - e) / e;
            if o > 0.0 {
                g += o * (o / e).ln();
            }
        }
    }
    g *= 2.0;
    let cells = pools.len();
    let df = cells as f64 - 1.0;
    let (chi, g) = if cells < 2 { (0.0, 0.0) } else { (chi, g) };
    Fit {
        n,
        chi_square: chi,
        g,
        df,
        cells,
        p_chi_square: chi_square_sf(chi, df),
        p_g: chi_square_sf(g, df),
        mad: mad / observed.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn benford_first() -> Vec<f64> {
        (1..=9).map(|d| (1.0 + 1.0 / d as f64).log10()).collect()
    }

    #[test]
    fn powers_of_two_first_digits_methods_vector() {
        // methods.md §10 item 2: first digits of 2^0..2^999.
        let f = fit(&[301, 176, 125, 97, 79, 69, 56, 52, 45], &benford_first());
        assert!((f.chi_square - 0.1586).abs() < 5e-5, "{}", f.chi_square);
        assert!((f.g - 0.1587).abs() < 5e-5, "{}", f.g);
        assert!((f.mad - 0.000678).abs() < 5e-7, "{}", f.mad);
        assert_eq!(f.df, 8.0);
        assert!(f.p_chi_square > 0.9999);
    }

    #[test]
    fn venezuela_gonzalez_last_digits_match_scipy() {
        // scipy 1.x: chisquare([2493,2389,2496,2461,2458,2432,2497,2453,2354,2472])
        // -> statistic 8.2066925117, pvalue 0.5134584321; methods.md §7.2 prints 8.21, p = 0.51.
        let f = fit(
            &[2493, 2389, 2496, 2461, 2458, 2432, 2497, 2453, 2354, 2472],
            &[0.1; 10],
        );
        assert_eq!(f.n, 24505);
        assert!(
            (f.chi_square - 8.2066925117).abs() < 1e-9,
            "{}",
            f.chi_square
        );
        assert!(
            (f.p_chi_square - 0.5134584321).abs() < 1e-8,
            "{}",
            f.p_chi_square
        );
        let f = fit(
            &[2490, 2518, 2421, 2480, 2511, 2387, 2430, 2387, 2382, 2496],
            &[0.1; 10],
        );
        // scipy: chisquare([2490,2518,...,2496]) -> 10.9230266917, p 0.2810220091.
        assert!(
            (f.chi_square - 10.9230266917).abs() < 1e-9,
            "{}",
            f.chi_square
        );
        assert!(
            (f.p_chi_square - 0.2810220091).abs() < 1e-8,
            "{}",
            f.p_chi_square
        );
    }

    #[test]
    fn sparse_cells_are_pooled_with_their_neighbours() {
        // Expected counts 50, 30, 15, 3, 1, 1 (n = 100): the last three pool into one cell
        // expecting 5, observed 2 + 2 + 7 = 11. Without pooling the last cell alone would add
        // (7 − 1)²/1 = 36.
        let observed = [50, 29, 10, 2, 2, 7];
        let expected = [0.5, 0.3, 0.15, 0.03, 0.01, 0.01];
        let f = fit(&observed, &expected);
        assert_eq!((f.cells, f.df), (4, 3.0));
        let want = 1.0 / 30.0 + 25.0 / 15.0 + 36.0 / 5.0;
        assert!((f.chi_square - want).abs() < 1e-12, "{}", f.chi_square);
        let want_g = 2.0
            * (29.0 * (29.0f64 / 30.0).ln()
                + 10.0 * (10.0f64 / 15.0).ln()
                + 11.0 * (11.0f64 / 5.0).ln());
        assert!((f.g - want_g).abs() < 1e-12);
        // MAD stays on the six categories.
        let mad = (0.0 + 0.01 + 0.05 + 0.01 + 0.01 + 0.06) / 6.0;
        assert!((f.mad - mad).abs() < 1e-12);
        // A trailing pool expecting under 5 joins the pool before it: expected 6 | 3 + 1 = 4,
        // so everything is one pool and there is nothing to test.
        let f = fit(&[6, 3, 1], &[0.6, 0.3, 0.1]);
        assert_eq!(f.cells, 1);
        assert_eq!((f.chi_square, f.g), (0.0, 0.0));
        assert!(f.p_chi_square.is_nan());
        // Nothing pooled when every cell expects at least 5: the textbook statistic.
        let f = fit(&[30, 20, 50], &[0.3, 0.3, 0.4]);
        assert_eq!(f.cells, 3);
        assert!((f.chi_square - (0.0 + 100.0 / 30.0 + 100.0 / 40.0)).abs() < 1e-12);
    }

    #[test]
    fn chi_square_critical_values() {
        // methods.md §3.2 table: df 9 at 5 % is 16.919, at 1 % 21.666.
        assert!((chi_square_sf(16.919, 9.0) - 0.05).abs() < 1e-4);
        assert!((chi_square_sf(21.666, 9.0) - 0.01).abs() < 1e-4);
        assert!((chi_square_sf(123.225, 99.0) - 0.05).abs() < 1e-4);
    }
}
