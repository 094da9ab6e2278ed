//! The ledger: every input row is analysed or excluded with a reason, and every inconsistency is
//! counted and listed.
//!
//! Invariant (checked by `Ledger::check_balance` and by tests): `rows_read = rows_analysed +
//! rows_excluded`, per dataset and per file.
//!
//! Documented choice of what excludes a row and what is kept and flagged:
//! - Excluded (the row cannot be analysed honestly): empty row, malformed row (wrong number of
//!   fields), a row matched by a mapping `[[exclude]]` rule, missing value, unparsable number,
//!   negative count, a totals row (a key or region cell reading "Total", "TOTAL GENERAL", "Итого",
//!   ...), a derived key part that finds nothing in its cell, duplicate station key (an identical copy: the later copies; conflicting
//!   copies: all of them, since we cannot know which is right), conflicting station fields or
//!   duplicate candidate rows in long layout.
//! - Kept and flagged by default (they are forensic signals, not noise): candidate votes not summing
//!   to valid votes, ballots cast above registered voters, valid + null + blank not equal to ballots
//!   cast, zero ballots, missing candidate rows in long layout (counted as 0). The mapping's
//!   `[checks]` section can turn each of the first four into an exclusion.

use serde::Serialize;
use std::collections::BTreeMap;

/// Why a row was excluded. The snake_case names appear in results.json and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    EmptyRow,
    MalformedRow,
    ExcludedByRule,
    MissingValue,
    UnparsableNumber,
    NegativeCount,
    DuplicateStationKey,
    ConflictingStationKey,
    ConflictingStationFields,
    ConflictingCandidateVotes,
    DuplicateCandidateRow,
    MissingCandidateRow,
    CandidatesSumToValid,
    BallotsWithinRegistered,
    BallotComponentsSum,
    ZeroBallots,
    TotalsRow,
    UnmatchedKeyPattern,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::EmptyRow => "empty_row",
            Reason::MalformedRow => "malformed_row",
            Reason::ExcludedByRule => "excluded_by_rule",
            Reason::MissingValue => "missing_value",
            Reason::UnparsableNumber => "unparsable_number",
            Reason::NegativeCount => "negative_count",
            Reason::DuplicateStationKey => "duplicate_station_key",
            Reason::ConflictingStationKey => "conflicting_station_key",
            Reason::ConflictingStationFields => "conflicting_station_fields",
            Reason::ConflictingCandidateVotes => "conflicting_candidate_votes",
            Reason::MissingCandidateRow => "missing_candidate_row",
            Reason::DuplicateCandidateRow => "duplicate_candidate_row",
            Reason::CandidatesSumToValid => "candidates_sum_to_valid",
            Reason::BallotsWithinRegistered => "ballots_within_registered",
            Reason::BallotComponentsSum => "ballot_components_sum",
            Reason::ZeroBallots => "zero_ballots",
            Reason::TotalsRow => "totals_row",
            Reason::UnmatchedKeyPattern => "unmatched_key_pattern",
        }
    }

    /// One sentence for the report.
    pub fn explain(self) -> &'static str {
        match self {
            Reason::EmptyRow => "every cell of the row is empty",
            Reason::MalformedRow => "the row has a different number of fields than the header (often an unquoted delimiter inside a name)",
            Reason::ExcludedByRule => "matched an [[exclude]] rule of the mapping",
            Reason::MissingValue => "a needed cell is empty or a null marker",
            Reason::UnparsableNumber => "a count cell is not a whole number",
            Reason::NegativeCount => "a count is below zero",
            Reason::DuplicateStationKey => "an identical copy of an earlier row with the same station key",
            Reason::ConflictingStationKey => "several rows share the station key with different numbers; all are excluded because none can be preferred",
            Reason::ConflictingStationFields => "long layout: the station's rows disagree on registered voters, ballots or region",
            Reason::DuplicateCandidateRow => "long layout: the same candidate appears twice for a station with the same votes (the copy is excluded)",
            Reason::ConflictingCandidateVotes => "long layout: a candidate appears twice for a station with different votes; all the station's rows are excluded",
            Reason::MissingCandidateRow => "long layout: a candidate has no row for this station; counted as 0 votes",
            Reason::CandidatesSumToValid => "candidate votes do not add up to valid votes",
            Reason::BallotsWithinRegistered => "more ballots cast than registered voters",
            Reason::BallotComponentsSum => "valid + null + blank differs from ballots cast",
            Reason::ZeroBallots => "no ballots cast (turnout is 0, shares undefined)",
            Reason::TotalsRow => "a totals row (a key or region cell says \"Total\"), not a station",
            Reason::UnmatchedKeyPattern => "a derived station key part (regex or split) found nothing in its column",
        }
    }
}

/// Where a row came from: file index in the dataset and spreadsheet-style row number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RowRef {
    pub file: u32,
    pub row: u64,
}

/// One excluded row.
#[derive(Debug, Clone, Serialize)]
pub struct Exclusion {
    pub reason: Reason,
    pub at: RowRef,
    /// The column involved, when one is.
    pub column: Option<String>,
    /// The offending cell text, when one is.
    pub text: Option<String>,
    /// Free text: the rule's reason, the counts that disagree, ...
    pub detail: String,
}

/// One kept station that failed a consistency check.
#[derive(Debug, Clone, Serialize)]
pub struct Flag {
    pub check: Reason,
    pub station_key: String,
    pub at: RowRef,
    pub detail: String,
}

/// Input file facts for provenance.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
    pub format: String,
    pub encoding: String,
    pub rows_read: u64,
}

/// The accounting of one dataset's rows.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub inputs: Vec<InputFile>,
    pub rows_read: u64,
    pub rows_analysed: u64,
    pub exclusions: Vec<Exclusion>,
    pub flags: Vec<Flag>,
}

/// Rows per exclusion reason (and per rule for `excluded_by_rule`), for results.json.
#[derive(Debug, Clone, Serialize)]
pub struct ExclusionCount {
    pub reason: &'static str,
    /// The mapping rule's reason for `excluded_by_rule`, else null.
    pub rule: Option<String>,
    pub rows: u64,
    pub explanation: &'static str,
}

/// Stations per flag, for results.json.
#[derive(Debug, Clone, Serialize)]
pub struct FlagCount {
    pub check: &'static str,
    pub stations: u64,
    pub explanation: &'static str,
}

impl Ledger {
    /// Distinct stations with at least one flag (a station can fail several checks).
    pub fn flagged_stations(&self) -> u64 {
        let keys: std::collections::BTreeSet<(&str, RowRef)> = self
            .flags
            .iter()
            .map(|f| (f.station_key.as_str(), f.at))
            .collect();
        keys.len() as u64
    }

    pub fn rows_excluded(&self) -> u64 {
        self.exclusions.len() as u64
    }

    /// The accounting identity; an error here is a bug, reported rather than hidden.
    pub fn check_balance(&self) -> anyhow::Result<()> {
        let per_file: u64 = self.inputs.iter().map(|f| f.rows_read).sum();
        if self.rows_read != self.rows_analysed + self.rows_excluded() || per_file != self.rows_read
        {
            anyhow::bail!(
                "internal error: ledger does not balance (read {}, per file {per_file}, analysed {}, excluded {})",
                self.rows_read,
                self.rows_analysed,
                self.rows_excluded()
            );
        }
        Ok(())
    }

    pub fn exclusion_counts(&self) -> Vec<ExclusionCount> {
        let mut counts: BTreeMap<(Reason, Option<String>), u64> = BTreeMap::new();
        for e in &self.exclusions {
            let rule = (e.reason == Reason::ExcludedByRule).then(|| e.detail.clone());
            *counts.entry((e.reason, rule)).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|((reason, rule), rows)| ExclusionCount {
                reason: reason.as_str(),
                rule,
                rows,
                explanation: reason.explain(),
            })
            .collect()
    }

    pub fn flag_counts(&self) -> Vec<FlagCount> {
        let mut counts: BTreeMap<Reason, u64> = BTreeMap::new();
        for f in &self.flags {
            *counts.entry(f.check).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|(check, stations)| FlagCount {
                check: check.as_str(),
                stations,
                explanation: check.explain(),
            })
            .collect()
    }
}
