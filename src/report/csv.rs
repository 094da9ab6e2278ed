//! CSV outputs: `excluded_rows.csv` (every excluded row with file, row, reason, column, cell text)
//! and `flagged_stations.csv` (every kept station that failed a consistency check, then every
//! station a forensic test singles out, e.g. `extreme_stations`, with the test id in `check`), and the
//! tables tests list in full (`DataTable`, e.g. `reconciliation_differences.csv`).
//!
//! Data strings are neutralised against spreadsheet formula injection (OWASP "CSV Injection"): a
//! cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, unless it is
//! a plain number (so `-3` stays a number).

use super::Report;

/// Neutralise a data string for spreadsheets.
pub fn safe_cell(s: &str) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    }
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
    }
}
