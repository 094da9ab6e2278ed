//! Comparison strata: stations alike in where they are and how large they are, so that the
//! turnout tests judge relationships and shapes *within* strata rather than across them.
//!
//! Honest elections are heterogeneous in ways that mimic manipulation when stations are pooled:
//! regions that differ in turnout and in their leader (a polarized country gives a turnout–share
//! slope above 1 and a second mode in both distributions), and urban and rural stations that
//! differ in size, turnout and vote (a bimodal turnout that station type explains). A stratum is
//! a station's deepest region with at least `MIN_REGION` stations (the most alike neighbours the
//! data name, as in `extreme_stations`) crossed with its size class (quintile of the
//! denominator over the whole dataset: registered voters for turnout, valid votes for shares);
//! a size class with fewer than `MIN_CELL` stations in its region joins the region's other
//! stations. The analysis of a region uses the same strata restricted to its stations, so
//! "within" always means within the finest comparable group available.
//!
//! The within-stratum estimator is the fixed-effects (within) estimator of panel econometrics
//! (Wooldridge 2010, *Econometric Analysis of Cross Section and Panel Data*, §10.5; Frisch–Waugh–
//! Lovell): centring x and y on their weighted stratum means and regressing the centred values
//! gives the slope common to all strata, with stratum-level differences removed. What it cannot
//! remove: heterogeneity inside a stratum (strategic voting, a polarized town), and manipulation
//! that is itself the same for every station of a stratum (a whole district shifted), which then
//! looks like a stratum difference.

use crate::tally::Tally;

/// Fewest stations of a region for it to define strata (smaller regions use their parent).
pub const MIN_REGION: usize = 30;
/// Fewest stations of a region × size-class cell (smaller cells merge into the region).
pub const MIN_CELL: usize = 10;
/// Size classes (quintiles).
pub const SIZE_CLASSES: usize = 5;

/// The stratum of every station (dense ids from 0), given the denominator that sets size.
pub fn strata(tally: &Tally, size: &[u64]) -> Vec<u32> {
    let n = tally.n_stations();
    let region = deepest_regions(tally);
    // Size-class cut points: quintiles of the positive sizes over the whole dataset.
    let mut sorted: Vec<u64> = size.iter().copied().filter(|&s| s > 0).collect();
    sorted.sort_unstable();
    let cuts: Vec<u64> = (1..SIZE_CLASSES)
        .map(|k| {
            sorted
                .get(k * sorted.len() / SIZE_CLASSES)
                .copied()
                .unwrap_or(0)
        })
        .collect();
    let class = |s: u64| cuts.iter().filter(|&&c| s >= c).count() as u32;
    let mut cell_size: std::collections::HashMap<(u32, u32), usize> = Default::default();
    for i in 0..n {
        *cell_size.entry((region[i], class(size[i]))).or_default() += 1;
    }
    let mut ids: std::collections::HashMap<(u32, u32), u32> = Default::default();
    (0..n)
        .map(|i| {
            let c = class(size[i]);
            let key = if cell_size[&(region[i], c)] >= MIN_CELL {
                (region[i], c)
            } else {
                (region[i], u32::MAX)
            };
            let next = ids.len() as u32;
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

/// Per station, a dense id of its deepest region with at least `MIN_REGION` stations (0 for all
/// stations when no region is that large or the data have no regions).
pub fn deepest_regions(t: &Tally) -> Vec<u32> {
    let n = t.n_stations();
    let sizes: Vec<Vec<usize>> = t
        .regions
        .iter()
        .map(|level| {
            let mut c = vec![0usize; level.paths.len()];
            for &code in &level.codes {
                c[code as usize] += 1;
            }
            c
        })
        .collect();
    let mut ids: std::collections::HashMap<(usize, u32), u32> = Default::default();
    (0..n)
        .map(|i| {
            let key = (0..t.regions.len())
                .rev()
                .find(|&l| sizes[l][t.regions[l].codes[i] as usize] >= MIN_REGION)
                .map_or((usize::MAX, 0), |l| (l, t.regions[l].codes[i]));
            let next = ids.len() as u32;
            *ids.entry(key).or_insert(next)
        })
        .collect()
}

/// `values` centred on their weighted stratum means (`stratum[k]` for `values[k]`), plus the
/// weighted overall mean, so the centred values keep the scale and location of the originals.
pub fn centred(values: &[f64], weights: &[f64], stratum: &[u32]) -> Vec<f64> {
    let k = stratum.iter().copied().max().map_or(0, |m| m as usize + 1);
    let (mut sw, mut swx) = (vec![0.0; k], vec![0.0; k]);
    for ((&v, &w), &s) in values.iter().zip(weights).zip(stratum) {
        sw[s as usize] += w;
        swx[s as usize] += w * v;
    }
    let total_w: f64 = sw.iter().sum();
    let overall = if total_w > 0.0 {
        swx.iter().sum::<f64>() / total_w
    } else {
        0.0
    };
    values
        .iter()
        .zip(stratum)
        .map(|(&v, &s)| {
            let w = sw[s as usize];
            let mean = if w > 0.0 { swx[s as usize] / w } else { v };
            v - mean + overall
        })
        .collect()
}

/// Number of distinct strata among `stratum`.
pub fn count(stratum: &[u32]) -> usize {
    let mut s: Vec<u32> = stratum.to_vec();
    s.sort_unstable();
    s.dedup();
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::moments::weighted_fit;

    #[test]
    fn centring_removes_stratum_means_and_keeps_the_overall_mean() {
        let v = [1.0, 3.0, 10.0, 12.0];
        let w = [1.0, 1.0, 1.0, 1.0];
        let s = [0, 0, 1, 1];
        let c = centred(&v, &w, &s);
        // Stratum means 2 and 11, overall mean 6.5.
        assert_eq!(c, vec![5.5, 7.5, 5.5, 7.5]);
    }

    #[test]
    fn within_slope_ignores_differences_between_strata() {
        // Two strata whose levels differ along the diagonal (pooled slope ≈ 2), each with a
        // within slope of exactly 0.5: the within estimator returns 0.5.
        let mut x = Vec::new();
        let mut y = Vec::new();
        let mut s = Vec::new();
        for (k, (x0, y0)) in [(0.3, 0.2), (0.7, 1.0)].into_iter().enumerate() {
            for j in 0..10 {
                let dx = (j as f64 - 4.5) * 0.01;
                x.push(x0 + dx);
                y.push(y0 + 0.5 * dx);
                s.push(k as u32);
            }
        }
        let w = vec![1.0; x.len()];
        let pooled = weighted_fit(&x, &y, &w).unwrap();
        assert!(pooled.slope > 1.9, "{}", pooled.slope);
        let within = weighted_fit(&centred(&x, &w, &s), &centred(&y, &w, &s), &w).unwrap();
        assert!((within.slope - 0.5).abs() < 1e-12, "{}", within.slope);
    }
}
