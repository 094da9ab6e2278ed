//! Station key parts, and key parts derived from a column by a pattern or by splitting.
//!
//! Publishers key tables differently: one file says `CENTRO = 010101001`, `MESA = 1`; another
//! writes the whole reference `010101001.01.1.0001` in one cell. A key part may therefore be a
//! column as it is, the one capture group of a regular expression applied to the column, or some
//! of the pieces of the column split at a separator (rejoined with that separator). The parts of a
//! key are joined with `" / "` into the station key shown in the outputs (`KEY_JOIN`), and two
//! sources are paired on these joined keys (`[reconcile]`).

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// Separator between the parts of a station key of several columns.
pub const KEY_JOIN: &str = " / ";

/// One part of `[station] key`: a column name, or a part derived from a column.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum KeyPart {
    Column(String),
    Derived(DerivedKeyPart),
}

/// `{ column = "REF", regex = "^(\\d+)\\." }` or `{ column = "REF", split = ".", parts = [1, 4] }`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DerivedKeyPart {
    pub column: String,
    /// A regular expression with exactly one capture group: the part is what the group matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Split the cell at this separator...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// ...and keep these pieces (1 = the first), rejoined with the separator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<usize>,
}

impl From<String> for KeyPart {
    fn from(column: String) -> KeyPart {
        KeyPart::Column(column)
    }
}

/// A plain column part equals its column name (for tests and simple comparisons).
impl PartialEq<&str> for KeyPart {
    fn eq(&self, other: &&str) -> bool {
        matches!(self, KeyPart::Column(c) if c == other)
    }
}

impl KeyPart {
    pub fn column(&self) -> &str {
        match self {
            KeyPart::Column(c) => c,
            KeyPart::Derived(d) => &d.column,
        }
    }

    /// For people: `CENTRO`, `REF matched by ^(\d+)\.`, `pieces 1, 2 of REF split at "."`.
    pub fn describe(&self) -> String {
        match self {
            KeyPart::Column(c) => c.clone(),
            KeyPart::Derived(d) => match (&d.regex, &d.split) {
                (Some(re), _) => format!("{} matched by {re}", d.column),
                (None, Some(sep)) => format!(
                    "pieces {} of {} split at {sep:?}",
                    d.parts
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    d.column
                ),
                (None, None) => d.column.clone(),
            },
        }
    }

    /// The part's extractor, checked: a regex that compiles with exactly one capture group, or a
    /// non-empty separator with pieces numbered from 1.
    pub fn extractor(&self) -> anyhow::Result<Extractor> {
        let KeyPart::Derived(d) = self else {
            return Ok(Extractor::Whole);
        };
        let what = format!("[station] key part on column {:?}", d.column);
        match (&d.regex, &d.split) {
            (Some(_), Some(_)) => bail!("{what}: give either regex or split, not both"),
            (None, None) => bail!(
                "{what}: a derived key part needs regex = \"...\" (one capture group) or split = \".\" with parts = [...]"
            ),
            (Some(re), None) => {
                if !d.parts.is_empty() {
                    bail!("{what}: parts = [...] goes with split, not with regex");
                }
                let compiled = regex::Regex::new(re)
                    .map_err(|e| anyhow::anyhow!("{what}: the regex {re:?} does not compile ({})", crate::text::one_line(&e.to_string())))?;
                if compiled.captures_len() != 2 {
                    bail!(
                        "{what}: the regex {re:?} has {} capture groups; it needs exactly one, around the part to keep (use (?:...) for other groups)",
                        compiled.captures_len() - 1
                    );
                }
                Ok(Extractor::Regex(compiled))
            }
            (None, Some(sep)) => {
                if sep.is_empty() {
                    bail!("{what}: split needs a non-empty separator such as \".\" or \"-\"");
                }
                if d.parts.is_empty() || d.parts.contains(&0) {
                    bail!("{what}: split needs parts = [...], the pieces to keep numbered from 1 (e.g. parts = [1] for the text before the first {sep:?})");
                }
                Ok(Extractor::Split {
                    separator: sep.clone(),
                    parts: d.parts.clone(),
                })
            }
        }
    }
}

/// A checked, compiled key part.
#[derive(Debug, Clone)]
pub enum Extractor {
    Whole,
    Regex(regex::Regex),
    Split {
        separator: String,
        parts: Vec<usize>,
    },
}

impl Extractor {
    /// The key part of a (trimmed) cell, or why the cell has none.
    pub fn extract<'a>(&self, cell: &'a str) -> Result<std::borrow::Cow<'a, str>, String> {
        match self {
            Extractor::Whole => Ok(cell.into()),
            Extractor::Regex(re) => re
                .captures(cell)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().into())
                .ok_or_else(|| format!("the key pattern {} does not match", re.as_str())),
            Extractor::Split { separator, parts } => {
                let pieces: Vec<&str> = cell.split(separator.as_str()).collect();
                let kept: Option<Vec<&str>> =
                    parts.iter().map(|&p| pieces.get(p - 1).copied()).collect();
                kept.map(|k| k.join(separator).into()).ok_or_else(|| {
                    format!(
                        "the cell has {} pieces split at {separator:?}, the key takes piece {}",
                        pieces.len(),
                        parts.iter().max().copied().unwrap_or(0)
                    )
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(regex: Option<&str>, split: Option<&str>, parts: &[usize]) -> KeyPart {
        KeyPart::Derived(DerivedKeyPart {
            column: "REF".into(),
            regex: regex.map(Into::into),
            split: split.map(Into::into),
            parts: parts.to_vec(),
        })
    }

    #[test]
    fn regex_and_split_parts_extract_from_a_qr_reference() {
        let cell = "010101001.01.1.0001";
        let centre = derived(Some(r"^(\d+)\."), None, &[]).extractor().unwrap();
        assert_eq!(centre.extract(cell).unwrap(), "010101001");
        let table = derived(None, Some("."), &[2]).extractor().unwrap();
        assert_eq!(table.extract(cell).unwrap(), "01");
        let both = derived(None, Some("."), &[1, 4]).extractor().unwrap();
        assert_eq!(both.extract(cell).unwrap(), "010101001.0001");
        assert!(both.extract("0101").unwrap_err().contains("1 pieces"));
        assert!(centre.extract("x").unwrap_err().contains("does not match"));
    }

    #[test]
    fn bad_derivations_are_refused_with_the_fix() {
        let err = |k: KeyPart| k.extractor().unwrap_err().to_string();
        assert!(err(derived(Some(r"(\d+)\.(\d+)"), None, &[])).contains("2 capture groups"));
        assert!(err(derived(Some("("), None, &[])).contains("does not compile"));
        assert!(err(derived(None, Some("."), &[])).contains("parts = [...]"));
        assert!(err(derived(None, Some("."), &[0])).contains("numbered from 1"));
        assert!(err(derived(Some("(x)"), Some("."), &[1])).contains("not both"));
        assert!(err(derived(None, None, &[])).contains("needs regex"));
    }

    #[test]
    fn key_parts_read_as_strings_or_tables() {
        #[derive(Deserialize)]
        struct K {
            key: Vec<KeyPart>,
        }
        let k: K =
            toml::from_str("key = [\"CENTRO\", { column = \"REF\", split = \".\", parts = [2] }]")
                .unwrap();
        assert_eq!(k.key[0], KeyPart::Column("CENTRO".into()));
        assert_eq!(k.key[1].describe(), "pieces 2 of REF split at \".\"");
    }
}
