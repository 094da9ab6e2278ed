//! `Battery`: what every test receives — the tally, the parameters, the subjects (candidates and
//! count columns) and a cache of simulated nulls shared between tests, so that the digit tests
//! draw their replicates once per subject instead of once per test.

use std::sync::OnceLock;

use super::digit_null::{simulate, DigitNull};
use super::Params;
use crate::tally::Tally;

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
            subjects.push(Subject {
                name: "registered voters".into(),
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
            digit_nulls,
        }
    }

    /// The simulated digit null of subject `index` (computed on first use, then shared).
    pub fn digit_null(&self, index: usize) -> &DigitNull {
        self.digit_nulls[index].get_or_init(|| {
            let s = &self.subjects[index];
            simulate(self.tally, index as u64, s.counts, s.totals, self.params)
        })
    }
}
