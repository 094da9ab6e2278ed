//! The latent share density of `rozenas_spikes`: a mixture of beta distributions fitted to the
//! stations' counts through the beta-binomial likelihood, and the per-station posterior-predictive
//! draw of the resampled null (Rozenas 2017 §4; R package `spikes`, `est.density` and `resample`).
//!
//! Model: station i with denominator nᵢ and count yᵢ has latent share pᵢ ~ Σₖ wₖ Beta(αₖ, βₖ) and
//! yᵢ | pᵢ ~ Bin(nᵢ, pᵢ), so yᵢ ~ Σₖ wₖ BetaBin(nᵢ, αₖ, βₖ) with
//! log BetaBin(y | n, α, β) = log C(n, y) + log B(y + α, n − y + β) − log B(α, β).
//!
//! Fit: EM over L = 1, 2, 3 components, L chosen by BIC (−2 log L + (3L − 1) log N). The E-step is
//! the exact responsibility rᵢₖ ∝ wₖ BetaBin(yᵢ | nᵢ, αₖ, βₖ); the M-step sets wₖ = mean rᵢₖ and
//! (αₖ, βₖ) by weighted moments of the shares sᵢ = yᵢ/nᵢ: mean m, variance v and E[1/n] under the
//! weights rᵢₖ, intra-class correlation ρ = (v / (m(1 − m)) − E[1/n]) / (1 − E[1/n]) (the
//! beta-binomial variance of a share is m(1 − m)(1/n + ρ(1 − 1/n))), αₖ + βₖ = 1/ρ − 1,
//! αₖ = m(αₖ + βₖ). (The package maximises the weighted likelihood with L-BFGS-B; the moment
//! step is consistent, needs no optimiser and runs on a systematic sample of at most `FIT_MAX`
//! stations.) The package picks L by the correlation of successive fitted densities; BIC is the
//! standard choice.
//!
//! Resample (the package's `resample`): station i draws its component k with probability rᵢₖ,
//! then pᵢ* ~ Beta(yᵢ + αₖ, nᵢ − yᵢ + βₖ) and yᵢ* ~ Bin(nᵢ, pᵢ*) — a posterior-predictive draw with
//! the station's own denominator, so that its marginal over stations is the fitted honest
//! distribution of counts, small denominators included. When the beta-binomial variance is
//! ≥ 25 and both posterior shapes ≥ 10 the draw is normal with the beta-binomial mean and
//! variance and continuity rounding (the windows are one count wide at most at that scale, so
//! only the smoothness of the draw at that scale matters); otherwise it is exact.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, StandardNormal};
use statrs::function::gamma::ln_gamma;

use crate::stats::sampling::binomial_u64;

/// Most components fitted.
pub const MAX_COMPONENTS: usize = 3;
/// Most stations the EM runs on (a systematic sample of larger groups).
pub const FIT_MAX: usize = 5_000;
/// EM iterations at most (the moment M-step converges in tens; regions fit on their own).
const MAX_ITER: usize = 60;

/// A fitted mixture of betas.
#[derive(Debug, Clone, PartialEq)]
pub struct BetaMix {
    pub w: Vec<f64>,
    pub alpha: Vec<f64>,
    pub beta: Vec<f64>,
    /// Log-likelihood on the fitting sample (without the binomial coefficients).
    pub loglik: f64,
}

fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// log BetaBin(y | n, α, β) without log C(n, y).
fn ln_bb(y: u64, n: u64, a: f64, b: f64, ln_b_ab: f64) -> f64 {
    ln_beta(y as f64 + a, (n - y) as f64 + b) - ln_b_ab
}

/// (α, β) from a weighted mean share, share variance and mean 1/n.
fn moments_to_shapes(m: f64, v: f64, inv_n: f64) -> (f64, f64) {
    let m = m.clamp(1e-6, 1.0 - 1e-6);
    let rho = if inv_n < 1.0 - 1e-9 {
        ((v / (m * (1.0 - m)) - inv_n) / (1.0 - inv_n)).clamp(1e-7, 0.99)
    } else {
        0.5
    };
    let s = 1.0 / rho - 1.0;
    ((m * s).clamp(1e-3, 1e7), ((1.0 - m) * s).clamp(1e-3, 1e7))
}

/// Weighted moments (m, v, E[1/n]) of the shares.
fn weighted_moments(y: &[u64], n: &[u64], r: impl Fn(usize) -> f64) -> (f64, f64, f64, f64) {
    let (mut sw, mut sm, mut sinv) = (0.0, 0.0, 0.0);
    for i in 0..y.len() {
        let w = r(i);
        sw += w;
        sm += w * y[i] as f64 / n[i] as f64;
        sinv += w / n[i] as f64;
    }
    if sw <= 0.0 {
        return (0.0, 0.5, 0.0, 1.0);
    }
    let m = sm / sw;
    let v = (0..y.len())
        .map(|i| r(i) * (y[i] as f64 / n[i] as f64 - m).powi(2))
        .sum::<f64>()
        / sw;
    (sw, m, v, sinv / sw)
}

/// The fitting sample with each station's count y and complement n − y as indices into their
/// distinct values, so that an E-step computes log Γ(y + α) and log Γ(n − y + β) once per distinct
/// value (a few hundred) instead of once per station: the same arguments, so the same values bit
/// for bit, at a third of the log-gamma calls (the third, log Γ(n + α + β), depends on the pair).
struct Sample<'a> {
    y: &'a [u64],
    n: &'a [u64],
    /// The distinct counts and complements, sorted.
    distinct_y: Vec<u64>,
    distinct_m: Vec<u64>,
    /// Each station's index into them.
    yi: Vec<u32>,
    mi: Vec<u32>,
}

impl<'a> Sample<'a> {
    fn new(y: &'a [u64], n: &'a [u64]) -> Sample<'a> {
        let complement: Vec<u64> = y.iter().zip(n).map(|(&y, &n)| n - y).collect();
        let distinct = |v: &[u64]| {
            let mut d = v.to_vec();
            d.sort_unstable();
            d.dedup();
            d
        };
        let (distinct_y, distinct_m) = (distinct(y), distinct(&complement));
        // Every value is in its set: the search always finds it.
        let index = |set: &[u64], v: &[u64]| -> Vec<u32> {
            v.iter()
                .map(|x| set.binary_search(x).unwrap_or_else(|i| i) as u32)
                .collect()
        };
        Sample {
            y,
            n,
            yi: index(&distinct_y, y),
            mi: index(&distinct_m, &complement),
            distinct_y,
            distinct_m,
        }
    }
}

/// Fit L components by EM from quantile blocks of the shares. `y[i] ≤ n[i]`, `n[i] ≥ 1`.
fn fit_l(sample: &Sample, l: usize) -> BetaMix {
    let (y, n) = (sample.y, sample.n);
    let len = y.len();
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| {
        (y[a] as f64 / n[a] as f64)
            .total_cmp(&(y[b] as f64 / n[b] as f64))
            .then(a.cmp(&b))
    });
    let mut block = vec![0usize; len];
    for (rank, &i) in order.iter().enumerate() {
        block[i] = rank * l / len.max(1);
    }
    let mut mix = BetaMix {
        w: vec![1.0 / l as f64; l],
        alpha: vec![1.0; l],
        beta: vec![1.0; l],
        loglik: f64::NEG_INFINITY,
    };
    for k in 0..l {
        let (_, m, v, inv) = weighted_moments(y, n, |i| f64::from(u8::from(block[i] == k)));
        (mix.alpha[k], mix.beta[k]) = moments_to_shapes(m, v, inv);
    }
    let mut resp = vec![0.0f64; len * l];
    let mut prev = f64::NEG_INFINITY;
    for _ in 0..MAX_ITER {
        let ll = e_step(sample, &mix, &mut resp);
        mix.loglik = ll;
        if (ll - prev).abs() <= 1e-6 * ll.abs().max(1.0) {
            break;
        }
        prev = ll;
        for k in 0..l {
            let (sw, m, v, inv) = weighted_moments(y, n, |i| resp[i * l + k]);
            mix.w[k] = sw / len as f64;
            (mix.alpha[k], mix.beta[k]) = moments_to_shapes(m, v, inv);
        }
    }
    mix
}

/// Responsibilities into `resp` (row-major, L per station); returns the log-likelihood. Each
/// term is `w.ln() + ln_bb(y, n, α, β, log B(α, β))`, evaluated in that order from the tabulated
/// log-gammas of `Sample`.
fn e_step(sample: &Sample, mix: &BetaMix, resp: &mut [f64]) -> f64 {
    let (y, n) = (sample.y, sample.n);
    let l = mix.w.len();
    let lb: Vec<f64> = (0..l).map(|k| ln_beta(mix.alpha[k], mix.beta[k])).collect();
    let lw: Vec<f64> = mix.w.iter().map(|w| w.ln()).collect();
    let table = |set: &[u64], shape: f64| -> Vec<f64> {
        set.iter().map(|&v| ln_gamma(v as f64 + shape)).collect()
    };
    let ga: Vec<Vec<f64>> = (0..l)
        .map(|k| table(&sample.distinct_y, mix.alpha[k]))
        .collect();
    let gb: Vec<Vec<f64>> = (0..l)
        .map(|k| table(&sample.distinct_m, mix.beta[k]))
        .collect();
    let mut ll = 0.0;
    let mut lp = vec![0.0; l];
    for i in 0..y.len() {
        let (yi, mi) = (sample.yi[i] as usize, sample.mi[i] as usize);
        for k in 0..l {
            lp[k] = if mix.w[k] > 0.0 {
                // ln_beta(y + α, n − y + β) − log B(α, β), as `ln_bb` computes it.
                let (a, b) = (
                    y[i] as f64 + mix.alpha[k],
                    (n[i] - y[i]) as f64 + mix.beta[k],
                );
                lw[k] + (ga[k][yi] + gb[k][mi] - ln_gamma(a + b) - lb[k])
            } else {
                f64::NEG_INFINITY
            };
        }
        let top = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = lp.iter().map(|v| (v - top).exp()).sum();
        ll += top + sum.ln();
        for k in 0..l {
            resp[i * l + k] = (lp[k] - top).exp() / sum;
        }
    }
    ll
}

/// The BIC-best mixture of 1 to `MAX_COMPONENTS` betas on a systematic sample of ≤ `FIT_MAX`.
pub fn fit(y: &[u64], n: &[u64]) -> BetaMix {
    let step = y.len().div_ceil(FIT_MAX).max(1);
    let ys: Vec<u64> = y.iter().step_by(step).copied().collect();
    let ns: Vec<u64> = n.iter().step_by(step).copied().collect();
    let big_n = ys.len().max(1) as f64;
    let mut best: Option<(f64, BetaMix)> = None;
    let sample = Sample::new(&ys, &ns);
    for l in 1..=MAX_COMPONENTS.min(ys.len().max(1)) {
        let m = fit_l(&sample, l);
        let bic = -2.0 * m.loglik + (3 * l - 1) as f64 * big_n.ln();
        if bic.is_finite() && best.as_ref().is_none_or(|(b, _)| bic < *b) {
            best = Some((bic, m));
        }
    }
    best.map(|(_, m)| m).unwrap_or(BetaMix {
        w: vec![1.0],
        alpha: vec![1.0],
        beta: vec![1.0],
        loglik: 0.0,
    })
}

impl BetaMix {
    /// log B(αₖ, βₖ) of every component (the normalisers `cumulative` needs).
    pub fn ln_norms(&self) -> Vec<f64> {
        (0..self.w.len())
            .map(|k| ln_beta(self.alpha[k], self.beta[k]))
            .collect()
    }

    /// Cumulative responsibilities of one station (the last one, 1, is implicit); `lb` from
    /// `ln_norms`.
    pub fn cumulative(&self, lb: &[f64], y: u64, n: u64) -> [f32; MAX_COMPONENTS - 1] {
        let l = self.w.len().min(MAX_COMPONENTS);
        let mut lp = [f64::NEG_INFINITY; MAX_COMPONENTS];
        for k in 0..l {
            if self.w[k] > 0.0 {
                lp[k] = self.w[k].ln() + ln_bb(y, n, self.alpha[k], self.beta[k], lb[k]);
            }
        }
        let top = lp[..l].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = lp[..l].iter().map(|v| (v - top).exp()).sum();
        let mut out = [1.0f32; MAX_COMPONENTS - 1];
        let mut acc = 0.0;
        for k in 0..l.saturating_sub(1) {
            acc += (lp[k] - top).exp() / sum;
            out[k] = acc as f32;
        }
        out
    }

    /// The posterior-predictive draw of a station's count from component `k`, prepared once.
    pub fn prepare(&self, y: u64, n: u64, k: usize) -> Draw {
        let a = y as f64 + self.alpha[k];
        let b = n.saturating_sub(y) as f64 + self.beta[k];
        let nf = n as f64;
        let s = a + b;
        let var = nf * a * b * (s + nf) / (s * s * (s + 1.0));
        if var >= 25.0 && a.min(b) >= 10.0 {
            Draw::Normal {
                mean: nf * a / s + 0.5,
                sd: var.sqrt(),
            }
        } else {
            Draw::exact(a, b)
        }
    }

    /// Posterior-predictive draw of a station's count from component `k`.
    #[cfg(test)]
    pub fn draw(&self, y: u64, n: u64, k: usize, r: &mut ChaCha8Rng) -> u64 {
        self.prepare(y, n, k).sample(n, r)
    }

    /// Mean of the mixture.
    pub fn mean(&self) -> f64 {
        (0..self.w.len())
            .map(|k| self.w[k] * self.alpha[k] / (self.alpha[k] + self.beta[k]))
            .sum()
    }
}

/// A prepared posterior-predictive draw: normal with the beta-binomial mean (plus ½ for the
/// continuity rounding) and SD, or exact through Beta(a, b) and a binomial. 24 bytes: the null
/// streams every station's draws through the cache once per replicate, so the beta's set-up
/// (a division and a square root, small beside its sampling loop) is redone per draw rather than
/// stored (it is 64 bytes; storing it made a Venezuelan subject's stations 6.9 MB, past the L2).
#[derive(Debug, Clone, Copy)]
pub enum Draw {
    Normal { mean: f64, sd: f64 },
    Exact { a: f64, b: f64 },
}

impl Draw {
    pub fn exact(a: f64, b: f64) -> Draw {
        Draw::Exact { a, b }
    }

    pub fn sample(self, n: u64, r: &mut ChaCha8Rng) -> u64 {
        if n == 0 {
            return 0;
        }
        match self {
            Draw::Normal { mean, sd } => {
                let z: f64 = StandardNormal.sample(r);
                // floor, then clamp to 0..=n: for v ≥ 0 the cast truncates, which is the floor
                // (and costs no libm call).
                let v = mean + sd * z;
                if v > 0.0 {
                    (v as u64).min(n)
                } else {
                    0
                }
            }
            Draw::Exact { a, b } => {
                // Shapes the beta rejects are drawn at their mean.
                let p = Beta::new(a, b).map_or(a / (a + b), |d| d.sample(r));
                binomial_u64(r, n, p)
            }
        }
    }
}

/// The component of `l` a uniform `u` picks from cumulative responsibilities.
pub fn pick(cum: &[f32; MAX_COMPONENTS - 1], l: usize, u: f32) -> usize {
    (0..l - 1).find(|&k| u < cum[k]).unwrap_or(l - 1)
}

/// A uniform f32 in [0, 1).
pub fn uniform(r: &mut ChaCha8Rng) -> f32 {
    r.random::<f32>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn one_beta_is_recovered_from_beta_binomial_counts() {
        // p ~ Beta(12, 8) (mean 0.6, ρ = 1/21), n = 200: the moment EM recovers the shapes.
        let mut r = ChaCha8Rng::seed_from_u64(3);
        let d = Beta::new(12.0, 8.0).unwrap();
        let n = vec![200u64; 4000];
        let y: Vec<u64> = n
            .iter()
            .map(|&n| {
                let p = d.sample(&mut r);
                binomial_u64(&mut r, n, p)
            })
            .collect();
        let m = fit(&y, &n);
        assert_eq!(m.w.len(), 1, "{m:?}");
        assert!((m.mean() - 0.6).abs() < 0.01, "{m:?}");
        let s = m.alpha[0] + m.beta[0];
        assert!((s - 20.0).abs() < 3.0, "{m:?}");
    }

    #[test]
    fn two_separated_blocs_need_two_components_and_draws_keep_the_denominator() {
        let mut r = ChaCha8Rng::seed_from_u64(4);
        let (lo, hi) = (
            Beta::new(20.0, 80.0).unwrap(),
            Beta::new(70.0, 30.0).unwrap(),
        );
        let n: Vec<u64> = (0..4000).map(|i| 100 + (i % 400) as u64).collect();
        let y: Vec<u64> = n
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let p = if i % 2 == 0 {
                    lo.sample(&mut r)
                } else {
                    hi.sample(&mut r)
                };
                binomial_u64(&mut r, n, p)
            })
            .collect();
        let m = fit(&y, &n);
        assert!(m.w.len() >= 2, "{m:?}");
        for i in 0..50 {
            let cum = m.cumulative(&m.ln_norms(), y[i], n[i]);
            let k = pick(&cum, m.w.len(), uniform(&mut r));
            let d = m.draw(y[i], n[i], k, &mut r);
            assert!(d <= n[i]);
        }
        // Degenerate inputs do not panic.
        let z = fit(&[0, 0, 0], &[5, 5, 5]);
        assert!(z.mean() < 0.01);
        assert_eq!(fit(&[], &[]).w.len(), 1);
        assert!(fit(&[1], &[1]).mean() > 0.9);
    }
}
