//! The digit nulls, shared by all digit tests: for one candidate, the observed digit histograms of
//! every group (the whole dataset and each region of the levels analysed) and the null mean and
//! variance of every digit statistic and digit share, from which the p-values are formed.
//!
//! The null model (what an honest version of the candidate's station counts looks like):
//!
//! - **Last-digit family** (last digit, last-digit mean, 0/5 endings, digit pairs, last two digits):
//!   the *smooth-count null*. Each count is redrawn as `c + σZ` (rounded, reflected at 0), i.e. from
//!   the observed count distribution convolved with a Gaussian kernel, whose last digits are the
//!   smooth-count expectation (σ = 5 votes). The last two digits are compared with each
//!   histogram's own kernel smoothing (`digits::smooth_last2`), so their null includes the part of
//!   the noise the smoothing absorbs and the smoothing's own bias on steep shapes (see
//!   `last_two_digits`). This keeps each station's magnitude, so small-count slopes, caps and coarse
//!   percentages at small denominators are reproduced, but carries no digit preference.
//!   The naive redraw `Bin(N, c/N)` is avoided on purpose: it adds binomial variance on top of the
//!   observed spread and is anti-conservative for small parties (methods.md §12).
//! - **Leading-digit family** (second-digit law and mean, first-digit law): per-station binomial
//!   resampling (Kobak et al. 2016; Rozenas 2017) with *shrunken shares*: p*ᵢ = m + k (sᵢ − m) per
//!   top-level region, k = √max(0, 1 − E[m(1 − m)/Nᵢ] / Var(sᵢ)), so that the redrawn counts have
//!   the observed spread instead of the observed spread plus binomial noise; counts follow the
//!   normal approximation to Bin(Nᵢ, p*ᵢ), rounded and clipped to [0, Nᵢ].
//!
//! Rounded percentages ending in 0 or 5 (`p05_share`) have their honest mean and variance as exact
//! sums over the stations' denominators (`percent_grid`), accumulated with the observed histograms.
//!
//! **Moments.** By default they are exact (`exact`): sums of each station's digit probabilities
//! under the model, through the delta method and the moments of quadratic forms. With
//! `--simulate-digit-nulls` they are estimated from `--replicates` draws of the model instead
//! (`simulated`), which also gives the empirical exceedance p-value.
//!
//! Calibrated p-values use the moments: χ²-type statistics (one-sided) against a scaled χ² with the
//! null mean and variance (Satterthwaite 1946), means and shares (two-sided) against a normal with
//! the null mean and SD. Moment matching gives p-values below 1/(R + 1), which Benjamini–Hochberg
//! needs when hundreds of findings are tested.

use crate::forensics::battery::Spread;
use crate::forensics::digits::last_two_digits::MIN_N as LAST2_MIN_N;
use crate::forensics::digits::laws::{
    benford_first, benford_second, hist_mean, smooth_expected, smooth_last2, DigitHist,
};
use crate::forensics::Params;
use crate::stats::goodness_of_fit::{chi_square_sf, fit};
use crate::tally::Tally;

/// The digit statistics every replicate is summarised by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    LastChi2,
    LastMeanGe10,
    LastMeanAll,
    C05Ge10,
    C05All,
    P05,
    Repeated,
    AdjacentLinear,
    AdjacentCircular,
    Last2Chi2,
    SecondChi2,
    SecondMean,
    FirstChi2,
}

pub const N_STATS: usize = 13;

impl Stat {
    /// χ²-type statistics are one-sided (large = deviating); the others two-sided.
    pub fn one_sided(self) -> bool {
        matches!(
            self,
            Stat::LastChi2 | Stat::Last2Chi2 | Stat::SecondChi2 | Stat::FirstChi2
        )
    }
}

/// Every statistic of one histogram. `smooth_last` is the smooth-count expectation of the last
/// digit; the last-two-digit χ² (against the histogram's own smoothing, ~6,000 operations) is only
/// computed when `last2` is set (groups where that test applies), NaN otherwise.
pub fn stat_values(h: &DigitHist, smooth_last: &[f64; 10], last2: bool) -> [f64; N_STATS] {
    let n10 = h.n_ge10().max(1) as f64;
    let nall = h.n_all().max(1) as f64;
    let (rep, adj, npairs) = h.pairs();
    let circ = h.last2_ge10[9] as f64 + h.last2_ge10[90] as f64;
    let npairs = npairs.max(1) as f64;
    let mut v = [0.0; N_STATS];
    v[Stat::LastChi2 as usize] = fit(&h.last_ge10.map(u64::from), smooth_last).chi_square;
    v[Stat::LastMeanGe10 as usize] = hist_mean(&h.last_ge10, 0);
    v[Stat::LastMeanAll as usize] = hist_mean(&h.last_all, 0);
    v[Stat::C05Ge10 as usize] = (h.last_ge10[0] + h.last_ge10[5]) as f64 / n10;
    v[Stat::C05All as usize] = (h.last_all[0] + h.last_all[5]) as f64 / nall;
    v[Stat::P05 as usize] = h.p05_hits as f64 / h.p05_n.max(1) as f64;
    v[Stat::Repeated as usize] = rep as f64 / npairs;
    v[Stat::AdjacentLinear as usize] = adj as f64 / npairs;
    v[Stat::AdjacentCircular as usize] = (adj as f64 + circ) / npairs;
    v[Stat::Last2Chi2 as usize] = if last2 {
        fit(&h.last2_ge100.map(u64::from), &smooth_last2(h)).chi_square
    } else {
        f64::NAN
    };
    let (second, first) = &*BENFORD;
    v[Stat::SecondChi2 as usize] = fit(&h.second_ge10.map(u64::from), second).chi_square;
    v[Stat::SecondMean as usize] = hist_mean(&h.second_ge10, 0);
    v[Stat::FirstChi2 as usize] = fit(&h.first_ge1.map(u64::from), first).chi_square;
    v
}

/// The Benford second- and first-digit laws, computed once (90 logarithms that every replicate's
/// statistics would otherwise recompute).
static BENFORD: std::sync::LazyLock<([f64; 10], [f64; 9])> =
    std::sync::LazyLock::new(|| (benford_second(), benford_first()));

/// The simulated null of one group (the whole dataset or one region).
#[derive(Debug, Clone)]
pub struct GroupNull {
    /// Region path; `None` for the whole dataset.
    pub region: Option<Vec<String>>,
    pub observed: DigitHist,
    /// Smooth-count expectation of the last digit of counts ≥ 10 (from the observed counts).
    pub smooth_last: [f64; 10],
    /// Smooth-count expectation of the last two digits of counts ≥ 100 (`digits::smooth_last2`).
    pub expected_last2: [f64; 100],
    /// Observed value of every statistic.
    pub observed_stats: [f64; N_STATS],
    /// Null moments of every statistic.
    pub sim: Vec<NullMoments>,
    /// Simulated replicates with a statistic at least as large as observed (one-sided statistics);
    /// `None` for exact moments.
    pub exceed: Option<[u32; N_STATS]>,
    /// Null moments of each digit share: last digit (counts ≥ 10), second digit, first digit,
    /// last two digits (counts ≥ 100).
    pub band_last: Vec<NullMoments>,
    pub band_second: Vec<NullMoments>,
    pub band_first: Vec<NullMoments>,
    pub band_last2: Vec<NullMoments>,
    /// Median of all counts and number of stations in the group.
    pub median_all: u64,
    /// How narrowly the counts are concentrated (for registered voters, `battery::spread_reason`).
    pub spread: Spread,
    /// Whether the smooth-count idea resolves these counts at this size (`resolution`).
    pub resolution: crate::forensics::digits::resolution::Resolution,
    /// Bound on the share of the P05 hit pattern the group's smooth share spread can carry
    /// (`percent_grid::Spread`), averaged over its comparison components.
    pub p05_bound: f64,
    /// 5th and 95th percentiles of the positive counts (0 when there are none): how many orders of
    /// magnitude the counts span, for the first-digit law's applicability.
    pub q05_positive: u64,
    pub q95_positive: u64,
    pub n_stations: u64,
    /// How the moments were obtained.
    pub method: NullMethod,
    /// `--replicates`: the resolution of a p-value when the null cannot vary (exact moments).
    pub replicates_requested: u32,
}

/// How a group's null moments were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullMethod {
    /// From each station's digit probabilities (`exact`).
    Exact,
    /// From simulated replicates (`simulated`).
    Simulated { replicates: u32 },
}

/// Null mean and variance of one statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NullMoments {
    pub mean: f64,
    pub var: f64,
}

impl NullMoments {
    /// A statistic that cannot vary.
    pub fn constant(x: f64) -> NullMoments {
        NullMoments { mean: x, var: 0.0 }
    }

    pub fn sd(&self) -> f64 {
        self.var.max(0.0).sqrt()
    }
}

/// What a moment method (`exact`, `simulated`) returns for one group.
#[derive(Debug, Clone)]
pub struct GroupMoments {
    pub stats: [NullMoments; N_STATS],
    pub last: [NullMoments; 10],
    pub second: [NullMoments; 10],
    pub first: [NullMoments; 9],
    pub last2: Vec<NullMoments>,
    /// Replicates at least as large as observed, per statistic (simulation only).
    pub exceed: Option<[u32; N_STATS]>,
}

/// What a moment method needs: the stations of one subject and how groups nest.
pub struct Setup {
    pub stations: Vec<Station>,
    /// Each station's finest group.
    pub fine: Vec<u32>,
    /// (child, parent) pairs rolling finer groups into coarser ones, deepest level first.
    pub rollup: Vec<(usize, usize)>,
    pub n_groups: usize,
    /// Smooth-count expectation of the last digit, per group.
    pub smooth: Vec<[f64; 10]>,
    /// Groups where the last-two-digit statistic is computed.
    pub wants_last2: Vec<bool>,
    pub observed_stats: Vec<[f64; N_STATS]>,
    /// Observed histograms and last-two-digit expectations, per group: the exact moments are those
    /// of the statistics over the cells the observed statistic pools.
    pub observed: Vec<DigitHist>,
    pub expected_last2: Vec<[f64; 100]>,
}

/// Calibrated p-value of a statistic, and the empirical one for one-sided statistics.
#[derive(Debug, Clone, Copy)]
pub struct Calibrated {
    pub p: f64,
    /// (1 + exceedances) / (R + 1) for one-sided statistics; NaN for two-sided ones.
    pub p_empirical: f64,
    pub sim_mean: f64,
    pub sim_sd: f64,
}

impl GroupNull {
    pub fn stat(&self, s: Stat) -> f64 {
        self.observed_stats[s as usize]
    }

    /// Calibrated p-value of a statistic (see the module doc).
    pub fn calibrated(&self, s: Stat) -> Calibrated {
        let m = &self.sim[s as usize];
        let (mean, sd) = (m.mean, m.sd());
        let t = self.stat(s);
        // Without spread (too few replicates, or a statistic that cannot vary) the moments say
        // nothing: fall back to the resolution 1/(R + 1) (simulated: the empirical p), never to 0.
        let replicates = match self.method {
            NullMethod::Exact => self.replicates_requested,
            NullMethod::Simulated { replicates } => replicates,
        };
        let floor = 1.0 / (replicates as f64 + 1.0);
        let degenerate = replicates < 2 || sd <= 0.0 || sd.is_nan();
        let exceed = self.exceed.map(|e| e[s as usize]);
        let p = if s.one_sided() {
            if degenerate || mean <= 0.0 {
                match exceed {
                    Some(e) => (1.0 + e as f64) * floor,
                    None if t > mean + 1e-12 => floor,
                    None => 1.0,
                }
            } else {
                let scale = sd * sd / (2.0 * mean);
                let dof = 2.0 * mean * mean / (sd * sd);
                chi_square_sf(t / scale, dof)
            }
        } else if degenerate {
            if (t - mean).abs() > 1e-12 {
                floor
            } else {
                1.0
            }
        } else {
            let z = (t - mean) / sd;
            2.0 * normal_sf(z.abs())
        };
        let p_empirical = match exceed {
            Some(e) if s.one_sided() => (1.0 + e as f64) * floor,
            _ => f64::NAN,
        };
        Calibrated {
            p: p.clamp(0.0, 1.0),
            p_empirical,
            sim_mean: mean,
            sim_sd: sd,
        }
    }

    /// 95 % band (null mean ± 1.96 SD) of each digit share.
    pub fn band(moments: &[NullMoments]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mean = moments.iter().map(|m| m.mean).collect();
        let lo = moments
            .iter()
            .map(|m| (m.mean - 1.959964 * m.sd()).max(0.0))
            .collect();
        let hi = moments.iter().map(|m| m.mean + 1.959964 * m.sd()).collect();
        (mean, lo, hi)
    }
}

/// Upper tail of the standard normal.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2)
}

/// The digit nulls of one candidate: group 0 is the whole dataset, then the regions of each level
/// analysed (top level first), in region order.
#[derive(Debug, Clone)]
pub struct DigitNull {
    pub groups: Vec<GroupNull>,
    /// Index of the first group of each level (level `l` spans `level_start[l]..level_start[l+1]`).
    pub level_start: Vec<usize>,
}

pub(crate) fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// What the replicate loop needs of a station.
pub struct Station {
    /// The observed count.
    pub count: f64,
    /// Mean and SD of the leading-digit redraw, and the cap (the station's share denominator).
    pub mu: f64,
    pub sd: f64,
    pub total: u64,
}

/// Per-station parameters of the leading-digit model (normal approximation to the binomial);
/// `region` is each station's top-level region code.
fn binomial_params(region: &[u32], votes: &[u64], totals: &[u64]) -> Vec<(f64, f64, u64)> {
    let n = votes.len();
    let k_regions = region.iter().copied().max().map_or(1, |m| m as usize + 1);
    let (mut sum_c, mut sum_n) = (vec![0f64; k_regions], vec![0f64; k_regions]);
    for i in 0..n {
        sum_c[region[i] as usize] += votes[i] as f64;
        sum_n[region[i] as usize] += totals[i] as f64;
    }
    let m: Vec<f64> = (0..k_regions)
        .map(|r| {
            if sum_n[r] > 0.0 {
                sum_c[r] / sum_n[r]
            } else {
                0.0
            }
        })
        .collect();
    let (mut var, mut ebin, mut cnt) = (
        vec![0f64; k_regions],
        vec![0f64; k_regions],
        vec![0f64; k_regions],
    );
    for i in 0..n {
        let total = totals[i];
        if total == 0 {
            continue;
        }
        let r = region[i] as usize;
        let s = votes[i] as f64 / total as f64;
        var[r] += (s - m[r]).powi(2);
        ebin[r] += m[r] * (1.0 - m[r]) / total as f64;
        cnt[r] += 1.0;
    }
    let k: Vec<f64> = (0..k_regions)
        .map(|r| {
            if var[r] > 0.0 {
                (1.0 - ebin[r] / var[r]).max(0.0).sqrt()
            } else {
                0.0
            }
        })
        .collect();
    (0..n)
        .map(|i| {
            let total = totals[i];
            if total == 0 {
                return (0.0, 0.0, 0);
            }
            let r = region[i] as usize;
            let s = votes[i] as f64 / total as f64;
            let p = (m[r] + k[r] * (s - m[r])).clamp(0.0, 1.0);
            let t = total as f64;
            (t * p, (t * p * (1.0 - p)).sqrt(), total)
        })
        .collect()
}

/// The P05 comparison component of each kept station: its region at the deepest level whose
/// regions have a median of at least 30 stations (0 for every station when none has).
fn p05_components(tally: &Tally, keep: &[usize]) -> Vec<u32> {
    let level = tally.regions.iter().rev().find(|l| {
        let mut sizes = vec![0usize; l.paths.len()];
        for &c in &l.codes {
            sizes[c as usize] += 1;
        }
        sizes.retain(|&s| s > 0);
        sizes.sort_unstable();
        sizes.get(sizes.len() / 2).is_some_and(|&m| m >= 30)
    });
    match level {
        Some(l) => keep.iter().map(|&i| l.codes[i]).collect(),
        None => vec![0; keep.len()],
    }
}

/// The digit nulls of one subject's counts (`totals` are the share denominators, e.g. valid
/// votes); `stream` distinguishes subjects in the seeding. Regions come from the tally. Stations
/// marked in `absent` (where a candidate does not stand, `candidacy`) are left out entirely.
pub fn build(
    tally: &Tally,
    stream: u64,
    votes: &[u64],
    totals: &[u64],
    absent: &[bool],
    params: &Params,
) -> DigitNull {
    let keep: Vec<usize> = (0..votes.len())
        .filter(|&i| !absent.get(i).copied().unwrap_or(false))
        .collect();
    let votes: Vec<u64> = keep.iter().map(|&i| votes[i]).collect();
    let totals: Vec<u64> = keep.iter().map(|&i| totals[i]).collect();
    let n = votes.len();
    // Groups: 0 = whole dataset, then each analysed level's regions.
    let levels: Vec<&crate::tally::RegionLevel> = tally
        .regions
        .iter()
        .take(params.region_depth.max(1))
        .collect();
    let codes: Vec<Vec<u32>> = levels
        .iter()
        .map(|l| keep.iter().map(|&i| l.codes[i]).collect())
        .collect();
    let top_region: Vec<u32> = tally
        .regions
        .first()
        .map(|l| keep.iter().map(|&i| l.codes[i]).collect())
        .unwrap_or_else(|| vec![0; n]);
    let mut level_start = Vec::new();
    let mut regions: Vec<Option<Vec<String>>> = vec![None];
    for level in &levels {
        level_start.push(regions.len());
        regions.extend(level.paths.iter().map(|p| Some(p.clone())));
    }
    let n_groups = regions.len();
    let station_groups = |i: usize| -> Vec<usize> {
        std::iter::once(0)
            .chain(
                codes
                    .iter()
                    .zip(&level_start)
                    .map(|(c, &s)| s + c[i] as usize),
            )
            .collect()
    };
    let memberships: Vec<Vec<usize>> = (0..n).map(station_groups).collect();

    let mut observed = vec![DigitHist::default(); n_groups];
    let mut group_values: Vec<Vec<u64>> = vec![Vec::new(); n_groups];
    let mut grid = crate::forensics::digits::percent_grid::Expectations::default();
    // The spread of the window shares per (group, comparison component) for the P05 bound.
    let component = p05_components(tally, &keep);
    let mut spreads05: std::collections::BTreeMap<
        (usize, u32),
        crate::forensics::digits::percent_grid::Spread,
    > = Default::default();
    for i in 0..n {
        let (v, t) = (votes[i], totals[i]);
        let inside = crate::forensics::digits::percent_grid::in_window(v, t);
        let e = if inside { grid.get(t) } else { 0.0 };
        if inside {
            for &g in &memberships[i] {
                spreads05
                    .entry((g, component[i]))
                    .or_default()
                    .add(v as f64 / t as f64);
            }
        }
        for &g in &memberships[i] {
            let h = &mut observed[g];
            h.add_last(v);
            h.add_last2(v);
            h.add_leading(v);
            h.add_percent(v, t, e);
            group_values[g].push(v);
        }
    }
    let mut p05_bound = vec![0.0f64; n_groups];
    for (&(g, _), sp) in &spreads05 {
        p05_bound[g] += sp.n() * sp.bound();
    }
    for (g, b) in p05_bound.iter_mut().enumerate() {
        *b /= f64::from(observed[g].p05_n.max(1));
    }
    let expected_last2: Vec<[f64; 100]> = observed.iter().map(smooth_last2).collect();
    // The last-two-digit statistic costs ~6,000 operations per group and replicate: only where
    // the test can apply.
    let wants_last2: Vec<bool> = observed
        .iter()
        .map(|h| h.last2_ge100.iter().map(|&c| u64::from(c)).sum::<u64>() >= LAST2_MIN_N)
        .collect();
    let smooth: Vec<[f64; 10]> = group_values
        .iter()
        .map(|v| smooth_expected(v, 10))
        .collect();
    let observed_stats: Vec<[f64; N_STATS]> = observed
        .iter()
        .zip(&smooth)
        .zip(&wants_last2)
        .map(|((h, s), &l2)| stat_values(h, s, l2))
        .collect();
    let resolutions: Vec<crate::forensics::digits::resolution::Resolution> = group_values
        .iter()
        .map(|v| crate::forensics::digits::resolution::check(v))
        .collect();
    let medians: Vec<u64> = group_values
        .iter_mut()
        .map(|v| {
            if v.is_empty() {
                0
            } else {
                let mid = (v.len() - 1) / 2;
                *v.select_nth_unstable(mid).1
            }
        })
        .collect();
    let spreads: Vec<Spread> = group_values
        .iter_mut()
        .map(|v| {
            v.sort_unstable();
            Spread::of_sorted(v)
        })
        .collect();
    let n_stations: Vec<u64> = group_values.iter().map(|v| v.len() as u64).collect();
    let quantiles: Vec<(u64, u64)> = group_values
        .iter_mut()
        .map(|v| {
            v.retain(|&x| x > 0);
            if v.is_empty() {
                return (0, 0);
            }
            let last = v.len() - 1;
            let lo = *v.select_nth_unstable(last * 5 / 100).1;
            let hi = *v.select_nth_unstable(last * 95 / 100).1;
            (lo, hi)
        })
        .collect();
    drop(group_values);

    let binom = binomial_params(&top_region, &votes, &totals);
    let stations: Vec<Station> = (0..n)
        .map(|i| Station {
            count: votes[i] as f64,
            mu: binom[i].0,
            sd: binom[i].1,
            total: binom[i].2,
        })
        .collect();
    drop(binom);
    // Each station's finest group, and the (child, parent) pairs that roll finer groups up into
    // coarser ones, deepest level first, so a parent is complete before it is added to its own parent.
    let fine: Vec<u32> = (0..n)
        .map(|i| *memberships[i].last().unwrap_or(&0) as u32)
        .collect();
    let mut rollup: Vec<(usize, usize)> = Vec::new();
    for depth in (1..memberships.first().map_or(1, Vec::len)).rev() {
        let mut seen = std::collections::BTreeSet::new();
        for m in &memberships {
            if seen.insert(m[depth]) {
                rollup.push((m[depth], m[depth - 1]));
            }
        }
    }
    drop(memberships);
    let setup = Setup {
        stations,
        fine,
        rollup,
        n_groups,
        smooth,
        wants_last2,
        observed_stats,
        observed,
        expected_last2,
    };
    let (moments, method) = if params.simulate_digit_nulls {
        let replicates = params.replicates_for(n);
        let base = mix(params.seed ^ mix(stream + 1));
        (
            crate::forensics::digits::simulated::moments(&setup, replicates as usize, base),
            NullMethod::Simulated { replicates },
        )
    } else {
        (
            crate::forensics::digits::exact::moments(&setup),
            NullMethod::Exact,
        )
    };
    // What the groups keep of the setup; the stations are dropped here.
    let Setup {
        smooth,
        observed_stats,
        observed,
        expected_last2,
        ..
    } = setup;
    let groups = moments
        .into_iter()
        .zip(observed)
        .enumerate()
        .map(|(g, (m, observed))| GroupNull {
            region: regions[g].clone(),
            observed,
            smooth_last: smooth[g],
            expected_last2: expected_last2[g],
            observed_stats: observed_stats[g],
            sim: m.stats.to_vec(),
            exceed: m.exceed,
            band_last: m.last.to_vec(),
            band_second: m.second.to_vec(),
            band_first: m.first.to_vec(),
            band_last2: m.last2,
            median_all: medians[g],
            spread: spreads[g],
            resolution: resolutions[g],
            p05_bound: p05_bound[g],
            q05_positive: quantiles[g].0,
            q95_positive: quantiles[g].1,
            n_stations: n_stations[g],
            method,
            replicates_requested: params.replicates,
        })
        .collect();
    level_start.push(n_groups);
    DigitNull {
        groups,
        level_start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::{Candidate, RegionLevel};
    use rand::{RngExt, SeedableRng};
    use rand_distr::{Binomial, Distribution};

    /// An honest synthetic tally: one large and one small party, two regions.
    pub(crate) fn honest_tally(seed: u64, stations: usize) -> Tally {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut t = Tally {
            name: "t".into(),
            ..Default::default()
        };
        let mut big = Vec::new();
        let mut small = Vec::new();
        let mut codes = Vec::new();
        for i in 0..stations {
            let valid: u64 = rng.random_range(150..1100);
            let share = 0.45 + 0.1 * (rng.random::<f64>() - 0.5);
            let b = Binomial::new(valid, share).unwrap().sample(&mut rng);
            let s = Binomial::new(valid - b, 0.08).unwrap().sample(&mut rng);
            t.station_keys.push(i.to_string());
            t.valid.push(valid);
            t.ballots_cast.push(valid);
            big.push(b);
            small.push(s);
            codes.push((i % 2) as u32);
        }
        t.candidates = vec![
            Candidate {
                name: "Big".into(),
                source: "big".into(),
                votes: big,
            },
            Candidate {
                name: "Small".into(),
                source: "small".into(),
                votes: small,
            },
        ];
        t.regions = vec![RegionLevel {
            source_codes: None,
            name: "region".into(),
            codes,
            paths: vec![vec!["A".into()], vec!["B".into()]],
        }];
        t
    }

    #[test]
    fn deterministic_and_thread_independent() {
        let t = honest_tally(1, 2000);
        for simulate in [false, true] {
            let params = Params {
                replicates: 100,
                simulate_digit_nulls: simulate,
                ..Params::default()
            };
            let v = &t.candidates[0].votes;
            let a = build(&t, 0, v, &t.valid, &[], &params);
            let b = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap()
                .install(|| build(&t, 0, v, &t.valid, &[], &params));
            for (x, y) in a.groups.iter().zip(&b.groups) {
                for s in [Stat::LastChi2, Stat::Last2Chi2, Stat::SecondMean] {
                    assert_eq!(x.calibrated(s).p.to_bits(), y.calibrated(s).p.to_bits());
                }
                assert_eq!(x.exceed, y.exceed);
                assert_eq!(x.exceed.is_some(), simulate);
            }
            assert_eq!(a.groups.len(), 3);
            assert_eq!(a.groups[1].region, Some(vec!["A".to_string()]));
        }
    }

    #[test]
    fn simulated_null_matches_theory_for_large_counts() {
        let t = honest_tally(2, 3000);
        let null = build(
            &t,
            0,
            &t.candidates[0].votes,
            &t.valid,
            &[],
            &Params {
                replicates: 300,
                simulate_digit_nulls: true,
                ..Params::default()
            },
        );
        let g = &null.groups[0];
        // Last-digit χ² under the null has mean ≈ 9 (df 9) for large counts.
        let m = &g.sim[Stat::LastChi2 as usize];
        assert!((m.mean - 9.0).abs() < 1.0, "mean χ² {}", m.mean);
        // Mean last digit ≈ 4.5 with SD ≈ √(8.25 / n).
        let lm = &g.sim[Stat::LastMeanGe10 as usize];
        assert!((lm.mean - 4.5).abs() < 0.02, "{}", lm.mean);
        let want_sd = (8.25 / g.observed.n_ge10() as f64).sqrt();
        assert!(
            (lm.sd() / want_sd - 1.0).abs() < 0.15,
            "{} vs {want_sd}",
            lm.sd()
        );
        // Repeated pairs ≈ 0.10, linear adjacent ≈ 0.18.
        assert!((g.sim[Stat::Repeated as usize].mean - 0.10).abs() < 0.005);
        assert!((g.sim[Stat::AdjacentLinear as usize].mean - 0.18).abs() < 0.005);
        // Honest data: calibrated p-values are not extreme.
        for s in [
            Stat::LastChi2,
            Stat::LastMeanGe10,
            Stat::C05Ge10,
            Stat::Repeated,
            Stat::Last2Chi2,
        ] {
            assert!(g.calibrated(s).p > 0.001, "{s:?} p = {}", g.calibrated(s).p);
        }
    }

    #[test]
    fn moment_matched_p_tracks_the_empirical_one() {
        let t = honest_tally(3, 2000);
        let null = build(
            &t,
            1,
            &t.candidates[1].votes,
            &t.valid,
            &[],
            &Params {
                replicates: 400,
                simulate_digit_nulls: true,
                ..Params::default()
            },
        );
        for g in &null.groups {
            let c = g.calibrated(Stat::LastChi2);
            assert!(
                (c.p - c.p_empirical).abs() < 0.1,
                "moment-matched {} vs empirical {}",
                c.p,
                c.p_empirical
            );
        }
    }

    /// The exact moments are what the simulation estimates: every statistic's and share's mean
    /// within 4.5 Monte Carlo SEs of the simulated one and its SD within 10 %, for a large party
    /// (counts in the hundreds) and a small one (counts of 10–99, sloped last digits), nationally
    /// and per region. The cells are not pooled at this size, so both describe one statistic.
    #[test]
    fn exact_moments_agree_with_the_simulation() {
        let t = honest_tally(4, 3000);
        let reps = 2000u32;
        for (c, cand) in t.candidates.iter().enumerate() {
            let run = |simulate| {
                let params = Params {
                    replicates: reps,
                    simulate_digit_nulls: simulate,
                    ..Params::default()
                };
                build(&t, c as u64, &cand.votes, &t.valid, &[], &params)
            };
            let (exact, sim) = (run(false), run(true));
            let mut checked = 0;
            for (e, s) in exact.groups.iter().zip(&sim.groups) {
                let pairs = e
                    .sim
                    .iter()
                    .zip(&s.sim)
                    .enumerate()
                    .filter(|&(i, _)| i != Stat::P05 as usize);
                let bands = [
                    (&e.band_last, &s.band_last),
                    (&e.band_second, &s.band_second),
                    (&e.band_first, &s.band_first),
                    (&e.band_last2, &s.band_last2),
                ];
                let shares = bands
                    .into_iter()
                    .flat_map(|(a, b)| a.iter().zip(b.iter()).enumerate());
                for (i, (x, y)) in pairs.chain(shares) {
                    if y.mean.is_nan() || y.sd() < 1e-9 {
                        continue;
                    }
                    let se = y.sd() / f64::from(reps).sqrt();
                    assert!(
                        (x.mean - y.mean).abs() < 4.5 * se + 1e-9,
                        "{} {:?} #{i}: exact mean {} vs simulated {} (SE {se})",
                        cand.name,
                        e.region,
                        x.mean,
                        y.mean
                    );
                    assert!(
                        (x.sd() / y.sd() - 1.0).abs() < 0.1,
                        "{} {:?} #{i}: exact SD {} vs simulated {}",
                        cand.name,
                        e.region,
                        x.sd(),
                        y.sd()
                    );
                    checked += 1;
                }
            }
            assert!(checked > 100, "{checked}");
        }
    }
}
