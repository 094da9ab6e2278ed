//! The station table every forensic test reads.
//!
//! A `Tally` holds one dataset's analysed polling stations as plain columns (slices are what the
//! hot loops want), with guaranteed invariants: every column has one value per station, every count
//! is a non-negative integer, station keys are unique, `valid` and `ballots_cast` are always present
//! (mapped or derived, with the derivation recorded). `turnout` is a fraction in [0, 1] for honest
//! stations (ballots cast / registered voters) and may exceed 1 where the data say so (flagged).
//! `to_frame` gives the same table as a Polars DataFrame for `stations.parquet`.

pub mod build;
mod checks;
pub mod code_lists;
pub mod ledger;
mod long;
pub mod loss;

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::Serialize;

use ledger::RowRef;

/// One candidate's votes per station.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Display name (mapping `name`, else the column or long-layout value).
    pub name: String,
    /// Where the votes came from (column name, or the long-layout value).
    pub source: String,
    pub votes: Vec<u64>,
}

/// One level of the region hierarchy.
#[derive(Debug, Clone)]
pub struct RegionLevel {
    /// Level name, e.g. "state".
    pub name: String,
    /// Per station: index into `paths`.
    pub codes: Vec<u32>,
    /// Distinct region paths at this level (names from the top level down), in first-seen order.
    pub paths: Vec<Vec<String>>,
    /// Per path: the code the data wrote, when a code list replaced it by a name (`code_lists.rs`).
    pub source_codes: Option<Vec<String>>,
}

/// How a field was obtained, for the report and results.json.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Derivation {
    pub field: &'static str,
    pub how: String,
}

/// The analysed stations of one dataset.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub name: String,
    /// Station key per station (key columns joined with " / ").
    pub station_keys: Vec<String>,
    /// Source row of each station (the first row, in long layout).
    pub sources: Vec<RowRef>,
    /// Top level first.
    pub regions: Vec<RegionLevel>,
    pub registered: Option<Vec<u64>>,
    pub ballots_cast: Vec<u64>,
    pub valid: Vec<u64>,
    pub null: Option<Vec<u64>>,
    pub blank: Option<Vec<u64>>,
    pub candidates: Vec<Candidate>,
    pub derivations: Vec<Derivation>,
    /// `[options] share_of`: what the totals' shares are of.
    pub share_of: crate::mapping::ShareOf,
    /// `[options] win_rules`: when the leader wins outright.
    pub win_rules: Vec<crate::mapping::WinRule>,
}

/// Aggregate totals over analysed stations (null where the dataset has no such column).
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub stations: u64,
    pub registered: Option<u64>,
    pub ballots_cast: u64,
    pub valid: u64,
    pub null: Option<u64>,
    pub blank: Option<u64>,
    /// Turnout = ballots cast / registered over all stations, when registered is known.
    pub turnout: Option<f64>,
    pub candidates: BTreeMap<String, u64>,
    /// Denominator of the candidates' shares in the report (`[options] share_of`).
    pub share_of: &'static str,
    /// That denominator's total: valid votes, ballots cast or registered voters.
    pub share_denominator: u64,
}

impl Tally {
    pub fn n_stations(&self) -> usize {
        self.station_keys.len()
    }

    /// Turnout per station (None where registered is unknown or zero).
    pub fn turnout(&self) -> Option<Vec<Option<f64>>> {
        let reg = self.registered.as_ref()?;
        Some(
            reg.iter()
                .zip(&self.ballots_cast)
                .map(|(&r, &b)| (r > 0).then(|| b as f64 / r as f64))
                .collect(),
        )
    }

    /// Candidates in descending order of total votes (ties by ballot order).
    pub fn candidates_by_votes(&self) -> Vec<&Candidate> {
        let mut c: Vec<&Candidate> = self.candidates.iter().collect();
        c.sort_by_key(|c| std::cmp::Reverse(c.votes.iter().sum::<u64>()));
        c
    }

    pub fn totals(&self) -> Totals {
        let sum = |v: &Vec<u64>| v.iter().sum::<u64>();
        let registered = self.registered.as_ref().map(sum);
        let ballots_cast = sum(&self.ballots_cast);
        let valid = sum(&self.valid);
        let share_denominator = match self.share_of {
            crate::mapping::ShareOf::Valid => valid,
            crate::mapping::ShareOf::BallotsCast => ballots_cast,
            crate::mapping::ShareOf::Registered => registered.unwrap_or(0),
        };
        Totals {
            stations: self.n_stations() as u64,
            registered,
            ballots_cast,
            valid,
            null: self.null.as_ref().map(sum),
            blank: self.blank.as_ref().map(sum),
            turnout: registered
                .filter(|&r| r > 0)
                .map(|r| ballots_cast as f64 / r as f64),
            candidates: self
                .candidates
                .iter()
                .map(|c| (c.name.clone(), sum(&c.votes)))
                .collect(),
            share_of: self.share_of.as_str(),
            share_denominator,
        }
    }

    /// The station table as a DataFrame: key, region levels, counts, turnout, candidate votes and
    /// shares of valid votes.
    pub fn to_frame(&self) -> PolarsResult<DataFrame> {
        self.to_frame_rows(0..self.n_stations())
    }

    /// `to_frame` of the stations `rows` only (written in slices, so that the table never exists
    /// twice over in memory beside the tally).
    pub fn to_frame_rows(&self, rows: std::ops::Range<usize>) -> PolarsResult<DataFrame> {
        let n = rows.len();
        let mut cols: Vec<Column> = vec![Column::new(
            "station_key".into(),
            &self.station_keys[rows.clone()],
        )];
        for level in &self.regions {
            let names: Vec<&str> = level.codes[rows.clone()]
                .iter()
                .map(|&c| {
                    level.paths[c as usize]
                        .last()
                        .map(String::as_str)
                        .unwrap_or("")
                })
                .collect();
            cols.push(Column::new(format!("region_{}", level.name).into(), names));
            if let Some(codes) = &level.source_codes {
                let codes: Vec<&str> = level.codes[rows.clone()]
                    .iter()
                    .map(|&c| codes[c as usize].as_str())
                    .collect();
                cols.push(Column::new(
                    format!("region_{}_code", level.name).into(),
                    codes,
                ));
            }
        }
        let mut push_counts = |name: &str, v: Option<&[u64]>| {
            if let Some(v) = v {
                cols.push(Column::new(name.into(), &v[rows.clone()]));
            }
        };
        push_counts("registered", self.registered.as_deref());
        push_counts("ballots_cast", Some(&self.ballots_cast));
        push_counts("valid", Some(&self.valid));
        push_counts("null", self.null.as_deref());
        push_counts("blank", self.blank.as_deref());
        if let Some(reg) = &self.registered {
            let t: Vec<Option<f64>> = reg[rows.clone()]
                .iter()
                .zip(&self.ballots_cast[rows.clone()])
                .map(|(&r, &b)| (r > 0).then(|| b as f64 / r as f64))
                .collect();
            cols.push(Column::new("turnout".into(), t));
        }
        for c in &self.candidates {
            cols.push(Column::new(
                format!("votes_{}", c.name).into(),
                &c.votes[rows.clone()],
            ));
        }
        for c in &self.candidates {
            let share: Vec<Option<f64>> = c.votes[rows.clone()]
                .iter()
                .zip(&self.valid[rows.clone()])
                .map(|(&v, &t)| (t > 0).then(|| v as f64 / t as f64))
                .collect();
            cols.push(Column::new(format!("share_{}", c.name).into(), share));
        }
        DataFrame::new(n, cols)
    }
}
