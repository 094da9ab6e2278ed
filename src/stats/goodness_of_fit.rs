//! Goodness of fit of observed category counts to expected proportions.
//!
//! - Pearson χ² = Σ (O − E)² / E, df = K − 1 (Pearson 1900); p from the χ² survival function.
//! - G = 2 Σ O ln(O / E), same df (Sokal & Rohlf, *Biometry*; McDonald, *Handbook of Biological
//!   Statistics*).
//! - MAD = (1/K) Σ |p̂ − p| (Nigrini 2012, *Benford's Law*, ch. 7), an N-independent effect size.
//!
//! Test vectors: `../shared/docs/methods.md` §10 (powers of two: χ² = 0.1586, G = 0.1587,
//! MAD = 0.000678) and scipy (`scipy.stats.chisquare`, `scipy.stats.power_divergence(lambda_=0)`).

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Result of a goodness-of-fit test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub n: u64,
    pub chi_square: f64,
    pub g: f64,
    pub df: f64,
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

/// Compare observed counts with expected proportions (which must sum to 1).
pub fn fit(observed: &[u64], expected: &[f64]) -> Fit {
    assert_eq!(
        observed.len(),
        expected.len(),
        "one expected proportion per category"
    );
    let n: u64 = observed.iter().sum();
    let nf = n as f64;
    let (mut chi, mut g, mut mad) = (0.0, 0.0, 0.0);
    for (&o, &p) in observed.iter().zip(expected) {
        let e = nf * p;
        let o = o as f64;
        if e > 0.0 {
            chi += (o - e) * (o - e) / e;
            if o > 0.0 {
                g += o * (o / e).ln();
            }
        }
        if n > 0 {
            mad += (o / nf - p).abs();
        }
    }
    g *= 2.0;
    let df = (observed.len() as f64 - 1.0).max(1.0);
    Fit {
        n,
        chi_square: chi,
        g,
        df,
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
    fn chi_square_critical_values() {
        // methods.md §3.2 table: df 9 at 5 % is 16.919, at 1 % 21.666.
        assert!((chi_square_sf(16.919, 9.0) - 0.05).abs() < 1e-4);
        assert!((chi_square_sf(21.666, 9.0) - 0.01).abs() < 1e-4);
        assert!((chi_square_sf(123.225, 99.0) - 0.05).abs() < 1e-4);
    }
}
