//! The smooth continuation of a histogram's tail: how many observations the last bins would hold
//! if the density went on as it does just before them.
//!
//! Model: counts y_b in equal bins b of a band below the edge are Poisson with log-linear means,
//! log μ_b = a + β (x_b − x̄) (a Poisson generalised linear model, fitted by Newton–Raphson /
//! iteratively reweighted least squares; McCullagh & Nelder 1989, *Generalized Linear Models*,
//! §6.2). The expected count beyond the edge is the sum of the fitted means of the target bins,
//! E = Σ_t exp(a + β (x_t − x̄)). Its uncertainty combines
//! - overdispersion of the band around the fit: φ = max(1, Pearson χ² / (K − 2)) (McCullagh &
//!   Nelder §4.5), and
//! - the fit's own error by the delta method: Var(E) = φ gᵀ I⁻¹ g with g = ∂E/∂(a, β) and I the
//!   Fisher information Σ μ_b (1, x_b − x̄)(1, x_b − x̄)ᵀ.
//!
//! The count beyond the edge is then referred to a negative binomial with mean E and variance
//! φE + Var(E) (a gamma–Poisson mixture, which carries the extrapolation's uncertainty into the
//! tail probability; Poisson when that variance does not exceed E).
//!
//! A log-linear continuation follows any smooth tail, rising (a heavily one-sided ward, a popular
//! incumbent's home region) or falling, and a pile-up at the edge (stations at 100 % turnout)
//! stands out against it, where a parametric null fitted to the whole distribution (binomial,
//! beta-binomial) has tails too light for honest heterogeneity and calls clean elections extreme.
//! It cannot tell a pile-up made by manipulation from one made by honest structure that is itself
//! abrupt at the edge (e.g. tiny special stations where everyone votes).

use statrs::distribution::{DiscreteCDF, NegativeBinomial, Poisson};

/// A fitted continuation of a band of bins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Continuation {
    /// Level at the band's centre (log of the fitted mean count per bin there).
    pub a: f64,
    /// Log-linear slope per bin width (positive: rising towards the edge).
    pub beta: f64,
    /// Variance of `beta` (φ-scaled).
    pub var_beta: f64,
    /// Overdispersion of the band around the fit (≥ 1).
    pub phi: f64,
    /// Observations in the band.
    pub band_total: f64,
}

/// Fit the log-linear continuation to `band` counts (equal bins, in order towards the edge).
/// `None` when the band is empty or the fit does not converge.
pub fn fit(band: &[f64]) -> Option<Continuation> {
    let k = band.len();
    let total: f64 = band.iter().sum();
    if k < 3 || total <= 0.0 {
        return None;
    }
    let xbar = (k as f64 - 1.0) / 2.0;
    let x: Vec<f64> = (0..k).map(|b| b as f64 - xbar).collect();
    let (mut a, mut beta) = ((total / k as f64).ln(), 0.0);
    for _ in 0..100 {
        let mu: Vec<f64> = x.iter().map(|&xb| (a + beta * xb).exp()).collect();
        let (s0, s1) = (
            band.iter().zip(&mu).map(|(y, m)| y - m).sum::<f64>(),
            band.iter()
                .zip(&mu)
                .zip(&x)
                .map(|((y, m), xb)| (y - m) * xb)
                .sum::<f64>(),
        );
        let (i00, i01, i11) = info(&mu, &x);
        let det = i00 * i11 - i01 * i01;
        if !det.is_finite() || det <= 0.0 {
            return None;
        }
        let da = (i11 * s0 - i01 * s1) / det;
        let db = (i00 * s1 - i01 * s0) / det;
        // Damped steps keep an empty end of the band (all zeros) from overshooting.
        let step = 1.0f64.min(2.0 / db.abs().max(1e-300));
        a += da * step;
        beta += db * step;
        if da.abs() < 1e-10 && db.abs() < 1e-10 {
            let mu: Vec<f64> = x.iter().map(|&xb| (a + beta * xb).exp()).collect();
            let pearson: f64 = band.iter().zip(&mu).map(|(y, m)| (y - m).powi(2) / m).sum();
            let phi = (pearson / (k as f64 - 2.0)).max(1.0);
            let (i00, i01, i11) = info(&mu, &x);
            let det = i00 * i11 - i01 * i01;
            return Some(Continuation {
                a,
                beta,
                var_beta: phi * i00 / det,
                phi,
                band_total: total,
            });
        }
    }
    None
}

fn info(mu: &[f64], x: &[f64]) -> (f64, f64, f64) {
    let i00: f64 = mu.iter().sum();
    let i01: f64 = mu.iter().zip(x).map(|(m, xb)| m * xb).sum();
    let i11: f64 = mu.iter().zip(x).map(|(m, xb)| m * xb * xb).sum();
    (i00, i01, i11)
}

/// The continuation's expectation beyond the edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailExpectation {
    /// Expected observations in the `targets` bins after the band.
    pub expected: f64,
    /// Variance for the tail count: φ·E plus the fit's own variance of E.
    pub variance: f64,
}

impl Continuation {
    /// Offsets (in bins from the band's centre) of the `targets` bins after a band of `k` bins.
    fn target_x(k: usize, targets: usize) -> impl Iterator<Item = f64> {
        let xbar = (k as f64 - 1.0) / 2.0;
        (k..k + targets).map(move |b| b as f64 - xbar)
    }

    /// Expected count in the `targets` bins following the band of `k` bins, from this fit.
    pub fn expect(&self, k: usize, targets: usize) -> TailExpectation {
        let xs: Vec<f64> = Self::target_x(k, targets).collect();
        let e: f64 = xs.iter().map(|&x| (self.a + self.beta * x).exp()).sum();
        let de_db: f64 = xs.iter().map(|&x| x * (self.a + self.beta * x).exp()).sum();
        // Var(â) for a Poisson level is about φ/Σμ = φ/band; â and β̂ are uncorrelated at the
        // centred x̄ only when μ is flat, so take the full information matrix from the band.
        let band_x: Vec<f64> = (0..k).map(|b| b as f64 - (k as f64 - 1.0) / 2.0).collect();
        let mu: Vec<f64> = band_x
            .iter()
            .map(|&x| (self.a + self.beta * x).exp())
            .collect();
        let (i00, i01, i11) = info(&mu, &band_x);
        let det = i00 * i11 - i01 * i01;
        let var_fit = self.phi * (e * e * i11 - 2.0 * e * de_db * i01 + de_db * de_db * i00) / det;
        TailExpectation {
            expected: e,
            variance: self.phi * e + var_fit.max(0.0),
        }
    }

    /// The same slope (and its variance and φ) carried to a smaller band of `k` bins with
    /// `band_total` observations: the local level is fitted, the shape borrowed.
    pub fn rescaled(&self, k: usize, band_total: f64) -> Option<TailExpectation> {
        if band_total <= 0.0 {
            return None;
        }
        let xbar = (k as f64 - 1.0) / 2.0;
        let shape: f64 = (0..k).map(|b| (self.beta * (b as f64 - xbar)).exp()).sum();
        let local = Continuation {
            a: (band_total / shape).ln(),
            band_total,
            ..*self
        };
        Some(local.expect_shape_only(k))
    }

    /// Expectation of a continuation whose level is fitted locally and slope borrowed:
    /// Var = E²·φ/band (level) + (∂E/∂β)²·Var(β) + φ·E.
    fn expect_shape_only(&self, k: usize) -> TailExpectation {
        let xs: Vec<f64> = Self::target_x(k, TARGETS).collect();
        let e: f64 = xs.iter().map(|&x| (self.a + self.beta * x).exp()).sum();
        let de_db: f64 = xs.iter().map(|&x| x * (self.a + self.beta * x).exp()).sum();
        TailExpectation {
            expected: e,
            variance: self.phi * e
                + e * e * self.phi / self.band_total
                + de_db * de_db * self.var_beta,
        }
    }
}

/// Bins beyond the edge (95 % to 100 % in 1-point bins).
pub const TARGETS: usize = 5;

/// P(X ≥ observed) for X with the expectation's mean and variance (negative binomial, or
/// Poisson when the variance does not exceed the mean).
pub fn upper_tail(observed: u64, e: &TailExpectation) -> f64 {
    if observed == 0 {
        return 1.0;
    }
    if e.expected <= 0.0 {
        return 0.0;
    }
    let (m, v) = (e.expected, e.variance);
    let p = if v > m * (1.0 + 1e-9) {
        let prob = m / v;
        let r = m * m / (v - m);
        NegativeBinomial::new(r, prob).map_or(f64::NAN, |d| d.sf(observed - 1))
    } else {
        Poisson::new(m).map_or(f64::NAN, |d| d.sf(observed - 1))
    };
    p.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_exponential_band_is_fitted_exactly() {
        // y_b = 100·e^{−0.2 b}: a = ln 100 − 0.2·x̄, β = −0.2, no overdispersion beyond 1.
        let band: Vec<f64> = (0..15).map(|b| 100.0 * (-0.2 * b as f64).exp()).collect();
        let c = fit(&band).unwrap();
        assert!((c.beta + 0.2).abs() < 1e-9, "{}", c.beta);
        assert!((c.a - (100f64.ln() - 0.2 * 7.0)).abs() < 1e-9, "{}", c.a);
        assert_eq!(c.phi, 1.0);
        let e = c.expect(15, 5);
        let truth: f64 = (15..20).map(|b| 100.0 * (-0.2 * b as f64).exp()).sum();
        assert!(
            (e.expected - truth).abs() < 1e-6,
            "{} vs {truth}",
            e.expected
        );
        assert!(e.variance > e.expected);
    }

    #[test]
    fn the_poisson_glm_matches_r() {
        // statsmodels 0.14: GLM(y, [1, x], family=Poisson()) with y = (12, 9, 11, 7, 8, 5, 6, 4,
        // 5, 3), x = 0..9 − 4.5 → params (1.87321755, −0.13373204), Pearson χ²/8 = 0.1913
        // (φ floored at 1 here).
        let band = [12.0, 9.0, 11.0, 7.0, 8.0, 5.0, 6.0, 4.0, 5.0, 3.0];
        let c = fit(&band).unwrap();
        assert!((c.a - 1.87321755).abs() < 1e-6, "{}", c.a);
        assert!((c.beta + 0.13373204).abs() < 1e-6, "{}", c.beta);
        assert_eq!(c.phi, 1.0);
    }

    #[test]
    fn tail_probabilities_reduce_to_poisson_without_extra_variance() {
        let e = TailExpectation {
            expected: 2.0,
            variance: 2.0,
        };
        // P(X ≥ 5 | Poisson(2)) = 1 − 0.947347 = 0.052653
        assert!((upper_tail(5, &e) - 0.0526530).abs() < 1e-6);
        assert_eq!(upper_tail(0, &e), 1.0);
        // Extra variance makes the same count less surprising.
        let wide = TailExpectation {
            expected: 2.0,
            variance: 6.0,
        };
        // scipy.stats.nbinom.sf(4, r = 1, p = 1/3) = 0.131687242798
        assert!((upper_tail(5, &wide) - 0.131687242798).abs() < 1e-9);
    }

    #[test]
    fn borrowed_shape_scales_to_the_local_band() {
        let band: Vec<f64> = (0..15).map(|b| 200.0 * (-0.1 * b as f64).exp()).collect();
        let national = fit(&band).unwrap();
        let local_total = band.iter().sum::<f64>() / 10.0;
        let e = national.rescaled(15, local_total).unwrap();
        let full = national.expect(15, TARGETS);
        assert!((e.expected - full.expected / 10.0).abs() < 1e-9);
        assert!(e.variance > e.expected);
        assert!(national.rescaled(15, 0.0).is_none());
    }
}
