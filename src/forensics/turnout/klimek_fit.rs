//! Klimek fraud-model fit: the share of polling stations with incremental
//! (f_i) and extreme (f_e) ballot stuffing and vote stealing, with
//! calibrated intervals. Pure: counts in, numbers out.
//!
//! References: Klimek, Yegorov, Hanel & Thurner (2012), "Statistical
//! detection of systematic election irregularities", PNAS 109(41):16469-16473;
//! the Election Forensics Toolkit's R conversion of Klimek's `ElectionFritter`
//! (`ComputeKlimekModel.R`, Mebane & Egami, in kkalininMI/EFToolkit); SQUAREM:
//! Varadhan & Roland (2008), Scand. J. Statist. 35:335-353. See
//! `docs/methods.md#klimek_model`.
//!
//! # Model
//!
//! Station i has registered N, ballots B, valid V and winner (national
//! leader) votes W; its fingerprint point is turnout t = B/N and winner share
//! s = W/V, binned on an `nx` x `ny` grid over [0, 1]^2.
//!
//! * Clean: t and s are independent, as in Klimek's model, but their
//!   distributions are free histograms (the clean marginals), not truncated
//!   normals, with one pair per group of regions when regions are given.
//! * Fraud, exactly as `simulate::fraud` applies it: with probability f_i
//!   incremental fraud of intensity x = |N(0, theta)|, with probability f_e
//!   extreme fraud x = 1 - |N(0, 0.075)| (both redrawn until 0 < x < 1).
//!   Ballot stuffing adds floor(x (N - B)) ballots, all valid and for the
//!   winner; vote stealing moves round(x^alpha (V - W)) votes from the
//!   opponents to the winner. The other ballots keep the station's
//!   valid/ballots ratio.
//! * Parameters: f_i and f_e (common to all regions), theta, alpha, and the
//!   clean marginals of every group.
//!
//! # Estimation, and why
//!
//! * **Free clean marginals, per group of regions.** On data with regional
//!   structure (our generator: region and district effects on turnout and
//!   shares) Klimek's normal clean model is badly misspecified: fitted to
//!   clean synthetic elections it gave f_i up to 0.88. Free marginals fitted
//!   nationally are biased by the turnout-share correlation that a few
//!   regions create by chance (f_i 0 to 0.2 on clean data, 0.12 to 0.63 for
//!   a true 0.3). Within regions the clean t and s are close to independent
//!   and the estimate is stable (MLE 0.19 to 0.29 for a true 0.3). Regions
//!   are clustered into at most 12 groups by their median (t, s) (weighted
//!   k-means; at least 200 sampled stations per group) because the cost
//!   grows with the number of groups. The price: fraud that moves a whole
//!   region (every station of a region at 99% / 99%) looks like that
//!   region's clean distribution and is not counted. Without regions the
//!   opposite holds: honest regions that combine high turnout with support
//!   for the leader count as fraud. Russia 2011: f_e 0.007 with regions,
//!   0.036 without.
//! * **Likelihood instead of Klimek's distance.** The binned fingerprint of
//!   each group is multinomial with cell probabilities
//!   (1 - f_i - f_e) C + f_i K_i C + f_e K_e C, where C is the clean
//!   product and K_i, K_e are fraud kernels: where fraud of each kind moves
//!   a station of each cell, computed by pushing 3 x 3 positions per cell
//!   with 32 quadrature nodes of x at the sample's valid/ballots ratio. It is
//!   maximised by EM (clean marginals and weights in closed form),
//!   accelerated by SQUAREM. The likelihood weighs cells by their
//!   information and has no simulation noise and no tuning constant, unlike
//!   Klimek's sum ((sim - obs) / (obs + 1))^2 against one simulation.
//! * **theta and alpha.** theta is profiled over the log grid
//!   0.075 x 1.25^k (0.075 to 0.87), with a parabola through the best three
//!   log-likelihoods for a sub-grid value (f_i moves fast with theta). Below
//!   0.075 a push is a point or two of turnout, indistinguishable from clean
//!   variation. alpha is chosen on EFToolkit's grid {0.5, 1, 1.5, 2}. When
//!   the MLE of f_i is below 0.01 theta and alpha are not identified: f_i is
//!   reported as 0 with the reference shape theta = 0.146, alpha = 1.
//! * **Grid 30 x 30 by default.** Bins of 3.3 points resolve incremental
//!   pushes (a median push at theta = 0.15 moves 2-4 points of turnout and
//!   5-8 of share) and keep occupied cells populated for 10^4-10^5 stations;
//!   the cost grows with the cube of the bins per axis, and 40 x 40 and
//!   50 x 50 gave the same estimates.
//! * **Subsample.** At most `max_stations` (default 50,000) stations,
//!   chosen by a seeded shuffle and kept in input order, are fitted; the
//!   interval is for that sample size, so it is conservative for larger
//!   elections. `observed` and `fitted` cover all usable stations.
//! * **Interval for f_i: Monte-Carlo test inversion.** The MLE of f_i is
//!   biased low (the free marginals absorb part of the small pushes; its
//!   median moves 0.6-0.85 per unit of f_i), so percentile bootstraps do not
//!   cover. For design values f of f_i the model is refitted to the data
//!   with f_i held at f (a constrained parametric bootstrap: theta, f_e and
//!   the clean marginals follow f along their ridge), fingerprints are
//!   simulated from it on the sample's stations (their registered voters,
//!   groups and valid ratios) and refitted by the same estimator, and f is
//!   in the interval when the observed estimate lies in the central 95% of
//!   its simulated estimates. Design: a quarter of the replicates at the
//!   estimate, half at three values around its bias-corrected value, a
//!   quarter in two probes at the provisional bounds; p-values from a robust
//!   location-scale model with pooled standardised residuals (empirical
//!   where the estimator piles up at 0), interpolated on the probit scale.
//!   `f_i` is where the simulated median equals the observed estimate
//!   (median-unbiased), `f_i_mle` the raw MLE. Without detectable
//!   incremental fraud (f_i = 0) the constrained fits keep theta >= 0.146:
//!   many stations with vanishing pushes cannot be told from none, so the
//!   upper bound is for incremental fraud of at least the reference spread
//!   (with theta free it was 1 in 14 of 50 clean synthetic elections).
//! * **Interval for f_e:** the MLE is nearly unbiased (it tracks the
//!   realised share to 1e-4 on our generator); basic bootstrap interval of
//!   all replicates.
//! * **Jackknife widening.** Simulations from the fitted model know nothing
//!   of clean structure inside regions (districts) or of fraud rates that
//!   differ by region; on our generator the MLE of f_i varies between
//!   elections about twice as much as the bootstrap says. A delete-a-block
//!   jackknife over 25 runs of consecutive stations (tallies are published
//!   by area) estimates the actual variation; its excess variance over the
//!   bootstrap's is added to both half-widths. Stations in random order make
//!   it a plain jackknife that adds nothing.
//! * **Determinism.** Every simulation has its own ChaCha8 stream from
//!   (seed, purpose, replicate); work is parallel over theta values,
//!   replicates and jackknife blocks and collected in order, so the fit is
//!   identical for any number of rayon threads.
//!
//! Stations with registered = 0 or valid = 0 are skipped and counted; counts
//! beyond their total (ballots > registered, winner > valid) are clamped to
//! turnout or share 1. Fewer than 500 usable stations are refused. The
//! `distance` is the deviance 2 sum O ln(O / E) of the fitted sample (about
//! the number of occupied cells x groups for a model that fits).
//!
//! Coverage study, real-data fits and the 1,000,000-station timing:
//! `klimek_fit/study.rs` (`#[ignore]`d tests).

#[path = "klimek_fit/estimate.rs"]
mod estimate;
#[path = "klimek_fit/model.rs"]
mod model;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use estimate::{calibrate, coarse, jackknife, point_fit, self_null, Estimate, KernelSet, Sample};
use model::{norm_quantile, Grid, Obs};

/// Station columns of one election. `region` (optional, any integer code
/// per station, e.g. the first level of the region hierarchy): the clean
/// model is then fitted within groups of regions, which keeps honest
/// regional differences out of f_i (see the module doc); without it the
/// whole election is one clean distribution.
pub struct KlimekInput<'a> {
    pub registered: &'a [u64],
    pub ballots: &'a [u64],
    pub valid: &'a [u64],
    pub winner: &'a [u64],
    pub region: Option<&'a [u32]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KlimekOptions {
    pub seed: u64,
    /// Simulated replicates for the interval (at least 20 are run).
    pub bootstrap: u32,
    /// Stations fitted at most (a seeded subsample beyond).
    pub max_stations: usize,
    /// Clean elections simulated for the self-null (0: none).
    pub self_null: u32,
    /// Turnout bins of the fingerprint (5..=200).
    pub nx: usize,
    /// Share bins of the fingerprint (5..=200).
    pub ny: usize,
}

impl Default for KlimekOptions {
    fn default() -> Self {
        KlimekOptions {
            seed: 0,
            bootstrap: 200,
            self_null: 100,
            max_stations: 50_000,
            nx: 30,
            ny: 30,
        }
    }
}

/// Summaries of the fitted clean model: mean and SD of the clean turnout and
/// share distributions (pooled over regions) and the incremental spread.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanParams {
    pub mu_t: f64,
    pub sigma_t: f64,
    pub mu_s: f64,
    pub sigma_s: f64,
    pub theta: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KlimekFit {
    /// Share of stations with incremental fraud (median-unbiased).
    pub f_i: f64,
    pub f_i_interval: (f64, f64),
    /// The maximum-likelihood f_i (biased low; see the module doc).
    pub f_i_mle: f64,
    /// Share of stations with extreme fraud (MLE).
    pub f_e: f64,
    pub f_e_interval: (f64, f64),
    /// Vote-stealing shape: x^alpha of the opponents' votes move.
    pub alpha: f64,
    /// Level of both intervals.
    pub confidence: f64,
    /// Deviance of the fit on the fitted sample.
    pub distance: f64,
    pub clean: CleanParams,
    /// Clean-model groups (regions clustered by location, at most 12).
    pub groups: usize,
    /// Usable stations (in `observed`).
    pub stations_used: usize,
    /// Stations in the fitted subsample.
    pub stations_fitted: usize,
    /// Stations skipped for registered = 0 or valid = 0.
    pub stations_skipped: usize,
    /// Fingerprint counts, `nx * ny` row-major: row 0 = lowest share,
    /// column 0 = lowest turnout.
    pub observed: Vec<f64>,
    /// Fitted model on the same grid, same total.
    pub fitted: Vec<f64>,
    /// Simulated replicates run for the intervals.
    pub bootstrap_used: u32,
    /// What the estimator gives on clean elections of this shape.
    pub self_null: SelfNull,
}

/// The self-null of the fit: the estimator on `replicates` clean elections simulated from the
/// fitted clean component (same stations, sizes and clean-model groups; f_i = f_e = 0).
#[derive(Debug, Clone, PartialEq)]
pub struct SelfNull {
    pub replicates: u32,
    /// The observed statistic: f_i (MLE, below 1 % counted as 0) + f_e, the share of stations
    /// the model calls manipulated.
    pub observed: f64,
    pub mean: f64,
    pub sd: f64,
    /// 95th percentile and maximum of the statistic on the clean elections.
    pub q95: f64,
    pub max: f64,
    /// Mean f_i and f_e on the clean elections.
    pub fi_mean: f64,
    pub fe_mean: f64,
    /// Clean elections with a statistic at least as large as observed.
    pub exceed: u32,
    /// (1 + exceed) / (replicates + 1), or below the largest simulated value the normal tail with
    /// the simulated mean and SD (the SD at least `SELF_NULL_MIN_SD`).
    pub p_value: f64,
}

/// The smallest SD the self-null's normal tail uses: the estimator's resolution (f_i under 1 %
/// counts as 0), so that clean elections that all give 0 do not make any estimate infinitely
/// significant.
pub const SELF_NULL_MIN_SD: f64 = 0.01;

impl SelfNull {
    fn from_replicates(observed: f64, reps: &[(f64, f64)]) -> SelfNull {
        let stat: Vec<f64> = reps.iter().map(|(fi, fe)| fi + fe).collect();
        let r = stat.len().max(1) as f64;
        let mean = stat.iter().sum::<f64>() / r;
        let sd = if stat.len() > 1 {
            (stat.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt()
        } else {
            0.0
        };
        let mut sorted = stat.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| {
            sorted
                .get(((sorted.len().max(1) - 1) as f64 * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let exceed = stat.iter().filter(|&&x| x >= observed - 1e-12).count() as u32;
        let empirical = (1.0 + f64::from(exceed)) / (r + 1.0);
        let max = sorted.last().copied().unwrap_or(0.0);
        let p_value = if observed > max + 1e-12 {
            let z = (observed - mean) / sd.max(SELF_NULL_MIN_SD);
            empirical.min(0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2))
        } else {
            empirical
        };
        SelfNull {
            replicates: stat.len() as u32,
            observed,
            mean,
            sd,
            q95: q(0.95),
            max,
            fi_mean: reps.iter().map(|x| x.0).sum::<f64>() / r,
            fe_mean: reps.iter().map(|x| x.1).sum::<f64>() / r,
            exceed,
            p_value,
        }
    }
}

pub const CONFIDENCE: f64 = 0.95;
/// Klimek's sd of 1 - x for extreme fraud.
pub const EXTREME_SD: f64 = 0.075;
const ALPHAS: [f64; 4] = [0.5, 1.0, 1.5, 2.0];
/// theta grid: THETA_MIN * THETA_RATIO^k, k < THETA_STEPS.
const THETA_MIN: f64 = 0.075;
const THETA_RATIO: f64 = 1.25;
const THETA_STEPS: usize = 12;
/// Reference shape when f_i is not identified: theta_at(3) = 0.146, alpha 1.
const K_REF: usize = 3;
const ALPHA_REF: f64 = 1.0;
/// f_i estimates below this count as no incremental fraud.
const NO_INCREMENTAL: f64 = 0.01;
/// Quadrature nodes for the fraud intensity x.
const X_NODES: usize = 32;
/// Fewer usable stations are refused: the free clean marginals then absorb
/// most incremental fraud, the interval for f_i is nearly [0, 1] and its
/// calibration unreliable.
const MIN_STATIONS: usize = 500;
/// Clean-model groups: at most this many, with about this many sampled
/// stations at least (regions are clustered by location).
const MAX_GROUPS: usize = 12;
const MIN_GROUP: usize = 200;
const MIN_BOOTSTRAP: u32 = 20;
const JACK_BLOCKS: usize = 25;

fn theta_at(k: f64) -> f64 {
    THETA_MIN * THETA_RATIO.powf(k)
}

/// Random stream for one task: seed, what it is for, task index.
fn rng_for(seed: u64, purpose: u64, task: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ purpose.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    rng.set_stream(task);
    rng
}

/// The checked data of one fit.
struct Prepared {
    g: Grid,
    sample: Sample,
    obs: Obs,
    /// Fingerprint of all usable stations.
    full: Vec<f64>,
    /// Usable stations per group.
    full_count: Vec<f64>,
    /// valid / ballots over the sample (for the kernels).
    r: f64,
    usable: usize,
    skipped: usize,
}

fn prepare(input: &KlimekInput, opts: &KlimekOptions) -> Result<Prepared, String> {
    let n = input.registered.len();
    if [input.ballots.len(), input.valid.len(), input.winner.len()] != [n; 3]
        || input.region.is_some_and(|r| r.len() != n)
    {
        return Err("the input columns have different lengths".into());
    }
    if !(5..=200).contains(&opts.nx) || !(5..=200).contains(&opts.ny) {
        return Err(format!(
            "fingerprint grid {}x{}: both sizes must be in 5..=200",
            opts.nx, opts.ny
        ));
    }
    let g = Grid {
        nx: opts.nx,
        ny: opts.ny,
    };
    let usable: Vec<usize> = (0..n)
        .filter(|&i| input.registered[i] > 0 && input.valid[i] > 0)
        .collect();
    if usable.len() < MIN_STATIONS {
        return Err(format!(
            "only {} stations with registered > 0 and valid > 0; the Klimek fit needs {MIN_STATIONS}",
            usable.len()
        ));
    }
    let ts = |i: usize| {
        let t = (input.ballots[i] as f64 / input.registered[i] as f64).min(1.0);
        let s = (input.winner[i] as f64 / input.valid[i] as f64).min(1.0);
        (t, s)
    };
    let point = |i: usize| {
        let (t, s) = ts(i);
        g.cell(t, s)
    };
    let mut full = vec![0.0; g.cells()];
    usable.iter().for_each(|&i| full[point(i)] += 1.0);
    let occupied = |axis: &dyn Fn(usize) -> usize| {
        let mut bins: Vec<usize> = (0..g.cells())
            .filter(|&c| full[c] > 0.0)
            .map(axis)
            .collect();
        bins.sort_unstable();
        bins.dedup();
        bins.len()
    };
    if occupied(&|c| c % g.nx) < 3 || occupied(&|c| c / g.nx) < 3 {
        return Err("no variation: turnout or winner share falls in fewer than 3 bins".into());
    }
    // Seeded subsample, kept in input order (the jackknife uses the order).
    let cap = opts.max_stations.max(MIN_STATIONS);
    let chosen: Vec<usize> = if usable.len() > cap {
        let mut rng = rng_for(opts.seed, 1, 0);
        let mut pool = usable.clone();
        for i in 0..cap {
            let j = rng.random_range(i..pool.len());
            pool.swap(i, j);
        }
        pool.truncate(cap);
        pool.sort_unstable();
        pool
    } else {
        usable.clone()
    };
    // Groups: regions (distinct codes, sorted) clustered by location.
    let label = |i: usize| input.region.map_or(0, |r| r[i]);
    let mut labels: Vec<u32> = usable.iter().map(|&i| label(i)).collect();
    labels.sort_unstable();
    labels.dedup();
    let index = |i: usize| labels.binary_search(&label(i)).unwrap_or(0);
    let mut points: Vec<(Vec<f64>, Vec<f64>)> = vec![(vec![], vec![]); labels.len()];
    for &i in &usable {
        let (t, s) = ts(i);
        let p = &mut points[index(i)];
        p.0.push(t);
        p.1.push(s);
    }
    let mut sampled = vec![0.0; labels.len()];
    chosen.iter().for_each(|&i| sampled[index(i)] += 1.0);
    let centres: Vec<(f64, f64)> = points
        .iter_mut()
        .map(|(t, s)| (median(t), median(s)))
        .collect();
    let group_of = cluster(&centres, &sampled);
    let ng = group_of.iter().max().map_or(1, |&m| m + 1);
    let mut full_count = vec![0.0; ng as usize];
    usable
        .iter()
        .for_each(|&i| full_count[group_of[index(i)] as usize] += 1.0);
    let mut obs = Obs::new(g, ng as usize);
    let mut sample = Sample {
        cell: Vec::with_capacity(chosen.len()),
        registered: Vec::with_capacity(chosen.len()),
        ratio: Vec::with_capacity(chosen.len()),
        group: Vec::with_capacity(chosen.len()),
    };
    let (mut valid, mut ballots) = (0.0, 0.0);
    for &i in &chosen {
        let (cell, k) = (point(i), group_of[index(i)]);
        obs.add_cell(cell, k as usize);
        let b = input.ballots[i].min(input.registered[i]);
        let v = input.valid[i].min(b);
        sample.cell.push(cell as u32);
        sample.registered.push(input.registered[i]);
        sample
            .ratio
            .push(if b > 0 { v as f64 / b as f64 } else { 1.0 });
        sample.group.push(k);
        (valid, ballots) = (valid + v as f64, ballots + b as f64);
    }
    Ok(Prepared {
        g,
        sample,
        obs,
        full,
        full_count,
        r: if ballots > 0.0 {
            (valid / ballots).clamp(0.5, 1.0)
        } else {
            1.0
        },
        usable: usable.len(),
        skipped: n - usable.len(),
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        0.0
    } else {
        v[v.len() / 2]
    }
}

/// Clean-model groups of the regions: weighted k-means (Lloyd, 50 rounds)
/// of the regions' median (turnout, share), k = [`MAX_GROUPS`] or fewer so
/// that a group has [`MIN_GROUP`] sampled stations on average; groups left
/// smaller join the nearest one. Regions with similar clean locations
/// share a clean model with little loss, and the EM cost grows with the
/// number of groups.
fn cluster(centres: &[(f64, f64)], weight: &[f64]) -> Vec<u32> {
    let n = centres.len();
    let total: f64 = weight.iter().sum();
    let k = MAX_GROUPS
        .min(n)
        .min((total / MIN_GROUP as f64) as usize)
        .max(1);
    // Start from regions at evenly spaced weighted quantiles along the diagonal.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| (centres[a].0 + centres[a].1).total_cmp(&(centres[b].0 + centres[b].1)));
    let mut means: Vec<(f64, f64)> = Vec::with_capacity(k);
    let mut cum = 0.0;
    for &r in &order {
        cum += weight[r];
        if means.len() < k && cum >= total * (means.len() as f64 + 0.5) / k as f64 {
            means.push(centres[r]);
        }
    }
    let dist = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2);
    let nearest = |c: (f64, f64), means: &[(f64, f64)], skip: Option<usize>| {
        (0..means.len())
            .filter(|&j| Some(j) != skip)
            .min_by(|&a, &b| dist(c, means[a]).total_cmp(&dist(c, means[b])))
            .unwrap_or(0)
    };
    let mut of = vec![0usize; n];
    for _ in 0..50 {
        of = centres.iter().map(|&c| nearest(c, &means, None)).collect();
        for (j, m) in means.iter_mut().enumerate() {
            let (mut w, mut x, mut y) = (0.0, 0.0, 0.0);
            for r in (0..n).filter(|&r| of[r] == j) {
                (w, x, y) = (
                    w + weight[r],
                    x + weight[r] * centres[r].0,
                    y + weight[r] * centres[r].1,
                );
            }
            if w > 0.0 {
                *m = (x / w, y / w);
            }
        }
    }
    // Groups too small for their own clean model join their nearest neighbour.
    loop {
        let size = |j: usize| {
            (0..n)
                .filter(|&r| of[r] == j)
                .map(|r| weight[r])
                .sum::<f64>()
        };
        let live: Vec<usize> = (0..means.len()).filter(|&j| size(j) > 0.0).collect();
        let Some(&small) = live.iter().find(|&&j| size(j) < MIN_GROUP as f64) else {
            break;
        };
        if live.len() < 2 {
            break;
        }
        let others: Vec<(f64, f64)> = means
            .iter()
            .enumerate()
            .map(|(j, &m)| {
                if live.contains(&j) && j != small {
                    m
                } else {
                    (f64::INFINITY, f64::INFINITY)
                }
            })
            .collect();
        let to = nearest(means[small], &others, Some(small));
        of.iter_mut().filter(|g| **g == small).for_each(|g| *g = to);
    }
    // Number the groups in order of their smallest region index.
    let mut rename = vec![u32::MAX; means.len()];
    let mut next = 0;
    for &g in &of {
        if rename[g] == u32::MAX {
            rename[g] = next;
            next += 1;
        }
    }
    of.iter().map(|&g| rename[g]).collect()
}

/// Mean and SD of the clean marginals pooled over groups (weights = fitted
/// stations), with Sheppard's correction for the bin width.
fn clean_summary(g: Grid, e: &Estimate, counts: &[f64]) -> CleanParams {
    let ng = e.params.ng;
    let summary = |c: &[f64], n: usize| {
        let h = 1.0 / n as f64;
        let w: Vec<f64> = (0..n)
            .map(|i| (0..ng).map(|k| c[i * ng + k] * counts[k]).sum::<f64>())
            .collect();
        let tot = w.iter().sum::<f64>().max(1e-300);
        let x = |i: usize| (i as f64 + 0.5) * h;
        let mean = w.iter().enumerate().map(|(i, w)| w * x(i)).sum::<f64>() / tot;
        let var = w
            .iter()
            .enumerate()
            .map(|(i, w)| w * (x(i) - mean).powi(2))
            .sum::<f64>()
            / tot;
        (mean, (var - h * h / 12.0).max(0.0).sqrt())
    };
    let (mu_t, sigma_t) = summary(&e.params.ct, g.nx);
    let (mu_s, sigma_s) = summary(&e.params.cs, g.ny);
    CleanParams {
        mu_t,
        sigma_t,
        mu_s,
        sigma_s,
        theta: theta_at(e.k),
    }
}

/// Fit the Klimek model; Err(reason) when it does not apply (fewer than 500
/// usable stations, no variation, inconsistent input).
pub fn fit(input: &KlimekInput, opts: &KlimekOptions) -> Result<KlimekFit, String> {
    let pr = prepare(input, opts)?;
    let e = point_fit(&pr);
    // One set of kernels at the fitted alpha for the interval, the self-null and the jackknife.
    let ks = KernelSet::new(pr.g, e.alpha, pr.r, 0, THETA_STEPS);
    let mut cal = calibrate(&pr, &e, &ks, opts.bootstrap.max(MIN_BOOTSTRAP), opts.seed);
    let null = SelfNull::from_replicates(
        coarse(e.fi) + e.fe,
        &self_null(&pr, &e, &ks, opts.self_null, opts.seed),
    );
    let mut fe_interval = cal.fe_interval;
    if let Some((se_i, se_e)) = jackknife(&pr, &e, &ks) {
        // Add the jackknife's excess variance over the bootstrap's to each
        // half-width (for f_i in the units of the calibrated estimate, hence
        // the division by the MLE's slope).
        let z = norm_quantile(0.5 + CONFIDENCE / 2.0);
        let widen = |p: f64, (lo, hi): (f64, f64), se_j: f64, se_b: f64, slope: f64| {
            let extra = z * (se_j * se_j - se_b * se_b).max(0.0).sqrt() / slope;
            let lo = p - ((p - lo).powi(2) + extra * extra).sqrt();
            let hi = p + ((hi - p).powi(2) + extra * extra).sqrt();
            (lo.max(0.0), hi.min(1.0))
        };
        cal.fi_interval = widen(cal.fi, cal.fi_interval, se_i, cal.se_boot.0, cal.slope);
        fe_interval = widen(e.fe, fe_interval, se_e, cal.se_boot.1, 1.0);
    }
    // Fitted fingerprint: each group's cell probabilities times its usable
    // stations; deviance on the fitted sample.
    let (g, ng) = (pr.g, pr.obs.ng);
    let k = (e.k.round() as usize).min(THETA_STEPS - 1);
    let m = ks.model(g, k, None).probabilities(&e.params);
    let mut fitted = vec![0.0; g.cells()];
    let mut distance = 0.0;
    for (c, f) in fitted.iter_mut().enumerate() {
        for j in 0..ng {
            let q = m[c * ng + j];
            *f += pr.full_count[j] * q;
            let o = pr.obs.hist[c * ng + j];
            if o > 0.0 {
                distance += 2.0 * o * (o / (pr.obs.count[j] * q).max(1e-300)).ln();
            }
        }
    }
    Ok(KlimekFit {
        f_i: cal.fi,
        f_i_interval: cal.fi_interval,
        f_i_mle: e.fi,
        f_e: e.fe,
        f_e_interval: fe_interval,
        alpha: e.alpha,
        confidence: CONFIDENCE,
        distance,
        clean: clean_summary(g, &e, &pr.obs.count),
        groups: ng,
        stations_used: pr.usable,
        stations_fitted: pr.sample.registered.len(),
        stations_skipped: pr.skipped,
        observed: pr.full,
        fitted,
        bootstrap_used: cal.used,
        self_null: null,
    })
}

#[cfg(test)]
#[path = "klimek_fit/tests.rs"]
mod tests;

#[cfg(test)]
#[path = "klimek_fit/study.rs"]
mod study;
