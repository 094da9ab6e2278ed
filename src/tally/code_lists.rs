//! Region names from a publisher's code list (`[[regions]] names = { file, code, name }`).
//!
//! Authorities often write regions as codes (German Land and Kreis numbers, Mexican state ids,
//! Venezuelan state codes) and publish the names in a separate list. The names replace the codes
//! in every region path (reports, charts, CSVs), and the codes stay beside them
//! (`RegionLevel::source_codes`, the `region_<level>_code` column of `stations.parquet`). A code
//! the list does not have keeps its code as its name, and a note says how many did; a name two
//! codes share is shown with its code, so two regions never merge in a chart.

use std::collections::HashMap;

use super::Tally;

/// Codes as the data write them → names. Codes are compared after trimming, and, when both are
/// whole numbers, as numbers (`"01"` in the data is code `1` in the list).
pub struct CodeList {
    names: HashMap<String, String>,
    /// Names used by more than one code.
    shared: std::collections::HashSet<String>,
    pub file: String,
}

fn canonical(code: &str) -> String {
    let t = code.trim();
    match t.parse::<u64>() {
        Ok(n) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => n.to_string(),
        _ => t.to_string(),
    }
}

impl CodeList {
    /// From (code, name) pairs; a code listed twice with different names is an error.
    pub fn new(
        file: &str,
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<CodeList> {
        let mut names: HashMap<String, String> = HashMap::new();
        let mut count: HashMap<String, usize> = HashMap::new();
        for (code, name) in pairs {
            let (code, name) = (canonical(&code), name.trim().to_string());
            if code.is_empty() || name.is_empty() {
                continue;
            }
            match names.get(&code) {
                Some(other) if *other != name => anyhow::bail!(
                    "code list {file}: code {code:?} is listed with two names, {other:?} and {name:?}; keep one row per code"
                ),
                Some(_) => {}
                None => {
                    *count.entry(name.clone()).or_default() += 1;
                    names.insert(code, name);
                }
            }
        }
        if names.is_empty() {
            anyhow::bail!("code list {file}: no row has both a code and a name");
        }
        let shared = count
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(name, _)| name)
            .collect();
        Ok(CodeList {
            names,
            shared,
            file: file.to_string(),
        })
    }

    fn name_of(&self, code: &str) -> Option<String> {
        let name = self.names.get(&canonical(code))?;
        Some(if self.shared.contains(name) {
            format!("{name} ({})", code.trim())
        } else {
            name.clone()
        })
    }
}

/// Read the code list a mapping names, from the mapping's folder (CSV, TSV or spreadsheet; the
/// dataset's encoding).
pub fn load(
    folder: &std::path::Path,
    declared: &crate::mapping::CodeList,
    format: &crate::mapping::FormatSection,
    limits: &crate::input::Limits,
) -> anyhow::Result<CodeList> {
    let path = folder.join(&declared.file);
    let format = crate::mapping::FormatSection {
        encoding: format.encoding.clone(),
        ..Default::default()
    };
    let table = crate::input::RawTable::read(&path, &format, limits)?;
    let code = table.column_for(&declared.code, "[[regions]] names code")?;
    let name = table.column_for(&declared.name, "[[regions]] names name")?;
    let mut pairs = Vec::new();
    table.for_each_row(|_, cells| {
        pairs.push((
            cells.get(code).unwrap_or("").to_string(),
            cells.get(name).unwrap_or("").to_string(),
        ));
        Ok(())
    })?;
    CodeList::new(&path.display().to_string(), pairs)
}

/// Replace the codes of region level `depth` by their names, in that level's paths and in every
/// deeper level's; keep the codes. Returns a note when some codes are not in the list.
pub fn apply(tally: &mut Tally, depth: usize, list: &CodeList) -> Option<String> {
    let level_name = tally.regions.get(depth)?.name.clone();
    let codes: Vec<String> = tally.regions[depth]
        .paths
        .iter()
        .map(|p| p[depth].clone())
        .collect();
    let mut missing: Vec<String> = Vec::new();
    let mut renamed: HashMap<String, String> = HashMap::new();
    for code in &codes {
        match list.name_of(code) {
            Some(name) => {
                renamed.insert(code.clone(), name);
            }
            None => {
                if !missing.contains(code) {
                    missing.push(code.clone());
                }
            }
        }
    }
    tally.regions[depth].source_codes = Some(codes);
    for level in tally.regions.iter_mut().skip(depth) {
        for path in &mut level.paths {
            if let Some(name) = renamed.get(&path[depth]) {
                path[depth] = name.clone();
            }
        }
    }
    (!missing.is_empty()).then(|| {
        let shown: Vec<String> = missing.iter().take(5).map(|c| format!("{c:?}")).collect();
        format!(
            "{} of the {} codes of region level {level_name:?} are not in the code list {} and are shown as codes: {}{}",
            missing.len(),
            codes_len(tally, depth),
            list.file,
            shown.join(", "),
            if missing.len() > 5 { ", ..." } else { "" }
        )
    })
}

fn codes_len(tally: &Tally, depth: usize) -> usize {
    tally.regions[depth].paths.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tally::RegionLevel;

    fn tally() -> Tally {
        Tally {
            regions: vec![
                RegionLevel {
                    name: "land".into(),
                    codes: vec![0, 0, 1, 2],
                    paths: vec![vec!["01".into()], vec!["9".into()], vec!["77".into()]],
                    source_codes: None,
                },
                RegionLevel {
                    name: "kreis".into(),
                    codes: vec![0, 1, 2, 3],
                    paths: vec![
                        vec!["01".into(), "1001".into()],
                        vec!["01".into(), "1002".into()],
                        vec!["9".into(), "9162".into()],
                        vec!["77".into(), "1".into()],
                    ],
                    source_codes: None,
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn codes_become_names_in_every_deeper_path_and_stay_as_codes() {
        let list = CodeList::new(
            "laender.csv",
            [("1", "Schleswig-Holstein"), ("09", "Bayern")]
                .map(|(c, n)| (c.to_string(), n.to_string())),
        )
        .unwrap();
        let mut t = tally();
        let note = apply(&mut t, 0, &list).unwrap();
        assert_eq!(t.regions[0].paths[0], ["Schleswig-Holstein"]);
        assert_eq!(t.regions[0].paths[1], ["Bayern"]);
        assert_eq!(t.regions[1].paths[2], ["Bayern", "9162"]);
        assert_eq!(
            t.regions[0].source_codes.as_ref().unwrap(),
            &["01", "9", "77"]
        );
        assert!(
            note.starts_with("1 of the 3 codes of region level \"land\""),
            "{note}"
        );
        assert!(note.contains("\"77\""), "{note}");
    }

    #[test]
    fn shared_names_keep_their_codes_and_conflicts_are_errors() {
        let pairs = [("1", "Mitte"), ("2", "Mitte")].map(|(c, n)| (c.to_string(), n.to_string()));
        let list = CodeList::new("k.csv", pairs).unwrap();
        assert_eq!(list.name_of("2").unwrap(), "Mitte (2)");
        let pairs = [("1", "A"), ("01", "B")].map(|(c, n)| (c.to_string(), n.to_string()));
        let err = CodeList::new("k.csv", pairs).err().unwrap().to_string();
        assert!(err.contains("listed with two names"), "{err}");
    }
}
