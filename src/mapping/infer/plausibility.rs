//! Checks that an inferred mapping means what its column names suggest, run on the sample rows
//! before any analysis. Each failed check stops inference with a message naming the columns and
//! the evidence, and the pipeline writes a draft mapping for the user to complete: a doubtful
//! mapping is never run.
//!
//! The checks, and the failures on real files they were written against:
//! - the candidates add up to the valid votes in most rows (a count taken as a candidate breaks it);
//! - ballots cast, and valid votes, are not above registered voters in most rows, and valid votes
//!   not above ballots cast (a centre-level `votantes` read as a table's ballots was twice the roll);
//! - no "candidate" is at least as large as all the others together in 99.9 % of the rows (registered
//!   voters, ballots or a total taken as a candidate is, in every row; a real candidate with a
//!   majority in every single station is refused too, and then needs a mapping file);
//! - no "candidate" equals the sum of two or more other candidate columns in 90 % of the rows
//!   where it is not zero (an `Otros` subtotal double-counts the candidates it sums);
//! - no vote count repeats identically across the tables of a centre in 80 % of the centres (a
//!   centre-level count copied onto each of its tables). Registered voters are exempt: authorities
//!   that split a centre's roll evenly across its tables give equal rolls honestly.

use crate::input::number::parse_count;

/// Share of rows above which a "most rows" check fails.
const MOST: f64 = 0.5;
/// A candidate at least as large as all others together in this share of rows is a count.
const DOMINANT: f64 = 0.999;
/// A candidate equal to the sum of others in this share of its non-zero rows is a subtotal.
const SUBTOTAL: f64 = 0.9;
/// A count identical across the tables of a centre in this share of centres is a centre's count.
const CENTRE_LEVEL: f64 = 0.8;
/// Fewest rows (or centres) a check needs before it may refuse.
const MIN_ROWS: usize = 20;
const MIN_CENTRES: usize = 5;

/// The columns an inferred mapping placed, as indices into the header.
pub struct Placed<'a> {
    pub headers: &'a [String],
    pub key: &'a [usize],
    /// Deepest region column, used to group tables when the key has a single part.
    pub deepest_region: Option<usize>,
    pub registered: Option<usize>,
    pub ballots: Option<usize>,
    pub valid: Option<usize>,
    pub null: Option<usize>,
    pub blank: Option<usize>,
    /// Wide: one column per candidate (empty in long layout, where a station spans several
    /// rows and only the order of the totals is checked, row by row).
    pub candidates: &'a [usize],
    pub long: bool,
}

/// The cells of `col` parsed as counts (`None` where a cell is not a plain count).
fn counts(sample: &[Vec<String>], col: usize) -> Vec<Option<u64>> {
    sample
        .iter()
        .map(|row| row.get(col).and_then(|v| parse_count(v, None).ok()))
        .collect()
}

fn pct(part: usize, whole: usize) -> String {
    format!("{:.0} %", 100.0 * part as f64 / whole.max(1) as f64)
}

/// Run every check; the error says which failed, with the evidence.
pub fn check(placed: &Placed<'_>, sample: &[Vec<String>]) -> Result<(), String> {
    let h = |i: usize| format!("{:?}", placed.headers[i]);
    let cand: Vec<Vec<Option<u64>>> = placed
        .candidates
        .iter()
        .map(|&c| counts(sample, c))
        .collect();
    let n = sample.len();
    let cand_sum = |r: usize| -> Option<u64> { cand.iter().map(|c| c[r]).sum() };

    // 1. Candidates add up to valid.
    if let Some(v) = placed.valid.filter(|_| !placed.long) {
        let valid = counts(sample, v);
        let (mut compared, mut off) = (0, 0);
        for (r, vr) in valid.iter().enumerate() {
            if let (Some(vr), Some(s)) = (vr, cand_sum(r)) {
                compared += 1;
                off += usize::from(*vr != s);
            }
        }
        if compared > 0 && off as f64 > MOST * compared as f64 {
            let names: Vec<String> = placed.candidates.iter().map(|&c| h(c)).collect();
            return Err(format!(
                "the columns that look like candidates ({}) do not add up to {} in {off} of the first {compared} rows",
                names.join(", "),
                h(v)
            ));
        }
    }

    // 2. Order of the totals: valid ≤ ballots ≤ registered in most rows.
    let largest = placed.ballots.or(placed.valid);
    let pairs = [
        (largest, placed.registered, "registered voters"),
        (placed.valid, placed.ballots, "ballots cast"),
    ];
    for (small, large, what) in pairs {
        let (Some(s), Some(l)) = (small, large) else {
            continue;
        };
        if s == l {
            continue;
        }
        let (a, b) = (counts(sample, s), counts(sample, l));
        let both: Vec<(u64, u64)> = a
            .iter()
            .zip(&b)
            .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
            .collect();
        let above = both.iter().filter(|(x, y)| x > y).count();
        if both.len() >= MIN_ROWS && above as f64 > MOST * both.len() as f64 {
            return Err(format!(
                "{} is above {} ({what}) in {above} of the first {} rows ({}): one of the two columns is not what its name says (a count of a centre or a region rather than of a table? another unit?)",
                h(s),
                h(l),
                both.len(),
                pct(above, both.len())
            ));
        }
    }

    // 3. A "candidate" as large as all the others together in (almost) every row.
    if cand.len() >= 2 {
        for (i, x) in cand.iter().enumerate() {
            let mut rows = 0;
            let mut larger = 0;
            for r in 0..n {
                let Some(xv) = x[r] else { continue };
                let others: Option<u64> = cand
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, c)| c[r])
                    .sum();
                let Some(others) = others.filter(|&o| o > 0) else {
                    continue;
                };
                rows += 1;
                larger += usize::from(xv >= others);
            }
            if rows >= MIN_ROWS && larger as f64 >= DOMINANT * rows as f64 {
                return Err(format!(
                    "the column {} that looks like a candidate is at least as large as all the other candidates together in {larger} of {rows} rows: it looks like a count (registered voters, ballots cast, valid votes, a total), not a candidate's votes; if it is a candidate that won every station, write the mapping",
                    h(placed.candidates[i])
                ));
            }
        }
    }

    // 4. A "candidate" that is the sum of other candidate columns (a subtotal).
    for (i, x) in cand.iter().enumerate() {
        let parts: Vec<usize> = (0..cand.len())
            .filter(|&j| j != i)
            .filter(|&j| {
                (0..n).all(|r| match (cand[j][r], x[r]) {
                    (Some(y), Some(xv)) => y <= xv,
                    _ => true,
                })
            })
            .collect();
        if parts.len() < 2 {
            continue;
        }
        let (mut rows, mut equal) = (0, 0);
        for r in 0..n {
            let Some(xv) = x[r].filter(|&v| v > 0) else {
                continue;
            };
            let Some(s) = parts.iter().map(|&j| cand[j][r]).sum::<Option<u64>>() else {
                continue;
            };
            rows += 1;
            equal += usize::from(s == xv);
        }
        if rows >= MIN_ROWS / 2 && equal as f64 >= SUBTOTAL * rows as f64 {
            let names: Vec<String> = parts.iter().map(|&j| h(placed.candidates[j])).collect();
            return Err(format!(
                "the column {} equals the sum of {} in {equal} of its {rows} non-zero rows: it is a subtotal, and as a candidate it would count those votes twice",
                h(placed.candidates[i]),
                names.join(" + ")
            ));
        }
    }

    // 5. Counts of a centre copied onto each of its tables.
    let group_cols: Vec<usize> = match placed.key {
        _ if placed.long => vec![],
        [] | [_] => placed.deepest_region.into_iter().collect(),
        [rest @ .., _] => rest.to_vec(),
    };
    if !group_cols.is_empty() {
        let mut groups: std::collections::HashMap<Vec<&str>, Vec<usize>> = Default::default();
        for (r, row) in sample.iter().enumerate() {
            let k = group_cols
                .iter()
                .map(|&c| row.get(c).map(|v| v.trim()).unwrap_or(""))
                .collect();
            groups.entry(k).or_default().push(r);
        }
        let vote_cols = [placed.ballots, placed.valid, placed.null, placed.blank]
            .into_iter()
            .flatten()
            .chain(placed.candidates.iter().copied());
        for col in vote_cols {
            let values = counts(sample, col);
            let (mut centres, mut constant) = (0, 0);
            for rows in groups.values().filter(|rows| rows.len() >= 2) {
                let v: Vec<Option<u64>> = rows.iter().map(|&r| values[r]).collect();
                if v.iter().all(|x| x.is_none_or(|x| x == 0)) {
                    continue;
                }
                centres += 1;
                constant += usize::from(v.iter().all(|x| *x == v[0]));
            }
            if centres >= MIN_CENTRES && constant as f64 >= CENTRE_LEVEL * centres as f64 {
                let names: Vec<&str> = group_cols
                    .iter()
                    .map(|&c| placed.headers[c].as_str())
                    .collect();
                return Err(format!(
                    "the count {} is identical across the tables of the same {} in {constant} of {centres} groups with several tables: it is a count of the centre copied onto each table, not the table's own (sum it once per centre, or leave it out of the mapping)",
                    h(col),
                    names.join(" + ")
                ));
            }
        }
    }
    Ok(())
}
