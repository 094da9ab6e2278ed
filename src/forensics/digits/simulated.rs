//! Simulated digit nulls (`--simulate-digit-nulls`): the null moments of `null` estimated from
//! replicates of the null model instead of computed exactly (`exact`). Also the reference the exact
//! moments are tested against.
//!
//! One standard-normal draw per station and replicate feeds both redraws: the last-digit family's
//! `c + σZ` (rounded, reflected at 0) and the leading-digit family's normal approximation to the
//! shrunken-share binomial. Each replicate's histograms are accumulated in the finest groups and
//! rolled up into their parents; every statistic and digit share is computed per group and
//! replicate and summarised by its running mean and variance, and the replicates at least as large
//! as observed give the empirical exceedance p-value.
//!
//! Cost is stations × replicates draws per subject; `Params::max_station_draws` caps it (large
//! elections get fewer replicates, never under `MIN_REPLICATES`; moment-matched p-values need only
//! the simulated mean and variance, which 200 replicates estimate within about 10 %).
//!
//! Determinism: replicate r of candidate c uses its own ChaCha8 stream seeded from (seed, c, r);
//! replicates run in parallel in chunks and are folded in replicate order, so results do not depend
//! on the number of threads.

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::forensics::digits::laws::{shares, DigitHist};
use crate::forensics::digits::null::{mix, stat_values, GroupMoments, NullMoments, Setup, N_STATS};

/// Jitter (votes) of the smooth-count null for the last digit; see `digits::SMOOTH_SIGMA`.
const JITTER_LAST: f64 = crate::forensics::digits::laws::SMOOTH_SIGMA;
/// Replicates evaluated in parallel before folding in order.
const CHUNK: usize = 64;

/// Running mean and variance (Welford), folded in a fixed order.
#[derive(Debug, Clone, Default)]
struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    fn sd(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).sqrt()
        }
    }

    fn null(&self) -> NullMoments {
        NullMoments {
            mean: self.mean,
            var: self.sd().powi(2),
        }
    }
}

/// Round to the nearest integer, negatives to 0. Truncation of x + 0.5 compiles to one instruction
/// on every x86-64 (`f64::round` is a library call without SSE4.1); ties have probability zero here.
#[inline]
fn round_non_negative(x: f64) -> u64 {
    if x <= 0.0 {
        0
    } else {
        (x + 0.5) as u64
    }
}

/// What one replicate contributes to a group: its statistics and the digit shares of the bands
/// (last, second, first, last two). Computed inside the parallel replicate loop; folded in order.
struct ReplicateGroup {
    values: [f64; N_STATS],
    last: [f64; 10],
    second: [f64; 10],
    first: [f64; 9],
    last2: [f64; 100],
}

/// Null moments of every group of `setup` from `replicates` draws seeded from `base`.
pub fn moments(setup: &Setup, replicates: usize, base: u64) -> Vec<GroupMoments> {
    let n_groups = setup.n_groups;
    let (stations, fine, rollup) = (&setup.stations, &setup.fine, &setup.rollup);
    let (smooth, wants_last2, observed_stats) =
        (&setup.smooth, &setup.wants_last2, &setup.observed_stats);
    let mut sims: Vec<Vec<Moments>> = vec![vec![Moments::default(); N_STATS]; n_groups];
    let mut exceed = vec![[0u32; N_STATS]; n_groups];
    let mut bands: Vec<[Vec<Moments>; 4]> = (0..n_groups)
        .map(|_| {
            [
                vec![Moments::default(); 10],
                vec![Moments::default(); 10],
                vec![Moments::default(); 9],
                vec![Moments::default(); 100],
            ]
        })
        .collect();
    let mut start = 0;
    while start < replicates {
        let end = (start + CHUNK).min(replicates);
        let chunk: Vec<Vec<ReplicateGroup>> = (start..end)
            .into_par_iter()
            .map(|r| {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(mix(base ^ mix(r as u64)));
                // Accumulate into the finest groups only; coarser groups are sums of them.
                let mut hists = vec![DigitHist::default(); n_groups];
                for (i, st) in stations.iter().enumerate() {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    // Reflected at 0 (clamping would pile counts on 0 and make 0 % too common).
                    let last = round_non_negative((st.count + JITTER_LAST * z).abs());
                    let lead = round_non_negative(st.mu + st.sd * z).min(st.total);
                    let h = &mut hists[fine[i] as usize];
                    h.add_last(last);
                    h.add_last2(last);
                    h.add_leading(lead);
                }
                for &(child, parent) in rollup {
                    let (c, p) = if child > parent {
                        let (lo, hi) = hists.split_at_mut(child);
                        (&hi[0], &mut lo[parent])
                    } else {
                        let (lo, hi) = hists.split_at_mut(parent);
                        (&lo[child], &mut hi[0])
                    };
                    p.merge(c);
                }
                hists
                    .iter()
                    .enumerate()
                    .map(|(g, h)| ReplicateGroup {
                        values: stat_values(h, &smooth[g], wants_last2[g]),
                        last: shares(&h.last_ge10),
                        second: shares(&h.second_ge10),
                        first: shares(&h.first_ge1),
                        last2: shares(&h.last2_ge100),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for groups in chunk {
            for (g, rg) in groups.iter().enumerate() {
                let values = rg.values;
                for s in 0..N_STATS {
                    sims[g][s].push(values[s]);
                    if values[s] >= observed_stats[g][s] {
                        exceed[g][s] += 1;
                    }
                }
                let [bl, bs, bf, bl2] = &mut bands[g];
                for (m, &v) in bl.iter_mut().zip(&rg.last) {
                    m.push(v);
                }
                for (m, &v) in bs.iter_mut().zip(&rg.second) {
                    m.push(v);
                }
                for (m, &v) in bf.iter_mut().zip(&rg.first) {
                    m.push(v);
                }
                for (m, &v) in bl2.iter_mut().zip(&rg.last2) {
                    m.push(v);
                }
            }
        }
        start = end;
    }
    (0..n_groups)
        .zip(bands)
        .map(|(g, [last, second, first, last2])| {
            let to = |m: &[Moments]| -> Vec<NullMoments> { m.iter().map(Moments::null).collect() };
            let stats: Vec<NullMoments> = to(&sims[g]);
            GroupMoments {
                stats: stats.try_into().expect("N_STATS statistics"),
                last: to(&last).try_into().expect("10 digits"),
                second: to(&second).try_into().expect("10 digits"),
                first: to(&first).try_into().expect("9 digits"),
                last2: to(&last2),
                exceed: Some(exceed[g]),
            }
        })
        .collect()
}
