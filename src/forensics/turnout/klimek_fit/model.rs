//! The binned Klimek model and its EM fit (see the parent module's doc).
//!
//! Layout: a fingerprint cell is `iy * nx + ix` (row `iy` = share bin,
//! column `ix` = turnout bin). Per-group arrays are cell-major
//! (`hist[cell * ng + group]`, `ct[bin * ng + group]`), so one pass over a
//! kernel row updates every group at once.

use super::{EXTREME_SD, X_NODES};

// ---------- normal distribution ----------

pub(super) fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// erfc with relative error < 1.2e-7 (Numerical Recipes' Chebyshev fit);
/// only used to place quadrature nodes.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let c = [
        -1.265_512_23,
        1.000_023_68,
        0.374_091_96,
        0.096_784_18,
        -0.186_288_06,
        0.278_868_07,
        -1.135_203_98,
        1.488_515_87,
        -0.822_152_23,
        0.170_872_77,
    ];
    let r = t * (-z * z + c.iter().rev().fold(0.0, |acc, c| acc * t + c)).exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Inverse standard normal CDF (Acklam's rational approximation, relative
/// error < 1.2e-9).
pub(super) fn norm_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Quantile midpoints of |N(0, sd)| truncated to (0, 1): equal-weight
/// quadrature nodes for a fraud intensity x.
pub(super) fn half_normal_nodes(sd: f64) -> Vec<f64> {
    let c = 2.0 * norm_cdf(1.0 / sd) - 1.0;
    (0..X_NODES)
        .map(|k| sd * norm_quantile(0.5 + 0.5 * c * (k as f64 + 0.5) / X_NODES as f64))
        .collect()
}

// ---------- grid and fraud kernels ----------

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Grid {
    pub nx: usize,
    pub ny: usize,
}

impl Grid {
    pub fn cells(&self) -> usize {
        self.nx * self.ny
    }

    /// Cell of turnout `t` and share `s` (both in [0, 1]; 1 goes to the
    /// last bin).
    pub fn cell(&self, t: f64, s: f64) -> usize {
        let ix = ((t * self.nx as f64) as usize).min(self.nx - 1);
        let iy = ((s * self.ny as f64) as usize).min(self.ny - 1);
        iy * self.nx + ix
    }
}

/// Klimek stuffing and stealing of intensity `x` (`xa` = x^alpha) applied to
/// a station at turnout `t` and winner share `s` with valid/ballots ratio
/// `r`, in continuous form: x (1 - t) of the electorate is added as ballots
/// for the winner, and x^alpha of the opponents' votes move to the winner.
#[inline]
pub(super) fn push(t: f64, s: f64, x: f64, xa: f64, r: f64) -> (f64, f64) {
    let stuffed = x * (1.0 - t);
    let valid = r * t + stuffed;
    let s2 = if valid > 0.0 {
        (s * r * t + stuffed + xa * (1.0 - s) * r * t) / valid
    } else {
        s
    };
    (t + stuffed, s2)
}

/// Where fraud of one kind sends a station of each cell: a sparse
/// cell-to-cell transition matrix (rows sum to 1), stored by origin cell.
#[derive(Clone)]
pub(super) struct Kernel {
    start: Vec<u32>,
    /// (destination cell, probability) of each origin's row.
    entries: Vec<(u32, f32)>,
}

/// Sub-positions per axis at which an origin cell is pushed: clean stations
/// are taken as uniform within their cell, which matters when a push moves
/// less than a cell.
const SUB: usize = 3;

impl Kernel {
    /// Rows from pushing `SUB` x `SUB` positions of each cell by every node of `xs`.
    fn new(g: Grid, xs: &[f64], alpha: f64, r: f64) -> Kernel {
        let xa: Vec<f64> = xs.iter().map(|x| x.powf(alpha)).collect();
        let mut acc = vec![0.0f64; g.cells()];
        let mut touched: Vec<u32> = Vec::new();
        let mut k = Kernel {
            start: Vec::with_capacity(g.cells() + 1),
            entries: Vec::new(),
        };
        let unit = 1.0 / (SUB * SUB * xs.len()) as f64;
        let sub = |i: usize, cell: usize, n: usize| {
            (cell as f64 + (i as f64 + 0.5) / SUB as f64) / n as f64
        };
        k.start.push(0);
        for iy in 0..g.ny {
            for ix in 0..g.nx {
                for i in 0..SUB {
                    for j in 0..SUB {
                        let (t, s) = (sub(i, ix, g.nx), sub(j, iy, g.ny));
                        for (x, xa) in xs.iter().zip(&xa) {
                            let (t2, s2) = push(t, s, *x, *xa, r);
                            let d = g.cell(t2, s2);
                            if acc[d] == 0.0 {
                                touched.push(d as u32);
                            }
                            acc[d] += unit;
                        }
                    }
                }
                touched.sort_unstable();
                for &d in &touched {
                    k.entries.push((d, acc[d as usize] as f32));
                    acc[d as usize] = 0.0;
                }
                touched.clear();
                k.start.push(k.entries.len() as u32);
            }
        }
        k
    }

    /// Incremental fraud: x = |N(0, theta)| truncated to (0, 1).
    pub fn incremental(g: Grid, theta: f64, alpha: f64, r: f64) -> Kernel {
        Kernel::new(g, &half_normal_nodes(theta), alpha, r)
    }

    /// Extreme fraud: x = 1 - |N(0, 0.075)| truncated to (0, 1).
    pub fn extreme(g: Grid, alpha: f64, r: f64) -> Kernel {
        let xs: Vec<f64> = half_normal_nodes(EXTREME_SD)
            .iter()
            .map(|z| 1.0 - z)
            .collect();
        Kernel::new(g, &xs, alpha, r)
    }

    /// The same kernel with only the destinations in `keep` (cells where the
    /// fitted fingerprint has stations). The EM needs the model's
    /// probabilities only where stations are observed (elsewhere the E-step's
    /// ratio observed / expected is 0, and a 0 adds nothing to the M-step's
    /// sums), so a fit on the restricted kernels does the same arithmetic on
    /// fewer entries and gives bit-identical parameters.
    fn restrict(&self, keep: &[bool]) -> Kernel {
        let mut k = Kernel {
            start: Vec::with_capacity(self.start.len()),
            entries: Vec::with_capacity(self.entries.len()),
        };
        k.start.push(0);
        for o in 0..self.start.len() - 1 {
            k.entries
                .extend(self.row(o).iter().filter(|(d, _)| keep[*d as usize]));
            k.start.push(k.entries.len() as u32);
        }
        k
    }

    #[inline]
    pub fn row(&self, o: usize) -> &[(u32, f32)] {
        &self.entries[self.start[o] as usize..self.start[o + 1] as usize]
    }
}

// ---------- data and parameters ----------

/// Fingerprint of the fitting sample, one histogram per group.
#[derive(Clone, Debug)]
pub(super) struct Obs {
    pub ng: usize,
    pub hist: Vec<f64>,
    pub count: Vec<f64>,
}

impl Obs {
    pub fn new(g: Grid, ng: usize) -> Obs {
        Obs {
            ng,
            hist: vec![0.0; ng * g.cells()],
            count: vec![0.0; ng],
        }
    }

    pub fn add_cell(&mut self, cell: usize, group: usize) {
        self.hist[cell * self.ng + group] += 1.0;
        self.count[group] += 1.0;
    }

    pub fn total(&self) -> f64 {
        self.count.iter().sum()
    }
}

/// Mixture weights (clean, incremental, extreme; common to all groups) and
/// each group's clean turnout and share marginals.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Params {
    pub ng: usize,
    pub pi: [f64; 3],
    pub ct: Vec<f64>,
    pub cs: Vec<f64>,
}

impl Params {
    /// Start: clean marginals = observed marginals smoothed over +-2 bins
    /// (so EM can move mass next to the data; bins far from every station
    /// stay exactly 0 and are skipped), some fraud.
    pub fn start(g: Grid, obs: &Obs) -> Params {
        let ng = obs.ng;
        let (mut raw_t, mut raw_s) = (vec![0.0; g.nx * ng], vec![0.0; g.ny * ng]);
        for iy in 0..g.ny {
            for ix in 0..g.nx {
                let c = (iy * g.nx + ix) * ng;
                for k in 0..ng {
                    raw_t[ix * ng + k] += obs.hist[c + k];
                    raw_s[iy * ng + k] += obs.hist[c + k];
                }
            }
        }
        let smooth = |raw: &[f64], n: usize| {
            let mut out = vec![0.0; raw.len()];
            for i in 0..n {
                for j in i.saturating_sub(2)..(i + 3).min(n) {
                    let w = (3 - i.abs_diff(j)) as f64;
                    for k in 0..ng {
                        out[i * ng + k] += w * raw[j * ng + k];
                    }
                }
            }
            out
        };
        let mut p = Params {
            ng,
            pi: [0.8, 0.15, 0.05],
            ct: smooth(&raw_t, g.nx),
            cs: smooth(&raw_s, g.ny),
        };
        p.normalise();
        p
    }

    /// Warm start from fitted parameters, mixed with 2% of the smoothed
    /// observed marginals so that cells where `obs` has stations but `from`
    /// has no clean mass stay reachable; the fraud weights restart away from
    /// 0, which EM could not leave.
    pub fn warm(from: &Params, g: Grid, obs: &Obs) -> Params {
        let mut p = Params::start(g, obs);
        p.pi = [from.pi[0], from.pi[1].max(0.05), from.pi[2].max(0.01)];
        for (a, b) in
            p.ct.iter_mut()
                .chain(p.cs.iter_mut())
                .zip(from.ct.iter().chain(&from.cs))
        {
            *a = 0.98 * b + 0.02 * *a;
        }
        p.normalise();
        p
    }

    fn normalise(&mut self) {
        let s: f64 = self.pi.iter().sum();
        self.pi.iter_mut().for_each(|x| *x /= s);
        let ng = self.ng;
        for v in [&mut self.ct, &mut self.cs] {
            let mut tot = vec![0.0; ng];
            for row in v.chunks(ng) {
                tot.iter_mut().zip(row).for_each(|(t, x)| *t += x);
            }
            for row in v.chunks_mut(ng) {
                row.iter_mut()
                    .zip(&tot)
                    .filter(|(_, t)| **t > 0.0)
                    .for_each(|(x, t)| *x /= t);
            }
        }
    }

    fn flat(&self) -> Vec<f64> {
        self.pi
            .iter()
            .chain(&self.ct)
            .chain(&self.cs)
            .copied()
            .collect()
    }

    fn from_flat(v: &[f64], like: &Params) -> Params {
        let nt = like.ct.len();
        Params {
            ng: like.ng,
            pi: [v[0], v[1], v[2]],
            ct: v[3..3 + nt].to_vec(),
            cs: v[3 + nt..].to_vec(),
        }
    }
}

// ---------- EM ----------

/// The model at one (theta, alpha): its two fraud kernels.
pub(super) struct Model<'a> {
    pub g: Grid,
    pub inc: &'a Kernel,
    pub ext: &'a Kernel,
    /// f_i held at this value (constrained fit) instead of estimated.
    pub fix_fi: Option<f64>,
}

/// Convergence: stop when a SQUAREM cycle gains less than this times
/// sqrt(stations) in log-likelihood (1.6e-3 on 24,532 stations: an f_i
/// change far below its standard error, whose likelihood cost is about
/// 0.5). With 1e-6 the fit on the Venezuelan sheets took 3.8-4.0 s
/// instead of 3.1-3.6 s, with the same intervals up to their Monte Carlo
/// noise, the same self-null on clean elections and the same coverage on 20
/// synthetic elections per design (CHANGELOG; 1e-4 was too loose).
const TOL: f64 = 1e-5;
const MAX_EVALS: usize = 3000;

/// y += a * x over the groups of one cell.
#[inline(always)]
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Clean mass of every group at one origin cell; false when negligible
/// for all groups.
#[inline]
fn origin_weights(p: &Params, ix: usize, iy: usize, w: &mut [f64]) -> bool {
    let ng = w.len();
    let (ct, cs) = (&p.ct[ix * ng..(ix + 1) * ng], &p.cs[iy * ng..(iy + 1) * ng]);
    let mut any = false;
    for ((w, a), b) in w.iter_mut().zip(ct).zip(cs) {
        *w = a * b;
        any |= *w >= 1e-10;
    }
    any
}

impl Model<'_> {
    /// Model cell probabilities of every group into `m`. `N` is the number
    /// of groups when known at compile time (0: read it from `p`), so the
    /// per-cell group loops unroll.
    fn probs<const N: usize>(&self, p: &Params, m: &mut [f64]) {
        let (g, ng) = (self.g, if N == 0 { p.ng } else { N });
        let (mut w, mut wk) = (vec![0.0; ng], vec![0.0; ng]);
        m.iter_mut().for_each(|v| *v = 0.0);
        for iy in 0..g.ny {
            for ix in 0..g.nx {
                if !origin_weights(p, ix, iy, &mut w) {
                    continue;
                }
                let o = iy * g.nx + ix;
                axpy(&mut m[o * ng..(o + 1) * ng], p.pi[0], &w);
                for (kernel, pi) in [(self.inc, p.pi[1]), (self.ext, p.pi[2])] {
                    wk.iter_mut().zip(&w).for_each(|(a, b)| *a = pi * b);
                    for &(d, pr) in kernel.row(o) {
                        let d = d as usize * ng;
                        axpy(&mut m[d..d + ng], f64::from(pr), &wk);
                    }
                }
            }
        }
    }

    /// Cell probabilities of every group (cell-major).
    pub fn probabilities(&self, p: &Params) -> Vec<f64> {
        let mut m = vec![0.0; self.g.cells() * p.ng];
        self.probs::<0>(p, &mut m);
        m
    }

    /// One EM update; returns the new parameters and the log-likelihood of `p` (0 unless
    /// `with_ll`: the logarithms were about 9 % of the fit's time, and SQUAREM's middle step does
    /// not use them).
    fn step(&self, obs: &Obs, p: &Params, m: &mut [f64], with_ll: bool) -> (Params, f64) {
        match p.ng {
            1 => self.step_n::<1>(obs, p, m, with_ll),
            2 => self.step_n::<2>(obs, p, m, with_ll),
            3 => self.step_n::<3>(obs, p, m, with_ll),
            4 => self.step_n::<4>(obs, p, m, with_ll),
            5 => self.step_n::<5>(obs, p, m, with_ll),
            6 => self.step_n::<6>(obs, p, m, with_ll),
            7 => self.step_n::<7>(obs, p, m, with_ll),
            8 => self.step_n::<8>(obs, p, m, with_ll),
            9 => self.step_n::<9>(obs, p, m, with_ll),
            10 => self.step_n::<10>(obs, p, m, with_ll),
            11 => self.step_n::<11>(obs, p, m, with_ll),
            12 => self.step_n::<12>(obs, p, m, with_ll),
            _ => self.step_n::<0>(obs, p, m, with_ll),
        }
    }

    fn step_n<const N: usize>(
        &self,
        obs: &Obs,
        p: &Params,
        m: &mut [f64],
        with_ll: bool,
    ) -> (Params, f64) {
        let (g, ng) = (self.g, if N == 0 { p.ng } else { N });
        self.probs::<N>(p, m);
        // E-step: m becomes observed / expected for every cell and group.
        let mut ll = 0.0;
        for (mv, &o) in m.iter_mut().zip(&obs.hist) {
            if o > 0.0 {
                let q = mv.max(1e-300);
                if with_ll {
                    ll += o * q.ln();
                }
                *mv = o / q;
            } else {
                *mv = 0.0;
            }
        }
        // M-step: expected station counts by kind and origin cell.
        let mut next = Params {
            ng,
            pi: [0.0; 3],
            ct: vec![0.0; p.ct.len()],
            cs: vec![0.0; p.cs.len()],
        };
        let (mut w, mut gi, mut ge) = (vec![0.0; ng], vec![0.0; ng], vec![0.0; ng]);
        for iy in 0..g.ny {
            for ix in 0..g.nx {
                if !origin_weights(p, ix, iy, &mut w) {
                    continue;
                }
                let o = iy * g.nx + ix;
                for (acc, kernel) in [(&mut gi, self.inc), (&mut ge, self.ext)] {
                    acc.iter_mut().for_each(|a| *a = 0.0);
                    for &(d, pr) in kernel.row(o) {
                        let d = d as usize * ng;
                        axpy(acc, f64::from(pr), &m[d..d + ng]);
                    }
                }
                for k in 0..ng {
                    let e = [
                        p.pi[0] * w[k] * m[o * ng + k],
                        p.pi[1] * w[k] * gi[k],
                        p.pi[2] * w[k] * ge[k],
                    ];
                    next.pi.iter_mut().zip(e).for_each(|(a, b)| *a += b);
                    next.ct[ix * ng + k] += e[0] + e[1] + e[2];
                    next.cs[iy * ng + k] += e[0] + e[1] + e[2];
                }
            }
        }
        next.normalise();
        self.constrain(&mut next);
        (next, ll)
    }

    /// With f_i fixed, the M-step for the other weights keeps their ratio
    /// and scales them to 1 - f_i.
    fn constrain(&self, p: &mut Params) {
        if let Some(f) = self.fix_fi {
            let rest = (p.pi[0] + p.pi[2]).max(1e-300);
            p.pi = [p.pi[0] / rest * (1.0 - f), f, p.pi[2] / rest * (1.0 - f)];
        }
    }

    /// Maximum-likelihood fit from `init` by EM accelerated with SQUAREM
    /// (Varadhan & Roland 2008, Scand. J. Statist. 35:335, scheme S3), with
    /// step backtracking to keep every weight non-negative and the plain EM
    /// step as fallback, so the likelihood never decreases. Returns the
    /// parameters and their log-likelihood.
    pub fn fit(&self, obs: &Obs, init: &Params) -> (Params, f64) {
        let keep: Vec<bool> = obs
            .hist
            .chunks(obs.ng)
            .map(|c| c.iter().any(|&o| o > 0.0))
            .collect();
        let (inc, ext) = (self.inc.restrict(&keep), self.ext.restrict(&keep));
        let restricted = Model {
            g: self.g,
            inc: &inc,
            ext: &ext,
            fix_fi: self.fix_fi,
        };
        restricted.fit_all(obs, init)
    }

    /// [`Model::fit`] on kernels already restricted to the observed cells.
    fn fit_all(&self, obs: &Obs, init: &Params) -> (Params, f64) {
        let mut m = vec![0.0; self.g.cells() * obs.ng];
        let mut x0 = init.clone();
        self.constrain(&mut x0);
        let tol = TOL * obs.total().max(1.0).sqrt();
        let (mut last, mut evals) = (f64::NEG_INFINITY, 0);
        while evals < MAX_EVALS {
            let (x1, ll0) = self.step(obs, &x0, &mut m, true);
            if ll0 - last < tol {
                return (x0, ll0);
            }
            last = ll0;
            let (x2, _) = self.step(obs, &x1, &mut m, false);
            let (f0, f1, f2) = (x0.flat(), x1.flat(), x2.flat());
            let r: Vec<f64> = f1.iter().zip(&f0).map(|(a, b)| a - b).collect();
            let v: Vec<f64> = f2
                .iter()
                .zip(&f1)
                .zip(&r)
                .map(|((a, b), r)| a - b - r)
                .collect();
            let norm = |u: &[f64]| u.iter().map(|x| x * x).sum::<f64>().sqrt();
            let (nr, nv) = (norm(&r), norm(&v));
            let mut step = if nv > 0.0 { (-nr / nv).min(-1.0) } else { -1.0 };
            let extrapolate = |step: f64| -> Vec<f64> {
                f0.iter()
                    .zip(&r)
                    .zip(&v)
                    .map(|((x, r), v)| x - 2.0 * step * r + step * step * v)
                    .collect()
            };
            let mut xp = extrapolate(step);
            while step < -1.0 && xp.iter().any(|&x| x < 0.0) {
                step = ((step - 1.0) / 2.0).max(-1.0);
                xp = extrapolate(step);
            }
            let mut xp = Params::from_flat(&xp, &x0);
            xp.pi.iter_mut().for_each(|x| *x = x.max(1e-10));
            xp.ct
                .iter_mut()
                .chain(xp.cs.iter_mut())
                .for_each(|x| *x = x.max(0.0));
            xp.normalise();
            self.constrain(&mut xp);
            let (x3, llp) = self.step(obs, &xp, &mut m, true);
            evals += 3;
            x0 = if llp >= ll0 { x3 } else { x2 };
        }
        let (_, ll) = self.step(obs, &x0, &mut m, true);
        (x0, ll)
    }
}
