//! Long layout: one row per station and candidate, grouped into stations.
//!
//! The station-level fields (region, registered, ballots, valid, null, blank) repeat on every row of
//! a station and must agree; if they do not, every row of the station is excluded
//! (`conflicting_station_fields`). A candidate listed twice for a station is dropped as a duplicate
//! when the votes agree and makes the station conflicting when they do not. A candidate with no row
//! for a station counts 0 votes there, and the station is flagged (publishers often omit zero rows).

use std::collections::HashMap;

use super::build::{exclusion, StationRecord};
use super::ledger::{Exclusion, Flag, Ledger, Reason};
use crate::mapping::Mapping;

/// Group long rows into stations. Returns the records (votes in candidate order) and the
/// candidates as (display name, source value), in order of first appearance.
pub(super) fn group(
    rows: Vec<(StationRecord, String, u64)>,
    mapping: &Mapping,
    ledger: &mut Ledger,
    notes: &mut Vec<String>,
) -> (Vec<StationRecord>, Vec<(String, String)>) {
    let names = mapping
        .long
        .as_ref()
        .map(|l| l.names.clone())
        .unwrap_or_default();
    let mut candidate_index: HashMap<String, usize> = HashMap::new();
    let mut candidates: Vec<(String, String)> = Vec::new();
    let mut station_index: HashMap<String, usize> = HashMap::new();
    let mut stations: Vec<(StationRecord, Vec<Option<u64>>, Option<Reason>)> = Vec::new();
    for (record, candidate, votes) in rows {
        let c = *candidate_index.entry(candidate.clone()).or_insert_with(|| {
            let display = names
                .get(&candidate)
                .cloned()
                .unwrap_or_else(|| candidate.clone());
            candidates.push((display, candidate.clone()));
            candidates.len() - 1
        });
        let s = match station_index.get(&record.key) {
            Some(&s) => s,
            None => {
                station_index.insert(record.key.clone(), stations.len());
                stations.push((
                    StationRecord {
                        extra_rows: vec![],
                        votes: vec![],
                        ..record.clone()
                    },
                    vec![],
                    None,
                ));
                let last = stations.len() - 1;
                let (_, v, _) = &mut stations[last];
                ensure(v, c);
                v[c] = Some(votes);
                continue;
            }
        };
        let (station, v, conflicting) = &mut stations[s];
        let same_fields = station.region == record.region
            && (
                station.registered,
                station.ballots,
                station.valid,
                station.null,
                station.blank,
            ) == (
                record.registered,
                record.ballots,
                record.valid,
                record.null,
                record.blank,
            );
        ensure(v, c);
        if !same_fields {
            *conflicting = Some(Reason::ConflictingStationFields);
            station.extra_rows.push(record.at);
        } else if let Some(previous) = v[c] {
            if previous == votes {
                ledger.exclusions.push(exclusion(
                    record.at,
                    (
                        Reason::DuplicateCandidateRow,
                        None,
                        Some(candidate),
                        format!("same votes ({votes}) as an earlier row"),
                    ),
                ));
            } else {
                conflicting.get_or_insert(Reason::ConflictingCandidateVotes);
                station.extra_rows.push(record.at);
            }
        } else {
            v[c] = Some(votes);
            station.extra_rows.push(record.at);
        }
    }
    let mut out = Vec::with_capacity(stations.len());
    let mut with_missing = 0u64;
    for (mut station, mut votes, conflicting) in stations {
        if let Some(reason) = conflicting {
            for at in station.rows() {
                ledger.exclusions.push(Exclusion {
                    reason,
                    at,
                    column: None,
                    text: None,
                    detail: format!("station {:?}", station.key),
                });
            }
            continue;
        }
        ensure(&mut votes, candidates.len() - 1);
        let missing: Vec<&str> = votes
            .iter()
            .zip(&candidates)
            .filter(|(v, _)| v.is_none())
            .map(|(_, c)| c.1.as_str())
            .collect();
        if !missing.is_empty() {
            with_missing += 1;
            ledger.flags.push(Flag {
                check: Reason::MissingCandidateRow,
                station_key: station.key.clone(),
                at: station.at,
                detail: format!("no row for {}; counted as 0", missing.join(", ")),
            });
        }
        station.votes = votes.into_iter().map(|v| v.unwrap_or(0)).collect();
        out.push(station);
    }
    if with_missing > 0 {
        notes.push(format!(
            "{with_missing} station(s) have no row for some candidate; those votes count as 0 (flagged as missing_candidate_row)"
        ));
    }
    (out, candidates)
}

fn ensure(v: &mut Vec<Option<u64>>, index: usize) {
    if v.len() <= index {
        v.resize(index + 1, None);
    }
}
