//! From raw tables and a mapping to a `Tally` and its `Ledger`.
//!
//! Each row is parsed into a `StationRecord` (or excluded with a reason); wide rows are stations,
//! long rows are grouped into stations by `long.rs`. `assemble` then removes duplicate keys, derives
//! missing totals, runs the consistency checks (`checks.rs`) and codes the region hierarchy.

use std::collections::HashMap;

use anyhow::bail;

use super::ledger::{Exclusion, InputFile, Ledger, Reason, RowRef};
use super::{checks, long, Candidate, RegionLevel, Tally};
use crate::input::number::{parse_count, CountError};
use crate::input::{Cells, RawTable, DEFAULT_NULL_MARKERS};
use crate::mapping::key::Extractor;
use crate::mapping::{ColumnSum, ExcludeRule, Layout, Mapping, KEY_JOIN};

/// A tally, its ledger and the notes to show in the report's data section.
pub struct Built {
    pub tally: Tally,
    pub ledger: Ledger,
    pub notes: Vec<String>,
}

/// One station as read from its row(s).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StationRecord {
    pub key: String,
    /// The station's region path (one name per level), as an index into the paths the parser
    /// has seen (`RowParser::into_region_paths`): a file repeats a few hundred paths over
    /// millions of rows, and a path of strings per record was a fifth of the load's memory.
    pub region: u32,
    pub registered: Option<u64>,
    pub ballots: Option<u64>,
    pub valid: Option<u64>,
    pub null: Option<u64>,
    pub blank: Option<u64>,
    /// Wide: one entry per mapped candidate. Long: filled by `long::group`.
    pub votes: Vec<u64>,
    pub at: RowRef,
    /// Further rows of the same station (long layout).
    pub extra_rows: Vec<RowRef>,
}

impl StationRecord {
    pub fn rows(&self) -> impl Iterator<Item = RowRef> + '_ {
        std::iter::once(self.at).chain(self.extra_rows.iter().copied())
    }

    /// Same numbers and region (the rows may differ).
    fn same_content(&self, other: &StationRecord) -> bool {
        self.region == other.region
            && (
                self.registered,
                self.ballots,
                self.valid,
                self.null,
                self.blank,
            ) == (
                other.registered,
                other.ballots,
                other.valid,
                other.null,
                other.blank,
            )
            && self.votes == other.votes
    }
}

/// Column indices of one file.
pub(super) struct Columns<'m> {
    key: Vec<(usize, Extractor)>,
    regions: Vec<usize>,
    counts: [Option<Vec<(usize, String)>>; 5],
    /// Per candidate: the columns added up, or `None` for the rest (valid − the others).
    candidates: Vec<Option<Vec<(usize, String)>>>,
    pub long: Option<(usize, usize)>,
    rules: Vec<(usize, &'m ExcludeRule)>,
    /// Key and region columns, where a "Total" label marks a totals row.
    labels: Vec<(usize, String)>,
    n_headers: usize,
}

/// A row-level problem: reason, column, cell text, detail.
pub(super) type RowProblem = (Reason, Option<String>, Option<String>, String);

pub(super) struct RowParser<'m> {
    thousands: Option<char>,
    nulls: Vec<String>,
    mapping: &'m Mapping,
    /// Region paths seen so far (`StationRecord::region`).
    regions: std::cell::RefCell<RegionPaths>,
}

/// Distinct region paths in order of first sight, and each one's index.
#[derive(Default)]
struct RegionPaths {
    index: HashMap<Vec<String>, u32>,
    paths: Vec<Vec<String>>,
}

impl<'m> RowParser<'m> {
    fn new(mapping: &'m Mapping) -> RowParser<'m> {
        let mut nulls: Vec<String> = DEFAULT_NULL_MARKERS.iter().map(|s| s.to_string()).collect();
        nulls.extend(
            mapping
                .format
                .null_values
                .iter()
                .map(|s| s.trim().to_string()),
        );
        RowParser {
            thousands: mapping
                .format
                .thousands_separator
                .as_ref()
                .and_then(|s| s.chars().next()),
            nulls,
            mapping,
            regions: Default::default(),
        }
    }

    /// The region paths of every record parsed, by `StationRecord::region`.
    fn into_region_paths(self) -> Vec<Vec<String>> {
        self.regions.into_inner().paths
    }

    fn intern_region(&self, path: Vec<String>) -> u32 {
        let mut r = self.regions.borrow_mut();
        if let Some(&i) = r.index.get(&path) {
            return i;
        }
        let i = r.paths.len() as u32;
        r.paths.push(path.clone());
        r.index.insert(path, i);
        i
    }

    pub fn columns(&self, table: &RawTable) -> anyhow::Result<Columns<'m>> {
        let m = self.mapping;
        // Errors name the mapping key that asked for the column.
        let idx = |name: &str, key: &str| table.column_for(name, key);
        let sum =
            |s: &Option<ColumnSum>, key: &str| -> anyhow::Result<Option<Vec<(usize, String)>>> {
                s.as_ref()
                    .map(|s| {
                        s.columns()
                            .into_iter()
                            .map(|c| Ok((idx(c, key)?, c.to_string())))
                            .collect()
                    })
                    .transpose()
            };
        let c = &m.counts;
        let key: Vec<(usize, Extractor)> = m
            .station
            .key
            .iter()
            .map(|k| Ok((idx(k.column(), "[station] key")?, k.extractor()?)))
            .collect::<anyhow::Result<_>>()?;
        let regions: Vec<usize> = m
            .regions
            .iter()
            .map(|r| idx(&r.column, "[[regions]] column"))
            .collect::<anyhow::Result<_>>()?;
        let labels = key
            .iter()
            .map(|(i, _)| *i)
            .zip(m.station.key.iter().map(|k| k.column()))
            .chain(
                regions
                    .iter()
                    .copied()
                    .zip(m.regions.iter().map(|r| r.column.as_str())),
            )
            .map(|(i, name)| (i, name.to_string()))
            .collect();
        Ok(Columns {
            labels,
            key,
            regions,
            counts: [
                sum(&c.registered, "[counts] registered")?,
                sum(&c.ballots_cast, "[counts] ballots_cast")?,
                sum(&c.valid, "[counts] valid")?,
                sum(&c.null, "[counts] null")?,
                sum(&c.blank, "[counts] blank")?,
            ],
            candidates: m
                .candidates
                .iter()
                .map(|c| sum(&c.column, "[[candidates]] column"))
                .collect::<anyhow::Result<_>>()?,
            long: match &m.long {
                Some(l) => Some((
                    idx(&l.candidate_column, "[long] candidate_column")?,
                    idx(&l.votes_column, "[long] votes_column")?,
                )),
                None => None,
            },
            rules: m
                .exclude
                .iter()
                .map(|r| Ok((idx(&r.column, "[[exclude]] column")?, r)))
                .collect::<anyhow::Result<_>>()?,
            n_headers: table.headers.len(),
        })
    }

    fn is_null(&self, text: &str) -> bool {
        let t = text.trim();
        self.nulls.iter().any(|n| n == t)
    }

    pub fn count(&self, cells: &Cells<'_>, col: usize, name: &str) -> Result<u64, RowProblem> {
        let text = cells.get(col).unwrap_or("");
        if self.is_null(text) {
            return Err((
                Reason::MissingValue,
                Some(name.into()),
                Some(text.into()),
                "empty or null marker".into(),
            ));
        }
        parse_count(text, self.thousands).map_err(|e| match e {
            CountError::Unparsable(why) => (
                Reason::UnparsableNumber,
                Some(name.into()),
                Some(text.into()),
                why.into(),
            ),
            CountError::Negative(v) => (
                Reason::NegativeCount,
                Some(name.into()),
                Some(text.into()),
                format!("value {v}"),
            ),
        })
    }

    fn sum(
        &self,
        cells: &Cells<'_>,
        cols: &Option<Vec<(usize, String)>>,
    ) -> Result<Option<u64>, RowProblem> {
        let Some(cols) = cols else { return Ok(None) };
        let mut total = 0u64;
        for (c, name) in cols {
            total = total
                .checked_add(self.count(cells, *c, name)?)
                .ok_or_else(|| {
                    (
                        Reason::UnparsableNumber,
                        Some(name.clone()),
                        None,
                        "sum of columns too large".to_string(),
                    )
                })?;
        }
        Ok(Some(total))
    }

    /// Parse a row into a station record (votes empty in long layout).
    pub fn parse(
        &self,
        cols: &Columns<'_>,
        cells: &Cells<'_>,
        at: RowRef,
    ) -> Result<StationRecord, RowProblem> {
        if cells.all_blank() {
            return Err((Reason::EmptyRow, None, None, String::new()));
        }
        // A totals row at the foot of a sheet (or between regions) is not a station.
        for (c, name) in &cols.labels {
            let text = cells.get(*c).unwrap_or("");
            if is_total_label(text) {
                return Err((
                    Reason::TotalsRow,
                    Some(name.clone()),
                    Some(text.trim().into()),
                    "a totals row, not a station".into(),
                ));
            }
        }
        if cells.len() != cols.n_headers {
            return Err((
                Reason::MalformedRow,
                None,
                None,
                format!("{} fields, the header has {}", cells.len(), cols.n_headers),
            ));
        }
        for (c, rule) in &cols.rules {
            if rule.excludes(cells.get(*c).unwrap_or("")) {
                return Err((
                    Reason::ExcludedByRule,
                    Some(rule.column.clone()),
                    cells.get(*c).map(Into::into),
                    rule.reason.clone(),
                ));
            }
        }
        let mut key_parts = Vec::with_capacity(cols.key.len());
        for ((c, extractor), part) in cols.key.iter().zip(&self.mapping.station.key) {
            let v = cells.get(*c).unwrap_or("").trim();
            if self.is_null(v) {
                return Err((
                    Reason::MissingValue,
                    Some(part.column().to_string()),
                    Some(v.into()),
                    "empty station key".into(),
                ));
            }
            let derived = extractor.extract(v).map_err(|why| {
                (
                    Reason::UnmatchedKeyPattern,
                    Some(part.column().to_string()),
                    Some(v.into()),
                    why,
                )
            })?;
            key_parts.push(derived);
        }
        let region_path: Vec<String> = cols
            .regions
            .iter()
            .map(|&c| {
                let v = cells.get(c).unwrap_or("").trim();
                if self.is_null(v) {
                    "(missing)".to_string()
                } else {
                    v.to_string()
                }
            })
            .collect();
        let [registered, ballots, valid, null, blank] = &cols.counts;
        let mut votes = Vec::with_capacity(cols.candidates.len());
        let mut rest_at = None;
        for (i, c) in cols.candidates.iter().enumerate() {
            match c {
                Some(_) => votes.push(self.sum(cells, c)?.unwrap_or(0)),
                None => {
                    rest_at = Some(i);
                    votes.push(0);
                }
            }
        }
        let valid = self.sum(cells, valid)?;
        if let (Some(i), Some(valid)) = (rest_at, valid) {
            let listed: u64 = votes.iter().sum();
            let name = self.mapping.candidates[i].display_name().to_string();
            votes[i] = valid.checked_sub(listed).ok_or_else(|| {
                (
                    Reason::NegativeCount,
                    Some(name),
                    None,
                    format!(
                        "the rest (valid votes − the listed candidates) is negative: the listed candidates have {listed}, valid {valid}"
                    ),
                )
            })?;
        }
        Ok(StationRecord {
            key: key_parts.join(KEY_JOIN),
            region: self.intern_region(region_path),
            registered: self.sum(cells, registered)?,
            ballots: self.sum(cells, ballots)?,
            valid,
            null: self.sum(cells, null)?,
            blank: self.sum(cells, blank)?,
            votes,
            at,
            extra_rows: vec![],
        })
    }
}

/// Cell texts that label a totals row, compared after `normalise` (accents and case dropped).
const TOTAL_LABELS: &[&str] = &[
    "total",
    "totals",
    "totales",
    "total_general",
    "grand_total",
    "total_nacional",
    "total_national",
    "total_pais",
    "totaal",
    "gesamt",
    "insgesamt",
    "summe",
    "итого",
    "всего",
    "total_geral",
];

/// Whether a key or region cell says the row is a total (`TOTAL`, `Total general`, `Итого:`).
fn is_total_label(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.len() <= 40
        && TOTAL_LABELS.contains(&crate::mapping::infer::normalise(t).as_str())
}

pub(super) fn exclusion(at: RowRef, problem: RowProblem) -> Exclusion {
    let (reason, column, text, detail) = problem;
    Exclusion {
        reason,
        at,
        column,
        text,
        detail,
    }
}

/// Build a tally from the dataset's tables (in file order) with a checked mapping. The tables are
/// dropped once their rows are parsed: their text is not kept while the records become columns.
pub fn build(name: &str, tables: Vec<RawTable>, mapping: &Mapping) -> anyhow::Result<Built> {
    let parser = RowParser::new(mapping);
    let mut ledger = Ledger::default();
    let mut records = Vec::new();
    let mut long_rows = Vec::new();
    for (file_idx, table) in tables.iter().enumerate() {
        let cols = parser.columns(table)?;
        let mut rows_read = 0u64;
        table.for_each_row(|row, cells| {
            rows_read += 1;
            let at = RowRef {
                file: file_idx as u32,
                row,
            };
            match parser.parse(&cols, cells, at) {
                Err(problem) => ledger.exclusions.push(exclusion(at, problem)),
                Ok(record) => match cols.long {
                    None => records.push(record),
                    Some((cand_col, votes_col)) => {
                        let candidate = cells.get(cand_col).unwrap_or("").trim().to_string();
                        let votes_name = &mapping
                            .long
                            .as_ref()
                            .map(|l| l.votes_column.clone())
                            .unwrap_or_default();
                        match parser.count(cells, votes_col, votes_name) {
                            Err(problem) => ledger.exclusions.push(exclusion(at, problem)),
                            Ok(_) if candidate.is_empty() => ledger.exclusions.push(exclusion(
                                at,
                                (
                                    Reason::MissingValue,
                                    mapping.long.as_ref().map(|l| l.candidate_column.clone()),
                                    Some(String::new()),
                                    "empty candidate name".into(),
                                ),
                            )),
                            Ok(v) => long_rows.push((record, candidate, v)),
                        }
                    }
                },
            }
            Ok(())
        })?;
        ledger.rows_read += rows_read;
        ledger.inputs.push(InputFile {
            path: table.path.display().to_string(),
            sha256: table.sha256.clone(),
            format: table.format.clone(),
            encoding: table.encoding.to_string(),
            rows_read,
        });
    }
    drop(tables);
    let mut notes = Vec::new();
    let candidates: Vec<(String, String)> = if mapping.dataset.layout == Layout::Long {
        let (recs, names) = long::group(long_rows, mapping, &mut ledger, &mut notes);
        records = recs;
        names
    } else {
        mapping
            .candidates
            .iter()
            .map(|c| (c.display_name().to_string(), c.describe()))
            .collect()
    };
    let mut seen = std::collections::HashSet::new();
    for (display, _) in &candidates {
        if !seen.insert(display) {
            bail!("two candidates are named {display:?}; give them distinct names in the mapping");
        }
    }
    let region_paths = parser.into_region_paths();
    let tally = assemble(
        name,
        records,
        &region_paths,
        candidates,
        mapping,
        &mut ledger,
        &mut notes,
    )?;
    ledger.check_balance()?;
    if ledger.rows_read == 0 {
        bail!(
            "{}: the file has a header row but no data rows; check that it is the complete download",
            ledger.inputs.iter().map(|i| i.path.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    if tally.n_stations() == 0 {
        if let Some(message) = rules_excluding_everything(mapping, &ledger) {
            bail!(message);
        }
        let first = &ledger.exclusions[0];
        bail!(
            "no row could be analysed: all {} rows were excluded (first: row {}, {}{}); see the ledger reasons in README.md and check the mapping's columns and number format",
            ledger.rows_read,
            first.at.row,
            first.reason.as_str(),
            first.column.as_ref().map(|c| format!(", column {c:?}")).unwrap_or_default()
        );
    }
    Ok(Built {
        tally,
        ledger,
        notes,
    })
}

/// When `[[exclude]]` rules took every row that reached them: which rule, and a few of the values
/// seen in its column (a rule written with the wrong spelling, case or code excludes everything).
fn rules_excluding_everything(mapping: &Mapping, ledger: &Ledger) -> Option<String> {
    let by_rule: Vec<&Exclusion> = ledger
        .exclusions
        .iter()
        .filter(|e| e.reason == Reason::ExcludedByRule)
        .collect();
    if by_rule.is_empty() {
        return None;
    }
    let parts: Vec<String> = mapping
        .exclude
        .iter()
        .filter_map(|rule| {
            let mut seen: Vec<&str> = Vec::new();
            let mut rows = 0u64;
            for e in by_rule.iter().filter(|e| {
                e.column.as_deref() == Some(rule.column.as_str()) && e.detail == rule.reason
            }) {
                rows += 1;
                let v = e.text.as_deref().unwrap_or("").trim();
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            (rows > 0).then(|| {
                let (op, values) = if rule.equals.is_empty() {
                    ("not_equals", &rule.not_equals)
                } else {
                    ("equals", &rule.equals)
                };
                let shown: Vec<String> = seen.iter().take(8).map(|v| format!("{v:?}")).collect();
                let more = seen.len().saturating_sub(8);
                format!(
                    "the [[exclude]] rule on column {:?} ({op} = {values:?}, reason {:?}) excluded {rows} rows; the values seen in that column are {}{}",
                    rule.column,
                    rule.reason,
                    shown.join(", "),
                    if more > 0 { format!(" and {more} more") } else { String::new() }
                )
            })
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "no row could be analysed: {}. Values are compared exactly (after trimming spaces, case and accents included): fix the rule's equals / not_equals list in the mapping",
            parts.join("; ")
        )
    })
}

/// Remove duplicate keys, run checks, derive totals and code regions.
fn assemble(
    name: &str,
    records: Vec<StationRecord>,
    region_paths: &[Vec<String>],
    candidates: Vec<(String, String)>,
    mapping: &Mapping,
    ledger: &mut Ledger,
    notes: &mut Vec<String>,
) -> anyhow::Result<Tally> {
    // Duplicate keys: identical copies drop the later rows; conflicting copies drop every copy.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    let mut dropped: Vec<Option<(Reason, String)>> = vec![None; records.len()];
    let at = |r: &StationRecord| {
        let file = ledger
            .inputs
            .get(r.at.file as usize)
            .map(|f| f.path.as_str())
            .unwrap_or("?");
        format!("row {} of {file}", r.at.row)
    };
    for (i, r) in records.iter().enumerate() {
        match first.get(r.key.as_str()) {
            None => {
                first.insert(&r.key, i);
            }
            Some(&j) if r.same_content(&records[j]) && dropped[j].is_none() => {
                dropped[i] = Some((
                    Reason::DuplicateStationKey,
                    format!("same numbers as {}", at(&records[j])),
                ));
            }
            Some(&j) => {
                let other = |k: usize| {
                    format!(
                        "key {:?} also at {} with other numbers",
                        r.key,
                        at(&records[k])
                    )
                };
                dropped[i] = Some((Reason::ConflictingStationKey, other(j)));
                // The first copy points at the first conflicting copy, and keeps that detail.
                if !matches!(dropped[j], Some((Reason::ConflictingStationKey, _))) {
                    dropped[j] = Some((Reason::ConflictingStationKey, other(i)));
                }
            }
        }
    }
    std::mem::drop(first);
    // In place: a second vector of records would double the peak memory of a large file.
    let mut kept = records;
    let mut verdicts = dropped.into_iter();
    kept.retain(|r| match verdicts.next().flatten() {
        None => true,
        Some((reason, detail)) => {
            for at in r.rows() {
                ledger.exclusions.push(Exclusion {
                    reason,
                    at,
                    column: None,
                    text: None,
                    detail: detail.clone(),
                });
            }
            false
        }
    });
    let kept = checks::apply(kept, mapping, ledger);
    // Counted from the stations themselves, so the ledger identity below is a real check.
    ledger.rows_analysed = kept.iter().map(|r| r.rows().count() as u64).sum();
    let derivations = checks::derivations(mapping, notes);

    let n = kept.len();
    let mut tally = Tally {
        name: name.to_string(),
        ..Default::default()
    };
    tally.regions = mapping
        .regions
        .iter()
        .map(|r| RegionLevel {
            source_codes: None,
            name: r.level_name().to_string(),
            codes: Vec::with_capacity(n),
            paths: vec![],
        })
        .collect();
    let mut region_index: Vec<HashMap<Vec<String>, u32>> =
        vec![HashMap::new(); tally.regions.len()];
    let has = |f: fn(&StationRecord) -> Option<u64>| kept.first().is_some_and(|r| f(r).is_some());
    let (has_reg, has_null, has_blank) = (has(|r| r.registered), has(|r| r.null), has(|r| r.blank));
    let mut registered = Vec::with_capacity(if has_reg { n } else { 0 });
    let (mut null, mut blank) = (Vec::new(), Vec::new());
    let mut votes: Vec<Vec<u64>> = vec![Vec::with_capacity(n); candidates.len()];
    for r in kept {
        for (depth, (level, index)) in tally
            .regions
            .iter_mut()
            .zip(region_index.iter_mut())
            .enumerate()
        {
            let path = &region_paths[r.region as usize][..=depth];
            let code = match index.get(path) {
                Some(&code) => code,
                None => {
                    let code = level.paths.len() as u32;
                    index.insert(path.to_vec(), code);
                    level.paths.push(path.to_vec());
                    code
                }
            };
            level.codes.push(code);
        }
        let valid = r.valid.unwrap_or_else(|| r.votes.iter().sum());
        let ballots = r
            .ballots
            .unwrap_or(valid + r.null.unwrap_or(0) + r.blank.unwrap_or(0));
        tally.station_keys.push(r.key);
        tally.sources.push(r.at);
        if has_reg {
            registered.push(r.registered.unwrap_or(0));
        }
        if has_null {
            null.push(r.null.unwrap_or(0));
        }
        if has_blank {
            blank.push(r.blank.unwrap_or(0));
        }
        tally.valid.push(valid);
        tally.ballots_cast.push(ballots);
        for (col, v) in votes.iter_mut().zip(r.votes) {
            col.push(v);
        }
    }
    tally.registered = has_reg.then_some(registered);
    tally.null = has_null.then_some(null);
    tally.blank = has_blank.then_some(blank);
    tally.candidates = candidates
        .into_iter()
        .zip(votes)
        .map(|((name, source), votes)| Candidate {
            name,
            source,
            votes,
        })
        .collect();
    tally.derivations = derivations;
    tally.share_of = mapping.options.share_of;
    tally.win_rules = mapping.options.win_rules.clone();
    for r in &tally.win_rules {
        if !(r.share > 0.0 && r.share < 1.0) || r.lead.is_some_and(|l| !(0.0..1.0).contains(&l)) {
            bail!("[options] win_rules: share must be between 0 and 1 (0.5 for a majority) and lead between 0 and 1 (0.10 for 10 points), not {r:?}");
        }
    }
    if tally.share_of == crate::mapping::ShareOf::Registered && tally.registered.is_none() {
        bail!("[options] share_of = \"registered\" needs registered voters: declare [counts] registered, or use share_of = \"valid\" or \"ballots_cast\"");
    }
    Ok(tally)
}
