//! The mapping file: how one dataset's columns become a station table.
//!
//! A mapping is TOML (documented with complete examples in README.md). It names the station key, the
//! region hierarchy (top level first, any depth), the count columns (registered voters, ballots cast,
//! valid, null, blank; each one column or a list of columns to add up), the candidates (wide layout)
//! or the candidate and votes columns (long layout), rules that exclude rows, and the policy for each
//! consistency check. Without a mapping file the tool infers one (`infer.rs`) and writes it into the
//! output so the user can edit it and rerun.

pub mod infer;
pub mod key;

pub use key::{KeyPart, KEY_JOIN};

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// One dataset's mapping, as read from `<name>.mapping.toml` or inferred.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub dataset: DatasetSection,
    #[serde(default)]
    pub format: FormatSection,
    pub station: StationSection,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionLevel>,
    #[serde(default)]
    pub counts: CountsSection,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<CandidateColumn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long: Option<LongSection>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<ExcludeRule>,
    #[serde(default)]
    pub checks: ChecksSection,
    #[serde(default, skip_serializing_if = "OptionsSection::is_default")]
    pub options: OptionsSection,
    /// Another dataset describing the same tables, to reconcile with (`source_reconciliation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<ReconcileSection>,
}

/// `[reconcile]`: this dataset and the dataset named `with` describe the same tables (scanned
/// sheets and their QR codes, a preliminary and a final count). Tables are matched on the station
/// key after the normalisations below, applied in this order to each part of a key (the parts of
/// a key of several columns are joined with " / "), identically in both datasets.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReconcileSection {
    /// Name of the other dataset (its `[dataset] name`, or its file stem).
    pub with: String,
    /// Trim white space around each key part.
    #[serde(default, skip_serializing_if = "is_false")]
    pub trim: bool,
    /// Drop leading zeros of every run of digits (`"R01-D01-0007"` → `"R1-D1-7"`, `"000"` → `"0"`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub strip_leading_zeros: bool,
    /// Delete these characters anywhere in a key part (e.g. `"-. "`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remove: String,
    /// Compare keys ignoring case.
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_insensitive: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetSection {
    /// Dataset name (output folder name); default: the mapping file's stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Data files of this dataset, relative to the mapping file's folder; default: the data files
    /// with the same stem as the mapping file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    #[serde(default)]
    pub layout: Layout,
}

/// Wide: one row per station, one column per candidate. Long: one row per station and candidate.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    #[default]
    Wide,
    Long,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FormatSection {
    /// Field delimiter of text files (`","`, `";"`, `"\t"`, `"|"`); detected when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Text encoding (any WHATWG label: `utf-8`, `windows-1252`, `latin1`, `windows-1251`, ...);
    /// default UTF-8, with or without BOM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Thousands separator inside counts (`"."`, `","`, `" "`, `"'"`); default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thousands_separator: Option<String>,
    /// Extra cell values meaning "missing", added to the defaults (empty, `NA`, `<null>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub null_values: Vec<String>,
    /// Spreadsheets: the sheet to read; default the sheet with the most filled cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Row number (as the spreadsheet or an editor shows it, from 1) of the header, for files with
    /// title rows above it. Default: 1 for text; for spreadsheets the first row that fills at
    /// least half of the widest row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<u64>,
    /// Rows the header spans (1 or 2). With 2, a merged upper cell (`Votos` over three candidate
    /// columns) names each column under it: `Votos Ana Acosta`. Default: 1 for text; for
    /// spreadsheets 2 when the row under the header holds text and no number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_rows: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StationSection {
    /// Columns (or parts derived from columns, `key.rs`) whose values together identify a station
    /// (polling table), joined with `" / "`.
    pub key: Vec<KeyPart>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegionLevel {
    pub column: String,
    /// Name of the level, e.g. "state"; default: the column name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The publisher's code list, when the column holds codes: reports show the names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<CodeList>,
}

/// `names = { file = "laender.csv", code = "LAND_NR", name = "LAND_NAME" }`: a CSV or spreadsheet
/// beside the mapping file with one row per code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CodeList {
    /// Relative to the mapping file's folder.
    pub file: String,
    /// Column of the code list holding the codes as the data write them.
    pub code: String,
    /// Column holding the names.
    pub name: String,
}

impl RegionLevel {
    pub fn level_name(&self) -> &str {
        self.level.as_deref().unwrap_or(&self.column)
    }
}

/// A count is one column or the sum of several (e.g. ballots issued early + on the day + outside).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ColumnSum {
    One(String),
    Sum(Vec<String>),
}

impl ColumnSum {
    pub fn columns(&self) -> Vec<&str> {
        match self {
            ColumnSum::One(c) => vec![c.as_str()],
            ColumnSum::Sum(cs) => cs.iter().map(String::as_str).collect(),
        }
    }

    /// Human-readable form used in derivation notes, e.g. `a + b`.
    pub fn describe(&self) -> String {
        self.columns().join(" + ")
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CountsSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<ColumnSum>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballots_cast: Option<ColumnSum>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<ColumnSum>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null: Option<ColumnSum>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank: Option<ColumnSum>,
}

/// One candidate: a column, the sum of several (`column = ["CDU", "CSU"]`: sister parties that
/// stand in different regions, a coalition), or the rest (`rest = true`: valid votes minus the
/// listed candidates, for files that give only a total and the main candidates).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CandidateColumn {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<ColumnSum>,
    /// Valid votes minus every other listed candidate.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rest: bool,
    /// Display name; default: the column name (required for a sum or the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl CandidateColumn {
    /// A candidate read from one column, named after it.
    pub fn one(column: &str) -> CandidateColumn {
        CandidateColumn {
            column: Some(ColumnSum::One(column.to_string())),
            ..Default::default()
        }
    }

    pub fn display_name(&self) -> &str {
        match (&self.name, &self.column) {
            (Some(n), _) => n,
            (None, Some(ColumnSum::One(c))) => c,
            _ => "",
        }
    }

    /// Where the votes come from, for the outputs: `CDU + CSU`, `rest (valid − listed)`.
    pub fn describe(&self) -> String {
        match &self.column {
            Some(c) => c.describe(),
            None => "rest (valid − listed candidates)".to_string(),
        }
    }
}

/// `[options]`: choices about how the data are read that are not about columns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OptionsSection {
    /// Denominator of vote shares in the totals and the report: valid votes (default), ballots
    /// cast (Russia's and several other authorities' official percentages) or registered voters.
    #[serde(default)]
    pub share_of: ShareOf,
    /// The rules under which the leader wins outright (any one suffices), for the report's
    /// "would it change the result?": e.g. `[{ share = 0.5 }, { share = 0.4, lead = 0.10 }]`
    /// (Bolivia: a majority, or 40 % and 10 points ahead of the second). Shares of valid votes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub win_rules: Vec<WinRule>,
}

/// One rule of an outright win: at least `share` of the valid votes and, when given, at least
/// `lead` (a share of valid votes) ahead of the second.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WinRule {
    pub share: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<f64>,
}

impl WinRule {
    /// "at least 40 % and 10 points ahead of the second".
    pub fn describe(&self) -> String {
        let pts = crate::text::fmt_points;
        match self.lead {
            Some(l) => format!(
                "at least {} % and {} points ahead of the second",
                pts(self.share),
                pts(l)
            ),
            None => format!("at least {} % of the valid votes", pts(self.share)),
        }
    }
}

impl OptionsSection {
    fn is_default(&self) -> bool {
        *self == OptionsSection::default()
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ShareOf {
    #[default]
    Valid,
    BallotsCast,
    Registered,
}

impl ShareOf {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareOf::Valid => "valid",
            ShareOf::BallotsCast => "ballots_cast",
            ShareOf::Registered => "registered",
        }
    }

    /// "of valid votes", for captions.
    pub fn phrase(self) -> &'static str {
        match self {
            ShareOf::Valid => "of valid votes",
            ShareOf::BallotsCast => "of ballots cast",
            ShareOf::Registered => "of registered voters",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LongSection {
    pub candidate_column: String,
    pub votes_column: String,
    /// Optional display names: value in the candidate column → name shown in reports.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
}

/// Exclude rows where `column` equals one of `equals`, or differs from all of `not_equals`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExcludeRule {
    pub column: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_equals: Vec<String>,
    /// Shown in the report and the ledger, e.g. "tables abroad".
    pub reason: String,
}

impl ExcludeRule {
    /// Whether a (trimmed) cell value makes the row excluded.
    pub fn excludes(&self, value: &str) -> bool {
        let value = value.trim();
        (!self.equals.is_empty() && self.equals.iter().any(|v| v == value))
            || (!self.not_equals.is_empty() && self.not_equals.iter().all(|v| v != value))
    }
}

/// What to do with a station that fails a consistency check.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Keep the station in the analysis and list it in `flagged_stations.csv` (default).
    #[default]
    Flag,
    /// Exclude the station; the ledger counts it under the check's name.
    Exclude,
}

/// Policy per consistency check. Inconsistencies are forensic signals: by default they are kept and
/// flagged, never silently fixed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChecksSection {
    #[serde(default)]
    pub candidates_sum_to_valid: Policy,
    #[serde(default)]
    pub ballots_within_registered: Policy,
    #[serde(default)]
    pub ballot_components_sum: Policy,
    #[serde(default)]
    pub zero_ballots: Policy,
}

/// 1-based line and column (in characters) of a byte offset, as editors show them.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset.min(text.len()))];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A parser message as one line: the `toml` crate's multi-line caret drawing is left out (the
/// line and column say where), and any remaining line breaks become spaces.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^' || c == ' ')
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Mapping {
    /// Read and check a mapping file.
    pub fn from_file(path: &Path) -> anyhow::Result<Mapping> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read mapping file {}", path.display()))?;
        Mapping::from_text(&text, path)
    }

    /// Parse and check mapping text; `path` names the file in messages.
    pub fn from_text(text: &str, path: &Path) -> anyhow::Result<Mapping> {
        let mapping: Mapping = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "mapping file {}{}: {} (see the mapping examples in README.md)",
                path.display(),
                e.span()
                    .map(|span| line_column(text, span.start))
                    .map(|(line, column)| format!(", line {line}, column {column}"))
                    .unwrap_or_default(),
                one_line(e.message())
            )
        })?;
        mapping
            .check()
            .with_context(|| format!("mapping file {}", path.display()))?;
        Ok(mapping)
    }

    /// Structural checks that do not need the data.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.station.key.is_empty() {
            bail!("[station] key is empty: name the column(s) that identify a station, e.g. key = [\"station_id\"]");
        }
        match (self.dataset.layout, &self.long, self.candidates.is_empty()) {
            (Layout::Wide, Some(_), _) => {
                bail!("[long] is given but [dataset] layout is \"wide\": set layout = \"long\" or remove [long]")
            }
            (Layout::Wide, None, true) => {
                bail!("no [[candidates]]: list each candidate column, e.g. [[candidates]] column = \"cand_a\" name = \"Ana Acosta\"")
            }
            (Layout::Long, None, _) => {
                bail!("layout = \"long\" needs a [long] section with candidate_column and votes_column")
            }
            (Layout::Long, Some(_), false) => {
                bail!("layout = \"long\" takes candidates from [long] candidate_column: remove [[candidates]]")
            }
            _ => {}
        }
        for part in &self.station.key {
            part.extractor()?;
        }
        let mut rests = 0;
        for c in &self.candidates {
            match (&c.column, c.rest) {
                (Some(_), true) => bail!(
                    "[[candidates]] {:?}: give either column = ... or rest = true, not both",
                    c.display_name()
                ),
                (None, false) => bail!(
                    "a [[candidates]] entry has no column: give column = \"<column>\", a list of columns to add up (column = [\"CDU\", \"CSU\"], with name = \"...\"), or rest = true with a name"
                ),
                (Some(ColumnSum::Sum(cols)), false) if c.name.is_none() => bail!(
                    "[[candidates]] column = {cols:?} adds up several columns: give the candidate a name = \"...\""
                ),
                (Some(ColumnSum::Sum(cols)), false) if cols.is_empty() => {
                    bail!("[[candidates]] {:?}: column = [] lists no column", c.display_name())
                }
                (None, true) => {
                    rests += 1;
                    if c.name.is_none() {
                        bail!("[[candidates]] rest = true needs a name, e.g. name = \"Others\"");
                    }
                    if self.counts.valid.is_none() {
                        bail!("[[candidates]] {:?} (rest = true) is valid votes minus the listed candidates: declare [counts] valid (it may be the total column, e.g. valid = \"TOTAL\")", c.display_name());
                    }
                }
                _ => {}
            }
        }
        if rests > 1 {
            bail!("more than one [[candidates]] has rest = true; the rest can be taken once");
        }
        // Level names title the regional charts and name their files: two equal names would share one.
        let mut levels = std::collections::HashSet::new();
        for r in &self.regions {
            if !levels.insert(r.level_name()) {
                bail!(
                    "two [[regions]] levels are named {:?}; give each level a distinct name (level = \"...\")",
                    r.level_name()
                );
            }
        }
        for rule in &self.exclude {
            if rule.equals.is_empty() == rule.not_equals.is_empty() {
                bail!(
                    "[[exclude]] rule on column \"{}\": give exactly one of equals = [...] or not_equals = [...]",
                    rule.column
                );
            }
        }
        if let Some(sep) = &self.format.thousands_separator {
            if sep.chars().count() != 1 || sep.chars().any(|c| c.is_ascii_digit() || c == '-') {
                bail!("[format] thousands_separator must be one character such as \".\", \",\", \" \" or \"'\" (got {sep:?})");
            }
        }
        if let Some(d) = &self.format.delimiter {
            crate::input::delimiter_byte(d)?;
        }
        Ok(())
    }

    /// The mapping as TOML text, for `mapping.toml` in the output.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        toml::to_string_pretty(self).context("cannot serialise the mapping as TOML")
    }

    /// Every column the mapping reads, in a stable order, deduplicated.
    pub fn used_columns(&self) -> Vec<String> {
        let mut cols: Vec<String> = Vec::new();
        let mut push = |c: &str| {
            if !cols.iter().any(|x| x == c) {
                cols.push(c.to_string());
            }
        };
        self.station.key.iter().for_each(|c| push(c.column()));
        self.regions.iter().for_each(|r| push(&r.column));
        let counts = &self.counts;
        for sum in [
            &counts.registered,
            &counts.ballots_cast,
            &counts.valid,
            &counts.null,
            &counts.blank,
        ]
        .into_iter()
        .flatten()
        {
            sum.columns().into_iter().for_each(&mut push);
        }
        self.candidates
            .iter()
            .filter_map(|c| c.column.as_ref())
            .for_each(|c| c.columns().into_iter().for_each(&mut push));
        if let Some(long) = &self.long {
            push(&long.candidate_column);
            push(&long.votes_column);
        }
        self.exclude.iter().for_each(|r| push(&r.column));
        cols
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDE: &str = r#"
[dataset]
name = "ve"
files = ["RESULTADOS.csv"]

[format]
thousands_separator = "."
null_values = ["-"]

[station]
key = ["CENTRO", "MESA"]

[[regions]]
column = "EDO"
level = "state"

[counts]
registered = "RE"
valid = "VOTOS_VALIDOS"
null = "VOTOS_NULOS"
ballots_cast = ["A", "B"]

[[candidates]]
column = "EG"
name = "Edmundo González"

[[candidates]]
column = "NM"

[[exclude]]
column = "EDO"
equals = ["EXTERIOR"]
reason = "tables abroad"

[checks]
ballots_within_registered = "exclude"
"#;

    #[test]
    fn parses_a_wide_mapping_and_round_trips() {
        let m: Mapping = toml::from_str(WIDE).unwrap();
        m.check().unwrap();
        assert_eq!(m.station.key, vec!["CENTRO", "MESA"]);
        assert_eq!(m.candidates[0].display_name(), "Edmundo González");
        assert_eq!(m.candidates[1].display_name(), "NM");
        assert_eq!(m.counts.ballots_cast.as_ref().unwrap().describe(), "A + B");
        assert_eq!(m.checks.ballots_within_registered, Policy::Exclude);
        assert_eq!(m.checks.candidates_sum_to_valid, Policy::Flag);
        let back: Mapping = toml::from_str(&m.to_toml().unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            m.used_columns(),
            vec![
                "CENTRO",
                "MESA",
                "EDO",
                "RE",
                "A",
                "B",
                "VOTOS_VALIDOS",
                "VOTOS_NULOS",
                "EG",
                "NM"
            ]
        );
    }

    #[test]
    fn rejects_unknown_keys_and_inconsistent_layouts() {
        let bad = WIDE.replace("registered = \"RE\"", "registred = \"RE\"");
        assert!(toml::from_str::<Mapping>(&bad).is_err());
        let long = WIDE.replace("name = \"ve\"", "name = \"ve\"\nlayout = \"long\"");
        let m: Mapping = toml::from_str(&long).unwrap();
        assert!(m.check().unwrap_err().to_string().contains("[long]"));
    }

    #[test]
    fn toml_errors_are_one_line_with_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.mapping.toml");
        std::fs::write(
            &path,
            "[station]\nkey = [\"id\"]\n\n[counts]\nregistred = \"r\"\n",
        )
        .unwrap();
        let err = Mapping::from_file(&path).unwrap_err().to_string();
        assert!(
            !err.contains('\n') && !err.contains('|') && !err.contains('^'),
            "{err}"
        );
        assert!(err.contains("m.mapping.toml, line 5, column 1: "), "{err}");
        assert!(err.contains("registred"), "{err}");
        // A syntax error: an unclosed string.
        std::fs::write(&path, "[station]\nkey = [\"id]\n").unwrap();
        let err = Mapping::from_file(&path).unwrap_err().to_string();
        assert!(err.contains(", line 2, column "), "{err}");
        assert!(!err.contains('\n') && !err.contains('^'), "{err}");
        assert_eq!(line_column("ab\ncé\nx", 6), (2, 3));
    }

    #[test]
    fn exclude_rules_match_trimmed_values() {
        let r = ExcludeRule {
            column: "País".into(),
            equals: vec![],
            not_equals: vec!["Bolivia".into()],
            reason: "abroad".into(),
        };
        assert!(!r.excludes(" Bolivia "));
        assert!(r.excludes("Argentina"));
    }
}
