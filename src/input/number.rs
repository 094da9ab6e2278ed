//! Parsing of count cells as publishers write them.
//!
//! Counts are non-negative integers. Publishers write them with thousands separators (`3.091`,
//! `3,091`, `3 091`, `3'091`), with a trailing `.0` when a spreadsheet stored them as floats, or with
//! a sign. Anything else is reported, never guessed: `3.5` with `.` declared as thousands separator is
//! not 35 but an unparsable cell, because the digit groups do not have three digits.

/// Why a cell is not a usable count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountError {
    /// Not a number at all (or malformed digit groups), with a short explanation.
    Unparsable(&'static str),
    /// A number below zero.
    Negative(i128),
}

/// Largest count accepted (ten billion): more than any polling station or country has voters, and
/// small enough that sums over millions of stations and percentages never overflow.
pub const MAX_COUNT: u64 = 10_000_000_000;
const TOO_LARGE: &str = "number too large for a count (over 10,000,000,000)";

/// Parse one count cell. `thousands` is the declared thousands separator, if any.
pub fn parse_count(text: &str, thousands: Option<char>) -> Result<u64, CountError> {
    let s = text.trim();
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return Err(CountError::Unparsable("no digits"));
    }
    let integer_part = strip_zero_fraction(body, thousands)?;
    let digits = strip_thousands(integer_part, thousands)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CountError::Unparsable("not a whole number"));
    }
    let value: i128 = if digits.len() > 30 {
        return Err(CountError::Unparsable(TOO_LARGE));
    } else {
        digits
            .parse()
            .map_err(|_| CountError::Unparsable("not a whole number"))?
    };
    if negative && value != 0 {
        return Err(CountError::Negative(-value));
    }
    match u64::try_from(value) {
        Ok(v) if v <= MAX_COUNT => Ok(v),
        _ => Err(CountError::Unparsable(TOO_LARGE)),
    }
}

/// Accept `12.0` / `12.00` (a float-typed whole number) when `.` is not the thousands separator.
fn strip_zero_fraction(body: &str, thousands: Option<char>) -> Result<&str, CountError> {
    if thousands == Some('.') {
        return Ok(body);
    }
    match body.split_once('.') {
        None => Ok(body),
        // "1.000" may be one thousand written with a '.' separator: refuse to guess.
        Some((_, frac)) if frac.len() == 3 && frac.bytes().all(|b| b.is_ascii_digit()) => {
            Err(CountError::Unparsable(
                "ambiguous: declare [format] thousands_separator if '.' groups thousands",
            ))
        }
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => Ok(int),
        Some((_, frac)) if frac.bytes().all(|b| b.is_ascii_digit()) && !frac.is_empty() => {
            Err(CountError::Unparsable("fractional count"))
        }
        Some(_) => Err(CountError::Unparsable("not a whole number")),
    }
}

/// Remove a declared thousands separator, checking that every group after the first has 3 digits.
fn strip_thousands(
    s: &str,
    thousands: Option<char>,
) -> Result<std::borrow::Cow<'_, str>, CountError> {
    let Some(sep) = thousands else {
        return Ok(std::borrow::Cow::Borrowed(s));
    };
    if !s.contains(sep) {
        return Ok(std::borrow::Cow::Borrowed(s));
    }
    let mut groups = s.split(sep);
    let first = groups.next().unwrap_or("");
    if first.is_empty() || first.len() > 3 {
        return Err(CountError::Unparsable("misplaced thousands separator"));
    }
    let mut out = String::with_capacity(s.len());
    out.push_str(first);
    for g in groups {
        if g.len() != 3 {
            return Err(CountError::Unparsable("misplaced thousands separator"));
        }
        out.push_str(g);
    }
    Ok(std::borrow::Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, sep: Option<char>, expected: Result<u64, CountError>) {
        assert_eq!(
            parse_count(text, sep),
            expected,
            "input {text:?} sep {sep:?}"
        );
    }

    #[test]
    fn plain_and_float_typed_counts() {
        check("0", None, Ok(0));
        check(" 3091 ", None, Ok(3091));
        check("+12", None, Ok(12));
        check("12.0", None, Ok(12));
        check("-0", None, Ok(0));
        check("10000000000", None, Ok(MAX_COUNT));
        check(
            "18446744073709551615",
            None,
            Err(CountError::Unparsable(TOO_LARGE)),
        );
    }

    #[test]
    fn thousands_separators_when_declared() {
        check("3.091", Some('.'), Ok(3091));
        check("3,091", Some(','), Ok(3091));
        check("1.234.567", Some('.'), Ok(1_234_567));
        check("3 091", Some(' '), Ok(3091));
        check("3'091", Some('\''), Ok(3091));
        check(
            "3.5",
            Some('.'),
            Err(CountError::Unparsable("misplaced thousands separator")),
        );
        check(
            "3,09",
            Some(','),
            Err(CountError::Unparsable("misplaced thousands separator")),
        );
        check(
            "3,091",
            None,
            Err(CountError::Unparsable("not a whole number")),
        );
        check(
            "1.000",
            None,
            Err(CountError::Unparsable(
                "ambiguous: declare [format] thousands_separator if '.' groups thousands",
            )),
        );
        check("1.000", Some('.'), Ok(1000));
        check("12.00", None, Ok(12));
    }

    #[test]
    fn rejects_what_is_not_a_count() {
        check("-3", None, Err(CountError::Negative(-3)));
        check("2.5", None, Err(CountError::Unparsable("fractional count")));
        check(
            "abc",
            None,
            Err(CountError::Unparsable("not a whole number")),
        );
        check("", None, Err(CountError::Unparsable("no digits")));
        check(
            "1e5",
            None,
            Err(CountError::Unparsable("not a whole number")),
        );
        check(
            "18446744073709551616",
            None,
            Err(CountError::Unparsable(TOO_LARGE)),
        );
        check(
            &"9".repeat(40),
            None,
            Err(CountError::Unparsable(TOO_LARGE)),
        );
    }
}
