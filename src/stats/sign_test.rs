//! Tests of symmetry for paired differences (the same table counted twice).
//!
//! Under honest transcription or reading errors a difference between two counts of the same table
//! is as likely to raise a candidate's count as to lower it. Two tests of that symmetry:
//!
//! - **Sign test** (exact, two-sided): of `n` tables where the count changed, `k` raised it;
//!   under the null k ~ Binomial(n, ½) and p = min(1, 2·P(X ≤ min(k, n − k))). Conover,
//!   *Practical Nonparametric Statistics* (3rd ed., 1999), §3.4. It uses only the signs, so one
//!   large honest error cannot dominate it.
//! - **Sign-flip permutation of the net change** (Fisher's randomisation of paired differences;
//!   Good, *Permutation, Parametric and Bootstrap Tests of Hypotheses*, 3rd ed. 2005, §3.1): under a
//!   symmetric null every difference d_i is as likely to be −d_i, so the null distribution of
//!   the net change Σ d_i is that of Σ s_i·|d_i| with independent fair signs s_i. Monte Carlo with
//!   `replicates` draws gives the central 95 % interval of the net change under the null and a
//!   two-sided p = (1 + #{|S*| ≥ |S|}) / (replicates + 1) (Davison & Hinkley 1997, §4.2: never 0).
//!   Seeded ChaCha8: the same seed gives the same interval.
//!
//! Test vectors: scipy.stats.binomtest(k, n, 0.5).pvalue (two-sided).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Binomial, DiscreteCDF};

/// Exact two-sided sign test: `k` of `n` changes went up. 1 when `n` = 0.
pub fn sign_test(k: u64, n: u64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let tail = k.min(n - k);
    let cdf = Binomial::new(0.5, n)
        .map(|b| b.cdf(tail))
        .unwrap_or(f64::NAN);
    (2.0 * cdf).min(1.0)
}

/// The sign-flip null of a net change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignFlip {
    /// Σ d_i.
    pub net: i64,
    /// Central 95 % interval of the net change under symmetric errors (2.5 % and 97.5 % quantiles).
    pub interval: (f64, f64),
    /// Two-sided Monte Carlo p-value of |net|.
    pub p_value: f64,
    pub replicates: u32,
}

/// Sign-flip null of Σ `diffs` with `replicates` draws seeded by `seed`.
pub fn sign_flip(diffs: &[i64], replicates: u32, seed: u64) -> SignFlip {
    let net: i64 = diffs.iter().sum();
    let abs: Vec<i64> = diffs.iter().map(|d| d.abs()).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sums: Vec<i64> = (0..replicates)
        .map(|_| {
            let mut s = 0i64;
            // 64 signs per random word.
            for chunk in abs.chunks(64) {
                let bits = rng.next_u64();
                for (j, &a) in chunk.iter().enumerate() {
                    s += if bits >> j & 1 == 1 { a } else { -a };
                }
            }
            s
        })
        .collect();
    let extreme = sums.iter().filter(|s| s.abs() >= net.abs()).count();
    sums.sort_unstable();
    let q = |f: f64| {
        if sums.is_empty() {
            return f64::NAN;
        }
        let i = ((sums.len() - 1) as f64 * f).round() as usize;
        sums[i] as f64
    };
    SignFlip {
        net,
        interval: (q(0.025), q(0.975)),
        p_value: (1 + extreme) as f64 / (replicates as f64 + 1.0),
        replicates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_test_matches_scipy_binomtest() {
        // scipy.stats.binomtest(1, 10).pvalue = 0.021484375 (= 2·11/1024)
        assert!((sign_test(1, 10) - 0.021484375).abs() < 1e-12);
        assert!((sign_test(9, 10) - 0.021484375).abs() < 1e-12);
        // scipy.stats.binomtest(5, 20).pvalue = 0.041389465332031250
        assert!((sign_test(5, 20) - 0.04138946533203125).abs() < 1e-12);
        // scipy.stats.binomtest(0, 25).pvalue = 5.960464477539063e-08 (= 2 / 2^25)
        assert!((sign_test(0, 25) / 5.960464477539063e-08 - 1.0).abs() < 1e-9);
        assert_eq!(sign_test(5, 10), 1.0);
        assert_eq!(sign_test(0, 0), 1.0);
    }

    #[test]
    fn sign_flip_matches_the_exact_null() {
        // d = [1, 1, 1]: the net change takes ±3 with probability 2/8, so p ≈ 0.25.
        let f = sign_flip(&[1, 1, 1], 20_000, 1);
        assert_eq!(f.net, 3);
        assert!((f.p_value - 0.25).abs() < 0.01, "{f:?}");
        // Many differences: the null is close to N(0, Σ d²); 95 % interval ±1.96·σ.
        let d: Vec<i64> = (0..400).map(|i| (i % 7) - 3).collect();
        let sigma = (d.iter().map(|x| (x * x) as f64).sum::<f64>()).sqrt();
        let f = sign_flip(&d, 4000, 2);
        assert!((f.interval.1 / (1.96 * sigma) - 1.0).abs() < 0.08, "{f:?}");
        assert!((f.interval.0 / (-1.96 * sigma) - 1.0).abs() < 0.08, "{f:?}");
        assert_eq!(f, sign_flip(&d, 4000, 2), "seeded: deterministic");
        // All changes one way by a lot: the smallest p the replicates allow.
        let f = sign_flip(&[10; 30], 999, 3);
        assert_eq!(f.p_value, 1.0 / 1000.0);
    }
}
