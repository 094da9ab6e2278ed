//! What the turnout and vote-share tests share: the station groups (whole dataset, then each
//! analysed region level), the national leader and the major candidates, turnout and shares per
//! station, dithering for charts, and the seeding of their random draws.
//!
//! Definitions (methods.md §5, §8 "Conventions"): turnout = ballots cast / registered voters;
//! a candidate's share = votes / valid votes (Klimek et al. 2012 use the share of valid votes;
//! Kobak et al. 2016 use ballots in the box, which `integer_percentages` follows). Stations with no
//! registered voters (turnout) or no valid votes (shares) have no ratio and are counted as such.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::forensics::Battery;
use crate::tally::Tally;

/// Smallest national share of valid votes for a candidate to count as major.
pub const MAJOR_SHARE: f64 = 0.05;
/// Most candidates treated as major (the largest ones).
pub const MAX_MAJOR: usize = 6;

/// Stations of the whole dataset and of every analysed region.
pub struct Groups {
    /// Region path per group; `None` (group 0) is the whole dataset.
    pub regions: Vec<Option<Vec<String>>>,
    /// Station indices per group, ascending.
    pub members: Vec<Vec<u32>>,
    /// Index of the first group of each analysed level (level `l` spans
    /// `level_start[l]..level_start[l + 1]`, the last level runs to the end).
    pub level_start: Vec<usize>,
    /// Name of each analysed level.
    pub level_names: Vec<String>,
}

impl Groups {
    pub fn new(tally: &Tally, depth: usize) -> Groups {
        let levels: Vec<_> = tally.regions.iter().take(depth.max(1)).collect();
        let mut regions: Vec<Option<Vec<String>>> = vec![None];
        let mut members: Vec<Vec<u32>> = vec![(0..tally.n_stations() as u32).collect()];
        let mut level_start = Vec::new();
        for level in &levels {
            level_start.push(regions.len());
            let base = members.len();
            regions.extend(level.paths.iter().map(|p| Some(p.clone())));
            members.extend(level.paths.iter().map(|_| Vec::new()));
            for (i, &code) in level.codes.iter().enumerate() {
                members[base + code as usize].push(i as u32);
            }
        }
        Groups {
            regions,
            members,
            level_start,
            level_names: levels.iter().map(|l| l.name.clone()).collect(),
        }
    }

    /// Group index ranges of each analysed level, with the level's name.
    pub fn levels(&self) -> Vec<(&str, std::ops::Range<usize>)> {
        self.level_start
            .iter()
            .enumerate()
            .map(|(l, &start)| {
                let end = self
                    .level_start
                    .get(l + 1)
                    .copied()
                    .unwrap_or(self.regions.len());
                (self.level_names[l].as_str(), start..end)
            })
            .collect()
    }

    /// Last component of a group's region path ("national" for group 0).
    pub fn short_name(&self, g: usize) -> &str {
        self.regions[g]
            .as_ref()
            .and_then(|p| p.last())
            .map(String::as_str)
            .unwrap_or("national")
    }

    /// For every station, its group at each analysed level (`out[level][station]`).
    pub fn station_group(&self, n_stations: usize) -> Vec<Vec<u32>> {
        self.levels()
            .iter()
            .map(|(_, range)| {
                let mut of = vec![0u32; n_stations];
                for g in range.clone() {
                    for &i in &self.members[g] {
                        of[i as usize] = g as u32;
                    }
                }
                of
            })
            .collect()
    }
}

/// A candidate the share tests look at.
#[derive(Debug, Clone)]
pub struct Contender<'a> {
    pub name: &'a str,
    pub votes: &'a [u64],
    /// The denominator of the candidate's shares: valid votes, 0 where the candidate does not
    /// stand (`candidacy`), so those stations have no share.
    pub valid: &'a [u64],
    /// National share of valid votes.
    pub share: f64,
    /// True for the national leader (most votes).
    pub leader: bool,
}

/// The major candidates in descending order of votes: the leader always, then every candidate with
/// at least `MAJOR_SHARE` of valid votes nationally, at most `MAX_MAJOR`.
pub fn contenders<'a>(b: &'a Battery<'_>) -> Vec<Contender<'a>> {
    let tally = b.tally;
    let valid: u64 = tally.valid.iter().sum();
    tally
        .candidates_by_votes()
        .into_iter()
        .enumerate()
        .map(|(i, c)| Contender {
            name: &c.name,
            votes: &c.votes,
            valid: tally
                .candidates
                .iter()
                .position(|x| std::ptr::eq(x, c))
                .map_or(&tally.valid[..], |k| &b.subjects[k].totals[..]),
            share: if valid > 0 {
                c.votes.iter().sum::<u64>() as f64 / valid as f64
            } else {
                0.0
            },
            leader: i == 0,
        })
        .filter(|c| c.leader || c.share >= MAJOR_SHARE)
        .take(MAX_MAJOR)
        .collect()
}

/// `num / den` per station, `None` where the denominator is 0.
pub fn ratios(num: &[u64], den: &[u64]) -> Vec<Option<f64>> {
    num.iter()
        .zip(den)
        .map(|(&a, &b)| (b > 0).then(|| a as f64 / b as f64))
        .collect()
}

/// A dithered ratio for charts and the dip test: uniform noise in (−0.5, 0.5) added to numerator
/// and denominator (Kobak et al. 2016), so that small denominators make no spikes at simple
/// fractions (1/2, 2/3, ...). Never used for the statistics that count exact values.
pub fn dithered(num: u64, den: u64, rng: &mut ChaCha8Rng) -> f64 {
    let a = num as f64 + rng.random::<f64>() - 0.5;
    let b = den as f64 + rng.random::<f64>() - 0.5;
    (a.max(0.0) / b.max(0.5)).max(0.0)
}

/// The random stream of one task: test `stream`, group or subject `task`.
pub fn rng(b: &Battery<'_>, stream: u64, task: u64) -> ChaCha8Rng {
    seeded_rng(b.params.seed, stream, task)
}

/// `rng` from the run's seed alone, for closures that must not borrow the battery (rayon).
pub fn seeded_rng(seed: u64, stream: u64, task: u64) -> ChaCha8Rng {
    use rand::SeedableRng;
    let mix = crate::forensics::digits::null::mix;
    ChaCha8Rng::seed_from_u64(mix(mix(seed ^ mix(stream)) ^ mix(task)))
}

/// Counts per bin of `values` (fractions) on `bins` equal bins over `[lo, hi)`; values at or above
/// `hi` go to the last bin, below `lo` to the first.
pub fn histogram(values: impl Iterator<Item = f64>, lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut h = vec![0.0; bins];
    let width = (hi - lo) / bins as f64;
    for v in values {
        if v.is_finite() {
            // Clamped into [0, bins − 1] first, the cast's truncation is the floor.
            let k = ((v - lo) / width).clamp(0.0, (bins - 1) as f64) as usize;
            h[k] += 1.0;
        }
    }
    h
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tally::{Candidate, RegionLevel};

    fn two_region_tally() -> Tally {
        Tally {
            name: "t".into(),
            station_keys: (0..4).map(|i| i.to_string()).collect(),
            regions: vec![RegionLevel {
                source_codes: None,
                name: "state".into(),
                codes: vec![0, 1, 0, 1],
                paths: vec![vec!["A".into()], vec!["B".into()]],
            }],
            registered: Some(vec![100, 200, 0, 50]),
            ballots_cast: vec![50, 100, 0, 50],
            valid: vec![50, 100, 0, 50],
            candidates: vec![
                Candidate {
                    name: "x".into(),
                    source: "x".into(),
                    votes: vec![10, 20, 0, 1],
                },
                Candidate {
                    name: "y".into(),
                    source: "y".into(),
                    votes: vec![40, 80, 0, 49],
                },
                Candidate {
                    name: "z".into(),
                    source: "z".into(),
                    votes: vec![0, 0, 0, 0],
                },
            ],
            ..Tally::default()
        }
    }

    /// An honest synthetic election with turnout: stations of 300–1,500 voters in two regions,
    /// turnout ~ N(0.6, 0.08) and leader share ~ N(0.55, 0.06) per station, binomial counts; the
    /// leader "Lead", a runner-up "Second" and a minor "Minor".
    pub(crate) fn turnout_tally(seed: u64, stations: usize) -> Tally {
        use rand::SeedableRng;
        use rand_distr::{Binomial, Distribution, Normal};
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let turnout = Normal::new(0.6, 0.08).unwrap();
        let share = Normal::new(0.55, 0.06).unwrap();
        let mut t = Tally {
            name: "turnout".into(),
            registered: Some(Vec::new()),
            ..Tally::default()
        };
        let mut votes = [Vec::new(), Vec::new(), Vec::new()];
        let mut codes = Vec::new();
        for i in 0..stations {
            let reg: u64 = r.random_range(300..1500);
            let tp: f64 = turnout.sample(&mut r);
            let tp = tp.clamp(0.05, 0.98);
            let ballots = Binomial::new(reg, tp).unwrap().sample(&mut r);
            let valid = ballots - Binomial::new(ballots, 0.02).unwrap().sample(&mut r);
            let sh: f64 = share.sample(&mut r);
            let lead = Binomial::new(valid, sh.clamp(0.05, 0.95))
                .unwrap()
                .sample(&mut r);
            let minor = Binomial::new(valid - lead, 0.1).unwrap().sample(&mut r);
            t.station_keys.push(format!("S{i}"));
            t.registered.as_mut().unwrap().push(reg);
            t.ballots_cast.push(ballots);
            t.valid.push(valid);
            votes[0].push(lead);
            votes[1].push(valid - lead - minor);
            votes[2].push(minor);
            codes.push((i % 2) as u32);
        }
        t.candidates = ["Lead", "Second", "Minor"]
            .iter()
            .zip(votes)
            .map(|(n, v)| Candidate {
                name: n.to_string(),
                source: n.to_string(),
                votes: v,
            })
            .collect();
        t.regions = vec![RegionLevel {
            source_codes: None,
            name: "region".into(),
            codes,
            paths: vec![vec!["North".into()], vec!["South".into()]],
        }];
        t
    }

    #[test]
    fn groups_cover_every_station_once_per_level() {
        let t = two_region_tally();
        let g = Groups::new(&t, 1);
        assert_eq!(g.members[0], vec![0, 1, 2, 3]);
        assert_eq!(g.members[1], vec![0, 2]);
        assert_eq!(g.members[2], vec![1, 3]);
        assert_eq!(g.levels(), vec![("state", 1..3)]);
        assert_eq!(g.station_group(4), vec![vec![1, 2, 1, 2]]);
        assert_eq!(g.short_name(2), "B");
    }

    #[test]
    fn leader_first_minor_candidates_dropped() {
        let t = two_region_tally();
        let params = crate::forensics::Params::default();
        let b = Battery::new(&t, &params);
        let c = contenders(&b);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "y");
        assert!(c[0].leader);
        assert!((c[0].share - 169.0 / 200.0).abs() < 1e-12);
    }

    #[test]
    fn dithering_stays_near_the_ratio_and_histogram_clamps() {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let d = dithered(50, 100, &mut rng);
            assert!((d - 0.5).abs() < 0.011, "{d}");
            assert!(dithered(0, 0, &mut rng) >= 0.0);
        }
        let h = histogram(
            [0.0, 0.5, 0.999, 1.2, -1.0, f64::NAN].into_iter(),
            0.0,
            1.0,
            10,
        );
        assert_eq!(h[0], 2.0);
        assert_eq!(h[5], 1.0);
        assert_eq!(h[9], 2.0);
        assert_eq!(ratios(&[1, 2], &[2, 0]), vec![Some(0.5), None]);
    }
}
