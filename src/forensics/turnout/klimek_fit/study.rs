//! Test helpers and studies of the Klimek fit: a synthetic election generator
//! like `crate::simulate` (kept here so this module stays self-contained),
//! the coverage study, the real-data fits and the 1M-station timing. The
//! studies are `#[ignore]`d; run them in release, e.g.
//! `cargo test --release --lib turnout::klimek_fit::study -- --ignored --nocapture`.
//!
//! Environment knobs (all optional): `KLIMEK_SEEDS` (seeds per setting, 50),
//! `KLIMEK_BOOT` (replicates, the default of [`KlimekOptions`]),
//! `KLIMEK_STATIONS` (10000), `KLIMEK_SETTINGS` (`f_i,f_e;f_i,f_e;...`),
//! `KLIMEK_ALPHA` (1), `KLIMEK_THETA` (0.15), `KLIMEK_NATIONAL` (set: fit
//! without regions), `KLIMEK_VERBOSE` (set: one line per fit), `KLIMEK_DATA`
//! (the folder with `ru-federal` and `ve2024-actas`, default
//! `../shared/data`).

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::stats::sampling::binomial_u64 as binomial;

use super::*;

/// Parameters of a synthetic election (the defaults of `simulate::SimSpec`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub seed: u64,
    pub stations: usize,
    pub regions: usize,
    pub districts_per_region: usize,
    pub f_i: f64,
    pub f_e: f64,
    pub alpha: f64,
    pub theta: f64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            seed: 1,
            stations: 10_000,
            regions: 8,
            districts_per_region: 6,
            f_i: 0.0,
            f_e: 0.0,
            alpha: 1.0,
            theta: 0.15,
        }
    }
}

/// Station columns of a synthetic election; `region` is 0-based.
pub(crate) struct Election {
    pub registered: Vec<u64>,
    pub ballots: Vec<u64>,
    pub valid: Vec<u64>,
    pub winner: Vec<u64>,
    pub region: Vec<u32>,
}

impl Election {
    pub fn input(&self) -> KlimekInput<'_> {
        KlimekInput {
            registered: &self.registered,
            ballots: &self.ballots,
            valid: &self.valid,
            winner: &self.winner,
            region: Some(&self.region),
        }
    }
}

fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// As `simulate::fraud::redraw_unit`: redraw until 0 < x < 1.
fn redraw(mut draw: impl FnMut() -> f64) -> f64 {
    let mut x = 0.5;
    for _ in 0..64 {
        x = draw();
        if x > 0.0 && x < 1.0 {
            return x;
        }
    }
    x.clamp(1e-9, 1.0 - 1e-9)
}

fn stream(seed: u64, s: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(s);
    rng
}

/// The honest model of `simulate::model` (regions and districts with their
/// own turnout and vote-share effects, urban/rural station sizes, binomial
/// and multinomial counts, five candidates) and Klimek fraud exactly as
/// `simulate::fraud` (`incremental_x`, `extreme_x`, `stuff_and_steal`).
pub(crate) fn generate(spec: &Spec) -> Election {
    let base = [0.46f64, 0.33, 0.12, 0.06, 0.03];
    let k = base.len();
    let mut rng = stream(spec.seed, 0);
    let log_base: Vec<f64> = base.iter().map(|s| s.ln()).collect();
    let mut effect: Vec<Vec<f64>> = (0..spec.regions)
        .map(|_| (0..k).map(|_| 0.3 * normal(&mut rng)).collect())
        .collect();
    for j in 0..k {
        let mean = effect.iter().map(|e| e[j]).sum::<f64>() / spec.regions as f64;
        effect.iter_mut().for_each(|e| e[j] -= mean);
    }
    struct District {
        region: u32,
        urban: f64,
        turnout: f64,
        log_share: Vec<f64>,
        weight: f64,
    }
    let mut districts = Vec::new();
    for (r, effect) in effect.iter().enumerate() {
        let urban = logit(rng.random_range(0.30..0.85));
        let turnout = logit((0.62 + 0.06 * normal(&mut rng)).clamp(0.40, 0.85));
        let weight = (0.4 * normal(&mut rng)).exp();
        for _ in 0..spec.districts_per_region {
            districts.push(District {
                region: r as u32,
                urban: logistic(urban + 0.7 * normal(&mut rng)),
                turnout: turnout + 0.15 * normal(&mut rng),
                log_share: log_base
                    .iter()
                    .zip(effect)
                    .map(|(b, e)| b + e + 0.15 * normal(&mut rng))
                    .collect(),
                weight: weight * (0.4 * normal(&mut rng)).exp(),
            });
        }
    }
    // Largest-remainder apportionment, at least one station per district.
    let nd = districts.len();
    let spare = spec.stations.saturating_sub(nd) as f64;
    let total: f64 = districts.iter().map(|d| d.weight).sum();
    let quota: Vec<f64> = districts.iter().map(|d| spare * d.weight / total).collect();
    let mut sizes: Vec<usize> = quota.iter().map(|q| 1 + q.floor() as usize).collect();
    let mut order: Vec<usize> = (0..nd).collect();
    order.sort_by(|&a, &b| {
        (quota[b] - quota[b].floor())
            .total_cmp(&(quota[a] - quota[a].floor()))
            .then(a.cmp(&b))
    });
    let given: usize = sizes.iter().sum();
    for &i in order
        .iter()
        .cycle()
        .take(spec.stations.saturating_sub(given))
    {
        sizes[i] += 1;
    }
    let mut rng = stream(spec.seed, 1);
    let mut e = Election {
        registered: vec![],
        ballots: vec![],
        valid: vec![],
        winner: vec![],
        region: vec![],
    };
    let mut votes: Vec<Vec<u64>> = Vec::new();
    let mut weights = vec![0.0; k];
    for (d, &size) in districts.iter().zip(&sizes) {
        for _ in 0..size {
            let registered = if rng.random::<f64>() < d.urban {
                (900.0 * (0.4 * normal(&mut rng)).exp()).round().min(3000.0)
            } else {
                (220.0 * (0.35 * normal(&mut rng)).exp()).round()
            };
            let registered = registered.max(20.0) as u64;
            let turnout = logistic(d.turnout + 0.35 * normal(&mut rng));
            let ballots = binomial(&mut rng, registered, turnout);
            let (p_null, p_blank) = (0.3 * normal(&mut rng), 0.3 * normal(&mut rng));
            let null = binomial(&mut rng, ballots, 0.012 * p_null.exp());
            let blank = binomial(&mut rng, ballots - null, 0.008 * p_blank.exp());
            let valid = ballots - null - blank;
            for (w, ls) in weights.iter_mut().zip(&d.log_share) {
                *w = (ls + 0.25 * normal(&mut rng)).exp();
            }
            let (mut left, mut mass) = (valid, weights.iter().sum::<f64>());
            let mut counts = vec![0u64; k];
            for j in 0..k {
                let x = if j + 1 == k {
                    left
                } else {
                    binomial(&mut rng, left, weights[j] / mass)
                };
                counts[j] = x;
                left -= x;
                mass -= weights[j];
            }
            e.registered.push(registered);
            e.ballots.push(ballots);
            e.valid.push(valid);
            e.region.push(d.region);
            votes.push(counts);
        }
    }
    let mut rng = stream(spec.seed, 2);
    if spec.f_i > 0.0 || spec.f_e > 0.0 {
        for (i, counts) in votes.iter_mut().enumerate() {
            let u: f64 = rng.random();
            let x = if u < spec.f_i {
                redraw(|| (spec.theta * normal(&mut rng)).abs())
            } else if u < spec.f_i + spec.f_e {
                redraw(|| 1.0 - (EXTREME_SD * normal(&mut rng)).abs())
            } else {
                continue;
            };
            let stuffed = (x * (e.registered[i] - e.ballots[i]) as f64).floor() as u64;
            let share = x.powf(spec.alpha);
            let mut moved = 0;
            for c in counts.iter_mut().skip(1) {
                let m = ((share * *c as f64).round() as u64).min(*c);
                *c -= m;
                moved += m;
            }
            counts[0] += stuffed + moved;
            e.ballots[i] += stuffed;
            e.valid[i] += stuffed;
        }
    }
    e.winner = votes.iter().map(|c| c[0]).collect();
    e
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Coverage of the f_i and f_e intervals and bias of the estimates on
/// elections from [`generate`] (8 regions x 6 districts; theta 0.15 and
/// alpha 1 unless set), for several true (f_i, f_e). Prints a Markdown table
/// ("alpha right": share of fits that chose the true alpha).
#[test]
#[ignore = "slow study; run in release with --ignored --nocapture"]
fn coverage_study() {
    let seeds: u64 = env("KLIMEK_SEEDS", 50);
    let boot: u32 = env("KLIMEK_BOOT", KlimekOptions::default().bootstrap);
    let stations: usize = env("KLIMEK_STATIONS", 10_000);
    let (alpha, theta): (f64, f64) = (env("KLIMEK_ALPHA", 1.0), env("KLIMEK_THETA", 0.15));
    let national = std::env::var("KLIMEK_NATIONAL").is_ok();
    let settings: Vec<(f64, f64)> = std::env::var("KLIMEK_SETTINGS")
        .ok()
        .map(|v| {
            v.split(';')
                .map(|p| {
                    let (a, b) = p.split_once(',').expect("f_i,f_e;...");
                    (a.parse().unwrap(), b.parse().unwrap())
                })
                .collect()
        })
        .unwrap_or_else(|| vec![(0.0, 0.0), (0.1, 0.01), (0.3, 0.03), (0.6, 0.05)]);
    println!(
        "coverage study: {seeds} seeds per setting, {stations} stations, 8 regions x 6 districts, \
         theta {theta}, alpha {alpha}, bootstrap {boot}, nominal {CONFIDENCE}{}",
        if national {
            ", fitted without regions"
        } else {
            ""
        }
    );
    println!(
        "| true f_i | true f_e | cover f_i | cover f_e | mean f_i | bias f_i | mean width f_i | \
         mean f_e | bias f_e | mean width f_e | mean MLE f_i | alpha right | s/fit |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (fi, fe) in settings {
        let started = std::time::Instant::now();
        let fits: Vec<KlimekFit> = (1..=seeds)
            .map(|seed| {
                let e = generate(&Spec {
                    seed,
                    stations,
                    f_i: fi,
                    f_e: fe,
                    alpha,
                    theta,
                    ..Spec::default()
                });
                let mut input = e.input();
                if national {
                    input.region = None;
                }
                let opts = KlimekOptions {
                    seed,
                    bootstrap: boot,
                    ..KlimekOptions::default()
                };
                let f = fit(&input, &opts).expect("fit");
                if std::env::var("KLIMEK_VERBOSE").is_ok() {
                    println!(
                        "  seed {seed}: f_i {:.4} [{:.4}, {:.4}] (MLE {:.4}, theta {:.3}, alpha {}) f_e {:.4} [{:.4}, {:.4}]",
                        f.f_i, f.f_i_interval.0, f.f_i_interval.1, f.f_i_mle, f.clean.theta, f.alpha,
                        f.f_e, f.f_e_interval.0, f.f_e_interval.1
                    );
                }
                f
            })
            .collect();
        let n = fits.len() as f64;
        let mean = |g: &dyn Fn(&KlimekFit) -> f64| fits.iter().map(g).sum::<f64>() / n;
        let inside = |x: f64, iv: (f64, f64)| (iv.0 <= x + 1e-12 && x <= iv.1 + 1e-12) as u8 as f64;
        println!(
            "| {fi} | {fe} | {:.2} | {:.2} | {:.4} | {:+.4} | {:.4} | {:.4} | {:+.4} | {:.4} | {:.4} | {:.2} | {:.1} |",
            mean(&|f| inside(fi, f.f_i_interval)),
            mean(&|f| inside(fe, f.f_e_interval)),
            mean(&|f| f.f_i),
            mean(&|f| f.f_i) - fi,
            mean(&|f| f.f_i_interval.1 - f.f_i_interval.0),
            mean(&|f| f.f_e),
            mean(&|f| f.f_e) - fe,
            mean(&|f| f.f_e_interval.1 - f.f_e_interval.0),
            mean(&|f| f.f_i_mle),
            mean(&|f| (f.alpha == alpha) as u8 as f64),
            started.elapsed().as_secs_f64() / n,
        );
    }
}

/// The columns of a real tally: registered, ballots, valid, winner, region.
type Columns = (Vec<u64>, Vec<u64>, Vec<u64>, Vec<u64>, Vec<u32>);

/// Read a (gzipped) CSV, one station per row, with `pick` turning a row
/// into (registered, ballots, valid, winner, region name).
fn read_tally(
    path: &std::path::Path,
    pick: impl Fn(&csv::StringRecord) -> Option<(u64, u64, u64, u64, String)>,
) -> Option<Columns> {
    let file = std::fs::File::open(path).ok()?;
    let reader: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut names: Vec<String> = Vec::new();
    let mut cols: Columns = Default::default();
    for row in csv::Reader::from_reader(reader).records() {
        let Some((n, b, v, w, region)) = pick(&row.ok()?) else {
            continue;
        };
        let code = names.iter().position(|r| *r == region).unwrap_or_else(|| {
            names.push(region);
            names.len() - 1
        });
        cols.0.push(n);
        cols.1.push(b);
        cols.2.push(v);
        cols.3.push(w);
        cols.4.push(code as u32);
    }
    Some(cols)
}

/// Klimek fits of Russia 2011 (United Russia) and 2012 (Putin) and
/// Venezuela 2024 (Edmundo Gonzalez, `EG`), with regions; skipped when the
/// data folder is absent.
#[test]
#[ignore = "slow; needs ../shared/data; run in release with --ignored --nocapture"]
fn real_data() {
    let root = std::path::PathBuf::from(env("KLIMEK_DATA", "../shared/data".to_string()));
    fn num(r: &csv::StringRecord, i: usize) -> Option<u64> {
        r.get(i)?.trim().parse().ok()
    }
    // Russia: ballots = invalid + valid (found in the boxes), columns by position (PROVENANCE.md).
    let russia = |winner: usize| {
        move |r: &csv::StringRecord| {
            let (invalid, valid) = (num(r, 11)?, num(r, 12)?);
            Some((
                num(r, 3)?,
                invalid + valid,
                valid,
                num(r, winner)?,
                r.get(0)?.to_string(),
            ))
        }
    };
    let ve = |r: &csv::StringRecord| {
        let (valid, null) = (num(r, 9)?, num(r, 10)?);
        Some((
            num(r, 8)?,
            valid + null,
            valid,
            num(r, 11)?,
            r.get(0)?.to_string(),
        ))
    };
    type Pick = Box<dyn Fn(&csv::StringRecord) -> Option<(u64, u64, u64, u64, String)>>;
    let sets: [(&str, &str, Pick); 3] = [
        (
            "Russia 2011, United Russia",
            "ru-federal/ru_2011.csv.gz",
            Box::new(russia(26)),
        ),
        (
            "Russia 2012, Putin",
            "ru-federal/ru_2012.csv.gz",
            Box::new(russia(25)),
        ),
        (
            "Venezuela 2024, Gonzalez",
            "ve2024-actas/RESULTADOS_2024_CSV_V1.csv",
            Box::new(ve),
        ),
    ];
    for (name, file, pick) in sets {
        let Some((n, b, v, w, region)) = read_tally(&root.join(file), pick) else {
            println!("{name}: {} not found, skipped", root.join(file).display());
            continue;
        };
        for with_regions in [true, false] {
            let input = KlimekInput {
                registered: &n,
                ballots: &b,
                valid: &v,
                winner: &w,
                region: with_regions.then_some(&region[..]),
            };
            let started = std::time::Instant::now();
            let f = fit(&input, &KlimekOptions::default()).expect("fit");
            println!(
                "{name} ({}): f_i {:.3} [{:.3}, {:.3}] (MLE {:.3}), f_e {:.4} [{:.4}, {:.4}], alpha {}, theta {:.3}, \
                 deviance {:.0} over {} occupied cells, {} groups, {} stations ({} fitted, {} skipped), {:.1} s",
                if with_regions { "regions" } else { "national" },
                f.f_i, f.f_i_interval.0, f.f_i_interval.1, f.f_i_mle, f.f_e, f.f_e_interval.0, f.f_e_interval.1,
                f.alpha, f.clean.theta, f.distance, f.observed.iter().filter(|&&o| o > 0.0).count(), f.groups,
                f.stations_used, f.stations_fitted, f.stations_skipped, started.elapsed().as_secs_f64()
            );
        }
    }
}

/// Wall time of a whole fit (default options: 200 replicates, 50,000
/// fitted stations) on 1,000,000 synthetic stations in 8 regions.
#[test]
#[ignore = "slow; run in release with --ignored --nocapture"]
fn million_stations_timing() {
    let e = generate(&Spec {
        seed: 42,
        stations: 1_000_000,
        f_i: 0.3,
        f_e: 0.03,
        ..Spec::default()
    });
    let started = std::time::Instant::now();
    let f = fit(&e.input(), &KlimekOptions::default()).expect("fit");
    println!(
        "1,000,000 stations: f_i {:.3} [{:.3}, {:.3}], f_e {:.4} [{:.4}, {:.4}], {} replicates, {:.1} s on {} threads",
        f.f_i, f.f_i_interval.0, f.f_i_interval.1, f.f_e, f.f_e_interval.0, f.f_e_interval.1,
        f.bootstrap_used, started.elapsed().as_secs_f64(), rayon::current_num_threads()
    );
}
