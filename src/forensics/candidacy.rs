//! Where each candidate stands: structural zeros that the data explain.
//!
//! Parties do not stand everywhere: Germany's CDU does not stand in Bavaria, where its sister
//! party CSU does; regional parties stand in one region; a candidate may be missing from some
//! districts' ballots. Their stations there hold a zero that no one counted, and tests that read
//! those zeros as counts find what is not there: rounded percentages of 0 % end in 0 (P05 31.5 %
//! against 21.0 % expected on a clean national election), the fingerprint and the Klimek fit see
//! a cloud of stations at a 0 % share, and "zero votes for a major candidate" counts stations
//! where the candidate was never on the ballot.
//!
//! Rule: a region (at any level, top first, of at least `MIN_STATIONS` stations) where a
//! candidate who has at least `MIN_OVERALL_SHARE` of valid votes overall gets at most
//! `MAX_ABSENT_SHARE` of the region's valid votes is a region where the candidate does not stand.
//! Those stations leave that candidate's tests (digit tests, shares, fingerprint, Klimek, extreme
//! stations); every such region is named in the report's notes, with the candidate's votes there.
//! What this cannot tell apart: a candidate removed from a region's ballots, or whose votes were
//! erased there, looks the same; the note says so, so a reader can check the region's ballot.

use crate::tally::Tally;

/// Fewest stations of a region for the rule to apply (a handful of zeros says nothing).
pub const MIN_STATIONS: usize = 5;
/// Largest share of a region's valid votes of a candidate who does not stand there (write-ins,
/// misattributed votes).
pub const MAX_ABSENT_SHARE: f64 = 0.001;
/// Smallest overall share of a candidate for the rule to apply (minor candidates are small
/// everywhere; the digit gate handles them).
pub const MIN_OVERALL_SHARE: f64 = 0.01;

/// A region where a candidate does not stand.
#[derive(Debug, Clone, PartialEq)]
pub struct Absence {
    pub region: Vec<String>,
    pub stations: u64,
    pub votes: u64,
    pub valid: u64,
}

/// Where one candidate stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidacy {
    /// Per station, true where the candidate does not stand (empty: stands everywhere).
    pub absent: Vec<bool>,
    /// The regions where the candidate does not stand, top level first.
    pub regions: Vec<Absence>,
}

impl Candidacy {
    /// Whether the candidate stands at station `i`.
    pub fn stands(&self, i: usize) -> bool {
        self.absent.get(i).is_none_or(|a| !a)
    }

    /// `valid` with 0 where the candidate does not stand (the denominator of its shares), or
    /// `None` when it stands everywhere.
    pub fn masked(&self, valid: &[u64]) -> Option<Vec<u64>> {
        (!self.regions.is_empty()).then(|| {
            valid
                .iter()
                .enumerate()
                .map(|(i, &v)| if self.stands(i) { v } else { 0 })
                .collect()
        })
    }
}

/// Where every candidate of the tally stands, in candidate order.
pub fn detect(t: &Tally) -> Vec<Candidacy> {
    let n = t.n_stations();
    let valid_total: u64 = t.valid.iter().sum();
    t.candidates
        .iter()
        .map(|c| {
            let votes_total: u64 = c.votes.iter().sum();
            if valid_total == 0 || (votes_total as f64) < MIN_OVERALL_SHARE * valid_total as f64 {
                return Candidacy::default();
            }
            let mut absent = vec![false; n];
            let mut regions = Vec::new();
            for level in &t.regions {
                let k = level.paths.len();
                let (mut v, mut d, mut s) = (vec![0u64; k], vec![0u64; k], vec![0usize; k]);
                // A region inside one already found is not listed again.
                let mut inside = vec![false; k];
                for (i, &code) in level.codes.iter().enumerate() {
                    let r = code as usize;
                    v[r] += c.votes[i];
                    d[r] += t.valid[i];
                    s[r] += 1;
                    inside[r] |= absent[i];
                }
                let found: Vec<bool> = (0..k)
                    .map(|r| {
                        !inside[r]
                            && s[r] >= MIN_STATIONS
                            && d[r] > 0
                            && (v[r] as f64) <= MAX_ABSENT_SHARE * d[r] as f64
                    })
                    .collect();
                for (a, &code) in absent.iter_mut().zip(&level.codes) {
                    *a |= found[code as usize];
                }
                for r in (0..k).filter(|&r| found[r]) {
                    regions.push(Absence {
                        region: level.paths[r].clone(),
                        stations: s[r] as u64,
                        votes: v[r],
                        valid: d[r],
                    });
                }
            }
            if regions.is_empty() {
                Candidacy::default()
            } else {
                Candidacy { absent, regions }
            }
        })
        .collect()
}

/// One line per candidate and region for the report's notes.
pub fn notes(t: &Tally, candidacy: &[Candidacy]) -> Vec<String> {
    let valid_total: u64 = t.valid.iter().sum();
    let mut out = Vec::new();
    for (c, cy) in t.candidates.iter().zip(candidacy) {
        let votes_total: u64 = c.votes.iter().sum();
        for a in &cy.regions {
            let elsewhere_votes = votes_total - a.votes;
            let elsewhere_valid = valid_total - a.valid;
            out.push(format!(
                "{} has {} votes in the {} stations of {} ({:.2} % of valid votes there, against {:.1} % elsewhere): treated as not standing there, so those stations leave {}'s tests (digits, shares, fingerprint, Klimek fit, extreme stations). A candidate removed from the ballot or whose votes were erased there would look the same: check the region's ballot.",
                c.name,
                crate::text::fmt_int(a.votes),
                crate::text::fmt_int(a.stations),
                a.region.join(" > "),
                100.0 * a.votes as f64 / a.valid.max(1) as f64,
                100.0 * elsewhere_votes as f64 / elsewhere_valid.max(1) as f64,
                c.name
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::{Candidate, RegionLevel};

    fn tally(votes_b: Vec<u64>) -> Tally {
        let n = votes_b.len();
        Tally {
            name: "t".into(),
            station_keys: (0..n).map(|i| i.to_string()).collect(),
            regions: vec![RegionLevel {
                source_codes: None,
                name: "state".into(),
                codes: (0..n).map(|i| (i * 3 / n) as u32).collect(),
                paths: vec![vec!["A".into()], vec!["B".into()], vec!["C".into()]],
            }],
            valid: vec![100; n],
            ballots_cast: vec![100; n],
            candidates: vec![
                Candidate {
                    name: "a".into(),
                    source: "a".into(),
                    votes: votes_b.iter().map(|v| 100 - v).collect(),
                },
                Candidate {
                    name: "b".into(),
                    source: "b".into(),
                    votes: votes_b,
                },
            ],
            ..Tally::default()
        }
    }

    #[test]
    fn a_party_with_zero_votes_in_a_whole_region_does_not_stand_there() {
        // 30 stations: b has 40 votes per station in A and C, none in B (one stray vote).
        let mut v: Vec<u64> = (0..30)
            .map(|i| if (10..20).contains(&i) { 0 } else { 40 })
            .collect();
        v[15] = 1;
        let t = tally(v);
        let c = detect(&t);
        assert!(c[0].regions.is_empty());
        assert_eq!(c[1].regions.len(), 1);
        assert_eq!(c[1].regions[0].region, vec!["B".to_string()]);
        assert_eq!((c[1].regions[0].stations, c[1].regions[0].votes), (10, 1));
        assert!(c[1].stands(0) && !c[1].stands(12) && c[1].stands(25));
        let masked = c[1].masked(&t.valid).unwrap();
        assert_eq!((masked[0], masked[12]), (100, 0));
        let notes = notes(&t, &c);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("b has 1 votes in the 10 stations of B (0.10 %"),
            "{}",
            notes[0]
        );
    }

    #[test]
    fn a_small_share_everywhere_is_not_structure() {
        // b has 2 % in B and C (1.4 % overall) and 0.2 % in A: above the absent threshold.
        let v: Vec<u64> = (0..30).map(|i| if i < 10 { 0 } else { 2 }).collect();
        let mut t = tally(v);
        t.candidates[1].votes[3] = 2; // 2 of 1,000 valid votes in A: 0.2 %
        let c = detect(&t);
        assert!(c[1].regions.is_empty(), "{:?}", c[1].regions);
    }

    #[test]
    fn stations_where_the_leader_does_not_stand_leave_its_tests() {
        use crate::finding::Verdict;
        use crate::forensics::{run_battery, Params, ALL};
        // The leader of a clean election does not stand in South (half the stations), where a
        // sister party takes its votes.
        let mut t = crate::forensics::turnout::data::tests::turnout_tally(5, 3000);
        let sister: Vec<u64> = (0..t.n_stations())
            .map(|i| {
                if t.regions[0].codes[i] == 1 {
                    std::mem::take(&mut t.candidates[0].votes[i])
                } else {
                    0
                }
            })
            .collect();
        t.candidates.push(Candidate {
            name: "Sister".into(),
            source: "sister".into(),
            votes: sister,
        });
        let params = Params {
            replicates: 50,
            ..Params::default()
        };
        let ids = [
            "zero_five_endings",
            "extreme_stations",
            "vote_share_distribution",
            "last_digit",
        ];
        let tests: Vec<_> = ALL.iter().filter(|x| ids.contains(&x.id)).collect();
        let out = run_battery(&tests, &t, &params, None, None).unwrap();
        assert_eq!(out.notes.len(), 2, "{:?}", out.notes);
        assert!(out.notes[0].starts_with("Lead has 0 votes in the 1,500 stations of South"));
        assert!(out.notes[1].starts_with("Sister has 0 votes in the 1,500 stations of North"));
        for f in &out.findings {
            assert_ne!(
                f.verdict,
                Verdict::Deviates,
                "{}: {}",
                f.test_id,
                f.headline
            );
        }
        let south_lead = out
            .findings
            .iter()
            .find(|f| {
                f.test_id == "last_digit" && f.subject == "Lead" && f.region_label() == "South"
            })
            .unwrap();
        assert_eq!(south_lead.verdict, Verdict::NotApplicable);
        assert!(south_lead
            .reason
            .as_deref()
            .unwrap()
            .contains("does not stand here"));
    }
}
