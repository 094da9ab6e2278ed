//! Delimited text (CSV, semicolon-separated, TSV): delimiter detection and record iteration.
//!
//! Parsing is RFC 4180 with the `csv` crate (quoted fields, doubled quotes, embedded newlines,
//! CRLF or LF). The delimiter is the declared one, or detected: the candidate (`,` `;` tab `|`) that
//! occurs outside quotes the same number of times on the header line and on the first data lines,
//! preferring the most frequent. Completely blank lines are not rows.

/// Candidate delimiters, in order of preference on ties.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Detect the delimiter from the first lines of `text`. Returns `None` when no candidate occurs on
/// the header line (a one-column file, or an unusual delimiter that must be declared).
pub fn sniff_delimiter(text: &str) -> Option<u8> {
    let lines = logical_lines(text, 20);
    let header = lines.first()?;
    let mut best: Option<(bool, usize, u8)> = None;
    for &d in &CANDIDATES {
        let on_header = count_outside_quotes(header, d);
        if on_header == 0 {
            continue;
        }
        let consistent = lines[1..]
            .iter()
            .filter(|l| !l.trim().is_empty())
            .all(|l| count_outside_quotes(l, d) == on_header);
        let key = (consistent, on_header, d);
        if best.is_none_or(|b| (key.0, key.1) > (b.0, b.1)) {
            best = Some(key);
        }
    }
    best.map(|b| b.2)
}

/// Split the start of the text into up to `max` records, keeping quoted newlines inside a record.
fn logical_lines(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let (mut start, mut in_quotes) = (0usize, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                out.push(text[start..i].trim_end_matches('\r'));
                start = i + 1;
                if out.len() == max {
                    return out;
                }
            }
            _ => {}
        }
        if i > 1 << 20 {
            break;
        }
    }
    if start < bytes.len() && out.len() < max {
        out.push(text[start..].trim_end_matches(['\r', '\n']));
    }
    out
}

fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == delimiter && !in_quotes {
            n += 1;
        }
    }
    n
}

/// A `csv` reader over text with our settings (flexible row lengths are reported, not fatal).
pub fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), Some(b','));
        assert_eq!(sniff_delimiter("a;b;c\r\n1;2,5;3\r\n"), Some(b';'));
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), Some(b'\t'));
        assert_eq!(sniff_delimiter("single\n1\n"), None);
    }

    #[test]
    fn ignores_delimiters_inside_quotes_and_quoted_newlines() {
        // Russian CEC headers contain commas inside quotes.
        let text = "region;\"Число избирателей, внесенных\";x\n\"A\nB\";1;2\nC;3;4\n";
        assert_eq!(sniff_delimiter(text), Some(b';'));
        let lines = logical_lines(text, 5);
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn thousands_commas_do_not_fool_semicolon_detection() {
        let text = "name;votes\n\"Ana\";\"1,234\"\nBea;2,345\n";
        assert_eq!(sniff_delimiter(text), Some(b';'));
    }
}
