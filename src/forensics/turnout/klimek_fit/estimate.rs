//! Estimation over theta and alpha, the simulation of the fitted model, the
//! Monte-Carlo interval for f_i and f_e, and the jackknife (see the parent
//! module's doc for the why).

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::model::{norm_quantile, Grid, Kernel, Model, Obs, Params};
use super::{
    rng_for, theta_at, Prepared, ALPHAS, ALPHA_REF, CONFIDENCE, EXTREME_SD, JACK_BLOCKS, K_REF,
    NO_INCREMENTAL, THETA_STEPS,
};

/// A fit at one alpha: f's and theta (grid index `k`, fractional after the
/// parabola), log-likelihood and the parameters at the best grid theta.
#[derive(Clone, Debug)]
pub(super) struct Estimate {
    pub fi: f64,
    pub fe: f64,
    pub k: f64,
    pub alpha: f64,
    pub ll: f64,
    pub params: Params,
}

/// Kernels for theta grid indices `lo..hi` at one alpha.
pub(super) struct KernelSet {
    pub alpha: f64,
    offset: usize,
    inc: Vec<Kernel>,
    ext: Kernel,
}

impl KernelSet {
    pub fn new(g: Grid, alpha: f64, r: f64, lo: usize, hi: usize) -> KernelSet {
        let hi = hi.min(THETA_STEPS);
        let inc = (lo..hi)
            .into_par_iter()
            .map(|k| Kernel::incremental(g, theta_at(k as f64), alpha, r))
            .collect();
        KernelSet {
            alpha,
            offset: lo,
            inc,
            ext: Kernel::extreme(g, alpha, r),
        }
    }

    /// The kernels for theta grid indices `lo..hi` (within this set's), copied: a copy costs a
    /// small fraction of computing them (`Kernel::new` was 11 % of a fit's time when every
    /// stage of `fit` built its own set).
    pub fn sub(&self, lo: usize, hi: usize) -> KernelSet {
        let r = self.range();
        let (lo, hi) = (lo.max(r.start), hi.min(r.end).max(lo.max(r.start)));
        KernelSet {
            alpha: self.alpha,
            offset: lo,
            inc: self.inc[lo - r.start..hi - r.start].to_vec(),
            ext: self.ext.clone(),
        }
    }

    fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.inc.len()
    }

    pub fn model(&self, g: Grid, k: usize, fix_fi: Option<f64>) -> Model<'_> {
        Model {
            g,
            inc: &self.inc[k - self.offset],
            ext: &self.ext,
            fix_fi,
        }
    }
}

/// Local search over the theta grid from `k0` (each step warm-started from
/// the best fit so far), then a parabola through the best log-likelihood and
/// its neighbours gives a sub-grid theta, and f's interpolated to it. The
/// interpolation keeps the estimator smooth, which matters because f_i and
/// theta trade off strongly.
pub(super) fn search_theta(
    g: Grid,
    obs: &Obs,
    ks: &KernelSet,
    k0: usize,
    init: &Params,
    fix_fi: Option<f64>,
) -> Estimate {
    let range = ks.range();
    let mut seen: Vec<Option<(f64, Params)>> = vec![None; range.end];
    let eval = |k: usize, from: &Params, seen: &mut Vec<Option<(f64, Params)>>| {
        if seen[k].is_none() {
            let (p, ll) = ks.model(g, k, fix_fi).fit(obs, from);
            seen[k] = Some((ll, p));
        }
        seen[k].as_ref().map_or(f64::NEG_INFINITY, |s| s.0)
    };
    let mut best = k0.clamp(range.start, range.end - 1);
    let mut best_ll = eval(best, init, &mut seen);
    for dir in [-1i64, 1] {
        loop {
            let k = best as i64 + dir;
            if k < range.start as i64 || k >= range.end as i64 {
                break;
            }
            let from = seen[best]
                .as_ref()
                .map(|s| s.1.clone())
                .unwrap_or_else(|| init.clone());
            let ll = eval(k as usize, &from, &mut seen);
            if ll <= best_ll {
                break;
            }
            (best, best_ll) = (k as usize, ll);
        }
    }
    let params = seen[best]
        .as_ref()
        .map_or_else(|| init.clone(), |s| s.1.clone());
    let (mut fi, mut fe, mut k) = (params.pi[1], params.pi[2], best as f64);
    let at = |k: usize| {
        seen.get(k)
            .and_then(|s| s.as_ref())
            .map(|(ll, p)| (*ll, p.pi[1], p.pi[2]))
    };
    if let (Some(a), Some(c)) = (best.checked_sub(1).and_then(at), at(best + 1)) {
        let den = a.0 - 2.0 * best_ll + c.0;
        let u = if den < 0.0 {
            (0.5 * (a.0 - c.0) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        let quad = |ya: f64, yb: f64, yc: f64| {
            yb + 0.5 * u * (yc - ya) + 0.5 * u * u * (ya - 2.0 * yb + yc)
        };
        fi = quad(a.1, fi, c.1).max(0.0);
        fe = quad(a.2, fe, c.2).max(0.0);
        k += u;
    }
    Estimate {
        fi,
        fe,
        k,
        alpha: ks.alpha,
        ll: best_ll,
        params,
    }
}

/// Maximum-likelihood fit: a scan of the whole theta grid at alpha = 1
/// (parallel, from the same start), then a local theta search at every
/// alpha from the best scan point. Without incremental fraud
/// (f_i < [`NO_INCREMENTAL`]) theta and alpha are not identified, and the fit
/// at the reference shape (theta ~ 0.15, alpha = 1) is returned with f_i = 0.
pub(super) fn point_fit(pr: &Prepared) -> Estimate {
    let g = pr.g;
    let init = Params::start(g, &pr.obs);
    let ks1 = KernelSet::new(g, 1.0, pr.r, 0, THETA_STEPS);
    let scan: Vec<(f64, Params)> = (0..THETA_STEPS)
        .into_par_iter()
        .map(|k| {
            let (p, ll) = ks1.model(g, k, None).fit(&pr.obs, &init);
            (ll, p)
        })
        .collect();
    let k1 = (0..THETA_STEPS)
        .max_by(|&a, &b| scan[a].0.total_cmp(&scan[b].0).then(b.cmp(&a)))
        .unwrap_or(0);
    let fits: Vec<Estimate> = ALPHAS
        .par_iter()
        .map(|&a| {
            let local;
            let ks = if a == 1.0 {
                &ks1
            } else {
                local = KernelSet::new(g, a, pr.r, k1.saturating_sub(4), k1 + 5);
                &local
            };
            search_theta(g, &pr.obs, ks, k1, &scan[k1].1, None)
        })
        .collect();
    let best = fits
        .into_iter()
        .reduce(|a, b| if b.ll > a.ll { b } else { a })
        .expect("ALPHAS is not empty");
    if best.fi >= NO_INCREMENTAL {
        return best;
    }
    let ks = KernelSet::new(g, ALPHA_REF, pr.r, K_REF, K_REF + 1);
    let (params, ll) = ks.model(g, K_REF, None).fit(&pr.obs, &best.params);
    Estimate {
        fi: 0.0,
        fe: params.pi[2],
        k: K_REF as f64,
        alpha: ALPHA_REF,
        ll,
        params,
    }
}

/// The estimator's f_i as used for inference: below [`NO_INCREMENTAL`] it
/// counts as 0 (the same rule for the observed fit and the replicates).
pub(super) fn coarse(f: f64) -> f64 {
    if f < NO_INCREMENTAL {
        0.0
    } else {
        f
    }
}

/// Stations of the fitting sample.
pub(super) struct Sample {
    /// Fingerprint cell of each station (for the jackknife).
    pub cell: Vec<u32>,
    pub registered: Vec<u64>,
    /// valid / ballots (at most 1), kept per station for the simulation.
    pub ratio: Vec<f64>,
    pub group: Vec<u32>,
}

/// Draw a bin from a cumulative table and a uniform position within it.
fn draw_bin<R: Rng + ?Sized>(cum: &[f64], rng: &mut R) -> f64 {
    let u: f64 = rng.random::<f64>() * cum[cum.len() - 1];
    let i = cum.partition_point(|&c| c <= u).min(cum.len() - 1);
    (i as f64 + rng.random::<f64>()) / cum.len() as f64
}

/// |N(0, sd)| or 1 - |N(0, sd)|, redrawn until in (0, 1), as
/// `simulate::fraud::{incremental_x, extreme_x}`.
fn draw_x<R: Rng + ?Sized>(rng: &mut R, sd: f64, extreme: bool) -> f64 {
    for _ in 0..64 {
        let z: f64 = StandardNormal.sample(rng);
        let x = if extreme {
            1.0 - (sd * z).abs()
        } else {
            (sd * z).abs()
        };
        if x > 0.0 && x < 1.0 {
            return x;
        }
    }
    0.5
}

/// One simulated fingerprint of the model on the sample's stations (their
/// registered voters, groups and valid/ballots ratios): clean turnout and
/// share drawn from the group's marginals (uniform within the bin), rounded
/// to counts, then Klimek fraud exactly as the generator applies it.
#[allow(clippy::too_many_arguments)]
fn simulate<R: Rng + ?Sized>(
    g: Grid,
    sample: &Sample,
    p: &Params,
    theta: f64,
    alpha: f64,
    fi: f64,
    fe: f64,
    rng: &mut R,
) -> Obs {
    let cum = |v: &[f64], n: usize| -> Vec<Vec<f64>> {
        (0..p.ng)
            .map(|k| {
                (0..n)
                    .scan(0.0, |s, i| {
                        *s += v[i * p.ng + k];
                        Some(*s)
                    })
                    .collect()
            })
            .collect()
    };
    let (ct, cs) = (cum(&p.ct, g.nx), cum(&p.cs, g.ny));
    let mut obs = Obs::new(g, p.ng);
    for i in 0..sample.registered.len() {
        let (k, n) = (sample.group[i] as usize, sample.registered[i]);
        let (t, s) = (draw_bin(&ct[k], rng), draw_bin(&cs[k], rng));
        let mut b = ((n as f64 * t).round() as u64).min(n);
        let mut v = (sample.ratio[i] * b as f64).round() as u64;
        let mut w = ((v as f64 * s).round() as u64).min(v);
        let u: f64 = rng.random();
        let x = if u < fi {
            draw_x(rng, theta, false)
        } else if u < fi + fe {
            draw_x(rng, EXTREME_SD, true)
        } else {
            0.0
        };
        if x > 0.0 {
            // x ≥ 0: the cast's truncation is the floor.
            let stuffed = (x * (n - b) as f64) as u64;
            let moved = ((x.powf(alpha) * (v - w) as f64).round() as u64).min(v - w);
            b += stuffed;
            v += stuffed;
            w += stuffed + moved;
        }
        if v > 0 {
            obs.add_cell(g.cell(b as f64 / n as f64, w as f64 / v as f64), k);
        }
    }
    obs
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var.sqrt())
}

use crate::stats::moments::quantile_sorted as quantile;

/// Median and robust scale (IQR / 1.349) of a sample.
fn med_scale(v: &[f64]) -> (f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (
        quantile(&s, 0.5),
        (quantile(&s, 0.75) - quantile(&s, 0.25)) / 1.349,
    )
}

/// Least-squares slope of y on x.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean_sd(x).0, mean_sd(y).0);
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    if sxx > 0.0 {
        sxy / sxx
    } else {
        0.0
    }
}

/// What the interval procedure hands back.
pub(super) struct Calibration {
    pub fi: f64,
    pub fi_interval: (f64, f64),
    pub fe_interval: (f64, f64),
    /// Bootstrap SDs of the MLEs of f_i and f_e at the fitted model.
    pub se_boot: (f64, f64),
    /// Slope of the MLE's median in the true f_i (the MLE is biased low).
    pub slope: f64,
    pub used: u32,
}

/// Simulated (f_i, f_e) estimates at one design value of f_i.
type Point = (f64, Vec<(f64, f64)>);

struct Calibrator<'a> {
    pr: &'a Prepared,
    e: &'a Estimate,
    ks: &'a KernelSet,
    /// Kernels for the constrained fits: all of theta, or theta >= the
    /// reference when no incremental fraud was found (otherwise f_i with
    /// vanishing pushes could never be excluded and the bound would be 1).
    constrained: KernelSet,
    seed: u64,
}

impl Calibrator<'_> {
    /// Constrained parametric bootstrap at f_i = `fi`: the model refitted to
    /// the observed fingerprint with f_i held there (theta, f_e and the
    /// clean marginals re-estimated, so theta follows f_i along their
    /// ridge), simulated `count` times (streams `first..`) and refitted by
    /// the estimator.
    fn run(&self, fi: f64, first: u64, count: usize) -> Point {
        let (pr, g) = (self.pr, self.pr.g);
        let init = Params::warm(&self.e.params, g, &pr.obs);
        let c = search_theta(
            g,
            &pr.obs,
            &self.constrained,
            self.e.k.round() as usize,
            &init,
            Some(fi),
        );
        let theta = theta_at(c.k);
        let r = (0..count as u64)
            .into_par_iter()
            .map(|j| {
                let mut rng = rng_for(self.seed, 2, first + j);
                let o = simulate(
                    g,
                    &pr.sample,
                    &c.params,
                    theta,
                    self.e.alpha,
                    fi,
                    c.fe,
                    &mut rng,
                );
                let start = Params::warm(&c.params, g, &o);
                let f = search_theta(g, &o, self.ks, c.k.round() as usize, &start, None);
                (coarse(f.fi), f.fe)
            })
            .collect();
        (fi, r)
    }
}

/// The estimator on clean elections of this one's shape (the self-null): the model refitted to
/// the observed fingerprint with f_i held at 0 (clean marginals per group, f_e re-estimated so
/// that extreme stations do not distort them), simulated `replicates` times with f_i = f_e = 0
/// at the fitted stations (their sizes, groups and valid-vote ratios), and refitted by the same
/// estimator as the interval's replicates. Returns each replicate's (f_i, f_e).
/// `ks`: the kernels of every theta at the fitted alpha.
pub(super) fn self_null(
    pr: &Prepared,
    e: &Estimate,
    ks: &KernelSet,
    replicates: u32,
    seed: u64,
) -> Vec<(f64, f64)> {
    let g = pr.g;
    let init = Params::warm(&e.params, g, &pr.obs);
    let k0 = (e.k.round() as usize).min(THETA_STEPS - 1);
    let clean = search_theta(g, &pr.obs, ks, k0, &init, Some(0.0));
    let theta = theta_at(clean.k);
    (0..u64::from(replicates))
        .into_par_iter()
        .map(|j| {
            let mut rng = rng_for(seed, 4, j);
            let o = simulate(
                g,
                &pr.sample,
                &clean.params,
                theta,
                e.alpha,
                0.0,
                0.0,
                &mut rng,
            );
            let start = Params::warm(&clean.params, g, &o);
            let f = search_theta(g, &o, ks, clean.k.round() as usize, &start, None);
            (coarse(f.fi), f.fe)
        })
        .collect()
}

/// The interval for f_i by Monte-Carlo test inversion (the set of f_i whose
/// simulated estimator puts the observed estimate inside its central
/// `CONFIDENCE` range), and a basic-bootstrap interval for f_e. Design: a
/// quarter of the replicates at the estimate, half at three values around
/// the bias-corrected estimate, the rest in two probes at the provisional
/// bounds.
/// `ks`: the kernels of every theta at the fitted alpha.
pub(super) fn calibrate(
    pr: &Prepared,
    e: &Estimate,
    ks: &KernelSet,
    replicates: u32,
    seed: u64,
) -> Calibration {
    let b = replicates as usize;
    let obs = coarse(e.fi);
    let floor = if obs == 0.0 { K_REF } else { 0 };
    let cal = Calibrator {
        pr,
        e,
        ks,
        constrained: ks.sub(floor, THETA_STEPS),
        seed,
    };
    let fmax = (1.0 - e.fe).max(0.0);
    let (n1, n2) = (b / 4, b / 6);
    let mut points = vec![cal.run(obs, 0, n1)];
    let (m1, s1) = med_scale(&points[0].1.iter().map(|x| x.0).collect::<Vec<_>>());
    let c = (2.0 * obs - m1).clamp(0.0, fmax);
    let hi = (c + (2.6 * s1).max(0.05)).min(fmax);
    let lo = if obs == 0.0 {
        0.5 * (c + hi)
    } else {
        (c - 2.2 * s1).max(0.0)
    };
    let stage2: Vec<Point> = [lo, c, hi]
        .par_iter()
        .enumerate()
        .map(|(j, &f)| cal.run(f, (n1 + j * n2) as u64, n2))
        .collect();
    points.extend(stage2);
    let mut next = n1 + 3 * n2;
    let rest = b - next;
    for probe in 0..2 {
        let inv = invert(obs, &points, fmax);
        let top = points.iter().map(|p| p.0).fold(0.0, f64::max);
        let f = if !inv.bracketed.1 {
            if inv.interval.1 < fmax && inv.interval.1 > top {
                inv.interval.1
            } else {
                (2.0 * top).max(0.05).min(fmax)
            }
        } else if inv.interval.0 > 0.0 && !inv.bracketed.0 {
            inv.interval.0
        } else if probe == 0 {
            inv.interval.1
        } else {
            inv.interval.0
        };
        let n = if probe == 0 {
            rest / 2
        } else {
            rest - rest / 2
        };
        points.push(cal.run(f, next as u64, n));
        next += n;
    }
    let inv = invert(obs, &points, fmax);
    let alpha = 1.0 - CONFIDENCE;
    let mut fe: Vec<f64> = points
        .iter()
        .flat_map(|p| p.1.iter().map(|x| x.1))
        .collect();
    fe.sort_by(f64::total_cmp);
    let (qlo, qhi) = (quantile(&fe, alpha / 2.0), quantile(&fe, 1.0 - alpha / 2.0));
    let sd = |j: usize| {
        mean_sd(
            &points[0]
                .1
                .iter()
                .map(|x| if j == 0 { x.0 } else { x.1 })
                .collect::<Vec<_>>(),
        )
        .1
    };
    Calibration {
        fi: inv.point,
        fi_interval: inv.interval,
        fe_interval: ((2.0 * e.fe - qhi).max(0.0), (2.0 * e.fe - qlo).max(0.0)),
        se_boot: (sd(0), sd(1)),
        slope: inv.slope,
        used: next as u32,
    }
}

struct Inversion {
    slope: f64,
    point: f64,
    interval: (f64, f64),
    /// Whether each bound lies between two design points (else extrapolated).
    bracketed: (bool, bool),
}

/// Invert the simulated distributions of the estimator. At each design
/// value p = P(estimate < observed) (mid-p): from a robust location-scale
/// model (median, IQR) with standardised residuals pooled over the design
/// points where the estimator is away from 0, empirically where it piles up
/// at 0. The bounds are where p crosses 1 - a/2 and a/2 (the point estimate
/// where it crosses 1/2), interpolated on the probit scale between design
/// values, or extrapolated from the outermost one.
fn invert(obs: f64, points: &[Point], fmax: f64) -> Inversion {
    struct Pt {
        f: f64,
        m: f64,
        s: f64,
        interior: bool,
        p: f64,
        z: Vec<f64>,
    }
    let mut pts: Vec<Pt> = points
        .iter()
        .map(|(f, r)| {
            let v: Vec<f64> = r.iter().map(|x| x.0).collect();
            let (m, s) = med_scale(&v);
            let s = s.max(2e-3);
            let n = v.len() as f64;
            let zeros = v.iter().filter(|&&x| x == 0.0).count() as f64;
            let below = v.iter().filter(|&&x| x < obs).count() as f64;
            let ties = v.iter().filter(|&&x| x == obs).count() as f64;
            Pt {
                f: *f,
                m,
                s,
                interior: obs > 0.0 && zeros < 0.25 * n,
                p: (below + 0.5 * ties) / n,
                z: v.iter().map(|x| (x - m) / s).collect(),
            }
        })
        .collect();
    pts.sort_by(|a, b| a.f.total_cmp(&b.f));
    let mut z: Vec<f64> = pts
        .iter()
        .filter(|p| p.interior)
        .flat_map(|p| p.z.iter().copied())
        .collect();
    z.sort_by(f64::total_cmp);
    let inner: Vec<&Pt> = pts.iter().filter(|p| p.interior).collect();
    let fs: Vec<f64> = inner.iter().map(|p| p.f).collect();
    let slope = if fs.iter().any(|&x| (x - fs[0]).abs() > 1e-9) {
        slope(&fs, &inner.iter().map(|p| p.m).collect::<Vec<_>>()).max(0.05)
    } else {
        1.0
    };
    if !z.is_empty() {
        for p in pts.iter_mut().filter(|p| p.interior) {
            let zo = (obs - p.m) / p.s;
            p.p = (z.partition_point(|&x| x < zo) as f64 + 0.5) / (z.len() as f64 + 1.0);
        }
    }
    let probit = |p: f64| norm_quantile(p.clamp(1e-4, 1.0 - 1e-4));
    let q = |zq: f64| if z.is_empty() { 0.0 } else { quantile(&z, zq) };
    let solve = |target: f64| -> (f64, bool) {
        let t = probit(target);
        for w in pts.windows(2) {
            let (a, b) = (probit(w[0].p), probit(w[1].p));
            if a >= t && b <= t && w[1].f > w[0].f {
                let u = if a > b { (a - t) / (a - b) } else { 0.0 };
                return ((w[0].f + u * (w[1].f - w[0].f)).clamp(0.0, fmax), true);
            }
        }
        let (first, last) = (&pts[0], &pts[pts.len() - 1]);
        if probit(first.p) < t {
            // Even the lowest design value puts the observation too high.
            if first.f <= 0.0 {
                return (0.0, true);
            }
            let f = first.f + (obs - (first.m + q(target) * first.s)) / slope;
            (f.clamp(0.0, fmax), false)
        } else if last.interior {
            let f = last.f + (obs - (last.m + q(target) * last.s)) / slope;
            (f.clamp(0.0, fmax), last.f >= fmax)
        } else {
            // Extend the probit line through the last two design values by
            // at most one spacing, else give up to the range.
            let prev = &pts[pts.len().saturating_sub(2)];
            let (a, b) = (probit(prev.p), probit(last.p));
            let step = last.f - prev.f;
            if step > 0.0 && b < a && (b - t) < (a - b) {
                ((last.f + step * (b - t) / (a - b)).clamp(0.0, fmax), false)
            } else {
                (fmax, last.f >= fmax)
            }
        }
    };
    let alpha = 1.0 - CONFIDENCE;
    let (mut lo, mut hi) = (solve(1.0 - alpha / 2.0), solve(alpha / 2.0));
    if lo.0 > hi.0 {
        // Monte-Carlo noise made p non-monotone there: keep the wider reading.
        (lo, hi) = (hi, lo);
    }
    // An estimate of 0 is median-unbiased for f_i = 0 (the estimator is at
    // 0 at least half the time there).
    let point = if obs == 0.0 { 0.0 } else { solve(0.5).0 };
    Inversion {
        slope,
        point: point.clamp(lo.0, hi.0),
        interval: (lo.0, hi.0),
        bracketed: (lo.1, hi.1),
    }
}

/// Delete-a-block jackknife standard errors of the MLEs of f_i and f_e,
/// over [`JACK_BLOCKS`] runs of consecutive stations of the fitting sample
/// in input order (published tallies are listed by area, so a run is a
/// piece of a district or region). Each refit is the estimator's theta
/// search at the fitted alpha. None for fewer than 100 stations.
/// `ks`: the kernels of every theta at the fitted alpha.
pub(super) fn jackknife(pr: &Prepared, e: &Estimate, ks: &KernelSet) -> Option<(f64, f64)> {
    let n = pr.sample.registered.len();
    let blocks = JACK_BLOCKS.min(n / 20);
    if blocks < 5 {
        return None;
    }
    let kc = e.k.round() as usize;
    let ks = ks.sub(kc.saturating_sub(3), kc + 4);
    let fits: Vec<(f64, f64)> = (0..blocks)
        .into_par_iter()
        .map(|j| {
            let mut o = Obs::new(pr.g, pr.obs.ng);
            for i in (0..n).filter(|&i| i * blocks / n != j) {
                o.add_cell(pr.sample.cell[i] as usize, pr.sample.group[i] as usize);
            }
            let f = search_theta(pr.g, &o, &ks, kc, &Params::warm(&e.params, pr.g, &o), None);
            (f.fi, f.fe)
        })
        .collect();
    let se = |v: Vec<f64>| mean_sd(&v).1 * (blocks as f64 - 1.0) / (blocks as f64).sqrt();
    Some((
        se(fits.iter().map(|f| f.0).collect()),
        se(fits.iter().map(|f| f.1).collect()),
    ))
}
