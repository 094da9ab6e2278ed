//! Copies of a loaded election: resampled (the baseline) and with one known manipulation.
//!
//! Every function takes a `Tally` and returns a new one; nothing here reads or writes files.
//!
//! * `resample`: per-station binomial resampling (Mebane 2006; the "simulation-calibrated null" of
//!   methods.md): ballots ~ Binomial(registered, observed turnout), valid ~ Binomial(ballots,
//!   observed valid share), null/blank and candidates multinomial at the station's observed
//!   shares. The geography, turnout and vote-share structure stay; the digits become chance digits.
//! * The manipulations act on a share `s` of stations chosen uniformly at random:
//!   - `BallotStuffing`: Klimek, Yegorov, Hanel & Thurner (2012, PNAS 109(41):16469) incremental
//!     fraud as in our generator (`simulate::fraud::stuff_and_steal`, x = |N(0, 0.15)|, α = 1):
//!     x·(registered − ballots) ballots added for the leader and a share x of every other
//!     candidate's votes moved to the leader.
//!   - `ExtremeStuffing`: Klimek's extreme fraud, the same kernel with x = 1 − |N(0, 0.075)|: the
//!     station ends near 100 % turnout and 100 % for the leader.
//!   - `VoteSwitching`: 20 % of the runner-up's votes become the leader's (ballots unchanged).
//!   - `FabricatedDigits`: every candidate count rewritten with people's number habits (Beber &
//!     Scacco 2012, Political Analysis 20(2):211; `simulate::fraud::fabricate_count`), the sheet
//!     kept consistent.
//!   - `RoundedCounts`: every candidate count rounded to the nearest multiple of 5 (a tired clerk).
//!   - `PercentagesFirst`: the leader's count set to round(ballots × p / 100) with p its share of
//!     ballots cast rounded to a whole percent, the difference taken from (or given to) the
//!     runner-up so that the sheet still adds up (Kobak, Shpilkin & Pshenichnikov 2016, Ann. Appl.
//!     Stat. 10(1):54: results written down from target percentages; their test reads the
//!     leader's share of ballots cast, as `integer_percentages` does).
//!
//! Stations without registered voters or ballots are left as they are; a manipulation never
//! makes ballots exceed registered voters where the baseline does not (stuffing fills at most the
//! non-voters; the others cap their additions).

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::simulate::fraud::{
    extreme_x, fabricate_count, fit_under, incremental_x, stuff_and_steal,
};
use crate::stats::sampling::binomial_u64 as binomial;
use crate::tally::Tally;

/// Spread of Klimek's incremental-fraud x (our generator's default `--fraud-theta`).
pub const STUFFING_THETA: f64 = 0.15;
/// Klimek's α: votes stolen from the others scale as x^α (generator default `--fraud-alpha`).
pub const STUFFING_ALPHA: f64 = 1.0;
/// Share of the runner-up's votes switched to the leader in a manipulated station.
pub const SWITCH_SHARE: f64 = 0.2;

/// A known manipulation injected into copies of the election.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Manipulation {
    BallotStuffing,
    ExtremeStuffing,
    VoteSwitching,
    FabricatedDigits,
    RoundedCounts,
    PercentagesFirst,
}

impl Manipulation {
    pub const ALL: [Manipulation; 6] = [
        Manipulation::BallotStuffing,
        Manipulation::ExtremeStuffing,
        Manipulation::VoteSwitching,
        Manipulation::FabricatedDigits,
        Manipulation::RoundedCounts,
        Manipulation::PercentagesFirst,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Manipulation::BallotStuffing => "ballot_stuffing",
            Manipulation::ExtremeStuffing => "extreme_stuffing",
            Manipulation::VoteSwitching => "vote_switching",
            Manipulation::FabricatedDigits => "fabricated_digits",
            Manipulation::RoundedCounts => "rounded_counts",
            Manipulation::PercentagesFirst => "percentages_first",
        }
    }

    /// What is done to each manipulated station, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Manipulation::BallotStuffing => "Klimek incremental stuffing: x·non-voters added for the leader and a share x of the others' votes moved to the leader, x = |N(0, 0.15)|",
            Manipulation::ExtremeStuffing => "Klimek extreme stuffing: nearly all non-voters added for the leader and nearly all the others' votes moved to the leader, x = 1 − |N(0, 0.075)|",
            Manipulation::VoteSwitching => "20 % of the runner-up's votes given to the leader",
            Manipulation::FabricatedDigits => "every candidate count rewritten with people's digit habits (±3 %, favourite last digits)",
            Manipulation::RoundedCounts => "every candidate count rounded to a multiple of 5",
            Manipulation::PercentagesFirst => "the leader's count set to a whole percentage of the ballots cast, the runner-up paying the difference",
        }
    }

    pub fn parse(id: &str) -> Option<Manipulation> {
        Manipulation::ALL.into_iter().find(|m| m.id() == id)
    }
}

/// Split `n` over categories with weights `w` (multinomial by sequential binomials); weights that
/// sum to 0 give everything to the first category.
fn multinomial<R: Rng + ?Sized>(rng: &mut R, n: u64, w: &[u64], out: &mut [u64]) {
    let mut left = n;
    let mut rest: u64 = w.iter().sum();
    for (o, &wi) in out.iter_mut().zip(w) {
        *o = if rest == 0 {
            0
        } else {
            binomial(rng, left, wi as f64 / rest as f64)
        };
        left -= *o;
        rest -= wi;
    }
    if left > 0 {
        if let Some(first) = out.first_mut() {
            *first += left;
        }
    }
}

/// The baseline copy: every station's counts redrawn at its observed rates.
pub fn resample<R: Rng + ?Sized>(t: &Tally, rng: &mut R) -> Tally {
    let mut out = t.clone();
    let k = t.candidates.len();
    // Weights of the categories of valid votes: candidates, then votes no candidate column holds.
    let mut w = vec![0u64; k + 1];
    let mut drawn = vec![0u64; k + 1];
    for i in 0..t.n_stations() {
        let ballots = t.ballots_cast[i];
        let new_ballots = match &t.registered {
            Some(reg) if reg[i] > 0 && ballots <= reg[i] => {
                binomial(rng, reg[i], ballots as f64 / reg[i] as f64)
            }
            _ => ballots,
        };
        let valid = t.valid[i].min(ballots);
        let new_valid = if ballots == 0 {
            0
        } else {
            binomial(rng, new_ballots, valid as f64 / ballots as f64)
        };
        // Invalid ballots: null, blank and whatever else the sheet does not break down.
        let null = t.null.as_ref().map_or(0, |v| v[i]);
        let blank = t.blank.as_ref().map_or(0, |v| v[i]);
        let other = (ballots - valid).saturating_sub(null + blank);
        let mut invalid = [0u64; 3];
        multinomial(
            rng,
            new_ballots - new_valid,
            &[null, blank, other],
            &mut invalid,
        );
        // A sheet whose invalid categories were all zero puts its invalid ballots in `other`.
        if null + blank + other == 0 {
            invalid = [0, 0, new_ballots - new_valid];
        }
        for (j, c) in t.candidates.iter().enumerate() {
            w[j] = c.votes[i];
        }
        let named: u64 = w[..k].iter().sum();
        w[k] = t.valid[i].saturating_sub(named);
        multinomial(rng, new_valid, &w, &mut drawn);
        for (j, c) in out.candidates.iter_mut().enumerate() {
            c.votes[i] = drawn[j];
        }
        out.ballots_cast[i] = new_ballots;
        out.valid[i] = new_valid;
        if let Some(v) = out.null.as_mut() {
            v[i] = invalid[0];
        }
        if let Some(v) = out.blank.as_mut() {
            v[i] = invalid[1];
        }
    }
    out
}

/// The leader (most votes) and runner-up indices into `t.candidates`.
pub fn leader_and_runner_up(t: &Tally) -> (usize, Option<usize>) {
    let mut idx: Vec<usize> = (0..t.candidates.len()).collect();
    idx.sort_by_key(|&j| std::cmp::Reverse(t.candidates[j].votes.iter().sum::<u64>()));
    (idx.first().copied().unwrap_or(0), idx.get(1).copied())
}

/// round(share × n) stations chosen uniformly (partial Fisher–Yates), as a mask.
pub fn choose<R: Rng + ?Sized>(n: usize, share: f64, rng: &mut R) -> Vec<bool> {
    let m = ((share * n as f64).round() as usize).min(n);
    let mut pool: Vec<usize> = (0..n).collect();
    let mut chosen = vec![false; n];
    for i in 0..m {
        let j = rng.random_range(i..n);
        pool.swap(i, j);
        chosen[pool[i]] = true;
    }
    chosen
}

/// Apply `m` to a share `s` of the stations of `t` (in place). Returns the stations changed.
pub fn inject<R: Rng + ?Sized>(t: &mut Tally, m: Manipulation, s: f64, rng: &mut R) -> usize {
    if t.candidates.is_empty() {
        return 0;
    }
    let (leader, runner_up) = leader_and_runner_up(t);
    let chosen = choose(t.n_stations(), s, rng);
    let mut changed = 0;
    let k = t.candidates.len();
    // Candidate counts of one station, leader first (the order `stuff_and_steal` expects).
    let order: Vec<usize> = std::iter::once(leader)
        .chain((0..k).filter(|&j| j != leader))
        .collect();
    let mut counts = vec![0u32; k];
    for i in (0..t.n_stations()).filter(|&i| chosen[i]) {
        let before: Vec<u64> = order.iter().map(|&j| t.candidates[j].votes[i]).collect();
        if before.iter().any(|&v| v > u64::from(u32::MAX / 4)) {
            continue;
        }
        for (c, &v) in counts.iter_mut().zip(&before) {
            *c = v as u32;
        }
        let registered = t.registered.as_ref().map(|r| r[i]);
        let ballots = t.ballots_cast[i];
        // Room for more valid votes without exceeding registered voters.
        let room = registered.map_or(u64::MAX, |r| r.saturating_sub(ballots));
        let mut added_ballots: i64 = 0;
        match m {
            Manipulation::BallotStuffing | Manipulation::ExtremeStuffing => {
                let (Some(r), true) = (registered, ballots <= registered.unwrap_or(0)) else {
                    continue;
                };
                if r > u64::from(u32::MAX / 4) {
                    continue;
                }
                let x = if m == Manipulation::BallotStuffing {
                    incremental_x(rng, STUFFING_THETA)
                } else {
                    extreme_x(rng)
                };
                let (stuffed, _) =
                    stuff_and_steal(x, STUFFING_ALPHA, r as u32, ballots as u32, &mut counts);
                added_ballots = i64::from(stuffed);
            }
            Manipulation::VoteSwitching => {
                let Some(ru) = runner_up else { continue };
                let pos = order.iter().position(|&j| j == ru).unwrap_or(0);
                let moved = (SWITCH_SHARE * f64::from(counts[pos])).round() as u32;
                counts[pos] -= moved;
                counts[0] += moved;
            }
            Manipulation::FabricatedDigits => {
                let honest: u64 = before.iter().sum();
                for c in counts.iter_mut() {
                    *c = fabricate_count(rng, *c);
                }
                // Fabricators keep the sheet possible: no more valid votes than room allows.
                let cap = (honest + room).min(u64::from(u32::MAX / 4)) as u32;
                fit_under(&mut counts, cap);
                added_ballots = counts.iter().map(|&c| i64::from(c)).sum::<i64>() - honest as i64;
            }
            Manipulation::RoundedCounts => {
                for c in counts.iter_mut() {
                    *c = (*c + 2) / 5 * 5;
                }
                let honest: u64 = before.iter().sum();
                let cap = (honest + room).min(u64::from(u32::MAX / 4)) as u32;
                // Rounding down the largest count by 5 keeps multiples of 5.
                while counts.iter().map(|&c| u64::from(c)).sum::<u64>() > u64::from(cap) {
                    let j = (0..k).max_by_key(|&j| counts[j]).unwrap_or(0);
                    counts[j] = counts[j].saturating_sub(5);
                }
                added_ballots = counts.iter().map(|&c| i64::from(c)).sum::<i64>() - honest as i64;
            }
            Manipulation::PercentagesFirst => {
                let Some(ru) = runner_up else { continue };
                if ballots == 0 {
                    continue;
                }
                let pos = order.iter().position(|&j| j == ru).unwrap_or(0);
                let pct = (100.0 * f64::from(counts[0]) / ballots as f64).round();
                let target = (ballots as f64 * pct / 100.0).round() as i64;
                // The runner-up pays for a rise and receives a fall.
                let delta = (target - i64::from(counts[0])).min(i64::from(counts[pos]));
                counts[0] = (i64::from(counts[0]) + delta) as u32;
                counts[pos] = (i64::from(counts[pos]) - delta) as u32;
            }
        }
        for (&j, &c) in order.iter().zip(&counts) {
            t.candidates[j].votes[i] = u64::from(c);
        }
        t.valid[i] = (t.valid[i] as i64 + added_ballots).max(0) as u64;
        t.ballots_cast[i] = (t.ballots_cast[i] as i64 + added_ballots).max(0) as u64;
        if order
            .iter()
            .zip(&before)
            .any(|(&j, &b)| t.candidates[j].votes[i] != b)
        {
            changed += 1;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::Candidate;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// n stations of 1,000 registered voters, 600 ballots, 590 valid: A 330, B 200, C 60; null 10.
    pub(crate) fn flat_tally(n: usize) -> Tally {
        let c = |name: &str, v: u64| Candidate {
            name: name.into(),
            source: name.into(),
            votes: vec![v; n],
        };
        Tally {
            name: "t".into(),
            station_keys: (0..n).map(|i| i.to_string()).collect(),
            registered: Some(vec![1000; n]),
            ballots_cast: vec![600; n],
            valid: vec![590; n],
            null: Some(vec![10; n]),
            candidates: vec![c("B", 200), c("A", 330), c("C", 60)],
            ..Tally::default()
        }
    }

    fn consistent(t: &Tally) {
        for i in 0..t.n_stations() {
            let s: u64 = t.candidates.iter().map(|c| c.votes[i]).sum();
            assert_eq!(s, t.valid[i], "station {i}");
            assert_eq!(
                t.valid[i] + t.null.as_ref().unwrap()[i],
                t.ballots_cast[i],
                "station {i}"
            );
            assert!(t.ballots_cast[i] <= t.registered.as_ref().unwrap()[i]);
        }
    }

    #[test]
    fn resampling_keeps_rates_and_sheets_consistent() {
        let t = flat_tally(4000);
        let r = resample(&t, &mut ChaCha8Rng::seed_from_u64(1));
        consistent(&r);
        let mean = |v: &[u64]| v.iter().sum::<u64>() as f64 / v.len() as f64;
        // Binomial(1000, 0.6): mean 600, SD 15.5; the mean of 4,000 is within 600 ± 1.
        assert!((mean(&r.ballots_cast) - 600.0).abs() < 1.0);
        let sd = {
            let m = mean(&r.ballots_cast);
            (r.ballots_cast
                .iter()
                .map(|&b| (b as f64 - m).powi(2))
                .sum::<f64>()
                / 4000.0)
                .sqrt()
        };
        assert!((sd - (1000.0f64 * 0.6 * 0.4).sqrt()).abs() < 0.8, "{sd}");
        // A's share of valid votes stays 330/590.
        let a: u64 = r.candidates[1].votes.iter().sum();
        let v: u64 = r.valid.iter().sum();
        assert!((a as f64 / v as f64 - 330.0 / 590.0).abs() < 0.003);
    }

    #[test]
    fn each_manipulation_changes_the_chosen_share_and_keeps_sheets_possible() {
        for m in Manipulation::ALL {
            let mut t = flat_tally(1000);
            let changed = inject(&mut t, m, 0.1, &mut ChaCha8Rng::seed_from_u64(2));
            consistent(&t);
            let lead: u64 = t.candidates[1].votes.iter().sum();
            match m {
                Manipulation::ExtremeStuffing => {
                    assert_eq!(changed, 100, "{m:?}");
                    assert!(t.ballots_cast.iter().filter(|&&b| b > 950).count() >= 90);
                }
                Manipulation::BallotStuffing => {
                    // x > 0 almost surely: every chosen station gains leader votes.
                    assert!((95..=100).contains(&changed), "{m:?} {changed}");
                    assert!(lead > 330 * 1000);
                    assert!(t.ballots_cast.iter().filter(|&&b| b > 600).count() >= 95);
                }
                Manipulation::VoteSwitching => {
                    assert_eq!(changed, 100);
                    assert_eq!(lead, 330 * 1000 + 40 * 100);
                    assert_eq!(t.ballots_cast, vec![600; 1000]);
                }
                Manipulation::FabricatedDigits => {
                    assert!(changed >= 95, "{m:?} {changed}");
                }
                Manipulation::RoundedCounts => {
                    // 330, 200, 60 are already multiples of 5: nothing to change.
                    assert_eq!(changed, 0);
                }
                Manipulation::PercentagesFirst => {
                    // 330 of 600 ballots = 55 %: already whole.
                    assert_eq!(changed, 0);
                }
            }
        }
    }

    #[test]
    fn rounding_and_percentages_act_on_uneven_counts() {
        let mut t = flat_tally(200);
        t.candidates[1].votes = vec![333; 200];
        t.candidates[0].votes = vec![197; 200];
        let changed = inject(
            &mut t,
            Manipulation::RoundedCounts,
            0.5,
            &mut ChaCha8Rng::seed_from_u64(3),
        );
        consistent(&t);
        assert_eq!(changed, 100);
        assert_eq!(
            t.candidates[1].votes.iter().filter(|&&v| v == 335).count(),
            100
        );
        assert_eq!(
            t.candidates[0].votes.iter().filter(|&&v| v == 195).count(),
            100
        );

        let mut t = flat_tally(200);
        t.candidates[1].votes = vec![333; 200];
        t.candidates[0].votes = vec![197; 200];
        let changed = inject(
            &mut t,
            Manipulation::PercentagesFirst,
            0.25,
            &mut ChaCha8Rng::seed_from_u64(4),
        );
        consistent(&t);
        assert_eq!(changed, 50);
        // 333 of 600 ballots = 55.5 % → 56 % of 600 = 336; the runner-up gives 3 (197 → 194).
        let count = |j: usize, v: u64| t.candidates[j].votes.iter().filter(|&&x| x == v).count();
        assert_eq!((count(1, 336), count(0, 194)), (50, 50));
        assert_eq!(t.valid, vec![590; 200]);
    }

    #[test]
    fn choose_picks_exactly_the_rounded_share() {
        let mask = choose(1000, 0.05, &mut ChaCha8Rng::seed_from_u64(5));
        assert_eq!(mask.iter().filter(|&&b| b).count(), 50);
        assert_eq!(
            choose(10, 0.0, &mut ChaCha8Rng::seed_from_u64(5)),
            vec![false; 10]
        );
    }
}
