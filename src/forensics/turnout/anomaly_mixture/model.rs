//! The finite mixture of `anomaly_mixture`: the station data, the grid of manipulation
//! magnitudes, the approximate likelihood of one station under one node, and its EM fit. Pure
//! numbers: no tally, no findings. The model and why it is built this way are in the parent
//! module's doc (`anomaly_mixture.rs`).

use rayon::prelude::*;

/// Incremental magnitudes (all below Mebane's threshold k = 0.7; the extreme ones above it): ι_M
/// (abstainers turned into winner votes) from this grid but 0, ι_S (opposition votes moved to
/// the winner) from all of it.
pub const IOTA: [f64; 4] = [0.0, 0.1, 0.25, 0.45];
/// Extreme magnitudes χ_M and χ_S: every pair of this grid (Klimek's extreme x = 1 − |N(0,
/// 0.075)| has median 0.95 and 90 % of its mass above 0.88).
pub const CHI: [f64; 2] = [0.9, 0.98];
/// Degrees of freedom the clean component's Student-t on the logit scale may take (chosen by
/// profile likelihood): heavy tails keep honest outlying stations clean, light tails keep the
/// manipulated classes from reshaping a clean class that is nearly normal.
pub const DFS: [f64; 2] = [4.0, 50.0];
/// Smallest overdispersion SD on the logit scale (keeps the fit away from a degenerate spike).
const MIN_SD: f64 = 0.01;
/// Stations per chunk of the parallel passes (fixed, so sums are folded in the same order for
/// any number of threads).
const CHUNK: usize = 2048;

/// The three components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Clean,
    Incremental,
    Extreme,
}

/// One node of the mixture: a component with fixed magnitudes (manufactured share m of the
/// abstainers, stolen share s of the opposition).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub m: f64,
    pub s: f64,
}

/// Node 0 is clean, then the incremental grid, then the extreme grid.
pub fn nodes() -> Vec<Node> {
    let mut v = vec![Node {
        kind: Kind::Clean,
        m: 0.0,
        s: 0.0,
    }];
    // Incremental nodes all manufacture votes (m > 0): stealing alone moves only the share, which
    // a clean class with a free location and scale per region mimics, so it is not identified
    // (vote switching without stuffing is outside what this model counts).
    for &m in &IOTA[1..] {
        for &s in &IOTA {
            v.push(Node {
                kind: Kind::Incremental,
                m,
                s,
            });
        }
    }
    for &m in &CHI {
        for &s in &CHI {
            v.push(Node {
                kind: Kind::Extreme,
                m,
                s,
            });
        }
    }
    v
}

/// Usable stations: registered n, abstentions a = n − ballots, valid votes v, opposition votes
/// o = v − winner, clean-model group. Counts as f64 (they enter ratios only).
#[derive(Debug, Clone, Default)]
pub struct Stations {
    pub n: Vec<f64>,
    pub a: Vec<f64>,
    pub v: Vec<f64>,
    pub o: Vec<f64>,
    pub group: Vec<u32>,
    pub groups: usize,
}

impl Stations {
    pub fn len(&self) -> usize {
        self.n.len()
    }

    /// The stations at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Stations {
        let pick = |x: &[f64]| idx.iter().map(|&i| x[i]).collect::<Vec<f64>>();
        Stations {
            n: pick(&self.n),
            a: pick(&self.a),
            v: pick(&self.v),
            o: pick(&self.o),
            group: idx.iter().map(|&i| self.group[i]).collect(),
            groups: self.groups,
        }
    }
}

/// Parameters of the mixture.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Weight of each node (sums to 1).
    pub weight: Vec<f64>,
    /// Clean logit-turnout location per group.
    pub mu_t: Vec<f64>,
    /// Clean logit winner-share (of valid votes) location per group.
    pub mu_s: Vec<f64>,
    /// Clean overdispersion scales on the logit scale (beyond the binomial noise).
    pub sd_t: f64,
    pub sd_s: f64,
    /// Degrees of freedom of the clean Student-t and its log normalising constant
    /// ln Γ((ν + 1)/2) − ln Γ(ν/2) − ½ ln(νπ).
    pub df: f64,
    pub t_const: f64,
    /// The clean class on the proportion scale itself (true) or on the logit scale.
    pub linear: bool,
}

/// ln Γ((ν + 1)/2) − ln Γ(ν/2) − ½ ln(νπ).
pub fn t_const(df: f64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    ln_gamma((df + 1.0) / 2.0) - ln_gamma(df / 2.0) - 0.5 * (df * std::f64::consts::PI).ln()
}

impl Params {
    /// Share of stations in each component (clean, incremental, extreme).
    pub fn shares(&self, nodes: &[Node]) -> [f64; 3] {
        let mut s = [0.0; 3];
        for (w, n) in self.weight.iter().zip(nodes) {
            s[n.kind as usize] += w;
        }
        s
    }
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// ln of the Student-t density (p.df degrees of freedom) of z, without the scale.
#[inline]
fn ln_t(z: f64, p: &Params) -> f64 {
    p.t_const - 0.5 * (p.df + 1.0) * (z * z / p.df).ln_1p()
}

/// What one node says about one station: the log probability of its two observed counts
/// (ballots and opposition votes) and the clean values it implies.
#[derive(Debug, Clone, Copy)]
pub struct Eval {
    pub ln_p: f64,
    /// Implied clean logit turnout and logit winner share.
    pub x: f64,
    pub y: f64,
    /// Their standardised distances from the clean locations and their binomial noise variances.
    pub zt: f64,
    pub zs: f64,
    pub noise_t: f64,
    pub noise_s: f64,
    /// Manufactured and stolen votes the node implies at this station.
    pub manufactured: f64,
    pub stolen: f64,
}

const IMPOSSIBLE: Eval = Eval {
    ln_p: f64::NEG_INFINITY,
    x: 0.0,
    y: 0.0,
    zt: 0.0,
    zs: 0.0,
    noise_t: 0.0,
    noise_s: 0.0,
    manufactured: 0.0,
    stolen: 0.0,
};

/// p (1 − p) at a location (a proportion on the linear scale, a logit otherwise): the binomial
/// noise variance of a proportion over n trials is p (1 − p) / n, on the logit scale
/// 1 / (n p (1 − p)) (delta method; n + 1 with the continuity correction).
fn pq(mu: f64, linear: bool) -> f64 {
    let p = if linear {
        mu.clamp(0.001, 0.999)
    } else {
        expit(mu)
    };
    (p * (1.0 - p)).max(1e-9)
}

/// The turnout half of a node, shared by the nodes with the same m.
#[derive(Debug, Clone, Copy)]
struct TurnoutPart {
    m: f64,
    possible: bool,
    ln_mass: f64,
    x: f64,
    zt: f64,
    noise_t: f64,
    manufactured: f64,
    v0: f64,
    ln_v0: f64,
    ln_v0_1: f64,
    noise_s: f64,
    st_s: f64,
    ln_st_s: f64,
}

fn turnout_part(st: &Stations, i: usize, m: f64, p: &Params) -> TurnoutPart {
    let (n, a, v) = (st.n[i], st.a[i], st.v[i]);
    let g = st.group[i] as usize;
    // Clean abstainers a0 = a / (1 − m); clean ballots b0 = n − a0.
    let a0 = a / (1.0 - m);
    let b0 = n - a0;
    let manufactured = m * a0;
    let v0 = v - manufactured;
    let mut part = TurnoutPart {
        m,
        possible: b0 >= -0.5 && v0 >= 0.5,
        ln_mass: 0.0,
        x: 0.0,
        zt: 0.0,
        noise_t: 0.0,
        manufactured,
        v0,
        ln_v0: 0.0,
        ln_v0_1: 0.0,
        noise_s: 0.0,
        st_s: 1.0,
        ln_st_s: 0.0,
    };
    if !part.possible {
        return part;
    }
    // Continuity-corrected clean turnout.
    let t = (b0.max(0.0) + 0.5) / (n + 1.0);
    // Density of the observed turnout b / n: the clean density at the implied point (on the
    // logit scale the logit density over the logit's derivative t (1 − t)) over the push's
    // Jacobian 1 − m; times the width of one count, 1 / n, the probability of the observed
    // ballots, capped at 1.
    let ln_dt = if p.linear {
        part.x = t;
        part.noise_t = pq(p.mu_t[g], true) / (n + 1.0);
        0.0
    } else {
        let (lt, l1t) = (t.ln(), (1.0 - t).ln());
        part.x = lt - l1t;
        part.noise_t = 1.0 / ((n + 1.0) * pq(p.mu_t[g], false));
        lt + l1t
    };
    let var_t = p.sd_t * p.sd_t + part.noise_t;
    part.zt = (part.x - p.mu_t[g]) / var_t.sqrt();
    part.ln_mass = (ln_t(part.zt, p) - 0.5 * var_t.ln() - ln_dt - (1.0 - m).ln() - n.ln()).min(0.0);
    part.ln_v0 = v0.ln();
    part.ln_v0_1 = (v0 + 1.0).ln();
    part.noise_s = if p.linear {
        pq(p.mu_s[g], true) / (v0 + 1.0)
    } else {
        1.0 / ((v0 + 1.0) * pq(p.mu_s[g], false))
    };
    let var_s = p.sd_s * p.sd_s + part.noise_s;
    part.st_s = var_s.sqrt();
    part.ln_st_s = 0.5 * var_s.ln();
    part
}

fn share_part(st: &Stations, i: usize, tp: &TurnoutPart, s: f64, p: &Params) -> Eval {
    if !tp.possible {
        return IMPOSSIBLE;
    }
    let o = st.o[i];
    let g = st.group[i] as usize;
    let o0 = o / (1.0 - s);
    if o0 > tp.v0 + 0.5 {
        return IMPOSSIBLE;
    }
    // Continuity-corrected clean opposition and winner votes out of v0 + 1.
    let lo = (o0.min(tp.v0) + 0.5).ln();
    let lw = ((tp.v0 - o0).max(0.0) + 0.5).ln();
    let (y, ln_q1q) = if p.linear {
        ((lw - tp.ln_v0_1).exp(), 0.0)
    } else {
        (lw - lo, lo + lw - 2.0 * tp.ln_v0_1)
    };
    let zs = (y - p.mu_s[g]) / tp.st_s;
    // The share o / v: clean density at the implied share q = o0 / v0 over the Jacobian
    // (1 − s) v0 / v, times the width 1 / v of one count: the v cancels.
    let ln_mass = (ln_t(zs, p) - tp.ln_st_s - ln_q1q - (1.0 - s).ln() - tp.ln_v0).min(0.0);
    Eval {
        ln_p: tp.ln_mass + ln_mass,
        x: tp.x,
        y,
        zt: tp.zt,
        zs,
        noise_t: tp.noise_t,
        noise_s: tp.noise_s,
        manufactured: tp.manufactured,
        stolen: o0 - o,
    }
}

/// Node `nd` at station i. Impossible combinations (more abstainers than the node's clean
/// election leaves, more opposition votes than its clean valid votes) get ln_p = −∞.
#[cfg(test)]
pub fn eval(st: &Stations, i: usize, nd: &Node, p: &Params) -> Eval {
    share_part(st, i, &turnout_part(st, i, nd.m, p), nd.s, p)
}

/// The turnout and share halves of a node's log probability at station i (for the tests).
#[cfg(test)]
pub fn halves(st: &Stations, i: usize, nd: &Node, p: &Params) -> (f64, f64) {
    let tp = turnout_part(st, i, nd.m, p);
    let e = share_part(st, i, &tp, nd.s, p);
    if tp.possible {
        (tp.ln_mass, e.ln_p - tp.ln_mass)
    } else {
        (f64::NEG_INFINITY, f64::NEG_INFINITY)
    }
}

/// Every node at station i into `out` (the turnout half computed once per distinct m).
fn eval_all(st: &Stations, i: usize, nodes: &[Node], p: &Params, out: &mut [Eval]) {
    let mut tp = turnout_part(st, i, nodes[0].m, p);
    for (j, nd) in nodes.iter().enumerate() {
        if nd.m != tp.m {
            tp = turnout_part(st, i, nd.m, p);
        }
        out[j] = share_part(st, i, &tp, nd.s, p);
    }
}

/// Sums of one pass for the M-step.
#[derive(Debug, Clone)]
struct Sums {
    loglik: f64,
    node: Vec<f64>,
    /// Per group, with r the responsibility and u the Student-t EM weight: Σ r u, Σ r u x,
    /// Σ r u x² for turnout, the same for the share.
    t: Vec<[f64; 3]>,
    s: Vec<[f64; 3]>,
    /// Σ r, Σ r × noise variance of turnout and of the share.
    r: f64,
    noise_t: f64,
    noise_s: f64,
}

impl Sums {
    fn new(nodes: usize, groups: usize) -> Sums {
        Sums {
            loglik: 0.0,
            node: vec![0.0; nodes],
            t: vec![[0.0; 3]; groups],
            s: vec![[0.0; 3]; groups],
            r: 0.0,
            noise_t: 0.0,
            noise_s: 0.0,
        }
    }

    fn add(&mut self, o: &Sums) {
        self.loglik += o.loglik;
        self.node.iter_mut().zip(&o.node).for_each(|(x, y)| *x += y);
        for (a, b) in self
            .t
            .iter_mut()
            .zip(&o.t)
            .chain(self.s.iter_mut().zip(&o.s))
        {
            (0..3).for_each(|k| a[k] += b[k]);
        }
        self.r += o.r;
        self.noise_t += o.noise_t;
        self.noise_s += o.noise_s;
    }
}

/// Log-probabilities (with the log weights) of every node at station i into `out`, the clean
/// values in `ev`; returns the station's log-likelihood and leaves the responsibilities in
/// `out`. A station no node can produce (cannot happen for the clean node; kept for safety)
/// gets all its weight on the clean node.
fn responsibilities(
    st: &Stations,
    i: usize,
    nodes: &[Node],
    p: &Params,
    ln_w: &[f64],
    out: &mut [f64],
    ev: &mut [Eval],
) -> f64 {
    eval_all(st, i, nodes, p, ev);
    let mut best = f64::NEG_INFINITY;
    for j in 0..nodes.len() {
        out[j] = ev[j].ln_p + ln_w[j];
        best = best.max(out[j]);
    }
    if !best.is_finite() {
        out.iter_mut().for_each(|r| *r = 0.0);
        out[0] = 1.0;
        return -1e6;
    }
    let mut total = 0.0;
    for r in out.iter_mut() {
        *r = (*r - best).exp();
        total += *r;
    }
    out.iter_mut().for_each(|r| *r /= total);
    best + total.ln()
}

fn ln_weights(p: &Params) -> Vec<f64> {
    p.weight
        .iter()
        .map(|&w| if w > 0.0 { w.ln() } else { f64::NEG_INFINITY })
        .collect()
}

/// Responsibilities of the nodes at station i (sum 1) into `out`; returns the station's
/// log-likelihood.
#[cfg(test)]
pub fn posterior(st: &Stations, i: usize, nodes: &[Node], p: &Params, out: &mut [f64]) -> f64 {
    let mut ev = vec![IMPOSSIBLE; nodes.len()];
    responsibilities(st, i, nodes, p, &ln_weights(p), out, &mut ev)
}

/// One E-step pass with the sums of the M-step.
fn pass(st: &Stations, nodes: &[Node], p: &Params) -> Sums {
    let n = st.len();
    let ln_w = ln_weights(p);
    let parts: Vec<Sums> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut s = Sums::new(nodes.len(), st.groups);
            let mut r = vec![0.0; nodes.len()];
            let mut ev = vec![IMPOSSIBLE; nodes.len()];
            for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                s.loglik += responsibilities(st, i, nodes, p, &ln_w, &mut r, &mut ev);
                let g = st.group[i] as usize;
                for (j, e) in ev.iter().enumerate() {
                    let rj = r[j];
                    if rj < 1e-12 {
                        continue;
                    }
                    s.node[j] += rj;
                    // EM weights of the Student-t as a scale mixture of normals.
                    let ut = rj * (p.df + 1.0) / (p.df + e.zt * e.zt);
                    let us = rj * (p.df + 1.0) / (p.df + e.zs * e.zs);
                    let (a, b) = (&mut s.t[g], e.x);
                    a[0] += ut;
                    a[1] += ut * b;
                    a[2] += ut * b * b;
                    let (a, b) = (&mut s.s[g], e.y);
                    a[0] += us;
                    a[1] += us * b;
                    a[2] += us * b * b;
                    s.r += rj;
                    s.noise_t += rj * e.noise_t;
                    s.noise_s += rj * e.noise_s;
                }
            }
            s
        })
        .collect();
    let mut total = Sums::new(nodes.len(), st.groups);
    parts.iter().for_each(|s| total.add(s));
    total
}

/// The EM map: new parameters from the sums of a pass at the old ones (node weights; per-group
/// locations and the pooled scales by the Student-t EM with the delta-method noise taken off).
fn m_step(s: &Sums, p: &Params) -> Params {
    let mut q = p.clone();
    let total: f64 = s.node.iter().sum::<f64>().max(1e-300);
    q.weight = s.node.iter().map(|w| w / total).collect();
    let (mut sst, mut sss) = (0.0, 0.0);
    for g in 0..p.mu_t.len() {
        let (a, b) = (s.t[g], s.s[g]);
        if a[0] > 1e-9 {
            q.mu_t[g] = a[1] / a[0];
        }
        if b[0] > 1e-9 {
            q.mu_s[g] = b[1] / b[0];
        }
        sst += a[2] - 2.0 * q.mu_t[g] * a[1] + q.mu_t[g] * q.mu_t[g] * a[0];
        sss += b[2] - 2.0 * q.mu_s[g] * b[1] + q.mu_s[g] * q.mu_s[g] * b[0];
    }
    if s.r > 0.0 {
        q.sd_t = ((sst - s.noise_t) / s.r).max(MIN_SD * MIN_SD).sqrt();
        q.sd_s = ((sss - s.noise_s) / s.r).max(MIN_SD * MIN_SD).sqrt();
    }
    q
}

/// How an EM run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub params: Params,
    pub loglik: f64,
    /// Log-likelihood after each iteration.
    pub path: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

/// EM stopping rule: the mean log-likelihood per station changes by less than this between two
/// SQUAREM cycles.
pub const TOL: f64 = 1e-6;
/// Most E-step passes of one EM run.
pub const MAX_ITER: usize = 300;

/// A robust start: per group the median logits, pooled MAD scales; fraud weights `start`
/// (incremental, extreme) spread evenly over their nodes.
pub fn start(st: &Stations, nodes: &[Node], start: (f64, f64), df: f64, linear: bool) -> Params {
    let scale = |p: f64| if linear { p } else { logit(p) };
    let mut xs: Vec<Vec<f64>> = vec![Vec::new(); st.groups];
    let mut ys: Vec<Vec<f64>> = vec![Vec::new(); st.groups];
    for i in 0..st.len() {
        let t = (st.n[i] - st.a[i] + 0.5) / (st.n[i] + 1.0);
        let q = (st.o[i] + 0.5) / (st.v[i] + 1.0);
        xs[st.group[i] as usize].push(scale(t));
        ys[st.group[i] as usize].push(scale(1.0 - q));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            0.0
        } else {
            v[v.len() / 2]
        }
    };
    let mu_t: Vec<f64> = xs.iter_mut().map(median).collect();
    let mu_s: Vec<f64> = ys.iter_mut().map(median).collect();
    let mad = |v: &[Vec<f64>], mu: &[f64]| {
        let mut d: Vec<f64> = v
            .iter()
            .enumerate()
            .flat_map(|(g, x)| x.iter().map(move |x| (x - mu[g]).abs()))
            .collect();
        (1.4826 * median(&mut d)).max(MIN_SD)
    };
    let (sd_t, sd_s) = (mad(&xs, &mu_t), mad(&ys, &mu_s));
    let count = |k: Kind| nodes.iter().filter(|n| n.kind == k).count() as f64;
    let (ni, ne) = (count(Kind::Incremental), count(Kind::Extreme));
    let weight = nodes
        .iter()
        .map(|n| match n.kind {
            Kind::Clean => 1.0 - start.0 - start.1,
            Kind::Incremental => start.0 / ni,
            Kind::Extreme => start.1 / ne,
        })
        .collect();
    Params {
        weight,
        mu_t,
        mu_s,
        sd_t,
        sd_s,
        df,
        t_const: t_const(df),
        linear,
    }
}

/// EM from `p0` until the mean log-likelihood per station changes by less than `TOL` (at most
/// `max_iter` iterations).
pub fn em(st: &Stations, nodes: &[Node], p0: Params, max_iter: usize) -> Fit {
    let n = st.len().max(1) as f64;
    let mut p = p0;
    let mut path = Vec::new();
    let mut converged = false;
    let mut passes = 0;
    // SQUAREM (Varadhan & Roland 2008, scheme S3): two EM steps, an extrapolation along their
    // differences, one stabilising EM step from the extrapolated point; kept only if its
    // log-likelihood is not below the second EM point's.
    while passes < max_iter {
        let s0 = pass(st, nodes, &p);
        path.push(s0.loglik);
        if path.len() >= 2 {
            let d = (path[path.len() - 1] - path[path.len() - 2]).abs() / n;
            if d < TOL {
                converged = true;
                break;
            }
        }
        let p1 = m_step(&s0, &p);
        let s1 = pass(st, nodes, &p1);
        let p2 = m_step(&s1, &p1);
        passes += 3;
        let (x0, x1, x2) = (flatten(&p), flatten(&p1), flatten(&p2));
        let r: Vec<f64> = x1.iter().zip(&x0).map(|(a, b)| a - b).collect();
        let v: Vec<f64> = x2
            .iter()
            .zip(&x1)
            .zip(&r)
            .map(|((a, b), r)| a - b - r)
            .collect();
        let (rr, vv) = (dot(&r, &r), dot(&v, &v));
        let alpha = if vv > 0.0 { -(rr / vv).sqrt() } else { -1.0 };
        let alpha = alpha.clamp(-50.0, -1.0);
        let x: Vec<f64> = (0..x0.len())
            .map(|k| x0[k] - 2.0 * alpha * r[k] + alpha * alpha * v[k])
            .collect();
        let pe = unflatten(&x, &p);
        let se = pass(st, nodes, &pe);
        p = if se.loglik.is_finite() && se.loglik >= s1.loglik {
            m_step(&se, &pe)
        } else {
            p2
        };
    }
    let loglik = pass(st, nodes, &p).loglik;
    path.push(loglik);
    Fit {
        iterations: path.len() - 1,
        params: p,
        loglik,
        path,
        converged,
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The parameters as one vector: weights, locations, scales.
fn flatten(p: &Params) -> Vec<f64> {
    let mut x = p.weight.clone();
    x.extend(&p.mu_t);
    x.extend(&p.mu_s);
    x.push(p.sd_t);
    x.push(p.sd_s);
    x
}

/// The vector back into parameters, projected onto the parameter space (weights ≥ 0 summing to
/// 1, scales ≥ `MIN_SD`).
fn unflatten(x: &[f64], like: &Params) -> Params {
    let (k, g) = (like.weight.len(), like.mu_t.len());
    let mut w: Vec<f64> = x[..k].iter().map(|&w| w.max(0.0)).collect();
    let s: f64 = w.iter().sum();
    if s > 0.0 {
        w.iter_mut().for_each(|w| *w /= s);
    } else {
        w = like.weight.clone();
    }
    Params {
        weight: w,
        mu_t: x[k..k + g].to_vec(),
        mu_s: x[k + g..k + 2 * g].to_vec(),
        sd_t: x[k + 2 * g].max(MIN_SD),
        sd_s: x[k + 2 * g + 1].max(MIN_SD),
        df: like.df,
        t_const: like.t_const,
        linear: like.linear,
    }
}

/// Per-station summaries under fitted parameters: P(incremental), P(extreme), expected
/// manufactured and stolen votes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StationPosterior {
    pub p_incremental: f64,
    pub p_extreme: f64,
    pub manufactured: f64,
    pub stolen: f64,
}

pub fn posteriors(st: &Stations, nodes: &[Node], p: &Params) -> Vec<StationPosterior> {
    let n = st.len();
    let ln_w = ln_weights(p);
    (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| {
            let mut r = vec![0.0; nodes.len()];
            let mut ev = vec![IMPOSSIBLE; nodes.len()];
            (c * CHUNK..((c + 1) * CHUNK).min(n))
                .map(|i| {
                    responsibilities(st, i, nodes, p, &ln_w, &mut r, &mut ev);
                    let mut out = StationPosterior::default();
                    for (j, nd) in nodes.iter().enumerate() {
                        if r[j] < 1e-15 || nd.kind == Kind::Clean {
                            continue;
                        }
                        let e = ev[j];
                        match nd.kind {
                            Kind::Incremental => out.p_incremental += r[j],
                            _ => out.p_extreme += r[j],
                        }
                        out.manufactured += r[j] * e.manufactured;
                        out.stolen += r[j] * e.stolen;
                    }
                    out
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Per station: the likelihood of each component (clean, incremental, extreme; the fitted node
/// weights within a component, relative to the station's largest) and the expected manufactured
/// and stolen votes given each manipulated component. The bootstrap re-estimates the three
/// component shares on it.
pub struct ComponentTable {
    pub lik: Vec<[f64; 3]>,
    pub manufactured: Vec<[f64; 2]>,
    pub stolen: Vec<[f64; 2]>,
}

pub fn component_table(st: &Stations, nodes: &[Node], p: &Params) -> ComponentTable {
    let shares = p.shares(nodes);
    let rows: Vec<([f64; 3], [f64; 2], [f64; 2])> = (0..st.len())
        .into_par_iter()
        .map(|i| {
            let mut ev = vec![IMPOSSIBLE; nodes.len()];
            eval_all(st, i, nodes, p, &mut ev);
            let best = ev.iter().map(|e| e.ln_p).fold(f64::NEG_INFINITY, f64::max);
            let (mut lik, mut man, mut sto) = ([0.0; 3], [0.0; 2], [0.0; 2]);
            if best.is_finite() {
                for (j, nd) in nodes.iter().enumerate() {
                    let k = nd.kind as usize;
                    if shares[k] <= 0.0 {
                        continue;
                    }
                    let l = p.weight[j] / shares[k] * (ev[j].ln_p - best).exp();
                    lik[k] += l;
                    if k > 0 {
                        man[k - 1] += l * ev[j].manufactured;
                        sto[k - 1] += l * ev[j].stolen;
                    }
                }
            } else {
                lik[0] = 1.0;
            }
            for k in 0..2 {
                if lik[k + 1] > 0.0 {
                    man[k] /= lik[k + 1];
                    sto[k] /= lik[k + 1];
                }
            }
            (lik, man, sto)
        })
        .collect();
    ComponentTable {
        lik: rows.iter().map(|r| r.0).collect(),
        manufactured: rows.iter().map(|r| r.1).collect(),
        stolen: rows.iter().map(|r| r.2).collect(),
    }
}

/// Totals of one weighting of the stations: expected anomalous stations (incremental, extreme)
/// and votes (manufactured, stolen).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub incremental: f64,
    pub extreme: f64,
    pub manufactured: f64,
    pub stolen: f64,
}

/// EM of the three component shares on a component table with station counts `c` (a bootstrap
/// replicate), from `shares`, `iterations` steps; returns the shares and the count-weighted
/// totals at them.
pub fn reweight(
    t: &ComponentTable,
    c: &[f64],
    shares: [f64; 3],
    iterations: usize,
) -> ([f64; 3], Totals) {
    let mut w = shares;
    for it in 0..=iterations {
        let mut acc = [0.0; 3];
        let mut tot = Totals::default();
        for (i, &ci) in c.iter().enumerate() {
            if ci == 0.0 {
                continue;
            }
            let l = t.lik[i];
            let r = [w[0] * l[0], w[1] * l[1], w[2] * l[2]];
            let s = (r[0] + r[1] + r[2]).max(1e-300);
            (0..3).for_each(|k| acc[k] += ci * r[k] / s);
            if it == iterations {
                let (ri, re) = (ci * r[1] / s, ci * r[2] / s);
                tot.incremental += ri;
                tot.extreme += re;
                tot.manufactured += ri * t.manufactured[i][0] + re * t.manufactured[i][1];
                tot.stolen += ri * t.stolen[i][0] + re * t.stolen[i][1];
            }
        }
        if it == iterations {
            return (w, tot);
        }
        let sum = (acc[0] + acc[1] + acc[2]).max(1e-300);
        w = [acc[0] / sum, acc[1] / sum, acc[2] / sum];
    }
    (w, Totals::default())
}
