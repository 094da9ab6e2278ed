//! CSV outputs: `excluded_rows.csv` (every excluded row with file, row, reason, column, cell text)
//! and `flagged_stations.csv` (every kept station that failed a consistency check, then every
//! station a forensic test singles out, e.g. `extreme_stations`, with the test id in `check`), and the
//! tables tests list in full (`DataTable`, e.g. `reconciliation_differences.csv`).
//!
//! Data strings are neutralised against spreadsheet formula injection (OWASP "CSV Injection"): a
//! cell starting with `=`, `+`, `-`, `@`, tab, carriage return or line feed (also after leading
//! spaces, which spreadsheets skip) gets a leading `'`, unless it is a plain decimal number (so `-3`
//! and `+12.5` stay numbers; `-inf` or `-2+3` do not count as numbers and are neutralised).
//! Quotes, delimiters and line breaks inside cells are quoted by the `csv` writer (RFC 4180).

use super::Report;

/// Neutralise a data string for spreadsheets.
pub fn safe_cell(s: &str) -> String {
    let risky = s.starts_with(['\t', '\r', '\n'])
        || s.trim_start_matches(' ')
            .starts_with(['=', '+', '-', '@', '\t', '\r', '\n']);
    if risky && !is_plain_number(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// `[+-]digits[.digits][e[+-]digits]`, ASCII only: what a spreadsheet reads as a number, never as
/// a formula.
fn is_plain_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut n = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn file_name(report: &Report<'_>, file: u32) -> String {
    report
        .ledger
        .inputs
        .get(file as usize)
        .map(|i| i.path.clone())
        .unwrap_or_default()
}

pub fn excluded_rows(report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["file", "row", "reason", "column", "text", "detail"])?;
    let mut rows: Vec<_> = report.ledger.exclusions.iter().collect();
    rows.sort_by_key(|e| e.at);
    for e in rows {
        w.write_record([
            safe_cell(&file_name(report, e.at.file)),
            e.at.row.to_string(),
            e.reason.as_str().to_string(),
            safe_cell(e.column.as_deref().unwrap_or("")),
            safe_cell(e.text.as_deref().unwrap_or("")),
            safe_cell(&e.detail),
        ])?;
    }
    Ok(w.into_inner()?)
}

pub fn flagged_stations(report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["station_key", "file", "row", "check", "detail"])?;
    let mut rows: Vec<_> = report.ledger.flags.iter().collect();
    rows.sort_by(|a, b| a.at.cmp(&b.at).then(a.check.cmp(&b.check)));
    for f in rows {
        w.write_record([
            safe_cell(&f.station_key),
            safe_cell(&file_name(report, f.at.file)),
            f.at.row.to_string(),
            f.check.as_str().to_string(),
            safe_cell(&f.detail),
        ])?;
    }
    // Then the stations the forensic tests single out, in registry and station order.
    for f in &report.station_flags {
        let i = f.station as usize;
        let at = report.tally.sources[i];
        w.write_record([
            safe_cell(&report.tally.station_keys[i]),
            safe_cell(&file_name(report, at.file)),
            at.row.to_string(),
            safe_cell(&format!("{}: {}", f.test_id, f.check)),
            safe_cell(&f.detail),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// A test's table, every cell formula-neutralised.
pub fn data_table(t: &crate::finding::DataTable) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(t.header.iter().map(|h| safe_cell(h)))?;
    for row in &t.rows {
        w.write_record(row.iter().map(|c| safe_cell(c)))?;
    }
    Ok(w.into_inner()?)
}

/// A number for a CSV cell: shortest round-trip decimal, empty when missing or not finite.
fn num(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map(|x| format!("{x}"))
        .unwrap_or_default()
}

/// `findings.csv`: one row per finding, in results.json order (the spreadsheet view of it).
pub fn findings(report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "test",
        "subject",
        "region",
        "n",
        "statistic",
        "value",
        "effect",
        "effect_value",
        "p",
        "q",
        "verdict",
        "reason",
        "headline",
        "figure",
    ])?;
    for f in &report.findings {
        w.write_record([
            f.test_id.to_string(),
            safe_cell(&f.subject),
            safe_cell(&f.region.as_ref().map(|r| r.join(" > ")).unwrap_or_default()),
            f.n.to_string(),
            safe_cell(f.statistic.as_ref().map(|s| s.name.as_str()).unwrap_or("")),
            num(f.statistic.as_ref().map(|s| s.value)),
            safe_cell(
                f.effect_size
                    .as_ref()
                    .map(|s| s.name.as_str())
                    .unwrap_or(""),
            ),
            num(f.effect_size.as_ref().map(|s| s.value)),
            num(f.p_value),
            num(f.q_value),
            f.verdict.as_str().to_string(),
            safe_cell(f.reason.as_deref().unwrap_or("")),
            safe_cell(&f.headline),
            f.figure
                .as_deref()
                .map(|p| format!("figures/{p}.png"))
                .unwrap_or_default(),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// `regions.csv`, the wide per-region table (EFToolkit's habit): one row per region, and for each
/// test × subject with regional findings its main statistic and its verdict.
pub fn regions(report: &Report<'_>) -> anyhow::Result<Vec<u8>> {
    let regional: Vec<&crate::finding::Finding> = report
        .findings
        .iter()
        .filter(|f| f.region.is_some())
        .collect();
    let mut columns: Vec<(&str, &str)> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for f in &regional {
        if !columns.contains(&(f.test_id, f.subject.as_str())) {
            columns.push((f.test_id, f.subject.as_str()));
        }
        let r = f.region.as_ref().map(|r| r.join(" > ")).unwrap_or_default();
        if !rows.contains(&r) {
            rows.push(r);
        }
    }
    let mut cell: std::collections::HashMap<(&str, &str, String), &crate::finding::Finding> =
        std::collections::HashMap::new();
    for f in &regional {
        let r = f.region.as_ref().map(|r| r.join(" > ")).unwrap_or_default();
        cell.entry((f.test_id, f.subject.as_str(), r)).or_insert(f);
    }
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["region".to_string()];
    for (test, subject) in &columns {
        header.push(safe_cell(&format!("{test} {subject}")));
        header.push(safe_cell(&format!("{test} {subject} verdict")));
    }
    w.write_record(&header)?;
    for r in &rows {
        let mut record = vec![safe_cell(r)];
        for (test, subject) in &columns {
            match cell.get(&(*test, *subject, r.clone())) {
                Some(f) => {
                    record.push(num(f.statistic.as_ref().map(|s| s.value)));
                    record.push(f.verdict.as_str().to_string());
                }
                None => record.extend([String::new(), String::new()]),
            }
        }
        w.write_record(&record)?;
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::safe_cell;

    #[test]
    fn formula_cells_are_neutralised_numbers_are_not() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("-3"), "-3");
        assert_eq!(safe_cell("+12.5"), "+12.5");
        assert_eq!(safe_cell("Región Andina"), "Región Andina");
        assert_eq!(safe_cell("-1.5e3"), "-1.5e3");
        assert_eq!(safe_cell("12"), "12");
        // Not numbers, though Rust's f64 parser takes them: neutralised.
        assert_eq!(safe_cell("-inf"), "'-inf");
        assert_eq!(safe_cell("+NaN"), "'+NaN");
        assert_eq!(
            safe_cell("-2+3+cmd|' /C calc'!A0"),
            "'-2+3+cmd|' /C calc'!A0"
        );
        assert_eq!(safe_cell("-"), "'-");
        assert_eq!(safe_cell("\t=1+1"), "'\t=1+1");
        assert_eq!(safe_cell("\r=1+1"), "'\r=1+1");
        assert_eq!(safe_cell("\n=1+1"), "'\n=1+1");
        assert_eq!(safe_cell("  =1+1"), "'  =1+1");
        assert_eq!(safe_cell("a=1"), "a=1");
        assert_eq!(safe_cell(""), "");
    }
}
