//! `extreme_stations`: stations at the edges where manipulation leaves its marks — turnout of 95 %
//! or more, a major candidate with 95 % or more of valid votes, or 5 % or less for a major
//! candidate who averages at least 20 % in the group — counted against the smooth continuation of
//! the same stations' own distribution below the edge, and listed by key in
//! `flagged_stations.csv`.
//!
//! Null (`stats::tail`): per group (the whole dataset, each analysed region), the dithered ratios
//! of stations with at least `MIN_DENOMINATOR` voters are binned in 1-point bins; a log-linear
//! Poisson fit to the band of bins just inside the edge — 80–95 %, widened to 65–95 % or 50–95 %
//! (`BANDS`) when the whole dataset has fewer than `MIN_BAND` stations there (a clean leader at
//! 45 % leaves 80–95 % nearly empty) — is continued over 95–100 %, and the observed count at or
//! above 95 % is referred to a negative binomial with the continuation's mean and variance
//! (overdispersion of the band plus the fit's own error). On a light (log-concave) tail a line
//! fitted over a wider band lies above the tail beyond it, so widening errs towards fewer
//! flags. A region with fewer than `MIN_BAND` stations in the band borrows the national slope and
//! fits only its level; a region with none there, or a national band under `MIN_BAND` at the
//! widest, gets no verdict. Ratios are dithered (±0.5 on
//! numerator and denominator; Kobak et al. 2016) so that small stations make no spikes at 100 %.
//!
//! Why not a parametric null: a beta-binomial fitted to the mean and spread of each region (this
//! test's null before) has tails far lighter than honest heterogeneity — Milwaukee's heavily
//! Democratic wards (≥ 95 % in 31–74 units against 13–26 "expected"), tiny rural units — and
//! called clean elections extreme by factors of 10⁷, while a pile-up at the boundary (Russia's
//! stations at 100 % turnout; stuffing that fills the roll) is exactly a break in an otherwise
//! smooth tail. What it cannot tell apart: an honest group whose distribution itself ends in a
//! cliff at the edge (special stations where everyone votes), and manipulation that moves
//! stations smoothly up the whole tail without a pile-up (which `klimek_model` models).
//! References: Klimek et al. (2012) *PNAS* 109:16469 (the 100 %/100 % corner); Kobak, Shpilkin &
//! Pshenichnikov (2016) *Ann. Appl. Stat.* 10:54 (dithering); Myagkov, Ordeshook & Shakin (2009)
//! (zero-vote stations); McCullagh & Nelder (1989) (the Poisson fit).

use crate::finding::{details, Finding, StationFlag, Statistic, TestOutput, Verdict};
use crate::forensics::turnout::data::{contenders, dithered, rng, Groups};
use crate::forensics::{Battery, ForensicTest};
use crate::stats::tail::{self, Continuation, TailExpectation, TARGETS};
use crate::text::{fmt_int, fmt_p};

pub const TEST: ForensicTest = ForensicTest {
    id: "extreme_stations",
    title: "Extreme stations",
    method: "Counts stations with turnout ≥ 95 %, a major candidate's share of valid votes ≥ 95 %, or a share ≤ 5 % for a major candidate averaging ≥ 20 % in the group, against the smooth continuation of the same stations' own distribution just below the edge: a log-linear Poisson fit to the 1-point bins from 80 % to 95 % (dithered ratios of stations with at least 10 voters), continued over 95–100 %, with a negative-binomial tail that carries the band's overdispersion and the fit's error. The band widens to 65–95 % or 50–95 % when the whole dataset has fewer than 30 stations in 80–95 %. A pile-up at the edge (stations filled to the roll) breaks that continuation; a long honest tail (strongly one-sided wards) follows it. Regions with few stations near the edge borrow the national slope; groups with none get no verdict. Each such station is listed in flagged_stations.csv.",
    references: "Klimek et al. (2012) PNAS 109:16469; Kobak, Shpilkin & Pshenichnikov (2016) Ann. Appl. Stat. 10:54; Myagkov, Ordeshook & Shakin (2009); McCullagh & Nelder (1989) Generalized Linear Models",
    weight: 0.03,
    run,
};

/// The edge: 95 %.
const EDGE: f64 = 0.95;
const EDGE_NUM: u128 = 19;
const EDGE_DEN: u128 = 20;
/// The bands the continuation may be fitted to, narrowest first: that many 1-point bins below the
/// edge (80–95 %, 65–95 %, 50–95 %); the narrowest with `MIN_BAND` stations nationally is used.
pub const BANDS: [usize; 3] = [15, 30, 45];
/// Fewest stations in the band for a group to fit its own slope.
pub const MIN_BAND: f64 = 30.0;
/// Smallest denominator (voters) of a station whose ratio enters the continuation.
pub const MIN_DENOMINATOR: u64 = 10;
/// A candidate's share in a group above which 5 % or less is remarkable.
pub const LOW_SHARE_GROUP_SHARE: f64 = 0.2;

/// Whether a kind applies to a group's stations (`Err` with the reason where it does not).
type Applies = Box<dyn Fn(&[u32]) -> Result<(), String>>;

/// One kind of extreme, oriented so that "extreme" is always the upper edge: for the lower edge
/// of a candidate's share the numerator is the other candidates' votes.
struct Kind {
    label: String,
    /// The lower edge of a share (mirrored: the numerator is the other candidates' votes).
    lower: bool,
    num: Vec<u64>,
    den: Vec<u64>,
    /// Stations whose exact ratio is at the edge or beyond (`None`: not judged).
    exact: Vec<Option<bool>>,
    /// Groups where the kind applies (`Err` with the reason where it does not).
    applies: Applies,
    detail: Box<dyn Fn(usize) -> String>,
}

/// `a / d ≥ 95 %` in integers (no rounding at the boundary).
fn at_edge(a: u64, d: u64) -> bool {
    EDGE_NUM * d as u128 <= EDGE_DEN * a as u128
}

fn run(b: &Battery<'_>) -> anyhow::Result<TestOutput> {
    let t = b.tally;
    let mut out = TestOutput::default();
    let cands = contenders(b);
    let groups = Groups::new(t, b.params.region_depth);
    let n = t.n_stations();
    let mut kinds: Vec<Kind> = Vec::new();
    if let Some(reg) = &t.registered {
        let (bc, rg) = (t.ballots_cast.clone(), reg.clone());
        kinds.push(Kind {
            label: "turnout ≥ 95 %".into(),
            lower: false,
            exact: (0..n)
                .map(|i| (reg[i] > 0).then(|| at_edge(t.ballots_cast[i], reg[i])))
                .collect(),
            num: t.ballots_cast.clone(),
            den: reg.clone(),
            applies: Box::new(|_| Ok(())),
            detail: Box::new(move |i| {
                format!(
                    "turnout {:.1} % ({} of {} registered)",
                    100.0 * bc[i] as f64 / rg[i] as f64,
                    bc[i],
                    rg[i]
                )
            }),
        });
    }
    for c in &cands {
        let valid = c.valid.to_vec();
        let votes = c.votes.to_vec();
        let name = c.name.to_string();
        let (v2, n2) = (votes.clone(), valid.clone());
        kinds.push(Kind {
            label: format!("{name} share ≥ 95 %"),
            lower: false,
            exact: (0..n)
                .map(|i| (valid[i] > 0).then(|| at_edge(votes[i], valid[i])))
                .collect(),
            num: votes.clone(),
            den: valid.clone(),
            applies: Box::new(|_| Ok(())),
            detail: Box::new(move |i| {
                format!(
                    "{name}: {} of {} valid votes ({:.1} %)",
                    v2[i],
                    n2[i],
                    100.0 * v2[i] as f64 / n2[i] as f64
                )
            }),
        });
        let name = c.name.to_string();
        let others: Vec<u64> = (0..n).map(|i| valid[i] - votes[i].min(valid[i])).collect();
        let (v3, n3) = (votes.clone(), valid.clone());
        let (v4, n4) = (votes.clone(), valid.clone());
        kinds.push(Kind {
            label: format!("{name} share ≤ 5 %"),
            lower: true,
            exact: (0..n)
                .map(|i| (valid[i] > 0).then(|| at_edge(others[i], valid[i])))
                .collect(),
            num: others,
            den: valid,
            applies: Box::new(move |members| {
                let (v, d) = members.iter().fold((0u64, 0u64), |(v, d), &i| {
                    (v + v4[i as usize], d + n4[i as usize])
                });
                let share = if d > 0 { v as f64 / d as f64 } else { 0.0 };
                if share >= LOW_SHARE_GROUP_SHARE {
                    Ok(())
                } else {
                    Err(format!(
                        "the candidate has {:.1} % of valid votes here; a share of 5 % or less is only remarkable for a candidate with at least {:.0} %",
                        100.0 * share,
                        100.0 * LOW_SHARE_GROUP_SHARE
                    ))
                }
            }),
            detail: Box::new(move |i| {
                format!(
                    "{name}: {} of {} valid votes ({:.1} %)",
                    v3[i],
                    n3[i],
                    100.0 * v3[i] as f64 / n3[i].max(1) as f64
                )
            }),
        });
    }
    if kinds.is_empty() {
        out.findings.push(Finding::not_applicable(
            TEST.id,
            "stations",
            None,
            n as u64,
            "the data have no registered voters and no candidates".into(),
        ));
        return Ok(out);
    }
    for (k, kind) in kinds.iter().enumerate() {
        // One dithered ratio per station and kind, shared by every group that holds it.
        let mut r = rng(b, 0x65787472, k as u64);
        let ratio: Vec<Option<f64>> = (0..n)
            .map(|i| {
                (kind.den[i] >= MIN_DENOMINATOR).then(|| dithered(kind.num[i], kind.den[i], &mut r))
            })
            .collect();
        // The narrowest band with enough stations nationally (the widest when none has).
        let k = BANDS
            .iter()
            .copied()
            .find(|&k| Tail::of(&groups.members[0], &ratio, k).band_total() >= MIN_BAND)
            .unwrap_or(BANDS[BANDS.len() - 1]);
        let national = Tail::of(&groups.members[0], &ratio, k);
        let national_fit = national.fit();
        for g in 0..groups.regions.len() {
            let members = &groups.members[g];
            let region = groups.regions[g].clone();
            let f = match (kind.applies)(members) {
                Err(reason) => Finding::not_applicable(TEST.id, &kind.label, region, 0, reason),
                Ok(()) => {
                    let tail = if g == 0 {
                        national.clone()
                    } else {
                        Tail::of(members, &ratio, k)
                    };
                    let exact = members
                        .iter()
                        .filter(|&&i| kind.exact[i as usize] == Some(true))
                        .count() as u64;
                    finding(
                        &kind.label,
                        kind.lower,
                        region,
                        &tail,
                        national_fit.as_ref(),
                        g == 0,
                        exact,
                    )
                }
            };
            out.findings.push(f);
        }
        for (i, hit) in kind.exact.iter().enumerate() {
            if *hit == Some(true) {
                out.station_flags.push(StationFlag {
                    station: i as u32,
                    test_id: TEST.id,
                    check: kind.label.clone(),
                    detail: (kind.detail)(i),
                });
            }
        }
    }
    Ok(out)
}

/// The dithered ratios of one group near and beyond the edge.
#[derive(Debug, Clone)]
struct Tail {
    /// Stations with a ratio (denominator ≥ `MIN_DENOMINATOR`).
    judged: u64,
    /// Counts in the 1-point bins of the band (`k` bins below the edge).
    band: Vec<f64>,
    /// Stations at or beyond the edge (dithered ratio ≥ 95 %).
    beyond: u64,
}

impl Tail {
    fn of(members: &[u32], ratio: &[Option<f64>], k: usize) -> Tail {
        let lo = EDGE - k as f64 / 100.0;
        let mut t = Tail {
            judged: 0,
            band: vec![0.0; k],
            beyond: 0,
        };
        for &i in members {
            let Some(x) = ratio[i as usize] else { continue };
            t.judged += 1;
            if x >= EDGE {
                t.beyond += 1;
            } else if x >= lo {
                let b = (((x - lo) * 100.0).floor() as usize).min(k - 1);
                t.band[b] += 1.0;
            }
        }
        t
    }

    fn band_total(&self) -> f64 {
        self.band.iter().sum()
    }

    fn fit(&self) -> Option<Continuation> {
        (self.band_total() >= MIN_BAND)
            .then(|| tail::fit(&self.band))
            .flatten()
    }
}

fn finding(
    label: &str,
    lower: bool,
    region: Option<Vec<String>>,
    tail: &Tail,
    national: Option<&Continuation>,
    is_national: bool,
    exact: u64,
) -> Finding {
    let band = tail.band_total();
    let k = tail.band.len();
    // The band and the edge as people read them (the lower edge of a share is mirrored).
    let (band_text, edge_text) = if lower {
        (format!("{} and {} %", 5, 5 + k), "at or below 5 %")
    } else {
        (format!("{} and {} %", 95 - k, 95), "at or beyond 95 %")
    };
    let (expectation, how): (TailExpectation, &str) = match (tail.fit(), national) {
        (Some(own), _) => (own.expect(k, TARGETS), "own"),
        (None, Some(nat)) if !is_national => match nat.rescaled(k, band) {
            Some(e) => (e, "national slope"),
            None => {
                return Finding::not_applicable(
                    TEST.id,
                    label,
                    region,
                    tail.judged,
                    format!("no station here lies between {band_text}, so the tail cannot be continued to the edge ({} stations {edge_text})", fmt_int(tail.beyond)),
                )
            }
        },
        _ => {
            return Finding::not_applicable(
                TEST.id,
                label,
                region,
                tail.judged,
                format!(
                    "only {} stations lie between {band_text} (at least {MIN_BAND} are needed to continue the distribution to the edge); {} {edge_text}",
                    band,
                    fmt_int(tail.beyond)
                ),
            )
        }
    };
    let observed = tail.beyond;
    let expected = expectation.expected;
    let p = tail::upper_tail(observed, &expectation);
    let sd = expectation.variance.sqrt();
    // The ratio over at least one expected station: no "×10⁷" from a vanishing expectation.
    let ratio = observed as f64 / expected.max(1.0);
    let expected_text = if expected < 0.01 {
        "under 0.01".to_string()
    } else if expected < 10.0 {
        format!("{expected:.2}")
    } else {
        format!("{expected:.0}")
    };
    let headline = format!(
        "{} of {} stations have {label}, against {expected_text} (SD {sd:.1}) that the smooth continuation of their own distribution between {band_text} gives{}; p = {}.",
        fmt_int(observed),
        fmt_int(tail.judged),
        if how == "own" { "" } else { " (this group's level, the national slope)" },
        fmt_p(p)
    );
    Finding {
        test_id: TEST.id,
        subject: label.to_string(),
        region,
        n: tail.judged,
        statistic: Some(Statistic::new("observed", observed as f64)),
        p_value: Some(p),
        q_value: None,
        p_value_source: Some(format!(
            "negative-binomial upper tail around the log-linear continuation of the {k} 1-point bins inside the edge ({})",
            if how == "own" { "fitted to this group" } else { "national slope, this group's level" }
        )),
        effect_size: Some(Statistic::new("observed_over_expected", ratio)),
        verdict: Verdict::Consistent,
        reason: None,
        headline,
        figure: None,
        details: details([
            ("observed", serde_json::json!(observed)),
            ("expected", serde_json::json!(expected)),
            ("sd", serde_json::json!(sd)),
            ("stations_in_band", serde_json::json!(band)),
            ("band_points", serde_json::json!(k)),
            ("stations_at_edge_exact", serde_json::json!(exact)),
            ("continuation", serde_json::json!(how)),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::turnout::data::tests::turnout_tally;
    use crate::forensics::Params;

    #[test]
    fn the_edge_is_exact_in_integers() {
        assert!(at_edge(95, 100));
        assert!(!at_edge(94, 100));
        assert!(at_edge(96, 101));
        assert!(!at_edge(95, 101));
    }

    #[test]
    fn honest_data_match_the_null_and_stuffed_corner_does_not() {
        let mut t = turnout_tally(8, 5000);
        let params = Params::default();
        let out = run(&Battery::new(&t, &params)).unwrap();
        for f in &out.findings {
            assert!(
                f.p_value.is_none_or(|p| p > 0.001),
                "{}: {}",
                f.subject,
                f.headline
            );
        }
        // Stuff 3 % of stations to ~100 % turnout, all for the leader.
        let reg = t.registered.clone().unwrap();
        for i in (0..t.n_stations()).step_by(33) {
            let add = reg[i] - t.ballots_cast[i];
            t.ballots_cast[i] += add;
            t.valid[i] += add;
            t.candidates[0].votes[i] += add + t.candidates[1].votes[i];
            t.candidates[1].votes[i] = 0;
        }
        let out = run(&Battery::new(&t, &params)).unwrap();
        let turnout = &out.findings[0];
        assert_eq!(turnout.subject, "turnout ≥ 95 %");
        assert!(turnout.p_value.unwrap() < 1e-10, "{}", turnout.headline);
        assert!(
            out.station_flags.len() >= 150,
            "{}",
            out.station_flags.len()
        );
    }

    #[test]
    fn an_honest_long_tail_is_not_a_pile_up() {
        // A fifth of the stations are strongly one-sided wards (leader ~88 %, SD 5 points), the
        // rest ~50 %: a long, smooth tail reaching past 95 %, as in Milwaukee's wards. The
        // continuation of the 80–95 % bins follows it.
        use rand::{RngExt, SeedableRng};
        use rand_distr::{Binomial, Distribution, Normal};
        let mut t = turnout_tally(9, 6000);
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(99);
        for i in 0..t.n_stations() {
            let one_sided = r.random_bool(0.2);
            let (m, sd) = if one_sided { (0.88, 0.05) } else { (0.5, 0.08) };
            let sh: f64 = Normal::new(m, sd).unwrap().sample(&mut r);
            let valid = t.valid[i];
            let lead = Binomial::new(valid, sh.clamp(0.01, 0.995))
                .unwrap()
                .sample(&mut r);
            t.candidates[0].votes[i] = lead;
            t.candidates[1].votes[i] = valid - lead;
            t.candidates[2].votes[i] = 0;
        }
        let params = Params::default();
        let out = run(&Battery::new(&t, &params)).unwrap();
        let lead = out
            .findings
            .iter()
            .find(|f| f.subject == "Lead share ≥ 95 %" && f.region.is_none())
            .unwrap();
        assert!(
            lead.details["observed"].as_u64().unwrap() > 20,
            "{}",
            lead.headline
        );
        assert!(lead.p_value.unwrap() > 0.01, "{}", lead.headline);
    }
}
