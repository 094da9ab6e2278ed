//! Moments of a sample and weighted least squares, as the turnout tests report them.
//!
//! Conventions (methods.md §8): skewness is the biased moment ratio m₃/m₂^{3/2} and kurtosis the
//! Pearson kurtosis m₄/m₂² (normal = 3), as R `moments::skewness`/`kurtosis` (EFToolkit) and
//! scipy `stats.skew(x)` / `stats.kurtosis(x, fisher=False)` compute them; the standard deviation
//! uses n − 1. The weighted regression reports heteroskedasticity-consistent (HC0, White 1980)
//! standard errors, as `statsmodels` `WLS(...).fit(cov_type="HC0")` does, because station-level
//! residuals are far from homoskedastic. Test values come from numpy/scipy (commands in the tests).

/// Mean, SD (n − 1), skewness (biased) and Pearson kurtosis of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub skewness: f64,
    pub kurtosis_pearson: f64,
}

/// Moments of `x` (two passes, for accuracy); NaN fields where undefined (n < 2, no spread).
pub fn moments(x: &[f64]) -> Moments {
    let n = x.len();
    let nf = n as f64;
    let mean = x.iter().sum::<f64>() / nf;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &v in x {
        let d = v - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    let (m2, m3, m4) = (m2 / nf, m3 / nf, m4 / nf);
    let spread = m2 > 0.0;
    Moments {
        n,
        mean,
        sd: if n > 1 {
            (m2 * nf / (nf - 1.0)).sqrt()
        } else {
            f64::NAN
        },
        skewness: if spread { m3 / m2.powf(1.5) } else { f64::NAN },
        kurtosis_pearson: if spread { m4 / (m2 * m2) } else { f64::NAN },
    }
}

/// The `q` quantile of a sorted sample by linear interpolation (Hyndman & Fan 1996 type 7, R's
/// and numpy's default); NaN when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Median of a sample (mean of the two middle values for even n); NaN when empty.
pub fn median(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The weighted fit y = intercept + slope·x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedFit {
    pub intercept: f64,
    pub slope: f64,
    /// HC0 standard error of the slope.
    pub slope_se: f64,
    /// Weighted Pearson correlation of x and y.
    pub correlation: f64,
}

/// Weighted least squares of `y` on `x` with weights `w` (> 0); `None` without spread in x.
pub fn weighted_fit(x: &[f64], y: &[f64], w: &[f64]) -> Option<WeightedFit> {
    let sw: f64 = w.iter().sum();
    if sw.is_nan() || sw <= 0.0 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / sw;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for ((&a, &b), &c) in x.iter().zip(y).zip(w) {
        sxx += c * (a - mx) * (a - mx);
        sxy += c * (a - mx) * (b - my);
        syy += c * (b - my) * (b - my);
    }
    if sxx.is_nan() || sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    // HC0 sandwich for the slope of a centred regressor: Σ w²(x − x̄)²e² / (Σ w(x − x̄)²)².
    let meat: f64 = x
        .iter()
        .zip(y)
        .zip(w)
        .map(|((&a, &b), &c)| {
            let e = b - intercept - slope * a;
            c * c * (a - mx) * (a - mx) * e * e
        })
        .sum();
    Some(WeightedFit {
        intercept,
        slope,
        slope_se: meat.sqrt() / sxx,
        correlation: if syy > 0.0 {
            sxy / (sxx * syy).sqrt()
        } else {
            f64::NAN
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol * b.abs().max(1.0), "{a} vs {b}");
    }

    #[test]
    fn moments_match_scipy() {
        // numpy/scipy 1.x: x = sqrt(first 20 primes); x.mean(), x.std(ddof=1),
        // scipy.stats.skew(x), scipy.stats.kurtosis(x, fisher=False).
        let primes = [
            2., 3., 5., 7., 11., 13., 17., 19., 23., 29., 31., 37., 41., 43., 47., 53., 59., 61.,
            67., 71.,
        ];
        let x: Vec<f64> = primes.iter().map(|p: &f64| p.sqrt()).collect();
        let m = moments(&x);
        close(m.mean, 5.223150636865002, 1e-12);
        close(m.sd, 2.216848741277091, 1e-12);
        close(m.skewness, -0.2281439556431212, 1e-10);
        close(m.kurtosis_pearson, 1.833074484533601, 1e-10);
        assert!(moments(&[1.0, 1.0]).skewness.is_nan());
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn weighted_fit_matches_numpy_sandwich() {
        // numpy: b = solve(XᵀWX, XᵀWy); HC0 V = (XᵀWX)⁻¹ Xᵀ diag(w²e²) X (XᵀWX)⁻¹;
        // r = weighted covariance / sqrt(weighted variances).
        let y = [0.1, 0.4, 0.35, 0.8, 0.9, 0.2, 0.55, 0.6, 0.75, 0.3];
        let t = [0.5, 0.6, 0.55, 0.9, 0.95, 0.45, 0.7, 0.72, 0.8, 0.5];
        let w = [100., 200., 150., 300., 50., 80., 120., 400., 250., 90.];
        let f = weighted_fit(&t, &y, &w).unwrap();
        close(f.intercept, -0.4833069388752572, 1e-10);
        close(f.slope, 1.4758414338863022, 1e-10);
        close(f.slope_se, 0.12415844906413837, 1e-9);
        close(f.correlation, 0.9742859475928894, 1e-10);
        assert!(weighted_fit(&[1.0, 1.0], &[0.0, 1.0], &[1.0, 1.0]).is_none());
    }
}
