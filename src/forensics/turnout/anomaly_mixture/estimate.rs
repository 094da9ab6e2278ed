//! The estimate of `anomaly_mixture`: the usable stations and their clean-model groups, the EM
//! fit from several starts, the per-station posteriors, the bootstrap intervals and the
//! self-null (refits on clean elections simulated from the fitted clean component).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StudentT};
use rayon::prelude::*;

use super::model::{
    component_table, em, nodes, posteriors, reweight, start, Fit, Kind, Node, Params,
    StationPosterior, Stations, Totals, DFS, MAX_ITER,
};
use crate::stats::sampling::binomial_u64;

/// Station columns of one election; `region` an integer code per station (the top level of the
/// hierarchy): the clean locations are fitted per region.
pub struct Input<'a> {
    pub registered: &'a [u64],
    pub ballots: &'a [u64],
    pub valid: &'a [u64],
    pub winner: &'a [u64],
    pub region: Option<&'a [u32]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub seed: u64,
    /// Bootstrap replicates (Poisson weights over the fitted stations).
    pub bootstrap: u32,
    /// Clean elections simulated from the clean-only fit and refitted for the self-null.
    pub self_null: u32,
    /// Stations fitted at most (a seeded subsample beyond; posteriors cover every station).
    pub max_stations: usize,
    /// Stations of each self-null refit at most (a seeded subsample of the fitted ones).
    pub self_null_stations: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 0,
            bootstrap: 200,
            self_null: 40,
            max_stations: 30_000,
            self_null_stations: 6_000,
        }
    }
}

/// Fewer usable stations are refused: the clean locations per region and the manipulated
/// shares are then not separable.
pub const MIN_STATIONS: usize = 300;
/// Regions with fewer usable stations share one pooled clean location.
pub const MIN_GROUP: usize = 30;
/// Starts of the EM (incremental, extreme shares); the first is the primary start the self-null
/// refits use.
pub const STARTS: [(f64, f64); 3] = [(0.05, 0.01), (0.01, 0.002), (0.25, 0.05)];
/// Two starts agree when their anomalous shares differ by less than this.
pub const AGREE: f64 = 0.005;
pub const CONFIDENCE: f64 = 0.95;
/// Weight-only EM steps of a bootstrap replicate (from the fitted shares).
const BOOT_STEPS: usize = 60;

/// One EM start and where it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StartResult {
    pub start: (f64, f64),
    pub loglik: f64,
    pub anomalous_share: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// The self-null: the likelihood-ratio statistic 2 (ℓ_mixture − ℓ_clean only) on clean elections
/// simulated from the clean-only fit (a parametric bootstrap of the likelihood-ratio test for
/// the manipulated classes, McLachlan 1987). Not the estimated votes: on honest data the
/// likelihood has a nearly flat ridge along which a narrower clean class plus small pushes
/// explain the stations almost as well (a gain of one or two log-likelihood units), so the
/// estimates wander along it while the likelihood ratio stays small.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfNull {
    pub replicates: u32,
    pub stations: usize,
    pub observed: f64,
    pub mean: f64,
    pub sd: f64,
    pub q95: f64,
    pub max: f64,
    pub exceed: u32,
    /// (1 + exceed) / (replicates + 1); beyond the largest clean value the normal tail with the
    /// clean mean and SD (at least `MIN_NULL_SD`), if smaller.
    pub p_value: f64,
}

/// Smallest SD of the self-null's normal tail (in likelihood-ratio units).
pub const MIN_NULL_SD: f64 = 0.5;

/// An interval with its point value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone)]
pub struct Estimate {
    pub usable: usize,
    pub skipped: usize,
    pub fitted: usize,
    pub groups: usize,
    /// Fitted shares of stations: clean, incremental, extreme.
    pub shares: [f64; 3],
    /// Expected anomalous stations over all usable stations, with bootstrap intervals.
    pub stations_incremental: Interval,
    pub stations_extreme: Interval,
    pub stations_anomalous: Interval,
    pub votes_manufactured: Interval,
    pub votes_stolen: Interval,
    pub votes_anomalous: Interval,
    /// Mean magnitudes (m, s) of each manipulated component (weights within the component).
    pub incremental_magnitude: (f64, f64),
    pub extreme_magnitude: (f64, f64),
    /// Clean turnout and winner share at the station-weighted mean location, and the scales.
    pub clean_turnout: f64,
    pub clean_share: f64,
    pub sd_turnout: f64,
    pub sd_share: f64,
    pub fit: Fit,
    /// Mixture log-likelihood (primary start) of each clean shape (proportion scale, df).
    pub df_loglik: Vec<(bool, f64, f64)>,
    pub starts: Vec<StartResult>,
    pub starts_agree: bool,
    pub bootstrap: u32,
    pub self_null: SelfNull,
    /// Valid votes of the usable stations.
    pub valid_votes: f64,
    /// Usable stations whose posterior probability of manipulation is at least 0.5.
    pub above_half: usize,
    /// Per station of the input (`None`: not usable).
    pub stations: Vec<Option<StationPosterior>>,
}

/// Random stream of one task: seed, purpose, index.
fn rng_for(seed: u64, purpose: u64, task: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    r.set_stream(task);
    r
}

/// The usable stations (registered > 0, valid > 0; ballots capped at registered, valid at
/// ballots, winner at valid) with their input index and clean-model group.
fn prepare(input: &Input) -> Result<(Stations, Vec<usize>), String> {
    let n = input.registered.len();
    if [input.ballots.len(), input.valid.len(), input.winner.len()] != [n; 3]
        || input.region.is_some_and(|r| r.len() != n)
    {
        return Err("the input columns have different lengths".into());
    }
    let idx: Vec<usize> = (0..n)
        .filter(|&i| input.registered[i] > 0 && input.valid[i].min(input.ballots[i]) > 0)
        .collect();
    if idx.len() < MIN_STATIONS {
        return Err(format!(
            "only {} stations with registered voters and valid votes; the mixture needs {MIN_STATIONS}",
            idx.len()
        ));
    }
    // Groups: regions with at least MIN_GROUP usable stations, the rest pooled.
    let code = |i: usize| input.region.map_or(0, |r| r[i]);
    let mut count = std::collections::BTreeMap::<u32, usize>::new();
    idx.iter()
        .for_each(|&i| *count.entry(code(i)).or_default() += 1);
    let mut id = std::collections::BTreeMap::<u32, u32>::new();
    let mut next = 0u32;
    for (&c, &k) in &count {
        if k >= MIN_GROUP {
            id.insert(c, next);
            next += 1;
        }
    }
    let pooled = next;
    let has_pooled = count.values().any(|&k| k < MIN_GROUP);
    let mut st = Stations {
        groups: (next + u32::from(has_pooled)).max(1) as usize,
        ..Stations::default()
    };
    for &i in &idx {
        let r = input.registered[i] as f64;
        let b = input.ballots[i].min(input.registered[i]);
        let v = input.valid[i].min(b);
        let w = input.winner[i].min(v);
        st.n.push(r);
        st.a.push(r - b as f64);
        st.v.push(v as f64);
        st.o.push((v - w) as f64);
        st.group.push(*id.get(&code(i)).unwrap_or(&pooled));
    }
    Ok((st, idx))
}

/// A seeded subsample of `0..n` of size `cap` (all when n ≤ cap), in increasing order.
fn subsample(n: usize, cap: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..n).collect();
    if n > cap {
        for i in 0..cap {
            let j = rng.random_range(i..n);
            pool.swap(i, j);
        }
        pool.truncate(cap);
        pool.sort_unstable();
    }
    pool
}

/// A clean election simulated from the fitted clean component on these stations (same
/// registered voters, groups and invalid shares): latent logit turnout and winner share
/// location + scale × Student-t(DF), then binomial counts.
pub fn simulate_clean(
    st: &Stations,
    invalid: &[f64],
    p: &Params,
    rng: &mut ChaCha8Rng,
) -> Stations {
    let t = StudentT::new(p.df).expect("df > 0");
    let mut out = Stations {
        groups: st.groups,
        ..Stations::default()
    };
    // Latent value to a proportion on the clean class's scale.
    let expit = |x: f64| {
        if p.linear {
            x.clamp(0.0, 1.0)
        } else {
            1.0 / (1.0 + (-x).exp())
        }
    };
    for (i, &invalid) in invalid.iter().enumerate().take(st.len()) {
        let g = st.group[i] as usize;
        let n = st.n[i] as u64;
        let pt = expit(p.mu_t[g] + p.sd_t * t.sample(rng));
        let b = binomial_u64(rng, n, pt);
        let v = b - binomial_u64(rng, b, invalid);
        let ps = expit(p.mu_s[g] + p.sd_s * t.sample(rng));
        let w = binomial_u64(rng, v, ps);
        if v == 0 {
            // A station without valid votes is not usable; keep it with one valid vote so that
            // the replicate has the same stations (its effect is one vote).
            out.v.push(1.0);
            out.o.push(0.0);
        } else {
            out.v.push(v as f64);
            out.o.push((v - w) as f64);
        }
        out.n.push(st.n[i]);
        out.a.push(st.n[i] - b.max(1) as f64);
        out.group.push(st.group[i]);
    }
    out
}

fn anomalous(f: &Fit, nodes: &[Node]) -> f64 {
    let s = f.params.shares(nodes);
    s[1] + s[2]
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

impl SelfNull {
    fn from(observed: f64, stat: &[f64], stations: usize) -> SelfNull {
        let r = stat.len().max(1) as f64;
        let mean = stat.iter().sum::<f64>() / r;
        let sd = if stat.len() > 1 {
            (stat.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt()
        } else {
            0.0
        };
        let mut sorted = stat.to_vec();
        let q95 = percentile(&mut sorted, 0.95);
        let max = sorted.last().copied().unwrap_or(0.0);
        let exceed = stat.iter().filter(|&&x| x >= observed - 1e-12).count() as u32;
        let empirical = (1.0 + f64::from(exceed)) / (r + 1.0);
        let p_value = if observed > max + 1e-12 {
            let z = (observed - mean) / sd.max(MIN_NULL_SD);
            empirical.min(0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2))
        } else {
            empirical
        };
        SelfNull {
            replicates: stat.len() as u32,
            stations,
            observed,
            mean,
            sd,
            q95,
            max,
            exceed,
            p_value,
        }
    }
}

/// The mixture's start from a clean-only fit: its clean class, the manipulated classes at `s0`
/// (incremental, extreme) spread evenly over their nodes.
fn from_h0(h0: &Params, nodes: &[Node], s0: (f64, f64)) -> Params {
    let count = |k: Kind| nodes.iter().filter(|n| n.kind == k).count() as f64;
    let (ni, ne) = (count(Kind::Incremental), count(Kind::Extreme));
    Params {
        weight: nodes
            .iter()
            .map(|n| match n.kind {
                Kind::Clean => 1.0 - s0.0 - s0.1,
                Kind::Incremental => s0.0 / ni,
                Kind::Extreme => s0.1 / ne,
            })
            .collect(),
        ..h0.clone()
    }
}

/// Fit the mixture; Err(reason) when it does not apply.
pub fn fit(input: &Input, opts: &Options) -> Result<Estimate, String> {
    let (all, idx) = prepare(input)?;
    let nodes = nodes();
    let sample = subsample(
        all.len(),
        opts.max_stations.max(MIN_STATIONS),
        &mut rng_for(opts.seed, 1, 0),
    );
    let st = all.select(&sample);
    // For every clean shape (scale × degrees of freedom) the clean class alone (H0) and the
    // mixture from the primary start (from H0's clean class); the shape with the best mixture
    // likelihood is kept, with its H0 for the likelihood ratio, then the other starts.
    let shapes: Vec<(bool, f64)> = [false, true]
        .iter()
        .flat_map(|&l| DFS.iter().map(move |&d| (l, d)))
        .collect();
    let per_shape: Vec<(Fit, Fit)> = shapes
        .iter()
        .map(|&(l, df)| {
            let f0 = em(&st, &nodes, start(&st, &nodes, (0.0, 0.0), df, l), MAX_ITER);
            let f1 = em(
                &st,
                &nodes,
                from_h0(&f0.params, &nodes, STARTS[0]),
                MAX_ITER,
            );
            (f0, f1)
        })
        .collect();
    let (k_best, _) = per_shape
        .iter()
        .enumerate()
        .max_by(|a, b| a.1 .1.loglik.total_cmp(&b.1 .1.loglik))
        .expect("at least one shape");
    let clean_only = per_shape[k_best].0.clone();
    let df_loglik: Vec<(bool, f64, f64)> = shapes
        .iter()
        .zip(&per_shape)
        .map(|(&(l, d), f)| (l, d, f.1.loglik))
        .collect();
    let mut fits: Vec<(Fit, (f64, f64))> = vec![(per_shape[k_best].1.clone(), STARTS[0])];
    for &s0 in &STARTS[1..] {
        fits.push((
            em(
                &st,
                &nodes,
                from_h0(&clean_only.params, &nodes, s0),
                MAX_ITER,
            ),
            s0,
        ));
    }
    let starts: Vec<StartResult> = fits
        .iter()
        .map(|(f, s0)| StartResult {
            start: *s0,
            loglik: f.loglik,
            anomalous_share: anomalous(f, &nodes),
            iterations: f.iterations,
            converged: f.converged,
        })
        .collect();
    let best = fits
        .iter()
        .max_by(|a, b| a.0.loglik.total_cmp(&b.0.loglik))
        .map(|f| f.0.clone())
        .expect("at least one start");
    let share = anomalous(&best, &nodes);
    let starts_agree = starts
        .iter()
        .all(|s| (s.anomalous_share - share).abs() < AGREE);
    let p = &best.params;
    let shares = p.shares(&nodes);

    // Posteriors of every usable station and their totals.
    let post = posteriors(&all, &nodes, p);
    let mut stations = vec![None; input.registered.len()];
    let mut point = Totals::default();
    for (k, &i) in idx.iter().enumerate() {
        let q = post[k];
        point.incremental += q.p_incremental;
        point.extreme += q.p_extreme;
        point.manufactured += q.manufactured;
        point.stolen += q.stolen;
        stations[i] = Some(q);
    }

    // Bootstrap: Poisson(1) weights over the fitted stations, component shares re-estimated
    // with the clean component and the magnitudes held at the fit; totals scaled to all usable
    // stations.
    let table = component_table(&st, &nodes, p);
    let scale = all.len() as f64 / st.len() as f64;
    let reps: Vec<Totals> = (0..opts.bootstrap.max(20))
        .into_par_iter()
        .map(|b| {
            let mut r = rng_for(opts.seed, 2, u64::from(b));
            let pois = Poisson::new(1.0).expect("rate 1");
            let c: Vec<f64> = (0..st.len()).map(|_| pois.sample(&mut r)).collect();
            let (_, t) = reweight(&table, &c, shares, BOOT_STEPS);
            Totals {
                incremental: t.incremental * scale,
                extreme: t.extreme * scale,
                manufactured: t.manufactured * scale,
                stolen: t.stolen * scale,
            }
        })
        .collect();
    let lo = (1.0 - CONFIDENCE) / 2.0;
    let interval = |estimate: f64, f: &dyn Fn(&Totals) -> f64| {
        let mut v: Vec<f64> = reps.iter().map(f).collect();
        let (a, b) = (percentile(&mut v, lo), percentile(&mut v, 1.0 - lo));
        Interval {
            estimate,
            low: a.min(estimate).max(0.0),
            high: b.max(estimate),
        }
    };

    // Self-null: clean elections from the fitted clean component on (a subsample of) the fitted
    // stations, refitted from the primary start.
    let null_idx = subsample(
        st.len(),
        opts.self_null_stations.max(MIN_STATIONS),
        &mut rng_for(opts.seed, 3, 0),
    );
    let null_base = st.select(&null_idx);
    let invalid: Vec<f64> = null_idx
        .iter()
        .map(|&k| {
            let i = idx[sample[k]];
            let b = input.ballots[i].min(input.registered[i]) as f64;
            let v = input.valid[i].min(input.ballots[i]) as f64;
            if b > 0.0 {
                (1.0 - v / b).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    // Likelihood ratio of the primary start over the clean class alone; the null elections are
    // simulated from the clean-only fit (McLachlan 1987).
    let observed = 2.0 * (fits[0].0.loglik - clean_only.loglik).max(0.0);
    let null_stat: Vec<f64> = (0..opts.self_null)
        .into_par_iter()
        .map(|r| {
            let mut rng = rng_for(opts.seed, 4, u64::from(r));
            let sim = simulate_clean(&null_base, &invalid, &clean_only.params, &mut rng);
            let (l0, df0) = (clean_only.params.linear, clean_only.params.df);
            let f0 = em(
                &sim,
                &nodes,
                start(&sim, &nodes, (0.0, 0.0), df0, l0),
                MAX_ITER,
            );
            let f1 = em(
                &sim,
                &nodes,
                from_h0(&f0.params, &nodes, STARTS[0]),
                MAX_ITER,
            );
            2.0 * (f1.loglik - f0.loglik).max(0.0)
        })
        .collect();
    let self_null = SelfNull::from(observed, &null_stat, null_base.len());

    // Magnitudes and clean summaries.
    let magnitude = |k: Kind| {
        let (mut w, mut m, mut s) = (0.0, 0.0, 0.0);
        for (j, nd) in nodes.iter().enumerate().filter(|(_, n)| n.kind == k) {
            w += p.weight[j];
            m += p.weight[j] * nd.m;
            s += p.weight[j] * nd.s;
        }
        if w > 0.0 {
            (m / w, s / w)
        } else {
            (0.0, 0.0)
        }
    };
    let mut per_group = vec![0.0; st.groups];
    st.group.iter().for_each(|&g| per_group[g as usize] += 1.0);
    let mean_of =
        |mu: &[f64]| mu.iter().zip(&per_group).map(|(m, w)| m * w).sum::<f64>() / st.len() as f64;
    let expit = |x: f64| {
        if p.linear {
            x
        } else {
            1.0 / (1.0 + (-x).exp())
        }
    };
    Ok(Estimate {
        usable: all.len(),
        skipped: input.registered.len() - all.len(),
        fitted: st.len(),
        groups: st.groups,
        shares,
        stations_incremental: interval(point.incremental, &|t| t.incremental),
        stations_extreme: interval(point.extreme, &|t| t.extreme),
        stations_anomalous: interval(point.incremental + point.extreme, &|t| {
            t.incremental + t.extreme
        }),
        votes_manufactured: interval(point.manufactured, &|t| t.manufactured),
        votes_stolen: interval(point.stolen, &|t| t.stolen),
        votes_anomalous: interval(point.manufactured + point.stolen, &|t| {
            t.manufactured + t.stolen
        }),
        incremental_magnitude: magnitude(Kind::Incremental),
        extreme_magnitude: magnitude(Kind::Extreme),
        clean_turnout: expit(mean_of(&p.mu_t)),
        clean_share: expit(mean_of(&p.mu_s)),
        sd_turnout: p.sd_t,
        sd_share: p.sd_s,
        fit: best,
        df_loglik,
        starts,
        starts_agree,
        bootstrap: opts.bootstrap.max(20),
        self_null,
        valid_votes: all.v.iter().sum(),
        above_half: post
            .iter()
            .filter(|q| q.p_incremental + q.p_extreme >= 0.5)
            .count(),
        stations,
    })
}
