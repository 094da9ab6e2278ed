//! `Battery`: what every test receives — the tally, the parameters, the subjects (candidates and
//! count columns) and a cache of simulated nulls shared between tests, so that the digit tests
//! draw their replicates once per subject instead of once per test.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::forensics::candidacy::{self, Candidacy};

use super::Params;
use crate::announcement::AnnouncementFile;
use crate::forensics::digits::null::{build, DigitNull};
use crate::forensics::reconciliation::source_reconciliation::Partner;
use crate::tally::Tally;

/// Fewest counts ≥ 10 for any digit test on a subject (5 expected per digit).
pub const DIGIT_MIN_COUNTS: u64 = 50;
/// Smallest median count for any digit test on a subject.
pub const DIGIT_MIN_MEDIAN: u64 = 10;
/// Narrowest range (votes) that may hold half of the registered-voter counts: 10 times the
/// smooth-count kernel σ (`digits::SMOOTH_SIGMA`), see `spread_reason`.
pub const REGISTERED_MIN_HALF_RANGE: u64 = 50;

/// How concentrated a set of counts is: the shortest range holding half of them and the 99th
/// percentile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spread {
    pub half_low: u64,
    pub half_high: u64,
    pub q99: u64,
}

impl Spread {
    /// From counts sorted in increasing order (all zeros for none).
    pub fn of_sorted(sorted: &[u64]) -> Spread {
        if sorted.is_empty() {
            return Spread::default();
        }
        let half = sorted.len().div_ceil(2);
        let start = (0..=sorted.len() - half)
            .min_by_key(|&i| sorted[i + half - 1] - sorted[i])
            .unwrap_or(0);
        Spread {
            half_low: sorted[start],
            half_high: sorted[start + half - 1],
            q99: sorted[(sorted.len() - 1) * 99 / 100],
        }
    }
}

/// Why the digit tests do not apply to registered-voter counts this concentrated, or `None`.
///
/// The registered voters of a station are not counted on election day: administrators allocate
/// the roll to tables, often filling each table up to a maximum size (Bolivia 2019: half of the
/// tables have 220–231 registered voters and 99 % at most 240). Their digits then reflect that
/// allocation, and the digit tests' smooth-count null — which blurs counts over about ±10 votes
/// (σ = 5) — cannot follow a shape this narrow: before this rule the last-two-digit χ² of
/// Bolivia's registered voters reached 10⁷ and every last-digit test deviated. Half of the counts
/// within fewer than `REGISTERED_MIN_HALF_RANGE` = 50 votes (10σ, where the kernel's bias on a
/// peak of that width is about 1 %) makes them not applicable; wide roll sizes (Venezuela: half
/// within 271 votes; Russia: 1,500) are tested as before.
pub fn spread_reason(s: &Spread) -> Option<String> {
    let width = s.half_high - s.half_low;
    (width < REGISTERED_MIN_HALF_RANGE).then(|| {
        format!(
            "the registered-voter counts are concentrated in a narrow band (half of them between {} and {}, 99% at most {}), as when the roll is allocated to tables up to a maximum size; their digits reflect that allocation, and the smooth-count null of the digit tests, which blurs counts over about ±10 voters, cannot follow a band narrower than {REGISTERED_MIN_HALF_RANGE} voters",
            s.half_low, s.half_high, s.q99
        )
    })
}

/// What a subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// A candidate (or party): counts out of the station's valid votes.
    Candidate,
    /// The registered-voters column: counts of people on the roll, not votes.
    Registered,
}

/// A column the tests can be applied to.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub name: String,
    pub kind: SubjectKind,
    pub counts: &'a [u64],
    /// The denominator of the subject's shares: valid votes for candidates, 0 where the candidate
    /// does not stand (`candidacy`).
    pub totals: Cow<'a, [u64]>,
    /// Stations where the candidate does not stand (empty: everywhere); they leave its tests.
    pub absent: Vec<bool>,
}

impl Subject<'_> {
    /// Whether station `i` counts for this subject.
    pub fn stands(&self, i: usize) -> bool {
        self.absent.get(i).is_none_or(|a| !a)
    }
}

/// The context of one battery run on one dataset.
pub struct Battery<'a> {
    pub tally: &'a Tally,
    pub params: &'a Params,
    pub subjects: Vec<Subject<'a>>,
    /// Announced totals to compare with (none unless an announcement file was given).
    pub announced: Option<&'a AnnouncementFile>,
    /// The other source of a declared pair (`[reconcile]` in this dataset's mapping), if any.
    pub partner: Option<&'a Partner<'a>>,
    /// Where each candidate stands (candidate order).
    pub candidacy: Vec<Candidacy>,
    digit_nulls: Vec<OnceLock<DigitNull>>,
}

impl<'a> Battery<'a> {
    pub fn new(tally: &'a Tally, params: &'a Params) -> Battery<'a> {
        let candidacy = candidacy::detect(tally);
        let mut subjects: Vec<Subject<'a>> = tally
            .candidates
            .iter()
            .zip(&candidacy)
            .map(|(c, cy)| Subject {
                name: c.name.clone(),
                kind: SubjectKind::Candidate,
                counts: &c.votes,
                totals: cy
                    .masked(&tally.valid)
                    .map_or(Cow::Borrowed(&tally.valid[..]), Cow::Owned),
                absent: cy.absent.clone(),
            })
            .collect();
        if let Some(reg) = &tally.registered {
            // A candidate could be called "registered voters": keep the subjects distinct.
            let mut name = "registered voters".to_string();
            while subjects.iter().any(|s| s.name == name) {
                name.push_str(" (column)");
            }
            subjects.push(Subject {
                name,
                kind: SubjectKind::Registered,
                counts: reg,
                totals: Cow::Borrowed(&reg[..]),
                absent: Vec::new(),
            });
        }
        let digit_nulls = (0..subjects.len()).map(|_| OnceLock::new()).collect();
        Battery {
            tally,
            params,
            subjects,
            announced: None,
            partner: None,
            candidacy,
            digit_nulls,
        }
    }

    /// The report's notes on the data's structure (one line per candidate and region where the
    /// candidate does not stand).
    pub fn notes(&self) -> Vec<String> {
        candidacy::notes(self.tally, &self.candidacy)
    }

    /// The same battery with announced totals for the announcement tests.
    pub fn with_announced(mut self, announced: Option<&'a AnnouncementFile>) -> Battery<'a> {
        self.announced = announced;
        self
    }

    /// The same battery with the other source of a declared pair.
    pub fn with_partner(mut self, partner: Option<&'a Partner<'a>>) -> Battery<'a> {
        self.partner = partner;
        self
    }

    /// Whether the digit tests can say anything about subject `index` at all: at least
    /// `DIGIT_MIN_COUNTS` counts of 10 or more, a median count of at least `DIGIT_MIN_MEDIAN`,
    /// and, for registered voters, counts not concentrated in a narrow band (`spread_reason`).
    /// Subjects that fail (minor candidates) get a not-applicable finding from every digit test
    /// and cost no simulation.
    pub fn digit_gate(&self, index: usize) -> Result<(), String> {
        let s = &self.subjects[index];
        // Only the stations where the subject stands (`candidacy`).
        let counts: Vec<u64> = (0..s.counts.len())
            .filter(|&i| s.stands(i))
            .map(|i| s.counts[i])
            .collect();
        let n10 = counts.iter().filter(|&&c| c >= 10).count();
        if (n10 as u64) < DIGIT_MIN_COUNTS {
            return Err(format!(
                "only {n10} of {} station counts reach 10; digit tests need at least {DIGIT_MIN_COUNTS}",
                counts.len()
            ));
        }
        let mut sorted = counts;
        sorted.sort_unstable();
        let median = sorted[(sorted.len() - 1) / 2];
        if median < DIGIT_MIN_MEDIAN {
            return Err(format!(
                "the median count is {median} (under {DIGIT_MIN_MEDIAN}): digits of counts this small reflect the size of the numbers, not how they were counted"
            ));
        }
        if self.subjects[index].kind == SubjectKind::Registered {
            if let Some(reason) = spread_reason(&Spread::of_sorted(&sorted)) {
                return Err(reason);
            }
        }
        Ok(())
    }

    /// The simulated digit null of subject `index` (computed on first use, then shared).
    pub fn digit_null(&self, index: usize) -> &DigitNull {
        self.digit_nulls[index].get_or_init(|| {
            let s = &self.subjects[index];
            build(
                self.tally,
                index as u64,
                s.counts,
                &s.totals,
                &s.absent,
                self.params,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Verdict;
    use crate::forensics::digits::last_digit_mean::synthetic_tally;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn spread_is_the_shortest_range_holding_half_the_counts() {
        let s = Spread::of_sorted(&[1, 2, 50, 51, 52, 53, 90, 300]);
        assert_eq!((s.half_low, s.half_high, s.q99), (50, 53, 90));
        assert_eq!(
            Spread::of_sorted(&[7]),
            Spread {
                half_low: 7,
                half_high: 7,
                q99: 7
            }
        );
        assert_eq!(Spread::of_sorted(&[]), Spread::default());
        let narrow = Spread {
            half_low: 220,
            half_high: 231,
            q99: 240,
        };
        let reason = spread_reason(&narrow).unwrap();
        assert!(
            reason.contains("between 220 and 231") && reason.contains("at most 240"),
            "{reason}"
        );
        let wide = Spread {
            half_low: 615,
            half_high: 886,
            q99: 999,
        };
        assert_eq!(spread_reason(&wide), None);
    }

    #[test]
    fn registered_voters_allocated_up_to_a_cap_are_not_applicable() {
        // Tables filled up to 240 registered voters, as in Bolivia 2019: every digit test says
        // why it does not apply to them (before: last-digit tests deviated, the last-two-digit
        // χ² reached 10⁷), while the candidates are still tested.
        let mut t = synthetic_tally(3, 3000, |_, c, _| c);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let reg: Vec<u64> = t
            .valid
            .iter()
            .map(|&v| v.max(200 + rng.random_range(0..41)).min(240))
            .collect();
        for (v, &r) in t.valid.iter_mut().zip(&reg) {
            *v = (*v).min(r);
        }
        for i in 0..t.valid.len() {
            let big = t.candidates[0].votes[i].min(t.valid[i]);
            t.candidates[0].votes[i] = big;
            t.candidates[1].votes[i] = t.candidates[1].votes[i].min(t.valid[i] - big);
        }
        t.registered = Some(reg);
        let params = super::super::Params {
            replicates: 20,
            ..Default::default()
        };
        let tests: Vec<&super::super::ForensicTest> = super::super::ALL.iter().collect();
        let out = super::super::run_battery(&tests, &t, &params, None, None).unwrap();
        let registered: Vec<_> = out
            .findings
            .iter()
            .filter(|f| f.subject == "registered voters")
            .collect();
        assert!(!registered.is_empty());
        for f in registered {
            assert_eq!(
                f.verdict,
                Verdict::NotApplicable,
                "{}: {}",
                f.test_id,
                f.headline
            );
            assert!(
                f.reason.as_deref().unwrap().contains("narrow band"),
                "{:?}",
                f.reason
            );
        }
        assert!(out
            .findings
            .iter()
            .any(|f| f.subject == "Big" && f.verdict != Verdict::NotApplicable));
    }
}
