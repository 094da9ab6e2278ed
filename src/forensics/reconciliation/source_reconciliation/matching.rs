//! Matching the tables of two sources on their normalised station keys, and comparing the matched
//! tables column by column. Pure: keys and count slices in, indices and differences out.

use std::collections::BTreeMap;

use crate::mapping::ReconcileSection;
use crate::tally::Tally;

/// A station key as both sources should agree on it, under the `[reconcile]` options. Each part
/// of a key of several columns (joined with " / ") is normalised on its own: trim, strip leading
/// zeros of every run of digits, remove the listed characters, fold case.
pub fn normalise_key(key: &str, r: &ReconcileSection) -> String {
    key.split(" / ")
        .map(|part| normalise_part(part, r))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn normalise_part(part: &str, r: &ReconcileSection) -> String {
    let mut s: String = if r.trim { part.trim() } else { part }.to_string();
    if r.strip_leading_zeros {
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::with_capacity(s.len());
        // True while the current run of digits has shown only zeros.
        let mut leading = true;
        for (i, &c) in chars.iter().enumerate() {
            if !c.is_ascii_digit() {
                leading = true;
                out.push(c);
                continue;
            }
            // A zero leading a run is dropped unless it is the run's last digit ("000" → "0").
            let next_is_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
            if leading && c == '0' && next_is_digit {
                continue;
            }
            leading = false;
            out.push(c);
        }
        s = out;
    }
    // After the zeros, so that removing separators cannot join two numbers into one.
    if !r.remove.is_empty() {
        s.retain(|c| !r.remove.contains(c));
    }
    if r.case_insensitive {
        s = s.to_lowercase();
    }
    s
}

/// Two stations of one source whose keys become the same after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    pub first: usize,
    pub second: usize,
    pub normalised: String,
}

/// The tables of two sources, matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matching {
    /// (index in A, index in B), in A's station order.
    pub pairs: Vec<(usize, usize)>,
    /// Indices of A's tables with no match in B, in A's order.
    pub only_a: Vec<usize>,
    /// Indices of B's tables with no match in A, in B's order.
    pub only_b: Vec<usize>,
}

fn index(keys: &[String], r: &ReconcileSection) -> Result<BTreeMap<String, usize>, Collision> {
    let mut map = BTreeMap::new();
    for (i, k) in keys.iter().enumerate() {
        let n = normalise_key(k, r);
        if let Some(&first) = map.get(&n) {
            return Err(Collision {
                first,
                second: i,
                normalised: n,
            });
        }
        map.insert(n, i);
    }
    Ok(map)
}

/// Match `keys_a` with `keys_b`; a collision inside either source is an error (`Err((true, _))`
/// for source A, `Err((false, _))` for B), never a silent pick.
pub fn match_keys(
    keys_a: &[String],
    keys_b: &[String],
    r: &ReconcileSection,
) -> Result<Matching, (bool, Collision)> {
    index(keys_a, r).map_err(|c| (true, c))?;
    let mut b = index(keys_b, r).map_err(|c| (false, c))?;
    let mut m = Matching::default();
    for (i, k) in keys_a.iter().enumerate() {
        match b.remove(&normalise_key(k, r)) {
            Some(j) => m.pairs.push((i, j)),
            None => m.only_a.push(i),
        }
    }
    m.only_b = b.into_values().collect();
    m.only_b.sort_unstable();
    Ok(m)
}

/// What a compared column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Candidate,
    /// Registered voters, ballots cast, valid, null or blank.
    Count,
}

/// One column present in both sources.
#[derive(Debug, Clone)]
pub struct Column<'a> {
    pub name: String,
    pub kind: ColumnKind,
    pub a: &'a [u64],
    pub b: &'a [u64],
}

/// A total's counts, when the source has them.
type Totals<'a> = Option<&'a [u64]>;

/// Whether a total was read from a column (not derived, not missing).
fn mapped(t: &Tally, field: &str) -> bool {
    t.derivations
        .iter()
        .any(|d| d.field == field && d.how.starts_with("column"))
}

/// The columns both sources have: candidates matched by name (in A's order), then the totals
/// mapped from a column in both (derived totals would repeat the candidates' differences).
/// Also returns the candidates only in A and only in B.
pub fn common_columns<'a>(
    a: &'a Tally,
    b: &'a Tally,
) -> (Vec<Column<'a>>, Vec<String>, Vec<String>) {
    let mut cols = Vec::new();
    for c in &a.candidates {
        if let Some(o) = b.candidates.iter().find(|o| o.name == c.name) {
            cols.push(Column {
                name: c.name.clone(),
                kind: ColumnKind::Candidate,
                a: &c.votes,
                b: &o.votes,
            });
        }
    }
    let only = |x: &Tally, y: &Tally| -> Vec<String> {
        x.candidates
            .iter()
            .filter(|c| !y.candidates.iter().any(|o| o.name == c.name))
            .map(|c| c.name.clone())
            .collect()
    };
    let totals: [(&str, Totals<'a>, Totals<'a>); 5] = [
        (
            "registered",
            a.registered.as_deref(),
            b.registered.as_deref(),
        ),
        ("ballots_cast", Some(&a.ballots_cast), Some(&b.ballots_cast)),
        ("valid", Some(&a.valid), Some(&b.valid)),
        ("null", a.null.as_deref(), b.null.as_deref()),
        ("blank", a.blank.as_deref(), b.blank.as_deref()),
    ];
    for (field, va, vb) in totals {
        if let (Some(va), Some(vb), true, true) = (va, vb, mapped(a, field), mapped(b, field)) {
            // A candidate may carry the same name as a total: keep column names distinct.
            let mut name = field.to_string();
            while cols.iter().any(|c| c.name == name) {
                name.push_str(" (column)");
            }
            cols.push(Column {
                name,
                kind: ColumnKind::Count,
                a: va,
                b: vb,
            });
        }
    }
    (cols, only(a, b), only(b, a))
}

/// One differing cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellDifference {
    /// Index into the matching's pairs.
    pub pair: usize,
    /// Index into the compared columns.
    pub column: usize,
    pub a: u64,
    pub b: u64,
}

/// Every cell that differs between matched tables, in pair then column order.
pub fn differences(m: &Matching, cols: &[Column<'_>]) -> Vec<CellDifference> {
    let mut out = Vec::new();
    for (p, &(i, j)) in m.pairs.iter().enumerate() {
        for (c, col) in cols.iter().enumerate() {
            if col.a[i] != col.b[j] {
                out.push(CellDifference {
                    pair: p,
                    column: c,
                    a: col.a[i],
                    b: col.b[j],
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(trim: bool, remove: &str, case: bool, zeros: bool) -> ReconcileSection {
        ReconcileSection {
            with: "x".into(),
            trim,
            remove: remove.into(),
            case_insensitive: case,
            strip_leading_zeros: zeros,
        }
    }

    #[test]
    fn keys_are_normalised_part_by_part() {
        let z = opts(false, "", false, true);
        assert_eq!(normalise_key("R01-D01-0007", &z), "R1-D1-7");
        assert_eq!(normalise_key("000", &z), "0");
        assert_eq!(normalise_key("0100", &z), "100");
        assert_eq!(normalise_key("007 / 0020", &z), "7 / 20");
        assert_eq!(normalise_key("A10B002", &z), "A10B2");
        let all = opts(true, "-. ", true, true);
        assert_eq!(normalise_key("  r01-d01.0007 ", &all), "r1d17");
        assert_eq!(
            normalise_key("R01-D01-0007", &opts(false, "", false, false)),
            "R01-D01-0007"
        );
        assert_eq!(
            normalise_key("Mesa 3", &opts(false, "", true, false)),
            "mesa 3"
        );
    }

    #[test]
    fn matches_keys_and_lists_tables_only_in_one_source() {
        let z = opts(false, "", false, true);
        let a: Vec<String> = ["R01-0001", "R01-0002", "R01-0003"]
            .map(String::from)
            .to_vec();
        let b: Vec<String> = ["R1-4", "R1-2", "R1-1"].map(String::from).to_vec();
        let m = match_keys(&a, &b, &z).unwrap();
        assert_eq!(m.pairs, vec![(0, 2), (1, 1)]);
        assert_eq!(m.only_a, vec![2]);
        assert_eq!(m.only_b, vec![0]);
    }

    #[test]
    fn a_collision_after_normalisation_is_an_error_naming_both_rows() {
        let z = opts(false, "", false, true);
        let a: Vec<String> = ["R01-0001", "R1-1"].map(String::from).to_vec();
        let err = match_keys(&a, &[], &z).unwrap_err();
        assert_eq!(
            err,
            (
                true,
                Collision {
                    first: 0,
                    second: 1,
                    normalised: "R1-1".into()
                }
            )
        );
        let err = match_keys(&[], &a, &z).unwrap_err();
        assert!(!err.0);
    }
}
