//! The synthetic election model: pure, seeded generation of polling-station
//! results into columnar vectors, plus per-station ground truth.
//!
//! Why: the forensic tests of this tool (last-digit tests, turnout
//! distributions, the vote/turnout "fingerprints" of Klimek, Yegorov, Hanel &
//! Thurner 2012, PNAS 109(41):16469) need data whose truth is known, so their
//! false-alarm rates and power can be calibrated, and the repository can ship
//! sample data made by the tool itself.
//!
//! Model (all choices are deliberate and documented where they are made):
//! * Hierarchy region > district > station. Stations are apportioned to
//!   districts by lognormal size weights (every district gets at least one).
//! * Registered voters: a per-district mix of urban stations (lognormal,
//!   median 900, capped at 3000) and rural stations (lognormal, median 220,
//!   i.e. mostly 100-400); at least 20. Urban share varies by region/district.
//! * Turnout: region mean ~ N(0.62, 0.06) clipped to [0.40, 0.85], district
//!   offset N(0, 0.15) and station noise N(0, 0.35) on the logit scale, then
//!   ballots_cast ~ Binomial(registered, t). Null ~ Binomial(ballots, p_n),
//!   blank ~ Binomial(ballots - null, p_b), with p_n = 1.2% and p_b = 0.8%
//!   times a station lognormal factor (sd 0.3); valid = ballots - null - blank.
//! * Shares: national base shares (descending, see [`base_shares`]) perturbed
//!   on the log scale by region (sd 0.3, centred), district (sd 0.15) and
//!   station (sd 0.25) effects; votes ~ Multinomial(valid, shares) drawn as
//!   sequential binomials. Turnout and shares are independent in a clean
//!   election (no systematic turnout/leader relation).
//! * Fraud ([`super::fraud`]) is applied afterwards; candidate 1 (the leader)
//!   is the one it favours.
//!
//! Determinism: ChaCha8 seeded from `seed`, with separate streams for the
//! structure (0), the honest counts (1), Klimek fraud (2) and fabrication (3),
//! so that switching fraud on keeps the same underlying honest election.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::fraud;
use super::spec::{base_shares, candidates, region_names, Candidate, SimSpec};

/// Ground-truth label of one station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FraudKind {
    None,
    /// Klimek incremental fraud (small x).
    Incremental,
    /// Klimek extreme fraud (x close to 1).
    Extreme,
    /// Counts written by a person (Beber & Scacco digit habits).
    Fabricated,
}

impl FraudKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FraudKind::None => "none",
            FraudKind::Incremental => "incremental",
            FraudKind::Extreme => "extreme",
            FraudKind::Fabricated => "fabricated",
        }
    }
}

/// A generated election, columnar. Station `i` lies in district
/// `station_district[i]`, which lies in region `district_region[d]`.
/// `votes[j][i]` is candidate `j`'s count at station `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct Election {
    /// The (clamped) parameters this election was made from.
    pub spec: SimSpec,
    pub region_names: Vec<String>,
    pub district_names: Vec<String>,
    pub district_region: Vec<u32>,
    pub station_ids: Vec<String>,
    pub station_district: Vec<u32>,
    pub registered: Vec<u32>,
    pub ballots_cast: Vec<u32>,
    pub valid: Vec<u32>,
    pub null: Vec<u32>,
    pub blank: Vec<u32>,
    pub candidates: Vec<Candidate>,
    pub votes: Vec<Vec<u32>>,
    /// Ground truth: what was done to each station.
    pub fraud: Vec<FraudKind>,
    /// Ground truth: Klimek x (0 for untouched and fabricated stations).
    pub fraud_x: Vec<f64>,
    /// Ground truth: change of ballots_cast made by tampering.
    pub ballots_delta: Vec<i32>,
    /// Ground truth: change of the leader's votes made by tampering.
    pub leader_delta: Vec<i32>,
}

impl Election {
    pub fn n_stations(&self) -> usize {
        self.station_ids.len()
    }

    pub fn station_region(&self, station: usize) -> usize {
        self.district_region[self.station_district[station] as usize] as usize
    }

    /// Number of stations with the given ground-truth label.
    pub fn count_kind(&self, kind: FraudKind) -> usize {
        self.fraud.iter().filter(|&&k| k == kind).count()
    }

    /// Check the accounting identities of every station: candidates sum to
    /// valid, valid + null + blank = ballots_cast <= registered.
    pub fn check_consistency(&self) -> Result<(), String> {
        for i in 0..self.n_stations() {
            let sum: u64 = self.votes.iter().map(|v| u64::from(v[i])).sum();
            let (b, v) = (u64::from(self.ballots_cast[i]), u64::from(self.valid[i]));
            let (null, blank) = (u64::from(self.null[i]), u64::from(self.blank[i]));
            if sum != v || v + null + blank != b || b > u64::from(self.registered[i]) {
                return Err(format!(
                    "{}: candidates {sum}, valid {v}, null {null}, blank {blank}, ballots {b}, registered {}",
                    self.station_ids[i], self.registered[i]
                ));
            }
        }
        Ok(())
    }

    /// One line: clean, or what fraud was injected and where.
    pub fn summary(&self) -> String {
        fraud::describe(self)
    }
}

pub(crate) fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// Binomial(n, p) draw; p outside (0, 1) (or NaN) is treated as 0 or 1.
pub(crate) fn binomial<R: Rng + ?Sized>(rng: &mut R, n: u32, p: f64) -> u32 {
    crate::stats::sampling::binomial_u64(rng, u64::from(n), p) as u32
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

pub(crate) fn rng_stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Largest-remainder apportionment of `total` items by `weights`, each part
/// getting at least one (`total >= weights.len()` is checked by the caller).
fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let n = weights.len();
    let spare = total.saturating_sub(n) as f64;
    let sum: f64 = weights.iter().sum();
    let quotas: Vec<f64> = weights.iter().map(|w| spare * w / sum).collect();
    let mut parts: Vec<usize> = quotas.iter().map(|q| 1 + q.floor() as usize).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        (quotas[b] - quotas[b].floor())
            .total_cmp(&(quotas[a] - quotas[a].floor()))
            .then(a.cmp(&b))
    });
    let given: usize = parts.iter().sum();
    for &i in order.iter().cycle().take(total.saturating_sub(given)) {
        parts[i] += 1;
    }
    parts
}

/// Region- and district-level parameters of the model.
struct District {
    region: usize,
    urban: f64,
    turnout_logit: f64,
    log_share: Vec<f64>,
    weight: f64,
}

/// Draw the regions' and districts' parameters (stream 0).
fn districts(spec: &SimSpec) -> Vec<District> {
    let mut rng = rng_stream(spec.seed, 0);
    let (regions, k) = (spec.regions, spec.candidates);
    let log_base: Vec<f64> = base_shares(k).iter().map(|s| s.ln()).collect();
    // Region share effects, centred so the national shares stay near base.
    let mut effect: Vec<Vec<f64>> = (0..regions)
        .map(|_| (0..k).map(|_| 0.3 * normal(&mut rng)).collect())
        .collect();
    for j in 0..k {
        let mean = effect.iter().map(|e| e[j]).sum::<f64>() / regions as f64;
        effect.iter_mut().for_each(|e| e[j] -= mean);
    }
    let mut out = Vec::with_capacity(regions * spec.districts_per_region);
    for (r, effect) in effect.iter().enumerate() {
        let urban = logit(rng.random_range(0.30..0.85));
        let turnout = logit((0.62 + 0.06 * normal(&mut rng)).clamp(0.40, 0.85));
        let weight = (0.4 * normal(&mut rng)).exp();
        for _ in 0..spec.districts_per_region {
            out.push(District {
                region: r,
                urban: logistic(urban + 0.7 * normal(&mut rng)),
                turnout_logit: turnout + 0.15 * normal(&mut rng),
                log_share: log_base
                    .iter()
                    .zip(effect)
                    .map(|(b, e)| b + e + 0.15 * normal(&mut rng))
                    .collect(),
                weight: weight * (0.4 * normal(&mut rng)).exp(),
            });
        }
    }
    out
}

/// Generate an election; deterministic for `spec.seed`. Expects a spec that
/// passed [`SimSpec::check`]; anything out of range is clamped, never panics.
pub fn generate(spec: &SimSpec) -> Election {
    let spec = spec.clamped();
    let (n, k, dpr) = (spec.stations, spec.candidates, spec.districts_per_region);
    let districts = districts(&spec);
    let sizes = apportion(n, &districts.iter().map(|d| d.weight).collect::<Vec<_>>());
    let names = region_names(spec.regions);
    let width = sizes.iter().max().map_or(4, |m| m.to_string().len().max(4));
    let (rw, dw) = (
        spec.regions.to_string().len().max(2),
        dpr.to_string().len().max(2),
    );
    let column = || Vec::with_capacity(n);
    let mut e = Election {
        district_names: (0..districts.len())
            .map(|d| format!("{}-{:02}", names[d / dpr].1, d % dpr + 1))
            .collect(),
        district_region: districts.iter().map(|d| d.region as u32).collect(),
        region_names: names.into_iter().map(|(name, _)| name).collect(),
        station_ids: Vec::with_capacity(n),
        station_district: column(),
        registered: column(),
        ballots_cast: column(),
        valid: column(),
        null: column(),
        blank: column(),
        candidates: candidates(k),
        votes: vec![column(); k],
        fraud: vec![FraudKind::None; n],
        fraud_x: vec![0.0; n],
        ballots_delta: vec![0; n],
        leader_delta: vec![0; n],
        spec,
    };

    // Honest station counts (stream 1). Null and blank rates vary by station
    // around 1.2% and 0.8%.
    let mut rng = rng_stream(e.spec.seed, 1);
    let mut weights = vec![0.0f64; k];
    for ((d, dist), &size) in districts.iter().enumerate().zip(&sizes) {
        for s in 0..size {
            let id = format!(
                "R{:0rw$}-D{:0dw$}-{:0width$}",
                dist.region + 1,
                d % dpr + 1,
                s + 1
            );
            e.station_ids.push(id);
            e.station_district.push(d as u32);
            let registered = if rng.random::<f64>() < dist.urban {
                (900.0 * (0.4 * normal(&mut rng)).exp()).round().min(3000.0)
            } else {
                (220.0 * (0.35 * normal(&mut rng)).exp()).round()
            };
            let registered = registered.max(20.0) as u32;
            let turnout = logistic(dist.turnout_logit + 0.35 * normal(&mut rng));
            let ballots = binomial(&mut rng, registered, turnout);
            let (p_null, p_blank) = (0.3 * normal(&mut rng), 0.3 * normal(&mut rng));
            let null = binomial(&mut rng, ballots, 0.012 * p_null.exp());
            let blank = binomial(&mut rng, ballots - null, 0.008 * p_blank.exp());
            let valid = ballots - null - blank;
            for (w, ls) in weights.iter_mut().zip(&dist.log_share) {
                *w = (ls + 0.25 * normal(&mut rng)).exp();
            }
            // Multinomial(valid, weights / sum) as sequential binomials.
            let (mut left, mut mass) = (valid, weights.iter().sum::<f64>());
            for (j, (w, votes)) in weights.iter().zip(e.votes.iter_mut()).enumerate() {
                let x = if j + 1 == k {
                    left
                } else {
                    binomial(&mut rng, left, w / mass)
                };
                votes.push(x);
                left -= x;
                mass -= w;
            }
            e.registered.push(registered);
            e.ballots_cast.push(ballots);
            e.valid.push(valid);
            e.null.push(null);
            e.blank.push(blank);
        }
    }

    // Fabrication is chosen first so Klimek fraud skips those stations; each
    // kind of tampering has its own stream (see the module doc).
    let seed = e.spec.seed;
    let mut fab_rng = rng_stream(seed, 3);
    let fabricated = fraud::choose_fabricated(&e, &mut fab_rng);
    fraud::apply_klimek(&mut e, &fabricated, &mut rng_stream(seed, 2));
    fraud::apply_fabrication(&mut e, &fabricated, &mut fab_rng);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64, stations: usize) -> SimSpec {
        SimSpec {
            seed,
            stations,
            ..SimSpec::default()
        }
    }

    fn share(e: &Election, j: usize) -> f64 {
        let votes: u64 = e.votes[j].iter().map(|&v| u64::from(v)).sum();
        votes as f64 / e.valid.iter().map(|&v| u64::from(v)).sum::<u64>() as f64
    }

    fn turnout(e: &Election) -> f64 {
        let sum = |c: &[u32]| c.iter().map(|&v| u64::from(v)).sum::<u64>() as f64;
        sum(&e.ballots_cast) / sum(&e.registered)
    }

    #[test]
    fn same_seed_same_election_other_seed_differs() {
        let a = generate(&spec(7, 2000));
        assert_eq!(a, generate(&spec(7, 2000)));
        let b = generate(&spec(8, 2000));
        assert_ne!(a.registered, b.registered);
        assert_ne!(a.votes, b.votes);
    }

    #[test]
    fn clean_election_is_consistent_and_realistic() {
        for seed in [1, 2, 3] {
            let e = generate(&spec(seed, 5000));
            e.check_consistency().unwrap();
            assert_eq!(e.n_stations(), 5000);
            assert!(e.fraud.iter().all(|&k| k == FraudKind::None));
            assert!(e.registered.iter().all(|&r| (20..=3000).contains(&r)));
            let t = turnout(&e);
            assert!((t - 0.62).abs() < 0.05, "seed {seed}: turnout {t}");
            let base = base_shares(5);
            let lead = share(&e, 0);
            assert!(
                (lead - base[0]).abs() < 0.05,
                "seed {seed}: leader share {lead}"
            );
            let null: u64 = e.null.iter().map(|&v| u64::from(v)).sum();
            let ballots: u64 = e.ballots_cast.iter().map(|&v| u64::from(v)).sum();
            assert!((0.008..0.018).contains(&(null as f64 / ballots as f64)));
        }
    }

    #[test]
    fn hierarchy_names_and_ids() {
        let e = generate(&SimSpec {
            regions: 20,
            districts_per_region: 3,
            ..spec(1, 3000)
        });
        assert_eq!(e.region_names.len(), 20);
        assert_eq!(e.region_names[0], "Región Andina");
        assert_eq!(e.region_names[16], "Región Andina 2");
        assert_eq!(e.district_names[4], "Norte-02");
        let ids: std::collections::HashSet<&String> = e.station_ids.iter().collect();
        assert_eq!(ids.len(), 3000, "station ids are unique");
        assert!(
            e.station_ids[0].starts_with("R01-D01-"),
            "{}",
            e.station_ids[0]
        );
        let used: std::collections::HashSet<u32> = e.station_district.iter().copied().collect();
        assert_eq!(used.len(), 60, "every district has stations");
        let codes: Vec<&str> = e.candidates.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["cand_a", "cand_b", "cand_c", "cand_d", "cand_e"]);
    }

    #[test]
    fn fraud_keeps_the_same_honest_election() {
        let clean = generate(&spec(5, 3000));
        let fraud = SimSpec {
            incremental_fraud: 0.2,
            extreme_fraud: 0.05,
            ..spec(5, 3000)
        };
        let tampered = generate(&fraud);
        assert_eq!(clean.registered, tampered.registered);
        for i in (0..3000).filter(|&i| tampered.fraud[i] == FraudKind::None) {
            assert_eq!(clean.ballots_cast[i], tampered.ballots_cast[i]);
            assert_eq!(clean.votes[1][i], tampered.votes[1][i]);
        }
    }

    #[test]
    fn generate_clamps_bad_specs_instead_of_panicking() {
        let absurd = SimSpec {
            candidates: 0,
            stations: 0,
            regions: 0,
            fraud_theta: -1.0,
            ..SimSpec::default()
        };
        let e = generate(&absurd);
        assert_eq!((e.candidates.len(), e.n_stations()), (2, 6));
        e.check_consistency().unwrap();
    }
}
