//! Announced totals: what an electoral authority published (bulletins), to be checked against
//! themselves (`forensics::percentages_first`) and against the tally sheets
//! (`forensics::announcement_vs_tallies`).
//!
//! The file is TOML beside a dataset, `<name>.announced.toml` (same discovery rules as mapping
//! files, see `input::discover`), or given with `--announced FILE`. README.md documents the format
//! with the two Venezuelan bulletins of 2024 as the example. Structural checks run when the file
//! is read; candidate names are checked against the tally once it is built (`check_names`), so a
//! misspelt name is an error that lists the known names, never a silently empty comparison.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// The content of one announcement file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementFile {
    /// Facts about the whole election (not about one bulletin), when they are known.
    #[serde(default)]
    pub election: ElectionFacts,
    /// One or more announcements, in publication order.
    #[serde(default)]
    pub announcements: Vec<Announcement>,
}

/// Totals of the whole election that bound what the tally sheets do not cover.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ElectionFacts {
    /// Number of polling stations (tables) in the whole election.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<u64>,
    /// Registered voters in the whole election.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<u64>,
}

/// One published result (e.g. a bulletin).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// Short name used as the findings' subject, e.g. "CNE bulletin 1".
    pub label: String,
    /// Publication date as written, e.g. "2024-07-29".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Where it was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The total the percentages refer to (valid votes, as announced).
    pub total: u64,
    /// Share of tables counted, in percent, when the announcement states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables_counted_percent: Option<f64>,
    /// Candidates by their display names in the tally (mapping `name`).
    pub candidates: Vec<AnnouncedCount>,
    /// All other candidates together, when the announcement lumps them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub others: Option<AnnouncedShare>,
}

/// One candidate's announced votes and/or percentage.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnnouncedCount {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<u64>,
    /// Percent of `total`, as printed (e.g. 51.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
}

/// Announced votes and/or percentage of a group of candidates.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnnouncedShare {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub votes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<f64>,
}

/// Name of the `others` group in findings and charts.
pub const OTHERS: &str = "others";

impl Announcement {
    /// (name, votes) of every category with announced votes: the candidates, then `others`.
    pub fn counts(&self) -> Vec<(String, Option<u64>)> {
        let mut out: Vec<(String, Option<u64>)> = self
            .candidates
            .iter()
            .map(|c| (c.name.clone(), c.votes))
            .collect();
        if let Some(o) = &self.others {
            out.push((OTHERS.to_string(), o.votes));
        }
        out
    }

    /// A candidate's announced share of `total` (0..1): from the votes, else the printed percent.
    pub fn share(&self, c: &AnnouncedCount) -> Option<f64> {
        match (c.votes, c.percent) {
            (Some(v), _) if self.total > 0 => Some(v as f64 / self.total as f64),
            (_, Some(p)) => Some(p / 100.0),
            _ => None,
        }
    }

    /// The candidate with the most announced votes (or the highest percentage).
    pub fn winner(&self) -> Option<&AnnouncedCount> {
        self.candidates.iter().max_by(|a, b| {
            let key = |c: &AnnouncedCount| self.share(c).unwrap_or(f64::NEG_INFINITY);
            key(a).total_cmp(&key(b))
        })
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.label.trim().is_empty() {
            bail!("an announcement has an empty label: give each one a short name, e.g. label = \"bulletin 1\"");
        }
        let what = format!("announcement {:?}", self.label);
        if self.total == 0 {
            bail!("{what}: total is 0; give the total the percentages refer to (valid votes)");
        }
        if self.candidates.is_empty() {
            bail!("{what}: no [[announcements.candidates]]; list at least one candidate");
        }
        if let Some(p) = self.tables_counted_percent {
            if !(p > 0.0 && p <= 100.0) {
                bail!("{what}: tables_counted_percent = {p} is not a percentage in (0, 100]");
            }
        }
        let mut seen = BTreeSet::new();
        let others = self.others.as_ref().map(|o| (OTHERS, o.votes, o.percent));
        let named = self
            .candidates
            .iter()
            .map(|c| (c.name.as_str(), c.votes, c.percent));
        for (name, votes, percent) in named.chain(others) {
            if !seen.insert(name) {
                bail!("{what}: candidate {name:?} is listed twice");
            }
            if votes.is_none() && percent.is_none() {
                bail!("{what}: {name:?} has neither votes nor percent; give one or both");
            }
            if let Some(v) = votes.filter(|&v| v > self.total) {
                bail!(
                    "{what}: {name:?} has {v} votes, more than the total {}",
                    self.total
                );
            }
            if let Some(p) = percent.filter(|p| !(0.0..=100.0).contains(p)) {
                bail!("{what}: {name:?} has percent = {p}, not a percentage in [0, 100]");
            }
        }
        Ok(())
    }

    /// Error naming any candidate the tally does not have, with the names it has.
    pub fn check_names(&self, known: &[&str]) -> anyhow::Result<()> {
        for c in &self.candidates {
            if !known.contains(&c.name.as_str()) {
                bail!(
                    "announcement {:?}: unknown candidate {:?}; the tally's candidates are: {} (use these display names, or put the votes under others)",
                    self.label,
                    c.name,
                    known.join(", ")
                );
            }
        }
        Ok(())
    }
}

impl AnnouncementFile {
    /// Read and check an announcement file.
    pub fn from_file(path: &Path) -> anyhow::Result<AnnouncementFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read announcement file {}", path.display()))?;
        let file = AnnouncementFile::parse(&text)
            .with_context(|| format!("announcement file {}", path.display()))?;
        Ok(file)
    }

    /// Parse and check the TOML text of an announcement file.
    pub fn parse(text: &str) -> anyhow::Result<AnnouncementFile> {
        let file: AnnouncementFile = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{} (see \"Announced totals\" in README.md)",
                e.to_string().trim().replace('\n', " ")
            )
        })?;
        if file.announcements.is_empty() {
            bail!(
                "no [[announcements]]: give at least one (see \"Announced totals\" in README.md)"
            );
        }
        let mut labels = BTreeSet::new();
        for a in &file.announcements {
            a.check()?;
            if !labels.insert(a.label.as_str()) {
                bail!(
                    "two announcements are labelled {:?}; labels must differ",
                    a.label
                );
            }
        }
        if file.election.tables == Some(0) || file.election.registered == Some(0) {
            bail!("[election] tables and registered must be positive when given");
        }
        Ok(file)
    }

    /// Check every announcement's candidate names against the tally's.
    pub fn check_names(&self, known: &[&str]) -> anyhow::Result<()> {
        self.announcements
            .iter()
            .try_for_each(|a| a.check_names(known))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BULLETIN: &str = r#"
[election]
registered = 21321805

[[announcements]]
label = "CNE bulletin 1"
date = "2024-07-29"
total = 10058774
tables_counted_percent = 80
others = { votes = 462704, percent = 4.6 }
[[announcements.candidates]]
name = "Nicolás Maduro"
votes = 5150092
percent = 51.2
[[announcements.candidates]]
name = "Edmundo González"
votes = 4445978
"#;

    #[test]
    fn parses_a_bulletin() {
        let f = AnnouncementFile::parse(BULLETIN).unwrap();
        let a = &f.announcements[0];
        assert_eq!(f.election.registered, Some(21321805));
        assert_eq!(a.counts().len(), 3);
        assert_eq!(a.counts()[2], ("others".to_string(), Some(462704)));
        assert_eq!(a.winner().unwrap().name, "Nicolás Maduro");
        assert!(f
            .check_names(&["Nicolás Maduro", "Edmundo González"])
            .is_ok());
        let err = f.check_names(&["Nicolás Maduro"]).unwrap_err().to_string();
        assert!(
            err.contains("\"Edmundo González\"") && err.contains("are: Nicolás Maduro"),
            "{err}"
        );
    }

    #[test]
    fn refuses_unknown_keys_and_inconsistent_entries() {
        let err = |t: &str| AnnouncementFile::parse(t).unwrap_err().to_string();
        assert!(err(&BULLETIN.replace("total =", "totl =")).contains("totl"));
        assert!(err("").contains("no [[announcements]]"));
        assert!(err(&BULLETIN.replace("votes = 4445978", "")).contains("neither votes"));
        assert!(err(&BULLETIN.replace("4445978", "99999999")).contains("more than the total"));
        let twice = format!(
            "{BULLETIN}{}",
            &BULLETIN[BULLETIN.find("[[announcements]]").unwrap()..]
        );
        assert!(err(&twice).contains("labelled"));
    }
}
