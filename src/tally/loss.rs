//! Loud warnings for exclusions that could bias the analysis.
//!
//! Every excluded row is counted and listed in the ledger, but a count is easy to miss: an
//! undeclared thousands separator excludes every station with 1,000 or more voters, and the
//! battery then runs on a size-selected subset. Two rules make such a loss loud — on the
//! terminal, at the top of the report and in `results.json` (`warnings`), and an error under
//! `--strict`:
//!
//! - **Large**: one exclusion reason removes more than `LARGE_SHARE` (1 %) of the rows that reached
//!   the checks (rows excluded by the mapping's own `[[exclude]]` rules, empty rows and totals rows
//!   are deliberate or empty and never count; identical duplicate rows lose no station).
//! - **Systematic**: at least `MIN_SYSTEMATIC` (10) rows are excluded as unparsable numbers whose
//!   cells all read as whole numbers of four or more digits grouped by one separator (`1.204`,
//!   `12,004`, `3 091`): the signature of an undeclared thousands separator, which removes exactly
//!   the large stations, whatever their share.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ledger::{Ledger, Reason};

/// A reason removing more than this share of the rows is a loud warning.
pub const LARGE_SHARE: f64 = 0.01;
/// Fewest rows with thousands-grouped unparsable cells that make a systematic warning.
pub const MIN_SYSTEMATIC: u64 = 10;

/// One warning: what was lost, how much, and the fix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LossWarning {
    /// `large_exclusion` or `systematic_exclusion`.
    pub kind: &'static str,
    pub reason: &'static str,
    pub rows: u64,
    /// Share of the rows that reached the checks.
    pub share: f64,
    pub message: String,
    pub fix: String,
}

/// Reasons that never make a warning: deliberate (`[[exclude]]`), empty, totals rows, or copies.
fn exempt(r: Reason) -> bool {
    matches!(
        r,
        Reason::ExcludedByRule | Reason::EmptyRow | Reason::TotalsRow | Reason::DuplicateStationKey
    )
}

/// The separator that groups `text` in thousands (`1.204` → '.'), if `text` is such a number.
fn thousands_grouping(text: &str) -> Option<char> {
    let t = text.trim();
    let sep = t.chars().find(|c| !c.is_ascii_digit())?;
    let groups: Vec<&str> = t.split(sep).collect();
    let ok = groups.len() >= 2
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
    ok.then_some(sep)
}

fn fix_for(reason: Reason) -> &'static str {
    match reason {
        Reason::MalformedRow => "check the delimiter and quoting ([format] delimiter); excluded_rows.csv lists each row",
        Reason::MissingValue => "declare the file's null markers ([format] null_values) or map the right columns; excluded_rows.csv lists each cell",
        Reason::UnparsableNumber => "check the number format ([format] thousands_separator) and the mapped columns; excluded_rows.csv lists each cell",
        Reason::NegativeCount => "check that the mapped columns are counts; excluded_rows.csv lists each cell",
        Reason::ConflictingStationKey => "widen the station key ([station] key) with the column that tells the stations apart",
        Reason::UnmatchedKeyPattern => "fix the derived key part's regex or split so that it matches every key cell",
        _ => "see excluded_rows.csv for each row and the README's ledger reasons",
    }
}

/// The warnings of a dataset's ledger.
pub fn warnings(ledger: &Ledger) -> Vec<LossWarning> {
    let reached = ledger.rows_read
        - ledger
            .exclusions
            .iter()
            .filter(|e| matches!(e.reason, Reason::ExcludedByRule | Reason::EmptyRow))
            .count() as u64;
    let mut by_reason: BTreeMap<Reason, u64> = BTreeMap::new();
    for e in ledger.exclusions.iter().filter(|e| !exempt(e.reason)) {
        *by_reason.entry(e.reason).or_default() += 1;
    }
    let share = |rows: u64| rows as f64 / reached.max(1) as f64;
    let pct = |s: f64| {
        if s >= 0.1 {
            format!("{:.0} %", 100.0 * s)
        } else {
            format!("{:.1} %", 100.0 * s)
        }
    };
    let mut out = Vec::new();
    // Systematic first: it names the cause.
    let grouped: Vec<(char, &str)> = ledger
        .exclusions
        .iter()
        .filter(|e| e.reason == Reason::UnparsableNumber)
        .filter_map(|e| {
            let t = e.text.as_deref()?;
            Some((thousands_grouping(t)?, t))
        })
        .collect();
    let unparsable = by_reason
        .get(&Reason::UnparsableNumber)
        .copied()
        .unwrap_or(0);
    let mut systematic = false;
    if grouped.len() as u64 >= MIN_SYSTEMATIC && grouped.len() as u64 * 10 >= unparsable * 9 {
        let sep = grouped[0].0;
        if grouped.iter().all(|(s, _)| *s == sep) {
            systematic = true;
            let examples: Vec<String> = grouped
                .iter()
                .take(3)
                .map(|(_, t)| format!("{t:?}"))
                .collect();
            out.push(LossWarning {
                kind: "systematic_exclusion",
                reason: Reason::UnparsableNumber.as_str(),
                rows: unparsable,
                share: share(unparsable),
                message: format!(
                    "{} rows ({}) were excluded because counts such as {} are not whole numbers without a thousands separator: the excluded rows are the stations with 1,000 or more in some count, so the analysis ran on the smaller stations only",
                    crate::text::fmt_int(unparsable),
                    pct(share(unparsable)),
                    examples.join(", ")
                ),
                fix: format!("declare [format] thousands_separator = \"{sep}\" in the mapping and rerun"),
            });
        }
    }
    for (reason, rows) in by_reason {
        if systematic && reason == Reason::UnparsableNumber {
            continue;
        }
        if share(rows) > LARGE_SHARE {
            out.push(LossWarning {
                kind: "large_exclusion",
                reason: reason.as_str(),
                rows,
                share: share(rows),
                message: format!(
                    "{} rows ({} of the rows read) were excluded as {} ({})",
                    crate::text::fmt_int(rows),
                    pct(share(rows)),
                    reason.as_str(),
                    reason.explain()
                ),
                fix: fix_for(reason).to_string(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::ledger::{Exclusion, RowRef};

    fn ledger(rows_read: u64, excluded: &[(Reason, Option<&str>)]) -> Ledger {
        Ledger {
            rows_read,
            rows_analysed: rows_read - excluded.len() as u64,
            exclusions: excluded
                .iter()
                .enumerate()
                .map(|(i, (reason, text))| Exclusion {
                    reason: *reason,
                    at: RowRef {
                        file: 0,
                        row: i as u64 + 2,
                    },
                    column: Some("registered".into()),
                    text: text.map(Into::into),
                    detail: String::new(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_undeclared_thousands_separator_is_a_systematic_warning_whatever_its_share() {
        let ex: Vec<(Reason, Option<&str>)> = (0..12)
            .map(|_| (Reason::UnparsableNumber, Some("1.204")))
            .collect();
        let w = warnings(&ledger(5000, &ex));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].kind, "systematic_exclusion");
        assert_eq!(
            w[0].fix,
            "declare [format] thousands_separator = \".\" in the mapping and rerun"
        );
        assert!(
            w[0].message.starts_with("12 rows (0.2 %) were excluded"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn large_losses_warn_and_deliberate_ones_do_not() {
        let mut ex: Vec<(Reason, Option<&str>)> =
            (0..30).map(|_| (Reason::MissingValue, Some(""))).collect();
        ex.extend((0..500).map(|_| (Reason::ExcludedByRule, Some("EXTERIOR"))));
        ex.extend((0..40).map(|_| (Reason::TotalsRow, Some("TOTAL"))));
        let w = warnings(&ledger(2500, &ex));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(
            (w[0].kind, w[0].reason, w[0].rows),
            ("large_exclusion", "missing_value", 30)
        );
        assert!(
            w[0].message.contains("(1.5 % of the rows read)"),
            "{}",
            w[0].message
        );
        // At 1 % or less: no warning.
        let ex: Vec<(Reason, Option<&str>)> =
            (0..20).map(|_| (Reason::MissingValue, Some(""))).collect();
        assert!(warnings(&ledger(2000, &ex)).is_empty());
    }

    #[test]
    fn thousands_groupings() {
        assert_eq!(thousands_grouping("1.204"), Some('.'));
        assert_eq!(thousands_grouping("12,004,311"), Some(','));
        assert_eq!(thousands_grouping("3 091"), Some(' '));
        assert_eq!(thousands_grouping("1.2"), None);
        assert_eq!(thousands_grouping("12a"), None);
        assert_eq!(thousands_grouping("1204"), None);
    }
}
