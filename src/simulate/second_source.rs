//! A second source of the same tables with known planted differences (`--second-source`), and
//! the ground truth listing them (`<stem>.planted.csv`), for `source_reconciliation`.
//!
//! Why: reconciling two counts of the same tables (scanned sheets and their QR codes, a
//! preliminary and a final count) must find exactly the differences there are; a synthetic pair
//! whose differences are known is the only way to check that.
//!
//! What is planted (stream 4 of the seed, so the election itself is unchanged):
//! * `--transcription-errors N`: N distinct tables, chosen uniformly among all, each with one
//!   count (a candidate or a total, chosen uniformly among the table's counts of at least 10)
//!   changed by 1–9 with a fair sign: honest reading errors, symmetric and spread over regions.
//! * `--favour-edits N` in `--favour-region`: N distinct tables of that region where votes move
//!   from the table's strongest other candidate to the leader (candidate 1): 10–30 % of that
//!   candidate's votes, at least 1; valid votes unchanged. Edits that favour one candidate,
//!   concentrated in one region.
//! * `--missing-tables N`: N tables missing from each source (distinct tables, none edited).
//! * Key formatting: the second source writes station keys without leading zeros in their numbers
//!   (`R01-D01-0007` → `R1-D1-7`), a harmless difference its mapping declares
//!   (`[reconcile] strip_leading_zeros = true`).
//!
//! The truth file has the layout of `reconciliation_differences.csv` plus the cause of each row.

use std::path::Path;

use anyhow::ensure;
use rand::seq::index::sample;
use rand::RngExt;

use super::model::{rng_stream, Election};
use super::write::{is_gzip_path, write_atomically};

/// What to plant in the second source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecondSourceSpec {
    pub transcription_errors: usize,
    pub favour_edits: usize,
    /// 0-based region of the favour edits.
    pub favour_region: usize,
    pub missing_tables: usize,
}

/// One planted difference (a differing cell or a table missing from one source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedRow {
    /// "differs", "only_in_a" or "only_in_b".
    pub kind: &'static str,
    pub key_a: String,
    pub key_b: String,
    pub region: String,
    pub column: String,
    pub value_a: Option<u32>,
    pub value_b: Option<u32>,
    /// "transcription", "favour" or "missing".
    pub cause: &'static str,
}

/// The two sources and what differs between them.
#[derive(Debug, Clone)]
pub struct Pair {
    pub first: Election,
    pub second: Election,
    pub planted: Vec<PlantedRow>,
}

/// A key without leading zeros in its numbers: `R01-D01-0007` → `R1-D1-7`.
pub fn drop_leading_zeros(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len());
    let mut leading = true;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_digit() {
            leading = true;
            out.push(c);
            continue;
        }
        if leading && c == '0' && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()) {
            continue;
        }
        leading = false;
        out.push(c);
    }
    out
}

/// The counts of a station as (column name, value), candidates first, in the order of the
/// mapping written beside the data.
fn counts(e: &Election, i: usize) -> Vec<(String, u32)> {
    let mut c: Vec<(String, u32)> = e
        .candidates
        .iter()
        .zip(&e.votes)
        .map(|(cand, v)| (cand.name.clone(), v[i]))
        .collect();
    for (name, v) in [
        ("registered", &e.registered),
        ("ballots_cast", &e.ballots_cast),
        ("valid", &e.valid),
        ("null", &e.null),
        ("blank", &e.blank),
    ] {
        c.push((name.to_string(), v[i]));
    }
    c
}

fn set_count(e: &mut Election, i: usize, column: usize, value: u32) {
    let k = e.candidates.len();
    let v = match column {
        c if c < k => &mut e.votes[c],
        c if c == k => &mut e.registered,
        c if c == k + 1 => &mut e.ballots_cast,
        c if c == k + 2 => &mut e.valid,
        c if c == k + 3 => &mut e.null,
        _ => &mut e.blank,
    };
    v[i] = value;
}

/// Plant the differences of `spec` into a copy of `e` (stream 4 of `seed`).
pub fn plant(e: &Election, spec: &SecondSourceSpec, seed: u64) -> anyhow::Result<Pair> {
    let n = e.n_stations();
    let mut rng = rng_stream(seed, 4);
    // Favour edits first, among the region's tables with another candidate of at least 1 vote.
    let eligible: Vec<usize> = (0..n)
        .filter(|&i| {
            e.station_region(i) == spec.favour_region && e.votes.iter().skip(1).any(|v| v[i] >= 1)
        })
        .collect();
    ensure!(
        spec.favour_edits <= eligible.len(),
        "--favour-edits {} is more than the {} tables of {} with votes to move",
        spec.favour_edits,
        eligible.len(),
        e.region_names[spec.favour_region.min(e.region_names.len() - 1)]
    );
    let mut used = vec![false; n];
    let mut favour: Vec<usize> = sample(&mut rng, eligible.len(), spec.favour_edits)
        .into_iter()
        .map(|k| eligible[k])
        .collect();
    favour.sort_unstable();
    favour.iter().for_each(|&i| used[i] = true);
    // Then transcription errors and missing tables among the rest, uniformly.
    let rest: Vec<usize> = (0..n).filter(|&i| !used[i]).collect();
    let wanted = spec.transcription_errors + 2 * spec.missing_tables;
    ensure!(
        wanted <= rest.len(),
        "--transcription-errors + 2 × --missing-tables = {wanted} is more than the {} tables left",
        rest.len()
    );
    let picked: Vec<usize> = sample(&mut rng, rest.len(), wanted)
        .into_iter()
        .map(|k| rest[k])
        .collect();
    let (errors, missing) = picked.split_at(spec.transcription_errors);
    let (missing_first, missing_second) = missing.split_at(spec.missing_tables);
    let mut second = e.clone();
    let mut planted = Vec::new();
    let region = |i: usize| e.region_names[e.station_region(i)].clone();
    let key_b = |i: usize| drop_leading_zeros(&e.station_ids[i]);
    let differs = |i: usize, column: &str, a: u32, b: u32, cause| PlantedRow {
        kind: "differs",
        key_a: e.station_ids[i].clone(),
        key_b: key_b(i),
        region: region(i),
        column: column.to_string(),
        value_a: Some(a),
        value_b: Some(b),
        cause,
    };
    let mut errors = errors.to_vec();
    errors.sort_unstable();
    for &i in &errors {
        let cols = counts(e, i);
        let big: Vec<usize> = (0..cols.len()).filter(|&c| cols[c].1 >= 10).collect();
        // Every station has at least 20 registered voters, so `big` is never empty.
        let c = big[rng.random_range(0..big.len())];
        let step = rng.random_range(1..=9u32);
        let value = if rng.random_bool(0.5) {
            cols[c].1 + step
        } else {
            cols[c].1 - step
        };
        set_count(&mut second, i, c, value);
        planted.push(differs(i, &cols[c].0, cols[c].1, value, "transcription"));
    }
    for &i in &favour {
        let (other, &from) = e
            .votes
            .iter()
            .enumerate()
            .skip(1)
            .map(|(j, v)| (j, &v[i]))
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            .expect("at least two candidates");
        let moved = ((from as f64 * rng.random_range(0.10..=0.30)).round() as u32).clamp(1, from);
        let lead = e.votes[0][i];
        second.votes[0][i] = lead + moved;
        second.votes[other][i] = from - moved;
        planted.push(differs(
            i,
            &e.candidates[0].name,
            lead,
            lead + moved,
            "favour",
        ));
        planted.push(differs(
            i,
            &e.candidates[other].name,
            from,
            from - moved,
            "favour",
        ));
    }
    let only = |kind, i: usize, in_a: bool| PlantedRow {
        kind,
        key_a: if in_a {
            e.station_ids[i].clone()
        } else {
            String::new()
        },
        key_b: if in_a { String::new() } else { key_b(i) },
        region: region(i),
        column: String::new(),
        value_a: None,
        value_b: None,
        cause: "missing",
    };
    // Tables missing from the second source are only in A, and the other way round.
    planted.extend(missing_second.iter().map(|&i| only("only_in_a", i, true)));
    planted.extend(missing_first.iter().map(|&i| only("only_in_b", i, false)));
    second.station_ids = second
        .station_ids
        .iter()
        .map(|k| drop_leading_zeros(k))
        .collect();
    let keep = |drop: &[usize]| {
        let mut k = vec![true; n];
        drop.iter().for_each(|&i| k[i] = false);
        k
    };
    Ok(Pair {
        first: subset(e, &keep(missing_first)),
        second: subset(&second, &keep(missing_second)),
        planted,
    })
}

/// The election restricted to the stations with `keep[i]`.
fn subset(e: &Election, keep: &[bool]) -> Election {
    fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
        v.iter()
            .zip(keep)
            .filter(|(_, &k)| k)
            .map(|(x, _)| x.clone())
            .collect()
    }
    Election {
        station_ids: pick(&e.station_ids, keep),
        station_district: pick(&e.station_district, keep),
        registered: pick(&e.registered, keep),
        ballots_cast: pick(&e.ballots_cast, keep),
        valid: pick(&e.valid, keep),
        null: pick(&e.null, keep),
        blank: pick(&e.blank, keep),
        votes: e.votes.iter().map(|v| pick(v, keep)).collect(),
        fraud: pick(&e.fraud, keep),
        fraud_x: pick(&e.fraud_x, keep),
        ballots_delta: pick(&e.ballots_delta, keep),
        leader_delta: pick(&e.leader_delta, keep),
        ..e.clone()
    }
}

/// Write the planted differences as UTF-8 CSV (`reconciliation_differences.csv` columns + cause).
pub fn write_planted(rows: &[PlantedRow], path: &Path) -> anyhow::Result<()> {
    write_atomically(path, is_gzip_path(path), |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "kind",
            "station_key_a",
            "station_key_b",
            "region",
            "column",
            "value_a",
            "value_b",
            "difference",
            "cause",
        ])?;
        let num = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        for r in rows {
            let diff = match (r.value_a, r.value_b) {
                (Some(a), Some(b)) => (i64::from(b) - i64::from(a)).to_string(),
                _ => String::new(),
            };
            w.write_record([
                r.kind,
                &r.key_a,
                &r.key_b,
                &r.region,
                &r.column,
                &num(r.value_a),
                &num(r.value_b),
                &diff,
                r.cause,
            ])?;
        }
        w.flush()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::model::generate;
    use crate::simulate::spec::SimSpec;

    fn election() -> Election {
        generate(&SimSpec {
            seed: 5,
            stations: 600,
            regions: 4,
            ..SimSpec::default()
        })
    }

    #[test]
    fn keys_lose_their_leading_zeros() {
        assert_eq!(drop_leading_zeros("R01-D01-0007"), "R1-D1-7");
        assert_eq!(drop_leading_zeros("R10-D00-0100"), "R10-D0-100");
    }

    #[test]
    fn plants_exactly_what_is_asked_and_nothing_else() {
        let e = election();
        let spec = SecondSourceSpec {
            transcription_errors: 12,
            favour_edits: 7,
            favour_region: 2,
            missing_tables: 3,
        };
        let p = plant(&e, &spec, 5).unwrap();
        let count = |cause: &str, kind: &str| {
            p.planted
                .iter()
                .filter(|r| r.cause == cause && r.kind == kind)
                .count()
        };
        assert_eq!(count("transcription", "differs"), 12);
        assert_eq!(count("favour", "differs"), 14);
        assert_eq!(
            (count("missing", "only_in_a"), count("missing", "only_in_b")),
            (3, 3)
        );
        assert_eq!(p.first.n_stations(), 597);
        assert_eq!(p.second.n_stations(), 597);
        for r in p.planted.iter().filter(|r| r.cause == "favour") {
            assert_eq!(r.region, e.region_names[2]);
        }
        for r in p.planted.iter().filter(|r| r.cause == "transcription") {
            let d = i64::from(r.value_b.unwrap()) - i64::from(r.value_a.unwrap());
            assert!((1..=9).contains(&d.abs()), "{r:?}");
        }
        // Every other cell is equal: compare the sources station by station.
        let second: std::collections::HashMap<&str, usize> = p
            .second
            .station_ids
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let mut cells = 0;
        for i in 0..p.first.n_stations() {
            let Some(&j) = second.get(drop_leading_zeros(&p.first.station_ids[i]).as_str()) else {
                continue;
            };
            let (a, b) = (counts(&p.first, i), counts(&p.second, j));
            cells += a.iter().zip(&b).filter(|(x, y)| x.1 != y.1).count();
        }
        assert_eq!(cells, 12 + 14);
        let again = plant(&e, &spec, 5).unwrap();
        assert_eq!(again.planted, p.planted, "seeded: deterministic");
    }

    #[test]
    fn too_many_edits_is_a_clear_error() {
        let spec = SecondSourceSpec {
            favour_edits: 10_000,
            ..SecondSourceSpec::default()
        };
        let err = plant(&election(), &spec, 1).unwrap_err().to_string();
        assert!(err.contains("--favour-edits 10000"), "{err}");
    }
}
