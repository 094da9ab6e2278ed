//! Number and text formatting shared by the tests (headlines, station notes) and the renderers
//! (Markdown, HTML, CSV, terminal): one spelling of a p-value or a count everywhere, and one way of
//! keeping data strings on one line. No IO, no dependencies on other modules of the crate.

/// p-value for people: 3 decimals, or scientific below 0.001.
pub fn fmt_p(p: f64) -> String {
    if !p.is_finite() {
        "n/a".into()
    } else if p == 0.0 {
        "< 1e-300".into()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// A decimal number without trailing zeros ("12.50" → "12.5", "40.00" → "40").
pub fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A share as percentage points, at most two decimals, no trailing zeros (0.4 → "40").
pub fn fmt_points(share: f64) -> String {
    trim_zeros(&format!("{:.2}", 100.0 * share))
}

/// Integer with thin thousands separators for reports: 1,234,567.
pub fn fmt_int(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text on one line with control characters shown as escapes (`\n`, `\u{1b}`), for comments in
/// written TOML and for the terminal: a file name with a line break or an escape sequence can
/// neither add lines to a file nor drive the terminal.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Lower-case hexadecimal of a digest (input hashes, figure file stems).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `1 station`, `2,400 stations`: a count for people, with the noun in the right number.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", fmt_int(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_same_everywhere() {
        assert_eq!(fmt_int(0), "0");
        assert_eq!(fmt_int(1234567), "1,234,567");
        assert_eq!(fmt_int(100), "100");
        assert_eq!(fmt_p(0.04321), "0.043");
        assert_eq!(fmt_p(0.000123), "1.2e-4");
        assert_eq!(fmt_p(0.0), "< 1e-300");
        assert_eq!(fmt_p(f64::NAN), "n/a");
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(fmt_p(0.51346), "0.513");
        assert_eq!(fmt_p(8.31e-21), "8.3e-21");
        assert_eq!(fmt_int(10659128), "10,659,128");
        assert_eq!(one_line("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
    }
}
