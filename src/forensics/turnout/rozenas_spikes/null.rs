//! The windows, the resampled null and Rozenas' spike share of `rozenas_spikes`. Groups are the
//! whole dataset and the regions of every analysed level; each level partitions the stations, so
//! a station belongs to one group per level (`member`, a row of `levels` group indices per
//! station). Every replicate redraws every station's count once, from the fitted mixture of the
//! most specific group it belongs to that has a fit (chosen by the caller), with the station's own
//! denominator, and that one draw is counted in each of its groups: per group, the stations within
//! each fraction's window and the 0.001-grid histogram and kernel density of the shares (the
//! package's `fraud`).

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::mixture::{pick, uniform, BetaMix, Draw, MAX_COMPONENTS};
use super::windows::{land, GRID, K};
use crate::stats::sampling::binomial_u64;

/// Relative margin by which an observed density must exceed the envelope. A replicate that puts
/// the same stations' shares in a bin as the data has the same density, up to the order of its
/// floating-point sum (about 10⁻¹⁶ relative); without the margin such a tie was decided by the
/// last bit, which the rounding of the kernel's exponential (a library's `exp` or ours) and the
/// summation order moved (0.2 points of a small region's spike-share bound).
const TIE: f64 = 1e-9;

/// Bootstrap draws of the spike share's interval.
pub const BOOT: usize = 200;

/// One station: count, denominator, and the mixture it is redrawn from (components, cumulative
/// component responsibilities and the prepared draw of each component).
pub struct Station {
    pub y: u64,
    pub n: u64,
    /// 1/n (0 when n = 0), for `land`.
    inv: f64,
    comps: u8,
    cum: [f32; MAX_COMPONENTS - 1],
    /// The prepared draw of each component (`BetaMix::prepare`).
    draws: [Draw; MAX_COMPONENTS],
}

impl Station {
    pub fn new(fit: &BetaMix, lb: &[f64], y: u64, n: u64) -> Station {
        let mut draws = [Draw::exact(1.0, 1.0); MAX_COMPONENTS];
        for (k, d) in draws.iter_mut().enumerate().take(fit.w.len()) {
            *d = fit.prepare(y, n, k);
        }
        Station {
            y,
            n,
            inv: if n > 0 { 1.0 / n as f64 } else { 0.0 },
            comps: fit.w.len().clamp(1, MAX_COMPONENTS) as u8,
            cum: fit.cumulative(lb, y, n),
            draws,
        }
    }

    /// One posterior-predictive draw of the station's count.
    fn draw(&self, r: &mut ChaCha8Rng) -> u64 {
        let l = usize::from(self.comps);
        // One component: no choice to draw.
        let k = if l == 1 {
            0
        } else {
            pick(&self.cum, l, uniform(r))
        };
        self.draws[k].sample(self.n, r)
    }
}

/// Observed window counts, grid histogram and kernel density of one group.
pub struct Observed {
    pub stations: u64,
    pub counts: [u32; K],
    pub bins: Vec<u32>,
    pub kde: Vec<f64>,
}

/// The observed counts of every group; station i belongs to groups `member[i·levels..][..levels]`.
pub fn observe(
    stations: &[Station],
    member: &[u32],
    levels: usize,
    groups: usize,
) -> Vec<Observed> {
    let mut out: Vec<Observed> = (0..groups)
        .map(|_| Observed {
            stations: 0,
            counts: [0; K],
            bins: vec![0; GRID],
            kde: vec![0.0; GRID],
        })
        .collect();
    for (s, row) in stations.iter().zip(member.chunks_exact(levels)) {
        let (j, w, f) = land(s.y, s.n, s.inv);
        for &g in row {
            let o = &mut out[g as usize];
            o.stations += 1;
            if let Some(f) = f {
                o.counts[f] += 1;
            }
            o.bins[j] += 1;
            o.kde[j] += w;
        }
    }
    for o in &mut out {
        let n = o.stations.max(1) as f64;
        o.kde.iter_mut().for_each(|v| *v /= n);
    }
    out
}

/// The null of every group: the window counts of every replicate (replicate order), the
/// sum over replicates of the grid histogram and the pointwise maximum of the kernel densities
/// (the package's upper envelope `ymax`).
pub struct Null {
    pub counts: Vec<Vec<[u32; K]>>,
    pub bin_sum: Vec<Vec<u64>>,
    pub kde_max: Vec<Vec<f64>>,
    pub replicates: u32,
}

struct Acc {
    counts: Vec<(u32, Vec<[u32; K]>)>,
    bin_sum: Vec<u64>,
    kde_max: Vec<f64>,
    /// One replicate's histogram and density, and the cells it touched (reset after each).
    bins: Vec<u32>,
    kde: Vec<f64>,
    touched: Vec<u32>,
}

/// Simulate `replicates` copies of the dataset (`member` and `levels` as in `observe`);
/// `rng_of(rep)` is the replicate's stream.
pub fn simulate(
    stations: &[Station],
    member: &[u32],
    levels: usize,
    groups: usize,
    replicates: u32,
    rng_of: &(dyn Fn(u32) -> ChaCha8Rng + Sync),
) -> Null {
    let mut sizes = vec![0.0f64; groups];
    for &g in member {
        sizes[g as usize] += 1.0;
    }
    let empty = || Acc {
        counts: Vec::new(),
        bin_sum: vec![0; groups * GRID],
        kde_max: vec![0.0; groups * GRID],
        bins: vec![0; groups * GRID],
        kde: vec![0.0; groups * GRID],
        touched: Vec::new(),
    };
    let acc = (0..replicates)
        .into_par_iter()
        .fold(empty, |mut acc, rep| {
            let mut r = rng_of(rep);
            let mut counts = vec![[0u32; K]; groups];
            for (s, row) in stations.iter().zip(member.chunks_exact(levels)) {
                let y = s.draw(&mut r);
                let (j, w, f) = land(y, s.n, s.inv);
                for &g in row {
                    if let Some(f) = f {
                        counts[g as usize][f] += 1;
                    }
                    let cell = g as usize * GRID + j;
                    if acc.bins[cell] == 0 {
                        acc.touched.push(cell as u32);
                    }
                    acc.bins[cell] += 1;
                    acc.kde[cell] += w;
                }
            }
            // Cells no station reached have density 0, which never raises the envelope.
            for &cell in &acc.touched {
                let i = cell as usize;
                acc.bin_sum[i] += u64::from(acc.bins[i]);
                let v = acc.kde[i] / sizes[i / GRID].max(1.0);
                if v > acc.kde_max[i] {
                    acc.kde_max[i] = v;
                }
                acc.bins[i] = 0;
                acc.kde[i] = 0.0;
            }
            acc.touched.clear();
            acc.counts.push((rep, counts));
            acc
        })
        .reduce(empty, |mut a, b| {
            for i in 0..groups * GRID {
                a.bin_sum[i] += b.bin_sum[i];
                a.kde_max[i] = a.kde_max[i].max(b.kde_max[i]);
            }
            a.counts.extend(b.counts);
            a
        });
    let mut reps = acc.counts;
    reps.sort_by_key(|(rep, _)| *rep);
    Null {
        counts: (0..groups)
            .map(|g| reps.iter().map(|(_, c)| c[g]).collect())
            .collect(),
        bin_sum: acc.bin_sum.chunks(GRID).map(<[u64]>::to_vec).collect(),
        kde_max: acc.kde_max.chunks(GRID).map(<[f64]>::to_vec).collect(),
        replicates,
    }
}

/// Rozenas' estimated share of stations on spikes (the package's `fraud` / 100): the positive
/// excess of the observed share of stations in each 0.001 bin over the replicates' mean share,
/// summed over the bins where the observed kernel density exceeds the upper envelope of the
/// replicates' densities by more than rounding (`TIE`).
pub fn spike_share(
    bins: &[u32],
    kde: &[f64],
    n: f64,
    bin_sum: &[u64],
    kde_max: &[f64],
    r: f64,
) -> f64 {
    (0..GRID)
        .filter(|&j| kde[j] > kde_max[j] * (1.0 + TIE))
        .map(|j| (f64::from(bins[j]) / n - bin_sum[j] as f64 / (r * n)).max(0.0))
        .fold(0.0, |a, b| a + b)
}

/// Bias-corrected percentile 95 % interval of the spike share over `BOOT` bootstrap resamples of
/// the group's stations with the null held fixed. A resample's histogram is multinomial over the
/// observed bins (drawn as successive conditional binomials); its density in a bin is the
/// observed one scaled by the bin's count ratio (the stations of a bin keep their mean kernel
/// weight). Resampling adds multinomial noise to every bin, so more bins exceed the fixed
/// envelope than in the data and the resampled shares sit above the estimate: the percentiles are
/// shifted down by that bias (mean of the resamples − estimate) and floored at 0.
pub fn spike_share_interval(
    o: &Observed,
    bin_sum: &[u64],
    kde_max: &[f64],
    r: f64,
    rng_of: &(dyn Fn(u32) -> ChaCha8Rng + Sync),
) -> (f64, f64) {
    let n = o.stations as f64;
    let occupied: Vec<usize> = (0..GRID).filter(|&j| o.bins[j] > 0).collect();
    let mut draws: Vec<f64> = (0..BOOT as u32)
        .into_par_iter()
        .map(|b| {
            let mut rng = rng_of(b);
            let mut left = o.stations;
            let mut rest = n;
            let mut bins = vec![0u32; GRID];
            let mut kde = vec![0.0; GRID];
            for &j in &occupied {
                let c = f64::from(o.bins[j]);
                let k = if rest <= c {
                    left
                } else {
                    binomial_u64(&mut rng, left, c / rest)
                };
                left -= k;
                rest -= c;
                bins[j] = k as u32;
                kde[j] = o.kde[j] * k as f64 / c;
            }
            spike_share(&bins, &kde, n, bin_sum, kde_max, r)
        })
        .collect();
    draws.sort_by(f64::total_cmp);
    let estimate = spike_share(&o.bins, &o.kde, n, bin_sum, kde_max, r);
    let bias = draws.iter().sum::<f64>() / BOOT as f64 - estimate;
    let at =
        |q: f64| (draws[((q * (BOOT - 1) as f64).round() as usize).min(BOOT - 1)] - bias).max(0.0);
    (at(0.025), at(0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_station_stays_small() {
        // Every replicate streams every station through the cache: 112 bytes keeps a
        // Venezuelan subject (24,532 stations) at 2.7 MB; with the betas stored it was 6.9 MB.
        assert!(std::mem::size_of::<Station>() <= 112);
    }

    #[test]
    fn spike_share_counts_only_bins_above_the_envelope() {
        let mut bins = vec![0u32; GRID];
        let mut kde = vec![0.0; GRID];
        bins[500] = 30;
        kde[500] = 10.0;
        bins[600] = 20;
        kde[600] = 1.0;
        let mut bin_sum = vec![0u64; GRID];
        bin_sum[500] = 10 * 10; // mean 10 per replicate over 10 replicates
        bin_sum[600] = 10 * 10;
        let mut kde_max = vec![0.0; GRID];
        kde_max[500] = 5.0;
        kde_max[600] = 5.0; // 600 is below its envelope: not counted
                            // 700 ties its envelope but for the last bit of a sum: not counted either.
        bins[700] = 40;
        kde_max[700] = 0.3;
        kde[700] = 0.1 + 0.2; // 0.30000000000000004
        assert!(kde[700] > kde_max[700]);
        let f = spike_share(&bins, &kde, 100.0, &bin_sum, &kde_max, 10.0);
        assert!((f - 0.20).abs() < 1e-12, "{f}");
        kde[700] = 0.31; // a real excess is
        let f = spike_share(&bins, &kde, 100.0, &bin_sum, &kde_max, 10.0);
        assert!((f - 0.60).abs() < 1e-12, "{f}");
    }
}
