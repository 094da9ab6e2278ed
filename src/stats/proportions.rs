//! Binomial proportions: the Wilson score interval (Wilson 1927, "Probable inference, the law of
//! succession, and statistical inference", *JASA* 22:209–212; no continuity correction, as
//! statsmodels' `proportion_confint(method="wilson")`) and the z of a share against a null value
//! with the binomial standard error √(p0(1 − p0)/n) (Beber & Scacco 2012 use it for digit shares).

const Z95: f64 = 1.959964;

/// Wilson score 95 % interval of a binomial proportion (Wilson 1927); (0, 1) when n = 0.
pub fn wilson(hits: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (n, p) = (n as f64, hits as f64 / n as f64);
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// z of an observed share against `p0` with the binomial SE √(p0(1 − p0)/n).
pub fn binomial_z(share: f64, p0: f64, n: u64) -> f64 {
    (share - p0) / (p0 * (1.0 - p0) / n.max(1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_known_value() {
        // 20/100 → [0.1333, 0.2888] (Wilson score, no continuity correction).
        let (lo, hi) = wilson(20, 100);
        assert!(
            (lo - 0.13333).abs() < 5e-5 && (hi - 0.28883).abs() < 5e-5,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        let (lo, hi) = wilson(0, 10);
        assert!(lo == 0.0 && (hi - 0.27753).abs() < 5e-5, "{hi}");
    }

    #[test]
    fn binomial_z_against_methods() {
        // methods.md §7.2: González repeated pairs 0.0972 of 24,505 → z = −1.44 against 0.10.
        assert!((binomial_z(0.0972, 0.10, 24_505) + 1.46).abs() < 0.03);
    }
}
