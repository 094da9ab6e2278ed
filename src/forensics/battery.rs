//! `Battery`: what every test receives — the tally, the parameters, the subjects (candidates and
//! count columns) and a cache of simulated nulls shared between tests, so that the digit tests
//! draw their replicates once per subject instead of once per test.

use std::sync::OnceLock;

use super::digit_null::{simulate, DigitNull};
use super::Params;
use crate::announcement::AnnouncementFile;
use crate::tally::Tally;

/// Fewest counts ≥ 10 for any digit test on a subject (5 expected per digit).
pub const DIGIT_MIN_COUNTS: u64 = 50;
/// Smallest median count for any digit test on a subject.
pub const DIGIT_MIN_MEDIAN: u64 = 10;

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
    /// The denominator of the subject's shares (valid votes for candidates).
    pub totals: &'a [u64],
}

/// The context of one battery run on one dataset.
pub struct Battery<'a> {
    pub tally: &'a Tally,
    pub params: &'a Params,
    pub subjects: Vec<Subject<'a>>,
    /// Announced totals to compare with (none unless an announcement file was given).
    pub announced: Option<&'a AnnouncementFile>,
    digit_nulls: Vec<OnceLock<DigitNull>>,
}

impl<'a> Battery<'a> {
    pub fn new(tally: &'a Tally, params: &'a Params) -> Battery<'a> {
        let mut subjects: Vec<Subject<'a>> = tally
            .candidates
            .iter()
            .map(|c| Subject {
                name: c.name.clone(),
                kind: SubjectKind::Candidate,
                counts: &c.votes,
                totals: &tally.valid,
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
                totals: reg,
            });
        }
        let digit_nulls = (0..subjects.len()).map(|_| OnceLock::new()).collect();
        Battery {
            tally,
            params,
            subjects,
            announced: None,
            digit_nulls,
        }
    }

    /// The same battery with announced totals for the announcement tests.
    pub fn with_announced(mut self, announced: Option<&'a AnnouncementFile>) -> Battery<'a> {
        self.announced = announced;
        self
    }

    /// Whether the digit tests can say anything about subject `index` at all: at least
    /// `DIGIT_MIN_COUNTS` counts of 10 or more and a median count of at least `DIGIT_MIN_MEDIAN`.
    /// Subjects that fail (minor candidates) get a not-applicable finding from every digit test
    /// and cost no simulation.
    pub fn digit_gate(&self, index: usize) -> Result<(), String> {
        let counts = self.subjects[index].counts;
        let n10 = counts.iter().filter(|&&c| c >= 10).count();
        if (n10 as u64) < DIGIT_MIN_COUNTS {
            return Err(format!(
                "only {n10} of {} station counts reach 10; digit tests need at least {DIGIT_MIN_COUNTS}",
                counts.len()
            ));
        }
        let mut sorted = counts.to_vec();
        let mid = (sorted.len() - 1) / 2;
        let median = *sorted.select_nth_unstable(mid).1;
        if median < DIGIT_MIN_MEDIAN {
            return Err(format!(
                "the median count is {median} (under {DIGIT_MIN_MEDIAN}): digits of counts this small reflect the size of the numbers, not how they were counted"
            ));
        }
        Ok(())
    }

    /// The simulated digit null of subject `index` (computed on first use, then shared).
    pub fn digit_null(&self, index: usize) -> &DigitNull {
        self.digit_nulls[index].get_or_init(|| {
            let s = &self.subjects[index];
            simulate(self.tally, index as u64, s.counts, s.totals, self.params)
        })
    }
}
