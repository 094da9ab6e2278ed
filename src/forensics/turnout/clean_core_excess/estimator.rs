//! The clean-core estimator on binned sufficient statistics: the leader's votes and the other
//! candidates' votes summed per 1-point turnout bin. Everything the estimator needs is in those
//! sums, so the national estimate, each region's, and the national estimate without one region
//! (leave-one-region-out) come from adding and subtracting the same per-region sums, on the data
//! and on every replicate alike.
//!
//! The rule (Shpilkin's, as in Kobak, Shpilkin & Pshenichnikov 2016 and EFToolkit's
//! `ComputeShpilkinMethod`, option M2, with a 5-point core instead of one bin):
//! 1. the votes cast per turnout bin, smoothed over 5 bins with weights 1, 2, 3, 2, 1 (spikes at
//!    whole percentages, themselves a signature of made-up numbers, must not pick the mode);
//! 2. the clean peak k₀: the bin with the most votes at or below the overall turnout (stuffing
//!    moves stations to the right of the peak, never to the left);
//! 3. the clean core: bins k₀ − 2 … k₀ + 2; the leader's ratio to the others there, r₀ = W/O;
//! 4. above the core the others' votes are taken as counted, and the leader's clean votes as
//!    r₀ × the others' votes: the excess is Σ_{k > k₀+2} (W_k − r₀ O_k).
//!
//! No clean core is identified (an error with the reason) when the core holds fewer than
//! `MIN_CORE_STATIONS` stations or less than `MIN_CORE_VOTES` of the votes, or when the leader
//! has every vote of the core.

/// Turnout bins: 0, 1, …, 99 % and a last bin for 100 % (and the few stations above it).
pub const BINS: usize = 101;
/// Half-width of the clean core in bins (the core spans 5 points).
pub const CORE_HALF: usize = 2;
/// Fewest stations in the clean core.
pub const MIN_CORE_STATIONS: u32 = 30;
/// Smallest share of all valid votes in the clean core.
pub const MIN_CORE_VOTES: f64 = 0.05;

/// Per-bin sums of one set of stations.
#[derive(Debug, Clone, PartialEq)]
pub struct BinSums {
    /// Leader's votes per turnout bin.
    pub leader: Vec<f64>,
    /// The other candidates' votes (valid − leader) per bin.
    pub others: Vec<f64>,
    /// Stations per bin.
    pub stations: Vec<u32>,
    /// Ballots cast and registered voters in all: the overall turnout.
    pub ballots: f64,
    pub registered: f64,
}

impl Default for BinSums {
    fn default() -> BinSums {
        BinSums {
            leader: vec![0.0; BINS],
            others: vec![0.0; BINS],
            stations: vec![0; BINS],
            ballots: 0.0,
            registered: 0.0,
        }
    }
}

/// The bin of a turnout (a fraction; 1 and above go to the last bin).
pub fn bin_of(turnout: f64) -> usize {
    // The cast truncates, which for the clamped non-negative value is the floor (without
    // `f64::floor`, a library call on x86-64 without SSE4.1: 5 % of the test's profile).
    ((turnout * 100.0 + 1e-9).max(0.0) as usize).min(BINS - 1)
}

impl BinSums {
    /// Adds one station: its turnout, the leader's votes, the others' votes, ballots, registered.
    pub fn add(&mut self, turnout: f64, leader: f64, others: f64, ballots: f64, registered: f64) {
        let k = bin_of(turnout);
        self.leader[k] += leader;
        self.others[k] += others;
        self.stations[k] += 1;
        self.ballots += ballots;
        self.registered += registered;
    }

    /// `self += other` (`sign` = 1.0) or `self −= other` (`sign` = −1.0).
    pub fn accumulate(&mut self, other: &BinSums, sign: f64) {
        for k in 0..BINS {
            self.leader[k] += sign * other.leader[k];
            self.others[k] += sign * other.others[k];
            self.stations[k] = if sign > 0.0 {
                self.stations[k] + other.stations[k]
            } else {
                self.stations[k].saturating_sub(other.stations[k])
            };
        }
        self.ballots += sign * other.ballots;
        self.registered += sign * other.registered;
    }

    /// The sum of several.
    pub fn total<'a>(parts: impl Iterator<Item = &'a BinSums>) -> BinSums {
        let mut t = BinSums::default();
        for p in parts {
            t.accumulate(p, 1.0);
        }
        t
    }

    fn votes(&self, k: usize) -> f64 {
        self.leader[k] + self.others[k]
    }
}

/// What the estimator finds in one set of stations.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The clean peak's bin (turnout k₀ %).
    pub peak: usize,
    /// Overall turnout (ballots / registered).
    pub overall_turnout: f64,
    /// The leader's share of valid votes in the clean core.
    pub core_share: f64,
    /// The leader's votes per vote for the others in the core (r₀).
    pub ratio: f64,
    /// Stations and the share of valid votes in the core.
    pub core_stations: u32,
    pub core_vote_share: f64,
    /// Σ above the core of (leader − r₀ × others): may be negative.
    pub excess: f64,
    /// The leader's votes in all.
    pub leader_votes: f64,
}

/// The estimator on one set of sums.
pub fn estimate(h: &BinSums) -> Result<Estimate, String> {
    let total: f64 = (0..BINS).map(|k| h.votes(k)).sum();
    if total <= 0.0 || h.registered <= 0.0 {
        return Err("no valid votes with a known turnout".into());
    }
    let overall = h.ballots / h.registered;
    let last = bin_of(overall);
    // Triangular weights 1, 2, 3, 2, 1: a lone spike peaks at its own bin.
    let smooth = |k: usize| -> f64 {
        (k.saturating_sub(CORE_HALF)..=(k + CORE_HALF).min(BINS - 1))
            .map(|j| (CORE_HALF + 1 - j.abs_diff(k)) as f64 * h.votes(j))
            .sum()
    };
    let mut peak = 0;
    let mut best = f64::NEG_INFINITY;
    for k in 0..=last {
        let s = smooth(k);
        if s > best {
            best = s;
            peak = k;
        }
    }
    let core = peak.saturating_sub(CORE_HALF)..=(peak + CORE_HALF).min(BINS - 1);
    let core_stations: u32 = core.clone().map(|k| h.stations[k]).sum();
    let (w0, o0): (f64, f64) = core
        .clone()
        .map(|k| (h.leader[k], h.others[k]))
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let core_vote_share = (w0 + o0) / total;
    if core_stations < MIN_CORE_STATIONS || core_vote_share < MIN_CORE_VOTES {
        return Err(format!(
            "no clean core: the densest 5 points of turnout at or below the overall turnout ({} %–{} %) hold {} stations and {:.1} % of the votes (at least {MIN_CORE_STATIONS} stations and {:.0} % are needed)",
            core.start(),
            core.end(),
            core_stations,
            100.0 * core_vote_share,
            100.0 * MIN_CORE_VOTES
        ));
    }
    if o0 <= 0.0 {
        return Err(
            "the leader has every vote of the clean core, so no ratio to the others can be formed"
                .into(),
        );
    }
    let ratio = w0 / o0;
    let excess = (core.end() + 1..BINS)
        .map(|k| h.leader[k] - ratio * h.others[k])
        .sum();
    Ok(Estimate {
        peak,
        overall_turnout: overall,
        core_share: w0 / (w0 + o0),
        ratio,
        core_stations,
        core_vote_share,
        excess,
        leader_votes: h.leader.iter().sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(rows: &[(f64, f64, f64, u32)]) -> BinSums {
        // (turnout, leader, others, stations) with registered = 1000 per station.
        let mut h = BinSums::default();
        for &(t, w, o, n) in rows {
            for _ in 0..n {
                h.add(t, w, o, t * 1000.0, 1000.0);
            }
        }
        h
    }

    #[test]
    fn bins_are_whole_points_and_the_last_holds_100_and_above() {
        assert_eq!(bin_of(0.0), 0);
        assert_eq!(bin_of(0.599999), 59);
        assert_eq!(bin_of(0.6), 60);
        assert_eq!(bin_of(0.29), 29); // 0.29 × 100 = 28.999999999999996 in floating point
        assert_eq!(bin_of(1.0), 100);
        assert_eq!(bin_of(1.3), 100);
        // The truncating cast is the floor the definition names, negatives and NaN included.
        let reference = |t: f64| ((t * 100.0 + 1e-9).floor().max(0.0) as usize).min(BINS - 1);
        for i in -2_000..=12_000 {
            let t = f64::from(i) / 10_000.0;
            for t in [t, t.next_up(), t.next_down()] {
                assert_eq!(bin_of(t), reference(t), "{t}");
            }
        }
        assert_eq!(bin_of(f64::NAN), reference(f64::NAN));
        assert_eq!(bin_of(f64::INFINITY), BINS - 1);
    }

    #[test]
    fn hand_computed_excess() {
        // Core at 50 %: 40 stations, leader 300 and others 200 each (r₀ = 1.5).
        // Above: 10 stations at 80 % with leader 700, others 100: excess 10 × (700 − 150) = 5,500.
        // Below: 10 stations at 30 % (never counted).
        let h = sums(&[
            (0.5, 300.0, 200.0, 40),
            (0.8, 700.0, 100.0, 10),
            (0.3, 100.0, 200.0, 10),
        ]);
        let e = estimate(&h).unwrap();
        assert_eq!(e.peak, 50);
        assert!((e.ratio - 1.5).abs() < 1e-12);
        assert!((e.excess - 5500.0).abs() < 1e-9, "{}", e.excess);
        assert!((e.core_share - 0.6).abs() < 1e-12);
        assert_eq!(e.core_stations, 40);
    }

    #[test]
    fn proportional_votes_above_the_core_give_zero() {
        let h = sums(&[(0.5, 300.0, 200.0, 40), (0.7, 420.0, 280.0, 30)]);
        let e = estimate(&h).unwrap();
        assert!(e.excess.abs() < 1e-9, "{}", e.excess);
    }

    #[test]
    fn the_peak_is_searched_at_or_below_the_overall_turnout() {
        // A big cluster at 95 % (stuffed) to the right of the overall turnout, the honest mode at 55.
        let h = sums(&[(0.55, 300.0, 250.0, 50), (0.95, 900.0, 50.0, 45)]);
        let e = estimate(&h).unwrap();
        assert!(e.overall_turnout < 0.95);
        assert_eq!(e.peak, 55);
        // 45 × (900 − 1.2 × 50) = 37,800.
        assert!((e.excess - 37_800.0).abs() < 1e-6, "{}", e.excess);
    }

    #[test]
    fn a_core_too_small_is_refused() {
        let h = sums(&[(0.5, 300.0, 200.0, 10), (0.8, 700.0, 100.0, 10)]);
        assert!(estimate(&h).unwrap_err().contains("no clean core"));
        let all_leader = sums(&[(0.5, 300.0, 0.0, 40)]);
        assert!(estimate(&all_leader).unwrap_err().contains("every vote"));
    }

    #[test]
    fn sums_add_and_subtract() {
        let a = sums(&[(0.5, 300.0, 200.0, 40)]);
        let b = sums(&[(0.8, 700.0, 100.0, 10)]);
        let mut t = BinSums::total([&a, &b].into_iter());
        t.accumulate(&b, -1.0);
        assert_eq!(t, a);
    }
}
