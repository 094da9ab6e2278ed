//! Tampering applied to an honest synthetic election, with ground truth.
//!
//! Why: a forensic method is only calibrated if we know how it reacts to the
//! fraud it claims to detect. Two families are simulated:
//!
//! * Klimek fraud (Klimek, Yegorov, Hanel & Thurner 2012, "Statistical
//!   detection of systematic election irregularities", PNAS 109(41):16469),
//!   following the Election Forensics Toolkit's conversion of Klimek's
//!   `ElectionFritter`: each station independently has incremental fraud
//!   with probability f_i, x = |N(0, theta)| (redrawn until 0 < x < 1), or
//!   extreme fraud with probability f_e, x = 1 - |N(0, 0.075)| (redrawn until
//!   0 < x < 1). Ballot stuffing adds floor(x (registered - ballots_cast))
//!   ballots, all for the leader; vote stealing moves round(x^alpha v_j) votes
//!   from every other candidate j to the leader. Null and blank ballots are
//!   untouched, so the sheet still adds up.
//! * Digit fabrication (Beber & Scacco 2012, "What the numbers say: a digit-
//!   based test for election fraud", Political Analysis 20(2):211): a person
//!   inventing numbers keeps each count's magnitude (honest count +/- ~3%)
//!   but picks the last digit by habit: too many 0s and 5s and favourite
//!   digits such as 7, few repeated final pairs (33, 77), many adjacent final
//!   pairs (34, 65). Fabricators make the sheet consistent: valid = sum of
//!   candidates, ballots_cast = valid + null + blank, at most registered.
//!
//! A station gets at most one kind of tampering: fabricated stations are
//! chosen first and are skipped by Klimek fraud (their Klimek draws are still
//! consumed, so adding fabrication does not move the Klimek stations).

use rand::{Rng, RngExt};

use super::model::{normal, Election, FraudKind};

/// Probability of each last digit 0..9 when a person makes a count up:
/// 0 and 5 are over-used (0.36 together instead of 0.2), 7 is a favourite,
/// 9 and 1 are avoided. Before the tens-digit adjustments of
/// [`human_last_digit`].
pub const HUMAN_LAST_DIGIT: [f64; 10] =
    [0.20, 0.07, 0.08, 0.09, 0.07, 0.16, 0.08, 0.12, 0.08, 0.05];

/// Weight factor for a last digit equal to the tens digit (33, 77 avoided).
const REPEAT_FACTOR: f64 = 0.25;
/// Weight factor for a last digit adjacent to the tens digit (34, 65 liked).
const ADJACENT_FACTOR: f64 = 1.6;
/// Relative sd of a fabricated count around the honest one.
const FABRICATION_SD: f64 = 0.03;
/// Klimek's sd of 1 - x for extreme fraud.
const EXTREME_SD: f64 = 0.075;

/// Draw a last digit as a person would write it, given the tens digit of the
/// number (None for one-digit numbers).
pub fn human_last_digit<R: Rng + ?Sized>(rng: &mut R, tens: Option<u32>) -> u32 {
    let mut w = HUMAN_LAST_DIGIT;
    if let Some(t) = tens.map(|t| (t % 10) as usize) {
        w[t] *= REPEAT_FACTOR;
        if t > 0 {
            w[t - 1] *= ADJACENT_FACTOR;
        }
        if t < 9 {
            w[t + 1] *= ADJACENT_FACTOR;
        }
    }
    let mut u = rng.random::<f64>() * w.iter().sum::<f64>();
    for (d, wd) in w.iter().enumerate() {
        if u < *wd {
            return d as u32;
        }
        u -= wd;
    }
    9
}

/// A count invented by a person who knows roughly what the honest count is.
pub fn fabricate_count<R: Rng + ?Sized>(rng: &mut R, honest: u32) -> u32 {
    let approx = (f64::from(honest) * (1.0 + FABRICATION_SD * normal(rng)))
        .round()
        .clamp(0.0, 1e9) as u32;
    let tens = approx / 10;
    tens * 10 + human_last_digit(rng, (approx >= 10).then_some(tens % 10))
}

/// Lower `counts` until they sum to at most `room`, taking tens from the
/// largest count (so invented last digits survive) and single votes only
/// when the largest count is below ten.
pub fn fit_under(counts: &mut [u32], room: u32) {
    loop {
        let sum: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        if sum <= u64::from(room) {
            return;
        }
        let excess = sum - u64::from(room);
        let Some((j, _)) = counts
            .iter()
            .enumerate()
            .max_by_key(|&(j, &c)| (c, std::cmp::Reverse(j)))
        else {
            return;
        };
        counts[j] -= if counts[j] >= 10 {
            10
        } else {
            counts[j].min(excess as u32)
        };
    }
}

/// Klimek x for incremental fraud: |N(0, theta)|, redrawn until 0 < x < 1.
pub fn incremental_x<R: Rng + ?Sized>(rng: &mut R, theta: f64) -> f64 {
    redraw_unit(|| (theta * normal(rng)).abs())
}

/// Klimek x for extreme fraud: 1 - |N(0, 0.075)|, redrawn until 0 < x < 1.
pub fn extreme_x<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    redraw_unit(|| 1.0 - (EXTREME_SD * normal(rng)).abs())
}

fn redraw_unit(mut draw: impl FnMut() -> f64) -> f64 {
    let mut x = 0.5;
    // 0 < x < 1 has probability >= 0.68 per draw: 64 tries never all fail in practice.
    for _ in 0..64 {
        x = draw();
        if x > 0.0 && x < 1.0 {
            return x;
        }
    }
    x.clamp(1e-9, 1.0 - 1e-9)
}

/// Klimek stuffing and stealing at one station; `counts[0]` is the leader.
/// Returns (ballots stuffed, votes moved). Needs `ballots <= registered`.
pub fn stuff_and_steal(
    x: f64,
    alpha: f64,
    registered: u32,
    ballots: u32,
    counts: &mut [u32],
) -> (u32, u32) {
    let stuffed = (x * f64::from(registered.saturating_sub(ballots))).floor() as u32;
    let share = x.powf(alpha);
    let mut moved = 0;
    for c in counts.iter_mut().skip(1) {
        let m = ((share * f64::from(*c)).round() as u32).min(*c);
        *c -= m;
        moved += m;
    }
    if let Some(leader) = counts.first_mut() {
        *leader += stuffed + moved;
    }
    (stuffed, moved)
}

/// Pick the fabricated stations: round(share x n) of the chosen region's
/// stations, uniformly (partial Fisher-Yates).
pub(crate) fn choose_fabricated<R: Rng + ?Sized>(e: &Election, rng: &mut R) -> Vec<bool> {
    let mut chosen = vec![false; e.n_stations()];
    let Some(fab) = &e.spec.fabrication else {
        return chosen;
    };
    let mut pool: Vec<usize> = (0..e.n_stations())
        .filter(|&i| e.station_region(i) == fab.region)
        .collect();
    let m = ((fab.share * pool.len() as f64).round() as usize).min(pool.len());
    for i in 0..m {
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
        chosen[pool[i]] = true;
    }
    chosen
}

pub(crate) fn apply_klimek<R: Rng + ?Sized>(e: &mut Election, fabricated: &[bool], rng: &mut R) {
    let (fi, fe) = (e.spec.incremental_fraud, e.spec.extreme_fraud);
    if fi <= 0.0 && fe <= 0.0 {
        return;
    }
    let (alpha, theta) = (e.spec.fraud_alpha, e.spec.fraud_theta);
    let mut counts = vec![0u32; e.votes.len()];
    for (i, &skip) in fabricated.iter().enumerate() {
        let u: f64 = rng.random();
        let (kind, x) = if u < fi {
            (FraudKind::Incremental, incremental_x(rng, theta))
        } else if u < fi + fe {
            (FraudKind::Extreme, extreme_x(rng))
        } else {
            continue;
        };
        if skip {
            continue;
        }
        gather(e, i, &mut counts);
        let (stuffed, moved) =
            stuff_and_steal(x, alpha, e.registered[i], e.ballots_cast[i], &mut counts);
        scatter(e, i, &counts);
        e.ballots_cast[i] += stuffed;
        e.valid[i] += stuffed;
        e.fraud[i] = kind;
        e.fraud_x[i] = x;
        e.ballots_delta[i] = stuffed as i32;
        e.leader_delta[i] = (stuffed + moved) as i32;
    }
}

pub(crate) fn apply_fabrication<R: Rng + ?Sized>(
    e: &mut Election,
    fabricated: &[bool],
    rng: &mut R,
) {
    let mut counts = vec![0u32; e.votes.len()];
    for i in (0..e.n_stations()).filter(|&i| fabricated[i]) {
        gather(e, i, &mut counts);
        let honest_leader = counts.first().copied().unwrap_or(0);
        counts
            .iter_mut()
            .for_each(|c| *c = fabricate_count(rng, *c));
        // null + blank <= honest ballots <= registered, so room is >= 0.
        let room = e.registered[i].saturating_sub(e.null[i] + e.blank[i]);
        fit_under(&mut counts, room);
        scatter(e, i, &counts);
        let valid: u32 = counts.iter().sum();
        let ballots = valid + e.null[i] + e.blank[i];
        e.ballots_delta[i] = ballots as i32 - e.ballots_cast[i] as i32;
        e.leader_delta[i] = counts.first().copied().unwrap_or(0) as i32 - honest_leader as i32;
        e.valid[i] = valid;
        e.ballots_cast[i] = ballots;
        e.fraud[i] = FraudKind::Fabricated;
        e.fraud_x[i] = 0.0;
    }
}

/// One line: clean, or what fraud was injected and where (realised counts).
pub fn describe(e: &Election) -> String {
    let s = &e.spec;
    let count = |kind| e.count_kind(kind);
    let mut parts = Vec::new();
    if s.incremental_fraud > 0.0 || s.extreme_fraud > 0.0 {
        let leader = e
            .candidates
            .first()
            .map_or("the leader", |c| c.name.as_str());
        parts.push(format!(
            "Klimek fraud for {leader}: incremental in {} stations (f_i={}, theta={}), extreme in {} (f_e={}), alpha={}",
            count(FraudKind::Incremental),
            s.incremental_fraud,
            s.fraud_theta,
            count(FraudKind::Extreme),
            s.extreme_fraud,
            s.fraud_alpha
        ));
    }
    if let Some(f) = &s.fabrication {
        let region = e.region_names.get(f.region).map_or("?", |r| r.as_str());
        let n = count(FraudKind::Fabricated);
        parts.push(format!(
            "digits fabricated in {n} stations of {region} (share {})",
            f.share
        ));
    }
    let (n, k) = (e.n_stations(), e.candidates.len());
    if parts.is_empty() {
        format!("clean, {n} stations, {k} candidates, no fraud injected")
    } else {
        format!("{n} stations, {k} candidates; {}", parts.join("; "))
    }
}

fn gather(e: &Election, i: usize, counts: &mut [u32]) {
    for (c, v) in counts.iter_mut().zip(&e.votes) {
        *c = v[i];
    }
}

fn scatter(e: &mut Election, i: usize, counts: &[u32]) {
    for (c, v) in counts.iter().zip(e.votes.iter_mut()) {
        v[i] = *c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::model::{generate, rng_stream};
    use crate::simulate::spec::{Fabrication, SimSpec};

    /// The default spec changed by `f`.
    fn sim(f: impl FnOnce(&mut SimSpec)) -> SimSpec {
        let mut spec = SimSpec::default();
        f(&mut spec);
        spec
    }

    fn klimek(s: &mut SimSpec) {
        (s.seed, s.stations, s.incremental_fraud, s.extreme_fraud) = (11, 10_000, 0.3, 0.05);
    }

    fn stations(e: &Election, kind: FraudKind) -> Vec<usize> {
        (0..e.n_stations())
            .filter(|&i| e.fraud[i] == kind)
            .collect()
    }

    fn turnout(e: &Election) -> f64 {
        let sum = |c: &[u32]| c.iter().map(|&v| u64::from(v)).sum::<u64>() as f64;
        sum(&e.ballots_cast) / sum(&e.registered)
    }

    #[test]
    fn stuffing_and_stealing_arithmetic() {
        let mut counts = [100, 50, 10];
        // 400 non-voters: floor(0.5 * 400) = 200 stuffed; round(0.5 * 50) + round(0.5 * 10) moved.
        assert_eq!(stuff_and_steal(0.5, 1.0, 1000, 600, &mut counts), (200, 30));
        assert_eq!(counts, [330, 25, 5]);
        let mut counts = [10, 40];
        assert_eq!(stuff_and_steal(0.25, 0.5, 100, 50, &mut counts), (12, 20));
        assert_eq!(counts, [42, 20]);
    }

    #[test]
    fn klimek_fractions_turnout_and_extreme_shares() {
        let e = generate(&sim(klimek));
        e.check_consistency().unwrap();
        let n = e.n_stations() as f64;
        for (kind, f) in [(FraudKind::Incremental, 0.3), (FraudKind::Extreme, 0.05)] {
            let got = e.count_kind(kind) as f64 / n;
            let se = (f * (1.0 - f) / n).sqrt();
            assert!((got - f).abs() < 4.0 * se, "{kind:?}: {got} vs {f}");
        }
        let clean = generate(&sim(|s| (s.seed, s.stations) = (11, 10_000)));
        let (t_clean, t_fraud) = (turnout(&clean), turnout(&e));
        assert!(t_fraud > t_clean + 0.02, "turnout {t_clean} -> {t_fraud}");
        let extreme = stations(&e, FraudKind::Extreme);
        let share = |i: usize| f64::from(e.votes[0][i]) / f64::from(e.valid[i].max(1));
        let mean_share = extreme.iter().map(|&i| share(i)).sum::<f64>() / extreme.len() as f64;
        assert!(
            mean_share > 0.85,
            "leader share in extreme stations {mean_share}"
        );
        let tampered = stations(&e, FraudKind::Incremental)
            .into_iter()
            .chain(extreme);
        for i in tampered {
            assert!(e.fraud_x[i] > 0.0 && e.fraud_x[i] < 1.0 && e.leader_delta[i] >= 0);
        }
        assert!(stations(&e, FraudKind::None)
            .iter()
            .all(|&i| e.fraud_x[i] == 0.0));
    }

    /// Share of counts >= 10 ending in 0 or 5, and how many counts that is.
    fn zero_or_five(counts: impl Iterator<Item = u32>) -> (f64, usize) {
        let v: Vec<u32> = counts.filter(|&c| c >= 10).collect();
        let hits = v.iter().filter(|&&c| c % 5 == 0).count();
        (hits as f64 / v.len() as f64, v.len())
    }

    #[test]
    fn fabricated_counts_show_human_digits_and_add_up() {
        let fab = Some(Fabrication {
            region: 1,
            share: 0.8,
        });
        let e = generate(&sim(|s| {
            (s.seed, s.stations, s.fabrication) = (3, 8000, fab)
        }));
        e.check_consistency().unwrap();
        let in_region = (0..e.n_stations())
            .filter(|&i| e.station_region(i) == 1)
            .count();
        let fabricated = stations(&e, FraudKind::Fabricated);
        assert_eq!(fabricated.len(), (0.8 * in_region as f64).round() as usize);
        assert!(fabricated.iter().all(|&i| e.station_region(i) == 1));
        let (fab_share, fab_n) = zero_or_five(fabricated.iter().map(|&i| e.votes[0][i]));
        let (clean_share, _) = zero_or_five(
            stations(&e, FraudKind::None)
                .into_iter()
                .map(|i| e.votes[0][i]),
        );
        assert!(fab_n >= 500, "only {fab_n} fabricated leader counts");
        assert!(fab_share > 0.28, "fabricated 0/5 share {fab_share}");
        assert!(
            (clean_share - 0.2).abs() < 0.03,
            "clean 0/5 share {clean_share}"
        );
        // Magnitudes stay close to the honest ones.
        let honest = generate(&sim(|s| (s.seed, s.stations) = (3, 8000)));
        let (f, h) = (&e.votes[0], &honest.votes[0]);
        let rel = |i: usize| (f64::from(f[i]) - f64::from(h[i])).abs() / f64::from(h[i].max(50));
        assert!(fabricated.iter().map(|&i| rel(i)).sum::<f64>() / (fab_n as f64) < 0.05);
    }

    #[test]
    fn human_digits_avoid_repeats_and_like_neighbours() {
        let mut rng = rng_stream(9, 9);
        let draws: Vec<u32> = (0..20_000)
            .map(|_| human_last_digit(&mut rng, Some(3)))
            .collect();
        let share = |d: u32| draws.iter().filter(|&&x| x == d).count() as f64 / draws.len() as f64;
        assert!(share(3) < 0.04, "repeated 33 share {}", share(3));
        assert!(
            share(4) > share(1) && share(2) > share(8),
            "neighbours of 3 preferred"
        );
        assert!(share(0) + share(5) > 0.3);
        assert!(fabricate_count(&mut rng, 0) < 10);
    }

    #[test]
    fn fit_under_keeps_last_digits_when_it_can() {
        let mut counts = [125, 37, 8];
        fit_under(&mut counts, 150);
        assert_eq!(counts, [105, 37, 8]);
        let mut tiny = [7, 9, 5];
        fit_under(&mut tiny, 10);
        assert!(tiny.iter().sum::<u32>() <= 10);
    }

    #[test]
    fn summary_says_what_was_injected() {
        let s = generate(&sim(|s| (s.incremental_fraud, s.stations) = (0.3, 600))).summary();
        assert!(
            s.contains("Klimek fraud for Ana Acosta") && s.contains("f_i=0.3"),
            "{s}"
        );
        assert!(generate(&SimSpec::default()).summary().starts_with("clean"));
    }
}
