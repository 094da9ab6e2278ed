//! `source_reconciliation`: two datasets describing the same tables (scanned sheets and their QR
//! codes, a preliminary and a final count), declared as a pair by a `[reconcile]` section in the
//! mapping of one of them (`with = "<other dataset>"`). A is the dataset named in `with`, B the
//! dataset that declares the pair; differences are B − A. The test runs in B's battery.
//!
//! - **Matching.** Tables are matched on the station key after the declared normalisations
//!   (`trim`, `remove`, `case_insensitive`, `strip_leading_zeros`; `matching::normalise_key`). Two
//!   tables of one source that become the same key are an error naming both rows, never a silent
//!   pick. Counted: tables in A, in B, matched, only in A, only in B, matched tables agreeing on
//!   every compared column, differing tables and cells.
//! - **Columns compared**: every candidate present in both (by name; candidates only in one source
//!   are listed, not an error), then registered voters, ballots cast, valid, null and blank when
//!   both sources read them from a column (a derived total would repeat the candidates'
//!   differences). Every differing cell is written to `reconciliation_differences.csv` with both
//!   keys, the top-level region, the column and both values, followed by the tables only in one
//!   source.
//! - **Net change** per column: Σ (B − A) over matched tables, with the tables that raised and
//!   lowered it.
//! - **Region concentration.** Honest transcription or reading errors fall on tables regardless
//!   of region, so the share of matched tables that differ should be the same in every top-level
//!   region. Pearson's χ² test of homogeneity with a permutation p-value (`stats::homogeneity`:
//!   the differing labels redistributed at random over the matched tables, which stays valid with
//!   the small expected counts typical here); effect size Cramér's V. Not applicable without
//!   regions, with fewer than two regions or without differing tables.
//! - **Candidate favour.** Under honest errors the sign of a difference is symmetric: a candidate
//!   gains in as many tables as it loses. Per candidate, the exact two-sided sign test
//!   (`stats::sign_test`; Conover 1999 §3.4) on the matched tables where its count changed, with
//!   the share of those tables where it gained as the effect size, and its net change with the
//!   central 95 % interval of the net change under random signs (sign-flip permutation; Good 2005).
//!   Not applicable for a candidate whose count changed nowhere.
//!
//! The findings with a p-value (region concentration, one per candidate) enter the dataset's
//! Benjamini–Hochberg step like any other; the matching summary is descriptive. Both Monte Carlo
//! nulls use at least `MIN_PERMUTATIONS` draws, so that their p-values can get small enough for
//! that step. Charts: the share
//! of matched tables differing per region (95 % band under a uniform spread) and the share of
//! changed tables in which each candidate gained (95 % band under symmetric errors).
//!
//! Not applicable when the dataset's mapping declares no pair.
//!
//! References: Conover, *Practical Nonparametric Statistics* (3rd ed., 1999), §3.4 (sign test);
//! Good, *Permutation, Parametric and Bootstrap Tests of Hypotheses* (3rd ed., 2005) (permutation
//! and sign-flip tests); Agresti, *Categorical Data Analysis* (3rd ed., 2013), §3.2 (χ² test of
//! homogeneity); Lindeman & Stark (2012), "A Gentle Introduction to Risk-Limiting Audits", IEEE
//! Security & Privacy 10(5):42–49, and Stark (2008), "Conservative statistical post-election
//! audits", Ann. Appl. Stat. 2(2):550–581 (comparing two counts of the same ballots table by table;
//! discrepancies that favour the reported winner are what matters).

mod matching;
mod output;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use matching::{match_keys, normalise_key, Collision, ColumnKind, Matching};

use crate::forensics::{ForensicTest, Params};
use crate::mapping::ReconcileSection;
use crate::stats::homogeneity::{homogeneity, Homogeneity};
use crate::stats::sign_test::{sign_flip, sign_test};
use crate::tally::Tally;

pub const TEST: ForensicTest = ForensicTest {
    id: "source_reconciliation",
    title: "Two sources of the same tables, reconciled",
    method: "Matches the tables of this dataset with those of the dataset named in its mapping's [reconcile] section (scanned sheets and their QR codes, a preliminary and a final count) on the station key, after the declared key normalisations. It counts the tables only in one source, the matched tables that agree exactly and those that differ, lists every differing cell with both values in reconciliation_differences.csv and sums the net change of every column. Two questions are tested. Do differences concentrate in some regions? Honest transcription errors fall anywhere, so the share of differing tables should be the same in every region (χ² test of homogeneity with a permutation p-value). Do differences favour a candidate? Honest errors raise a count as often as they lower it (exact sign test on the tables where the candidate's count changed, with the net change and its 95 % range under random signs). Differences say where the sources disagree, not which one is right.",
    references: "Conover 1999 §3.4 (sign test); Good 2005 (permutation tests); Agresti 2013 §3.2 (χ² homogeneity); Lindeman & Stark 2012 and Stark 2008 (comparing two counts of the same tables in audits).",
    weight: 0.03,
    run: output::run,
};

/// Fewest Monte Carlo draws of the permutation and sign-flip nulls (more when `--replicates` asks
/// for more). A permutation p-value cannot fall below 1 / (draws + 1), and the Benjamini–Hochberg
/// step over a dataset's few hundred findings needs smaller ones: with 300 draws a region
/// concentration planted in the sample data had p = 1/301 and q = 0.36. The draws are cheap (each
/// places only the differing tables, or flips only the changed ones), so 19,999 cost milliseconds.
pub const MIN_PERMUTATIONS: u32 = 19_999;

/// The other source of a pair, as the battery of the declaring dataset sees it.
pub struct Partner<'a> {
    /// Name of dataset A (the one named in `with`).
    pub name: String,
    pub tally: &'a Tally,
    /// A's input files, by `RowRef::file`, for error messages.
    pub files: Vec<String>,
    /// This dataset's (B's) input files.
    pub own_files: Vec<String>,
    pub options: &'a ReconcileSection,
}

/// Counts of the matching.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub dataset_a: String,
    pub dataset_b: String,
    pub tables_a: u64,
    pub tables_b: u64,
    pub matched: u64,
    pub only_in_a: u64,
    pub only_in_b: u64,
    /// Matched tables equal on every compared column.
    pub agreeing: u64,
    /// Matched tables with at least one differing column.
    pub differing: u64,
    pub differing_cells: u64,
    pub columns_compared: Vec<String>,
    pub candidates_only_in_a: Vec<String>,
    pub candidates_only_in_b: Vec<String>,
    pub key_normalisation: ReconcileSection,
}

/// Net change B − A of one column over the matched tables.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ColumnChange {
    pub column: String,
    /// Tables where B's count is higher / lower.
    pub tables_up: u64,
    pub tables_down: u64,
    pub votes_up: u64,
    pub votes_down: u64,
    pub net: i64,
    /// Σ A over the matched tables (the base of `net_relative`).
    pub total_a: u64,
    /// net / total_a.
    pub net_relative: f64,
}

/// The sign test of one candidate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Favour {
    pub candidate: String,
    /// Most votes in A's matched tables.
    pub leader: bool,
    pub change: ColumnChange,
    /// Share of the changed tables where the candidate gained (½ under symmetric errors).
    pub gain_share: f64,
    pub p_sign_test: f64,
    /// Central 95 % interval of the net change under random signs, and its two-sided p.
    pub net_interval: (f64, f64),
    pub p_net: f64,
    pub replicates: u32,
}

/// One top-level region's share of differing tables.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionRate {
    pub region: String,
    pub matched: u64,
    pub differing: u64,
    pub rate: f64,
    /// 95 % band of the rate when the differing tables fall anywhere.
    pub band: (f64, f64),
}

/// Whether differing tables concentrate in some regions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Concentration {
    pub regions: Vec<RegionRate>,
    pub overall_rate: f64,
    pub chi_square: f64,
    pub df: f64,
    pub p_permutation: f64,
    pub p_asymptotic: f64,
    pub cramers_v: f64,
    pub replicates: u32,
}

/// Everything the reconciliation computed.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    pub summary: Summary,
    pub matching: Matching,
    /// Names and kinds of the compared columns.
    pub columns: Vec<(String, ColumnKind)>,
    pub differences: Vec<matching::CellDifference>,
    pub changes: Vec<ColumnChange>,
    pub favour: Vec<Favour>,
    /// Top-level region of each matched pair (A's regions, else B's), if any source has regions.
    pub pair_regions: Option<Vec<String>>,
    pub concentration: Result<Concentration, String>,
}

/// Per-task seeds derived from `Params::seed` (splitmix64 finaliser).
fn task_seed(seed: u64, task: u64) -> u64 {
    let mut z = seed ^ task.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EC0_4C11_E000_0000;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Name of the top-level region of station `i`, if the tally has regions.
fn top_region(t: &Tally, i: usize) -> Option<String> {
    let level = t.regions.first()?;
    level.paths[level.codes[i] as usize].last().cloned()
}

/// Reconcile A with B. A collision of normalised keys is returned with its side (true = A).
pub fn compute(
    names: (&str, &str),
    a: &Tally,
    b: &Tally,
    r: &ReconcileSection,
    params: &Params,
) -> Result<Reconciliation, (bool, Collision)> {
    let m = matching::match_keys(&a.station_keys, &b.station_keys, r)?;
    let (cols, only_cand_a, only_cand_b) = matching::common_columns(a, b);
    let differences = matching::differences(&m, &cols);
    let mut differs = vec![false; m.pairs.len()];
    for d in &differences {
        differs[d.pair] = true;
    }
    let differing = differs.iter().filter(|&&d| d).count() as u64;
    let changes: Vec<ColumnChange> = cols.iter().map(|c| change(&m, c)).collect();
    let leader = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ColumnKind::Candidate)
        .max_by(|x, y| {
            changes[x.0]
                .total_a
                .cmp(&changes[y.0].total_a)
                .then(y.0.cmp(&x.0))
        })
        .map(|(i, _)| i);
    let draws = params.replicates.max(MIN_PERMUTATIONS);
    let favour = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ColumnKind::Candidate)
        .map(|(k, c)| {
            let diffs: Vec<i64> = m
                .pairs
                .iter()
                .map(|&(i, j)| c.b[j] as i64 - c.a[i] as i64)
                .filter(|&d| d != 0)
                .collect();
            let ch = changes[k].clone();
            let n = ch.tables_up + ch.tables_down;
            let flip = sign_flip(&diffs, draws, task_seed(params.seed, 1 + k as u64));
            Favour {
                candidate: c.name.clone(),
                leader: leader == Some(k),
                gain_share: if n > 0 {
                    ch.tables_up as f64 / n as f64
                } else {
                    f64::NAN
                },
                p_sign_test: sign_test(ch.tables_up, n),
                net_interval: flip.interval,
                p_net: flip.p_value,
                replicates: flip.replicates,
                change: ch,
            }
        })
        .collect();
    let pair_regions: Option<Vec<String>> = if !a.regions.is_empty() {
        Some(
            m.pairs
                .iter()
                .map(|&(i, _)| top_region(a, i).unwrap_or_default())
                .collect(),
        )
    } else if !b.regions.is_empty() {
        Some(
            m.pairs
                .iter()
                .map(|&(_, j)| top_region(b, j).unwrap_or_default())
                .collect(),
        )
    } else {
        None
    };
    let concentration = match &pair_regions {
        None => Err("neither source maps regions".to_string()),
        Some(regions) => concentration(regions, &differs, draws, params.seed),
    };
    let summary = Summary {
        dataset_a: names.0.to_string(),
        dataset_b: names.1.to_string(),
        tables_a: a.n_stations() as u64,
        tables_b: b.n_stations() as u64,
        matched: m.pairs.len() as u64,
        only_in_a: m.only_a.len() as u64,
        only_in_b: m.only_b.len() as u64,
        agreeing: m.pairs.len() as u64 - differing,
        differing,
        differing_cells: differences.len() as u64,
        columns_compared: cols.iter().map(|c| c.name.clone()).collect(),
        candidates_only_in_a: only_cand_a,
        candidates_only_in_b: only_cand_b,
        key_normalisation: r.clone(),
    };
    Ok(Reconciliation {
        summary,
        columns: cols.iter().map(|c| (c.name.clone(), c.kind)).collect(),
        matching: m,
        differences,
        changes,
        favour,
        pair_regions,
        concentration,
    })
}

fn change(m: &Matching, c: &matching::Column<'_>) -> ColumnChange {
    let (mut up, mut down, mut vu, mut vd, mut total) = (0, 0, 0, 0, 0);
    for &(i, j) in &m.pairs {
        let (x, y) = (c.a[i], c.b[j]);
        total += x;
        if y > x {
            up += 1;
            vu += y - x;
        } else if y < x {
            down += 1;
            vd += x - y;
        }
    }
    let net = vu as i64 - vd as i64;
    ColumnChange {
        column: c.name.clone(),
        tables_up: up,
        tables_down: down,
        votes_up: vu,
        votes_down: vd,
        net,
        total_a: total,
        net_relative: if total > 0 {
            net as f64 / total as f64
        } else {
            f64::NAN
        },
    }
}

/// The homogeneity test of differing tables over regions (regions in first-seen order).
fn concentration(
    regions: &[String],
    differs: &[bool],
    draws: u32,
    seed: u64,
) -> Result<Concentration, String> {
    let mut names: Vec<&str> = Vec::new();
    let mut sizes: Vec<u64> = Vec::new();
    let mut hits: Vec<u64> = Vec::new();
    for (r, &d) in regions.iter().zip(differs) {
        let g = match names.iter().position(|n| *n == r.as_str()) {
            Some(g) => g,
            None => {
                names.push(r);
                sizes.push(0);
                hits.push(0);
                names.len() - 1
            }
        };
        sizes[g] += 1;
        hits[g] += u64::from(d);
    }
    let total: u64 = hits.iter().sum();
    if total == 0 {
        return Err("no matched table differs, so there is nothing to concentrate".into());
    }
    if names.len() < 2 {
        return Err("the matched tables lie in fewer than two top-level regions".into());
    }
    let Some(Homogeneity {
        chi_square,
        df,
        p_asymptotic,
        p_permutation,
        replicates,
        cramers_v,
        bands,
    }) = homogeneity(&hits, &sizes, draws, task_seed(seed, 0))
    else {
        return Err("every matched table differs, so there is nothing to concentrate".into());
    };
    Ok(Concentration {
        regions: names
            .iter()
            .zip(sizes.iter().zip(&hits))
            .zip(bands)
            .map(|((n, (&s, &h)), band)| RegionRate {
                region: n.to_string(),
                matched: s,
                differing: h,
                rate: h as f64 / s as f64,
                band,
            })
            .collect(),
        overall_rate: total as f64 / differs.len() as f64,
        chi_square,
        df,
        p_permutation,
        p_asymptotic,
        cramers_v,
        replicates,
    })
}
