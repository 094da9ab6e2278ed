//! Consistency checks on each station and the record of derived totals.
//!
//! The checks are the arithmetic a tally sheet must satisfy: candidate votes add up to valid votes;
//! valid + null + blank add up to ballots cast; ballots cast do not exceed registered voters; a
//! station has ballots at all. A failure is kept and flagged, or excluded, per the mapping's
//! `[checks]` policy. Totals never given are derived, and the derivation is recorded.

use super::build::StationRecord;
use super::ledger::{Exclusion, Flag, Ledger, Reason};
use super::Derivation;
use crate::mapping::{Mapping, Policy};

/// Run the checks; return the stations kept. Flags and exclusions go to the ledger.
pub(super) fn apply(
    records: Vec<StationRecord>,
    mapping: &Mapping,
    ledger: &mut Ledger,
) -> Vec<StationRecord> {
    let policy = &mapping.checks;
    // In place: a second vector of records would double the peak memory of a large file.
    let mut kept = records;
    kept.retain(|r| {
        let failures = failures(r);
        let excluding = failures.iter().find(|(check, _)| {
            let p = match check {
                Reason::CandidatesSumToValid => policy.candidates_sum_to_valid,
                Reason::BallotsWithinRegistered => policy.ballots_within_registered,
                Reason::BallotComponentsSum => policy.ballot_components_sum,
                Reason::ZeroBallots => policy.zero_ballots,
                _ => Policy::Flag,
            };
            p == Policy::Exclude
        });
        match excluding {
            Some((reason, detail)) => {
                for at in r.rows() {
                    ledger.exclusions.push(Exclusion {
                        reason: *reason,
                        at,
                        column: None,
                        text: None,
                        detail: detail.clone(),
                    });
                }
                false
            }
            None => {
                for (check, detail) in failures {
                    ledger.flags.push(Flag {
                        check,
                        station_key: r.key.clone(),
                        at: r.at,
                        detail,
                    });
                }
                true
            }
        }
    });
    kept
}

/// The checks a station fails, with the numbers that disagree.
fn failures(r: &StationRecord) -> Vec<(Reason, String)> {
    let mut out = Vec::new();
    let cand_sum: u64 = r.votes.iter().sum();
    if let Some(valid) = r.valid {
        if valid != cand_sum {
            out.push((
                Reason::CandidatesSumToValid,
                format!("candidates {cand_sum}, valid {valid}"),
            ));
        }
    }
    let valid = r.valid.unwrap_or(cand_sum);
    let components = valid + r.null.unwrap_or(0) + r.blank.unwrap_or(0);
    if let Some(ballots) = r.ballots {
        if components != ballots {
            out.push((
                Reason::BallotComponentsSum,
                format!("valid + null + blank {components}, ballots cast {ballots}"),
            ));
        }
    }
    let ballots = r.ballots.unwrap_or(components);
    if let Some(reg) = r.registered {
        if ballots > reg {
            out.push((
                Reason::BallotsWithinRegistered,
                format!("ballots cast {ballots}, registered {reg}"),
            ));
        }
    }
    if ballots == 0 {
        out.push((Reason::ZeroBallots, "ballots cast 0".into()));
    }
    out
}

/// How each total is obtained; notes for derived ones.
pub(super) fn derivations(mapping: &Mapping, notes: &mut Vec<String>) -> Vec<Derivation> {
    let c = &mapping.counts;
    let col = |s: &Option<crate::mapping::ColumnSum>| {
        s.as_ref().map(|s| format!("column {}", s.describe()))
    };
    let mut out = vec![Derivation {
        field: "registered",
        how: col(&c.registered)
            .unwrap_or_else(|| "not available: turnout cannot be computed".into()),
    }];
    let valid = col(&c.valid).unwrap_or_else(|| "derived: sum of the candidate votes".into());
    let ballots = match (&c.ballots_cast, &c.null, &c.blank) {
        (Some(b), _, _) => format!("column {}", b.describe()),
        (None, Some(_), Some(_)) => "derived: valid + null + blank".into(),
        (None, Some(_), None) => "derived: valid + null (no blank column)".into(),
        (None, None, Some(_)) => "derived: valid + blank (no null column)".into(),
        (None, None, None) => {
            "derived: valid votes only (no null or blank column), so turnout counts valid ballots only".into()
        }
    };
    for (field, how) in [("ballots_cast", &ballots), ("valid", &valid)] {
        if how.starts_with("derived") {
            notes.push(format!("{field} is {how}"));
        }
    }
    out.push(Derivation {
        field: "ballots_cast",
        how: ballots,
    });
    out.push(Derivation {
        field: "valid",
        how: valid,
    });
    out.push(Derivation {
        field: "null",
        how: col(&c.null).unwrap_or_else(|| "not available".into()),
    });
    out.push(Derivation {
        field: "blank",
        how: col(&c.blank).unwrap_or_else(|| "not available".into()),
    });
    // Candidates that are not one column: sister parties or coalitions summed, or the rest.
    for cand in &mapping.candidates {
        let how = match &cand.column {
            Some(crate::mapping::ColumnSum::One(_)) => continue,
            Some(sum) => format!(
                "{}: sum of the columns {}",
                cand.display_name(),
                sum.describe()
            ),
            None => format!(
                "{}: derived as valid votes minus the other listed candidates",
                cand.display_name()
            ),
        };
        notes.push(format!("candidate {how}"));
        out.push(Derivation {
            field: "candidate",
            how,
        });
    }
    out
}
