//! Random draws shared by the generator (`simulate`), the power analysis (`power`) and the
//! simulation studies of the battery: one binomial sampler, so a resampled count means the same
//! thing everywhere.
//!
//! Binomial(n, p) by `rand_distr::Binomial` (Kachitvichyanukul & Schmeiser 1988, BTPE), with the
//! edge cases made total: p ≤ 0 or NaN gives 0, p ≥ 1 gives n.

use rand::Rng;
use rand_distr::{Binomial, Distribution};

/// Binomial(n, p) draw for 64-bit counts; p outside (0, 1) (or NaN) is treated as 0 or 1.
pub fn binomial_u64<R: Rng + ?Sized>(rng: &mut R, n: u64, p: f64) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    Binomial::new(n, p).map_or(0, |b| b.sample(rng).min(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn edges_are_exact_and_the_mean_is_np() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        assert_eq!(binomial_u64(&mut rng, 0, 0.5), 0);
        assert_eq!(binomial_u64(&mut rng, 10, f64::NAN), 0);
        assert_eq!(binomial_u64(&mut rng, 10, -0.1), 0);
        assert_eq!(binomial_u64(&mut rng, 10, 1.0), 10);
        // 20,000 draws of Binomial(100, 0.3): mean 30, sd of the mean √21/√20000 ≈ 0.032.
        let n = 20_000;
        let sum: u64 = (0..n).map(|_| binomial_u64(&mut rng, 100, 0.3)).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 30.0).abs() < 0.15, "{mean}");
    }
}
