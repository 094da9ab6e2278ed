//! Unit tests of the Klimek fit: numerical pieces, data simulated from the
//! model itself, determinism and refusals. Small station counts, grids and
//! replicate numbers keep them quick in debug builds.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::estimate::KernelSet;
use super::model::{half_normal_nodes, norm_cdf, push, Kernel, Params};
use super::*;

/// `n` stations from Klimek's own model: registered uniform on 200..1500,
/// clean turnout N(0.6, 0.1) and share N(0.45, 0.1) truncated to [0, 1],
/// valid = ballots, then incremental (theta 0.15) and extreme fraud with
/// alpha = 1.
fn model_data(seed: u64, n: usize, fi: f64, fe: f64) -> [Vec<u64>; 4] {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let truncated = |m: f64, s: f64, rng: &mut ChaCha8Rng| loop {
        let z: f64 = StandardNormal.sample(rng);
        if (0.0..=1.0).contains(&(m + s * z)) {
            break m + s * z;
        }
    };
    let mut cols: [Vec<u64>; 4] = Default::default();
    for _ in 0..n {
        let reg: u64 = rng.random_range(200..1500);
        let mut b = (reg as f64 * truncated(0.6, 0.1, &mut rng)).round() as u64;
        let mut w = (b as f64 * truncated(0.45, 0.1, &mut rng)).round() as u64;
        let u: f64 = rng.random();
        let x = if u < fi {
            intensity(&mut rng, 0.15, false)
        } else if u < fi + fe {
            intensity(&mut rng, EXTREME_SD, true)
        } else {
            0.0
        };
        let stuffed = (x * (reg - b) as f64).floor() as u64;
        w += stuffed + (x * (b - w) as f64).round() as u64;
        b += stuffed;
        for (c, v) in cols.iter_mut().zip([reg, b, b, w]) {
            c.push(v);
        }
    }
    cols
}

fn intensity(rng: &mut impl Rng, sd: f64, extreme: bool) -> f64 {
    loop {
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
}

fn input(cols: &[Vec<u64>; 4]) -> KlimekInput<'_> {
    KlimekInput {
        registered: &cols[0],
        ballots: &cols[1],
        valid: &cols[2],
        winner: &cols[3],
        region: None,
    }
}

fn quick(seed: u64) -> KlimekOptions {
    KlimekOptions {
        seed,
        bootstrap: 20,
        self_null: 20,
        max_stations: 50_000,
        nx: 16,
        ny: 16,
    }
}

fn inside(x: f64, (lo, hi): (f64, f64)) -> bool {
    lo - 1e-12 <= x && x <= hi + 1e-12
}

#[test]
fn normal_helpers_invert_each_other() {
    for x in [-3.0, -1.3, 0.0, 0.4, 2.2] {
        assert!((norm_quantile(norm_cdf(x)) - x).abs() < 1e-5, "{x}");
    }
    // Mean of |N(0, theta)| is theta sqrt(2 / pi).
    let nodes = half_normal_nodes(0.15);
    let mean = nodes.iter().sum::<f64>() / nodes.len() as f64;
    assert!(
        (mean - 0.15 * (2.0 / std::f64::consts::PI).sqrt()).abs() < 0.002,
        "{mean}"
    );
}

#[test]
fn push_is_the_counting_rule_in_proportions() {
    // 1000 registered, 600 ballots (all valid), 240 for the winner, x = 0.5:
    // 200 stuffed, 180 stolen -> turnout 0.8, share (240 + 200 + 180) / 800.
    let (t, s) = push(0.6, 0.4, 0.5, 0.5, 1.0);
    assert!(
        (t - 0.8).abs() < 1e-12 && (s - 620.0 / 800.0).abs() < 1e-12,
        "{t} {s}"
    );
}

#[test]
fn kernel_rows_are_distributions_moving_up_and_right() {
    let g = Grid { nx: 20, ny: 20 };
    for k in [
        Kernel::incremental(g, 0.15, 1.0, 0.98),
        Kernel::extreme(g, 2.0, 0.98),
    ] {
        for o in 0..g.cells() {
            let row = k.row(o);
            let sum: f64 = row.iter().map(|e| f64::from(e.1)).sum();
            assert!((sum - 1.0).abs() < 1e-5, "cell {o}: {sum}");
            let ix = o % g.nx;
            assert!(
                row.iter().all(|&(d, _)| d as usize % g.nx >= ix),
                "turnout never falls"
            );
        }
    }
}

#[test]
fn em_recovers_weights_from_an_exact_fingerprint() {
    let g = Grid { nx: 20, ny: 20 };
    let ks = KernelSet::new(g, 1.0, 1.0, 3, 4);
    let mut truth = Params {
        ng: 1,
        pi: [0.65, 0.3, 0.05],
        ct: (0..20)
            .map(|i| (-((i as f64 - 11.0) / 2.5).powi(2)).exp())
            .collect(),
        cs: (0..20)
            .map(|i| (-((i as f64 - 8.0) / 3.0).powi(2)).exp())
            .collect(),
    };
    let norm = |v: &mut Vec<f64>| {
        let s: f64 = v.iter().sum();
        v.iter_mut().for_each(|x| *x /= s);
    };
    norm(&mut truth.ct);
    norm(&mut truth.cs);
    let model = ks.model(g, 3, None);
    let mut obs = Obs::new(g, 1);
    obs.hist = model
        .probabilities(&truth)
        .iter()
        .map(|p| p * 1e6)
        .collect();
    obs.count = vec![1e6];
    let (p, _) = model.fit(&obs, &Params::start(g, &obs));
    assert!(
        (p.pi[1] - 0.3).abs() < 0.02 && (p.pi[2] - 0.05).abs() < 0.002,
        "{:?}",
        p.pi
    );
}

#[test]
fn clean_model_data_gives_zero_fraud() {
    let cols = model_data(1, 2000, 0.0, 0.0);
    let f = fit(&input(&cols), &quick(1)).unwrap();
    assert!(f.f_i < 0.02 && f.f_e < 0.002, "{f:?}");
    assert!(
        inside(0.0, f.f_i_interval) && inside(0.0, f.f_e_interval),
        "{f:?}"
    );
    assert!(f.f_i_interval.1 < 0.3, "upper bound {:?}", f.f_i_interval);
    assert_eq!(
        (f.stations_used, f.stations_fitted, f.groups),
        (2000, 2000, 1)
    );
    let (o, m): (f64, f64) = (f.observed.iter().sum(), f.fitted.iter().sum());
    assert!(
        (o - 2000.0).abs() < 1e-9 && (m - 2000.0).abs() < 1e-6,
        "{o} {m}"
    );
}

#[test]
fn recovers_incremental_and_extreme_fraud() {
    let cols = model_data(2, 3000, 0.3, 0.05);
    let f = fit(&input(&cols), &quick(2)).unwrap();
    assert!(
        inside(0.3, f.f_i_interval),
        "f_i {} {:?}",
        f.f_i,
        f.f_i_interval
    );
    assert!(
        inside(0.05, f.f_e_interval),
        "f_e {} {:?}",
        f.f_e,
        f.f_e_interval
    );
    assert!(
        f.f_i_interval.0 > 0.02 && (f.f_e - 0.05).abs() < 0.015,
        "{f:?}"
    );
    assert!(
        (f.clean.theta - 0.15).abs() < 0.06 && f.alpha == 1.0,
        "{:?} {}",
        f.clean,
        f.alpha
    );
}

#[test]
fn same_seed_same_fit_whatever_the_threads() {
    let cols = model_data(3, 600, 0.2, 0.02);
    let opts = KlimekOptions {
        bootstrap: 20,
        nx: 12,
        ny: 12,
        ..quick(7)
    };
    let a = fit(&input(&cols), &opts).unwrap();
    assert_eq!(a, fit(&input(&cols), &opts).unwrap());
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    assert_eq!(a, one.install(|| fit(&input(&cols), &opts)).unwrap());
    let other = fit(&input(&cols), &KlimekOptions { seed: 8, ..opts }).unwrap();
    assert_ne!(
        a.f_i_interval, other.f_i_interval,
        "the seed drives the replicates"
    );
}

#[test]
fn refuses_what_it_cannot_fit_and_counts_skipped_stations() {
    let cols = model_data(4, 499, 0.0, 0.0);
    let few = fit(&input(&cols), &quick(1)).unwrap_err();
    assert!(few.contains("needs 500"), "{few}");
    let flat = [
        vec![100u64; 500],
        vec![60; 500],
        vec![60; 500],
        vec![30; 500],
    ];
    assert!(fit(&input(&flat), &quick(1))
        .unwrap_err()
        .contains("no variation"));
    let mut short = model_data(5, 600, 0.0, 0.0);
    short[3].pop();
    assert!(fit(&input(&short), &quick(1))
        .unwrap_err()
        .contains("lengths"));
    let grid = KlimekOptions { nx: 2, ..quick(1) };
    assert!(fit(&input(&model_data(5, 600, 0.0, 0.0)), &grid).is_err());
    // Registered 0 or valid 0: skipped and counted, not an error.
    let mut cols = model_data(6, 600, 0.0, 0.0);
    (cols[0][0], cols[2][1], cols[1][1]) = (0, 0, 0);
    let f = fit(
        &input(&cols),
        &KlimekOptions {
            nx: 12,
            ny: 12,
            ..quick(1)
        },
    )
    .unwrap();
    assert_eq!((f.stations_skipped, f.stations_used), (2, 598));
}
